"""Seasonal adjustment of a transformed series: the classical input normalisation of ES-RNN and of the
M4 benchmarks, fitted per series, saved with the model, added back to the forecast.

The network then sees the level and trend of a series without its yearly (weekly, ...) shape, which it
would otherwise have to learn from a few cycles. Whether a series is adjusted is decided as R's
forecast package decides whether to difference seasonally: by the strength of its STL season.

A profile is ``m`` numbers indexed by *phase*, counted from the last point of the training series:
phase 0 is that point, phase ``k`` the point ``k`` steps later (``k mod m``), so any stretch of the same
series, before or after its end, finds its offsets from its distance to that point.
"""
from __future__ import annotations

import numpy as np

from ..errors import LstmkitError

DESEASON = ("auto", "none", "always")
# the seasonal strength above which a season is taken out: R's forecast::nsdiffs rule (test = "seas")
STRENGTH = 0.64


def _stl(z: np.ndarray, m: int):
    from statsmodels.tsa.seasonal import STL

    return STL(np.asarray(z, float), period=m, robust=True).fit()


def strength(res) -> float:
    """Hyndman's strength of seasonality of an STL fit, max(0, 1 - var(remainder) / var(season + remainder)):
    near 0 for noise or a bare trend, near 1 for a clean season."""
    r, sr = np.var(res.resid), np.var(res.seasonal + res.resid)
    return float(max(0.0, 1.0 - r / sr)) if sr > 0 else 0.0


def is_seasonal(z: np.ndarray, m: int) -> bool:
    """Whether ``z`` has a season of period ``m`` worth taking out: 2 cycles of data and a strength of 0.64."""
    return m >= 2 and len(z) >= 2 * m and strength(_stl(z, m)) >= STRENGTH


def fit_profile(z: np.ndarray, m: int, how: str = "auto") -> list[float]:
    """The seasonal offsets (m,) of ``z`` by phase (see the module doc), or [] when it is not adjusted.

    The offsets are the last cycle of a robust STL decomposition's season (the current shape, where a
    classical decomposition would average every year alike), centred to sum to zero. On a log series they
    are multiplicative seasonal indices. Inside the air-passenger training years the last STL cycle scored
    5.62 % relative RMSE, a classical decomposition 5.73 %, none 5.92 % (``benchmarks/forecast_defaults.py``).
    """
    if how not in DESEASON:
        raise LstmkitError(f"unknown --deseason {how!r}; pass one of {', '.join(DESEASON)}")
    z = np.asarray(z, float)
    n = len(z)
    if how == "none" or m < 2 or n < 2 * m or not np.isfinite(z).all():
        return []
    res = _stl(z, m)
    if how == "auto" and strength(res) < STRENGTH:
        return []
    last = np.asarray(res.seasonal, float)[n - m:]  # positions n-m .. n-1, phases (1 - m) .. 0 mod m
    prof = np.empty(m)
    prof[(np.arange(n - m, n) - (n - 1)) % m] = last
    prof -= prof.mean()
    return prof.tolist()


def offsets(profile: list[float], n: int, end: int = 0) -> np.ndarray:
    """The offsets of ``n`` consecutive points whose last lies ``end`` steps after the training end."""
    if not profile:
        return np.zeros(n)
    m = len(profile)
    phase = (np.arange(n) - (n - 1) + end) % m
    return np.asarray(profile, float)[phase]


def ahead(profile: list[float], h: int, end: int = 0) -> np.ndarray:
    """The offsets of the ``h`` points after one that lies ``end`` steps after the training end."""
    if not profile:
        return np.zeros(h)
    m = len(profile)
    return np.asarray(profile, float)[(np.arange(1, h + 1) + end) % m]
