"""A classifier's parameters checked, the plan of its fit decided from them and the data, and said in one line.

    check_params(est)          every parameter of a ``SequenceClassifier``, before ``fit`` reads the data
    folds_for(est, y, counts)  the (fit, validation) index pairs: stratified folds, one hold-out, or none
    net_body(est)              the network's settings that do not depend on the data
    derivatives_for, pool_for  whether numeric cases get their first differences; how many time points make one
    budget_for(est, ...)       one member's budget: the user's, or the nominal default (``classify_budget``)
    plan_line(est, ...)        "plan: lstm-fcn, 50 sequences of 75-75 steps x 1 channels ... 1,674 steps at most each"

Example:
    check_params(SequenceClassifier(derivatives="yes"))   # LstmkitError: unknown --derivatives 'yes'; ...
"""
from __future__ import annotations

import numpy as np

from ..configs import python_scalars
from ..errors import LstmkitError
from ..nn import MAX_LAYERS, MAX_WIDTH
from ..tokenize import LEVELS
from ..train_config import check_budget, check_lr
from .classify_budget import affords_floor, default_budget
from .classify_net import ARCHS, SHUFFLES, SLICINGS, ClassifierNetConfig
from .classify_prep import default_pool

VAL_FRACTION = 0.2  # a single network's held-out share, by default
DERIVATIVES = ("auto", "on", "off")
EXTREMES = ("off", "on")
UNKNOWNS = ("error", "drop")


def check_params(est) -> None:
    """Refuse a ``SequenceClassifier``'s parameters that cannot work, one line naming the value and the fix."""
    if est.model not in ARCHS:
        raise LstmkitError(f"unknown model {est.model!r}; pass one of {', '.join(ARCHS)} (lstmkit models lists them)")
    if est.level not in ("auto", *LEVELS):
        raise LstmkitError(f"unknown level {est.level!r}; pass auto, {', '.join(LEVELS)}")
    if not 0.0 <= est.val_fraction < 0.9:
        raise LstmkitError(f"--val-fraction {est.val_fraction} is out of range; pass 0 (no validation) or more, below 0.9")
    if est.shuffle not in SHUFFLES:
        raise LstmkitError(f"unknown --shuffle {est.shuffle!r}; pass one of {', '.join(SHUFFLES)}")
    if est.pool != "auto" and (isinstance(est.pool, bool) or not isinstance(est.pool, (int, np.integer)) or est.pool < 1):
        raise LstmkitError(f"--pool {est.pool!r}: pass auto, or a whole number of time points to average into one (1: none)")
    if est.derivatives not in DERIVATIVES:
        raise LstmkitError(f"unknown --derivatives {est.derivatives!r}; pass one of {', '.join(DERIVATIVES)}")
    if est.pool_extremes not in EXTREMES:
        raise LstmkitError(f"unknown --pool-extremes {est.pool_extremes!r}; pass one of {', '.join(EXTREMES)}")
    if est.slicing not in SLICINGS:
        raise LstmkitError(f"unknown --slicing {est.slicing!r}; pass one of {', '.join(SLICINGS)}")
    if est.unknown not in UNKNOWNS:
        raise LstmkitError(f"unknown --unknown {est.unknown!r}; pass one of {', '.join(UNKNOWNS)}")
    if not isinstance(est.refit, (bool, np.bool_)):
        raise LstmkitError(f"refit={est.refit!r}: pass True or False")
    if not isinstance(est.early_stopping, (bool, np.bool_)):
        raise LstmkitError(f"early_stopping={est.early_stopping!r}: pass True (members stopped early on held-out folds) or False (every case, the whole budget)")
    if isinstance(est.class_weight, dict):  # scikit-learn's {label: weight}; classes left out weigh 1
        bad = [(k, w) for k, w in est.class_weight.items()
               if isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating)) or not 0 < w < float("inf")]
        if bad:
            raise LstmkitError(f"class_weight gives {bad[0][0]!r} the weight {bad[0][1]!r}; each weight must be a positive number")
    elif est.class_weight not in (None, "balanced"):
        raise LstmkitError(f"--class-weight {est.class_weight!r}: pass balanced, or nothing for equal weights")
    check_budget(est.steps, est.epochs, est.minutes)
    # the ceilings a saved network is checked against when it loads: refused here, before it is trained
    for name, top in (("hidden", MAX_WIDTH), ("layers", MAX_LAYERS), ("batch_size", None), ("ensemble", None)):
        v = getattr(est, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 or (top and v > top)):
            raise LstmkitError(f"--{name.replace('_', '-')} {v!r} must be a whole number from 1{f' to {top}' if top else ' up'}")
    if isinstance(est.dropout, bool) or not isinstance(est.dropout, (int, float, np.integer, np.floating)) or not 0 <= est.dropout <= 0.999:
        raise LstmkitError(f"--dropout {est.dropout!r} must be a number from 0 to 0.999")
    check_lr(est.lr)
    wd = est.weight_decay
    if wd != "auto" and (not isinstance(wd, (int, float, np.integer, np.floating)) or isinstance(wd, bool) or not 0 <= wd < 1 / est.lr):
        raise LstmkitError(f"--weight-decay {wd!r} must be auto, or a number from 0 to under 1 / lr ({1 / est.lr:g}): "
                           "each step shrinks the weights by lr x weight decay of themselves")


