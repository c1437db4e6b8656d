"""The forecaster's defaults on single series they were not chosen on, beside the simple and classical methods.

    python benchmarks/forecast_unseen.py ["{'dropout': 0.2}"] [--seed 0] [--series shampoo,lynx] [--source pmdarima]

Six series that ship inside the aeon wheel (no download), of kinds the defaults were not chosen on:
ShampooSales (36 monthly points, a trend and no season), the Canadian lynx trappings (yearly, a
10-year cycle), two US quarterly changes (consumption and production: stationary, some negative),
the Longley GNP (16 yearly points) and a solar power series (half-hourly, a daily cycle). Each
series' last horizon is dropped unread, the horizon before it is held out, and every method is fitted on
the rest: ``Forecaster(horizon=H, seed=s, **options)``, the naive, seasonal naive and drift forecasts,
and statsforecast's AutoETS, AutoARIMA and AutoTheta. The score is the MASE against the seasonal naive
forecast's in-sample error; the last lines give each method's mean and lstmkit's rank per series
(1 is best of 7). It reports where lstmkit stands; no default was chosen on it.
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit.models.forecast_eval import metrics  # noqa: E402


def series() -> dict[str, tuple[pd.Series, int, int]]:
    """name -> (the series with a DatetimeIndex, season, horizon)."""
    import aeon.datasets as d

    def s(values, start: str, freq: str) -> pd.Series:
        return pd.Series(np.asarray(values, float), pd.date_range(start, periods=len(values), freq=freq))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aeon marks the shampoo loader deprecated
        us = d.load_uschange()
        return {
            "shampoo": (s(d.load_shampoo_sales(), "2001-01", "MS"), 12, 6),
            "lynx": (s(d.load_lynx(), "1821", "YS"), 1, 10),
            "us-consumption": (s(us[0], "1970-01", "QS"), 4, 8),
            "us-production": (s(us[2], "1970-01", "QS"), 4, 8),
            "longley-gnp": (s(d.load_longley()[0], "1947", "YS"), 1, 3),
            "solar": (s(d.load_solar(), "2020-01-01", "30min"), 48, 48),
        }


def pmdarima_series() -> dict[str, tuple[pd.Series, int, int]]:
    """``--source pmdarima``: six series that ship inside the pmdarima wheel (``pip install pmdarima``; no download),
    read by no choice of a default: Australian wine sales (monthly, 176 points), wool production, beer
    production and residents (quarterly, 119, 212 and 89), a heart rate (150 regular readings, no season)
    and the last 40 years of monthly sunspot numbers."""
    try:
        import pmdarima.datasets as d
    except ImportError:
        raise SystemExit("--source pmdarima reads the series that ship with pmdarima: pip install pmdarima") from None

    def s(values, start: str, freq: str) -> pd.Series:
        return pd.Series(np.asarray(values, float), pd.date_range(start, periods=len(values), freq=freq))

    return {
        "wineind": (s(d.load_wineind(), "1980-01", "MS"), 12, 12),
        "woolyrnq": (s(d.load_woolyrnq(), "1965-01", "QS"), 4, 8),
        "austres": (s(d.load_austres(), "1971-01", "QS"), 4, 8),
        "ausbeer": (s(d.load_ausbeer(), "1956-01", "QS"), 4, 8),
        "heartrate": (pd.Series(np.asarray(d.load_heartrate(), float)), 1, 10),  # no times: row order, as read from a file
        "sunspots-monthly": (s(d.load_sunspots()[-480:], "1943-01", "MS"), 12, 12),
    }


def classical(h: np.ndarray, m: int, H: int) -> dict[str, np.ndarray]:
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    out = {"naive": np.repeat(h[-1], H), "seasonal naive": np.array([h[len(h) - m + (i % m)] for i in range(H)]),
           "drift": h[-1] + (h[-1] - h[0]) / (len(h) - 1) * np.arange(1, H + 1)}
    for name, model in (("AutoETS", AutoETS(season_length=m)), ("AutoARIMA", AutoARIMA(season_length=m)),
                        ("AutoTheta", AutoTheta(season_length=m))):
        out[name] = np.asarray(model.forecast(y=h, h=H)["mean"], float)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("options", nargs="?", default="{}", help="a Python dict of Forecaster options (default: the defaults)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--series", default=None, help="comma-separated names (default: all six)")
    ap.add_argument("--source", choices=("aeon", "pmdarima"), default="aeon", help="whose six series (default aeon)")
    args = ap.parse_args()
    opts = ast.literal_eval(args.options)
    print(f"machine: {machine()}")
    table = {}
    chosen = series() if args.source == "aeon" else pmdarima_series()
    names = args.series.split(",") if args.series else list(chosen)
    for name in names:
        s, m, H = chosen[name]
        hist, actual = s.iloc[:-2 * H], s.iloc[-2 * H:-H].to_numpy()
        h = hist.to_numpy()
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = lstmkit.Forecaster(horizon=H, seed=args.seed, **opts).fit(hist).predict()["mean"].to_numpy()
            fit_s = time.perf_counter() - t
            forecasts = {"lstmkit": f, **classical(h, m, H)}
        row = {k: metrics(actual, v, h, m)["mase"] for k, v in forecasts.items()}
        table[name] = row
        print(f"  {name:15s} {len(h):4d} points, season {m:2d}, horizon {H:2d}, lstmkit {fit_s:5.1f} s: MASE "
              + ", ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
    df = pd.DataFrame(table).T
    print(f"options {opts} seed {args.seed}: mean MASE " + ", ".join(f"{k} {v:.3f}" for k, v in df.mean().items()))
    print("lstmkit's rank per series (1 best of 7): " + ", ".join(f"{k} {int(r)}" for k, r in df.rank(axis=1, method="min")["lstmkit"].items()))


if __name__ == "__main__":
    main()
