"""The classifier's default training budget, a nominal cost model and not a clock; and its pooling of long series.

Counting seconds from the network's size at a fixed rate, instead of timing the machine, means one seed
gives one model on every machine; the rates below were measured on 2 cores of an AMD EPYC (AVX2).

Example:
    default_budget(net_config, lengths=[150] * 50, steps_epoch=9, batch=4, members=3)   # {"steps": 1135}
    default_pool(lengths=[1460] * 100)   # 15: ACSF1's cases averaged down to 98 points
"""
from __future__ import annotations

import math

import numpy as np

from .classify_net import ClassifierNetConfig

# The default budget: at most this many passes, and at most NOMINAL_SECONDS of training for the whole
# ensemble at a nominal cost per step (not measured, so that one seed gives one model on every machine):
# 40-90 s on 2 cores. 60 s left the best validation step at the end of the budget on GunPoint and
# BasicMotions' train splits (still improving); early stopping ends the runs that converge sooner.
MAX_EPOCHS = 400
NOMINAL_SECONDS, NOMINAL_FLOPS, STEP_OVERHEAD_S, RAGGED_OVERHEAD_S = 80.0, 65e9, 0.008, 0.02
MIN_STEPS, MAX_STEPS = 200, 4000


# Long series: the mean case is averaged down to at most POOL_POINTS time points, every k consecutive ones
# into one (piecewise aggregate approximation, k = ceil(mean length / POOL_POINTS)). LSTM-FCN's kernels
# (8, 5, 3) see 14 points, and at that length the budget affords 65-270 passes (OSULeaf's 200 cases to
# ArrowHead's 36; unpooled, OSULeaf and ACSF1 had 18 and ACSF1 took 137 s). Out of fold on
# train splits (seed 0; accuracy / loss): GunPoint by 2 1.000 / 0.025 (unpooled 0.980 / 0.069, by 3
# 0.980 / 0.026), ArrowHead by 3 0.861 / 0.415 (by 2 0.778 / 0.490, unpooled 0.722 / 0.670), OSULeaf
# by 5 0.910 / 0.351 (unpooled 0.740, by 9 0.870 / 0.382, by 13 0.865 / 0.443), ACSF1 by 15 0.540 / 1.163
# (seed 1: 0.660 / 1.069; by 4 0.410, by 22 0.470, by 29 0.520). BasicMotions (100 points),
# ItalyPowerDemand and JapaneseVowels are not pooled.
POOL_POINTS = 100


def nominal_steps(c: ClassifierNetConfig, lengths: list[int], batch: int, members: int) -> float:
    """Steps one member affords in NOMINAL_SECONDS / members at the nominal cost per step (not rounded or capped)."""
    # a fixed overhead (small kernels; 8 ms, and 20 ms more for packing ragged batches) plus the arithmetic
    # (forward and backward, ~3x forward) at the 65 GFLOP/s the lstm-fcn trained at on GunPoint's shapes
    # (AMD EPYC, 2 cores, AVX2)
    ragged = len(set(lengths)) > 1
    per_step = STEP_OVERHEAD_S + (RAGGED_OVERHEAD_S if ragged else 0.0) + \
        batch * 3 * forward_flops(c, float(np.mean(lengths))) / NOMINAL_FLOPS
    return NOMINAL_SECONDS / members / per_step


def default_budget(c: ClassifierNetConfig, lengths: list[int], steps_epoch: int, batch: int, members: int) -> dict:
    """One member's steps: up to MAX_EPOCHS passes, the ensemble cut to NOMINAL_SECONDS of nominal time."""
    steps = min(MAX_EPOCHS * steps_epoch, nominal_steps(c, lengths, batch, members))
    return {"steps": int(min(MAX_STEPS, max(MIN_STEPS, round(steps))))}


def default_pool(lengths: list[int]) -> int:
    """The time points averaged into one so that the mean case keeps at most POOL_POINTS (1: none)."""
    return max(1, math.ceil(float(np.mean(lengths)) / POOL_POINTS - 1e-9))


def pool_case(x: np.ndarray, k: int) -> np.ndarray:
    """(T, C) -> (ceil(T / k), C): the mean of each k consecutive points (the last block may be shorter)."""
    if k <= 1:
        return x
    starts = np.arange(0, len(x), k)
    sums = np.add.reduceat(x, starts, axis=0)
    return (sums / np.diff(np.append(starts, len(x)))[:, None]).astype(x.dtype)


def forward_flops(c: ClassifierNetConfig, T: float) -> float:
    """Multiply-adds x 2 of one case's forward pass of mean length ``T``."""
    width = c.embed if c.vocab_size else c.inputs
    dirs = 2 if c.arch == "bilstm" else 1
    gates = 3 if c.arch == "gru" else 4
    f, k = c.filters, c.kernels
    rnn_in, steps = width, T
    conv = 0.0
    if c.arch == "cnn-lstm":
        conv = T * width * f[0] * k[0]
        rnn_in, steps = f[0], T / c.pool
    if c.arch == "lstm-fcn":
        conv = T * (width * f[0] * k[0] + f[0] * f[1] * k[1] + f[1] * f[2] * k[2])
    if c.shuffle:
        rnn_in, steps = c.shuffle, width
    rnn = steps * dirs * gates * c.hidden * (rnn_in + c.hidden) * c.layers
    return 2.0 * (conv + rnn)

