"""Data-preparation memory for windows of 100 over Grimm: zero-copy views against materialised windows.

Peak bytes allocated (tracemalloc, which sees NumPy's buffers) while tokenizing the text, building the
windows and drawing a full epoch's shuffled batches, against the raw token array's size; then the same
for the materialised windows a Keras tutorial builds (one row per window).

    python benchmarks/memory.py [--data grimms_fairy_tales.txt] [--window 100]
"""
from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
from common import data_file, machine

from lstmkit import CharTokenizer, WindowBatches, read_text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="text file (default ../shared/data/grimms_fairy_tales.txt)")
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--batch", type=int, default=512)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    text = read_text(data_file("grimms_fairy_tales.txt", args.data))
    tok = CharTokenizer.fit(text)

    # -- lstmkit: token array + strided windows + a shuffled epoch, batch by batch ----------
    tracemalloc.start()
    ids = tok.encode(text)
    raw = ids.nbytes
    data = WindowBatches(ids, args.window, 1, args.batch, seed=0)
    batches = 0
    for _, batch in data.batches(0):
        batches += 1
    ours = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del data

    # -- materialised: every window copied into its own row (what a Keras tutorial does) --------
    tracemalloc.start()
    ids2 = tok.encode(text)
    n = len(ids2) - args.window
    X = np.stack([ids2[i : i + args.window] for i in range(0, n, 1)])
    y = ids2[args.window :]
    order = np.random.default_rng(0).permutation(n)
    X, y = X[order], y[order]
    theirs = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    onehot = n * args.window * tok.vocab_size * 4  # seed 000's one-hot float32 tensor, not allocated here

    mb = 1 / 2**20
    print(f"text: {len(text):,} characters, {n:,} windows of {args.window}, vocabulary {tok.vocab_size}")
    print(f"raw token array ({ids.dtype}): {raw * mb:8.1f} MiB")
    print(f"lstmkit peak (tokens, views, shuffled epoch of {batches} batches): {ours * mb:8.1f} MiB = {ours / raw:.2f}x the token array")
    print(f"materialised windows peak: {theirs * mb:8.1f} MiB = {theirs / raw:.1f}x the token array "
          f"({theirs / ours:.0f}x lstmkit)")
    print(f"(seed 000's one-hot float32 input tensor would need {onehot * mb / 1024:.1f} GiB)")


if __name__ == "__main__":
    main()
