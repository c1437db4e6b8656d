"""Stateful generation: feed the prompt once, then one recurrent step per new symbol.

The step runs in NumPy on weights copied out of the trained network: one matrix product per layer
plus gate arithmetic, without the fixed cost of an ``nn.LSTM`` call, and never re-running a window.
The first layer's input projection is precomputed per symbol (a table lookup replaces a product).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .configs import check_flags
from .errors import LstmkitError
from .nn import EnsembleLM, RecurrentLM

_TABLE_LIMIT = 16_000_000  # floats; above this the first layer multiplies instead of looking up


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


class StepModel:
    """A NumPy copy of a ``RecurrentLM`` that advances one symbol at a time for a batch of streams.

    Example:
        sm = StepModel(net); state = sm.init_state(4)
        logits, state = sm.step(np.array([1, 2, 3, 4]), state)   # logits: (4, vocab)
    """

    def __init__(self, net: RecurrentLM):
        c = net.config
        self.cell, self.hidden, self.layers = c.cell, c.hidden, c.layers
        sd = {k: v.detach().float().cpu().numpy() for k, v in net.state_dict().items()}
        if c.one_hot:
            emb = np.eye(c.vocab_size, dtype=np.float32)  # (V, V)
        elif c.index_input:
            emb = np.arange(c.vocab_size, dtype=np.float32)[:, None]  # (V, 1)
        else:
            emb = sd["embedding.weight"]  # (V, E)
        gates = 4 if c.cell == "lstm" else 3
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = [], [], [], []
        for k in range(c.layers):
            self.w_ih.append(np.ascontiguousarray(sd[f"rnn.weight_ih_l{k}"].T))  # (in, G*H)
            self.w_hh.append(np.ascontiguousarray(sd[f"rnn.weight_hh_l{k}"].T))  # (H, G*H)
            self.b_ih.append(sd[f"rnn.bias_ih_l{k}"])
            self.b_hh.append(sd[f"rnn.bias_hh_l{k}"])
        if c.cell == "lstm":
            # sigmoid(x) = 0.5 + 0.5 * tanh(x / 2): halving the i, f, o columns of the weights and biases
            # lets one tanh over all 4H pre-activations serve every gate. Both biases fold into b_ih.
            H = c.hidden
            scale = np.concatenate([np.full(2 * H, 0.5), np.ones(H), np.full(H, 0.5)]).astype(np.float32)
            for k in range(c.layers):
                self.w_ih[k] = self.w_ih[k] * scale
                self.w_hh[k] = self.w_hh[k] * scale
                self.b_ih[k] = (self.b_ih[k] + self.b_hh[k]) * scale
                self.b_hh[k] = None
        # Layer 0 input projection per symbol: (V, G*H), or the embedding when that table is too big.
        if c.vocab_size * gates * c.hidden <= _TABLE_LIMIT:
            self.table, self.emb = emb @ self.w_ih[0] + self.b_ih[0], None
        else:
            self.table, self.emb = None, emb
        self.w_out = np.ascontiguousarray(sd["head.weight"].T)  # (H, V)
        self.b_out = sd["head.bias"]

    def init_state(self, n: int) -> list[np.ndarray]:
        shape = (self.layers, n, self.hidden)
        k = 2 if self.cell == "lstm" else 1
        return [np.zeros(shape, np.float32) for _ in range(k)]

    def _input(self, k: int, x) -> np.ndarray:
        if k > 0:
            return x @ self.w_ih[k] + self.b_ih[k]
        if self.table is not None:
            return self.table[x]
        return self.emb[x] @ self.w_ih[0] + self.b_ih[0]

    def step(self, tokens: np.ndarray, state: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Advance every stream by one symbol: ``tokens`` (n,) -> logits (n, V); ``state`` is updated in place."""
        H = self.hidden
        x = tokens
        for k in range(self.layers):
            h = state[0][k]
            if self.cell == "lstm":
                t = h @ self.w_hh[k]  # (n, 4H): i, f, g, o pre-activations (i, f, o halved)
                t += self._input(k, x)
                np.tanh(t, out=t)
                sg = t * 0.5
                sg += 0.5  # sigmoid of i, f, o; the g columns of t are already tanh(g)
                c = sg[:, H : 2 * H] * state[1][k]
                c += sg[:, :H] * t[:, 2 * H : 3 * H]
                h = sg[:, 3 * H :] * np.tanh(c)
                state[1][k] = c
            else:
                gi = self._input(k, x)  # (n, 3H): r, z, n
                gh = h @ self.w_hh[k] + self.b_hh[k]
                r, z = _sigmoid(gi[:, :H] + gh[:, :H]), _sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
                nn_ = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
                h = (1.0 - z) * nn_ + z * h
            state[0][k] = h
            x = h
        return x @ self.w_out + self.b_out, state


