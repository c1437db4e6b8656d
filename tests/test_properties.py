"""Property-based tests (hypothesis): tokenizer round trips and the text reader on arbitrary input.

Every property either holds or fails with ``LstmkitError`` — the one exception users should ever see.
"""
from __future__ import annotations

import json
import os
import re

import pytest
from conftest import make_text
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import lstmkit
from lstmkit import BpeTokenizer, CharTokenizer, LstmkitError, WordTokenizer
from lstmkit.data.text import read_text, split_cuts, split_text
from lstmkit.tokenize import split_words, tokenizer_from_dict

# LSTMKIT_PROPERTY_EXAMPLES=3000 for a longer hunt; the default keeps the file at a few seconds.
EXAMPLES = int(os.environ.get("LSTMKIT_PROPERTY_EXAMPLES", 150))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SURROGATE = re.compile("[\ud800-\udfff]")

# Every code point, lone surrogates (as surrogateescape produces them) included, with extra weight on
# the awkward ones: combining marks, NUL and other controls, line and paragraph separators, quotes.
AWKWARD = "\x00\x01\x1c\x85\u0301\u0308\u200b\u2028\u2029\ufeff'\"’‘“”-.,!?()[]\n\r\t _<>"
LONE_SURROGATES = "\udc80\udcff\ud800\udfff"


def text_strategy(surrogates: bool):
    every = st.characters(exclude_categories=() if surrogates else ("Cs",))
    char = st.one_of(every, st.sampled_from(AWKWARD + (LONE_SURROGATES if surrogates else "")))
    return st.one_of(
        st.text(char, max_size=60),
        st.text(every),
        # very long lines: a drawn piece repeated thousands of times, newlines taken out
        st.builds(lambda s, n: (s.replace("\n", "") or "x") * n, st.text(char, min_size=1, max_size=8),
                  st.integers(1000, 5000)),
    )


texts = text_strategy(surrogates=True)
valid_texts = text_strategy(surrogates=False)
# Text made of the pieces decode's spacing rules care about: quotes, apostrophes, brackets, dashes, breaks.
PIECES = ["a", "b", "don", "t", "s", "1", "_", "İ", "ß", "'", '"', "’", "‘", "“", "”", "-", "(", ")", ".", ",", "!",
          "%", "\n", "\n\n", " ", "\t", "\u2029", "\x1c", "\u0301"]
word_texts = st.one_of(valid_texts, st.lists(st.sampled_from(PIECES), max_size=40).map("".join))


