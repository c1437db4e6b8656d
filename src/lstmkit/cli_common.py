"""What every command group of the CLI shares: the usage-line style and writing to stdout."""
from __future__ import annotations

import sys

from typer.core import TyperCommand


class Command(TyperCommand):
    """Usage lines as Unix tools write them (``MODEL TEXT...``), not with typer's braces (``{MODEL}``)."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        return [piece.replace("{", "").replace("}", "") for piece in super().collect_usage_pieces(ctx)]


class PipeClosed(BaseException):
    """The reader of stdout went away. A BaseException, so that click (which exits 1 on EPIPE) lets it pass."""


def write_or_emit(text: str, out, done: str) -> None:
    """``text`` to the file ``out`` in one atomic write (then ``done`` on stderr), or to stdout without ``out``."""
    if out:
        from .atomic import write_bytes_atomic

        write_bytes_atomic(out, text.encode("utf-8"))
        print(done, file=sys.stderr, flush=True)
    else:
        emit(text)


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


