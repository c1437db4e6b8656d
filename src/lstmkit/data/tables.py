"""Tables from files: a CSV (its delimiter sniffed) or Parquet file as a pandas DataFrame, for every task.

    read_table(path)             CSV or Parquet -> DataFrame; one error line for a missing or unreadable file
    read_table(path, text=True)  a CSV's cells as written ("007", "3.50")
    saved_index(col)             whether a column is pandas' own index written out ("Unnamed: 0")
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import LstmkitError


def read_table(path: str | Path, text: bool = False) -> pd.DataFrame:
    """A CSV (comma, semicolon with decimal points or commas, tab, bar or spaces, sniffed from the header) or
    Parquet file as a DataFrame;
    ``text``: a CSV's cells as they are written, "007" and "3.50" included, and an empty cell as ""."""
    path = Path(path)
    if not path.exists():
        raise LstmkitError(f"{path}: no such file; pass a CSV or Parquet file")
    if path.is_dir():
        raise LstmkitError(f"{path} is a directory; pass a CSV or Parquet file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif text:
            df = pd.read_csv(path, sep=_delimiter(path), dtype=str, keep_default_na=False)
        else:
            sep = _delimiter(path)
            df = pd.read_csv(path, sep=sep)
            if sep == ";":  # the European layout writes decimal commas: take that reading when it finds more numbers
                other = pd.read_csv(path, sep=sep, decimal=",")
                if sum(map(pd.api.types.is_numeric_dtype, other.dtypes)) > sum(map(pd.api.types.is_numeric_dtype, df.dtypes)):
                    df = other
    except ImportError as e:
        raise LstmkitError(f"reading {path} needs {e.name or 'pyarrow'}; pip install pyarrow") from None
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as e:
        first = (str(e).splitlines() or [type(e).__name__])[0][:160]
        raise LstmkitError(f"{path} could not be read as a table ({first}); pass a CSV with a header row, or Parquet") from None
    if df.empty:
        raise LstmkitError(f"{path} has {'no columns' if not len(df.columns) else 'a header but no rows'}; pass a table with data")
    return df


def saved_index(col) -> bool:
    """Whether a column is pandas' own index written out with the table and read back ("Unnamed: 0")."""
    return bool(re.fullmatch(r"Unnamed: \d+", str(col).strip()))


def _delimiter(path: Path) -> str:
    """The CSV delimiter among ``,;\\t|`` and spaces, sniffed from the header line as pandas does. A one-column file has
    none and reads with a comma; pandas' unrestricted sniffer split a header such as ``v`` at its letter."""
    import csv

    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        header = f.readline()
    try:
        sep = csv.Sniffer().sniff(header, delimiters=",;\t| ").delimiter
    except csv.Error:
        return ","
    return r"\s+" if sep == " " else sep  # columns aligned by runs of spaces
