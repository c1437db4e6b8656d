"""One member of a classifier ensemble: its training run, early stopping and best weights.

The estimator (``classify.SequenceClassifier``) decides the folds, the budget and how many members;
this trains one, on the task-agnostic ``Trainer``:

    net = train_member(net_config, None, fit_cases, fit_y, val_cases, val_y, {"steps": 800}, 8, bar, "member 1/3", seed=0)[0]
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..data.labeled import SequenceBatches
from ..train import TrainConfig, Trainer
from .classify_net import ClassifierNet, ClassifierNetConfig

# early stopping: no 1 % gain in validation loss over this share of the evaluations ends the run
EVALS, STALL_EVALS = 40, 10
# early stopping reads at most this many held-out cases per evaluation: a fixed stratified subset of the
# fold, so that successive evaluations compare the same cases (the member's labels and loss for the whole
# fold are read once, at the end). On 3,000 generated cases of 96 points, 5 classes, the 40 evaluations of
# each member's 1,000 took the fit from 42.9 s to 55.5 s (E), for the same out-of-fold accuracy (0.748)
EVAL_CASES = 512
# ... and, where a member's budget buys few passes over many cases, no more cases than keep the EVALS
# evaluations within EVAL_SHARE of its training arithmetic (a case's forward pass is about a third of its
# training step), down to EVAL_FLOOR. The ElectricDevices shape's members (8,926 cases; 557 steps of 16)
# spent 42.6 s of a 111 s fit evaluating 512 cases 40 times (Q, benchmarks/classify_sizes.py)
EVAL_SHARE, EVAL_FLOOR = 0.2, 128


def watch_cases(budget: dict, steps_epoch: int, batch: int) -> int:
    """How many held-out cases each early-stopping evaluation reads, for a member's ``budget`` (``steps``
    or ``epochs`` of ``steps_epoch`` steps; a budget in minutes has no known length: EVAL_CASES)."""
    steps = budget.get("steps", budget.get("epochs", 0) * steps_epoch)
    if not steps:
        return EVAL_CASES
    return int(min(EVAL_CASES, max(EVAL_FLOOR, EVAL_SHARE * 3 * steps * batch / EVALS)))


def train_member(c: ClassifierNetConfig, weights, cases, y, val_cases, val_y, budget: dict, batch: int, bar, what: str,
                 seed: int, lr: float = 1e-3, weight_decay: float = 0.0):
    """Train one network of shape ``c`` on ``cases``/``y``; with held-out cases, evaluate it EVALS times,
    stop when the loss stalls and keep the best weights. Returns (net, its best step, a dict with the
    held-out loss and the best weights' labels ``pred`` for the held-out cases). ``weight_decay`` > 0 trains with
    AdamW, else Adam."""
    torch.manual_seed(seed)
    net = ClassifierNet(c, weights)
    train = SequenceBatches(cases, y, batch, seed=seed)
    val = watch = None
    if val_cases is not None:
        val = watch = SequenceBatches(val_cases, val_y, 256, shuffle=False)
        n_watch = watch_cases(budget, train.steps_per_epoch, batch)
        if len(val_cases) > n_watch:
            from sklearn.model_selection import train_test_split

            counts = np.bincount(val_y)
            classes = int((counts > 0).sum())  # stratifying needs two cases a class, and a class's room on either side
            strat = val_y if counts[counts > 0].min() >= 2 and min(n_watch, len(val_y) - n_watch) >= classes else None
            idx = np.sort(train_test_split(np.arange(len(val_y)), train_size=n_watch, stratify=strat, random_state=seed)[0])
            watch = SequenceBatches([val_cases[i] for i in idx], val_y[idx], 256, shuffle=False)
    # AdamW's decay is decoupled from the gradient's scale; with none it is Adam, kept as such to the last bit
    opt = {"optimizer": "adamw", "weight_decay": weight_decay} if weight_decay else {}
    tc = TrainConfig(**budget, lr=lr, seed=seed, **opt, evals=EVALS if val is not None else 1, patience=0, warmup=0.02,
                     min_lr_ratio=0.05, clip=1.0, device="cpu", precision="fp32")
    trainer = Trainer(net, train, watch, tc)
    best = {"step": 0, "loss": math.inf, "acc": 0.0, "weights": None, "mark": math.inf, "stall": 0}

    def keep(t: Trainer) -> None:
        v = t.last_eval.get("val_loss")
        if v is None:
            return
        if v < best["loss"]:
            best.update(step=t.state.step, loss=v, acc=t.last_eval.get("val_acc", 0.0),
                        weights={k: x.detach().clone() for k, x in t.model.state_dict().items()})
        if v < 0.99 * best["mark"] - 1e-4:  # a real gain, not the last digits of a solved task
            best.update(mark=v, stall=0)
        else:
            best["stall"] += 1
            if best["stall"] >= STALL_EVALS:
                t.request_stop(f"no 1 % gain in validation loss over {STALL_EVALS} evaluations")

    trainer.add_callback("on_eval", keep)
    bar.attach(trainer, what)
    trainer.fit()
    trainer.raise_if_interrupted()
    if best["weights"] is not None:
        net.load_state_dict(best["weights"])
    net.eval()
    if val is not None:  # the best weights' own labels for the held-out cases, and their loss, in one pass
        subset = watch is not val  # the loss reported is the whole fold's, as the labels are; the evaluations read less
        preds, total = [], 0.0
        with torch.no_grad():
            for _, b in val.batches(0):
                logits = net(b.x, b.lengths)
                preds.append(logits.argmax(-1).numpy())
                if subset:
                    total += net.criterion(logits, b.y).item() * len(b.y)
        best["pred"] = np.concatenate(preds)
        if subset:
            best["loss"] = total / len(val_y)
    return net, best["step"] or trainer.state.step, best
