"""The training flow of ``Seq2Seq.fit``, top to bottom.

Check the pairs -> the run directory (locked; a resume reloads the saved run and refuses changed settings)
-> a seeded held-out part -> one tokenizer per side -> ids -> the encoder-decoder -> ``Trainer.fit`` with
early stopping on the validation loss, greedy exact match at each evaluation, the best weights kept, and
the model, checkpoint and metrics saved as one set at each evaluation. ``Seq2Seq`` (``models/seq2seq.py``)
holds what a trained model does.
"""
from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from .. import artifact, checkpoint, fileset, rundir
from ..callbacks import add_curves, add_note_printer, add_progress_bar, prepare_curves
from ..data.pairs import DECODE_BATCH, PairBatches, checked_pairs, side_tokenizer
from ..configs import python_scalars
from ..errors import LstmkitError
from ..train import TrainConfig, Trainer
from ..train_config import check_budget, check_lr
from .seq2seq_net import SOURCE_OFFSET, TARGET_OFFSET, Seq2SeqNet, Seq2SeqNetConfig

M = TypeVar("M")  # the model class (Seq2Seq); not imported, which would make the two modules import each other

EVALS, PATIENCE = 20, 4  # early stopping: no 1 % gain in validation loss over 4 of 20 evaluations ends the run
STALLED = f"no 1 % gain in validation loss over {PATIENCE} evaluations"  # the stop reason it records
VAL_DECODE = 500  # held-out pairs decoded greedily at each evaluation, for the exact-match figure


