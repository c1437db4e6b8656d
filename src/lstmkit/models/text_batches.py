"""The text's batches: for training (contiguous streams or windows) and for evaluating (a sample of the
validation text during training, all of it at the end).

Example:
    train_data, val_data = make_batches(data_cfg, train_ids, val_ids, seed=0)
    evaluate_loss(net, eval_batches(val_ids))   # the whole validation text, state carried
"""
from __future__ import annotations

import numpy as np

from ..data.batches import StreamBatches, WindowBatches
from ..errors import LstmkitError
from .text_settings import VAL_BLOCKS, TextDataConfig

EVAL_ROWS, EVAL_BPTT = 16, 256
PERIODIC_EVAL_SYMBOLS = 1 << 16  # evaluations during training read at most this much of the validation text
EVAL_WINDOW_BATCH = 512  # windows per evaluation batch in window mode


def periodic_sample(tokens: np.ndarray, limit: int = PERIODIC_EVAL_SYMBOLS, runs: int = VAL_BLOCKS) -> np.ndarray:
    """What evaluations during training read: all of a short validation text, else ``runs`` contiguous
    runs spread evenly over it, ``limit`` symbols in all, so that every held-out piece is sampled.

    Example:
        periodic_sample(np.arange(100), limit=16, runs=4)   # [0 1 2 3 32 33 34 35 64 ... 96 97 98 99]
    """
    if len(tokens) <= limit:
        return tokens
    run = limit // runs
    starts = np.linspace(0, len(tokens) - run, runs).astype(np.int64)
    return np.concatenate([tokens[s:s + run] for s in starts])


def eval_batches(tokens: np.ndarray) -> StreamBatches:
    """Whole-text evaluation: up to 16 contiguous rows, the state carried through each row."""
    n = len(tokens) - 1
    rows = max(1, min(EVAL_ROWS, n // EVAL_BPTT))
    bptt = max(1, min(EVAL_BPTT, n // rows))
    return StreamBatches(tokens, rows, bptt, shift=False)


def make_batches(data_cfg: TextDataConfig, train_ids: np.ndarray, val_ids: np.ndarray, seed: int, val_file=None):
    """(training batches, validation batches or None) for the data config: contiguous streams (state
    carried, truncated BPTT) or independent windows. A validation part that was asked for (a fraction,
    or ``val_file``) but is too short for one batch is an error."""
    if data_cfg.windows:
        train_data = WindowBatches(train_ids, data_cfg.windows, data_cfg.stride, data_cfg.batch_size, seed=seed)
        val_data = None
        if len(val_ids) > data_cfg.windows + 1:
            val_stride = max(1, (len(val_ids) - data_cfg.windows) // 4096)  # about 4k windows
            n_windows = (len(val_ids) - data_cfg.windows - 1) // val_stride + 1
            # evaluation has no state and no dropout: its batch only sets speed, so not the training batch
            # (seed 002 trains on one window per step; 4k single-window calls would dwarf its training)
            val_data = WindowBatches(val_ids, data_cfg.windows, val_stride, min(EVAL_WINDOW_BATCH, n_windows),
                                     shuffle=False)
    else:
        train_data = StreamBatches(train_ids, data_cfg.batch_size, data_cfg.bptt, seed=seed)
        val_data = eval_batches(periodic_sample(val_ids)) if len(val_ids) > 1 else None
    if (data_cfg.val_fraction > 0 or val_file is not None) and val_data is None:
        raise LstmkitError(f"the validation text ({len(val_ids)} symbols) is too short; "
                           + (f"use a longer --val-file than {val_file}" if val_file is not None
                              else "raise --val-fraction or use a longer text"))
    return train_data, val_data
