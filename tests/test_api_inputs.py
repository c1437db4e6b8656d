"""What the Python API and the predict commands make of inputs a data scientist passes: a time held in an
index, ids of every dtype, interval levels written as floats, labels of mixed kinds, columns in another
order. Tiny models (20 steps, one network); each test takes seconds."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lstmkit
from lstmkit.errors import LstmkitError
from lstmkit.models.forecast_intervals import nested

FAST = dict(steps=20, ensemble=1)
MONTHS = pd.date_range("2020-01-01", periods=48, freq="MS")


def _values(n=48, seed=0):
    rng = np.random.default_rng(seed)
    return 100 + 5 * np.sin(2 * np.pi * np.arange(n) / 12) + np.cumsum(rng.normal(size=n))


def test_every_public_name_resolves():
    # the task APIs are imported on first use; a module moved under them must not leave a name behind
    for name in lstmkit.__all__:
        assert getattr(lstmkit, name) is not None, name
    assert callable(lstmkit.read_labeled)


# ---------------------------------------------------------------------------- forecasting
@pytest.mark.parametrize("make, first", [
    (lambda v: pd.Series(v, index=pd.RangeIndex(1990, 1990 + len(v), name="year")), 2038),  # years as the index
    (lambda v: pd.DataFrame({"units": v}, index=MONTHS), pd.Timestamp("2024-01-01")),  # a DataFrame's DatetimeIndex
    (lambda v: pd.Series(v, index=MONTHS.strftime("%Y-%m-%d")), pd.Timestamp("2024-01-01")),  # dates written as text
])
def test_a_time_held_in_the_index_stamps_the_forecast(make, first):
    data = make(_values())
    p = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(data, target="units" if isinstance(data, pd.DataFrame) else None).predict()
    col = getattr(data.index, "name", None) or "time"  # the index's own name ("year"), else "time"
    assert p[col].iloc[0] == first and len(p) == 3


def test_row_numbers_are_not_times_and_an_index_named_as_the_time_is_read():
    # a slice keeps pandas' row numbers from 12 on: the frame's own date column is still the time
    df = pd.DataFrame({"date": MONTHS, "v": _values()}).iloc[12:]
    p = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(df, target="v").predict()
    assert p["date"].iloc[0] == pd.Timestamp("2024-01-01")
    p = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(df.set_index(pd.RangeIndex(1, 37, name="row_id")), target="v").predict()
    assert p["date"].iloc[0] == pd.Timestamp("2024-01-01")  # a named index of row numbers does not hide the dates
    s = pd.Series(_values()).iloc[10:]  # a sliced Series: row order, as before
    assert lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(s).predict().columns[0] == "step"
    years = pd.DataFrame({"year": range(1950, 1998), "v": _values()}).set_index("year")
    assert lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(years, target="v", time="year").predict()["year"].tolist() == [1998, 1999, 2000]


def _panel(ids):
    return pd.concat([pd.DataFrame({"store": s, "date": MONTHS, "v": _values(seed=i)}) for i, s in enumerate(ids)], ignore_index=True)


def test_numeric_ids_come_back_as_numbers_and_merge_with_the_data(tmp_path):
    d = _panel([1, 2, 3])
    fc = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(d, target="v", time="date", id="store")
    p = fc.predict()
    assert p["store"].dtype.kind == "i" and sorted(p["store"].unique()) == [1, 2, 3]
    assert len(d.merge(p, on=["store", "date"], how="right")) == 9
    fc.save(tmp_path / "m")
    pd.testing.assert_frame_equal(lstmkit.load(tmp_path / "m").predict(), p)
    from lstmkit.models.forecast_eval import evaluate, plot_forecast

    r = evaluate(fc, d, 3, with_classical=False)  # scored per series, matched by id
    assert np.isfinite(r["table"]["lstmkit"]["rmse"])

    plot_forecast(tmp_path / "v.png", fc.validation["histories"], fc.validation_frame(), fc.columns, fc.validation["actuals"], fc.config.levels)
    assert (tmp_path / "v.png").stat().st_size > 1000


def test_ids_that_print_alike_are_refused_and_unused_categories_ignored():
    d = _panel([1, 2, 3]).astype({"store": object})
    d.loc[d.store == 2, "store"] = "1"
    with pytest.raises(LstmkitError, match="the ids 1 and '1' in 'store' would name one series"):
        lstmkit.Forecaster(horizon=3, **FAST).fit(d, target="v", time="date", id="store")
    cats = _panel(["a", "b"]).assign(store=lambda f: pd.Categorical(f.store, categories=["a", "b", "zzz"]))
    p = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(cats, target="v", time="date", id="store").predict()
    assert sorted(p["store"].unique()) == ["a", "b"]


def test_levels_written_as_floats_name_their_columns_as_integers_and_text_is_refused():
    fc = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(pd.Series(_values(), index=MONTHS))
    assert fc.predict(levels=[80.0]).columns.tolist() == ["time", "mean", "lo-80", "hi-80"]
    with pytest.raises(LstmkitError, match="interval level '80' is not a number"):
        fc.predict(levels=["80"])


def test_intervals_are_nested_and_hold_the_mean():
    # the 95 % low above the 80 % one, a high below the mean: what separate quantile heads can give an undertrained network
    q = np.array([[5.0, 3.0, 12.0, 11.0], [1.0, 2.0, 0.5, 9.0]])
    out = nested(q, np.array([4.0, 1.0]))
    assert (np.diff(out, axis=1) >= 0).all()
    assert (out[:, :2] <= np.array([[4.0], [1.0]])).all() and (out[:, 2:] >= np.array([[4.0], [1.0]])).all()
    fc = lstmkit.Forecaster(horizon=3, seed=0, steps=20, ensemble=2).fit(pd.Series(_values(), index=MONTHS))
    p = fc.predict(12)
    assert (p["lo-95"] <= p["lo-80"]).all() and (p["lo-80"] <= p["mean"]).all()
    assert (p["mean"] <= p["hi-80"]).all() and (p["hi-80"] <= p["hi-95"]).all()


# ---------------------------------------------------------------------------- classification
def _cases(n=24, T=12, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 2, T)) + y[:, None, None] * np.linspace(0, 2, T)
    return X.astype(np.float32), y


@pytest.mark.parametrize("labels, message", [
    (np.array([1, "1"] * 12, dtype=object), "mixes text with other values"),
    (pd.array([pd.NA] + ["a", "b"] * 11 + ["a"], dtype="string"), r"y\[0\] is missing"),
])
def test_labels_of_mixed_kinds_or_missing_are_one_error(labels, message):
    X, _ = _cases()
    with pytest.raises(LstmkitError, match=message):
        lstmkit.SequenceClassifier(steps=5).fit(X, labels)


def test_messages_show_values_not_numpy_reprs():
    X, _ = _cases()
    with pytest.raises(LstmkitError) as e:
        lstmkit.SequenceClassifier(steps=5).fit(X, np.zeros(len(X), int))
    assert "label 0;" in str(e.value) and "np." not in str(e.value)
    clf = lstmkit.SequenceClassifier("lstm", steps=5, ensemble=1).fit(*_cases())
    with pytest.raises(LstmkitError, match="holds no sequences; pass at least one case$"):
        clf.predict(np.zeros((0, 2, 12), np.float32))


def _long_csv(path, X, y, order=("trip", "t", "acc", "gyro", "activity")):
    rows = [{"trip": i, "t": t, "acc": X[i, 0, t], "gyro": X[i, 1, t], "activity": ["walk", "run"][y[i]]}
            for i in range(len(X)) for t in range(X.shape[2])]
    pd.DataFrame(rows)[list(order)].to_csv(path, index=False)


def test_predict_reads_columns_by_name_whatever_their_order(run_cli, tmp_path):
    X, y = _cases()
    _long_csv(tmp_path / "long.csv", X, y)
    _long_csv(tmp_path / "swapped.csv", X, y, order=("trip", "t", "gyro", "acc", "activity"))
    code, _, stderr = run_cli("classify", "train", tmp_path / "long.csv", "--id", "trip", "--time", "t", "--label", "activity",
                              "--out", tmp_path / "m", "--model", "lstm", "--steps", "20", "--ensemble", "1", "-q")
    assert code == 0, stderr
    outs = []
    for name in ("long.csv", "swapped.csv"):
        code, stdout, stderr = run_cli("classify", "predict", tmp_path / "m", tmp_path / name)
        assert code == 0, stderr
        outs.append(stdout)
    assert outs[0] == outs[1]
    pd.read_csv(tmp_path / "long.csv").drop(columns="gyro").to_csv(tmp_path / "less.csv", index=False)
    code, _, stderr = run_cli("classify", "predict", tmp_path / "m", tmp_path / "less.csv")
    assert code == 2 and "no column 'gyro'" in stderr and "Traceback" not in stderr


def test_a_text_column_found_at_training_is_read_by_name_later(run_cli, tmp_path):
    words = ["good", "fine", "great", "bad", "poor", "awful"]
    rows = [{"review": f"{words[i % 3 + 3 * (i % 2)]} day {i}", "sentiment": ["pos", "neg"][i % 2]} for i in range(40)]
    pd.DataFrame(rows).to_csv(tmp_path / "texts.csv", index=False)
    pd.DataFrame(rows).assign(extra="zzz").to_csv(tmp_path / "extra.csv", index=False)
    code, _, stderr = run_cli("classify", "train", tmp_path / "texts.csv", "--label", "sentiment", "--out", tmp_path / "m",
                              "--steps", "10", "--ensemble", "1", "-q")
    assert code == 0, stderr
    code, stdout, stderr = run_cli("classify", "predict", tmp_path / "m", tmp_path / "extra.csv")
    assert code == 0 and len(stdout.splitlines()) == 41, stderr
    code, _, stderr = run_cli("classify", "evaluate", tmp_path / "m", tmp_path / "texts.csv", "--label", "nope")
    assert code == 2 and "no column 'nope'" in stderr and "Traceback" not in stderr


def test_evaluate_matches_labels_written_as_floats_and_names_unknown_ones(run_cli, tmp_path):
    X, y = _cases()
    wide = pd.DataFrame(X[:, 0, :], columns=[f"t{i}" for i in range(12)]).assign(label=y + 1)
    wide.to_csv(tmp_path / "wide.csv", index=False)
    code, _, stderr = run_cli("classify", "train", tmp_path / "wide.csv", "--label", "label", "--out", tmp_path / "m",
                              "--model", "lstm", "--steps", "20", "--ensemble", "1", "-q")
    assert code == 0, stderr
    code, stdout, _ = run_cli("classify", "evaluate", tmp_path / "m", tmp_path / "wide.csv", "--json")
    exact = json.loads(stdout)
    wide.assign(label=(y + 1).astype(float)).to_csv(tmp_path / "floats.csv", index=False)
    code, stdout, stderr = run_cli("classify", "evaluate", tmp_path / "m", tmp_path / "floats.csv", "--json")
    r = json.loads(stdout)
    assert code == 0 and r["accuracy"] == exact["accuracy"] and r["labels"] == [1, 2] and not r["unseen"]
    # some labels the model never saw: their cases count as errors, and a note names them
    some = (y + 1).astype(object)
    some[:2] = "three"
    wide.assign(label=some).to_csv(tmp_path / "some.csv", index=False)
    code, stdout, stderr = run_cli("classify", "evaluate", tmp_path / "m", tmp_path / "some.csv")
    assert code == 0 and "note: 1 of the labels ('three') is none of the model's classes (1, 2); its cases count as errors" in stderr, stderr
    # none of them: labels written another way, no score at all
    wide.assign(label=np.where(y, "two", "one")).to_csv(tmp_path / "words.csv", index=False)
    code, stdout, stderr = run_cli("classify", "evaluate", tmp_path / "m", tmp_path / "words.csv")
    assert code == 2 and "none of the labels ('one', 'two') is one of the model's classes (1, 2)" in stderr and not stdout, stderr


# ---------------------------------------------------------------------------- text
@pytest.fixture(scope="module")
def tiny_lm():
    from lstmkit import TextModel

    return TextModel.train(text="the cat sat on the mat.\n" * 200, steps=3, hidden=16, seed=0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(seed=-1), "--seed -1 must be a whole number"), (dict(seed=1.5), "--seed 1.5"), (dict(temperature="1"), "--temperature '1' must be a number"),
    (dict(top_k=2.5), "--top-k 2.5 must be a whole number"), (dict(top_p=None), "--top-p None must be a number"),
    (dict(length=5.5), "--length 5.5"), (dict(prime=None), "the prompt must be text"), (dict(prime=b"ab"), "not bytes"),
])
def test_generate_refuses_wrong_types_in_one_error(tiny_lm, kwargs, message):
    kw = {"prime": "the", "length": 5, **kwargs}
    with pytest.raises(LstmkitError, match=message):
        tiny_lm.generate(kw.pop("prime"), kw.pop("length"), **kw)


def test_a_prompt_is_read_as_training_text_is(tiny_lm):
    # a byte-order mark and Windows line ends are cleaned from the training text; a prompt gets the same
    assert tiny_lm.generate("\ufeffthe mat.\r\nthe", 10, seed=1, include_prompt=False) == tiny_lm.generate("the mat.\nthe", 10, seed=1, include_prompt=False)
    with pytest.raises(LstmkitError, match="pass the text to score"):
        tiny_lm.evaluate()


@pytest.mark.parametrize("kwargs, message", [
    (dict(sources=[]), "no input given"), (dict(sources=""), "no input given"), (dict(seed=-1), "--seed -1"),
    (dict(steps=2.5), "--steps 2.5 must be a whole number"), (dict(layers=0), "--layers 0 is out of range"),
    (dict(out=""), "the model directory is '.'"), (dict(resume=True, overwrite=True, out="runs/x"), "not both"),
])
def test_text_training_refuses_bad_arguments_before_training(tmp_path, kwargs, message):
    from lstmkit import TextModel

    f = tmp_path / "t.txt"
    f.write_text("the cat sat on the mat.\n" * 200, encoding="utf-8")
    kw = {"sources": f, "steps": 2, "hidden": 16, **kwargs}
    with pytest.raises(LstmkitError, match=message):
        TextModel.train(kw.pop("sources"), **kw)
    with pytest.raises(LstmkitError, match="one source of text"):
        TextModel.train(f, text="abc" * 100, steps=2)


def test_a_sample_prompt_the_text_lacks_is_refused_before_training(run_cli, tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("the cat sat on the mat.\n" * 200, encoding="utf-8")
    code, _, stderr = run_cli("train", f, "--out", tmp_path / "r", "--steps", "20", "--hidden", "16", "--sample-every", "5",
                              "--sample-prompt", "☃", "-q")
    assert code == 2 and "--sample-prompt: characters never seen in training: '☃'" in stderr
    assert not (tmp_path / "r").exists()


def test_utf16_and_utf32_files_are_read_by_their_byte_order_mark(tmp_path):
    from lstmkit.data.text import read_text

    body = "Hänsel und Gretel\nzweite Zeile\n" * 20
    for enc in ("utf-16", "utf-32"):
        p = tmp_path / f"{enc}.txt"
        p.write_bytes(body.encode(enc))
        assert read_text(p) == body


@pytest.mark.parametrize("args, message", [(("--recipe", "nosuch"), "unknown recipe 'nosuch'"), (("--corpus", "nosuch"), "unknown corpus 'nosuch'")])
def test_an_unknown_recipe_or_corpus_is_the_one_line(run_cli, tmp_path, args, message):
    code, _, stderr = run_cli("train", *args, "--out", tmp_path / "r", "--steps", "2")
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1, stderr


def test_a_spent_resume_says_so_from_the_api_too(tmp_path, capsys):
    from lstmkit import TextModel

    f = tmp_path / "t.txt"
    f.write_text("the cat sat on the mat.\n" * 200, encoding="utf-8")
    TextModel.train(f, steps=3, hidden=16, out=tmp_path / "r")
    capsys.readouterr()
    again = TextModel.train(f, steps=3, out=tmp_path / "r", resume=True, notes=True)
    assert again.stop_reason == "budget spent" and "has already spent its budget (steps 3" in capsys.readouterr().err


def test_an_extended_resume_plans_the_new_budget(tmp_path):
    import re

    from lstmkit import TextModel

    def symbols(plan: str) -> float:
        n, unit = re.search(r"about ([\d.]+)([kMG]?) training symbols", plan).groups()
        return float(n) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[unit]

    f = tmp_path / "t.txt"
    f.write_text("the cat sat on the mat.\n" * 200, encoding="utf-8")
    # a time budget: the same rate over the whole new time (the resume's 5 s stay well past the first run's end)
    first = TextModel.train(f, minutes=0.02, hidden=16, out=tmp_path / "m")
    again = TextModel.train(f, minutes=0.08, out=tmp_path / "m", resume=True)
    assert "budget 5 s" in again.summary["plan"] and "network fitted to the first budget (1 s)" in again.summary["plan"]
    assert symbols(again.summary["plan"]) == pytest.approx(4 * symbols(first.summary["plan"]), rel=0.1)
    # a step budget says what it buys exactly
    first = TextModel.train(f, steps=4, hidden=16, out=tmp_path / "s")
    again = TextModel.train(f, steps=8, out=tmp_path / "s", resume=True)
    assert "network fitted to the first budget (4 steps)" in again.summary["plan"]
    assert symbols(again.summary["plan"]) == pytest.approx(2 * symbols(first.summary["plan"]), rel=0.05)  # both rounded


def test_evaluate_names_unseen_characters_or_drops_them_when_asked(tiny_lm, run_cli, tmp_path):
    with pytest.raises(LstmkitError, match=r"never seen in training: 'B', 'Q'; remove them, or pass --unknown drop"):
        tiny_lm.evaluate(text="the cat Bsat on the Qmat.\n" * 5)
    r = tiny_lm.evaluate(text="the cat Bsat on the Qmat.\n" * 5, unknown="drop")
    clean = tiny_lm.evaluate(text="the cat sat on the mat.\n" * 5)
    assert r["dropped_chars"] == 10 and r["loss"] == pytest.approx(clean["loss"]) and clean["dropped_chars"] == 0
    tiny_lm.save(tmp_path / "lm")
    held = tmp_path / "held.txt"
    held.write_text("the cat Bsat on the mat.\n" * 5, encoding="utf-8")
    code, stdout, stderr = run_cli("evaluate", tmp_path / "lm", held, "--unknown", "drop", "--json")
    assert code == 0 and "5 characters the model never saw were left out" in stderr, stderr


def test_a_huge_whole_number_of_steps_is_whole_and_a_text_one_is_refused():
    # the loader fuzzer's find: float() of a 10^30 step count overflowed, a traceback from lstmkit.load
    from lstmkit.train import TrainConfig

    assert TrainConfig.from_dict({"steps": 10**30}).steps == 10**30
    with pytest.raises(LstmkitError, match="must be a whole number"):
        TrainConfig(steps="3")


# ---------------------------------------------------------------------------- the layout fit took, again at predict
@pytest.mark.parametrize("make, col", [
    (lambda v, n: pd.Series(v, index=MONTHS[:n]), "time"),  # a Series with a DatetimeIndex
    (lambda v, n: pd.Series(v, index=pd.RangeIndex(1950, 1950 + n, name="year")), "year"),  # years as its index
    (lambda v, n: pd.DataFrame({"v": v}, index=MONTHS[:n]), "time"),  # a DataFrame with a DatetimeIndex
])
def test_new_history_in_the_layout_fit_took_is_read_by_its_times(make, col, tmp_path):
    v = _values()
    fc = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(make(v, 48))
    p = fc.predict(data=make(v[:40], 40))  # the history ends 8 steps before the training data's end
    expected = make(v, 48).index[40]
    assert p[col].iloc[0] == expected
    fc.save(tmp_path / "m")
    assert lstmkit.load(tmp_path / "m").predict(data=make(v[:40], 40))[col].iloc[0] == expected


@pytest.mark.parametrize("freq", ["QE", "QS", "BQE"])
def test_every_quarterly_frequency_has_a_season_of_4_and_quarter_features(freq):
    from lstmkit.data.calendar import calendar, season_for

    times = pd.date_range("2000-01-01", periods=8, freq=freq)
    assert season_for(times.freqstr) == 4
    assert calendar(times, times.freqstr).shape == (8, 2)  # one term: the quarter
    fc = lstmkit.Forecaster(horizon=4, seed=0, **FAST).fit(pd.Series(_values(), index=pd.date_range("2000", periods=48, freq=freq)))
    assert fc.spec.season == 4


def test_a_model_saved_with_day_features_for_quarter_ends_keeps_them():
    from lstmkit.data.calendar import calendar

    times = pd.date_range("2000-01-01", periods=8, freq="QE")
    # before quarter-end and year-end frequencies had their own, they got day-of-week and day-of-year features
    old = calendar(times, "QE-DEC", width=4)
    assert old.shape == (8, 4) and np.allclose(old[:, 0], np.sin(2 * np.pi * times.dayofweek / 7.0))
    assert calendar(pd.date_range("2000", periods=3, freq="YE"), "YE-DEC").shape == (3, 0)
    assert calendar(pd.date_range("2000", periods=3, freq="YE"), "YE-DEC", width=4).shape == (3, 4)
    semi = pd.date_range("2000", periods=4, freq="SME")
    assert calendar(semi, "SME").shape == (4, 2) and calendar(semi, "SME", width=4).shape == (4, 4)


def test_numpy_numbers_from_a_grid_fit_and_save(tmp_path):
    s = pd.Series(_values(), index=MONTHS)
    fc = lstmkit.Forecaster(horizon=np.int64(3), hidden=np.int64(8), levels=np.array([80, 95]), steps=np.int64(20), ensemble=1).fit(s)
    assert fc.config.levels == [80, 95] and type(fc.config.horizon) is int
    fc.save(tmp_path / "f")
    assert lstmkit.load(tmp_path / "f").predict().shape == (3, 6)
    assert lstmkit.Forecaster(levels=(80,)).config.levels == [80]
    X, y = _cases()
    clf = lstmkit.SequenceClassifier("lstm", hidden=np.int64(4), steps=np.int64(5), ensemble=1).fit(X, y)
    clf.save(tmp_path / "c")
    back = lstmkit.load(tmp_path / "c")
    assert type(back.steps) is int and np.array_equal(back.predict_proba(X), clf.predict_proba(X))


def test_a_wide_frame_is_read_by_its_column_names(tmp_path):
    X, y = _cases()
    df = pd.DataFrame(X[:, 0, :], columns=[f"t{i}" for i in range(X.shape[2])])
    clf = lstmkit.SequenceClassifier("lstm", hidden=8, steps=20, ensemble=1).fit(df, y)
    p = clf.predict_proba(df)
    assert list(clf.feature_names_in_) == list(df.columns)
    assert np.array_equal(clf.predict_proba(df[df.columns[::-1]]), p)  # reordered: read by name
    assert np.array_equal(clf.predict_proba(df.assign(case_id=range(len(df)))), p)  # an extra column is left out
    with pytest.raises(LstmkitError, match="X has no column 't3'"):
        clf.predict(df.drop(columns="t3"))
    clf.save(tmp_path / "c")
    assert np.array_equal(lstmkit.load(tmp_path / "c").predict_proba(df[df.columns[::-1]]), p)
    assert not hasattr(lstmkit.SequenceClassifier("lstm", hidden=8, steps=5, ensemble=1).fit(df.to_numpy(), y), "feature_names_in_")


@pytest.mark.parametrize("make", [
    lambda X, y: lstmkit.SequenceClassifier("lstm", steps=5, ensemble=1).fit(X, y + 0.5),
    lambda X, y: lstmkit.MLP(steps=5).fit(X[:, 0, :], y + 0.5),
])
def test_numbers_that_name_no_class_are_refused_at_fit(make):
    X, y = _cases()
    with pytest.raises(LstmkitError, match=r"y\[0\] is 0.5, a number that names no class"):
        make(X, y)


@pytest.mark.parametrize("labels, message", [
    (np.array([np.nan, 1.0] * 12), r"y\[0\] is missing; every row needs a label"),
    (np.array([None, "a"] * 12, dtype=object), r"y\[0\] is missing"),
    (np.array([1, "a"] * 12, dtype=object), "mixes text with other values"),
])
def test_the_dense_network_refuses_bad_labels_in_one_line(labels, message):
    X, _ = _cases()
    with pytest.raises(LstmkitError, match=message):
        lstmkit.MLP(steps=5).fit(X[:, 0, :], labels)


def test_tables_of_pairs_and_of_texts_are_read_by_their_columns():
    pairs = [("ab", "ba"), ("cd", "dc"), ("ef", "fe")] * 4
    m = lstmkit.Seq2Seq().fit(pd.DataFrame(pairs, columns=["source", "target"]), steps=5)
    assert m.evaluate(pd.DataFrame(pairs, columns=["a", "b"]))["pairs"] == len(pairs)  # two columns, in order
    with pytest.raises(LstmkitError, match="columns named source and target"):
        m.evaluate(pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["z"]}))
    texts = pd.DataFrame({"review": ["good movie", "bad film", "great", "awful"] * 3})
    assert lstmkit.SequenceClassifier(steps=5, ensemble=1).fit(texts, [1, 0, 1, 0] * 3).kind_ == "text"
    assert m.translate(pd.DataFrame({"source": ["ab", "cd"], "x": ["1", "2"]})) == m.translate(["ab", "cd"])


def test_a_seed_numpy_cannot_take_is_one_line():
    X, y = _cases()
    with pytest.raises(LstmkitError, match=r"--seed 4294967296 must be a whole number from 0 to 2\*\*32 - 1"):
        lstmkit.SequenceClassifier(seed=2 ** 32, steps=5).fit(X, y)


def test_a_time_that_names_no_column_is_still_an_error_at_fit():
    df = pd.DataFrame({"y": _values()}, index=MONTHS)
    with pytest.raises(LstmkitError, match="column 'date_typo' is not in the table"):
        lstmkit.Forecaster(horizon=3, **FAST).fit(df, target="y", time="date_typo")


def test_lists_of_numpy_numbers_and_string_columns_of_texts():
    assert lstmkit.Forecaster(levels=list(np.array([80, 95]))).config.levels == [80, 95]
    texts = pd.DataFrame({"review": ["good movie", "bad film", "great", "awful"] * 3}).astype("string")
    assert lstmkit.SequenceClassifier(steps=5, ensemble=1).fit(texts, [1, 0, 1, 0] * 3).kind_ == "text"
