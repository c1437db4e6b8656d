"""Fitting the default width to the budget: parameter and FLOP counts, the ladder rule, the probe."""
import math

import pytest
import torch

from lstmkit import LstmkitError, TextModel, sizing
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


def test_the_step_probe_times_the_network_it_plans_and_leaves_the_seed_alone():
    torch.manual_seed(3)
    before = torch.get_rng_state()
    small = sizing.measure_step_flops(torch.device("cpu"), None, 1, 32, 8, 20, 4, 16, seconds=0.05)
    two = sizing.measure_step_flops(torch.device("cpu"), None, 2, 32, 8, 20, 4, 16, "gru", seconds=0.05)
    assert math.isfinite(small) and small > 1e6 and math.isfinite(two) and two > 1e6
    assert torch.equal(before, torch.get_rng_state())


def test_a_timed_plan_is_made_at_the_rate_of_the_step_it_chose(monkeypatch):
    """The generic probe's rate is only the first guess: the chosen network's own step sets the plan."""
    from lstmkit.models.text_settings import TextDataConfig
    from lstmkit.models.text_settings import fit_to_budget as _fit_to_budget
    from lstmkit.train import TrainConfig

    monkeypatch.setattr(sizing, "measure_flops", lambda *a, **k: 4e11)
    monkeypatch.setattr(sizing, "measure_step_flops", lambda *a, **k: 1e11)
    shape = {"hidden": None, "layers": None, "embed": 64, "dropout": None}
    chosen, rows, note = _fit_to_budget(shape, TrainConfig(minutes=3), TextDataConfig(bptt=64), 1_000_000, 65, True, True)
    assert note["flops_per_s"] == 1e11
    expect = sizing.budget_symbols(1e11, 180, chosen["layers"], chosen["hidden"], 64, 65)
    assert note["budget_symbols"] == round(expect)


def test_default_width_follows_the_budget():
    from conftest import make_text

    from lstmkit.models.text_settings import TextDataConfig
    from lstmkit.models.text_settings import fit_to_budget as _fit_to_budget
    from lstmkit.train import TrainConfig

    text = make_text()
    small = TextModel.train(text=text, steps=2, batch_size=4, bptt=16, progress=False)
    layers = small.net.config.layers
    assert small.summary["sizing"]["hidden"] == small.net.config.hidden == sizing.HIDDEN_LADDER[0]
    assert small.summary["sizing"]["budget_symbols"] == 2 * 4 * 16
    given = TextModel.train(text=text, steps=2, hidden=40, batch_size=4, bptt=16, progress=False)
    assert given.net.config.hidden == 40 and "hidden" not in given.summary.get("sizing", {})

    shape = {"layers": layers, "embed": 64, "hidden": None, "dropout": 0.2}
    data = TextDataConfig(batch_size=64, bptt=128)
    chosen, rows, note = _fit_to_budget(shape, TrainConfig(epochs=20), data, 1_000_000, 65, fit_width=True, fit_rows=True)
    assert chosen["hidden"] > sizing.HIDDEN_LADDER[0] and chosen["layers"] == layers and "dropout" not in chosen
    assert rows == sizing.fit_rows(2e7, 128)
    assert note["epochs"] == 20 and note["budget_symbols"] == 20_000_000 and note["regime"] == "data-limited"
    # a step budget fixes the number of updates, so the rows stay as given
    assert _fit_to_budget(shape, TrainConfig(steps=10), data, 1_000_000, 65, True, True)[1] == 64
    chosen, _, note = _fit_to_budget(shape, TrainConfig(minutes=30), data, 1_000_000, 65, True, False)
    assert chosen["hidden"] in sizing.HIDDEN_LADDER and note["flops_per_s"] > 0 and "batch_size" not in note
    assert _fit_to_budget(shape, TrainConfig(minutes=3), data, 1_000_000, 65, True, False)[0]["hidden"] <= chosen["hidden"]
    # overlapping windows run each symbol L/stride times: a pass costs that much more of the budget
    windows = TextDataConfig(batch_size=64, windows=100, stride=2)
    _, _, note = _fit_to_budget(shape, TrainConfig(minutes=1), windows, 100_000, 65, True, False)
    assert note["epochs"] == round(note["budget_symbols"] / (100_000 * 100 / 2), 2)
    _, _, note = _fit_to_budget(shape, TrainConfig(epochs=4), windows, 100_000, 65, True, False)
    assert note["epochs"] == 4 and note["budget_symbols"] == 4 * 50_000          # a step budget counts windows


