"""Training throughput: symbols/s and GFLOP/s as a fraction of this machine's own matmul rate.

Measures, in one run and interleaved round by round (so that a machine whose clock drifts moves the
numerator and the denominator together): the best large float32 matmul rate; a raw ``nn.LSTM``
training step (Adam) as the kernel's ceiling, for each batch asked; and lstmkit's own Trainer on a
512-unit model (float32 and, where the CPU has it, bfloat16 autocast). Each ratio is reported as the
median of the rounds, with the range.

    python benchmarks/throughput.py [--hidden 512] [--batch 64] [--sweep 32,256] [--input 64] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from common import machine, matmul_gflops
from torch import nn

from lstmkit import NetConfig, RecurrentLM, StreamBatches, TrainConfig, Trainer
from lstmkit.train import cpu_has_bf16


def lstm_flops_per_symbol(inp: int, hidden: int, layers: int, vocab: int) -> float:
    """Training FLOPs per symbol: 3x the forward matmuls (forward, input gradient, weight gradient)."""
    fwd = 0
    for k in range(layers):
        fwd += 2 * 4 * hidden * ((inp if k == 0 else hidden) + hidden)
    fwd += 2 * hidden * vocab
    return 3.0 * fwd


class RawLSTM:
    """A bare ``nn.LSTM`` training step on random input: the library kernel's own rate."""

    def __init__(self, inp: int, hidden: int, batch: int, bptt: int):
        torch.manual_seed(0)
        self.rnn = nn.LSTM(inp, hidden, 1, batch_first=True)
        self.opt = torch.optim.Adam(self.rnn.parameters())
        self.x = torch.randn(batch, bptt, inp)  # (batch, time, input)
        self.state = None
        self.flops = lstm_flops_per_symbol(inp, hidden, 1, 0)
        for _ in range(2):
            self.step()

    def step(self) -> None:
        out, state = self.rnn(self.x, self.state)
        self.state = tuple(s.detach() for s in state)  # state carried, as in truncated BPTT
        self.opt.zero_grad()
        out.sum().backward()
        self.opt.step()

    def gflops(self, seconds: float) -> float:
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < seconds:
            self.step()
            n += 1
        return n * self.x.shape[0] * self.x.shape[1] * self.flops / (time.perf_counter() - t0) / 1e9


def lstmkit_trainer(hidden: int, layers: int, batch: int, bptt: int, seconds: float, precision: str) -> tuple[float, float]:
    """The Trainer on a RecurrentLM (embed 64, vocab 65) for ``seconds``: (symbols/s, GFLOP/s)."""
    torch.manual_seed(0)
    vocab = 65
    tokens = np.random.default_rng(0).integers(0, vocab, 4_000_000)
    cfg = NetConfig(vocab_size=vocab, hidden=hidden, layers=layers, embed=64)
    data = StreamBatches(tokens, batch, bptt)
    t = Trainer(RecurrentLM(cfg), data, None, TrainConfig(minutes=seconds / 60, precision=precision, evals=1))
    t.fit()
    sps = t.last_step["symbols_per_s"]
    return sps, sps * lstm_flops_per_symbol(cfg.embed, hidden, layers, vocab) / 1e9


def summary(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.2f} (rounds {min(ratios):.2f}-{max(ratios):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=1, help="layers of the Trainer's model")
    ap.add_argument("--batch", type=int, default=64, help="batch rows for the Trainer and the raw step")
    ap.add_argument("--sweep", default="", help="more batch sizes for the raw step, comma-separated (e.g. 32,256)")
    ap.add_argument("--input", type=int, default=64, help="input width of the raw step (64 = the Trainer's embedding)")
    ap.add_argument("--bptt", type=int, default=128)
    ap.add_argument("--seconds", type=float, default=5.0, help="seconds per measurement per round")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    H = args.hidden
    batches = [args.batch] + [int(b) for b in args.sweep.split(",") if b.strip() and int(b) != args.batch]
    raws = {b: RawLSTM(args.input, H, b, args.bptt) for b in batches}
    precisions = ["fp32"] + (["bf16"] if cpu_has_bf16() else [])

    # --- rounds: matmul, then each measurement right after it -------------------------------------------
    peaks: list[float] = []
    raw_ratio: dict[int, list[float]] = {b: [] for b in batches}
    raw_rate: dict[int, list[float]] = {b: [] for b in batches}
    fit_ratio: dict[str, list[float]] = {p: [] for p in precisions}
    fit_rate: dict[str, list[tuple[float, float]]] = {p: [] for p in precisions}
    for r in range(args.rounds):
        peak = matmul_gflops(min(3.0, args.seconds))
        peaks.append(peak)
        for b in batches:
            g = raws[b].gflops(args.seconds)
            raw_rate[b].append(g)
            raw_ratio[b].append(g / peak)
        for p in precisions:
            sps, g = lstmkit_trainer(H, args.layers, args.batch, args.bptt, args.seconds, p)
            fit_rate[p].append((sps, g))
            fit_ratio[p].append(g / peak)
        line = ", ".join([f"raw b{b} {raw_ratio[b][-1]:.2f}" for b in batches]
                         + [f"Trainer {p} {fit_ratio[p][-1]:.2f}" for p in precisions])
        print(f"round {r + 1}: matmul {peak:.1f} GFLOP/s; {line}", flush=True)

    # --- summary ---------------------------------------------------------------------------------------
    print(f"float32 matmul (best of 1024..3072 square), median of rounds: {statistics.median(peaks):.1f} GFLOP/s "
          f"(rounds {min(peaks):.1f}-{max(peaks):.1f})")
    for b in batches:
        print(f"raw nn.LSTM {H} units, input {args.input}, batch {b}x{args.bptt}, Adam: "
              f"{statistics.median(raw_rate[b]):.1f} GFLOP/s = {summary(raw_ratio[b])} of matmul")
    for p in precisions:
        sps = statistics.median(s for s, _ in fit_rate[p])
        g = statistics.median(g for _, g in fit_rate[p])
        print(f"lstmkit Trainer {args.layers}x{H}, embed 64, vocab 65, batch {args.batch}x{args.bptt}, {p}: "
              f"{sps:,.0f} symbols/s = {g:.1f} GFLOP/s = {summary(fit_ratio[p])} of float32 matmul")


if __name__ == "__main__":
    main()
