"""Labelled sequences from Python: check them, and batch them with their true lengths for the trainer
(files are read by ``labeled_files``).

Two kinds come out of ``as_sequences``:
* ``numeric``: a list of float32 arrays, each (time points, channels); lengths may differ;
* ``text``: a list of strings, tokenized later by the model's tokenizer.

Example:
    kind, cases = as_sequences(np.zeros((10, 2, 50)))   # "numeric": ten (50, 2) arrays
    y = as_labels(["a", "b"] * 5, len(cases))
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import LstmkitError
from ..nn import SeqBatch

MAX_CASES = 10_000_000


# ---------------------------------------------------------------------------- from Python
def as_sequences(X, what: str = "X") -> tuple[str, list]:
    """``X`` as ("numeric", [(T, C) float32 arrays]) or ("text", [str]).

    Accepts a NumPy array (cases, channels, time points) or (cases, time points), a list of arrays
    (channels, time points) or (time points,), or a list of strings. Trailing NaNs of a case are padding
    (how unequal-length UCR data is often stored) and are cut; any other NaN is refused by position.
    """
    if isinstance(X, str) or X is None:
        raise LstmkitError(f"{what} must be a list of sequences or an array (cases, channels, time points), not {type(X).__name__}")
    if hasattr(X, "to_numpy") and not hasattr(X, "dtype"):  # a DataFrame: one row per case, one column per time point
        import pandas as pd

        if X.shape[1] == 1 and (pd.api.types.is_object_dtype(X.dtypes.iloc[0]) or pd.api.types.is_string_dtype(X.dtypes.iloc[0])):
            # or one column of texts (df[["review"]])
            X = X.iloc[:, 0]
        elif all(pd.api.types.is_numeric_dtype(t) for t in X.dtypes):
            X = X.to_numpy(dtype=np.float64, na_value=np.nan)  # a nullable column's pd.NA as the NaN it stands for
        else:
            X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.dtype.kind in "fiub":
        if X.ndim == 2:
            X = X[:, None, :]
        if X.ndim != 3:
            raise LstmkitError(f"{what} has shape {X.shape}; pass (cases, channels, time points) or (cases, time points)")
        cases = list(X)
    else:
        cases = list(X)
    if not cases:
        raise LstmkitError(f"{what} holds no sequences; pass at least one case")
    if len(cases) > MAX_CASES:
        raise LstmkitError(f"{what} holds {len(cases):,} cases, more than {MAX_CASES:,}")
    if all(isinstance(c, str) for c in cases):
        for i, c in enumerate(cases):
            if not c.strip():
                raise LstmkitError(f"{what}[{i}] is an empty text; remove it or give it words")
        return "text", cases
    if any(isinstance(c, str) for c in cases):
        i = next(i for i, c in enumerate(cases) if not isinstance(c, str))
        raise LstmkitError(f"{what} mixes texts and numbers (case {i} is {type(cases[i]).__name__}); pass one kind")
    out = []
    channels = None
    for i, c in enumerate(cases):
        try:
            a = np.asarray(c, dtype=np.float64)
        except (TypeError, ValueError):
            raise LstmkitError(f"{what}[{i}] is not numeric ({str(c)[:40]!r}); pass numbers, or strings for text") from None
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim != 2:
            raise LstmkitError(f"{what}[{i}] has shape {a.shape}; each case must be (channels, time points)")
        a = a.T  # (T, C)
        finite_rows = ~np.isnan(a).any(1)
        keep = len(a) - int(np.argmax(finite_rows[::-1])) if finite_rows.any() else 0  # cut trailing NaN padding
        a = a[:keep]
        if not len(a):
            raise LstmkitError(f"{what}[{i}] has no time points; remove it")
        bad = np.argwhere(~np.isfinite(a))
        if len(bad):
            t, ch = bad[0]
            raise LstmkitError(f"{what}[{i}] has a missing or infinite value at time point {t}, channel {ch}; fill or remove it")
        if channels is None:
            channels = a.shape[1]
        elif a.shape[1] != channels:
            raise LstmkitError(f"{what}[{i}] has {a.shape[1]} channels where case 0 has {channels}; every case needs the same channels")
        big = np.abs(a).max(initial=0.0)
        if big > np.finfo(np.float32).max:
            raise LstmkitError(f"{what}[{i}] holds a value of {big:.3g}, beyond the {np.finfo(np.float32).max:.3g} that the network's "
                               "32-bit numbers reach; rescale the values (divide them by a power of 10)")
        out.append(a.astype(np.float32))
    return "numeric", out


def plain(v):
    """A label as Python writes it: ``0``, not ``np.int64(0)`` (for messages and JSON)."""
    return v.item() if isinstance(v, np.generic) else v


def labels_json(classes: np.ndarray) -> dict:
    """A classifier's ``classes_`` as its ``labels.json`` holds them: the labels, their kind, and a number type's
    exact name (``int8``, ``uint64``, ``float32``), so that a reloaded model predicts labels of the type it gave."""
    d = {"classes": [plain(c) for c in classes], "dtype": classes.dtype.kind}
    if classes.dtype.kind in "biuf":
        d["numpy_dtype"] = classes.dtype.name
    return d


def labels_from_json(d: dict) -> np.ndarray:
    """``labels_json`` read back. Files saved before the exact type was kept, or whose type would change a label's
    value, give NumPy's own reading of the list (``int64`` for whole numbers)."""
    classes = np.asarray(d["classes"])
    name = d.get("numpy_dtype")
    if not isinstance(name, str) or classes.dtype.kind not in "biuf":
        return classes
    try:
        typed = classes.astype(np.dtype(name))
    except TypeError:
        return classes
    return typed if typed.dtype.kind in "biuf" and typed.tolist() == classes.tolist() else classes


