"""Where the classifier's defaults are chosen: outer cross-validation on train splits only.

    python benchmarks/classify_outer_cv.py ["{'ensemble': 5}"] [--datasets GunPoint,ItalyPowerDemand] [--seed 0] [--folds 5]

Each dataset's official train split (it ships inside the aeon wheel) is cut into ``--folds`` stratified
outer folds; ``SequenceClassifier(**options)`` is fitted on all but one and scores the one left out, so
every train case is classified once by a model that never saw it. The test splits are never read. The
line per dataset gives the outer accuracy, the log loss and the mean fit time; the last line their means.
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import lstmkit  # noqa: E402

DEFAULT = "GunPoint,ItalyPowerDemand,ArrowHead,BasicMotions,JapaneseVowels"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("options", nargs="?", default="{}", help="a Python dict of SequenceClassifier options")
    ap.add_argument("--datasets", default=DEFAULT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    opts = ast.literal_eval(args.options)
    warnings.filterwarnings("ignore")
    from aeon.datasets import load_classification
    from sklearn.model_selection import StratifiedKFold

    print(f"machine: {machine()}")
    print(f"options {opts}, seed {args.seed}, {args.folds} outer folds of each train split")
    accs, losses = [], []
    for name in args.datasets.split(","):
        X, y = load_classification(name, split="train")
        # equal lengths: one (cases, channels, time points) array; unequal: a list of (channels, time points) cases
        pick = (lambda idx: X[idx]) if isinstance(X, np.ndarray) else (lambda idx: [X[i] for i in idx])  # noqa: E731
        classes = np.unique(y)
        proba, secs = np.zeros((len(y), len(classes))), []
        for fit_idx, out_idx in StratifiedKFold(args.folds, shuffle=True, random_state=args.seed).split(np.zeros(len(y)), y):
            t = time.perf_counter()
            clf = lstmkit.SequenceClassifier(seed=args.seed, **opts).fit(pick(fit_idx), y[fit_idx])
            p = clf.predict_proba(pick(out_idx))
            secs.append(time.perf_counter() - t)
            proba[np.ix_(out_idx, np.searchsorted(classes, clf.classes_))] = p
        truth = np.searchsorted(classes, y)
        acc = float(np.mean(proba.argmax(1) == truth))
        loss = float(-np.mean(np.log(np.clip(proba[np.arange(len(y)), truth], 1e-7, 1))))
        accs.append(acc)
        losses.append(loss)
        print(f"  {name:<18} accuracy {acc:.3f} ({int(np.sum(proba.argmax(1) != truth))} of {len(y)} wrong), log loss {loss:.4f}, "
              f"fit+predict {np.mean(secs):.1f} s per fold", flush=True)
    print(f"mean: accuracy {np.mean(accs):.4f}, log loss {np.mean(losses):.4f}")


if __name__ == "__main__":
    main()
