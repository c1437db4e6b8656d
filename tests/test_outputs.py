"""What the commands write and how they stop: output files that must not replace a model, an input or a
device; tables with no rows; a model of one task given to another's command; Ctrl-C in a fit that cannot
be resumed; resumes that would change a network. Tiny models; each test takes seconds."""
from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import lstmkit
from lstmkit.data.pair_demos import addition_pairs
from lstmkit.errors import LstmkitError
from lstmkit.models.seq2seq import Seq2Seq

TINY = dict(hidden=32, embed=16, dropout=0.0)


@pytest.fixture
def mlp_dir(run_cli, tmp_path):
    """A tiny MLP trained through the CLI on a two-class table with non-ASCII labels."""
    csv = tmp_path / "fruit.csv"
    csv.write_text("größe,gewicht,art\n1.0,2.0,Äpfel\n1.1,2.1,Äpfel\n0.9,1.9,Äpfel\n3.0,0.5,Birnen\n3.1,0.4,Birnen\n2.9,0.6,Birnen\n",
                   encoding="utf-8")
    code, _, stderr = run_cli("mlp", "train", csv, "--label", "art", "--out", tmp_path / "m", "--steps", "20", "--test-fraction", "0")
    assert code == 0, stderr
    return tmp_path / "m", csv


def _one_line_error(code, stderr, message):
    assert code == 2 and message in stderr and "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr


# ---------------------------------------------------------------------------- output files
def test_predict_out_never_replaces_the_model_its_input_or_a_directory(run_cli, mlp_dir, tmp_path):
    model, csv = mlp_dir
    config = (model / "config.json").read_bytes()
    for out, message in ((model / "config.json", "is a file of the model"), (model, "is a directory"),
                         (csv, "is also the input"), ("/proc/lstmkit-cannot-write-here", "cannot write")):
        code, _, stderr = run_cli("mlp", "predict", model, csv, "--out", out)
        _one_line_error(code, stderr, message)
    assert (model / "config.json").read_bytes() == config and lstmkit.load(model).classes_.tolist() == ["Birnen", "Äpfel"]
    assert csv.read_text(encoding="utf-8").startswith("größe,gewicht,art\n")


def test_an_earlier_output_beside_the_model_may_be_replaced_but_not_as_the_plot_too(run_cli, mlp_dir, tmp_path):
    model, csv = mlp_dir
    for _ in range(2):  # the user's own file in the model's folder is not one of the model's files
        code, _, stderr = run_cli("mlp", "predict", model, csv, "--out", model / "labels.csv")
        assert code == 0, stderr
    series = tmp_path / "air.csv"
    series.write_text("t,v\n" + "".join(f"{i},{10 + i % 4}\n" for i in range(40)), encoding="utf-8")
    code, _, stderr = run_cli("forecast", "train", series, "--target", "v", "--horizon", "2", "--steps", "5", "--ensemble", "1",
                              "--out", tmp_path / "fc", "-q", "--no-classical")
    assert code == 0, stderr
    code, _, stderr = run_cli("forecast", "predict", tmp_path / "fc", "--out", tmp_path / "f.csv", "--plot", tmp_path / "f.csv")
    _one_line_error(code, stderr, "is named for two outputs")
    code, _, stderr = run_cli("forecast", "train", series, "--target", "v", "--horizon", "2", "--steps", "5", "--ensemble", "1",
                              "--out", tmp_path / "fc", "--overwrite", "--plot", tmp_path / "fc" / "config.json", "-q", "--no-classical")
    _one_line_error(code, stderr, "is a file of the model")
    assert lstmkit.load(tmp_path / "fc").config.horizon == 2


def test_out_through_a_link_writes_its_target_and_keeps_the_link(run_cli, mlp_dir, tmp_path):
    model, csv = mlp_dir
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    link.symlink_to(target)
    code, _, stderr = run_cli("mlp", "predict", model, csv, "--out", link)
    assert code == 0, stderr
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("row,label,p_Birnen,p_Äpfel\n")


