"""What a saved forecaster holds besides its weights, and how it is checked when read back.

A forecasting model directory is one artifact (``artifact.save_model``): ``config.json`` with the
forecast options, the network's shape, the window spec and the column names; ``scaler.json`` (the
fitted preparation); ``series.json`` (ids, frequency, the raw tails a forecast starts from, covariate
statistics, the interval factors). ``read_parts`` rebuilds and checks every one of them, so a
tampered or truncated file is one clear error, never a crash at predict time.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .. import artifact, fileset
from ..data.scaling import Scaler
from ..data.windows import WindowSpec
from ..errors import LstmkitError
from .forecast_config import ForecastConfig
from .forecast_net import MAX_STEPS, ForecastNetConfig

MAX_TAIL = 1 << 16


@dataclass
class Columns:
    target: str = "value"
    time: str | None = None
    id: str | None = None
    known: list = field(default_factory=list)
    past: list = field(default_factory=list)


def read_parts(art: artifact.Artifact) -> tuple:
    """(ForecastConfig, ForecastNetConfig, WindowSpec, Columns, Scaler, series dict) from a forecasting artifact."""
    config = art.config
    where = fileset.member(art.path, artifact.CONFIG)
    try:
        fc = ForecastConfig.from_dict(config.get("forecast"), "forecast")
        net_cfg = ForecastNetConfig.from_dict(config.get("net"), "net")
        spec_d = config.get("spec")
        if not isinstance(spec_d, dict):
            raise LstmkitError("'spec' is missing")
        spec = WindowSpec(**{k: spec_d[k] for k in ("lookback", "horizon", "season", "normalize", "calendar", "past", "known")},
                          level_input=spec_d.get("level_input", False))  # saved before the level input: without it
        if not isinstance(spec.level_input, bool):
            raise LstmkitError(f"spec.level_input is {spec.level_input!r}, not true or false")
        for k in ("lookback", "horizon", "season", "calendar", "past", "known"):
            if not isinstance(getattr(spec, k), int) or isinstance(getattr(spec, k), bool) or not 0 <= getattr(spec, k) <= MAX_STEPS:
                raise LstmkitError(f"spec.{k} is {getattr(spec, k)!r}, not a count")
        if spec.inputs != net_cfg.inputs or spec.future != net_cfg.future or spec.horizon != net_cfg.horizon:
            raise LstmkitError("the window spec and the network disagree")
        cols = Columns(**{k: config.get("columns", {}).get(k, getattr(Columns(), k)) for k in ("target", "time", "id", "known", "past")})
        scaler = Scaler.from_dict(art.parts.get("scaler"))
        series = checked_series(art.parts.get("series"), len(scaler.shift), len(cols.past))
    except (LstmkitError, TypeError, KeyError) as e:
        raise LstmkitError(f"{where}: {e}; the model is corrupt — {artifact.FIX}") from None
    return fc, net_cfg, spec, cols, scaler, series


def checked_series(s, n_series: int, n_past: int) -> dict:
    if not isinstance(s, dict):
        raise LstmkitError("series.json is not an object")
    for key, kind in (("ids", list), ("tails", list), ("last_times", list), ("interval_scale", dict), ("datetime", bool)):
        if not isinstance(s.get(key), kind):
            raise LstmkitError(f"series.{key} is missing or of the wrong type")
    if not (len(s["ids"]) == len(s["tails"]) == len(s["last_times"]) == n_series):
        raise LstmkitError("series.json and the scaler describe different numbers of series")
    for t in s["tails"]:
        if not isinstance(t, list) or not t or len(t) > MAX_TAIL or any(not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x) for x in t):
            raise LstmkitError("series.tails must hold lists of finite numbers")
    for key in ("known_mean", "known_std", "past_mean", "past_std", "past_tails"):
        s.setdefault(key, [])
    if n_past and len(s["past_tails"]) != n_series:
        raise LstmkitError("series.past_tails does not match the series")
    # the known covariates' last stretch (models saved before it was kept have none: predicting then needs the history)
    known = s.get("known_tails")
    if known is not None and (not isinstance(known, list) or len(known) != n_series or any(
            not isinstance(k, list) or len(k) != len(t) for k, t in zip(known, s["tails"]))):
        raise LstmkitError("series.known_tails does not match the series")
    for v in s["interval_scale"].values():
        if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise LstmkitError("series.interval_scale must hold positive numbers")
    if s.setdefault("id_kind", "str") not in ("str", "int", "float"):  # models saved before it was kept: text ids
        raise LstmkitError("series.id_kind must be str, int or float")
    if s["datetime"]:  # the forecast's dates step by it: read now, not as a --freq the user never passed
        import pandas as pd

        try:
            pd.tseries.frequencies.to_offset(s.get("freq"))
        except (ValueError, TypeError):
            raise LstmkitError(f"series.freq {s.get('freq')!r} is not a pandas frequency") from None
    return s
