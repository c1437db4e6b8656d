"""The forecasting network: numeric inputs -> the shared recurrent body -> a multi-horizon head.

    x (B, L, inputs) -> recurrent body -> last state (B, hidden) --+
    future (B, H, future) ---------------------------- flattened --+-> linear -> (B, H, 1 + 2 * levels)

Per horizon step the head gives the point forecast and, for each interval level, how far below and
above it the interval reaches: the widths are softplus'ed and summed outwards, so the quantiles never
cross (lo-95 <= lo-80 <= mean <= hi-80 <= hi-95). The loss is the squared error of the point (the
mean) plus the pinball loss of every quantile, over the unmasked steps.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..configs import bounded, checked_from_dict
from ..errors import LstmkitError
from ..nn import CELLS, MAX_LAYERS, MAX_WIDTH, recurrent, run_recurrent, unknown_cell

MAX_STEPS = 100_000


@dataclass
class ForecastNetConfig:
    """Shape of one forecasting network (an ensemble holds ``members`` of them).

    Args:
        inputs, future: channels per input step and per horizon step (``WindowSpec``).
        horizon: steps forecast at once (1 for the recursive strategy).
        quantiles: the lower quantile of each interval, ascending (0.025 for a 95 % interval).
        hidden, layers, cell, dropout: the recurrent body.
        members: networks in the ensemble.
    """

    inputs: int = bounded(1, 10_000)
    future: int = bounded(0, 10_000)
    horizon: int = bounded(1, MAX_STEPS)
    quantiles: list = field(default_factory=list)
    hidden: int = bounded(1, MAX_WIDTH, default=64)
    layers: int = bounded(1, MAX_LAYERS, default=1)
    cell: str = "lstm"
    dropout: float = bounded(0.0, 0.999, default=0.0)
    members: int = bounded(1, 1000, default=1)

    def __post_init__(self):
        if self.cell not in CELLS:
            raise unknown_cell(self.cell)
        if not isinstance(self.quantiles, list) or any(not isinstance(q, float) or not 0.0 < q < 0.5 for q in self.quantiles):
            raise LstmkitError(f"quantiles {self.quantiles!r} must be a list of numbers in (0, 0.5)")
        if sorted(set(self.quantiles)) != self.quantiles:
            raise LstmkitError(f"quantiles {self.quantiles!r} must be ascending and distinct")
        if self.future * self.horizon > 1_000_000:
            raise LstmkitError(f"{self.future} future channels x horizon {self.horizon} is too large a head input")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "net") -> "ForecastNetConfig":
        return checked_from_dict(cls, d, where)


class ForecastNet(nn.Module):
    """One member: ``forward(x, future) -> (B, H, 1 + 2 * len(quantiles))`` in network units."""

    def __init__(self, c: ForecastNetConfig):
        super().__init__()
        self.config = c
        self.rnn = recurrent(c.cell, c.inputs, c.hidden, c.layers, c.dropout)
        self.drop = nn.Dropout(c.dropout)
        self.outputs = 1 + 2 * len(c.quantiles)
        self.head = nn.Linear(c.hidden + c.horizon * c.future, c.horizon * self.outputs)
        self.register_buffer("taus", torch.tensor(c.quantiles, dtype=torch.float32), persistent=False)

    def forward(self, x: torch.Tensor, future: torch.Tensor) -> torch.Tensor:
        c = self.config
        out, _ = run_recurrent(self.rnn, c.cell, x)
        h = self.drop(out[:, -1])  # (B, hidden)
        if c.future:
            h = torch.cat([h, future.reshape(len(future), -1)], 1)
        raw = self.head(h).view(len(x), c.horizon, self.outputs)
        mean = raw[..., :1]
        k = len(c.quantiles)
        if not k:
            return mean
        # widths outwards from the mean: the innermost interval first, so the quantiles never cross
        below = torch.cumsum(F.softplus(raw[..., 1:1 + k].flip(-1)), -1).flip(-1)  # (B, H, k), widest first
        above = torch.cumsum(F.softplus(raw[..., 1 + k:]), -1)  # (B, H, k), innermost first
        return torch.cat([mean, mean - below, mean + above], -1)

    def loss_terms(self, pred: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Squared error of the mean plus the mean pinball loss of the quantiles, per step (B, H)."""
        err = y - pred[..., 0]
        terms = err**2
        k = len(self.config.quantiles)
        if k:
            taus = torch.cat([self.taus, 1.0 - self.taus.flip(0)])  # (2k,): lo quantiles, then hi innermost first
            diff = y.unsqueeze(-1) - pred[..., 1:]
            pin = torch.maximum(taus * diff, (taus - 1.0) * diff)
            terms = terms + 2.0 * pin.mean(-1)
        return terms * mask

    def loss(self, batch, state=None):
        pred = self(batch.x, batch.future)
        terms = self.loss_terms(pred, batch.y, batch.mask)
        n = batch.mask.sum()
        return terms.sum() / n.clamp(min=1.0), {"correct": 0, "count": int(n.item())}, None

    def init_state(self, batch_size: int, device=None):
        return None

    @staticmethod
    def detach_state(state):
        return None


class ForecastEnsemble(nn.Module):
    """``members`` networks of one config; ``forward`` stacks their outputs: (members, B, H, outputs)."""

    def __init__(self, c: ForecastNetConfig):
        super().__init__()
        self.config = c
        self.members = nn.ModuleList(ForecastNet(c) for _ in range(c.members))

    def forward(self, x: torch.Tensor, future: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x, future) for m in self.members])
