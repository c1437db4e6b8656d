"""The training loop. It knows models, batches and budgets — nothing about text or series.

A model provides ``loss(batch, state) -> (loss, {"correct", "count"}, state)``, ``init_state(batch, device)``
and ``detach_state(state)``. A dataset provides ``batches(epoch, start)``, ``steps_per_epoch``,
``symbols_per_step``, ``batch_size`` and ``stateful`` (carry the recurrent state across batches).
Callbacks (progress bar, metrics log, checkpoints) subscribe to events on the ``Trainer``; resuming, rolling
back a divergence and annealing on a plateau are ``train_recovery``'s.
"""
from __future__ import annotations

import contextlib
import copy
import math
import signal
import threading
import time
from collections import defaultdict
from typing import Callable

import torch

from . import train_recovery as recovery
from .averaging import WeightAverage
from .devices import DEVICES, PRECISIONS, cpu_has_bf16, resolve_device, resolve_precision  # noqa: F401 (re-exported)
from .errors import LstmkitError
from .train_config import (  # noqa: F401 (re-exported)
    ANNEAL_FACTOR,
    OPTIMIZERS,
    SCHEDULES,
    TrainConfig,
    TrainState,
    lr_factor,
    make_optimizer,
)


# ---------------------------------------------------------------------------- evaluation
@torch.no_grad()
def evaluate_loss(model, data, device=None, amp_dtype=None) -> dict:
    """Mean loss (nats/symbol) and accuracy of ``model`` over every batch of ``data``.

    Example:
        evaluate_loss(net, StreamBatches(tokens, 16, 256, shift=False))  # {"loss": 1.52, "acc": 0.54, ...}
    """
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, correct, count = 0.0, 0, 0
    state = model.init_state(data.batch_size, device) if data.stateful else None
    autocast = torch.autocast(device.type, dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()
    for _, batch in data.batches(0):
        with autocast:
            loss, stats, new_state = model.loss(batch.to(device), state)
        if data.stateful:
            state = new_state
        n = int(stats["count"])
        total += loss.item() * n
        correct += int(stats["correct"])
        count += n
    model.train(was_training)
    if count == 0:
        raise LstmkitError("the validation text is too short for one batch; raise --val-fraction or use a longer text")
    mean = total / count
    return {"loss": mean, "acc": correct / count, "ppl": math.exp(min(mean, 50.0)), "symbols": count}


# ---------------------------------------------------------------------------- trainer
EVENTS = ("on_start", "on_step", "on_eval", "on_note", "on_anneal", "on_rollback", "on_checkpoint", "on_end")


class Trainer:
    """Runs ``fit`` over a model and datasets; callbacks subscribe with ``add_callback(event, fn)``.

    Events: ``on_start``, ``on_step`` (every step), ``on_eval`` (after each validation), ``on_note`` (a line
    for the user in ``last_note``, from ``note``: the plan, a sample, a plateau), ``on_anneal``
    (a plateau sent the run back to its best weights at a lower rate), ``on_rollback``, ``on_checkpoint``
    (save "last" now; ``is_best`` tells whether to save "best"), ``on_end``. Each callback gets the trainer.

    Example:
        trainer = Trainer(net, train_data, val_data, TrainConfig(steps=100))
        trainer.add_callback("on_eval", lambda t: print(t.last_eval))
        trainer.fit()
    """

    def __init__(self, model, train_data, val_data, config: TrainConfig):
        self.config = config
        self.device = resolve_device(config.device)
        self.amp_dtype = resolve_precision(config.precision, self.device)
        self.model = model.to(self.device)
        self.train_data, self.val_data = train_data, val_data
        self.optimizer = make_optimizer(config, [p for p in model.parameters() if p.requires_grad])
        self.scaler = torch.amp.GradScaler("cuda") if self.amp_dtype == torch.float16 else None
        self.state = TrainState()
        self.hidden = None  # recurrent state carried across consecutive batches
        self.callbacks: dict[str, list[Callable]] = defaultdict(list)
        self.last_step: dict = {}
        self.last_eval: dict = {}
        self.is_best = False
        self.stop_reason = ""
        self._stop_signal: str | None = None
        self._t0 = 0.0
        self._elapsed0 = 0.0
        self.eval_seconds = 0.0  # wall clock spent evaluating and checkpointing (this process)
        self._good: dict | None = None  # the last state known to be finite, to roll back to on divergence
        self.last_rollback: dict = {}
        self._best: dict | None = None  # the best evaluation's weights and optimizer, where annealing needs them
        self.last_anneal: dict = {}
        self.last_note = ""
        self._loss_sum, self._loss_n = 0.0, 0  # training loss since the last evaluation
        # the moving average of the weights (``config.average``): what is evaluated, kept as best and saved
        self.average = WeightAverage(self.model, config.average) if config.average else None

    # -- plumbing ----------------------------------------------------------------------
    def add_callback(self, event: str, fn: Callable[["Trainer"], None]) -> None:
        if event not in EVENTS:  # a misspelt event would never be called
            raise LstmkitError(f"unknown trainer event {event!r}; pass one of {', '.join(EVENTS)}")
        self.callbacks[event].append(fn)

    def _emit(self, event: str) -> None:
        for fn in self.callbacks[event]:
            fn(self)

    def note(self, message: str) -> None:
        """Tell the user something (the reporting callbacks print it; the trainer prints nothing)."""
        self.last_note = message
        self._emit("on_note")

    def raise_if_interrupted(self) -> None:
        """Raise again the Ctrl-C or SIGTERM that stopped ``fit`` (its handlers are gone by now), for callers with
        nothing to resume: one network of an ensemble stopped by the user means the whole fit stops, unsaved,
        instead of the next network starting and a half-trained model being saved."""
        if self._stop_signal == "SIGINT":
            raise KeyboardInterrupt  # not raise_signal: a background job's SIGINT handler is "ignore"
        if self._stop_signal == "SIGTERM":
            signal.raise_signal(signal.SIGTERM)  # the CLI's handler unwinds and exits 143

    def request_stop(self, reason: str) -> None:
        """Ask the loop to stop after the current step (from a callback); the stop is saved like a signal."""
        self._stop_signal = self._stop_signal or reason

    @property
    def total_steps(self) -> int | None:
        c = self.config
        if c.steps is not None:
            return c.steps
        if c.epochs is not None:
            return max(1, math.ceil(c.epochs * self.train_data.steps_per_epoch))
        if c.minutes is not None:
            return None
        return self.train_data.steps_per_epoch  # no budget given: one epoch

    def elapsed(self) -> float:
        return self._elapsed0 + (time.perf_counter() - self._t0)

    def progress(self) -> float:
        p = 0.0
        if self.total_steps is not None:
            p = self.state.step / self.total_steps
        if self.config.minutes is not None:
            p = max(p, self.elapsed() / (60.0 * self.config.minutes))
        return min(p, 1.0)

    def budget(self) -> dict:
        """The budget this run is planned for, as the metrics log records it: ``{"minutes": 5}`` and the like."""
        return self.config.budget()

    def remaining(self) -> float:
        """The share of the budget still to spend, in [0, 1], from the saved position (before ``fit``)."""
        self._t0, self._elapsed0 = time.perf_counter(), self.state.elapsed
        return 1.0 - self.progress()

    def replan(self) -> dict:
        """Plan the rest of a resumed run over a new, larger budget, from where it stands.

        The learning rate follows the schedule of the whole new budget, as if the run had been planned
        for it from the start: it rises again from the floor the old budget ended at, to what the new
        schedule gives at this point, and decays to the floor as the new budget runs out. The
        evaluations spread over what is left, and the plateau count starts afresh (a divergence's
        lowered rate stays). Returns what changed, for the metrics log.

        Example:
            trainer.load_resume_payload(tensors, meta)   # a run saved with steps=100, config now steps=300
            trainer.replan()   # {"replan": 1, "from_progress": 0.3333, "budget": {"steps": 300}, "lr": ...}
        """
        st = self.state
        start = 1.0 - self.remaining()
        st.plan_from, st.plan_evals, st.plans = start, st.evals_done, st.plans + 1
        st.finished, st.bad_evals, st.anneals = False, 0, 0
        st.lr_scale = 0.1 if st.diverged else 1.0  # a plateau still goes back to the best weights so far
        return {"replan": st.plans, "from_progress": round(start, 4), "budget": self.budget(),
                "lr": self.config.lr * lr_factor(self.config, start) * st.lr_scale}

    def _eval_due(self) -> bool:
        """Whether the next planned evaluation is due: ``evals`` of them spread evenly over the plan."""
        c, st = self.config, self.state
        if c.eval_every:
            return st.step % c.eval_every == 0
        part = (self.progress() - st.plan_from) / max(1e-9, 1.0 - st.plan_from)
        return part >= (st.evals_done - st.plan_evals + 1) / c.evals - 1e-9  # 0.3 / 0.6 is 0.4999...

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    @contextlib.contextmanager
    def _signals(self):
        """Turn the first Ctrl-C/SIGTERM into a clean stop after the current step; a second one aborts."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            if self._stop_signal is not None:
                raise KeyboardInterrupt
            self._stop_signal = signal.Signals(signum).name

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    def _averaged(self):
        """Inside, the model holds the weights to evaluate and save: the average when on."""
        return self.average.swapped() if self.average is not None else contextlib.nullcontext()

    # -- resumable state (``train_recovery``) -------------------------------------------------
    def resume_payload(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Tensors and JSON that let ``load_resume_payload`` continue this run exactly."""
        return recovery.resume_payload(self)

    def load_resume_payload(self, tensors: dict[str, torch.Tensor], meta: dict) -> None:
        recovery.load_resume_payload(self, tensors, meta)

    # -- the loop --------------------------------------------------------------------------
    def evaluate(self) -> dict:
        """The validation loss of the weights that would be saved (the average, when ``config.average``)."""
        if self.val_data is None:
            return {}
        with self._averaged():
            return evaluate_loss(self.model, self.val_data, self.device, self.amp_dtype)

    def _run_eval(self, final: bool = False) -> bool:
        """Evaluate, record the best, meet a plateau (``_on_plateau``), then checkpoint; True: stop early."""
        st = self.state
        st.evals_done += 1
        t0 = time.perf_counter()
        metrics = self.evaluate()
        ref = metrics.get("loss", self.last_step.get("loss", math.inf))
        self.is_best = ref < st.best_val
        if math.isfinite(ref) or not metrics:
            recovery.remember_good(self)
        if self.is_best:
            st.best_val, st.bad_evals = ref, 0
            if self.config.anneal and self.config.patience:  # kept to go back to on a plateau
                with self._averaged():
                    weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
                self._best = {"model": weights, "optimizer": copy.deepcopy(self.optimizer.state_dict())}
        elif st.plans == 0 or st.evals_done - st.plan_evals > self.config.patience:
            # after a re-plan the rate rises again, and the first evaluations may well be worse than the
            # best before it: those are not a plateau
            st.bad_evals += 1
        self.last_eval = {"step": st.step, "epoch": st.epoch, "elapsed": round(self.elapsed(), 3), **self.budget(), "plan": st.plans,
                          "train_s": round(self.elapsed() - self.eval_seconds - (time.perf_counter() - t0), 3),
                          "lr": self.optimizer.param_groups[0]["lr"],
                          "train_loss": self._loss_sum / self._loss_n if self._loss_n else self.last_step.get("loss"),
                          **{f"val_{k}": v for k, v in metrics.items()}}
        self._loss_sum, self._loss_n = 0.0, 0
        with self._averaged():  # callbacks that keep the best weights keep the average
            self._emit("on_eval")
        stop = bool(not final and self.config.patience and st.bad_evals >= self.config.patience and recovery.on_plateau(self))
        st.elapsed = self.elapsed()
        self._checkpoint()
        self.eval_seconds += time.perf_counter() - t0
        return stop

    def _checkpoint(self) -> None:
        """``on_checkpoint`` with the weights to save (the average, when on) in the model."""
        with self._averaged():
            self._emit("on_checkpoint")

    def fit(self) -> "Trainer":
        """Train until the budget is spent, early stopping triggers, or a signal asks to stop."""
        # -- set-up: seed, timers ------------------------------------------------------
        if self.state.step == 0:
            torch.manual_seed(self.config.seed)  # a resumed run restores its RNG state instead
        self.state.finished = False
        st, data, model = self.state, self.train_data, self.model
        self._t0, self._elapsed0 = time.perf_counter(), st.elapsed
        model.train()
        self._emit("on_start")
        train_time, train_symbols = 0.0, 0
        recovery.remember_good(self)
        rolled_back = False

        with self._signals():
            while not st.finished:
                if rolled_back:
                    rolled_back, st = False, self.state
                for i, batch in data.batches(st.epoch, st.batch):
                    # -- budget and schedule ---------------------------------------------
                    progress = self.progress()
                    if progress >= 1.0:
                        st.finished, self.stop_reason = True, "budget"
                        break
                    for g in self.optimizer.param_groups:
                        g["lr"] = self.config.lr * lr_factor(self.config, progress) * st.lr_scale

                    # -- forward, backward, step (state carried and detached: truncated BPTT)
                    t = time.perf_counter()
                    if data.stateful and self.hidden is None:
                        self.hidden = model.init_state(data.batch_size, self.device)
                    with self._autocast():
                        loss, stats, new_hidden = model.loss(batch.to(self.device), self.hidden if data.stateful else None)
                    self.hidden = model.detach_state(new_hidden) if data.stateful else None
                    self.optimizer.zero_grad(set_to_none=True)
                    if self.scaler is not None:
                        self.scaler.scale(loss).backward()
                        self.scaler.unscale_(self.optimizer)
                    else:
                        loss.backward()
                    # the gradient norm (clipped, or measured with no limit) guards the step: a NaN or
                    # inf loss or gradient never reaches the weights (fp16's scaler skips such steps itself)
                    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), self.config.clip or math.inf)
                    loss_value = loss.detach().item()
                    bad = not math.isfinite(loss_value) or (self.scaler is None and not math.isfinite(norm.item()))
                    if bad:
                        value, what = (loss_value, "the loss") if not math.isfinite(loss_value) else (norm.item(), "the gradient norm")
                        recovery.roll_back(self, value, what)
                        rolled_back = True
                        break
                    if self.scaler is not None:
                        self.scaler.step(self.optimizer)
                        self.scaler.update()
                    else:
                        self.optimizer.step()
                    if self.average is not None:
                        self.average.update(self.state.step)
                    train_time += time.perf_counter() - t
                    train_symbols += data.symbols_per_step

                    # -- bookkeeping -----------------------------------------------------
                    st.step, st.batch = st.step + 1, i + 1
                    st.symbols += data.symbols_per_step
                    self._loss_sum, self._loss_n = self._loss_sum + loss_value, self._loss_n + 1
                    self.last_step = {"step": st.step, "loss": loss_value,
                                      "acc": int(stats["correct"]) / max(1, int(stats["count"])),
                                      "symbols_per_s": train_symbols / max(train_time, 1e-9),
                                      "lr": self.optimizer.param_groups[0]["lr"], "progress": self.progress()}
                    self._emit("on_step")

                    # -- evaluation, checkpoints, early stopping, signals -------------------
                    if self._eval_due() and self.progress() < 1.0:
                        if self._run_eval():
                            st.finished, self.stop_reason = True, "early stop"
                            break
                    if self._stop_signal:
                        self.stop_reason = (f"interrupted ({self._stop_signal})" if self._stop_signal.startswith("SIG")
                                            else self._stop_signal)
                        break
                else:
                    st.epoch, st.batch = st.epoch + 1, 0
                    self.hidden = None  # a new epoch starts the streams afresh
                    continue
                if rolled_back:
                    continue
                break
        st = self.state

        # -- final evaluation and checkpoint ------------------------------------------------
        if not self._stop_signal or not self._stop_signal.startswith("SIG"):
            st.finished = True
            if self.stop_reason == "early stop":  # its last evaluation was of these very weights: record the end only
                st.elapsed = self.elapsed()
                self.is_best = False
                self._checkpoint()
            else:
                self._run_eval(final=True)
        else:
            st.elapsed = self.elapsed()
            self.is_best = False
            self._checkpoint()
        if self.average is not None:  # the model ends holding what was scored and saved: the average
            self.average.copy_into_model()
        self._emit("on_end")
        return self