def as_labels(y, n: int, what: str = "y", cases: str = "cases", at=None) -> np.ndarray:
    """``y`` as a 1-D array of ``n`` class labels; missing labels, numbers that are no class (2.5: a regression
    target, as scikit-learn's classifiers refuse it) and labels that mix text with numbers are refused.
    ``at(i)``: how a message names label ``i`` (default ``y[i]``; a file's reader names its data row)."""
    at = at or (lambda i: f"{what}[{i}]")
    y = np.asarray(y)
    one = f"pass one label per {cases[:-1]}"
    if y.ndim == 2 and y.shape[1] == 1:  # a column vector, which scikit-learn's classifiers take with this warning
        import warnings

        from sklearn.exceptions import DataConversionWarning

        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change the shape of y to (n_samples, ), "
                      "for example using ravel().", DataConversionWarning, stacklevel=3)
        y = y.ravel()
    if y.ndim != 1:
        raise LstmkitError(f"{what} has shape {y.shape}; {one}")
    if len(y) != n:
        raise LstmkitError(f"{what} holds {len(y)} labels for {n} {cases}; {one}")
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise LstmkitError(f"{at(int(np.argmax(np.isnan(y))))} is missing; every {cases[:-1]} needs a label")
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        i = int(np.argmax(y != np.round(y)))
        raise LstmkitError(f"{at(i)} is {y[i]:g}, a number that names no class: a classifier's labels are names or "
                           "whole numbers; round or bin them into classes")
    if y.dtype == object:
        import pandas as pd

        missing = [i for i, v in enumerate(y) if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))]
        if missing:
            raise LstmkitError(f"{at(missing[0])} is missing; every {cases[:-1]} needs a label")
        text = [isinstance(v, str) for v in y]
        if any(text) and not all(text):  # 1 and "1" would be two classes that print alike, and cannot be sorted together
            a, b = y[text.index(False)], y[text.index(True)]
            raise LstmkitError(f"{what} mixes text with other values ({a!r} and {b!r}); pass labels of one kind, such as all text")
    return y


# ---------------------------------------------------------------------------- batches
@dataclass
class SequenceBatches:
    """Shuffled minibatches of padded sequences with their lengths, for the trainer (not stateful).

    ``cases`` are (T, C) float arrays or (T,) token ids; each batch is padded only to its own longest case.

    Example:
        data = SequenceBatches(cases, y_ids, batch_size=16)
        for i, batch in data.batches(epoch=0): ...   # batch.x (16, T_max, C), batch.lengths (16,), batch.y (16,)
    """

    cases: list
    y: np.ndarray
    batch_size: int = 16
    seed: int = 0
    shuffle: bool = True
    stateful: bool = False

    def __post_init__(self):
        if not len(self.cases):
            raise LstmkitError("no sequences to train on")
        self.n = len(self.cases)
        self.lengths = torch.tensor([len(c) for c in self.cases], dtype=torch.long)
        T = int(self.lengths.max())
        first = self.cases[0]
        if first.ndim == 1:  # token ids, 0 is padding
            buf = torch.zeros(self.n, T, dtype=torch.long)
        else:
            buf = torch.zeros(self.n, T, first.shape[1], dtype=torch.float32)
        for i, c in enumerate(self.cases):
            buf[i, : len(c)] = torch.from_numpy(np.asarray(c))
        self.x = buf
        self.y_t = torch.as_tensor(np.asarray(self.y), dtype=torch.long)
        self.batch_size = max(1, min(self.batch_size, self.n))
        self.steps_per_epoch = -(-self.n // self.batch_size)
        self.symbols_per_step = self.batch_size

    def batches(self, epoch: int, start: int = 0):
        order = np.random.default_rng([self.seed, epoch]).permutation(self.n) if self.shuffle else np.arange(self.n)
        order = torch.from_numpy(order)
        for i in range(start, self.steps_per_epoch):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            lengths = self.lengths[idx]
            T = int(lengths.max())
            yield i, SeqBatch(self.x[idx, :T], lengths, self.y_t[idx])