def check_combination(est, kind: str, pool: int) -> None:
    """Refuse, before any work, an option that these cases (``kind``, pooled by ``pool``) or the other options
    would leave unused: each would otherwise be ignored unsaid."""
    if kind == "text":
        if est.shuffle == "on":
            raise LstmkitError("--shuffle on is for numeric cases of one length, not texts; pass --shuffle off")
        if est.slicing == "on":
            raise LstmkitError("--slicing on crops numeric cases, not texts; pass --slicing off or leave it out")
        for name, v in (("--derivatives", est.derivatives), ("--pool-extremes", est.pool_extremes)):
            if v == "on":
                raise LstmkitError(f"{name} on is for numeric cases, and these are texts; leave {name} out")
    elif est.level != "auto":
        raise LstmkitError(f"--level {est.level} tokenizes texts, and these cases are numeric; leave --level out")
    elif est.unknown != "error":
        raise LstmkitError(f"--unknown {est.unknown} is for characters of texts, and these cases are numeric; leave --unknown out")
    elif est.pool_extremes == "on" and pool < 2:
        raise LstmkitError("--pool-extremes on keeps each pooled block's maximum and minimum, and these cases are not pooled "
                           f"({'--pool 1' if est.pool != 'auto' else 'auto pooling chose none'}); pass --pool 2 or more, or leave --pool-extremes out")
    if est.ensemble > 1 and est.val_fraction != VAL_FRACTION:
        raise LstmkitError(f"--val-fraction {est.val_fraction} is a single network's held-out share, and each of an ensemble's {est.ensemble} "
                           "members holds out a fold of its own; pass --ensemble 1, or leave --val-fraction out")
    if est.ensemble > 1 and not est.refit:
        raise LstmkitError(f"--no-refit is for a single network (--ensemble 1); an ensemble's {est.ensemble} members are not refitted — leave it out")
    if not est.early_stopping and est.val_fraction not in (VAL_FRACTION, 0):
        raise LstmkitError(f"--val-fraction {est.val_fraction} holds cases out for early stopping, which --no-early-stopping turns off; "
                           "pass one of them")


def net_body(est) -> dict:
    """The network's settings that do not depend on the data's shape."""
    body = dict(arch=est.model, classes=len(est.classes_), hidden=est.hidden or 64, layers=est.layers, dropout=est.dropout)
    return {k: python_scalars(v) for k, v in body.items()}  # a NumPy grid's np.int64(8) reaches torch as 8


