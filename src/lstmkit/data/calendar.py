"""What a pandas frequency implies for a series: its seasonal period, its calendar features, and its stamps ahead.

    season_for(freq)                  the seasonal period a frequency implies (monthly 12, daily 7 ...)
    calendar(times, freq)             sin/cos calendar features (time, 2 * terms)
    future_times(times, freq, h)      the h timestamps after the last of ``times``
    steps_between(last, times, ...)   how many steps of the frequency separate two ends
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import LstmkitError
from .times import stamp

# pandas offset names (as ``pd.infer_freq`` returns them, prefix before any '-') -> seasonal period
_YEARLY = ("Y", "YS", "YE", "A", "AS", "BY", "BYS", "BYE")
_QUARTERLY = ("Q", "QS", "QE", "BQ", "BQS", "BQE")
_MONTHLY = ("M", "MS", "ME", "BM", "BMS", "BME", "SM", "SMS", "SME")
_SEASONS = {**dict.fromkeys(_YEARLY, 1), **dict.fromkeys(_QUARTERLY, 4), **dict.fromkeys(_MONTHLY, 12),
            "SM": 24, "SMS": 24, "SME": 24, "W": 52, "D": 7, "B": 5, "C": 5, "h": 24, "H": 24, "bh": 8, "BH": 8,
            "min": 60, "T": 60, "s": 60, "S": 60}
_SUBDAILY_SECONDS = {"h": 3600, "H": 3600, "min": 60, "T": 60, "s": 1, "S": 1}  # business hours keep their 8
MAX_SUBDAILY = 288  # a day of 5-minute steps: the longest sub-daily period taken by default


def _base(freq: str | None) -> str:
    if not freq:
        return ""
    code = pd.tseries.frequencies.to_offset(freq).name.split("-")[0]
    return "".join(ch for ch in code if not ch.isdigit())


def season_for(freq: str | None) -> int:
    """The seasonal period of a pandas frequency, in steps: monthly 12, quarterly 4, weekly 52, daily 7,
    hourly 24; else 1. A multiple divides its unit's period when it can ("3MS" 4, "2h" 12; "2D" 1, as GluonTS
    reads multiples). Sub-daily steps take the day when it is at most ``MAX_SUBDAILY`` steps ("30min" 48,
    "5min" 288), else the hour, else the minute ("min" 60, "10s" 6)."""
    if not freq:
        return 1
    base = _base(freq)
    n = max(1, int(getattr(pd.tseries.frequencies.to_offset(freq), "n", 1) or 1))
    seconds = _SUBDAILY_SECONDS.get(base)
    if seconds is not None:
        step = n * seconds
        for cycle in (86400, 3600, 60):
            if cycle % step == 0 and 1 < cycle // step <= MAX_SUBDAILY:
                return cycle // step
        return 1
    period = _SEASONS.get(base, 1)
    return period // n if period % n == 0 else 1


def calendar(times: pd.Index, freq: str | None, width: int | None = None) -> np.ndarray:
    """(len(times), 2 * terms) sin/cos features of the calendar positions the frequency has. ``width``: the
    features' width a saved model was trained with; a model saved before quarter-end, year-end and semi-month-end
    frequencies (``QE``, ``YE``, ``SME``) had their own features read day-of-week and day-of-year features, and
    keeps them."""
    base = _base(freq)
    legacy = width is not None and base in ("QE", "BQE", "YE", "BYE", "SME") and width == 4
    if not isinstance(times, pd.DatetimeIndex) or (base in ("",) + _YEARLY and not legacy):
        return np.zeros((len(times), 0))
    terms = []
    if base in _QUARTERLY and not legacy:
        terms.append(((times.quarter - 1) / 4.0))
    elif base in _MONTHLY and not legacy:
        terms.append((times.month - 1) / 12.0)
    elif base == "W":
        terms.append((times.isocalendar().week.to_numpy(float) - 1) / 52.0)
    else:
        if base in ("h", "H", "bh", "BH", "min", "T", "s", "S"):
            terms.append(times.hour / 24.0)
        terms.append(times.dayofweek / 7.0)
        terms.append((times.dayofyear - 1) / 365.25)
    ang = 2 * np.pi * np.stack([np.asarray(t, float) for t in terms], 1)
    return np.concatenate([np.sin(ang), np.cos(ang)], 1)


def future_times(times: pd.Index, freq: str | None, h: int) -> pd.Index:
    """The ``h`` time stamps after the last of ``times``."""
    if isinstance(times, pd.DatetimeIndex) and freq:
        try:
            return pd.date_range(times[-1], periods=h + 1, freq=freq)[1:]
        except (pd.errors.OutOfBoundsDatetime, OverflowError):
            raise LstmkitError(f"{h} steps of {freq} after {stamp(times[-1])} run past {pd.Timestamp.max.date()}, the last date pandas "
                               "can hold; lower --horizon") from None
    step = times.step if isinstance(times, pd.RangeIndex) else 1
    start = int(times[-1]) + step if len(times) else 0
    return pd.RangeIndex(start, start + h * step, step)


def steps_between(last: str, times: pd.Index, freq: str | None, datetime: bool) -> int:
    """How many steps of ``freq`` the last of ``times`` lies after the time ``last`` (negative: before)."""
    if not len(times):
        return 0
    b = times[-1]
    if not datetime:
        return (int(b) - int(last)) // (times.step if isinstance(times, pd.RangeIndex) else 1)
    a = pd.Timestamp(last)
    if a == b:
        return 0
    lo, hi = (a, b) if a < b else (b, a)
    n = len(pd.date_range(lo, hi, freq=freq)) - 1
    return n if b > a else -n
