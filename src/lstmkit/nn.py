"""The building blocks every task shares, and the text network made of them.

* ``recurrent(...)``: the recurrent body, a stacked ``nn.LSTM``/``nn.GRU`` (fused library kernels) with the
  LSTM forget-gate bias at 1; ``run_recurrent`` runs it with an explicit state tuple for either cell.
* ``RecurrentLM``: embedding (or one-hot) -> the body -> linear to the vocabulary. It knows tokens, not text.
  ``EnsembleLM`` averages the distributions of several; ``language_model(config)`` builds either.

* ``run_packed``, ``length_mask``, ``masked_mean``, ``AttentionPool``, ``ConvBlock``: what variable-length
  sequence models (``models/classify_net.py``) put around the body without letting padding leak in.

Other tasks put their own front and head around the same body (``models/forecast_net.py``). Training uses the fused library kernels (``nn.LSTM``/``nn.GRU``) over whole
sequences; ``generate.py`` runs single steps from the same weights without the per-call overhead.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .configs import bounded, check_flags, checked_from_dict
from .errors import LstmkitError

CELLS = ("lstm", "gru")
# Upper bounds a saved config is checked against before anything is built (``configs.bounded``):
# far beyond any model lstmkit trains, small enough that a tampered config cannot ask for terabytes.
MAX_WIDTH, MAX_LAYERS, MAX_VOCAB, MAX_MEMBERS = 16384, 64, 1 << 22, 16
State = tuple  # (h, c) for LSTM, (h,) for GRU; each (layers, batch, hidden)
# sequence to sequence: 0 pads both sides; a target begins with BOS and ends with EOS
PAD, BOS, EOS = 0, 1, 2


def unknown_cell(cell) -> LstmkitError:
    """The error for a ``--cell`` that is not a cell; ``lstmkit models`` lists "stacked", which is layers, not a cell."""
    hint = "; a stacked LSTM is --cell lstm --layers 2 (or more)" if str(cell).lower().startswith("stack") else ""
    return LstmkitError(f"unknown cell {cell!r}; pass one of {', '.join(CELLS)}{hint}")


class TokenBatch(NamedTuple):
    """Inputs ``x`` (batch, time); targets ``y`` (batch, time) for every position or (batch,) for the last.

    Both may be views of one buffer (``WindowBatches`` copies each batch once): read them, don't modify them.
    """

    x: torch.Tensor
    y: torch.Tensor

    def to(self, device) -> "TokenBatch":
        return TokenBatch(self.x.to(device, non_blocking=True), self.y.to(device, non_blocking=True))


class SeqBatch(NamedTuple):
    """``x``: (B, T, channels) floats or (B, T) token ids, zero-padded; ``lengths`` (B,); ``y`` (B,) class ids."""

    x: torch.Tensor
    lengths: torch.Tensor
    y: torch.Tensor

    def to(self, device) -> "SeqBatch":
        return SeqBatch(self.x.to(device), self.lengths.to(device), self.y.to(device))


class PairBatch(NamedTuple):
    """``src`` (B, S) ids, ``src_len`` (B,), ``tgt_in`` (B, T): BOS + target, ``tgt_out`` (B, T): target + EOS; 0 pads."""

    src: torch.Tensor
    src_len: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor

    def to(self, device) -> "PairBatch":
        return PairBatch(*(t.to(device) for t in self))


@dataclass
class NetConfig:
    """Shape of a recurrent language model.

    Args:
        vocab_size: number of symbols.
        hidden: units per recurrent layer.
        layers: stacked recurrent layers.
        embed: embedding width (ignored with ``one_hot``); defaults to ``hidden`` when tying weights.
        dropout: dropout between layers and before the output layer.
        cell: ``lstm`` or ``gru``.
        tie_weights: share the embedding and output matrices (needs ``embed == hidden``).
        one_hot: feed one-hot vectors instead of an embedding (seed 000's network).
        index_input: feed the symbol's index as one real number (seed 002's network).
        members: independent networks of this shape whose predicted distributions are averaged
            (``EnsembleLM``); 1 is one network.

    Example:
        NetConfig(vocab_size=80, hidden=512, layers=2)
    """

    vocab_size: int = bounded(2, MAX_VOCAB)
    hidden: int = bounded(1, MAX_WIDTH, default=512)
    layers: int = bounded(1, MAX_LAYERS, default=2)
    embed: int = bounded(1, MAX_VOCAB, default=64)
    dropout: float = bounded(0.0, 0.999, default=0.0)
    cell: str = "lstm"
    tie_weights: bool = False
    one_hot: bool = False
    index_input: bool = False
    members: int = bounded(1, MAX_MEMBERS, default=1)

    def __post_init__(self):
        check_flags(self)  # "off" would read as True
        if not 1 <= self.members <= MAX_MEMBERS:
            raise LstmkitError(f"--members {self.members} is out of range; pass 1 (one network) to {MAX_MEMBERS}")
        if self.vocab_size < 2:
            raise LstmkitError(f"the vocabulary has {self.vocab_size} symbol(s); a model needs at least 2 — use a text with more than one distinct symbol")
        if not 1 <= self.hidden <= MAX_WIDTH:
            raise LstmkitError(f"--hidden {self.hidden} is out of range; pass 1 to {MAX_WIDTH} units")
        if not 1 <= self.layers <= MAX_LAYERS:
            raise LstmkitError(f"--layers {self.layers} is out of range; pass 1 to {MAX_LAYERS} layers")
        if self.vocab_size > MAX_VOCAB:
            raise LstmkitError(f"the vocabulary has {self.vocab_size} symbols, more than {MAX_VOCAB}; lower --max-vocab or --vocab-size")
        if self.cell not in CELLS:
            raise unknown_cell(self.cell)
        if not 0.0 <= self.dropout < 1.0:
            raise LstmkitError(f"--dropout {self.dropout} is out of range; pass a value in [0, 1)")
        if self.one_hot and self.index_input:
            raise LstmkitError("--one-hot and --index-input are alternatives; pass one of them")
        if (self.one_hot or self.index_input) and self.tie_weights:
            raise LstmkitError("--tie-weights needs an embedding; it cannot be combined with --one-hot or --index-input")
        if self.index_input:
            self.embed = 1
        if self.one_hot:
            self.embed = self.vocab_size
        if self.tie_weights and self.embed != self.hidden:
            raise LstmkitError(f"--tie-weights needs --embed equal to --hidden (got {self.embed} and {self.hidden})")
        if not 1 <= self.embed <= MAX_VOCAB:
            raise LstmkitError(f"--embed {self.embed} is out of range; pass 1 to {MAX_VOCAB}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "net") -> "NetConfig":
        """Rebuild from ``to_dict`` output, every field's type and range checked first (see ``configs``)."""
        return checked_from_dict(cls, d, where)


