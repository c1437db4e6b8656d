"""Where the forecaster's defaults were chosen: hold-outs inside the air-passenger training years only.

    python benchmarks/forecast_defaults.py ["{'lookback': 24, 'dropout': 0.1}"] [--seed 0]

Four hold-outs, all ending before the last 24 months (which the README's table scores): 12 months
after months 84, 96 and 108, and 24 months after month 72. Each is scored by its RMSE relative to the
mean of the held-out months, for ``Forecaster(**options)`` and for Holt-Winters (multiplicative season)
in the same run. The argument is a Python dict of Forecaster options (default: none, the defaults).
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit.data.airpassengers import airpassengers  # noqa: E402

ORIGINS = ((96, 12), (108, 12), (120, 12), (96, 24))  # (end of the data used, months held out at its end)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("options", nargs="?", default="{}", help="a Python dict of Forecaster options")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    opts = ast.literal_eval(args.options)
    df = airpassengers()
    print(f"machine: {machine()}")
    ours, hw = [], []
    t = time.perf_counter()
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    for end, H in ORIGINS:
        d = df.iloc[:end]
        train, y = d.iloc[:-H], d["value"].to_numpy(float)[-H:]
        p = lstmkit.Forecaster(horizon=H, seed=args.seed, **opts).fit(train, target="value", time="date").predict()
        ours.append(np.sqrt(np.mean((p["mean"].to_numpy() - y) ** 2)) / y.mean() * 100)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = ExponentialSmoothing(train["value"].to_numpy(float), trend="add", seasonal="mul", seasonal_periods=12).fit().forecast(H)
        hw.append(np.sqrt(np.mean((f - y) ** 2)) / y.mean() * 100)
    print(f"options {opts}, seed {args.seed}: relative RMSE % " + " ".join(f"{r:.2f}" for r in ours) + f", mean {np.mean(ours):.2f} "
          f"(Holt-Winters {' '.join(f'{r:.2f}' for r in hw)}, mean {np.mean(hw):.2f}); {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
