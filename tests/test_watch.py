"""A run a newcomer can watch, extend and trust: the plan before the first step, the bar, samples,
curves, kept checkpoints, a separate validation file, resume that extends, and what evaluate scored."""
from __future__ import annotations

import json

import pytest
from conftest import make_text

from lstmkit import TextModel
from lstmkit.callbacks import bar_postfix
from lstmkit.errors import LstmkitError

TINY = dict(hidden=16, embed=8, batch_size=4, bptt=16, progress=False)


def _rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def _files(d):
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*"))
            if p.is_file() and not p.name.startswith(".lstmkit")}  # the run lock and its owner's name aside


# ---------------------------------------------------------------------------- resume that extends
def test_resume_with_a_larger_budget_replans_the_rest(tmp_path):
    out = tmp_path / "r"
    first = TextModel.train(text=make_text(), out=out, steps=60, evals=4, lr=1e-2, **TINY)
    rows = _rows(out)
    end_lr = rows[-1]["lr"]
    second = TextModel.train(text=make_text(), out=out, resume=True, steps=240, progress=False)
    rows = _rows(out)
    replan = [r for r in rows if r.get("event") == "replan"]
    assert len(replan) == 1 and replan[0]["step"] == 60 and replan[0]["budget"] == {"steps": 240}
    after = [r for r in rows if "event" not in r and r["step"] > 60]
    # the evaluations spread over the new remainder, and the rate rose again before decaying
    assert [r["step"] for r in after] == [105, 150, 195, 240]
    assert all(r["steps"] == 240 and r["plan"] == 1 for r in after)
    assert after[0]["lr"] > 3 * end_lr and after[-1]["lr"] < after[0]["lr"]
    assert second.summary["best_eval"]["val_loss"] < first.summary["best_eval"]["val_loss"]
    assert second.summary["steps"] == 240


def test_resume_extends_a_run_on_grimm(shared_data, tmp_path, run_cli):
    """The newcomer's case: train, then --resume with a budget twice as large (here in steps)."""
    out = tmp_path / "r"
    net = ["--hidden", "48", "--embed", "16", "--batch-size", "8", "--bptt", "32", "--evals", "3", "--sample", "0", "-q"]
    code, _, err = run_cli("train", shared_data / "grimms_fairy_tales.txt", "--out", out, "--steps", "80", *net)
    assert code == 0, err
    first = json.loads((out / "config.json").read_text())["summary"]["best_eval"]["val_loss"]
    code, _, err = run_cli("train", shared_data / "grimms_fairy_tales.txt", "--out", out, "--resume", "--steps", "160", "-q")
    assert code == 0, err
    rows = _rows(out)
    replan = next(r for r in rows if r.get("event") == "replan")
    assert replan["step"] == 80 and replan["budget"] == {"steps": 160} and replan["from_progress"] == 0.5
    later = [r for r in rows if "event" not in r and r["step"] > 80]
    assert len(later) == 3 and later[0]["lr"] > rows[rows.index(replan) - 1]["lr"]
    second = json.loads((out / "config.json").read_text())["summary"]["best_eval"]["val_loss"]
    assert second < first


def test_resume_that_cannot_help_says_so_and_touches_nothing(tmp_path, run_cli):
    src = tmp_path / "t.txt"
    src.write_text(make_text(), encoding="utf-8")
    out = tmp_path / "r"
    code, _, err = run_cli("train", src, "--out", out, "--steps", "20", "--hidden", "16", "--embed", "8",
                           "--batch-size", "4", "--bptt", "16", "--sample", "0", "-q")
    assert code == 0, err
    before = _files(out)
    code, _, err = run_cli("train", src, "--out", out, "--resume", "-q")
    assert code == 0 and "already spent its budget (steps 20" in err and "nothing to do" in err and "--resume" in err
    code, _, err = run_cli("train", src, "--out", out, "--resume", "--steps", "15", "-q")
    assert code == 0 and "already spent its budget" in err
    assert _files(out) == before


# ---------------------------------------------------------------------------- the plan, the bar
def test_plan_is_told_before_the_first_step_and_kept_for_info(tmp_path, run_cli):
    seen = []
    lm = TextModel.train(text=make_text(), out=tmp_path / "m", steps=6, evals=2, notes=False, precision="fp32", **TINY,
                         callbacks=[("on_note", lambda t: seen.append(("note", t.last_note))),
                                    ("on_step", lambda t: seen.append(("step", t.state.step)))])
    assert seen[0][0] == "note" and seen[0][1].startswith("plan: lstm 2x16 (")
    assert "4 streams x 16 steps, float32 on cpu, budget 6 steps: about 384 training symbols" in seen[0][1]
    assert "2 evaluations" in seen[0][1]
    assert lm.summary["plan"].splitlines()[0] == seen[0][1]
    code, out, _ = run_cli("info", tmp_path / "m")
    assert code == 0 and "plan: lstm 2x16" in out


