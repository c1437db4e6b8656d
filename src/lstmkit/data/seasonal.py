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
# STL seasonal smoothing windows tried per series, from statsmodels' default (a season that changes from
# year to year) to a nearly fixed one; the strength test always reads the default
WINDOWS = (7, 11, 15, 21)
HELD_CYCLES = 2  # cycles held out, one at a time, to choose among them
# cycles of data the strength test needs before ``auto`` reads it. On exactly 2 cycles STL hands much of
# a seasonless series to the season: of 200 generated series of 24 monthly points each, a trend plus
# noise passed the 0.64 rule 57 % of the time, a random walk 45 %, white noise 16 % (and a tenth of 900
# such series scored over 0.94); on 3 cycles 14-18 %, on 4 about 1 %. (ShampooSales, 24 monthly points
# with no season, was adjusted by a two-year "season" and forecast worse than the naive method.)
TEST_CYCLES = 3


def _stl(z: np.ndarray, m: int, window: int = WINDOWS[0]):
    from statsmodels.tsa.seasonal import STL

    return STL(np.asarray(z, float), period=m, seasonal=window, robust=True).fit()


def choose_window(z: np.ndarray, m: int) -> int:
    """The STL seasonal window whose season best forecasts the cycles after it: for each of the last
    ``HELD_CYCLES`` cycles, decompose what comes before, forecast that cycle as the adjusted series' last
    point plus its recent drift plus the last season cycle, and keep the window of least mean absolute
    error. Under 2 cycles before the first held-out one: the default window.

    (Inside their training periods: the air passengers and co2 chose smooth seasons, whose networks scored
    better there, and the elnino sea temperatures, whose swing changes from year to year, the default.)
    """
    n = len(z)
    if n - HELD_CYCLES * m < 2 * m:
        return WINDOWS[0]
    errors = []
    for w in WINDOWS:
        err = 0.0
        for c in range(1, HELD_CYCLES + 1):
            fit, held = z[:n - c * m], z[n - c * m:n - (c - 1) * m]
            season = np.asarray(_stl(fit, m, w).seasonal, float)
            adjusted = fit - season
            drift = float(np.mean(np.diff(adjusted[-2 * m:])))
            err += float(np.mean(np.abs(held - (adjusted[-1] + drift * np.arange(1, m + 1) + season[-m:]))))
        errors.append(err)
    return WINDOWS[int(np.argmin(errors))]


def strength(res) -> float:
    """Hyndman's strength of seasonality of an STL fit, max(0, 1 - var(remainder) / var(season + remainder)):
    near 0 for noise or a bare trend, near 1 for a clean season."""
    r, sr = np.var(res.resid), np.var(res.seasonal + res.resid)
    return float(max(0.0, 1.0 - r / sr)) if sr > 0 else 0.0


def is_seasonal(z: np.ndarray, m: int) -> bool:
    """Whether ``z`` has a season of period ``m`` worth taking out: TEST_CYCLES cycles of data and a strength of 0.64."""
    return m >= 2 and len(z) >= TEST_CYCLES * m and strength(_stl(z, m)) >= STRENGTH


def fit_season(z: np.ndarray, m: int, how: str = "auto", keep: int | None = None) -> tuple[list[float], list[float]]:
    """The seasonal offsets (m,) of ``z`` by phase (see the module doc) and the season as it was at each of
    the last ``keep`` points of ``z`` (default all), or ([], []) when it is not adjusted.

    The offsets ahead are the last cycle of a robust STL decomposition's season (the current shape, where a
    classical decomposition would average every year alike). The history is that season at each point,
    so a window from an earlier year is adjusted by that year's shape: a season that grows or changes
    leaves no seasonal pattern in the adjusted history for the network to learn and repeat. Both are
    centred on the last cycle's mean; on a log series they are multiplicative seasonal indices.
    """
    if how not in DESEASON:
        raise LstmkitError(f"unknown --deseason {how!r}; pass one of {', '.join(DESEASON)}")
    z = np.asarray(z, float)
    n = len(z)
    if how == "none" or m < 2 or n < (TEST_CYCLES if how == "auto" else 2) * m or not np.isfinite(z).all():
        return [], []
    res = _stl(z, m)
    if how == "auto" and strength(res) < STRENGTH:
        return [], []
    window = choose_window(z, m)
    if window != WINDOWS[0]:
        res = _stl(z, m, window)
    season = np.asarray(res.seasonal, float)
    last = season[n - m:]  # positions n-m .. n-1, phases (1 - m) .. 0 mod m
    centre = last.mean()
    prof = np.empty(m)
    prof[(np.arange(n - m, n) - (n - 1)) % m] = last - centre
    keep = n if keep is None else max(m, min(n, keep))
    return prof.tolist(), (season[n - keep:] - centre).tolist()


def _at(profile: list[float], history: list[float], pos: np.ndarray) -> np.ndarray:
    """The offsets at positions ``pos`` counted from the training end (0 = its last point): the season as
    it was for a stored point, the first stored cycle's (by phase) before those, the last cycle's after."""
    if not profile:
        return np.zeros(len(pos))
    m = len(profile)
    out = np.asarray(profile, float)[pos % m]
    if len(history):
        k = len(history)
        idx = k - 1 + pos
        inside = (pos <= 0) & (idx >= 0)
        before = idx < 0
        hist = np.asarray(history, float)
        out[inside] = hist[idx[inside]]
        out[before] = hist[idx[before] % m]
    return out


def offsets(profile: list[float], n: int, end: int = 0, history: list[float] = ()) -> np.ndarray:
    """The offsets of ``n`` consecutive points whose last lies ``end`` steps after the training end."""
    return _at(profile, history, np.arange(n) - (n - 1) + end)


def ahead(profile: list[float], h: int, end: int = 0, history: list[float] = ()) -> np.ndarray:
    """The offsets of the ``h`` points after one that lies ``end`` steps after the training end."""
    return _at(profile, history, np.arange(1, h + 1) + end)
