"""Seed 004's echo task: remember the value at one position of a random one-hot sequence.

Each case is ``length`` steps, each step one of ``values`` symbols one-hot encoded; the label is the
symbol at position ``k`` (0-based). A many-to-one LSTM must carry it to the end of the sequence.

Example:
    X, y = echo_task(1000, seed=0)   # X (1000, 10, 5): cases, channels (one-hot), time points; y (1000,)
"""
from __future__ import annotations

import numpy as np

from ..errors import LstmkitError


def echo_task(cases: int, length: int = 5, values: int = 10, k: int = 0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    if not 0 <= k < length:
        raise LstmkitError(f"--echo-position {k} is outside the sequence; pass 0 to {length - 1}")
    if cases < 1 or length < 1 or values < 2:
        raise LstmkitError(f"the echo task needs cases >= 1, length >= 1 and values >= 2 (got {cases}, {length}, {values})")
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, values, size=(cases, length))
    X = np.zeros((cases, values, length), np.float32)
    X[np.arange(cases)[:, None], symbols, np.arange(length)[None, :]] = 1.0  # (cases, channels, time)
    return X, symbols[:, k]