class MixtureStep:
    """The NumPy step of an ``EnsembleLM``: each member's ``StepModel`` advances, and the logits returned
    are the log of the members' averaged distribution (a softmax of them is that average).

    Example:
        sm = step_model(ensemble); state = sm.init_state(4)
        logits, state = sm.step(np.array([1, 2, 3, 4]), state)   # logits: (4, vocab)
    """

    def __init__(self, net: EnsembleLM):
        self.members = [StepModel(m) for m in net.members]

    def init_state(self, n: int) -> list[list[np.ndarray]]:
        return [m.init_state(n) for m in self.members]

    def step(self, tokens: np.ndarray, state: list[list[np.ndarray]]) -> tuple[np.ndarray, list[list[np.ndarray]]]:
        logps = []
        for member, s in zip(self.members, state):
            z, _ = member.step(tokens, s)
            z = z - z.max(-1, keepdims=True)
            logps.append(z - np.log(np.exp(z).sum(-1, keepdims=True)))  # log-softmax, (n, V)
        top = np.maximum.reduce(logps)
        mixture = top + np.log(sum(np.exp(lp - top) for lp in logps) / len(logps))
        return mixture.astype(np.float32), state


def step_model(net: RecurrentLM | EnsembleLM) -> StepModel | MixtureStep:
    """The one-symbol-at-a-time NumPy copy of a text network, one network or an ensemble."""
    return MixtureStep(net) if isinstance(net, EnsembleLM) else StepModel(net)


