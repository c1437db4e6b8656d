"""Writing a matplotlib figure to the file a ``--plot`` option names, in the format its extension asks for.

    figure_format("cm.pdf")      -> "pdf"; no extension: "png"; another one: one error line, before any work
    save_figure(fig, "cm.pdf")   the figure written atomically in that format
    with quiet_glyphs(): fig.tight_layout()   labels in a script the font lacks, without a warning per glyph
"""
from __future__ import annotations

import contextlib
import warnings
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
    with quiet_glyphs():
        write_atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=110))


@contextlib.contextmanager
def quiet_glyphs():
    """Around laying out or drawing a figure: a label in a script the font lacks (an id in Japanese) is drawn
    as boxes, without matplotlib's warning per missing glyph."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        yield
