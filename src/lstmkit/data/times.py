"""The time column of a series table: dates (day first too), integer counts, and regular grids.

    parse_times(raw)                  a column as timestamps (quarters "1970 Q1" and "13/01/2020" included)
    find_time_column(df, skip)        the one column of dates (or of years), when no --time is given
    regular(stamps, groups, freq)     whether every series' times fit a frequency
    on_grid(t, freq, ...)             a series' times on the grid of ``freq``, and where each one lies
    without_zone(stamps, raw)         times with a zone as local dates or UTC times, and the zone to show them in
    count_step(df, col, id)           the step an integer time column counts in (1 for years, 5 for every fifth)
    counted_times(n, ...)             integer times (years) as the steps they count

``series.to_series`` reads a table with these; every problem is one ``LstmkitError`` naming the column.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import LstmkitError

# names that say "this column is the time" when more than one column holds dates
_TIME_NAMES = ("time", "date", "ds", "timestamp", "datetime", "period", "month", "year", "week", "day")


_QUARTER = r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]([1-4])\s*$"  # "1970 Q1", "1970-Q1": the quarters R and Excel export
_DOTTED = r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}(\s.*)?$"  # "13.01.2020": written day first wherever dots separate a date
_OFFSET = r"\s*(?:Z|UTC|[+-]\d{2}:?\d{2})$"  # a time's zone written after it: "+02:00", "Z"


def textual(raw: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(raw) or pd.api.types.is_string_dtype(raw)


def parse_times(raw: pd.Series, errors: str = "raise", dayfirst: bool = False) -> pd.Series:
    """A column of times as timestamps: what pandas parses, quarters written "1970 Q1", and dates written day
    first ("13/01/2020", "13.01.2020") when they do not all parse month first. Periods (pandas' "2015-01"
    months) are their start times, as a PeriodIndex is."""
    if isinstance(raw.dtype, pd.PeriodDtype):
        return raw.dt.to_timestamp()
    if textual(raw):
        text = raw.astype(str)
        quarters = text.str.fullmatch(_QUARTER)
        if quarters.any():  # the others are left as they are, so a bad one is named by the error
            raw = raw.where(~quarters, text.str.replace(_QUARTER, r"\1Q\2", regex=True))
        # "01.02.2020" is 1 February: no locale writes a date with dots month first, so no reading is guessed
        written = text[raw.notna()]
        dayfirst = dayfirst or bool(len(written) and written.str.fullmatch(_DOTTED).all())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas' "could not infer format": each date parsed alone
        # offsets that change within the column (daylight saving time: +01:00, then +02:00) are one instant
        # each; pandas wants utc=True for them, and ``without_zone`` gives back the local dates where wanted
        warnings.simplefilter("error", FutureWarning)
        try:
            return pd.to_datetime(raw, errors="raise", dayfirst=dayfirst)
        except FutureWarning:
            return pd.to_datetime(raw, errors=errors, dayfirst=dayfirst, utc=True)
        except (ValueError, TypeError, OverflowError):
            if textual(raw) and not dayfirst:
                try:
                    return pd.to_datetime(raw, errors="raise", dayfirst=True)
                except (ValueError, TypeError, OverflowError):
                    pass
            if errors == "raise":
                raise
            # the reading that parses more values, so that the value left unparsed is the bad one
            readings = [pd.to_datetime(raw, errors="coerce", dayfirst=d, utc=_zoned(raw)) for d in ((dayfirst,) if dayfirst else (False, True))]
            return min(readings, key=lambda r: int(r.isna().sum()))


def _zoned(raw: pd.Series) -> bool:
    """Whether a text column writes a zone after its times (read as UTC instants then)."""
    return textual(raw) and bool(raw.dropna().astype(str).str.contains(_OFFSET).any())


def stamp(t) -> str:
    """A time as a message shows it: a date alone at midnight."""
    t = pd.Timestamp(t) if not isinstance(t, (int, np.integer)) else t
    return str(t.date()) if isinstance(t, pd.Timestamp) and t == t.normalize() and t.tz is None else str(t)


def without_zone(stamps: pd.Series, raw: pd.Series, utc: bool | None = None) -> tuple[pd.Series, str | None]:
    """Times with a zone as naive times, and the zone a forecast's times are shown in (None: none).

    With one time of day throughout (daily or coarser data), the local dates as written, which a change of
    daylight saving time would shift in UTC; with several (hourly), UTC, where no hour repeats or goes
    missing, shown back in the zone the times had (a column of changing offsets: UTC). ``utc`` True or
    False makes that choice instead (a future table read as its model's training data was).
    """
    zone = getattr(stamps.dt, "tz", None)
    if zone is None:
        return stamps, None
    local = stamps.dt.tz_localize(None)
    if textual(raw) and str(zone) == "UTC":  # written with offsets: the wall-clock times as written
        local = pd.to_datetime(raw.astype(str).str.replace(_OFFSET, "", regex=True), errors="coerce")
    if utc is False or (utc is None and local.notna().all() and local.dt.time.nunique() == 1):
        return local, None
    return stamps.dt.tz_convert(None), str(zone)


def regular(stamps: pd.Series, groups: list, freq: str | None) -> bool:
    """Whether every series' times lie on the grid of ``freq``, or without one, whether pandas can name a
    frequency for every series of at least 3 points."""
    for _, rows in groups:
        t = pd.DatetimeIndex(stamps.to_numpy()[np.asarray(rows)])
        try:
            if freq is not None:
                if len(t) and (grid_of(t.min(), t.max(), freq).get_indexer(t) < 0).any():
                    return False
            elif len(t) >= 3 and pd.infer_freq(t) is None:
                return False
        except (ValueError, TypeError):
            return False
    return True


# the share of a text column's sampled values that must read as dates for the column to count as the times
DATE_SHARE = 0.9


def find_time_column(df: pd.DataFrame, skip: tuple = ()) -> str | None:
    """The column of dates in ``df``, or None when none is, or several are and none is named like a time.

    A column counts when it is a datetime column, or text of which nearly every value (DATE_SHARE) parses as
    a date (so numbers, labels and store names never do; the rest are refused by row when it is read). Read
    as a user expects of ``date,value`` with no --time.
    """
    found, counters = [], []
    for col in df.columns:
        if col in skip:
            continue
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s) or isinstance(s.dtype, pd.PeriodDtype):
            found.append(col)
            continue
        if pd.api.types.is_integer_dtype(s) and str(col).strip().lower() in _TIME_NAMES:
            counters.append(col)  # "year": 1960, 1961 ...; only by its name, as any column of integers could count
            continue
        if not textual(s) or s.isna().all():
            continue
        sample = s.dropna().astype(str)
        sample = pd.concat([sample.iloc[:50], sample.iloc[-50:]])
        digits = sample.str.contains(r"\d", regex=True)  # "Monday", "north": not dates on their own
        if digits.mean() < DATE_SHARE:
            continue
        # most values dates: the time column, and a stray "notadate" in it is refused by its row when the
        # column is read, rather than the whole column dropped unread for the row order
        if (parse_times(sample[digits], errors="coerce").notna().sum() / len(sample)) >= DATE_SHARE:
            found.append(col)
    if len(found) == 1:
        return str(found[0])
    named = [c for c in found if str(c).strip().lower() in _TIME_NAMES]
    if len(named) == 1:
        return str(named[0])
    return str(counters[0]) if not found and len(counters) == 1 else None


def irregular_error(t: pd.DatetimeIndex, label: str, col: str) -> str:
    """The error for times no frequency fits: the gaps seen, and the --freq that the commonest gap suggests."""
    gaps = pd.Series(np.diff(t.values)).value_counts()
    days = pd.Timedelta(gaps.index[0]) / pd.Timedelta(days=1)
    # calendar steps vary in length: months 28-31 days, quarters 89-92, years 365-366
    anchor = "S" if (t.day == 1).all() else "E" if t.is_month_end.all() else None
    calendar_ = next((code for lo, hi, code in ((28, 31, "M"), (89, 92, "Q"), (365, 366, "Y")) if lo <= days <= hi), None)
    midnight = bool((t == t.normalize()).all())
    hint = "pass --freq to assume one"
    if midnight and days == 1 and (t.dayofweek < 5).all():
        # weekdays only, a day apart but 3 across each weekend: business days, with holidays missing
        hint = "the times are weekdays only: pass --freq B --fill linear to fill the missing weekdays (holidays)"
    elif midnight and 13 <= days <= 16 and ((t.day == 15) | t.is_month_end).all():
        hint = "pass --freq SME (the 15th and the month's end) --fill linear to put them on that grid"
    elif midnight and 13 <= days <= 16 and t.day.isin([1, 15]).all():
        hint = "pass --freq SMS (the 1st and the 15th) --fill linear to put them on that grid"
    elif calendar_ and anchor:
        hint = f"pass --freq {calendar_}{anchor} --fill linear to put them on that grid"
    elif calendar_ and t.day.nunique() == 1:
        # every time on one day of its month (the 15th), a grid no pandas frequency holds
        hint = (f"the times fall on day {t.day[0]} of the month, which no pandas frequency follows: move them to the "
                f"{'month' if calendar_ == 'M' else 'quarter' if calendar_ == 'Q' else 'year'}'s first day and pass --freq {calendar_}S")
    elif not calendar_:
        try:
            hint = f"pass --freq {pd.tseries.frequencies.to_offset(pd.Timedelta(gaps.index[0])).freqstr} --fill linear to put them on that grid"
        except ValueError:
            pass
    return (f"{label}: the times in {col!r} are irregular (gaps of {', '.join(str(g) for g in gaps.index[:3])}); "
            f"{hint}, or resample the table to a regular grid")


def on_grid(t: pd.DatetimeIndex, freq: str, label: str, col: str, model: bool = False) -> tuple[pd.DatetimeIndex, np.ndarray | None]:
    """The regular grid of ``freq`` from the first time to the last, and where on it each time lies (None: all
    of it). A time off the grid is an error: the frequency (``--freq``, or a saved ``model``'s) does not fit it."""
    try:
        grid = grid_of(t[0], t[-1], freq)
    except ValueError as e:
        raise LstmkitError(f"--freq {freq!r} is not a pandas frequency ({str(e)[:60]}); pass one such as D, W, MS or QS") from None
    at = grid.get_indexer(t)
    if (at < 0).any():
        off = t[int(np.flatnonzero(at < 0)[0])]
        if model:
            raise LstmkitError(f"{label}: time {off} in {col!r} is not on the model's grid, {freq} (the times from {t[0]} on, {freq} "
                               "apart); the model was trained on that frequency: give it data at those times")
        raise LstmkitError(f"{label}: time {off} in {col!r} is not on the grid of --freq {freq} "
                           f"(the times from {t[0]} on, {freq} apart); pass the frequency the times follow")
    return grid, (None if len(grid) == len(t) else at)


def grid_of(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """The times of ``freq`` from ``first`` to ``last``; a weekly frequency keeps the first time's weekday
    ("W" is W-SUN in pandas, and weeks of Mondays stay Mondays)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas warns of an unknown alias ("bogus") before refusing it
        offset = pd.tseries.frequencies.to_offset(freq)
    if isinstance(offset, pd.offsets.Week) and offset.weekday is not None and offset.weekday != first.weekday():
        offset = pd.offsets.Week(n=offset.n, weekday=first.weekday())
    return pd.date_range(first, last, freq=offset)


def spread(a: np.ndarray, at: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.nan)
    out[at] = a
    return out


def count_step(df: pd.DataFrame, col: str, id: str | None, found: bool = False) -> int | None:
    """The step an integer time column counts in: the greatest common divisor of each series' rises (1 for
    years with a gap, which ``counted_times`` then names; 5 for every fifth year). None when it is empty
    somewhere, or falls or repeats within a series ("year" beside a "month" column); for a column ``found``
    rather than given, also when the step is not the commonest rise (jittered epoch seconds: no count, so
    row order, as before). Series that count in different steps are an error naming two."""
    if df[col].isna().any():
        return None
    groups = [("", df[col])] if not id else list(df.groupby(id, sort=False, observed=True)[col])
    steps, regular = {}, True
    for name, g in groups:
        rises = np.diff(g.to_numpy(np.int64))
        if (rises <= 0).any():
            return None
        if len(rises):
            step = int(np.gcd.reduce(rises))
            values, counts = np.unique(rises, return_counts=True)
            if found and values[np.argmax(counts)] != step:
                return None
            steps[name] = step
            regular = regular and len(values) == 1
    if len(set(steps.values())) > 1 and not regular:  # a gap somewhere: counted_times names it, in the common step
        return int(np.gcd.reduce(list(steps.values())))
    if len(set(steps.values())) > 1:
        (a, sa), (b, sb) = next(((x, y) for x in steps.items() for y in steps.items() if x[1] != y[1]))
        raise LstmkitError(f"series {a!r} counts {col!r} in steps of {sa} and series {b!r} in steps of {sb}; "
                           "give every series the same step")
    return next(iter(steps.values()), 1)


def _written_date(n: np.ndarray) -> tuple[str, str] | None:
    """("YYYYMM", "%Y%m") when every integer reads as a year and month (201512, 201601), or ("YYYYMMDD", "%Y%m%d")
    as a date; None otherwise (years, steps, epoch seconds)."""
    for name, fmt, lo, hi in (("YYYYMM", "%Y%m", 100001, 999912), ("YYYYMMDD", "%Y%m%d", 10000101, 99991231)):
        if len(n) and n.min() >= lo and n.max() <= hi:
            parsed = pd.to_datetime(pd.Series(n).astype(str), format=fmt, errors="coerce")
            if parsed.notna().all():
                return name, fmt
    return None


def counted_times(n: np.ndarray, label: str, col: str, step: int = 1, several: str = "") -> pd.RangeIndex:
    """Integer times as the steps they count (1960, 1961 ... or 1950, 1955 ...): ascending, ``step`` apart.
    ``several``: what a time going backwards or repeating adds (a table of several series read without --id)."""
    if pd.isna(n).any():
        raise LstmkitError(f"{label}: time column {col!r} is empty at row {int(np.flatnonzero(pd.isna(n))[0]) + 1}; every row needs a time")
    n = np.asarray(n, dtype=np.int64)  # unsigned columns would wrap below zero
    d = np.diff(n)
    if (d < 0).any():
        i = int(np.flatnonzero(d < 0)[0])
        raise LstmkitError(f"{label}: time goes backwards in {col!r} ({n[i + 1]} after {n[i]}); sort the table by time{several}")
    if (d == 0).any():
        i = int(np.flatnonzero(d == 0)[0])
        raise LstmkitError(f"{label}: time {n[i]} appears twice in {col!r}; each series needs one row per time — aggregate duplicates first{several}")
    if (d != step).any():
        i = int(np.flatnonzero(d != step)[0])
        written = _written_date(n)
        if written:
            raise LstmkitError(f"{label}: the integer times in {col!r} ({n[i]}, {n[i + 1]}) are dates written as {written[0]}; "
                               f"write them as dates (pandas: pd.to_datetime(df[{col!r}].astype(str), format={written[1]!r}))")
        raise LstmkitError(f"{label}: the integer times in {col!r} jump from {n[i]} to {n[i + 1]}; they count steps {step} apart, so add a "
                           "row for each missing step (its value empty, then --fill) or pass dates")
    return pd.RangeIndex(int(n[0]), int(n[-1]) + step, step)
