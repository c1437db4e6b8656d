"""The LSTM model family for many-to-one tasks: one config, seven shapes, all from the shared blocks.

    numeric (B, T, channels) or token ids (B, T) -> front (embedding / 1-D conv + pooling)
        -> recurrent body (packed: padding is never read; or, LSTM-FCN's dimension shuffle, the channels
           as steps of T features each) -> pooling (last state / attention)
        [+ a fully convolutional branch beside it, LSTM-FCN] -> dropout -> linear -> class logits

Window slicing (Le Guennec et al.'s augmentation for small sets): with ``crop`` > 0 each training step reads a
random window of that share of every case, and ``ClassifierEnsemble.proba`` averages ``crop_views`` windows spread
from the first point to the last; validation reads whole cases.

Every shape takes variable-length batches: the true lengths travel with the batch, the recurrent body
is packed, convolutions zero their padded steps and the poolings count only real steps, so a sequence
gets the same probabilities alone as padded in a batch.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..configs import bounded, checked_from_dict
from ..errors import LstmkitError
from ..nn import (
    MAX_LAYERS,
    MAX_VOCAB,
    MAX_WIDTH,
    AttentionPool,
    ConvBlock,
    SeqBatch,
    length_mask,
    masked_mean,
    recurrent,
    run_packed,
)


class Arch(NamedTuple):
    description: str
    tasks: str
    seed: str


# name -> what ``lstmkit models`` prints: a one-line description, the tasks it serves, the tutorial it comes from
ARCHS = {
    "lstm": Arch("vanilla LSTM: one layer, the last state classifies", "classify", "LSTM model types (vanilla LSTM, the echo task)"),
    "stacked": Arch("stacked LSTM: two layers, dropout between them", "classify, forecast, text", "LSTM model types (stacked LSTM)"),
    "gru": Arch("GRU: the LSTM's lighter cousin, one layer", "classify, forecast, text", "LSTM and RNN concepts"),
    "bilstm": Arch("bidirectional LSTM: both directions' final states", "classify", "LSTM model types (bidirectional LSTM)"),
    "cnn-lstm": Arch("CNN-LSTM: 1-D convolution and max pooling in front of the LSTM", "classify", "LSTM model types (CNN-LSTM)"),
    "lstm-fcn": Arch("LSTM-FCN: an LSTM branch beside a 3-layer fully convolutional branch (Karim et al.); --shuffle on: "
                     "its LSTM reads each channel's whole series as one step", "classify", "LSTM applications"),
    "attention": Arch("LSTM with attention pooling over every time step", "classify", "LSTM applications"),
}


SHUFFLES = ("off", "on")  # SequenceClassifier(shuffle=...): whether LSTM-FCN's LSTM reads the channels as its steps
SLICINGS = ("off", "on")  # SequenceClassifier(slicing=...): window slicing of numeric cases read by time step
SLICE_SHARE, SLICE_VIEWS = 0.9, 5  # Le Guennec et al.'s windows of 90 % of each case; the mean of 5 at predict time


@dataclass
class ClassifierNetConfig:
    """Shape of a sequence classifier.

    Args:
        arch: one of ``ARCHS``.
        classes: number of classes.
        inputs: channels per step of numeric sequences (0 for token ids).
        vocab_size: token ids' vocabulary, padding id 0 included (0 for numeric sequences).
        embed: embedding width for tokens.
        hidden: recurrent units (per direction).
        layers: recurrent layers (``stacked`` uses at least 2).
        dropout: before the output layer (and between stacked layers).
        filters, kernels: the convolutional layers (``lstm-fcn``: all three; ``cnn-lstm``: the first).
        pool: the max-pooling width after ``cnn-lstm``'s convolution.
        members: networks of this shape in the ensemble that classifies (``ClassifierEnsemble``).
        shuffle: ``lstm-fcn`` only: 0 lets its LSTM read the time points as steps; a length ``T`` makes it read
            the channels as steps, each the whole series of ``T`` points (Karim et al.'s dimension shuffle:
            one step for a univariate series), so every case must have exactly ``T`` points.
        crop, crop_views: window slicing, numeric cases read by time step: each training step reads a random window
            of ``ceil(crop x length)`` points of every case, and the ensemble's probabilities are the mean over
            ``crop_views`` such windows spread evenly over each case (``crop_windows``); 0: whole cases.

    Example:
        ClassifierNetConfig(arch="lstm-fcn", classes=2, inputs=1)
    """

    arch: str = "lstm-fcn"
    classes: int = bounded(2, 1_000_000, default=2)
    inputs: int = bounded(0, 100_000, default=1)
    vocab_size: int = bounded(0, MAX_VOCAB, default=0)
    embed: int = bounded(1, 4096, default=64)
    hidden: int = bounded(1, MAX_WIDTH, default=64)
    layers: int = bounded(1, MAX_LAYERS, default=1)
    dropout: float = bounded(0.0, 0.999, default=0.2)
    filters: list = field(default_factory=lambda: [128, 256, 128])
    kernels: list = field(default_factory=lambda: [8, 5, 3])
    pool: int = bounded(1, 1024, default=2)
    members: int = bounded(1, 1000, default=1)
    shuffle: int = bounded(0, 10_000_000, default=0)
    crop: float = bounded(0.0, 1.0, default=0.0)
    crop_views: int = bounded(1, 1000, default=1)

    def __post_init__(self):
        if self.arch not in ARCHS:
            raise LstmkitError(f"unknown model {self.arch!r}; pass one of {', '.join(ARCHS)} (lstmkit models lists them)")
        if self.classes < 2:
            raise LstmkitError(f"the labels hold {self.classes} class; a classifier needs at least 2")
        if (self.inputs > 0) == (self.vocab_size > 0):
            raise LstmkitError("a classifier takes either numeric channels (inputs) or token ids (vocab_size), not both")
        if not 0.0 <= self.dropout < 1.0:
            raise LstmkitError(f"--dropout {self.dropout} is out of range; pass a value in [0, 1)")
        for name in ("filters", "kernels"):
            v = getattr(self, name)
            if not isinstance(v, list) or len(v) != 3 or any(not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 4096 for k in v):
                raise LstmkitError(f"{name} {v!r} must be a list of three whole numbers from 1 to 4096")
        if self.shuffle and (self.arch != "lstm-fcn" or not self.inputs):
            raise LstmkitError(f"the dimension shuffle is LSTM-FCN's, on numeric cases; --model {self.arch} reads time steps: pass --shuffle off")
        if self.crop and (self.shuffle or not self.inputs):
            raise LstmkitError("window slicing crops numeric cases read by time step; with the dimension shuffle or texts pass --slicing off")
        if self.arch == "stacked":
            self.layers = max(2, self.layers)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "net") -> "ClassifierNetConfig":
        return checked_from_dict(cls, d, where)


class ClassifierNet(nn.Module):
    """``forward(x, lengths) -> logits (B, classes)``; ``loss(batch, state)`` for the shared trainer.

    Example:
        net = ClassifierNet(ClassifierNetConfig(arch="lstm", classes=3, inputs=2))
        net(torch.zeros(4, 10, 2), torch.tensor([10, 7, 3, 1]))   # (4, 3)
    """

    def __init__(self, c: ClassifierNetConfig, class_weights: torch.Tensor | None = None):
        super().__init__()
        self.config = c
        width = c.inputs
        self.embedding = None
        if c.vocab_size:
            self.embedding = nn.Embedding(c.vocab_size, c.embed, padding_idx=0)
            width = c.embed
        cell = "gru" if c.arch == "gru" else "lstm"
        self.cell = cell
        self.front = ConvBlock(width, c.filters[0], c.kernels[0]) if c.arch == "cnn-lstm" else None
        rnn_in = c.filters[0] if self.front is not None else c.shuffle or width
        self.rnn = recurrent(cell, rnn_in, c.hidden, c.layers, c.dropout, bidirectional=c.arch == "bilstm")
        features = c.hidden * (2 if c.arch == "bilstm" else 1)
        self.attend = AttentionPool(features) if c.arch == "attention" else None
        self.fcn = None
        if c.arch == "lstm-fcn":
            f, k = c.filters, c.kernels
            self.fcn = nn.ModuleList([ConvBlock(width, f[0], k[0]), ConvBlock(f[0], f[1], k[1]), ConvBlock(f[1], f[2], k[2])])
            features += f[2]
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(features, c.classes)
        # class weights for imbalanced labels: a buffer, so they travel with the weights file
        self.register_buffer("class_weights", class_weights if class_weights is not None else torch.ones(c.classes))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        c = self.config
        T = x.shape[1]
        mask = length_mask(lengths, T)  # (B, T)
        h = self.embedding(x) if self.embedding is not None else x  # (B, T, width)
        h = h * mask[..., None]  # whatever the padding holds, a convolution reaching into it reads zeros
        seq, seq_len, seq_mask = h, lengths, mask
        if self.front is not None:
            conv = self.front(h.transpose(1, 2), mask)  # (B, filters, T)
            p = c.pool
            seq = F.max_pool1d(conv, p, p, ceil_mode=True).transpose(1, 2)  # (B, ceil(T/p), filters); padding is 0 after ReLU
            seq_len = torch.div(lengths + p - 1, p, rounding_mode="floor")
            seq_mask = length_mask(seq_len, seq.shape[1])
        if c.shuffle:
            if T != c.shuffle or bool((lengths != T).any()):
                raise LstmkitError(f"this network reads cases of exactly {c.shuffle} time points (the dimension shuffle); "
                                   f"this batch holds {int(lengths.min())}-{int(lengths.max())}")
            seq = h.transpose(1, 2)  # (B, channels, T): each channel is one step of T features
            seq_len = torch.full_like(lengths, h.shape[2])
        out, last = run_packed(self.rnn, seq, seq_len)
        pooled = self.attend(out, seq_mask) if self.attend is not None else last
        if self.fcn is not None:
            z = h.transpose(1, 2)  # (B, width, T)
            for block in self.fcn:
                z = block(z, mask)
            pooled = torch.cat([pooled, masked_mean(z.transpose(1, 2), mask)], 1)  # global average pooling
        return self.head(self.drop(pooled))

    def loss(self, batch: SeqBatch, state=None):
        if self.training and self.config.crop:  # a fresh random window of every case at each step (torch's seeded generator)
            x, lengths = crop_windows(batch.x, batch.lengths, self.config.crop)
            batch = batch._replace(x=x, lengths=lengths)
        logits = self(batch.x, batch.lengths)
        correct = (logits.argmax(-1) == batch.y).sum()
        return self.criterion(logits, batch.y), {"correct": correct, "count": len(batch.y)}, None

    def criterion(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The mean (class-weighted) cross-entropy of ``logits`` (B, classes) against labels ``y`` (B,)."""
        return F.cross_entropy(logits.float(), y, weight=self.class_weights)

    def init_state(self, batch_size: int, device=None):
        return None

    @staticmethod
    def detach_state(state):
        return None


