"""The model artifact: one directory = config JSON + tokenizer JSON + safetensors weights.

    MODEL_DIR/config.json        format version, task, network/data/train configs, training summary
    MODEL_DIR/tokenizer.json     the tokenizer (or, for later tasks, the scaler)
    MODEL_DIR/model.safetensors  weights (best validation loss), checksummed in the file's metadata
    MODEL_DIR/metrics.jsonl      one JSON line per evaluation
    MODEL_DIR/checkpoint/        the last state: weights, optimizer, RNG, data position (for --resume)

No pickle anywhere: loading a model cannot run code. Every file is written atomically.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .atomic import write_atomic, write_json_atomic
from .errors import LstmkitError

FORMAT = "lstmkit"
FORMAT_VERSION = 1
CONFIG, TOKENIZER, WEIGHTS, METRICS, CHECKPOINT = "config.json", "tokenizer.json", "model.safetensors", "metrics.jsonl", "checkpoint"
TRAIN_STATE, TRAIN_TENSORS = "trainer.json", "trainer.safetensors"


def tensor_digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of ``tensors`` in name order."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor]) -> None:
    """Write ``tensors`` to a safetensors file atomically, with a checksum in its metadata."""
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "sha256": tensor_digest(tensors)}
    write_atomic(path, lambda tmp: save_file(tensors, tmp, metadata=meta))


def load_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a safetensors file written by ``save_tensors``; truncation or tampering is an error."""
    path = Path(path)
    if not path.is_file():
        raise LstmkitError(f"{path} is missing; the model directory is incomplete — retrain or restore it")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise LstmkitError(f"{path} is truncated or corrupt ({str(e).splitlines()[0][:120]}); retrain or restore it") from None
    if meta.get("format") != FORMAT or not meta.get("sha256"):
        raise LstmkitError(f"{path} is not an lstmkit weights file (no format or checksum metadata); retrain or restore it")
    if meta["sha256"] != tensor_digest(tensors):
        raise LstmkitError(f"{path} has been modified (checksum mismatch); retrain or restore it")
    return tensors


def read_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LstmkitError(f"{path} is missing; {what}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise LstmkitError(f"{path} is corrupt ({e}); retrain or restore the model") from None
    if not isinstance(data, dict):
        raise LstmkitError(f"{path} is corrupt (not a JSON object); retrain or restore the model")
    return data


def save_model(directory: str | Path, config: dict, tokenizer: dict, tensors: dict[str, torch.Tensor]) -> Path:
    """Write a model artifact directory (weights and tokenizer first, config last).

    Example:
        save_model("runs/grimm", {"task": "text", ...}, tok.to_dict(), net.state_dict())
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise LstmkitError(f"{directory} exists and is not a directory; choose another --out")
    save_tensors(directory / WEIGHTS, tensors)
    write_json_atomic(directory / TOKENIZER, tokenizer)
    write_json_atomic(directory / CONFIG, {"format": FORMAT, "format_version": FORMAT_VERSION, **config})
    return directory


def load_model(directory: str | Path) -> tuple[dict, dict, dict[str, torch.Tensor]]:
    """Read ``(config, tokenizer, tensors)`` from a model directory, with clear errors for anything wrong."""
    directory = Path(directory)
    if not directory.exists():
        raise LstmkitError(f"{directory}: no such model; pass the --out directory of 'lstmkit train'")
    if not directory.is_dir() or not (directory / CONFIG).is_file():
        raise LstmkitError(f"{directory} is not an lstmkit model (no {CONFIG}); pass the --out directory of 'lstmkit train'")
    config = read_json(directory / CONFIG, "retrain or restore the model")
    if config.get("format") != FORMAT:
        raise LstmkitError(f"{directory / CONFIG} is not an lstmkit model config; pass the --out directory of 'lstmkit train'")
    version = config.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise LstmkitError(f"{directory} uses model format {version!r}, newer than this lstmkit reads ({FORMAT_VERSION}); upgrade lstmkit")
    tokenizer = read_json(directory / TOKENIZER, "retrain or restore the model")
    return config, tokenizer, load_tensors(directory / WEIGHTS)


def save_checkpoint(directory: str | Path, weights: dict[str, torch.Tensor], trainer_tensors: dict[str, torch.Tensor], trainer_meta: dict) -> None:
    """Write the resumable last state into ``directory/checkpoint/``."""
    # Written as a set: a fresh temporary directory, then two renames. A crash leaves either the old
    # set (possibly as checkpoint.old, which load_checkpoint falls back to) or the new one.
    directory = Path(directory)
    ck, tmp, old = directory / CHECKPOINT, directory / (CHECKPOINT + ".tmp"), directory / (CHECKPOINT + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    save_tensors(tmp / WEIGHTS, weights)
    save_tensors(tmp / TRAIN_TENSORS, trainer_tensors)
    write_json_atomic(tmp / TRAIN_STATE, trainer_meta)
    shutil.rmtree(old, ignore_errors=True)
    if ck.exists():
        os.replace(ck, old)
    os.replace(tmp, ck)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(directory: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict]:
    ck = Path(directory) / CHECKPOINT
    if not (ck / TRAIN_STATE).is_file() and (Path(directory) / (CHECKPOINT + ".old") / TRAIN_STATE).is_file():
        ck = Path(directory) / (CHECKPOINT + ".old")
    if not (ck / TRAIN_STATE).is_file():
        raise LstmkitError(f"{directory} has no checkpoint to resume from; train without --resume first")
    return load_tensors(ck / WEIGHTS), load_tensors(ck / TRAIN_TENSORS), read_json(ck / TRAIN_STATE, "retrain without --resume")


def read_metrics(directory: str | Path) -> list[dict]:
    """The evaluation history (one dict per evaluation) from ``metrics.jsonl``; empty if absent."""
    path = Path(directory) / METRICS
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a crash: skip it, keep the rest
    return rows
