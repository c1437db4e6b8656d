"""Labelled cases that are not tables: a folder per class of text files, and the UCR/UEA ``.ts`` format.
``labeled_files.read_labeled`` reads every kind of file; these are two of them.

    read_folders(folder)    texts, their labels (the sub-folders) and names (their paths there)
    read_ts(path)           (X, y) as aeon reads the file, a missing value named by case and point
    text_of(file, folder)   one text file's text
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import LstmkitError


def read_folders(p: Path, need_labels: bool = True):
    """A folder per class of text files, each file one text and its sub-folder (at any depth below) its label.
    For cases to predict, every text file below the folder, named by its path there: labelled by its class
    folder when every file is in one, unlabelled when some lie loose beside the folders. An empty file is an
    error naming it, as an empty case is: nothing is dropped unsaid."""
    def visible(x: Path) -> bool:
        return not any(part.startswith(".") for part in x.relative_to(p).parts)

    loose = sorted(x for x in p.iterdir() if x.is_file() and visible(x))
    classes = sorted(x for x in p.iterdir() if x.is_dir() and visible(x))
    if need_labels and not classes:
        raise LstmkitError(f"{p} holds no sub-folders; give it one sub-folder per class, each holding text files")
    texts, labels, names = [], [], []
    files = [(f, None) for f in loose] if not need_labels else []
    for d in classes:
        inside = sorted(x for x in d.rglob("*") if x.is_file() and visible(x))
        if need_labels and not inside:
            raise LstmkitError(f"{d} holds no text files; give the class {d.name!r} some, or remove the folder")
        files += [(f, d.name) for f in inside]
    for f, label in files:
        t = text_of(f, p)
        if not t.strip():
            raise LstmkitError(f"{f} is empty; give it text or remove it from {p}")
        texts.append(t)
        labels.append(label)
        names.append(str(f.relative_to(p)))
    if not texts:
        raise LstmkitError(f"{p} holds no texts; give it {'one sub-folder per class, each holding text files' if need_labels else 'text files to classify'}")
    if need_labels and len(set(labels)) < 2:
        raise LstmkitError(f"{p} holds texts of one class only ({labels[0]!r}); a classifier needs at least 2 sub-folders")
    return texts, (None if loose and not need_labels else np.asarray(labels)), names


def read_ts(p: Path):
    try:
        from aeon.datasets import load_from_ts_file
    except ImportError:
        raise LstmkitError(f"reading {p.name} (the UCR/UEA .ts format) needs aeon: pip install 'lstmkit[baselines]'") from None
    try:
        X, y = load_from_ts_file(str(p))
    except Exception as e:  # aeon raises IOError/ValueError/TsFileParseException with its own text
        why = re.sub(r"<_io\.\w+ name=[^>]*>\.?\s*", "", str(e).splitlines()[0] if str(e) else type(e).__name__).strip()
        raise LstmkitError(f"{p} is not a readable .ts file ({why[:300]}); check that file against the .ts format's header and data lines") from None
    for i, case in enumerate(X):  # the format's "?": named here by the file's case, dimension and point, counted from 1
        a = np.asarray(case, dtype=np.float64).reshape(-1, np.shape(case)[-1])  # (dimensions, T)
        filled = np.flatnonzero(np.isfinite(a).all(0))
        gaps = np.argwhere(~np.isfinite(a[:, :filled[-1] + 1] if len(filled) else a))  # "?" padding a short case's end is no gap
        if len(gaps):
            ch, t = gaps[0]
            raise LstmkitError(f"{p}: case {i + 1} has a missing value at time point {t + 1} of dimension {ch + 1}; fill it or remove the case")
    return X, (np.asarray(y) if y is not None and len(y) else None)


def text_of(f: Path, folder: Path) -> str:
    """A text file's text: without the line end that editors and ``echo`` put at a file's end, which is no part of
    the text (a CSV cell or a Python string of the same words holds none)."""
    try:
        return f.read_text(encoding="utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise LstmkitError(f"{f} is not UTF-8 text; convert it, or remove it from {folder}") from None