def test_out_to_a_pipe_is_written_through_not_renamed_over(tmp_path):
    from lstmkit.atomic import write_bytes_atomic

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader must exist before a writer opens a FIFO
    try:
        write_bytes_atomic(fifo, b"a,b\n")
        assert os.read(reader, 100) == b"a,b\n"
    finally:
        os.close(reader)
    assert not fifo.is_file() and fifo.exists()  # still a FIFO


def test_forecast_and_classify_outputs_are_checked_before_any_work(run_cli, tmp_path):
    model = tmp_path / "fc"
    model.mkdir()
    (model / "config.json").write_text("{}")
    code, _, stderr = run_cli("forecast", "predict", model, "--out", model / "config.json")
    _one_line_error(code, stderr, "is a file of the model")
    code, _, stderr = run_cli("classify", "evaluate", model, tmp_path / "x.csv", "--plot", model)
    _one_line_error(code, stderr, "is a directory")
    assert (model / "config.json").read_text() == "{}"


def test_translate_file_keeps_blank_lines_in_place(run_cli, tmp_path):
    pairs = addition_pairs(64, seed=1, digits=1)
    Seq2Seq(**TINY, seed=0).fit(pairs, steps=5, val_fraction=0).save(tmp_path / "s")
    src = tmp_path / "in.txt"
    src.write_text("1+2\n\n3+4\n\n", encoding="utf-8")
    code, stdout, stderr = run_cli("seq2seq", "translate", tmp_path / "s", "--file", src)
    assert code == 0, stderr
    m = lstmkit.load(tmp_path / "s")
    # line k answers line k: a blank line a blank answer, a line break inside an answer written as \n
    assert stdout.split("\n") == [m.translate("1+2").replace("\n", "\\n"), "", m.translate("3+4").replace("\n", "\\n"), ""]


# ---------------------------------------------------------------------------- inputs
def test_a_header_without_rows_is_named_for_every_table_reader(run_cli, tmp_path):
    hdr = tmp_path / "hdr.csv"
    hdr.write_text("source,target\n", encoding="utf-8")
    for args in (("mlp", "train", hdr, "--label", "target", "--out", tmp_path / "m"), ("seq2seq", "train", hdr, "--out", tmp_path / "s"),
                 ("classify", "train", hdr, "--label", "target", "--out", tmp_path / "c")):
        code, _, stderr = run_cli(*args)
        _one_line_error(code, stderr, "has a header but no rows")
    empty = tmp_path / "e.jsonl"
    empty.write_text("", encoding="utf-8")
    code, _, stderr = run_cli("seq2seq", "train", empty, "--out", tmp_path / "s")
    _one_line_error(code, stderr, "holds no pairs; write one object per line")


def test_mlp_errors_name_the_file_column_and_row(run_cli, tmp_path):
    nan = tmp_path / "nan.csv"
    nan.write_text("a,b,y\n1,2,0\n2,,1\n3,4,0\n5,6,1\n", encoding="utf-8")
    code, _, stderr = run_cli("mlp", "train", nan, "--label", "y", "--test-fraction", "0", "--out", tmp_path / "m")
    _one_line_error(code, stderr, "nan.csv: column 'b' holds a missing or infinite value at data row 2")
    one = tmp_path / "one.csv"
    one.write_text("a,y\n1,0\n2,0\n", encoding="utf-8")
    code, _, stderr = run_cli("mlp", "train", one, "--label", "y", "--test-fraction", "0", "--out", tmp_path / "m")
    _one_line_error(code, stderr, "every row has the label 0;")
    assert "np." not in stderr


def test_mlp_train_refuses_an_out_that_cannot_hold_a_model_before_training(run_cli, tmp_path):
    afile = tmp_path / "afile.txt"
    afile.write_text("keep\n")
    for out, message in ((afile, "exists and is not a directory"), (afile / "sub", "is a file")):
        code, stdout, stderr = run_cli("mlp", "train", "--demo", "iris", "--out", out)
        _one_line_error(code, stderr, message)
        assert "test accuracy" not in stdout
    assert afile.read_text() == "keep\n"