def recurrent(cell: str, inputs: int, hidden: int, layers: int, dropout: float = 0.0, bidirectional: bool = False) -> nn.RNNBase:
    """A stacked LSTM or GRU, batch first, dropout between its layers; PyTorch's uniform(±1/sqrt(H))
    weights with an LSTM's forget-gate bias at 1, so that it remembers by default.

    Example:
        rnn = recurrent("lstm", 3, 64, 1)   # run_recurrent(rnn, "lstm", x) -> (B, T, 64), (h, c)
    """
    if cell not in CELLS:
        raise unknown_cell(cell)
    rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(inputs, hidden, layers, batch_first=True,
                                                   dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)
    for name, p in rnn.named_parameters():
        if name.startswith("bias") and cell == "lstm":
            with torch.no_grad():
                p.zero_()
                if name.startswith("bias_ih"):  # both directions' forward-gate slices
                    p[hidden : 2 * hidden] = 1.0  # gate order i, f, g, o
    return rnn


def run_recurrent(rnn: nn.RNNBase, cell: str, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
    """Outputs (batch, time, hidden) and the new state as a tuple: (h, c) for an LSTM, (h,) for a GRU."""
    if cell == "gru":
        out, h = rnn(x, None if state is None else state[0])
        return out, (h,)
    out, new_state = rnn(x, state)
    return out, tuple(new_state)


def run_packed(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run ``rnn`` over padded ``x`` (B, T, inputs) of true ``lengths`` (B,), packed so padding is never read.

    Returns the outputs (B, T, dirs * hidden), zero past each length, and the last layer's final state
    (B, dirs * hidden): for a bidirectional body the forward direction's last step beside the backward
    direction's first.
    """
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, h = rnn(packed)
    h = h[0] if isinstance(h, tuple) else h  # LSTM: (h, c); GRU: h; each (layers * dirs, B, hidden)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    dirs = 2 if rnn.bidirectional else 1
    last = h[-dirs:].transpose(0, 1).reshape(len(x), -1)  # (B, dirs * hidden)
    return out, last


def run_packed_state(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, State]:
    """``run_packed`` that returns every layer's final state, to start a decoder from (seq2seq).

    Returns the outputs (B, T, dirs * hidden), zero past each length, and the state as a tuple, (h, c)
    for an LSTM or (h,) for a GRU, each (layers, B, dirs * hidden): a bidirectional body's two
    directions side by side, so a decoder of ``dirs * hidden`` units can start from it.
    """
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, state = rnn(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    state = state if isinstance(state, tuple) else (state,)
    if rnn.bidirectional:  # (layers * 2, B, H) -> (layers, B, 2H): each layer's forward beside its backward
        state = tuple(s.view(rnn.num_layers, 2, s.shape[1], s.shape[2]).permute(0, 2, 1, 3).reshape(rnn.num_layers, s.shape[1], -1)
                      for s in state)
    return out, tuple(s.contiguous() for s in state)


def length_mask(lengths: torch.Tensor, T: int) -> torch.Tensor:
    """(B, T) float mask: 1 for the first ``lengths[b]`` steps of row b, 0 for its padding."""
    return (torch.arange(T, device=lengths.device)[None, :] < lengths[:, None]).float()


class MaskedBatchNorm(nn.Module):
    """Batch normalisation over (B, C, T) that counts only the unpadded steps, so padding never shifts
    the statistics a sequence is normalised with (in training) or the running ones (saved for predict)."""

    def __init__(self, channels: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps  # the running statistics' update rate, as nn.BatchNorm1d's
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # one real step in the whole batch (a case of one time point, alone in its batch) has no variance:
        # it is normalised by the running statistics, as at predict time, and leaves them as they are
        batch_stats = self.training and int(mask.sum()) > 1
        norm = lambda v: F.batch_norm(v, self.running_mean, self.running_var, self.weight, self.bias,  # noqa: E731
                                      batch_stats, self.momentum, self.eps)
        if bool(mask.all()):  # no padding in this batch: the library's fused kernel on the whole tensor
            return norm(x)
        # the real steps gathered into (steps, C), normalised by the same kernel, put back among zeros
        keep = mask.bool()  # (B, T)
        xt = x.transpose(1, 2)  # (B, T, C)
        out = torch.zeros_like(xt).index_put((keep,), norm(xt[keep]))
        return out.transpose(1, 2)


class ConvBlock(nn.Module):
    """1-D convolution ('same' length) -> masked batch norm -> ReLU over (B, C, T); padded steps stay 0,
    so a padded sequence gives exactly what it gives alone (the convolution's own zero padding)."""

    def __init__(self, inputs: int, filters: int, kernel: int):
        super().__init__()
        self.conv = nn.Conv1d(inputs, filters, kernel)
        self.pad = ((kernel - 1) // 2, kernel - 1 - (kernel - 1) // 2)  # 'same' length, the extra zero on the right for even kernels
        self.norm = MaskedBatchNorm(filters)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return F.relu(self.norm(self.conv(F.pad(x, self.pad)), mask))


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over time of (B, T, C) ``x`` counting only unpadded steps: (B, C)."""
    return (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)


class AttentionPool(nn.Module):
    """Attention pooling over time: a learned score per step, softmax over the unpadded steps, the
    weighted sum of the steps (B, T, C) -> (B, C)."""

    def __init__(self, channels: int):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(channels, channels), nn.Tanh(), nn.Linear(channels, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        s = self.score(x).squeeze(-1).masked_fill(mask == 0, float("-inf"))  # (B, T)
        return (torch.softmax(s, -1)[..., None] * x).sum(1)


class RecurrentLM(nn.Module):
    """Next-symbol model: ``forward(x, state) -> (logits, state)``, ``loss(batch, state)`` for the trainer.

    Example:
        net = RecurrentLM(NetConfig(vocab_size=50, hidden=32, layers=1))
        logits, state = net(torch.zeros(2, 7, dtype=torch.long))   # logits: (2, 7, 50)
    """

    def __init__(self, config: NetConfig):
        super().__init__()
        self.config = c = config
        self.embedding = None if (c.one_hot or c.index_input) else nn.Embedding(c.vocab_size, c.embed)
        self.rnn = recurrent(c.cell, c.embed, c.hidden, c.layers, c.dropout)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden, c.vocab_size)
        if c.tie_weights:
            self.head.weight = self.embedding.weight
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Embedding ~ N(0, 1); the body as ``recurrent`` sets it; the output layer ~ N(0, 1/H).

        A unit-variance embedding keeps the first layer's input as strong as its recurrent input; a small
        one (0.1) measurably slowed early training (benchmarks/time_to_quality.py).
        """
        if self.embedding is not None and not self.config.tie_weights:
            nn.init.normal_(self.embedding.weight, std=1.0)
        elif self.embedding is not None:
            nn.init.normal_(self.embedding.weight, std=1.0 / self.config.hidden**0.5)  # shared with the output layer
        H = self.config.hidden
        if not self.config.tie_weights:
            nn.init.normal_(self.head.weight, std=1.0 / H**0.5)
        nn.init.zeros_(self.head.bias)

    # -- state -----------------------------------------------------------------------
    def init_state(self, batch_size: int, device=None) -> State:
        c = self.config
        shape = (c.layers, batch_size, c.hidden)
        n = 2 if c.cell == "lstm" else 1
        return tuple(torch.zeros(shape, device=device) for _ in range(n))

    @staticmethod
    def detach_state(state: State | None) -> State | None:
        return None if state is None else tuple(s.detach() for s in state)

    # -- forward ---------------------------------------------------------------------
    def features(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Top-layer outputs (batch, time, hidden) and the new state."""
        if self.config.index_input:
            emb = x.unsqueeze(-1).to(self.head.weight.dtype)  # (B, T, 1): the index as a number
        elif self.config.one_hot:
            emb = F.one_hot(x, self.config.vocab_size).to(self.head.weight.dtype)  # (B, T, V)
        else:
            emb = self.embedding(x)  # (B, T, E)
        out, new_state = run_recurrent(self.rnn, self.config.cell, emb, state)
        return self.drop(out), new_state

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        out, state = self.features(x, state)
        return self.head(out), state  # (B, T, V)

    def loss(self, batch: TokenBatch, state: State | None = None):
        """Mean cross-entropy (nats/symbol) plus counts for accuracy.

        Targets of shape (batch, time) train every position (many-to-many); targets of shape (batch,)
        train only the last position (many-to-one, the seeds' windows).
        """
        out, state = self.features(batch.x, state)
        if batch.y.dim() == 1:
            out = out[:, -1]  # (B, H): only the last step predicts
        logits = self.head(out).float()
        logits = logits.reshape(-1, logits.shape[-1])
        target = batch.y.reshape(-1)
        loss = F.cross_entropy(logits, target)
        correct = (logits.argmax(-1) == target).sum()
        return loss, {"correct": correct, "count": target.numel()}, state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


class EnsembleLM(nn.Module):
    """``config.members`` independent ``RecurrentLM`` networks whose next-symbol distributions are averaged.

    Training minimises each member's own cross-entropy (their mean), so the members stay independent
    networks that differ by their initial weights and dropout masks; evaluation scores the mixture,
    ``log(mean_k softmax(logits_k))``, which ``forward`` returns as logits (a softmax of them is the
    averaged distribution). The state stacks the members' states along the layer axis,
    (members x layers, batch, hidden), so code that carries or detaches a state needs no change.

    Why: a data-limited run stops improving long before its budget ends (tinyshakespeare's first quarter,
    200 s on A: the validation loss was flat from 60 % of the run), and two networks with half the time
    each, averaged, score better than one with all of it (``text_settings.fit_to_budget``).

    Example:
        net = EnsembleLM(NetConfig(vocab_size=50, hidden=32, layers=1, members=2))
        logits, state = net(torch.zeros(2, 7, dtype=torch.long))   # logits: (2, 7, 50); state[0]: (2, 2, 32)
    """

    def __init__(self, config: NetConfig):
        super().__init__()
        self.config = config
        one = NetConfig(**{**config.to_dict(), "members": 1})
        self.members = nn.ModuleList(RecurrentLM(one) for _ in range(config.members))

    def init_state(self, batch_size: int, device=None) -> State:
        states = [m.init_state(batch_size, device) for m in self.members]
        return self._join(states)

    detach_state = staticmethod(RecurrentLM.detach_state)

    @staticmethod
    def _join(states: list[State]) -> State:
        """Members' states -> one state, stacked along the layer axis."""
        return tuple(torch.cat(parts) for parts in zip(*states))

    def _split(self, state: State | None) -> list:
        if state is None:
            return [None] * len(self.members)
        return list(zip(*(s.split(self.config.layers) for s in state)))

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        logps, states = [], []
        for member, s in zip(self.members, self._split(state)):
            logits, new = member(x, s)
            logps.append(torch.log_softmax(logits.float(), -1))
            states.append(new)
        mixture = torch.logsumexp(torch.stack(logps), 0) - math.log(len(self.members))  # (B, T, V)
        return mixture, self._join(states)

    def loss(self, batch: TokenBatch, state: State | None = None):
        """Training: the mean of the members' cross-entropies; evaluation: the mixture's (nats/symbol)."""
        if self.training:
            losses, stats, states = [], [], []
            for member, s in zip(self.members, self._split(state)):
                loss, st, new = member.loss(batch, s)
                losses.append(loss)
                stats.append(st)
                states.append(new)
            return torch.stack(losses).mean(), stats[0], self._join(states)
        logits, state = self(batch.x, state)
        if batch.y.dim() == 1:
            logits = logits[:, -1]
        logits = logits.reshape(-1, logits.shape[-1])
        target = batch.y.reshape(-1)
        loss = F.nll_loss(logits, target)  # the logits are already log-probabilities
        correct = (logits.argmax(-1) == target).sum()
        return loss, {"correct": correct, "count": target.numel()}, state

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def language_model(config: NetConfig) -> RecurrentLM | EnsembleLM:
    """The text network for ``config``: one ``RecurrentLM``, or an ``EnsembleLM`` of ``config.members``."""
    return RecurrentLM(config) if config.members == 1 else EnsembleLM(config)
