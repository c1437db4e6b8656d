"""Sequence classification: lstmkit's default against aeon's MiniRocket and 1-NN-DTW, in one run.

    python benchmarks/classify_ucr.py ["{'pool_extremes': 'on'}"] [--datasets GunPoint,ItalyPowerDemand,BasicMotions,JapaneseVowels]
                                      [--seeds 5] [--model lstm-fcn] [--skip-baselines]

The datasets ship inside the aeon wheel (no download), each with its official train/test split, or with
scikit-learn (``digits``, ``digits-rows``: see ``load``). Every
method fits on the train split and is scored once on the test split. lstmkit's figure is the median
test accuracy over ``--seeds`` seeds with the range; times are fit plus predict, in seconds. The optional
first argument is a Python dict of ``SequenceClassifier`` options (default: none, the defaults).
MiniRocket is randomised too (its kernels' biases come from random draws of the training cases), so it
runs with the same seeds (``random_state``) and gets the same median and range; with seed 0 alone it
scored 0.963 on ItalyPowerDemand, the lowest of its five seeds there (0.963-0.967, median 0.966).
MiniRocket takes equal-length series of 9 points or more only, so it is skipped where the lengths differ
(JapaneseVowels) and on digits-rows (8 steps).
1-NN-DTW is deterministic and runs once.
Published LSTM-FCN accuracies (Karim et al. 2018) are printed beside them where they exist.
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

PUBLISHED_LSTM_FCN = {"GunPoint": 1.000, "ItalyPowerDemand": 0.962}
DEFAULT = "GunPoint,ItalyPowerDemand,BasicMotions,JapaneseVowels"


def load(name: str):
    """A dataset's official train and test splits; ``digits`` and ``digits-rows`` are scikit-learn's 1,797
    handwritten 8x8 digits (10 classes), split in half by class with seed 0: each image as one 64-point
    series, its rows one after another, or as 8 channels (its columns) of 8 steps (its rows)."""
    if name in ("digits", "digits-rows"):
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        d = load_digits()
        X = d.images.reshape(len(d.images), 1, 64) if name == "digits" else d.images.transpose(0, 2, 1)
        tr, te = train_test_split(np.arange(len(d.target)), test_size=0.5, stratify=d.target, random_state=0)
        return X[tr] / 16.0, d.target[tr], X[te] / 16.0, d.target[te]
    from aeon.datasets import load_classification

    X, y = load_classification(name, split="train")
    Xt, yt = load_classification(name, split="test")
    return X, y, Xt, yt


def equal_length(X) -> bool:
    return isinstance(X, np.ndarray) and X.ndim == 3


def timed(make, X, y, Xt, yt, keep: list | None = None) -> tuple[float, float]:
    """(test accuracy, fit plus predict seconds) of the estimator ``make()`` returns."""
    t0 = time.perf_counter()
    est = make().fit(X, y)
    acc = float(np.mean(est.predict(Xt) == yt))
    if keep is not None:
        keep.append(est)
    return acc, time.perf_counter() - t0


def baselines(X, y, Xt, yt, seeds: int) -> dict:
    """Per baseline, its test accuracies (one per seed; 1-NN-DTW one) and the median fit plus predict time."""
    from aeon.classification.convolution_based import MiniRocketClassifier
    from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

    out = {}
    if equal_length(X) and X.shape[2] >= 9:  # MiniRocket's kernels are 9 steps long
        runs = [timed(lambda: MiniRocketClassifier(random_state=s, n_jobs=1), X, y, Xt, yt) for s in range(seeds)]
        out["MiniRocket"] = ([a for a, _ in runs], float(np.median([t for _, t in runs])))
    acc, t = timed(lambda: KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw", n_jobs=1), X, y, Xt, yt)
    out["1-NN-DTW"] = ([acc], t)
    return out


def spread(accs: list[float]) -> str:
    """The median accuracy, with the range when the runs differ."""
    med = f"{float(np.median(accs)):.3f}"
    return med if min(accs) == max(accs) else f"{med} ({min(accs):.3f}-{max(accs):.3f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("options", nargs="?", default="{}", help="a Python dict of SequenceClassifier options")
    ap.add_argument("--datasets", default=DEFAULT)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--model", default="lstm-fcn")
    ap.add_argument("--steps", type=int, default=None, help="a fixed step budget instead of the default (quick checks)")
    ap.add_argument("--skip-baselines", action="store_true")
    args = ap.parse_args()
    opts = ast.literal_eval(args.options)
    warnings.filterwarnings("ignore")
    print(f"machine: {machine()}")
    print(f"lstmkit {args.model}{f' {opts}' if opts else ''}, median test accuracy over {args.seeds} seeds (range); time = fit + predict, seconds\n")
    rows = []
    for name in args.datasets.split(","):
        X, y, Xt, yt = load(name)
        accs, secs = [], []
        for seed in range(args.seeds):
            fitted = []
            acc, s = timed(lambda: lstmkit.SequenceClassifier(args.model, seed=seed, steps=args.steps, **opts), X, y, Xt, yt, fitted)
            accs.append(acc)
            secs.append(s)
            m = fitted[0].summary_
            print(f"  {name} seed {seed}: accuracy {acc:.3f}, {s:.1f} s; validation (train split) {m.get('val_acc', float('nan')):.3f}, "
                  f"best steps {m.get('best_steps')} of {m['budget']}", flush=True)
        base = {} if args.skip_baselines else baselines(X, y, Xt, yt, args.seeds)
        rows.append((name, accs, secs, base))
    name_w = max([18] + [len(r[0]) for r in rows])  # the dataset column fits the longest name (PickupGestureWiimoteZ)
    print(f"\n{'dataset':<{name_w}} {'lstmkit':>22} {'time':>7} {'MiniRocket':>22} {'time':>6} {'1-NN-DTW':>9} {'time':>6} {'LSTM-FCN (paper)':>17}")
    for name, accs, secs, base in rows:
        mr, dtw = base.get("MiniRocket"), base.get("1-NN-DTW")
        cell = lambda r, w: (f"{spread(r[0]):>{w}} {r[1]:>6.1f}" if r else f"{'-':>{w}} {'':>6}")  # noqa: E731
        paper = PUBLISHED_LSTM_FCN.get(name)
        print(f"{name:<{name_w}} {spread(accs):>22} {np.median(secs):>7.1f} {cell(mr, 22)} {cell(dtw, 9)} "
              f"{(f'{paper:.3f}' if paper else '-'):>17}")


if __name__ == "__main__":
    main()
