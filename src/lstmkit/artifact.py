"""The model artifact: one directory, every task, checked before anything is built.

    MODEL_DIR/config.json        format, format version, task, each component's config, training summary
    MODEL_DIR/<part>.json        the task's preprocessing: tokenizer.json (text), later scaler.json ...
    MODEL_DIR/model.safetensors  the weights
    MODEL_DIR/manifest.json      the integrity record: SHA-256 and size of each file above

No pickle anywhere: loading a model cannot run code. The files are written as one set
(``fileset.Transaction``), so a crash leaves the old model or the new one, never a mixture.

Loading checks, in order, before it allocates anything the weights file does not imply:
1. every file is a regular file (no symlinks, devices or FIFOs) of bounded size;
2. each file's digest matches the manifest (editing any one of them is detected);
3. the config's format, version and task, then each field's type and range (``configs``);
4. the weights file's header (parsed and bounds-checked by ``safetensors``) against the shapes the
   config implies, computed on PyTorch's ``meta`` device, where a module costs no memory;
5. only then the tensors are read and the real module is built.

Models of format version 1 (no manifest; a tensor digest inside the weights file) still load.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from . import fileset, runlock
from .errors import LstmkitError

FORMAT = "lstmkit"
FORMAT_VERSION = 2
CONFIG, WEIGHTS, MANIFEST, METRICS = "config.json", "model.safetensors", "manifest.json", "metrics.jsonl"
MAX_CONFIG_BYTES = 4 << 20  # a config is a few KB
MAX_PART_BYTES = 256 << 20  # a tokenizer of a million words is about 20 MB
MAX_WEIGHTS_BYTES = 64 << 30
FIX = "retrain or restore the model"


# ---------------------------------------------------------------------------- writing
def stage_model(tx: fileset.Transaction, config: dict, parts: dict[str, dict], tensors: dict[str, torch.Tensor],
                prefix: str = "") -> None:
    """Write a model's files into transaction ``tx`` (under ``prefix``), the manifest last.

    Example:
        with fileset.Transaction("runs/grimm") as tx:
            stage_model(tx, {"task": "text", ...}, {"tokenizer": tok.to_dict()}, net.state_dict())
    """
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:  # the trainer never gets here with NaN weights; a caller of the API might
        raise LstmkitError(f"refusing to save weights that hold NaN or inf ({', '.join(bad[:3])}); the model diverged — lower the learning rate")
    names = [WEIGHTS, *[f"{p}.json" for p in parts], CONFIG]
    for old in _manifest_files(tx.directory / prefix) - {*names, MANIFEST}:  # a model of another kind had them
        tx.remove(prefix + old)
    tx.write_file(prefix + WEIGHTS, lambda tmp: save_file(tensors, tmp, metadata={"format": FORMAT}))
    for part, obj in parts.items():
        tx.write_json(f"{prefix}{part}.json", obj)
    tx.write_json(prefix + CONFIG, {"format": FORMAT, "format_version": FORMAT_VERSION, **config})
    stage_manifest(tx, prefix, names)


def _manifest_files(directory: Path) -> set[str]:
    """The files an lstmkit manifest in ``directory`` lists (none when it is missing, unreadable or another's)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"] if manifest.get("format") == FORMAT else {}
        if not isinstance(files, dict):
            return set()
        return {f for f in files if isinstance(f, str) and "/" not in f and "\\" not in f and not f.startswith(".")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return set()


def checkpoint_here(directory: Path) -> bool:
    """Whether ``directory`` holds an lstmkit training run's resume point (its checkpoint's own manifest)."""
    return any(_manifest_files(directory / ck) for ck in ("checkpoint", "checkpoint.old"))


def stage_manifest(tx: fileset.Transaction, prefix: str, names: list[str]) -> None:
    """Write ``prefix/manifest.json``: the SHA-256 and size of each staged file in ``names``."""
    files = {}
    for name in names:
        staged = tx.staged(prefix + name)
        files[name] = {"sha256": _file_sha256(staged), "bytes": staged.stat().st_size}
    tx.write_json(prefix + MANIFEST, {"format": FORMAT, "format_version": FORMAT_VERSION, "files": files})


def verify_member(directory: Path, rel: str, entry: dict, max_bytes: int = MAX_WEIGHTS_BYTES) -> None:
    """Check member ``rel`` (a regular file of bounded size) against its manifest ``entry``."""
    size = _checked_size(directory, rel, max_bytes)
    if size != entry.get("bytes", size):
        raise LstmkitError(f"{fileset.member(directory, rel)} is truncated or corrupt ({size:,} bytes; {MANIFEST} "
                           f"records {entry.get('bytes')}); {FIX}")
    if _stream_sha256(directory, rel) != entry.get("sha256"):
        raise LstmkitError(f"{fileset.member(directory, rel)} has been modified since it was saved "
                           f"(its SHA-256 differs from {MANIFEST}); {FIX}")


# what a training run leaves beside its model (text and seq2seq): its resume points (format 1's ".old" too),
# kept checkpoints, evaluations, TensorBoard events and curves (these last only beside the run's evaluations)
RUN_FILES, RUN_CURVES = ("checkpoint", "checkpoint.old", "checkpoints", METRICS, "tensorboard"), "curves.png"


def save_model(directory: str | Path, config: dict, parts: dict[str, dict], tensors: dict[str, torch.Tensor],
               replaces_run: bool = False) -> Path:
    """Write a model artifact directory as one set; the previous model stays until the new one is complete.

    A directory a training run is using is refused (its lock). The previous model's files that the new one
    does not write go with the same commit; ``replaces_run`` (a model fitted in one go: classify, forecast,
    mlp) also removes a previous training run's files, whose checkpoint would otherwise resume a model that
    is no longer there."""
    directory = fileset.named_directory(directory)  # "" or "." refused before anything is written
    if directory.exists() and not directory.is_dir():
        raise LstmkitError(f"{directory} exists and is not a directory; choose another path")
    with runlock.locked(directory, required=False), fileset.Transaction(directory) as tx:
        ours = _manifest_files(directory) or checkpoint_here(directory)  # an lstmkit model or run was here: not a user's folder
        stage_model(tx, config, parts, tensors)
        if replaces_run and ours:
            run = [rel for rel in RUN_FILES if (directory / rel).exists()]
            for rel in run + ([RUN_CURVES] if METRICS in run and (directory / RUN_CURVES).exists() else []):
                tx.remove(rel)
    return directory


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# ---------------------------------------------------------------------------- reading
@dataclass
class WeightsFile:
    """A weights file whose header has been read and checked, and whose tensors have not been loaded."""

    path: Path
    header: dict[str, tuple[str, tuple[int, ...]]]  # name -> (dtype, shape), from the safetensors header
    legacy_digest: str | None = None  # format 1: the tensor digest kept in the file's metadata

    def load(self) -> dict[str, torch.Tensor]:
        """Read the tensors (read into memory, not mapped, so a file changed later cannot fault us)."""
        try:
            try:
                f = safe_open(str(self.path), framework="pt", backend="pread")
            except TypeError:  # safetensors < 0.8 has no pread backend
                f = safe_open(str(self.path), framework="pt")
            with f:
                tensors = {k: f.get_tensor(k) for k in f.keys()}
        except (SafetensorError, OSError, ValueError, RuntimeError) as e:
            raise LstmkitError(f"{self.path} is truncated or corrupt ({_first_line(e)}); {FIX}") from None
        if self.legacy_digest is not None and self.legacy_digest != _tensor_digest(tensors):
            raise LstmkitError(f"{self.path} has been modified (checksum mismatch); {FIX}")
        return tensors


@dataclass
class Artifact:
    """A model directory whose files passed the integrity checks; ``config`` and ``parts`` are parsed JSON."""

    path: Path
    config: dict
    parts: dict[str, dict]
    weights: WeightsFile
    version: int = FORMAT_VERSION
    files: dict[str, dict] = field(default_factory=dict)


def _first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0][:160]


def _read_json(directory: Path, rel: str, max_bytes: int, data: bytes | None = None) -> dict:
    path = fileset.member(directory, rel)
    if data is None:
        try:
            data = fileset.read_member(directory, rel, max_bytes, FIX)
        except FileNotFoundError:
            raise LstmkitError(f"{path} is missing; the model directory is incomplete — {FIX}") from None
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise LstmkitError(f"{path} is corrupt (not valid JSON: {_first_line(e)}); {FIX}") from None
    if not isinstance(obj, dict):
        raise LstmkitError(f"{path} is corrupt (not a JSON object); {FIX}")
    return obj


def _read_header(path: Path) -> tuple[dict[str, tuple[str, tuple[int, ...]]], dict]:
    """The safetensors header (names, dtypes, shapes) and metadata, without reading a tensor.

    ``safe_open`` rejects headers longer than the file, offsets out of bounds, overlapping or
    leaving gaps, and sizes that do not match their shapes.
    """
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            header = {}
            for name in f.keys():
                sl = f.get_slice(name)
                header[name] = (str(sl.get_dtype()), tuple(int(d) for d in sl.get_shape()))
    except (SafetensorError, OSError, ValueError, RuntimeError, OverflowError) as e:
        raise LstmkitError(f"{path} is truncated or corrupt ({_first_line(e)}); {FIX}") from None
    return header, meta


def require_task(art: "Artifact", task: str, what: str) -> None:
    """Refuse, in one line, a model whose config names another task (or none) than ``task``.

    Example:
        require_task(art, "classify", "a classifier")   # "runs/air holds a 'forecast' model, not a classifier; ..."
    """
    found = art.config.get("task")
    if found == task:
        return
    if isinstance(found, str):
        raise LstmkitError(f"{art.path} holds a {found!r} model, not {what}; use the {found!r} commands")
    raise LstmkitError(f"{fileset.member(art.path, CONFIG)}: 'task' is not a task name; the config is corrupt — {FIX}")


def open_model(directory: str | Path, parts: tuple[str, ...] | None = None) -> Artifact:
    """Check a model directory's files and read its config and parts (the weights stay on disk).

    Args:
        directory: the model directory.
        parts: the JSON parts to read (``("tokenizer",)``); ``None`` reads those the manifest lists.

    Example:
        art = open_model("runs/grimm"); art.config["task"]   # 'text'
    """
    directory = Path(directory)
    if not directory.exists():
        raise LstmkitError(f"{directory}: no such model directory; pass the --out directory of a train command ('lstmkit train', 'lstmkit forecast train', ...)")
    if not directory.is_dir():
        raise LstmkitError(f"{directory} is a file, not a model directory; pass the --out directory of a train command "
                           "('lstmkit train', 'lstmkit forecast train', ...)")
    if not fileset.exists(directory, CONFIG):
        raise LstmkitError(f"{directory} is not an lstmkit model (no {CONFIG}); pass the --out directory of a train command ('lstmkit train', 'lstmkit forecast train', ...)")
    for attempt in range(3):  # a training run may commit a new set while we read: read the set again
        try:
            return _open_model(directory, parts)
        except _Changed:
            time.sleep(0.2 * (attempt + 1))
    return _open_model(directory, parts, last_try=True)


class _Changed(Exception):
    """The directory's set changed while it was being read."""


def _open_model(directory: Path, parts: tuple[str, ...] | None, last_try: bool = False) -> Artifact:
    manifest_state = _set_state(directory)
    has_manifest = fileset.exists(directory, MANIFEST)
    manifest = _read_json(directory, MANIFEST, MAX_CONFIG_BYTES) if has_manifest else None
    config_bytes = _read_bytes(directory, CONFIG, MAX_CONFIG_BYTES)
    config = _read_json(directory, CONFIG, MAX_CONFIG_BYTES, config_bytes)
    cfg_path = fileset.member(directory, CONFIG)
    if config.get("format") != FORMAT:
        raise LstmkitError(f"{cfg_path} is not an lstmkit model config (no \"format\": \"lstmkit\"); pass the --out directory of a train command ('lstmkit train', 'lstmkit forecast train', ...)")
    version = config.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise LstmkitError(f"{cfg_path}: format_version is {version!r}, not a positive integer; the file is corrupt — {FIX}")
    if version > FORMAT_VERSION:
        raise LstmkitError(f"{directory} uses model format {version}, newer than this lstmkit reads ({FORMAT_VERSION}); upgrade lstmkit")

    # -- integrity: every file against the manifest (format 2), or the weights' own digest (format 1)
    files: dict[str, dict] = {}
    if version >= 2:
        if manifest is None:
            raise LstmkitError(f"{directory / MANIFEST} is missing, so the model's integrity cannot be checked; {FIX}")
        files = _checked_files(directory, manifest)
        for required in (CONFIG, WEIGHTS):
            if required not in files:
                raise LstmkitError(f"{fileset.member(directory, MANIFEST)} does not list {required}; {FIX}")
        if hashlib.sha256(config_bytes).hexdigest() != files[CONFIG]["sha256"]:
            _mismatch(directory, CONFIG, manifest_state, last_try)
    if parts is not None:
        wanted = parts
    elif version >= 2:  # the parts the manifest lists
        wanted = tuple(n[:-5] for n in files if n.endswith(".json") and n != CONFIG)
    else:  # format 1 held text models only
        wanted = ("tokenizer",)
    loaded_parts = {}
    for part in wanted:
        rel = f"{part}.json"
        data = _read_bytes(directory, rel, MAX_PART_BYTES)
        if version >= 2:
            if rel not in files:
                raise LstmkitError(f"{fileset.member(directory, MANIFEST)} does not list {rel}; {FIX}")
            if hashlib.sha256(data).hexdigest() != files[rel]["sha256"]:
                _mismatch(directory, rel, manifest_state, last_try)
        loaded_parts[part] = _read_json(directory, rel, MAX_PART_BYTES, data)
    weights_path = fileset.member(directory, WEIGHTS)
    size = _checked_size(directory, WEIGHTS, MAX_WEIGHTS_BYTES)
    if version >= 2:
        if size != files[WEIGHTS].get("bytes", size):
            if not last_try and _set_state(directory) != manifest_state:
                raise _Changed
            raise LstmkitError(f"{weights_path} is truncated or corrupt ({size:,} bytes; {MANIFEST} records "
                               f"{files[WEIGHTS].get('bytes'):,}); {FIX}")
        if _stream_sha256(directory, WEIGHTS) != files[WEIGHTS]["sha256"]:
            _mismatch(directory, WEIGHTS, manifest_state, last_try)
    header, meta = _read_header(weights_path)
    legacy = None
    if version == 1:
        if meta.get("format") != FORMAT or not meta.get("sha256"):
            raise LstmkitError(f"{weights_path} is not an lstmkit weights file (no format or checksum metadata); {FIX}")
        legacy = meta["sha256"]
    return Artifact(directory, config, loaded_parts, WeightsFile(weights_path, header, legacy), version, files)


def read_consistently(directory: Path, read: Callable[[], object], manifest: str = MANIFEST):
    """``read()``, again if a writer committed a new set meanwhile and the read failed its checks."""
    for attempt in range(3):
        state = _set_state(directory, manifest)
        try:
            return read()
        except LstmkitError:
            if _set_state(directory, manifest) == state:
                raise
            time.sleep(0.2 * (attempt + 1))
    return read()


_MEMBER_NAME = re.compile(r"[a-z][a-z0-9_-]*\.(json|safetensors)")


def _checked_files(directory: Path, manifest: dict) -> dict[str, dict]:
    """The manifest's file table: plain member names (no paths), each with a SHA-256 and a byte count."""
    where = fileset.member(directory, MANIFEST)
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise LstmkitError(f"{where} is corrupt (no file table); {FIX}")
    for name, entry in files.items():
        if not _MEMBER_NAME.fullmatch(name) or name == MANIFEST:
            raise LstmkitError(f"{where} names {name[:60]!r}, which is not a file of a model directory; {FIX}")
        ok = (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64
              and isinstance(entry.get("bytes"), int) and not isinstance(entry.get("bytes"), bool) and entry["bytes"] >= 0)
        if not ok:
            raise LstmkitError(f"{where} is corrupt (the entry of {name} needs a SHA-256 and a byte count); {FIX}")
    return files


def _set_state(directory: Path, manifest: str = MANIFEST):
    """What identifies the current set: the manifest's identity and whether a commit is under way."""
    try:
        st = os.stat(fileset.member(directory, manifest))
        ident = (st.st_ino, st.st_mtime_ns)
    except OSError:
        ident = None
    return ident, os.path.exists(directory / fileset.COMMIT)


def _mismatch(directory: Path, rel: str, state, last_try: bool) -> None:
    if not last_try and _set_state(directory) != state:
        raise _Changed
    raise LstmkitError(f"{fileset.member(directory, rel)} has been modified since the model was saved "
                       f"(its SHA-256 differs from {MANIFEST}); {FIX}")


def _read_bytes(directory: Path, rel: str, max_bytes: int) -> bytes:
    try:
        return fileset.read_member(directory, rel, max_bytes, FIX)
    except FileNotFoundError:
        raise LstmkitError(f"{fileset.member(directory, rel)} is missing; the model directory is incomplete — {FIX}") from None


def _checked_size(directory: Path, rel: str, max_bytes: int) -> int:
    """The size of member ``rel`` after the same regular-file checks as ``read_member`` (nothing read)."""
    path = fileset.member(directory, rel)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise LstmkitError(f"{path} is missing; the model directory is incomplete — {FIX}") from None
    import stat as st_mod

    if st_mod.S_ISLNK(st.st_mode):
        raise LstmkitError(f"{path} is a symbolic link; a model directory holds regular files only — copy the real file there ({FIX})")
    if not st_mod.S_ISREG(st.st_mode):
        raise LstmkitError(f"{path} is not a regular file; a model directory holds regular files only ({FIX})")
    if st.st_size > max_bytes:
        raise LstmkitError(f"{path} is {st.st_size:,} bytes, more than lstmkit reads ({max_bytes:,}); {FIX}")
    return st.st_size


def _stream_sha256(directory: Path, rel: str) -> str:
    path = fileset.member(directory, rel)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as e:
        raise LstmkitError(f"{path} cannot be read ({e.strerror}); {FIX}") from None
    with os.fdopen(fd, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# ---------------------------------------------------------------------------- building
def build_module(make: Callable[[], torch.nn.Module], weights: WeightsFile, where: str) -> torch.nn.Module:
    """Build ``make()`` with the weights of ``weights``, after checking that their shapes agree.

    The module is first built on the ``meta`` device (shapes only, no memory), its state dict compared
    name by name with the file's header; only if they agree are the tensors read and the real module
    built, so a config that asks for more than the weights file holds allocates nothing.

    Example:
        net = build_module(lambda: RecurrentLM(cfg), art.weights, "runs/grimm")
    """
    with torch.device("meta"):
        probe = make()
    expected = {k: (str(v.dtype).replace("torch.", ""), tuple(v.shape)) for k, v in probe.state_dict().items()}
    got = {k: (_dtype_name(d), s) for k, (d, s) in weights.header.items()}
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if missing or extra:
        what = f"missing {', '.join(missing[:3])}" if missing else f"unexpected {', '.join(extra[:3])}"
        raise LstmkitError(f"{where}: the weights do not match the config ({what}); {FIX}")
    for name, (dtype, shape) in expected.items():
        if got[name][1] != shape:
            raise LstmkitError(f"{where}: the config implies {name} of shape {list(shape)} but the weights file holds "
                               f"{list(got[name][1])}; config and weights do not belong together — {FIX}")
        if got[name][0] != dtype:
            raise LstmkitError(f"{where}: {name} is {got[name][0]} in the weights file, not {dtype}; {FIX}")
    tensors = weights.load()
    module = make()
    try:
        module.load_state_dict(tensors)
    except RuntimeError as e:
        raise LstmkitError(f"{where}: config and weights do not match ({_first_line(e)}); {FIX}") from None
    return module


def _dtype_name(d: str) -> str:
    """safetensors dtype codes as torch names (F32 -> float32)."""
    return {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "F64": "float64", "I64": "int64", "I32": "int32",
            "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool"}.get(d.upper(), d.lower())


def _tensor_digest(tensors: dict[str, torch.Tensor]) -> str:
    """Format 1's digest: SHA-256 over names, dtypes, shapes and bytes of the tensors in name order."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------------------- metrics
def read_metrics(directory: str | Path) -> tuple[list[dict], int]:
    """The evaluation history (one dict per evaluation) and the number of unreadable lines skipped.

    A row must be a JSON object whose ``step`` is an integer; anything else (a line cut short,
    invalid UTF-8, a bare number) is skipped and counted.
    """
    try:
        data = fileset.read_member(directory, METRICS, MAX_PART_BYTES, "delete metrics.jsonl to start a fresh history")
    except (FileNotFoundError, LstmkitError):
        return [], 0
    rows, bad = [], 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            row = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            bad += 1
            continue
        if not isinstance(row, dict) or not isinstance(row.get("step"), int) or isinstance(row.get("step"), bool):
            bad += 1
            continue
        rows.append(row)
    return rows, bad


def metrics_bytes(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")
