"""Seed 004's echo task: a vanilla LSTM learns to echo the value at position k of a random one-hot sequence.

    python examples/echo.py [--position 2] [--cases 2000] [--seed 0]

Each case is 5 steps, each step one of 10 values one-hot encoded; the label is the value at position
k. The network sees the whole sequence and answers at its end, so it must carry that value through the
steps after it. Prints the accuracy on 1000 fresh cases (a trained LSTM gets all of them right).
"""
from __future__ import annotations

import argparse

import lstmkit
from lstmkit.data.echo import echo_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--position", type=int, default=2, help="the position whose value is the label (0-4)")
    ap.add_argument("--cases", type=int, default=2000, help="training cases")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    X, y = echo_task(args.cases, k=args.position, seed=args.seed)          # X: (cases, 10 one-hot channels, 5 steps)
    X_new, y_new = echo_task(1000, k=args.position, seed=args.seed + 1)   # cases the network never saw
    clf = lstmkit.SequenceClassifier("lstm", seed=args.seed).fit(X, y, notes=print)
    print(f"echo position {args.position}: accuracy {clf.score(X_new, y_new):.3f} on 1000 new sequences")
    x = X_new[:1]
    print(f"sequence {x[0].argmax(0).tolist()} -> predicted {clf.predict(x)[0]} (true {y_new[0]})")


if __name__ == "__main__":
    main()