def test_cli_prints_the_plan_then_the_result(tmp_path, run_cli):
    src = tmp_path / "t.txt"
    src.write_text(make_text()[:1200], encoding="utf-8")
    code, _, err = run_cli("train", src, "--out", tmp_path / "m", "--minutes", "0.05", "--sample", "0", "-q")
    assert code == 0, err
    lines = err.splitlines()
    plan = next(i for i, l in enumerate(lines) if l.startswith("plan: "))
    fitted = next(i for i, l in enumerate(lines) if l.startswith("network fitted to the budget"))
    done = next(i for i, l in enumerate(lines) if " steps in " in l)
    assert plan < fitted < done and "budget 3 s" in lines[plan]


def test_bar_reads_naturally():
    class T:  # the parts of a Trainer the bar reads
        last_step = {"loss": 1.1394, "symbols_per_s": 78611.0}

        class state:
            best_val = 1.40412

    assert bar_postfix(T, "char") == "loss 1.139 nats/char · best val 1.404 · 78.6k char/s"
    T.state.best_val = float("inf")
    assert bar_postfix(T, "word") == "loss 1.139 nats/word · 78.6k word/s"


# ---------------------------------------------------------------------------- watching a run
def test_samples_at_evaluations_with_prompt_and_temperatures(tmp_path):
    notes = []
    TextModel.train(text=make_text(), steps=8, evals=4, sample_every=2, sample_prompt="The miller",
                    sample_temperature=[0.5, 1.0], sample_length=12, notes=False, **TINY,
                    callbacks=[("on_note", lambda t: notes.append(t.last_note))])
    samples = [n for n in notes if n.startswith("--- sample")]
    assert len(samples) == 4  # evaluations 2 and 4, two temperatures each
    assert samples[0].startswith("--- sample at step 4, temperature 0.5 ---\nThe miller")
    assert samples[1].startswith("--- sample at step 4, temperature 1 ---\nThe miller")


def test_bad_sampling_options_are_refused():
    with pytest.raises(LstmkitError, match="--sample-temperature 0.0 must be positive; 0 would be greedy"):
        TextModel.train(text=make_text(), steps=2, sample_every=1, sample_temperature=0.0, **TINY)
    with pytest.raises(LstmkitError, match="--keep-checkpoints needs --out"):
        TextModel.train(text=make_text(), steps=2, keep_checkpoints=2, **TINY)


