"""A directory's lock: one writer at a time, named to whoever else tries.

``locked(directory)`` holds an OS-level ``flock`` (``filelock``), which the kernel releases if the process
dies, even by SIGKILL; it is re-entrant within a process, and a second process is refused at once with one
line naming the holder (its owner file: pid, host, command, since when). Training runs hold it through
``rundir.claim``; a model save holds it while it commits (``artifact.save_model``).

Example:
    with locked("runs/grimm"):
        ...  # write into runs/grimm; another process gets "runs/grimm is in use by process 4242 on ..."
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from .errors import LstmkitError

LOCK, OWNER = ".lstmkit.lock", ".lstmkit.owner.json"
_held: dict[Path, int] = {}  # directories this process holds, with a re-entry count


def _owner_text(directory: Path) -> str:
    try:
        o = json.loads((directory / OWNER).read_text(encoding="utf-8"))
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(o["since"])))
        return f"process {int(o['pid'])} on {o['host']} ({str(o['command'])[:80]}), since {when}"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextlib.contextmanager
def locked(directory: str | os.PathLike, required: bool = True) -> Iterator[Path]:
    """Hold ``directory``'s lock (re-entrant within this process); refuse at once if another holds it.

    ``required=False`` (a save, which used to take no lock): on a filesystem that has no locks (NFS without
    a lock daemon) go on unlocked instead of refusing. The owner file names the holder while the lock is
    held, and goes with it."""
    directory = Path(directory).resolve()
    if directory in _held:
        _held[directory] += 1
        try:
            yield directory
        finally:
            _held[directory] -= 1
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LstmkitError(f"{directory} cannot be created ({e.strerror}); choose another --out") from None
    lock = FileLock(str(directory / LOCK), timeout=0, fallback_to_soft=False, preserve_lock_file=True)
    try:
        lock.acquire()
    except Timeout:
        raise LstmkitError(f"{directory} is in use by {_owner_text(directory)}; wait for it to finish "
                           f"or choose another --out") from None
    except OSError as e:
        if required or e.errno not in (errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK):
            raise LstmkitError(f"{directory} cannot be locked ({e.strerror}); check that it is writable or choose another --out") from None
        lock = None
    if lock is None:
        yield directory
        return
    _held[directory] = 1
    owned = False
    try:
        try:
            owner = {"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv[:8]), "since": time.time()}
            tmp = directory / (OWNER + ".tmp")
            tmp.write_text(json.dumps(owner), encoding="utf-8")
            os.replace(tmp, directory / OWNER)
            owned = True
        except OSError:
            pass  # a directory that is not writable: what writes there next names the problem in one line
        yield directory
    finally:
        del _held[directory]
        if owned:
            with contextlib.suppress(OSError):
                (directory / OWNER).unlink()  # before the release: the next holder writes its own
        lock.release()
