"""Each benchmark script runs end to end on a tiny budget (figures are printed, never asserted)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def run(script, *args, timeout=240):
    env = {**os.environ, "PYTHONPATH": str(BENCH)}
    res = subprocess.run([sys.executable, str(BENCH / script), *map(str, args)], capture_output=True, text=True,
                         timeout=timeout, cwd=BENCH, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from conftest import make_text

    p = tmp_path_factory.mktemp("bench") / "text.txt"
    p.write_text(make_text(2500), encoding="utf-8")
    return p


def test_throughput(corpus):
    out = run("throughput.py", "--hidden", "32", "--batch", "8", "--sweep", "16", "--bptt", "16", "--seconds", "0.3",
              "--rounds", "2")
    assert "of float32 matmul" in out and out.count("round ") == 2
    assert "raw nn.LSTM 32 units, input 64, batch 8x16" in out and "batch 16x16" in out


def test_time_to_quality(corpus):
    out = run("time_to_quality.py", "--data", corpus, "--budget", "2", "--set", "hidden=32", "--set", "layers=1")
    assert "lstmkit   : val loss" in out and "reference : val loss" in out and "below the reference" in out


def test_generation():
    out = run("generation.py", "--hidden", "32", "--symbols", "100")
    assert "speed-up over the window loop" in out


def test_memory(corpus):
    out = run("memory.py", "--data", corpus)
    assert "the token array" in out and "materialised windows peak" in out


def test_recipes_vs_default(corpus, tmp_path):
    png = tmp_path / "curves.png"
    out = run("recipes_vs_default.py", "--recipe", "knime-grimm", "--data", corpus, "--recipe-minutes", "0.05",
              "--default-minutes", "0.05", "--evals", "3", "--default-evals", "3", "--hidden", "16", "--plot", png)
    assert "best validation loss" in out and png.stat().st_size > 1000


def test_forecast_airpassengers():
    pytest.importorskip("statsforecast")
    out = run("forecast_airpassengers.py", "--seeds", "1", "--holdouts", "6", "--steps", "15", "--ensemble", "1", "--recipe-epochs", "1",
              "--backtest", "2")
    assert "Holt-Winters (mul)" in out and "lstmkit beats every baseline" in out and "one-step RMSE train" in out
    assert "80 % intervals cover" in out and "predict latency" in out


def test_forecast_panel_and_defaults():
    pytest.importorskip("statsforecast")
    out = run("forecast_panel.py", "--series", "10", "--steps", "15", "--ensemble", "1")
    assert "lstmkit / AutoETS: MASE" in out
    out = run("forecast_panel.py", "--source", "m1", "--series", "4", "--steps", "10", "--ensemble", "1")
    assert "panel: M1 4 yearly series" in out and "lstmkit / AutoARIMA: MASE" in out
    out = run("forecast_defaults.py", "{'steps': 10, 'ensemble': 1, 'hidden': 8}")
    assert "relative RMSE %" in out and "Holt-Winters" in out
    out = run("forecast_singles.py", "{'steps': 10, 'ensemble': 1, 'hidden': 8}")
    assert out.count("MASE") == 6 and "sunspots" in out and "mean MASE" in out
    out = run("forecast_singles.py", "{'steps': 10, 'ensemble': 1, 'hidden': 8}", "--more")
    assert out.count("MASE") == 19 and "dk-ide" in out and "over 18 series" in out and "level as input" in out
    # not solar: AutoARIMA with a season of 48 takes 40 s of the script's 52 (Q), the rest of this test's 40
    out = run("forecast_unseen.py", "{'steps': 10, 'ensemble': 1, 'hidden': 8}", "--series", "shampoo,us-consumption")
    assert "shampoo" in out and "season  4" in out and "mean MASE lstmkit" in out and "rank per series" in out


def test_classify_ucr_and_family():
    pytest.importorskip("aeon")
    out = run("classify_ucr.py", "{'hidden': 8}", "--datasets", "UnitTest", "--seeds", "2", "--steps", "5")
    assert "UnitTest seed 1: accuracy" in out and "MiniRocket" in out and "lstm-fcn {'hidden': 8}" in out
    row = next(line for line in out.splitlines() if line.startswith("UnitTest "))
    assert len(row.split()) >= 7  # lstmkit, its range, time, MiniRocket and its time, 1-NN-DTW and its time
    out = run("classify_family.py", "--datasets", "UnitTest", "--models", "lstm,gru", "--steps", "5")
    assert "UnitTest lstm: loss" in out and out.rstrip().splitlines()[-1].startswith("gru")
    out = run("classify_outer_cv.py", "{'steps': 5, 'hidden': 8}", "--datasets", "UnitTest", "--folds", "3")
    assert "UnitTest" in out and "of 20 wrong" in out and out.rstrip().splitlines()[-1].startswith("mean: accuracy")
    out = run("classify_reference_recipe.py", "--datasets", "UnitTest", "--cells", "8,16", "--seeds", "2", "--epochs", "3",
              "--default-steps", "5")
    assert "UnitTest, 16 cells, seed 1:" in out and "UnitTest, lstmkit default, seed 1:" in out and "3 epochs" in out
    rows = [line for line in out.splitlines() if line.startswith("| UnitTest |")]
    assert [r.split("|")[2].strip() for r in rows] == ["lstmkit default", "recipe, 8 cells", "recipe, 16 cells"]
    assert all(len(r.split("|")) == 9 for r in rows) and rows[0].split("|")[6].strip() == "1.00"


def test_seq2seq_demos_and_decode():
    out = run("seq2seq_demos.py", "--tasks", "dates,phrases", "--steps", "5", "--train", "300", "--hidden", "32")
    rows = [line for line in out.splitlines() if line.startswith("| dates") or line.startswith("| phrases")]
    assert len(rows) == 2 and all(len(r.split("|")) == 11 for r in rows)
    out = run("seq2seq_decode.py", "--sources", "50", "--steps", "5", "--uncached", "5")
    assert "| greedy, batched |" in out and "| beam 4, per sequence, re-encoding every step |" in out and "agree on" in out


def test_mlp_iris():
    out = run("mlp_iris.py", "--seeds", "1")
    assert "| lstmkit MLP 4-8-3 |" in out and "| logistic regression |" in out


def test_classify_sizes():
    out = run("classify_sizes.py", "{'steps': 3, 'ensemble': 1}", "--only", "FiftyWords")
    assert "FiftyWords" in out and "450" in out and "slowest: FiftyWords" in out and "of the 2-minute limit" in out
    res = subprocess.run([sys.executable, str(BENCH / "classify_sizes.py"), "--only", "Nope"], capture_output=True, text=True,
                         cwd=BENCH, env={**os.environ, "PYTHONPATH": str(BENCH)})
    assert res.returncode != 0 and "unknown shape 'Nope'" in res.stderr


def test_classify_text(tmp_path):
    # two made-up "books" under the names the script reads, so the test needs no shared data
    words = {"grimms_fairy_tales.txt": "the king went into the forest and found a golden bird there",
             "tinyshakespeare.txt": "thou art my lord and I shall speak to thee anon good sir"}
    for name, line in words.items():
        (tmp_path / name).write_text("\n".join([line] * 40) + "\n", encoding="utf-8")
    out = run("classify_text.py", "--data-dir", tmp_path, "--words", "6", "--train", "20", "--test", "10", "--seeds", "1",
              "--options", "{'steps': 10, 'ensemble': 1, 'refit': False}")  # a boolean reaches the CLI as --no-refit
    assert "40 training and 20 test passages of 6 words" in out
    assert "its labels are the API's" in out and "| lstmkit {'steps': 10, 'ensemble': 1, 'refit': False}, median of 1 seeds" in out
    assert "| TF-IDF, word 1-2 grams + logistic regression |" in out and "character 2-5 grams" in out
