"""Text training settings: ``TextDataConfig`` (how text becomes batches) and the measured defaults.

``default_settings`` picks the network and optimizer for a level and a wall-clock budget; the
figures behind each choice come from ``benchmarks/time_to_quality.py``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass

from .. import sizing
from ..configs import bounded, checked_from_dict
from ..errors import LstmkitError
from ..nn import NetConfig
from ..tokenize import LEVELS
from ..train import TrainConfig, resolve_device, resolve_precision


@dataclass
class TextDataConfig:
    """How text becomes batches.

    Args:
        level: ``char``, ``word`` or ``bpe``.
        batch_size: streams (or windows) per batch.
        bptt: time steps per batch in stream mode (truncated back-propagation through time).
        windows: if > 0, train on overlapping windows of this length predicting the next symbol.
        stride: step between windows.
        val_fraction: the share of the text held out for validation.
        val_blocks: where it is held out: 1, the tail; k, k evenly spaced pieces (``split_text``).
        max_vocab, min_freq, lowercase: word-level vocabulary options.
        vocab_size: BPE vocabulary size.
    """

    level: str = "char"
    batch_size: int = bounded(1, 1 << 20, default=32)
    bptt: int = bounded(1, 1 << 20, default=128)
    windows: int = bounded(0, 1 << 20, default=0)
    stride: int = bounded(1, None, default=1)
    val_fraction: float = bounded(0, 1, default=0.1)
    val_blocks: int = bounded(1, 1 << 16, default=1)
    max_vocab: int | None = bounded(2, None, default=None)
    min_freq: int = bounded(1, None, default=1)
    lowercase: bool = False
    vocab_size: int = bounded(2, None, default=2000)

    def __post_init__(self):
        if self.level not in LEVELS:
            raise LstmkitError(f"unknown level {self.level!r}; pass one of {', '.join(LEVELS)}")
        if self.batch_size < 1 or self.bptt < 1 or self.windows < 0 or self.stride < 1:
            raise LstmkitError("--batch-size, --bptt and --stride must be >= 1, --windows >= 0")
        if not 1 <= self.val_blocks <= 1 << 16:
            raise LstmkitError(f"--val-blocks {self.val_blocks} is out of range; pass 1 (the tail) to 65536")
        if not 0.0 <= self.val_fraction < 1.0:
            raise LstmkitError(f"--val-fraction {self.val_fraction} is out of range; pass a value in [0, 1)")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "data") -> "TextDataConfig":
        """Rebuild from ``to_dict`` output, every field's type and range checked first (see ``configs``)."""
        return checked_from_dict(cls, d, where)


LONG_RUN_MINUTES = 15.0
VAL_SYMBOLS = 1 << 14  # a validation tail this long measures a char-level loss to about 0.01 nats
VAL_FRACTION_RANGE = (0.02, 0.1)
# The held-out text is 8 evenly spaced pieces, the first at the start and the last at 7/8, so the
# end of the text (nearest whatever the model meets next) is trained on. Inside tinyshakespeare's first
# 90 % (``benchmarks/cli_vs_reference.py --proxy``) the same network scored 1.631 nats/char on the
# plays that follow with a 10 % tail held out and 1.420 with a 2 % one: text held out just before
# what is scored costs more than its share.
VAL_BLOCKS = 8


def default_val_fraction(level: str, n_chars: int) -> float:
    """The validation tail when none is given: at the char level, ``VAL_SYMBOLS`` characters, as a share
    of the text within ``VAL_FRACTION_RANGE`` (10 % of a text below 164k characters, 2 % from 820k).

    16,384 characters measure a loss to about 0.01 nats/char (per-character losses spread about 1.5
    nats), finer than the steps between evaluations that choose the best model. Each character held
    out beyond that is one the network never trains on, and the tail is the text nearest to whatever
    the model meets next: inside tinyshakespeare's first 90 %, 200 s, the same 2x320 network scored
    1.631 nats/char on the plays that follow with a 10 % tail held out, 1.420 with a 2 % one
    (``benchmarks/cli_vs_reference.py --proxy``). Word and BPE symbols span several
    characters, so 16,384 of them are 10 % of a text of about 500k characters: those levels keep 10 %.

    Example:
        default_val_fraction("char", 1_003_854)   # 0.02
    """
    lo, hi = VAL_FRACTION_RANGE
    if level != "char" or n_chars <= 0:
        return hi
    return round(min(hi, max(lo, VAL_SYMBOLS / n_chars)), 4)