class ClassifierEnsemble(nn.Module):
    """Networks of one shape whose class probabilities are averaged: ``proba(x, lengths) -> (B, classes)``.

    Example:
        ens = ClassifierEnsemble.build(ClassifierNetConfig(classes=2, inputs=1, members=3))
    """

    def __init__(self, nets: list[ClassifierNet]):
        super().__init__()
        self.members = nn.ModuleList(nets)
        self.config = ClassifierNetConfig(**{**nets[0].config.to_dict(), "members": len(nets)})

    @classmethod
    def build(cls, c: ClassifierNetConfig) -> "ClassifierEnsemble":
        return cls([ClassifierNet(c) for _ in range(c.members)])

    def proba(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        c = self.config
        if not c.crop:
            return self._proba(x, lengths)
        # window slicing: the mean over crop_views windows, from each case's first point to its last
        where = torch.linspace(0, 1, c.crop_views).tolist() if c.crop_views > 1 else [0.5]
        return torch.stack([self._proba(*crop_windows(x, lengths, c.crop, at)) for at in where]).mean(0)

    def _proba(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return torch.stack([torch.softmax(m(x, lengths).float(), -1) for m in self.members]).mean(0)


def crop_windows(x: torch.Tensor, lengths: torch.Tensor, share: float, at: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One window of ``ceil(share x length)`` points from each case of a padded batch ``x`` (B, T, ...): its start
    drawn uniformly among the ``room + 1`` possible (``at=None``, torch's seeded generator), or ``at`` of the way
    through the room (0: the first window, 1: the last). Returns the windows, padded at the end as ``x`` is, and
    their lengths."""
    keep = torch.ceil(share * lengths.float()).long().clamp(min=1)
    room = (lengths - keep).clamp(min=0)
    if at is None:
        start = torch.minimum(torch.floor(torch.rand(len(lengths)) * (room + 1).float()).long(), room)
    else:
        start = torch.round(at * room.float()).long()
    idx = (start[:, None] + torch.arange(x.shape[1])[None, :]).clamp(max=x.shape[1] - 1)  # (B, T); the tail is masked as padding
    if x.dim() == 3:
        idx = idx[..., None].expand(-1, -1, x.shape[2])
    return torch.gather(x, 1, idx), keep
