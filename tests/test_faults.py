"""Faults a training run meets on a laptop: kills, full disks, signals, a second run, a diverging loss.

Each test drives the real ``lstmkit`` command in a subprocess (or the API in process) and then checks
the run directory the way the next command would read it. The slow ones are marked ``slow``; CI runs
them all.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import make_text

import lstmkit
from lstmkit import fileset
from lstmkit.checkpoint import has_checkpoint, load_checkpoint
from lstmkit.errors import LstmkitError

TINY = ["--hidden", "32", "--layers", "1", "--embed", "16", "--batch-size", "8", "--bptt", "32", "-q", "--sample", "0"]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PYTHONUNBUFFERED": "1"}


def _lstmkit(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lstmkit.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, **kw)


@pytest.fixture
def text_file(tmp_path) -> Path:
    p = tmp_path / "tales.txt"
    p.write_text(make_text(1200), encoding="utf-8")
    return p


def _digests(d: Path) -> dict[str, str]:
    """What a run directory holds (TensorBoard's own append-only event logs aside)."""
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file() and not p.name.startswith(".lstmkit") and p.relative_to(d).parts[0] != "tensorboard"}


def _wait_for(pred, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def _owner_pid(d: Path) -> int | None:
    try:
        return json.loads((d / ".lstmkit.owner.json").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


def _assert_whole(d: Path) -> None:
    """Every visible file of a run directory is whole: the next command can read each one."""
    from safetensors import safe_open

    for p in d.rglob("*"):
        if any(part.startswith(".lstmkit") for part in p.relative_to(d).parts) or not p.is_file():
            continue
        if p.suffix == ".json":
            json.loads(p.read_text())
        elif p.suffix == ".safetensors":
            with safe_open(str(p), "pt") as f:
                [f.get_tensor(k) for k in f.keys()]
        elif p.suffix == ".jsonl":
            for line in p.read_text().splitlines():
                assert isinstance(json.loads(line), dict)


def _assert_loads_or_absent(d: Path) -> bool:
    """The directory holds no model, or one that loads and generates. Returns whether it holds one."""
    if not fileset.exists(d, "config.json"):
        return False
    lm = lstmkit.load(d)
    assert len(lm.generate("The", 20, seed=0)) == 23
    return True


# ---------------------------------------------------------------------------- SIGKILL
@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing(text_file, tmp_path):
    """20 kills at random moments of reading, training and saving; each time the directory is usable."""
    out, rng = tmp_path / "run", random.Random(20261125)
    last_step, models, resumed = -1, 0, 0
    for kill in range(20):
        resume = has_checkpoint(out)
        mode = ["--resume"] if resume else (["--overwrite"] if out.exists() else [])
        p = _lstmkit("train", text_file, "--out", out, "--steps", "100000", "--eval-every", "3", "--patience", "0", *TINY, *mode)
        # once the run holds its directory (Python and torch loaded), kill it within the next 2.5 s:
        # while it reads and tokenizes, trains, or writes one of its dozens of saves a second
        _wait_for(lambda: p.poll() is not None or _owner_pid(out) == p.pid)
        if kill == 0:  # the first run is killed after its first save, so that the others have something to resume
            _wait_for(lambda: p.poll() is not None or fileset.exists(out, "config.json"))
        time.sleep(rng.uniform(0.0, 2.5))
        early = p.poll()
        if early is None:
            p.send_signal(signal.SIGKILL)
        stdout, stderr = p.communicate(timeout=30)
        assert early is None, f"run {kill} ended by itself ({early}): {stderr[-1500:]}"
        _assert_whole(out)
        models += _assert_loads_or_absent(out)
        if has_checkpoint(out):
            step = load_checkpoint(out)[2]["train_state"]["step"]
            if resume:  # --resume continued from the checkpoint, never from scratch
                assert step >= last_step
                resumed += 1
            last_step = step
    print(f"20 SIGKILLs: {models} left a model that loaded and generated, {20 - models} no model yet; "
          f"{resumed} runs resumed from the checkpoint the kill before left")
    assert models >= 15 and resumed >= 10, (models, resumed)  # the kills did land after saves
    # a last resume finishes what a kill interrupted and leaves no staging or commit behind
    p = _lstmkit("train", text_file, "--out", out, "--resume", *TINY)
    _wait_for(lambda: load_checkpoint(out)[2]["train_state"]["step"] > last_step + 6 if has_checkpoint(out) else False)
    p.send_signal(signal.SIGINT)
    _, stderr = p.communicate(timeout=60)
    assert p.returncode == 130, stderr
    assert not (out / fileset.STAGING).exists() and not (out / fileset.COMMIT).exists()


def test_a_commit_interrupted_between_its_renames_is_read_through_and_finished(tmp_path):
    """The journal's own crash window: a complete commit directory, some files moved, some not."""
    d = tmp_path / "d"
    with fileset.Transaction(d) as tx:
        tx.write_bytes("a.txt", b"old a")
        tx.write_bytes("sub/b.txt", b"old b")
    tx = fileset.Transaction(d)
    tx.write_bytes("a.txt", b"new a")
    tx.write_bytes("sub/b.txt", b"new b")
    real_recover = fileset.recover
    fileset.recover = lambda directory: None  # "crash" right after the commit rename
    try:
        tx.commit()
    finally:
        fileset.recover = real_recover
    os.replace(d / fileset.COMMIT / "a.txt", d / "a.txt")  # ... and after moving the first file
    assert fileset.member(d, "a.txt").read_bytes() == b"new a"
    assert fileset.member(d, "sub/b.txt").read_bytes() == b"new b"  # still inside the commit: read through
    assert (d / "sub/b.txt").read_bytes() == b"old b"
    fileset.recover(d)
    assert (d / "sub/b.txt").read_bytes() == b"new b" and not (d / fileset.COMMIT).exists()


# ---------------------------------------------------------------------------- full disk
def _limit_file_size(limit: int):
    def setup():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return setup


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE semantics are Linux's")
def test_full_disk_fails_clearly_and_keeps_the_previous_checkpoint(text_file, tmp_path):
    out = tmp_path / "run"
    lstmkit.TextModel.train(text_file, out=out, steps=20, seed=0, hidden=32, layers=1, embed=16, batch_size=8,
                            bptt=32, progress=False)
    before = _digests(out)
    weights = (out / "model.safetensors").stat().st_size
    # every file may grow only to a third of the weights: the next save cannot be written
    p = _lstmkit("train", text_file, "--out", out, "--resume", "--steps", "60", *TINY, preexec_fn=_limit_file_size(weights // 3))
    _, stderr = p.communicate(timeout=120)
    # the plan is told before the first step; the failure is then one line
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith(("plan: ", "network fitted"))]
    assert p.returncode == 2 and len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "free some disk space" in lines[0] and "intact" in lines[0]
    assert _digests(out) == before  # model, tokenizer, manifest, checkpoint and history untouched
    assert not (out / fileset.STAGING).exists()
    assert _assert_loads_or_absent(out)
    lm = lstmkit.TextModel.train(text_file, out=out, resume=True, steps=30, progress=False)  # and it resumes
    assert lm.summary["steps"] == 30


# ---------------------------------------------------------------------------- signals
@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_saves_and_resume_continues(text_file, tmp_path, sig, code):
    out = tmp_path / "run"
    p = _lstmkit("train", text_file, "--out", out, "--steps", "100000", "--eval-every", "50", *TINY)
    _wait_for(lambda: has_checkpoint(out))
    p.send_signal(sig)
    _, stderr = p.communicate(timeout=60)
    assert p.returncode == code and "Traceback" not in stderr and "--resume" in stderr
    step = load_checkpoint(out)[2]["train_state"]["step"]
    assert step % 50 != 0 or step > 0  # saved at the signal, not only at the last evaluation
    assert _assert_loads_or_absent(out)
    lm = lstmkit.TextModel.train(text_file, out=out, resume=True, steps=step + 5, progress=False)
    assert lm.summary["steps"] == step + 5


@pytest.mark.slow
def test_a_second_signal_aborts_without_corrupting(text_file, tmp_path):
    """The first SIGTERM starts the final save; a second one arrives during it, at several delays."""
    for delay in (0.0, 0.02, 0.05, 0.1, 0.2):
        out = tmp_path / f"run{delay}"
        # a wider network makes each save take long enough to be hit
        p = _lstmkit("train", text_file, "--out", out, "--steps", "100000", "--eval-every", "20",
                     "--hidden", "384", "--embed", "64", "--batch-size", "8", "--bptt", "32", "-q", "--sample", "0")
        _wait_for(lambda: has_checkpoint(out))
        p.send_signal(signal.SIGTERM)
        time.sleep(delay)
        p.send_signal(signal.SIGTERM)
        _, stderr = p.communicate(timeout=60)
        # 130: the second signal hit the trainer; 143: it came after training; -15: during the
        # interpreter's own shutdown, after everything was written
        assert p.returncode in (130, 143, -signal.SIGTERM) and "Traceback" not in stderr, stderr
        _assert_whole(out)
        assert _assert_loads_or_absent(out)
        load_checkpoint(out)


# ---------------------------------------------------------------------------- a second run
@pytest.mark.slow
def test_a_second_run_into_a_busy_directory_is_refused(text_file, tmp_path):
    """Defect 3: two runs into one --out; one died with a traceback and the history mixed both."""
    out = tmp_path / "run"
    a = _lstmkit("train", text_file, "--out", out, "--steps", "100000", "--eval-every", "5", *TINY)
    _wait_for(lambda: has_checkpoint(out))
    b = _lstmkit("train", text_file, "--out", out, "--overwrite", "--steps", "10", *TINY)
    _, err_b = b.communicate(timeout=60)
    assert b.returncode == 2 and "Traceback" not in err_b and f"process {a.pid}" in err_b, err_b
    a.send_signal(signal.SIGINT)
    a.communicate(timeout=60)
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and all(s % 5 == 0 for s in steps[:-1])  # one run's history only


def test_the_api_respects_the_lock(text_file, tmp_path):
    from lstmkit import rundir

    out = tmp_path / "run"
    lm = lstmkit.TextModel.train(text_file, out=out, steps=5, seed=0, hidden=16, layers=1, embed=8, batch_size=4,
                                 bptt=16, progress=False)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from lstmkit import rundir\n"
                               f"with rundir.locked({str(out)!r}):\n    print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LstmkitError, match=f"in use by process {holder.pid}"):
            lm.save(out)
        with pytest.raises(LstmkitError, match="in use"):
            lstmkit.TextModel.train(text_file, out=out, steps=5, overwrite=True, progress=False)
    finally:
        holder.kill()
        holder.wait()
    with rundir.locked(out):  # the kernel released the dead holder's lock
        pass


# ---------------------------------------------------------------------------- overwrite
def test_a_new_run_never_replaces_a_model_by_accident(text_file, tmp_path, run_cli):
    """Defect 2: a new run deleted the old checkpoint and history at start, and replaced the model silently."""
    out = tmp_path / "run"
    code, _, err = run_cli("train", text_file, "--out", out, "--steps", "10", *TINY)
    assert code == 0, err
    before = _digests(out)
    code, _, err = run_cli("train", text_file, "--out", out, "--steps", "10", *TINY)
    assert code == 2 and "already holds a trained model" in err and "--overwrite" in err
    with pytest.raises(LstmkitError, match="already holds a trained model.*overwrite=True in Python"):
        lstmkit.TextModel.train(text_file, out=out, steps=5, progress=False)
    assert _digests(out) == before
    code, _, err = run_cli("train", text_file, "--out", out, "--steps", "12", "--overwrite", *TINY)
    assert code == 0, err
    assert lstmkit.load(out).summary["steps"] == 12
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 12 and all(r["step"] <= 12 for r in rows)


@pytest.mark.slow
def test_overwrite_keeps_the_old_files_until_the_first_save(text_file, tmp_path):
    out = tmp_path / "run"
    lstmkit.TextModel.train(text_file, out=out, steps=10, seed=0, hidden=32, layers=1, embed=16, batch_size=8,
                            bptt=32, progress=False)
    before = _digests(out)
    # --eval-every far away: the new run's first save would come only at its end
    p = _lstmkit("train", text_file, "--out", out, "--overwrite", "--steps", "100000", "--eval-every", "100000", *TINY)
    _wait_for(lambda: _owner_pid(out) == p.pid)
    time.sleep(2.0)
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=30)
    assert _digests(out) == before and lstmkit.load(out).summary["steps"] == 10


def test_resume_before_the_first_save_says_so(text_file, tmp_path, run_cli):
    """Defect 6: --resume after a kill before the first save told the user to pass the --out directory."""
    out = tmp_path / "run"
    out.mkdir()
    code, _, err = run_cli("train", text_file, "--out", out, "--resume", *TINY)
    assert code == 2 and "holds no saved run yet" in err and "without --resume" in err


# ---------------------------------------------------------------------------- divergence
def test_a_nan_loss_rolls_back_once_and_lowers_the_learning_rate(tiny_text):
    from lstmkit import NetConfig, RecurrentLM, StreamBatches, TrainConfig, Trainer
    from lstmkit.tokenize import CharTokenizer

    tok = CharTokenizer.fit(tiny_text)
    ids = tok.encode(tiny_text)
    torch.manual_seed(0)
    net = RecurrentLM(NetConfig(vocab_size=tok.vocab_size, hidden=16, layers=1, embed=8))
    calls = {"n": 0}
    real_loss = net.loss

    def loss(batch, state=None):
        calls["n"] += net.training  # training steps only, not evaluation batches
        value, stats, new_state = real_loss(batch, state)
        return (value * math.nan if calls["n"] == 12 else value), stats, new_state

    net.loss = loss
    trainer = Trainer(net, StreamBatches(ids, 4, 16), StreamBatches(ids[:2000], 4, 16, shift=False),
                      TrainConfig(steps=30, eval_every=5))
    events = []
    trainer.add_callback("on_rollback", lambda t: events.append(dict(t.last_rollback)))
    trainer.fit()
    assert len(events) == 1 and events[0]["step"] == 12 and events[0]["to_step"] == 10
    assert trainer.state.lr_scale == 0.1 and trainer.state.step == 30
    assert all(torch.isfinite(p).all() for p in net.parameters())


def test_a_second_divergence_stops_and_never_saves_nan(tiny_text, tmp_path):
    out = tmp_path / "run"
    shape = dict(seed=0, hidden=16, layers=1, embed=8, batch_size=4, bptt=16, progress=False)
    lstmkit.TextModel.train(text=tiny_text, out=out, steps=10, **shape)
    with pytest.raises(LstmkitError, match="diverged again"):
        # 3e38 (near float32's largest) overflows the weights on every CPU; 1e30 saturated the cells on some and stayed finite
        lstmkit.TextModel.train(text=tiny_text, out=out, overwrite=True, steps=200, eval_every=1, optimizer="sgd",
                                lr=3e38, clip=0.0, patience=0, **shape)
    lm = lstmkit.load(out)  # the model in the directory is finite and loads
    assert all(torch.isfinite(p).all() for p in lm.net.parameters())
    assert all(torch.isfinite(t).all() for t in load_checkpoint(out)[0].values())
