"""Forecasting: preparation round trips, windows, the network, fit/predict/save/load, the CLI and bad input.

Models here are tiny (8 units, an ensemble of 2, tens of steps), so each test takes about a second.
"""
from __future__ import annotations

import json


import numpy as np
import pandas as pd
import pytest
import torch
from tamper import remanifest

import lstmkit
from lstmkit.data.airpassengers import airpassengers
from lstmkit.data.scaling import Scaler, ScalerConfig
from lstmkit.data.calendar import calendar, season_for
from lstmkit.data.series import to_series
from lstmkit.data.times import find_time_column
from lstmkit.data.stationarity import is_stationary, level_input_for
from lstmkit.data.windows import Prepared, WindowSpec, build_windows, window
from lstmkit.errors import LstmkitError
from lstmkit.models.forecast_eval import backtest, classical_available, evaluate, metrics
from lstmkit.models.forecast_net import ForecastNet, ForecastNetConfig
from lstmkit.models.forecast_rollout import prepare

TINY = dict(hidden=8, ensemble=2, steps=40, batch_size=16)


@pytest.fixture
def air() -> pd.DataFrame:
    return airpassengers()


@pytest.fixture
def air_csv(tmp_path, air):
    p = tmp_path / "air.csv"
    air.to_csv(p, index=False)
    return p


