"""The future table of a model with known covariates: their values over the forecast steps, each row found
by its series and its time.

    read_future(table, ids, id_col, known, h, time_col, stamps, zone)   -> one (h, K) array per series

Rows are matched to the forecast times by the model's time column, read as the history's times were
(UTC where they are kept so, local dates else, day first where that finds them), so a table may hold its
rows in any order, or the history before them; a table without the time column (or with it empty) gives
each series' rows in order, exactly ``h`` of them (row order is then the only key: in a longer table no one
can tell which row is the first forecast step). Ids match as written, or else as the whole number they write.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LstmkitError
from .series import rows_of_id
from .tables import read_table
from .times import parse_times, stamp, without_zone


def read_future(future, ids: list, id_col: str | None, known: list[str], h: int, time_col: str | None = None,
                stamps: list[pd.Index] | None = None, zone: str | None = None, ids_as_written: bool = True) -> list[np.ndarray] | None:
    """The known covariates over the ``h`` forecast steps of each series in ``ids``, (h, K) each, from a
    table (or a path) with those columns and the id column; None when the model has no known covariates (and
    then takes no table).

    When the table has the time column, each forecast time ``stamps[i]`` is looked up in it (so that rows in
    another order, or the history before them, are read right, and a missing time is named); without it,
    each series' rows, exactly ``h``, are the forecast steps in order. ``zone``: the history's times are
    kept in UTC and shown in that zone (``without_zone``), and the table's are read and named so too."""
    if not known:
        if future is not None:  # read, it would change nothing: the user expects the covariates to count
            raise LstmkitError("this model takes no known covariates, so a future table has nothing to give it; drop --future "
                               "(future= in Python), or retrain with the columns as --known")
        return None
    if future is None:
        raise LstmkitError(f"this model uses known covariates ({', '.join(known)}); pass their values over the next {h} steps "
                           "with --future FILE (future= in Python)")
    if not isinstance(future, (pd.DataFrame, str, Path)):
        raise LstmkitError(f"the future table is a {type(future).__name__}; pass a DataFrame or a file path (with the columns "
                           f"{', '.join(known)}{' and ' + id_col if id_col else ''})")
    fdf = future if isinstance(future, pd.DataFrame) else read_table(future, keep=(id_col,) if ids_as_written else ())
    missing = [col for col in [*known, *(x for x in (id_col,) if x)] if col not in fdf.columns]
    if missing:
        raise LstmkitError(f"the future table lacks column {missing[0]!r}; it needs {', '.join(known)}{' and ' + id_col if id_col else ''}")
    # a time column left empty gives the rows in order, as a table without one does
    by_time = bool(time_col) and time_col in fdf.columns and stamps is not None and bool(fdf[time_col].notna().any())
    when = _future_times(fdf[time_col], stamps, zone) if by_time else None
    shown = (lambda t: t.tz_localize("UTC").tz_convert(zone)) if zone else (lambda t: t)
    out = []
    for j, name in enumerate(ids):
        who = f"series {name!r}" if name else "the series"
        mask = np.ones(len(fdf), bool) if not id_col else rows_of_id(fdf[id_col], name)
        rows = fdf[mask]
        if by_time:
            t, want = pd.Index(when[mask]), stamps[j][:h]
            once = ~t.duplicated()
            twice = t[~once][t[~once].isin(want)]
            if len(twice):
                raise LstmkitError(f"the future table has two rows for {who} at {stamp(shown(twice[:1])[0])} in {time_col!r}; keep one row per time")
            at = t[once].get_indexer(want)
            if (at < 0).any():
                wanted = shown(want) if isinstance(want, pd.DatetimeIndex) else want
                raise LstmkitError(f"the future table has no row for {who} at {stamp(wanted[int(np.flatnonzero(at < 0)[0])])} in "
                                   f"{time_col!r}; it needs one row per forecast time, {stamp(wanted[0])} to {stamp(wanted[-1])}")
            rows = rows[once].iloc[at]
        elif len(rows) != h:
            # without times, a longer table's first rows might be the history's last ones: which row is the first
            # forecast step cannot be told, so the count must be exact
            raise LstmkitError(f"the future table has {len(rows)} row(s) for {who}; {h} are needed, one per forecast step in order"
                               + (f" (or give it the {time_col!r} column, and its rows are matched by time)" if time_col else ""))
        vals = rows[known].apply(pd.to_numeric, errors="coerce").to_numpy(float)[:h]
        if not np.isfinite(vals).all():
            i, k = (int(x[0]) for x in np.nonzero(~np.isfinite(vals)))
            place = f"at {rows[time_col].iloc[i]}" if by_time else f"in its forecast step {i + 1}"
            raise LstmkitError(f"the future table's column {known[k]!r} is missing or not a number for {who} {place}; "
                               "give every forecast step a value (the future is not filled)")
        out.append(vals)
    return out


def _future_times(raw: pd.Series, stamps: list[pd.Index], zone: str | None) -> np.ndarray:
    """A future table's time column in the model's terms: integers as integers; dates as naive times (UTC
    where the history's are, ``zone``), read both ways where the day could come first, whichever finds
    more of the forecast times. A column none of whose values reads as a time is an error."""
    if isinstance(stamps[0], pd.RangeIndex):
        return pd.to_numeric(raw, errors="coerce").to_numpy()
    text = raw.astype(str).where(raw.notna()) if pd.api.types.is_integer_dtype(raw) else raw  # 20210302: a date, not nanoseconds
    wanted = pd.DatetimeIndex(np.concatenate([s.values for s in stamps]))
    readings = []
    for dayfirst in (False, True):
        t = parse_times(text, errors="coerce", dayfirst=dayfirst)
        if zone and getattr(t.dt, "tz", None) is None:  # written without a zone: the history's
            t = t.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
        t, _ = without_zone(t, text, utc=zone is not None)
        readings.append(pd.DatetimeIndex(t))
    best = max(readings, key=lambda r: int(r.isin(wanted).sum()))
    if best.isna().all():
        raise LstmkitError(f"the future table's column {raw.name!r} holds no time that can be read ({str(raw.dropna().iloc[0])[:30]!r}); "
                           "write its times as the history's are, or drop the column to give the rows in forecast order")
    return best.values
