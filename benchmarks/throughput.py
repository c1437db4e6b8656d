"""Training throughput: symbols/s and GFLOP/s as a fraction of this machine's own matmul rate.

Measures, in one run: the best large float32 matmul rate; a raw ``nn.LSTM`` training step (512 units,
batch 64, 128 steps, Adam) as the ceiling; and lstmkit's own Trainer on a 512-unit model (float32 and,
where the CPU has it, bfloat16 autocast).

    python benchmarks/throughput.py [--hidden 512] [--batch 64] [--seconds 10]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from common import machine, matmul_gflops

from lstmkit import NetConfig, RecurrentLM, StreamBatches, Trainer, TrainConfig
from lstmkit.train import cpu_has_bf16


def lstm_flops_per_symbol(inp: int, hidden: int, layers: int, vocab: int) -> float:
    """Training FLOPs per symbol: 3x the forward matmuls (forward, input gradient, weight gradient)."""
    fwd = 0
    for k in range(layers):
        fwd += 2 * 4 * hidden * ((inp if k == 0 else hidden) + hidden)
    fwd += 2 * hidden * vocab
    return 3.0 * fwd


def raw_lstm(hidden: int, batch: int, bptt: int, seconds: float) -> float:
    torch.manual_seed(0)
    rnn, inp = nn.LSTM(64, hidden, 1, batch_first=True), 64
    opt = torch.optim.Adam(rnn.parameters())
    x = torch.randn(batch, bptt, inp)
    state = None
    def step():
        nonlocal state
        out, state = rnn(x, state)
        state = tuple(s.detach() for s in state)
        opt.zero_grad(); out.sum().backward(); opt.step()
    for _ in range(3):
        step()
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        step(); n += 1
    return n * batch * bptt / (time.perf_counter() - t0)


def lstmkit_trainer(hidden: int, layers: int, batch: int, bptt: int, seconds: float, precision: str) -> tuple[float, NetConfig]:
    torch.manual_seed(0)
    vocab = 65
    tokens = np.random.default_rng(0).integers(0, vocab, 4_000_000)
    cfg = NetConfig(vocab_size=vocab, hidden=hidden, layers=layers, embed=64)
    data = StreamBatches(tokens, batch, bptt)
    t = Trainer(RecurrentLM(cfg), data, None, TrainConfig(minutes=seconds / 60, precision=precision, evals=1))
    t.fit()
    return t.last_step["symbols_per_s"], cfg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--bptt", type=int, default=128)
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds per measurement")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    peak = matmul_gflops(min(3.0, 3 * args.seconds))
    print(f"float32 matmul (best of 1024..3072 square): {peak:.1f} GFLOP/s")
    H = args.hidden
    flops_raw = lstm_flops_per_symbol(64, H, 1, 0)
    raw = raw_lstm(H, args.batch, args.bptt, args.seconds)
    print(f"raw nn.LSTM {H} units, batch {args.batch}x{args.bptt}, Adam: {raw:,.0f} symbols/s = "
          f"{raw * flops_raw / 1e9:.1f} GFLOP/s = {raw * flops_raw / 1e9 / peak:.2f} of matmul")
    for precision in ["fp32"] + (["bf16"] if cpu_has_bf16() else []):
        sps, cfg = lstmkit_trainer(H, args.layers, args.batch, args.bptt, args.seconds, precision)
        f = lstm_flops_per_symbol(cfg.embed, H, args.layers, cfg.vocab_size)
        print(f"lstmkit Trainer {args.layers}x{H}, embed 64, vocab 65, batch {args.batch}x{args.bptt}, {precision}: "
              f"{sps:,.0f} symbols/s = {sps * f / 1e9:.1f} GFLOP/s = {sps * f / 1e9 / peak:.2f} of float32 matmul")


if __name__ == "__main__":
    main()
