"""``lstmkit forecast ...``: train, predict, evaluate and backtest, a thin table over ``Forecaster``."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .cli_common import Command, check_table_out, check_plot, emit, fitting_into, load_as, unsaved_on_interrupt, write_table, json_text
from .errors import LstmkitError

forecast_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                           help="Time-series forecasting: a CSV of one or many series in, a multi-step forecast with intervals out.")

RECIPES = {
    # The air-passenger tutorial's network: MinMax to [0, 1], look-back 3, 4 LSTM units, one step ahead,
    # 100 epochs at batch 1 with Adam (Keras' 1e-3), a 67 % / 33 % split in time, scored one step ahead.
    "airline-seed": dict(horizon=1, lookback=3, hidden=4, scale="minmax", transform="none", normalize=False, calendar=False, deseason="none",
                         levels=[], ensemble=1, validate=False, epochs=100.0, batch_size=1, lr=1e-3, schedule="constant", min_input=3),
}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


FREQ_HELP = ("The pandas frequency of the times (MS, D, h ...) instead of inferring it; a time of that grid with no row is "
             "a missing value (see --fill).")
CLASSICAL_HELP = ("Add statsforecast's AutoETS, AutoARIMA, AutoTheta and statsmodels' Holt-Winters to the table "
                  "(default: when the [baselines] extra is installed).")


def _data(data: Optional[Path], demo: bool):
    if demo and data is not None:
        raise LstmkitError("pass DATA or --demo, not both")
    if demo:
        from .data.airpassengers import airpassengers

        return airpassengers(), "value", "date"
    if data is None:
        raise LstmkitError("pass a CSV or Parquet file (DATA), or --demo for the built-in air-passenger series")
    return data, None, None


def _options(**kw) -> dict:
    return {k: v for k, v in kw.items() if v is not None}


# The covariates, network and preparation options, shared by ``train`` and ``backtest`` (a backtest refits what
# train would fit). Each is (annotation, typer.Option); None means the Forecaster's default.
MODEL_OPTIONS = {
    "known": (Optional[List[str]], typer.Option(None, "--known", help="A covariate column known in the future, repeatable (default: none).")),
    "past": (Optional[List[str]], typer.Option(None, "--past", help="A covariate column known only up to now, repeatable (default: none).")),
    "lookback": (Optional[int], typer.Option(None, help="Input steps per window (default: 2 seasons, or twice the horizon without a season; cut to the longest series' room, shorter ones padded).")),
    "season": (Optional[int], typer.Option(None, help="Seasonal period (default: from the frequency, monthly 12, daily 7 ...).")),
    "level": (Optional[List[float]], typer.Option(None, "--level", help="Interval level in percent, repeatable (default 80 and 95).")),
    "strategy": (Optional[str], typer.Option(None, help="direct (all steps at once, default) or recursive (one step, fed back).")),
    "cell": (Optional[str], typer.Option(None, help="lstm (default) or gru.")),
    "hidden": (Optional[int], typer.Option(None, help="Units per recurrent layer (default 64).")),
    "layers": (Optional[int], typer.Option(None, help="Recurrent layers (default 1).")),
    "dropout": (Optional[float], typer.Option(None, help="Dropout before the head (default 0.1).")),
    "transform": (Optional[str], typer.Option(None, help="auto (log when every value is positive; default), none, log or boxcox.")),
    "difference": (Optional[int], typer.Option(None, help="1 models the step-to-step changes (default 0).")),
    "scale": (Optional[str], typer.Option(None, help="auto (default: changes for several series, standard for one), standard, changes (by the mean one-step change), minmax or none.")),
    "deseason": (Optional[str], typer.Option(None, help=(
        "Take each series' seasonal shape out before the network and add it back to the forecast: auto (when its STL season has a strength of 0.64 or more, with 3 seasons of data; default), always (from 2 seasons) or none."))),
    "range_lo": (Optional[float], typer.Option(None, help="MinMax range low end (default 0).")),
    "range_hi": (Optional[float], typer.Option(None, help="MinMax range high end (default 1).")),
    "normalize": (Optional[bool], typer.Option(None, "--normalize/--no-normalize", help="Remove each window's level (default: yes).")),
    "level_input": (Optional[str], typer.Option(None, help=(
        "Also give the network that level as an input, to forecast a return to the mean: auto (when most series pass the KPSS stationarity test; default), on or off."))),
    "calendar": (Optional[bool], typer.Option(None, "--calendar/--no-calendar", help="Calendar features from the time column (default: yes).")),
    "ensemble": (Optional[int], typer.Option(None, help="Networks trained with different seeds, averaged (default 5).")),
    "minutes": (Optional[float], typer.Option(None, help="Wall-clock budget, split over the members (train: the whole fit, validation networks and "
                                                         "final ones; backtest: each origin's fit; default: a steps budget).")),
    "steps": (Optional[int], typer.Option(None, help="Optimizer steps per member (default: 50 passes over the windows, 1000-3000).")),
    "epochs": (Optional[float], typer.Option(None, help="Passes over the windows per member (default: --steps).")),
    "batch_size": (Optional[int], typer.Option(None, help="Windows per batch (default 32).")),
    "lr": (Optional[float], typer.Option(None, help="Peak learning rate (default 5e-3).")),
    "validate": (Optional[bool], typer.Option(None, "--validate/--no-validate", help="Hold out the last horizon steps to choose the step count and calibrate the intervals, then refit (default: yes).")),
}


def with_model_options(command):
    """Add MODEL_OPTIONS to ``command``'s signature, as typer reads it, and hand them to it: the covariate
    columns as ``known`` and ``past`` tuples (``fit``'s arguments), the rest as one dict ``options`` of the
    Forecaster arguments given (``level`` becomes ``levels``)."""
    import functools
    import inspect
    import typing

    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name not in ("options", "known", "past")]
    added = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
             for name, (annotation, option) in MODEL_OPTIONS.items()]

    @functools.wraps(command)
    def wrapper(**kw):
        given = _options(**{name: kw.pop(name) for name in MODEL_OPTIONS})
        if "level" in given:
            given["levels"] = list(given.pop("level"))
        covariates = {name: tuple(given.pop(name, None) or ()) for name in ("known", "past")}  # fit's, not the config's
        return command(**kw, **covariates, options=given)

    wrapper.__signature__ = signature.replace(parameters=kept + added)
    wrapper.__annotations__ = {**typing.get_type_hints(command), **{n: a for n, (a, _) in MODEL_OPTIONS.items()}}
    del wrapper.__wrapped__  # typer would read the undecorated signature through it
    return wrapper


def _print_table(result: dict, title: str, err: bool = False) -> None:
    """The scores table, on stdout (or on stderr, where stdout carries a CSV)."""
    from .models.forecast_eval import table_text

    text = table_text(result["table"], result.get("coverage"), title) + "\n"
    if err:
        print(text, end="", file=sys.stderr, flush=True)
    else:
        emit(text)


@forecast_app.command("train", cls=Command)
@with_model_options
def forecast_train(
    data: Optional[Path] = typer.Argument(None, metavar="DATA", help="CSV or Parquet in long format (or --demo)."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the model."),
    target: Optional[str] = typer.Option(None, help="The column to forecast (default: the only numeric column)."),
    time: Optional[str] = typer.Option(None, help="The time column; parsed, its frequency inferred (default: the one column of dates, else row order)."),
    id: Optional[str] = typer.Option(None, "--id", help="The column naming each series; all are learnt by one global model (default: one series)."),
    horizon: Optional[int] = typer.Option(None, help="Steps to forecast (default 12)."),
    demo: bool = typer.Option(False, "--demo", help="Use the built-in monthly air-passenger series (1949-1960)."),
    recipe: Optional[str] = typer.Option(None, help="airline-seed: the air-passenger tutorial's network, scored one step ahead (default: none)."),
    fill: Optional[str] = typer.Option(None, help="Fill missing values: ffill, bfill, linear or zero (default: refuse them)."),
    freq: Optional[str] = typer.Option(None, help=FREQ_HELP),
    seed: int = typer.Option(0, help="Random seed (default 0)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a model already in --out."),
    plot: Optional[Path] = typer.Option(None, help="Write a PNG of the held-out forecast (default: none)."),
    classical: Optional[bool] = typer.Option(None, "--classical/--no-classical", help=CLASSICAL_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    known: tuple = (),
    past: tuple = (),
    options: Optional[dict] = None,
):
    """Train an LSTM forecaster, then print it against the baselines on the last horizon steps it held out."""
    from . import rundir
    from .models.forecast import Forecaster
    from .models.forecast_eval import baselines, plot_forecast, score

    source, d_target, d_time = _data(data, demo)
    target, time = target or d_target, time or d_time
    rundir.check_destination(out, overwrite)
    check_plot(plot, out, (data,))
    if recipe is not None:
        if recipe not in RECIPES:
            raise LstmkitError(f"unknown forecast recipe {recipe!r}; pass one of {', '.join(RECIPES)}")
        # the tutorial's experiment is one series scored one step ahead: options it has no use for are refused,
        # not dropped without a word
        unused = [flag for flag, v in (("--id", id), ("--horizon", horizon), ("--plot", plot), ("--classical" if classical else "--no-classical", classical),
                                       ("--known", known or None), ("--past", past or None)) if v is not None]
        if unused:
            raise LstmkitError(f"--recipe {recipe} is the tutorial's experiment, one series forecast one step ahead and scored on its last "
                               f"33 %, and takes no {unused[0]}; drop {unused[0]}, or drop --recipe")
        fixed = {k: v for k, v in RECIPES[recipe].items() if not (k in ("epochs", "steps", "minutes") and {"epochs", "steps", "minutes"} & set(options))}
        with fitting_into(out, overwrite):
            return _seed_recipe(source, target, time, out, seed, {**fixed, **options}, fill, freq)  # a budget given replaces the recipe's epochs
    horizon = 12 if horizon is None else horizon
    with fitting_into(out, overwrite):
        fc = Forecaster(horizon=horizon, seed=seed, **options).fit(source, target=target, time=time, id=id, known=known,
                                                                   past=past, fill=fill, freq=freq, progress=not quiet, notes=_say)
        fc.save(out)
    print(f"model saved to {out} ({fc.summary['fit_s']:.1f} s)", file=sys.stderr)
    v = fc.validation
    if v:
        season_ = fc.summary["season"]
        base, seconds = baselines(v["histories"].values, horizon, season_, with_classical=classical, notes=_say)
        _classical_time(seconds)
        table = score(v["actuals"], {"lstmkit": v["forecasts"], **base}, v["histories"].values, season_)
        emit(f"held out: the last {horizon} steps of each series, forecast by the validation networks (trained without them)\n")
        _print_table({"table": table, "coverage": fc.validation_coverage()}, "")
        if plot:
            plot_forecast(plot, v["histories"], fc.validation_frame(), fc.columns, v["actuals"], fc.config.levels)
    elif plot:
        raise LstmkitError("--plot needs the held-out forecast, which --no-validate skips; use 'lstmkit forecast predict --plot'")


def _classical_time(seconds: dict) -> None:
    """One line on what the baselines cost, when it was long enough to notice (AutoARIMA on a long series)."""
    if sum(seconds.values()) >= 10:
        slow = max(seconds, key=seconds.get)
        print(f"the classical baselines took {sum(seconds.values()):.0f} s ({slow} {seconds[slow]:.0f} s)", file=sys.stderr, flush=True)


def _seed_recipe(source, target, time, out, seed, opts, fill, freq):
    from .models.forecast_eval import seed_recipe

    r = seed_recipe(source, target, time, seed=seed, options=opts, out=out, fill=fill, freq=freq)
    budget = next(f"{opts[k]:g} {k}" for k in ("epochs", "steps", "minutes") if opts.get(k) is not None)
    emit(f"airline-seed recipe (look-back {opts['lookback']}, {opts['hidden']} {opts.get('cell', 'lstm').upper()} units, {budget} at batch "
         f"{opts['batch_size']}, MinMax, 67 %/33 % split): one-step RMSE train {r['train_rmse']:.2f}, test {r['test_rmse']:.2f}\n")
    print(f"model saved to {out}; it was trained on the first 67 % of the series, so 'lstmkit forecast predict {out}' forecasts "
          f"from the end of that part (pass DATA to forecast from the end of another history)", file=sys.stderr)


@forecast_app.command("predict", cls=Command)
def forecast_predict(
    model: Path = typer.Argument(..., metavar="MODEL", help="A forecast model directory."),
    data: Optional[Path] = typer.Argument(None, metavar="DATA", help="History to forecast from (default: the end of the training data)."),
    horizon: Optional[int] = typer.Option(None, help="Steps to forecast (default: the model's horizon)."),
    level: Optional[List[float]] = typer.Option(None, "--level", help="Interval level to write, repeatable (default: all trained)."),
    future: Optional[Path] = typer.Option(None, help="A CSV of the known covariates over the forecast steps."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the forecast here (CSV; .tsv, .parquet, .json or .jsonl by its name; default: CSV on stdout)."),
    plot: Optional[Path] = typer.Option(None, help="Also write a PNG of history and forecast."),
    fill: Optional[str] = typer.Option(None, help="Fill missing values in DATA: ffill, bfill, linear or zero."),
):
    """Forecast from a trained model: a CSV with mean, lo-80, hi-80, lo-95, hi-95 per step."""
    check_table_out(out, model, (data, future), others=(plot,))
    check_plot(plot, model, (data, future))
    fc = _load(model)
    levels = [int(v) if float(v).is_integer() else v for v in level] if level else None
    frame = fc.predict(horizon, str(data) if data else None, levels=levels, future=str(future) if future else None, fill=fill)
    write_table(frame, out, f"forecast written to {out} ({len(frame)} rows)")
    if plot:
        from .models.forecast_eval import plot_forecast

        plot_forecast(plot, fc.histories(str(data) if data else None, fill), frame, fc.columns, None, levels or fc.config.levels)


def _load(model: Path):
    from .models.forecast import Forecaster

    return load_as(model, Forecaster, "a forecasting model")


@forecast_app.command("evaluate", cls=Command)
def forecast_evaluate(
    model: Path = typer.Argument(..., metavar="MODEL", help="A forecast model directory."),
    data: Path = typer.Argument(..., metavar="DATA", help="Series whose last horizon points the model did not train on."),
    horizon: Optional[int] = typer.Option(None, help="Points to score at the end of each series (default: the model's horizon)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    plot: Optional[Path] = typer.Option(None, help="Write a PNG of the forecast against the actuals."),
    fill: Optional[str] = typer.Option(None, help="Fill missing values: ffill, bfill, linear or zero."),
    classical: Optional[bool] = typer.Option(None, "--classical/--no-classical", help=CLASSICAL_HELP),
):
    """Forecast the last points of each series from the rest; score lstmkit and the baselines on them."""
    from .models.forecast_eval import evaluate, plot_forecast

    check_plot(plot, model, (data,))
    fc = _load(model)
    r = evaluate(fc, str(data), horizon, fill=fill, with_classical=classical, notes=_say)
    _classical_time(r["baseline_seconds"])
    if r["seen"]:
        # not an error: scoring the fit is legitimate, but the table must not pass it off as a forecast
        typer.echo(f"note: {r['seen']} of the {sum(len(a) for a in r['actuals'])} scored points are in the model's training data, so lstmkit's "
                   "score is in-sample where the baselines' are not; evaluate on data that runs past the training data's end, "
                   "or run `lstmkit forecast backtest`", err=True)
    if as_json:
        emit(json_text({"h": r["h"], "table": r["table"], "coverage": r["coverage"], "seen_in_training": r["seen"]}))
    else:
        _print_table(r, f"the last {r['h']} points of each of {len(r['actuals'])} series")
    if plot:
        plot_forecast(plot, r["histories"], r["forecast"], fc.columns, r["actuals"], fc.config.levels)


@forecast_app.command("backtest", cls=Command)
@with_model_options
def forecast_backtest(
    data: Optional[Path] = typer.Argument(None, metavar="DATA", help="CSV or Parquet in long format (or --demo)."),
    target: Optional[str] = typer.Option(None, help="The column to forecast."),
    time: Optional[str] = typer.Option(None, help="The time column (default: the one column of dates, else row order)."),
    id: Optional[str] = typer.Option(None, "--id", help="The column naming each series."),
    horizon: int = typer.Option(12, help="Steps to forecast at each origin (default 12)."),
    windows: int = typer.Option(3, help="Rolling origins (default 3)."),
    step: int = typer.Option(1, help="Steps between origins (default 1)."),
    demo: bool = typer.Option(False, "--demo", help="Use the built-in air-passenger series."),
    seed: int = typer.Option(0, help="Random seed (default 0)."),
    fill: Optional[str] = typer.Option(None, help="Fill missing values: ffill, bfill, linear or zero."),
    freq: Optional[str] = typer.Option(None, help=FREQ_HELP),
    classical: Optional[bool] = typer.Option(None, "--classical/--no-classical", help=CLASSICAL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No line per origin."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write every origin's forecast, beside the actual values and the "
                                       "baselines' forecasts, to this file (CSV; .tsv, .parquet, .json or .jsonl by its name; - for CSV on stdout, the table then on stderr)."),
    plot: Optional[Path] = typer.Option(None, help="Write a PNG of every origin's forecast over the series."),
    known: tuple = (),
    past: tuple = (),
    options: Optional[dict] = None,
):
    """Rolling-origin evaluation: refit at each of the last K origins, with the options train takes, and score every
    forecast and the baselines."""
    from .models.forecast_eval import backtest, plot_backtest

    check_table_out(out, None, (data,), others=(plot,))
    check_plot(plot, None, (data,))
    if as_json and out is not None and str(out) == "-":
        raise LstmkitError("--json and --out - would both write to stdout; give --out a file")
    source, d_target, d_time = _data(data, demo)
    with unsaved_on_interrupt():
        r = backtest(source, target or d_target, time or d_time, id, horizon=horizon, windows=windows, step=step,
                     known=known, past=past, fill=fill, freq=freq,
                     progress=None if quiet else _say, with_classical=classical, seed=seed, **options)
    to_stdout = out is not None and str(out) == "-"
    if as_json:
        emit(json_text({k: r[k] for k in ("table", "coverage", "fit_s", "horizon")}))
    else:
        _print_table(r, f"{windows} origins, {step} apart, horizon {horizon}: mean over origins", err=to_stdout)
    if out is not None:
        write_table(r["forecasts"], out, f"{len(r['forecasts'])} forecast rows written to {out}")
    if plot:
        plot_backtest(plot, r)
