"""Every command on a corrupt model directory: one clear line, never a traceback (defects 5 and 6)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tamper import copy_model, edit_json, set_path

import lstmkit


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from conftest import make_text

    out = tmp_path_factory.mktemp("corrupt") / "model"
    lstmkit.TextModel.train(text=make_text(), out=out, steps=6, eval_every=2, seed=0, hidden=16, layers=1, embed=8,
                            batch_size=4, bptt=16, progress=False)
    return out


def _one_line_error(code: int, err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("path, value, expect", [
    ("summary", 5, "'summary' is '5'"),
    ("summary.best_eval.val_loss", "low", "'summary.best_eval.val_loss' is 'low'"),
    ("summary.sizing", {"hidden": "wide"}, "'summary.sizing.hidden' is 'wide'"),
    ("net", "lstm", "net: must be a JSON object"),
    ("summary.steps", [1, 2], "'summary.steps' is '[1, 2]' but must be a number or a string"),
])
@pytest.mark.parametrize("command", ["info", "generate", "evaluate"])
def test_commands_on_a_corrupt_config(base, tmp_path, run_cli, path, value, expect, command):
    d = copy_model(base, tmp_path / "m")
    args = {"info": [d], "generate": [d, "-n", "5"], "evaluate": [d, base / "tokenizer.json"]}[command]
    edit_json(d, "config.json", lambda c: set_path(c, path, value), manifest=False)
    assert "config.json has been modified" in _one_line_error(*run_cli(command, *args)[::2])
    edit_json(d, "config.json", lambda c: None)  # an attacker's consistent manifest: the type check answers
    assert expect in _one_line_error(*run_cli(command, *args)[::2])


def test_info_with_a_sizing_entry_without_its_keys(base, tmp_path, run_cli):
    d = edit_json(copy_model(base, tmp_path / "m"), "config.json", lambda c: set_path(c, "summary.sizing", {"hidden": 384}))
    code, out, err = run_cli("info", d)
    assert code == 0 and "Traceback" not in err and "fitted to the budget" in out


def test_info_skips_unreadable_metrics_lines(base, tmp_path, run_cli):
    d = copy_model(base, tmp_path / "m")
    good = (base / "metrics.jsonl").read_bytes()
    (d / "metrics.jsonl").write_bytes(good + b'5\n{"step": 3}\n\xff\xfe not utf-8\n{"step": "x"}\n[1, 2]\n{"step": 4, "lr": "hot"}\n')
    code, out, err = run_cli("info", d)
    assert code == 0 and "Traceback" not in err, err
    assert "4 unreadable line(s)" in err  # 5, invalid UTF-8, a text step, a list; {"step": 3} is shown with '?'
    code, out, err = run_cli("info", d, "--json")
    import json

    info = json.loads(out)
    assert code == 0 and info["skipped_metrics_lines"] == 4 and len(info["history"]) == len(good.splitlines()) + 2


def test_generate_into_a_closed_pipe_ends_quietly(base):
    """Defect 6: `lstmkit generate ... | head -c 100` exited 1."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    p = subprocess.Popen([sys.executable, "-m", "lstmkit.cli", "generate", str(base), "-n", "200000", "--seed", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    head = p.stdout.read(100)
    p.stdout.close()
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    assert len(head) == 100 and p.returncode == 0 and err == "", (p.returncode, err)


def test_sigterm_outside_training_unwinds_and_exits_143(base):
    """SIGTERM while generating (or saving after training): a clean stop, not the interpreter's default death."""
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    p = subprocess.Popen([sys.executable, "-m", "lstmkit.cli", "generate", str(base), "-n", "100000000"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    p.stdout.read(1)  # generation has begun (a fixed sleep lost the race to a slow torch import under load)
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143 and err.strip() == "terminated", (p.returncode, err)
