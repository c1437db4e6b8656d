"""Batch streams over a token array, both built from zero-copy NumPy views.

* ``StreamBatches``: the array cut into ``batch_size`` contiguous rows, read ``bptt`` steps at a time;
  consecutive batches continue each row, so the trainer carries the hidden state (truncated BPTT,
  every position predicts its next symbol).
* ``WindowBatches``: the seeds' scheme, overlapping windows of ``window`` symbols predicting only the
  next one, taken as a strided view (never materialised) and shuffled each epoch.

Both are deterministic functions of (seed, epoch, position), so a resumed run sees the same batches.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import LstmkitError
from ..nn import TokenBatch


def _epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch])


@dataclass
class StreamBatches:
    """Contiguous streams for truncated back-propagation through time.

    Args:
        tokens: 1-D integer array.
        batch_size: parallel streams (rows).
        bptt: time steps per batch.
        seed: varies the start offset per epoch (0..bptt-1) so chunk boundaries move.
        shift: whether to vary the offset (off for evaluation).

    Example:
        data = StreamBatches(np.arange(10_000), batch_size=4, bptt=32)
        for i, batch in data.batches(epoch=0): ...   # batch.x, batch.y: (4, 32)
    """

    tokens: np.ndarray
    batch_size: int
    bptt: int
    seed: int = 0
    shift: bool = True
    stateful: bool = True

    def __post_init__(self):
        if self.batch_size < 1 or self.bptt < 1:
            raise LstmkitError(f"--batch-size {self.batch_size} and --bptt {self.bptt} must both be at least 1")
        self.tokens = np.asarray(self.tokens)
        reserve = self.bptt - 1 if self.shift else 0
        self.row_len = (len(self.tokens) - 1 - reserve) // self.batch_size
        need = self.batch_size * self.bptt + 1 + reserve
        if self.row_len < (self.bptt if self.shift else 1):
            raise LstmkitError(
                f"the text has {len(self.tokens)} symbols, fewer than one batch needs ({need}: "
                f"batch size {self.batch_size} x {self.bptt} steps, and {need - self.batch_size * self.bptt} more for the targets"
                f"{' and the shifted starts' if reserve else ''}); use a longer text or lower --batch-size/--bptt"
            )

    @property
    def steps_per_epoch(self) -> int:
        # Training drops the ragged end (the offset moves it each epoch); evaluation reads it too.
        return self.row_len // self.bptt if self.shift else -(-self.row_len // self.bptt)

    @property
    def symbols_per_step(self) -> int:
        return self.batch_size * self.bptt

    def batches(self, epoch: int = 0, start: int = 0):
        """Yield ``(index, TokenBatch)`` for one epoch, beginning at batch ``start``."""
        offset = int(_epoch_rng(self.seed, epoch).integers(0, self.bptt)) if self.shift else 0
        n = self.batch_size * self.row_len
        data = self.tokens[offset : offset + n + 1]
        x = data[:n].reshape(self.batch_size, self.row_len)  # (B, L) view
        y = data[1 : n + 1].reshape(self.batch_size, self.row_len)
        for i in range(start, self.steps_per_epoch):
            sl = slice(i * self.bptt, (i + 1) * self.bptt)
            yield i, TokenBatch(torch.from_numpy(np.ascontiguousarray(x[:, sl])), torch.from_numpy(np.ascontiguousarray(y[:, sl])))


@dataclass
class WindowBatches:
    """Overlapping windows predicting the next symbol (many-to-one), from a strided view of ``tokens``.

    Args:
        tokens: 1-D integer array.
        window: input length (seed 000: 100).
        stride: step between window starts.
        batch_size: windows per batch.
        seed: shuffles window order per epoch.
        shuffle: shuffle (off for evaluation).

    Example:
        data = WindowBatches(np.arange(1000), window=100, stride=1, batch_size=8)
    """

    tokens: np.ndarray
    window: int
    stride: int = 1
    batch_size: int = 128
    seed: int = 0
    shuffle: bool = True
    stateful: bool = False

    def __post_init__(self):
        if self.window < 1 or self.stride < 1 or self.batch_size < 1:
            raise LstmkitError(f"--windows {self.window}, --stride {self.stride} and --batch-size {self.batch_size} must all be at least 1")
        self.tokens = np.asarray(self.tokens)
        if len(self.tokens) <= self.window:
            raise LstmkitError(f"the text has {len(self.tokens)} symbols, not more than one window of {self.window}; use a longer text or a shorter --windows")
        # (num_windows, window + 1) view onto the token buffer: no copy.
        self.views = np.lib.stride_tricks.sliding_window_view(self.tokens, self.window + 1)[:: self.stride]
        if len(self.views) < self.batch_size:
            raise LstmkitError(
                f"the text gives {len(self.views)} windows, fewer than one batch of {self.batch_size}; "
                f"use a longer text or lower --batch-size/--stride"
            )

    @property
    def steps_per_epoch(self) -> int:
        return len(self.views) // self.batch_size

    @property
    def symbols_per_step(self) -> int:
        return self.batch_size  # one prediction per window

    def batches(self, epoch: int = 0, start: int = 0):
        n = len(self.views)
        order = None
        if self.shuffle:  # int32 and shuffled in place: half the token array's bytes, no second copy
            order = np.arange(n, dtype=np.int32)
            _epoch_rng(self.seed, epoch).shuffle(order)
        for i in range(start, self.steps_per_epoch):
            idx = slice(i * self.batch_size, (i + 1) * self.batch_size)
            rows = self.views[order[idx]] if order is not None else self.views[idx].copy()  # (B, window + 1): one batch's copy
            t = torch.from_numpy(rows)
            yield i, TokenBatch(t[:, :-1], t[:, -1])  # inputs and targets are views of that one copy
        tail = n - self.steps_per_epoch * self.batch_size
        if not self.shuffle and tail:  # evaluation reads every window: the short last batch too
            t = torch.from_numpy(self.views[n - tail :].copy())
            yield self.steps_per_epoch, TokenBatch(t[:, :-1], t[:, -1])
