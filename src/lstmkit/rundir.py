"""Run directories that cannot be lost by accident: one writer at a time, no silent replacement.

``claim(out, resume=..., overwrite=...)`` is held for the whole of a training run:

- **a lock** (``runlock.locked``: an OS-level ``flock`` that the kernel releases if the process dies, even
  by SIGKILL). A second run into a busy directory is refused with one line naming the other process;
- **no silent replacement**: a new run into a directory that holds a model is refused unless
  ``overwrite`` is given; with it, the old files stay until the new run's first save replaces them
  in one ``fileset.Transaction``;
- an unfinished commit left by a crash is completed, and a half-written staging directory removed.

Example:
    with claim("runs/grimm", resume=False, overwrite=False) as run:
        ...  # train; run.first_save tells whether the old run's files are still there
"""
from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from . import artifact, checkpoint, fileset
from .errors import LstmkitError
from .runlock import LOCK, OWNER, locked


def _placeable(out: str | os.PathLike) -> Path:
    """``out`` as a Path, refused when a model directory cannot be made there: empty, a file, or under a file."""
    out = fileset.named_directory(out)
    if out.exists() and not out.is_dir():
        raise LstmkitError(f"--out {out} exists and is not a directory; choose another --out")
    blocker = next((p for p in out.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise LstmkitError(f"--out {out} cannot be created: {blocker} is a file; choose another --out")
    return out


def check_destination(out: str | os.PathLike, overwrite: bool) -> None:
    """Before a fit that saves once at its end (classify, forecast, mlp): refuse an ``out`` that could not take
    the model, or that holds one without ``overwrite``, so that no training time is spent first."""
    out = _placeable(out)
    if holds_model(out) and not overwrite:
        raise LstmkitError(f"{out} already holds a model; pass --overwrite to replace it, or another --out")


def holds_model(directory: str | os.PathLike) -> bool:
    d = Path(directory)
    return fileset.exists(d, artifact.CONFIG) or fileset.exists(d, artifact.MANIFEST) or checkpoint.has_checkpoint(d)


@dataclass
class Run:
    """A claimed run directory. ``first_save`` is true until this run has committed its first set."""

    path: Path
    resume: bool
    overwrite: bool
    first_save: bool = True


@contextlib.contextmanager
def claim(out: str | os.PathLike, *, resume: bool, overwrite: bool) -> Iterator[Run]:
    """Lock ``out`` for a training run and check that the run may write there (see the module doc)."""
    out = _placeable(out)
    created = not out.exists()
    try:
        with _claimed(out, resume, overwrite) as run:
            yield run
    except BaseException:
        if created:  # a run that failed before saving anything leaves no directory behind
            _remove_if_unused(out)
        raise


def _remove_if_unused(out: Path) -> None:
    try:
        leftovers = {p.name for p in out.iterdir()}
        if leftovers <= {LOCK, OWNER, fileset.STAGING}:
            shutil.rmtree(out, ignore_errors=True)
    except OSError:
        pass


def refuse(out: str | os.PathLike, resume: bool, overwrite: bool) -> None:
    """Raise the error a run into ``out`` with these flags meets (nothing to resume, a model in the way).

    ``claim`` calls it under the lock, after a run that holds the directory has been named.
    """
    out = Path(out)
    if not out.is_dir():
        if resume:
            raise LstmkitError(f"--resume: {out} holds no saved run yet (the run stopped before its first save, "
                               f"or never started there); train again without --resume")
        return
    if resume and not checkpoint.has_checkpoint(out):
        if fileset.exists(out, artifact.CONFIG):
            raise LstmkitError(f"--resume: {out} holds a model but no checkpoint to continue from; "
                               f"train a new run there with --overwrite, or choose another --out")
        raise LstmkitError(f"--resume: {out} holds no saved run yet (the run stopped before its first save, "
                           f"or never started there); train again without --resume")
    if not resume and not overwrite and holds_model(out):
        raise LstmkitError(f"--out {out} already holds a trained model; pass --resume to continue it, "
                           f"--overwrite to replace it (resume=True, overwrite=True in Python; the old files stay until the "
                           f"new run's first save), or choose another --out")


@contextlib.contextmanager
def _claimed(out: Path, resume: bool, overwrite: bool) -> Iterator[Run]:
    with locked(out):
        if not os.access(out, os.W_OK):
            raise LstmkitError(f"--out {out} is not writable; choose another --out")
        fileset.recover(out)
        shutil.rmtree(out / fileset.STAGING, ignore_errors=True)
        refuse(out, resume, overwrite)
        yield Run(out, resume, overwrite, first_save=not resume)
