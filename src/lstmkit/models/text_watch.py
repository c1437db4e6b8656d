"""What a user sees while a text model trains: the plan before the first step, samples at evaluations,
and the models of the last evaluations kept on disk.

The plan is the run's contract: the network, the batch, the precision, the budget and what it buys, and
why the defaults chose them. It is printed before the first step and kept in the model's summary
(``lstmkit info`` shows it again).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from .. import artifact
from ..generate import SamplingConfig, generate_streams, step_model
from ..train import Trainer

UNITS = {"char": "char", "word": "word", "bpe": "token"}
CHECKPOINTS = "checkpoints"


def _count(x: float) -> str:
    """5_312_000 -> '5.3M', 983_000 -> '983k'."""
    return f"{x / 1e6:.1f}M" if x >= 1e6 else f"{x / 1e3:.0f}k" if x >= 1e3 else f"{x:.0f}"


def saved_number(x, fmt: str, scale: float = 1.0) -> str:
    """``x`` formatted, or ``?`` when a saved value is missing or not a number (a corrupt history)."""
    return format(x * scale, fmt) if isinstance(x, (int, float)) and not isinstance(x, bool) else "?"


def sizing_line(net: dict, data: dict, sizing: dict, first: str = "") -> str:
    """Why the default width and batch were chosen, e.g. ``network fitted to the budget: 1x384, ...``; ``first``:
    the budget it was fitted to, when a resume has extended it since (``network fitted to the first budget (4 steps)``)."""
    from ..sizing import DATA_LIMITED_EPOCHS

    speed = f" at {saved_number(sizing.get('flops_per_s'), '.0f', 1e-9)} GFLOP/s" if "flops_per_s" in sizing else ""
    batch = (f"{data['batch_size']} windows of {data['windows']}" if data.get("windows")
             else f"{data['batch_size']} streams x {data['bptt']} steps")
    members = sizing.get("members", 1) if isinstance(sizing.get("members", 1), int) else 1
    each = " each" if members > 1 else ""
    line = (f"network fitted to the {f'first budget ({first})' if first else 'budget'}: {f'{members} networks of ' if members > 1 else ''}{net['layers']}x{net['hidden']}, "
            f"dropout {net.get('dropout', 0):g}, {batch}: "
            f"about {_count(sizing['budget_symbols']) if isinstance(sizing.get('budget_symbols'), (int, float)) else '?'} "
            f"training symbols{each}{speed}")
    if "epochs" in sizing:
        line += f", {saved_number(sizing.get('epochs'), '.1f')} epochs of the text{each}"
    if sizing.get("regime") == "data-limited":
        line += " (data-limited"
        if sizing.get("patience"):
            line += f": {sizing['patience']} evaluations without improvement"
            line += (f" send it back to the best weights at a quarter of the rate, {sizing['anneal']} times, then stop"
                     if sizing.get("anneal") else " stop it")
        if members > 1:
            line += f"; {members} networks, each given 1/{members} of the time, predict together (their distributions averaged)"
        if sizing.get("average"):
            line += f"; the saved weights are their moving average, decay {saved_number(sizing['average'], 'g')}"
        line += ")"
    elif sizing.get("regime") == "compute-limited":
        line += f" (compute-limited: at most {DATA_LIMITED_EPOCHS:g} passes over the text)"
    return line


def _minutes(m: float) -> str:
    """A budget as the plan names it: ``18 s`` under 10 minutes when not whole, else ``5 minutes``."""
    return f"{60 * m:.0f} s" if m < 10 and m != int(m) else f"{m:g} minute{'s' if m != 1 else ''}"


def plan_lines(model, trainer: Trainer, train_symbols: int) -> list[str]:
    """The plan, one or two lines: what will run, and (for fitted defaults) why.

    Example:
        plan: lstm 1x384 (716k parameters), 16 streams x 64 steps, float32 on cpu, budget 1 minute:
              about 1.6M training symbols, 1.7 passes over 983k training chars, 10 evaluations
        network fitted to the budget: 1x384, dropout 0, ... (compute-limited: at most 3 passes over the text)
    """
    net, data, tc = model.net.config, model.data_config, trainer.config
    unit = UNITS.get(data.level, "symbol")
    batch = (f"{data.batch_size} windows of {data.windows}" if data.windows else f"{data.batch_size} streams x {data.bptt} steps")
    precision = str(trainer.amp_dtype or "float32").replace("torch.", "")
    if tc.minutes is not None:
        budget = _minutes(tc.minutes)
    elif tc.steps is not None:
        budget = f"{tc.steps} steps"
    else:
        budget = f"{tc.epochs or 1:g} epochs"
    sizing = model.summary.get("sizing") or {}
    buys = ""
    symbols = sizing.get("budget_symbols")
    # a resume that extends the budget: the sizing note speaks of the first one (runs saved before it was
    # recorded keep their note's figures)
    first = {k: sizing[f"for_{k}"] for k in ("minutes", "steps", "epochs") if f"for_{k}" in sizing} or None
    extended = first is not None and first != tc.budget()
    if extended:
        minutes = first.get("minutes")
        symbols = (symbols * tc.minutes / minutes if isinstance(symbols, (int, float)) and isinstance(minutes, (int, float))
                   and minutes > 0 and tc.minutes is not None else None)  # the same rate over the whole new time
    if symbols is None and trainer.total_steps is not None:  # steps and epochs budgets say it exactly
        symbols = trainer.total_steps * trainer.train_data.symbols_per_step
    if isinstance(symbols, (int, float)) and train_symbols:
        each = " each" if net.members > 1 else ""
        buys = (f": about {_count(symbols)} training symbols{each}, {symbols / train_symbols:.1f} passes{each} over "
                f"{_count(train_symbols)} training {unit}s")
    evals = f"an evaluation every {tc.eval_every} steps" if tc.eval_every else f"{tc.evals} evaluations"
    members = f"{net.members} x " if net.members > 1 else ""
    line = (f"plan: {net.cell} {members}{net.layers}x{net.hidden} ({_count(model.net.num_parameters())} parameters), "
            f"dropout {net.dropout:g}, {batch}, {precision} on {trainer.device.type}, budget {budget}{buys}, {evals}")
    if tc.patience:
        line += f", early stopping after {tc.patience} without improvement" + (f" ({tc.anneal} anneals first)" if tc.anneal else "")
    if tc.average:
        line += f", weights averaged (decay {tc.average:g})"
    lines = [line]
    if sizing:
        was = ", ".join(_minutes(v) if k == "minutes" else f"{v:g} {k}" for k, v in first.items()) if extended else ""
        lines.append(sizing_line(net.to_dict(), data.to_dict(), sizing, was))
    return lines


def add_samples(trainer: Trainer, model, every: int, prompt: str, temperatures, length: int, seed: int) -> None:
    """Every ``every`` evaluations, a note with a ``length``-symbol sample of the current weights at each
    of ``temperatures`` (Keras's text-generation example shows several side by side)."""
    temps = [float(temperatures)] if isinstance(temperatures, (int, float)) else [float(x) for x in temperatures]

    def sample(t: Trainer) -> None:
        if t.state.evals_done % every:
            return
        steps = step_model(model.net)  # a NumPy copy of the weights as they are now; sampling has its own RNG
        ids = model._prompt_ids(prompt)
        for temp in temps:
            pieces = generate_streams(steps, model.tokenizer, ids, length, SamplingConfig(temperature=temp), 1, seed, None)
            text = prompt + "".join(piece for _, piece in pieces)
            t.note(f"--- sample at step {t.state.step}, temperature {temp:g} ---\n{text}")

    trainer.add_callback("on_eval", sample)


def checkpoint_name(step: int, val_loss: float | None) -> str:
    """``step000120-val1.4040``: sorted by step, the validation loss readable in a listing (char-rnn's habit)."""
    return f"step{step:06d}" + (f"-val{val_loss:.4f}" if val_loss is not None else "")


def add_kept_checkpoints(trainer: Trainer, model, out: Path, keep: int) -> None:
    """After each evaluation, a loadable model of the current weights in ``out/checkpoints/NAME``; only the
    last ``keep`` are kept. ``lstmkit generate out/checkpoints/NAME`` uses one like any model."""
    root = out / CHECKPOINTS

    def save(t: Trainer) -> None:
        if not t.last_eval or t.last_eval.get("step") != t.state.step:
            return  # a checkpoint after an early stop or a signal, not an evaluation
        name = checkpoint_name(t.state.step, t.last_eval.get("val_loss"))
        summary = {**model.summary, "best_eval": dict(t.last_eval)}
        config = {**model.to_config(), "summary": summary}
        artifact.save_model(root / name, config, {"tokenizer": model.tokenizer.to_dict()}, model.net.state_dict())
        kept = sorted((p for p in root.iterdir() if re.fullmatch(r"step\d{6}(-val[\d.]+)?", p.name)), key=lambda p: p.name)
        for old in kept[:-keep]:
            shutil.rmtree(old, ignore_errors=True)

    trainer.add_callback("on_checkpoint", save)
