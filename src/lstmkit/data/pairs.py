"""Pairs of sequences: read from a tab-separated file (or a table of two columns), batched for an encoder-decoder.

A pairs file holds one pair per line, ``SOURCE<TAB>TARGET``, UTF-8 (a byte-order mark and CRLF line ends
are fine). Blank lines are skipped; columns after the second (the attribution column of the Tatoeba/Anki
files the PyTorch translation tutorial reads) are ignored. Every other irregularity is refused with
its line number.

Example:
    pairs = read_pairs("deu-eng.tsv")          # [("Ich mag Schokolade", "I like chocolate"), ...]
    data = PairBatches(src_ids, tgt_ids, batch_size=64)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import LstmkitError
from ..nn import BOS, EOS, PAD, PairBatch
from ..tokenize import CharTokenizer, WordTokenizer

DECODE_BATCH = 512  # pairs per batch when decoding or scoring held-out pairs (no gradients, so large)


def _shown(line: str) -> str:
    return repr(line if len(line) <= 40 else line[:37] + "...")


def parse_pairs(text: str, where: str = "the pairs") -> list[tuple[str, str]]:
    """``(source, target)`` pairs from tab-separated lines, refusing a line without a tab or with an empty side."""
    text = text.lstrip("\ufeff")
    pairs = []
    # lines end at \n only (and a \r before it): str.splitlines would also cut at \x85, \u2028 and form feeds,
    # characters a pair may well hold
    for n, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        if "\t" not in line:
            raise LstmkitError(f"{where} line {n} has no tab: {_shown(line)}; write each pair as SOURCE<TAB>TARGET")
        src, tgt = line.split("\t")[:2]
        src, tgt = src.strip(), tgt.strip()
        if not pairs and n == _first_line(text) and (src.lower(), tgt.lower()) == ("source", "target"):
            continue  # a header row naming the two sides, as a table would have: no pair to learn
        if not src or not tgt:
            side = "source" if not src else "target"
            raise LstmkitError(f"{where} line {n} has an empty {side} side: {_shown(line)}; give both sides text, or drop the line")
        pairs.append((src, tgt))
    if not pairs:
        raise LstmkitError(f"{where} holds no pairs; write one SOURCE<TAB>TARGET pair per line")
    return pairs


def _first_line(text: str) -> int:
    """The number of the first line that holds anything (a header row is looked for there)."""
    return next((n for n, line in enumerate(text.split("\n"), 1) if line.strip()), 1)


TABLES = (".csv", ".parquet", ".pq", ".jsonl")


def read_pairs(path: str | Path, encoding: str = "utf-8") -> list[tuple[str, str]]:
    """Read a pairs file (see the module doc), or a table (CSV, Parquet, JSONL) of two text columns."""
    path = Path(path)
    if path.is_dir():
        raise LstmkitError(f"{path} is a directory; pass a tab-separated pairs file")
    if path.suffix.lower() in TABLES and path.exists() and not _tab_separated(path, encoding):
        return _table_pairs(path, encoding)
    return parse_pairs(read_text(path, encoding, "a tab-separated pairs file"), str(path))


def read_text(path: str | Path, encoding: str = "utf-8", what: str = "a text file") -> str:
    """The text of ``path`` in ``encoding``; a missing or undecodable file is one line naming the fix."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise LstmkitError(f"{path} does not exist; pass {what}") from None
    except OSError as e:
        raise LstmkitError(f"{path} cannot be read ({e.strerror})") from None
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise LstmkitError(f"{path} is not {encoding} text (byte {e.object[e.start]:#04x} at offset {e.start}); "
                           "pass --encoding, or convert the file") from None
    except LookupError:
        raise _unknown_encoding(encoding) from None


def _unknown_encoding(encoding: str) -> LstmkitError:
    return LstmkitError(f"unknown --encoding {encoding!r}; pass a Python codec name such as utf-8 or latin-1")


def _tab_separated(path: Path, encoding: str = "utf-8") -> bool:
    """A ``.csv`` whose first line holds a tab is a pairs file under another name (it has no header to lose)."""
    if path.suffix.lower() != ".csv":
        return False
    return "\t" in _head(path, encoding)


def _head(path: Path, encoding: str) -> str:
    """A file's first line (undecodable bytes replaced: enough to tell its layout)."""
    try:
        with open(path, encoding=encoding, errors="replace") as f:
            return f.readline()
    except LookupError:
        raise _unknown_encoding(encoding) from None
    except OSError as e:
        raise LstmkitError(f"{path} cannot be read ({e.strerror})") from None


