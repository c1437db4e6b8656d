"""Many short series: one global lstmkit model against AutoETS and AutoARIMA fitted per series, in one run.

    python benchmarks/forecast_panel.py [--series 200] [--horizon 6] [--seed 0] [--source generated|m1]

The panel is generated here (no download): yearly series of 15 to 60 points, each drawn from one of
the shapes yearly data take (M4's yearly set is mostly these): a linear trend with noise, a damped
trend, a random walk with drift, exponential growth with multiplicative noise, and a level with a
break. The last ``horizon`` points of each series are held out; every method sees the rest. Scores
are the mean over series of MASE (scaled by the in-sample naive error) and sMAPE, and the fit time.

``--source m1`` takes a real panel instead: the 181 yearly series of the M1 competition (15 to 58
points, horizon 6) that ship inside the aeon wheel (Monash archive's ``m1_yearly_dataset.tsf``); the
last 6 points of each are the competition's test. The panel's defaults were not chosen on it.

``--validation`` is where the defaults are chosen: it drops the held-out points unread and plays the same
game on what is left; ``--validation 2`` drops two horizons, for a second origin inside the training part. ``--options`` passes Forecaster options, to compare a candidate with the default.
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


def make_panel(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        length = int(rng.integers(15, 61))
        t = np.arange(length, dtype=float)
        kind = i % 5
        base = rng.uniform(50, 5000)
        if kind == 0:  # linear trend
            y = base + rng.normal(0.02, 0.02) * base * t + rng.normal(0, 0.03 * base, length)
        elif kind == 1:  # damped trend
            phi = rng.uniform(0.8, 0.95)
            slope = rng.normal(0.05, 0.02) * base
            y = base + slope * (1 - phi ** (t + 1)) / (1 - phi) + rng.normal(0, 0.02 * base, length)
        elif kind == 2:  # random walk with drift
            y = base + np.cumsum(rng.normal(rng.normal(0.01, 0.02) * base, 0.04 * base, length))
        elif kind == 3:  # exponential growth, multiplicative noise
            y = base * np.exp(rng.normal(0.04, 0.02) * t + rng.normal(0, 0.03, length))
        else:  # a level with a break, then a trend
            k = int(rng.integers(5, max(6, length - 5)))
            y = base + np.where(t >= k, rng.normal(0.15, 0.1) * base + 0.02 * base * (t - k), 0.0) + rng.normal(0, 0.03 * base, length)
        out.append(np.maximum(y, 1.0))
    return out


def m1_yearly() -> list[np.ndarray]:
    """The M1 competition's 181 yearly series, from the .tsf file inside the aeon wheel (no download)."""
    import aeon
    from aeon.datasets import load_from_tsf_file

    path = os.path.join(os.path.dirname(aeon.__file__), "datasets", "data", "m1_yearly_dataset", "m1_yearly_dataset.tsf")
    frame, _ = load_from_tsf_file(path)
    return [np.asarray(v, float) for v in frame["series_value"]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=200, help="series to generate (with --source m1: the first this many)")
    ap.add_argument("--horizon", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--source", choices=("generated", "m1"), default="generated",
                    help="the generated panel (default) or M1's yearly series, shipped in the aeon wheel")
    ap.add_argument("--steps", type=int, help="steps per member instead of the default (for a quick check)")
    ap.add_argument("--ensemble", type=int, help="members instead of the default 5 (for a quick check)")
    ap.add_argument("--options", default="{}", help="a Python dict of further Forecaster options, such as \"{'lookback': 3}\"")
    ap.add_argument("--validation", type=int, nargs="?", const=1, default=0, metavar="K",
                    help="where defaults are chosen: drop each series' last K horizons (default 1) unread, and score the "
                         "horizon before them, on the series that keep 15 points")
    args = ap.parse_args()
    quick = {k: v for k, v in (("steps", args.steps), ("ensemble", args.ensemble)) if v is not None}
    quick.update(ast.literal_eval(args.options))
    H = args.horizon
    series = make_panel(args.series, args.seed) if args.source == "generated" else m1_yearly()[:args.series]
    if args.validation:
        series = [y[:-H * args.validation] for y in series if len(y) - H * args.validation >= 15]
    hist = [y[:-H] for y in series]
    actual = [y[-H:] for y in series]
    print(f"machine: {machine()}")
    drop = f"the last {args.validation * H} points dropped" if args.validation else ""
    print(f"{'validation inside the training parts (' + drop + '); ' if args.validation else ''}options {quick or 'none'}")
    print(f"panel: {'M1 ' if args.source == 'm1' else ''}{len(series)} yearly series of {min(map(len, series))}-{max(map(len, series))} points, horizon {H}")
    rows = [pd.DataFrame({"id": f"s{i:03d}", "year": pd.date_range("1960", periods=len(y), freq="YS"), "y": y}) for i, y in enumerate(hist)]
    df = pd.concat(rows, ignore_index=True)

    scores = {}
    t = time.perf_counter()
    fc = lstmkit.Forecaster(horizon=H, seed=args.seed, **quick).fit(df, target="y", time="year", id="id")
    p = fc.predict()
    sec = time.perf_counter() - t
    ours = [p.loc[p["id"] == f"s{i:03d}", "mean"].to_numpy() for i in range(len(series))]
    scores["lstmkit (one global model)"] = (ours, sec)

    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    sf_df = pd.concat([pd.DataFrame({"unique_id": f"s{i:03d}", "ds": np.arange(len(y)), "y": y}) for i, y in enumerate(hist)], ignore_index=True)
    for name, model in (("AutoETS", AutoETS(season_length=1)), ("AutoARIMA", AutoARIMA(season_length=1)), ("AutoTheta", AutoTheta(season_length=1))):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=sf_df, h=H)
        sec = time.perf_counter() - t
        col = [c for c in f.columns if c not in ("unique_id", "ds")][0]
        scores[name] = ([f.loc[f["unique_id"] == f"s{i:03d}", col].to_numpy() for i in range(len(series))], sec)
    scores["naive"] = ([np.repeat(h[-1], H) for h in hist], 0.0)

    print(f"\n{'method':28s} {'mean MASE':>10s} {'mean sMAPE %':>13s} {'seconds':>8s}")
    table = {}
    for name, (fs, sec) in scores.items():
        ms = [metrics(a, f, h, 1) for a, f, h in zip(actual, fs, hist)]
        table[name] = (float(np.mean([m["mase"] for m in ms])), float(np.mean([m["smape"] for m in ms])))
        print(f"{name:28s} {table[name][0]:10.3f} {table[name][1]:13.2f} {sec:8.1f}")
    ours_t = table["lstmkit (one global model)"]
    for rival in ("AutoETS", "AutoARIMA"):
        print(f"lstmkit / {rival}: MASE {ours_t[0] / table[rival][0]:.3f}, sMAPE {ours_t[1] / table[rival][1]:.3f} (below 1: lstmkit better)")


if __name__ == "__main__":
    main()
