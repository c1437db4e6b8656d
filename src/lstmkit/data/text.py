"""Read text the way users have it: files, directories or stdin, with BOMs, CRLFs and licence text.

``read_text`` returns one clean string; ``split_text`` holds out its tail (or evenly spaced pieces) for validation.
"""
from __future__ import annotations

import codecs
import re
import sys
from pathlib import Path
from typing import Iterable

from ..errors import LstmkitError

# Project Gutenberg wraps every eBook in licence text between these markers (both the
# "THIS" and "THE" spellings occur, with or without a space after the asterisks).
_GUTENBERG_START = re.compile(r"^\*{3} ?START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK.*$", re.M | re.I)
_GUTENBERG_END = re.compile(r"^\*{3} ?END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK.*$", re.M | re.I)
_GUTENBERG_END_LINE = re.compile(r"^End of (?:the )?Project Gutenberg.*$", re.M | re.I)
_PRODUCED_BY = re.compile(r"\A\s*(?:Produced by|E-?text prepared by)[^\n]*(?:\n[^\n]+)*\n", re.I)

_BINARY_PROBE = 8192


def _decode(data: bytes, name: str, encoding: str) -> str:
    """Decode bytes, turning binary data and bad encodings into one-line errors."""
    if not data:
        raise LstmkitError(f"{name}: file is empty; pass a file that contains text")
    head = data[:_BINARY_PROBE]
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise LstmkitError(f"unknown encoding {encoding!r}; pass a Python codec name such as utf-8 or latin-1") from None
    if codec in ("utf-8", "utf-8-sig") and head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # a UTF-16 or UTF-32 file announces itself by its byte-order mark (Windows' "Unicode" text): read it so
        encoding = codec = "utf-32" if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) else "utf-16"
    if b"\x00" in head and not codec.startswith(("utf-16", "utf-32")):
        raise LstmkitError(f"{name}: looks like a binary file (it contains NUL bytes); pass a plain-text file")
    try:
        text = data.decode(encoding)
    except LookupError:
        raise LstmkitError(f"unknown encoding {encoding!r}; pass a Python codec name such as utf-8 or latin-1") from None
    except UnicodeDecodeError as e:
        raise LstmkitError(
            f"{name}: not valid {encoding} (byte 0x{data[e.start]:02x} at offset {e.start}); "
            f"pass --encoding with the file's encoding, e.g. --encoding latin-1"
        ) from None
    controls = sum(1 for ch in text[:_BINARY_PROBE] if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    if controls > 0.05 * min(len(text), _BINARY_PROBE):
        raise LstmkitError(f"{name}: looks like a binary file ({controls} control characters); pass a plain-text file")
    return text


def strip_gutenberg(text: str) -> str:
    """Remove the Project Gutenberg licence header and footer when their markers are present.

    Example:
        body = strip_gutenberg(open("pg2591.txt").read())
    """
    start = _GUTENBERG_START.search(text)
    if start:
        text = text[start.end():]
        text = _PRODUCED_BY.sub("", text, count=1)
    end = _GUTENBERG_END.search(text)
    if end:
        text = text[: end.start()]
        # The line "End of Project Gutenberg's <title>" sits just above the END marker.
        tail = list(_GUTENBERG_END_LINE.finditer(text))
        if tail and len(text) - tail[-1].start() < 500:
            text = text[: tail[-1].start()]
    if start or end:
        text = text.strip("\n") + "\n"
    return text


def normalize(text: str, keep_boilerplate: bool = False) -> str:
    """Strip a byte-order mark, turn CRLF/CR into LF and (unless asked not to) Gutenberg licence text."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not keep_boilerplate:
        text = strip_gutenberg(text)
    return text


def _expand(sources: Iterable[str | Path]) -> list[str | Path]:
    files: list[str | Path] = []
    for src in sources:
        if str(src) == "-":
            files.append("-")
            continue
        p = Path(src)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts))
            if not found:
                raise LstmkitError(f"{p}: directory has no files; pass a directory that contains text files")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        elif p.exists():
            raise LstmkitError(f"{p}: not a regular file; pass a text file or a directory")
        else:
            raise LstmkitError(f"{p}: no such file or directory; check the path")
    return files


def read_text(sources: str | Path | Iterable[str | Path], encoding: str = "utf-8", keep_boilerplate: bool = False,
              report: dict | None = None) -> str:
    """Read and clean one or more text sources into a single string.

    Args:
        sources: a path, a directory (read recursively, sorted), ``"-"`` for stdin, or a list of them.
        encoding: the files' text encoding.
        keep_boilerplate: keep Project Gutenberg licence text instead of removing it.
        report: if given, filled with what the cleanup did: ``files``, ``chars_read`` (as decoded) and
            ``boilerplate_chars`` (Project Gutenberg licence text removed).

    Example:
        text = read_text(["grimm.txt", "more_tales/"])
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    files = _expand(list(sources))
    if not files:
        raise LstmkitError("no input given; pass one or more text files, a directory, or - for stdin")
    parts = []
    for f in files:
        if f == "-":
            data, name = sys.stdin.buffer.read(), "<stdin>"
        else:
            try:
                data, name = Path(f).read_bytes(), str(f)
            except OSError as e:
                raise LstmkitError(f"{f}: cannot be read ({e.strerror}); check the file's permissions") from None
        decoded = _decode(data, name, encoding)
        plain = normalize(decoded, keep_boilerplate=True)
        text = plain if keep_boilerplate else strip_gutenberg(plain)
        if report is not None:
            report["files"] = report.get("files", 0) + 1
            report["chars_read"] = report.get("chars_read", 0) + len(decoded)
            report["boilerplate_chars"] = report.get("boilerplate_chars", 0) + len(plain) - len(text)
        if not text.strip():
            raise LstmkitError(f"{name}: contains no text after cleanup; pass a file with some text in it")
        parts.append(text)
    return "\n".join(parts)


def _line_cut(text: str, at: int, lo: int = 0) -> int:
    """``at`` moved back to just after a line break within 200 characters and after ``lo``, when there is one."""
    nl = text.rfind("\n", max(lo, at - 200), at)
    return nl + 1 if nl >= lo and nl > 0 else at


def split_cuts(text: str, val_fraction: float, blocks: int = 1) -> list[tuple[int, int]]:
    """The ``(start, end)`` of each held-out piece of ``split_text``, in order and not overlapping."""
    if not 0.0 <= val_fraction < 1.0:
        raise LstmkitError(f"--val-fraction {val_fraction} is out of range; pass a value in [0, 1)")
    if blocks < 1:
        raise LstmkitError(f"--val-blocks {blocks} is out of range; pass 1 (the tail) or more")
    if val_fraction == 0.0:
        return []
    n = len(text)
    if blocks == 1:
        return [(_line_cut(text, int(n * (1.0 - val_fraction))), n)]
    piece, cuts, pos = n * val_fraction / blocks, [], 0
    for i in range(blocks):
        start = max(pos, _line_cut(text, int(n * i / blocks), pos) if i else 0)
        end = max(start, _line_cut(text, int(n * i / blocks + piece), start))  # a break inside the piece, or none
        cuts.append((start, end))
        pos = end
    return cuts


def split_text(text: str, val_fraction: float, blocks: int = 1) -> tuple[str, str]:
    """Hold out ``val_fraction`` of ``text`` for validation, cut at line breaks when one is near.

    ``blocks=1`` holds out the tail. ``blocks=k`` holds out ``k`` equal pieces, piece ``i`` starting at
    ``i/k`` of the text, so validation samples the whole text and the end of the text (the part
    nearest whatever comes after it) is trained on; the training text is the rest, in order.

    Example:
        train, val = split_text(text, 0.1)             # the last 10 %
        train, val = split_text(text, 0.02, blocks=8)  # eight pieces of 0.25 %, at 0, 1/8, ... 7/8
    """
    train, val, pos = [], [], 0
    for start, end in split_cuts(text, val_fraction, blocks):
        train.append(text[pos:start])
        val.append(text[start:end])
        pos = end
    train.append(text[pos:])
    return "".join(train), "".join(val)
