"""The command line as a user runs it: end to end, and every bad input as one line with a non-zero exit."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

TINY = ["--hidden", "32", "--layers", "1", "--embed", "16", "--batch-size", "8", "--bptt", "32", "-q"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from conftest import make_text

    from lstmkit import TextModel

    out = tmp_path_factory.mktemp("cli") / "m"
    TextModel.train(text=make_text(), out=out, steps=40, seed=0, hidden=32, layers=1, embed=16, batch_size=8, bptt=32, progress=False)
    return out


def test_train_generate_evaluate_info(run_cli, tiny_file, tmp_path):
    out = tmp_path / "model"
    code, stdout, stderr = run_cli("train", tiny_file, "--out", out, "--steps", "30", "--sample", "40", *TINY)
    assert code == 0, stderr
    assert "model saved to" in stderr and len(stdout.strip()) > 0
    code, stdout, _ = run_cli("generate", out, "--prime", "The fox", "--length", "50", "--seed", "3")
    assert code == 0 and stdout.startswith("The fox") and len(stdout) == len("The fox") + 50 + 1
    code, again, _ = run_cli("generate", out, "--prime", "The fox", "--length", "50", "--seed", "3")
    assert again == stdout
    code, stdout, _ = run_cli("generate", out, "-p", "The", "-n", "20", "--num-samples", "2", "--greedy")
    assert code == 0 and stdout.count("--- sample") == 2
    code, stdout, _ = run_cli("evaluate", out, tiny_file, "--json")
    m = json.loads(stdout)
    assert code == 0 and m["bits_per_char"] > 0 and 0 <= m["accuracy"] <= 1
    code, stdout, _ = run_cli("info", out)
    assert code == 0 and "parameters" in stdout and "evaluations" in stdout
    code, stdout, _ = run_cli("info", out, "--json")
    info = json.loads(stdout)
    assert info["vocab_size"] > 10 and info["task"] == "text"  # every task's JSON names it


def test_train_from_stdin(run_cli, tiny_text, tmp_path):
    code, _, stderr = run_cli("train", "-", "--out", tmp_path / "s", "--steps", "5", "--sample", "0", *TINY, stdin=tiny_text)
    assert code == 0, stderr


def test_help_on_every_command(run_cli):
    for cmd in (["--help"], ["train", "--help"], ["generate", "--help"], ["evaluate", "--help"], ["info", "--help"],
                ["data", "--help"], ["data", "fetch", "--help"], ["data", "list", "--help"]):
        code, stdout, _ = run_cli(*cmd)
        assert code == 0 and "Usage" in stdout


def _bad(run_cli, *args):
    code, stdout, stderr = run_cli(*args)
    lines = [l for l in stderr.splitlines() if l.strip()]
    assert code != 0
    assert "Traceback" not in stderr
    assert lines and lines[-1].startswith("error: "), stderr
    return lines[-1]


def test_bad_training_inputs(run_cli, tmp_path):
    empty = tmp_path / "empty.txt"; empty.write_bytes(b"")
    binary = tmp_path / "img.bin"; binary.write_bytes(bytes(range(256)) * 20)
    latin = tmp_path / "latin.txt"; latin.write_bytes("d\xe9j\xe0 vu ".encode("latin-1") * 500)
    short = tmp_path / "short.txt"; short.write_text("Once upon a time.\n")
    one = tmp_path / "one.txt"; one.write_text("a" * 20000)
    out = tmp_path / "o"
    assert "empty" in _bad(run_cli, "train", empty, "--out", out, "--steps", "1", *TINY)
    assert "binary" in _bad(run_cli, "train", binary, "--out", out, "--steps", "1", *TINY)
    assert "--encoding" in _bad(run_cli, "train", latin, "--out", out, "--steps", "1", *TINY)
    assert "fewer than one batch" in _bad(run_cli, "train", short, "--out", out, "--steps", "1", *TINY)
    assert "distinct symbol" in _bad(run_cli, "train", one, "--out", out, "--steps", "1", *TINY)
    assert "no such file" in _bad(run_cli, "train", tmp_path / "nope.txt", "--out", out, "--steps", "1", *TINY)
    text = tmp_path / "ok.txt"; text.write_text("Once upon a time there was a king. " * 200)
    assert "--members 0 is out of range" in _bad(run_cli, "train", text, "--out", out, "--steps", "1", "--members", "0", *TINY)
    assert not out.exists()


def test_bad_generation_inputs(run_cli, model_dir, tmp_path):
    assert "never seen" in _bad(run_cli, "generate", model_dir, "--prime", "Ω≈ç", "--length", "5")
    assert "--length -1" in _bad(run_cli, "generate", model_dir, "--length", "-1")
    assert "no such model" in _bad(run_cli, "generate", tmp_path / "missing")
    corrupt = tmp_path / "corrupt"
    import shutil
    shutil.copytree(model_dir, corrupt)
    (corrupt / "model.safetensors").write_bytes(b"\x00garbage")
    assert "corrupt" in _bad(run_cli, "generate", corrupt)
    # the original model is untouched and still works
    code, _, _ = run_cli("generate", model_dir, "--length", "5")
    assert code == 0


def test_interrupt_saves_and_resume_continues(tiny_file, tmp_path):
    """SIGINT mid-run: exit 130, no traceback, a loadable model and a checkpoint that --resume continues."""
    out = tmp_path / "int"
    cmd = [sys.executable, "-m", "lstmkit.cli", "train", str(tiny_file), "--out", str(out), "--minutes", "2", "--eval-every", "5", "--sample", "0", *TINY]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (out / "checkpoint" / "trainer.json").exists():
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "--resume" in err
    from lstmkit import load
    assert len(load(out).generate("The", 10, seed=0)) == 13
    state = json.loads((out / "checkpoint" / "trainer.json").read_text())["train_state"]
    done = state["step"]
    res = subprocess.run([sys.executable, "-m", "lstmkit.cli", "train", str(tiny_file), "--out", str(out), "--steps", str(done + 5),
                          "--resume", "--sample", "0", *TINY], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert json.loads((out / "checkpoint" / "trainer.json").read_text())["train_state"]["step"] == done + 5


def test_console_script_installed():
    """The installed `lstmkit` entry point runs (a real process, real exit code)."""
    exe = Path(sys.executable).with_name("lstmkit")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    res = subprocess.run([str(exe), "generate", "/nonexistent/model"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and res.stderr.strip().startswith("error:") and "Traceback" not in res.stderr


def test_prime_escapes_and_unicode(run_cli, tmp_path):
    from lstmkit import TextModel

    text = ("Märchen und Sagen.\n" * 30 + "Es war einmal ein König.\n" * 30) * 4
    out = tmp_path / "de"
    TextModel.train(text=text, out=out, steps=3, hidden=16, layers=1, embed=8, batch_size=4, bptt=16, progress=False)
    code, stdout, err = run_cli("generate", out, "--prime", "Märchen\\nEs", "--length", "5", "--seed", "1")
    assert code == 0, err
    assert stdout.startswith("Märchen\nEs")


def test_conflicting_options_are_one_line_errors(run_cli, tiny_file, tmp_path):
    assert "not both" in _bad(run_cli, "train", tiny_file, "--corpus", "grimm", "--out", tmp_path / "x", "--steps", "1")
    assert "--stride 5 only applies with --windows" in _bad(run_cli, "train", tiny_file, "--stride", "5", "--out", tmp_path / "x", "--steps", "1", *TINY)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert "not a directory" in _bad(run_cli, "train", tiny_file, "--out", blocker, "--steps", "1", *TINY)
    assert "unknown recipe" in _bad(run_cli, "train", tiny_file, "--recipe", "nope", "--out", tmp_path / "x", "--steps", "1")


def test_usage_errors_exit_two(run_cli):
    code, _, err = run_cli("generate")
    assert code == 2 and "Missing argument" in err and "Traceback" not in err
    # a value the option's type refuses, a misspelt command or option: one line, naming it and where the help is
    for args, said in ((["forecast", "train", "--demo", "--horizon", "abc"], "'--horizon'"),
                       (["forecast", "trian"], "'trian'"), (["classify", "train", "x.csv", "--bogus"], "--bogus")):
        code, _, err = run_cli(*args)
        lines = [l for l in err.splitlines() if l.strip()]
        assert code == 2 and len(lines) == 1 and said in lines[0] and lines[0].startswith("error: "), err
        assert f"(see 'lstmkit {' '.join(args[:1 if 'trian' in args else 2])} --help')" in lines[0]
    code, out, err = run_cli("forecast")  # a bare group still shows its help (on stderr, as click does)
    assert "Usage: lstmkit forecast" in out + err and "backtest" in out + err
