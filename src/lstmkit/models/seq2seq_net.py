"""The encoder-decoder network of sequence to sequence: an LSTM encoder, an LSTM decoder started from its
final state, and attention from every decoder step over every encoder step.

    source ids (B, S) -> embedding -> encoder LSTM (packed; bidirectional by default) -> memory (B, S, H), state
    target ids (B, T), <bos> first -> embedding -> decoder LSTM from that state -> outputs (B, T, H)
        -> attention over the memory (padding masked) -> tanh(W [context; output]) -> linear -> logits (B, T, V)

Attention is Luong's ("general": a bilinear score) or Bahdanau's (additive: v . tanh(W1 h + W2 m)),
computed from the decoder's own outputs, so training runs the fused decoder kernel over the whole target at
once (teacher forcing) and one decoding step is exactly one column of it. ``none`` is seed 004's plain
encoder-decoder: the decoder sees the source only through the state it starts from.

Ids: the source side pads with 0 and its symbols start at 1; the target side pads with 0, begins with
``BOS`` (1), ends with ``EOS`` (2) and its symbols start at 3.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..configs import bounded, check_flags, checked_from_dict
from ..errors import LstmkitError
from ..nn import BOS, CELLS, EOS, MAX_LAYERS, MAX_VOCAB, MAX_WIDTH, PAD, PairBatch, State, length_mask, recurrent, run_packed_state, run_recurrent, unknown_cell  # noqa: F401 (BOS, EOS re-exported)

SOURCE_OFFSET, TARGET_OFFSET = 1, 3
ATTENTIONS = ("luong", "bahdanau", "none")


@dataclass
class Seq2SeqNetConfig:
    """Shape of an encoder-decoder.

    Args:
        src_vocab, tgt_vocab: ids on each side, the specials included (source: 1 + symbols, target: 3 + symbols).
        embed: embedding width of both sides; hidden: decoder units (a bidirectional encoder has half per direction).
        layers: recurrent layers of each side; dropout: on embeddings, between layers and before the output.
        attention: luong, bahdanau or none; bidirectional: read the source both ways.

    Example:
        Seq2SeqNetConfig(src_vocab=14, tgt_vocab=13, hidden=128)
    """

    src_vocab: int = bounded(2, MAX_VOCAB)
    tgt_vocab: int = bounded(4, MAX_VOCAB)
    embed: int = bounded(1, MAX_WIDTH, default=64)
    hidden: int = bounded(2, MAX_WIDTH, default=128)
    layers: int = bounded(1, MAX_LAYERS, default=1)
    dropout: float = bounded(0.0, 0.999, default=0.1)
    cell: str = "lstm"
    attention: str = "luong"
    bidirectional: bool = True

    def __post_init__(self):
        check_flags(self)  # "off" would read as True
        if self.attention not in ATTENTIONS:
            raise LstmkitError(f"unknown attention {self.attention!r}; pass one of {', '.join(ATTENTIONS)}")
        if self.cell not in CELLS:
            raise unknown_cell(self.cell)
        if not 2 <= self.hidden <= MAX_WIDTH or (self.bidirectional and self.hidden % 2):
            raise LstmkitError(f"--hidden {self.hidden} must be 2 to {MAX_WIDTH}" + (" and even (a bidirectional encoder gives each direction half)" if self.bidirectional else ""))
        if not 1 <= self.layers <= MAX_LAYERS:
            raise LstmkitError(f"--layers {self.layers} is out of range; pass 1 to {MAX_LAYERS}")
        if not 1 <= self.embed <= MAX_WIDTH:
            raise LstmkitError(f"--embed {self.embed} is out of range; pass 1 to {MAX_WIDTH}")
        if not 0.0 <= self.dropout < 1.0:
            raise LstmkitError(f"--dropout {self.dropout} is out of range; pass a value in [0, 1)")
        if self.src_vocab < 2 or self.tgt_vocab < 4:
            raise LstmkitError("each side needs at least one symbol")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "net") -> "Seq2SeqNetConfig":
        return checked_from_dict(cls, d, where)


class Memory(NamedTuple):
    """What the encoder leaves for every decoding step: its outputs (B, S, H), their mask (B, S), and the
    keys the attention scores them by (B, S, H), computed once per source (beam search reuses them)."""

    outputs: torch.Tensor
    mask: torch.Tensor
    keys: torch.Tensor | None

    def repeat(self, k: int) -> "Memory":
        """Each source's memory ``k`` times in a row (B * k, ...): one copy per beam, no re-encoding."""
        return Memory(*(None if t is None else t.repeat_interleave(k, 0) for t in self))

    def select(self, idx: torch.Tensor) -> "Memory":
        return Memory(*(None if t is None else t[idx] for t in self))


