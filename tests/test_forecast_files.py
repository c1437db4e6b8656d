"""What the forecaster makes of the files and tables users bring: covariates' future rows matched by time,
times with a zone, day-first and integer times, ids as written, spreadsheet CSV layouts, and the messages
of a saved model reading new data. Tiny models (20 steps, one network); each test takes seconds."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lstmkit
from lstmkit.data.tables import read_table
from lstmkit.errors import LstmkitError

FAST = dict(steps=20, ensemble=1)


def _promo_table(n=60):
    rng = np.random.default_rng(2)
    promo = (rng.random(n) < 0.3).astype(int)
    return pd.DataFrame({"date": pd.date_range("2023-01-02", periods=n, freq="D"),
                         "sales": 100 + 20 * promo + rng.normal(0, 2, n), "promo": promo})


def _panel(n=48):
    """Two monthly series, 'a' and 'b', with a known covariate: the tester's f.csv."""
    rng = np.random.default_rng(3)
    promo = (rng.random(2 * n) < 0.3).astype(int)
    return pd.DataFrame({"id": ["a"] * n + ["b"] * n, "date": np.tile(pd.date_range("2020-01-01", periods=n, freq="MS"), 2),
                         "y": 50 + 10 * promo + np.tile(np.arange(n), 2) + rng.normal(0, 1, 2 * n), "promo": promo})


# ---------------------------------------------------------------------------- covariates' future
def test_future_covariates_are_matched_by_time_not_by_row_order():
    df = _promo_table()
    fc = lstmkit.Forecaster(horizon=4, seed=0, **FAST).fit(df, target="sales", time="date", known=("promo",))
    times = pd.date_range(df["date"].iloc[-1], periods=5, freq="D")[1:]
    future = pd.DataFrame({"date": times, "promo": [1, 0, 0, 1]})
    p = fc.predict(future=future)
    # rows in another order, or the whole history in front of them (a KNIME table), are read the same
    pd.testing.assert_frame_equal(fc.predict(future=future.iloc[::-1]), p)
    pd.testing.assert_frame_equal(fc.predict(future=pd.concat([df[["date", "promo"]], future])), p)
    # a table without the time column is read in row order, as before
    pd.testing.assert_frame_equal(fc.predict(future=future[["promo"]]), p)
    assert not fc.predict(future=future.assign(promo=[0, 0, 0, 1]))["mean"].equals(p["mean"])
    with pytest.raises(LstmkitError, match=r"no row for the series at 2023-03-03 .*one row per forecast time"):
        fc.predict(future=future.assign(date=times + pd.Timedelta(days=2)))
    with pytest.raises(LstmkitError, match=r"column 'promo' is missing or not a number for the series at 2023-03-05"):
        fc.predict(future=future.assign(promo=[1, 0, None, 1]))
    with pytest.raises(LstmkitError, match="two rows for the series at 2023-03-03"):
        fc.predict(future=pd.concat([future, future.iloc[:1]]))
    # the network reads its whole horizon's covariates: a shorter forecast from the same table is the full one's start
    for h in (1, 2, 3):
        pd.testing.assert_frame_equal(fc.predict(h, future=future), p.iloc[:h])
    assert len(fc.predict(2, future=future.iloc[:2])) == 2  # a table of just the steps asked for still does
    info = fc.info()["columns"]
    assert info["known"] == ["promo"] and info["past"] == []


