"""Seq2Seq: pairs of sequences in, an encoder-decoder LSTM with attention out — fit, translate, evaluate, save, load.

    pairs -> one tokenizer per side (char or word) -> ids -> a held-out part of the pairs -> Trainer.fit
    (teacher forcing; the best validation loss is kept; checkpoints and resume as for text) -> translate
    with greedy decoding or beam search (``models/seq2seq_decode.py``) -> exact match and BLEU (sacrebleu).

Example:
    m = lstmkit.Seq2Seq(seed=0).fit(pairs, minutes=3)     # pairs: [("123+456", "579"), ...]
    m.translate(["12+30"], beam=4); m.evaluate(test_pairs); m.save("runs/add")
"""
from __future__ import annotations

from collections.abc import Iterable

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import artifact, fileset
from ..configs import bounded, check_flags, checked_from_dict, python_scalars
from ..data.pairs import DECODE_BATCH, PairBatches, checked_pairs
from ..errors import LstmkitError
from ..tokenize import CharTokenizer, tokenizer_from_dict
from ..train import TrainConfig
from .seq2seq_decode import beam_search
from .seq2seq_net import EOS, PAD, SOURCE_OFFSET, TARGET_OFFSET, Seq2SeqNet, Seq2SeqNetConfig

TASK = "seq2seq"
SIDE_LEVELS = ("char", "word")


@dataclass
class Seq2SeqConfig:
    """How pairs become ids, and how long an output may grow.

    Args:
        source_level, target_level: ``char`` (any Unicode, nothing unknown at the symbol level) or ``word``.
        lowercase: lowercase word-level sides first.
        max_target: the longest output decoding may write, in target symbols (default: set from the
            training pairs, twice their longest target plus 10).
        reverse: the pairs files were read swapped, each pair's second side the source (the command line's
            ``--reverse``), and files to score or translate are read so too; Python's pairs are as given.
    """

    source_level: str = "char"
    target_level: str = "char"
    lowercase: bool = False
    max_target: int = bounded(1, 1_000_000, default=200)
    reverse: bool = False

    def __post_init__(self):
        check_flags(self)  # "off" would read as True
        for side, level in (("source", self.source_level), ("target", self.target_level)):
            if level not in SIDE_LEVELS:
                raise LstmkitError(f"--{side}-level {level!r}: pass char or word")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "seq2seq") -> "Seq2SeqConfig":
        return checked_from_dict(cls, d, where)


SHAPE_DEFAULTS = dict(source_level="char", target_level="char", hidden=256, layers=1, embed=64, dropout=0.1, attention="luong",
                      bidirectional=True, lowercase=False)