class Seq2SeqNet(nn.Module):
    """``encode(src, lengths) -> (memory, state)``, ``decode(tgt_in, state, memory) -> (logits, state)``,
    ``loss(batch, state)`` for the trainer (teacher forcing)."""

    def __init__(self, config: Seq2SeqNetConfig):
        super().__init__()
        c = self.config = config
        H, dirs = c.hidden, 2 if c.bidirectional else 1
        self.src_embed = nn.Embedding(c.src_vocab, c.embed, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(c.tgt_vocab, c.embed, padding_idx=PAD)
        self.encoder = recurrent(c.cell, c.embed, H // dirs, c.layers, c.dropout, bidirectional=c.bidirectional)
        self.decoder = recurrent(c.cell, c.embed, H, c.layers, c.dropout)
        self.drop = nn.Dropout(c.dropout)
        if c.attention == "luong":
            self.key = nn.Linear(H, H, bias=False)  # score(h, m) = h . (W m)
        elif c.attention == "bahdanau":
            self.key = nn.Linear(H, H, bias=False)  # score(h, m) = v . tanh(U h + W m)
            self.query = nn.Linear(H, H)
            self.v = nn.Linear(H, 1, bias=False)
        if c.attention != "none":
            self.combine = nn.Linear(2 * H, H)  # tanh(W [context; h]): Luong's attentional hidden state
        self.out = nn.Linear(H, c.tgt_vocab)

    # -- encoder ---------------------------------------------------------------------
    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[Memory, State]:
        outputs, state = run_packed_state(self.encoder, self.drop(self.src_embed(src)), lengths)
        keys = self.key(outputs) if self.config.attention != "none" else None
        return Memory(outputs, length_mask(lengths, src.shape[1]).bool(), keys), state

    # -- decoder ---------------------------------------------------------------------
    def decode(self, tgt_in: torch.Tensor, state: State, memory: Memory) -> tuple[torch.Tensor, State]:
        """Logits (B, T, V) for every target position, and the decoder state after the last one."""
        h, state = run_recurrent(self.decoder, self.config.cell, self.drop(self.tgt_embed(tgt_in)), state)
        if self.config.attention != "none":
            h = torch.tanh(self.combine(torch.cat([self.attend(h, memory), h], -1)))
        return self.out(self.drop(h)), state

    def scores(self, h: torch.Tensor, memory: Memory) -> torch.Tensor:
        """Attention weights (B, T, S) of each decoder output over the real source steps."""
        if self.config.attention == "luong":
            s = torch.bmm(h, memory.keys.transpose(1, 2))
        elif self.config.attention == "bahdanau":
            s = self.v(torch.tanh(self.query(h)[:, :, None, :] + memory.keys[:, None, :, :])).squeeze(-1)
        else:
            raise LstmkitError("this model has no attention (attention: none)")
        return torch.softmax(s.masked_fill(~memory.mask[:, None, :], float("-inf")), -1)

    def attend(self, h: torch.Tensor, memory: Memory) -> torch.Tensor:
        """Context vectors (B, T, H): the memory weighted by ``scores``."""
        return torch.bmm(self.scores(h, memory), memory.outputs)

    @torch.no_grad()
    def attention_weights(self, src: torch.Tensor, lengths: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """(B, T, S) attention of each target position over the source, teacher-forced (for inspection)."""
        memory, state = self.encode(src, lengths)
        h, _ = run_recurrent(self.decoder, self.config.cell, self.tgt_embed(tgt_in), state)
        return self.scores(h, memory)

    # -- the trainer's interface --------------------------------------------------------
    def forward(self, src, src_len, tgt_in):
        memory, state = self.encode(src, src_len)
        return self.decode(tgt_in, state, memory)[0]

    def loss(self, batch: PairBatch, state=None):
        logits = self(batch.src, batch.src_len, batch.tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch.tgt_out.reshape(-1), ignore_index=PAD)
        real = batch.tgt_out != PAD
        correct = ((logits.argmax(-1) == batch.tgt_out) & real).sum()
        return loss, {"correct": correct, "count": real.sum()}, None

    def init_state(self, batch_size: int, device=None):
        return None

    @staticmethod
    def detach_state(state):
        return None
