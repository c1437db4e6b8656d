"""Prediction intervals made honest: widened on held-out steps until they cover their level.

The network's quantiles are fitted in sample, where they are too narrow. ``interval_scale`` finds, per
level, the factor by which the interval's distances from the mean must grow to cover that share of the
held-out steps; ``quantile_scale`` lays those factors out in the network's quantile order (the lows
widest first, then the highs innermost first), and ``coverage`` checks the result on the actuals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def interval_scale(pred: np.ndarray, y: np.ndarray, mask: np.ndarray, levels: list) -> dict:
    """For each level, the smallest factor >= 1 by which the interval's distances from the mean must grow
    to cover that share of the held-out steps (in-sample intervals are too narrow, never too wide)."""
    lv = sorted(levels)
    k = len(lv)
    m = mask.astype(bool)
    out = {}
    for li, v in enumerate(lv):
        lo, hi = pred[..., k - li], pred[..., 1 + k + li]  # widest low first; highs innermost first (after the mean)
        mean = pred[..., 0]
        # the factor that just covers each step: how far out it lies, in units of the interval's half-width
        below, above = np.maximum(mean - lo, 1e-9), np.maximum(hi - mean, 1e-9)
        need = np.where(y >= mean, (y - mean) / above, (mean - y) / below)[m]
        f = float(np.quantile(need, v / 100.0, method="higher")) if len(need) else 1.0
        out[str(v)] = round(max(1.0, f), 4)
    return out


def quantile_scale(per_level: dict, levels: list) -> np.ndarray:
    """The factor for each of the 2k quantile outputs (lows widest first, then highs innermost first)."""
    lv = sorted(levels)
    lows = [float(per_level.get(str(v), 1.0)) for v in reversed(lv)]
    return np.array(lows + lows[::-1]) if lv else np.ones(0)


def nested(q: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Quantiles ``q`` (steps x 2k, in the order above: ascending probability) made non-crossing, each level's
    interval inside the next one's and around the ``mean`` (steps,). Each level is widened by its own factor,
    and the quantile heads are fitted separately, so an undertrained network can put the 95 % low above the
    80 % one; sorting each step's quantiles (Chernozhukov, Fernandez-Val and Galichon's rearrangement) can
    only bring each quantile closer to the truth."""
    if not q.shape[1]:
        return q
    q = np.sort(q, axis=1)
    k = q.shape[1] // 2
    q[:, :k] = np.minimum(q[:, :k], mean[:, None])
    q[:, k:] = np.maximum(q[:, k:], mean[:, None])
    return q


def coverage(actuals: list, quantiles: list, levels: list) -> dict:
    """The share of ``actuals`` (per series, (h,)) inside each level's interval (``quantiles``: (h, 2k))."""
    lv = sorted(levels)
    if not lv or not actuals:
        return {}
    a = np.concatenate(actuals)
    q = np.concatenate(quantiles, 0)
    k = len(lv)
    return {str(x): float(np.mean((a >= q[:, k - 1 - i]) & (a <= q[:, k + i]))) for i, x in enumerate(lv)}


def forecast_frame(ids: list, means: list, qs: list, stamps: list, all_levels: list, levels: list, id_col: str | None,
                   time_col: str) -> pd.DataFrame:
    """One long table of forecasts: per series ``ids[j]``, its ``stamps``, ``mean`` and the ``lo-L``/``hi-L``
    columns of each of ``levels``, read from quantiles ``qs[j]`` (steps x 2 len(all_levels), in the order above)."""
    lv = sorted(all_levels)
    k = len(lv)
    frames = []
    for j, name in enumerate(ids):
        d = {}
        if id_col:
            d[id_col] = [name] * len(means[j])
        d[time_col] = stamps[j]
        d["mean"] = means[j]
        for v in levels:
            li = lv.index(v)
            d[f"lo-{v}"] = qs[j][:, k - 1 - li]  # lows: widest (the highest level) first
            d[f"hi-{v}"] = qs[j][:, k + li]  # highs: innermost first
        frames.append(pd.DataFrame(d))
    return pd.concat(frames, ignore_index=True)
