"""Which network should be the default? Every model of the family, scored inside the training splits only.

    python benchmarks/classify_family.py [--datasets GunPoint,ItalyPowerDemand,BasicMotions,JapaneseVowels,ArrowHead]
                                         [--models lstm,stacked,gru,bilstm,cnn-lstm,lstm-fcn,attention] [--seed 0]
                                         [--shuffles on,off] [--full]

Each model is one network (``ensemble=1``) fitted on the official train split for the same number of
steps (``--steps``, default 300) with a stratified 20 % of it held out (no refit); the table shows the
best validation loss and that evaluation's accuracy there, and the fit time. ``--shuffles on,off`` fits
LSTM-FCN once per dimension-shuffle setting. ``--full`` fits the default instead (an ensemble of 3 on
stratified folds, the default budget) and shows its out-of-fold loss and accuracy. No test split is read:
this is how the defaults were chosen.
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
from lstmkit.models.classify_net import ARCHS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="GunPoint,ItalyPowerDemand,BasicMotions,JapaneseVowels,ArrowHead")
    ap.add_argument("--models", default=",".join(ARCHS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=300, help="steps per model (the same for every model)")
    ap.add_argument("--shuffles", default="off", help="LSTM-FCN's dimension-shuffle settings to compare, e.g. on,off")
    ap.add_argument("--full", action="store_true", help="the default fit (3 networks on folds, default budget), scored out of fold")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    from aeon.datasets import load_classification

    print(f"machine: {machine()}")
    print("the default fit (3 networks on stratified folds), out-of-fold loss / accuracy on each train split (no test data read)\n" if args.full else
          f"one network per model, {args.steps} steps; best validation loss / accuracy on the held-out 20 % of each train split "
          "(no test data read)\n")
    shuffles = args.shuffles.split(",")
    # one row per model, and per shuffle setting for LSTM-FCN (the only model it applies to)
    models = [(m, s) for m in args.models.split(",") for s in (shuffles if m == "lstm-fcn" else ["off"])]
    label = lambda m: f"{m[0]} {m[1]}" if m[0] == "lstm-fcn" and len(shuffles) > 1 else m[0]  # noqa: E731
    names = args.datasets.split(",")
    results = {}
    for name in names:
        X, y = load_classification(name, split="train")
        for m in models:
            t0 = time.perf_counter()
            kw = {} if args.full else dict(ensemble=1, refit=False, steps=args.steps)
            try:
                clf = lstmkit.SequenceClassifier(m[0], shuffle=m[1], seed=args.seed, **kw).fit(X, y)
            except lstmkit.LstmkitError as e:  # the shuffle on cases of several lengths
                print(f"  {name} {label(m)}: {e}")
                results[name, m] = (np.nan, np.nan, 0.0)
                continue
            s = clf.summary_
            results[name, m] = (s["val_loss"], s["val_acc"], time.perf_counter() - t0)
            print(f"  {name} {label(m)}: loss {s['val_loss']:.4f}, accuracy {s['val_acc']:.3f}, {results[name, m][2]:.1f} s", flush=True)
    print(f"\n{'model':<16}" + "".join(f"{n[:16]:>18}" for n in names) + f"{'mean acc':>10}{'mean loss':>11}")
    for m in models:
        cells = "".join(f"{results[n, m][0]:>9.3f} / {results[n, m][1]:.2f}" for n in names)
        print(f"{label(m):<16}{cells}{np.nanmean([results[n, m][1] for n in names]):>10.3f}"
              f"{np.nanmean([results[n, m][0] for n in names]):>11.3f}")


if __name__ == "__main__":
    main()