def test_future_times_are_read_as_the_history_was():
    # an hourly zoned history is kept in UTC: one future row (one time of day) is read in UTC too
    t = pd.date_range("2021-01-01", periods=60, freq="h", tz="Europe/Berlin")
    df = pd.DataFrame({"time": t, "v": np.sin(np.arange(60) / 3) + 5, "k": np.arange(60) % 2})
    fc = lstmkit.Forecaster(horizon=1, seed=0, **FAST).fit(df, target="v", time="time", known=("k",))
    p = fc.predict(1, future=pd.DataFrame({"time": [t[-1] + pd.Timedelta(hours=1)], "k": [1]}))
    assert p["time"].iloc[0] == t[-1] + pd.Timedelta(hours=1)
    with pytest.raises(LstmkitError, match=r"no row for the series at 2021-01-03 12:00:00\+01:00"):
        fc.predict(1, future=pd.DataFrame({"time": [t[-1] + pd.Timedelta(hours=2)], "k": [1]}))
    # dates written as whole numbers, 20230303, are dates; a column of no times at all is named
    days = _promo_table()
    fd = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(days, target="sales", time="date", known=("promo",))
    ahead = pd.date_range(days["date"].iloc[-1], periods=3, freq="D")[1:]
    as_numbers = pd.DataFrame({"date": ahead.strftime("%Y%m%d").astype(int), "promo": [1, 0]})
    pd.testing.assert_frame_equal(fd.predict(future=as_numbers), fd.predict(future=pd.DataFrame({"date": ahead, "promo": [1, 0]})))
    with pytest.raises(LstmkitError, match="holds no time that can be read .*'day 1'"):
        fd.predict(future=pd.DataFrame({"date": ["day 1", "day 2"], "promo": [1, 0]}))


