"""Decoding speed: batched greedy and batched beam search (the encoder run once, its memory shared by the
beams) against a plain per-sequence beam search that re-reads the source and the whole prefix at every step.

    python benchmarks/seq2seq_decode.py [--model DIR] [--sources 2000] [--beam 4]

Without ``--model`` it first trains a small addition model for ``--steps`` steps (speed does not depend on
how well it adds). Prints sequences per second for each decoder and the ratios, measured in one run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(__file__))
from common import machine  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit.data.pair_demos import split_demo  # noqa: E402
from lstmkit.models.seq2seq import Seq2Seq  # noqa: E402
from lstmkit.nn import BOS, EOS, PAD  # noqa: E402


@torch.no_grad()
def uncached_beam(net, src: torch.Tensor, beam: int, max_len: int) -> list[int]:
    """The textbook loop: one source at a time; each step runs the encoder and the whole prefix again for
    every hypothesis (what a model without a step interface forces). The reference for the ratio."""
    hyps = [([BOS], 0.0)]
    done = []
    for _ in range(max_len):
        cands = []
        for seq, score in hyps:
            logits = net(src, torch.tensor([src.shape[1]]), torch.tensor([seq]))[0, -1]
            logits[PAD] = logits[BOS] = float("-inf")
            lp = torch.log_softmax(logits, -1)
            top = lp.topk(beam)
            cands += [(seq + [int(t)], score + float(v)) for v, t in zip(top.values, top.indices)]
        cands.sort(key=lambda c: -c[1])
        hyps = []
        for seq, score in cands:
            (done if seq[-1] == EOS else hyps).append((seq, score))
            if len(hyps) == beam:
                break
        if done and max(s for _, s in done) >= hyps[0][1]:
            break
    return max(done or hyps, key=lambda c: c[1])[0][1:]


def rate(fn, n: int) -> float:
    t0 = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--sources", type=int, default=2000)
    ap.add_argument("--beam", type=int, default=4)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--uncached", type=int, default=100, help="sources for the per-sequence reference (it is slow)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    train, test = split_demo("addition", 20_000, args.sources)
    m = lstmkit.load(args.model) if args.model else Seq2Seq(seed=0).fit(train, steps=args.steps)
    sources = [s for s, _ in test]
    m.translate(sources[:64], beam=args.beam)  # warm-up
    greedy = rate(lambda: m.translate(sources, beam=1), len(sources))
    wide = rate(lambda: m.translate(sources, beam=args.beam), len(sources))
    ids = [torch.tensor(m._encode_side(s, "source"))[None] for s in sources[: args.uncached]]
    plain = rate(lambda: [uncached_beam(m.net, x, args.beam, m.config.max_target) for x in ids], len(ids))
    same = sum(m._decode_ids(uncached_beam(m.net, x, args.beam, m.config.max_target)) == o
               for x, o in zip(ids, m.translate(sources[: args.uncached], beam=args.beam)))
    print(f"| decoder | sequences/s | vs per-sequence uncached beam {args.beam} |")
    print("|---|---|---|")
    print(f"| greedy, batched | {greedy:,.0f} | {greedy / plain:.0f}x |")
    print(f"| beam {args.beam}, batched, encoder cached | {wide:,.0f} | {wide / plain:.0f}x |")
    print(f"| beam {args.beam}, per sequence, re-encoding every step | {plain:,.1f} | 1x |")
    print(f"beam {args.beam} / greedy time ratio: {greedy / wide:.2f}; the two beam searches agree on {same} of {len(ids)} outputs")


if __name__ == "__main__":
    main()
