"""How good is a forecast: metrics, the classical baselines beside it, hold-out evaluation, backtests, plots.

    metrics(actual, forecast, history, season)   RMSE, MAE, MAPE, sMAPE, MASE
    baselines(history, h, season, freq)          naive, seasonal naive, drift; with the [baselines] extra
                                                 also statsforecast's AutoETS/AutoARIMA/AutoTheta and
                                                 statsmodels' Holt-Winters
    evaluate(model, data, h)                     forecast the last h points of each series from the rest
    backtest(data, ..., windows=K)               refit at K rolling origins and score each forecast

The baselines are only ever compared with: nothing here feeds a forecast of theirs into lstmkit's.
"""
from __future__ import annotations

import dataclasses
import difflib
import inspect
import math
import time
import warnings

import numpy as np
import pandas as pd

from ..data.series import SeriesSet, to_series
from ..errors import LstmkitError
from .forecast_config import checked_horizon

METRICS = ("rmse", "mae", "mape", "smape", "mase")
SIMPLE = ("naive", "seasonal naive", "drift")


# ---------------------------------------------------------------------------- metrics
def metrics(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, season: int) -> dict:
    """Point metrics of one series' forecast; MAPE and sMAPE in percent; MASE scaled by the in-sample
    seasonal-naive error (naive when the history is shorter than two seasons)."""
    a, f = np.asarray(actual, float), np.asarray(forecast, float)
    e = a - f
    m = season if len(history) > 2 * season else 1
    scale = np.mean(np.abs(history[m:] - history[:-m])) if len(history) > m else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        mape = float(np.mean(np.abs(e) / np.abs(a)) * 100) if (a != 0).all() else math.nan
        smape = float(np.mean(2 * np.abs(e) / (np.abs(a) + np.abs(f))) * 100)
        # an in-sample error at rounding size (an exactly repeating season) scales nothing: no MASE
        real = np.isfinite(scale) and scale > 0 and scale > 1e-12 * float(np.abs(history).max())
        mase = float(np.mean(np.abs(e)) / scale) if real else math.nan
    return {"rmse": float(np.sqrt(np.mean(e**2))), "mae": float(np.mean(np.abs(e))), "mape": mape, "smape": smape, "mase": mase}


def coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    return float(np.mean((actual >= lo) & (actual <= hi)))


# ---------------------------------------------------------------------------- baselines
def _simple(history: np.ndarray, h: int, season: int) -> dict[str, np.ndarray]:
    y = np.asarray(history, float)
    out = {"naive": np.repeat(y[-1], h)}
    m = season if season > 1 and len(y) >= season else 1
    out["seasonal naive"] = np.array([y[len(y) - m + (i % m)] for i in range(h)])
    slope = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
    out["drift"] = y[-1] + slope * np.arange(1, h + 1)
    return out


CLASSICAL_NOTE = "fitting the classical baselines (--no-classical skips them) ..."


def classical_available() -> bool:
    try:
        import statsforecast  # noqa: F401
        import statsmodels  # noqa: F401
    except ImportError:
        return False
    return True