def file_sources(path: str | Path, encoding: str = "utf-8", reverse: bool = False, text: str | None = None) -> list[str]:
    """The sources to translate in a file (or in ``text``, stdin's), read as ``read_pairs`` reads pairs, so that a
    file trained or scored on translates alike: a table's ``source`` column (with ``source`` and ``target``
    both), or the first of its only two, or its only one; a file of lines, each one source or a tab-separated
    pair (its first column, and a ``source<TAB>target`` header skipped). ``reverse``: the model learnt the
    pairs' second side from the first (``--reverse``), so a pair's source is its second column, or ``target``.
    A blank line or a missing cell is an empty source, so that each output answers its row."""
    if text is None:
        sources = _table_sources(Path(path), encoding, reverse)
        if sources is not None:
            return sources
        text = read_text(path, encoding, "a file with one source per line")
    text = text.lstrip("\ufeff")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    first = _first_line(text) - 1
    cells = [[c.strip() for c in line.split("\t")] for line in lines]
    if len(cells[first]) > 1 and [c.lower() for c in cells[first][:2]] == ["source", "target"]:
        cells[first] = None  # the header row of a pairs file: no source
    # a line without a tab is one source; a pair's source is its first side, or its second with reverse
    return [row[1 if reverse and len(row) > 1 else 0] for row in cells if row is not None]


def _table_sources(path: Path, encoding: str, reverse: bool) -> list[str] | None:
    """A table's sources (see ``file_sources``); None for a file of lines (a .csv whose header holds a tab, or
    that is no table of a ``source`` column or of two columns, one source per line)."""
    suffix = path.suffix.lower()
    if suffix not in TABLES or not path.is_file():
        return None
    if suffix == ".csv":
        import csv

        head = _head(path, encoding).lstrip("\ufeff")
        names = [h.strip() for h in next(csv.reader([head]), [])]
        if "\t" in head or not ("source" in names or len(names) == 2):
            return None
    df = _table(path, encoding)
    named = "target" if reverse else "source"
    if {"source", "target"} <= set(df.columns) or (named in df.columns and not reverse):
        col = named
    elif len(df.columns) == 2:
        col = df.columns[1 if reverse else 0]
    elif len(df.columns) == 1 and not reverse:
        col = df.columns[0]
    else:
        raise LstmkitError(f"{path} has the columns {', '.join(map(str, df.columns[:6]))}; a table to translate needs a "
                           f"{named} column, or two columns (the {'second' if reverse else 'first'} is read){'' if reverse else ', or one'}")
    cells = (_as_text(v) for v in df[col])
    return [v.strip() if isinstance(v, str) else "" for v in cells]


def _as_text(v):
    """A table cell as text: numbers as written ("3", "2.5"; JSON keeps them as numbers), anything else as is."""
    return str(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and np.isfinite(v) else v


def _table(path: Path, encoding: str = "utf-8"):
    """A table with a header row, each value as written."""
    import pandas as pd

    if path.suffix.lower() == ".jsonl":
        import json

        rows = []
        for n, line in enumerate(read_text(path, encoding).lstrip("\ufeff").split("\n"), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line, parse_float=str, parse_int=str))  # numbers as written: 3.50, 1e3
                except json.JSONDecodeError as e:
                    raise LstmkitError(f"{path} line {n} is not valid JSON ({e.msg}); one object per line") from None
        if any(not isinstance(r, dict) for r in rows):
            raise LstmkitError(f"{path} holds a line that is not a JSON object; one object per line, such as {{\"source\": ..., \"target\": ...}}")
        if not rows:
            raise LstmkitError(f"{path} holds no pairs; write one object per line, such as {{\"source\": ..., \"target\": ...}}")
        return pd.DataFrame(rows, dtype=object)  # each value as written: 3 stays 3, a date stays text
    from .tables import read_table

    return read_table(path, text=True, encoding=encoding)


def _table_pairs(path: Path, encoding: str = "utf-8") -> list[tuple[str, str]]:
    """The pairs of a table with a header row: its ``source`` and ``target`` columns, or else its only two
    columns, in order."""
    df = _table(path, encoding)
    cols = ["source", "target"] if {"source", "target"} <= set(df.columns) else list(df.columns)
    if len(cols) != 2:
        raise LstmkitError(f"{path} has {len(cols)} columns ({', '.join(map(str, cols[:6]))}); a pairs table needs two, or columns "
                           "named source and target")
    pairs = []
    for n, (src, tgt) in enumerate(zip(df[cols[0]], df[cols[1]]), 1):
        src, tgt = _as_text(src), _as_text(tgt)
        for side, v in (("source", src), ("target", tgt)):
            if not isinstance(v, str) or not v.strip():
                raise LstmkitError(f"{path} row {n} has an empty or non-text {side} ({str(v)[:30]!r}); give both sides text, or drop the row")
        pairs.append((src.strip(), tgt.strip()))
    return pairs


