"""TextModel: any text in, a trained recurrent language model out — train, generate, evaluate, save, load.

The flow of ``TextModel.train``: read and clean text -> split off validation -> fit the tokenizer ->
encode -> batch (contiguous streams or windows) -> build the network -> ``Trainer.fit`` with a
progress bar, a metrics log and checkpoints -> the best weights.
"""
from __future__ import annotations

import dataclasses
import math
import os
import shutil
from dataclasses import fields
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import torch

from .. import checkpoint as ckpt
from ..callbacks import add_progress_bar, add_tensorboard, append_metrics
from ..data.batches import StreamBatches, WindowBatches
from ..data.corpora import load_corpus
from ..data.text import read_text, split_text
from ..errors import LstmkitError
from ..generate import SamplingConfig, StepModel, generate_streams
from ..nn import NetConfig, RecurrentLM
from ..recipes import apply_recipe
from ..tokenize import PARAGRAPH, WordTokenizer, fit_tokenizer, tokenizer_from_dict
from ..train import TrainConfig, Trainer, evaluate_loss
from .text_settings import TextDataConfig, default_settings, fit_to_budget

TASK = "text"
EVAL_ROWS, EVAL_BPTT = 16, 256
PERIODIC_EVAL_SYMBOLS = 1 << 16  # evaluations during training read at most this much of the validation text
EVAL_WINDOW_BATCH = 512  # windows per evaluation batch in window mode


