"""What every command group of the CLI shares: the usage-line style and writing to stdout."""
from __future__ import annotations

import contextlib
import json
import math
import sys
from pathlib import Path

from typer.core import TyperCommand


class Command(TyperCommand):
    """Usage lines as Unix tools write them (``MODEL TEXT...``), not with typer's braces (``{MODEL}``)."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [piece.replace("{", "").replace("}", "") for piece in super().collect_usage_pieces(ctx)]


class PipeClosed(BaseException):
    """The reader of stdout went away. A BaseException, so that click (which exits 1 on EPIPE) lets it pass."""


def write_or_emit(text: str, out, done: str) -> None:
    """``text`` to the file ``out`` in one atomic write (then ``done`` on stderr), or to stdout without ``out`` or with ``-``."""
    if out and str(out) != "-":
        from .atomic import write_bytes_atomic

        write_bytes_atomic(out, text.encode("utf-8"))
        print(done, file=sys.stderr, flush=True)
    else:
        emit(text)


# a table's file format by its name's ending; any other ending is refused, not written as CSV under its name
TABLE_FORMATS = {".csv": "csv", ".txt": "csv", "": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet",
                 ".json": "json", ".jsonl": "jsonl"}


def table_format(out) -> str:
    """The format a table written to ``out`` takes from its name (CSV on stdout); one error line for another."""
    from .errors import LstmkitError

    if not out or str(out) == "-":
        return "csv"
    suffix = Path(out).suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise LstmkitError(f"{out}: a {suffix} file cannot be written; name a .csv, .tsv, .parquet, .json or .jsonl file")
    return TABLE_FORMATS[suffix]


def check_table_out(out, model=None, inputs=(), others=()) -> None:
    """``check_out`` for a table, whose name must also end in a format that can be written."""
    check_out(out, model, inputs, others)
    table_format(out)


def write_table(frame, out, done: str) -> None:
    """The table ``frame`` as ``write_or_emit`` writes text, in the format its name asks for (``table_format``):
    CSV, tab-separated, Parquet, JSON records or JSON lines."""
    kind = table_format(out)
    if kind == "parquet":
        from .atomic import write_atomic

        write_atomic(out, lambda tmp: frame.to_parquet(tmp, index=False))
        print(done, file=sys.stderr, flush=True)
    elif kind in ("json", "jsonl"):
        text = frame.to_json(orient="records", lines=kind == "jsonl", date_format="iso", force_ascii=False)
        write_or_emit(text + ("" if text.endswith("\n") else "\n"), out, done)
    else:
        write_or_emit(frame.to_csv(index=False, sep="\t" if kind == "tsv" else ","), out, done)


def check_out(out, model=None, inputs=(), others=(), example: str = "out.csv") -> None:
    """Refuse, before any work, an output file that is a directory (the model's own included), one under a file,
    one of the model's own files (a prediction written over its ``config.json`` leaves it unreadable), an input
    file (the data would be lost), or the same file as another output of the command (``others``: ``--out`` and
    ``--plot``). ``None`` passes (stdout). ``example``: a file name to suggest."""
    from .errors import LstmkitError

    if out is None or str(out) == "-":
        return
    target = Path(out).resolve()
    if model is not None and target == Path(model).resolve():
        raise LstmkitError(f"{out} is a directory, the model's own; pass a file path, such as {Path(out).with_name(Path(out).name + Path(example).suffix)}")
    if target.is_dir():
        raise LstmkitError(f"{out} is a directory; pass a file path inside it, such as {Path(out) / example}")
    above = next((p for p in target.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise LstmkitError(f"cannot write {out}: {above} is a file, not a directory; pass a path in a directory")
    if model is not None and _model_file(Path(model).resolve(), target):
        raise LstmkitError(f"{out} is a file of the model {model}; write to another path, so that the model is kept")
    for source in inputs:
        if source is not None and str(source) != "-" and Path(source).exists() and target.exists() and target.samefile(source):
            raise LstmkitError(f"{out} is also the input {source}; write to another path, so that the input is kept")
    for other in others:
        if other is not None and Path(other).resolve() == target:
            raise LstmkitError(f"{out} is named for two outputs (--out and --plot); give each its own file")


def check_plot(plot, model=None, inputs=()) -> None:
    """``check_out`` for a ``--plot`` file, whose extension must also name a format that can be written."""
    check_out(plot, model, inputs, example="plot.png")
    if plot is not None:
        from .figures import figure_format

        figure_format(plot)


def _model_file(model: Path, target: Path) -> bool:
    """Whether ``target`` is one of the files that make up the model directory ``model``: listed in its manifest
    (or the manifest itself), its training run's checkpoint and history, or lstmkit's own hidden files. A user's
    earlier output saved beside them is not."""
    import json

    from .artifact import CONFIG, MANIFEST, METRICS, RUN_CURVES
    from .checkpoint import CHECKPOINT

    if model not in target.parents:
        return False
    rel = target.relative_to(model)
    if rel.parts[0] in (MANIFEST, CONFIG, CHECKPOINT, METRICS, RUN_CURVES, "tensorboard") or rel.parts[0].startswith(".lstmkit"):
        return True
    try:
        listed = json.loads((model / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        listed = {}
    return str(rel) in listed


@contextlib.contextmanager
def unsaved_on_interrupt(out=None):
    """Ctrl-C during a fit that cannot be resumed (classify, forecast, mlp): one line saying that nothing was
    saved, and exit 130. The trainer raises the signal again once the network it trains has stopped; a SIGTERM
    unwinds the same way to the entry point's "terminated" and exit 143."""
    import typer

    try:
        yield
    except KeyboardInterrupt:
        print(f"interrupted: nothing saved{f'; {out} is as it was' if out is not None else ''}", file=sys.stderr, flush=True)
        raise typer.Exit(130) from None


@contextlib.contextmanager
def fitting_into(out, overwrite: bool):
    """A fit that saves once at its end into ``out`` (classify, forecast, mlp): the directory's lock held from
    the start, as a training run holds it, so that no other run writes there meanwhile; Ctrl-C says that
    nothing was saved. A directory made for the fit and left empty is removed."""
    from . import rundir

    with unsaved_on_interrupt(out), rundir.claim(out, resume=False, overwrite=overwrite):
        yield


def load_as(path, cls, what: str):
    """``lstmkit.load(path)``, refused in one line unless it is a ``cls`` (a command of one task given another's model)."""
    from . import load
    from .errors import LstmkitError

    m = load(path)
    if not isinstance(m, cls):
        raise LstmkitError(f"{path} holds a {type(m).__name__}, not {what}; use the commands of its task (lstmkit info shows it)")
    return m


def emit(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise PipeClosed from None


def json_text(obj, **kw) -> str:
    """``obj`` as strict JSON: a number that is not finite (a MAPE over zeros, a MASE with no scale) is null,
    where ``json.dumps`` writes a bare NaN that JSON parsers refuse."""
    def finite(o):
        if isinstance(o, float) and not math.isfinite(o):
            return None
        if isinstance(o, dict):
            return {k: finite(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [finite(v) for v in o]
        return o

    return json.dumps(finite(obj), indent=2, allow_nan=False, **kw) + "\n"
