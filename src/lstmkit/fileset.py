"""Files that change together, replaced together: a small journal inside the directory.

A model is several files (config, tokenizer, weights, their integrity record) and a training run adds
its checkpoint and metrics. Replacing them one by one leaves a mixed set if the process dies between
two renames. ``Transaction`` makes the whole set one atomic step:

1. every new file is written and fsynced under ``DIR/.lstmkit-staging/`` (a crash here leaves the old
   set untouched; the next writer deletes the staging directory);
2. a journal listing the files is written, and the staging directory is renamed to
   ``DIR/.lstmkit-commit/`` — this one rename is the commit point;
3. each file is moved over its final name, then the commit directory is removed.

A crash during step 3 leaves a complete commit directory. Writers finish it first (``recover``), and
readers read through it (``member``): a file still inside the commit directory is the new one, a
file already moved out is new as well. So a reader always sees one whole set, never a mixture.

Every member is read with ``read_member``: regular files only (a symlink could point anywhere, a FIFO
or ``/dev/zero`` would never end), opened without following links, with a size cap.

Example:
    with Transaction("runs/grimm") as tx:
        tx.write_bytes("config.json", b"{...}")
        tx.write_file("model.safetensors", lambda tmp: save_file(tensors, tmp))
        tx.remove("checkpoint.old")
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Callable

from .configs import python_scalars
from .errors import LstmkitError

STAGING, COMMIT, JOURNAL = ".lstmkit-staging", ".lstmkit-commit", "journal.json"
SPACE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def named_directory(directory: str | os.PathLike) -> Path:
    """``directory`` as a Path, refused when it is empty or ``.``: an empty --out or ``save("")`` would
    otherwise scatter a model's files, its checkpoint and its history over the current folder."""
    path = Path(directory)
    if not str(directory).strip() or path == Path("."):  # Path("") is Path(".")
        raise LstmkitError(f"the model directory is {str(directory)!r}; pass a folder of its own, such as runs/model")
    return path


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the renames are still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_error(path: Path, e: OSError) -> LstmkitError:
    if e.errno in SPACE_ERRORS:
        return LstmkitError(f"cannot write {path}: {os.strerror(e.errno)}; free some disk space and run again "
                            f"(the previously saved files are intact)")
    return LstmkitError(f"cannot write {path} ({e.strerror or e}); check the directory's permissions and free space "
                        f"(the previously saved files are intact)")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_rel(rel: str) -> None:
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts or parts[0] in (STAGING, COMMIT):
        raise ValueError(f"not a member name: {rel!r}")


def _numpy_number(value):
    """JSON's fallback for a NumPy number: the Python number it holds."""
    plain = python_scalars(value)
    if plain is value:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    return plain


