"""The resumable training state, kept beside the model in ``RUN_DIR/checkpoint/``.

    checkpoint/model.safetensors    the last weights (not necessarily the best: those are the model's)
    checkpoint/trainer.safetensors  optimizer moments, carried hidden state, RNG state
    checkpoint/trainer.json         the position in the run (step, epoch, batch, clock), optimizer scalars
    checkpoint/manifest.json        SHA-256 of the three files above

It is written in the same ``fileset.Transaction`` as the model and the metrics log, so after any crash
the checkpoint, the model and the history in a run directory belong to the same moment.
"""
from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

from . import artifact, fileset
from .errors import LstmkitError

CHECKPOINT = "checkpoint"
TRAIN_STATE, TRAIN_TENSORS = "trainer.json", "trainer.safetensors"
_FILES = [artifact.WEIGHTS, TRAIN_TENSORS, TRAIN_STATE]
FIX = "train without --resume, with --overwrite"


def stage_checkpoint(tx: fileset.Transaction, weights: dict[str, torch.Tensor], trainer_tensors: dict[str, torch.Tensor],
                     trainer_meta: dict) -> None:
    """Write the checkpoint's files into ``tx`` (they replace the previous checkpoint on commit)."""
    prefix = CHECKPOINT + "/"
    for name, tensors in ((artifact.WEIGHTS, weights), (TRAIN_TENSORS, trainer_tensors)):
        tensors = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
        tx.write_file(prefix + name, lambda tmp, t=tensors: save_file(t, tmp, metadata={"format": artifact.FORMAT}))
    tx.write_json(prefix + TRAIN_STATE, trainer_meta)
    artifact.stage_manifest(tx, prefix, _FILES)
    for legacy in (CHECKPOINT + ".old", CHECKPOINT + ".tmp"):  # format 1's set swap
        tx.remove(legacy)


def has_checkpoint(directory: str | Path) -> bool:
    d = Path(directory)
    return any(fileset.exists(d, f"{ck}/{TRAIN_STATE}") for ck in (CHECKPOINT, CHECKPOINT + ".old"))


def load_checkpoint(directory: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict]:
    """``(weights, trainer_tensors, trainer_meta)`` of the last checkpoint, each file checked first."""
    directory = Path(directory)
    return artifact.read_consistently(directory, lambda: _load_checkpoint(directory), f"{CHECKPOINT}/{artifact.MANIFEST}")


def resume_into(directory: str | Path, net: torch.nn.Module, trainer) -> None:
    """Put the last checkpoint of ``directory`` into ``net`` (its last weights) and ``trainer`` (optimizer,
    position, RNG: ``Trainer.load_resume_payload``), so that the run continues exactly where it stood."""
    weights, tensors, meta = load_checkpoint(directory)
    try:
        net.load_state_dict(weights)
    except RuntimeError as e:
        raise LstmkitError(f"{directory}/checkpoint does not fit the saved model ({str(e).splitlines()[0][:100]}); train without --resume") from None
    trainer.load_resume_payload(tensors, meta)


def _load_checkpoint(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict]:
    ck = CHECKPOINT
    if not fileset.exists(directory, f"{ck}/{TRAIN_STATE}") and fileset.exists(directory, f"{CHECKPOINT}.old/{TRAIN_STATE}"):
        ck = CHECKPOINT + ".old"  # format 1: a crash between its two renames
    if not fileset.exists(directory, f"{ck}/{TRAIN_STATE}"):
        raise LstmkitError(f"{directory} has no checkpoint to resume from; {FIX}")
    manifest = None
    if fileset.exists(directory, f"{ck}/{artifact.MANIFEST}"):
        manifest = artifact._read_json(directory, f"{ck}/{artifact.MANIFEST}", artifact.MAX_CONFIG_BYTES)
        files = artifact._checked_files(directory / ck, manifest)
        if not all(n in files for n in _FILES):
            raise LstmkitError(f"{fileset.member(directory, ck + '/' + artifact.MANIFEST)} does not list every checkpoint file; {FIX}")
        for name in _FILES:
            artifact.verify_member(directory, f"{ck}/{name}", files[name])
    out = []
    for name in (artifact.WEIGHTS, TRAIN_TENSORS):
        path = fileset.member(directory, f"{ck}/{name}")
        artifact._checked_size(directory, f"{ck}/{name}", artifact.MAX_WEIGHTS_BYTES)
        header, meta = artifact._read_header(path)
        legacy = None
        if manifest is None:  # format 1 kept a tensor digest inside each file
            if meta.get("format") != artifact.FORMAT or not meta.get("sha256"):
                raise LstmkitError(f"{path} is not an lstmkit checkpoint file; {FIX}")
            legacy = meta["sha256"]
        out.append(artifact.WeightsFile(path, header, legacy).load())
    meta = artifact._read_json(directory, f"{ck}/{TRAIN_STATE}", artifact.MAX_PART_BYTES)
    return out[0], out[1], meta