def default_settings(level: str, minutes: float | None) -> tuple[dict, dict]:
    """Default network shape and batch/optimizer settings for a level and a wall-clock budget.

    Chosen by measurement (``benchmarks/time_to_quality.py``, ``benchmarks/cli_vs_reference.py``,
    tinyshakespeare, 2 cores). At the character level the width, the layers, the dropout and the batch
    rows are left to ``sizing`` (``None``), which fits them to what the budget buys on this machine and
    to how many passes over the text that is (``plan_network``, ``fit_rows``): a short budget gets
    64-step windows and one layer, with dropout and early stopping once it buys more than 3 passes; a
    long budget (>= 15 minutes, or an epoch/step budget) two layers and 128-step windows. Word and BPE
    levels keep a fixed 512-unit network (their output layer dominates the cost), one layer below 15
    minutes and two from there, and fit the dropout to the passes and the batch rows to the budget, over
    32-step windows.

    Returns:
        ``(net, options)``: NetConfig fields and TextDataConfig/TrainConfig fields.
    """
    long_run = minutes is None or minutes >= LONG_RUN_MINUTES
    if level == "char":
        # width, layers and dropout (None) follow the epochs the budget buys (``fit_to_budget``)
        if long_run:  # two layers as before; the dropout follows the epochs
            return ({"hidden": None, "layers": 2, "embed": 64, "dropout": None},
                    {"batch_size": None, "bptt": 128, "lr": 3e-3, "min_lr_ratio": 0.02})
        return ({"hidden": None, "layers": 1, "embed": 64, "dropout": None},
                {"batch_size": None, "bptt": 64, "lr": 6e-3, "min_lr_ratio": 0.02})
    # word and bpe: the output layer dominates the cost, so few symbols per second; what limits a short
    # budget is again the number of updates (Grimm, word level, 2 minutes, 1x512: 64x64 batches 91 updates
    # 4.84 nats/word; 16x64 415 updates 4.52; 16x32 763 updates 4.46). Rows are fitted to the budget, the
    # width stays 512 (384: 4.45, tied 512: 4.70, tied 256: 4.62), dropout 0.2 from the start (none: 4.47).
    # A long budget overfits a corpus of this size within minutes: 2x512 for 15 minutes, best validation
    # 4.51 with dropout 0.2 (4.98 at the end), 4.47 with 0.5 (4.67 at the end), tied weights 4.48 (4.51).
    # The dropout follows the passes the budget buys (``sizing.dropout_for``): 2 minutes on Grimm are
    # 9-19 passes by the machine (0.15-0.27, where 0.2 and none had measured alike), 15 minutes 65-140
    # (0.44-0.5, where 0.5 had measured best).
    return ({"hidden": 512, "layers": 2 if long_run else 1, "embed": 256, "dropout": None},
            {"batch_size": None, "bptt": 32, "lr": 3e-3, "min_lr_ratio": 0.02})


