"""Whether prepared series revert to a mean: the KPSS test, which decides if the network sees each window's level.

A window's level is taken out of its values (``windows.py``), so the network sees the shape of the
recent past and not its height. For a series with a trend or a unit root that is what generalises: its
future height is its present one plus a change. A stationary series (a cycle, a rate, an anomaly)
returns to its mean, and how far it will move depends on how far from the mean it stands; a network
that sees only shapes cannot tell. So where the KPSS test does not reject level stationarity (at 5 %,
as auto.arima's ``ndiffs`` reads it), each window's level, in the series' prepared units, is one more
input channel.

Example:
    level_input_for("auto", [u])    # (True, 1, 1) for a stationary u: 1 of 1 series passed
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import LstmkitError

LEVEL_INPUTS = ("auto", "on", "off")
ALPHA = 0.05  # KPSS: a p-value at or below this rejects stationarity
MIN_POINTS = 8  # shorter series are not tested (and count as not stationary)


def is_stationary(u: np.ndarray) -> bool:
    """KPSS (constant, automatic lags) does not reject level stationarity of ``u`` at ``ALPHA``."""
    u = np.asarray(u, float)
    if len(u) < MIN_POINTS or not np.isfinite(u).all() or float(np.std(u)) < 1e-12:
        return False
    from statsmodels.tsa.stattools import kpss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "p-value outside the look-up table": the bound is returned, which is enough here
        p = kpss(u, regression="c", nlags="auto")[1]
    return bool(p > ALPHA)


def level_input_for(how: str, prepared: list[np.ndarray]) -> tuple[bool, int, int]:
    """(give the network the window level?, series that passed, series tested); ``auto``: when most series
    pass (one network serves a panel, so one answer for all of them)."""
    if how not in LEVEL_INPUTS:
        raise LstmkitError(f"unknown --level-input {how!r}; pass one of {', '.join(LEVEL_INPUTS)}")
    if how != "auto":
        return how == "on", 0, 0
    passed = sum(is_stationary(u) for u in prepared)
    return 2 * passed > len(prepared), passed, len(prepared)
