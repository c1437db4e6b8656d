"""Labelled sequences from files: CSV, JSONL or Parquet (texts, long-format or wide numeric tables), the
UCR/UEA ``.ts`` format, or a folder per class of text files. What comes out is what ``labeled.as_sequences``
takes from Python.

Example:
    X, y = read_labeled("reviews.csv", label="sentiment")      # texts and their labels
    X, y = read_labeled("GunPoint_TRAIN.ts")                      # (cases, 1, 150), labels from the file
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import LstmkitError
from .labeled import plain
from .labeled_folders import read_folders, read_ts, text_of


def read_labeled(path, label: str | None = None, *, text: str | None = None, id: str | None = None, time: str | None = None,
                 values: list[str] | tuple[str, ...] = (), need_labels: bool = True, optional_label: bool = False,
                 with_ids: bool = False, saved: bool = False, numeric: bool = False, texts: bool = False):
    """Read labelled sequences from ``path``; returns (X, y) with ``y`` None when there is no label.

    * a folder holding one sub-folder per class: each file is one text, its folder its label;
    * ``.ts`` (UCR/UEA): read with aeon, labels from the file;
    * ``.jsonl``/``.json`` or a CSV/Parquet without ``id``: one text per row (``text`` column) and its ``label``;
      or, when every column but the label is numeric (or ``values`` names them), one case per row and one
      time point per column (the UCR archive's CSV layout; trailing empty cells pad shorter cases);
    * a CSV/Parquet with ``id``: long format, one row per time point, ``values`` columns (default: every numeric
      column but id, time and label) as channels, ordered by ``time``; the label must be constant per id.

    ``need_labels=False`` reads cases to predict; with ``optional_label`` a missing label column is no error.
    ``with_ids`` also returns each case's name: its id in long format, its file in a folder, else its position.
    ``saved``: the columns are a saved model's, so a missing one is to be renamed in the file (no option sets it).
    ``numeric``: the reader is a numeric model trained without named columns (a ``.ts`` file, arrays), which reads
    no table of texts. ``texts``: the reader is a text model, for which a ``.txt`` file is one text to classify.
    """
    X, y, ids, _ = read_labeled_columns(path, label, text, id, time, values, need_labels, optional_label, saved, numeric, texts)
    return (X, y, ids) if with_ids else (X, y)


def read_labeled_columns(path, label, text=None, id=None, time=None, values=(), need_labels=True, optional_label=False, saved=False,
                         numeric=False, texts=False):
    """``read_labeled`` with each case's name, and the columns it read, found or given: ``{"text": COL}`` for a
    table of texts, ``{"values": [COL, ...]}`` for numeric tables (channels in long format, time points in wide),
    ``{}`` for a folder or ``.ts`` file. A model saves them, so that a new file is read by column name: a file
    with its columns in another order, or with one more, gives the same cases."""
    p = Path(path)
    if not p.exists():
        raise LstmkitError(f"{p} does not exist; pass a CSV, JSONL, Parquet, .ts file or a folder per class")
    if p.is_dir():
        return (*read_folders(p, need_labels), {})
    suffix = p.suffix.lower()
    if texts and not need_labels and suffix in (".txt", ".md"):
        # one document, as a file in a folder of texts is (not a table whose first line is a header)
        t = text_of(p, p.parent)
        if not t.strip():
            raise LstmkitError(f"{p} is empty; give it text to classify")
        return [t], None, [p.name], {}
    if suffix == ".ts":
        X, y = read_ts(p)
        return X, y, list(range(len(X))), {}
    import pandas as pd

    if suffix in (".jsonl", ".json"):
        try:
            df = pd.read_json(p, lines=suffix == ".jsonl", dtype=False)  # "01" and "00660" stay text, as JSON writes them
        except ValueError as e:
            where = _bad_json_line(p) if suffix == ".jsonl" else ""
            raise LstmkitError(f"{p} is not valid JSON{' lines' if suffix == '.jsonl' else ''}{where} ({str(e).splitlines()[0][:80]}); one object per line, e.g. {{\"text\": ..., \"label\": ...}}") from None
    else:
        from .tables import read_table

        from .tables import written_labels

        # a label "01", a text "007", an id "0001" and a wide table's "patient_id" column, as written
        df = read_table(p, keep=lambda c: c in (label, text, id) or _id_like(c))
        namers = tuple(c for c in df.columns if c not in (label, text, id) and _id_like(c))
        for col in {label, id, *namers} - {None}:  # numbers again, unless a number would lose how they are written
            if col in df.columns:
                df[col] = written_labels(df[col])
        df, headerless = _headerless(p, df, (label, text, id, time, *values))
        if headerless and label is None:
            label = "class"  # the UCR layout's first column, in a file to train on, evaluate or predict alike
    if not len(df):
        raise LstmkitError(f"{p} has no rows")
    if label is not None and label not in df.columns and optional_label:
        label = None  # cases to predict: the training file's label column need not be there
    if label is None and optional_label and not values and text is None and id is None:
        # cases to predict for a model that saved no label column (a .ts file, arrays): a headed table's class
        # column holds the cases' labels, not a first time point
        label = next((c for c in df.columns if str(c).strip().lower() in LABEL_NAMES), None)
    if label is not None and label not in df.columns:
        raise LstmkitError(f"{p} has no column {label!r} for --label; its columns are {', '.join(map(str, df.columns[:12]))}")
    if label is None and need_labels:
        raise LstmkitError(f"pass --label COL naming the class column of {p} (its columns: {', '.join(map(str, df.columns[:12]))})")
    if id is not None:
        if text is not None:
            raise LstmkitError(f"--text names a column of texts; --id {id} reads {p} as numeric sequences in long format: "
                               "drop --text (or --id, to classify each row's text)")
        return _read_long(p, df, label, id, time, list(values), saved)
    if time is not None:
        raise LstmkitError(f"--time {time!r} orders the rows of each sequence in a long table; pass --id COL naming the sequences too")
    if text is None and _wide(p, df, label, values):
        return _read_wide(p, df, label, list(values), saved)
    if numeric:
        raise LstmkitError(f"{p} is not laid out as this model's training data, numeric cases without named columns: pass a "
                           ".ts file, or a table with one case per row and one time point per column")
    X, y, text = _read_texts(p, df, label, text, saved)
    # each text named by the table's id column ("id", "review_id" ...) where it has one, else by its row
    namer = next((c for c in df.columns if c not in (label, text) and _id_like(c)), None)
    names = [plain(v) for v in df[namer]] if namer is not None else list(range(len(X)))
    return X, y, names, {"text": text}


LABEL_NAMES = ("label", "labels", "class", "target", "y")


def check_table_options(path, **options) -> None:
    """Refuse the options that name a table's columns (``label``, ``text``, ``id``, ``time``, ``values``) for a
    folder per class or a ``.ts`` file, which have no columns: given, they would be ignored (and saved)."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() == ".ts":
        refuse_column_options(f"{p} is " + ("a folder per class, whose labels are its sub-folders" if p.is_dir() else
                                            "a .ts file, which holds its own labels"), **options)


def refuse_column_options(source: str, **options) -> None:
    """One error line for the first column option given, where ``source`` (what the cases come from) has no columns."""
    given = [name for name, v in options.items() if v]
    if given:
        raise LstmkitError(f"--{given[0]} names a table's column, and {source}: drop --{given[0]}")


def no_labels_fix(path) -> str:
    """What to do about a file that holds no labels, where labels are needed."""
    if str(path).lower().endswith(".ts"):
        return "use a .ts file whose header says @classLabel true, with each case's class after its last colon"
    return "pass --label COL"


def _bad_json_line(p: Path) -> str:
    """" at line N" for the first line of a JSON-lines file that is not one JSON value ("" when none is found)."""
    import json

    with open(p, encoding="utf-8-sig", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    json.loads(line)
                except ValueError:
                    return f" at line {n}"
    return ""


def _headerless(p: Path, df, named: tuple = ()):
    """A CSV written without a header, as the UCR archive's are (the class first, then the time points): its
    first row is read again as data, and the columns named ``class``, ``t1``, ``t2`` ... A header of numbers
    is taken for data only when every name reads as a number (pandas' ".1" on a repeat aside), it is not
    pandas' own 0, 1, 2 ..., and no column the call ``named`` (a label, a saved model's columns) is in it."""
    from .tables import read_table

    def number(c) -> bool:
        for text in (str(c), re.sub(r"\.\d+$", "", str(c))):  # "0.5.1": pandas' name for a second "0.5"
            try:
                float(text)
                return True
            except ValueError:
                continue
        return False

    names = [str(c) for c in df.columns]
    if (p.suffix.lower() in (".parquet", ".pq") or len(names) < 2 or not all(map(number, names))
            or names == [str(i) for i in range(len(names))] or any(str(c) in names for c in named if c is not None)):
        return df, False
    df = read_table(p, header=False)
    return df.set_axis(["class", *(f"t{i}" for i in range(1, len(df.columns)))], axis=1), True


def _wide(p: Path, df, label: str | None, values) -> bool:
    """One row per case and one numeric column per time point (the UCR archive's CSV layout): every column
    but the label numeric, at least two that are not row names (or the --values asked for). A row-naming
    column whose names repeat makes it a long table, which needs --id."""
    if values:
        return True
    others = [c for c in df.columns if c != label]
    namers = [c for c in others if _names_rows(c)]
    # a text column other than an id ("name": "red apple") makes a table of texts, as before; one whose cells
    # are numbers but for a few stray words is a time point with bad cells, which _read_wide names by row
    if not all(_numbers(df[c]) or (c in namers and _id_like(c)) for c in others):
        return False
    repeated = [c for c in namers if df[c].duplicated().any()]
    if repeated:
        raise LstmkitError(f"{p}: {repeated[0]!r} repeats, so the table looks like long format (one row per time point); "
                           f"pass --id {repeated[0]} (and --time COL to order each sequence's rows)")
    # one numeric column alone may be texts of digits (codes); beside an id column it is a time point
    return len(others) - len(namers) >= (1 if namers else 2)


def _numbers(col, share: float = 0.9) -> bool:
    """A numeric column, or one whose filled cells are at least ``share`` numbers (a stray word among them)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(col):
        return True
    filled = col.dropna()
    return len(filled) > 0 and float(pd.to_numeric(filled, errors="coerce").notna().mean()) >= share


def _id_like(col) -> bool:
    name = str(col).strip().lower()
    return name in ("id", "case", "key") or name.endswith(("_id", " id"))


def _names_rows(col) -> bool:
    """A column that names the rows rather than holding a time point: pandas' saved index ("Unnamed: 0")
    or an id column ("id", "sample_id", "case" ...)."""
    from .tables import saved_index

    return saved_index(col) or _id_like(col) or str(col).strip().lower() in ("index", "name")


def _no_column(p: Path, df, col, option: str, saved: bool) -> LstmkitError:
    """The error for a column the file lacks: the option naming it, or, for a saved model's columns (which
    predict and evaluate cannot change), the column to rename."""
    columns = ', '.join(map(str, df.columns[:12])) + (', ...' if len(df.columns) > 12 else '')
    if saved:
        return LstmkitError(f"{p} has no column {col!r}, which the model reads ({option.lstrip('-')} in training); "
                            f"rename the file's column to {col!r} (its columns: {columns})")
    return LstmkitError(f"{p} has no column {col!r} for {option}; its columns are {columns}")


def _read_wide(p: Path, df, label: str | None, values: list[str], saved: bool = False):
    from .tables import saved_index

    namers = [c for c in df.columns if c != label and _names_rows(c)]
    cols = values or [c for c in df.columns if c != label and c not in namers]
    for c in cols:
        if c not in df.columns:
            raise _no_column(p, df, c, "--values", saved)
    _check_numeric(p, df, cols)
    A = df[cols].to_numpy(dtype=np.float64)  # (cases, time points); trailing NaNs are a shorter case's padding
    if np.isinf(A).any():
        r, c = (int(v[0]) for v in np.nonzero(np.isinf(A)))
        raise LstmkitError(f"{p}: row {r + 1} holds an infinite value in {cols[c]!r}; replace it with a number or remove the row")
    real = np.isfinite(A)
    holes = ~real & (np.cumsum(real[:, ::-1], 1)[:, ::-1] > 0)  # a missing cell with a value after it: no padding
    if holes.any():
        r, c = (int(v[0]) for v in np.nonzero(holes))
        raise LstmkitError(f"{p}: row {r + 1} has no value in {cols[c]!r} before the end of its case; fill it or remove the row")
    y = None
    if label is not None:
        missing = df[label].isna().to_numpy()
        if missing.any():
            raise LstmkitError(f"{p}: row {int(np.argmax(missing)) + 1} has no label in {label!r}; every row needs one")
        y = df[label].to_numpy()
    named = [c for c in namers if not saved_index(c)] or namers  # an id column before a saved index
    names = df[named[0]].tolist() if named else list(range(len(df)))
    return [row[None, :] for row in A], y, names, {"values": [str(c) for c in cols]}


def _check_numeric(p: Path, df, cols: list) -> None:
    """One error line naming the first cell of ``cols`` that is not a number."""
    import pandas as pd

    for c in cols:
        if not pd.api.types.is_numeric_dtype(df[c]):
            bad = pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna()
            raise LstmkitError(f"{p}: row {int(np.argmax(bad.to_numpy())) + 1} of {c!r} is {str(df[c][bad].iloc[0])[:30]!r}, not a number")


def _read_texts(p: Path, df, label: str | None, text: str | None, saved: bool = False):
    if text is None:
        candidates = [c for c in df.columns if c != label and df[c].dtype == object]
        # an id column ("review_id") names the texts, as a long table's names its sequences: it is no text
        candidates = [c for c in candidates if not _id_like(c)] or candidates
        if len(candidates) != 1:
            raise LstmkitError(f"pass --text COL naming the text column of {p} (candidates: {', '.join(map(str, candidates)) or 'none'}), "
                               "or --id COL for numeric sequences in long format")
        text = candidates[0]
        numbers = [str(c) for c in df.columns if c not in (label, text) and not _id_like(c) and _numbers(df[c])]
        repeats = len(df) / max(1, df[text].nunique())
        if numbers and repeats >= 2:
            # each value on many rows beside numeric columns: the rows are time points of sequences named by it
            raise LstmkitError(f"{p}: {text!r} repeats each value on {repeats:.0f} rows on average beside the numeric "
                               f"column{'s' if len(numbers) > 1 else ''} {', '.join(map(repr, numbers[:4]))}, so the table looks like long "
                               f"format (one row per time point): pass --id {text} (and --time COL to order each sequence's "
                               f"rows), or --text {text} to classify its values as texts")
    if text not in df.columns:
        raise _no_column(p, df, text, "--text", saved)
    col = df[text]
    for i, v in enumerate(col):
        if not isinstance(v, str) or not v.strip():
            raise LstmkitError(f"{p}: row {i + 1} has an empty or non-text value in {text!r}; remove the row or give it text")
    y = None
    if label is not None:
        y = df[label].to_numpy()
        missing = df[label].isna().to_numpy()
        if missing.any():
            raise LstmkitError(f"{p}: row {int(np.argmax(missing)) + 1} has no label in {label!r}; every row needs one")
    return list(col), y, text


def _mostly_numbers(col) -> bool:
    """Whether at least half of a text column's filled cells read as numbers."""
    import pandas as pd

    filled = col.dropna()
    return len(filled) > 0 and pd.to_numeric(filled, errors="coerce").notna().mean() >= 0.5


def _numbered(col):
    """A time column written as one word and a number ("t1" ... "t10", as pandas' ``melt`` of a wide table leaves
    it; "step 2") as those numbers, so that "t10" comes after "t2"; None when its values are not all so written."""
    parts = col.astype(str).str.strip().str.extract(r"^(\D*?)\s*(\d+)$")
    if parts[1].isna().any() or parts[0].nunique() != 1:
        return None
    return parts[1].astype(np.int64)


def _read_long(p: Path, df, label: str | None, id: str, time: str | None, values: list[str], saved: bool = False):
    import pandas as pd

    for name, col in (("--id", id), ("--time", time), *(("--values", v) for v in values)):
        if col is not None and col not in df.columns:
            raise _no_column(p, df, col, name, saved)
    if not values:
        rest = [c for c in df.columns if c not in (id, time, label)]
        # a column of numbers with a stray word in it is a value column to refuse, not one to drop unread; a
        # column of words (a subject's name) is not a value column
        values = [c for c in rest if pd.api.types.is_numeric_dtype(df[c]) or _mostly_numbers(df[c])]
        if not values:
            raise LstmkitError(f"{p} has no numeric value column besides {id!r}; pass --values COL")
    _check_numeric(p, df, values)
    missing = df[id].isna().to_numpy()
    if missing.any():  # groupby would leave the row out unsaid, a time point short
        raise LstmkitError(f"{p}: row {int(np.argmax(missing)) + 1} has no id in {id!r}; every row needs the id of its sequence")
    order = None
    if time is not None and not pd.api.types.is_numeric_dtype(df[time]):
        # times written as text order by the dates they name ("13/01/2020" after "02/01/2020"), when every one does
        from .times import parse_times

        numbers = pd.to_numeric(df[time], errors="coerce")
        parsed = numbers if numbers.notna().all() else _numbered(df[time])
        parsed = parsed if parsed is not None else parse_times(df[time], errors="coerce")
        if parsed.isna().any():  # sorted as text, "x10" would come before "x2"
            r = int(np.argmax(parsed.isna().to_numpy()))
            raise LstmkitError(f"{p}: row {r + 1} of the time column {time!r} is {str(df[time].iloc[r])[:30]!r}, neither a number nor a "
                               "date; write the times as numbers or dates, or leave --time out to keep each sequence's rows in file order")
        order = "_lstmkit_order"
        df = df.assign(**{order: parsed})
    if time is not None:
        twice = df.duplicated([id, order or time]).to_numpy()
        if twice.any():
            r = int(np.argmax(twice))
            raise LstmkitError(f"{p}: sequence {plain(df[id].iloc[r])!r} has time {plain(df[time].iloc[r])!r} twice (row {r + 1}); "
                               "each sequence needs one row per time: drop or average the repeats")
    X, y, keys = [], [], []
    for key, g in df.groupby(id, sort=False, observed=True):  # a categorical id: its unused categories are no cases
        keys.append(key.item() if hasattr(key, "item") else key)
        if time is not None:
            g = g.sort_values(order or time, kind="stable")
        a = g[values].to_numpy(dtype=np.float64)  # (T, channels); empty cells at a sequence's end pad it
        real = ~np.isnan(a).any(1)
        if not real.any():
            empty = [c for j, c in enumerate(values) if np.isnan(a[:, j]).all()] or values
            raise LstmkitError(f"{p}: sequence {plain(key)!r} has no value in {', '.join(map(repr, empty))} on any of its "
                               f"{len(g)} row(s); fill them or remove the sequence")
        holes = np.flatnonzero(~real & (np.cumsum(real[::-1])[::-1] > 0))
        if len(holes):
            row = int(df.index.get_loc(g.index[holes[0]]))
            col = values[int(np.flatnonzero(np.isnan(a[holes[0]]))[0])]
            raise LstmkitError(f"{p}: row {row + 1} (sequence {plain(key)!r}) has no value in {col!r} before the sequence ends; "
                               "fill it or remove the row")
        X.append(a.T)  # (channels, T)
        if label is not None:
            labs = g[label].dropna().unique()
            if len(labs) != 1:
                raise LstmkitError(f"{p}: sequence {key!r} has {len(labs)} labels in {label!r} ({', '.join(map(str, labs[:3]))}); "
                                   "each sequence needs exactly one")
            y.append(labs[0])
    return X, (np.asarray(y) if label is not None else None), keys, {"values": [str(c) for c in values]}