def _padded(seqs: list, lead: int | None = None, tail: int | None = None) -> torch.Tensor:
    """(N, longest + extras) ids, each row ``[lead] + seq + [tail]`` and PAD after."""
    extra = (lead is not None) + (tail is not None)
    out = np.full((len(seqs), max(len(s) for s in seqs) + extra), PAD, dtype=np.int64)
    for i, s in enumerate(seqs):
        at = int(lead is not None)
        if lead is not None:
            out[i, 0] = lead
        out[i, at: at + len(s)] = s
        if tail is not None:
            out[i, at + len(s)] = tail
    return torch.from_numpy(out)


@dataclass
class PairBatches:
    """Shuffled minibatches of (source, target) id sequences for the trainer (not stateful).

    ``src`` holds source ids (symbols from 1), ``tgt`` target ids (symbols from 3); each batch is padded only
    to its own longest sequence on each side, and the target is given as BOS + target (the decoder's
    inputs, teacher forcing) and target + EOS (what it must predict).
    """

    src: list
    tgt: list
    batch_size: int = 64
    seed: int = 0
    shuffle: bool = True
    stateful: bool = False

    def __post_init__(self):
        if not len(self.src) or len(self.src) != len(self.tgt):
            raise LstmkitError("no pairs to train on")
        self.n = len(self.src)
        self.batch_size = max(1, min(self.batch_size, self.n))
        self.steps_per_epoch = -(-self.n // self.batch_size)
        # the trainer's symbols per step: target symbols (EOS included) of an average batch
        self.symbols_per_step = int(round(self.batch_size * (np.mean([len(t) for t in self.tgt]) + 1)))
        self._src_len = torch.tensor([len(q) for q in self.src], dtype=torch.long)
        self._tgt_len = torch.tensor([len(q) + 1 for q in self.tgt], dtype=torch.long)
        # padded once; a batch is a slice, cut to its own longest sequences
        self._src, self._tgt_in, self._tgt_out = _padded(self.src), _padded(self.tgt, lead=BOS), _padded(self.tgt, tail=EOS)

    def batch(self, idx) -> PairBatch:
        idx = torch.as_tensor(idx, dtype=torch.long)
        src_len, tgt_len = self._src_len[idx], self._tgt_len[idx]
        S, T = int(src_len.max()), int(tgt_len.max())
        return PairBatch(self._src[idx, :S], src_len, self._tgt_in[idx, :T], self._tgt_out[idx, :T])

    def batches(self, epoch: int, start: int = 0):
        order = np.random.default_rng([self.seed, epoch]).permutation(self.n) if self.shuffle else np.arange(self.n)
        for i in range(start, self.steps_per_epoch):
            yield i, self.batch(order[i * self.batch_size:(i + 1) * self.batch_size])


def checked_pairs(pairs) -> list[tuple[str, str]]:
    """A list of (source, target) string pairs, each side non-empty; anything else is refused by position."""
    if isinstance(pairs, (str, bytes)):
        raise LstmkitError("pairs must be a list of (source, target) strings; to read a file use lstmkit.data.pairs.read_pairs")
    if hasattr(pairs, "columns") and hasattr(pairs, "itertuples"):  # a DataFrame: its source and target columns
        cols = [c for c in ("source", "target") if c in pairs.columns]
        if len(cols) < 2 and len(pairs.columns) != 2:
            raise LstmkitError(f"a table of pairs needs columns named source and target, or exactly two columns; "
                               f"this one has {', '.join(map(str, pairs.columns[:6]))}")
        pairs = list(pairs[cols].itertuples(index=False, name=None) if len(cols) == 2 else pairs.itertuples(index=False, name=None))
    out = []
    for i, p in enumerate(pairs):
        if not (isinstance(p, (tuple, list, np.ndarray)) and len(p) == 2 and all(isinstance(x, str) for x in p)):
            raise LstmkitError(f"pair {i} is {str(p)[:40]!r}, not a (source, target) pair of strings")
        s, t = p[0].strip(), p[1].strip()
        if not s or not t:
            raise LstmkitError(f"pair {i} has an empty {'source' if not s else 'target'} side: {str(p)[:40]!r}; give both sides text")
        out.append((s, t))
    if not out:
        raise LstmkitError("there are no pairs; pass at least one (source, target) pair")
    return out


def side_tokenizer(texts: list[str], level: str, lowercase: bool):
    """A char or word tokenizer fitted on one side's texts."""
    joined = "\n".join(texts)
    return CharTokenizer.fit(joined) if level == "char" else WordTokenizer.fit(joined, lowercase=lowercase)
