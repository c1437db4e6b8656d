"""Atomic file writes: write a temporary file beside the target, fsync, then rename over it.

A crash or Ctrl-C mid-write leaves either the old file or the new one, never half of one. A symbolic link
is followed (its target is replaced, the link stays); a pipe or a device (``/dev/stdout``, a FIFO) is
written through, since it cannot be renamed over; a directory is refused.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from .errors import LstmkitError


def write_atomic(path: str | os.PathLike, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` and then move ``tmp_path`` over ``path`` in one rename.

    Args:
        path: the final file.
        write: a function that creates the file at the temporary path it is given.

    Example:
        write_atomic("w.safetensors", lambda tmp: save_file(tensors, tmp))
    """
    path = Path(os.path.realpath(path))  # a link's target is the file to replace
    if path.is_dir():
        raise LstmkitError(f"{path} is a directory; pass a file path inside it, such as {path / 'out.csv'}")
    if path.exists() and not path.is_file():  # a pipe or a device: nothing to rename over, so write through
        write(str(path))
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise LstmkitError(f"cannot write {path} ({e.strerror or e}); pass a path in a directory you can write to") from None
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; saved models should be as readable as any file
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    def _write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
    write_atomic(path, _write)


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented UTF-8 JSON to ``path`` atomically."""
    write_bytes_atomic(path, (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
