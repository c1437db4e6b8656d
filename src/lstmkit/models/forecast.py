"""Forecaster: a table of series in, a multi-step LSTM forecast with prediction intervals out.

The flow of ``fit``, top to bottom:

    read and check the series -> choose season, look-back, transform -> fit the scaler per series
    -> cut windows -> for each ensemble member: train with the last ``horizon`` steps of every series
    held out (early stopping picks the step count), then train again on everything for that many steps
    -> widen the intervals until they cover their level on the held-out steps (prepared by a scaler fitted
    without them) -> one artifact.

The forecast is always the networks' own: the mean of the members' outputs, the level of the input
window added back, and the preparation inverted. No classical model is fitted inside ``fit``.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import asdict, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .. import artifact
from ..data.scaling import Scaler
from ..data.calendar import calendar, future_times, season_for
from ..data.series import SeriesSet, to_series
from ..data.stationarity import level_input_for
from ..data.windows import (
    WindowSpec,
    build_windows,
)
from ..errors import LstmkitError
from . import forecast_rollout as rollout
from .forecast_artifact import MAX_TAIL, Columns, read_parts
from .forecast_config import STRATEGIES, ForecastConfig  # noqa: F401 (re-exported)
from .forecast_config import checked_horizon, level_list
from .forecast_fit import adjusted_text, budget_for, budget_text, cov_stats, ensemble_of, level_text, lookback_for, train_member
from .forecast_intervals import coverage, forecast_frame, interval_scale
from .forecast_net import ForecastEnsemble, ForecastNetConfig
from .forecast_watch import FitBar as _Bar

TASK = "forecast"
HISTORY_KEPT = 1024  # seasonal values saved per adjusted series (``Scaler.keep_history``)


# ---------------------------------------------------------------------------- preparation
class Forecaster:
    """An LSTM forecaster in the statsforecast style: ``fit`` a long table, ``predict`` a long table.

    Example:
        fc = lstmkit.Forecaster(horizon=12, seed=0).fit(df, target="value", time="date")
        fc.predict()          # time, mean, lo-80, hi-80, lo-95, hi-95
        fc.save("runs/air"); lstmkit.load("runs/air").predict(6)
    """

    def __init__(self, horizon: int | None = None, *, seed: int | None = None, config: ForecastConfig | dict | None = None, **options):
        # a config (a ForecastConfig or its dict) gives the defaults; horizon, seed and the options named here win
        if not isinstance(config, (ForecastConfig, dict, type(None))):
            raise LstmkitError(f"config is a {type(config).__name__}; pass a ForecastConfig or a dict of its options")
        base = config.to_dict() if isinstance(config, ForecastConfig) else dict(config or {})
        given = {k: v for k, v in (("horizon", horizon), ("seed", seed)) if v is not None}
        unknown = sorted(map(str, (set(options) | set(base)) - {f.name for f in fields(ForecastConfig)}))
        if unknown:
            raise LstmkitError(f"unknown Forecaster option(s) {', '.join(unknown)}; see help(lstmkit.ForecastConfig)")
        self.config = ForecastConfig(**{"horizon": 12, "seed": 0, **base, **given, **options})
        self.net: ForecastEnsemble | None = None
        self.scaler: Scaler | None = None
        self.spec: WindowSpec | None = None
        self.columns = Columns()
        self.series: dict = {}  # ids, freq, raw tails, last times, covariate stats, interval scale
        self.summary: dict = {}
        self.validation: dict = {}  # after fit: the held-out forecast of the last horizon steps
        self.path: Path | None = None

    def __repr__(self) -> str:
        # as scikit-learn shows an estimator: the options that differ from the defaults (horizon and seed always)
        default = ForecastConfig(horizon=self.config.horizon).to_dict()
        shown = {k: v for k, v in self.config.to_dict().items() if k in ("horizon", "seed") or v != default.get(k)}
        return f"Forecaster({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    # ------------------------------------------------------------------------ fitting
    def fit(self, data, target: str | None = None, time: str | None = None, id: str | None = None, *,
            known: str | tuple[str, ...] | list[str] = (), past: str | tuple[str, ...] | list[str] = (), fill: str | None = None,
            freq: str | None = None, progress: bool = False, notes=None) -> "Forecaster":
        """Train on every series of ``data`` (a long DataFrame, a Series with a DatetimeIndex, an array or a path).

        Args:
            target, time, id: the value column, the time column (parsed; regular), the series column.
            known, past: covariate columns known in the future / only up to now (a list, or one name).
            fill: fill missing values (ffill, bfill, linear, zero) instead of refusing them.
            freq: the pandas frequency of the times instead of inferring it; a time of its grid with no row is a
                missing value (refused unless ``fill``).
            progress: show a progress bar on stderr.
            notes: a callable receiving one-line messages (the plan, the validation result).
        """
        t_start = _clock()
        c = self.config
        say = notes or (lambda m: None)
        # -- read and check -----------------------------------------------------------
        ss = to_series(data, target, time, id, known=known, past=past, fill=fill, freq=freq)
        target = ss.target
        self.columns = Columns(target, ss.time_col, id, list(ss.known_names), list(ss.past_names))
        season = c.season or season_for(ss.freq)
        H = c.horizon
        shortest = min(len(v) for v in ss.values)
        L = lookback_for(c, season, shortest, ss)
        min_input = c.min_input or max(min(L, 2), math.ceil(L / 2))
        min_input = min(min_input, L)
        model_h = H if c.strategy == "direct" else 1

        # -- preparation: scaler per series, covariate statistics -----------------------
        self.scaler = Scaler(c.scaler_config()).fit(ss.values, ss.ids, season=season)
        kmean, kstd = cov_stats(ss.known)
        pmean, pstd = cov_stats(ss.past)
        cal_width = calendar(ss.times[0][:1], ss.freq).shape[1] if c.calendar else 0
        self.spec = WindowSpec(L, model_h, season, c.normalize, cal_width, len(ss.past_names), len(ss.known_names))
        d = c.difference
        tail_len = min(MAX_TAIL, L + d + max(season, 1))
        self.series = {"ids": ss.ids, "freq": ss.freq, "tails": [v[-tail_len:].tolist() for v in ss.values],
                       "last_times": [str(t[-1]) for t in ss.times], "datetime": isinstance(ss.times[0], pd.DatetimeIndex),
                       "known_mean": kmean, "known_std": kstd, "past_mean": pmean, "past_std": pstd,
                       "past_tails": [p[-tail_len:].tolist() for p in ss.past], "known_tails": [k[-tail_len:].tolist() for k in ss.known] if ss.known_names else None,
                       "interval_scale": {}, "id_kind": ss.id_kind, "zone": ss.zone, "ids_as_written": True,
                       "step": ss.times[0].step if isinstance(ss.times[0], pd.RangeIndex) else 1,
                       "lengths": [len(v) for v in ss.values]}
        prepared = [rollout.prepare(self, i, ss.values[i], ss.times[i], ss.past[i], ss.known[i], horizon=model_h) for i in range(len(ss))]
        # a stationary series' window also shows the network its level (how far from the mean it stands)
        level_in, passed, tested = level_input_for(c.level_input if c.normalize else "off", [p.u for p in prepared])
        self.spec = replace(self.spec, level_input=level_in)
        # the windows above read each point's own season; the model keeps its last stretch, enough to forecast
        # from the saved tails and from histories ending up to that far back, so that its size does not grow
        # with the data's
        self.scaler.keep_history(max(tail_len, HISTORY_KEPT))

        # -- windows: held-out last horizon steps, then everything ----------------------
        # Early stopping reads the held-out steps as the full preparation adjusts them: the network's own part
        # of the error (the season ahead is the scaler's). The intervals and the validation score read them as
        # a preparation fitted without them prepares them (its season ahead, level and scale): the whole error
        # a forecast meets. (On air passengers, inside the training years, stopping on that whole error
        # chose 150-300 steps instead of 350-1000 and scored 4.78 % / 4.74 % instead of 4.60 % / 4.49 %.)
        n = [len(p.u) for p in prepared]
        fit_limits = [m - H for m in n]
        can_validate = c.validate and any(lim > min_input for lim in fit_limits)
        all_windows = build_windows(self.spec, prepared, [range(min_input, m) for m in n], n)
        val_windows = fit_windows = val_scaler = honest_windows = None
        if can_validate:
            fit_windows = build_windows(self.spec, prepared, [range(min_input, max(min_input, lim)) for lim in fit_limits], fit_limits)
            val_windows = build_windows(self.spec, prepared, [range(max(lim, min_input), m) for lim, m in zip(fit_limits, n)], n)
            can_validate = bool(fit_windows) and bool(val_windows)
        if can_validate:
            hist, actuals = ss.cut(H)
            val_scaler = Scaler(c.scaler_config()).fit(hist.values, ss.ids, season=season)
            held = [rollout.prepare(self, i, ss.values[i], ss.times[i], ss.past[i], ss.known[i], horizon=model_h, scaler=val_scaler, end=H)
                    for i in range(len(ss))]
            honest_windows = build_windows(self.spec, held, [range(max(lim, min_input), m) for lim, m in zip(fit_limits, n)], n)
        if not all_windows:
            raise LstmkitError(f"the series are too short to cut one window (shortest {shortest} points, look-back {L}); "
                               "lower --lookback or add data")
        N = len(all_windows["x"])
        steps_epoch = -(-N // min(c.batch_size, N))
        budget = budget_for(c, steps_epoch)
        net_cfg = ForecastNetConfig(inputs=self.spec.inputs, future=self.spec.future, horizon=model_h, quantiles=c.quantiles,
                                    hidden=c.hidden, layers=c.layers, cell=c.cell, dropout=c.dropout, members=c.ensemble)
        say(f"plan: {c.cell} {c.layers}x{c.hidden}, {len(ss)} series, {sum(len(v) for v in ss.values):,} points ({_when(ss)}), season {season}, "
            f"look-back {L}, horizon {H} ({c.strategy}), {N:,} windows{_covariates_text(ss)}; {self.scaler.transforms[0]} transform, "
            f"{adjusted_text(self.scaler, season, c.deseason)}, {self.scaler.config.scale} scale"
            f"{', window level removed' if c.normalize else ''}{level_text(level_in, passed, tested)}; ensemble of {c.ensemble}, "
            f"{budget_text(budget)} each{', validated on the last ' + str(H) + ' steps, then refitted on everything' if can_validate else ''}")

        # -- train the members: validate (pick the step count), then refit on everything ---------
        bar = _Bar(progress, c.ensemble * (2 if can_validate else 1))
        first, final, chosen = [], [], []
        for m in range(c.ensemble):
            seed = c.seed + m
            if can_validate:
                net, best_step, best_val = train_member(c, net_cfg, fit_windows, val_windows, budget, seed, bar, validate=True)
                first.append(net)
                chosen.append((best_step, best_val))
                net, _, _ = train_member(c, net_cfg, all_windows, None, {"steps": max(min(10, budget.get("steps", 10)), best_step)}, seed, bar, validate=False)
            else:
                net, _, _ = train_member(c, net_cfg, all_windows, None, budget, seed, bar, validate=False)
            final.append(net)
        bar.close()

        # -- calibrate the intervals on the held-out steps; score them against the baselines ------
        scale = {str(v): 1.0 for v in c.levels}
        self.validation = {}
        if can_validate:
            self.net = ensemble_of(net_cfg, first)
            with torch.no_grad():
                pred = self.net(torch.from_numpy(honest_windows["x"]), torch.from_numpy(honest_windows["future"])).numpy().mean(0)
            if c.levels:
                scale = interval_scale(pred, honest_windows["y"], honest_windows["mask"], c.levels)
            self.series["interval_scale"] = scale
            means, qs, _ = rollout.forecast(self, hist, H, _held_out_future(ss, H, self.columns.id), scaler=val_scaler, ends=[0] * len(ss))
            self.validation = {"histories": hist, "actuals": actuals, "forecasts": means, "quantiles": qs}
            val_mse = float(((pred[..., 0] - honest_windows["y"]) ** 2 * honest_windows["mask"]).sum() / honest_windows["mask"].sum())
            say(f"validation on the last {H} steps: mean squared error {val_mse:.4f} in network units; steps chosen "
                f"{', '.join(str(b) for b, _ in chosen)}" + (f"; intervals widened x{', x'.join(f'{s:.2f}' for s in scale.values())} to "
                f"cover {', '.join(f'{v}%' for v in c.levels)} of those steps as forecast from every origin among them "
                f"(1 to {H} steps ahead; the table's coverage is the forecast from their start alone)" if c.levels else ""))
        self.net = ensemble_of(net_cfg, final)
        self.series["interval_scale"] = scale
        self.summary = {"fit_s": round(_clock() - t_start, 3), "windows": N, "series": len(ss), "lookback": L, "season": season,
                        "min_input": min_input, "validated": can_validate, "level_input": level_in,
                        "deseasoned": sum(bool(p) for p in self.scaler.profiles), "steps_chosen": [b for b, _ in chosen],
                        "interval_scale": scale, "budget": budget, "parameters": sum(p.numel() for p in self.net.parameters())}
        return self

    # ------------------------------------------------------------------------ forecasting
    def validation_coverage(self) -> dict:
        """The share of the held-out steps inside each interval of the validation forecast (after fit)."""
        v = self.validation
        return coverage(v["actuals"], v["quantiles"], self.config.levels) if v else {}

    def _require_fitted(self) -> None:
        if self.net is None:
            raise LstmkitError("this Forecaster is not fitted yet; call fit(data, target=...) first, or lstmkit.load a saved one")

    def histories(self, data, fill: str | None = None) -> SeriesSet:
        """The series to forecast from: ``data`` (same columns as in fit) or the tails saved in the model."""
        return rollout.histories(self, data, fill)

    def predict(self, h: int | None = None, data=None, *, levels: list | None = None, future=None, fill: str | None = None) -> pd.DataFrame:
        """Forecast ``h`` steps (default: the horizon) after the end of each series.

        Args:
            h: steps to forecast; beyond the trained horizon the forecast is fed back and continued.
            data: the history to forecast from (the training table's columns); default: the end of the
                training data, saved in the model.
            levels: interval levels to report (a subset of those trained, or one of them; default all).
            future: a table of the known covariates over the forecast steps (id, time and those columns).
            fill: fill missing values of ``data`` (ffill, bfill, linear, zero) instead of refusing them.

        Returns a long DataFrame: the id column (when the model has one), the time column, ``mean``, and
        ``lo-<level>``/``hi-<level>`` for each level, as statsforecast names them.
        """
        self._require_fitted()
        if fill is not None and data is None:  # the saved tails were filled at the fit: there is nothing for it to do
            raise LstmkitError(f"--fill {fill} fills the gaps of a history given as DATA (data= in Python), and none is given: the model "
                               "forecasts from its saved tails, which have none; drop --fill, or pass DATA")
        c = self.config
        h = c.horizon if h is None else checked_horizon(h)
        if levels is not None:
            levels = level_list(levels)
            bad = [v for v in levels if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))]
            if bad:
                raise LstmkitError(f"interval level {bad[0]!r} is not a number; pass levels as numbers, such as levels=[80, 95]")
            # 80.0 is the level 80: its columns are named lo-80/hi-80, as the trained levels' are
            levels = [int(v) if float(v).is_integer() else float(v) for v in levels]
        levels = c.levels if levels is None else sorted(set(levels))
        unknown = [v for v in levels if v not in c.levels]
        if unknown:
            raise LstmkitError(f"interval level {unknown[0]} was not trained (this model has {', '.join(map(str, c.levels)) or 'none'}); "
                               "retrain with it among the levels (--level on the command line, levels= in Python)")
        return self.forecast_series(self.histories(data, fill), h, future, levels)

    def forecast_series(self, ss: SeriesSet, h: int, future=None, levels: list | None = None) -> pd.DataFrame:
        """``predict``'s forecast from series already read: ``h`` rows per series, in ``ss``'s order (so that
        a scorer can read them by position, whatever the ids' written form)."""
        means, qs, stamps = rollout.forecast(self, ss, h, future)
        return self._frame(ss, means, qs, stamps, self.config.levels if levels is None else levels)

    def _frame(self, ss: SeriesSet, means, qs, stamps, levels) -> pd.DataFrame:
        frame = forecast_frame(ss.ids, means, qs, stamps, self.config.levels, levels, self.columns.id, self.columns.time or "step")
        zone = ss.zone
        if zone:  # times kept in UTC, shown in the zone the data forecast from wrote them in
            at = self.columns.time or "step"
            frame[at] = pd.DatetimeIndex(frame[at]).tz_localize("UTC").tz_convert(zone)
        kind, col = self.series.get("id_kind", "str"), self.columns.id
        if col and kind != "str":  # ids fitted as numbers come back as numbers, so that the forecast merges with the data
            as_number = pd.to_numeric(frame[col], errors="coerce")
            if as_number.notna().all():
                frame[col] = as_number.astype("int64") if kind == "int" and (as_number % 1 == 0).all() else as_number
        return frame

    def validation_frame(self) -> pd.DataFrame | None:
        """The held-out forecast of ``fit``'s validation (the last horizon of each series, by networks trained
        without it) as ``predict`` lays a forecast out; None when fitted without validation."""
        v = self.validation
        if not v:
            return None
        stamps = [future_times(t, self.series["freq"], len(a)) for t, a in zip(v["histories"].times, v["actuals"])]
        return self._frame(v["histories"], v["forecasts"], v["quantiles"], stamps, self.config.levels)

    def one_step(self, data, start: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One-step-ahead forecasts from the true past, as the air-passenger tutorial scores them (see
        ``forecast_rollout.one_step``). Returns (actuals, forecasts)."""
        self._require_fitted()
        return rollout.one_step(self, data, start)

    # ------------------------------------------------------------------------ saving
    def to_config(self) -> dict:
        return {"task": TASK, "forecast": self.config.to_dict(), "net": self.net.config.to_dict(),
                "spec": asdict(self.spec), "columns": asdict(self.columns), "summary": self.summary}

    def save(self, path: str | Path) -> Path:
        """Write the model directory (config, scaler and series JSON, safetensors weights) as one set."""
        self._require_fitted()
        self.path = artifact.save_model(path, self.to_config(), {"scaler": self.scaler.to_dict(), "series": self.series},
                                        self.net.state_dict(), replaces_run=True)
        return self.path

    @classmethod
    def load(cls, path: str | Path) -> "Forecaster":
        return cls.from_artifact(artifact.open_model(path))

    @classmethod
    def from_artifact(cls, art: artifact.Artifact) -> "Forecaster":
        config, path = art.config, art.path
        artifact.require_task(art, TASK, "a forecasting model")
        fc, net_cfg, spec, cols, scaler, series = read_parts(art)
        net = artifact.build_module(lambda: ForecastEnsemble(net_cfg), art.weights, str(path))
        net.eval()
        model = cls(config=fc)
        model.net, model.scaler, model.spec, model.columns, model.series = net, scaler, spec, cols, series
        model.summary = config.get("summary", {}) if isinstance(config.get("summary"), dict) else {}
        model.path = Path(path)
        return model

    def info(self) -> dict:
        self._require_fitted()
        return {"task": TASK, "forecast": self.config.to_dict(), "net": self.net.config.to_dict(), "spec": asdict(self.spec),
                "columns": asdict(self.columns), "series": len(self.series["ids"]), "freq": self.series["freq"],
                "parameters": sum(p.numel() for p in self.net.parameters()), "summary": self.summary,
                # what "auto" resolved to: each series' transform (counted) and the scale of the fit
                "chosen": {"transforms": dict(Counter(self.scaler.transforms)), "scale": self.scaler.config.scale}}


# ---------------------------------------------------------------------------- helpers
def _held_out_future(ss: SeriesSet, h: int, id_col: str | None) -> pd.DataFrame | None:
    """The known covariates over each series' last ``h`` points, as ``predict(future=...)`` takes them."""
    if not ss.known_names:
        return None
    frames = []
    for i, name in enumerate(ss.ids):
        d = {k: ss.known[i][-h:, j] for j, k in enumerate(ss.known_names)}
        if id_col:
            d[id_col] = [name] * h
        frames.append(pd.DataFrame(d))
    return pd.concat(frames, ignore_index=True)


def _covariates_text(ss: SeriesSet) -> str:
    """The plan's words for the covariate columns: ', known covariates 'promo', past 'temp''."""
    parts = [f"{kind} {', '.join(map(repr, names))}" for kind, names in (("known covariates", ss.known_names), ("past covariates", ss.past_names)) if names]
    return ", " + ", ".join(parts) if parts else ""


def _when(ss: SeriesSet) -> str:
    """How the plan names the times: 'MS in column 'date'', or 'no time column, row order'."""
    if not ss.time_col:
        return "no time column, row order"
    if isinstance(ss.times[0], pd.RangeIndex):
        return f"integer steps in column {ss.time_col!r}"
    return f"{ss.freq or 'no frequency'} in column {ss.time_col!r}"


def _clock() -> float:
    return time.perf_counter()
