"""Time series in: a CSV/Parquet file or a pandas object -> checked, regular series ready to window.

    to_series(df, target, time, id)   -> SeriesSet: one float array per series, its timestamps and frequency
    id_number(name), rows_of_id(...)  ids matched as written, or as the whole number they write ("007" and 7)

Files and pandas objects become one table by ``series_input.as_frame``, the time column is read by ``times``; what a frequency implies (season,
calendar features, the stamps ahead) is ``calendar``. Every problem with the input is one
``LstmkitError`` naming the column, the series and the row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LstmkitError
from .series_input import as_frame
from .tables import saved_index
from .times import (count_step, counted_times, find_time_column, irregular_error, on_grid, parse_times, regular, spread, without_zone,
                    textual)

FILLS = ("ffill", "bfill", "linear", "zero")


@dataclass
class SeriesSet:
    """Regular series read from a table.

    ``values[i]`` is a float64 array (n_i,); ``times[i]`` its ``DatetimeIndex`` (or a ``RangeIndex`` when no
    time column was given); ``known[i]`` / ``past[i]`` are (n_i, K) / (n_i, P) covariate arrays.
    """

    ids: list[str]
    values: list[np.ndarray]
    times: list[pd.Index]
    freq: str | None
    known: list[np.ndarray] = field(default_factory=list)
    past: list[np.ndarray] = field(default_factory=list)
    known_names: list[str] = field(default_factory=list)
    past_names: list[str] = field(default_factory=list)
    target: str = "value"  # the column the values came from
    time_col: str | None = None  # the column the times came from (given, or found by ``find_time_column``)
    id_kind: str = "str"  # what the id column held: int, float or str (the ids themselves are kept as text)
    zone: str | None = None  # the time zone the times were written in, when they are kept in UTC (``without_zone``)

    def __len__(self) -> int:
        return len(self.values)

    def cut(self, h: int, offset: int = 0) -> tuple["SeriesSet", list[np.ndarray]]:
        """Each series without its last ``h + offset`` points, and the ``h`` points that follow the cut."""
        ends = [len(v) - offset - h for v in self.values]
        acts = [v[e:e + h] for v, e in zip(self.values, ends)]
        cut = SeriesSet(self.ids, [v[:e] for v, e in zip(self.values, ends)], [t[:e] for t, e in zip(self.times, ends)], self.freq,
                        [k[:e] for k, e in zip(self.known, ends)], [p[:e] for p, e in zip(self.past, ends)],
                        self.known_names, self.past_names, self.target, self.time_col, self.id_kind, self.zone)
        return cut, acts


def _in_zone(stamps: pd.Series, zone: str, col: str) -> pd.Series:
    """Naive local times of ``zone`` as naive UTC times; an hour the clock repeats is named."""
    local = stamps.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
    if local.isna().any():
        at = stamps[local.isna()].iloc[0]
        raise LstmkitError(f"time {at} in {col!r} happens twice in {zone} (the clock went back); write the times with their offsets")
    return local.dt.tz_convert(None)


def _csv(data) -> bool:
    """Whether ``data`` is a path to a CSV (whose id column is read as written: see ``read_table(keep=)``)."""
    return isinstance(data, (str, Path)) and Path(data).suffix.lower() not in (".parquet", ".pq")


def _numeric(df: pd.DataFrame, col: str, rows: np.ndarray | None = None) -> np.ndarray:
    s = df[col]
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(float)
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() & s.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LstmkitError(f"column {col!r} holds text ({str(s.iloc[i])[:30]!r} at row {i + 1}); it must be numeric — clean it or pick another column")
    return num.to_numpy(float)


def _fill(values: np.ndarray, how: str) -> np.ndarray:
    s = pd.Series(values)
    if how == "ffill":
        s = s.ffill().bfill()
    elif how == "bfill":
        s = s.bfill().ffill()
    elif how == "linear":
        s = s.interpolate("linear", limit_direction="both")
    else:
        s = s.fillna(0.0)
    return s.to_numpy(float)


def to_series(data, target: str | None, time: str | None = None, id: str | None = None, *, known: str | tuple[str, ...] = (),
              past: str | tuple[str, ...] = (), fill: str | None = None, freq: str | None = None, find_time: bool = True,
              ids_as_written: bool = True, model_zone: str | None = None) -> SeriesSet:
    """Check a long table and split it into regular series.

    Args:
        data: a DataFrame, a Series with a DatetimeIndex, an array, or a CSV/Parquet path.
        target: the column to forecast.
        time: the time column (parsed; the frequency is inferred and must be regular). None: the one
            column of dates when the table has one (``find_time_column``), else row order.
        id: the column naming each series of a panel (one global model learns them all).
        known: covariate columns known in the future (their future values are needed to predict); one name
            alone is a list of one, as for ``past``.
        past: covariate columns known only up to the present.
        fill: how to fill missing values (ffill, bfill, linear, zero); None refuses them.
        freq: the pandas frequency of the times instead of inferring one; it puts each series on its grid,
            where a time with no row is a missing value (refused unless ``fill``).
        find_time: with no ``time``, look for the column of dates (off when reading for a saved model,
            which keeps the columns it was trained with).
        ids_as_written: read a CSV's id column as the file writes it ("0007"); a model saved before that
            was so read its ids as pandas reads them ("7"), and reads new files the same way.
        model_zone: the zone a saved model's times were written in (kept in UTC): times written without one
            are that zone's local times, and are read into UTC as the model's were.

    Example:
        to_series(pd.read_csv("air.csv"), "value", "date")   # one monthly series, freq 'MS'
    """
    # one column named alone is a list of one, not its letters
    known, past = ((names,) if isinstance(names, str) else tuple(names) for names in (known, past))
    df, target, t_col = as_frame(data, target, time, index_time=find_time, id=id, ids_as_written=ids_as_written)
    time = time or t_col
    if fill is not None and fill not in FILLS:
        raise LstmkitError(f"unknown --fill {fill!r}; pass one of {', '.join(FILLS)}")
    found_time = time is None and find_time
    if found_time:  # first, so that a column of years is not taken for the target
        time = find_time_column(df, skip=tuple(c for c in (target, id, *known, *past) if c))
    if target is None:
        numeric = [c for c in df.columns if c not in (time, id) and pd.api.types.is_numeric_dtype(df[c]) and not saved_index(c)]
        if not numeric:
            texts = [c for c in df.columns if c not in (time, id) and not saved_index(c)]
            sample = ""
            for c in texts:  # the first value that is not a number, and where it is
                bad = pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna()
                if bad.any():
                    r = int(np.flatnonzero(bad.to_numpy())[0])
                    sample = f"; {c!r} holds {str(df[c].iloc[r])[:20]!r} at row {r + 1}"
                    break
            raise LstmkitError(f"no column holds numbers only (its columns: {', '.join(map(str, df.columns[:12]))}){sample}; "
                               "write the values as plain numbers (1176.5, or 1176,5 in a ;-separated file) and pass --target")
        if len(numeric) != 1:
            raise LstmkitError(f"pass --target: the table has {len(numeric)} numeric columns ({', '.join(map(str, numeric[:6]))})"
                               + ("; for one series per column, reshape the table to long format (pandas melt: one row per series "
                                  "and time) and pass --id" if len(numeric) > 1 else ""))
        target = str(numeric[0])
    _check_covariates(str(target), known, past)
    cols = [target, *(c for c in (time, id) if c), *known, *past]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        shown = ', '.join(map(str, df.columns[:12])) + (', ...' if len(df.columns) > 12 else '')
        if not find_time:  # a saved model reads the columns it was trained on
            raise LstmkitError(f"column {missing[0]!r} is not in the table (its columns: {shown}); the model reads the columns it was "
                               f"trained on ({', '.join(map(str, cols))}): rename the table's columns to those")
        option = ("--known" if missing[0] in known else "--past" if missing[0] in past else
                  "--target" if missing[0] == target else "--time" if missing[0] == time else "--id")
        raise LstmkitError(f"column {missing[0]!r} is not in the table (its columns: {shown}); check {option}")
    if len(df) == 0:
        raise LstmkitError("the table has no rows; pass a file with a header row and data")
    # integer times (years, period numbers) stay integers, one step apart; anything else is parsed as dates
    counted = bool(time) and pd.api.types.is_integer_dtype(df[time])
    step = count_step(df, time, id, found=found_time) if counted else None
    if counted and found_time and step is None:
        time, counted = None, False  # "year" repeating beside a "month" column: row order, as before
    if counted and freq:
        raise LstmkitError(f"--freq {freq} is for dates, and the times in {time!r} are integers that count steps; leave --freq out")
    zone = None
    if time and not counted:
        try:
            stamps = parse_times(df[time], errors="raise")
        except (ValueError, TypeError, OverflowError) as e:
            raw = df[time]
            parsed = parse_times(raw, errors="coerce")
            bad = parsed.isna() & raw.notna()
            where = f" ({str(raw[bad].iloc[0])[:30]!r} at row {int(np.flatnonzero(bad.to_numpy())[0]) + 1})" if bad.any() else f": {str(e)[:80]}"
            raise LstmkitError(f"time column {time!r} holds a value that is not a date{where}; fix it or pass another --time") from None
        if stamps.isna().any():
            raise LstmkitError(f"time column {time!r} is empty at row {int(np.flatnonzero(stamps.isna().to_numpy())[0]) + 1}; every row needs a time")
        stamps, zone = without_zone(stamps, df[time])
        if model_zone and zone is None and getattr(stamps.dt, "tz", None) is None and stamps.dt.time.nunique() > 1:
            stamps, zone = _in_zone(stamps, model_zone, time), model_zone
    id_kind = "str"
    if id:
        # ids are kept as text (a saved model's JSON, a new file's matching); their kind comes back on output
        empty = df[id].isna().to_numpy()
        if empty.any():
            raise LstmkitError(f"id column {id!r} is empty at row {int(np.flatnonzero(empty)[0]) + 1}; every row needs an id (fill it, or drop the row)")
        kind = df[id].dtype.kind
        if isinstance(df[id].dtype, pd.CategoricalDtype):  # a categorical id: the kind of its categories
            kind = df[id].cat.categories.dtype.kind
        if kind == "O" and _csv(data) and ids_as_written:  # a CSV's ids as written: "7" comes back a number, "0007" as written
            kind = "i" if df[id].astype(str).str.fullmatch(r"-?[1-9]\d{0,17}|0").all() else "O"
        id_kind = "int" if kind in "iu" else "float" if kind == "f" else "str"
        keys = pd.unique(df[id].dropna())
        texts = pd.Series([str(k) for k in keys])
        if texts.duplicated().any():
            same = texts[texts.duplicated(keep=False)].iloc[0]
            a, b = [k for k in keys if str(k) == same][:2]
            raise LstmkitError(f"the ids {a!r} and {b!r} in {id!r} would name one series; write the column in one type (all text, or all numbers)")
    # observed=True: a categorical id's unused categories (left after filtering a table) are not series
    groups = [("", np.arange(len(df)))] if not id else [(str(k), idx) for k, idx in
                                                        df.groupby(id, sort=True, dropna=False, observed=True).indices.items()]
    if id_kind == "int" and df[id].dtype.kind == "O":  # read as written: in the numbers' order, 2 before 10
        groups.sort(key=lambda g: int(g[0]))
    if time and not counted:
        if textual(df[time]) and not regular(stamps, groups, freq):
            # "01/02/2020" parses as 2 January; if the month-first reading leaves the times irregular and the
            # day-first one (1 February) does not, the file writes its days first
            other = parse_times(df[time], errors="coerce", dayfirst=True)
            if other.notna().all() and getattr(other.dt, "tz", None) is None and regular(other, groups, freq):
                stamps = other
        df = df.assign(**{time: stamps})
    values_all = _numeric(df, target)
    cov = {c: _numeric(df, c) for c in (*known, *past)}

    ids, values, times, kn, pa, freqs = [], [], [], [], [], set()
    # times that go backwards or repeat in a table read as one series: several series, and no --id (for a saved
    # model of one series, which takes no --id, several series are the wrong data)
    guess = _id_hint(df, {target, time, *known, *past}) if not id else None
    several = "" if not guess else (f"; or, if the table holds several series, pass --id {guess}" if find_time else
                                    f"; or the table holds several series (in {guess!r}?), and the model was trained on one: "
                                    "give it one series' rows")
    for name, rows in groups:
        rows = np.asarray(rows)
        label = f"series {name!r}" if id else "the series"
        if counted:
            t = counted_times(df[time].to_numpy()[rows], label, time, step or 1, several)
        elif time:
            t = pd.DatetimeIndex(df[time].to_numpy()[rows])
            order = np.argsort(t.values, kind="stable")
            if not (order == np.arange(len(order))).all():
                i = int(np.flatnonzero(np.diff(t.values.astype("int64")) < 0)[0])
                raise LstmkitError(f"{label}: time goes backwards at row {rows[i + 1] + 1} ({t[i + 1]} after {t[i]}); sort the table by time{several}")
            dup = t.duplicated()
            if dup.any():
                i = int(np.flatnonzero(dup)[0])
                raise LstmkitError(f"{label}: time {t[i]} appears twice (rows {rows[t.get_loc(t[i]).start if isinstance(t.get_loc(t[i]), slice) else i] + 1} "
                                   f"and {rows[i] + 1}); each series needs one row per time — aggregate duplicates first{several}")
            f = freq
            if f is None and len(t) >= 3:
                f = pd.infer_freq(t)
                if f is None:
                    raise LstmkitError(irregular_error(t, label, time))
            if f is not None and not freq:
                freqs.add(f)
        else:
            t = pd.RangeIndex(len(rows))
        v = values_all[rows]
        c = {k: a[rows] for k, a in cov.items()}
        if time and freq and not counted:
            # an assumed frequency puts the series on its grid: a time missing from the table is a missing value
            given = t
            t, at = on_grid(t, freq, label, time, model=not find_time)
            freqs.add(t.freqstr or freq)  # the grid's own name: "W" on Mondays is W-MON, which the future stamps keep
            if at is not None:
                if fill is None:
                    gap = t[np.setdiff1d(np.arange(len(t)), at)]
                    # times of a regular coarser step (weekly rows for a daily model) are the wrong data, not gaps to fill
                    own = pd.infer_freq(given) if len(given) >= 3 else None
                    if own is not None:
                        whose = "the model was trained on" if not find_time else "--freq says"
                        raise LstmkitError(f"{label}: the times in {time!r} are {own} apart, and {whose} {freq}: {len(gap)} time(s) of that "
                                           f"grid have no row (first {gap[0]}); give it {freq} data"
                                           f"{'' if not find_time else ', or drop --freq'} (--fill would invent the rows between)")
                    raise LstmkitError(f"{label}: {len(gap)} time(s) of the {freq} grid have no row (first {gap[0]}); "
                                       "pass --fill ffill|bfill|linear|zero to fill them")
                v, c = spread(v, at, len(t)), {k: spread(a, at, len(t)) for k, a in c.items()}
        for col, arr in ((target, v), *c.items()):
            inf = np.flatnonzero(np.isinf(arr))
            if len(inf):  # not a gap: no fill method can say what an overflowing value stood for
                raise LstmkitError(f"{label}: column {col!r} holds an infinite value at row {int(rows[inf[0]]) + 1}; replace it with a "
                                   f"number, or empty the cell{' and pass --fill ffill|bfill|linear|zero' if fill is None else ''}")
            nan = np.flatnonzero(~np.isfinite(arr))
            if len(nan) and fill is None:
                shown = ", ".join(str(int(rows[i]) + 1) for i in nan[:5])
                raise LstmkitError(f"{label}: column {col!r} is missing {len(nan)} value(s) (rows {shown}{', ...' if len(nan) > 5 else ''}); "
                                   f"pass --fill ffill|bfill|linear|zero, or clean the file")
        if fill is not None:
            for col, arr in ((target, v), *c.items()):
                if len(arr) and not np.isfinite(arr).any():  # zero or a constant would make up the whole series
                    raise LstmkitError(f"{label}: column {col!r} has no value at all, nothing to fill from; drop the series or the column")
            v = _fill(v, fill)
            c = {k: _fill(a, fill) for k, a in c.items()}
            if not np.isfinite(v).all():
                raise LstmkitError(f"{label}: column {target!r} has no value to fill from; drop the series")
        ids.append(name)
        values.append(v)
        times.append(t)
        kn.append(np.stack([c[k] for k in known], 1) if known else np.zeros((len(v), 0)))
        pa.append(np.stack([c[k] for k in past], 1) if past else np.zeros((len(v), 0)))
    if len(freqs) > 1:
        raise LstmkitError(f"the series have different frequencies ({', '.join(sorted(freqs))}); split the file or pass --freq")
    return SeriesSet(ids, values, times, next(iter(freqs)) if freqs else None, kn, pa, list(known), list(past), str(target), time, id_kind, zone)



def _check_covariates(target: str, known, past) -> None:
    """Each covariate column an input of its own: the target is the series itself (its past is the network's
    input already, and as a known covariate its future would be the answer), and a column named twice, or
    both known and past, would be one input counted as two."""
    for option, names in (("--known", known), ("--past", past)):
        if target in names:
            raise LstmkitError(f"{option} {target!r} is the target column, which the network reads already; drop it from {option}")
        twice = [c for c in dict.fromkeys(names) if list(names).count(c) > 1]
        if twice:
            raise LstmkitError(f"{option} names {twice[0]!r} twice; name each covariate once")
    both = [c for c in known if c in past]
    if both:
        raise LstmkitError(f"{both[0]!r} is named by both --known and --past; pass it once: --known if its values over the forecast "
                           "steps will be known, else --past")


def _id_hint(df: pd.DataFrame, used: set) -> str | None:
    """A column that looks like it names series (repeated text or category values, fewer than the rows), for
    the error of a table whose times repeat because it holds several series and no --id was given."""
    for c in df.columns:
        if c in used or saved_index(c):
            continue
        col = df[c]
        if (col.dtype.kind in "OUS" or isinstance(col.dtype, (pd.CategoricalDtype, pd.StringDtype))) and 1 < col.nunique() < len(col):
            return str(c)
    return None

def id_number(name) -> int | None:
    """The whole number an id writes ("007" and "7": 7), or None: how ids written one way match ids written
    another (a file read as written against a model fitted on numbers, and back)."""
    text = str(name)
    return int(text) if re.fullmatch(r"[+-]?\d{1,18}", text) else None


def rows_of_id(column: pd.Series, name: str) -> np.ndarray:
    """The rows of ``column`` that hold the id ``name``: as written, or else as the same whole number."""
    text = column.astype(str)
    exact = (text == name).to_numpy()
    number = id_number(name)
    if exact.any() or number is None:
        return exact
    return np.array([id_number(v) == number for v in text])
