"""The classifier's fit and predict time at the shapes of the UCR/UEA archive's largest datasets.

    python benchmarks/classify_sizes.py ["{'ensemble': 5}"] [--only ElectricDevices,PEMS-SF] [--seed 0]

The issue's limit is 2 minutes of fit plus predict per dataset on a 2-core machine, and the default will be
checked on archive datasets that do not ship here. Their sizes are public, so this script generates data of
each one's shape (train cases, channels, time points, classes, test cases) and times the default,
``SequenceClassifier(seed=...)`` (or with the options given), on it: what the budget, the pooling of
long series and the batched prediction cost at each extreme (most cases, most channels, longest series, most classes). The data are
noisy sine waves whose frequency depends on the class, so the accuracies say only that the network learnt
something; the times are the point. One line per shape, then the slowest.
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import lstmkit  # noqa: E402

# name: (train cases, channels, time points, classes, test cases), as the archive lists them
SHAPES = {
    "ElectricDevices": (8926, 1, 96, 7, 7711),      # among the most train cases of the univariate archive
    "Crop": (7200, 1, 46, 24, 16800),               # the largest test split
    "StarLightCurves": (1000, 1, 1024, 3, 8236),    # long series and a large test split
    "HandOutlines": (1000, 1, 2709, 2, 370),        # the longest univariate series
    "NonInvasiveFetalECGThorax1": (1800, 1, 750, 42, 1965),
    "FiftyWords": (450, 1, 270, 50, 455),           # the most classes with few cases each
    "PEMS-SF": (267, 963, 144, 7, 173),             # the most channels
    "FaceDetection": (5890, 144, 62, 2, 3524),
    "MotorImagery": (278, 64, 3000, 2, 100),        # the longest multivariate series
    "InsectWingbeat": (25000, 200, 22, 10, 25000),  # the most cases
}


def make(rng: np.random.Generator, labels: np.ndarray, channels: int, length: int, classes: int) -> np.ndarray:
    """(cases, channels, time points) float32: a sine whose frequency grows with the class, plus noise."""
    t = np.linspace(0, 6, length, dtype=np.float32)[None, None, :]
    freq = 1 + labels[:, None, None].astype(np.float32) / classes
    phase = np.arange(channels, dtype=np.float32)[None, :, None] / max(channels, 1)
    return np.sin(t * freq + phase) + 0.5 * rng.standard_normal((len(labels), channels, length), dtype=np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("options", nargs="?", default="{}", help="a Python dict of SequenceClassifier options")
    ap.add_argument("--only", default=",".join(SHAPES), help="comma-separated names from the table")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    names = args.only.split(",")
    unknown = [n for n in names if n not in SHAPES]
    if unknown:
        sys.exit(f"unknown shape {unknown[0]!r}; pick from {', '.join(SHAPES)}")
    opts = ast.literal_eval(args.options)
    print(f"machine: {machine()}")
    print(f"options {opts}, seed {args.seed}")
    print(f"{'shape':28} {'train':>6} {'ch':>4} {'points':>6} {'classes':>7} {'test':>6} {'fit s':>7} {'predict s':>9} {'total s':>8} {'accuracy':>8}")
    totals = {}
    for name in names:
        n, ch, length, k, n_test = SHAPES[name]
        rng = np.random.default_rng(args.seed)
        y, y_test = rng.integers(0, k, n), rng.integers(0, k, n_test)
        X, X_test = make(rng, y, ch, length, k), make(rng, y_test, ch, length, k)
        t0 = time.perf_counter()
        clf = lstmkit.SequenceClassifier(seed=args.seed, **opts).fit(X, y)
        t1 = time.perf_counter()
        acc = float(np.mean(clf.predict(X_test) == y_test))
        t2 = time.perf_counter()
        totals[name] = t2 - t0
        print(f"{name:28} {n:6d} {ch:4d} {length:6d} {k:7d} {n_test:6d} {t1 - t0:7.1f} {t2 - t1:9.1f} {t2 - t0:8.1f} {acc:8.3f}", flush=True)
    worst = max(totals, key=totals.get)
    print(f"slowest: {worst}, {totals[worst]:.1f} s fit plus predict ({totals[worst] / 120:.2f} of the 2-minute limit)")


if __name__ == "__main__":
    main()
