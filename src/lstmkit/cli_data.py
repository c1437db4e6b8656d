"""``lstmkit data ...``: the built-in and downloadable corpora."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .cli_common import Command as _Command
from .cli_common import emit as _emit

data_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Built-in and downloadable corpora.")


@data_app.command("fetch", cls=_Command)
def data_fetch(name: str = typer.Argument(..., metavar="NAME", help="grimm or shakespeare."),
               url: Optional[str] = typer.Option(None, help="Download from this mirror instead (checksum still applies; default: the pinned address)."),
               cache: Optional[Path] = typer.Option(None, "--dir", help="Cache directory (default $LSTMKIT_CACHE or ~/.cache/lstmkit)."),
               force: bool = typer.Option(False, "--force", help="Download again even if cached.")):
    """Download a public-domain corpus once, verify its SHA-256, and print its path."""
    from .data.corpora import fetch

    _emit(str(fetch(name, cache, url=url, force=force, progress=True)) + "\n")


@data_app.command("list", cls=_Command)
def data_list(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """List the corpora and whether each is available offline."""
    import json

    from .data.corpora import CORPORA, cached_path

    if as_json:
        _emit(json.dumps([{"name": c.name, "description": c.description, "built_in": not c.url,
                           "path": None if not c.url else (str(cached_path(c.name)) if cached_path(c.name) else None)}
                          for c in CORPORA.values()], indent=2) + "\n")
        return
    for c in CORPORA.values():
        where = "built in" if not c.url else (str(cached_path(c.name)) if cached_path(c.name) else "not fetched")
        _emit(f"{c.name:12s} {c.description}  [{where}]\n")
