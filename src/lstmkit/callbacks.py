"""Trainer callbacks that report: a progress bar, a JSON-lines metrics log, TensorBoard events.

Each ``add_*`` function subscribes to a ``Trainer``'s events; the trainer itself prints nothing.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .train import Trainer


def add_tensorboard(trainer: Trainer, out: Path) -> None:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is an optional extra
        return
    writer = {}

    def log(t: Trainer) -> None:
        if "w" not in writer:
            writer["w"] = SummaryWriter(str(out / "tensorboard"))
        for k, v in t.last_eval.items():
            if isinstance(v, (int, float)) and k not in ("step",):
                writer["w"].add_scalar(k, v, t.last_eval["step"])
        writer["w"].flush()

    trainer.add_callback("on_eval", log)
    trainer.add_callback("on_end", lambda t: writer["w"].close() if "w" in writer else None)


def add_progress_bar(trainer: Trainer) -> None:
    from tqdm import tqdm

    bar = {}

    def start(t: Trainer) -> None:
        total = t.total_steps
        bar["minutes"] = total is None
        bar["b"] = tqdm(total=total if total else round(60 * t.config.minutes), unit="step" if total else "s",
                        dynamic_ncols=True, leave=True, mininterval=0.5)
        bar["b"].n = t.state.step if total else int(t.state.elapsed)

    def step(t: Trainer) -> None:
        b, s = bar["b"], t.last_step
        n = int(t.elapsed()) if bar["minutes"] else t.state.step
        now = time.monotonic()
        if n != b.n and now - bar.get("shown", 0.0) >= 0.5:
            bar["shown"] = now
            b.n = min(n, b.total)
            post = {"loss": f"{s['loss']:.3f}", "acc": f"{s['acc']:.3f}", "sym/s": f"{s['symbols_per_s']:.0f}"}
            if t.last_eval.get("val_loss") is not None:
                post["val"] = f"{t.last_eval['val_loss']:.3f}"
            b.set_postfix(post, refresh=False)
            b.refresh()

    def end(t: Trainer) -> None:
        bar["b"].close()

    def rollback(t: Trainer) -> None:
        bar["b"].write(t.last_rollback["message"], file=sys.stderr)

    trainer.add_callback("on_start", start)
    trainer.add_callback("on_rollback", rollback)
    trainer.add_callback("on_anneal", lambda t: bar["b"].write(t.last_anneal["message"], file=sys.stderr))
    trainer.add_callback("on_step", step)
    trainer.add_callback("on_end", end)
