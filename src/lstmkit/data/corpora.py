"""Built-in corpora: the offline default, and public-domain texts downloaded with a pinned SHA-256.

``docs`` is the English documentation that ships inside every CPython (the ``pydoc_data`` package),
so the default job needs no network. ``grimm`` and ``shakespeare`` are fetched once into a cache
directory (``$LSTMKIT_CACHE`` or ``~/.cache/lstmkit``) and verified before they are kept.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_atomic
from ..errors import LstmkitError
from .text import read_text


@dataclass(frozen=True)
class Corpus:
    name: str
    description: str
    url: str = ""
    sha256: str = ""
    filename: str = ""


CORPORA = {
    "docs": Corpus("docs", "Python's own documentation topics (pydoc_data), built in, about 465k characters"),
    "grimm": Corpus(
        "grimm", "Grimms' Fairy Tales, Project Gutenberg eBook #2591 (the KNIME tutorial's corpus), 550 kB",
        "https://www.gutenberg.org/files/2591/2591-0.txt",
        "4d909d18d528fbf393a06ecc05487006d6983f69d55a16138e4bc7642213eb90", "grimms_fairy_tales.txt"),
    "shakespeare": Corpus(
        "shakespeare", "tinyshakespeare, the classic 1.1 MB character-level benchmark",
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", "tinyshakespeare.txt"),
}


def builtin_text() -> str:
    """The offline default corpus: CPython's documentation topics, in a fixed order."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        raise LstmkitError("this Python has no pydoc_data package (the built-in corpus); pass text files to train on") from None

    return "\n\n".join(topics[k].strip("\n") for k in sorted(topics)) + "\n"


def cache_dir() -> Path:
    return Path(os.environ.get("LSTMKIT_CACHE") or Path.home() / ".cache" / "lstmkit")


def corpus_named(name: str) -> Corpus:
    """The built-in corpus called ``name``; an unknown name is an error listing the known ones."""
    if name not in CORPORA:
        raise LstmkitError(f"unknown corpus {name!r}; choose one of {', '.join(CORPORA)}")
    return CORPORA[name]


class CorpusUnavailable(LstmkitError):
    """A corpus could not be downloaded (no network, an unreachable address)."""


def cached_path(name: str, directory: str | Path | None = None) -> Path | None:
    """Where ``name`` lies in the cache, or ``None`` when it has not been fetched."""
    c = corpus_named(name)
    if not c.url:
        return None
    path = Path(directory or cache_dir()) / c.filename
    return path if path.is_file() else None


def fetch(name: str, directory: str | Path | None = None, url: str | None = None, force: bool = False,
          timeout: float = 60.0, progress: bool = False) -> Path:
    """Download corpus ``name`` into the cache (once) and verify its pinned SHA-256.

    Args:
        name: ``grimm`` or ``shakespeare``.
        directory: cache directory (default ``$LSTMKIT_CACHE`` or ``~/.cache/lstmkit``).
        url: a mirror to download from instead of the pinned address (the checksum still applies).
        force: download again even when a verified copy exists.
        timeout: seconds to wait for the server.
        progress: show a progress bar on stderr.

    Example:
        path = fetch("grimm")   # ~/.cache/lstmkit/grimms_fairy_tales.txt
    """
    c = corpus_named(name)
    if not c.url:
        raise LstmkitError(f"corpus {name!r} is built in; there is nothing to fetch")
    target = Path(directory or cache_dir()) / c.filename
    if target.is_file() and not force:
        if hashlib.sha256(target.read_bytes()).hexdigest() == c.sha256:
            return target
    source = url or c.url
    digest = hashlib.sha256()

    def download(tmp: str) -> None:
        try:
            with urllib.request.urlopen(source, timeout=timeout) as resp, open(tmp, "wb") as out:
                total = int(resp.headers.get("Content-Length") or 0) or None
                bar = None
                if progress:
                    from tqdm import tqdm
                    bar = tqdm(total=total, unit="B", unit_scale=True, desc=name, leave=False)
                while chunk := resp.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
                if bar is not None:
                    bar.close()
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            raise CorpusUnavailable(f"could not download {name} from {source} ({reason}); check the network or pass --url with a mirror") from None
        if digest.hexdigest() != c.sha256:
            raise LstmkitError(
                f"the download of {name} from {source} has SHA-256 {digest.hexdigest()[:16]}..., not the pinned "
                f"{c.sha256[:16]}...; the file changed or was corrupted, and nothing was saved")

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LstmkitError(f"cannot create the cache directory {target.parent} ({e.strerror}); pass --dir or set LSTMKIT_CACHE") from None
    write_atomic(target, download)
    return target


def load_corpus(sources=None, *, corpus: str | None = None, encoding: str = "utf-8", keep_boilerplate: bool = False) -> str:
    """Text from files/dirs/stdin, or a named corpus (``docs`` built in; ``grimm``/``shakespeare`` fetched)."""
    if sources:
        return read_text(sources, encoding=encoding, keep_boilerplate=keep_boilerplate)
    if corpus in (None, "docs"):
        return builtin_text()
    try:
        path = cached_path(corpus) or fetch(corpus, progress=True)
    except CorpusUnavailable as e:
        # training has no --url: name the two ways that work from here
        reason = str(e).split(" (", 1)[1].rsplit(")", 1)[0] if " (" in str(e) else str(e)
        raise LstmkitError(f"the corpus {corpus!r} is not on this machine and could not be downloaded ({reason}); "
                           f"fetch it once with 'lstmkit data fetch {corpus}' (add --url MIRROR where the pinned address "
                           f"is unreachable), or pass its text file to 'lstmkit train FILE'") from None
    return read_text(path, keep_boilerplate=keep_boilerplate)
