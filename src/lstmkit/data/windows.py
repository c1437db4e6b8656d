"""(input, horizon) windows over prepared series, and the batches the trainer reads from them.

A window at origin ``t`` of series ``i`` reads the ``lookback`` points before ``t`` and forecasts the
``horizon`` points from ``t``. Its channels, per input step (``WindowSpec.inputs`` of them):

    0        the prepared value minus the window's level (0 where the window starts before the series)
    1        1 where a real point is, 0 for that left padding
    2..      calendar sin/cos, past covariates, known covariates (standardised), at the input steps
    last     with ``level_input``: the window's level itself, at every real step (``stationarity.py``)

and per horizon step (``WindowSpec.future``): the calendar and the known covariates there. The level
is the mean of the window's last ``season`` real points (ES-RNN's idea: the network sees the shape
of the recent past, not its height), added back to the forecast. A seasonally adjusted series has no
season left to average out, so its level is its last point (``level_span``), which does not lag its
trend. Targets past ``limit`` (the end of
the training stretch, or of the series) are masked out, so the latest origins still train on the
steps they have.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from ..errors import LstmkitError


class SeriesBatch(NamedTuple):
    """x (B, lookback, inputs); future (B, horizon, future); y and mask (B, horizon)."""

    x: torch.Tensor
    future: torch.Tensor
    y: torch.Tensor
    mask: torch.Tensor

    def to(self, device) -> "SeriesBatch":
        return SeriesBatch(*(t.to(device, non_blocking=True) for t in self))


@dataclass
class Prepared:
    """One series in network units: ``u`` (n,), calendar ``cal`` (n + horizon, C) covering the future too,
    covariates ``cov`` (n, P + K) and the known ones' future ``known_future`` (horizon, K)."""

    u: np.ndarray
    cal: np.ndarray
    past: np.ndarray
    known: np.ndarray
    level_span: int = 0  # points averaged into the window level; 0: the season's


@dataclass
class WindowSpec:
    lookback: int
    horizon: int
    season: int
    normalize: bool
    calendar: int
    past: int
    known: int
    level_input: bool = False

    @property
    def inputs(self) -> int:
        return 2 + self.calendar + self.past + self.known + int(self.level_input)

    @property
    def future(self) -> int:
        return self.calendar + self.known


def window(spec: WindowSpec, s: Prepared, t: int, limit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The window at origin ``t``: (x (L, inputs), future (H, future), y (H,), mask (H,), level)."""
    L, H = spec.lookback, spec.horizon
    lo = max(0, t - L)
    seen = s.u[lo:t]
    k = len(seen)
    span = s.level_span or spec.season
    level = float(seen[-min(span, k):].mean()) if spec.normalize and k else 0.0
    x = np.zeros((L, spec.inputs), np.float32)
    x[L - k:, 0] = seen - level
    x[L - k:, 1] = 1.0
    c = 2
    for block in (s.cal[lo:t], s.past[lo:t], s.known[lo:t]):
        w = block.shape[1]
        if w:
            x[L - k:, c:c + w] = block
        c += w
    if spec.level_input:  # how far from the series' mean (0 in standard units) the window stands
        x[L - k:, c] = level
    fut = np.zeros((H, spec.future), np.float32)
    end = min(t + H, len(s.cal))
    if spec.calendar:
        fut[: end - t, : spec.calendar] = s.cal[t:end]
    if spec.known:
        kend = min(t + H, len(s.known))
        if kend > t:
            fut[: kend - t, spec.calendar:] = s.known[t:kend]
    y = np.zeros(H, np.float32)
    m = np.zeros(H, np.float32)
    n = max(0, min(H, limit - t))
    if n:
        y[:n] = s.u[t:t + n] - level
        m[:n] = 1.0
    return x, fut, y, m, level


def build_windows(spec: WindowSpec, series: list[Prepared], origins: list[range], limits: list[int]) -> dict[str, np.ndarray]:
    """Stack the windows at ``origins[i]`` of every series ``i`` (targets masked from ``limits[i]``)."""
    xs, fs, ys, ms = [], [], [], []
    for s, ts, limit in zip(series, origins, limits):
        for t in ts:
            x, f, y, m, _ = window(spec, s, t, limit)
            xs.append(x)
            fs.append(f)
            ys.append(y)
            ms.append(m)
    if not xs:
        return {}
    return {"x": np.stack(xs), "future": np.stack(fs), "y": np.stack(ys), "mask": np.stack(ms)}


@dataclass
class WindowBatchesSeries:
    """Shuffled minibatches of windows for the trainer (not stateful: every window starts afresh).

    Example:
        data = WindowBatchesSeries(build_windows(spec, series, origins, limits), batch_size=32)
        for i, batch in data.batches(epoch=0): ...   # batch.x: (32, lookback, inputs)
    """

    arrays: dict[str, np.ndarray]
    batch_size: int = 32
    seed: int = 0
    shuffle: bool = True
    stateful: bool = False

    def __post_init__(self):
        if not self.arrays or not len(self.arrays["x"]):
            raise LstmkitError("the series are too short to cut one training window; lower --lookback or --horizon, or add data")
        self.tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.arrays.items()}
        self.n = len(self.arrays["x"])
        self.batch_size = max(1, min(self.batch_size, self.n))
        self.steps_per_epoch = -(-self.n // self.batch_size)
        self.symbols_per_step = self.batch_size * self.arrays["y"].shape[1]

    def batches(self, epoch: int, start: int = 0):
        order = (np.random.default_rng([self.seed, epoch]).permutation(self.n) if self.shuffle else np.arange(self.n))
        order = torch.from_numpy(order)
        for i in range(start, self.steps_per_epoch):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield i, SeriesBatch(*(self.tensors[k][idx] for k in ("x", "future", "y", "mask")))
