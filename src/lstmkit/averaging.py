"""A moving average of a model's weights (``TrainConfig.average``): Polyak averaging, as in AWD-LSTM's
averaged SGD and SWA. The trainer evaluates and saves the average while the optimizer trains the weights
it averages; ``swapped`` puts the average into the model for as long as that takes.
"""
from __future__ import annotations

import contextlib

import torch


class WeightAverage:
    """The exponential moving average of ``model``'s floating tensors, decay ``decay`` per step.

    The decay ramps up as (1 + step) / (10 + step) until it reaches ``decay``, so early evaluations do
    not score a mix dominated by the initial weights.

    Example:
        avg = WeightAverage(net, 0.999)
        avg.update(step)            # after each optimizer step
        with avg.swapped():         # the model holds the average inside
            evaluate(net)
    """

    def __init__(self, model: torch.nn.Module, decay: float):
        self.model, self.decay = model, decay
        sd = model.state_dict()
        self.names = [k for k, v in sd.items() if v.is_floating_point()]
        # the model's own tensors: they share its storage, and load_state_dict copies into them in place
        self.live = [sd[k] for k in self.names]
        self.values = [v.detach().clone() for v in self.live]
        self.trained: list[torch.Tensor] | None = None  # the trained weights while the average is swapped in

    @torch.no_grad()
    def update(self, step: int) -> None:
        decay = min(self.decay, (1 + step) / (10 + step))
        torch._foreach_lerp_(self.values, self.live, 1.0 - decay)

    @torch.no_grad()
    def reset(self) -> None:
        """Start afresh from the model's weights (after going back to the best ones, or a resume)."""
        self.values = [v.detach().clone() for v in self.live]

    def copy(self) -> list[torch.Tensor]:
        return [v.clone() for v in self.values]

    def trained_tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        """The trained weights as ``prefix.<name>`` entries while swapped ({} otherwise)."""
        if self.trained is None:
            return {}
        return {f"{prefix}.{k}": v.detach().cpu().contiguous() for k, v in zip(self.names, self.trained)}

    @torch.no_grad()
    def copy_into_model(self) -> None:
        torch._foreach_copy_(self.live, self.values)

    @contextlib.contextmanager
    def swapped(self):
        """Inside, the model holds the average; the trained weights come back on leaving (nested: no-op)."""
        if self.trained is not None:
            yield
            return
        with torch.no_grad():
            self.trained = [v.clone() for v in self.live]
            torch._foreach_copy_(self.live, self.values)
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_(self.live, self.trained)
            self.trained = None