def _eval_batches(tokens: np.ndarray) -> StreamBatches:
    """Whole-text evaluation: up to 16 contiguous rows, the state carried through each row."""
    n = len(tokens) - 1
    rows = max(1, min(EVAL_ROWS, n // EVAL_BPTT))
    bptt = max(1, min(EVAL_BPTT, n // rows))
    return StreamBatches(tokens, rows, bptt, shift=False)


class TextModel:
    """A trained recurrent language model with its tokenizer.

    Example:
        lm = TextModel.train("grimm.txt", level="char", minutes=5, out="runs/grimm")
        print(lm.generate("Once upon a time", length=300, temperature=0.8))
        lm.save("runs/grimm"); lm = lstmkit.load("runs/grimm")
    """

    def __init__(self, net: RecurrentLM, tokenizer, data_config: TextDataConfig, train_config: TrainConfig | None = None,
                 summary: dict | None = None):
        self.net, self.tokenizer = net, tokenizer
        self.data_config, self.train_config = data_config, train_config or TrainConfig()
        self.summary = summary or {}
        self.path: Path | None = None
        self._step_model: StepModel | None = None

    # ------------------------------------------------------------------------ training
    @classmethod
    def train(cls, sources: str | Path | Iterable[str | Path] | None = None, *, text: str | None = None,
              corpus: str | None = None, out: str | Path | None = None, recipe: str | None = None,
              level: str | None = None, minutes: float | None = None, epochs: float | None = None,
              steps: int | None = None, hidden: int | None = None, layers: int | None = None, embed: int | None = None,
              dropout: float | None = None, cell: str | None = None, tie_weights: bool | None = None,
              one_hot: bool | None = None, index_input: bool | None = None, seed: int = 0, resume: bool = False,
              progress: bool = True, encoding: str = "utf-8", keep_boilerplate: bool = False,
              data: TextDataConfig | dict | None = None, train: TrainConfig | dict | None = None,
              callbacks: Iterable[tuple[str, Callable]] = (), **options) -> "TextModel":
        """Train a model on text and return it (the weights with the best validation loss).

        Args:
            sources: file(s), directories or ``"-"``; ``None`` with ``text=None`` uses ``corpus``.
            text: train on this string instead of files.
            corpus: ``docs`` (built in, the default), ``grimm`` or ``shakespeare``.
            out: directory for the model, metrics and checkpoints (``None``: keep in memory only).
            recipe: start from a named recipe (``lstmkit recipes``); the other arguments override it.
            level: ``char`` (default), ``word`` or ``bpe``.
            minutes / epochs / steps: the budget (default: 5 minutes).
            hidden, layers, embed, dropout, cell, tie_weights, one_hot, index_input: the network.
            seed: makes a CPU run exactly reproducible.
            resume: continue the run saved in ``out``.
            progress: show a progress bar on stderr.
            data / train: full ``TextDataConfig`` / ``TrainConfig`` (or dicts); ``**options`` sets single
                fields of either (``batch_size``, ``bptt``, ``windows``, ``lr``, ``optimizer``, ...).
            callbacks: ``(event, fn)`` pairs added to the ``Trainer`` (``fn(trainer)``; see ``Trainer``).

        Example:
            lm = TextModel.train("tales/", level="word", epochs=3, out="runs/tales")
        """
        # -- configs: recipe, then explicit arguments ------------------------------------------
        given = dict(level=level, minutes=minutes, epochs=epochs, steps=steps, hidden=hidden, layers=layers,
                     embed=embed, dropout=dropout, cell=cell, tie_weights=tie_weights, one_hot=one_hot,
                     index_input=index_input, corpus=corpus, **options)
        opts = apply_recipe(recipe, given)
        corpus = opts.pop("corpus", None)
        net_args = {k: opts.pop(k) for k in ("hidden", "layers", "embed", "dropout", "cell", "tie_weights", "one_hot", "index_input") if k in opts}
        budget = {k: opts.pop(k) for k in ("minutes", "epochs", "steps") if opts.get(k) is not None}
        unknown = set(opts) - {f.name for f in fields(TextDataConfig)} - {f.name for f in fields(TrainConfig)}
        if unknown:
            raise LstmkitError(f"unknown option(s) {', '.join(sorted(unknown))}")
        if resume and out is None:
            raise LstmkitError("--resume needs --out: the directory of the run to continue")
        if opts.get("stride") not in (None, 1) and not opts.get("windows"):
            raise LstmkitError(f"--stride {opts['stride']} only applies with --windows; add --windows L or drop --stride")
        resumed = ckpt.load_model(out) if resume else None
        if resumed:
            # Continue the saved run with its own settings; only the budget and the hardware may change.
            saved = {**resumed[0].get("data", {}), **resumed[0].get("train", {}), **resumed[0].get("net", {})}
            fixed = {k: v for k, v in {**opts, **net_args}.items() if k not in ("device", "precision")}
            clash = [f"{k}={v!r} (saved {saved[k]!r})" for k, v in fixed.items() if v is not None and k in saved and saved[k] != v]
            if clash:
                raise LstmkitError(f"--resume continues the saved run, whose settings differ: {', '.join(clash)}; drop those options or train a new run")
            data, train = resumed[0]["data"], dict(resumed[0]["train"])
            if budget:
                train.update(minutes=None, epochs=None, steps=None)
            seed = train.get("seed", seed)
        train_given = train.to_dict() if isinstance(train, TrainConfig) else dict(train or {})
        if not budget and not any(train_given.get(k) is not None for k in ("minutes", "epochs", "steps")):
            budget["minutes"] = 5.0
        net_defaults: dict = {}
        if not resumed and data is None and train is None:  # defaults fill only what was not given
            net_defaults, auto = default_settings(opts.get("level", "char"), budget.get("minutes"))
            opts = {**auto, **opts}
        # a batch_size of None (from the defaults) asks for rows fitted to the budget; _merge drops it
        fit_rows = "batch_size" in opts and opts["batch_size"] is None and not opts.get("windows")
        data_cfg = _merge(TextDataConfig, data, **opts)
        train_cfg = _merge(TrainConfig, train, seed=seed, **budget, **opts)

        # -- read, split, tokenize -----------------------------------------------------------
        if text is None:
            text = load_corpus(sources, corpus=corpus, encoding=encoding, keep_boilerplate=keep_boilerplate)
        if not text.strip():
            raise LstmkitError("the training text is empty; pass a file that contains text")
        if len(set(text.strip())) < 2:
            raise LstmkitError(f"the text has only 1 distinct symbol ({text.strip()[0]!r}); a model needs at least 2 — use a more varied text")
        train_text, val_text = split_text(text, data_cfg.val_fraction)
        if resumed:
            tokenizer = tokenizer_from_dict(resumed[1])
        else:
            fit_on = text if data_cfg.level == "char" else train_text  # char: every symbol of the file is known
            tokenizer = fit_tokenizer(fit_on, data_cfg.level, max_vocab=data_cfg.max_vocab, min_freq=data_cfg.min_freq,
                                      vocab_size=data_cfg.vocab_size, lowercase=data_cfg.lowercase)
        if tokenizer.vocab_size < 2:
            raise LstmkitError(f"the text has only {tokenizer.vocab_size} distinct symbol(s); a model needs at least 2 — use a more varied text")
        train_ids = tokenizer.encode(train_text)
        val_ids = tokenizer.encode(val_text) if val_text else np.zeros(0, np.int64)

        # -- network shape and batch rows, fitted to the budget where not given --------------------
        sizing_note: dict = {}
        if resumed:
            net_cfg = NetConfig.from_dict(resumed[0]["net"])
        else:
            shape = {"hidden": 512, "layers": 1, "embed": 64, "dropout": 0.0, **net_defaults}
            shape.update({k: v for k, v in net_args.items() if v is not None})
            if shape["hidden"] is None and shape.get("tie_weights") and net_args.get("embed") is not None:
                shape["hidden"] = net_args["embed"]  # tied weights: the width is the embedding's
            if shape["hidden"] is None or fit_rows:  # the defaults: what the budget feeds on this machine
                shape["hidden"], rows, sizing_note = fit_to_budget(
                    shape, train_cfg, data_cfg, len(train_ids), tokenizer.vocab_size,
                    fit_width=shape["hidden"] is None, fit_rows=fit_rows)
                data_cfg = dataclasses.replace(data_cfg, batch_size=rows)
            if shape.get("tie_weights") and net_args.get("embed") is None:
                shape["embed"] = shape["hidden"]
            net_cfg = NetConfig(vocab_size=tokenizer.vocab_size, **shape)

        # -- batches -------------------------------------------------------------------------
        if data_cfg.windows:
            train_data = WindowBatches(train_ids, data_cfg.windows, data_cfg.stride, data_cfg.batch_size, seed=seed)
            val_data = None
            if len(val_ids) > data_cfg.windows + 1:
                val_stride = max(1, (len(val_ids) - data_cfg.windows) // 4096)  # about 4k windows
                n_windows = (len(val_ids) - data_cfg.windows - 1) // val_stride + 1
                # evaluation has no state and no dropout: its batch only sets speed, so not the training batch
                # (seed 002 trains on one window per step; 4k single-window calls would dwarf its training)
                val_data = WindowBatches(val_ids, data_cfg.windows, val_stride, min(EVAL_WINDOW_BATCH, n_windows),
                                         shuffle=False)
        else:
            train_data = StreamBatches(train_ids, data_cfg.batch_size, data_cfg.bptt, seed=seed)
            val_data = _eval_batches(val_ids[:PERIODIC_EVAL_SYMBOLS]) if len(val_ids) > 1 else None
        if data_cfg.val_fraction > 0 and val_data is None:
            raise LstmkitError(f"the validation text ({len(val_ids)} symbols) is too short; raise --val-fraction or use a longer text")

        if out is not None:
            out = _prepare_out(Path(out))

        # -- network -------------------------------------------------------------------------
        torch.manual_seed(seed)
        net = RecurrentLM(net_cfg)
        model = cls(net, tokenizer, data_cfg, train_cfg)
        model.summary = {"train_symbols": int(len(train_ids)), "val_symbols": int(len(val_ids)),
                         "train_chars": len(train_text), "val_chars": len(val_text)}
        if sizing_note:
            model.summary["sizing"] = sizing_note
        chars_per_symbol = len(val_text) / max(1, len(val_ids)) if len(val_ids) else 1.0

        # -- trainer and callbacks -------------------------------------------------------------
        trainer = Trainer(net, train_data, val_data, train_cfg)
        best = {"weights": None, "saved": bool(resumed)}
        if resumed:
            weights, tstate, meta = ckpt.load_checkpoint(out)
            try:
                net.load_state_dict(weights)
            except RuntimeError as e:
                raise LstmkitError(f"{out}/checkpoint does not fit the saved model ({str(e).splitlines()[0][:100]}); train without --resume") from None
            trainer.load_resume_payload(tstate, meta)
            best["weights"] = {k: v.clone() for k, v in resumed[2].items()}  # the best so far stays the best
            model.summary.update({k: v for k, v in resumed[0].get("summary", {}).items() if k in ("best_eval", "sizing")})

        def add_bpc(t: Trainer) -> None:
            if "val_loss" in t.last_eval:
                t.last_eval["val_bits_per_symbol"] = t.last_eval["val_loss"] / math.log(2)
                t.last_eval["val_bits_per_char"] = t.last_eval["val_loss"] / math.log(2) / chars_per_symbol

        def keep_best(t: Trainer) -> None:
            if t.is_best or best["weights"] is None:
                best["weights"] = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
                model.summary.update(best_eval=t.last_eval)

        trainer.add_callback("on_eval", add_bpc)
        trainer.add_callback("on_checkpoint", keep_best)
        if out is not None:
            if not resume:  # a new run in an old directory: its history and checkpoint are not this run's
                (out / ckpt.METRICS).unlink(missing_ok=True)
                for stale in (ckpt.CHECKPOINT, ckpt.CHECKPOINT + ".old", ckpt.CHECKPOINT + ".tmp"):
                    shutil.rmtree(out / stale, ignore_errors=True)

            def save(t: Trainer) -> None:
                # The first save of a new run always writes the artifact, so config, tokenizer and
                # checkpoint never come from different runs.
                model._save_checkpoint(out, t, saving_best=t.is_best or not best["saved"])
                best["saved"] = True

            trainer.add_callback("on_eval", lambda t: append_metrics(out / ckpt.METRICS, t.last_eval))
            trainer.add_callback("on_checkpoint", save)
            add_tensorboard(trainer, out)
        if progress:
            add_progress_bar(trainer)
        for event, fn in callbacks:
            trainer.add_callback(event, fn)

        # -- fit --------------------------------------------------------------------------
        trainer.fit()
        model.summary.update(steps=trainer.state.step, epochs=trainer.state.epoch, elapsed_s=round(trainer.state.elapsed, 2),
                             symbols_seen=trainer.state.symbols, stop_reason=trainer.stop_reason,
                             symbols_per_s=round(trainer.last_step.get("symbols_per_s", 0.0), 1),
                             device=str(trainer.device), precision=str(trainer.amp_dtype or "float32").replace("torch.", ""))
        if best["weights"] is not None:
            net.load_state_dict(best["weights"])
        net.eval()
        interrupted = trainer.stop_reason.startswith("interrupted")
        if val_data is not None and not data_cfg.windows and not interrupted:  # whole validation text, state carried
            full = evaluate_loss(net, _eval_batches(val_ids), trainer.device, trainer.amp_dtype)
            model.summary["val"] = {"loss": full["loss"], "accuracy": full["acc"], "perplexity": full["ppl"],
                                    "bits_per_char": full["loss"] / math.log(2) / chars_per_symbol, "symbols": full["symbols"]}
        if out is not None:
            model.save(out)
        model.stop_reason = trainer.stop_reason
        return model

    def _save_checkpoint(self, out: Path, trainer: Trainer, saving_best: bool) -> None:
        """Best weights as the model artifact (when improved); the last state under ``checkpoint/``."""
        if saving_best:
            self.summary.update(best_eval=trainer.last_eval)
            self.save(out)
        tensors, meta = trainer.resume_payload()
        ckpt.save_checkpoint(out, self.net.state_dict(), tensors, meta)

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
        if length < 0:
            raise LstmkitError(f"--length {length} is negative; pass a length of 0 or more")
        prompt = self._prompt_ids(prime)
        if self._step_model is None:
            self._step_model = StepModel(self.net)
        return generate_streams(self._step_model, self.tokenizer, prompt, length, cfg, num_samples, seed, stop)

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

    def evaluate(self, sources=None, *, text: str | None = None, encoding: str = "utf-8", keep_boilerplate: bool = False) -> dict:
        """Loss (nats/symbol), perplexity, bits per symbol, bits per character and accuracy on a text.

        Bits per character divide the total bits by the number of characters, so models of different
        levels (char, word, bpe) can be compared on the same text.

        Example:
            lm.evaluate("held_out.txt")["bits_per_char"]
        """
        if text is None:
            text = read_text(sources, encoding=encoding, keep_boilerplate=keep_boilerplate)
        ids = self.tokenizer.encode(text)
        if len(ids) < 2:
            raise LstmkitError(f"the text encodes to {len(ids)} symbol(s); evaluation needs at least 2")
        m = evaluate_loss(self.net, _eval_batches(ids), next(self.net.parameters()).device)
        bits = m["loss"] * m["symbols"] / math.log(2)
        chars = len(text) * m["symbols"] / (len(ids) - 1)  # the characters those predicted symbols cover
        return {"loss": m["loss"], "perplexity": m["ppl"], "bits_per_symbol": m["loss"] / math.log(2),
                "bits_per_char": bits / chars, "accuracy": m["acc"], "symbols": m["symbols"], "chars": len(text)}

    # ------------------------------------------------------------------------ persistence
    def to_config(self) -> dict:
        return {"task": TASK, "net": self.net.config.to_dict(), "data": self.data_config.to_dict(),
                "train": self.train_config.to_dict(), "summary": self.summary}

    def save(self, path: str | Path) -> Path:
        """Write the model artifact directory (config, tokenizer, safetensors weights).

        Example:
            lm.save("runs/grimm")
        """
        path = ckpt.save_model(path, self.to_config(), self.tokenizer.to_dict(), self.net.state_dict())
        self.path = Path(path)
        return self.path

    @classmethod
    def load(cls, path: str | Path) -> "TextModel":
        """Load a model saved by ``save`` or ``lstmkit train`` (no training data needed).

        Example:
            lm = TextModel.load("runs/grimm")
        """
        config, tok, tensors = ckpt.load_model(path)
        if config.get("task") != TASK:
            raise LstmkitError(f"{path} holds a {config.get('task')!r} model, not a text model")
        try:
            net = RecurrentLM(NetConfig.from_dict(config["net"]))
            net.load_state_dict(tensors)
            data_cfg = TextDataConfig.from_dict(config.get("data", {}))
            train_cfg = TrainConfig.from_dict(config.get("train", {}))
        except (KeyError, TypeError, AttributeError, ValueError, RuntimeError) as e:
            if isinstance(e, LstmkitError):
                raise
            raise LstmkitError(f"{path}: config and weights do not match ({str(e).splitlines()[0][:160]}); retrain or restore the model") from None
        tokenizer = tokenizer_from_dict(tok)
        if tokenizer.vocab_size != net.config.vocab_size:
            raise LstmkitError(f"{path}: tokenizer has {tokenizer.vocab_size} symbols but the network {net.config.vocab_size}; the model is corrupt")
        net.eval()
        model = cls(net, tokenizer, data_cfg, train_cfg, config.get("summary", {}))
        model.path = Path(path)
        return model

    def info(self) -> dict:
        """Config, vocabulary size, parameter count and a training summary."""
        history = ckpt.read_metrics(self.path) if self.path else []
        return {"path": str(self.path) if self.path else None, "level": self.tokenizer.level,
                "vocab_size": self.tokenizer.vocab_size, "parameters": self.net.num_parameters(),
                "net": self.net.config.to_dict(), "data": self.data_config.to_dict(), "train": self.train_config.to_dict(),
                "summary": self.summary, "evaluations": len(history), "history": history}


# ---------------------------------------------------------------------------- helpers
def _merge(cls, base, **overrides):
    """Build ``cls`` from a base (instance or dict) plus the overrides that name its fields."""
    d = base.to_dict() if hasattr(base, "to_dict") else dict(base or {})
    names = {f.name for f in fields(cls)}
    d.update({k: v for k, v in overrides.items() if k in names and v is not None})
    return cls.from_dict(d)


def _prepare_out(out: Path) -> Path:
    """Check before training that ``out`` can hold a model, so a bad path fails in one line, not at the first save."""
    if out.exists() and not out.is_dir():
        raise LstmkitError(f"--out {out} exists and is not a directory; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LstmkitError(f"--out {out} cannot be created ({e.strerror}); choose another --out") from None
    if not os.access(out, os.W_OK):
        raise LstmkitError(f"--out {out} is not writable; choose another --out")
    return out
