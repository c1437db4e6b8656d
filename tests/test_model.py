"""TextModel end to end through the Python API: train, generate, evaluate, save/load, corrupt files."""
import json

import numpy as np
import pytest
import torch

import lstmkit
from lstmkit import LstmkitError, TextModel

TINY = dict(hidden=32, layers=1, embed=16, batch_size=8, bptt=32, progress=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import make_text

    out = tmp_path_factory.mktemp("m") / "model"
    lm = TextModel.train(text=make_text(), out=out, steps=60, seed=1, **TINY)
    return lm, out


def test_train_writes_artifact(trained):
    lm, out = trained
    assert {p.name for p in out.iterdir()} >= {"config.json", "tokenizer.json", "model.safetensors", "metrics.jsonl", "checkpoint"}
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 60 and rows[-1]["val_loss"] < rows[0]["val_loss"]
    assert not list(out.rglob("*.tmp")) and not list(out.rglob("*.pt")) and not list(out.rglob("*.pkl"))


def test_save_load_round_trip_same_generation(trained, tmp_path):
    lm, out = trained
    again = lstmkit.load(out)
    a = lm.generate("The miller", 80, temperature=0.9, seed=5)
    assert a == again.generate("The miller", 80, temperature=0.9, seed=5)
    assert a.startswith("The miller") and len(a) == len("The miller") + 80
    lm.save(tmp_path / "copy")
    assert lstmkit.load(tmp_path / "copy").generate("A", 50, seed=2) == lm.generate("A", 50, seed=2)


def test_determinism_same_seed_same_text(tiny_text):
    a = TextModel.train(text=tiny_text, steps=15, seed=4, **TINY)
    b = TextModel.train(text=tiny_text, steps=15, seed=4, **TINY)
    assert a.generate("The", 60, seed=0) == b.generate("The", 60, seed=0)


def test_generation_options(trained):
    lm, _ = trained
    assert lm.generate("The", 40, greedy=True) == lm.generate("The", 40, greedy=True, seed=123)
    samples = lm.generate("The", 30, num_samples=3, seed=1)
    assert isinstance(samples, list) and len(samples) == 3 and len(set(samples)) > 1
    stopped = lm.generate("The", 400, seed=1, stop=".")
    assert "." not in stopped[3:] and len(stopped) < 403
    assert len(lm.generate("", 20, seed=0)) == 20
    assert lm.generate("The", 0) == "The"
    with pytest.raises(LstmkitError, match="never seen"):
        lm.generate("The 😀", 10)
    with pytest.raises(LstmkitError, match="--length -1"):
        lm.generate("The", -1)
    with pytest.raises(LstmkitError, match="temperature"):
        lm.generate("The", 5, temperature=0)


def test_stateful_generation_equals_full_forward(trained):
    """Greedy stateful steps pick exactly what a full re-run of the growing text would pick."""
    import torch

    lm, _ = trained
    text = lm.generate("The old king", 30, greedy=True)
    ids = lm.tokenizer.encode(text)
    with torch.no_grad():
        logits, _ = lm.net(torch.from_numpy(ids)[None])
    start = len(lm.tokenizer.encode("The old king"))
    assert (logits[0, start - 1:-1].argmax(-1).numpy() == ids[start:]).all()


def test_evaluate_reports_comparable_bits(trained, tiny_text):
    lm, _ = trained
    m = lm.evaluate(text=tiny_text[:3000])
    assert set(m) >= {"loss", "perplexity", "bits_per_symbol", "bits_per_char", "accuracy"}
    assert m["bits_per_char"] == pytest.approx(m["bits_per_symbol"], rel=0.01)  # char level: one symbol per char
    assert m["perplexity"] == pytest.approx(np.exp(m["loss"]))


@pytest.mark.parametrize("level, extra", [("word", {}), ("bpe", {"vocab_size": 300})])
def test_other_levels(level, extra, tiny_text):
    lm = TextModel.train(text=tiny_text * 3, level=level, steps=30, seed=0, **{**TINY, "bptt": 16}, **extra)
    out = lm.generate("The miller", 20, seed=0)
    assert out.startswith("The miller") and len(out) > len("The miller")
    m = lm.evaluate(text=tiny_text[:2000])
    assert m["bits_per_char"] < m["bits_per_symbol"]  # several characters per symbol


def test_windows_mode(tiny_text):
    lm = TextModel.train(text=tiny_text, windows=20, stride=2, steps=20, seed=0, one_hot=True, **{**TINY, "bptt": 8})
    assert lm.net.config.one_hot and lm.data_config.windows == 20
    assert len(lm.generate("The", 10, seed=0)) == 13


def test_gru_cell(tiny_text):
    lm = TextModel.train(text=tiny_text, cell="gru", steps=10, seed=0, **TINY)
    assert lm.net.config.cell == "gru" and len(lm.generate("The", 10, seed=0)) == 13


def test_resume_through_the_api(tiny_text, tmp_path):
    """A 20-step run interrupted at step 10, then resumed: its last weights equal 20 steps straight."""
    from lstmkit.checkpoint import load_checkpoint

    out, ref = tmp_path / "r", tmp_path / "straight"
    interrupt = ("on_step", lambda t: t.state.step == 10 and t.request_stop("SIGINT"))
    first = TextModel.train(text=tiny_text, out=out, steps=20, seed=0, callbacks=[interrupt], **TINY)
    assert first.summary["steps"] == 10 and first.stop_reason.startswith("interrupted")
    lm = TextModel.train(text=tiny_text, out=out, resume=True, progress=False)
    assert lm.summary["steps"] == 20
    TextModel.train(text=tiny_text, out=ref, steps=20, seed=0, **TINY)
    a, b = load_checkpoint(out)[0], load_checkpoint(ref)[0]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(LstmkitError, match="settings differ: batch_size=4"):
        TextModel.train(text=tiny_text, out=out, steps=30, resume=True, progress=False, batch_size=4)


@pytest.mark.parametrize("text, msg", [
    ("ab" * 50, "fewer than one batch"),
    ("a" * 5000, "only 1 distinct symbol"),
])
def test_bad_training_text(text, msg):
    with pytest.raises(LstmkitError, match=msg):
        TextModel.train(text=text, steps=5, **TINY)


def test_a_text_shorter_than_the_default_batch_gets_the_rows_it_fills():
    # a fable of a few hundred words, as the Aesop tutorial trains on: the default 32 rows x 32 steps need 1,056
    text = " ".join(["the fox met a crow on a branch and the crow held a piece of cheese"] * 24)
    m = TextModel.train(text=text, level="word", steps=3, hidden=16, layers=1, embed=8, progress=False)
    assert m.data_config.batch_size == 8  # (words - 1) // 32 - 1 = 9 windows: 8 rows
    with pytest.raises(LstmkitError, match="fewer than one batch"):  # rows the user gave are kept, and named
        TextModel.train(text=text, level="word", steps=3, hidden=16, layers=1, embed=8, batch_size=32, progress=False)


def test_corrupt_models(trained, tmp_path):
    import shutil

    _, out = trained
    with pytest.raises(LstmkitError, match="no such model"):
        lstmkit.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LstmkitError, match="not an lstmkit model"):
        lstmkit.load(tmp_path / "empty")

    bad = tmp_path / "trunc"
    shutil.copytree(out, bad)
    w = bad / "model.safetensors"
    w.write_bytes(w.read_bytes()[: w.stat().st_size // 2])
    with pytest.raises(LstmkitError, match="truncated or corrupt"):
        lstmkit.load(bad)

    tampered = tmp_path / "tampered"
    shutil.copytree(out, tampered)
    w = tampered / "model.safetensors"
    data = bytearray(w.read_bytes())
    data[-10] ^= 0xFF
    w.write_bytes(bytes(data))
    with pytest.raises(LstmkitError, match="modified"):
        lstmkit.load(tampered)

    badjson = tmp_path / "badjson"
    shutil.copytree(out, badjson)
    (badjson / "config.json").write_text("{ not json")
    with pytest.raises(LstmkitError, match="corrupt"):
        lstmkit.load(badjson)

    newer = tmp_path / "newer"
    shutil.copytree(out, newer)
    cfg = json.loads((newer / "config.json").read_text())
    cfg["format_version"] = 99
    (newer / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(LstmkitError, match="newer"):
        lstmkit.load(newer)


def test_tensorboard_events_when_installed(trained):
    pytest.importorskip("tensorboard")
    _, out = trained
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))


def test_weights_without_checksum_are_refused(trained, tmp_path):
    import shutil

    from safetensors.torch import load_file, save_file

    _, out = trained
    bad = tmp_path / "nosum"
    shutil.copytree(out, bad)
    save_file(load_file(str(bad / "model.safetensors")), str(bad / "model.safetensors"))  # metadata stripped
    with pytest.raises(LstmkitError, match="truncated or corrupt|modified"):
        lstmkit.load(bad)


def test_saved_files_are_world_readable(trained):
    import os
    import stat

    _, out = trained
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE(os.stat(out / "model.safetensors").st_mode)
    assert mode == 0o666 & ~umask  # follows the umask, not mkstemp's 0600


def test_an_ensemble_trains_saves_loads_and_resumes_exactly(tiny_text, tmp_path):
    """``members=2``: the saved model loads as the same ensemble (same scores, same samples), and a run
    interrupted at step 6 and resumed ends with the weights of 12 steps straight."""
    from lstmkit import EnsembleLM
    from lstmkit.checkpoint import load_checkpoint

    out, ref = tmp_path / "r", tmp_path / "straight"
    interrupt = ("on_step", lambda t: t.state.step == 6 and t.request_stop("SIGINT"))
    TextModel.train(text=tiny_text, out=out, steps=12, seed=0, members=2, callbacks=[interrupt], **TINY)
    lm = TextModel.train(text=tiny_text, out=out, resume=True, progress=False)
    straight = TextModel.train(text=tiny_text, out=ref, steps=12, seed=0, members=2, **TINY)
    a, b = load_checkpoint(out)[0], load_checkpoint(ref)[0]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert isinstance(straight.net, EnsembleLM) and straight.net.config.members == 2
    again = lstmkit.load(ref)
    assert isinstance(again.net, EnsembleLM)
    assert again.evaluate(text=tiny_text[:400])["loss"] == straight.evaluate(text=tiny_text[:400])["loss"]
    assert again.generate("The", 60, seed=3) == straight.generate("The", 60, seed=3) == lm.generate("The", 60, seed=3)
