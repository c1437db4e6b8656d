"""The CLI default against the reference at the same wall-clock budget, scored on tinyshakespeare's
standard last 10 % (which neither trains on nor selects a model with).

    python benchmarks/cli_vs_reference.py [--budget 200] [--train-fraction 0.25]
    python benchmarks/cli_vs_reference.py --proxy [--arg=--dropout --arg=0.3] [--skip-reference]

``--proxy`` never reads the last 10 %: it plays the same game inside the first 90 % (train on its first
90 %, score on its last 10 %), which is where defaults are tuned; ``--arg`` adds options to ``lstmkit train``.

lstmkit runs as a user runs it: ``lstmkit train TRAIN.txt --out DIR --minutes M`` on the first 90 % (or
its first ``--train-fraction``), holding out its own validation tail from that text, then
``lstmkit evaluate DIR last10.txt``. The reference (``time_to_quality.Reference``: 2x256, batch 32x128,
Adam 2e-3) trains on the same text for the same time. Both are also scored by the same function
(``common.stream_loss``, the state carried through 32 rows).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import data_file, machine, stream_loss
from time_to_quality import train_reference

import lstmkit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=200.0, help="seconds of training for each (default 200)")
    ap.add_argument("--train-fraction", type=float, default=1.0, help="train on this leading part of the first 90 %%")
    ap.add_argument("--data", help="path to tinyshakespeare.txt (default ../shared/data)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--proxy", action="store_true", help="tune inside the first 90 %%: it becomes the whole text")
    ap.add_argument("--arg", action="append", default=[], help="an extra lstmkit train argument (repeatable)")
    ap.add_argument("--skip-reference", action="store_true")
    args = ap.parse_args()

    text = data_file("tinyshakespeare.txt", args.data).read_text(encoding="utf-8")
    if args.proxy:
        text = text[: int(len(text) * 0.9)]
    cut = int(len(text) * 0.9)
    train_text, val_text = text[:cut][: int(cut * args.train_fraction)], text[cut:]
    if args.proxy:  # a part of the first 90 % may lack a rare letter of what is scored: score what it can know
        known = set(train_text)
        val_text = "".join(ch for ch in val_text if ch in known)
    print(f"machine: {machine()}")
    print(f"data: {len(train_text)} training characters, {len(val_text)} scored (the last 10 %{' of the first 90 %' if args.proxy else ''}); budget {args.budget:.0f} s each")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "train.txt").write_text(train_text, encoding="utf-8")
        (tmp / "last10.txt").write_text(val_text, encoding="utf-8")
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "lstmkit.cli", "train", str(tmp / "train.txt"), "--out", str(tmp / "m"),
                              "--minutes", str(args.budget / 60), "--seed", str(args.seed), "--sample", "0", "-q", *args.arg],
                             capture_output=True, text=True)
        if run.returncode:
            sys.exit(run.stderr)
        print("lstmkit train:", *run.stderr.strip().splitlines(), sep="\n  ")
        wall = time.perf_counter() - t0
        ev = subprocess.run([sys.executable, "-m", "lstmkit.cli", "evaluate", str(tmp / "m"), str(tmp / "last10.txt"), "--json"],
                            capture_output=True, text=True)
        if ev.returncode:
            sys.exit(ev.stderr)
        ours = json.loads(ev.stdout)["loss"]
        lm = lstmkit.load(tmp / "m")
        ids = lm.tokenizer.encode(val_text)
        ours_stream = stream_loss(lambda x, s: lm.net(x, s), ids)
    print(f"lstmkit   : {ours:.4f} nats/char (lstmkit evaluate), {ours_stream:.4f} (stream_loss); {wall:.0f} s in all")
    if args.skip_reference:
        return
    tok = lstmkit.CharTokenizer.fit(text)
    ref, info = train_reference(tok.encode(train_text), tok.vocab_size, args.budget, args.seed)
    theirs = stream_loss(lambda x, s: ref(x, s), tok.encode(val_text))
    print(f"reference : {theirs:.4f} nats/char (stream_loss) after {info['seconds']:.0f} s ({info['steps']} steps)")
    print(f"lstmkit is {theirs - ours:+.4f} nats/char below the reference (lstmkit evaluate), "
          f"{theirs - ours_stream:+.4f} (both by stream_loss)")


if __name__ == "__main__":
    main()