def derivatives_for(est, kind: str, cases: list, batch: int, members: int) -> bool:
    """Whether numeric cases get their first differences: ``on``/``off`` as asked; ``auto``: yes unless, with
    the default budget, the doubled inputs would leave each network fewer steps than the floor (which then
    binds, and the fit outgrows its nominal time: a PEMS-SF shape, 963 channels, took 83 s with them
    against 44 s without, both at the 200-step floor, on H)."""
    if kind == "text" or est.derivatives == "off":
        return False
    if est.derivatives == "on" or est.steps or est.epochs or est.minutes:
        return True
    k = pool_for(est, kind, cases)
    pooled = [-(-len(c) // k) for c in cases]
    one = len(set(pooled)) == 1 and est.shuffle == "on" and est.model == "lstm-fcn"
    wide = ClassifierNetConfig(inputs=2 * int(cases[0].shape[1]), shuffle=pooled[0] if one else 0, **net_body(est))
    return affords_floor(wide, pooled, batch, members)


def pool_for(est, kind: str, seqs: list) -> int:
    """Time points averaged into one: the user's, or with the default budget as many as bring the mean
    case down to POOL_POINTS (``classify_prep.default_pool``); texts are never pooled."""
    if kind == "text":
        if est.pool not in ("auto", 1):
            raise LstmkitError(f"--pool {est.pool} averages numeric time points; texts are not pooled — leave --pool out")
        return 1
    if est.pool != "auto":
        longest = max(len(q) for q in seqs)
        if int(est.pool) > 1 and int(est.pool) >= longest:  # every case one point: nothing left for a sequence model to read
            raise LstmkitError(f"--pool {est.pool} averages every case into one point (the longest has {longest}); pass a --pool below "
                               f"{longest}, or leave it out (auto)")
        return int(est.pool)
    if est.steps or est.epochs or est.minutes:
        return 1
    return default_pool([len(q) for q in seqs])


def folds_for(est, y_ids: np.ndarray, counts: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(fit, validation) index pairs: K stratified folds for an ensemble, one stratified hold-out for a
    single network; none when a class has too few cases to spare one, or without early stopping."""
    n, all_idx = len(y_ids), np.arange(len(y_ids))
    if not est.early_stopping:
        return []
    if est.ensemble > 1:
        k = int(min(est.ensemble, counts.min()))
        if k < 2:
            return []
        from sklearn.model_selection import StratifiedKFold

        return [(np.sort(f), np.sort(v)) for f, v in StratifiedKFold(k, shuffle=True, random_state=est.seed).split(all_idx, y_ids)]
    n_val = int(round(est.val_fraction * n))
    if not est.val_fraction or counts.min() < 2 or n_val < len(counts) or n - n_val < len(counts):
        return []
    from sklearn.model_selection import train_test_split

    fit_idx, val_idx = train_test_split(all_idx, test_size=n_val, stratify=y_ids, random_state=est.seed)
    return [(np.sort(fit_idx), np.sort(val_idx))]


def budget_for(est, seqs: list, c: ClassifierNetConfig, steps_epoch: int, batch: int, members: int) -> dict:
    """One member's budget: the user's, or the default cut to a nominal share of the time."""
    if est.steps:
        return {"steps": int(est.steps)}
    if est.epochs:
        return {"epochs": float(est.epochs)}
    if est.minutes:
        return {"minutes": est.minutes / (members if members > 1 else 2 if (est.val_fraction and est.refit) else 1)}
    return default_budget(c, [len(q) for q in seqs], steps_epoch, batch, members)


def plan_line(est, c: ClassifierNetConfig, N: int, lengths: list[int], raw: list[int], pool: int, batch: int, members: int,
              folds: list, budget: dict, refit: bool, decay: float) -> str:
    """What ``fit`` is about to do: the network, the cases as the network reads them (``lengths`` after
    pooling, ``raw`` before), the classes and batch, and how the members are trained and validated."""
    p = est.prep_
    K = max(1, len(folds))
    shape = f"plan: {c.arch}{' (its LSTM reads each channel as one step: the dimension shuffle)' if c.shuffle else ''}, "
    if p["kind"] == "text":
        shape += f"{N:,} texts of {min(lengths)}-{max(lengths)} tokens ({p['level']} level, {c.vocab_size - 1} symbols)"
    else:
        shape += (f"{N:,} sequences of {min(lengths)}-{max(lengths)} steps x {p['channels']} channels"
                  + (" and their first differences" if p.get("derivatives") else ""))
    if pool > 1:
        shape += (f" (each {pool} time points averaged into one{', with their maximum and minimum,' if p.get('extremes') else ','} "
                  f"from {min(raw)}-{max(raw)}{': down to 100 points or fewer, the default' if est.pool == 'auto' else ''})")
    if c.crop:
        shape += f" (trained on random windows of {c.crop:.0%} of each case, predicted from the mean of {c.crop_views})"
    b = budget_text(budget)
    if members > 1 and folds:
        training = f"an ensemble of {members}, each trained on {K - 1} of {K} stratified folds and stopped early on the other, {b} at most each"
        if K < members:  # the smallest class cannot give each member a fold of its own: folds serve in turn
            training += f" (the smallest class has {K} cases, so {K} folds serve the {members} members in turn)"
    elif members > 1:
        training = f"an ensemble of {members} on every case ({'too few cases per class to validate' if est.early_stopping else 'no early stopping'}), {b} each"
    elif folds:
        training = f"{b}, validated on {len(folds[0][1])} held-out cases" + (", then refitted on all" if refit else "")
    else:
        training = f"{b}, no validation ({'too few cases per class' if est.early_stopping and est.val_fraction else 'none asked for'})"
    optimizer = f"; AdamW, weight decay {decay:g}" if decay else ""
    return f"{shape}, {len(est.classes_)} classes, batch {batch}; {training}{optimizer}"


def budget_text(b: dict) -> str:
    """A member's budget as the plan says it: "1,674 steps", "20 passes" or "0.5 minutes per training"."""
    if "steps" in b:
        return f"{b['steps']:,} steps"
    if "epochs" in b:
        return f"{b['epochs']:g} passes"
    return f"{b['minutes']:g} minutes per training"
