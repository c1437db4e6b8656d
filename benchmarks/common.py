"""Helpers shared by the benchmark scripts: locating data, the machine's description, evaluation."""
from __future__ import annotations

import math
import platform
import time
from pathlib import Path

import numpy as np
import torch

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def data_file(name: str, given: str | None = None) -> Path:
    path = Path(given) if given else SHARED_DATA / name
    if not path.is_file():
        raise SystemExit(f"error: {path} not found; pass its path with --data")
    return path


def machine() -> str:
    """CPU model, the vector extensions that matter here, cores and torch version."""
    model, flags = platform.processor() or "unknown CPU", ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        for line in info.splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = line
                break
    except OSError:
        pass
    exts = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f" {f}" in flags]
    return f"{model}, {torch.get_num_threads()} threads, {'/'.join(exts) or 'no AVX2'}, torch {torch.__version__}"


def matmul_gflops(seconds: float = 3.0, dtype=torch.float32) -> float:
    """The machine's own large-matmul rate: the best of a few square sizes, in GFLOP/s."""
    best = 0.0
    for n in (1024, 2048, 3072):
        a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
        a @ b
        t0, reps = time.perf_counter(), 0
        while time.perf_counter() - t0 < seconds / 3:
            a @ b
            reps += 1
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9)
    return best


@torch.no_grad()
def stream_loss(forward, tokens: np.ndarray, rows: int = 8, chunk: int = 512) -> float:
    """Mean next-symbol loss (nats) over the whole ``tokens``, cut into ``rows`` contiguous rows, state carried.

    ``forward(x, state) -> (logits, state)`` with ``x`` (rows, time).
    """
    n = (len(tokens) - 1) // rows
    x = torch.from_numpy(np.ascontiguousarray(tokens[: rows * n].reshape(rows, n)))
    y = torch.from_numpy(np.ascontiguousarray(tokens[1 : rows * n + 1].reshape(rows, n)))
    state, total = None, 0.0
    for i in range(0, n, chunk):
        logits, state = forward(x[:, i : i + chunk], state)
        total += torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]),
                                                   y[:, i : i + chunk].reshape(-1), reduction="sum").item()
    return total / (rows * n)


def nats_to_bits(x: float) -> float:
    return x / math.log(2)
