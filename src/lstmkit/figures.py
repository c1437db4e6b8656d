"""Writing a matplotlib figure to the file a ``--plot`` option names, in the format its extension asks for.

    figure_format("cm.pdf")      -> "pdf"; no extension: "png"; another one: one error line, before any work
    save_figure(fig, "cm.pdf")   the figure written atomically in that format
"""
from __future__ import annotations

from pathlib import Path

from .errors import LstmkitError

FORMATS = ("png", "pdf", "svg")  # what matplotlib writes without extra packages


def figure_format(path) -> str:
    """The format of a plot file, from its extension (``png`` when it has none)."""
    ext = Path(str(path)).suffix.lower().lstrip(".")
    if not ext:
        return "png"
    if ext not in FORMATS:
        raise LstmkitError(f"--plot {path}: a .{ext} file cannot be written; name a .png, .pdf or .svg file")
    return ext


def save_figure(fig, path) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its extension names."""
    from .atomic import write_atomic

    fmt = figure_format(path)
    write_atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=110))
