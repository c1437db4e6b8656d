"""The classifier's default training budget: a nominal cost model, not a clock.

Counting seconds from the network's size at a fixed rate, instead of timing the machine, means one seed
gives one model on every machine; the rates below were measured on 2 cores of an AMD EPYC (AVX2).

Example:
    default_budget(net_config, lengths=[150] * 50, steps_epoch=9, batch=4, members=3)   # {"steps": 1135}
"""
from __future__ import annotations

import numpy as np

from .classify_net import ClassifierNetConfig

# The default budget: at most this many passes, and at most NOMINAL_SECONDS of training for the whole
# ensemble at a nominal cost per step (not measured, so that one seed gives one model on every machine):
# 40-90 s on 2 cores. 60 s left the best validation step at the end of the budget on GunPoint and
# BasicMotions' train splits (still improving); early stopping ends the runs that converge sooner.
MAX_EPOCHS = 400
NOMINAL_SECONDS, NOMINAL_FLOPS, STEP_OVERHEAD_S, RAGGED_OVERHEAD_S = 80.0, 65e9, 0.008, 0.02
MIN_STEPS, MAX_STEPS = 200, 4000
# weight_decay="auto": AdamW's decoupled decay of DECAY for members whose budget buys at least DECAY_PASSES passes
# over their cases. Those are small sets, where the budget outlasts convergence and early stopping ends the
# run; the decay regularises them. Members with fewer passes (many cases, long or wide series) end their
# budget still learning, and a decay only shrinks an unfinished network (docs/classification-choices.md).
DECAY, DECAY_PASSES = 0.1, MAX_EPOCHS // 2


def default_budget(c: ClassifierNetConfig, lengths: list[int], steps_epoch: int, batch: int, members: int) -> dict:
    """One member's steps: up to MAX_EPOCHS passes, the ensemble cut to NOMINAL_SECONDS of nominal time."""
    # up to MAX_EPOCHS passes, cut to NOMINAL_SECONDS at a nominal cost per step: a fixed overhead (small
    # kernels; 8 ms, and 20 ms more for packing ragged batches) plus the arithmetic (forward and backward, ~3x
    # forward) at the 65 GFLOP/s the lstm-fcn trained at on GunPoint's shapes (AMD EPYC, 2 cores, AVX2)
    steps = min(MAX_EPOCHS * steps_epoch, affordable_steps(c, lengths, batch, members))
    return {"steps": int(min(MAX_STEPS, max(MIN_STEPS, round(steps))))}


def default_decay(budget: dict, steps_epoch: int) -> float:
    """``weight_decay="auto"``: DECAY when one member's ``budget`` buys it at least DECAY_PASSES passes of
    ``steps_epoch`` steps, else 0 (plain Adam). A budget in minutes has no known passes: 0."""
    passes = budget["steps"] / steps_epoch if "steps" in budget else budget.get("epochs", 0.0)
    return DECAY if passes >= DECAY_PASSES else 0.0


def affordable_steps(c: ClassifierNetConfig, lengths: list[int], batch: int, members: int) -> float:
    """The steps per member that NOMINAL_SECONDS buy for the whole ensemble, before the floor and the cap."""
    ragged = len(set(lengths)) > 1
    per_step = STEP_OVERHEAD_S + (RAGGED_OVERHEAD_S if ragged else 0.0) + \
        batch * 3 * forward_flops(c, float(np.mean(lengths))) / NOMINAL_FLOPS
    return NOMINAL_SECONDS / members / per_step


def affords_floor(c: ClassifierNetConfig, lengths: list[int], batch: int, members: int) -> bool:
    """Whether the nominal budget buys each member of shape ``c`` at least the MIN_STEPS floor; below it the
    floor binds and the fit outgrows its nominal time."""
    return affordable_steps(c, lengths, batch, members) >= MIN_STEPS


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