def fit(model: M, pairs, *, minutes: float | None = None, steps: int | None = None, epochs: float | None = None,
        batch_size: int | None = None, lr: float | None = None, val_fraction: float | None = None, val_pairs=None,
        out: str | Path | None = None, resume: bool = False, overwrite: bool = False, progress: bool = False,
        notes=None) -> M:
    """``Seq2Seq.fit``: train ``model`` on ``pairs`` (see its arguments there) and return it."""
    say = notes or (lambda m: None)
    steps, epochs, minutes, batch_size, lr, val_fraction = (python_scalars(v) for v in (steps, epochs, minutes, batch_size, lr, val_fraction))
    if val_pairs is not None and val_fraction is not None:
        raise LstmkitError("val_pairs are the held-out pairs, and val_fraction would hold out a share of the others: pass one of the two")
    pairs = checked_pairs(pairs)
    if resume and out is None:
        raise LstmkitError("--resume needs --out: the directory of the run to continue")
    given = {k: v for k, v in (("batch_size", batch_size), ("lr", lr), ("val_fraction", val_fraction)) if v is not None}
    if val_fraction is not None and not 0.0 <= val_fraction < 0.9:
        raise LstmkitError(f"--val-fraction {val_fraction} is out of range; pass 0 (no validation) or more, below 0.9")
    if batch_size is not None and (not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1):
        raise LstmkitError(f"--batch-size {batch_size!r} must be a positive whole number")
    if lr is not None:
        check_lr(lr)
    check_budget(steps, epochs, minutes)
    c = model.config
    if not resume and c.lowercase and "word" not in (c.source_level, c.target_level):
        raise LstmkitError("--lowercase lowercases word-level sides, and both sides are char level, where case is kept; "
                           "drop --lowercase, or pass --source-level word or --target-level word")
    budget = {k: v for k, v in (("minutes", minutes), ("steps", steps), ("epochs", epochs)) if v is not None}
    out = Path(out) if out is not None else None
    if out is not None:
        prepare_curves()
    claim = rundir.claim(out, resume=resume, overwrite=overwrite) if out is not None else contextlib.nullcontext()
    with claim as run:
        saved = None
        if resume:  # the saved run's settings, tokenizers and network; only the budget may change
            saved = type(model).load(out)
            have = {**saved.shape, "source_level": saved.config.source_level, "target_level": saved.config.target_level,
                    "lowercase": saved.config.lowercase}
            changed = [f"--{k.replace('_', '-')} {v!r} (saved {have[k]!r})" for k, v in getattr(model, "given", {}).items() if have.get(k) != v]
            if changed:
                raise LstmkitError(f"--resume continues the saved network, whose shape differs: {', '.join(changed)}; "
                                   "drop those options or train a new run")
            if getattr(model, "seed_given", False) and model.seed != saved.seed:  # its split and order follow its seed
                raise LstmkitError(f"--resume continues the saved run, whose settings differ: --seed {model.seed} (saved {saved.seed}); "
                                   "drop --seed or train a new run")
            model.config, model.shape, model.seed = saved.config, saved.shape, saved.seed
            model.src_tok, model.tgt_tok, model.net = saved.src_tok, saved.tgt_tok, saved.net
            model.summary = dict(saved.summary)
            clash = [f"--{k.replace('_', '-')} {v!r} (saved {saved.fit_settings.get(k)!r})" for k, v in given.items()
                     if saved.fit_settings.get(k) is not None and saved.fit_settings[k] != v]
            if clash:
                raise LstmkitError(f"--resume continues the saved run, whose settings differ: {', '.join(clash)}; "
                                   f"drop those options or train a new run")
            model.fit_settings = dict(saved.fit_settings)
            tc_saved = saved.train_config.to_dict()
            saved_budget = {k: tc_saved[k] for k in ("minutes", "epochs", "steps") if tc_saved.get(k) is not None}
            tc = TrainConfig(**{**tc_saved, "minutes": None, "epochs": None, "steps": None, **(budget or saved_budget)})
        else:
            model.summary = {}
            model.fit_settings = {"batch_size": 64, "lr": 3e-3, "val_fraction": 0.05, **given}
            tc = TrainConfig(**(budget or {"minutes": 5.0}), lr=model.fit_settings["lr"], seed=model.seed, evals=EVALS, warmup=0.02, min_lr_ratio=0.02,
                             clip=1.0, device="cpu", precision="fp32")
        # -- split: a held-out part (seeded), or the given validation pairs -----------------------
        batch_size, val_fraction = model.fit_settings["batch_size"], model.fit_settings["val_fraction"]
        order = np.random.default_rng(model.seed).permutation(len(pairs))
        if val_pairs is not None:
            train_pairs, held = pairs, checked_pairs(val_pairs)
        else:
            n_val = min(2000, int(round(val_fraction * len(pairs)))) if len(pairs) >= 20 else 0
            held = [pairs[i] for i in order[:n_val]]
            train_pairs = [pairs[i] for i in order[n_val:]]
        # -- tokenizers and the network ------------------------------------------------------
        c = model.config
        if not saved:
            model.src_tok = side_tokenizer([s for s, _ in train_pairs], c.source_level, c.lowercase)
            model.tgt_tok = side_tokenizer([t for _, t in train_pairs], c.target_level, c.lowercase)
        src = [model._encode_side(s, "source") for s, _ in train_pairs]
        tgt = [model._encode_side(t, "target") for _, t in train_pairs]
        held = [(s, t) for s, t in held if model._known(s, t)]  # a held-out pair with symbols training never saw cannot be scored
        if not saved:
            c.max_target = int(2 * max(len(t) for t in tgt) + 10)
            torch.manual_seed(model.seed)
            model.net = Seq2SeqNet(Seq2SeqNetConfig(src_vocab=model.src_tok.vocab_size + SOURCE_OFFSET,
                                                   tgt_vocab=model.tgt_tok.vocab_size + TARGET_OFFSET, **model.shape))
        model.train_config = tc
        train = PairBatches(src, tgt, batch_size, seed=model.seed)
        val = None
        if held:
            val = PairBatches([model._encode_side(s, "source") for s, _ in held], [model._encode_side(t, "target") for _, t in held],
                              # Bahdanau's scores are (B, T, S, H): its teacher-forced evaluation batches stay small
                              DECODE_BATCH if model.net.config.attention != "bahdanau" else batch_size, shuffle=False)
        net = model.net
        n_par = sum(p.numel() for p in net.parameters())
        plan = (f"plan: {len(train_pairs):,} pairs ({c.source_level} -> {c.target_level}, {model.src_tok.vocab_size} -> "
                f"{model.tgt_tok.vocab_size} symbols), {len(held):,} held out; {'bidirectional ' if net.config.bidirectional else ''}"
                f"{net.config.layers}x{net.config.hidden} {net.config.cell} encoder-decoder, {net.config.attention} attention, "
                f"{n_par:,} parameters; batch {train.batch_size}, {_budget_text(tc)}"
                + (", stopping early when validation stalls" if val is not None else
                   f", no validation ({'--val-fraction 0' if not val_fraction and val_pairs is None else 'too few pairs'})"))

        # -- trainer: early stopping on the validation loss, the best weights kept, saved at each evaluation
        trainer = Trainer(net, train, val, tc)
        history = artifact.read_metrics(out)[0] if saved else []
        best = {"weights": {k: v.clone() for k, v in net.state_dict().items()} if saved else None,
                "mark": math.inf, "stall": 0}
        for row in history:  # a resumed run's early stopping stands where it stood; an extension starts it afresh
            if row.get("event") == "replan":
                best["stall"] = 0
            elif isinstance(row.get("val_loss"), (int, float)):
                _stalled(best, row["val_loss"])
        if saved:
            checkpoint.resume_into(out, net, trainer)
            if budget and budget != saved_budget and trainer.remaining() > 0:
                history.append({"step": trainer.state.step, "event": "replan", "elapsed": round(trainer.state.elapsed, 3), **trainer.replan()})
                best["stall"] = 0
            elif trainer.state.finished or trainer.remaining() <= 0:
                net.load_state_dict(best["weights"])  # the saved model, not the checkpoint's last step
                net.eval()
                why = str(model.summary.get("stop_reason") or "")
                done = f"stopped early ({why})" if why == STALLED else "has already spent its budget"
                say(f"{out} {done} at step {trainer.state.step} of {_budget_text(tc)}; nothing to do, the model is unchanged — "
                    "to train on, pass a larger budget with --resume")
                model.stop_reason = "budget spent"
                return model
        model.held_out = held  # this fit's held-out pairs (not saved), for a report after it
        val_sample = held[:VAL_DECODE]

        def on_eval(t: Trainer) -> None:
            v = t.last_eval.get("val_loss")
            if v is None:
                return
            net.eval()
            t.last_eval["val_exact"] = model._exact(val_sample, beam=1)
            net.train()
            if _stalled(best, v):
                t.request_stop(STALLED)
            history.append(dict(t.last_eval))

        def keep(t: Trainer) -> None:
            if t.is_best or best["weights"] is None:
                best["weights"] = {k: v.detach().clone() for k, v in net.state_dict().items()}
                model.summary["best_eval"] = dict(t.last_eval)

        trainer.add_callback("on_eval", on_eval)
        trainer.add_callback("on_checkpoint", keep)
        if progress:
            add_progress_bar(trainer, "token")
        elif notes:
            add_note_printer(trainer)
        trainer.add_callback("on_start", lambda t: t.note(plan) if progress or notes else None)
        if out is not None:
            def save(t: Trainer) -> None:
                with fileset.Transaction(out) as tx:
                    if t.is_best or run.first_save:
                        artifact.stage_model(tx, model.to_config(), model._parts(), best["weights"] or net.state_dict())
                    tensors, meta = t.resume_payload()
                    checkpoint.stage_checkpoint(tx, net.state_dict(), tensors, meta)
                    tx.write_bytes(artifact.METRICS, artifact.metrics_bytes(history))
                run.first_save = False

            trainer.add_callback("on_checkpoint", save)
            add_curves(trainer, out, history, "token", title=f"{out.name}: {net.config.attention} attention, {c.source_level} -> {c.target_level}")

        # -- fit -------------------------------------------------------------------------
        t0 = time.perf_counter()
        trainer.fit()
        if best["weights"] is not None:
            net.load_state_dict(best["weights"])
        net.eval()
        model.summary.update(pairs=len(train_pairs), val_pairs=len(held), steps=trainer.state.step, epochs=trainer.state.epoch,
                            elapsed_s=round(trainer.state.elapsed, 2), fit_s=round(time.perf_counter() - t0, 2),
                            stop_reason=trainer.stop_reason, parameters=n_par,
                            tokens_per_s=round(trainer.last_step.get("symbols_per_s", 0.0), 1))
        if held and not trainer.stop_reason.startswith("interrupted"):
            model.summary["val"] = {"exact_match": model._exact(held, beam=1), "pairs": len(held),
                                   "loss": model.summary.get("best_eval", {}).get("val_loss")}
        model.stop_reason = trainer.stop_reason
        if out is not None:
            model.save(out)
    return model


def _stalled(best: dict, v: float) -> bool:
    """Early stopping's rule, one evaluation at a time: True once the validation loss has not gained 1 %
    (and 2e-4 nats: not the last digits of a solved task) over ``PATIENCE`` evaluations."""
    if v < 0.99 * best["mark"] - 2e-4:
        best.update(mark=v, stall=0)
        return False
    best["stall"] += 1
    return best["stall"] >= PATIENCE


def _budget_text(tc: TrainConfig) -> str:
    if tc.steps:
        return f"{tc.steps:,} steps"
    if tc.epochs:
        return f"{tc.epochs:g} passes"
    return f"{tc.minutes:g} minutes"