def fit_to_budget(shape: dict, train_cfg: TrainConfig, data_cfg: TextDataConfig, n_train: int, vocab: int,
                   fit_width: bool, fit_rows: bool, members: int = 1) -> tuple[dict, int, dict]:
    """The default network and batch rows for this budget on this machine and this much text (``sizing``).

    ``shape`` holds ``None`` for what is to be chosen: the width (``fit_width``), the layers and the
    dropout. Those three follow ``sizing.plan_network``: how many passes over the text the budget buys.

    ``members`` networks trained side by side (``nn.EnsembleLM``) share a wall-clock budget: each is
    fitted to its part of it (a step or epoch budget gives each member every step).

    Returns ``(chosen, rows, note)``: the chosen shape fields, the batch rows (the given ones where not
    fitted), and ``note``, what was fitted and why (kept in the model's summary, printed by ``train``);
    its ``budget_symbols`` and ``epochs`` are one member's.
    """
    gates = 3 if shape.get("cell") == "gru" else 4
    tied = bool(shape.get("tie_weights"))

    def embed_for(h: int) -> int:
        if shape.get("one_hot"):
            return vocab
        if shape.get("index_input"):
            return 1
        return h if tied else shape["embed"]

    # ``symbols_for`` counts what a budget buys and ``per_epoch`` what one pass over the text costs, in
    # the same units: symbols run (a wall-clock budget; overlapping windows of L at stride s run each
    # symbol L/s times) or, for a step or epoch budget, predictions (windows predict once each).
    n = float(max(1, n_train))
    note: dict = {}
    rows = data_cfg.batch_size
    if fit_rows and rows > sizing.rows_that_fit(n_train, data_cfg.bptt):  # a text shorter than the default batch (a fable)
        rows = note["batch_size"] = sizing.rows_that_fit(n_train, data_cfg.bptt)
    steps_per_row = data_cfg.windows or data_cfg.bptt
    if train_cfg.minutes is not None:
        per_epoch = n * data_cfg.windows / data_cfg.stride if data_cfg.windows else n
        device = resolve_device(train_cfg.device)
        amp = resolve_precision(train_cfg.precision, device)
        seconds = 60.0 * train_cfg.minutes
        probe_s = min(0.4, 0.004 * seconds)  # a 3-second test budget does not spend a second probing
        rate = {"r": sizing.measure_flops(device, amp, seconds=probe_s)}

        def symbols_for(layers: int, h: int) -> float:
            return sizing.budget_symbols(rate["r"], seconds, layers, h, embed_for(h), vocab, gates) / members
    else:
        per_step = rows * (1 if data_cfg.windows else data_cfg.bptt)
        per_epoch = n / data_cfg.stride if data_cfg.windows else n
        total = train_cfg.steps * per_step if train_cfg.steps is not None else (train_cfg.epochs or 1.0) * per_epoch

        def symbols_for(layers: int, h: int) -> float:
            return total

    # A wall-clock plan is made from a generic probe of the machine, then the step it chose is itself
    # timed (``sizing.measure_step_flops``) and the plan made again at that rate, until it holds.
    for _ in range(3):
        chosen = {}
        if fit_width:
            plan = sizing.plan_network(symbols_for, n_train, embed_for, vocab, shape["layers"], gates, per_epoch)
            chosen = {"hidden": plan["hidden"], "layers": plan["layers"]}
            if shape["dropout"] is None:
                chosen["dropout"] = plan["dropout"]
            note.update(hidden=plan["hidden"], regime=plan["regime"])
        else:  # the width was given: layers default to one, dropout follows the epochs at that width
            layers = 1 if shape["layers"] is None else shape["layers"]
            chosen = {"layers": layers}
            epochs = symbols_for(layers, shape["hidden"]) / per_epoch
            if shape["dropout"] is None:
                chosen["dropout"] = sizing.dropout_for(epochs, layers)
            note["regime"] = "compute-limited" if epochs <= sizing.DATA_LIMITED_EPOCHS else "data-limited"
        hidden = chosen.get("hidden", shape["hidden"])
        budget = symbols_for(chosen["layers"], hidden)
        if fit_rows and train_cfg.steps is None:  # a step budget fixes the updates: rows stay at the default
            rows = sizing.fit_rows(budget, data_cfg.bptt, n_train=n_train)
            note["batch_size"] = rows
        if train_cfg.minutes is None:
            break
        measured = sizing.measure_step_flops(device, amp, chosen["layers"], hidden, embed_for(hidden), vocab, rows,
                                             steps_per_row, shape.get("cell") or "lstm", seconds=probe_s)
        settled = abs(measured / rate["r"] - 1.0) < 0.1
        rate["r"] = measured
        if settled:
            break
    if train_cfg.minutes is not None:
        note["flops_per_s"] = round(rate["r"])
        budget = symbols_for(chosen["layers"], hidden)
    note.update(budget_symbols=round(budget), epochs=round(budget / per_epoch, 2),
                # the budget the network was fitted to, e.g. for_minutes 5 (a resume may extend it)
                **{f"for_{k}": v for k, v in train_cfg.budget().items()})
    return chosen, rows, note


