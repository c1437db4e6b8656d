"""ForecastConfig: what to forecast and how, validated, with ``to_dict``/``from_dict``."""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field

from ..configs import bounded, check_flags, check_options, checked_from_dict, python_scalars
from ..data.scaling import ScalerConfig
from ..data.stationarity import LEVEL_INPUTS
from ..errors import LstmkitError
from ..nn import CELLS, unknown_cell
from ..train import TrainConfig
from .forecast_net import MAX_STEPS

STRATEGIES = ("direct", "recursive")


def checked_horizon(h) -> int:
    """A horizon as the whole number of steps it must be (a NumPy integer is one; 2.0 and "3" are not)."""
    h = python_scalars(h)
    if not isinstance(h, int) or isinstance(h, bool):
        raise LstmkitError(f"--horizon {h!r} must be a whole number of steps, such as 12")
    if h < 1:
        raise LstmkitError(f"--horizon {h} must be a positive number of steps")
    return h


def level_list(levels):
    """Interval levels as a list: one level given alone (levels=90) is a list of one, as --level 90 is (and
    levels="80" one level, checked as such, not the levels "8" and "0")."""
    levels = python_scalars(levels)
    return [levels] if isinstance(levels, (int, float, str)) else levels


@dataclass
class ForecastConfig:
    """What to forecast and how; every default is chosen from the data when left at ``None``.

    Args:
        horizon: steps to forecast.
        lookback: input steps per window (default: 2 seasons, or twice the horizon without a season,
            cut to fit the longest series; shorter series are padded).
        season: seasonal period (default: from the frequency: monthly 12, quarterly 4, daily 7 ...).
        levels: prediction-interval levels in percent (one alone is a list of one).
        strategy: ``direct`` (the network outputs all ``horizon`` steps) or ``recursive`` (one step,
            fed back).
        cell, hidden, layers, dropout: the recurrent body.
        transform, difference, scale, range_lo, range_hi, deseason: the preparation (``ScalerConfig``).
        normalize: subtract each window's level (its last season's mean) from its values.
        level_input: with ``normalize``, also give the network that level as an input, so that it can forecast
            a return to the mean: ``auto`` when most series pass the KPSS test of level stationarity on their
            prepared training values (``stationarity.py``), ``on`` or ``off``.
        calendar: calendar sin/cos inputs from the time column.
        ensemble: networks trained with different seeds; the forecast is their mean.
        steps, epochs, minutes: the budget of each member (default: 50 passes over the windows, 1000-3000 steps).
        validate: hold out the last ``horizon`` steps to pick the step count and calibrate the intervals,
            then train again on everything.
        min_input: real points a training window needs at least (default: half the look-back).
    """

    horizon: int = bounded(1, MAX_STEPS, default=12)
    lookback: int | None = bounded(1, MAX_STEPS, default=None)
    season: int | None = bounded(1, MAX_STEPS, default=None)
    levels: list = field(default_factory=lambda: [80, 95])
    strategy: str = "direct"
    cell: str = "lstm"
    hidden: int = bounded(1, 4096, default=64)
    layers: int = bounded(1, 16, default=1)
    dropout: float = bounded(0.0, 0.999, default=0.1)
    transform: str = "auto"
    difference: int = bounded(0, 1, default=0)
    scale: str = "auto"
    range_lo: float = 0.0
    range_hi: float = 1.0
    deseason: str = "auto"
    normalize: bool = True
    level_input: str = "auto"
    calendar: bool = True
    ensemble: int = bounded(1, 100, default=5)
    steps: int | None = bounded(1, None, default=None)
    epochs: float | None = bounded(0, None, default=None)
    minutes: float | None = bounded(0, None, default=None)
    batch_size: int = bounded(1, 1 << 20, default=32)
    lr: float = bounded(0, 10, default=5e-3)
    schedule: str = "cosine"
    validate: bool = True
    min_input: int | None = bounded(1, MAX_STEPS, default=None)
    seed: int = 0

    def __post_init__(self):
        check_flags(self)  # "off" would read as True
        for f in dataclasses.fields(self):  # np.int64(12) and (80, 95) as the numbers and list they hold
            setattr(self, f.name, python_scalars(getattr(self, f.name)))
        self.horizon = checked_horizon(self.horizon)
        self.levels = level_list(self.levels)
        if self.strategy not in STRATEGIES:
            raise LstmkitError(f"unknown --strategy {self.strategy!r}; pass one of {', '.join(STRATEGIES)}")
        if not isinstance(self.levels, list) or any(not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v < 100 for v in self.levels):
            raise LstmkitError(f"interval levels {self.levels!r} must be percentages between 0 and 100 (such as 80 95)")
        self.levels = sorted({int(v) if float(v).is_integer() else float(v) for v in self.levels})
        if self.lookback is not None and self.lookback < 1:
            raise LstmkitError(f"--lookback {self.lookback} must be at least 1")
        # the trainer's own checks: one budget, positive (a budget of 0 is no default), the rate and schedule
        TrainConfig(lr=self.lr, schedule=self.schedule, steps=self.steps, epochs=self.epochs, minutes=self.minutes)
        check_options(self)  # the ranges a saved model is checked against when it loads (a --season of 0 trained a model that would not)
        self.scaler_config()  # validates those
        if self.level_input not in LEVEL_INPUTS:
            raise LstmkitError(f"unknown --level-input {self.level_input!r}; pass one of {', '.join(LEVEL_INPUTS)}")
        if self.level_input == "on" and not self.normalize:
            raise LstmkitError("--level-input on gives the network the window level that --normalize removes; drop --no-normalize or --level-input on")
        if self.cell not in CELLS:
            raise unknown_cell(self.cell)

    @property
    def quantiles(self) -> list[float]:
        return sorted(round((100 - v) / 200, 6) for v in self.levels)

    def scaler_config(self) -> ScalerConfig:
        return ScalerConfig(self.transform, self.difference, self.scale, self.range_lo, self.range_hi, self.deseason)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "forecast") -> "ForecastConfig":
        if isinstance(d, dict) and "deseason" not in d:  # saved before seasonal adjustment: trained without it
            d = {**d, "deseason": "none"}
        return checked_from_dict(cls, d, where)