def _holt_winters(y: np.ndarray, h: int, season: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = None
    if season > 1 and len(y) >= 2 * season + 2:
        seasonal = "mul" if (y > 0).all() else "add"
    model = ExponentialSmoothing(y, trend="add" if len(y) >= 4 else None, seasonal=seasonal,
                                 seasonal_periods=season if seasonal else None)
    return np.asarray(model.fit().forecast(h), float)


def classical(histories: list[np.ndarray], h: int, season: int) -> tuple[dict[str, list[np.ndarray]], dict[str, float]]:
    """statsforecast's AutoETS, AutoARIMA, AutoTheta and statsmodels' Holt-Winters for every series,
    and the seconds each took (all series together)."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    frames = [pd.DataFrame({"unique_id": str(i), "ds": np.arange(len(y)), "y": np.asarray(y, float)}) for i, y in enumerate(histories)]
    df = pd.concat(frames, ignore_index=True)
    out, seconds = {}, {}
    m = max(1, season)
    for name, model in (("AutoETS", AutoETS(season_length=m)), ("AutoARIMA", AutoARIMA(season_length=m)),
                        ("AutoTheta", AutoTheta(season_length=m))):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=df, h=h)
        seconds[name] = time.perf_counter() - t
        col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
        out[name] = [fc.loc[fc["unique_id"] == str(i), col].to_numpy(float) for i in range(len(histories))]
    t = time.perf_counter()
    hw = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for y in histories:
            try:
                hw.append(_holt_winters(np.asarray(y, float), h, season))
            except (ValueError, np.linalg.LinAlgError):
                hw.append(_simple(y, h, season)["drift"])
    seconds["Holt-Winters"] = time.perf_counter() - t
    out["Holt-Winters"] = hw
    return out, seconds


def baselines(histories: list[np.ndarray], h: int, season: int, *, with_classical: bool | None = None,
              notes=None) -> tuple[dict[str, list[np.ndarray]], dict[str, float]]:
    """Forecasts of every baseline for every series: {method: [forecast (h,) per series]}, and seconds.
    ``notes`` receives a line before the classical baselines, which can take a while, are fitted."""
    out: dict[str, list[np.ndarray]] = {name: [] for name in SIMPLE}
    for y in histories:
        for name, f in _simple(y, h, season).items():
            out[name].append(f)
    seconds: dict[str, float] = {}
    if with_classical is None:
        with_classical = classical_available()
    if with_classical:
        if notes:
            notes(CLASSICAL_NOTE)
        more, seconds = classical(histories, h, season)
        out.update(more)
    return out, seconds


# ---------------------------------------------------------------------------- scoring
def score(actuals: list[np.ndarray], forecasts: dict[str, list[np.ndarray]], histories: list[np.ndarray], season: int) -> dict[str, dict]:
    """Mean over series of each metric, per method."""
    table = {}
    for name, fs in forecasts.items():
        rows = [metrics(a, f, hist, season) for a, f, hist in zip(actuals, fs, histories)]
        table[name] = {k: float(np.nanmean([r[k] for r in rows])) if any(np.isfinite(r[k]) for r in rows) else math.nan for k in METRICS}
    return table


def frame_of(ss: SeriesSet, cols) -> pd.DataFrame:
    """A SeriesSet as the long table ``Forecaster.fit`` reads (same column names)."""
    frames = []
    for i, name in enumerate(ss.ids):
        d = {cols.target: ss.values[i]}
        if cols.time:
            d[cols.time] = ss.times[i]
        if cols.id:
            d[cols.id] = name
        for j, k in enumerate(ss.known_names):
            d[k] = ss.known[i][:, j]
        for j, p in enumerate(ss.past_names):
            d[p] = ss.past[i][:, j]
        frames.append(pd.DataFrame(d))
    return pd.concat(frames, ignore_index=True)


def _future_of(ss: SeriesSet, cols, offset_from_end: int, h: int) -> pd.DataFrame | None:
    """The known covariates of the ``h`` points that start ``offset_from_end`` before each series' end."""
    if not ss.known_names:
        return None
    frames = []
    for i, name in enumerate(ss.ids):
        end = len(ss.values[i]) - offset_from_end
        d = {k: ss.known[i][end:end + h, j] for j, k in enumerate(ss.known_names)}
        if cols.id:
            d[cols.id] = [name] * len(d[ss.known_names[0]])
        frames.append(pd.DataFrame(d))
    return pd.concat(frames, ignore_index=True)


def evaluate(model, data, h: int | None = None, *, with_classical: bool | None = None, fill: str | None = None,
             notes=None) -> dict:
    """Forecast the last ``h`` points (default: the horizon) of every series in ``data`` from the points
    before them, and score lstmkit and every baseline on them.

    Returns {"h", "table": {method: {metric: mean over series}}, "coverage": {level: share},
    "forecast": the DataFrame of lstmkit's forecast, "actuals", "histories"}. ``notes``: as for ``baselines``.
    """
    cols = model.columns
    h = model.config.horizon if h is None else checked_horizon(h)
    ss = to_series(data, cols.target, cols.time, cols.id, known=tuple(cols.known), past=tuple(cols.past), fill=fill,
                   freq=model.series["freq"], find_time=False, ids_as_written=model.series.get("ids_as_written", False),
                   model_zone=model.series.get("zone"))
    short = [(name, len(v)) for name, v in zip(ss.ids, ss.values) if len(v) <= h + 2]
    if short:
        raise LstmkitError(f"{('series ' + repr(short[0][0])) if short[0][0] else 'the series'} has {short[0][1]} points; "
                           f"evaluating a {h}-step forecast needs more than {h + 2}")
    hist_ss, actuals = ss.cut(h)
    fc = model.forecast_series(hist_ss, h, future=_future_of(ss, cols, h, h))
    season = model.summary.get("season") or model.config.season or 1
    ours = _per_series(fc, hist_ss, cols, "mean")
    base, seconds = baselines(hist_ss.values, h, season, with_classical=with_classical, notes=notes)
    table = score(actuals, {"lstmkit": ours, **base}, hist_ss.values, season)
    cov = {}
    for v in model.config.levels:
        lo, hi = _per_series(fc, hist_ss, cols, f"lo-{v}"), _per_series(fc, hist_ss, cols, f"hi-{v}")
        cov[str(v)] = coverage(np.concatenate(actuals), np.concatenate(lo), np.concatenate(hi))
    return {"h": h, "table": table, "coverage": cov, "forecast": fc, "actuals": actuals, "histories": hist_ss,
            "baseline_seconds": seconds, "season": season, "seen": seen_in_training(model, ss, h)}


def seen_in_training(model, ss: SeriesSet, h: int) -> int:
    """How many of the ``h`` scored points per series lie at or before the end of the model's training data
    for that series: there the network's score is in-sample, where every baseline's is out of sample."""
    if not model.columns.time:
        return 0  # row numbers count from each file's first row: another file's rows cannot be placed in time
    from .forecast_rollout import series_index

    at = series_index(model.series["ids"], ss.ids)
    seen = 0
    for name, times in zip(ss.ids, ss.times):
        if name not in at:
            continue
        last = model.series["last_times"][at[name]]
        end = pd.Timestamp(last) if model.series["datetime"] else type(times[0])(last)
        seen += int(np.sum(np.asarray(times[-h:]) <= end))
    return seen


def _series_rows(fc: pd.DataFrame, ss: SeriesSet, cols) -> list[pd.DataFrame]:
    """A forecast's rows, one frame per series of ``ss``, found by id; a forecast whose ids are written
    otherwise (7 for "007") holds the same number of rows per series in ``ss``'s order (``forecast_series``)."""
    if cols.id:
        named = fc[cols.id].astype(str)
        if set(ss.ids) <= set(named):
            return [fc[named == name] for name in ss.ids]
    h = len(fc) // len(ss.ids)
    return [fc.iloc[i * h:(i + 1) * h] for i in range(len(ss.ids))]


def _per_series(fc: pd.DataFrame, ss: SeriesSet, cols, column: str) -> list[np.ndarray]:
    """A forecast's ``column``, one array per series of ``ss`` (``_series_rows``)."""
    return [rows[column].to_numpy(float) for rows in _series_rows(fc, ss, cols)]


def _origin_rows(fc: pd.DataFrame, ss: SeriesSet, cols, actuals: list[np.ndarray], base: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    """One origin's rows of a backtest's forecast table, laid out as statsforecast's ``cross_validation`` lays
    its out: lstmkit's forecast and intervals, each series' cutoff (its last point before the origin), the
    actual values, and each baseline's forecast, a column each."""
    frames = []
    for j, rows in enumerate(_series_rows(fc, ss, cols)):
        rows = rows.copy()
        at = list(rows.columns).index("mean")
        rows.insert(at, "cutoff", ss.times[j][-1])
        rows.insert(at + 1, "actual", actuals[j])
        for name, fs in base.items():
            rows[name] = fs[j]
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def backtest(data, target: str | None = None, time_col: str | None = None, id: str | None = None, *, horizon: int = 12,
             windows: int = 3, step: int = 1, known=(), past=(), fill: str | None = None, freq: str | None = None,
             with_classical: bool | None = None, progress=None, **options) -> dict:
    """Rolling-origin evaluation: at each of ``windows`` origins, ``step`` apart and ending ``horizon`` before
    the end of the data, fit a new Forecaster on what precedes the origin and score its forecast.

    Returns {"windows": [per-origin tables], "table": mean over origins per method, "coverage": pooled share
    of actual points inside each interval, "fit_s": seconds per fit, "forecasts": every origin's forecast
    beside the actual values and the baselines' forecasts (``_origin_rows``), "histories": the whole series,
    "columns": the column names}.
    """
    from .forecast import Forecaster
    from .forecast_config import ForecastConfig

    allowed = {f.name for f in dataclasses.fields(ForecastConfig)}
    for key in options:  # a Forecaster option, or a mistyped keyword of backtest's own
        if key not in allowed:
            near = difflib.get_close_matches(key, [*allowed, *inspect.signature(backtest).parameters], 1)
            raise TypeError(f"backtest() got an unexpected keyword argument {key!r}"
                            f"{f'; did you mean {near[0]!r}?' if near else '; it takes the Forecaster options as keywords'}")
    for name, v in (("--windows", windows), ("--step", step)):
        if v < 1:
            raise LstmkitError(f"{name} {v} must be at least 1")
    ForecastConfig(horizon=horizon, **options)  # a bad option is one line before any fit, not an origin's error
    ss = to_series(data, target, time_col, id, known=known, past=past, fill=fill, freq=freq)
    shortest = min(len(v) for v in ss.values)
    need = horizon + (windows - 1) * step + 3
    if shortest < need:
        raise LstmkitError(f"the shortest series has {shortest} points; {windows} windows {step} apart with horizon {horizon} need "
                           f"at least {need}; lower --windows, --step or --horizon")
    from .forecast_artifact import Columns

    cols = Columns(ss.target, ss.time_col, id, list(ss.known_names), list(ss.past_names))
    per, pooled, fit_s, frames = [], {}, [], []
    for w in range(windows - 1, -1, -1):
        offset = w * step
        cut_ss, actuals = ss.cut(horizon, offset)
        frame = frame_of(cut_ss, cols)
        t = time.perf_counter()
        try:
            fc_model = Forecaster(horizon=horizon, **options).fit(frame, target=cols.target, time=cols.time, id=cols.id,
                                                                     known=cols.known, past=cols.past, freq=freq)
        except LstmkitError as e:
            if offset == 0:
                raise
            # the earliest origins fit the least data: say which origin it was, and that fewer would do
            raise LstmkitError(f"origin {windows - w} of {windows}, {offset + horizon} points before the end: {e} "
                               "(or lower --windows or --step)") from None
        fc = fc_model.predict(horizon, future=_future_of(ss, cols, offset + horizon, horizon))
        fit_s.append(time.perf_counter() - t)
        season = fc_model.summary["season"]
        base, _ = baselines(cut_ss.values, horizon, season, with_classical=with_classical)
        table = score(actuals, {"lstmkit": _per_series(fc, cut_ss, cols, "mean"), **base}, cut_ss.values, season)
        for v in fc_model.config.levels:
            lo, hi = _per_series(fc, cut_ss, cols, f"lo-{v}"), _per_series(fc, cut_ss, cols, f"hi-{v}")
            a = np.concatenate(actuals)
            pooled.setdefault(str(v), []).append(((a >= np.concatenate(lo)) & (a <= np.concatenate(hi))).astype(float))
        per.append({"origin_offset": offset, "table": table})
        frames.append(_origin_rows(fc, cut_ss, cols, actuals, base))
        if progress:
            progress(f"window {windows - w} of {windows}: lstmkit RMSE {table['lstmkit']['rmse']:.4g}, fit {fit_s[-1]:.1f} s")
    methods = per[0]["table"].keys()
    mean_table = {m: {k: float(np.nanmean([p["table"][m][k] for p in per])) for k in METRICS} for m in methods}
    cov = {v: float(np.concatenate(xs).mean()) for v, xs in pooled.items()}
    return {"windows": per, "table": mean_table, "coverage": cov, "fit_s": fit_s, "horizon": horizon,
            "forecasts": pd.concat(frames, ignore_index=True), "histories": ss, "columns": cols}


# ---------------------------------------------------------------------------- the tutorial's recipe
def seed_recipe(data, target: str | None, time_col: str | None, *, seed: int = 0, options: dict, out=None,
                train_share: float = 0.67, fill: str | None = None, freq: str | None = None) -> dict:
    """The air-passenger tutorial's experiment: fit on the first 67 % in time, then score one-step-ahead
    forecasts from the true past on the training part and on the rest (RMSE, the data's units).

    The tutorial fits its MinMax scaler on all the data, test part included; here it is fitted on the
    training part only, so nothing of the test period reaches the model.
    """
    from .forecast import Forecaster

    ss = to_series(data, target, time_col, fill=fill, freq=freq)
    if len(ss) != 1:
        raise LstmkitError("the airline-seed recipe forecasts one series; drop --id")
    from .forecast_artifact import Columns

    cols = Columns(ss.target, ss.time_col)
    n = len(ss.values[0])
    cut = int(n * train_share)
    train, _ = ss.cut(n - cut)
    frame_all, frame_train = frame_of(ss, cols), frame_of(train, cols)
    fc = Forecaster(seed=seed, **options).fit(frame_train, target=cols.target, time=cols.time)
    if out is not None:
        fc.save(out)
    a_tr, f_tr = fc.one_step(frame_train)
    a_te, f_te = fc.one_step(frame_all, start=cut)
    rmse = lambda a, f: float(np.sqrt(np.mean((np.asarray(a) - np.asarray(f)) ** 2)))  # noqa: E731
    return {"train_rmse": rmse(a_tr, f_tr), "test_rmse": rmse(a_te, f_te), "cut": cut, "model": fc}


# ---------------------------------------------------------------------------- report
def table_text(table: dict, coverage_: dict | None = None, title: str = "") -> str:
    """The metrics table as aligned text, lstmkit first, then the baselines, best RMSE marked."""
    names = list(table)
    best = min(names, key=lambda n: table[n]["rmse"] if np.isfinite(table[n]["rmse"]) else math.inf)
    lines = [title] if title else []
    lines.append(f"{'method':16s} " + " ".join(f"{k.upper():>9s}" for k in METRICS))
    for n in names:
        row = table[n]
        lines.append(f"{n + (' *' if n == best else ''):16s} " + " ".join(f"{row[k]:9.3f}" if np.isfinite(row[k]) else f"{'-':>9s}" for k in METRICS))
    lines.append("* the lowest RMSE")
    if coverage_:
        lines.append("lstmkit interval coverage: " + ", ".join(f"{v}%: {c * 100:.0f}%" for v, c in coverage_.items()))
    return "\n".join(lines)


def plot_forecast(path, histories: SeriesSet, forecast: pd.DataFrame, cols, actuals: list[np.ndarray] | None = None,
                  levels: list | None = None, max_series: int = 4) -> None:
    """A PNG of the history, the actuals (when known), the forecast and its intervals, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..figures import quiet_glyphs, save_figure

    n = min(max_series, len(histories.ids))
    fig, axes = plt.subplots(n, 1, figsize=(9, 3 * n), squeeze=False)
    tcol = cols.time or "step"
    for j in range(n):
        ax, name = axes[j][0], histories.ids[j]
        rows = forecast if not cols.id else forecast[forecast[cols.id].astype(str) == name]
        show = min(len(histories.values[j]), 8 * max(1, len(rows)))
        ax.plot(histories.times[j][-show:], histories.values[j][-show:], color="black", lw=1.2, label="history")
        x = rows[tcol].to_numpy()
        for v in sorted(levels or [], reverse=True):
            if f"lo-{v}" in rows:
                ax.fill_between(x, rows[f"lo-{v}"], rows[f"hi-{v}"], color="tab:blue", alpha=0.15 + 0.1 * (v < 90), lw=0, label=f"{v}% interval")
        ax.plot(x, rows["mean"], color="tab:blue", lw=1.6, label="lstmkit forecast")
        if actuals is not None:
            ax.plot(x[: len(actuals[j])], actuals[j], color="tab:red", lw=1.2, ls="--", label="actual")
        ax.set_title(name or cols.target, fontsize=10)
        _time_axis(ax, histories.times[j])
        ax.legend(fontsize=8, loc="upper left")
    with quiet_glyphs():  # series ids or labels in a script the font lacks
        fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def plot_backtest(path, r: dict, max_series: int = 4) -> None:
    """A PNG of a backtest (``backtest``'s result): each series' history and every origin's forecast over it,
    so that how the forecast moves from one origin to the next shows; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..figures import quiet_glyphs, save_figure

    ss, fcs, h, cols = r["histories"], r["forecasts"], r["horizon"], r["columns"]
    n = min(max_series, len(ss.ids))
    fig, axes = plt.subplots(n, 1, figsize=(9, 3 * n), squeeze=False)
    tcol = cols.time or "step"
    for j, rows in enumerate(_series_rows(fcs, ss, cols)[:n]):
        ax, name = axes[j][0], ss.ids[j]
        show = min(len(ss.values[j]), 4 * h + len(rows))
        ax.plot(ss.times[j][-show:], ss.values[j][-show:], color="black", lw=1.2, label="actual")
        cuts = list(dict.fromkeys(rows["cutoff"].tolist()))  # in time order, as the backtest fitted them
        colours = plt.cm.viridis(np.linspace(0.15, 0.85, len(cuts)))
        for k, (cut, colour) in enumerate(zip(cuts, colours)):
            one = rows[rows["cutoff"] == cut]
            ax.plot(one[tcol].to_numpy(), one["mean"].to_numpy(float), color=colour, lw=1.2,
                    label=f"lstmkit, {len(cuts)} origins" if k == 0 else None)
        ax.set_title(f"{name or cols.target}: {len(cuts)} origins, horizon {h}", fontsize=10)
        _time_axis(ax, ss.times[j])
        ax.legend(fontsize=8, loc="upper left")
    with quiet_glyphs():
        fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def _time_axis(ax, times) -> None:
    """Ticks for a time axis: whole numbers for years or row numbers (not 1992.5); for dates, as few ticks as
    fit, each written as briefly as its neighbours allow (no colliding labels)."""
    if not isinstance(times, pd.DatetimeIndex):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
