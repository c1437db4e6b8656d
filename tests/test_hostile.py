"""Hostile model files: each refused in one clear line, executing nothing, allocating almost nothing.

Every directory below is a copy of a tiny valid model with one thing made hostile. Most edits are
re-manifested (``tamper.remanifest``), as an attacker would do, so they get past the integrity record
and reach the checks behind it. All are loaded in one separate process (``hostile_probe.py``) that
resets the kernel's peak-RSS counter before each load and reports what that load added.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from tamper import copy_model, edit_json, remanifest, safetensors_with_header, set_path

import lstmkit
from lstmkit.errors import LstmkitError

HERE = Path(__file__).resolve().parent
SLACK_KB = 16 * 1024  # parsing a few KB of JSON and raising an error; a real allocation would be GBs


class _Payload:
    """Unpickling this creates a marker file: proof that a loader executed code from a model file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    from conftest import make_text

    out = tmp_path_factory.mktemp("hostile") / "model"
    lstmkit.TextModel.train(text=make_text(), out=out, steps=4, seed=0, hidden=16, layers=1, embed=8,
                            batch_size=4, bptt=16, progress=False)
    return out


def _cases(base: Path, root: Path) -> dict[str, tuple[Path, str]]:
    """name -> (directory, a substring the refusal must contain)."""
    cases: dict[str, tuple[Path, str]] = {}
    marker = root / "PWNED"

    def case(name: str, expect: str) -> Path:
        d = copy_model(base, root / name)
        cases[name] = (d, expect)
        return d

    # -- pickle payloads ----------------------------------------------------------------
    d = case("pickle as weights", "truncated or corrupt")
    (d / "model.safetensors").write_bytes(pickle.dumps({"w": _Payload(marker)}))
    remanifest(d)
    d = case("pickle beside, no safetensors", "model.safetensors is missing")
    (d / "model.safetensors").unlink()
    (d / "pytorch_model.bin").write_bytes(pickle.dumps(_Payload(marker)))
    d = case("pickle as tokenizer", "not valid JSON")
    (d / "tokenizer.json").write_bytes(pickle.dumps(_Payload(marker)))
    remanifest(d)

    # -- safetensors headers --------------------------------------------------------------
    headers = {
        "header length 2^62": (safetensors_with_header({}, b"", length=1 << 62), "truncated or corrupt"),
        "header longer than file": (safetensors_with_header({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, length=10**6), "truncated or corrupt"),
        "tensor of 2^80 elements": (safetensors_with_header({"a": {"dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 16]}}, b"\0" * 16), "truncated or corrupt"),
        "overlapping offsets": (safetensors_with_header({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
                                                          "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}, b"\0" * 24), "truncated or corrupt"),
        "offsets past the end": (safetensors_with_header({"a": {"dtype": "F32", "shape": [1 << 30], "data_offsets": [0, 1 << 32]}}, b"\0" * 16), "truncated or corrupt"),
    }
    for name, (data, expect) in headers.items():
        d = case(name, expect)
        (d / "model.safetensors").write_bytes(data)
        remanifest(d)

    # -- configs with absurd or wrongly typed values ----------------------------------------
    configs = {
        "hidden 30000": ("net.hidden", 30000, "'hidden' is 30000 but must be an integer from 1 to 16384"),
        "hidden 16000 (in range)": ("net.hidden", 16000, "the config implies"),
        "layers 1000000": ("net.layers", 1000000, "'layers' is 1000000"),
        "layers 64 (in range)": ("net.layers", 64, "the weights do not match the config"),
        "hidden 10^9": ("net.hidden", 10**9, "'hidden' is 1000000000"),
        "hidden as text": ("net.hidden", "32", "'hidden' is '32' but must be an integer"),
        "hidden as bool": ("net.hidden", True, "'hidden' is True"),
        "vocab -5": ("net.vocab_size", -5, "'vocab_size' is -5 but must be an integer from 2"),
        "embed 1e300": ("net.embed", 1e300, "'embed' is 1e+300"),
        "dropout as text": ("net.dropout", "x", "'dropout' is 'x' but must be a number"),
        "lr as text": ("train.lr", "fast", "'lr' is 'fast'"),
        "format_version as text": ("format_version", "1", "format_version is '1', not a positive integer"),
        "net as list": ("net", [], "net: must be a JSON object"),
        "summary 5": ("summary", 5, "'summary' is '5' but must be a JSON object"),
        "task 5": ("task", 5, "'task' is 5"),
        "best loss as text": ("summary.best_eval", {"val_loss": "low"}, "'summary.best_eval.val_loss' is 'low'"),
    }
    for name, (path, value, expect) in configs.items():
        edit_json(case(name, expect), "config.json", lambda c, p=path, v=value: set_path(c, p, v))
    edit_json(case("hidden 30000, not re-manifested", "has been modified"), "config.json",
              lambda c: set_path(c, "net.hidden", 30000), manifest=False)

    # -- symlinks, devices, FIFOs -----------------------------------------------------------
    outside = root / "outside"
    outside.mkdir()
    (outside / "tokenizer.json").write_bytes((base / "tokenizer.json").read_bytes())
    for name, member, target in (("config -> /etc/passwd", "config.json", "/etc/passwd"),
                                 ("weights -> /dev/zero", "model.safetensors", "/dev/zero"),
                                 ("tokenizer -> ../outside", "tokenizer.json", str(outside / "tokenizer.json"))):
        d = case(name, "symbolic link")
        (d / member).unlink()
        os.symlink(target, d / member)
    d = case("weights as a FIFO", "not a regular file")
    (d / "model.safetensors").unlink()
    os.mkfifo(d / "model.safetensors")

    # -- a tokenizer that does not match the weights ------------------------------------------
    edit_json(case("tokenizer one symbol more", "the tokenizer has"), "tokenizer.json", lambda t: t.update(chars=t["chars"] + "\u2603"))
    edit_json(case("tokenizer of another level", "tokenizer is word-level"), "tokenizer.json",
              lambda t: t.clear() or t.update(level="word", words=["<unk>"] + [f"w{i}" for i in range(40)]))
    edit_json(case("tokenizer chars as a number", "'chars' must be a string"), "tokenizer.json", lambda t: t.update(chars=5))
    edit_json(case("tokenizer reordered, not re-manifested", "has been modified"), "tokenizer.json",
              lambda t: t.update(chars=t["chars"][::-1]), manifest=False)
    return cases


def test_hostile_files_are_refused_cheaply(base, tmp_path):
    cases = _cases(base, tmp_path)
    env = {**os.environ, "HOSTILE_WARMUP": str(base), "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, str(HERE / "hostile_probe.py"), *[str(d) for d, _ in cases.values()]],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["dir"]: r for r in map(json.loads, proc.stdout.splitlines())}
    report = []
    for name, (d, expect) in cases.items():
        r = rows[str(d)]
        report.append(f"{name:40s} {r['outcome']:8s} peak {r['peak_kb']:6d} KB  files {r['files_kb']:5d} KB  {r['message'][:90]}")
        assert r["outcome"] == "refused", f"{name}: {r}"
        assert expect in r["message"], f"{name}: {r['message']!r} lacks {expect!r}"
        assert "\n" not in r["message"] and "Traceback" not in r["message"]
        assert r["peak_kb"] <= 2 * r["files_kb"] + SLACK_KB, f"{name}: load allocated {r['peak_kb']} KB"
    print("\n".join(report))
    assert not (tmp_path / "PWNED").exists(), "a pickle payload was executed"


def test_the_valid_base_still_loads(base):
    lm = lstmkit.load(base)
    assert len(lm.generate("a", 10, seed=0)) == 11


def test_a_config_that_would_need_terabytes_fails_fast(base, tmp_path):
    """Defect 1: a tampered config was built before the weights were compared (24 GB, then killed)."""
    for path, value in (("net.hidden", 30000), ("net.layers", 1000000), ("net.vocab_size", 1 << 40)):
        d = edit_json(copy_model(base, tmp_path / f"{path}-{value}"), "config.json", lambda c, p=path, v=value: set_path(c, p, v))
        with pytest.raises(LstmkitError, match="must be an integer from"):
            lstmkit.load(d)
    # and with the integrity record left alone, the edit itself is caught first
    d = edit_json(copy_model(base, tmp_path / "plain"), "config.json", lambda c: set_path(c, "net.hidden", 30000), manifest=False)
    with pytest.raises(LstmkitError, match="modified"):
        lstmkit.load(d)


def test_reordered_tokenizer_is_detected(base, tmp_path):
    """Defect 4: reordering tokenizer.json's characters made the model generate wrong text, exit 0."""
    d = edit_json(copy_model(base, tmp_path / "re"), "tokenizer.json", lambda t: t.update(chars=t["chars"][::-1]), manifest=False)
    with pytest.raises(LstmkitError, match="tokenizer.json has been modified"):
        lstmkit.load(d)
    # the digest no longer lives inside the file it protects: each file is named in manifest.json
    files = json.loads((base / "manifest.json").read_text())["files"]
    assert set(files) == {"config.json", "tokenizer.json", "model.safetensors"}


def test_messages_name_the_problem(base, tmp_path, run_cli):
    """Defect 6's misleading messages."""
    d = edit_json(copy_model(base, tmp_path / "v"), "config.json", lambda c: set_path(c, "format_version", "1"))
    with pytest.raises(LstmkitError) as e:
        lstmkit.load(d)
    assert "newer" not in str(e.value) and "format_version is '1'" in str(e.value)
    d = edit_json(copy_model(base, tmp_path / "neg"), "config.json", lambda c: set_path(c, "net.vocab_size", -5))
    with pytest.raises(LstmkitError) as e:
        lstmkit.load(d)
    assert "varied" not in str(e.value) and "vocab_size" in str(e.value)
    d = edit_json(copy_model(base, tmp_path / "chars"), "tokenizer.json", lambda t: t.update(chars=5))
    with pytest.raises(LstmkitError) as e:
        lstmkit.load(d)
    assert "'int' object" not in str(e.value) and "'chars' must be a string" in str(e.value)
    from conftest import make_text

    text = tmp_path / "t.txt"
    text.write_text(make_text())
    code, _, err = run_cli("train", text, "--out", tmp_path / "h0", "--hidden", "0", "--steps", "1", "-q")
    assert code == 2 and "--hidden 0" in err and "--layers" not in err


def test_v1_models_still_load(base, tmp_path):
    """A model saved by the previous release (format 1: no manifest, a tensor digest in the weights)."""
    import hashlib

    import torch
    from safetensors.torch import load_file, save_file

    d = copy_model(base, tmp_path / "v1")
    (d / "manifest.json").unlink()
    tensors = load_file(str(d / "model.safetensors"))
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    save_file(tensors, str(d / "model.safetensors"), metadata={"format": "lstmkit", "format_version": "1", "sha256": h.hexdigest()})
    edit_json(d, "config.json", lambda c: set_path(c, "format_version", 1), manifest=False)
    assert lstmkit.load(d).generate("a", 5, seed=0) == lstmkit.load(base).generate("a", 5, seed=0)
    tensors["head.bias"] = tensors["head.bias"] + 1  # format 1's own digest still catches edits
    save_file(tensors, str(d / "model.safetensors"), metadata={"format": "lstmkit", "format_version": "1", "sha256": h.hexdigest()})
    with pytest.raises(LstmkitError, match="modified"):
        lstmkit.load(d)
