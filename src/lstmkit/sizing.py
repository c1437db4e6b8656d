"""Fit the network to the budget: how many symbols a budget buys on this machine, and the widest
recurrent network that sees enough of them.

A wall-clock budget buys ``seconds x symbols/s`` training symbols, and symbols/s falls as the network
grows (training costs about 6 x its matmul weights in FLOPs per symbol). Too small a network stops
improving; too large a one sees too little text in the time. Measured on tinyshakespeare
(``benchmarks/time_to_quality.py``), validation nats/char after 200 s:

- AVX2, float32, 16-row batches: 1x384 (5.4 symbols/parameter) 1.465, 1x448 (3.3) 1.459, 1x512 (1.9)
  1.462; 1x256 at 32 rows (27) 1.493;
- AVX-512 BF16, 128-row batches: 1x512 (10.4) 1.452, 1x640 (4.4) 1.458, 1x768 (2.3) 1.519.

Around the best width the loss is flat (384 to 512 units within 0.006 on AVX2); it rises for
narrower nets (1x256) and for wider ones (1x768 on AVX-512). 5 symbols per parameter picks inside
the flat part on both machines, so ``fit_hidden`` picks the widest layer from a ladder that still gets ``SYMBOLS_PER_PARAM`` symbols
per parameter, with the machine's speed measured by ``measure_flops`` (one short probe of a training
step in the precision the run will use).

Example:
    rate = measure_flops(torch.device("cpu"), None)                 # achieved FLOP/s, about 90e9 on 2 AVX2 cores
    symbols = budget_symbols(rate, seconds=200, layers=1, hidden=512, embed=64, vocab=65)
    fit_hidden(lambda h: budget_symbols(rate, 200, 1, h, 64, 65), layers=1, embed=64, vocab=65)   # 384
"""
from __future__ import annotations

import contextlib
import functools
import math
import time
from typing import Callable

import torch
from torch import nn

HIDDEN_LADDER = (64, 128, 192, 256, 320, 384, 448, 512, 640, 768, 1024)
SYMBOLS_PER_PARAM = 5.0
TARGET_STEPS = 4000  # optimizer steps a budget should buy, where rows allow
ROWS_RANGE = (16, 128)
EVAL_SHARE = 0.07  # part of a wall-clock budget spent on periodic validation and checkpoints


def recurrent_params(layers: int, hidden: int, embed: int, vocab: int, gates: int = 4) -> int:
    """Weights and biases of an embedding -> ``layers`` x ``hidden`` LSTM (4 gates) -> linear to ``vocab``.

    Example:
        recurrent_params(1, 512, 64, 65)   # 1,221,249
    """
    rec = sum(gates * hidden * ((embed if i == 0 else hidden) + hidden + 2) for i in range(layers))
    return vocab * embed + rec + hidden * vocab + vocab


def train_flops_per_symbol(layers: int, hidden: int, embed: int, vocab: int, gates: int = 4) -> float:
    """Training FLOPs per symbol: forward matmuls x 2 (multiply-add) x 3 (forward + two backward products)."""
    mac = sum(gates * hidden * ((embed if i == 0 else hidden) + hidden) for i in range(layers)) + hidden * vocab
    return 6.0 * mac