def test_dropout_follows_the_epochs():
    assert [sizing.dropout_for(e) for e in (0.5, 3.0, 6.0, 12.0, 24.0, 48.0, 1000.0)] == [0.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    # one layer drops only before its output layer: 0.15 per doubling
    assert [sizing.dropout_for(e, 1) for e in (3.0, 6.0, 12.0, 24.0, 48.0)] == [0.0, 0.15, 0.3, 0.45, 0.5]


def test_the_plan_follows_the_epochs_the_budget_buys():
    """Few passes: the widest layer the budget feeds, no dropout. Many: dropout from the passes, and a
    width the text can carry."""
    def plan(symbols: float, n_train: int, layers=None) -> dict:
        return sizing.plan_network(lambda l, h: symbols, n_train, lambda h: 64, 65, layers)

    compute = plan(4e6, 10_000_000)  # 0.4 epochs of a large text
    assert compute == {"layers": 1, "hidden": sizing.fit_hidden(lambda h: 4e6, 1, 64, 65), "dropout": 0.0,
                       "epochs": 0.4, "regime": "compute-limited"}
    mild = plan(5e6, 1_000_000)  # five passes: dropout on the one layer
    assert mild["layers"] == 1 and mild["regime"] == "data-limited" and mild["dropout"] == sizing.dropout_for(5.0, 1) > 0
    assert mild["hidden"] == sizing.fit_hidden(lambda h: 5e6, 1, 64, 65)
    small = plan(1e7, 100_000)  # a hundred passes of a short text: the width is what the text can carry
    assert small["layers"] == 1 and small["dropout"] == 0.5
    assert sizing.recurrent_params(1, small["hidden"], 64, 65) <= sizing.PARAMS_PER_SYMBOL * 100_000
    assert small["hidden"] < plan(1e7, 1_000_000)["hidden"]
    deep = plan(1e7, 1_000_000, layers=2)  # a long budget's two layers, sized the same way
    assert deep["layers"] == 2 and deep["regime"] == "data-limited" and deep["dropout"] == sizing.dropout_for(10.0)
    assert sizing.recurrent_params(2, deep["hidden"], 64, 65) <= sizing.PARAMS_PER_SYMBOL * 1_000_000
    quarter = plan(1e7, 250_000, layers=2)  # the same budget on a quarter of the text: narrower, more dropout
    assert quarter["hidden"] < deep["hidden"] and quarter["dropout"] > deep["dropout"]


def test_fit_rows_targets_a_number_of_updates():
    assert sizing.fit_rows(3.9e6, 64) == 16          # about 3,800 updates of 16 x 64
    assert sizing.fit_rows(4000 * 64 * 64, 64) == 64
    assert sizing.fit_rows(10, 64) == sizing.ROWS_RANGE[0]
    assert sizing.fit_rows(1e12, 64) == sizing.ROWS_RANGE[1]
    # a short text caps the rows at what it can fill, below the range: 904 symbols hold 8 rows of 64 + 1 window
    assert sizing.fit_rows(1e12, 64, n_train=904) == 8 and sizing.fit_rows(1e12, 64, n_train=10) == 1
    assert sizing.fit_rows(1e12, 64, n_train=10**9) == sizing.ROWS_RANGE[1]
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
    assert lm.net.config.dropout == 0.0 and lm.summary["sizing"]["regime"] == "compute-limited"   # half a pass
    many = TextModel.train(text=make_text(), level="word", epochs=12, batch_size=2, bptt=8, hidden=32, embed=8,
                           progress=False)  # twelve passes: data-limited, dropout 0.2, early stopping
    assert many.net.config.dropout == sizing.dropout_for(12) == 0.2 and many.train_config.patience == 2
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
    assert lm.net.config.dropout == 0.0 and lm.summary["sizing"]["regime"] == "compute-limited"   # half a pass
    many = TextModel.train(text=make_text(), level="word", epochs=12, batch_size=2, bptt=8, hidden=32, embed=8,
                           progress=False)  # twelve passes: data-limited, dropout 0.2, early stopping
    assert many.net.config.dropout == sizing.dropout_for(12) == 0.2 and many.train_config.patience == 2


def test_default_val_fraction_holds_what_selection_reads():
    from lstmkit.models.text_settings import VAL_SYMBOLS, default_val_fraction

    assert default_val_fraction("char", 100_000) == 0.1             # a short text: 10 %
    assert default_val_fraction("char", 400_000) == 0.041            # 16,384 characters
    assert default_val_fraction("char", 1_115_394) == 0.02           # never below 2 %
    assert default_val_fraction("word", 400_000) == 0.1              # a word is several characters
    assert default_val_fraction("char", 8 * VAL_SYMBOLS) == 0.1 and VAL_SYMBOLS == 16_384


def test_a_long_text_holds_out_16384_characters_unless_told():
    from conftest import make_text

    text = make_text()
    big = (text * (400_000 // len(text) + 1))[:400_000]
    lm = TextModel.train(text=big, steps=1, hidden=16, embed=8, batch_size=2, bptt=8, progress=False)
    assert lm.data_config.val_fraction == 0.041
    # 8 pieces, each cut at line breaks near its ends
    assert lm.data_config.val_blocks == 8 and abs(lm.summary["val_chars"] - 16_400) < 8 * 100
    told = TextModel.train(text=big, steps=1, hidden=16, embed=8, batch_size=2, bptt=8, val_fraction=0.1, progress=False)
    assert told.data_config.val_fraction == 0.1 and abs(told.summary["val_chars"] - 40_000) < 8 * 100


def test_periodic_evaluations_sample_every_held_out_piece():
    import numpy as np

    from lstmkit.models.text_batches import periodic_sample

    short = np.arange(1000)
    assert periodic_sample(short, limit=1000) is short
    got = periodic_sample(np.arange(100), limit=16, runs=4)
    assert got.tolist() == [0, 1, 2, 3, 32, 33, 34, 35, 64, 65, 66, 67, 96, 97, 98, 99]


def test_a_budget_of_many_passes_gets_depth_dropout_and_early_stopping():
    """Seconds that buy many passes over a short text are data-limited: dropout from the epochs, patience
    (one layer below 15 minutes). A steps budget that buys a third of a pass is compute-limited: no
    dropout, no patience."""
    from conftest import make_text

    text = make_text()[:1200]
    lm = TextModel.train(text=text, minutes=0.05, progress=False)
    note = lm.summary["sizing"]
    assert note["regime"] == "data-limited" and note["epochs"] > sizing.DATA_LIMITED_EPOCHS
    assert lm.net.config.layers == 1 and lm.net.config.dropout == sizing.dropout_for(note["epochs"], 1) > 0
    assert lm.train_config.patience == note["patience"] == 2 and lm.train_config.anneal == note["anneal"] == 2
    assert lm.train_config.average == note["average"] == 0.999  # a short data-limited run saves its weights' average
    # more passes than one network can use: several networks share the time, each planned for its share
    assert lm.net.config.members == note["members"] > 1 and note["epochs"] >= sizing.DATA_LIMITED_EPOCHS
    told = TextModel.train(text=text, steps=60, batch_size=4, bptt=32, patience=0, dropout=0.1, progress=False)
    assert told.summary["sizing"]["regime"] == "data-limited" and told.net.config.members == 1  # a steps budget: one
    assert told.train_config.patience == 0 and told.net.config.dropout == 0.1 and told.train_config.average == 0.0
    one = TextModel.train(text=text, minutes=0.05, members=1, progress=False)
    assert one.net.config.members == 1 and "members" not in one.summary["sizing"]
    long = TextModel.train(text=text * 20, steps=60, batch_size=4, bptt=32, progress=False)
    assert long.summary["sizing"]["regime"] == "compute-limited" and long.summary["sizing"]["epochs"] < 1
    assert long.net.config.dropout == 0.0 and long.train_config.patience == 0


def test_members_follow_the_passes():
    """One network per 6 passes a single one would see, at most 3; one below 12 passes."""
    assert [sizing.members_for(e) for e in (0.5, 5.0, 11.9, 12.0, 14.7, 17.9, 18.0, 100.0)] == [1, 1, 1, 2, 2, 2, 3, 3]


def test_given_members_share_the_budget(monkeypatch):
    """``--members 2`` plans each network for half the seconds: half the symbols of one network."""
    from lstmkit.models.text_settings import TextDataConfig
    from lstmkit.models.text_settings import fit_to_budget as _fit_to_budget
    from lstmkit.train import TrainConfig

    monkeypatch.setattr(sizing, "measure_flops", lambda *a, **k: 1e11)
    monkeypatch.setattr(sizing, "measure_step_flops", lambda *a, **k: 1e11)
    shape = {"hidden": 256, "layers": 1, "embed": 64, "dropout": None}
    args = (TrainConfig(minutes=3), TextDataConfig(bptt=64), 200_000, 65, False, False)
    _, _, one = _fit_to_budget(shape, *args)
    _, _, two = _fit_to_budget(shape, *args, members=2)
    assert two["budget_symbols"] == pytest.approx(one["budget_symbols"] / 2, abs=1)
    assert two["epochs"] == pytest.approx(one["epochs"] / 2, abs=0.01)


def test_anneal_without_patience_is_refused():
    from conftest import make_text

    with pytest.raises(LstmkitError, match="--anneal 2 acts after --patience"):
        TextModel.train(text=make_text(), steps=2, batch_size=2, bptt=8, hidden=8, embed=4, anneal=2, progress=False)


def test_train_prints_what_it_chose_and_why(tmp_path):
    from conftest import make_text
    from typer.testing import CliRunner

    from lstmkit.cli import app

    src = tmp_path / "t.txt"
    src.write_text(make_text()[:1200], encoding="utf-8")
    res = CliRunner().invoke(app, ["train", str(src), "--out", str(tmp_path / "m"), "--minutes", "0.05",
                                   "--sample", "0", "-q"])
    assert res.exit_code == 0, res.output
    line = next(l for l in res.output.splitlines() if l.startswith("network fitted to the budget"))
    net = TextModel.load(tmp_path / "m").net.config
    assert f"{net.layers}x{net.hidden}, dropout {net.dropout:g}," in line and net.layers == 1 and net.dropout > 0
    assert "epochs of the text" in line
    k = net.members
    assert k > 1 and line.startswith(f"network fitted to the budget: {k} networks of 1x{net.hidden}")
    assert ("data-limited: 2 evaluations without improvement send it back to the best weights at a quarter "
            f"of the rate, 2 times, then stop; {k} networks, each given 1/{k} of the time, predict together (their "
            "distributions averaged); the saved weights are their moving average, decay 0.999)") in line
    plan = next(l for l in res.output.splitlines() if l.startswith("plan:"))
    assert "weights averaged (decay 0.999)" in plan and f"plan: lstm {k} x 1x{net.hidden} (" in plan
    assert "training symbols each," in plan and "passes each over" in plan
    res = CliRunner().invoke(app, ["train", str(src), "--out", str(tmp_path / "s"), "--steps", "3", "--batch-size", "2",
                                   "--sample", "0", "-q"])  # a third of a pass
    line = next(l for l in res.output.splitlines() if l.startswith("network fitted to the budget"))
    assert line.endswith("(compute-limited: at most 3 passes over the text)") and "dropout 0," in line
