"""Seed 001's iris network: lstmkit's 4-8-3 MLP against scikit-learn's MLPClassifier (same shape) and logistic
regression, on stratified splits of scikit-learn's bundled iris data, in one run.

    python benchmarks/mlp_iris.py [--test-size 0.3] [--seeds 10]

Each split's test rows are read once, at the end of each fit. The spread across splits is the point: with
45 test rows one error is 2.2 points, and some splits hold flowers no model here separates.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import lstmkit  # noqa: E402


def main() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--test-size", type=float, default=0.3)
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    print(f"machine: {machine()}")
    X, y = load_iris(return_X_y=True)
    makers = {"lstmkit MLP 4-8-3": lambda s: lstmkit.MLP(hidden=(8,), seed=s),
              "scikit-learn MLPClassifier 4-8-3": lambda s: make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=2000, random_state=s)),
              "logistic regression": lambda s: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))}
    print("| model | mean test accuracy | min | max | splits at or above 0.95 | fit s (mean) |")
    print("|---|---|---|---|---|---|")
    for name, make in makers.items():
        accs, secs = [], []
        for seed in range(args.seeds):
            a, b, c, d = train_test_split(X, y, test_size=args.test_size, stratify=y, random_state=seed)
            t0 = time.perf_counter()
            accs.append(make(seed).fit(a, c).score(b, d))
            secs.append(time.perf_counter() - t0)
        accs = np.array(accs)
        print(f"| {name} | {accs.mean():.3f} | {accs.min():.3f} | {accs.max():.3f} | {int((accs >= 0.95 - 1e-9).sum())} of {len(accs)} | {np.mean(secs):.2f} |", flush=True)


if __name__ == "__main__":
    main()