def test_times_without_a_zone_are_the_zoned_model_s_local_times():
    t = pd.date_range("2021-01-01", periods=60, freq="h")
    v = np.sin(np.arange(60) * 2 * np.pi / 24) + 5
    zoned = pd.DataFrame({"time": t.strftime("%Y-%m-%dT%H:%M:00+02:00"), "v": v})
    fc = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(zoned, target="v", time="time")
    own = fc.predict()
    naive = fc.predict(data=pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M"), "v": v}))  # the same wall-clock times
    pd.testing.assert_frame_equal(naive, own)
    assert own["time"].iloc[0] == pd.Timestamp(t[-1] + pd.Timedelta(hours=1)).tz_localize("UTC+02:00")


def test_a_future_table_without_times_must_hold_exactly_the_steps_forecast():
    fc = lstmkit.Forecaster(horizon=4, seed=0, **FAST).fit(_panel(), target="y", time="date", id="id", known=("promo",))
    rows = lambda n: pd.DataFrame({"id": ["a"] * n + ["b"] * n, "promo": [1, 0] * n})  # noqa: E731
    assert len(fc.predict(future=rows(4))) == 8
    # row order is the only key: the first of six rows may be a history row, so more rows are refused as fewer are
    for n in (2, 6):
        with pytest.raises(LstmkitError, match=rf"has {n} row\(s\) for series 'a'; 4 are needed, .*the 'date' column, and its rows are matched by time"):
            fc.predict(future=rows(n))


def test_a_covariate_that_is_the_target_or_named_twice_is_refused_at_fit(tmp_path, run_cli):
    df = _panel()
    for covariates, message in ((dict(known=["y"]), "--known 'y' is the target column"), (dict(past=["y"]), "--past 'y' is the target column"),
                                (dict(known=["promo", "promo"]), "--known names 'promo' twice"),
                                (dict(known=["promo"], past=["promo"]), "'promo' is named by both --known and --past")):
        with pytest.raises(LstmkitError, match=message):
            lstmkit.Forecaster(horizon=4, **FAST).fit(df, target="y", time="date", id="id", **covariates)
    src = tmp_path / "f.csv"
    df.to_csv(src, index=False)
    code, _, err = run_cli("forecast", "train", src, "--out", tmp_path / "m", "--target", "y", "--id", "id", "--horizon", "4",
                           "--known", "promo", "--known", "promo", "--steps", "20", "--ensemble", "1", "--no-classical", "-q")
    assert code == 2 and "--known names 'promo' twice" in err and not (tmp_path / "m").exists(), err


def test_a_future_table_for_a_model_without_known_covariates_is_refused(tmp_path, run_cli):
    df = _panel()
    fc = lstmkit.Forecaster(horizon=4, seed=0, **FAST).fit(df, target="y", time="date", id="id")
    future = pd.DataFrame({"id": ["a"] * 4 + ["b"] * 4, "promo": [1, 0] * 4})
    with pytest.raises(LstmkitError, match="this model takes no known covariates.*drop --future"):
        fc.predict(future=future)
    fc.save(tmp_path / "m")
    future.to_csv(tmp_path / "future.csv", index=False)
    code, out, err = run_cli("forecast", "predict", tmp_path / "m", "--future", tmp_path / "future.csv")
    assert code == 2 and "this model takes no known covariates" in err and not out, err


def test_single_names_and_levels_are_lists_of_one_and_wrong_types_are_named():
    df = _panel().assign(temp=lambda d: np.arange(len(d)) % 7)
    fc = lstmkit.Forecaster(horizon=3, levels=90, seed=0, **FAST).fit(df, target="y", time="date", id="id", known="promo", past="temp")
    assert fc.config.levels == [90] and fc.columns.known == ["promo"] and fc.columns.past == ["temp"]
    future = pd.DataFrame({"id": ["a"] * 3 + ["b"] * 3, "promo": [1, 0, 1] * 2})
    p = fc.predict(levels=90, future=future)
    assert list(p.columns) == ["id", "date", "mean", "lo-90", "hi-90"]
    assert len(fc.predict(np.int64(2), future=future.groupby("id").head(2))) == 4
    for h in (2.0, "3"):
        with pytest.raises(LstmkitError, match=rf"--horizon {h!r} must be a whole number of steps"):
            fc.predict(h, future=future)
        with pytest.raises(LstmkitError, match=rf"--horizon {h!r} must be a whole number of steps"):
            lstmkit.Forecaster(horizon=h)
    for table in ({"promo": [1, 0, 1]}, np.array([1, 0, 1])):
        with pytest.raises(LstmkitError, match=f"the future table is a {type(table).__name__}; pass a DataFrame or a file path"):
            fc.predict(future=table)


def test_an_empty_future_time_column_gives_the_rows_in_order():
    df = _promo_table()
    fc = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(df, target="sales", time="date", known=("promo",))
    pd.testing.assert_frame_equal(fc.predict(future=pd.DataFrame({"date": [None, None], "promo": [1, 0]})),
                                  fc.predict(future=pd.DataFrame({"promo": [1, 0]})))


# ---------------------------------------------------------------------------- times
def test_hourly_times_with_a_zone_across_a_clock_change(tmp_path):
    # pandas writes a zoned column with each row's offset: +01:00 before 26 March 2023, +02:00 after
    t = pd.date_range("2023-03-20", periods=200, freq="h", tz="Europe/Berlin")
    path = tmp_path / "load.csv"
    pd.DataFrame({"ts": t, "load": 100 + 10 * np.sin(np.arange(200) * 2 * np.pi / 24)}).to_csv(path, index=False)
    fc = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(str(path), target="load")
    stamps = fc.predict()["ts"]
    # shown in UTC, zoned (the offsets changed, so no one offset is the zone's): each an hour after the last row
    assert str(stamps.dt.tz) == "UTC" and stamps.tolist() == [t[-1] + pd.Timedelta(hours=k) for k in (1, 2, 3)]


def test_a_zoned_frame_keeps_its_zone_and_daily_zoned_dates_stay_dates():
    t = pd.date_range("2023-03-24", periods=120, freq="h", tz="Europe/Berlin")
    df = pd.DataFrame({"ts": t, "load": 100 + 10 * np.sin(np.arange(120) * 2 * np.pi / 24)})
    p = lstmkit.Forecaster(horizon=3, seed=0, **FAST).fit(df, target="load", time="ts").predict()
    assert str(p["ts"].dt.tz) == "Europe/Berlin" and p["ts"].iloc[0] == t[-1] + pd.Timedelta(hours=1)
    days = pd.DataFrame({"date": pd.date_range("2023-03-01", periods=60, freq="D", tz="Europe/Berlin").astype(str),
                         "y": np.arange(60) + 10.0})
    q = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(days, target="y").predict()
    assert q["date"].tolist() == [pd.Timestamp("2023-04-30"), pd.Timestamp("2023-05-01")]


def test_dotted_dates_are_day_first_even_when_month_first_would_also_be_regular(tmp_path):
    path = tmp_path / "eu.csv"
    months = pd.date_range("2023-01-01", periods=12, freq="MS")  # 01.01 .. 01.12: twelve days, read month first
    pd.DataFrame({"Datum": months.strftime("%d.%m.%Y"), "Umsatz": 100 + np.arange(12) * 2.5}).to_csv(path, sep=";", index=False)
    fc = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(str(path), target="Umsatz")
    assert fc.series["freq"] == "MS" and fc.predict()["Datum"].tolist() == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")]


def test_found_years_with_a_gap_are_an_error_not_row_order(tmp_path):
    path = tmp_path / "years.csv"
    pd.DataFrame({"year": np.r_[1990:2000, 2001:2010], "pop": np.linspace(100, 200, 19)}).to_csv(path, index=False)
    with pytest.raises(LstmkitError, match="jump from 1999 to 2001"):
        lstmkit.Forecaster(horizon=3, **FAST).fit(str(path), target="pop")


def test_integer_times_that_jitter_stay_row_order_and_steps_must_agree(tmp_path):
    ts = 1600000000 + np.cumsum(np.random.default_rng(0).integers(50, 70, 40))
    fc = lstmkit.Forecaster(horizon=2, **FAST).fit(pd.DataFrame({"timestamp": ts, "v": np.arange(40.0)}), target="v")
    assert fc.columns.time is None  # no count of steps: row order, as before
    panel = pd.DataFrame({"id": ["a"] * 20 + ["b"] * 20, "year": np.r_[np.arange(1800, 2000, 10), np.arange(1900, 2000, 5)],
                          "v": np.arange(40.0)})
    with pytest.raises(LstmkitError, match="series 'a' counts 'year' in steps of 10 and series 'b' in steps of 5"):
        lstmkit.Forecaster(horizon=2, **FAST).fit(panel, target="v", time="year", id="id")
    gap = pd.DataFrame({"id": ["a"] * 5 + ["b"] * 3, "year": [2000, 2001, 2002, 2003, 2004, 2000, 2002, 2003], "v": np.arange(8.0)})
    with pytest.raises(LstmkitError, match="series 'b': the integer times in 'year' jump from 2000 to 2002"):
        lstmkit.Forecaster(horizon=1, **FAST).fit(gap, target="v", time="year", id="id")
    fives = lstmkit.Forecaster(horizon=2, **FAST).fit(pd.DataFrame({"year": np.arange(1800, 2000, 5), "v": np.arange(40.0)}), target="v")
    assert len(fives.predict(data=pd.Series(np.arange(40.0)))) == 2  # row numbers, not a count in another step
    with pytest.raises(LstmkitError, match="counts 'year' in steps of 1; the model was trained on steps of 5"):
        fives.predict(data=pd.DataFrame({"year": np.arange(1960, 2000), "v": np.arange(40.0)}))


# ---------------------------------------------------------------------------- ids
def test_ids_are_written_back_as_the_file_writes_them(tmp_path):
    rows = [dict(store=s, month=str(d.date()), units=50.0 + i) for s in ("0101", "0007", "12")
            for i, d in enumerate(pd.date_range("2015-01-01", periods=30, freq="MS"))]
    path = tmp_path / "panel.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    fc = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(str(path), target="units", time="month", id="store")
    assert fc.predict()["store"].unique().tolist() == ["0007", "0101", "12"]
    assert fc.predict(2, str(path))["store"].unique().tolist() == ["0007", "0101", "12"]
    # plain whole numbers still come back as numbers, in their numbers' order
    numbers = tmp_path / "numbers.csv"
    pd.DataFrame(rows).assign(store=lambda d: d["store"].map({"0101": 101, "0007": 7, "12": 12})).to_csv(numbers, index=False)
    p = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(str(numbers), target="units", time="month", id="store").predict()
    assert p["store"].unique().tolist() == [7, 12, 101] and p["store"].dtype.kind == "i"
    # a model saved before ids were read as written matched them as pandas reads them: it still finds its series
    old = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(str(path), target="units", time="month", id="store")
    new = old.predict(2, str(path)).set_index("store")["mean"]
    old.series.pop("ids_as_written")
    old.series.update(ids=["7", "101", "12"], id_kind="int")  # "0007", "0101", "12" as pandas read them
    before = old.predict(2, str(path)).set_index("store")["mean"]
    assert before.index.unique().tolist() == [7, 12, 101] and np.allclose(before.loc[[7, 101, 12]], new.loc[["0007", "0101", "12"]])
    # a model fitted on the ids as numbers (a DataFrame read by pandas) scores and reads futures of the file's "007"
    numbers_model = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(pd.read_csv(path), target="units", time="month", id="store")
    from lstmkit.models.forecast_eval import evaluate
    assert np.isfinite(evaluate(numbers_model, str(path), 2, with_classical=False)["table"]["lstmkit"]["rmse"])
    # "NA" (Namibia) is an id as written, not a missing one; Parquet keeps its own types
    countries = tmp_path / "countries.csv"
    pd.DataFrame(rows).assign(store=lambda d: d["store"].map({"0101": "NA", "0007": "DE", "12": "FR"})).to_csv(countries, index=False)
    p = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(str(countries), target="units", time="month", id="store").predict()
    assert p["store"].unique().tolist() == ["DE", "FR", "NA"]
    parquet = tmp_path / "panel.parquet"
    pd.DataFrame(rows).assign(store=lambda d: d["store"].map({"0101": "101", "0007": "7", "12": "12"})).to_parquet(parquet)
    p = lstmkit.Forecaster(horizon=2, seed=0, **FAST).fit(str(parquet), target="units", time="month", id="store").predict()
    assert p["store"].unique().tolist() == ["101", "12", "7"]
    empty = tmp_path / "empty.csv"
    pd.DataFrame(rows).assign(store=lambda d: d["store"].where(d.index != 40)).to_csv(empty, index=False)
    with pytest.raises(LstmkitError, match="id column 'store' is empty at row 41"):
        lstmkit.Forecaster(horizon=2, **FAST).fit(str(empty), target="units", time="month", id="store")


def test_a_panel_given_to_a_model_of_one_series_is_named_as_several_series():
    df = _panel()
    one = df[df["id"] == "a"].drop(columns="id")
    fc = lstmkit.Forecaster(horizon=4, seed=0, **FAST).fit(one, target="y", time="date")
    with pytest.raises(LstmkitError, match=r"time goes backwards at row 49 .*sort the table by time; or the table holds several series "
                                           r"\(in 'id'\?\), and the model was trained on one: give it one series' rows"):
        fc.predict(data=df)
    with pytest.raises(LstmkitError, match="pass --id id"):  # fit's own words, for a table it may read as a panel
        lstmkit.Forecaster(horizon=4, **FAST).fit(df, target="y", time="date")


def test_a_series_too_short_is_told_the_real_minimum_not_a_look_back_of_2():
    rows = [dict(id=name, date=d, y=10.0 + i) for name, n in (("a", 60), ("b", 50), ("c", 3))
            for i, d in enumerate(pd.date_range("2020-01-01", periods=n, freq="MS"))]
    fit = lambda df: lstmkit.Forecaster(horizon=4, seed=0, **FAST).fit(df, target="y", time="date", id="id")  # noqa: E731
    with pytest.raises(LstmkitError, match=r"series 'c' has 3 rows; a series needs at least 6: the horizon's 4 steps to learn to forecast, "
                                           r"and 2 before them .*padded, down to those 2"):
        fit(pd.DataFrame(rows))
    six = [dict(id="c", date=d, y=10.0 + i) for i, d in enumerate(pd.date_range("2020-01-01", periods=6, freq="MS"))]
    assert fit(pd.DataFrame([r for r in rows if r["id"] != "c"] + six)).summary["lookback"] == 24


# ---------------------------------------------------------------------------- spreadsheet CSVs
@pytest.mark.parametrize("text, values", [
    ("Date|Sales Amount\n2020-01-01|1\n2020-02-01|2\n", [1.0, 2.0]),  # a bar file whose header has a space
    ("sep=;\nDatum;Wert\n2020-01-01;1,5\n2020-02-01;2\n", [1.5, 2.0]),  # Excel's first line names the separator
    ('date,value\n2020-01-01,"1,176.00"\n2020-02-01,"12.50"\n', [1176.0, 12.5]),  # thousands, English
    ("Datum;Wert\n2020-01-01;1.176,00\n2020-02-01;12,5\n", [1176.0, 12.5]),  # thousands, German
])
def test_spreadsheet_layouts_are_read_as_numbers(tmp_path, text, values):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    df = read_table(path)
    assert df.iloc[:, -1].tolist() == values and df.shape == (2, 2)


@pytest.mark.parametrize("text", [
    'date,value\n2020-01-01,"1,5"\n2020-02-01,"1,176"\n',  # "1,5" is no grouping
    "date\tv\n2020-01-01\t1,500\n2020-01-02\t2,250\n",  # decimal commas, or thousands: it cannot be told
    'date,code\n2020-01-01,"100,200"\n',
])
def test_text_that_only_may_be_grouped_stays_text(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    assert read_table(path).iloc[:, 1].dtype == object


def test_one_column_of_decimal_commas_is_one_column(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("v\n1,5\n2,5\n3,25\n", encoding="utf-8")
    assert read_table(path)["v"].tolist() == [1.5, 2.5, 3.25]


@pytest.mark.parametrize("text, columns, first", [
    ('Datum;"Umsatz, netto";"Menge, Stk"\n2020-01-01;1,5;3\n', ["Datum", "Umsatz, netto", "Menge, Stk"], [1.5, 3]),
    ('date;"Sales, Amount"\n2020-01-01;5\n', ["date", "Sales, Amount"], [5]),
    ("Datum;Umsatz, EUR\n2020-01-01;1,5\n2020-01-02;2\n", ["Datum", "Umsatz, EUR"], [1.5]),
])
def test_a_delimiter_inside_a_quoted_or_plain_header_name_is_no_delimiter(tmp_path, text, columns, first):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    df = read_table(path)
    assert list(df.columns) == columns and df.iloc[0, 1:].tolist() == first


def test_a_table_without_numbers_names_a_value_and_the_fix(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("date,value\n2020-01-01,12\n2020-02-01,13 kg\n", encoding="utf-8")
    with pytest.raises(LstmkitError, match=r"no column holds numbers only .*'value' holds '13 kg' at row 2; write the values as plain"):
        lstmkit.Forecaster(horizon=1, **FAST).fit(str(path))


# ---------------------------------------------------------------------------- a saved model reading new data
def test_new_data_for_a_saved_model_gets_messages_about_the_model(tmp_path, run_cli):
    air = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=48, freq="MS"), "value": 100 + np.arange(48.0)})
    src = tmp_path / "air.csv"
    air.to_csv(src, index=False)
    code, _, err = run_cli("forecast", "train", src, "--out", tmp_path / "m", "--horizon", "3", "--steps", "20", "--ensemble", "1",
                           "--no-classical", "-q")
    assert code == 0, err
    month_ends = tmp_path / "me.csv"
    air.assign(date=air["date"] + pd.offsets.MonthEnd(0)).to_csv(month_ends, index=False)
    code, _, err = run_cli("forecast", "predict", tmp_path / "m", month_ends)
    assert code == 2 and "not on the model's grid, MS" in err and "--freq" not in err, err
    renamed = tmp_path / "renamed.csv"
    air.rename(columns={"value": "units"}).to_csv(renamed, index=False)
    code, _, err = run_cli("forecast", "predict", tmp_path / "m", renamed)
    assert code == 2 and "rename the table's columns to those" in err and "--target" not in err, err
    # a plot in the format its name asks for; one that cannot be written is refused before any work
    code, _, err = run_cli("forecast", "predict", tmp_path / "m", "--plot", tmp_path / "f.pdf")
    assert code == 0 and (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF", err
    code, _, err = run_cli("forecast", "predict", tmp_path / "m", "--plot", tmp_path / "f.jpg", "--out", tmp_path / "f.csv")
    assert code == 2 and "name a .png, .pdf or .svg file" in err and not (tmp_path / "f.csv").exists()
    # quarterly rows for a monthly model: the wrong data, not gaps for --fill to invent
    quarters = tmp_path / "q.csv"
    air.iloc[::3].to_csv(quarters, index=False)
    code, _, err = run_cli("forecast", "predict", tmp_path / "m", quarters)
    assert code == 2 and "apart, and the model was trained on MS" in err and "give it MS data" in err, err


def test_fill_without_a_history_to_fill_is_refused(tmp_path, run_cli):
    df = _panel()
    src = tmp_path / "f.csv"
    df.to_csv(src, index=False)
    code, _, err = run_cli("forecast", "train", src, "--out", tmp_path / "m", "--target", "y", "--id", "id", "--horizon", "4",
                           "--steps", "20", "--ensemble", "1", "--no-classical", "-q")
    assert code == 0, err
    code, out, err = run_cli("forecast", "predict", tmp_path / "m", "--fill", "linear")
    assert code == 2 and "--fill linear fills the gaps of a history given as DATA" in err and not out, err
    code, out, err = run_cli("forecast", "predict", tmp_path / "m", src, "--fill", "linear")
    assert code == 0 and len(out.splitlines()) == 9, err


def test_a_stray_word_in_the_found_time_column_is_named_not_read_as_row_order(tmp_path, run_cli):
    dates = pd.date_range("2020-01-01", periods=40, freq="D").strftime("%Y-%m-%d").tolist()
    dates[6] = "notadate"
    src = tmp_path / "d.csv"
    pd.DataFrame({"date": dates, "value": np.linspace(1.0, 2.0, 40)}).to_csv(src, index=False)
    code, _, err = run_cli("forecast", "train", src, "--out", tmp_path / "m", "--horizon", "3", "--steps", "5", "--ensemble", "1",
                           "--no-classical", "-q")
    assert code == 2 and "'notadate' at row 7" in err and not (tmp_path / "m").exists(), err


def test_an_unknown_frequency_is_one_line_without_pandas_warnings(tmp_path, run_cli, recwarn):
    src = tmp_path / "d.csv"
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=30, freq="D"), "value": 1.0 + np.arange(30.0)}).to_csv(src, index=False)
    code, _, err = run_cli("forecast", "train", src, "--out", tmp_path / "m", "--horizon", "3", "--freq", "bogus", "--steps", "5", "-q")
    assert code == 2 and err.strip().count("\n") == 0 and "--freq 'bogus' is not a pandas frequency" in err, err
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]