@functools.lru_cache(maxsize=8)
def measure_flops(device: torch.device, amp_dtype: torch.dtype | None, seconds: float = 0.4) -> float:
    """Achieved training FLOP/s of a 512-unit LSTM step (batch 64 x 32) on ``device``; cached per process.

    Takes about ``seconds`` after one untimed warm-up step.
    """
    with torch.random.fork_rng(devices=[]):  # leaves the global RNG (and so the run's seed) untouched
        lstm = nn.LSTM(64, 512, batch_first=True).to(device)
        x = torch.randn(64, 32, 64).to(device)
    autocast = torch.autocast(device.type, dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()

    def step() -> None:
        with autocast:
            out, _ = lstm(x)
        out.float().sum().backward()

    steps, elapsed = _timed(step, device, seconds)
    return 64 * 32 * train_flops_per_symbol(1, 512, 64, 0) * steps / elapsed


@functools.lru_cache(maxsize=32)
def measure_step_flops(device: torch.device, amp_dtype: torch.dtype | None, layers: int, hidden: int, embed: int,
                       vocab: int, rows: int, steps: int, cell: str = "lstm", seconds: float = 0.4) -> float:
    """Achieved FLOP/s of the real training step of this network and batch: embedding, recurrent stack,
    output layer and loss, backward, clipping and an Adam update, ``rows`` x ``steps`` symbols at a time.

    ``measure_flops`` times one generic shape; small widths and batches run the same FLOPs slower
    (AVX2, 2 cores: a 512-unit probe read 132 GFLOP/s where 2x256 at 16 x 64 trained at 79), so a plan
    made from it overestimates the passes and with them the dropout. Cached per process.
    """
    from .nn import NetConfig, RecurrentLM

    rows, steps = max(1, rows), max(1, steps)
    with torch.random.fork_rng(devices=[]):  # leaves the global RNG (and so the run's seed) untouched
        net = RecurrentLM(NetConfig(vocab_size=max(2, vocab), hidden=hidden, layers=layers, embed=embed, cell=cell,
                                    dropout=0.1 if layers > 1 else 0.0)).to(device)
        x = torch.randint(0, max(2, vocab), (rows, steps + 1)).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        autocast = torch.autocast(device.type, dtype=amp_dtype) if amp_dtype else contextlib.nullcontext()
        from .nn import TokenBatch

        batch = TokenBatch(x[:, :-1], x[:, 1:])

        def step() -> None:
            with autocast:
                loss, _, _ = net.loss(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()

        n, t0 = _timed(step, device, seconds)
    gates = 3 if cell == "gru" else 4
    return rows * steps * train_flops_per_symbol(layers, hidden, embed, vocab, gates) * n / t0


def _timed(step: Callable[[], None], device: torch.device, seconds: float) -> tuple[int, float]:
    """Run ``step`` once untimed, then for about ``seconds`` (at least twice): ``(steps, elapsed)``."""
    def sync() -> None:  # GPU work is queued: wait for it before reading the clock
        if device.type == "cuda":
            torch.cuda.synchronize()
        elif device.type == "mps":
            torch.mps.synchronize()

    step()
    sync()
    n, t0 = 0, time.perf_counter()
    while n < 2 or time.perf_counter() - t0 < seconds:
        step()
        n += 1
        sync()
    return n, time.perf_counter() - t0


def budget_symbols(flops_per_s: float, seconds: float, layers: int, hidden: int, embed: int, vocab: int,
                   gates: int = 4) -> float:
    """Training symbols that ``seconds`` of wall clock buy for this network at ``flops_per_s``."""
    return (1.0 - EVAL_SHARE) * seconds * flops_per_s / train_flops_per_symbol(layers, hidden, embed, vocab, gates)


def fit_hidden(symbols_for: Callable[[int], float], layers: int, embed: int | Callable[[int], int], vocab: int,
               ratio: float = SYMBOLS_PER_PARAM, gates: int = 4) -> int:
    """The widest ``HIDDEN_LADDER`` width whose network gets at least ``ratio`` training symbols per parameter.

    Args:
        symbols_for: training symbols the budget buys at a given width (constant for a step or epoch budget).
        layers, embed, vocab: the rest of the network's shape; ``embed`` may be a function of the width
            (tied weights: ``embed == hidden``).
        ratio: symbols per parameter to keep.
        gates: 4 for an LSTM, 3 for a GRU.

    Example:
        fit_hidden(lambda h: 4e6, layers=1, embed=64, vocab=65)   # 384: 4M symbols feed 0.67M parameters
    """
    embed_for = embed if callable(embed) else (lambda h: embed)
    best = HIDDEN_LADDER[0]
    for h in HIDDEN_LADDER:
        if symbols_for(h) >= ratio * recurrent_params(layers, h, embed_for(h), vocab, gates):
            best = h
    return best


DATA_LIMITED_EPOCHS = 3.0  # past this many passes over the text a network memorises more than it learns
PARAMS_PER_SYMBOL = 4.0  # a regularised network may hold up to this many parameters per training symbol


def dropout_for(epochs: float, layers: int = 2) -> float:
    """Dropout for a run that sees its text ``epochs`` times: none while it is compute-limited (up to
    ``DATA_LIMITED_EPOCHS``), then more per doubling of the passes beyond that, at most 0.5: 0.1 per
    doubling for a stack (6 passes 0.1, 12 0.2, 24 0.3, 48 0.4), 0.15 for one layer (6 passes 0.15, 12
    0.3, 24 0.45), whose only dropout is the one before the output layer, where a stack also drops
    between its layers.

    Measured inside tinyshakespeare's first 90 % (``benchmarks/cli_vs_reference.py --proxy``, 200 s):
    on AVX-512 BF16, 2x320 at 12.5 passes scored 1.420 nats/char with dropout 0.2 and 1.446 with 0.34;
    on AVX2, one layer on the first quarter at 17-23 passes 1.812 with 0.45 (1x384) and 1.840 with 0.29
    (1x320), and on the whole text at 5 passes 1.427-1.429 with 0.07-0.1.

    Example:
        dropout_for(12.0)   # 0.2
        dropout_for(12.0, layers=1)   # 0.3
    """
    if epochs <= DATA_LIMITED_EPOCHS:
        return 0.0
    per_doubling = 0.15 if layers == 1 else 0.1
    return round(min(0.5, per_doubling * math.log2(epochs / DATA_LIMITED_EPOCHS)), 2)


MEMBER_PASSES = 6.0  # a data-limited member still gets this many passes over the text (2 x DATA_LIMITED_EPOCHS)
MAX_DEFAULT_MEMBERS = 3


def members_for(epochs: float) -> int:
    """Networks to train side by side (``nn.EnsembleLM``) when one would see its text ``epochs`` times:
    one per ``MEMBER_PASSES`` passes, at most ``MAX_DEFAULT_MEMBERS``; one up to twice that.

    A data-limited run stops improving long before its budget ends. On the first quarter of
    tinyshakespeare's first 90 %, 200 s on A (AVX2), the validation loss of 1x320 (14 passes) was flat
    from 60 % of the run, and the held-out end of that 90 % scored 1.796 nats/char; two networks fitted
    to 100 s each (1x256, 14 passes each) scored 1.831 and 1.810 alone and 1.762 averaged.

    Example:
        members_for(5.0)    # 1
        members_for(14.7)   # 2
    """
    return int(max(1, min(MAX_DEFAULT_MEMBERS, epochs // MEMBER_PASSES)))


def plan_network(symbols_for: Callable[[int, int], float], n_train: int, embed_for: Callable[[int], int], vocab: int,
                 layers: int | None, gates: int = 4, per_epoch: float | None = None) -> dict:
    """Width and dropout for ``layers`` (``None``: one) from what the budget buys *and* how much text there is.

    The width is the widest of ``HIDDEN_LADDER`` that still sees ``SYMBOLS_PER_PARAM`` training symbols
    per parameter in the budget and holds at most ``PARAMS_PER_SYMBOL`` parameters per training symbol
    of the text. A budget that buys at most ``DATA_LIMITED_EPOCHS`` passes over the text is
    compute-limited: no dropout (the text cap cannot bind there). One that buys more is data-limited:
    a run that size memorises the text (tinyshakespeare, 200 s on an AVX-512 BF16 CPU: 1x512 saw 13
    epochs, train 1.03, validation 1.49 nats/char), so it gets dropout growing with the passes
    (``dropout_for``) and early stopping.

    Why one layer, even when data-limited: a second layer costs as many FLOPs as the first, so the same
    seconds buy half the symbols, and within a short budget dropout regularises one wide layer better.
    Measured inside tinyshakespeare's first 81 % (``benchmarks/cli_vs_reference.py --proxy``), 200 s,
    AVX2, nats/char on the next 9 %: at 5 passes 1x384 (dropout 0.07-0.1) 1.427-1.429 against 2x256
    1.447-1.452; on its first quarter (23-26 passes) 1x320 (dropout 0.29) 1.840 against 2x192 (0.31)
    1.888 and the reference 2x256 without dropout 1.905. (On an AVX-512 BF16 machine at 12.5 passes
    2x320 had scored 1.420 against 1x512's 1.432.) Long budgets ask for two layers themselves
    (``text_settings.default_settings``).

    Args:
        symbols_for: training symbols the budget buys for ``(layers, hidden)``.
        n_train: training symbols in the text.
        layers: the recurrent layers; ``None`` for one.
        per_epoch: what one pass costs in ``symbols_for``'s units (``n_train``, the default, for streams;
            overlapping windows of L at stride s process ``n_train * L / s``).

    Returns:
        ``{"layers", "hidden", "dropout", "epochs", "regime"}``.

    Example:
        plan_network(lambda l, h: 5e6, 1_000_000, lambda h: 64, 65, None)   # 1 layer, 5 passes, dropout 0.11
    """
    n_train = max(1, n_train)
    per_epoch = max(1.0, per_epoch or n_train)
    n_layers = layers or 1
    best = HIDDEN_LADDER[0]
    for h in HIDDEN_LADDER:
        params = recurrent_params(n_layers, h, embed_for(h), vocab, gates)
        if symbols_for(n_layers, h) >= SYMBOLS_PER_PARAM * params and params <= PARAMS_PER_SYMBOL * n_train:
            best = h
    epochs = symbols_for(n_layers, best) / per_epoch
    regime = "compute-limited" if epochs <= DATA_LIMITED_EPOCHS else "data-limited"
    return {"layers": n_layers, "hidden": best, "dropout": dropout_for(epochs, n_layers), "epochs": epochs, "regime": regime}


def fit_rows(symbols: float, bptt: int, target_steps: int = TARGET_STEPS, n_train: int | None = None) -> int:
    """Batch rows (a power of two in ``ROWS_RANGE``) that spread ``symbols`` over about ``target_steps`` updates.

    In a short budget the number of updates, not the batch, limits the loss: on AVX2, 1x384 for 200 s
    reached 1.531 nats/char at 64 rows x 64 steps (955 updates), 1.491 at 32 rows (1,754) and 1.465 at
    16 rows (3,762), at the same symbols/s; 8 rows (5,930 updates) gained no more (1.463) and lost
    speed. A long budget gets wider batches, which average out the noise of late training.
    ``n_train`` caps the rows at what the text can fill (each row needs a window of ``bptt`` symbols,
    plus one window held back for the shifted starts), below ``ROWS_RANGE`` for a very short text.

    Example:
        fit_rows(3.9e6, 64)   # 16
    """
    rows = symbols / (target_steps * bptt)
    lo, hi = ROWS_RANGE
    rows = 2 ** round(math.log2(min(max(rows, lo), hi)))
    return rows if n_train is None else min(rows, rows_that_fit(n_train, bptt))


def rows_that_fit(n_train: int, bptt: int) -> int:
    """The most batch rows (a power of two) that a text of ``n_train`` symbols fills: each row needs a
    window of ``bptt`` symbols, plus one window held back for the shifted starts."""
    return 2 ** int(math.log2(max(1, (n_train - 1) // bptt - 1)))