def test_mlp_evaluate_counts_a_label_the_model_never_saw_as_an_error(run_cli, mlp_dir, tmp_path):
    model, _ = mlp_dir
    new = tmp_path / "new.csv"
    new.write_text("größe,gewicht,art\n1.0,2.0,Kirschen\n3.0,0.5,Birnen\n", encoding="utf-8")
    code, stdout, stderr = run_cli("mlp", "evaluate", model, new, "--label", "art", "--json")
    assert code == 0 and "Traceback" not in stderr and "Warning" not in stderr, stderr
    import json

    r = json.loads(stdout)
    assert r["rows"] == 2 and r["classes"] == ["Birnen", "Äpfel", "Kirschen"] and r["accuracy"] <= 0.5
    assert r["confusion"][2][2] == 0 and sum(r["confusion"][2]) == 1  # Kirschen's row: one case, never right


def test_a_model_of_another_task_is_named_by_the_text_commands(run_cli, mlp_dir, tmp_path):
    model, _ = mlp_dir
    for args in (("generate", model, "-n", "5"), ("evaluate", model, tmp_path / "t.txt")):
        code, _, stderr = run_cli(*args)
        _one_line_error(code, stderr, "holds a 'mlp' model, not a text model")


# ---------------------------------------------------------------------------- stopping and resuming
def test_an_interrupted_member_stops_the_whole_fit():
    """Ctrl-C during one network of an ensemble: the signal is raised again after it, instead of the next network
    starting and a half-trained model being saved."""
    from lstmkit.models.classify import SequenceClassifier
    from lstmkit.train import Trainer

    started = []
    fit = Trainer.fit

    def fit_and_signal(self):
        started.append(1)
        self.add_callback("on_step", lambda t: os.kill(os.getpid(), signal.SIGINT) if t.state.step == 3 else None)
        return fit(self)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 1, 12)).astype(np.float32), np.repeat(["a", "b"], 15)
    Trainer.fit = fit_and_signal
    try:
        with pytest.raises(KeyboardInterrupt):
            SequenceClassifier(steps=50, seed=0).fit(X, y)
    finally:
        Trainer.fit = fit
    assert len(started) == 1


def test_the_cli_says_nothing_was_saved_and_exits_130(capsys):
    import typer

    from lstmkit.cli_common import unsaved_on_interrupt

    with pytest.raises(typer.Exit) as e:
        with unsaved_on_interrupt("runs/x"):
            raise KeyboardInterrupt
    assert e.value.exit_code == 130 and "interrupted: nothing saved; runs/x is as it was" in capsys.readouterr().err


def test_seq2seq_resume_refuses_a_changed_shape_and_says_why_it_stopped(run_cli, tmp_path):
    pairs = tmp_path / "add.tsv"
    pairs.write_text("".join(f"{s}\t{t}\n" for s, t in addition_pairs(300, seed=3, digits=2)), encoding="utf-8")
    out = tmp_path / "run"
    code, _, stderr = run_cli("seq2seq", "train", pairs, "--out", out, "--steps", "10", "--hidden", "32", "--embed", "16", "-q")
    assert code == 0, stderr
    before = (out / "model.safetensors").read_bytes()
    code, _, stderr = run_cli("seq2seq", "train", pairs, "--out", out, "--steps", "20", "--hidden", "64", "--resume", "-q")
    _one_line_error(code, stderr, "--hidden 64 (saved 32)")
    assert (out / "model.safetensors").read_bytes() == before
    code, _, stderr = run_cli("seq2seq", "train", pairs, "--out", out, "--steps", "10", "--hidden", "32", "--resume", "-q")
    assert code == 0 and "nothing to do" in stderr and "larger budget" in stderr, stderr
    with pytest.raises(LstmkitError, match="--embed 8 \\(saved 16\\)"):  # the API refuses it too
        Seq2Seq(embed=8).fit(addition_pairs(300, seed=3, digits=2), steps=20, out=out, resume=True)


def test_one_seed_saves_byte_identical_weights(tmp_path):
    pairs = addition_pairs(64, seed=1, digits=1)
    for name in ("a", "b"):
        Seq2Seq(**TINY, seed=0).fit(pairs, steps=3, val_fraction=0).save(tmp_path / name)
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()


def test_range_messages_match_the_range():
    with pytest.raises(LstmkitError, match="below 0.9"):
        Seq2Seq(**TINY).fit(addition_pairs(30, seed=0, digits=1), steps=1, val_fraction=0.9)
