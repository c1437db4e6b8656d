"""The training flow of ``TextModel.train``, top to bottom.

Read and clean text -> split off validation -> fit the tokenizer -> encode -> fit the network and
batch to the budget -> batch (contiguous streams or windows) -> build the network -> ``Trainer.fit``
with a progress bar, a metrics log and checkpoints -> the best weights, scored on the whole
validation text. ``TextModel`` (``models/text.py``) holds what a trained model does.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from dataclasses import fields
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import numpy as np
import torch

from .. import artifact, checkpoint, fileset, rundir
from ..callbacks import add_curves, add_note_printer, add_progress_bar, add_tensorboard, prepare_curves
from ..data.corpora import load_corpus
from ..data.text import split_text
from ..errors import LstmkitError
from ..nn import language_model
from ..recipes import apply_recipe
from ..tokenize import fit_tokenizer
from ..train import TrainConfig, Trainer, evaluate_loss
from . import text_watch
from .text_batches import eval_batches, make_batches
from .text_settings import VAL_BLOCKS, TextDataConfig, default_settings, default_val_fraction, fit_shape

M = TypeVar("M")  # the model class (TextModel); not imported, which would make the two modules import each other


def train(cls: type[M], sources: str | Path | Iterable[str | Path] | None = None, *, text: str | None = None,
          corpus: str | None = None, out: str | Path | None = None, recipe: str | None = None,
          level: str | None = None, minutes: float | None = None, epochs: float | None = None,
          steps: int | None = None, hidden: int | None = None, layers: int | None = None, embed: int | None = None,
          dropout: float | None = None, cell: str | None = None, tie_weights: bool | None = None,
          one_hot: bool | None = None, index_input: bool | None = None, seed: int | None = None, resume: bool = False,
          overwrite: bool = False, progress: bool = True, encoding: str = "utf-8", keep_boilerplate: bool = False,
          val_file: str | Path | None = None, sample_every: int = 0, sample_prompt: str = "",
          sample_temperature: float | Iterable[float] = 0.8, sample_length: int = 200, keep_checkpoints: int = 0,
          notes: bool | None = None,
          data: TextDataConfig | dict | None = None, train: TrainConfig | dict | None = None,
          callbacks: Iterable[tuple[str, Callable]] = (), **options) -> M:
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
        seed: makes a CPU run exactly reproducible (default 0; a resumed run keeps its own, and refuses another).
        resume: continue the run saved in ``out``.
        overwrite: replace a model already in ``out`` (refused otherwise); the old files stay until this
            run's first save replaces them as one set.
        progress: show a progress bar on stderr, and the plan, samples and plateaus above it.
        val_file: validate on this text instead of holding part of the training text out.
        sample_every: print a ``sample_length``-symbol sample every this many evaluations (0 = none),
            from ``sample_prompt`` at ``sample_temperature`` (one value or several).
        notes: print the plan, samples and plateaus on stderr (default: with ``progress``).
        keep_checkpoints: keep the models of the last this many evaluations in ``out/checkpoints/``,
            each a loadable model directory named by its step and validation loss.
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
    net_args = {k: opts.pop(k) for k in ("hidden", "layers", "embed", "dropout", "cell", "tie_weights", "one_hot", "index_input",
                                        "members") if k in opts}
    budget = {k: opts.pop(k) for k in ("minutes", "epochs", "steps") if opts.get(k) is not None}
    unknown = set(opts) - {f.name for f in fields(TextDataConfig)} - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise LstmkitError(f"unknown option(s) {', '.join(sorted(unknown))}")
    for name, base, cls_ in (("data", data, TextDataConfig), ("train", train, TrainConfig)):
        stray = sorted(map(str, set(base) - {f.name for f in fields(cls_)})) if isinstance(base, dict) else []
        if stray:  # a misspelt key would be dropped unsaid, and its default trained with
            raise LstmkitError(f"unknown {name}= option(s) {', '.join(stray)}; see help(lstmkit.{cls_.__name__})")
    if resume and out is None:
        raise LstmkitError("--resume needs --out: the directory of the run to continue")
    if resume and overwrite:
        raise LstmkitError("pass --resume (continue the saved run) or --overwrite (replace it), not both")
    # -- the text's source: files, text=..., or a corpus (a recipe's own corpus gives way to files) -------
    if sources is not None and not isinstance(sources, (str, Path)):
        sources = list(sources)  # once: a generator read here would be empty when the files are loaded
    if sources is not None and (not sources if isinstance(sources, list) else not str(sources).strip()):
        raise LstmkitError("no input given: the list of files or the file name is empty; pass files, text=..., "
                           "or leave them out for the built-in corpus")
    if sum(x is not None for x in (sources, text, given.get("corpus"))) > 1:
        raise LstmkitError("pass one source of text: files, text=... or corpus=..., not several")
    if sample_every < 0 or keep_checkpoints < 0 or sample_length < 1:
        raise LstmkitError(f"--sample-every {sample_every} and --keep-checkpoints {keep_checkpoints} must be >= 0, "
                           f"--sample-length {sample_length} >= 1")
    temps = [sample_temperature] if isinstance(sample_temperature, (int, float)) else list(sample_temperature)
    bad = [t for t in temps if not t > 0]
    if bad or not temps:
        raise LstmkitError(f"--sample-temperature {bad[0] if bad else '(none)'} must be positive; 0 would be greedy "
                           f"decoding, which 'lstmkit generate --greedy' does")
    if keep_checkpoints and out is None:
        raise LstmkitError("--keep-checkpoints needs --out: the directory to keep them in")
    if opts.get("stride") not in (None, 1) and not opts.get("windows"):
        raise LstmkitError(f"--stride {opts['stride']} only applies with --windows; add --windows L or drop --stride")
    # -- the run directory: locked for the whole run, never replaced by accident (rundir) -------
    out = Path(out) if out is not None else None
    if out is not None:
        prepare_curves()
    claim = rundir.claim(out, resume=resume, overwrite=overwrite) if out is not None else contextlib.nullcontext()
    with claim as run:
        resumed = cls.load(out) if resume else None
        if resumed:
            # Continue the saved run with its own settings; only the budget and the hardware may change.
            saved_config = resumed.to_config()
            saved = {**saved_config["data"], **saved_config["train"], **saved_config["net"]}
            fixed = {k: v for k, v in {**opts, **net_args}.items() if k not in ("device", "precision")}
            clash = [f"{k}={v!r} (saved {saved[k]!r})" for k, v in fixed.items() if v is not None and k in saved and saved[k] != v]
            if seed is not None and seed != saved_config["train"].get("seed", 0):
                clash.append(f"seed={seed!r} (saved {saved_config['train'].get('seed', 0)!r})")
            if clash:
                raise LstmkitError(f"--resume continues the saved run, whose settings differ: {', '.join(clash)}; drop those options or train a new run")
            data, train = saved_config["data"], dict(saved_config["train"])
            saved_budget = {k: train.get(k) for k in ("minutes", "epochs", "steps") if train.get(k) is not None}
            if val_file is None:
                val_file = resumed.summary.get("val_file")
            if budget:
                train.update(minutes=None, epochs=None, steps=None)
            seed = train.get("seed", 0)
        seed = 0 if seed is None else seed
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
        val_given = None
        if val_file is not None:  # a separate validation text: the whole training text is trained on
            if opts.get("val_fraction"):
                raise LstmkitError(f"--val-file {val_file} replaces --val-fraction {opts['val_fraction']}; pass one of them")
            val_given = load_corpus([val_file], encoding=encoding, keep_boilerplate=keep_boilerplate)
            data_cfg = dataclasses.replace(data_cfg, val_fraction=0.0)
        elif data is None and opts.get("val_fraction") is None:  # not given: what selection reads (text_settings)
            data_cfg = dataclasses.replace(data_cfg, val_fraction=default_val_fraction(data_cfg.level, len(text)))
        if data is None and opts.get("val_blocks") is None:
            data_cfg = dataclasses.replace(data_cfg, val_blocks=VAL_BLOCKS)
        train_text, val_text = split_text(text, data_cfg.val_fraction, data_cfg.val_blocks)
        if val_given is not None:
            val_text = val_given
        if resumed:
            tokenizer = resumed.tokenizer
        else:
            # char: every symbol of the files (a validation file's too) is known
            fit_on = (text + (val_given or "")) if data_cfg.level == "char" else train_text
            tokenizer = fit_tokenizer(fit_on, data_cfg.level, max_vocab=data_cfg.max_vocab, min_freq=data_cfg.min_freq,
                                      vocab_size=data_cfg.vocab_size, lowercase=data_cfg.lowercase)
        if tokenizer.vocab_size < 2:
            raise LstmkitError(f"the text has only {tokenizer.vocab_size} distinct symbol(s); a model needs at least 2 — use a more varied text")
        if sample_every and sample_prompt:
            try:  # now, not at the first sample midway through training: a character the text lacks ends the run
                tokenizer.encode(sample_prompt)
            except LstmkitError as e:
                raise LstmkitError(f"--sample-prompt: {e}") from None
        train_ids = tokenizer.encode(train_text)
        val_ids = tokenizer.encode(val_text) if val_text else np.zeros(0, np.int64)

        # -- network shape and batch rows, fitted to the budget where not given --------------------
        sizing_note: dict = {}
        if resumed:
            net_cfg = resumed.net.config
        else:
            net_cfg, data_cfg, train_cfg, sizing_note = fit_shape(net_defaults, net_args, train_cfg, data_cfg, len(train_ids),
                                                                  tokenizer.vocab_size, fit_rows, opts, train is not None)
        if train_cfg.anneal and not train_cfg.patience:
            raise LstmkitError(f"--anneal {train_cfg.anneal} acts after --patience evaluations without improvement, and "
                               "patience is off for this run (the default sets it only when the budget buys more than "
                               "3 passes over the text); add --patience N or drop --anneal")

        # -- batches -------------------------------------------------------------------------
        train_data, val_data = make_batches(data_cfg, train_ids, val_ids, seed, val_file)

        # -- network -------------------------------------------------------------------------
        torch.manual_seed(seed)
        net = language_model(net_cfg)
        model = cls(net, tokenizer, data_cfg, train_cfg)
        model.summary = {"train_symbols": int(len(train_ids)), "val_symbols": int(len(val_ids)),
                         "train_chars": len(train_text), "val_chars": len(val_text)}
        if val_file is not None:
            model.summary["val_file"] = str(val_file)
        if sizing_note:
            model.summary["sizing"] = sizing_note
        chars_per_symbol = len(val_text) / max(1, len(val_ids)) if len(val_ids) else 1.0

        # -- trainer and callbacks -------------------------------------------------------------
        trainer = Trainer(net, train_data, val_data, train_cfg)
        best = {"weights": None, "saved": bool(resumed)}
        history = artifact.read_metrics(out)[0] if resume else []  # the evaluation rows (metrics.jsonl)
        if resumed:
            checkpoint.resume_into(out, net, trainer)
            best["weights"] = {k: v.clone() for k, v in resumed.net.state_dict().items()}  # the best so far stays the best
            model.summary.update({k: v for k, v in resumed.summary.items() if k in ("best_eval", "sizing", "plan")})
            # A larger budget re-plans what is left (``Trainer.replan``); a run whose budget is spent is
            # left exactly as it is.
            extended = bool(budget) and budget != saved_budget and trainer.remaining() > 0
            if extended:
                history.append({"step": trainer.state.step, "event": "replan", "elapsed": round(trainer.state.elapsed, 3),
                                **trainer.replan()})
            elif trainer.state.finished or trainer.remaining() <= 0:
                resumed.stop_reason = "budget spent"
                resumed.spent = sp = {**saved_budget, "elapsed_s": round(trainer.state.elapsed, 1), "steps": trainer.state.step}
                if progress if notes is None else notes:
                    had = ", ".join(f"{k} {v:g}" for k, v in sp.items() if k in ("minutes", "epochs", "steps"))
                    print(f"{out} has already spent its budget ({had}: {sp['steps']} steps, {sp['elapsed_s']:g}s); nothing to do, "
                          f"the model is unchanged — to extend it, pass a larger budget with --resume (e.g. --minutes 10 for 10 minutes "
                          "in all)", file=sys.stderr, flush=True)
                return resumed
        unit = text_watch.UNITS.get(data_cfg.level, "symbol")

        def add_bpc(t: Trainer) -> None:
            if "val_loss" in t.last_eval:
                t.last_eval["val_bits_per_symbol"] = t.last_eval["val_loss"] / math.log(2)
                t.last_eval["val_bits_per_char"] = t.last_eval["val_loss"] / math.log(2) / chars_per_symbol

        def keep_best(t: Trainer) -> None:
            if t.is_best or best["weights"] is None:
                best["weights"] = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
                model.summary.update(best_eval=t.last_eval)

        trainer.add_callback("on_eval", add_bpc)
        trainer.add_callback("on_eval", lambda t: history.append(dict(t.last_eval)))
        trainer.add_callback("on_anneal", lambda t: history.append(
            {"step": t.state.step, "event": "anneal", "elapsed": round(t.elapsed(), 3), "lr_scale": t.state.lr_scale}))
        trainer.add_callback("on_checkpoint", keep_best)
        if progress:
            add_progress_bar(trainer, unit)
        elif notes:
            add_note_printer(trainer)
        plan = text_watch.plan_lines(model, trainer, len(train_ids))
        if not resumed or extended:
            model.summary["plan"] = "\n".join(plan)
        trainer.add_callback("on_start", lambda t: [t.note(line) for line in plan])
        if sample_every:
            text_watch.add_samples(trainer, model, sample_every, sample_prompt, temps, sample_length, seed)
        if out is not None:
            # The history is rewritten with each save, in the same set as the model and the checkpoint,
            # so after a crash the three agree; a new run starts it afresh.
            def save(t: Trainer) -> None:
                # The first save of a new run always writes the artifact, so config, tokenizer and
                # checkpoint never come from different runs; it replaces an overwritten run's files.
                with fileset.Transaction(out) as tx:
                    model._stage_save(tx, t, saving_best=t.is_best or run.first_save)
                    tx.write_bytes(artifact.METRICS, artifact.metrics_bytes(history))
                run.first_save = False

            trainer.add_callback("on_checkpoint", save)
            add_curves(trainer, out, history, unit, title=f"{out.name}: {net_cfg.layers}x{net_cfg.hidden} {net_cfg.cell}, {data_cfg.level} level")
            if keep_checkpoints:
                text_watch.add_kept_checkpoints(trainer, model, out, keep_checkpoints)
            add_tensorboard(trainer, out, fresh=not resume)
        for event, fn in callbacks:
            trainer.add_callback(event, fn)

        # -- fit --------------------------------------------------------------------------
        trainer.fit()
        model.summary.update(steps=trainer.state.step, epochs=trainer.state.epoch, elapsed_s=round(trainer.state.elapsed, 2),
                             symbols_seen=trainer.state.symbols, stop_reason=trainer.stop_reason, anneals=trainer.state.anneals,
                             symbols_per_s=round(trainer.last_step.get("symbols_per_s", 0.0), 1),
                             device=str(trainer.device), precision=str(trainer.amp_dtype or "float32").replace("torch.", ""))
        if best["weights"] is not None:
            net.load_state_dict(best["weights"])
        net.eval()
        interrupted = trainer.stop_reason.startswith("interrupted")
        if val_data is not None and not data_cfg.windows and not interrupted:  # whole validation text, state carried
            full = evaluate_loss(net, eval_batches(val_ids), trainer.device, trainer.amp_dtype)
            model.summary["val"] = {"loss": full["loss"], "accuracy": full["acc"], "perplexity": full["ppl"],
                                    "bits_per_char": full["loss"] / math.log(2) / chars_per_symbol, "symbols": full["symbols"]}
        if out is not None:
            model.save(out)
        model.stop_reason = trainer.stop_reason
        return model


# ---------------------------------------------------------------------------- helpers
def _merge(cls, base, **overrides):
    """Build ``cls`` from a base (instance or dict) plus the overrides that name its fields."""
    # Built directly, not with the file-checking ``from_dict``: these are the caller's own options, and
    # ``__post_init__`` names them as the command line does (--lr, --hidden).
    d = base.to_dict() if hasattr(base, "to_dict") else dict(base or {})
    names = {f.name for f in fields(cls)}
    d.update({k: v for k, v in overrides.items() if k in names and v is not None})
    return cls(**{k: v for k, v in d.items() if k in names})
