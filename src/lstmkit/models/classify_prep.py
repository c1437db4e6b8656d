"""How cases become network inputs, fitted on the training cases and saved with the model.

    fit_preparation(kind, cases, level)  texts: the tokenizer at its level; numbers: each channel's mean and std
    channel_stats(views)                 those means and stds, one case in memory at a time
    encode(prep, cases)                  token ids shifted by one (0 pads), or standardised channels, pooled
    with_differences(x)                  (T, C) -> (T, 2C): each channel and its first difference
    default_pool(lengths)                the time points averaged into one for long series (``--pool auto``)
    pool_case(x, k, extremes)            (T, C) -> (ceil(T / k), C): block means; with extremes (.., 3C): and maxima, minima
    net_inputs(prep)                     the network's input channels that preparation gives

Example:
    default_pool([1460] * 100)   # 15: ACSF1's cases averaged down to 98 points
"""
from __future__ import annotations

import math

import numpy as np

from ..data.scaling import usable_spread
from ..errors import LstmkitError
from ..tokenize import fit_tokenizer

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


def fit_preparation(kind: str, cases: list, level: str, derivatives: bool = False) -> dict:
    """The preparation ``encode`` applies: fitted on the training cases only. ``derivatives``: numeric
    cases also show the network each channel's first difference (``with_differences``)."""
    if kind == "text":
        if level == "auto":
            # characters where the mean text is at most POOL_POINTS of them, the length numeric cases are pooled
            # down to: out of fold they beat words on both text tasks tried (which book an 8-, 16- or 32-word
            # passage is from, 0.859 against 0.803 at 8; which of 10 articles, 16 words, 0.636 against 0.574),
            # and longer texts would be hundreds of steps (32 words: 125 s against 33 s). Words beyond, and
            # characters for texts of under 3 words on average whatever their length (codes, DNA)
            words = np.mean([len(c.split()) for c in cases])
            chars = np.mean([len(c) for c in cases])
            level = "char" if words < 3 or chars <= POOL_POINTS else "word"
        # words seen once become <unk> (min_freq 2), so that the network learns what an unseen word is: with
        # every word kept, <unk> never occurs in training and unseen words at predict time meet an untrained
        # embedding. On the passages of benchmarks/classify_text.py, the out-of-fold accuracy of the fit
        # (training passages only, seed 0) went from 0.781 to 0.803
        tok = fit_tokenizer("\n".join(cases), level, lowercase=level == "word", **({"min_freq": 2} if level == "word" else {}))
        if tok.vocab_size < 2:  # no word seen twice (a handful of texts): keep every word rather than none
            tok = fit_tokenizer("\n".join(cases), level, lowercase=level == "word")
        return {"kind": "text", "level": level, "tokenizer": tok}
    channels = int(cases[0].shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = channel_stats(lambda: (with_differences(c) if derivatives else c for c in cases))
    if not np.isfinite(std).all():  # squares past float32's range (values near 1e19 and over): sum in float64
        mean, std = channel_stats(lambda: ((with_differences(c) if derivatives else c).astype(np.float64) for c in cases))
    # "channels" counts the user's channels; "mean" and "std" the network's inputs (twice as many with derivatives)
    return {"kind": "numeric", "channels": channels, "mean": mean.tolist(), "std": usable_spread(std, mean).tolist(),
            **({"derivatives": True} if derivatives else {})}


def encode(p: dict, cases: list, unknown: str = "error") -> list:
    """Cases in network units: token ids shifted by one (0 pads), or channels standardised and pooled.

    Words never seen in training map to ``<unk>``, a symbol of the vocabulary; characters never seen are an
    error naming them, or with ``unknown="drop"`` are left out (a text of nothing else is still an error)."""
    if p["kind"] == "text":
        tok = p["tokenizer"]
        out = []
        for i, c in enumerate(cases):
            if p["level"] == "char":
                kept = "".join(ch for ch in c if ch in tok._index)
                if len(kept) < len(c) and unknown != "drop":
                    new = sorted({ch for ch in c if ch not in tok._index})
                    shown = ", ".join(map(repr, new[:5])) + (f" and {len(new) - 5} more" if len(new) > 5 else "")
                    raise LstmkitError(f"case {i} holds characters this model never saw in training: {shown}; remove them, "
                                       "or pass --unknown drop (unknown='drop') to leave them out")
                if c and not kept:  # dropped to nothing: an empty text, refused as one
                    raise LstmkitError(f"case {i} holds no character this model saw in training ({c[:20]!r}), so --unknown drop "
                                       "leaves nothing to classify; remove it")
                c = kept
            ids = tok.encode(c) + 1 if c else np.zeros(0, np.int64)
            out.append(ids if len(ids) else np.ones(1, np.int64))  # nothing known: one padding-like token
        return out
    mean, std = np.asarray(p["mean"], np.float32), np.asarray(p["std"], np.float32)
    diff = bool(p.get("derivatives"))
    # one case at a time: the differenced copy of every case is never held at once
    return [pool_case((((with_differences(c) if diff else c) - mean) / std).astype(np.float32), p.get("pool", 1),
                      bool(p.get("extremes"))) for c in cases]


def channel_stats(views) -> tuple[np.ndarray, np.ndarray]:
    """Each input channel's mean and standard deviation over every time point of every case, as
    ``np.concatenate(cases).mean(0)`` and ``.std(0)`` give them, without stacking the cases. ``views()``
    yields the (T, W) cases afresh for each of the two passes.

    Stacked, InsectWingbeat's shape (25,000 cases of 22 points, 200 channels and their differences)
    took 1.76 GB at the peak for 0.44 GB of cases; here one case is held at a time. The sums run row
    after row in the cases' own precision. That is the order numpy takes over stacked rows that are
    contiguous, as every univariate series beside its differences is, so those statistics, and the
    models trained on them, stay the same to the last bit. Multichannel cases read from (channels, time
    points) arrays used to stack column-major, which numpy sums pairwise: theirs move in the last bits.
    A single channel is still stacked (one column costs little), so it keeps numpy's pairwise sum.
    """
    first = next(iter(views()))
    if first.shape[1] == 1:
        allv = np.concatenate(list(views()), 0)
        return allv.mean(0), allv.std(0)
    total, n = np.zeros(first.shape[1], first.dtype), 0
    for v in views():
        total = np.add.reduce(np.concatenate([total[None], v]), axis=0)
        n += len(v)
    mean = np.true_divide(total, n, dtype=total.dtype)
    squares = np.zeros_like(total)
    for v in views():
        d = v - mean
        squares = np.add.reduce(np.concatenate([squares[None], d * d]), axis=0)
    return mean, np.sqrt(np.true_divide(squares, n, dtype=total.dtype))


def net_inputs(p: dict) -> int:
    """Input channels per network step: the standardised channels (and differences), three times over
    when pooled blocks also give their maxima and minima."""
    return len(p["mean"]) * (3 if p.get("extremes") else 1)


def with_differences(x: np.ndarray) -> np.ndarray:
    """(T, C) -> (T, 2C): the channels, then each one's first difference x[t] - x[t-1] (0 at t = 0).

    The slope as an input of its own, as derivative DTW and MultiRocket's first-difference series give
    it: the network reads rises and falls without learning to subtract neighbours first. Out of fold on
    five train splits (``benchmarks/classify_outer_cv.py``, accuracy / log loss, seeds 0 and 1, machine H)
    the mean went from 0.955 / 0.156 to 0.967 / 0.126 and from 0.947 / 0.184 to 0.956 / 0.155: ArrowHead
    gained 2 and 2 cases of 36, ItalyPowerDemand 0 and 1 of 67, JapaneseVowels 2 and 0 of 270;
    BasicMotions lost 0 and 1 of 40, and GunPoint's and BasicMotions' log losses rose."""
    x = np.asarray(x)
    return np.concatenate([x, np.diff(x, axis=0, prepend=x[:1])], 1)


def default_pool(lengths: list[int]) -> int:
    """The time points averaged into one so that the mean case keeps at most POOL_POINTS (1: none)."""
    return max(1, math.ceil(float(np.mean(lengths)) / POOL_POINTS - 1e-9))


def pool_case(x: np.ndarray, k: int, extremes: bool = False) -> np.ndarray:
    """(T, C) -> (ceil(T / k), C): the mean of each k consecutive points (the last block may be shorter).
    ``extremes``: (ceil(T / k), 3C), each block's means, then its maxima, then its minima.

    A mean keeps a block's level and loses what happens inside it: a spike, or a sharp edge in the first
    differences, is averaged into its neighbours. The block's maximum and minimum keep them, as max
    pooling does inside a convolutional network (``SequenceClassifier(pool_extremes="on")``). Out of fold on
    the pooled train splits of the aeon wheel (``benchmarks/classify_outer_cv.py``, seeds 0 and 1, machine I;
    cases right, against the mean alone): OSULeaf (pooled by 5) +7 and +3 of 200, ACSF1 (by 15) +4 and +3 of
    100, GunPoint (by 2) 0 and 0 of 50, ArrowHead (by 3) -1 and -1 of 36, PickupGestureWiimoteZ (by 2) +1 of
    50 (seed 0); the mean log loss rose with both seeds, so it is an option, not the default (README)."""
    if k <= 1:
        return x
    starts = np.arange(0, len(x), k)
    means = np.add.reduceat(x, starts, axis=0) / np.diff(np.append(starts, len(x)))[:, None]
    if not extremes:
        return means.astype(x.dtype)
    return np.concatenate([means, np.maximum.reduceat(x, starts, axis=0), np.minimum.reduceat(x, starts, axis=0)], 1).astype(x.dtype)