# A data-limited run meets a plateau by going back to its best weights at a quarter of the rate (twice),
# then stops: Grimm, word level, 2 minutes (19 passes) stopped at 73 s and 1.569 bits/char with
# patience 3 alone, where the README's run to the end of its schedule measured 1.535.
DATA_LIMITED_PATIENCE, DATA_LIMITED_ANNEALS = 2, 2
# A data-limited run of under 15 minutes (one layer) also scores and saves a moving average of its weights
# (``TrainConfig.average``): on the first quarter of tinyshakespeare's first 90 %, 200 s (A), the held-out
# end of that 90 % went from 1.8552 to 1.8372 nats/char with the decay 0.999 (0.997: 1.8610, averaging
# too few steps). Longer runs (two layers) keep the schedule they were measured with.
DATA_LIMITED_AVERAGE = 0.999


def fit_shape(net_defaults: dict, net_args: dict, train_cfg: TrainConfig, data_cfg: TextDataConfig, n_train: int, vocab_size: int,
              fit_rows: bool, opts: dict, train_given: bool) -> tuple[NetConfig, TextDataConfig, TrainConfig, dict]:
    """The network's shape and the batch rows, fitted to the budget where not given (``fit_to_budget``),
    and what a data-limited run changes in the schedule (patience, annealing, weight averaging). Returns
    (net config, data config, train config, the sizing note the summary records). ``train_given``: the
    caller passed a whole TrainConfig, whose schedule is left as it is."""
    sizing_note: dict = {}
    shape = {"hidden": 512, "layers": 1, "embed": 64, "dropout": 0.0, **net_defaults}
    shape.update({k: v for k, v in net_args.items() if v is not None})
    if shape["hidden"] is None and shape.get("tie_weights") and net_args.get("embed") is not None:
        shape["hidden"] = net_args["embed"]  # tied weights: the width is the embedding's
    if shape["hidden"] is None or shape["layers"] is None or shape["dropout"] is None or fit_rows:
        # the defaults: what the budget feeds on this machine, and what this much text can carry
        fit_width = shape["hidden"] is None
        chosen, rows, sizing_note = fit_to_budget(
            shape, train_cfg, data_cfg, n_train, vocab_size,
            fit_width=fit_width, fit_rows=fit_rows, members=shape.get("members", 1))
        shape.update(chosen)
        if shape.get("members", 1) > 1:
            sizing_note.update(members=shape["members"])
        short = train_cfg.minutes is not None and train_cfg.minutes < LONG_RUN_MINUTES
        members = sizing.members_for(sizing_note.get("epochs", 0.0))
        if (short and members > 1 and fit_width and net_args.get("members") is None
                and sizing_note.get("regime") == "data-limited" and not train_given):
            # more passes than one network can use: several, each fitted to its share of the budget
            shape.update(hidden=None, dropout=net_args.get("dropout"))
            chosen, rows, sizing_note = fit_to_budget(
                shape, train_cfg, data_cfg, n_train, vocab_size,
                fit_width=True, fit_rows=fit_rows, members=members)
            shape.update(chosen, members=members)
            sizing_note.update(members=members)
        data_cfg = dataclasses.replace(data_cfg, batch_size=rows)
        if sizing_note.get("regime") == "data-limited" and opts.get("patience") is None and not train_given:
            anneal = DATA_LIMITED_ANNEALS if opts.get("anneal") is None else opts["anneal"]
            train_cfg = dataclasses.replace(train_cfg, patience=DATA_LIMITED_PATIENCE, anneal=anneal)
            sizing_note.update(patience=DATA_LIMITED_PATIENCE, anneal=anneal)
        if sizing_note.get("regime") == "data-limited" and short and opts.get("average") is None and not train_given:
            train_cfg = dataclasses.replace(train_cfg, average=DATA_LIMITED_AVERAGE)
            sizing_note.update(average=DATA_LIMITED_AVERAGE)
    if shape.get("tie_weights") and net_args.get("embed") is None:
        shape["embed"] = shape["hidden"]
    return NetConfig(vocab_size=vocab_size, **shape), data_cfg, train_cfg, sizing_note
