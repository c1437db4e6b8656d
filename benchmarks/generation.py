"""Generation speed: lstmkit's stateful step against re-running a 100-symbol window (the seeds' loop).

Same model for both (a 512-unit LSTM, as in seed 000, vocabulary 80). The window loop is what the
seeds deploy: for every new symbol, run the network over the last 100 symbols and keep the last output.

    python benchmarks/generation.py [--hidden 512] [--layers 1] [--symbols 2000]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import machine

from lstmkit import CharTokenizer, NetConfig, RecurrentLM, TextDataConfig, TextModel


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--symbols", type=int, default=2000, help="symbols per stateful measurement")
    ap.add_argument("--window", type=int, default=100)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    torch.manual_seed(0)
    chars = [chr(c) for c in range(32, 112)]  # 80 symbols
    tok = CharTokenizer(chars)
    net = RecurrentLM(NetConfig(vocab_size=len(chars), hidden=args.hidden, layers=args.layers, embed=64)).eval()
    lm = TextModel(net, tok, TextDataConfig())
    prompt = "".join(chars[i % 80] for i in range(args.window))

    # -- stateful: prompt fed once, one step per symbol ------------------------------------
    def stateful(n_streams: int, n: int) -> float:
        lm.generate(prompt, 50, num_samples=n_streams, seed=0)  # warm-up
        t0 = time.perf_counter()
        lm.generate(prompt, n, num_samples=n_streams, seed=0)
        return (time.perf_counter() - t0) / n  # seconds per step (all streams)

    one = stateful(1, args.symbols)
    sixteen = stateful(16, args.symbols // 4)

    # -- the seeds' loop: re-run the last 100 symbols for every new one ---------------------
    ids = torch.from_numpy(tok.encode(prompt))[None]
    rng = np.random.default_rng(0)
    n = max(50, args.symbols // 20)
    with torch.no_grad():
        net(ids)
        t0 = time.perf_counter()
        window = ids.clone()
        for _ in range(n):
            logits, _ = net(window)
            p = torch.softmax(logits[0, -1], -1).numpy().astype(np.float64)
            nxt = rng.choice(len(p), p=p / p.sum())
            window = torch.cat([window[:, 1:], torch.tensor([[nxt]])], 1)
        windowed = (time.perf_counter() - t0) / n
        # one nn.LSTM call per symbol with the state carried (stateful, but paying the call overhead)
        state, x = None, ids[:, -1:]
        t0 = time.perf_counter()
        for _ in range(n * 4):
            logits, state = net(x, state)
        per_call = (time.perf_counter() - t0) / (n * 4)

    print(f"model: LSTM {args.layers}x{args.hidden}, vocabulary {len(chars)}")
    print(f"re-running a {args.window}-symbol window : {windowed * 1e3:8.3f} ms/symbol  {1 / windowed:10,.0f} symbols/s")
    print(f"nn.LSTM call per step, state kept   : {per_call * 1e3:8.3f} ms/symbol  {1 / per_call:10,.0f} symbols/s")
    print(f"lstmkit stateful, 1 stream          : {one * 1e3:8.3f} ms/symbol  {1 / one:10,.0f} symbols/s")
    print(f"lstmkit stateful, 16 streams        : {sixteen * 1e3 / 16:8.3f} ms/symbol  {16 / sixteen:10,.0f} symbols/s (all streams)")
    print(f"speed-up over the window loop: {windowed / one:.0f}x (1 stream), {windowed * 16 / sixteen:.0f}x (16 streams)")


if __name__ == "__main__":
    main()
