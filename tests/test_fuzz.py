"""Run the model-loader fuzz target (tests/fuzz_loader.py) for a short while: no input may crash it.

A failure prints libFuzzer's report: the Python traceback, the mode's input as bytes and Base64, and
the crash file (kept under the test's tmp_path). Replay it with
``python tests/fuzz_loader.py path/to/crash-...``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris")

TARGET = Path(__file__).with_name("fuzz_loader.py")
MIN_RUNS = 100  # about 300-800 runs/s on one core; far fewer means the target hardly ran


@pytest.mark.slow
def test_fuzz_model_loader(tmp_path):
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    cmd = [sys.executable, str(TARGET), "-max_total_time=20", "-rss_limit_mb=3000", "-runs=-1", "-timeout=30",
           f"-artifact_prefix={crashes}/"]
    env = {**os.environ, "LSTMKIT_FUZZ_DIR": str(tmp_path / "models")}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=120, env=env,
                              cwd=TARGET.parent.parent)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
        pytest.fail(f"the fuzzer did not finish in 120 s:\n{out[-4000:]}")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"the fuzzer found a crash (exit {proc.returncode}):\n{out[-6000:]}"
    assert not list(crashes.iterdir()), f"the fuzzer wrote crash files {list(crashes.iterdir())}:\n{out[-6000:]}"
    done = re.search(r"^Done (\d+) runs in (\d+) second", out, re.M)
    assert done, f"no 'Done N runs' line in the fuzzer's output:\n{out[-4000:]}"
    assert int(done.group(1)) > MIN_RUNS, f"only {done.group(1)} runs in {done.group(2)} s:\n{out[-4000:]}"
