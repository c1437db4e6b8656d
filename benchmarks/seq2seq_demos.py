"""Sequence to sequence on the built-in tasks: exact match on held-out pairs, greedy and beam search, in one run.

    python benchmarks/seq2seq_demos.py [--tasks addition,dates,phrases] [--minutes 10] [--steps N] [--beam 4]

Each task's pairs are generated (``lstmkit.data.pair_demos.split_demo``): the training pairs, and 1,000
held-out pairs whose sources never occur among them (phrases: a fifth of the list). lstmkit trains with its
defaults (the CLI's: character level, words for phrases) on the training pairs only, stopping early on its
own validation part; the held-out pairs are read once, at the end.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

from lstmkit.data.pair_demos import split_demo  # noqa: E402
from lstmkit.models.seq2seq import Seq2Seq  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="addition,dates,phrases")
    ap.add_argument("--minutes", type=float, default=10.0, help="budget per task (default 10; it stops earlier when validation stalls)")
    ap.add_argument("--steps", type=int, default=None, help="a steps budget instead (a quick check)")
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument("--train", type=int, default=None, help="training pairs for addition/dates (default: the demo's size)")
    ap.add_argument("--hidden", type=int, default=256)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"| task | training pairs | held-out | greedy exact | beam {args.beam} exact | BLEU (greedy) | steps | train s | stopped by |")
    print("|---|---|---|---|---|---|---|---|---|")
    for task in args.tasks.split(","):
        train, test = split_demo(task, args.train)
        level = "word" if task == "phrases" else "char"
        t0 = time.perf_counter()
        budget = {"steps": args.steps} if args.steps else {"minutes": args.minutes}
        m = Seq2Seq(level, level, hidden=args.hidden, seed=0).fit(train, **budget)
        seconds = time.perf_counter() - t0
        g, b = m.evaluate(test, beam=1), m.evaluate(test, beam=args.beam)
        print(f"| {task} | {len(train):,} | {len(test):,} | {g['exact_match']:.4f} | {b['exact_match']:.4f} | {g['bleu']:.1f} | "
              f"{m.summary['steps']:,} | {seconds:.0f} | {m.summary['stop_reason']} |", flush=True)


if __name__ == "__main__":
    main()
