"""How to train, as data: ``TrainConfig`` (budget, optimizer, schedule, evaluation, device), ``TrainState``
(where a run stands, saved with its checkpoint), the learning-rate schedule and the optimizer it builds.

``train.Trainer`` runs them; both names are re-exported from ``lstmkit.train``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch

from .configs import bounded, checked_from_dict, python_scalars
from .devices import DEVICES, PRECISIONS
from .errors import LstmkitError

OPTIMIZERS = ("adam", "adamw", "rmsprop", "sgd")
SCHEDULES = ("cosine", "linear", "constant")
ANNEAL_FACTOR = 0.25  # the learning rate's cut at each plateau (pytorch/examples' language model divides by 4)


def check_budget(steps=None, epochs=None, minutes=None) -> None:
    """Refuse two budgets, or one that is not a positive, finite number: NaN or infinite minutes would train
    forever, and NaN or infinite steps or epochs fail deep inside the trainer."""
    budgets = [(k, v) for k, v in (("steps", steps), ("epochs", epochs), ("minutes", minutes)) if v is not None]
    if len(budgets) > 1:
        raise LstmkitError(f"pass only one budget, not both {' and '.join(f'--{k}' for k, _ in budgets[:2])}")
    for k, v in budgets:
        if not (v > 0 and math.isfinite(v)):
            raise LstmkitError(f"the training budget must be positive and finite (got --{k} {v})")


def check_lr(lr) -> None:
    """Refuse a learning rate that is not a positive, finite number."""
    if not (lr > 0 and math.isfinite(lr)):
        raise LstmkitError(f"--lr {lr} must be positive and finite")


@dataclass
class TrainConfig:
    """How to train: budget, optimizer, schedule, evaluation, device.

    Exactly one budget applies: ``steps``, ``epochs`` or ``minutes`` (wall clock, evaluation included);
    with none, one epoch. The learning-rate schedule is a function of progress through the budget,
    so ``minutes=5`` decays to its floor as the five minutes run out.

    ``average`` > 0 keeps an exponential moving average of the weights with that decay per step
    (Polyak averaging, as in AWD-LSTM's averaged SGD and SWA): the average is what is evaluated, kept
    as the best and saved, while the optimizer goes on training the weights it averages.

    Example:
        TrainConfig(minutes=5, lr=3e-3, optimizer="adam")
    """

    steps: int | None = bounded(None, None, default=None)
    epochs: float | None = bounded(0, None, default=None)
    minutes: float | None = bounded(0, None, default=None)
    optimizer: str = "adam"
    lr: float = bounded(0, None, default=2e-3)
    weight_decay: float = bounded(0, None, default=0.0)
    momentum: float = bounded(0, 1, default=0.9)
    beta2: float = bounded(0, 1, default=0.999)
    clip: float = bounded(0, None, default=1.0)
    schedule: str = "cosine"
    warmup: float = bounded(0, 1, default=0.02)
    min_lr_ratio: float = bounded(0, 1, default=0.1)
    evals: int = bounded(1, 1_000_000, default=10)
    eval_every: int = bounded(0, None, default=0)
    patience: int = bounded(0, None, default=0)
    anneal: int = bounded(0, 1000, default=0)
    average: float = bounded(0, 1, default=0.0)
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"

    def __post_init__(self):
        for f in fields(self):  # np.int64(5) from a grid or np.arange as the 5 it holds
            setattr(self, f.name, python_scalars(getattr(self, f.name)))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise LstmkitError(f"--seed {self.seed!r} must be a whole number of 0 or more")
        # an int of any size is whole (float() of a huge one overflows); a float must be whole
        if self.steps is not None and (isinstance(self.steps, bool) or not isinstance(self.steps, (int, float))
                                       or (isinstance(self.steps, float) and not self.steps.is_integer())):
            raise LstmkitError(f"--steps {self.steps!r} must be a whole number")
        check_budget(self.steps, self.epochs, self.minutes)
        if self.optimizer not in OPTIMIZERS:
            raise LstmkitError(f"unknown optimizer {self.optimizer!r}; pass one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            raise LstmkitError(f"unknown schedule {self.schedule!r}; pass one of {', '.join(SCHEDULES)}")
        if self.precision not in PRECISIONS:
            raise LstmkitError(f"unknown precision {self.precision!r}; pass one of {', '.join(PRECISIONS)}")
        if self.device not in DEVICES:
            raise LstmkitError(f"unknown device {self.device!r}; pass one of {', '.join(DEVICES)}")
        if not 0.0 < self.beta2 < 1.0:
            raise LstmkitError(f"--beta2 {self.beta2} must be in (0, 1)")
        check_lr(self.lr)
        if self.clip < 0 or not 0 <= self.warmup < 1 or not 0 <= self.min_lr_ratio <= 1:
            raise LstmkitError(f"--clip {self.clip} must be >= 0, --warmup {self.warmup} in [0, 1) and --min-lr-ratio {self.min_lr_ratio} in [0, 1]")
        if not 1 <= self.evals <= 1_000_000:
            raise LstmkitError(f"--evals {self.evals} is out of range; pass 1 to 1000000")
        for name, value in (("eval-every", self.eval_every), ("patience", self.patience)):
            if value < 0:
                raise LstmkitError(f"--{name} {value} must be >= 0")
        if not 0.0 <= self.average < 1.0:
            raise LstmkitError(f"--average {self.average} is out of range; pass a decay in [0, 1), such as 0.999 (0: off)")
        if not 0 <= self.anneal <= 1000:
            raise LstmkitError(f"--anneal {self.anneal} is out of range; pass 0 to 1000")

    def budget(self) -> dict:
        """The budget that counts, one of ``{"steps": S}``, ``{"epochs": E}``, ``{"minutes": M}`` (in that
        order when several are given); one epoch without any."""
        for k in ("steps", "epochs", "minutes"):
            if getattr(self, k) is not None:
                return {k: getattr(self, k)}
        return {"epochs": 1.0}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "train") -> "TrainConfig":
        """Rebuild from ``to_dict`` output, every field's type and range checked first (see ``configs``)."""
        return checked_from_dict(cls, d, where)


@dataclass
class TrainState:
    """Where a run is; saved with the last checkpoint so ``--resume`` continues exactly."""

    step: int = bounded(0, None, default=0)
    epoch: int = bounded(0, None, default=0)
    batch: int = bounded(0, None, default=0)  # next batch index within the epoch
    elapsed: float = bounded(0, None, default=0.0)  # seconds of wall clock spent, across resumes
    symbols: int = bounded(0, None, default=0)
    best_val: float = bounded(None, None, default=math.inf, allow_inf=True)
    bad_evals: int = bounded(0, None, default=0)
    evals_done: int = bounded(0, None, default=0)
    finished: bool = False
    lr_scale: float = bounded(0, 1, default=1.0)  # lowered tenfold by a rollback, fourfold by each anneal; it stays lowered
    diverged: bool = False  # a divergence was rolled back once: the next one stops the run
    anneals: int = bounded(0, None, default=0)  # plateaus met by going back to the best weights at a lower rate
    # A resume with a larger budget re-plans the rest of the run (``Trainer.replan``): evaluations spread
    # over what is left from ``plan_from`` (the progress, in [0, 1] of the budget, where the plan began),
    # counted from ``plan_evals``; ``plans`` counts the re-plans.
    plan_from: float = bounded(0, 1, default=0.0)
    plan_evals: int = bounded(0, None, default=0)
    plans: int = bounded(0, None, default=0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "train_state") -> "TrainState":
        if isinstance(d, dict) and "diverged" not in d and "anneals" not in d:
            # saved before annealing existed, when a lowered rate could only mean a rollback
            lr_scale = d.get("lr_scale", 1.0)
            d = {**d, "diverged": isinstance(lr_scale, (int, float)) and lr_scale < 1.0}
        return checked_from_dict(cls, d, where)


# ---------------------------------------------------------------------------- schedule
def lr_factor(config: TrainConfig, progress: float) -> float:
    """Learning-rate multiplier at ``progress`` in [0, 1] of the budget: warmup, then decay to the floor."""
    if config.warmup > 0 and progress < config.warmup:
        return max(progress / config.warmup, 1e-3)
    if config.schedule == "constant":
        return 1.0
    p = min(1.0, (progress - config.warmup) / max(1e-9, 1.0 - config.warmup))
    floor = config.min_lr_ratio
    if config.schedule == "linear":
        return floor + (1 - floor) * (1 - p)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p))


def make_optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, betas=(0.9, config.beta2), weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, betas=(0.9, config.beta2), weight_decay=config.weight_decay)
    if config.optimizer == "rmsprop":
        # alpha 0.9: the decay of TensorFlow/Keras and Hinton's original RMSprop (PyTorch's default is 0.99).
        return torch.optim.RMSprop(params, lr=config.lr, alpha=0.9, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