def test_curves_png_is_rewritten_at_each_evaluation(tmp_path):
    out = tmp_path / "m"
    stamps = []
    TextModel.train(text=make_text(), out=out, steps=9, evals=3, **TINY,
                    callbacks=[("on_checkpoint", lambda t: stamps.append((out / "curves.png").read_bytes()))])
    png = (out / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    assert len(stamps) == 3 and len(set(stamps)) == 3  # a new picture at each evaluation
    assert not [p for p in out.iterdir() if p.name.startswith(".curves")]  # no temporary file left


def test_keep_checkpoints_keeps_the_last_k_named_by_validation_loss(tmp_path):
    out = tmp_path / "m"
    TextModel.train(text=make_text(), out=out, steps=10, evals=5, keep_checkpoints=2, **TINY)
    rows = [r for r in _rows(out) if "event" not in r]
    kept = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert kept == [f"step{r['step']:06d}-val{r['val_loss']:.4f}" for r in rows[-2:]]
    for name in kept:
        lm = TextModel.load(out / "checkpoints" / name)
        assert lm.evaluate(text=make_text(seed=3))["loss"] > 0 and len(lm.generate("The", 5, seed=0)) > 3


# ---------------------------------------------------------------------------- validation file
def test_val_file_replaces_the_held_out_fraction(tmp_path, run_cli):
    train, val = make_text(seed=1), make_text(80, seed=2)
    (tmp_path / "train.txt").write_text(train, encoding="utf-8")
    (tmp_path / "val.txt").write_text(val, encoding="utf-8")
    code, _, err = run_cli("train", tmp_path / "train.txt", "--val-file", tmp_path / "val.txt", "--out", tmp_path / "m",
                           "--steps", "6", "--hidden", "16", "--embed", "8", "--batch-size", "4", "--bptt", "16",
                           "--sample", "0", "--precision", "fp32", "-q")  # evaluate reads fp32; bf16 training would score in bf16
    assert code == 0, err
    lm = TextModel.load(tmp_path / "m")
    s = lm.summary
    assert s["train_chars"] == len(train) and s["val_chars"] == len(val) and s["val_file"].endswith("val.txt")
    assert s["val"]["loss"] == pytest.approx(lm.evaluate(text=val)["loss"], abs=1e-5)
    code, _, err = run_cli("train", tmp_path / "train.txt", "--val-file", tmp_path / "nope.txt", "--out", tmp_path / "n",
                           "--steps", "2", "-q")
    assert code == 2 and err.count("\n") == 1 and "nope.txt: no such file" in err


# ---------------------------------------------------------------------------- what evaluate scored
GUTENBERG = ("The Project Gutenberg eBook of Tales\n\n*** START OF THE PROJECT GUTENBERG EBOOK TALES ***\n\n{body}\n"
             "*** END OF THE PROJECT GUTENBERG EBOOK TALES ***\n\nSection 1. General Terms of Use and Redistributing "
             "Project Gutenberg electronic works\n" + "Licence text. " * 40 + "\n")


def test_evaluate_says_what_it_scored(tmp_path, run_cli):
    out = tmp_path / "m"
    TextModel.train(text=make_text() + GUTENBERG.format(body=""), out=out, steps=4, **TINY)  # knows every character
    held = tmp_path / "held_out.txt"
    held.write_text(GUTENBERG.format(body=make_text(40, seed=5)), encoding="utf-8")
    code, stdout, err = run_cli("evaluate", out, held, "--json")
    assert code == 0, err
    m = json.loads(stdout)
    assert m["chars_read"] == len(held.read_text(encoding="utf-8"))
    assert m["boilerplate_chars"] == m["chars_read"] - m["chars"] > 500
    assert f"{m['boilerplate_chars']:,} of the {m['chars_read']:,} characters read were Project Gutenberg licence text" in err
    assert "--keep-boilerplate" in err
    code, stdout, err = run_cli("evaluate", out, held, "--json", "--keep-boilerplate")
    assert json.loads(stdout)["chars"] == m["chars_read"] and "licence" not in err


def test_evaluate_counts_unknown_words(tmp_path, run_cli):
    out = tmp_path / "w"
    TextModel.train(text=make_text(), out=out, level="word", steps=3, **TINY)
    held = tmp_path / "h.txt"
    held.write_text("The miller saw a zebra. The fox found the quokka.\n", encoding="utf-8")
    code, stdout, err = run_cli("evaluate", out, held, "--json")
    m = json.loads(stdout)
    assert code == 0 and m["unknown"] == 2 and m["unknown_share"] == pytest.approx(2 / 12)
    assert "2 of the words (16.7 %) are not in the model's vocabulary and were scored as <unk>" in err


# ---------------------------------------------------------------------------- recipes offline
def test_recipe_offline_names_what_works(tmp_path, monkeypatch, run_cli):
    import urllib.request

    def refuse(*a, **k):
        raise OSError("network is unreachable")

    monkeypatch.setenv("LSTMKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    code, _, err = run_cli("train", "--recipe", "knime-grimm", "--out", tmp_path / "g", "--steps", "1")
    line = err.strip().splitlines()[-1]
    assert code == 2 and "Traceback" not in err
    assert "lstmkit data fetch grimm" in line and "lstmkit train FILE" in line and "network is unreachable" in line
    assert "pass --url with a mirror" not in line


# ---------------------------------------------------------------------------- help texts
@pytest.mark.parametrize("command", ["train", "generate", "evaluate", "info", "recipes"])
def test_help_texts_read_naturally(command, run_cli):
    code, out, _ = run_cli(command, "--help")
    assert code == 0 and "<bool>" not in out and "{" not in out
    if command == "train":
        text = " ".join(out.split())
        for flag, default in (("--embed", "default 64"), ("--dropout", "default: none up to 3 passes"),
                              ("--bptt", "default 64"), ("--lr", "default 6e-3"), ("--warmup", "default 0.02"),
                              ("--evals", "default 10")):
            start = text.index(flag + " ")
            assert default in text[start:start + 260], flag
        assert "--resume " in text and "--no-resume" not in text
    if command == "generate":
        assert "characters, words or BPE tokens" in " ".join(out.split())


def test_temperature_zero_points_to_greedy(tmp_path, run_cli):
    out = tmp_path / "m"
    TextModel.train(text=make_text(), out=out, steps=2, **TINY)
    code, _, err = run_cli("generate", out, "--temperature", "0")
    assert code == 2 and "--temperature 0.0 must be positive; for always the most likely symbol pass --greedy" in err
