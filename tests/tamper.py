"""How an attacker or an accident edits a saved model: helpers for the fault and hostile-input tests."""
from __future__ import annotations

import hashlib
import json
import shutil
import struct
from pathlib import Path


def remanifest(d: Path) -> None:
    """Recompute manifest.json after an edit, as an attacker would, so the edit reaches the later checks."""
    m = json.loads((d / "manifest.json").read_text())
    for name in m["files"]:
        data = (d / name).read_bytes()
        m["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (d / "manifest.json").write_text(json.dumps(m))


def copy_model(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("checkpoint", "metrics.jsonl", ".lstmkit*"))
    return dst


def edit_json(d: Path, name: str, edit, manifest: bool = True) -> Path:
    """Apply ``edit(obj)`` to ``d/name`` (a JSON file); re-manifest unless told not to."""
    obj = json.loads((d / name).read_text())
    edit(obj)
    (d / name).write_text(json.dumps(obj))
    if manifest:
        remanifest(d)
    return d


def safetensors_with_header(header: dict, data: bytes, length: int | None = None) -> bytes:
    """A safetensors file with a chosen header (and optionally a lying header length)."""
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def set_path(obj: dict, path: str, value) -> None:
    keys = path.split(".")
    for k in keys[:-1]:
        obj = obj[k]
    obj[keys[-1]] = value
