"""Tables from files: a CSV (its delimiter sniffed) or Parquet file as a pandas DataFrame, for every task.

    read_table(path)             CSV or Parquet -> DataFrame; one error line for a missing or unreadable file
    read_table(path, text=True)  a CSV's cells as written ("007", "3.50")
    read_table(path, keep=(col,))  those columns as written (ids such as "0007"), the others read as numbers
    saved_index(col)             whether a column is pandas' own index written out ("Unnamed: 0")
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import LstmkitError


def read_table(path: str | Path, text: bool = False, keep: tuple = (), header: bool = True) -> pd.DataFrame:
    """A CSV (comma, semicolon with decimal points or commas, tab, bar or spaces, sniffed from the header; Excel's
    ``sep=;`` first line honoured; numbers with thousands separators, "1,176.00" or "1.176,00", read as numbers)
    or Parquet file as a DataFrame;
    ``text``: a CSV's cells as they are written, "007" and "3.50" included, and an empty cell as "";
    ``keep``: the CSV columns to read as written (an id column's "0007"), where they exist;
    ``header=False``: a CSV whose first line is data (its columns numbered from 0)."""
    path = Path(path)
    if not path.exists():
        raise LstmkitError(f"{path}: no such file; pass a CSV or Parquet file")
    if path.is_dir():
        raise LstmkitError(f"{path} is a directory; pass a CSV or Parquet file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            sep, skip = _delimiter(path)
            if text:
                df = pd.read_csv(path, sep=sep, skiprows=skip, dtype=str, keep_default_na=False, header=0 if header else None)
            else:
                as_written = {c: str for c in keep if c is not None}
                df = pd.read_csv(path, sep=sep, skiprows=skip, dtype=as_written or None, header=0 if header else None)
                if sep == ";":  # the European layout writes decimal commas: take that reading when it finds more numbers
                    other = pd.read_csv(path, sep=sep, skiprows=skip, decimal=",", dtype=as_written or None, header=0 if header else None)
                    if sum(map(pd.api.types.is_numeric_dtype, other.dtypes)) > sum(map(pd.api.types.is_numeric_dtype, df.dtypes)):
                        df = other
                df = _grouped_numbers(df, ";" if sep == ";" else ",", skip=tuple(as_written))
    except ImportError as e:
        raise LstmkitError(f"reading {path} needs {e.name or 'pyarrow'}; pip install pyarrow") from None
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as e:
        first = (str(e).splitlines() or [type(e).__name__])[0][:160]
        raise LstmkitError(f"{path} could not be read as a table ({first}); pass a CSV with a header row, or Parquet") from None
    if df.empty:
        raise LstmkitError(f"{path} has {'no columns' if not len(df.columns) else 'a header but no rows'}; pass a table with data")
    return df


# numbers written with thousands separators, as spreadsheets export them: "1,176.00" (English) or "1.176,00"
# (German; the layout of semicolon files); every value of a text column must be one, and one at least grouped
_GROUPED = {",": (r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", r"[+-]?\d+(?:\.\d+)?", ",", "."),
            ";": (r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?", r"[+-]?\d+(?:,\d+)?", ".", ",")}


def _grouped_numbers(df: pd.DataFrame, layout: str, skip: tuple = ()) -> pd.DataFrame:
    """``df`` with each text column of numbers written with thousands separators read as numbers."""
    grouped, plain, thousands, decimal = _GROUPED[layout]
    for col in df.columns:
        if col in skip or not (pd.api.types.is_object_dtype(df[col]) or pd.api.types.is_string_dtype(df[col])):
            continue
        cells = df[col].dropna().astype(str).str.strip()
        if not len(cells):
            continue
        has_groups = cells.str.fullmatch(grouped)
        if has_groups.any() and (has_groups | cells.str.fullmatch(plain)).all():
            as_number = df[col].astype(str).str.strip().str.replace(thousands, "", regex=False).str.replace(decimal, ".", regex=False)
            df[col] = pd.to_numeric(as_number.where(df[col].notna()), errors="coerce")
    return df


def saved_index(col) -> bool:
    """Whether a column is pandas' own index written out with the table and read back ("Unnamed: 0")."""
    return bool(re.fullmatch(r"Unnamed: \d+", str(col).strip()))


def _delimiter(path: Path) -> tuple[str, int]:
    """The CSV delimiter and the lines to skip before the header. Excel's ``sep=;`` first line names it
    (and is skipped); else the first of ``,;\\t|`` that the header line holds, as a header's spaces ("Sales
    Amount") are part of a name; else runs of spaces (aligned columns); else a comma (one column)."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        header = f.readline()
        named = re.fullmatch(r"\s*\"?sep=(.)\"?\s*", header)
        if named:
            return named.group(1), 1
    found = [sep for sep in (",", ";", "\t", "|") if sep in header]
    if found:
        return max(found, key=header.count), 0
    return (r"\s+", 0) if header.strip() and re.search(r"\S\s+\S", header.strip()) else (",", 0)
