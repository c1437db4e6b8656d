"""The six defects of issue 13, each reproduced as the probe found it, through the command line only.

These tests use nothing but the ``lstmkit`` command and plain file edits, so they run unchanged against
the release that had the defects, where each one fails (checked once; see the README's fault table).
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
TINY = ["--hidden", "32", "--layers", "1", "--embed", "16", "--batch-size", "8", "--bptt", "32", "-q", "--sample", "0"]


def _run(*args, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstmkit.cli", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=timeout, **kw)


def _start(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lstmkit.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)


def _clean_failure(p) -> str:
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert p.returncode == 2 and len(lines) == 1 and "Traceback" not in p.stderr, (p.returncode, p.stderr[-1500:])
    return lines[0]


def _files(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file() and not p.name.startswith(".") and "tensorboard" not in p.parts}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, Path]:
    from conftest import make_text

    root = tmp_path_factory.mktemp("defects")
    text = root / "small.txt"
    text.write_text(make_text(1200), encoding="utf-8")
    p = _run("train", text, "--out", root / "base", "--steps", "20", *TINY)
    assert p.returncode == 0, p.stderr
    return text, root / "base"


def _copy(base: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(base, dst, ignore=shutil.ignore_patterns(".*"))
    return dst


def _edit(path: Path, edit) -> None:
    obj = json.loads(path.read_text())
    edit(obj)
    path.write_text(json.dumps(obj))


def _address_space_limit():
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))  # a tampered model must not get near this


def test_defect1_a_tampered_config_is_refused_before_it_allocates(small, tmp_path):
    _, base = small
    for key, value in (("hidden", 30000), ("layers", 1000000)):
        d = _copy(base, tmp_path / key)
        _edit(d / "config.json", lambda c: c["net"].update({key: value}))
        t0 = time.time()
        p = _run("generate", d, "-n", "5", timeout=60, preexec_fn=_address_space_limit)
        _clean_failure(p)
        assert time.time() - t0 < 30


def test_defect2_a_new_run_leaves_the_old_run_alone(small, tmp_path):
    text, base = small
    d = _copy(base, tmp_path / "run")
    before = _files(d)
    p = _start("train", text, "--out", d, "--steps", "100000", *TINY)
    deadline = time.time() + 20  # Python and torch take 2-5 s to load on these machines; a refusal comes right after
    while p.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    if p.poll() is None:  # still running: it was not refused, and is training over the old run
        p.send_signal(signal.SIGKILL)
    p.communicate(timeout=30)
    assert _files(d) == before  # refused at once: the checkpoint and the history are still there
    assert p.returncode == 2


def test_defect3_two_runs_into_one_directory(small, tmp_path):
    text, _ = small
    d = tmp_path / "run"
    a = _start("train", text, "--out", d, "--steps", "100000", "--eval-every", "5", *TINY)
    deadline = time.time() + 60
    while not (d / "checkpoint" / "trainer.json").exists() and time.time() < deadline:
        time.sleep(0.05)
    b = _run("train", text, "--out", d, "--steps", "30", "--eval-every", "5", *TINY)
    a.send_signal(signal.SIGINT)
    a.communicate(timeout=60)
    assert "in use by process" in _clean_failure(b)
    steps = [json.loads(line)["step"] for line in (d / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps)  # one run's history, not two interleaved


def test_defect4_a_reordered_tokenizer_is_detected(small, tmp_path):
    _, base = small
    d = _copy(base, tmp_path / "tok")
    _edit(d / "tokenizer.json", lambda t: t.update(chars=t["chars"][::-1]))
    assert "tokenizer.json" in _clean_failure(_run("generate", d, "-n", "20"))


@pytest.mark.parametrize("edit", [
    lambda c: c.update(summary=5),
    lambda c: c["summary"]["best_eval"].update(val_loss="low"),
    lambda c: c["summary"].update(sizing={"hidden": 384}),
])
def test_defect5_info_on_a_corrupt_config(small, tmp_path, edit):
    _, base = small
    d = _copy(base, tmp_path / "info")
    _edit(d / "config.json", edit)
    p = _run("info", d)
    assert "Traceback" not in p.stderr and (p.returncode == 0 or _clean_failure(p)), p.stderr[-1500:]


@pytest.mark.parametrize("lines", [b"5\n", b'{"step": 3}\n', b"\xff\xfe\x00 not utf-8\n"])
def test_defect5_info_on_a_corrupt_history(small, tmp_path, lines):
    _, base = small
    d = _copy(base, tmp_path / "hist")
    with open(d / "metrics.jsonl", "ab") as f:
        f.write(lines)
    p = _run("info", d)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr[-1500:]


def test_defect6_closed_pipe_and_messages(small, tmp_path):
    text, base = small
    p = subprocess.run(["bash", "-c", f'"{sys.executable}" -m lstmkit.cli generate "{base}" -n 100000 | head -c 100 '
                        f'>/dev/null; echo "${{PIPESTATUS[0]}}"'], capture_output=True, text=True, env=ENV, timeout=120)
    assert p.stdout.strip() == "0" and p.stderr == "", (p.stdout, p.stderr)  # the generator's own exit code
    d = _copy(base, tmp_path / "v")
    _edit(d / "config.json", lambda c: c.update(format_version="1"))
    assert "newer" not in _clean_failure(_run("info", d))
    d = _copy(base, tmp_path / "neg")
    _edit(d / "config.json", lambda c: c["net"].update(vocab_size=-5))
    assert "varied" not in _clean_failure(_run("info", d))
    assert "--layers" not in _clean_failure(_run("train", text, "--out", tmp_path / "h", "--hidden", "0", "--steps", "1", "-q"))
    d = _copy(base, tmp_path / "chars")
    _edit(d / "tokenizer.json", lambda t: t.update(chars=5))
    assert "'int' object" not in _clean_failure(_run("info", d))
    (tmp_path / "never").mkdir()
    assert "pass the --out directory" not in _clean_failure(_run("train", text, "--out", tmp_path / "never", "--resume", *TINY))


# ---------------------------------------------------------------------------- one writer, for the fit-once tasks too
def _iris_csv(tmp_path: Path) -> Path:
    from sklearn.datasets import load_iris

    f = tmp_path / "iris.csv"
    load_iris(as_frame=True).frame.to_csv(f, index=False)
    return f


def test_a_fit_once_task_is_refused_a_directory_another_run_holds(tmp_path, run_cli):
    d = tmp_path / "busy"
    d.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from lstmkit import rundir\n"
                               "with rundir.locked(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)", str(d)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        for args in (("mlp", "train", _iris_csv(tmp_path), "--label", "target"), ("classify", "train", "--demo", "echo"),
                     ("forecast", "train", "--demo")):
            code, _, err = run_cli(*args, "--out", d, "--overwrite", "--steps", "2")
            assert code == 2 and "is in use by process" in err, args
    finally:
        holder.kill()
        holder.wait()
    assert not (d / "config.json").exists()


def test_replacing_a_model_of_another_kind_leaves_none_of_its_files(tmp_path, run_cli):
    d = tmp_path / "m"
    pairs = tmp_path / "p.tsv"
    pairs.write_text("".join(f"{a} {b}\t{b} {a}\n" for a in "abcde" for b in "fghij"), encoding="utf-8")
    assert run_cli("seq2seq", "train", pairs, "--out", d, "--steps", "3", "--hidden", "16", "--embed", "8", "-q")[0] == 0
    assert {"checkpoint", "metrics.jsonl", "source_tokenizer.json"} <= {p.name for p in d.iterdir()}
    code, _, err = run_cli("mlp", "train", _iris_csv(tmp_path), "--label", "target", "--out", d, "--overwrite", "--steps", "2")
    assert code == 0, err
    assert {p.name for p in d.iterdir() if not p.name.startswith(".")} == {"config.json", "labels.json", "manifest.json",
                                                                          "model.safetensors", "preparation.json"}
    code, _, err = run_cli("seq2seq", "train", pairs, "--out", d, "--resume", "--steps", "5")
    assert code == 2 and "no checkpoint" in err  # no resume point of the replaced run is left to continue
    assert run_cli("seq2seq", "train", pairs, "--out", d, "--overwrite", "--steps", "3", "--hidden", "16", "--embed", "8", "-q")[0] == 0
    assert not (d / "labels.json").exists() and not (d / "preparation.json").exists()


def test_small_cli_mistakes_are_named(tmp_path, run_cli):
    iris = _iris_csv(tmp_path)
    code, _, err = run_cli("mlp", "train", iris, "--label", "target", "--features", "sepal length (cm)", "--features", "target",
                           "--out", tmp_path / "x", "--steps", "1")
    assert code == 2 and "--features names the label column 'target'" in err
    code, _, err = run_cli("info", iris)
    assert code == 2 and "is a file, not a model directory" in err


def test_mlp_options_are_named_before_the_data_and_seq2seq_reads_other_encodings(tmp_path, run_cli):
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n", encoding="utf-8")
    for args, message in ((("--epochs", "-1"), "the training budget must be positive and finite (got --epochs -1.0)"), (("--lr", "0"), "--lr 0.0 must be positive")):
        code, _, err = run_cli("mlp", "train", tiny, "--label", "y", "--out", tmp_path / "m", *args)
        assert code == 2 and message in err, err  # not the test split's complaint about 4 rows
    pairs = tmp_path / "l1.tsv"
    pairs.write_bytes(("über one\tover eins\ngroß\tbig\n" * 10).encode("latin-1"))
    m = tmp_path / "s"
    assert run_cli("seq2seq", "train", pairs, "--out", m, "--steps", "2", "--hidden", "16", "--embed", "8", "-q", "--encoding", "latin-1")[0] == 0
    code, _, err = run_cli("seq2seq", "evaluate", m, pairs)
    assert code == 2 and "byte 0xfc at offset 0); pass --encoding" in err
    assert run_cli("seq2seq", "evaluate", m, pairs, "--encoding", "latin-1")[0] == 0
    assert run_cli("seq2seq", "translate", m, "--file", pairs, "--encoding", "latin-1")[0] == 0


def test_a_save_to_no_name_leaves_nothing_behind(tmp_path, monkeypatch):
    import lstmkit
    from lstmkit.errors import LstmkitError
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    m = lstmkit.MLP(steps=2).fit(X, y)
    monkeypatch.chdir(tmp_path)
    for name in ("", "."):
        with pytest.raises(LstmkitError):
            m.save(name)
    assert list(tmp_path.iterdir()) == []  # no lock file in the current directory


def test_a_save_into_a_users_folder_leaves_their_files(tmp_path):
    import lstmkit
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    m = lstmkit.MLP(steps=2).fit(X, y)
    proj = tmp_path / "proj"  # another tool's run: the names lstmkit's runs use too, but no lstmkit run
    (proj / "checkpoints").mkdir(parents=True)
    (proj / "checkpoints" / "epoch=3.ckpt").write_text("x")
    for name in ("metrics.jsonl", "curves.png"):
        (proj / name).write_text("x")
    m.save(proj)
    assert {"checkpoints", "metrics.jsonl", "curves.png"} <= {p.name for p in proj.iterdir()}
    other = tmp_path / "other"  # a manifest of another format names files that are not a model's
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"files": ["train.csv"]}))
    (other / "train.csv").write_text("1")
    m.save(other)
    assert (other / "train.csv").exists()
    assert not (proj / ".lstmkit.owner.json").exists()  # the holder's name goes with the lock