def test_out_of_range_options_are_refused_before_training(tmp_path, run_cli):
    # each would have trained a model that could not be loaded, or failed inside torch with a traceback
    src = tmp_path / "d.csv"
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=40, freq="D"), "value": 1.0 + np.arange(40.0)}).to_csv(src, index=False)
    for flag, value, message in (("--season", "0", "--season 0 must be an integer from 1"), ("--ensemble", "0", "--ensemble 0 must be"),
                                 ("--hidden", "0", "--hidden 0 must be"), ("--layers", "0", "--layers 0 must be"),
                                 ("--batch-size", "0", "--batch-size 0 must be"), ("--dropout", "1.5", "--dropout 1.5 must be"),
                                 ("--steps", "0", "the training budget must be positive"), ("--minutes", "0", "the training budget must be positive")):
        code, _, err = run_cli("forecast", "train", src, "--out", tmp_path / "m", "--horizon", "3", flag, value, "-q", "--no-classical")
        assert code == 2 and message in err and "Traceback" not in err and not (tmp_path / "m").exists(), (flag, err)


def test_the_table_says_what_its_star_marks():
    from lstmkit.models.forecast_eval import table_text

    text = table_text({"lstmkit": {k: 1.0 for k in ("rmse", "mae", "mape", "smape", "mase")},
                       "naive": {k: 2.0 for k in ("rmse", "mae", "mape", "smape", "mase")}})
    assert "lstmkit *" in text and "* the lowest RMSE" in text


def test_the_recipe_takes_a_budget_of_its_own(tmp_path, run_cli):
    code, out, err = run_cli("forecast", "train", "--demo", "--recipe", "airline-seed", "--out", tmp_path / "r", "--steps", "30", "-q")
    assert code == 0 and "30 steps at batch 1" in out and "trained on the first 67 %" in err, err
