"""Single public series that statsmodels ships, for choosing the forecaster's defaults beyond air passengers.

    python benchmarks/forecast_singles.py ["{'dropout': 0.2}"] [--seed 0] [--more]

Five series of other kinds: CO2 (monthly, strong trend and season; its last 20 years), sunspots (yearly,
an 11-year cycle), the Nile's volume (yearly, a level shift), US real GDP (quarterly, trend) and the El
Nino sea temperature (monthly, season and noise; its last 25 years). Each is scored *inside its
training period*: its last 2 horizons are dropped unread (a test someone else may hold), the horizon
before them is held out, and ``Forecaster(horizon=H, seed=s, **options)`` is fitted on the rest. The
score is the MASE against the seasonal naive forecast's in-sample error, beside the seasonal naive's
own score; the last line gives the mean over the five (lower is better). ``--more`` adds 13 further
statsmodels series, quarterly or monthly, most of them stationary (US inflation, the real interest and
T-bill rates, unemployment, real investment, CPI and M1; German inflation and interest rates; Danish
money, bond and deposit rates; euro-area electrical equipment orders), scored the same way.
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
    import statsmodels.api as sm

    out = {}
    co2 = sm.datasets.co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
    out["co2"] = (co2.iloc[-240:], 12, 12)
    sun = sm.datasets.sunspots.load_pandas().data
    out["sunspots"] = (pd.Series(sun["SUNACTIVITY"].to_numpy(float) + 1.0, pd.date_range("1700", periods=len(sun), freq="YS")), 1, 10)
    nile = sm.datasets.nile.load_pandas().data
    out["nile"] = (pd.Series(nile["volume"].to_numpy(float), pd.date_range("1871", periods=len(nile), freq="YS")), 1, 10)
    macro = sm.datasets.macrodata.load_pandas().data
    out["realgdp"] = (pd.Series(macro["realgdp"].to_numpy(float), pd.date_range("1959-01", periods=len(macro), freq="QS")), 4, 8)
    nino = sm.datasets.elnino.load_pandas().data.iloc[:, 1:].to_numpy(float).ravel()
    out["elnino"] = (pd.Series(nino, pd.date_range("1950-01", periods=len(nino), freq="MS")).iloc[-300:], 12, 12)
    return out


def more() -> dict[str, tuple[pd.Series, int, int]]:
    """13 further statsmodels series: name -> (the series with a DatetimeIndex, season, horizon)."""
    import statsmodels.api as sm
    import statsmodels.datasets.elec_equip as elec_equip

    def quarterly(values, start: str) -> pd.Series:
        return pd.Series(np.asarray(values, float), pd.date_range(start, periods=len(values), freq="QS"))

    macro = sm.datasets.macrodata.load_pandas().data
    out = {f"us-{c}": (quarterly(macro[c], "1959-01"), 4, 8) for c in ("infl", "realint", "unemp", "tbilrate", "realinv", "cpi", "m1")}
    de = sm.datasets.interest_inflation.load_pandas().data
    out.update({f"de-{c}": (quarterly(de[c], "1972-04"), 4, 8) for c in ("Dp", "R")})
    dk = sm.datasets.danish_data.load_pandas().data
    out.update({f"dk-{c}": (quarterly(dk[c], "1974-01"), 4, 8) for c in ("lrm", "ibo", "ide")})
    el = elec_equip.load().data
    out["elec-equip"] = (pd.Series(el.iloc[:, 0].to_numpy(float), pd.date_range("1996-01", periods=len(el), freq="MS")), 12, 12)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("options", nargs="?", default="{}", help="a Python dict of Forecaster options (default: the defaults)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--more", action="store_true", help="add 13 further statsmodels series")
    args = ap.parse_args()
    opts = ast.literal_eval(args.options)
    print(f"machine: {machine()}")
    ours, naive = [], []
    t0 = time.perf_counter()
    chosen = {**series(), **(more() if args.more else {})}
    for name, (s, m, H) in chosen.items():
        hist, actual = s.iloc[:-3 * H], s.iloc[-3 * H:-2 * H].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = lstmkit.Forecaster(horizon=H, seed=args.seed, **opts).fit(hist)
            f = fc.predict()["mean"].to_numpy()
        h = hist.to_numpy()
        snaive = np.array([h[len(h) - m + (i % m)] for i in range(H)])
        ours.append(metrics(actual, f, h, m)["mase"])
        naive.append(metrics(actual, snaive, h, m)["mase"])
        print(f"  {name:12s} {len(h):4d} points, season {m:2d}, horizon {H:2d}: MASE {ours[-1]:.3f} (seasonal naive {naive[-1]:.3f})"
              f"{', level as input' if fc.spec.level_input else ''}", flush=True)
    print(f"options {opts} seed {args.seed}: mean MASE {np.mean(ours):.3f} over {len(ours)} series (seasonal naive {np.mean(naive):.3f}); "
          f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
