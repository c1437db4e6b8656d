"""lstmkit's default forecaster against the classical methods on the air-passenger series, in one run.

    python benchmarks/forecast_airpassengers.py [--seeds 5] [--holdouts 12 24] [--backtest 10]

For each hold-out (the last 12 months, then the last 24) every method is fitted on the months before it
and forecasts all of it at once (multi-step, no true values fed back). lstmkit is run with its defaults
(``lstmkit.Forecaster(horizon=H, seed=s)``, an ensemble of 5 networks per fit) for each seed; the table
gives the median RMSE over seeds with its range. Beside it, the same run fits Holt-Winters (statsmodels,
multiplicative season), the airline SARIMA (0,1,1)(0,1,1)12, statsforecast's AutoARIMA, AutoETS and
AutoTheta, and the seasonal naive forecast, and times each.

Also: the tutorial's recipe (look-back 3, 4 units, 67 %/33 %) and its one-step RMSE beside the default's
one-step RMSE on the same test months; ``predict`` latency; and with ``--backtest K`` the coverage of
lstmkit's 80 % intervals over K rolling origins (horizon 12, one month apart).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
from common import machine  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit.cli_forecast import RECIPES  # noqa: E402
from lstmkit.data.airpassengers import airpassengers  # noqa: E402
from lstmkit.models.forecast_eval import backtest, seed_recipe  # noqa: E402


def rmse(a, f) -> float:
    return float(np.sqrt(np.mean((np.asarray(a, float) - np.asarray(f, float)) ** 2)))


def classical(train: np.ndarray, h: int) -> dict[str, tuple[np.ndarray, float]]:
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        f = ExponentialSmoothing(train, trend="add", seasonal="mul", seasonal_periods=12).fit().forecast(h)
        out["Holt-Winters (mul)"] = (f, time.perf_counter() - t)
        t = time.perf_counter()
        f = SARIMAX(train, order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(disp=False).forecast(h)
        out["airline SARIMA"] = (f, time.perf_counter() - t)
        for name, model in (("AutoARIMA", AutoARIMA(season_length=12)), ("AutoETS", AutoETS(season_length=12)),
                            ("AutoTheta", AutoTheta(season_length=12))):
            t = time.perf_counter()
            f = model.forecast(y=train.astype(float), h=h)["mean"]
            out[name] = (np.asarray(f), time.perf_counter() - t)
    out["seasonal naive"] = (np.array([train[len(train) - 12 + (i % 12)] for i in range(h)]), 0.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--holdouts", type=int, nargs="+", default=[12, 24])
    ap.add_argument("--backtest", type=int, default=0, help="rolling origins for the interval coverage (0: skip)")
    ap.add_argument("--steps", type=int, help="steps per member instead of the default (for a quick check)")
    ap.add_argument("--ensemble", type=int, help="members per fit instead of the default 5 (for a quick check)")
    ap.add_argument("--recipe-epochs", type=float, default=100.0, help="the tutorial's epochs (default 100)")
    args = ap.parse_args()
    quick = {k: v for k, v in (("steps", args.steps), ("ensemble", args.ensemble)) if v is not None}
    df = airpassengers()
    y = df["value"].to_numpy(float)
    print(f"machine: {machine()}")
    for H in args.holdouts:
        train, test = df.iloc[:-H], y[-H:]
        scores, times = [], []
        for s in range(args.seeds):
            t = time.perf_counter()
            fc = lstmkit.Forecaster(horizon=H, seed=s, **quick).fit(train, target="value", time="date")
            p = fc.predict()
            times.append(time.perf_counter() - t)
            scores.append(rmse(test, p["mean"]))
            print(f"  H={H} seed {s}: RMSE {scores[-1]:.2f}, fit+predict {times[-1]:.1f} s", flush=True)
        rows = {name: (rmse(test, f), sec) for name, (f, sec) in classical(train["value"].to_numpy(float), H).items()}
        med = statistics.median(scores)
        print(f"\nlast {H} months held out, multi-step RMSE (lower is better):")
        print(f"  {'lstmkit default (median of ' + str(args.seeds) + ' seeds)':44s} {med:7.2f}  range {min(scores):.2f}-{max(scores):.2f}  "
              f"fit+predict {statistics.median(times):.1f} s")
        for name, (r, sec) in sorted(rows.items(), key=lambda kv: kv[1][0]):
            print(f"  {name:44s} {r:7.2f}  ratio lstmkit/this {med / r:.3f}  fit {sec:.2f} s")
        best = min(r for r, _ in rows.values())
        print(f"  lstmkit beats every baseline: {'yes' if med < best else 'no'} (best baseline {best:.2f})\n", flush=True)

    # -- predict latency, in process ------------------------------------------------------
    lat = []
    for _ in range(50):
        t = time.perf_counter()
        fc.predict()
        lat.append(time.perf_counter() - t)
    print(f"predict latency, one series, horizon {H}, ensemble of 5: p50 {statistics.median(lat) * 1e3:.1f} ms, "
          f"max {max(lat) * 1e3:.1f} ms")

    # -- the tutorial's recipe, one step ahead ----------------------------------------------
    r = seed_recipe(df, "value", "date", seed=0, options={**RECIPES["airline-seed"], "epochs": args.recipe_epochs})
    cut = r["cut"]
    d = lstmkit.Forecaster(horizon=12, seed=0, **quick).fit(df.iloc[:cut], target="value", time="date")
    a_te, f_te = d.one_step(df, start=cut)
    print(f"tutorial recipe (look-back 3, 4 units, {args.recipe_epochs:g} epochs at batch 1): one-step RMSE train {r['train_rmse']:.2f}, "
          f"test {r['test_rmse']:.2f}; the default on the same {len(a_te)} test months, one step ahead: {rmse(a_te, f_te):.2f}")

    # -- interval coverage over rolling origins ----------------------------------------------
    if args.backtest:
        b = backtest(df, "value", "date", horizon=12, windows=args.backtest, step=1, with_classical=False, **quick)
        print(f"backtest, {args.backtest} origins one month apart, horizon 12: lstmkit RMSE {b['table']['lstmkit']['rmse']:.2f} "
              f"(seasonal naive {b['table']['seasonal naive']['rmse']:.2f}); 80 % intervals cover {b['coverage']['80'] * 100:.0f} % "
              f"and 95 % cover {b['coverage']['95'] * 100:.0f} % of {12 * args.backtest} forecast points; fit {statistics.median(b['fit_s']):.1f} s each")


if __name__ == "__main__":
    main()
