"""Time to quality on tinyshakespeare (character level): lstmkit's defaults against a careful reference.

The reference is written here the way a careful user writes it from pytorch/examples'
word_language_model: embedding 64, 2-layer 256-unit nn.LSTM, truncated BPTT over 128 steps with the
state carried, batch 32, Adam at 0.002, gradient clipping at 1.0, no schedule. Both get the same
wall-clock budget (200 s by default; --budget 1800 for 30 minutes), first 90 % of the text to train,
and are scored by the same function on the whole last 10 % with the state carried.

    python benchmarks/time_to_quality.py [--budget 200] [--set key=value ...]
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from common import data_file, machine, stream_loss
from torch import nn

import lstmkit


class Reference(nn.Module):
    def __init__(self, vocab: int):
        super().__init__()
        self.emb = nn.Embedding(vocab, 64)
        self.rnn = nn.LSTM(64, 256, 2, batch_first=True)
        self.out = nn.Linear(256, vocab)

    def forward(self, x, state=None):
        h, state = self.rnn(self.emb(x), state)
        return self.out(h), state


def train_reference(train_ids: np.ndarray, vocab: int, budget: float, seed: int) -> tuple[nn.Module, dict]:
    torch.manual_seed(seed)
    model = Reference(vocab)
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    B, T = 32, 128
    n = (len(train_ids) - 1) // B
    x = torch.from_numpy(train_ids[: B * n].reshape(B, n).copy())  # batchify: B contiguous columns
    y = torch.from_numpy(train_ids[1 : B * n + 1].reshape(B, n).copy())
    t0, steps, state = time.perf_counter(), 0, None
    while time.perf_counter() - t0 < budget:
        state = None
        for i in range(0, n - T + 1, T):
            if time.perf_counter() - t0 >= budget:
                break
            logits, state = model(x[:, i : i + T], state)
            state = tuple(s.detach() for s in state)  # repackage_hidden
            loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), y[:, i : i + T].reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            steps += 1
    took = time.perf_counter() - t0
    return model.eval(), {"steps": steps, "seconds": took, "symbols": steps * B * T}


def parse_sets(items: list[str]) -> dict:
    out = {}
    for item in items:
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=200.0, help="seconds of training for each (default 200)")
    ap.add_argument("--data", help="path to tinyshakespeare.txt (default ../shared/data)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], help="override an lstmkit option, e.g. --set hidden=384")
    ap.add_argument("--skip-reference", action="store_true", help="run lstmkit only (for tuning)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    args = ap.parse_args()

    text = data_file("tinyshakespeare.txt", args.data).read_text(encoding="utf-8")
    cut = int(len(text) * 0.9)
    tok = lstmkit.CharTokenizer.fit(text)
    ids = tok.encode(text)
    train_ids, val_ids = ids[:cut], ids[cut:]
    print(f"machine: {machine()}")
    print(f"data: {len(train_ids)} training / {len(val_ids)} validation characters; budget {args.budget:.0f} s each")
    results = {"budget_s": args.budget, "machine": machine()}

    # -- lstmkit, defaults (plus any --set) ------------------------------------------------
    opts = parse_sets(args.set)
    t0 = time.perf_counter()
    # lstmkit holds out its own validation tail (cut at a line break just before 90 %), so the
    # benchmark's validation text is never trained on.
    lm = lstmkit.TextModel.train(text=text, minutes=args.budget / 60, seed=args.seed, progress=False, val_fraction=0.1, **opts)
    wall = time.perf_counter() - t0
    ours = stream_loss(lambda x, s: lm.net(x, s), val_ids)
    s = lm.summary
    results["lstmkit"] = {"val_loss": ours, "wall_s": wall, "train_s": s["elapsed_s"], "steps": s["steps"],
                          "symbols": s["symbols_seen"], "precision": s["precision"], "net": lm.net.config.to_dict(),
                          "options": opts}
    results["lstmkit"]["sizing"] = s.get("sizing")
    print(f"lstmkit   : val loss {ours:.4f} nats/char after {s['elapsed_s']:.0f} s of training, {wall:.0f} s in all "
          f"({s['steps']} steps, {s['symbols_seen'] / 1e6:.1f}M symbols, {s['precision']}, "
          f"net {lm.net.config.layers}x{lm.net.config.hidden}, batch {lm.data_config.batch_size}x{lm.data_config.bptt})")

    # -- the reference --------------------------------------------------------------------
    if not args.skip_reference:
        ref, info = train_reference(train_ids, tok.vocab_size, args.budget, args.seed)
        theirs = stream_loss(lambda x, s: ref(x, s), val_ids)
        results["reference"] = {"val_loss": theirs, **info}
        print(f"reference : val loss {theirs:.4f} nats/char after {info['seconds']:.0f} s ({info['steps']} steps, "
              f"{info['symbols'] / 1e6:.1f}M symbols)")
        print(f"lstmkit is {theirs - ours:+.4f} nats/char below the reference (same budget, same validation text)")
        results["improvement_nats"] = theirs - ours
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
