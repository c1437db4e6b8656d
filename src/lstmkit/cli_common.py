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


def emit(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise PipeClosed from None


