"""What a user passes as series, as one table: a CSV/Parquet path, a DataFrame, a Series or an array becomes a
DataFrame, and an index that holds times (a Series' dates, ``df.set_index("year")``) a time column.

    as_frame(data, target, time)   -> (DataFrame, target column, time column found in the index)
    index_times(index)             the times an index holds, or None for row numbers
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import LstmkitError
from .tables import read_table
from .times import parse_times


def as_frame(data, target: str | None = None, time: str | None = None, index_time: bool = True,
             id: str | None = None, ids_as_written: bool = True) -> tuple[pd.DataFrame, str | None, str | None]:
    """A DataFrame from a path, a DataFrame, a Series or an array; returns (frame, target, time).

    An index that holds times becomes the time column: a Series' dates or named whole numbers one apart
    (``index_times``; for a saved model reading new data, only when the model has a time column), a
    DataFrame's dates when no ``time`` is given and ``index_time`` (a fit), or the DataFrame index that ``time``
    names (``df.set_index("year")``). Row numbers stay row numbers."""
    if isinstance(data, (str, Path)):
        return read_table(data, keep=(id,) if ids_as_written else ()), target, None
    if isinstance(data, pd.Series):
        name = target or (str(data.name) if data.name is not None else "value")
        frame = data.rename(name).to_frame()
        idx = index_times(data.index) if index_time or time is not None else None
        if idx is not None:  # named as the time column asked for (a saved model's), else as the index is, else "time"
            col = time or (str(data.index.name) if data.index.name is not None and data.index.name != name else "time")
            return frame.set_axis(idx).rename_axis(col).reset_index(), name, col
        return frame.reset_index(drop=True), name, None
    if isinstance(data, pd.DataFrame):
        named = data.index.name is not None and data.index.name not in data.columns
        if time is not None and named and time == data.index.name:
            return data.reset_index(), target, None
        dates = not pd.api.types.is_integer_dtype(data.index)  # a frame's integer index is row numbers (a slice: 12, 13 ...)
        # the dates of the index: at a fit with no time column named, or for a saved model whose time column
        # the frame lacks (it was fitted on the same layout: its index became that column)
        wanted = (index_time and time is None) or (not index_time and time is not None and time not in data.columns)
        idx = index_times(data.index) if wanted and dates else None
        if idx is not None:
            col = time or (str(data.index.name) if named else "time")
            if col not in data.columns:
                return data.set_axis(idx).rename_axis(col).reset_index(), target, col
        return data, target, None
    if isinstance(data, (list, tuple, np.ndarray)):
        arr = np.asarray(data, dtype=float)
        if arr.ndim != 1:
            raise LstmkitError(f"an array of shape {arr.shape} is not one series; pass a 1-D array, a Series or a DataFrame")
        return pd.DataFrame({target or "value": arr}), target or "value", None
    raise LstmkitError(f"cannot read a series from a {type(data).__name__}; pass a DataFrame, a Series, an array or a CSV/Parquet path")


def index_times(index: pd.Index) -> pd.Index | None:
    """An index that holds times, as a time column would: dates (a DatetimeIndex, a PeriodIndex, text that
    parses as dates), or whole numbers one apart under a name ("year": 1990, 1991, ...). None for row numbers,
    which carry no name (pandas' default 0, 1, 2 ..., a slice's 10, 11 ...), and for any other index."""
    if isinstance(index, pd.PeriodIndex):
        return index.to_timestamp()
    if isinstance(index, pd.DatetimeIndex):
        return index
    if pd.api.types.is_integer_dtype(index):
        v = np.asarray(index, dtype=np.int64)
        return index if index.name is not None and len(v) > 1 and (np.diff(v) == 1).all() else None
    if index.dtype == object and len(index) and all(isinstance(x, str) for x in index):
        parsed = parse_times(pd.Series(index), errors="coerce")
        return pd.DatetimeIndex(parsed) if parsed.notna().all() else None
    return None
