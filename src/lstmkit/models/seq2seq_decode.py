"""Decoding an encoder-decoder: greedy and beam search, both batched, the encoder run once per source.

Cost model: the encoder runs once per batch of sources; each output symbol then costs one decoder step
for every live hypothesis (B for greedy, B * K for beam search), attention over the cached memory
(its keys too) included. Beam search keeps K hypotheses per source in one (B * K)-row batch: each
step scores all K * V continuations per source, keeps the best K that do not end, and records the best
ended one. Hypotheses are ranked by their total log-probability (``length_penalty`` 0) or by it
divided by ((5 + length) / 6) ** alpha (GNMT's penalty).

Example:
    ids = greedy(net, src, src_len, max_len=10)          # (B, <=10) target ids, EOS and after are PAD
    ids = beam_search(net, src, src_len, beam=4, max_len=10)
"""
from __future__ import annotations

import torch

from .seq2seq_net import BOS, EOS, PAD, Seq2SeqNet


def _first_input(n: int, device) -> torch.Tensor:
    return torch.full((n, 1), BOS, dtype=torch.long, device=device)


def _next_logits(logits: torch.Tensor) -> torch.Tensor:
    """The last position's logits (N, V), with padding and <bos> ruled out: neither is ever an output."""
    out = logits[:, -1].float()
    out[:, PAD] = float("-inf")
    out[:, BOS] = float("-inf")
    return out


@torch.no_grad()
def greedy(net: Seq2SeqNet, src: torch.Tensor, src_len: torch.Tensor, max_len: int) -> torch.Tensor:
    """The most probable symbol at each step, for every source at once; (B, L) ids, PAD after EOS."""
    memory, state = net.encode(src, src_len)
    B = len(src)
    out = torch.full((B, max_len), PAD, dtype=torch.long, device=src.device)
    done = torch.zeros(B, dtype=torch.bool, device=src.device)
    y = _first_input(B, src.device)
    for t in range(max_len):
        logits, state = net.decode(y, state, memory)
        y = _next_logits(logits).argmax(-1, keepdim=True)  # (B, 1)
        tok = y[:, 0].masked_fill(done, PAD)
        out[:, t] = tok
        done |= tok == EOS
        if bool(done.all()):
            return out[:, : t + 1]
    return out


def _penalty(length: torch.Tensor, alpha: float) -> torch.Tensor:
    return torch.ones_like(length, dtype=torch.float32) if alpha == 0 else ((5.0 + length.float()) / 6.0) ** alpha


@torch.no_grad()
def beam_search(net: Seq2SeqNet, src: torch.Tensor, src_len: torch.Tensor, beam: int, max_len: int,
                length_penalty: float = 0.0) -> torch.Tensor:
    """The best of ``beam`` hypotheses per source; (B, L) ids, PAD after EOS. ``beam=1`` is greedy."""
    if beam == 1:
        return greedy(net, src, src_len, max_len)
    B, K, dev = len(src), beam, src.device
    memory, state = net.encode(src, src_len)
    memory = memory.repeat(K)  # the encoder's outputs and attention keys, shared by each source's K beams
    state = tuple(s.repeat_interleave(K, 1) for s in state)
    scores = torch.full((B, K), float("-inf"), device=dev)
    scores[:, 0] = 0.0  # one live hypothesis per source at the start (the others would repeat it)
    seqs = torch.full((B, K, max_len), PAD, dtype=torch.long, device=dev)
    best_score = torch.full((B,), float("-inf"), device=dev)
    best_seq = torch.full((B, max_len), PAD, dtype=torch.long, device=dev)
    y = _first_input(B * K, dev)
    rows = torch.arange(B, device=dev)[:, None]
    for t in range(max_len):
        logits, state = net.decode(y, state, memory)
        logp = torch.log_softmax(_next_logits(logits), -1)  # (B * K, V)
        V = logp.shape[-1]
        cand = (scores[:, :, None] + logp.view(B, K, V)).view(B, K * V)
        top, idx = cand.topk(min(2 * K, K * V), -1)  # enough that K survive even if K of them end here
        src_beam, tok = idx // V, idx % V
        # -- ended hypotheses: the best one per source, by its (penalised) score ------------------------
        ends = tok == EOS
        final = torch.where(ends, top / _penalty(torch.tensor(t + 1, device=dev), length_penalty), torch.full_like(top, float("-inf")))
        f_best, f_at = final.max(-1)
        better = f_best > best_score
        if bool(better.any()):
            ended = seqs[rows[:, 0], src_beam[rows[:, 0], f_at]].clone()  # (B, max_len)
            ended[:, t] = EOS
            best_seq = torch.where(better[:, None], ended, best_seq)
            best_score = torch.where(better, f_best, best_score)
        # -- live hypotheses: the best K continuations that do not end ---------------------------------
        live = top.masked_fill(ends, float("-inf"))
        keep_s, keep_at = live.topk(K, -1)
        keep_beam, keep_tok = src_beam.gather(1, keep_at), tok.gather(1, keep_at)
        seqs = seqs[rows, keep_beam]
        seqs[:, :, t] = keep_tok
        scores = keep_s
        order = (rows * K + keep_beam).view(-1)  # which row of the (B * K) batch each survivor continues
        state = tuple(s[:, order] for s in state)
        y = keep_tok.view(-1, 1)
        # -- stop when no live hypothesis can beat the best ended one (log-probabilities only fall) ------
        can_beat = scores.max(-1).values / _penalty(torch.tensor(max_len, device=dev), length_penalty) if length_penalty > 0 else scores.max(-1).values
        if bool((best_score >= can_beat).all()):
            break
    # a source none of whose hypotheses ended within max_len keeps its best live one
    none = torch.isinf(best_score)
    if bool(none.any()):
        best_seq = torch.where(none[:, None], seqs[:, 0], best_seq)
    lengths = ((best_seq != PAD) & (best_seq != EOS)).sum(-1) + 1
    return best_seq[:, : int(lengths.max().clamp(max=max_len))]
