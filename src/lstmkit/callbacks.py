"""Trainer callbacks that report: a progress bar, notes on stderr, learning curves, TensorBoard events.

Each ``add_*`` function subscribes to a ``Trainer``'s events; the trainer itself prints nothing. A task
says what its symbols are called (``unit``: char, word, token, step...) so that the bar and the curves
read naturally: ``loss 1.139 nats/char``, ``78.6k char/s``.
"""
from __future__ import annotations

import io
import math
import sys
import time
from pathlib import Path

from .atomic import write_bytes_atomic
from .train import Trainer

CURVES = "curves.png"


def add_tensorboard(trainer: Trainer, out: Path, fresh: bool = True) -> None:
    """Evaluation scalars under ``out/tensorboard`` (``tensorboard --logdir out/tensorboard``), if installed.
    ``fresh``: a new run (not a resumed one), so the event files an overwritten run left there go at the first
    checkpoint, with the rest of its history, and its curves are not drawn over the new run's steps."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is an optional extra
        return
    writer = {}
    old = set((out / "tensorboard").glob("events.out.tfevents.*")) if fresh else set()

    def drop_old(t: Trainer) -> None:
        for f in old:
            f.unlink(missing_ok=True)
        old.clear()

    def log(t: Trainer) -> None:
        if "w" not in writer:
            writer["w"] = SummaryWriter(str(out / "tensorboard"))
        for k, v in t.last_eval.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("step",):
                writer["w"].add_scalar(k, v, t.last_eval["step"])
        writer["w"].flush()

    trainer.add_callback("on_eval", log)
    trainer.add_callback("on_checkpoint", drop_old)  # after the save, registered before it
    trainer.add_callback("on_end", lambda t: writer["w"].close() if "w" in writer else None)


def _rate(x: float) -> str:
    """78611 -> '78.6k'."""
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.0f}"


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60:02d}:{rest % 60:02d}"


def bar_postfix(t: Trainer, unit: str) -> str:
    """``loss 1.139 nats/char · best val 1.404 · 78.6k char/s`` from the last step and the best evaluation."""
    s = t.last_step
    parts = [f"loss {s['loss']:.3f} nats/{unit}"] if "loss" in s else []
    if math.isfinite(t.state.best_val):
        parts.append(f"best val {t.state.best_val:.3f}")
    if s.get("symbols_per_s"):
        parts.append(f"{_rate(s['symbols_per_s'])} {unit}/s")
    return " · ".join(parts)


def add_progress_bar(trainer: Trainer, unit: str = "symbol") -> None:
    """A tqdm bar on stderr: elapsed and remaining time, the loss with its unit, the best validation loss
    so far and the speed; notes (the plan, samples, plateaus, rollbacks) are written above it.

    A minutes budget counts seconds of the whole run, resumes included, so a resumed run's bar starts
    where the last one stopped and its remaining time is measured from this process's own pace.
    """
    from tqdm import tqdm

    bar: dict = {}

    def start(t: Trainer) -> None:
        total = t.total_steps
        bar["minutes"] = total is None
        if bar["minutes"]:
            total, done = round(60 * t.config.minutes), int(t.state.elapsed)
            fmt = "{percentage:3.0f}%|{bar}| {desc}"
        else:
            done = t.state.step
            fmt = "{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} steps, {elapsed} elapsed, {remaining} left · {desc}"
        bar["t0"], bar["done0"] = time.perf_counter(), done
        bar["b"] = tqdm(total=total, initial=min(done, total), bar_format=fmt, dynamic_ncols=True, leave=True,
                        mininterval=0.5, file=sys.stderr)

    def step(t: Trainer) -> None:
        b = bar["b"]
        now = time.monotonic()
        if now - bar.get("shown", 0.0) < 0.5:
            return
        bar["shown"] = now
        if bar["minutes"]:
            elapsed, total = t.elapsed(), 60 * t.config.minutes
            b.n = min(int(elapsed), b.total)
            b.set_description_str(f"{_clock(elapsed)} of {_clock(total)}, {_clock(total - elapsed)} left · "
                                  f"{bar_postfix(t, unit)}", refresh=False)
        else:
            b.n = min(t.state.step, b.total)
            b.set_description_str(bar_postfix(t, unit), refresh=False)
        b.refresh()

    trainer.add_callback("on_start", start)
    trainer.add_callback("on_step", step)
    trainer.add_callback("on_note", lambda t: bar["b"].write(t.last_note, file=sys.stderr) if "b" in bar
                         else print(t.last_note, file=sys.stderr, flush=True))
    trainer.add_callback("on_rollback", lambda t: t.note(t.last_rollback["message"]))
    trainer.add_callback("on_anneal", lambda t: t.note(t.last_anneal["message"]))
    def end(t: Trainer) -> None:
        b = bar["b"]
        if t.stop_reason == "budget":  # the budget is spent: the bar says so, whatever the last step's clock read
            b.n = b.total
            if bar["minutes"]:
                total = 60 * t.config.minutes
                b.set_description_str(f"{_clock(total)} of {_clock(total)}, 00:00 left · {bar_postfix(t, unit)}", refresh=False)
        b.refresh()
        b.close()

    trainer.add_callback("on_end", end)


def add_note_printer(trainer: Trainer) -> None:
    """Notes (the plan, samples, plateaus) as plain lines on stderr, for a run without a progress bar."""
    trainer.add_callback("on_note", lambda t: print(t.last_note, file=sys.stderr, flush=True))
    trainer.add_callback("on_rollback", lambda t: t.note(t.last_rollback["message"]))
    trainer.add_callback("on_anneal", lambda t: t.note(t.last_anneal["message"]))


def plot_curves(rows: list[dict], unit: str, title: str = ""):
    """A matplotlib figure of training and validation loss against training time, from evaluation rows
    (``elapsed``, ``train_loss``, ``val_loss``; rows with an ``event`` mark re-plans and plateaus)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4), dpi=110)
    ax = fig.add_subplot()
    evals = [r for r in rows if "event" not in r]
    minutes = [r["elapsed"] / 60 for r in evals]
    for key, label, style in (("train_loss", "training (mean since the last evaluation)", "-"), ("val_loss", "validation", "o-")):
        pts = [(m, r[key]) for m, r in zip(minutes, evals) if isinstance(r.get(key), (int, float))]
        if pts:
            ax.plot(*zip(*pts), style, label=label, markersize=4)
    best = [(m, r["val_loss"]) for m, r in zip(minutes, evals) if isinstance(r.get("val_loss"), (int, float))]
    if best:
        m, v = min(best, key=lambda p: p[1])
        ax.annotate(f"best {v:.3f}", (m, v), textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8)
    for r in rows:
        if r.get("event") in ("replan", "anneal"):
            ax.axvline(r["elapsed"] / 60, color="grey", linestyle=":", linewidth=1)
            ax.annotate(r["event"], (r["elapsed"] / 60, ax.get_ylim()[1]), fontsize=7, rotation=90, va="top", ha="right")
    ax.set_xlabel("training time, minutes")
    ax.set_ylabel(f"loss, nats/{unit}")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # a run too short to evaluate has no curve to name
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def write_curves(path: Path, rows: list[dict], unit: str, title: str = "") -> None:
    """Render ``plot_curves`` to PNG and replace ``path`` in one rename (a reader never sees half a picture)."""
    buf = io.BytesIO()
    plot_curves(rows, unit, title).savefig(buf, format="png")
    write_bytes_atomic(path, buf.getvalue())


def prepare_curves() -> None:
    """Import matplotlib (about a second) before a run takes its directory and starts its clock, not
    inside its first save or the save that a stop signal starts. The figure and the Agg canvas too: a
    second signal landing inside their first import (a C extension's initialisation) surfaced as an
    ImportError traceback instead of the clean abort (exit 130)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    from PIL import Image  # matplotlib's PNG writer; its plugins load on first use otherwise

    Image.preinit()


def add_curves(trainer: Trainer, out: Path, history: list[dict], unit: str, title: str = "") -> None:
    """Rewrite ``out/curves.png`` from ``history`` (the run's metrics rows) at each checkpoint."""
    for stale in Path(out).glob(f".{CURVES}.*.tmp"):  # left by a process killed mid-write
        stale.unlink(missing_ok=True)
    prepare_curves()

    def draw(t: Trainer) -> None:
        if t._stop_signal and t._stop_signal.startswith("SIG"):
            return  # stopping on a signal: save the model and go; the picture of the last evaluation stays
        write_curves(out / CURVES, history, unit, title)

    trainer.add_callback("on_checkpoint", draw)
