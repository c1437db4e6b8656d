"""The seeds' recipes: their settings, their network shapes, and command-line overrides."""
import json

import pytest

from lstmkit import LstmkitError, TextModel
from lstmkit.recipes import RECIPES, apply_recipe, get_recipe


def test_knime_grimm_settings():
    o = get_recipe("knime-grimm").options
    assert o["one_hot"] and o["hidden"] == 512 and o["layers"] == 1 and o["windows"] == 100
    assert o["batch_size"] == 512 and o["optimizer"] == "adam" and o["lr"] == 1e-3 and o["level"] == "char"
    assert o["dropout"] > 0 and o["clip"] == 0 and o["schedule"] == "constant"


def test_aesop_words_settings():
    o = get_recipe("aesop-words").options
    assert o["level"] == "word" and o["windows"] == 3 and o["hidden"] == 512 and o["index_input"]
    assert o["optimizer"] == "rmsprop" and o["lr"] == 1e-3


def test_overrides_win_and_budget_replaces():
    opts = apply_recipe("knime-grimm", {"hidden": 64, "minutes": 1.0})
    assert opts["hidden"] == 64 and opts["minutes"] == 1.0 and "epochs" not in opts and opts["windows"] == 100
    with pytest.raises(LstmkitError, match="unknown recipe"):
        apply_recipe("nope", {})


def test_knime_network_shape(tiny_text):
    lm = TextModel.train(text=tiny_text, recipe="knime-grimm", steps=2, hidden=16, batch_size=16, progress=False)
    c = lm.net.config
    assert c.one_hot and c.embed == lm.tokenizer.vocab_size and c.layers == 1 and c.hidden == 16
    assert lm.net.embedding is None and lm.net.rnn.input_size == lm.tokenizer.vocab_size
    assert lm.data_config.windows == 100 and lm.train_config.optimizer == "adam"
    assert len(lm.generate("The", 10, seed=0)) == 13


def test_aesop_network_shape(tiny_text):
    lm = TextModel.train(text=tiny_text, recipe="aesop-words", steps=5, hidden=16, progress=False)
    c = lm.net.config
    assert c.index_input and lm.net.rnn.input_size == 1 and lm.tokenizer.level == "word" and lm.tokenizer.lowercase
    assert lm.data_config.windows == 3 and lm.data_config.batch_size == 1
    opt = lm.train_config
    assert opt.optimizer == "rmsprop" and opt.lr == 1e-3
    assert lm.generate("the miller", 5, seed=0).startswith("the miller")


def test_cli_recipes_list_and_override(run_cli, tiny_file, tmp_path):
    code, out, _ = run_cli("recipes")
    assert code == 0 and all(name in out for name in RECIPES)
    assert "(from the tutorial KNIME's \"Once upon a time\" by LSTM network)" in out and "Aesop's fables" in out
    code, out, _ = run_cli("recipes", "--json")
    assert code == 0 and [r["name"] for r in json.loads(out)] == list(RECIPES)
    code, _, err = run_cli("train", tiny_file, "--out", tmp_path / "k", "--recipe", "knime-grimm", "--hidden", "8",
                           "--batch-size", "8", "--steps", "2", "--sample", "0", "-q")
    assert code == 0, err
    from lstmkit import load
    m = load(tmp_path / "k")
    assert m.net.config.hidden == 8 and m.net.config.one_hot and m.data_config.windows == 100


def test_callback_can_stop_training(tiny_text):
    seen = []

    def stop_early(t):
        seen.append(t.state.step)
        if t.state.step >= 3:
            t.request_stop("enough")

    lm = TextModel.train(text=tiny_text, steps=50, hidden=16, layers=1, batch_size=4, bptt=16, progress=False,
                         eval_every=1, callbacks=[("on_eval", stop_early)])
    assert lm.summary["steps"] == 3 and lm.stop_reason == "enough"
