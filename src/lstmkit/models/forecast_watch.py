"""What a fit of several trainings shows (a forecaster's or a classifier's ensemble): one progress bar over all of them."""
from __future__ import annotations

import math
import sys
import time

from ..train import Trainer


class FitBar:
    """One tqdm bar over every member's training (validation and refit), on stderr."""

    def __init__(self, show: bool, runs: int):
        self.show, self.runs, self.done, self.shown = show, runs, 0, 0.0
        self.bar = None
        if show:
            from tqdm import tqdm

            self.bar = tqdm(total=runs, file=sys.stderr, dynamic_ncols=True, mininterval=0.5,
                            bar_format="{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} trainings, {elapsed} elapsed, {remaining} left · {desc}")

    def attach(self, trainer: Trainer, what: str) -> None:
        if not self.bar:
            return
        total = trainer.total_steps

        def step(t: Trainer) -> None:
            now = time.monotonic()
            if now - self.shown < 0.5:
                return
            self.shown = now
            frac = t.progress()
            self.bar.n = round(self.done + min(frac, 1.0), 2)
            loss = t.last_step.get("loss")
            best = t.state.best_val
            self.bar.set_description_str(f"{what}: step {t.state.step}{'/' + str(total) if total else ''}, loss {loss:.4f}"
                                         + (f", best val {best:.4f}" if math.isfinite(best) else ""), refresh=False)
            self.bar.refresh()

        def end(t: Trainer) -> None:
            self.done += 1
            self.bar.n = self.done
            self.bar.refresh()

        trainer.add_callback("on_step", step)
        trainer.add_callback("on_end", end)

    def close(self) -> None:
        if self.bar:
            self.bar.close()