@dataclass
class SamplingConfig:
    """How to choose the next symbol.

    Args:
        temperature: divides the logits; lower is more conservative.
        top_k: sample among the k most likely symbols (0 = all).
        top_p: sample among the smallest set whose probability reaches p (1.0 = all).
        greedy: always take the most likely symbol (the seeds' choice).
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    greedy: bool = False

    def __post_init__(self):
        check_flags(self)  # "off" would read as True
        numbers, wholes = (int, float, np.integer, np.floating), (int, np.integer)
        for name, v, kind in (("temperature", self.temperature, numbers), ("top-k", self.top_k, wholes), ("top-p", self.top_p, numbers)):
            if isinstance(v, bool) or not isinstance(v, kind):
                raise LstmkitError(f"--{name} {v!r} must be a {'whole ' if kind is wholes else ''}number")
        if not self.temperature > 0:
            raise LstmkitError(f"--temperature {self.temperature} must be positive; for always the most likely symbol pass --greedy")
        if self.top_k < 0:
            raise LstmkitError(f"--top-k {self.top_k} must be >= 0")
        if not 0 < self.top_p <= 1:
            raise LstmkitError(f"--top-p {self.top_p} must be in (0, 1]")
        shaped = [f"--{n} {v:g}" for n, v, off in (("temperature", self.temperature, 1.0), ("top-k", self.top_k, 0), ("top-p", self.top_p, 1.0))
                  if v != off]
        if self.greedy and shaped:  # greedy decoding never samples: the setting would change nothing
            raise LstmkitError(f"--greedy always takes the most likely symbol, so {shaped[0]}, which shapes sampling, would change "
                               "nothing; drop one of them")


def sample(logits: np.ndarray, cfg: SamplingConfig, rng: np.random.Generator) -> np.ndarray:
    """Pick one symbol per row of ``logits`` (n, V) according to ``cfg``.

    Sampling uses the Gumbel-max trick: ``argmax(z + Gumbel noise)`` is an exact draw from
    ``softmax(z)``, in four array operations instead of a normalisation and a cumulative sum.
    """
    if cfg.greedy:
        return logits.argmax(-1)
    z = logits * np.float32(1.0 / cfg.temperature)
    if cfg.top_k and cfg.top_k < z.shape[-1]:
        kth = np.partition(z, -cfg.top_k, axis=-1)[:, -cfg.top_k][:, None]
        z = np.where(z < kth, -np.inf, z)
    if cfg.top_p < 1.0:
        p = np.exp(z - z.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        order = np.argsort(-p, axis=-1)
        sorted_p = np.take_along_axis(p, order, -1)
        keep_sorted = np.cumsum(sorted_p, -1) - sorted_p < cfg.top_p  # always keeps the first
        keep = np.zeros_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, -1)
        z = np.where(keep, z, -np.inf)
    z = z + rng.gumbel(size=z.shape).astype(np.float32)
    return z.argmax(-1)


class _StopFilter:
    """Holds back text that could be the start of the stop string; reports when it has appeared."""

    def __init__(self, stop: str | None):
        self.stop, self.buf, self.done = stop, "", False

    def push(self, piece: str) -> str:
        if not self.stop:
            return piece
        self.buf += piece
        at = self.buf.find(self.stop)
        if at >= 0:
            out, self.buf, self.done = self.buf[:at], "", True
            return out
        keep = len(self.stop) - 1
        out, self.buf = (self.buf[:-keep], self.buf[-keep:]) if keep else (self.buf, "")
        return out

    def flush(self) -> str:
        out, self.buf = self.buf, ""
        return out


def generate_streams(step_model: StepModel, tokenizer, prompt_ids: np.ndarray, length: int, cfg: SamplingConfig,
                     num_samples: int = 1, seed: int | None = None, stop: str | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(sample_index, text_piece)`` as symbols are produced, for ``num_samples`` streams at once.

    Args:
        step_model: the network's NumPy step.
        tokenizer: decodes ids to text (its stream decoder handles spacing and multi-byte symbols).
        prompt_ids: the encoded prompt, fed once (at least one id).
        length: symbols to generate per sample.
        cfg: sampling settings.
        num_samples: streams generated as one batch.
        seed: makes sampling reproducible.
        stop: end a sample when this string appears (it is not included).
    """
    if length < 0:
        raise LstmkitError(f"--length {length} is negative; pass a length of 0 or more")
    if num_samples < 1:
        raise LstmkitError(f"--num-samples {num_samples} must be at least 1")
    if len(prompt_ids) == 0:
        raise LstmkitError("the prompt encodes to no symbols; pass a prompt with some text")
    rng = np.random.default_rng(seed)
    state = step_model.init_state(num_samples)
    decoders = [tokenizer.stream_decoder() for _ in range(num_samples)]
    for d in decoders:  # prime decoders so spacing after the prompt is right
        for t in prompt_ids:
            d.step(int(t))
    # -- feed the prompt once ---------------------------------------------------------
    for t in prompt_ids:
        logits, state = step_model.step(np.full(num_samples, int(t)), state)
    # -- one step per new symbol --------------------------------------------------------
    filters = [_StopFilter(stop) for _ in range(num_samples)]
    active = np.ones(num_samples, bool)
    for _ in range(length):
        nxt = sample(logits, cfg, rng)
        for s in range(num_samples):
            if active[s]:
                out = filters[s].push(decoders[s].step(int(nxt[s])))
                if out:
                    yield s, out
                if filters[s].done:
                    active[s] = False
        if not active.any():
            return
        logits, state = step_model.step(nxt, state)
    for s in range(num_samples):
        if active[s]:
            tail = filters[s].flush()
            if tail:
                yield s, tail
