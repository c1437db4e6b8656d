"""TextModel: any text in, a trained recurrent language model out — train, generate, evaluate, save, load.

Training (``TextModel.train``) is its own flow, in ``models/text_train.py``; this module holds what a
trained model does: generate, stream, evaluate, save, load, describe itself.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

import numpy as np

from .. import artifact, checkpoint, fileset
from ..data.text import read_text
from ..errors import LstmkitError
from ..generate import SamplingConfig, generate_streams, step_model
from ..nn import EnsembleLM, NetConfig, RecurrentLM, language_model
from ..tokenize import PARAGRAPH, CharTokenizer, WordTokenizer, tokenizer_from_dict
from ..train import TrainConfig, Trainer, evaluate_loss
from . import text_train
from .text_batches import eval_batches
from .text_settings import TextDataConfig

TASK = "text"


class TextModel:
    """A trained recurrent language model with its tokenizer.

    Example:
        lm = TextModel.train("grimm.txt", level="char", minutes=5, out="runs/grimm")
        print(lm.generate("Once upon a time", length=300, temperature=0.8))
        lm.save("runs/grimm"); lm = lstmkit.load("runs/grimm")
    """

    def __init__(self, net: RecurrentLM | EnsembleLM, tokenizer, data_config: TextDataConfig, train_config: TrainConfig | None = None,
                 summary: dict | None = None):
        self.net, self.tokenizer = net, tokenizer
        self.data_config, self.train_config = data_config, train_config or TrainConfig()
        self.summary = summary or {}
        self.path: Path | None = None
        self._step_model = None  # built on first use (generate.step_model)

    # ------------------------------------------------------------------------ training
    train = classmethod(text_train.train)

    def _stage_save(self, tx: fileset.Transaction, trainer: Trainer, saving_best: bool) -> None:
        """Stage the best weights as the model artifact (when improved) and the last state under ``checkpoint/``."""
        if saving_best:
            self.summary.update(best_eval=trainer.last_eval)
            artifact.stage_model(tx, self.to_config(), {"tokenizer": self.tokenizer.to_dict()}, self.net.state_dict())
        tensors, meta = trainer.resume_payload()
        checkpoint.stage_checkpoint(tx, self.net.state_dict(), tensors, meta)

    # ------------------------------------------------------------------------ inference
    def _prompt_ids(self, prime: str) -> np.ndarray:
        tok = self.tokenizer
        if prime:
            ids = tok.encode(prime)  # char level: unknown characters raise a clear error
            if len(ids):
                return ids
        if tok.level == "word":
            return np.array([tok._index.get(PARAGRAPH, 1)], np.int64)
        try:
            return tok.encode("\n")[-1:] if len(tok.encode("\n")) else np.array([0])
        except LstmkitError:
            return np.array([0])

    def unknown_words(self, prime: str) -> list[str]:
        """Words of ``prime`` that a word-level model does not know (they become ``<unk>``)."""
        return self.tokenizer.unknown_words(prime) if isinstance(self.tokenizer, WordTokenizer) else []

    def stream(self, prime: str = "", length: int = 500, *, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
               greedy: bool = False, num_samples: int = 1, seed: int | None = None, stop: str | None = None) -> Iterator[tuple[int, str]]:
        """Yield ``(sample_index, text_piece)`` as symbols are generated (the prompt itself is not yielded).

        Example:
            for _, piece in lm.stream("Once upon a time", 200, temperature=0.8): print(piece, end="")
        """
        cfg = SamplingConfig(temperature, top_k, top_p, greedy)
        if stop is not None and (not isinstance(stop, str) or not stop):
            raise LstmkitError(f"--stop {stop!r} must be the text that ends a sample; leave it out to end at the length")
        if not isinstance(prime, str):
            raise LstmkitError(f"the prompt must be text (a str), not {type(prime).__name__}")
        for name, v, low in (("length", length, 0), ("num-samples", num_samples, 1), ("seed", 0 if seed is None else seed, 0)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise LstmkitError(f"--{name} {v!r} must be a whole number of {low} or more")
        # the prompt is read as training text is: no byte-order mark, Windows line ends as "\n"
        prompt = self._prompt_ids(prime.lstrip("\ufeff").replace("\r\n", "\n"))
        if self._step_model is None:
            self._step_model = step_model(self.net)
        pieces = generate_streams(self._step_model, self.tokenizer, prompt, length, cfg, num_samples, seed, stop)
        if self.tokenizer.level == "word" and prime[-1:].isspace():
            return _after_spaced_prompt(pieces)
        return pieces

    def __repr__(self) -> str:
        c = self.net.config
        return (f"TextModel({self.tokenizer.level} level, {c.layers}x{c.hidden} {c.cell}"
                f"{f' x{c.members}' if c.members > 1 else ''}, {c.vocab_size:,} symbols{f', {self.path}' if self.path else ''})")

    def generate(self, prime: str = "", length: int = 500, *, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                 greedy: bool = False, num_samples: int = 1, seed: int | None = None, stop: str | None = None,
                 include_prompt: bool = True) -> str | list[str]:
        """Generate ``length`` symbols after ``prime``; a list of strings when ``num_samples > 1``.

        Args:
            prime: the prompt, fed once to set the state.
            length: symbols (characters, words or subwords) to generate.
            temperature, top_k, top_p, greedy: sampling settings.
            num_samples: independent samples generated as one batch.
            seed: makes sampling reproducible.
            stop: end a sample when this string appears.
            include_prompt: start each returned text with the prompt.

        Example:
            lm.generate("There was once", 300, temperature=0.7, seed=1)
        """
        outs = [""] * num_samples
        for s, piece in self.stream(prime, length, temperature=temperature, top_k=top_k, top_p=top_p, greedy=greedy,
                                    num_samples=num_samples, seed=seed, stop=stop):
            outs[s] += piece
        if include_prompt:
            outs = [prime + o for o in outs]
        return outs[0] if num_samples == 1 else outs

    def evaluate(self, sources=None, *, text: str | None = None, encoding: str = "utf-8", keep_boilerplate: bool = False,
                 unknown: str = "error") -> dict:
        """Loss (nats/symbol), perplexity, bits per symbol, bits per character and accuracy on a text.

        Bits per character divide the total bits by the number of characters, so models of different
        levels (char, word, bpe) can be compared on the same text. The result also says what was scored:
        ``chars_read`` (as decoded), ``boilerplate_chars`` (Project Gutenberg licence text removed unless
        ``keep_boilerplate``), and ``unknown`` / ``unknown_share``, the symbols scored as ``<unk>`` (word level).
        A character-level model cannot score a character it never saw: ``unknown="error"`` (default) names
        them, ``unknown="drop"`` leaves them out of the text scored and counts them in ``dropped_chars``.

        Example:
            lm.evaluate("held_out.txt")["bits_per_char"]
        """
        if (sources is None) == (text is None):
            raise LstmkitError("pass the text to score: files, or text=..., one of the two")
        if not isinstance(text, (str, type(None))):
            raise LstmkitError(f"text= must be a str, not {type(text).__name__}")
        report = {"chars_read": len(text), "boilerplate_chars": 0} if text is not None else {}
        if unknown not in ("error", "drop"):
            raise LstmkitError(f"unknown --unknown {unknown!r}; pass error or drop")
        if text is None:
            text = read_text(sources, encoding=encoding, keep_boilerplate=keep_boilerplate, report=report)
        dropped = 0
        if unknown == "drop" and isinstance(self.tokenizer, CharTokenizer):
            kept = "".join(ch for ch in text if ch in self.tokenizer._index)
            dropped, text = len(text) - len(kept), kept
        try:
            ids = self.tokenizer.encode(text)
        except LstmkitError as e:  # a held-out part of a text can hold a character its training part lacks
            raise LstmkitError(f"{str(e).rsplit('; remove', 1)[0]}; remove them, or pass --unknown drop (unknown='drop') to score "
                               "the text without them") from None
        n_unk = int((ids == 0).sum()) if isinstance(self.tokenizer, WordTokenizer) else 0  # <unk> is word 0
        if len(ids) < 2:
            raise LstmkitError(f"the text encodes to {len(ids)} symbol(s); evaluation needs at least 2")
        m = evaluate_loss(self.net, eval_batches(ids), next(self.net.parameters()).device)
        bits = m["loss"] * m["symbols"] / math.log(2)
        chars = len(text) * m["symbols"] / (len(ids) - 1)  # the characters those predicted symbols cover
        return {"loss": m["loss"], "perplexity": m["ppl"], "bits_per_symbol": m["loss"] / math.log(2),
                "bits_per_char": bits / chars, "accuracy": m["acc"], "symbols": m["symbols"], "chars": len(text),
                "chars_read": report["chars_read"], "boilerplate_chars": report["boilerplate_chars"],
                "unknown": n_unk, "unknown_share": n_unk / len(ids), "dropped_chars": dropped}

    # ------------------------------------------------------------------------ persistence
    def to_config(self) -> dict:
        return {"task": TASK, "net": self.net.config.to_dict(), "data": self.data_config.to_dict(),
                "train": self.train_config.to_dict(), "summary": self.summary}

    def save(self, path: str | Path) -> Path:
        """Write the model artifact directory (config, tokenizer, safetensors weights, manifest) as one set.

        A directory that a training run is using is refused; the previous model there stays intact
        until the new one is complete.

        Example:
            lm.save("runs/grimm")
        """
        path = artifact.save_model(path, self.to_config(), {"tokenizer": self.tokenizer.to_dict()}, self.net.state_dict())
        self.path = Path(path)
        return self.path

    @classmethod
    def load(cls, path: str | Path) -> "TextModel":
        """Load a model saved by ``save`` or ``lstmkit train`` (no training data needed).

        Every file is checked (integrity, types, ranges, shapes) before the network is built.

        Example:
            lm = TextModel.load("runs/grimm")
        """
        return cls.from_artifact(artifact.open_model(path))  # the task is checked before any part is read

    @classmethod
    def from_artifact(cls, art: artifact.Artifact) -> "TextModel":
        """Build the model from a checked artifact (``artifact.open_model``)."""
        config, path = art.config, art.path
        where = fileset.member(path, artifact.CONFIG)
        task = config.get("task")
        if task != TASK:
            raise LstmkitError(f"{path} holds a {task!r} model, not a text model; load it with lstmkit.load "
                               f"or use the {task!r} commands" if isinstance(task, str) else
                               f"{where}: 'task' is {task!r}, not a task name; the config is corrupt — {artifact.FIX}")
        try:
            net_cfg = NetConfig.from_dict(config.get("net"), where="net")
            data_cfg = TextDataConfig.from_dict(config.get("data", {}), where="data")
            train_cfg = TrainConfig.from_dict(config.get("train", {}), where="train")
            summary = _checked_summary(config.get("summary", {}))
            tokenizer = tokenizer_from_dict(art.parts.get("tokenizer"))
        except LstmkitError as e:
            raise LstmkitError(f"{where}: {e}; the model is corrupt — {artifact.FIX}") from None
        if tokenizer.level != data_cfg.level:
            raise LstmkitError(f"{path}: the tokenizer is {tokenizer.level}-level but the config says "
                               f"{data_cfg.level!r}; they do not belong together — {artifact.FIX}")
        if tokenizer.vocab_size != net_cfg.vocab_size:
            raise LstmkitError(f"{path}: the tokenizer has {tokenizer.vocab_size} symbols but the network "
                               f"{net_cfg.vocab_size}; they do not belong together — {artifact.FIX}")
        net = artifact.build_module(lambda: language_model(net_cfg), art.weights, str(path))
        net.eval()
        model = cls(net, tokenizer, data_cfg, train_cfg, summary)
        model.path = Path(path)
        return model

    def info(self) -> dict:
        """Config, vocabulary size, parameter count and a training summary."""
        history, skipped = artifact.read_metrics(self.path) if self.path else ([], 0)
        return {"skipped_metrics_lines": skipped, "path": str(self.path) if self.path else None, "level": self.tokenizer.level,
                "vocab_size": self.tokenizer.vocab_size, "parameters": self.net.num_parameters(),
                "net": self.net.config.to_dict(), "data": self.data_config.to_dict(), "train": self.train_config.to_dict(),
                "summary": self.summary, "evaluations": len(history), "history": history}


# ---------------------------------------------------------------------------- summary
_SUMMARY_TABLES = ("best_eval", "sizing", "val")
_SUMMARY_WORDS = {("sizing", "regime")}  # the only table entries that are words, not numbers


def _number(x) -> bool:
    return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))


def _scalar(x) -> bool:
    return _number(x) or isinstance(x, str)


def _checked_summary(summary) -> dict:
    """The training summary of a config, its types checked: tables of numbers, and scalars."""
    if not isinstance(summary, dict):
        raise LstmkitError(f"'summary' is {str(summary)[:40]!r} but must be a JSON object")
    for key, value in summary.items():
        if key in _SUMMARY_TABLES:
            if not isinstance(value, dict):
                raise LstmkitError(f"'summary.{key}' is {str(value)[:40]!r} but must be a JSON object")
            bad = [k for k, v in value.items() if not (isinstance(v, str) if (key, k) in _SUMMARY_WORDS else _number(v))]
            if bad:
                raise LstmkitError(f"'summary.{key}.{bad[0]}' is {str(value[bad[0]])[:40]!r} but must be a number")
        elif not _scalar(value):
            raise LstmkitError(f"'summary.{key}' is {str(value)[:40]!r} but must be a number or a string")
    return summary


def _after_spaced_prompt(pieces: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """A word model's pieces after a prompt that ends in a space: the space the decoder puts before each sample's
    first word is the prompt's already ("The object " + " whether" would read "The object  whether")."""
    started: set[int] = set()
    for s, piece in pieces:
        if s not in started and piece:
            started.add(s)
            piece = piece[1:] if piece.startswith(" ") else piece
        if piece:
            yield s, piece
