"""SequenceClassifier: labelled sequences (numbers or text) in, a many-to-one LSTM classifier out.

A scikit-learn estimator (``fit``/``predict``/``predict_proba``/``score``, ``get_params``/``set_params``),
so it works inside ``cross_val_score``, ``GridSearchCV`` and ``Pipeline``. The flow of ``fit``:

    check X and y -> encode the labels -> tokenize texts or standardise channels -> split off a stratified
    validation part -> train with early stopping (the best evaluation's step count is kept) -> train again
    on everything for as many passes -> one network, saved as one artifact with its labels and preparation.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError

from .. import artifact
from ..data.labeled import SequenceBatches, as_labels, as_sequences, labels_json, plain
from ..data.labeled_files import check_table_options, no_labels_fix, read_labeled, read_labeled_columns
from ..errors import LstmkitError
from .classify_artifact import read_parts
from .classify_budget import default_decay
from .classify_fit import train_member
from .classify_net import SLICE_SHARE, SLICE_VIEWS, ClassifierEnsemble, ClassifierNetConfig
from .classify_plan import VAL_FRACTION, budget_for, check_combination, check_params, derivatives_for, folds_for, net_body, plan_line, pool_for
from .classify_prep import encode, fit_preparation, net_inputs, pool_case
from .forecast_watch import FitBar

TASK = "classify"


class NotFitted(LstmkitError, NotFittedError):
    """An unfitted classifier asked to predict: one line on the command line, ``NotFittedError`` to scikit-learn."""


def given_weights(weights: dict, classes: np.ndarray) -> list[float]:
    """A ``{label: weight}`` dict as one weight per class of ``classes`` (1 for those it leaves out). A key matches
    a class by value, or by its text (a model's saved parameters bring integer keys back as JSON text)."""
    named = {str(k): float(w) for k, w in weights.items()}
    known = {str(plain(c)) for c in classes}
    strange = [k for k in named if k not in known]
    if strange:
        raise LstmkitError(f"class_weight names {strange[0]!r}, which is not a class ({', '.join(str(plain(c)) for c in classes[:8])}); "
                           "give weights to the labels of y")
    return [named.get(str(plain(c)), 1.0) for c in classes]


class SequenceClassifier(ClassifierMixin, BaseEstimator):
    """An LSTM-family sequence classifier in the scikit-learn/aeon convention.

    Args:
        model: the network (``lstmkit models``): lstm-fcn (default), lstm, stacked, gru, bilstm, cnn-lstm, attention.
        hidden: recurrent units (default 64); dropout: before the output layer (default 0.2).
        steps, epochs, minutes: one budget per member (default: up to 400 passes, the ensemble capped near 80 s
            of nominal arithmetic).
        lr: the learning rate; batch_size: cases per step (default a tenth of the cases, 4 to 16).
        weight_decay: > 0 trains with AdamW, its decoupled weight decay shrinking the weights every step by
            ``lr * weight_decay`` of themselves; 0 is plain Adam. ``auto`` (default): 0.1 when each member's budget
            buys it at least 200 passes over its cases (small sets, whose networks converge and stop early), else
            0 (``classify_budget.default_decay``). Out of fold, 0.1 won on the small train splits and lost on the
            long pooled ones, which get fewer passes (docs/classification-choices.md).
        ensemble: networks averaged (default 3). Each trains on all but one of as many stratified folds, is stopped
            early on that fold and keeps its best weights; every training case is held out from one member.
        val_fraction, refit: with ``ensemble=1``, the stratified share held out to choose the step count (0: none),
            and whether to train again on everything for as many passes.
        early_stopping: ``False``: nothing held out; every network trains on every case for the whole budget,
            as the Keras and dl-4-tsc recipes do (more cases per network; no step count checked on unseen ones).
        class_weight: ``balanced`` weighs each class by the inverse of its frequency; a dict ``{label: weight}``
            gives the weights (classes it leaves out weigh 1), as in scikit-learn.
        level: texts' tokens: auto (characters when texts average at most 100 characters or under 3 words, else
            words), char, word or bpe.
        shuffle: ``on``: LSTM-FCN's dimension shuffle, its LSTM reading each channel's whole series as one step
            (cases of one length only, at fit and predict time); ``off`` (default): the time points are its steps.
            Out of fold on four train splits (``benchmarks/classify_family.py --full --shuffles on,off``, seeds
            0-2) ``on`` won on ArrowHead (accuracy 0.81-0.86 against 0.64-0.72) and lost on GunPoint (0.92-1.00
            against 0.98-1.00) and on BasicMotions' loss; ``off`` stays the default.
        pool: numeric cases only: each ``pool`` consecutive time points averaged into one, at fit and predict
            time (1: none). ``auto`` (default): with the default budget, as many as bring the mean case down to 100
            points (``classify_prep.default_pool``; GunPoint's 150 are pooled by 2, ItalyPowerDemand's 24
            not), with an explicit budget none.
        derivatives: numeric cases only: ``on``: each channel's first difference, x[t] - x[t-1], is a channel of
            its own beside it, at fit and predict time (``classify_prep.with_differences``); ``off``: the channels
            alone; ``auto`` (default): on, unless the default budget cannot afford the doubled inputs (with them
            the nominal 80 s would buy each network fewer than its floor of 200 steps: hundreds of channels).
        pool_extremes: pooled numeric cases only: ``on``: each block of ``pool`` points gives its maximum and minimum
            beside its mean (three times the inputs: a spike or a sharp edge survives the pooling; out of fold it
            helped the long series pooled by 5 and 15, OSULeaf and ACSF1, and not those pooled by 2 and 3, see
            ``classify_prep.pool_case``); ``off`` (default): the mean alone.
        slicing: numeric cases read by time step: ``on``: window slicing (Le Guennec et al.), each training step
            reads a random window of 90 % of every case, and a prediction is the mean over 5 windows spread from
            each case's start to its end; ``off`` (default): whole cases. Out of fold on the five default train
            splits it won one seed on both measures and lost the other on both (docs/classification-choices.md).
        unknown: character-level texts at predict time: ``error`` (default): a character never seen in training
            is an error naming it; ``drop``: such characters are left out. (Words never seen map to ``<unk>``,
            a symbol the network learnt from the words seen once in training.)
        seed: one seed, one model.

    Example:
        clf = lstmkit.SequenceClassifier(seed=0).fit(X_train, y_train)   # X: (cases, channels, time points)
        clf.score(X_test, y_test); clf.predict_proba(X_test); clf.save("runs/gunpoint")
    """

    def __init__(self, model: str = "lstm-fcn", *, hidden: int | None = None, layers: int = 1, dropout: float = 0.2,
                 steps: int | None = None, epochs: float | None = None, minutes: float | None = None, lr: float = 1e-3,
                 weight_decay: float | str = "auto", batch_size: int | None = None, ensemble: int = 3, val_fraction: float = VAL_FRACTION, refit: bool = True,
                 early_stopping: bool = True, class_weight: str | None = None, level: str = "auto", shuffle: str = "off",
                 pool: int | str = "auto", derivatives: str = "auto", pool_extremes: str = "off", slicing: str = "off", unknown: str = "error", seed: int = 0,
                 progress: bool = False):
        self.model, self.hidden, self.layers, self.dropout = model, hidden, layers, dropout
        self.steps, self.epochs, self.minutes, self.lr, self.batch_size = steps, epochs, minutes, lr, batch_size
        self.ensemble, self.val_fraction, self.refit, self.class_weight, self.level, self.seed, self.progress = (
            ensemble, val_fraction, refit, class_weight, level, seed, progress)
        self.shuffle, self.pool, self.early_stopping, self.derivatives = shuffle, pool, early_stopping, derivatives
        self.pool_extremes, self.weight_decay, self.unknown, self.slicing = pool_extremes, weight_decay, unknown, slicing

    # ------------------------------------------------------------------------ fitting
    def fit(self, X, y, notes=None) -> "SequenceClassifier":
        """Train on cases ``X`` and their labels ``y``; ``notes`` receives one-line messages (the plan, the result)."""
        t0 = time.perf_counter()
        say = notes or (lambda m: None)
        check_params(self)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or not 0 <= self.seed < 2 ** 32:
            raise LstmkitError(f"--seed {self.seed!r} must be a whole number from 0 to 2**32 - 1")  # NumPy's range
        # -- check the cases and labels; encode the labels --------------------------------
        names = _column_names(X)
        kind, cases = as_sequences(X)
        y = as_labels(y, len(cases))
        self.classes_, y_ids = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise LstmkitError(f"every case has the label {plain(self.classes_[0])!r}; a classifier needs at least 2 classes")
        self.kind_ = kind
        check_combination(self, kind, pool_for(self, kind, cases))
        counts = np.bincount(y_ids, minlength=len(self.classes_))
        weights = None
        if self.class_weight == "balanced":
            weights = torch.tensor(len(y_ids) / (len(counts) * np.maximum(counts, 1)), dtype=torch.float32)
        elif isinstance(self.class_weight, dict):
            weights = torch.tensor(given_weights(self.class_weight, self.classes_), dtype=torch.float32)
        # -- split: K stratified folds (an ensemble) or one held-out part, when every class can spare cases --
        folds = folds_for(self, y_ids, counts)
        K = max(1, len(folds))
        N = len(cases)
        n_fit = len(folds[0][0]) if folds else N
        batch = self.batch_size or int(min(16, max(4, n_fit // 10)))
        steps_epoch = -(-n_fit // min(batch, n_fit))
        members = self.ensemble if self.ensemble > 1 else 1
        # -- preparation: a tokenizer for texts, channel statistics (and first differences) for numbers --
        self.prep_ = fit_preparation(kind, cases, self.level, derivatives=derivatives_for(self, kind, cases, batch, members))
        seqs = encode(self.prep_, cases)
        net_cfg = self._net_config(seqs)
        # -- long series: average each `pool` time points into one (default: the mean case to <= 100 points) --
        raw = [len(q) for q in seqs]
        pool = pool_for(self, kind, seqs)
        if pool > 1:
            self.prep_["pool"] = pool
            if self.pool_extremes == "on":
                self.prep_["extremes"] = True
            seqs = [pool_case(q, pool, bool(self.prep_.get("extremes"))) for q in seqs]
            net_cfg = self._net_config(seqs)
        budget = budget_for(self, seqs, net_cfg, steps_epoch, batch, members)
        decay = default_decay(budget, steps_epoch) if self.weight_decay == "auto" else float(self.weight_decay)
        lengths = [len(s) for s in seqs]
        refit = bool(folds) and members == 1 and self.refit
        say(plan_line(self, net_cfg, N, lengths, raw, pool, batch, members, folds, budget, refit, decay))

        # -- train: each member validated on its own fold (early stopping, best weights) ----------
        bar = FitBar(self.progress, members + (1 if refit else 0))
        pick = lambda idx: [seqs[i] for i in idx]  # noqa: E731
        nets, self.history_ = [], {}
        oof = np.full(N, -1)  # out-of-fold predictions: each case classified by the member that never trained on it
        best_steps, val_losses = [], []
        for m in range(members):
            seed = self.seed + m
            if folds:
                fit_idx, val_idx = folds[m % K]
                net, best_step, best = train_member(net_cfg, weights, pick(fit_idx), y_ids[fit_idx], pick(val_idx), y_ids[val_idx],
                                                    budget, batch, bar, f"member {m + 1}/{members}" if members > 1 else "validating", seed, self.lr, decay)
                best_steps.append(best_step)
                val_losses.append(best["loss"])
                oof[val_idx] = best["pred"]
            else:
                net, _, _ = train_member(net_cfg, weights, seqs, y_ids, None, None, budget, batch, bar,
                                         f"member {m + 1}/{members}" if members > 1 else "fitting", seed, self.lr, decay)
            nets.append(net)
        if folds:
            seen = oof >= 0
            acc = float(np.mean(oof[seen] == y_ids[seen]))
            self.history_ = {"best_steps": best_steps, "val_loss": float(np.mean(val_losses)), "val_acc": acc, "val_cases": int(seen.sum())}
            say(f"validation: accuracy {acc:.3f} on {int(seen.sum())} held-out cases{' (each by the member that never saw it)' if members > 1 else ''}, "
                f"mean loss {np.mean(val_losses):.4f}; best steps {', '.join(map(str, best_steps))}")
            if refit:
                # as many passes over all the cases as the best step made over the fit part
                refit_steps = max(1, round(best_steps[0] * N / n_fit))
                nets = [train_member(net_cfg, weights, seqs, y_ids, None, None, {"steps": refit_steps}, batch, bar, "refitting", self.seed,
                                     self.lr, decay)[0]]
                self.history_["refit_steps"] = refit_steps
        bar.close()
        net = ClassifierEnsemble([n.eval() for n in nets])
        self.net_ = net.eval()
        self.columns_ = {}
        # a wide DataFrame's column names, as scikit-learn keeps them: new tables are read by these names
        self.feature_names_in_ = names
        if names is None:
            del self.feature_names_in_
        self.summary_ = {"fit_s": round(time.perf_counter() - t0, 3), "cases": N, "budget": budget, "batch": batch, "members": len(nets),
                         "weight_decay": decay, "parameters": sum(p.numel() for p in net.parameters()), **self.history_,
                         **({"lengths": [min(raw), max(raw)]} if kind == "numeric" else {})}
        return self

    def _net_config(self, seqs: list) -> ClassifierNetConfig:
        p, kw = self.prep_, net_body(self)
        if p["kind"] == "text":  # --shuffle and --slicing on texts were refused by check_combination
            return ClassifierNetConfig(inputs=0, vocab_size=p["tokenizer"].vocab_size + 1, **kw)
        lengths = {len(q) for q in seqs}
        shuffle = 0  # the dimension shuffle reads a whole series as one step: one length for every case
        if self.shuffle == "on":
            if len(lengths) > 1:
                raise LstmkitError(f"--shuffle on needs cases of one length, and these have {min(lengths)}-{max(lengths)} time points; "
                                   "pass --shuffle off")
            shuffle = lengths.pop()
        if self.slicing == "on" and shuffle:
            raise LstmkitError("--slicing on crops the time steps the LSTM reads, and --shuffle on makes it read whole series; "
                               "pass one of them")
        crop = SLICE_SHARE if self.slicing == "on" else 0.0
        return ClassifierNetConfig(inputs=net_inputs(p), shuffle=shuffle, crop=crop, crop_views=SLICE_VIEWS if crop else 1, **kw)

    # ------------------------------------------------------------------------ files
    def fit_file(self, path, label: str | None = None, *, text: str | None = None, id: str | None = None,
                 time: str | None = None, values=(), notes=None) -> "SequenceClassifier":
        """Read labelled cases from ``path`` (see ``data.labeled_files.read_labeled``) and fit; the columns are
        saved with the model, so ``read_cases`` reads new files the same way."""
        check_table_options(path, label=label, text=text, id=id, time=time, values=values)
        X, y, _, used = read_labeled_columns(path, label, text, id, time, list(values))
        if y is None:
            raise LstmkitError(f"{path} holds no labels; {no_labels_fix(path)}")
        self.fit(X, y, notes=notes)
        # the columns read, found or given: a new file is read by these names, whatever their order
        self.columns_ = {"label": label, "text": used.get("text", text), "id": id, "time": time, "values": used.get("values", list(values))}
        return self

    def read_cases(self, path, label: str | None = None, with_ids: bool = False, text: str | None = None):
        """(X, y) from a file laid out as the training file was; ``y`` None without labels; ``with_ids``: (X, y, names).
        ``text`` names a table's text column where the model saved none (it was trained from Python or a folder)."""
        c = getattr(self, "columns_", {}) or {}
        check_table_options(path, label=label, text=text)
        given = label is not None  # a --label named now must be there; the training file's need not be
        label = label if given else c.get("label")
        kind = getattr(self, "kind_", None)
        if text is not None and kind == "numeric":
            raise LstmkitError(f"--text {text!r} names a column of texts, and this model classifies numeric sequences; leave it out")
        return read_labeled(path, label, text=text or c.get("text"), id=c.get("id"), time=c.get("time"), values=c.get("values") or (),
                            need_labels=False, optional_label=not given, with_ids=with_ids, saved=bool(c) and text is None,
                            numeric=kind == "numeric" and not any(c.get(k) for k in ("text", "id", "values")), texts=kind == "text")

    # ------------------------------------------------------------------------ predicting
    def _require_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFitted("this SequenceClassifier is not fitted yet; call fit(X, y) first, or lstmkit.load a saved one")

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (cases, classes), columns in the order of ``classes_``."""
        self._require_fitted()
        kind, cases = as_sequences(self._by_name(X))
        if kind != self.kind_:
            raise LstmkitError(f"this model classifies {'texts' if self.kind_ == 'text' else 'numeric sequences'}, not {'texts' if kind == 'text' else 'numbers'}")
        if kind == "numeric" and cases[0].shape[1] != self.prep_["channels"]:
            raise LstmkitError(f"the cases have {cases[0].shape[1]} channels; this model was trained on {self.prep_['channels']}")
        seqs = encode(self.prep_, cases, self.unknown)
        T = self.net_.config.shuffle
        wrong = [i for i, q in enumerate(seqs) if T and len(q) != T]
        if wrong:
            raise LstmkitError(f"case {wrong[0]} has {len(seqs[wrong[0]])} time points; this model reads exactly {T} "
                               "(its LSTM takes each channel's whole series as one step); pass cases of that length, or train with --shuffle off")
        order = np.argsort([len(s) for s in seqs], kind="stable")  # similar lengths together: less padding
        out = np.zeros((len(seqs), len(self.classes_)), np.float64)  # scikit-learn's probabilities are float64
        data = SequenceBatches([seqs[i] for i in order], np.zeros(len(seqs), np.int64), 256, shuffle=False)
        with torch.no_grad():
            for i, b in data.batches(0):
                p = self.net_.proba(b.x, b.lengths).numpy()
                out[order[i * data.batch_size:i * data.batch_size + len(p)]] = p
        return out / out.sum(1, keepdims=True)  # the float32 softmax's rows, summing to 1 in float64

    def _by_name(self, X):
        """A DataFrame's columns in the order of those the classifier was fitted on (extra ones left out)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None or _column_names(X) is None:
            return X
        missing = [n for n in names if n not in X.columns]
        if missing:
            raise LstmkitError(f"X has no column {missing[0]!r}, one of the {len(names)} the classifier was fitted on "
                               f"({', '.join(map(str, names[:4]))}{', ...' if len(names) > 4 else ''}); pass a table with those columns")
        return X[list(names)]

    def predict(self, X) -> np.ndarray:
        """The most probable class of each case, as the labels ``fit`` saw."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

    # ------------------------------------------------------------------------ saving
    def to_config(self) -> dict:
        names = getattr(self, "feature_names_in_", None)
        return {"task": TASK, "classify": self.get_params(), "net": self.net_.config.to_dict(), "summary": self.summary_,
                "columns": getattr(self, "columns_", {}), **({"feature_names": list(names)} if names is not None else {})}

    def save(self, path: str | Path) -> Path:
        """Write the model directory (config, labels and preparation JSON, safetensors weights) as one set."""
        self._require_fitted()
        prep = {k: v for k, v in self.prep_.items() if k != "tokenizer"}
        parts = {"labels": labels_json(self.classes_), "preparation": prep}
        if "tokenizer" in self.prep_:
            parts["tokenizer"] = self.prep_["tokenizer"].to_dict()
        self.path_ = artifact.save_model(path, self.to_config(), parts, self.net_.state_dict(), replaces_run=True)
        return self.path_

    @classmethod
    def load(cls, path: str | Path) -> "SequenceClassifier":
        return cls.from_artifact(artifact.open_model(path))

    @classmethod
    def _checked(cls, params: dict) -> "SequenceClassifier":
        params = {"derivatives": "off", "slicing": "off", **params}  # saved before the options: channels alone, whole cases
        est = cls(**{k: v for k, v in params.items() if k in cls().get_params()})
        check_params(est)
        return est

    @classmethod
    def from_artifact(cls, art: artifact.Artifact) -> "SequenceClassifier":
        est, net_cfg, parts = read_parts(art, TASK, lambda params: cls._checked(params))
        net = artifact.build_module(lambda: ClassifierEnsemble.build(net_cfg), art.weights, str(art.path))
        est.net_ = net.eval()
        est.classes_, est.kind_, est.prep_ = parts["classes"], parts["prep"]["kind"], parts["prep"]
        est.summary_, est.columns_, est.path_ = parts["summary"], parts["columns"], Path(art.path)
        if parts["feature_names"] is not None:
            est.feature_names_in_ = np.asarray(parts["feature_names"], dtype=object)
        return est

    def info(self) -> dict:
        self._require_fitted()
        return {"task": TASK, "classify": self.get_params(), "net": self.net_.config.to_dict(), "summary": self.summary_,
                "classes": [_jsonable(v) for v in self.classes_], "kind": self.kind_,
                **({"level": self.prep_["level"]} if self.kind_ == "text" else {"channels": self.prep_["channels"], "pool": self.prep_.get("pool", 1),
                                                                    "derivatives": bool(self.prep_.get("derivatives")),
                                                                    "pool_extremes": bool(self.prep_.get("extremes"))})}


def _jsonable(v):
    return v.item() if hasattr(v, "item") else v


def _column_names(X) -> np.ndarray | None:
    """A wide DataFrame's column names when every one is text (scikit-learn's ``feature_names_in_``), else None."""
    cols = getattr(X, "columns", None)
    if cols is None or not hasattr(X, "to_numpy") or not all(isinstance(c, str) for c in cols):
        return None
    return np.asarray(cols, dtype=object)