class Seq2Seq:
    """An encoder-decoder LSTM with attention over pairs of sequences (translation, addition, reformatting).

    Args:
        source_level, target_level: char (default) or word, per side.
        hidden: decoder units (default 256; a bidirectional encoder gives each direction half); layers (1);
            embed (64); dropout (0.1); attention: luong (default), bahdanau or none; bidirectional encoder (yes).
        seed: one seed, one model (with a steps or epochs budget; default 0, and a resumed run keeps its own).

    Example:
        m = Seq2Seq(target_level="word").fit(pairs, minutes=2, out="runs/de-en")
        m.translate("Mag ich Schokolade?", beam=4)   # 'Do I like chocolate?'
    """

    def __init__(self, source_level: str | None = None, target_level: str | None = None, *, hidden: int | None = None,
                 layers: int | None = None, embed: int | None = None, dropout: float | None = None, attention: str | None = None,
                 bidirectional: bool | None = None, lowercase: bool | None = None, seed: int | None = None):
        # None: the default; what was given is kept apart, so that a resume can refuse a change of network
        hidden, layers, embed, dropout, seed = (python_scalars(v) for v in (hidden, layers, embed, dropout, seed))  # np.int64(16) as 16
        self.given = {k: v for k, v in dict(source_level=source_level, target_level=target_level, hidden=hidden, layers=layers,
                                            embed=embed, dropout=dropout, attention=attention, bidirectional=bidirectional,
                                            lowercase=lowercase).items() if v is not None}
        d = {**SHAPE_DEFAULTS, **self.given}
        self.config = Seq2SeqConfig(d["source_level"], d["target_level"], d["lowercase"])
        self.shape = {k: d[k] for k in ("hidden", "layers", "embed", "dropout", "attention", "bidirectional")}
        Seq2SeqNetConfig(src_vocab=2, tgt_vocab=4, **self.shape)  # the shape's own checks, before any data is read
        if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0):
            raise LstmkitError(f"--seed {seed!r} must be a whole number of 0 or more")
        self.seed_given = seed is not None  # a resume refuses a seed other than its run's
        self.seed = 0 if seed is None else int(seed)
        self.net: Seq2SeqNet | None = None
        self.src_tok = self.tgt_tok = None
        self.train_config: TrainConfig | None = None
        self.summary: dict = {}
        self.fit_settings: dict = {}  # batch size, rate and validation share of the last fit (a resume keeps them)

    def __repr__(self) -> str:
        # the options given (the defaults fill the rest), and the seed
        return f"Seq2Seq({', '.join(f'{k}={v!r}' for k, v in {**self.given, 'seed': self.seed}.items())})"

    # ------------------------------------------------------------------------ ids
    def _encode_side(self, text: str, side: str, strict: bool = True) -> np.ndarray:
        """Ids of one side's text. Symbols training never saw are an error, or with ``strict`` off are
        dropped (characters) or read as ``<unk>`` (words), as a scorer of a test set needs."""
        tok, offset = (self.src_tok, SOURCE_OFFSET) if side == "source" else (self.tgt_tok, TARGET_OFFSET)
        if isinstance(tok, CharTokenizer):
            unknown = sorted(set(text) - set(tok._index))
            if unknown and not strict:
                text = "".join(ch for ch in text if ch in tok._index)
        else:
            unknown = tok.unknown_words(text)
        if unknown and strict:
            shown = ", ".join(repr(u) for u in unknown[:8]) + (" ..." if len(unknown) > 8 else "")
            raise LstmkitError(f"{text[:40]!r} holds {side} symbols this model never saw in training: {shown}; "
                               f"remove them, or train on pairs that contain them")
        ids = tok.encode(text)
        if not len(ids):
            raise LstmkitError(f"{text[:40]!r} has no {side} symbols; pass some text")
        return ids + offset

    def _source_ids(self, text: str, strict: bool) -> np.ndarray:
        try:
            return self._encode_side(text, "source", strict)
        except LstmkitError:
            if strict:
                raise
            return np.zeros(0, np.int64)

    def _decode_ids(self, row) -> str:
        out = []
        for i in row:
            if i == EOS or i == PAD:
                break
            out.append(int(i) - TARGET_OFFSET)
        return self.tgt_tok.decode(out)

    # ------------------------------------------------------------------------ fitting
    def fit(self, pairs, *, minutes: float | None = None, steps: int | None = None, epochs: float | None = None,
            batch_size: int | None = None, lr: float | None = None, val_fraction: float | None = None, val_pairs=None,
            out: str | Path | None = None,
            resume: bool = False, overwrite: bool = False, progress: bool = False, notes=None) -> "Seq2Seq":
        """Train on ``pairs`` (``(source, target)`` strings); the weights with the best validation loss are kept.

        Args:
            minutes / steps / epochs: one budget (default 5 minutes); training stops earlier when the
                validation loss gains less than 1 % over 4 of its 20 evaluations.
            batch_size: pairs per step (default 64); lr: Adam's peak rate (default 3e-3).
            val_fraction: the share of pairs held out (default 0.05, at most 2,000 pairs); ``val_pairs`` gives them instead.
            out: a run directory, saved at each evaluation (best model, checkpoint, metrics, curves);
                ``resume`` continues it, a larger budget extends it; ``overwrite`` replaces a model there.
        """
        from .seq2seq_train import fit

        return fit(self, pairs, minutes=minutes, steps=steps, epochs=epochs, batch_size=batch_size, lr=lr,
                   val_fraction=val_fraction, val_pairs=val_pairs, out=out, resume=resume, overwrite=overwrite,
                   progress=progress, notes=notes)

    def _known_side(self, text: str, side: str) -> bool:
        try:
            self._encode_side(text, side)
            return True
        except LstmkitError:
            return False

    def _known(self, src: str, tgt: str) -> bool:
        return self._known_side(src, "source") and self._known_side(tgt, "target")

    def _exact(self, pairs, beam: int) -> float:
        if not pairs:
            return float("nan")
        outs = self.translate([s for s, _ in pairs], beam=beam)
        return float(np.mean([o == self.written(t) for o, (_, t) in zip(outs, pairs)]))

    def written(self, target: str) -> str:
        """``target`` as this model can write it: a word-level side lowercased (with ``lowercase``) and
        re-spaced by its tokenizer; what exact match compares outputs with."""
        if self.config.target_level == "char" or not self._known_side(target, "target"):
            return target
        return self.tgt_tok.decode(self.tgt_tok.encode(target))

    # ------------------------------------------------------------------------ using
    def _require_fitted(self) -> None:
        if self.net is None:
            raise LstmkitError("this Seq2Seq is not trained yet; call fit(pairs) first, or lstmkit.load a saved one")

    def translate(self, texts, beam: int = 1, max_length: int | None = None, length_penalty: float = 0.0, strict: bool = True):
        """The output for each source text (a list for a list, a string for a string); ``beam`` 1 is greedy.

        A symbol training never saw is an error; with ``strict=False`` it is dropped (characters) or read
        as ``<unk>`` (words)."""
        self._require_fitted()
        if not isinstance(beam, (int, np.integer)) or isinstance(beam, bool) or beam < 1:
            raise LstmkitError(f"--beam {beam!r} must be a whole number of at least 1 (1 is greedy decoding)")
        max_length = python_scalars(max_length)
        if max_length is not None and (not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1):
            raise LstmkitError(f"--max-length {max_length!r} must be a positive whole number")
        one = isinstance(texts, str)
        if hasattr(texts, "columns"):  # a DataFrame: its source column, or its only one
            if "source" not in texts.columns and len(texts.columns) != 1:
                raise LstmkitError(f"a table to translate needs a column named source, or only one column; this one has "
                                   f"{', '.join(map(str, texts.columns[:6]))}")
            texts = texts["source" if "source" in texts.columns else texts.columns[0]]
        texts = [texts] if one else list(texts) if isinstance(texts, Iterable) else [texts]
        if not all(isinstance(t, str) for t in texts):
            raise LstmkitError("translate takes a string or a list of strings")
        ids = [self._source_ids(t.strip(), strict) for t in texts]
        outs: list[str] = [""] * len(texts)  # a source with no known symbol at all (strict off) gets an empty output
        order = [i for i in np.argsort([len(i) for i in ids], kind="stable") if len(ids[i])]  # similar lengths together
        limit = max_length or self.config.max_target
        self.net.eval()
        for a in range(0, len(order), DECODE_BATCH):
            idx = np.asarray(order[a:a + DECODE_BATCH], dtype=np.int64)
            batch = PairBatches([ids[i] for i in idx], [np.ones(1, np.int64)] * len(idx), len(idx), shuffle=False).batch(np.arange(len(idx)))
            rows = beam_search(self.net, batch.src, batch.src_len, int(beam), limit, length_penalty).tolist()
            for i, row in zip(idx, rows):
                outs[i] = self._decode_ids(row)
        return outs[0] if one else outs

    def evaluate(self, pairs, beam: int = 1) -> dict:
        """Exact match (the share of outputs equal to the reference), corpus BLEU and chrF (sacrebleu), speed."""
        import sacrebleu
        from sacrebleu.metrics import BLEU

        pairs = checked_pairs(pairs)
        self._require_fitted()
        if not any(len(self._source_ids(src.strip(), strict=False)) for src, _ in pairs):
            # every output would be empty and score 0: the pairs are not laid out as in training
            raise LstmkitError(f"none of the {len(pairs):,} sources holds a symbol this model saw in training (the first: "
                               f"{pairs[0][0][:40]!r}); pass pairs as it was trained on them, the source side first")
        t0 = time.perf_counter()
        # a test set may hold symbols training never saw: they are dropped or read as <unk>, and counted
        outs = self.translate([s for s, _ in pairs], beam=beam, strict=False)
        seconds = time.perf_counter() - t0
        unknown = sum(not self._known_side(src, "source") for src, _ in pairs)
        refs = [t for _, t in pairs]
        tokenize = "char" if self.config.target_level == "char" else "13a"
        return {"pairs": len(pairs), "beam": beam, "exact_match": float(np.mean([o == self.written(r) for o, r in zip(outs, refs)])),
                # effective order: n-grams longer than the outputs (a 3-digit sum) do not zero the score
                "bleu": BLEU(tokenize=tokenize, effective_order=True).corpus_score(outs, [refs]).score,
                "chrf": sacrebleu.corpus_chrf(outs, [refs]).score, "bleu_tokenize": tokenize,
                "seconds": round(seconds, 4), "pairs_per_s": round(len(pairs) / max(seconds, 1e-9), 1), "unknown_sources": unknown,
                "examples": [{"source": s, "reference": r, "output": o} for (s, r), o in list(zip(pairs, outs))[:5]]}

    # ------------------------------------------------------------------------ saving
    def to_config(self) -> dict:
        return {"task": TASK, "seq2seq": self.config.to_dict(), "net": self.net.config.to_dict(),
                "train": self.train_config.to_dict() if self.train_config else {}, "fit": self.fit_settings, "seed": self.seed,
                "summary": self.summary}

    def _parts(self) -> dict:
        return {"source_tokenizer": self.src_tok.to_dict(), "target_tokenizer": self.tgt_tok.to_dict()}

    def save(self, path: str | Path) -> Path:
        """Write the model directory (config, both tokenizers, safetensors weights) as one set."""
        self._require_fitted()
        self.path = artifact.save_model(path, self.to_config(), self._parts(), self.net.state_dict())
        return self.path

    @classmethod
    def load(cls, path: str | Path) -> "Seq2Seq":
        return cls.from_artifact(artifact.open_model(path))

    @classmethod
    def from_artifact(cls, art: artifact.Artifact) -> "Seq2Seq":
        artifact.require_task(art, TASK, "a sequence-to-sequence model")
        where = fileset.member(art.path, artifact.CONFIG)
        config = art.config
        try:
            cfg = Seq2SeqConfig.from_dict(config.get("seq2seq"), "seq2seq")
            net_cfg = Seq2SeqNetConfig.from_dict(config.get("net"), "net")
            train = TrainConfig.from_dict(config["train"]) if config.get("train") else None
            seed = config.get("seed", 0)
            if not isinstance(seed, int):
                raise LstmkitError(f"'seed' is {seed!r}, not an integer")
            src_tok = tokenizer_from_dict(art.parts.get("source_tokenizer"))
            tgt_tok = tokenizer_from_dict(art.parts.get("target_tokenizer"))
            if (src_tok.vocab_size + SOURCE_OFFSET, tgt_tok.vocab_size + TARGET_OFFSET) != (net_cfg.src_vocab, net_cfg.tgt_vocab):
                raise LstmkitError("the tokenizers and the network disagree on the vocabularies")
            if (src_tok.level, tgt_tok.level) != (cfg.source_level, cfg.target_level):
                raise LstmkitError("the tokenizers' levels differ from the config's")
        except (LstmkitError, TypeError, KeyError, ValueError, AttributeError) as e:
            raise LstmkitError(f"{where}: {e}; the model is corrupt — {artifact.FIX}") from None
        m = cls(cfg.source_level, cfg.target_level, lowercase=cfg.lowercase, seed=seed,
                **{k: v for k, v in net_cfg.to_dict().items() if k in ("hidden", "layers", "embed", "dropout", "attention", "bidirectional")})
        m.config = cfg
        m.net = artifact.build_module(lambda: Seq2SeqNet(net_cfg), art.weights, str(art.path)).eval()
        m.src_tok, m.tgt_tok, m.train_config = src_tok, tgt_tok, train
        m.summary = config.get("summary", {}) if isinstance(config.get("summary"), dict) else {}
        fit = config.get("fit") if isinstance(config.get("fit"), dict) else {}
        m.fit_settings = {k: fit[k] for k, kind in (("batch_size", int), ("lr", float), ("val_fraction", float))
                          if isinstance(fit.get(k), (int, float)) and not isinstance(fit.get(k), bool) and (kind is float or isinstance(fit[k], int))}
        m.path = Path(art.path)
        return m

    def info(self) -> dict:
        self._require_fitted()
        return {"task": TASK, "seq2seq": self.config.to_dict(), "net": self.net.config.to_dict(), "summary": self.summary,
                "source_symbols": self.src_tok.vocab_size, "target_symbols": self.tgt_tok.vocab_size,
                "parameters": sum(p.numel() for p in self.net.parameters())}
