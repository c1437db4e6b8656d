"""How a fitted Forecaster reads histories and runs its networks over them: a series into network units
(``prepare``) from the histories given or saved (``histories``), the multi-step forecast fed back block by block (``forecast``), and the tutorial's
one-step-ahead scoring from the true past (``one_step``).

    history -> transform, season, difference, scale (the saved Scaler) -> window of the look-back
        -> networks (mean of the members) -> level added back -> inverse preparation -> forecast

Example:
    means, quantiles, times = forecast(fc, fc.histories(None), 12)   # fc: a fitted Forecaster; what predict lays out
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ..data.scaling import Scaler
from ..data.future import read_future
from ..data.calendar import calendar, future_times, steps_between
from ..data.series import SeriesSet, id_number, to_series
from ..data.series_input import index_times
from ..data.times import stamp
from ..data.windows import Prepared, window
from ..errors import LstmkitError
from .forecast_intervals import nested, quantile_scale


def series_index(saved: list[str], names: list[str]) -> dict:
    """Each name of ``names`` that is a series the model was fitted on, and that series' position: as written,
    or else as the whole number it writes (a model fitted on ids read as numbers, 7, knows the series a CSV
    writes "007", and back), when that series is not itself among ``names``."""
    index = {name: i for i, name in enumerate(saved)}
    by_number = {}
    for name, i in index.items():
        if id_number(name) is not None:
            by_number.setdefault(id_number(name), []).append(name)
    for name in names:
        same = by_number.get(id_number(name), []) if name not in index else []
        if len(same) == 1 and same[0] not in names:
            index[name] = index[same[0]]
    return index


def prepare(fc, i: int, y: np.ndarray, times: pd.Index, past: np.ndarray, known: np.ndarray, horizon: int,
             known_future: np.ndarray | None = None, scaler: Scaler | None = None, si: int | None = None, end: int = 0) -> Prepared:
    """Series ``i`` in network units (its last point ``end`` steps after the training end), its calendar
    through ``horizon`` steps past its end."""
    sc, si = scaler or fc.scaler, i if si is None else si
    d = fc.config.difference
    kind = sc.transforms[si]
    if kind in ("log", "boxcox") and len(y) and not (y > 0).all():  # a new history: fit checked the training values
        k = int(np.argmax(~(y > 0)))
        name = fc.series["ids"][si] if si < len(fc.series["ids"]) else None
        raise LstmkitError(f"{'series ' + repr(name) if name else 'the series'} holds {y[k]:g} at {stamp(times[k]) if len(times) > k else 'point ' + str(k + 1)}, "
                           f"and the model takes the {kind} of its values, which needs them positive; fix that value, or train again with --transform none")
    u = sc.transform(si, y, end).astype(np.float32)
    if fc.spec.calendar:
        all_times = times.append(future_times(times, fc.series["freq"], horizon)) if len(times) else times
        cal = calendar(all_times, fc.series["freq"], fc.spec.calendar)[d:].astype(np.float32)
    else:
        cal = np.zeros((len(u) + horizon, 0), np.float32)
    pm, ps = np.asarray(fc.series["past_mean"]), np.asarray(fc.series["past_std"])
    km, ks = np.asarray(fc.series["known_mean"]), np.asarray(fc.series["known_std"])
    p = ((past - pm) / ps)[d:].astype(np.float32) if past.shape[1] else np.zeros((len(u), 0), np.float32)
    k_all = known if known_future is None else np.concatenate([known, known_future], 0)
    k = ((k_all - km) / ks)[d:].astype(np.float32) if k_all.shape[1] else np.zeros((len(u), 0), np.float32)
    # an adjusted series' level: its last point, now that each point is adjusted by its own year's season
    # (on air passengers, inside the training years, relative RMSE 4.60 % with the last point, 5.25 % with
    # the last quarter season, 6.18 % with the whole season). A model saved before that adjusted every
    # year by the last one's shape, which leaves some season to average out: its last quarter season.
    span = (1 if sc.adjusted_by_time(si) else max(1, fc.spec.season // 4)) if sc.seasonal(si) else 0
    return Prepared(u, cal, p, k, span)


def forecast(fc, ss: SeriesSet, h: int, future=None, scaler: Scaler | None = None,
              ends: list[int] | None = None) -> tuple[list[np.ndarray], list[np.ndarray], list[pd.Index]]:
    """Per series: the mean (h,), the quantiles (h, 2k) (lo widest first, then hi innermost first) and the times.
    ``scaler`` and ``ends`` replace the model's preparation and each history's distance from its training
    end (the validation forecast: the held-out steps' own scaler, fitted on exactly these histories)."""
    c, spec = fc.config, fc.spec
    id_index = series_index(fc.series["ids"], ss.ids)
    scalers = []
    for j, name in enumerate(ss.ids):
        if name in id_index:
            scalers.append((scaler or fc.scaler, id_index[name]))
        else:  # a series the model has not seen: the global model, with its own fitted preparation
            scalers.append((Scaler(fc.scaler.config).fit([ss.values[j]], [name], season=spec.season), 0))
        L_need = c.difference + 1
        if len(ss.values[j]) < L_need + 1:
            raise LstmkitError(f"series {name!r} has {len(ss.values[j])} points; it needs at least {L_need + 1} to forecast from")
    k = len(c.quantiles)
    scale = quantile_scale(fc.series.get("interval_scale", {}), c.levels)
    hist = [np.asarray(v, float) for v in ss.values]
    # where each history ends, in steps after its training series' end (for the seasonal offsets' phase)
    if ends is None:
        ends = [steps_after(fc, id_index[name], ss.times[j]) if name in id_index and scalers[j][0].seasonal(scalers[j][1]) else 0
                for j, name in enumerate(ss.ids)]
    out_mean = [np.zeros(0) for _ in ss.ids]
    out_q = [np.zeros((0, 2 * k)) for _ in ss.ids]
    block, done = spec.horizon, 0
    stamps = lambda n: [future_times(t, ss.freq or fc.series["freq"], n) for t in ss.times]  # noqa: E731
    read = lambda n: read_future(future, ss.ids, fc.columns.id, fc.columns.known, n, fc.columns.time, stamps(n), ss.zone,  # noqa: E731
                                 fc.series.get("ids_as_written", False))
    times, known_future = stamps(h), None
    if fc.columns.known and h % block:
        # the network reads the known covariates of its whole block of steps; where the table holds them past the
        # steps asked for, they are read, so that a shorter forecast is the first steps of the full one
        try:
            known_future = read(-(-h // block) * block)
        except LstmkitError:
            pass  # the table covers only the steps asked for (read, and named if it does not, just below)
    if known_future is None:
        known_future = read(h)
    while done < h:
        xs, fs, levels, anchors = [], [], [], []
        for j in range(len(ss.ids)):
            sc, si = scalers[j]
            t_all = ss.times[j].append(times[j][:done]) if done else ss.times[j]
            kf = known_future[j][done:done + block] if known_future is not None else None
            kh = ss.known[j] if not done or known_future is None else np.concatenate([ss.known[j], known_future[j][:done]], 0)
            ph = ss.past[j]
            if done and ph.shape[1]:  # past covariates do not extend into the forecast: hold the last value
                ph = np.concatenate([ph, np.repeat(ph[-1:], done, 0)], 0)
            p = prepare(fc, j, hist[j], t_all, ph, kh, block, kf, scaler=sc, si=si, end=ends[j] + done)
            x, f, _, _, level = window(spec, p, len(p.u), len(p.u))
            xs.append(x)
            fs.append(f)
            levels.append(level)
            anchors.append(sc.anchor(si, hist[j], ends[j] + done))
        with torch.no_grad():
            pred = fc.net(torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(fs))).numpy().mean(0)  # (S, block, outputs)
        take = min(block, h - done)
        grow = math.sqrt(done // block + 1)  # a fed-back block: widths grow as a random walk's
        for j in range(len(ss.ids)):
            sc, si = scalers[j]
            mean_u = pred[j, :take, 0] + levels[j]
            q_u = pred[j, :take, 0:1] + (pred[j, :take, 1:] - pred[j, :take, 0:1]) * scale * grow + levels[j]
            q_u = nested(q_u, mean_u)
            e = ends[j] + done
            mean = sc.inverse(si, mean_u, anchors[j], e)
            q = np.stack([sc.inverse(si, q_u[:, i], anchors[j], e) for i in range(2 * k)], 1) if k else np.zeros((take, 0))
            out_mean[j] = np.concatenate([out_mean[j], mean])
            out_q[j] = np.concatenate([out_q[j], q], 0)
            hist[j] = np.concatenate([hist[j], mean])
        done += take
    return out_mean, out_q, times


def histories(fc, data, fill: str | None = None) -> SeriesSet:
    """The series a fitted Forecaster ``fc`` forecasts from: ``data`` (the training table's columns) or the tails
    saved in the model."""
    cols = fc.columns
    if data is None:
        s = fc.series
        times = []
        for last, tail in zip(s["last_times"], s["tails"]):
            n = len(tail)
            if s["datetime"]:
                times.append(pd.date_range(end=pd.Timestamp(last), periods=n, freq=s["freq"]))
            else:
                step = s.get("step", 1)
                times.append(pd.RangeIndex(int(last) - (n - 1) * step, int(last) + step, step))
        if cols.known and s.get("known_tails") is None:  # saved before the covariates' tails were kept
            raise LstmkitError(f"this model uses known covariates ({', '.join(cols.known)}); pass the history as DATA and their future values with --future")
        known = [np.asarray(k, float).reshape(len(t), len(cols.known)) for k, t in zip(s.get("known_tails") or [[]] * len(s["tails"]), s["tails"])]
        past = [np.asarray(p, float).reshape(len(t), len(cols.past)) for p, t in zip(s["past_tails"], s["tails"])]
        return SeriesSet(list(s["ids"]), [np.asarray(t, float) for t in s["tails"]], times, s["freq"], known, past,
                         list(cols.known), list(cols.past), cols.target, cols.time, s.get("id_kind", "str"), s.get("zone"))
    # a Series whose index holds times is read by them, as at the fit; one of row numbers in row order
    time = cols.time if not isinstance(data, pd.Series) or index_times(data.index) is not None else None
    ss = to_series(data, cols.target, time, cols.id,
                   known=tuple(cols.known), past=tuple(cols.past), fill=fill, freq=fc.series["freq"], find_time=False,
                   ids_as_written=fc.series.get("ids_as_written", False), model_zone=fc.series.get("zone"))
    if fc.series.get("datetime") and not isinstance(ss.times[0], pd.DatetimeIndex):
        raise LstmkitError(f"the model was trained on dates{' in ' + repr(cols.time) if cols.time else ''}, and this history has none; "
                           f"pass it with its dates ({'a table with the ' + repr(cols.time) + ' column, or ' if cols.time else ''}a Series indexed by them)")
    step = fc.series.get("step", 1)
    for name, t in zip(ss.ids, ss.times):
        if isinstance(t, pd.RangeIndex) and len(t) > 1 and ss.time_col and t.step != step:
            raise LstmkitError(f"{'series ' + repr(name) if name else 'the data'} counts {cols.time!r} in steps of {t.step}; "
                               f"the model was trained on steps of {step}: give it data at those times")
    return ss


def steps_after(fc, si: int, times: pd.Index) -> int:
    """How many steps the last of ``times`` lies after the end of training series ``si`` (negative: before)."""
    return steps_between(fc.series["last_times"][si], times, fc.series["freq"], fc.series["datetime"])


def one_step(fc, data, start: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One-step-ahead forecasts from the true past, as the air-passenger tutorial scores them: for every
    point ``t >= start`` (default: the look-back) of the first series, the forecast of ``y[t]`` made from
    ``y[:t]``. Returns (actuals, forecasts)."""
    ss = fc.histories(data)
    y, t_idx = ss.values[0], ss.times[0]
    si = series_index(fc.series["ids"], ss.ids).get(ss.ids[0], 0)
    sc = fc.scaler
    end = steps_after(fc, si, t_idx) if sc.seasonal(si) else 0
    p = prepare(fc, si, y, t_idx, ss.past[0], ss.known[0], fc.spec.horizon, end=end)
    d = fc.config.difference
    if start is not None and (isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < len(y)):
        raise LstmkitError(f"start={start!r} must be a point of the series: a whole number from 0 to {len(y) - 1}")
    start = max(fc.spec.lookback + d, start or 0)
    if start >= len(y):
        raise LstmkitError(f"the series has {len(y)} points, and a one-step forecast needs the look-back ({fc.spec.lookback}"
                           f"{' + 1 for differencing' if d else ''}) before its first; give a longer history")
    xs, fs, lv = [], [], []
    for t in range(start - d, len(p.u)):
        x, f, _, _, level = window(fc.spec, p, t, t)
        xs.append(x)
        fs.append(f)
        lv.append(level)
    with torch.no_grad():
        pred = fc.net(torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(fs))).numpy().mean(0)[:, 0, 0]
    u = pred + np.asarray(lv)
    # the origin t forecasts y[t + d] from y[:t + d], whose last point lies this far after the training end
    ends = [end - (len(y) - (t + d)) for t in range(start - d, len(p.u))]
    anchors = [sc.anchor(si, y[: t + d], e) for t, e in zip(range(start - d, len(p.u)), ends)]
    forecasts = np.array([sc.inverse(si, u[i:i + 1], anchors[i], ends[i])[0] for i in range(len(u))])
    return y[start:], forecasts
