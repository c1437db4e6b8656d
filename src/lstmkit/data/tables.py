"""Tables from files: a CSV (its delimiter sniffed) or Parquet file as a pandas DataFrame, for every task.

    read_table(path)             CSV or Parquet -> DataFrame (a Parquet file's saved index as columns); one error
                                 line for a missing or unreadable file
    read_table(path, text=True)  a CSV's cells as written ("007", "3.50")
    read_table(path, keep=(col,))  those columns as written (ids such as "0007"), the others read as numbers
    written_labels(column)       a label column so read: "01" stays text, 1 and 2.5 are numbers
    saved_index(col)             whether a column is pandas' own index written out ("Unnamed: 0")
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import LstmkitError


def read_table(path: str | Path, text: bool = False, keep=(), header: bool = True, encoding: str = "utf-8") -> pd.DataFrame:
    """A CSV (comma, semicolon with decimal points or commas, tab, bar or spaces, sniffed from the header; Excel's
    ``sep=;`` first line honoured; numbers with thousands separators, "1,176.00" or "1.176,00", read as numbers)
    or Parquet file as a DataFrame;
    ``text``: a CSV's cells as they are written, "007" and "3.50" included, and an empty cell as "";
    ``keep``: the CSV columns to read as written (an id column's "0007"), where they exist, or a test of a
    column's name that picks them;
    ``header=False``: a CSV whose first line is data (its columns numbered from 0); ``encoding``: a CSV's."""
    path = Path(path)
    if not path.exists():
        raise LstmkitError(f"{path}: no such file; pass a CSV or Parquet file")
    if path.is_dir():
        raise LstmkitError(f"{path} is a directory; pass a CSV or Parquet file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = _index_as_columns(pd.read_parquet(path))
        else:
            sep, skip = _delimiter(path, encoding)
            # index_col=False: a delimiter ending every data row (not the header) is no extra column, where pandas
            # would take the first column for the row names and shift every other one left
            layout = dict(sep=sep, skiprows=skip, header=0 if header else None, index_col=False,
                          **({} if _utf8(encoding) else {"encoding": encoding}))
            if text:
                df = pd.read_csv(path, dtype=str, keep_default_na=False, **layout)
            else:
                df = pd.read_csv(path, **layout)
                if sep == ";":  # the European layout: decimal commas and thousands points
                    df = _european(df, pd.read_csv(path, decimal=",", thousands=".", **layout))
                kept = [c for c in df.columns if keep(c)] if callable(keep) else [c for c in keep if c is not None and c in df.columns]
                if kept:  # as written: "0007" stays "0007", and "NA" (Namibia) is no missing value
                    written = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=kept, **layout)
                    df = df.assign(**{c: written[c].where(written[c].str.strip() != "") for c in kept})
                if sep != ";":
                    df = _grouped_numbers(df, skip=tuple(kept))
            # the empty, unnamed columns a spreadsheet leaves after the last one ("a,b,label,,")
            df = df.drop(columns=[c for c in df.columns if saved_index(c) and df[c].isna().all()])
    except ImportError as e:
        raise LstmkitError(f"reading {path} needs {e.name or 'pyarrow'}; pip install pyarrow") from None
    except UnicodeDecodeError as e:
        raise LstmkitError(f"{path} is not {'UTF-8' if _utf8(encoding) else encoding} text (byte {e.object[e.start]:#04x} at offset {e.start}); "
                           "save it as UTF-8 (in Excel: CSV UTF-8)") from None
    except LookupError:
        raise LstmkitError(f"unknown --encoding {encoding!r}; pass a Python codec name such as utf-8 or latin-1") from None
    except (ValueError, OSError, pd.errors.ParserError) as e:
        first = (str(e).splitlines() or [type(e).__name__])[0][:160]
        raise LstmkitError(f"{path} could not be read as a table ({first}); pass a CSV with a header row, or Parquet") from None
    if df.empty:
        raise LstmkitError(f"{path} has {'no columns' if not len(df.columns) else 'a header but no rows'}; pass a table with data")
    return df


# numbers written with English thousands separators, as spreadsheets export them ("1,176.00"; a semicolon
# file's German "1.176,00" is ``_european``'s). "1,500" alone could be a decimal comma, so a column is read so
# only when every value fits and one at least cannot be a decimal: two groups ("1,234,567") or a group and a
# decimal part ("1,176.00")
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"
_UNAMBIGUOUS = r"[+-]?\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?|[+-]?\d{1,3}(?:,\d{3})+\.\d+"
_PLAIN = r"[+-]?\d+(?:\.\d+)?"


_GERMAN = r"[+-]?\d+(?:,\d+)?|[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?"  # 1,5 / 1.176 / 1.176,50


def _european(df: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """A semicolon file read with decimal points (``df``) or, column by column, with decimal commas and
    thousands points (``other``): a text column whose every value is such a number ("112,50", "1.176,00")
    takes that reading; and when one does, so does each column of dotted numbers ("4.436": a thousands
    point in a file whose decimals are commas). Dates written with dots ("01.01.1949") stay text."""
    numeric = pd.api.types.is_numeric_dtype
    commas = [c for c in df.columns if not numeric(df[c]) and numeric(other[c])
              and df[c].dropna().astype(str).str.strip().str.fullmatch(_GERMAN).all()]
    if not commas:
        return df
    dotted = [c for c in df.columns if numeric(df[c]) and numeric(other[c]) and not df[c].equals(other[c])]
    return df.assign(**{c: other[c] for c in commas + dotted})


def _grouped_numbers(df: pd.DataFrame, skip: tuple = ()) -> pd.DataFrame:
    """``df`` with each text column of numbers written with thousands separators read as numbers."""
    for col in df.columns:
        if col in skip or not (pd.api.types.is_object_dtype(df[col]) or pd.api.types.is_string_dtype(df[col])):
            continue
        first = df[col].dropna().head(200).astype(str).str.strip()  # most text columns fail here, unscanned
        if not len(first) or not (first.str.fullmatch(_GROUPED) | first.str.fullmatch(_PLAIN)).all():
            continue
        cells = df[col].dropna().astype(str).str.strip()
        if (cells.str.fullmatch(_GROUPED) | cells.str.fullmatch(_PLAIN)).all() and cells.str.fullmatch(_UNAMBIGUOUS).any():
            as_number = df[col].astype(str).str.strip().str.replace(",", "", regex=False)
            df[col] = pd.to_numeric(as_number.where(df[col].notna()), errors="coerce")
    return df


def _index_as_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A Parquet file's table with the index pandas saved in it (``df.set_index("date").to_parquet``) read back as
    columns, as a CSV holds them: a named index level is data (the dates, the ids); an unnamed one is row numbers."""
    named = [n for n in df.index.names if n is not None and n not in df.columns]
    return (df.reset_index(level=named) if named else df).reset_index(drop=True)


def written_labels(col: pd.Series) -> pd.Series:
    """A label column read with ``keep=`` as pandas would read it, except labels whose written form a number
    would lose: "01", "02" stay text (two classes, not 1 and 2); 1, 2 or 2.5 come back as numbers."""
    text = col.dropna().astype(str).str.strip()
    if not len(text) or text.str.fullmatch(r"[+-]?0\d+(\.\d*)?").any():
        return col
    try:
        return pd.to_numeric(col)
    except (ValueError, TypeError):
        return col


def saved_index(col) -> bool:
    """Whether a column is pandas' own index written out with the table and read back ("Unnamed: 0")."""
    return bool(re.fullmatch(r"Unnamed: \d+", str(col).strip()))


def _utf8(encoding: str) -> bool:
    return encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig")


def _delimiter(path: Path, encoding: str = "utf-8") -> tuple[str, int]:
    """The CSV delimiter and the lines to skip before the header. Excel's ``sep=;`` first line names it (and is
    skipped). Else, among ``;\\t|,``, those that split the header into columns and every one of the next few
    lines into as many (quotes respected: ``"Sales, net"`` is one column); of those, the one making the most
    columns, a semicolon before a comma on a tie (a comma inside a field is the commoner). Else runs of
    spaces (aligned columns); else a comma (one column)."""
    import csv
    import io

    with open(path, newline="", encoding="utf-8-sig" if _utf8(encoding) else encoding, errors="replace") as f:
        lines = [line for _, line in zip(range(8), f)]
    if not lines:
        return ",", 0
    named = re.fullmatch(r"\s*\"?sep=(.)\"?[,;\t|]*\s*", lines[0])  # "sep=;;;" after a spreadsheet saved it again
    if named:
        return named.group(1), 1
    found = []
    limit = csv.field_size_limit(1 << 30)  # a cell of a long text (over the csv module's 128 KiB) read as pandas reads it
    try:
        for rank, sep in enumerate((";", "\t", "|", ",")):
            counts = [len(row) for row in csv.reader(io.StringIO("".join(lines)), delimiter=sep) if row]
            if counts and counts[0] > 1:
                steady = all(n == counts[0] for n in counts[1:-1]) and (len(counts) < 2 or counts[-1] <= counts[0])
                found.append((steady, counts[0], -rank, sep))
    finally:
        csv.field_size_limit(limit)
    if found:
        return max(found)[3], 0
    header = lines[0].strip()
    data = [line.strip() for line in lines[1:] if line.strip()]
    words = [len(line.split()) for line in [header, *data]]
    if header and words[0] > 1 and all(n == words[0] for n in words[1:]):  # columns aligned by spaces
        return r"\s+", 0
    if any("," in line for line in data) and all(line.count(",") <= 1 for line in data):
        return ";", 0  # one column of decimal commas ("1,5", "12"): read as one, where the semicolon reading takes them
    return ",", 0  # one column ("Review text" with spaces is a name)