def as_artifact_bytes(d: dict) -> bytes:
    """A tokenizer dict the way the artifact writes it (fileset.Transaction.write_json)."""
    return (json.dumps(d, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------- char
@FAST
@given(texts)
@example("a\udc80b")
@example("e\u0301\x00" * 3000)
def test_char_round_trip(t):
    if SURROGATE.search(t):  # a tokenizer that could not be saved as UTF-8 is refused up front
        with pytest.raises(LstmkitError, match="unpaired surrogate"):
            CharTokenizer.fit(t)
        return
    tok = CharTokenizer.fit(t)
    ids = tok.encode(t)
    assert tok.decode(ids) == t
    assert "".join(tok.stream_decoder().step(int(i)) for i in ids) == t
    for d in (tok.to_dict(), json.loads(json.dumps(tok.to_dict())), json.loads(as_artifact_bytes(tok.to_dict()))):
        again = tokenizer_from_dict(d)
        assert again.chars == tok.chars and again.decode(again.encode(t)) == t


@FAST
@given(st.characters(categories=["Cs"]))
def test_char_tokenizer_json_with_escaped_surrogates_is_refused(surrogate):
    # json.loads turns the escape "\udc80" into a lone surrogate: a hand-edited tokenizer.json can hold one
    # (a high and a low escape in a row make one valid character: "\ud800\udc80" is U+10080)
    d = json.loads(json.dumps({"level": "char", "chars": "ab" + surrogate}))
    with pytest.raises(LstmkitError, match="unpaired surrogate"):
        tokenizer_from_dict(d)


@pytest.mark.parametrize("level", ["char", "word", "bpe"])
def test_training_on_surrogates_is_a_clear_error(tmp_path, level):
    """End to end: text decoded with surrogateescape fails with LstmkitError before anything is saved
    (a model saved on it would hold characters that UTF-8, and so tokenizer.json, cannot represent)."""
    text = b"bad \xff byte\n".decode("utf-8", "surrogateescape") + make_text(60)
    with pytest.raises(LstmkitError, match="unpaired surrogate"):
        lstmkit.TextModel.train(text=text, level=level, vocab_size=300, steps=2, hidden=8, embed=4, batch_size=2,
                                bptt=4, val_blocks=1, progress=False, out=tmp_path / "m")  # the start is trained on
    assert not (tmp_path / "m" / "model.safetensors").exists()


def test_surrogates_only_in_validation_text(tmp_path):
    """The word level maps unknown validation symbols to <unk>; BPE refuses them clearly."""
    text = make_text(60) + "bad " + b"\xff".decode("utf-8", "surrogateescape") + " byte\n"
    lm = lstmkit.TextModel.train(text=text, level="word", steps=2, hidden=8, embed=4, batch_size=2, bptt=4,
                                 val_blocks=1, progress=False, out=tmp_path / "w")  # the end is held out
    assert lstmkit.load(tmp_path / "w").tokenizer.words == lm.tokenizer.words
    with pytest.raises(LstmkitError, match="unpaired surrogate"):
        lstmkit.TextModel.train(text=text, level="bpe", vocab_size=300, steps=2, hidden=8, embed=4, batch_size=2,
                                bptt=4, val_blocks=1, progress=False, out=tmp_path / "b")


# ---------------------------------------------------------------------------- word
# decode() re-joins symbols with spaces; the property is that the text it writes splits into the
# same symbols again (the spacing itself is a presentation choice and is not compared).
@FAST
@given(word_texts, st.booleans())
@example("don ' t 'it' ’ s", False)
@example("a\n\n\n \n\nb -- 'x'' y' İ", True)
@example("e\u0301 \x00 <unk>", False)
def test_word_round_trip_at_symbol_level(t, lowercase):
    tok = WordTokenizer.fit(t, lowercase=lowercase)
    ids = tok.encode(t)
    assert 0 not in ids.tolist()  # fitted on t: every symbol is known
    out = tok.decode(ids)
    expected = split_words(t, lowercase)  # for lowercase: the split of the lowercased text
    assert split_words(out) == expected
    assert split_words(out, lowercase) == expected
    stream = tok.stream_decoder()
    assert "".join(stream.step(int(i)) for i in ids) == out
    for d in (tok.to_dict(), json.loads(as_artifact_bytes(tok.to_dict()))):
        again = tokenizer_from_dict(d)
        assert (again.words, again.lowercase) == (tok.words, tok.lowercase)
        assert again.encode(t).tolist() == ids.tolist()


@FAST
@given(texts, st.characters(categories=["Cs"]), st.integers(0))
def test_word_fit_on_surrogates_is_a_clear_error(t, surrogate, at):
    at %= len(t) + 1
    t = t[:at] + surrogate + t[at:]
    with pytest.raises(LstmkitError, match="unpaired surrogate"):
        WordTokenizer.fit(t)


# ---------------------------------------------------------------------------- bpe
@pytest.fixture(scope="module")
def bpe() -> BpeTokenizer:
    return BpeTokenizer.fit(make_text(), vocab_size=300)


@FAST
@given(t=texts)
@example(t="The miller\x00 e\u0301 \U0001f600\r\n\n\n  ")
@example(t="a\udc80b")
def test_bpe_round_trip_any_text(bpe, t):
    if SURROGATE.search(t):
        with pytest.raises(LstmkitError, match="unpaired surrogate"):
            bpe.encode(t)
        return
    ids = bpe.encode(t)
    assert bpe.decode(ids) == t
    stream = bpe.stream_decoder()
    assert "".join(stream.step(int(i)) for i in ids) == t


def test_bpe_dict_round_trip(bpe):
    again = tokenizer_from_dict(json.loads(as_artifact_bytes(bpe.to_dict())))
    sample = make_text(5, seed=3) + "ünï\x00\u0301 \U0001f600"
    assert again.encode(sample).tolist() == bpe.encode(sample).tolist()
    assert again.decode(again.encode(sample)) == sample


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)
PIPELINE_EDITS = st.one_of(
    st.tuples(st.sampled_from(["normalizer", "pre_tokenizer", "post_processor", "decoder", "truncation", "padding",
                               "added_tokens", "model"]), json_values),
    st.tuples(st.sampled_from(["model.dropout", "model.unk_token", "model.fuse_unk", "model.byte_fallback",
                               "model.continuing_subword_prefix", "model.end_of_word_suffix", "model.ignore_merges",
                               "model.type", "pre_tokenizer.add_prefix_space", "decoder.type"]), json_values),
    st.just(("padding", {"strategy": {"Fixed": 100000}, "direction": "Right", "pad_to_multiple_of": None,
                         "pad_id": 0, "pad_type_id": 0, "pad_token": "a"})),
    st.just(("normalizer", {"type": "Lowercase"})),
    st.just(("post_processor", {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True})),
    st.tuples(st.just("vocab id"), st.integers(-1, 400)),
)


@FAST
@given(edits=st.lists(PIPELINE_EDITS, min_size=1, max_size=3))
def test_bpe_tokenizer_json_edits_are_refused_or_harmless(bpe, edits):
    """A hand-edited BPE tokenizer.json loads only if it still round-trips and emits ids the network has."""
    d = json.loads(as_artifact_bytes(bpe.to_dict()))
    spec = d["tokenizer"]
    for path, value in edits:
        if path == "vocab id":
            vocab = spec["model"].get("vocab") if isinstance(spec["model"], dict) else None
            if isinstance(vocab, dict) and vocab:
                vocab[sorted(vocab)[value % len(vocab)]] = value
            continue
        *parents, key = path.split(".")
        node = spec
        for k in parents:
            node = node[k] if isinstance(node, dict) and isinstance(node.get(k), dict) else None
            if node is None:
                break
        if node is not None:
            node[key] = value
    try:
        tok = tokenizer_from_dict(d)
    except LstmkitError:
        return
    sample = make_text(3, seed=5) + "ünï\x00 \U0001f600"
    ids = tok.encode(sample)
    assert tok.vocab_size == bpe.vocab_size and ids.min() >= 0 and ids.max() < tok.vocab_size
    assert tok.decode(ids) == sample


# ---------------------------------------------------------------------------- text reader
BOMS = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"]
BYTE_PIECES = [b"\r\n", b"\r", b"\n\n", b"\x00", b"*** START OF THE PROJECT GUTENBERG EBOOK X ***\n",
          b"***START OF THIS PROJECT GUTENBERG E-BOOK\r\n", b"Produced by someone\nand more\n\n",
          b"*** END OF THE PROJECT GUTENBERG EBOOK X ***\n", b"End of the Project Gutenberg EBook\n",
          "caf\u00e9 \u2028 \U0001f600".encode(), "caf\u00e9".encode("latin-1"), "ab".encode("utf-16-le"),
          b"\xed\xb2\x80", b"\xd8\x00", b"\x00\xd8", b"plain words. "]
structured = st.builds(lambda bom, parts: bom + b"".join(parts), st.sampled_from(BOMS),
                       st.lists(st.one_of(st.sampled_from(BYTE_PIECES), st.binary(max_size=12)), max_size=12))


@settings(max_examples=2 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(), structured), encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]),
       keep=st.booleans())
