"""The tasks: each is a model class with ``from_artifact``, registered here under its task name."""
from __future__ import annotations

from pathlib import Path

from .. import artifact, fileset
from ..errors import LstmkitError

# task name -> (module, class); a task's module is imported only when a model of that task is loaded
TASKS = {"text": ("text", "TextModel"), "forecast": ("forecast", "Forecaster"),
         "classify": ("classify", "SequenceClassifier"), "seq2seq": ("seq2seq", "Seq2Seq"), "mlp": ("mlp", "MLP")}


def _task_class(task: str):
    import importlib

    module, name = TASKS[task]
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def load_any(path: str | Path):
    """Open a model directory, check it, and build the model class its task names.

    Example:
        load_any("runs/grimm")   # a TextModel
    """
    art = artifact.open_model(path)
    task, tasks = art.config.get("task"), TASKS
    where = fileset.member(art.path, artifact.CONFIG)
    if not isinstance(task, str):
        raise LstmkitError(f"{where}: 'task' is {str(task)[:40]}, not a task name; the config is corrupt — {artifact.FIX}")
    if task not in tasks:
        raise LstmkitError(f"{where}: task {str(task)[:40]!r} is not one this lstmkit knows ({', '.join(tasks)}); "
                           f"upgrade lstmkit, or {artifact.FIX}")
    return _task_class(task).from_artifact(art)
