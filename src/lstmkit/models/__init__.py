"""The tasks: each is a model class with ``from_artifact``, registered here under its task name."""
from __future__ import annotations

from pathlib import Path

from .. import artifact, fileset
from ..errors import LstmkitError


def _tasks() -> dict:
    from .forecast import TASK as FORECAST, Forecaster
    from .text import TASK as TEXT, TextModel

    return {TEXT: TextModel, FORECAST: Forecaster}


def load_any(path: str | Path):
    """Open a model directory, check it, and build the model class its task names.

    Example:
        load_any("runs/grimm")   # a TextModel
    """
    art = artifact.open_model(path)
    task, tasks = art.config.get("task"), _tasks()
    where = fileset.member(art.path, artifact.CONFIG)
    if not isinstance(task, str):
        raise LstmkitError(f"{where}: 'task' is {str(task)[:40]}, not a task name; the config is corrupt — {artifact.FIX}")
    if task not in tasks:
        raise LstmkitError(f"{where}: task {str(task)[:40]!r} is not one this lstmkit knows ({', '.join(tasks)}); "
                           f"upgrade lstmkit, or {artifact.FIX}")
    return tasks[task].from_artifact(art)