class Transaction:
    """Stage files, then replace them in ``directory`` as one set on ``commit`` (or on leaving a ``with``).

    Leaving the ``with`` block by an exception (or a signal) discards the staged files: the directory
    keeps its previous set.
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = named_directory(directory)
        self.staging = self.directory / STAGING
        self.files: list[str] = []
        self.removals: list[str] = []
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            recover(self.directory)
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging.mkdir()
        except OSError as e:
            raise _write_error(self.staging, e) from None

    # -- staging ---------------------------------------------------------------------
    def write_file(self, rel: str, write: Callable[[str], None]) -> None:
        """Call ``write(path)`` to create member ``rel`` inside the staging directory, then fsync it."""
        _check_rel(rel)
        tmp = self.staging / rel
        try:
            tmp.parent.mkdir(parents=True, exist_ok=True)
            write(str(tmp))
            os.chmod(tmp, 0o666 & ~_umask())  # as readable as any file the user makes (some writers use 0600)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        except OSError as e:
            raise _write_error(self.directory / rel, e) from None
        except Exception as e:  # libraries writing the file (safetensors) wrap the OS error in their own
            if any(os.strerror(n) in str(e) for n in SPACE_ERRORS) or "No space left" in str(e):
                raise _write_error(self.directory / rel, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))) from None
            raise
        self.files.append(rel)

    def write_bytes(self, rel: str, data: bytes) -> None:
        def write(path: str) -> None:
            with open(path, "wb") as f:
                f.write(data)
        self.write_file(rel, write)

    def write_json(self, rel: str, obj) -> None:
        # NumPy numbers (a parameter from a NumPy grid) are written as the numbers they hold
        self.write_bytes(rel, (json.dumps(obj, indent=2, ensure_ascii=False, default=_numpy_number) + "\n").encode("utf-8"))

    def remove(self, rel: str) -> None:
        """Delete member ``rel`` (a file or a directory) when the set is committed."""
        _check_rel(rel)
        self.removals.append(rel)

    def staged(self, rel: str) -> Path:
        """Where member ``rel`` sits until the commit (to hash it, for example)."""
        return self.staging / rel

    # -- commit ------------------------------------------------------------------------
    def commit(self) -> None:
        """Make the staged set the directory's set: one rename, then the moves (see the module doc)."""
        journal = {"files": self.files, "remove": self.removals}
        try:
            with open(self.staging / JOURNAL, "w", encoding="utf-8") as f:
                json.dump(journal, f)
                f.flush()
                os.fsync(f.fileno())
            for d in {(self.staging / rel).parent for rel in self.files} | {self.staging}:
                _fsync_dir(d)
            os.replace(self.staging, self.directory / COMMIT)  # the commit point
        except OSError as e:
            raise _write_error(self.directory, e) from None
        _fsync_dir(self.directory)
        recover(self.directory)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> "Transaction":
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


def recover(directory: str | os.PathLike) -> None:
    """Finish a commit that a crash interrupted (moving its files into place); a no-op otherwise."""
    directory = Path(directory)
    commit = directory / COMMIT
    try:
        journal = json.loads((commit / JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # no commit in progress
    for rel in journal.get("files", []):
        src, dst = commit / rel, directory / rel
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.is_dir() and not dst.is_symlink():
                shutil.rmtree(dst)
            os.replace(src, dst)
    for rel in journal.get("remove", []):
        p = directory / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        elif p.exists() or p.is_symlink():
            p.unlink(missing_ok=True)
    _fsync_dir(directory)
    shutil.rmtree(commit, ignore_errors=True)


# ---------------------------------------------------------------------------- reading
def member(directory: str | os.PathLike, rel: str) -> Path:
    """The path that holds member ``rel`` now: inside an unfinished commit if it is still there."""
    directory = Path(directory)
    pending = directory / COMMIT / rel
    if (directory / COMMIT / JOURNAL).is_file() and os.path.lexists(pending):
        return pending
    return directory / rel


def exists(directory: str | os.PathLike, rel: str) -> bool:
    return os.path.lexists(member(directory, rel))


def read_member(directory: str | os.PathLike, rel: str, max_bytes: int, what: str) -> bytes:
    """The bytes of member ``rel``: a regular file (never a link, device or FIFO), at most ``max_bytes``.

    Raises ``LstmkitError`` naming the file and the fix; ``FileNotFoundError`` if it is absent.
    """
    path = member(directory, rel)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise
    except OSError as e:
        if e.errno == errno.ELOOP or os.path.islink(path):
            raise LstmkitError(f"{path} is a symbolic link; a model directory holds regular files only — "
                               f"copy the real file there ({what})") from None
        raise LstmkitError(f"{path} cannot be read ({e.strerror}); check its permissions") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LstmkitError(f"{path} is not a regular file; a model directory holds regular files only ({what})")
        if st.st_size > max_bytes:
            raise LstmkitError(f"{path} is {st.st_size:,} bytes, more than the {max_bytes:,} a {rel} can hold; "
                               f"the file is corrupt or not an lstmkit file ({what})")
        chunks, left = [], st.st_size
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 24))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
