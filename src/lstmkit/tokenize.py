"""Tokenizers: text <-> integer ids at three levels, each saved inside the model.

* ``char``: the seed's dictionary of characters, sorted.
* ``word``: words and punctuation as separate symbols, vocabulary ordered by frequency, ``<unk>``.
* ``bpe``: byte-level BPE subwords trained with the Hugging Face ``tokenizers`` library.

All share ``fit`` / ``encode`` / ``decode`` / ``stream_decoder`` / ``to_dict`` / ``from_dict``.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .errors import LstmkitError

LEVELS = ("char", "word", "bpe")


class Tokenizer(Protocol):
    level: str

    @property
    def vocab_size(self) -> int: ...
    def encode(self, text: str) -> np.ndarray: ...
    def decode(self, ids) -> str: ...
    def stream_decoder(self) -> "StreamDecoder": ...
    def to_dict(self) -> dict: ...


class StreamDecoder(Protocol):
    def step(self, token_id: int) -> str: ...


def _show(chars) -> str:
    return ", ".join(repr(c) for c in list(chars)[:10]) + (" ..." if len(chars) > 10 else "")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _reject_surrogates(text: str, what: str) -> None:
    """Unpaired surrogates (undecodable bytes kept by ``errors="surrogateescape"``) cannot be written as UTF-8."""
    m = _SURROGATE.search(text)
    if m:
        raise LstmkitError(f"{what} holds an unpaired surrogate {m.group()!r} at character {m.start()} (an undecodable "
                           f"byte kept by errors='surrogateescape'?), which UTF-8 cannot represent; decode the "
                           f"text with its real encoding or remove those characters")


# ---------------------------------------------------------------------------- char
_ENCODE_CHUNK = 1 << 20


@dataclass
class CharTokenizer:
    """One symbol per character, as in seed 000's dictionary.

    Example:
        tok = CharTokenizer.fit("hello"); tok.decode(tok.encode("hell")) == "hell"
    """

    chars: list[str]
    level: str = field(default="char", init=False)

    def __post_init__(self):
        if len(set(self.chars)) != len(self.chars) or any(len(c) != 1 for c in self.chars):
            raise LstmkitError("tokenizer.json: the character list must hold distinct single characters")
        _reject_surrogates("".join(self.chars), "tokenizer.json: the character list")
        self._index = {c: i for i, c in enumerate(self.chars)}
        # a table from code point to id (-1: not in the vocabulary): encode looks whole chunks up at once
        codes = np.array([ord(c) for c in self.chars], dtype=np.int64)
        self._table = np.full(int(codes.max(initial=0)) + 1, -1, dtype=np.int64)
        self._table[codes] = np.arange(len(codes))

    @classmethod
    def fit(cls, text: str) -> "CharTokenizer":
        _reject_surrogates(text, "the training text")
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        # Vectorised: UTF-32 code points looked up in a table, a chunk of characters at a time (a 50 MB
        # text: 8.1 s as a Python loop over a dict, 1 s this way).
        out = np.empty(len(text), dtype=np.int64)
        for start in range(0, len(text), _ENCODE_CHUNK):
            piece = text[start:start + _ENCODE_CHUNK]
            codes = np.frombuffer(piece.encode("utf-32-le", "surrogatepass"), dtype="<u4")
            ids = self._table.take(codes, mode="clip")
            if len(codes) and (codes.max() >= len(self._table) or ids.min() < 0):
                unknown = sorted(set(piece) - set(self._index))
                raise LstmkitError(f"characters never seen in training: {_show(unknown)}; remove them from the text or prompt")
            out[start:start + len(piece)] = ids
        return out

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def stream_decoder(self) -> "_CharStream":
        return _CharStream(self.chars)

    def to_dict(self) -> dict:
        return {"level": "char", "chars": "".join(self.chars)}

    @classmethod
    def from_dict(cls, d: dict) -> "CharTokenizer":
        return cls(list(d["chars"]))


class _CharStream:
    def __init__(self, chars):
        self.chars = chars

    def step(self, token_id: int) -> str:
        return self.chars[token_id]


# ---------------------------------------------------------------------------- word
PARAGRAPH = "\n\n"
UNK = "<unk>"
# A paragraph break, a word (with inner apostrophes: don't, king's), or one punctuation mark.
_WORD_RE = re.compile(r"\n\s*\n|\w+(?:['’]\w+)*|[^\w\s]")
_NO_SPACE_BEFORE = set(".,;:!?)]}”’%-") | {PARAGRAPH}
_NO_SPACE_AFTER = set("([{“‘-") | {PARAGRAPH}  # hyphens and dashes join: well-known, end--and
_SYMMETRIC_QUOTES = {"'", '"'}


def split_words(text: str, lowercase: bool = False) -> list[str]:
    """Split text into words, punctuation marks and paragraph breaks (single newlines are spaces)."""
    if lowercase:
        text = text.lower()
    return [PARAGRAPH if t[0] == "\n" else t for t in _WORD_RE.findall(text)]


@dataclass
class WordTokenizer:
    """Words and punctuation as symbols; vocabulary ordered by frequency (seed 002), ``<unk>`` first.

    Example:
        tok = WordTokenizer.fit("the cat. the mouse.", max_vocab=100)
        tok.decode(tok.encode("the cat.")) == "the cat."
    """

    words: list[str]
    lowercase: bool = False
    level: str = field(default="word", init=False)

    def __post_init__(self):
        if not self.words or self.words[0] != UNK or len(set(self.words)) != len(self.words):
            raise LstmkitError("tokenizer.json: the word list must start with <unk> and hold distinct words")
        _reject_surrogates("".join(self.words), "tokenizer.json: the word list")
        self._index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def fit(cls, text: str, max_vocab: int | None = None, min_freq: int = 1, lowercase: bool = False) -> "WordTokenizer":
        if max_vocab is not None and max_vocab < 2:
            raise LstmkitError(f"--max-vocab {max_vocab} is too small; pass at least 2")
        if min_freq < 1:
            raise LstmkitError(f"--min-freq {min_freq} must be at least 1")
        _reject_surrogates(text, "the training text")
        counts = Counter(split_words(text, lowercase)).most_common()
        words = [w for w, n in counts if n >= min_freq and w != UNK]
        if max_vocab is not None:
            words = words[: max_vocab - 1]
        return cls([UNK] + words, lowercase)

    @property
    def vocab_size(self) -> int:
        return len(self.words)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self._index.get(w, 0) for w in split_words(text, self.lowercase)], dtype=np.int64)

    def unknown_words(self, text: str) -> list[str]:
        return sorted({w for w in split_words(text, self.lowercase) if w not in self._index})

    def decode(self, ids) -> str:
        stream = self.stream_decoder()
        return "".join(stream.step(int(i)) for i in ids)

    def stream_decoder(self) -> "_WordStream":
        return _WordStream(self.words)

    def to_dict(self) -> dict:
        return {"level": "word", "words": self.words, "lowercase": self.lowercase}

    @classmethod
    def from_dict(cls, d: dict) -> "WordTokenizer":
        return cls(list(d["words"]), bool(d.get("lowercase", False)))


class _WordStream:
    """Re-joins words with natural spacing: none before ``,.!?``, none inside quotes or brackets.

    Straight quotes (``'`` and ``"``) open and close alike, so the joiner counts them: one that opens
    hugs the word after it, one that closes hugs the word before it. The count starts afresh at each
    paragraph (a quote that runs on into the next paragraph opens again there, as English prints it),
    so an unbalanced quote in generated text upsets one paragraph, not the rest; after a colon a quote
    always opens (``cried: 'I am going'``). An apostrophe after a
    plural (``the brothers' house``), with no quote open, is a possessive: it hugs the word before it
    and opens nothing.
    """

    def __init__(self, words):
        self.words = words
        self.prev: str | None = None
        self.prev_opened = False  # the previous symbol was an opening quote
        self.open_quotes: set[str] = set()

    def step(self, token_id: int) -> str:
        w = self.words[token_id]
        space = (self.prev is not None and self.prev not in _NO_SPACE_AFTER and w not in _NO_SPACE_BEFORE
                 and not self.prev_opened)
        opened = False
        if w == PARAGRAPH:
            self.open_quotes.clear()
        elif w in _SYMMETRIC_QUOTES:
            if w in self.open_quotes and self.prev != ":":  # closing quote: hugs the word before it
                self.open_quotes.discard(w)
                space = False
            elif w == "'" and _is_plural(self.prev):  # the brothers' house
                space = False
            else:
                self.open_quotes.add(w)
                opened = True
        self.prev, self.prev_opened = w, opened
        return (" " if space else "") + w


_NOT_PLURALS = {"is", "was", "has", "does", "says", "as", "thus", "yes", "us", "this", "his", "hers", "its", "ours", "yours"}


def _is_plural(word: str | None) -> bool:
    """Whether an apostrophe right after ``word`` is a plural's possessive (``kings'``) rather than a quote."""
    return bool(word) and len(word) > 2 and word[-1] in "sS" and word[-2] not in "sS'" and word.isalpha() \
        and word.lower() not in _NOT_PLURALS


# ---------------------------------------------------------------------------- bpe
class BpeTokenizer:
    """Byte-level BPE subwords (Hugging Face ``tokenizers``); any text encodes, nothing is unknown.

    Example:
        tok = BpeTokenizer.fit(text, vocab_size=2000)
    """

    level = "bpe"

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    @classmethod
    def fit(cls, text: str, vocab_size: int = 2000) -> "BpeTokenizer":
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        if vocab_size < 260:
            raise LstmkitError(f"--vocab-size {vocab_size} is too small for byte-level BPE; pass at least 260")
        _reject_surrogates(text, "the training text")
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
        )
        # Train on paragraphs so that merges never cross a paragraph break.
        tok.train_from_iterator(text.split("\n\n"), trainer=trainer)
        return cls(tok)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()

    def encode(self, text: str) -> np.ndarray:
        _reject_surrogates(text, "the text")  # the Rust side raises a bare TypeError on them
        return np.array(self.tokenizer.encode(text).ids, dtype=np.int64)

    def decode(self, ids) -> str:
        return self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=False)

    def stream_decoder(self) -> "_BpeStream":
        return _BpeStream(self.tokenizer)

    def to_dict(self) -> dict:
        return {"level": "bpe", "tokenizer": json.loads(self.tokenizer.to_str())}

    @classmethod
    def from_dict(cls, d: dict) -> "BpeTokenizer":
        from tokenizers import Tokenizer

        _check_bpe_pipeline(d["tokenizer"])
        try:
            return cls(Tokenizer.from_str(json.dumps(d["tokenizer"])))
        except Exception as e:  # the Rust side raises a generic Exception
            raise LstmkitError(f"tokenizer.json: the BPE tokenizer is corrupt ({(str(e).splitlines() or ['?'])[0][:120]})") from None


# What ``fit`` saves, and all that ``from_dict`` accepts: a hand-made tokenizer.json could otherwise pad every
# encoding to 10**12 ids (the process aborts), run a regex normalizer that never ends, or emit ids the
# network has no row for.
_BPE_UNUSED = ("normalizer", "post_processor", "truncation", "padding")
_BPE_MODEL_DEFAULTS = {"dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None,
                       "fuse_unk": False, "byte_fallback": False, "ignore_merges": False}


def _check_bpe_pipeline(spec: dict) -> None:
    def bad(what: str):
        return LstmkitError(f"tokenizer.json: the BPE tokenizer {what}; lstmkit saves a plain byte-level BPE only")

    if not isinstance(spec, dict):
        raise bad("is not a JSON object")
    set_fields = [k for k in _BPE_UNUSED if spec.get(k) is not None] + (["added_tokens"] if spec.get("added_tokens") else [])
    if set_fields:
        raise bad(f"sets {', '.join(set_fields)}")
    pre, dec, model = spec.get("pre_tokenizer"), spec.get("decoder"), spec.get("model")
    if not (isinstance(pre, dict) and pre.get("type") == "ByteLevel" and pre.get("add_prefix_space") is False):
        raise bad("has another pre-tokenizer than ByteLevel(add_prefix_space=false)")
    if not (isinstance(dec, dict) and dec.get("type") == "ByteLevel"):
        raise bad("has another decoder than ByteLevel")
    if not (isinstance(model, dict) and model.get("type") == "BPE" and isinstance(model.get("vocab"), dict)):
        raise bad("model is not a BPE model with a vocabulary")
    changed = [k for k, v in _BPE_MODEL_DEFAULTS.items() if model.get(k, v) != v or type(model.get(k, v)) is not type(v)]
    if changed:
        raise bad(f"model sets {', '.join(changed)}")
    ids = model["vocab"].values()
    if not all(type(i) is int for i in ids) or set(ids) != set(range(len(model["vocab"]))):
        raise bad(f"vocabulary ids are not 0..{len(model['vocab']) - 1}, one each")


class _BpeStream:
    """Emits text as soon as a byte sequence completes a character."""

    def __init__(self, tokenizer):
        from tokenizers.decoders import DecodeStream

        self.tokenizer = tokenizer
        self.stream = DecodeStream(skip_special_tokens=False)

    def step(self, token_id: int) -> str:
        return self.stream.step(self.tokenizer, int(token_id)) or ""


# ---------------------------------------------------------------------------- factory
def fit_tokenizer(text: str, level: str = "char", *, max_vocab: int | None = None, min_freq: int = 1,
                  vocab_size: int = 2000, lowercase: bool = False) -> Tokenizer:
    """Build a tokenizer of the given level from training text.

    Args:
        text: the training text.
        level: ``char``, ``word`` or ``bpe``.
        max_vocab, min_freq, lowercase: word-level options.
        vocab_size: BPE vocabulary size.

    Example:
        tok = fit_tokenizer(text, "word", max_vocab=10000)
    """
    if level == "char":
        return CharTokenizer.fit(text)
    if level == "word":
        return WordTokenizer.fit(text, max_vocab=max_vocab, min_freq=min_freq, lowercase=lowercase)
    if level == "bpe":
        return BpeTokenizer.fit(text, vocab_size=vocab_size)
    raise LstmkitError(f"unknown level {level!r}; pass one of {', '.join(LEVELS)}")


def tokenizer_from_dict(d: dict) -> Tokenizer:
    """Rebuild a tokenizer saved with ``to_dict``, each field's type checked first."""
    if not isinstance(d, dict):
        raise LstmkitError("tokenizer.json must hold a JSON object")
    level = d.get("level")
    expected = {"char": ("chars", str, "a string of distinct characters"),
                "word": ("words", list, "a list of distinct words starting with <unk>"),
                "bpe": ("tokenizer", dict, "a Hugging Face tokenizer object")}
    if not isinstance(level, str) or level not in expected:  # a list or object as level is unhashable
        raise LstmkitError(f"tokenizer.json: unknown level {str(level)[:40]!r} (not char, word or bpe); "
                           f"the file is corrupt or from a newer lstmkit")
    key, kind, what = expected[level]
    if not isinstance(d.get(key), kind):
        got = "missing" if key not in d else f"{type(d[key]).__name__} {str(d[key])[:30]!r}"
        raise LstmkitError(f"tokenizer.json: '{key}' must be {what}, got {got}")
    if level == "word":
        if not all(isinstance(w, str) for w in d["words"]):
            raise LstmkitError(f"tokenizer.json: 'words' must be {what}, but holds a non-string entry")
        if not isinstance(d.get("lowercase", False), bool):
            raise LstmkitError("tokenizer.json: 'lowercase' must be true or false")
        return WordTokenizer.from_dict(d)
    return CharTokenizer.from_dict(d) if level == "char" else BpeTokenizer.from_dict(d)
