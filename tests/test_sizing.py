"""Fitting the default width to the budget: parameter and FLOP counts, the ladder rule, the probe."""
import math

import pytest
import torch

from lstmkit import TextModel, sizing
from lstmkit.nn import NetConfig, RecurrentLM


@pytest.mark.parametrize("cell,layers", [("lstm", 1), ("lstm", 2), ("gru", 2)])
def test_param_count_matches_the_network(cell, layers):
    net = RecurrentLM(NetConfig(vocab_size=65, hidden=48, layers=layers, embed=16, cell=cell))
    gates = 3 if cell == "gru" else 4
    assert sizing.recurrent_params(layers, 48, 16, 65, gates) == sum(p.numel() for p in net.parameters())


def test_train_flops_golden():
    # one layer, hidden 2, embed 3, vocab 5: 4 gates x 2 x (3 + 2) + 2 x 5 = 50 multiply-adds, x 6
    assert sizing.train_flops_per_symbol(1, 2, 3, 5) == 300.0
    # a second layer reads the first layer's 2 outputs: 4 x 2 x (2 + 2) = 32 more
    assert sizing.train_flops_per_symbol(2, 2, 3, 5) == 6.0 * (50 + 32)


def test_fit_hidden_keeps_symbols_per_parameter():
    # 4M symbols: 1x384 has 720k parameters (5.6 symbols each), 1x448 954k (4.2)
    assert sizing.fit_hidden(lambda h: 4e6, layers=1, embed=64, vocab=65) == 384
    widths = [sizing.fit_hidden(lambda h, s=s: s, 1, 64, 65) for s in (1e3, 1e5, 1e6, 1e7, 1e8)]
    assert widths == sorted(widths) and widths[0] == sizing.HIDDEN_LADDER[0] and widths[-1] == sizing.HIDDEN_LADDER[-1]
    # a wall-clock budget buys fewer symbols for a wider net, so it never picks wider than a fixed count would
    rate = 1e11
    timed = sizing.fit_hidden(lambda h: sizing.budget_symbols(rate, 200, 1, h, 64, 65), 1, 64, 65)
    fixed = sizing.fit_hidden(lambda h: sizing.budget_symbols(rate, 200, 1, 64, 64, 65), 1, 64, 65)
    assert timed < fixed


def test_measure_flops_is_positive_and_leaves_the_seed_alone():
    torch.manual_seed(3)
    before = torch.get_rng_state()
    rate = sizing.measure_flops(torch.device("cpu"), None, seconds=0.05)
    assert math.isfinite(rate) and rate > 1e8
    assert torch.equal(before, torch.get_rng_state())


def test_default_width_follows_the_budget():
    from conftest import make_text

    from lstmkit.models.text_settings import TextDataConfig
    from lstmkit.models.text_settings import fit_to_budget as _fit_to_budget
    from lstmkit.train import TrainConfig

    text = make_text()
    small = TextModel.train(text=text, steps=2, batch_size=4, bptt=16, progress=False)
    layers = small.net.config.layers
    assert small.summary["sizing"] == {"hidden": small.net.config.hidden, "budget_symbols": 2 * 4 * 16}
    assert small.net.config.hidden == sizing.HIDDEN_LADDER[0]
    given = TextModel.train(text=text, steps=2, hidden=40, batch_size=4, bptt=16, progress=False)
    assert given.net.config.hidden == 40 and "sizing" not in given.summary

    shape = {"layers": layers, "embed": 64, "hidden": None}
    data = TextDataConfig(batch_size=64, bptt=128)
    hidden, rows, note = _fit_to_budget(shape, TrainConfig(epochs=20), data, 1_000_000, 65, fit_width=True, fit_rows=True)
    assert hidden == sizing.fit_hidden(lambda h: 2e7, layers, 64, 65) > sizing.HIDDEN_LADDER[0]
    assert rows == sizing.fit_rows(2e7, 128) and note == {"hidden": hidden, "batch_size": rows, "budget_symbols": 20_000_000}
    # a step budget fixes the number of updates, so the rows stay as given
    assert _fit_to_budget(shape, TrainConfig(steps=10), data, 1_000_000, 65, True, True)[1] == 64
    width, _, note = _fit_to_budget(shape, TrainConfig(minutes=30), data, 1_000_000, 65, True, False)
    assert width in sizing.HIDDEN_LADDER and note["flops_per_s"] > 0 and "batch_size" not in note
    assert _fit_to_budget(shape, TrainConfig(minutes=3), data, 1_000_000, 65, True, False)[0] <= width

def test_fit_rows_targets_a_number_of_updates():
    assert sizing.fit_rows(3.9e6, 64) == 16          # about 3,800 updates of 16 x 64
    assert sizing.fit_rows(4000 * 64 * 64, 64) == 64
    assert sizing.fit_rows(10, 64) == sizing.ROWS_RANGE[0]
    assert sizing.fit_rows(1e12, 64) == sizing.ROWS_RANGE[1]
    rows = [sizing.fit_rows(s, 128) for s in (1e5, 1e6, 1e7, 1e8, 1e9)]
    assert rows == sorted(rows) and all(r & (r - 1) == 0 for r in rows)


def test_default_batch_rows_follow_the_budget_unless_given():
    from conftest import make_text

    text = make_text()
    lm = TextModel.train(text=text, epochs=0.05, progress=False)
    assert lm.data_config.batch_size == lm.summary["sizing"]["batch_size"] == sizing.ROWS_RANGE[0]
    lm = TextModel.train(text=text, epochs=0.05, batch_size=4, progress=False)
    assert lm.data_config.batch_size == 4 and "batch_size" not in lm.summary["sizing"]


def test_given_width_still_gets_fitted_rows_and_tied_weights_fit(tmp_path):
    from conftest import make_text

    text = make_text()
    lm = TextModel.train(text=text, epochs=0.05, hidden=40, progress=False)
    assert lm.net.config.hidden == 40 and lm.data_config.batch_size == lm.summary["sizing"]["batch_size"]
    assert "hidden" not in lm.summary["sizing"]
    tied = TextModel.train(text=text, steps=1, tie_weights=True, embed=48, progress=False)
    assert tied.net.config.hidden == tied.net.config.embed == 48
    tied = TextModel.train(text=text, steps=1, tie_weights=True, progress=False)
    assert tied.net.config.hidden == tied.net.config.embed == tied.summary["sizing"]["hidden"]
    # a resumed run keeps its shape and the record of how it was chosen
    first = TextModel.train(text=text, out=tmp_path / "r", epochs=0.05, progress=False)
    again = TextModel.train(text=text, out=tmp_path / "r", resume=True, epochs=0.5, progress=False)
    assert again.net.config == first.net.config and again.summary["sizing"] == first.summary["sizing"]


def test_word_level_fits_rows_but_keeps_its_width():
    from conftest import make_text

    lm = TextModel.train(text=make_text(), level="word", epochs=0.5, progress=False)
    assert lm.net.config.hidden == 512 and lm.data_config.bptt == 32
    assert lm.data_config.batch_size == lm.summary["sizing"]["batch_size"] == sizing.ROWS_RANGE[0]
    assert "hidden" not in lm.summary["sizing"]
