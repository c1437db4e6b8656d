"""Inputs at the edges that a second black-box sweep of the forecaster and the classifier found mishandled:
values of any magnitude, infinities, a negative value where the model takes logarithms, an exactly
repeating season, a horizon past pandas' calendar, ids of a categorical type, a wide table with one bad
cell or a class column, strict JSON, and scikit-learn's conventions. Each was wrong or a traceback before
the fix. Tiny models; each test takes seconds."""
from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning, NotFittedError

import lstmkit
from lstmkit import Forecaster, SequenceClassifier
from lstmkit.errors import LstmkitError

FAST = dict(steps=20, ensemble=1, hidden=8)
TINY = dict(hidden=8, steps=20, batch_size=4, ensemble=1, seed=0)


def monthly(n: int = 60, scale: float = 1.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    v = np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(0, 0.1, n)
    return pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="MS"), "v": v * scale})


def cases(n: int = 24, seed: int = 0, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Two classes of univariate series (cases, 1, 16): a rising and a falling ramp, with noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.linspace(-1, 1, 16)
    X = np.stack([np.where(k, t, -t) + rng.normal(0, 0.3, 16) for k in y])[:, None, :]
    return X * scale, y


# ---------------------------------------------------------------------------- forecasting
def test_a_series_in_tiny_units_forecasts_as_the_same_series_in_ordinary_units():
    # a spread under an absolute 1e-12 was taken for a constant: forecasts 10^10 times the data's size
    one = Forecaster(horizon=4, seed=0, **FAST).fit(monthly(), target="v", time="date").predict()
    tiny = Forecaster(horizon=4, seed=0, **FAST).fit(monthly(scale=1e-12), target="v", time="date").predict()
    np.testing.assert_allclose(tiny["mean"].to_numpy(), one["mean"].to_numpy() * 1e-12, rtol=1e-3)


def test_a_negative_value_in_a_new_history_of_a_log_model_is_named():
    i = np.arange(60)
    df = pd.DataFrame({"date": pd.date_range("2010-01-01", periods=60, freq="MS"), "v": 100 + i + 10 * np.sin(i)})
    fc = Forecaster(horizon=3, seed=0, **FAST).fit(df, target="v", time="date")
    assert fc.scaler.transforms[0] == "log"
    bad = df.copy()
    bad.loc[40, "v"] = -5.0
    with pytest.raises(LstmkitError, match=r"holds -5 at 2013-05-01, and the model takes the log of its values.*--transform none"):
        fc.predict(data=bad)  # was an all-NaN forecast


def test_a_history_without_dates_for_a_model_trained_on_dates_is_refused():
    df = monthly()
    fc = Forecaster(horizon=3, seed=0, **FAST).fit(df, target="v", time="date")
    with pytest.raises(LstmkitError, match="trained on dates in 'date', and this history has none"):
        fc.predict(data=pd.Series(df["v"].to_numpy()))  # was a TypeError comparing a Timestamp with an int


def test_an_infinite_value_is_named_as_such_with_or_without_fill():
    df = monthly()
    df.loc[7, "v"] = np.inf
    for fill in (None, "linear"):
        with pytest.raises(LstmkitError, match="column 'v' holds an infinite value at row 8"):
            Forecaster(horizon=3, seed=0, **FAST).fit(df, target="v", time="date", **({"fill": fill} if fill else {}))


def test_a_categorical_id_of_numbers_comes_back_as_numbers():
    rng = np.random.default_rng(0)
    df = pd.concat([pd.DataFrame({"sid": k, "date": pd.date_range("2000-01-01", periods=30, freq="YS"),
                                  "y": 50 + np.cumsum(rng.normal(1, 1, 30))}) for k in (3, 7, 10)], ignore_index=True)
    df["sid"] = df["sid"].astype("category")
    out = Forecaster(horizon=2, seed=0, **FAST).fit(df, target="y", time="date", id="sid").predict()
    assert out["sid"].tolist() == [3, 3, 7, 7, 10, 10] and out["sid"].dtype.kind == "i"
    assert len(df.merge(out, on="sid")) == 6 * 30  # merged with the data, as the README promises


def _irregular(dates, **read) -> str:
    df = pd.DataFrame({"date": dates, "y": 100 + np.arange(len(dates), dtype=float)})
    with pytest.raises(LstmkitError) as e:
        Forecaster(horizon=3, seed=0, **FAST).fit(df, target="y", time="date", **read)
    return str(e.value)


def test_irregular_times_get_the_frequency_that_fits_them():
    # each hint used to name a frequency that the times do not follow: --freq D made weekend forecasts of
    # business days, --freq 15D refused semi-monthly dates as off its grid
    days = pd.bdate_range("2023-11-01", "2024-01-31")
    holidays = days[~days.isin(pd.to_datetime(["2023-11-23", "2023-12-25", "2024-01-01"]))]
    assert "weekdays only: pass --freq B --fill linear" in _irregular(holidays)
    fc = Forecaster(horizon=4, seed=0, **FAST).fit(pd.DataFrame({"date": holidays, "y": np.arange(len(holidays), dtype=float)}),
                                                     target="y", time="date", freq="B", fill="linear")
    assert [d.strftime("%a") for d in fc.predict()["date"]] == ["Thu", "Fri", "Mon", "Tue"]  # no weekend
    semi = pd.date_range("2022-01-01", periods=40, freq="SME")
    assert "--freq SME" in _irregular(semi.delete(5))
    assert "--freq SMS" in _irregular(pd.date_range("2022-01-01", periods=40, freq="SMS").delete(5))
    mid = pd.date_range("2015-01-01", periods=40, freq="MS") + pd.Timedelta(days=14)
    assert "fall on day 15 of the month, which no pandas frequency follows: move them to the month's first day and pass --freq MS" in _irregular(mid)


def test_integer_dates_written_yyyymm_are_named_as_dates():
    months = pd.date_range("2015-01-01", periods=40, freq="MS")
    msg = _irregular(months.strftime("%Y%m").astype(int))
    assert "(201512, 201601) are dates written as YYYYMM" in msg and "format='%Y%m'" in msg and "add a row" not in msg
    assert "dates written as YYYYMMDD" in _irregular(pd.date_range("2015-01-01", periods=40, freq="D").strftime("%Y%m%d").astype(int))


def test_a_period_column_reads_as_its_start_times():
    months = pd.period_range("2015-01", periods=40, freq="M")
    df = pd.DataFrame({"date": months, "y": 100 + np.arange(40.0)})
    given = Forecaster(horizon=3, seed=0, **FAST).fit(df, target="y", time="date").predict()
    found = Forecaster(horizon=3, seed=0, **FAST).fit(df, target="y").predict()  # the one column of times
    indexed = Forecaster(horizon=3, seed=0, **FAST).fit(df.set_index("date")["y"]).predict()
    assert list(given["date"]) == list(pd.date_range("2018-05-01", periods=3, freq="MS"))
    pd.testing.assert_frame_equal(given, found)
    np.testing.assert_array_equal(given["mean"].to_numpy(), indexed["mean"].to_numpy())


@pytest.mark.parametrize("lo,hi", [(-np.inf, 1.0), (0.0, np.inf)])
def test_an_infinite_minmax_range_is_refused_before_training(lo, hi):
    # -inf trained into NaN and was reported as a divergence blamed on the learning rate; +inf trained
    with pytest.raises(LstmkitError, match=r"the MinMax range \(.*inf.*\) is not finite; pass finite --range-lo and --range-hi"):
        Forecaster(horizon=3, scale="minmax", range_lo=lo, range_hi=hi, **FAST)


def test_a_bad_backtest_option_is_one_line_before_any_fit(tmp_path, run_cli):
    # was "origin 1 of 3 ...: <the option's error> (or lower --windows or --step)", after that origin's data was read
    monthly().to_csv(tmp_path / "m.csv", index=False)
    for bad, says in ((("--level", "150"), "interval levels [150.0] must be percentages between 0 and 100"),
                      (("--dropout", "-1"), "--dropout -1.0 must be a number from 0 to 0.999"),
                      (("--windows", "0"), "--windows 0 must be at least 1")):
        code, out, err = run_cli("forecast", "backtest", tmp_path / "m.csv", "--horizon", "4", "--steps", "5", *bad)
        assert code == 2 and says in err and "origin" not in err and "--step" not in err, err


def test_mase_over_an_exactly_repeating_season_is_not_a_number():
    from lstmkit.models.forecast_eval import metrics

    season = np.sin(np.arange(48) * 2 * np.pi / 12)  # the seasonal naive errs by rounding only (about 1e-16)
    m = metrics(np.array([0.5, 0.6]), np.array([0.4, 0.7]), season, 12)
    assert np.isnan(m["mase"]) and m["rmse"] == pytest.approx(0.1)  # was about 1e14


def test_a_horizon_past_pandas_last_date_is_one_line(tmp_path, run_cli):
    code, _, err = run_cli("forecast", "train", "--demo", "--out", tmp_path / "m", "--steps", "5", "--ensemble", "1", "-q", "--no-classical")
    assert code == 0, err
    code, out, err = run_cli("forecast", "predict", tmp_path / "m", "--horizon", "100000")
    assert code == 2 and "run past 2262-04-11, the last date pandas can hold; lower --horizon" in err and "Traceback" not in err


def test_forecast_json_is_strict_json(tmp_path, run_cli):
    df = monthly()
    df["v"] = df["v"] + 0.0  # values cross zero: MAPE is not a number
    df.loc[df.index[-1], "v"] = 0.0
    path = tmp_path / "s.csv"
    df.to_csv(path, index=False)
    code, _, err = run_cli("forecast", "train", path, "--horizon", "3", "--out", tmp_path / "m", "--steps", "5", "--ensemble", "1", "-q", "--no-classical")
    assert code == 0, err
    code, out, err = run_cli("forecast", "evaluate", tmp_path / "m", path, "--json")
    assert code == 0, err
    table = json.loads(out, parse_constant=lambda c: pytest.fail(f"bare {c} in the JSON"))["table"]
    assert any(v is None for row in (table.values() if isinstance(table, dict) else table)
               for v in (row.values() if isinstance(row, dict) else row))  # the MAPE over a zero, as null


def test_stacked_as_a_forecast_cell_points_to_layers():
    with pytest.raises(LstmkitError, match="a stacked LSTM is --cell lstm --layers 2"):
        Forecaster(horizon=3, cell="stacked")


# ---------------------------------------------------------------------------- classification
@pytest.mark.parametrize("scale", [1e-13, 1e19])
def test_a_classifier_learns_cases_of_any_magnitude(scale):
    X, y = cases()
    ref = SequenceClassifier(**TINY).fit(X, y)
    clf = SequenceClassifier(**TINY).fit(X * scale, y)  # was chance: a std under 1e-12 taken for 1, or squares overflowing
    assert np.isfinite(clf.prep_["std"]).all() and clf.prep_["std"][0] == pytest.approx(ref.prep_["std"][0] * scale, rel=1e-5)
    np.testing.assert_allclose(clf.predict_proba(X * scale), ref.predict_proba(X), atol=1e-4)


def test_values_beyond_float32_are_refused():
    X, y = cases()
    with pytest.raises(LstmkitError, match=r"holds a value of .*e\+39, beyond the 3.4e\+38 .* rescale the values"):
        SequenceClassifier(**TINY).fit(X * 1e39, y)


def _wide(path, X, y, label="label"):
    pd.DataFrame({label: y, **{f"t{i}": X[:, 0, i] for i in range(X.shape[2])}}).to_csv(path, index=False)


def test_a_stray_word_in_a_wide_table_is_named_not_read_as_texts(tmp_path, run_cli):
    X, y = cases()
    path = tmp_path / "wide.csv"
    _wide(path, X, y)
    df = pd.read_csv(path)
    df["t5"] = df["t5"].astype(object)
    df.loc[2, "t5"] = "abc"
    df.to_csv(path, index=False)
    code, _, err = run_cli("classify", "train", path, "--label", "label", "--out", tmp_path / "m", "--steps", "5", "--ensemble", "1", "-q")
    assert code == 2 and "row 3 of 't5' is 'abc', not a number" in err  # was a text classifier on column t5 alone


def test_an_infinite_cell_in_a_wide_table_is_named(tmp_path, run_cli):
    X, y = cases()
    path = tmp_path / "wide.csv"
    _wide(path, X, y)
    df = pd.read_csv(path)
    df.loc[2, "t5"] = np.inf
    df.to_csv(path, index=False)
    code, _, err = run_cli("classify", "train", path, "--label", "label", "--out", tmp_path / "m", "--steps", "5", "--ensemble", "1", "-q")
    assert code == 2 and "row 3 holds an infinite value in 't5'" in err


@pytest.mark.parametrize("label", ["label", "class"])
def test_a_model_without_columns_reads_a_headed_tables_class_column_as_labels(tmp_path, label):
    X, y = cases(40)
    clf = SequenceClassifier(**TINY).fit(X, y)  # arrays: no columns saved, as from a .ts file
    headed, bare = tmp_path / "headed.csv", tmp_path / "bare.csv"
    _wide(headed, X, y, label)
    pd.DataFrame(X[:, 0, :]).to_csv(bare, index=False, header=[f"t{i}" for i in range(16)])
    Xh, yh = clf.read_cases(headed)
    Xb, _ = clf.read_cases(bare)
    assert [len(c) for c in as_list(Xh)] == [16] * 40  # was 17 points: the class read as the first one
    np.testing.assert_array_equal(clf.predict_proba(Xh), clf.predict_proba(Xb))
    assert list(yh) == list(y)


def as_list(X):
    return [np.asarray(c).reshape(-1) for c in X]


def test_scikit_learn_conventions():
    X, y = cases()
    with pytest.raises(NotFittedError):
        SequenceClassifier(**TINY).predict(X)
    with pytest.raises(LstmkitError):  # and still one line on the command line
        SequenceClassifier(**TINY).predict(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = SequenceClassifier(**TINY).fit(X, y.reshape(-1, 1))
    assert any(issubclass(w.category, DataConversionWarning) for w in caught)
    p = clf.predict_proba(X)
    assert p.dtype == np.float64 and np.allclose(p.sum(1), 1.0, atol=1e-12)


def test_class_weights_as_a_dict(tmp_path):
    X, y = cases()
    clf = SequenceClassifier(**TINY, class_weight={1: 3.0}).fit(X, y)
    assert clf.net_.members[0].class_weights.tolist() == [1.0, 3.0]  # class 0 left out: weight 1
    back = lstmkit.load(clf.save(tmp_path / "m"))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(LstmkitError, match="class_weight names '9', which is not a class"):
        SequenceClassifier(**TINY, class_weight={9: 2.0}).fit(X, y)
    with pytest.raises(LstmkitError, match="each weight must be a positive number"):
        SequenceClassifier(**TINY, class_weight={1: -1.0}).fit(X, y)


@pytest.mark.parametrize("dtype", ["int8", "uint64", "float32", "bool"])
def test_labels_keep_their_number_type_through_save_and_load(tmp_path, dtype):
    # scikit-learn's classifiers predict labels of y's own type; a reloaded model did too, except that every
    # whole number came back as int64
    X, y = cases()
    y = y.astype(dtype) if dtype != "uint64" else y.astype("uint64") + np.uint64(2**63)  # beyond int64
    clf = SequenceClassifier(**TINY).fit(X, y)
    back = lstmkit.load(clf.save(tmp_path / "clf"))
    assert back.classes_.dtype == clf.classes_.dtype == np.dtype(dtype)
    assert back.predict(X).dtype == np.dtype(dtype) and back.predict(X).tolist() == clf.predict(X).tolist()
    rows = np.c_[X[:, 0, :4], y]
    mlp = lstmkit.MLP(hidden=(4,), epochs=2, seed=0).fit(rows[:, :4], y)
    assert lstmkit.load(mlp.save(tmp_path / "mlp")).predict(rows[:, :4]).dtype == np.dtype(dtype)


def test_labels_saved_without_their_number_type_read_as_before(tmp_path, monkeypatch):
    import lstmkit.models.classify as classify

    X, y = cases()
    clf = SequenceClassifier(**TINY).fit(X, y.astype("int8"))
    assert json.loads((clf.save(tmp_path / "new") / "labels.json").read_text())["numpy_dtype"] == "int8"
    before = classify.labels_json  # a model saved before the type was kept: the labels and their kind only
    monkeypatch.setattr(classify, "labels_json", lambda c: {k: v for k, v in before(c).items() if k != "numpy_dtype"})
    assert lstmkit.load(clf.save(tmp_path / "old")).classes_.dtype == np.int64


def test_cases_of_another_length_than_every_training_case_get_a_note(tmp_path, run_cli):
    X, y = cases(40)
    model = SequenceClassifier(**TINY).fit(X, y).save(tmp_path / "m")  # trained on 16 time points, no columns saved
    longer = tmp_path / "longer.csv"
    pd.DataFrame({"label": y, **{f"t{i}": np.tile(X[:, 0, :], 2)[:, i] for i in range(20)}}).to_csv(longer, index=False)
    same = tmp_path / "same.csv"
    _wide(same, X, y)
    for command in ("predict", "evaluate"):
        code, _, err = run_cli("classify", command, model, longer)
        assert code == 0 and "note: the model was trained on cases of 16 time points, and these have 20" in err, err
        code, _, err = run_cli("classify", command, model, same)
        assert code == 0 and "note" not in err, err


@pytest.mark.parametrize("extra", [["--plot", "p.png"], ["--horizon", "6"], ["--known", "value"], ["--no-classical"], ["--id", "x"]])
def test_the_seed_recipe_refuses_the_options_it_would_drop(tmp_path, run_cli, extra):
    # each was dropped without a word, exit 0: no plot written, a 1-step model for --horizon 6, no covariate
    extra = [str(tmp_path / a) if a.endswith(".png") else a for a in extra]
    code, _, err = run_cli("forecast", "train", "--demo", "--recipe", "airline-seed", "--steps", "5", "-q", "-o", tmp_path / "m", *extra)
    assert code == 2 and f"--recipe airline-seed is the tutorial's experiment" in err and f"takes no {extra[0]}" in err, err
    assert not (tmp_path / "m").exists()


def test_the_seed_recipe_banner_names_the_cell(tmp_path, run_cli):
    code, out, err = run_cli("forecast", "train", "--demo", "--recipe", "airline-seed", "--steps", "5", "-q", "-o", tmp_path / "m",
                             "--cell", "gru", "--hidden", "9")
    assert code == 0 and "9 GRU units" in out, (out, err)


# ---------------------------------------------------------------------------- classification files (a fourth sweep)
def _long(path, X, y, ids, time=None):
    rows = [{"trip": name, "t": (time or (lambda k: k))(k), "acc": X[i, 0, k], "activity": y[i]}
            for i, name in enumerate(ids) for k in range(X.shape[2])]
    pd.DataFrame(rows).to_csv(path, index=False)


def test_ids_of_digits_keep_their_leading_zeros_and_stay_apart(tmp_path, run_cli):
    # "000" and "0000" were both read as 0: two sequences merged into one of twice the length, exit 0
    X, y = cases()
    _long(tmp_path / "train.csv", X, y, [f"{i:04d}" for i in range(len(y))])
    clf = SequenceClassifier(**TINY).fit_file(tmp_path / "train.csv", "activity", id="trip", time="t")
    _long(tmp_path / "new.csv", X[:3], y[:3], ["0000", "000", "0001"])
    code, out, err = run_cli("classify", "predict", clf.save(tmp_path / "m"), tmp_path / "new.csv")
    assert code == 0, err
    cases_ = pd.read_csv(__import__("io").StringIO(out), dtype={"case": str})["case"].tolist()
    assert cases_ == ["0000", "000", "0001"]
    _wide(tmp_path / "wide.csv", X, y)
    wide = pd.read_csv(tmp_path / "wide.csv")
    wide.insert(0, "patient_id", [f"{i:05d}" for i in range(len(y))])
    wide.to_csv(tmp_path / "wide.csv", index=False)
    names = SequenceClassifier(**TINY).fit_file(tmp_path / "wide.csv", "label").read_cases(tmp_path / "wide.csv", with_ids=True)[2]
    assert names[:2] == ["00000", "00001"]


def test_a_time_column_of_numbered_words_orders_by_number_and_other_words_are_refused(tmp_path):
    X, y = cases()
    names = [f"s{i}" for i in range(len(y))]
    _long(tmp_path / "num.csv", X, y, names)
    b = SequenceClassifier(**TINY).fit_file(tmp_path / "num.csv", "activity", id="trip", time="t")
    for written in (lambda k: f"step{k}", lambda k: f" {k}"):  # sorted as text, step10 came before step2
        _long(tmp_path / "text.csv", X, y, names, time=written)
        a = SequenceClassifier(**TINY).fit_file(tmp_path / "text.csv", "activity", id="trip", time="t")
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    _long(tmp_path / "words.csv", X, y, names, time=lambda k: ["early", "late"][k % 2] + str(k))
    with pytest.raises(LstmkitError, match="row 1 of the time column 't' is 'early0', neither a number nor a date"):
        SequenceClassifier(**TINY).fit_file(tmp_path / "words.csv", "activity", id="trip", time="t")


WORDS = ["the fox ran far", "a bird sang low", "the old king slept", "his daughter laughed", "a poor boy ran home"]


def _texts(n: int = 24):
    y = np.array(["good", "bad"] * (n // 2))
    return [WORDS[i % 5] + (" and smiled" if y[i] == "good" else " and wept") for i in range(n)], y


def test_jsonl_strings_of_digits_stay_text(tmp_path):
    texts, y = _texts()
    codes = np.where(y == "good", "01", "02")
    with open(tmp_path / "rev.jsonl", "w") as f:
        for t, c in zip(texts, codes):
            f.write(json.dumps({"text": t, "code": c, "zip": "00660"}) + "\n")
    clf = SequenceClassifier(**TINY).fit_file(tmp_path / "rev.jsonl", "code", text="text")
    assert clf.classes_.tolist() == ["01", "02"]  # were the numbers 1 and 2
    X, _ = lstmkit.read_labeled(tmp_path / "rev.jsonl", "code", text="zip")
    assert X[0] == "00660"  # was refused as "an empty or non-text value"


def test_text_files_to_predict_are_each_one_text_and_none_is_dropped(tmp_path, run_cli):
    texts, y = _texts()
    for i, (t, label) in enumerate(zip(texts, y)):
        (tmp_path / "docs" / label).mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / label / f"{i}.txt").write_text(t)
    m = SequenceClassifier(**TINY).fit_file(tmp_path / "docs").save(tmp_path / "m")
    inbox = tmp_path / "inbox"
    (inbox / "archive").mkdir(parents=True)
    (inbox / "new1.txt").write_text(WORDS[0] + " and smiled")
    (inbox / "new2.txt").write_text(WORDS[1] + " and wept")
    (inbox / "archive" / "old.txt").write_text(WORDS[2] + " and wept")
    code, out, err = run_cli("classify", "predict", m, inbox)  # the loose files were skipped; one folder alone was an error
    assert code == 0, err
    assert pd.read_csv(__import__("io").StringIO(out))["case"].tolist() == ["new1.txt", "new2.txt", "archive/old.txt"]
    letter = tmp_path / "letter.txt"  # was read as a table: its first line a header, every other line a case
    letter.write_text(f"{WORDS[0]} and smiled\n{WORDS[1]} and smiled\n{WORDS[3]} and smiled\n")
    code, out, err = run_cli("classify", "predict", m, letter)
    assert code == 0 and pd.read_csv(__import__("io").StringIO(out))["case"].tolist() == ["letter.txt"], err
    (inbox / "blank.txt").write_text("  \n")  # was left out of the output unsaid
    code, out, err = run_cli("classify", "predict", m, inbox)
    assert code == 2 and "blank.txt is empty; give it text or remove it" in err and not out
    (tmp_path / "docs" / "neutral").mkdir()  # an empty class folder was ignored unsaid
    with pytest.raises(LstmkitError, match="holds no text files; give the class 'neutral' some, or remove the folder"):
        SequenceClassifier(**TINY).fit_file(tmp_path / "docs")


def test_predict_and_evaluate_take_the_text_column_a_python_model_did_not_save(tmp_path, run_cli):
    texts, y = _texts()
    m = SequenceClassifier(**TINY).fit(texts, y).save(tmp_path / "m")
    pd.DataFrame({"n": range(len(y)), "body": texts, "stars": y}).to_csv(tmp_path / "rev.csv", index=False)
    code, _, err = run_cli("classify", "predict", m, tmp_path / "rev.csv")
    assert code == 2 and "pass --text COL" in err  # the advice now names an option predict has
    code, out, err = run_cli("classify", "predict", m, tmp_path / "rev.csv", "--text", "body")
    assert code == 0 and len(pd.read_csv(__import__("io").StringIO(out))) == len(y), err
    code, out, err = run_cli("classify", "evaluate", m, tmp_path / "rev.csv", "--text", "body", "--label", "stars")
    assert code == 0 and f"on {len(y)} cases" in out, err


@pytest.mark.parametrize("texts,options,says", [
    (True, {"derivatives": "on"}, "--derivatives on is for numeric cases, and these are texts"),
    (True, {"pool_extremes": "on"}, "--pool-extremes on is for numeric cases, and these are texts"),
    (False, {"level": "word"}, "--level word tokenizes texts, and these cases are numeric"),
    (False, {"pool_extremes": "on", "pool": 1}, "these cases are not pooled (--pool 1); pass --pool 2 or more"),
    (False, {"pool_extremes": "on"}, "these cases are not pooled (auto pooling chose none)"),
    (False, {"ensemble": 3, "val_fraction": 0.5}, "--val-fraction 0.5 is a single network's held-out share"),
    (False, {"ensemble": 2, "refit": False}, "--no-refit is for a single network (--ensemble 1)"),
    (False, {"ensemble": 1, "early_stopping": False, "val_fraction": 0.3}, "which --no-early-stopping turns off"),
])
def test_an_option_the_cases_or_other_options_leave_unused_is_refused(texts, options, says):
    # each trained with exit 0 and the option ignored unsaid (or, for the last, a plan saying "none asked for")
    X, y = _texts() if texts else cases()
    with pytest.raises(LstmkitError, match=re.escape(says)):
        SequenceClassifier(**{**TINY, **options}).fit(X, y)


def test_the_options_that_fit_together_still_train():
    X, y = cases()
    for options in ({"ensemble": 1, "val_fraction": 0.3, "refit": False}, {"early_stopping": False, "val_fraction": 0},
                    {"pool": 2, "pool_extremes": "on"}):
        assert SequenceClassifier(**{**TINY, **options}).fit(X, y).score(X, y) >= 0.0


# ---------------------------------------------------------------------------- the fifth sweep: tables in and out
def _trips(tmp_path, n: int = 12, steps: int = 8):
    """A long table of numeric sequences (trip, t, acc, activity) whose id column is not named like an id."""
    rng = np.random.default_rng(0)
    rows = [{"trip": f"trip{i}", "t": k, "acc": (k if i % 2 else -k) + rng.normal(0, 0.3), "activity": ["walk", "run"][i % 2]}
            for i in range(n) for k in range(steps)]
    df = pd.DataFrame(rows)
    df.to_csv(tmp_path / "trips.csv", index=False)
    return df


def test_a_long_table_without_id_is_not_read_as_texts_of_its_id_column(tmp_path, run_cli):
    # the classifier trained on the strings "trip0" ... "trip11", one "text" per row, exit 0
    _trips(tmp_path)
    code, _, err = run_cli("classify", "train", tmp_path / "trips.csv", "--label", "activity", "--out", tmp_path / "m", "--steps", "5")
    assert code == 2 and "'trip' repeats each value on 8 rows" in err and "pass --id trip" in err and not (tmp_path / "m").exists()
    # a table of texts with a numeric column beside them, whose texts do not repeat, is still texts
    pd.DataFrame({"body": [f"text number {i}" for i in range(12)], "stars": range(12), "label": ["a", "b"] * 6}).to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run_cli("classify", "train", tmp_path / "t.csv", "--label", "label", "--out", tmp_path / "t", "--steps", "5", "--ensemble", "1")
    assert code == 0 and "texts" in err, err


def test_text_beside_id_and_unknown_on_a_numeric_model_are_refused(tmp_path, run_cli):
    # --text with --id was a traceback (IndexError); --text NAME of no column, and --unknown, were ignored unsaid
    _trips(tmp_path)
    for text in ("acc", "nope"):
        code, _, err = run_cli("classify", "train", tmp_path / "trips.csv", "--id", "trip", "--time", "t", "--label", "activity",
                               "--text", text, "--out", tmp_path / "m", "--steps", "5")
        assert code == 2 and "--id trip reads" in err and "drop --text" in err and "Traceback" not in err, err
    code, _, err = run_cli("classify", "train", tmp_path / "trips.csv", "--id", "trip", "--time", "t", "--label", "activity",
                           "--out", tmp_path / "m", "--steps", "5", "--ensemble", "1")
    assert code == 0, err
    code, out, err = run_cli("classify", "predict", tmp_path / "m", tmp_path / "trips.csv", "--unknown", "drop")
    assert code == 2 and "classifies numeric sequences: drop --unknown" in err and out == "", err


def test_a_categorical_id_reads_only_the_sequences_present_and_warns_nothing(tmp_path, run_cli):
    # a filtered Parquet keeps the id's unused categories: they were read as empty sequences (an error) under
    # pandas' FutureWarning about groupby's observed=False
    df = _trips(tmp_path)
    code, _, err = run_cli("classify", "train", tmp_path / "trips.csv", "--id", "trip", "--time", "t", "--label", "activity",
                           "--out", tmp_path / "m", "--steps", "5", "--ensemble", "1")
    assert code == 0, err
    sub = df.assign(trip=df["trip"].astype("category"))
    sub[sub["trip"].isin(["trip3", "trip4"])].to_parquet(tmp_path / "sub.parquet", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        code, out, err = run_cli("classify", "predict", tmp_path / "m", tmp_path / "sub.parquet")
    assert code == 0 and pd.read_csv(__import__("io").StringIO(out))["case"].tolist() == ["trip3", "trip4"], err


def test_a_parquet_files_saved_index_is_read_as_columns(tmp_path, run_cli):
    # the CLI read pd.read_parquet's index as nothing: dates in a saved index gave "no time column, row order",
    # and --time date "column 'date' is not in the table"
    from lstmkit.data.tables import read_table

    df = monthly(48).assign(id="a")
    df.set_index("date").to_parquet(tmp_path / "one.parquet")
    df.set_index(["id", "date"]).to_parquet(tmp_path / "two.parquet")
    df.iloc[5:].to_parquet(tmp_path / "rows.parquet")  # an unnamed index of row numbers is no column
    assert list(read_table(tmp_path / "one.parquet").columns) == ["date", "v", "id"]
    assert list(read_table(tmp_path / "two.parquet").columns) == ["id", "date", "v"]
    assert list(read_table(tmp_path / "rows.parquet").columns) == ["date", "v", "id"]
    code, _, err = run_cli("forecast", "train", tmp_path / "two.parquet", "--target", "v", "--id", "id", "--time", "date", "--horizon", "3",
                           "--steps", "5", "--ensemble", "1", "--no-classical", "-q", "--out", tmp_path / "m")
    assert code == 0, err
    code, out, err = run_cli("forecast", "predict", tmp_path / "m")
    assert code == 0 and out.splitlines()[1].startswith("a,2024-01-01"), out


def test_an_output_named_parquet_is_written_as_parquet(tmp_path, run_cli):
    # "-o out.parquet" wrote CSV text under that name
    monthly(48).to_csv(tmp_path / "s.csv", index=False)
    code, _, err = run_cli("forecast", "train", tmp_path / "s.csv", "--target", "v", "--horizon", "3", "--steps", "5", "--ensemble", "1",
                           "--no-classical", "-q", "--out", tmp_path / "m")
    assert code == 0, err
    code, out, _ = run_cli("forecast", "predict", tmp_path / "m")
    code, _, err = run_cli("forecast", "predict", tmp_path / "m", "-o", tmp_path / "f.parquet")
    assert code == 0 and "forecast written to" in err
    written = pd.read_parquet(tmp_path / "f.parquet")
    assert list(written.columns) == out.splitlines()[0].split(",") and len(written) == 3
    assert pd.api.types.is_datetime64_any_dtype(written["date"])
    _trips(tmp_path)
    code, _, err = run_cli("classify", "train", tmp_path / "trips.csv", "--id", "trip", "--time", "t", "--label", "activity",
                           "--out", tmp_path / "c", "--steps", "5", "--ensemble", "1")
    code, _, err = run_cli("classify", "predict", tmp_path / "c", tmp_path / "trips.csv", "-o", tmp_path / "p.pq")
    assert code == 0 and pd.read_parquet(tmp_path / "p.pq")["case"].tolist() == [f"trip{i}" for i in range(12)], err


def test_training_whose_message_reader_went_away_still_saves_its_model(tmp_path):
    # `lstmkit forecast train ... 2>&1 | head -1`: the plan line's reader closed, and the run ended with exit 1,
    # no model saved
    import os
    import subprocess
    import sys

    monthly(48).to_csv(tmp_path / "s.csv", index=False)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    p = subprocess.Popen([sys.executable, "-m", "lstmkit.cli", "forecast", "train", str(tmp_path / "s.csv"), "--target", "v", "--horizon", "3",
                          "--steps", "5", "--ensemble", "1", "--no-classical", "--out", str(tmp_path / "m")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    p.stderr.close()  # before the first line: every message meets a closed pipe
    assert p.wait(timeout=120) == 0 and (tmp_path / "m" / "model.safetensors").exists()


def test_a_row_without_an_id_in_a_long_table_is_named(tmp_path, run_cli):
    # the row was left out unsaid, its sequence a time point short
    df = _trips(tmp_path)
    df.loc[5, "trip"] = None
    df.to_csv(tmp_path / "gap.csv", index=False)
    code, _, err = run_cli("classify", "train", tmp_path / "gap.csv", "--id", "trip", "--time", "t", "--label", "activity",
                           "--out", tmp_path / "m", "--steps", "5", "--ensemble", "1")
    assert code == 2 and "row 6 has no id in 'trip'" in err, err


def test_classify_info_shows_the_training_options_beyond_the_networks_shape(tmp_path, run_cli):
    # the learning rate, class weights and the dimension shuffle were in the model and not in `info`
    _trips(tmp_path)
    code, _, err = run_cli("classify", "train", tmp_path / "trips.csv", "--id", "trip", "--time", "t", "--label", "activity", "--out",
                           tmp_path / "m", "--steps", "5", "--ensemble", "1", "--lr", "0.003", "--class-weight", "balanced", "--shuffle", "on")
    assert code == 0, err
    code, out, _ = run_cli("info", tmp_path / "m")
    said = " ".join(out.replace("│", " ").split())
    assert code == 0 and "learning rate 0.003, shuffle on, class weight balanced" in said, said


# ---------------------------------------------------------------------------- the fifth sweep: text, seq2seq, mlp
@pytest.mark.parametrize("args,says", [
    (("seq2seq", "train", "{pairs}", "--minutes", "nan"), "the training budget must be positive and finite (got --minutes nan)"),
    (("seq2seq", "train", "{pairs}", "--epochs", "inf"), "the training budget must be positive and finite (got --epochs inf)"),
    (("train", "{text}", "--minutes", "inf"), "the training budget must be positive and finite (got --minutes inf)"),
    (("train", "{text}", "--epochs", "nan"), "the training budget must be positive and finite (got --epochs nan)"),
    (("classify", "train", "--demo", "echo", "--minutes", "inf"), "the training budget must be positive and finite"),
    (("forecast", "train", "--demo", "--lr", "inf"), "--lr inf must be positive and finite"),
    (("mlp", "train", "--demo", "iris", "--epochs", "inf"), "the training budget must be positive and finite (got --epochs inf)"),
    (("mlp", "train", "--demo", "iris", "--lr", "inf"), "--lr inf must be positive and finite"),
])
def test_a_budget_or_learning_rate_of_nan_or_infinity_is_one_line(tmp_path, run_cli, args, says):
    # seq2seq's NaN minutes trained forever without evaluating; the text trainer's were tracebacks; an infinite
    # --lr diverged twice, then said "the last saved model is intact" of a model never saved
    (tmp_path / "p.tsv").write_text("ab\tAB\ncd\tCD\nef\tEF\n")
    (tmp_path / "t.txt").write_text("the cat sat on the mat " * 200)
    args = [a.format(pairs=tmp_path / "p.tsv", text=tmp_path / "t.txt") for a in args]
    code, _, err = run_cli(*args, "--out", tmp_path / "m")
    assert code == 2 and says in err and "Traceback" not in err and not (tmp_path / "m").exists(), err


def _swap_pairs(tmp_path):
    """Pairs "ab" -> "AB" over three letters, and a model trained on them as files are read."""
    pairs = tmp_path / "p.tsv"
    pairs.write_text("".join(f"{a}{b}\t{(a + b).upper()}\n" for a in "abc" for b in "abc"), encoding="utf-8")
    return pairs


def test_a_model_trained_with_reverse_reads_files_to_score_and_translate_reversed(tmp_path, run_cli):
    # evaluate read the pairs unswapped: every source unknown, dropped, and "exact match 0.0000" with exit 0;
    # translate --file read each pair's first side
    pairs = _swap_pairs(tmp_path)
    code, _, err = run_cli("seq2seq", "train", pairs, "--reverse", "--out", tmp_path / "m", "--steps", "3", "--hidden", "16", "--embed", "8",
                           "--val-fraction", "0", "-q")
    assert code == 0, err
    m = lstmkit.load(tmp_path / "m")
    assert m.config.reverse
    code, out, err = run_cli("seq2seq", "evaluate", tmp_path / "m", pairs)
    assert code == 0 and "on 9 pairs" in out and "never saw" not in err, err
    code, by_file, err = run_cli("seq2seq", "translate", tmp_path / "m", "--file", pairs)
    assert code == 0 and by_file.splitlines() == m.translate([f"{a}{b}".upper() for a in "abc" for b in "abc"]), err
    # pairs not laid out as in training: one line, not a score of 0
    with pytest.raises(LstmkitError, match="none of the 9 sources holds a symbol this model saw in training"):
        m.evaluate([(f"{a}{b}", "x") for a in "abc" for b in "abc"])
    with pytest.raises(LstmkitError, match="translate takes a string or a list of strings"):
        m.translate(None)


def test_translate_file_reads_headers_and_two_column_tables_as_train_and_evaluate_do(tmp_path, run_cli):
    # a pairs file's source<TAB>target header was translated as a source; a CSV of two columns named otherwise
    # was read as whole lines, header included
    pairs = _swap_pairs(tmp_path)
    code, _, err = run_cli("seq2seq", "train", pairs, "--out", tmp_path / "m", "--steps", "3", "--hidden", "16", "--embed", "8",
                           "--val-fraction", "0", "-q")
    assert code == 0, err
    (tmp_path / "h.tsv").write_text("source\ttarget\nab\tAB\ncb\tCB\n", encoding="utf-8")
    (tmp_path / "two.csv").write_text("src,tgt\nab,AB\ncb,CB\n", encoding="utf-8")
    (tmp_path / "lines.txt").write_text("ab\ncb\n", encoding="utf-8")
    want = run_cli("seq2seq", "translate", tmp_path / "m", "--file", tmp_path / "lines.txt")[1]
    assert len(want.splitlines()) == 2
    for f in ("h.tsv", "two.csv"):
        code, out, err = run_cli("seq2seq", "translate", tmp_path / "m", "--file", tmp_path / f)
        assert code == 0 and out == want, (f, out, err)


def test_jsonl_pairs_keep_their_numbers_as_written(tmp_path):
    from lstmkit.data.pairs import read_pairs

    (tmp_path / "n.jsonl").write_text('{"source": 1e3, "target": 3.50}\n{"source": 7, "target": "x"}\n', encoding="utf-8")
    assert read_pairs(tmp_path / "n.jsonl") == [("1e3", "3.50"), ("7", "x")]  # were "1000.0" -> "3.5"


def test_greedy_with_a_sampling_setting_and_an_empty_stop_are_refused(tmp_path, run_cli):
    (tmp_path / "t.txt").write_text("the cat sat on the mat. " * 100, encoding="utf-8")
    code, _, err = run_cli("train", tmp_path / "t.txt", "--out", tmp_path / "m", "--steps", "3", "-q")
    assert code == 0, err
    for extra, says in ((("--greedy", "--top-k", "3"), "--greedy always takes the most likely symbol, so --top-k 3"),
                        (("--greedy", "--temperature", "0.5"), "so --temperature 0.5, which shapes sampling"),
                        (("--stop", ""), "--stop '' must be the text that ends a sample")):
        code, out, err = run_cli("generate", tmp_path / "m", "-n", "20", *extra)
        assert code == 2 and says in err and out == "", (extra, err)
    assert run_cli("generate", tmp_path / "m", "-n", "20", "--greedy")[0] == 0


def test_mlp_labels_that_name_no_class_are_named_by_their_data_row(tmp_path, run_cli):
    # the message named y[4], a position after the train/test split, not the file's row 7
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30), "y": [1.0, 3.0] * 15})
    df.loc[6, "y"] = 2.5
    df.to_csv(tmp_path / "f.csv", index=False)
    code, _, err = run_cli("mlp", "train", tmp_path / "f.csv", "--label", "y", "--out", tmp_path / "m", "--steps", "3")
    assert code == 2 and "the label column 'y' at data row 7 is 2.5, a number that names no class" in err and "round or bin them" in err, err


# ---------------------------------------------------------------------------- the fifth sweep: outputs and runs
def test_a_plot_or_output_path_that_cannot_be_written_is_refused_before_training(tmp_path, run_cli):
    # under a file, or the model's own directory: refused only after training, with exit 2 and "(File exists)"
    monthly(48).to_csv(tmp_path / "s.csv", index=False)
    base = ("forecast", "train", tmp_path / "s.csv", "--target", "v", "--horizon", "3", "--steps", "5", "--ensemble", "1", "--no-classical", "-q")
    code, out, err = run_cli(*base, "--out", tmp_path / "m", "--plot", tmp_path / "s.csv" / "x.png")
    assert code == 2 and f"{tmp_path / 's.csv'} is a file, not a directory" in err and out == "" and not (tmp_path / "m").exists(), err
    code, out, err = run_cli(*base, "--out", tmp_path / "m", "--plot", tmp_path / "m")
    assert code == 2 and "is a directory, the model's own; pass a file path, such as" in err and f"{tmp_path / 'm'}.png" in err and out == "", err
    code, _, err = run_cli(*base, "--out", tmp_path / "m")
    assert code == 0, err


def test_translations_are_not_written_over_the_runs_learning_curves(tmp_path, run_cli):
    pairs = _swap_pairs(tmp_path)
    code, _, err = run_cli("seq2seq", "train", pairs, "--out", tmp_path / "m", "--steps", "3", "--hidden", "16", "--embed", "8", "-q")
    assert code == 0 and (tmp_path / "m" / "curves.png").exists(), err
    code, _, err = run_cli("seq2seq", "translate", tmp_path / "m", "--file", pairs, "-o", tmp_path / "m" / "curves.png")
    assert code == 2 and "is a file of the model" in err, err


def test_a_saved_forecasters_frequency_that_pandas_cannot_read_is_named_as_corrupt(tmp_path):
    import hashlib

    fc = Forecaster(horizon=3, seed=0, **FAST).fit(monthly(48), target="v", time="date")
    fc.save(tmp_path / "m")
    series = json.loads((tmp_path / "m" / "series.json").read_text())
    body = json.dumps({**series, "freq": "zz"}).encode()
    (tmp_path / "m" / "series.json").write_bytes(body)
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())  # a consistent manifest: only the check can tell
    manifest["files"]["series.json"].update(sha256=hashlib.sha256(body).hexdigest(), bytes=len(body))
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LstmkitError, match="series.freq 'zz' is not a pandas frequency; the model is corrupt"):
        lstmkit.load(tmp_path / "m")


def test_an_overwritten_text_run_keeps_only_the_new_runs_tensorboard_events(tmp_path, run_cli):
    pytest.importorskip("tensorboard")
    (tmp_path / "t.txt").write_text("the cat sat on the mat. " * 100, encoding="utf-8")
    assert run_cli("train", tmp_path / "t.txt", "--out", tmp_path / "m", "--steps", "5", "-q", "--sample", "0")[0] == 0
    first = set((tmp_path / "m" / "tensorboard").glob("events.out.tfevents.*"))
    assert len(first) == 1
    assert run_cli("train", tmp_path / "t.txt", "--out", tmp_path / "m", "--steps", "5", "-q", "--sample", "0", "--overwrite")[0] == 0
    second = set((tmp_path / "m" / "tensorboard").glob("events.out.tfevents.*"))
    assert len(second) == 1 and not second & first  # the old run's curves no longer drawn over the new one's steps
    assert run_cli("train", tmp_path / "t.txt", "--out", tmp_path / "m", "--steps", "10", "-q", "--sample", "0", "--resume")[0] == 0
    assert set((tmp_path / "m" / "tensorboard").glob("events.out.tfevents.*")) >= second  # a resumed run keeps its own


def test_a_resumed_run_keeps_its_seed_and_refuses_another(tmp_path, run_cli):
    # seq2seq --demo regenerated its pairs from seed 0 on resume (another data set, silently); text ignored --seed
    demo = ("seq2seq", "train", "--demo", "addition", "--count", "60", "--hidden", "16", "--embed", "8", "-q")
    for run in ("a", "b"):
        assert run_cli(*demo, "--steps", "2", "--seed", "1", "--out", tmp_path / run)[0] == 0
    assert run_cli(*demo, "--steps", "4", "--seed", "1", "--out", tmp_path / "a", "--resume")[0] == 0
    code, _, err = run_cli(*demo, "--steps", "4", "--out", tmp_path / "b", "--resume")  # the same run, its seed unnamed
    assert code == 0, err
    assert (tmp_path / "a" / "model.safetensors").read_bytes() == (tmp_path / "b" / "model.safetensors").read_bytes()
    code, _, err = run_cli(*demo, "--steps", "6", "--seed", "2", "--out", tmp_path / "b", "--resume")
    assert code == 2 and "--seed 2 (saved 1)" in err, err
    (tmp_path / "t.txt").write_text("the cat sat on the mat. " * 100, encoding="utf-8")
    assert run_cli("train", tmp_path / "t.txt", "--out", tmp_path / "t", "--steps", "3", "-q", "--sample", "0")[0] == 0
    code, _, err = run_cli("train", tmp_path / "t.txt", "--out", tmp_path / "t", "--steps", "6", "-q", "--resume", "--seed", "7")
    assert code == 2 and "seed=7 (saved 0)" in err, err


# ---------------------------------------------------------------------------- the fifth sweep: classify's data paths
def test_a_text_files_last_line_end_is_no_part_of_its_text(tmp_path, run_cli):
    # "echo text > f.txt" and the same words in a CSV got different probabilities
    rows = [("I love this", "pos"), ("great fun", "pos"), ("so good", "pos"), ("I hate this", "neg"), ("awful stuff", "neg"), ("so bad", "neg")] * 4
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run_cli("classify", "train", tmp_path / "t.csv", "--label", "label", "-o", tmp_path / "m", "--steps", "5", "--ensemble", "1", "-q")
    assert code == 0, err
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("I love this\n", encoding="utf-8")
    (tmp_path / "in" / "b.txt").write_bytes(b"I love this\r\n")
    code, out, err = run_cli("classify", "predict", tmp_path / "m", tmp_path / "in")
    got = pd.read_csv(__import__("io").StringIO(out)).set_index("case")
    want = lstmkit.load(tmp_path / "m").predict_proba(["I love this"])[0]
    assert code == 0 and np.allclose(got.filter(like="p_").to_numpy(), want, atol=1e-6), (out, want)


def test_a_csv_cell_longer_than_the_csv_modules_limit_is_read(tmp_path):
    from lstmkit.data.tables import read_table

    pd.DataFrame({"text": ["ab " * 50000, "cd"], "label": ["x", "y"]}).to_csv(tmp_path / "big.csv", index=False)
    df = read_table(tmp_path / "big.csv")  # was a traceback from the delimiter sniffing: field larger than field limit
    assert df.shape == (2, 2) and len(df["text"][0]) == 150000


def test_a_tables_column_options_are_refused_for_ts_files_folders_and_the_demo(tmp_path, run_cli):
    # each trained with exit 0, and --id/--time were saved into the model, which then asked a table for them
    X, y = cases(12)
    ts = tmp_path / "c.ts"
    ts.write_text("@problemName c\n@timeStamps false\n@univariate true\n@equalLength true\n@seriesLength 16\n@classLabel true 0 1\n@data\n"
                  + "".join(",".join(f"{v:.4f}" for v in x[0]) + f":{c}\n" for x, c in zip(X, y)), encoding="utf-8")
    for extra in (("--id", "foo"), ("--time", "t"), ("--label", "class")):
        code, _, err = run_cli("classify", "train", ts, *extra, "-o", tmp_path / "m", "--steps", "5", "--ensemble", "1", "-q")
        assert code == 2 and f"{extra[0]} names a table's column" in err and "a .ts file" in err and not (tmp_path / "m").exists(), err
    code, _, err = run_cli("classify", "train", "--demo", "echo", "--label", "foo", "-o", tmp_path / "m", "--steps", "5", "-q")
    assert code == 2 and "--label names a table's column, and --demo echo builds its cases" in err, err
    code, _, err = run_cli("classify", "train", ts, "--echo-position", "3", "-o", tmp_path / "m", "--steps", "5", "-q")
    assert code == 2 and "--echo-position 3 sets the label of --demo echo" in err, err
    code, _, err = run_cli("classify", "train", ts, "-o", tmp_path / "m", "--steps", "5", "--ensemble", "1", "-q")
    assert code == 0, err
    code, _, err = run_cli("classify", "evaluate", tmp_path / "m", ts, "--label", "foo")
    assert code == 2 and "--label names a table's column" in err, err
    nolabels = tmp_path / "n.ts"
    nolabels.write_text(ts.read_text().replace("@classLabel true 0 1", "@classLabel false").replace(":0\n", "\n").replace(":1\n", "\n"))
    code, _, err = run_cli("classify", "evaluate", tmp_path / "m", nolabels)
    assert code == 2 and "@classLabel true" in err and "--label" not in err, err


def test_a_table_is_written_in_the_format_its_name_asks_for_and_another_is_refused(tmp_path, run_cli):
    # -o p.json and -o p.xlsx wrote CSV text under those names
    _trips(tmp_path)
    code, _, err = run_cli("classify", "train", tmp_path / "trips.csv", "--id", "trip", "--time", "t", "--label", "activity",
                           "--out", tmp_path / "c", "--steps", "5", "--ensemble", "1")
    assert code == 0, err
    code, csv_out, _ = run_cli("classify", "predict", tmp_path / "c", tmp_path / "trips.csv")
    want = pd.read_csv(__import__("io").StringIO(csv_out))
    for name, read in (("p.json", pd.read_json), ("p.jsonl", lambda f: pd.read_json(f, lines=True)), ("p.tsv", lambda f: pd.read_csv(f, sep="\t"))):
        code, _, err = run_cli("classify", "predict", tmp_path / "c", tmp_path / "trips.csv", "-o", tmp_path / name)
        assert code == 0, err
        pd.testing.assert_frame_equal(read(tmp_path / name), want, check_dtype=False)
    code, _, err = run_cli("classify", "predict", tmp_path / "c", tmp_path / "trips.csv", "-o", tmp_path / "p.xlsx")
    assert code == 2 and "a .xlsx file cannot be written; name a .csv, .tsv, .parquet, .json or .jsonl file" in err
    assert not (tmp_path / "p.xlsx").exists()


def test_texts_in_a_table_with_an_id_column_are_named_by_it(tmp_path, run_cli):
    # the id column was a second text candidate (train asked for --text), and predictions were named by row
    rows = [("I love this", "pos"), ("I hate this", "neg"), ("so good", "pos"), ("so bad", "neg")] * 3
    df = pd.DataFrame(rows, columns=["text", "label"])
    df.insert(0, "review_id", [f"r{i:03d}" for i in range(len(df))])
    df.to_csv(tmp_path / "t.csv", index=False)
    code, _, err = run_cli("classify", "train", tmp_path / "t.csv", "--label", "label", "-o", tmp_path / "m", "--steps", "5", "--ensemble", "1", "-q")
    assert code == 0, err
    code, out, err = run_cli("classify", "predict", tmp_path / "m", tmp_path / "t.csv")
    assert code == 0 and pd.read_csv(__import__("io").StringIO(out), dtype=str)["case"].tolist() == df["review_id"].tolist(), err


def test_a_pool_that_leaves_one_point_is_refused_and_members_sharing_folds_are_said(tmp_path):
    X, y = cases(12)  # 6 cases a class, 16 points each
    with pytest.raises(LstmkitError, match=r"--pool 16 averages every case into one point \(the longest has 16\)"):
        SequenceClassifier(**{**TINY, "pool": 16}).fit(X, y)
    said = []
    SequenceClassifier(**{**TINY, "ensemble": 8}).fit(X, y, notes=said.append)
    assert "(the smallest class has 6 cases, so 6 folds serve the 8 members in turn)" in said[0], said[0]


# ---------------------------------------------------------------------------- the fifth sweep: the Python API
def test_the_api_refuses_what_it_would_silently_ignore_or_misread():
    X, y = cases(12)
    for make, says in ((lambda: Forecaster(horizon=3, validate="off"), "validate='off': pass True or False"),  # "off" read as True
                       (lambda: lstmkit.Seq2Seq(bidirectional="no"), "bidirectional='no': pass True or False"),
                       (lambda: SequenceClassifier(**{**TINY, "refit": "no"}).fit(X, y), "refit='no': pass True or False"),
                       (lambda: SequenceClassifier(**{**TINY, "unknown": "drop"}).fit(X, y), "--unknown drop is for characters of texts"),
                       (lambda: Forecaster(horizon=3, hiden=8), "unknown Forecaster option(s) hiden"),  # a TypeError naming ForecastConfig
                       (lambda: lstmkit.TextModel.train(text="ab " * 300, steps=5, train={"lrr": 5.0}), "unknown train= option(s) lrr"),
                       (lambda: lstmkit.load(None), "takes a model directory's path, not a NoneType")):
        with pytest.raises(LstmkitError, match=re.escape(says)):
            make()
    pairs = [(f"{a}+{b}", str(a + b)) for a in range(9) for b in range(9)]
    with pytest.raises(LstmkitError, match="pass one of the two"):
        lstmkit.Seq2Seq(hidden=16, embed=8).fit(pairs, steps=2, val_pairs=pairs[:5], val_fraction=0.3)
    from lstmkit.train import Trainer

    with pytest.raises(LstmkitError, match="unknown trainer event 'on_evl'"):
        Trainer.add_callback(Trainer.__new__(Trainer), "on_evl", print)


def test_a_forecast_config_gives_defaults_that_the_named_options_override():
    # Forecaster(horizon=6, seed=1, config=cfg) forecast cfg's 3 steps with seed 0: the keywords were dropped
    cfg = lstmkit.ForecastConfig(horizon=3, steps=20, ensemble=1)
    fc = Forecaster(horizon=6, seed=1, config=cfg, hidden=8)
    assert (fc.config.horizon, fc.config.seed, fc.config.steps, fc.config.hidden) == (6, 1, 20, 8)
    assert Forecaster(config={"horizon": 5}).config.horizon == 5 and Forecaster().config.horizon == 12


def test_numpy_integers_are_the_numbers_they_hold():
    # np.int64 seeds and budgets (a grid, np.arange) were refused as "not a whole number", and a Seq2Seq's width failed in torch
    X, y = cases(12)
    a = SequenceClassifier(**{**TINY, "seed": np.int64(3)}).fit(X, y).predict_proba(X)
    b = SequenceClassifier(**{**TINY, "seed": 3}).fit(X, y).predict_proba(X)
    assert np.array_equal(a, b)
    pairs = [(f"{a}+{b}", str(a + b)) for a in range(9) for b in range(9)]
    m = lstmkit.Seq2Seq(hidden=np.int64(16), embed=8, seed=np.int64(0)).fit(pairs, steps=np.int64(2), batch_size=np.int64(8))
    assert m.summary["steps"] == 2


def test_a_word_models_sample_after_a_prompt_ending_in_a_space_has_one_space():
    # "The object " + " whether" read "The object  whether"
    w = lstmkit.TextModel.train(text="the object is here and the cat sat there. " * 80, level="word", steps=3, hidden=16, seed=0, progress=False)
    spaced, plain = w.generate("the object ", 4, seed=1), w.generate("the object", 4, seed=1)
    assert "  " not in spaced and spaced.replace(" ", "") == plain.replace(" ", ""), (spaced, plain)  # the same words
    for one in w.generate("the object ", 4, seed=1, num_samples=2):
        assert one.startswith("the object ") and not one.startswith("the object  ")


def test_every_model_says_what_it_is_in_its_repr():
    assert repr(Forecaster(horizon=3, steps=20)) == "Forecaster(horizon=3, steps=20, seed=0)"
    assert repr(lstmkit.Seq2Seq(hidden=16, seed=2)) == "Seq2Seq(hidden=16, seed=2)"
    lm = lstmkit.TextModel.train(text="ab cd " * 300, steps=3, hidden=16, progress=False)
    assert repr(lm) == "TextModel(char level, 2x16 lstm, 5 symbols)"


def test_a_nullable_columns_missing_value_is_named_as_missing_and_one_step_checks_its_start():
    Xd = pd.DataFrame(np.random.default_rng(0).normal(size=(24, 10))).astype("Float64")
    Xd.iloc[16, 4] = pd.NA  # was "X[16] is not numeric"
    with pytest.raises(LstmkitError, match=r"X\[16\] has a missing or infinite value at time point 4"):
        SequenceClassifier(**TINY).fit(Xd, np.repeat([0, 1], 12))
    fc = Forecaster(horizon=3, seed=0, **FAST).fit(monthly(48), target="v", time="date")
    for start in (100, -5):  # 100 was "need at least one array to stack"; -5 was taken
        with pytest.raises(LstmkitError, match=rf"start={start} must be a point of the series: a whole number from 0 to 47"):
            fc.one_step(monthly(48), start=start)
    actual, forecast = fc.one_step(monthly(48), start=40)
    assert len(actual) == len(forecast) == 8