def panel(n_series: int = 6, seed: int = 0) -> pd.DataFrame:
    """Yearly series with trends and noise, 15 to 30 points each, in long format."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_series):
        n = int(rng.integers(15, 31))
        y = 100 + rng.normal(5, 2) * np.arange(n) + rng.normal(0, 3, n).cumsum()
        rows.append(pd.DataFrame({"id": f"s{i}", "year": pd.date_range("1990", periods=n, freq="YS"), "y": y}))
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------------- preparation
@pytest.mark.parametrize("cfg", [ScalerConfig(transform="log"), ScalerConfig(transform="boxcox"), ScalerConfig(transform="none", scale="minmax"),
                                 ScalerConfig(transform="log", difference=1), ScalerConfig(transform="none", scale="none", difference=1),
                                 ScalerConfig(scale="minmax", range_lo=-1, range_hi=1)])
def test_scaler_round_trips(cfg, air):
    y = air["value"].to_numpy(float)
    sc = Scaler(cfg).fit([y])
    u = sc.transform(0, y)
    assert len(u) == len(y) - cfg.difference
    back = sc.inverse(0, u, sc.anchor(0, y[:1]))
    np.testing.assert_allclose(back, y[cfg.difference:], rtol=1e-9)
    again = Scaler.from_dict(json.loads(json.dumps(sc.to_dict())))
    np.testing.assert_allclose(again.transform(0, y), u)


def test_minmax_golden_numbers():
    sc = Scaler(ScalerConfig(transform="none", scale="minmax")).fit([np.array([2.0, 4.0, 6.0])])
    np.testing.assert_allclose(sc.transform(0, np.array([2.0, 4.0, 6.0, 8.0])), [0.0, 0.5, 1.0, 1.5])
    assert Scaler(ScalerConfig()).fit([np.array([1.0, -1.0])]).transforms == ["none"]  # auto: log only when positive


def test_changes_scale_golden_numbers_and_auto_resolution():
    y = np.array([10.0, 12.0, 11.0, 15.0])  # one-step changes 2, -1, 4: mean absolute change 7/3
    sc = Scaler(ScalerConfig(transform="none", scale="changes")).fit([y])
    np.testing.assert_allclose(sc.transform(0, y), (y - 12.0) / (7 / 3))
    np.testing.assert_allclose(sc.inverse(0, sc.transform(0, y)), y)
    # auto: one network pooling several series weighs them alike by their typical step; one series is standardised
    assert Scaler(ScalerConfig(transform="none")).fit([y]).config.scale == "standard"
    both = Scaler(ScalerConfig(transform="none")).fit([y, 3 * y])
    assert both.config.scale == "changes" and both.spread == pytest.approx([7 / 3, 7.0])
    assert Scaler.from_dict(json.loads(json.dumps(both.to_dict()))).config.scale == "changes"  # saved resolved


def test_panel_lookback_is_cut_to_the_longest_series_room_and_short_series_are_padded():
    df = panel(5)
    shorts = [pd.DataFrame({"id": f"tiny{k}", "year": pd.date_range("1990", periods=7, freq="YS"), "y": np.linspace(50, 80, 7) + k})
              for k in range(6)]
    df = pd.concat([df, *shorts], ignore_index=True)  # 11 series, the median one of 7 points: room for a look-back of 4
    fc = lstmkit.Forecaster(horizon=3, seed=0, **TINY).fit(df, target="y", time="year", id="id")
    assert fc.spec.lookback == 6 and fc.summary["lookback"] == 6  # twice the horizon; the short series padded, not every window cut to 4
    assert fc.scaler.config.scale == "changes" and fc.config.scale == "auto"
    p = fc.predict()
    assert len(p[p["id"] == "tiny0"]) == 3 and np.isfinite(p["mean"]).all()
    explicit = lstmkit.Forecaster(horizon=3, seed=0, lookback=6, **TINY).fit(df, target="y", time="year", id="id")
    assert explicit.spec.lookback == 6  # the default, passed by hand, is taken as it is
    longest = int(df.groupby("id").size().max())
    with pytest.raises(LstmkitError, match=f"the longest series has {longest} rows, fewer than the look-back plus the horizon"):
        lstmkit.Forecaster(horizon=3, seed=0, lookback=longest - 2, **TINY).fit(df, target="y", time="year", id="id")
    alone = lstmkit.Forecaster(horizon=3, seed=0, **TINY).fit(shorts[0], target="y", time="year", id="id")
    assert alone.spec.lookback == 4 and alone.scaler.config.scale == "standard"  # one series: its own room, standardised


def test_series_set_cut_holds_out_the_points_after_the_cut():
    df = pd.DataFrame({"id": ["a"] * 6 + ["b"] * 4, "t": list(range(6)) + list(range(4)), "v": [1., 2, 3, 4, 5, 6, 10, 20, 30, 40],
                       "k": np.arange(10.0)})
    ss = to_series(df, "v", None, "id", known=("k",))
    cut, actuals = ss.cut(2, offset=1)  # drop the last point, hold out the two before it
    assert [v.tolist() for v in cut.values] == [[1, 2, 3], [10]]
    assert [a.tolist() for a in actuals] == [[4, 5], [20, 30]]
    assert [k[:, 0].tolist() for k in cut.known] == [[0, 1, 2], [6]] and [len(t) for t in cut.times] == [3, 1]
    assert cut.ids == ss.ids and cut.known_names == ["k"]


def test_log_needs_positive_values():
    with pytest.raises(LstmkitError, match="needs positive values"):
        Scaler(ScalerConfig(transform="log")).fit([np.array([1.0, 0.0, 2.0])])


@pytest.mark.parametrize("difference", [0, 1])
def test_seasonal_adjustment_round_trips_at_any_offset(air, difference):
    y = air["value"].to_numpy(float)
    sc = Scaler(ScalerConfig(transform="log", difference=difference)).fit([y[:120]], season=12)
    prof = np.asarray(sc.profiles[0])
    assert prof.shape == (12,) and abs(prof.sum()) < 1e-9
    # phase 0 is the last training month (December 1958); the July-August peak is 7-8 months later
    assert int(np.argmax(prof)) in (7, 8) and int(np.argmin(prof)) == 11
    for cut in (60, 120, 144):  # a stretch ending before, at and after the training end
        end = cut - 120
        u = sc.transform(0, y[:cut], end)
        back = sc.inverse(0, u[-10:], sc.anchor(0, y[:cut - 10], end - 10), end - 10)
        np.testing.assert_allclose(back, y[cut - 10:cut], rtol=1e-9)
    # the offsets ahead are the latest season's: over the last 4 years the series adjusted by them alone is no
    # longer seasonal (strength 0.98 -> 0.56, under the 0.64 rule), but the early years, with a smaller swing,
    # keep some of it (0.82); adjusted by each year's own season, as the scaler does, no year keeps any
    from lstmkit.data.seasonal import is_seasonal

    z = np.log(y[:120])
    by_last = z - np.asarray(prof)[(np.arange(120) - 119) % 12]
    assert is_seasonal(z[-48:], 12) and not is_seasonal(by_last[-48:], 12) and is_seasonal(by_last[:48], 12)
    assert sc.adjusted_by_time(0) and len(sc.histories[0]) == 120
    if not difference:
        adjusted = sc.transform(0, y[:120])
        assert not is_seasonal(adjusted[:48], 12) and not is_seasonal(adjusted[-48:], 12)
    again = Scaler.from_dict(json.loads(json.dumps(sc.to_dict())))
    np.testing.assert_allclose(again.transform(0, y, 24), sc.transform(0, y, 24))


def test_seasonal_adjustment_only_where_a_season_is_found():
    rng = np.random.default_rng(0)
    noise = 100 + rng.normal(0, 1, 120)
    sc = Scaler(ScalerConfig()).fit([noise, noise[:20]], season=12)
    assert sc.profiles == [[], []]  # white noise fails the test; 20 points are under 2 seasons
    assert Scaler(ScalerConfig(deseason="always")).fit([noise], season=12).profiles[0] != []
    # two cycles are too few for the strength test (STL gives any series a season there): a seasonless trend
    # of 24 months is left alone by auto, though it scores over 0.64; with 3 cycles a clear season is still found
    from lstmkit.data.seasonal import STRENGTH, _stl, strength

    trend = 100 + 2.0 * np.arange(24) + rng.normal(0, 3, 24)
    assert strength(_stl(trend, 12)) >= STRENGTH and Scaler(ScalerConfig()).fit([trend], season=12).profiles == [[]]
    assert Scaler(ScalerConfig(deseason="always")).fit([trend], season=12).profiles[0] != []
    seasonal = 100 + 10 * np.sin(2 * np.pi * np.arange(36) / 12) + rng.normal(0, 1, 36)
    assert Scaler(ScalerConfig()).fit([seasonal], season=12).profiles[0] != []
    assert Scaler(ScalerConfig(deseason="none")).fit([np.log(airpassengers()["value"].to_numpy(float))], season=12).profiles == [[]]
    with pytest.raises(LstmkitError, match="deseason"):
        ScalerConfig(deseason="yes")
    old = Scaler(ScalerConfig()).fit([noise]).to_dict()
    del old["profiles"], old["histories"]  # a model saved before seasonal adjustment
    assert Scaler.from_dict(old).profiles == [[]] and Scaler.from_dict(old).histories == [[]]


def test_seasonal_offsets_by_position():
    from lstmkit.data.seasonal import ahead, offsets

    prof = [0.0, 1.0, -1.0]  # phases 0, 1, 2 from the training end
    hist = [5.0, 6.0, 7.0, 8.0]  # the season at the last 4 training points (positions -3 .. 0)
    # positions -5 .. 0: before the stored points the first stored cycle repeats by phase, then the stored values
    np.testing.assert_allclose(offsets(prof, 6, 0, hist), [6.0, 7.0, 5.0, 6.0, 7.0, 8.0])
    np.testing.assert_allclose(offsets(prof, 6), [1.0, -1.0, 0.0, 1.0, -1.0, 0.0])  # no history: the last cycle throughout
    # after the training end the last cycle's offsets; a stretch ending 2 steps before it reads the stored values
    np.testing.assert_allclose(ahead(prof, 4, 0, hist), [1.0, -1.0, 0.0, 1.0])
    np.testing.assert_allclose(ahead(prof, 4, -2, hist), [7.0, 8.0, 1.0, -1.0])
    np.testing.assert_allclose(offsets(prof, 2, 3, hist), [-1.0, 0.0])


def test_saved_seasonal_histories_are_checked(air):
    d = Scaler(ScalerConfig(transform="log")).fit([air["value"].to_numpy(float)], season=12).to_dict()
    assert len(d["histories"][0]) == 144
    for bad in ([[1.0] * 5], [[float("nan")] * 144], "x", [[1.0] * 144, []]):
        with pytest.raises(LstmkitError, match="histories"):
            Scaler.from_dict({**d, "histories": bad})
    before = Scaler.from_dict({k: v for k, v in d.items() if k != "histories"})  # saved before: the last cycle throughout
    assert not before.adjusted_by_time(0) and before.seasonal(0) == d["profiles"][0]


def test_frequency_season_and_calendar(air):
    ss = to_series(air, "value", "date")
    assert ss.freq == "MS" and season_for(ss.freq) == 12 and season_for("D") == 7 and season_for("YS") == 1
    # multiples divide their unit's period; sub-daily steps take the day (up to 288 steps), else the hour
    assert [season_for(f) for f in ("3MS", "2h", "2D", "30min", "5min", "min", "10s")] == [4, 12, 1, 48, 288, 60, 6]
    cal = calendar(ss.times[0][:13], ss.freq)
    assert cal.shape == (13, 2)
    np.testing.assert_allclose(cal[0], cal[12])  # January again
    np.testing.assert_allclose(cal[0], [0.0, 1.0], atol=1e-12)


def test_the_time_column_is_found_when_none_is_named(air):
    # read back from a CSV: 'date' is text, the one column of dates -> monthly, season 12
    text = air.assign(date=air["date"].dt.strftime("%Y-%m-%d"))
    ss = to_series(text, None)
    assert (ss.target, ss.time_col, ss.freq) == ("value", "date", "MS")
    assert find_time_column(text.assign(store="north", day="Monday")) == "date"  # words are not dates
    # two date columns: the one named like a time wins; two unnamed ones stay row order
    both = text.assign(opened=text["date"])
    assert find_time_column(both) == "date"
    assert find_time_column(both.rename(columns={"date": "start"})) is None
    assert to_series(both.rename(columns={"date": "start"}), "value").time_col is None
    assert to_series(text, "value", find_time=False).time_col is None  # a saved model's reading keeps its columns
    assert find_time_column(pd.DataFrame({"y": [1.0, 2.0], "code": ["A1", "B2"]})) is None


def test_quarters_as_r_writes_them_and_dates_pandas_guesses(recwarn):
    q = pd.DataFrame({"Quarter": [f"{1970 + i // 4} Q{i % 4 + 1}" for i in range(12)], "y": np.arange(12.0)})
    ss = to_series(q, None)
    assert ss.time_col == "Quarter" and season_for(ss.freq) == 4 and ss.times[0][1] == pd.Timestamp("1970-04-01")
    m = pd.DataFrame({"Month": ["1991 Jul", "1991 Aug", "1991 Sep", "1991 Oct"], "y": [1.0, 2, 3, 4]})
    assert to_series(m, "y").freq == "MS"
    assert not [w for w in recwarn if "infer format" in str(w.message)]  # pandas' parsing notes stay quiet
    with pytest.raises(LstmkitError, match="'1970 Q5' at row 2"):
        to_series(pd.DataFrame({"Quarter": ["1970 Q4", "1970 Q5"], "y": [1.0, 2]}), "y", "Quarter")


def test_forecaster_records_the_found_time_column(tmp_path, air_csv):
    fc = lstmkit.Forecaster(horizon=3, hidden=8, ensemble=1, steps=20).fit(air_csv)
    assert fc.columns.time == "date" and fc.summary["season"] == 12
    assert list(fc.predict().columns[:2]) == ["date", "mean"]
    assert fc.predict().iloc[0]["date"] == pd.Timestamp("1961-01-01")


# ---------------------------------------------------------------------------- windows
def test_window_indices_padding_and_mask():
    spec = WindowSpec(lookback=4, horizon=3, season=2, normalize=True, calendar=0, past=0, known=0)
    u = np.arange(10, dtype=np.float32)
    s = Prepared(u, np.zeros((13, 0), np.float32), np.zeros((10, 0), np.float32), np.zeros((10, 0), np.float32))
    x, fut, y, m, level = window(spec, s, t=6, limit=10)
    assert level == pytest.approx(4.5)  # mean of the last season (4, 5)
    np.testing.assert_allclose(x[:, 0], np.array([2, 3, 4, 5]) - 4.5)
    np.testing.assert_allclose(x[:, 1], 1.0)
    np.testing.assert_allclose(y, np.array([6, 7, 8]) - 4.5)
    x, _, y, m, level = window(spec, s, t=2, limit=4)  # two real points, padded on the left; targets end at 4
    np.testing.assert_allclose(x[:, 1], [0, 0, 1, 1])
    np.testing.assert_allclose(x[:2, 0], 0.0)
    np.testing.assert_allclose(m, [1, 1, 0])
    w = build_windows(spec, [s], [range(2, 10)], [10])
    assert w["x"].shape == (8, 4, 2) and w["y"].shape == (8, 3)
    assert w["mask"][-1].tolist() == [1, 0, 0]  # the last origin has one target left
    # a seasonally adjusted series sets its own level span: here the last point alone
    s.level_span = 1
    _, _, y, _, level = window(spec, s, t=6, limit=10)
    assert level == pytest.approx(5.0)
    np.testing.assert_allclose(y, np.array([6, 7, 8]) - 5.0)


def ar1(n: int = 200, phi: float = 0.8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e, y = rng.normal(size=n), np.zeros(n)
    for t in range(1, n):
        y[t] = phi * y[t - 1] + e[t]
    return y


def test_stationarity_test_and_the_panel_majority():
    rng = np.random.default_rng(1)
    assert is_stationary(ar1())
    assert not is_stationary(np.cumsum(rng.normal(size=200)))  # a random walk
    assert not is_stationary(np.arange(100.0) + rng.normal(size=100))  # a trend
    assert not is_stationary(ar1(7)) and not is_stationary(np.ones(50))  # too short to test; constant
    walks = [np.cumsum(rng.normal(0.5, 1.0, size=200)) for _ in range(2)]  # with a drift
    assert level_input_for("auto", [ar1(phi=0.5, seed=2), ar1(phi=0.5, seed=3)] + walks[:1]) == (True, 2, 3)
    assert level_input_for("auto", [ar1(phi=0.5, seed=2)] + walks) == (False, 1, 3)
    assert level_input_for("on", walks) == (True, 0, 0) and level_input_for("off", [ar1()]) == (False, 0, 0)
    with pytest.raises(LstmkitError, match="unknown --level-input 'x'"):
        level_input_for("x", [])


def test_level_input_channel_holds_the_window_level():
    spec = WindowSpec(lookback=4, horizon=2, season=1, normalize=True, calendar=0, past=0, known=0, level_input=True)
    assert spec.inputs == 3
    u = np.arange(10, dtype=np.float32)
    s = Prepared(u, np.zeros((12, 0), np.float32), np.zeros((10, 0), np.float32), np.zeros((10, 0), np.float32))
    x, _, y, _, level = window(spec, s, t=6, limit=10)
    assert level == 5.0
    np.testing.assert_allclose(x[:, 0], np.array([2, 3, 4, 5]) - 5.0)
    np.testing.assert_allclose(x[:, 2], 5.0)  # the level itself, where the points are real
    x, _, _, _, level = window(spec, s, t=2, limit=10)
    np.testing.assert_allclose(x[:, 2], [0, 0, 1, 1])  # padding stays 0 (level 1 = the last point, u[1])


def test_stationary_series_get_the_level_input_and_keep_it_through_save_load(tmp_path):
    idx = pd.date_range("2000", periods=200, freq="MS")
    fc = lstmkit.Forecaster(horizon=6, seed=0, **TINY).fit(pd.Series(ar1() + 10, idx))
    assert fc.spec.level_input and fc.summary["level_input"] and fc.net.config.inputs == fc.spec.inputs
    fc.save(tmp_path / "m")
    back = lstmkit.load(tmp_path / "m")
    assert back.spec.level_input
    pd.testing.assert_frame_equal(fc.predict(), back.predict())
    trend = pd.Series(np.arange(200.0) + np.random.default_rng(0).normal(size=200) + 10, idx)
    assert not lstmkit.Forecaster(horizon=6, seed=0, **TINY).fit(trend).spec.level_input
    assert lstmkit.Forecaster(horizon=6, seed=0, level_input="on", **TINY).fit(trend).spec.level_input
    assert not lstmkit.Forecaster(horizon=6, seed=0, level_input="off", **TINY).fit(pd.Series(ar1() + 10, idx)).spec.level_input
    assert not lstmkit.Forecaster(horizon=6, seed=0, normalize=False, **TINY).fit(pd.Series(ar1() + 10, idx)).spec.level_input
    with pytest.raises(LstmkitError, match="--level-input on gives the network the window level that --normalize removes"):
        lstmkit.Forecaster(horizon=6, normalize=False, level_input="on")


def test_a_model_saved_before_the_level_input_still_loads(tmp_path):
    idx = pd.date_range("2000", periods=120, freq="MS")
    fc = lstmkit.Forecaster(horizon=6, seed=0, level_input="off", **TINY).fit(pd.Series(np.arange(120.0) + 10, idx))
    fc.save(tmp_path / "m")
    cfg_path = tmp_path / "m" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    del cfg["spec"]["level_input"], cfg["forecast"]["level_input"]
    cfg_path.write_text(json.dumps(cfg))
    remanifest(tmp_path / "m")
    back = lstmkit.load(tmp_path / "m")
    assert not back.spec.level_input
    pd.testing.assert_frame_equal(fc.predict(), back.predict())


# ---------------------------------------------------------------------------- network
def test_quantiles_never_cross_and_one_batch_overfits():
    torch.manual_seed(0)
    cfg = ForecastNetConfig(inputs=2, future=0, horizon=3, quantiles=[0.025, 0.1], hidden=16)
    net = ForecastNet(cfg)
    x = torch.randn(8, 5, 2)
    y = torch.randn(8, 3)
    mask = torch.ones(8, 3)
    out = net(x, torch.zeros(8, 3, 0))
    assert out.shape == (8, 3, 5)
    ordered = out[..., [1, 2, 0, 3, 4]]  # lo-95, lo-80, mean, hi-80, hi-95
    assert (ordered.diff(dim=-1) >= 0).all()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = None
    for _ in range(300):
        loss = net.loss_terms(net(x, torch.zeros(8, 3, 0)), y, mask).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05 * first


# ---------------------------------------------------------------------------- fit, predict, save, load
def test_fit_predict_columns_and_levels(air):
    fc = lstmkit.Forecaster(horizon=6, seed=0, **TINY).fit(air, target="value", time="date")
    p = fc.predict()
    assert list(p.columns) == ["date", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert len(p) == 6 and p["date"].iloc[0] == pd.Timestamp("1961-01-01")
    assert (p["lo-95"] <= p["lo-80"]).all() and (p["lo-80"] <= p["mean"]).all() and (p["mean"] <= p["hi-80"]).all()
    assert list(fc.predict(3, levels=[80]).columns) == ["date", "mean", "lo-80", "hi-80"]
    assert len(fc.predict(14)) == 14  # beyond the horizon: fed back
    with pytest.raises(LstmkitError, match="was not trained"):
        fc.predict(levels=[90])
    with pytest.raises(LstmkitError, match="positive number"):
        fc.predict(0)


def test_same_seed_same_forecast_and_save_load_identical(tmp_path, air):
    a = lstmkit.Forecaster(horizon=4, seed=3, **TINY).fit(air, target="value", time="date")
    b = lstmkit.Forecaster(horizon=4, seed=3, **TINY).fit(air, target="value", time="date")
    pd.testing.assert_frame_equal(a.predict(), b.predict())
    a.save(tmp_path / "m")
    loaded = lstmkit.load(tmp_path / "m")
    assert isinstance(loaded, lstmkit.Forecaster)
    pd.testing.assert_frame_equal(loaded.predict(), a.predict())
    pd.testing.assert_frame_equal(loaded.predict(5, air.iloc[:100]), a.predict(5, air.iloc[:100]))


def test_seasonal_phase_follows_the_history_given(air):
    fc = lstmkit.Forecaster(horizon=12, seed=0, **TINY).fit(air.iloc[:120], target="value", time="date")
    assert fc.scaler.profiles[0] and fc.summary["deseasoned"] == 1
    args = (0, air["value"].to_numpy(float)[:120], pd.DatetimeIndex(air["date"][:120]), np.zeros((120, 0)), np.zeros((120, 0)), 12)
    assert prepare(fc, *args).level_span == 1  # adjusted by each year's season: the last point is the level
    saved_before = Scaler.from_dict({k: v for k, v in fc.scaler.to_dict().items() if k != "histories"})
    assert prepare(fc, *args, scaler=saved_before).level_span == 3  # by the last cycle throughout: the last quarter season
    # from the saved tails, from the same history passed in, and from a history a year shorter or longer:
    # each forecast's peak is July or August of the year after its history ends
    for hist in (None, air.iloc[:120], air.iloc[:108], air):
        p = fc.predict(12, hist)
        assert p["date"].iloc[int(np.argmax(p["mean"].to_numpy()))].month in (7, 8)
    pd.testing.assert_frame_equal(fc.predict(), fc.predict(12, air.iloc[:120]))
    # without the adjustment a tiny network has not learnt the season from 40 steps
    flat = lstmkit.Forecaster(horizon=12, seed=0, deseason="none", **TINY).fit(air.iloc[:120], target="value", time="date")
    assert flat.scaler.profiles == [[]] and np.ptp(flat.predict()["mean"]) < np.ptp(fc.predict()["mean"])
    actual, one = fc.one_step(air, start=120)
    assert len(one) == 24 and np.sqrt(np.mean((one - actual) ** 2)) < 0.15 * actual.mean()


def test_recursive_strategy_and_series_input(air):
    s = air.set_index("date")["value"]
    fc = lstmkit.Forecaster(horizon=5, seed=0, strategy="recursive", **TINY).fit(s)
    p = fc.predict()
    assert len(p) == 5 and fc.spec.horizon == 1 and np.isfinite(p["mean"]).all()
    assert p["date"].iloc[0] == pd.Timestamp("1961-01-01")  # the index's name


def test_panel_global_model_and_unseen_series():
    df = panel()
    fc = lstmkit.Forecaster(horizon=3, seed=0, **TINY).fit(df, target="y", time="year", id="id")
    p = fc.predict()
    assert sorted(p["id"].unique()) == sorted(df["id"].unique()) and len(p) == 3 * 6
    new = df[df["id"] == "s0"].assign(id="fresh")
    q = fc.predict(3, new)
    assert q["id"].unique().tolist() == ["fresh"]


def test_known_covariates_need_their_future(air, tmp_path):
    df = air.assign(promo=(np.arange(len(air)) % 7 == 0).astype(float))
    fc = lstmkit.Forecaster(horizon=3, seed=0, **TINY).fit(df.iloc[:-3], target="value", time="date", known=["promo"])
    with pytest.raises(LstmkitError, match="--future"):
        fc.predict(3, df.iloc[:-3])
    p = fc.predict(3, df.iloc[:-3], future=df.iloc[-3:][["promo"]])
    assert len(p) == 3
    # from the end of the training data, with the covariate's last stretch saved in the model: the same forecast
    again = lstmkit.load(fc.save(tmp_path / "m"))
    pd.testing.assert_frame_equal(again.predict(3, future=df.iloc[-3:][["promo"]]), p)


def test_evaluate_and_backtest_tables(air):
    fc = lstmkit.Forecaster(horizon=6, seed=0, **TINY).fit(air.iloc[:-6], target="value", time="date")
    r = evaluate(fc, air, with_classical=False)
    assert set(r["table"]) == {"lstmkit", "naive", "seasonal naive", "drift"}
    assert r["seen"] == 0  # the 6 scored months came after the training data
    assert evaluate(fc, air.iloc[:-2], with_classical=False)["seen"] == 2  # months -8 and -7 were trained on
    assert r["table"]["seasonal naive"]["rmse"] == pytest.approx(metrics(air["value"].to_numpy()[-6:], air["value"].to_numpy()[-18:-12],
                                                                         air["value"].to_numpy()[:-6], 12)["rmse"])
    b = backtest(air, "value", "date", horizon=3, windows=2, step=2, with_classical=False, **TINY)
    assert len(b["windows"]) == 2 and 0.0 <= b["coverage"]["80"] <= 1.0
    # every origin's rows, as statsforecast's cross_validation lays them out: the earlier origin ends 2 months earlier
    f, y, dates = b["forecasts"], air["value"].to_numpy(), air["date"].to_numpy()
    assert list(f.columns) == ["date", "cutoff", "actual", "mean", "lo-80", "hi-80", "lo-95", "hi-95", "naive", "seasonal naive", "drift"]
    assert list(f["cutoff"]) == [dates[-6]] * 3 + [dates[-4]] * 3
    assert list(f["date"]) == [*dates[-5:-2], *dates[-3:]] and list(f["actual"]) == [*y[-5:-2], *y[-3:]]
    assert list(f["seasonal naive"]) == [*y[-17:-14], *y[-15:-12]]  # the same months a year before
    for w, rows in zip(b["windows"], (f.iloc[:3], f.iloc[3:])):  # the rows are what each origin's table scored
        assert w["table"]["lstmkit"]["rmse"] == pytest.approx(np.sqrt(np.mean((rows["mean"] - rows["actual"]) ** 2)))
    with pytest.raises(TypeError, match="backtest.. got an unexpected keyword argument 'classical'; did you mean 'with_classical'"):
        backtest(air, "value", "date", horizon=3, classical=False, **TINY)


def test_interval_calibration_golden_numbers():
    from lstmkit.models.forecast_intervals import coverage, interval_scale, quantile_scale

    # one level (80): mean 0, interval [-1, 1]; held-out misses of 0.5, 1.5, -3, 0.2, -0.8 need factors .5 1.5 3 .2 .8
    pred = np.array([[[0.0, -1.0, 1.0]] * 5])  # (1, 5, 1 + 2)
    y = np.array([[0.5, 1.5, -3.0, 0.2, -0.8]])
    assert interval_scale(pred, y, np.ones_like(y), [80]) == {"80": 3.0}  # the 80th percentile, "higher": 3.0
    assert interval_scale(pred, np.zeros_like(y), np.ones_like(y), [80]) == {"80": 1.0}  # never narrowed
    np.testing.assert_allclose(quantile_scale({"80": 2.0, "95": 3.0}, [95, 80]), [3.0, 2.0, 2.0, 3.0])
    q = np.array([[-3.0, -1.0, 1.0, 3.0]] * 4)  # lo-95, lo-80, hi-80, hi-95
    assert coverage([np.array([0.0, 2.0, -2.5, 9.0])], [q], [80, 95]) == {"80": 0.25, "95": 0.75}


def test_metrics_golden_numbers():
    m = metrics(np.array([10.0, 20.0]), np.array([12.0, 18.0]), np.array([1.0, 2.0, 4.0, 7.0]), 1)
    assert m["rmse"] == pytest.approx(2.0) and m["mae"] == pytest.approx(2.0)
    assert m["mape"] == pytest.approx(15.0) and m["mase"] == pytest.approx(1.0)  # in-sample naive MAE is 2


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("frame, kwargs, message", [
    (pd.DataFrame({"date": pd.date_range("2000", periods=30, freq="MS"), "v": 1.0}), {"target": "value"}, "'value' is not in the table"),
    (pd.DataFrame({"date": pd.date_range("2000", periods=30, freq="MS"), "value": ["1"] * 29 + ["x"]}), {}, "holds text"),
    (pd.DataFrame({"date": pd.date_range("2000", periods=30, freq="MS"), "value": [1.0] * 10 + [np.nan] + [1.0] * 19}), {}, "missing 1 value"),
    (pd.DataFrame({"date": pd.date_range("2000", periods=10, freq="MS"), "value": 1.0}), {"lookback": 8}, "fewer than the look-back plus the horizon"),
    (pd.DataFrame({"date": list(pd.date_range("2000", periods=30, freq="MS"))[::-1], "value": 1.0}), {}, "time goes backwards"),
    (pd.DataFrame({"date": [pd.Timestamp("2000-01-01")] * 2 + list(pd.date_range("2000-02-01", periods=28, freq="MS")), "value": 1.0}), {}, "appears twice"),
    (pd.DataFrame({"date": pd.to_datetime(["2000-01-01", "2000-01-02", "2000-01-05", "2000-01-06"] * 1), "value": 1.0}), {}, "irregular"),
])
def test_bad_input_is_one_clear_error(frame, kwargs, message):
    target = kwargs.pop("target", "value")
    with pytest.raises(LstmkitError, match=message):
        lstmkit.Forecaster(horizon=3, **TINY, **kwargs).fit(frame, target=target, time="date")


def test_a_wide_table_is_told_how_to_become_long():
    wide = pd.DataFrame({"date": pd.date_range("2000", periods=30, freq="MS"), "A": 1.0, "B": 2.0})
    with pytest.raises(LstmkitError, match="2 numeric columns \\(A, B\\); for one series per column, reshape .* pass --id"):
        lstmkit.Forecaster(horizon=3, **TINY).fit(wide)


def test_a_saved_index_is_not_the_target(tmp_path, air):
    air.to_csv(tmp_path / "a.csv")  # with pandas' index, read back as "Unnamed: 0"
    fc = lstmkit.Forecaster(horizon=3, **TINY).fit(str(tmp_path / "a.csv"))
    assert fc.columns.target == "value" and fc.columns.time == "date"


def test_bad_horizon_and_fill():
    with pytest.raises(LstmkitError, match="positive"):
        lstmkit.Forecaster(horizon=0)
    df = pd.DataFrame({"date": pd.date_range("2000", periods=40, freq="MS"), "value": [1.0 + (i % 12) for i in range(40)]})
    df.loc[5, "value"] = np.nan
    fc = lstmkit.Forecaster(horizon=3, **TINY).fit(df, target="value", time="date", fill="linear")
    assert np.isfinite(fc.predict()["mean"]).all()


# ---------------------------------------------------------------------------- CLI
def test_cli_train_predict_evaluate_info_backtest(tmp_path, run_cli, air_csv):
    out = tmp_path / "m"
    code, stdout, err = run_cli("forecast", "train", air_csv, "--target", "value", "--time", "date", "--horizon", "6", "--out", out,
                                "--hidden", "8", "--ensemble", "2", "--steps", "30", "-q", "--plot", tmp_path / "v.png")
    assert code == 0, err
    assert "seasonal naive" in stdout and "lstmkit" in stdout and (tmp_path / "v.png").stat().st_size > 1000
    code, stdout, err = run_cli("forecast", "predict", out, "--horizon", "4")
    assert code == 0, err
    lines = stdout.strip().splitlines()
    assert lines[0] == "date,mean,lo-80,hi-80,lo-95,hi-95" and len(lines) == 5
    code, stdout, err = run_cli("forecast", "predict", out, "--out", tmp_path / "f.csv", "--plot", tmp_path / "f.png")
    assert code == 0 and len(pd.read_csv(tmp_path / "f.csv")) == 6
    code, stdout, err = run_cli("forecast", "evaluate", out, air_csv, "--json")
    assert code == 0, err
    assert set(json.loads(stdout)["table"]) >= {"lstmkit", "naive", "drift"}
    # the model trained on every month of air_csv: its score there is in-sample, and the command says so
    assert json.loads(stdout)["seen_in_training"] == 6 and "6 of the 6 scored points are in the model's training data" in err
    assert ("fitting the classical baselines" in err) == classical_available()
    code, stdout, err = run_cli("forecast", "evaluate", out, air_csv, "--no-classical")
    assert code == 0 and "fitting the classical baselines" not in err and "AutoETS" not in stdout
    code, stdout, err = run_cli("info", out)
    assert code == 0 and "forecast" in stdout and "auto: log" in stdout  # what "auto" chose, not only the option
    assert lstmkit.load(out).info()["chosen"] == {"transforms": {"log": 1}, "scale": "standard"}
    code, stdout, err = run_cli("forecast", "backtest", air_csv, "--target", "value", "--time", "date", "--horizon", "3", "--windows", "2",
                                "--ensemble", "1", "--steps", "20", "--out", tmp_path / "cv.csv", "--plot", tmp_path / "cv.png")
    assert code == 0, err
    assert "mean over origins" in stdout and "6 forecast rows written" in err
    cv = pd.read_csv(tmp_path / "cv.csv")
    assert len(cv) == 6 and list(cv.columns[:4]) == ["date", "cutoff", "actual", "mean"]
    assert (tmp_path / "cv.png").read_bytes()[:4] == b"\x89PNG"
    # - writes the rows to stdout, so the table goes to stderr; with --json both would be stdout's
    code, stdout, err = run_cli("forecast", "backtest", air_csv, "--horizon", "3", "--windows", "2", "--ensemble", "1", "--steps", "20",
                                "--out", "-", "-q")
    assert code == 0 and stdout.startswith("date,cutoff,actual,mean") and "mean over origins" in err
    code, stdout, err = run_cli("forecast", "backtest", air_csv, "--horizon", "3", "--json", "--out", "-")
    assert code != 0 and "--json and --out - would both write to stdout" in err and not stdout


def test_cli_backtest_takes_the_options_train_takes(tmp_path, run_cli, air):
    # a backtest refits what train would fit: the network, preparation and budget options and the covariates
    p = tmp_path / "promo.csv"
    air.assign(promo=(np.arange(len(air)) % 7 == 0).astype(float)).to_csv(p, index=False)
    common = ("forecast", "backtest", p, "--target", "value", "--horizon", "3", "--windows", "2", "--ensemble", "1", "--steps", "20",
              "--no-classical")
    code, stdout, err = run_cli(*common, "--known", "promo", "--hidden", "4", "--level", "90", "--json", "-q")
    assert code == 0, err
    assert list(json.loads(stdout)["coverage"]) == ["90"] and "window 1 of 2" not in err
    code, stdout, err = run_cli(*common, "--known", "price")
    assert code != 0 and "price" in err and "Traceback" not in err
    code, stdout, err = run_cli(*common, "--cell", "rnn")
    assert code != 0 and "unknown cell 'rnn'" in err and "Traceback" not in err


def test_bad_inputs_name_the_option_that_would_fix_them(tmp_path, run_cli):
    days = pd.date_range("2000-01-01", periods=80, freq="D")
    panel = pd.concat([pd.DataFrame({"date": days, "store": s, "value": np.arange(80) % 7 + i}) for i, s in enumerate("AB")])
    for frame, message in ((panel, "time goes backwards at row 81"), (panel.sort_values("date", kind="stable"), "appears twice")):
        with pytest.raises(LstmkitError, match=f"{message}.*if the table holds several series, pass --id store"):
            lstmkit.Forecaster(horizon=7, **TINY).fit(frame, target="value", time="date")
    one = panel[panel["store"] == "A"]
    with pytest.raises(LstmkitError, match="column 'promo' is not in the table .*; check --known"):
        lstmkit.Forecaster(horizon=7, **TINY).fit(one, target="value", time="date", known=["promo"])
    with pytest.raises(LstmkitError, match="column 'value' has no value at all, nothing to fill from"):
        lstmkit.Forecaster(horizon=7, **TINY).fit(one.assign(value=np.nan), target="value", time="date", fill="zero")
    p = tmp_path / "one.csv"
    one.to_csv(p, index=False)
    code, _, err = run_cli("forecast", "backtest", p, "--target", "value", "--horizon", "30", "--windows", "30", "--steps", "5",
                           "--ensemble", "1", "--no-classical", "-q")
    assert code == 2 and "origin 1 of 30, 59 points before the end" in err and "--windows" in err and "Traceback" not in err


def test_cli_demo_and_seed_recipe(tmp_path, run_cli):
    code, stdout, err = run_cli("forecast", "train", "--demo", "--recipe", "airline-seed", "--epochs", "2", "--out", tmp_path / "seed", "-q")
    assert code == 0, err
    assert "one-step RMSE train" in stdout


@pytest.mark.parametrize("args, message", [
    (["--horizon", "0"], "positive"),
    (["--target", "nope"], "'nope' is not in the table"),
    (["--fill", "magic"], "unknown --fill"),
    (["--level-input", "maybe"], "unknown --level-input 'maybe'"),
])
def test_cli_bad_input_one_line(tmp_path, run_cli, air_csv, args, message):
    code, stdout, err = run_cli("forecast", "train", air_csv, "--time", "date", "--out", tmp_path / "m", "-q", "--steps", "5", *args)
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_refuses_a_text_model(tmp_path, run_cli, tiny_file):
    code, _, err = run_cli("train", tiny_file, "--out", tmp_path / "t", "--steps", "3", "--hidden", "8", "--layers", "1", "-q")
    assert code == 0, err
    code, _, err = run_cli("forecast", "predict", tmp_path / "t")
    assert code == 2 and "not a forecasting model" in err and "Traceback" not in err


@pytest.mark.parametrize("text", ["v\n1.5\n2.25\n3.0\n", "t;v\n1;1,5\n2;2,25\n3;3\n", "t;v\n1;1.5\n2;2.25\n3;3\n",
                                  "t\tv\n1\t1.5\n2\t2.25\n3\t3.0\n", "t   v\n1   1.5\n2   2.25\n3   3.0\n"])
def test_csv_delimiters(tmp_path, text):
    from lstmkit.data.tables import read_table

    p = tmp_path / "s.csv"
    p.write_text(text)
    df = read_table(p)
    # a one-column file keeps its one column (pandas' own sniffer split the header "v" at its letter); decimal
    # commas beside semicolons are numbers
    assert list(df.columns)[-1] == "v" and df["v"].tolist() == [1.5, 2.25, 3.0]


def test_a_gap_on_an_assumed_grid_is_a_missing_value(tmp_path, run_cli):
    days = pd.date_range("2023-01-01", periods=60, freq="D").delete(20)  # one day has no row
    df = pd.DataFrame({"day": days, "v": 10.0 + np.sin(np.arange(59))})
    with pytest.raises(LstmkitError, match="irregular .*pass --freq D --fill linear"):
        lstmkit.Forecaster(horizon=3, **TINY).fit(df, target="v", time="day")
    with pytest.raises(LstmkitError, match="1 time\\(s\\) of the D grid have no row \\(first 2023-01-21"):
        lstmkit.Forecaster(horizon=3, **TINY).fit(df, target="v", time="day", freq="D")
    fc = lstmkit.Forecaster(horizon=3, **TINY).fit(df, target="v", time="day", freq="D", fill="linear")
    assert fc.summary["windows"] > 0 and fc.series["lengths"] == [60]  # the missing day is back, filled
    with pytest.raises(LstmkitError, match="not on the grid of --freq 2D"):
        lstmkit.Forecaster(horizon=3, **TINY).fit(df, target="v", time="day", freq="2D")
    p = tmp_path / "d.csv"
    df.to_csv(p, index=False)
    code, stdout, err = run_cli("forecast", "backtest", p, "--horizon", "2", "--windows", "1", "--ensemble", "1", "--steps", "3",
                                "--freq", "D", "--fill", "linear", "--no-classical")
    assert code == 0 and "mean over origins" in stdout, err


@pytest.mark.parametrize("fmt, freq", [("%d/%m/%Y", "D"), ("%d.%m.%Y", "D"), ("%d/%m/%Y", "MS")])
def test_dates_written_day_first(tmp_path, fmt, freq):
    # "13/01/2020" does not parse month first; "01/02/2020" does (as 2 January) but leaves monthly data irregular
    t = pd.date_range("2020-01-01", periods=40, freq=freq)
    p = tmp_path / "d.csv"
    pd.DataFrame({"Date": t.strftime(fmt), "v": 5.0 + np.arange(40) % 7}).to_csv(p, index=False)
    fc = lstmkit.Forecaster(horizon=3, **TINY).fit(str(p), target="v")
    assert fc.series["freq"] == freq and fc.series["last_times"] == [str(t[-1])]
    assert evaluate(fc, str(p), with_classical=False)["seen"] == 3  # read again, for a saved model, the same way


def test_rows_without_times_are_not_called_in_sample():
    y = 10.0 + np.sin(np.arange(60) / 3)
    fc = lstmkit.Forecaster(horizon=3, **TINY).fit(pd.DataFrame({"v": y[:40]}), target="v")
    assert evaluate(fc, pd.DataFrame({"v": y[40:]}), with_classical=False)["seen"] == 0  # row 17 of another file


@pytest.mark.parametrize("frame, time", [
    # seaborn's flights layout: "year" repeats beside "month", so it is no count of steps: row order, as before
    (pd.DataFrame({"year": np.repeat(np.arange(1949, 1952), 12), "month": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                                                          "Sep", "Oct", "Nov", "Dec"] * 3, "v": np.arange(36) + 1.0}), None),
    (pd.DataFrame({"timestamp": 1577836800 + 3600 * np.arange(36), "v": np.arange(36) + 1.0}), "timestamp"),  # epoch seconds, 3600 apart
    (pd.DataFrame({"year": np.arange(1960, 1996), "v": np.arange(36) + 1.0}), "year"),
    (pd.DataFrame({"year": np.arange(1850, 2030, 5), "v": np.arange(36) + 1.0}), "year"),  # every fifth year
])
def test_an_integer_column_is_the_time_only_when_it_counts_steps(frame, time, tmp_path):
    fc = lstmkit.Forecaster(horizon=3, **TINY).fit(frame, target="v")
    assert fc.columns.time == time
    if time:  # the forecast continues the count in its own step, from the model and from new data alike
        col, step = frame[time], int(frame[time].iloc[1] - frame[time].iloc[0])
        expected = [int(col.iloc[-1]) + step * k for k in (1, 2, 3)]
        assert fc.predict()[time].tolist() == expected == fc.predict(3, frame)[time].tolist()
        again = lstmkit.load(fc.save(tmp_path / "m"))
        assert again.predict()[time].tolist() == expected


def test_weekly_grid_keeps_its_weekday_and_a_gap_hint_names_the_calendar():
    mondays = pd.DataFrame({"d": pd.date_range("2021-01-04", periods=40, freq="W-MON").delete(5), "v": np.arange(39) + 1.0})
    fc = lstmkit.Forecaster(horizon=2, **TINY).fit(mondays, target="v", time="d", freq="W", fill="linear")
    assert fc.series["freq"] == "W-MON" and fc.predict()["d"].dt.dayofweek.tolist() == [0, 0]
    months = pd.DataFrame({"d": pd.date_range("2020-01-01", periods=40, freq="MS").delete(7), "v": np.arange(39) + 1.0})
    with pytest.raises(LstmkitError, match="pass --freq MS --fill linear"):
        lstmkit.Forecaster(horizon=2, **TINY).fit(months, target="v", time="d")


def test_integer_years_are_the_time(tmp_path, run_cli):
    # a column of years named "year": found without --time, kept as integers in the forecast
    p = tmp_path / "y.csv"
    pd.DataFrame({"year": np.arange(1960, 2000), "v": 10.0 + np.arange(40) * 0.5}).to_csv(p, index=False)
    code, _, err = run_cli("forecast", "train", p, "--horizon", "3", "--out", tmp_path / "m", "-q", "--steps", "5", "--ensemble", "1")
    assert code == 0, err
    code, stdout, err = run_cli("forecast", "predict", tmp_path / "m")
    assert code == 0, err
    assert stdout.splitlines()[0].startswith("year,mean") and [r.split(",")[0] for r in stdout.splitlines()[1:]] == ["2000", "2001", "2002"]
    fc = lstmkit.load(tmp_path / "m")
    assert evaluate(fc, str(p), with_classical=False)["seen"] == 3
    pd.DataFrame({"year": [1960, 1961, 1963], "v": 1.0}).to_csv(p, index=False)
    with pytest.raises(LstmkitError, match="jump from 1961 to 1963"):
        lstmkit.Forecaster(horizon=1).fit(str(p), target="v", time="year")
    pd.DataFrame({"year": [1960, 1961, 1961], "v": 1.0}).to_csv(p, index=False)
    with pytest.raises(LstmkitError, match="1961 appears twice"):
        lstmkit.Forecaster(horizon=1).fit(str(p), target="v", time="year")


def test_parquet_input_and_minutes_budget(tmp_path, air):
    p = tmp_path / "air.parquet"
    air.to_parquet(p)
    fc = lstmkit.Forecaster(horizon=3, seed=0, hidden=8, ensemble=1, minutes=0.02).fit(str(p), target="value", time="date")
    assert fc.summary["budget"] == {"minutes": 0.01} and len(fc.predict()) == 3


def test_classical_baselines_join_the_table(air):
    pytest.importorskip("statsforecast")
    fc = lstmkit.Forecaster(horizon=12, seed=0, **TINY).fit(air.iloc[:-12], target="value", time="date")
    r = evaluate(fc, air, with_classical=True)
    assert {"AutoETS", "AutoARIMA", "AutoTheta", "Holt-Winters"} <= set(r["table"])
    assert r["table"]["Holt-Winters"]["rmse"] == pytest.approx(15.8, abs=0.1)  # the issue's figure, statsmodels'


def test_validation_preparation_never_sees_the_held_out_steps(air, monkeypatch):
    # the intervals and the reported validation score read the held-out steps through a scaler fitted
    # without them (its season ahead, level and scale), as a forecast of unseen months would
    from lstmkit.data import scaling

    fitted, fit = [], scaling.Scaler.fit

    def spy(self, series, names=None, season=1):
        fitted.append([len(v) for v in series])
        return fit(self, series, names, season)

    monkeypatch.setattr(scaling.Scaler, "fit", spy)
    fc = lstmkit.Forecaster(horizon=12, seed=0, **TINY).fit(air, target="value", time="date")
    assert fitted == [[144], [132]]
    assert [len(h) for h in fc.validation["histories"].values] == [132]
    assert set(fc.series["interval_scale"]) == {"80", "95"}


def test_saved_season_history_is_bounded_and_forecasts_match(tmp_path):
    from lstmkit.models import forecast as forecast_module

    t = np.arange(1500)
    y = np.exp(3 + 0.0005 * t + (0.1 + 0.0001 * t) * np.sin(2 * np.pi * t / 12))
    df = pd.DataFrame({"t": t, "v": y})
    fc = lstmkit.Forecaster(horizon=6, seed=0, season=12, **TINY).fit(df, target="v", time="t")
    assert fc.scaler.adjusted_by_time(0) and len(fc.scaler.histories[0]) == forecast_module.HISTORY_KEPT
    fc.save(tmp_path / "m")
    again = lstmkit.load(tmp_path / "m")
    assert len(again.scaler.histories[0]) == forecast_module.HISTORY_KEPT
    pd.testing.assert_frame_equal(again.predict(), fc.predict())
    pd.testing.assert_frame_equal(again.predict(6, df.iloc[:1400]), fc.predict(6, df.iloc[:1400]))


def test_seasonal_window_chosen_by_the_cycles_it_forecasts():
    from lstmkit.data.seasonal import WINDOWS, choose_window

    rng = np.random.default_rng(0)
    t = np.arange(144)
    fixed = 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.03, 144)
    # the peak wanders by up to a month from one year to the next: only the default window follows it
    moving = 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 12 + np.sin(2 * np.pi * t / 40)) + rng.normal(0, 0.03, 144)
    assert choose_window(fixed, 12) == max(WINDOWS)
    assert choose_window(moving, 12) == WINDOWS[0] == 7
    assert choose_window(fixed[:40], 12) == 7  # under 2 cycles before the held-out ones: the default