def test_read_text_returns_str_or_lstmkit_error(tmp_path, data, encoding, keep):
    p = tmp_path / "in.txt"
    p.write_bytes(data)
    try:
        text = read_text(p, encoding=encoding, keep_boilerplate=keep)
    except LstmkitError:
        return
    assert isinstance(text, str) and text.strip()
    assert "\r" not in text and not text.startswith("\ufeff")
    assert not SURROGATE.search(text)  # strict decoding never lets a lone surrogate through


@FAST
@given(texts, st.floats(0.0, 0.99))
def test_split_text_keeps_every_character(t, val_fraction):
    train, val = split_text(t, val_fraction)
    assert train + val == t
    if val_fraction == 0.0:
        assert val == ""


@FAST
@given(texts, st.floats(0.0, 0.99), st.integers(1, 40))
def test_split_in_blocks_keeps_every_character_once(t, val_fraction, blocks):
    train, val = split_text(t, val_fraction, blocks)
    cuts = split_cuts(t, val_fraction, blocks)
    edges = [0] + [e for c in cuts for e in c] + [len(t)]
    assert edges == sorted(edges)                                     # in order, not overlapping
    pieces = [t[a:b] for a, b in zip(edges, edges[1:])]
    assert "".join(pieces[0::2]) == train and "".join(pieces[1::2]) == val
    share = len(t) * val_fraction
    assert share - blocks * 202 <= len(val) <= share + blocks * 202   # each piece within a line cut of its share


@FAST
@given(st.one_of(st.floats(allow_nan=True), st.sampled_from([-0.1, 1.0, 1.5, float("nan"), float("inf")])))
def test_split_text_out_of_range_is_a_clear_error(val_fraction):
    assume(not 0.0 <= val_fraction < 1.0)
    with pytest.raises(LstmkitError, match="val-fraction"):
        split_text("some text\n", val_fraction)
