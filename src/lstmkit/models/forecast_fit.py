"""The choices and the training inside ``Forecaster.fit``: the look-back, the budget, one member trained
by the shared ``Trainer``, the members joined into an ensemble, and the plan line's words.

Each takes the ``ForecastConfig`` it reads, so that ``forecast.py`` keeps the flow of ``fit`` and
``predict`` and this module the details of each step.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..data.scaling import Scaler, usable_spread
from ..data.series import SeriesSet
from ..data.windows import WindowBatchesSeries
from ..errors import LstmkitError
from ..train import TrainConfig, Trainer
from .forecast_config import ForecastConfig
from .forecast_net import ForecastEnsemble, ForecastNet, ForecastNetConfig


def lookback_for(c: ForecastConfig, season: int, shortest: int, ss: SeriesSet) -> int:
    """The input steps per window: ``c.lookback``, or two seasons (twice the horizon without one), cut to
    the longest series' room; a series too short for any window is an error naming it."""
    H = c.horizon
    need = H + c.difference
    # the longest series must fill a window: a longer one would be padding in every window (in a panel,
    # shorter series are padded; the mask channel marks the padded steps)
    longest = max(len(v) for v in ss.values)
    if c.lookback is not None:
        if longest < c.lookback + need:
            name = ss.ids[0] if len(ss) == 1 else None
            who = ("series " + repr(name) if name else "the series") if len(ss) == 1 else "the longest series"
            raise LstmkitError(f"{who} has {longest} rows, fewer than the look-back plus the "
                               f"horizon ({c.lookback} + {H}{' + 1 for differencing' if c.difference else ''}); lower --lookback or --horizon, or add data")
    if shortest - need < 2:
        name = ss.ids[int(np.argmin([len(v) for v in ss.values]))]
        # the minimum is not the look-back: a series shorter than it is padded, down to 2 real inputs for its windows
        raise LstmkitError(f"{'series ' + repr(name) if name else 'the series'} has {shortest} rows; a series needs at least {need + 2}: "
                           f"the horizon's {H} steps{' and 1 for differencing' if c.difference else ''} to learn to forecast, and 2 before "
                           f"them to forecast them from (a series shorter than the look-back is padded, down to those 2); lower --horizon, "
                           f"drop the series, or add data")
    if c.lookback is not None:
        return c.lookback
    # two seasons show the seasonal shape and its change from one year to the next; without a season,
    # twice the horizon, N-BEATS' shortest look-back (on air passengers, inside the training years: 2 seasons
    # 6.4 % relative RMSE, 3 seasons 6.9 %). In a panel the short series are padded rather than every window
    # cut to a short series' room: on M1's yearly series inside their training years, the median series'
    # room (5 points) scored 1.12 of AutoARIMA's mean MASE 12 years before the test, twice the horizon 0.98
    # (docs/forecasting-choices.md); cut to the shortest one's room (3), a generated panel scored 1.14 of
    # AutoETS's, against 0.90 at 12
    return int(min(2 * season if season > 1 else max(2 * H, 3), longest - need))


def budget_for(c: ForecastConfig, steps_epoch: int) -> dict:
    """One member's training budget, as ``TrainConfig`` takes it."""
    if c.steps:
        return {"steps": c.steps}
    if c.epochs:
        return {"epochs": c.epochs}
    if c.minutes:
        return {"minutes": c.minutes / (c.ensemble * (2 if c.validate else 1))}
    # generous, for early stopping to cut: 1000 steps did better than 300 (the validation chose the last step)
    return {"steps": int(min(3000, max(1000, 50 * steps_epoch)))}


def train_member(c: ForecastConfig, net_cfg: ForecastNetConfig, train_w: dict, val_w: dict | None, budget: dict, seed: int,
                 bar, validate: bool) -> tuple[ForecastNet, int, float]:
    """One member trained by the shared ``Trainer``; with validation, the best evaluation's weights.
    Returns (network, its best or last step, its best validation loss)."""
    torch.manual_seed(seed)
    net = ForecastNet(ForecastNetConfig(**{**net_cfg.to_dict(), "members": 1}))
    train_data = WindowBatchesSeries(train_w, c.batch_size, seed=seed)
    val_data = WindowBatchesSeries(val_w, 4096, shuffle=False) if val_w else None
    tc = TrainConfig(**budget, lr=c.lr, schedule=c.schedule, seed=seed, evals=20 if validate else 1,
                     patience=5 if validate else 0, warmup=0.02, min_lr_ratio=0.1, clip=1.0, device="cpu", precision="fp32")
    trainer = Trainer(net, train_data, val_data, tc)
    best = {"step": 0, "val": math.inf, "weights": None}

    def keep(t: Trainer) -> None:
        v = t.last_eval.get("val_loss")
        if v is not None and v < best["val"]:
            best.update(step=t.state.step, val=v, weights={k: x.detach().clone() for k, x in t.model.state_dict().items()})

    trainer.add_callback("on_eval", keep)
    bar.attach(trainer, "validating" if validate else "fitting")
    trainer.fit()
    trainer.raise_if_interrupted()
    if validate and best["weights"] is not None:
        net.load_state_dict(best["weights"])
    net.eval()
    return net, best["step"] or trainer.state.step, best["val"]


def ensemble_of(cfg: ForecastNetConfig, nets: list[ForecastNet]) -> ForecastEnsemble:
    """The trained members as one ensemble module (in evaluation mode)."""
    ens = ForecastEnsemble(ForecastNetConfig(**{**cfg.to_dict(), "members": len(nets)}))
    for slot, net in zip(ens.members, nets):
        slot.load_state_dict(net.state_dict())
    return ens.eval()


def cov_stats(blocks: list[np.ndarray]) -> tuple[list[float], list[float]]:
    """Per covariate channel, the mean and the standard deviation (1 where constant) over every series."""
    if not blocks or not blocks[0].shape[1]:
        return [], []
    allv = np.concatenate(blocks, 0)
    mean, std = allv.mean(0), allv.std(0)
    return mean.tolist(), usable_spread(std, np.abs(allv).max(0)).tolist()


def adjusted_text(scaler: Scaler, season: int, how: str) -> str:
    """The plan line's words for the seasonal adjustment."""
    k, n = sum(bool(p) for p in scaler.profiles), len(scaler.profiles)
    if how == "none" or season < 2:
        return "no seasonal adjustment"
    return f"seasonally adjusted ({k} of {n} series{' passed the seasonality test' if how == 'auto' else ''})" if k else \
        f"no seasonal adjustment ({'no series passed the seasonality test' if how == 'auto' else 'under 2 seasons of data'})"


def level_text(on: bool, passed: int, tested: int) -> str:
    """The plan line's words for the window level as an input (``stationarity.level_input_for``)."""
    if not tested:
        return " and given as an input" if on else ""
    return f" and given as an input ({passed} of {tested} series stationary)" if on else \
        (f" (not given as an input: {passed} of {tested} series stationary)" if passed else "")


def budget_text(b: dict) -> str:
    k, v = next(iter(b.items()))
    return f"{v:g} {k}" if k != "minutes" else f"{v * 60:.1f} s"
