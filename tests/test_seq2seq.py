"""Sequence to sequence: pairs files, the encoder-decoder, greedy and beam decoding, fit/translate/evaluate,
save/load, resume, the CLI and its bad inputs. Tiny models; each test takes seconds."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import torch

import lstmkit
from lstmkit.data.pair_demos import addition_pairs, date_pairs, demo_pairs, phrase_pairs, split_demo, write_date
from lstmkit.data.pairs import PairBatches, parse_pairs, read_pairs
from lstmkit.errors import LstmkitError
from lstmkit.models.seq2seq import Seq2Seq
from lstmkit.models.seq2seq_decode import beam_search, greedy
from lstmkit.models.seq2seq_net import BOS, EOS, PAD, Seq2SeqNet, Seq2SeqNetConfig
from lstmkit.nn import run_packed_state

TINY = dict(hidden=32, embed=16, dropout=0.0)


# ---------------------------------------------------------------------------- pairs files
def test_parse_pairs_reads_tabs_unicode_bom_crlf_and_extra_columns():
    text = "\ufeffIch mag Käse\tI like cheese\r\n\r\nÇa va?\tHow are you?\tCC-BY attribution\r\n"
    assert parse_pairs(text) == [("Ich mag Käse", "I like cheese"), ("Ça va?", "How are you?")]


@pytest.mark.parametrize("text, message", [
    ("a\tb\nno tab here\n", "line 2 has no tab"),
    ("a\tb\n\tb\n", "line 2 has an empty source side"),
    ("a\t \n", "line 1 has an empty target side"),
    ("\n\n  \n", "holds no pairs"),
])
def test_parse_pairs_refuses_bad_lines_by_number(text, message):
    with pytest.raises(LstmkitError, match=message):
        parse_pairs(text)


def test_read_pairs_from_tables(tmp_path):
    import pandas as pd

    pd.DataFrame({"de": ["Hallo", "Ja, gut"], "en": ["Hello", "Yes, fine"]}).to_csv(tmp_path / "p.csv", index=False)
    assert read_pairs(tmp_path / "p.csv") == [("Hallo", "Hello"), ("Ja, gut", "Yes, fine")]  # two columns, in order
    pd.DataFrame({"id": [1], "target": ["b"], "source": ["a"]}).to_json(tmp_path / "p.jsonl", orient="records", lines=True)
    assert read_pairs(tmp_path / "p.jsonl") == [("a", "b")]  # named columns win
    (tmp_path / "sums.csv").write_text("q,a\n123+456,579\n1+2,003.50\n")
    assert read_pairs(tmp_path / "sums.csv") == [("123+456", "579"), ("1+2", "003.50")]  # cells as written
    (tmp_path / "sums.jsonl").write_text('{"source": "1+2", "target": 3}\n{"source": "2020-01-05", "target": 2.5}\n')
    assert read_pairs(tmp_path / "sums.jsonl") == [("1+2", "3"), ("2020-01-05", "2.5")]
    (tmp_path / "tabs.csv").write_text("Hallo\tHello\nJa\tYes\n")  # a pairs file named .csv: no header to lose
    assert read_pairs(tmp_path / "tabs.csv") == [("Hallo", "Hello"), ("Ja", "Yes")]
    pd.DataFrame({"a": ["x"], "b": ["y"], "c": ["z"]}).to_csv(tmp_path / "three.csv", index=False)
    with pytest.raises(LstmkitError, match="has 3 columns"):
        read_pairs(tmp_path / "three.csv")
    pd.DataFrame({"source": ["x", ""], "target": ["y", "z"]}).to_parquet(tmp_path / "gap.parquet")
    with pytest.raises(LstmkitError, match="row 2 has an empty or non-text source"):
        read_pairs(tmp_path / "gap.parquet")


def test_read_pairs_refuses_missing_and_undecodable_files(tmp_path):
    with pytest.raises(LstmkitError, match="does not exist"):
        read_pairs(tmp_path / "nope.tsv")
    bad = tmp_path / "latin.tsv"
    bad.write_bytes("K\xe4se\tcheese\n".encode("latin-1"))
    with pytest.raises(LstmkitError, match="not utf-8"):
        read_pairs(bad)
    assert read_pairs(bad, "latin-1") == [("Käse", "cheese")]


def test_pair_batches_put_bos_eos_and_padding_where_the_decoder_expects_them():
    data = PairBatches([np.array([4, 5, 6]), np.array([7])], [np.array([3, 4]), np.array([5, 6, 7])], 2, shuffle=False)
    (_, b), = list(data.batches(0))
    assert b.src.tolist() == [[4, 5, 6], [7, PAD, PAD]] and b.src_len.tolist() == [3, 1]
    assert b.tgt_in.tolist() == [[BOS, 3, 4, PAD], [BOS, 5, 6, 7]]
    assert b.tgt_out.tolist() == [[3, 4, EOS, PAD], [5, 6, 7, EOS]]


# ---------------------------------------------------------------------------- demos (golden values)
def test_demo_generators_are_exact_and_deterministic():
    pairs = addition_pairs(500, seed=0)
    assert all(str(int(a) + int(b)) == t for (s, t) in pairs for a, b in [s.split("+")])
    assert len({s for s, _ in pairs}) == 500 and addition_pairs(5, seed=0) == pairs[:5]
    assert write_date(dt.date(2021, 3, 5), 0) == "March 5, 2021" and write_date(dt.date(2021, 3, 5), 3) == "Friday, March 5, 2021"
    assert all(dt.date.fromisoformat(t) for _, t in date_pairs(200, seed=1))
    phrases = phrase_pairs()
    assert len(phrases) == 864 and len(set(phrases)) == 864
    assert ("Ich mag Schokolade", "I like chocolate") in phrases and ("Mag ich Schokolade?", "Do I like chocolate?") in phrases
    assert ("Er isst keinen Käse", "He doesn't eat cheese") in phrases
    train, test = split_demo("addition", 1000, 200)
    assert not {s for s, _ in train} & {s for s, _ in test}
    with pytest.raises(LstmkitError, match="unknown demo"):
        demo_pairs("poetry")


# ---------------------------------------------------------------------------- the network
def _net(attention="luong", bidirectional=True, seed=0):
    torch.manual_seed(seed)
    return Seq2SeqNet(Seq2SeqNetConfig(src_vocab=12, tgt_vocab=10, attention=attention, bidirectional=bidirectional, **TINY)).eval()


def test_bidirectional_state_puts_each_layers_directions_side_by_side():
    rnn = torch.nn.LSTM(3, 4, 2, batch_first=True, bidirectional=True)
    x, lengths = torch.randn(2, 5, 3), torch.tensor([5, 3])
    _, (h, c) = run_packed_state(rnn, x, lengths)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    _, (h0, _) = rnn(packed)
    assert h.shape == (2, 2, 8)
    assert torch.equal(h[1, :, :4], h0[2]) and torch.equal(h[1, :, 4:], h0[3])  # layer 2: forward | backward


@pytest.mark.parametrize("attention", ["luong", "bahdanau", "none"])
def test_padding_never_leaks_and_one_step_equals_teacher_forcing(attention):
    net = _net(attention)
    src = torch.tensor([[3, 4, 5, 6], [7, 8, 0, 0]])
    lengths, tgt = torch.tensor([4, 2]), torch.tensor([[BOS, 3, 4], [BOS, 5, 6]])
    with torch.no_grad():
        both = net(src, lengths, tgt)
        alone = net(src[1:, :2], lengths[1:], tgt[1:])
        noisy = net(torch.tensor([[7, 8, 9, 9]]), torch.tensor([2]), tgt[1:])  # other ids in the padding
        assert torch.allclose(both[1:], alone, atol=1e-5) and torch.allclose(alone, noisy, atol=1e-6)
        memory, state = net.encode(src, lengths)
        steps = []
        for t in range(tgt.shape[1]):
            logits, state = net.decode(tgt[:, t:t + 1], state, memory)
            steps.append(logits)
        assert torch.allclose(torch.cat(steps, 1), both, atol=1e-5)


def test_beam_one_is_greedy_and_a_batch_decodes_as_each_source_alone():
    net = _net()
    src, lengths = torch.tensor([[3, 4, 5], [6, 7, 0], [8, 0, 0]]), torch.tensor([3, 2, 1])
    g = greedy(net, src, lengths, 8)
    assert torch.equal(beam_search(net, src, lengths, 1, 8), g)
    wide = beam_search(net, src, lengths, 3, 8)
    for i in range(3):
        one = beam_search(net, src[i:i + 1, : lengths[i]], lengths[i:i + 1], 3, 8)
        n = one.shape[1]
        assert wide[i, :n].tolist() == one[0].tolist()


def _log_prob(net, src, lengths, ids):
    """Total log-probability of each decoded row (up to and including EOS)."""
    rows = []
    for i in range(len(src)):
        seq = ids[i].tolist()
        seq = seq[: seq.index(EOS) + 1] if EOS in seq else [s for s in seq if s != PAD]
        tgt_in = torch.tensor([[BOS] + seq[:-1]])
        with torch.no_grad():
            logits = net(src[i:i + 1], lengths[i:i + 1], tgt_in)
            logits[..., PAD] = float("-inf")
            logits[..., BOS] = float("-inf")
            lp = torch.log_softmax(logits, -1)[0, torch.arange(len(seq)), torch.tensor(seq)]
        rows.append(float(lp.sum()))
    return np.array(rows)


def test_beam_search_finds_outputs_at_least_as_probable_as_greedy_on_most_sources():
    net = _net(seed=3)
    g = torch.Generator().manual_seed(0)
    src = torch.randint(1, 12, (40, 5), generator=g)
    lengths = torch.full((40,), 5)
    lg = _log_prob(net, src, lengths, greedy(net, src, lengths, 6))
    lb = _log_prob(net, src, lengths, beam_search(net, src, lengths, 4, 6))
    assert (lb >= lg - 1e-4).mean() >= 0.95 and lb.mean() > lg.mean()


# ---------------------------------------------------------------------------- fit, translate, evaluate
@pytest.fixture(scope="module")
def tiny_adder():
    """A small model overfitted on 64 sums (one batch): it must reproduce every one."""
    pairs = addition_pairs(64, seed=1, digits=2)
    m = Seq2Seq(hidden=64, embed=16, dropout=0.0, seed=0).fit(pairs, steps=300, batch_size=64, lr=1e-2, val_fraction=0)
    return m, pairs


def test_overfit_one_batch(tiny_adder):
    m, pairs = tiny_adder
    assert m.evaluate(pairs)["exact_match"] == 1.0
    r = m.evaluate(pairs, beam=3)
    assert r["exact_match"] == 1.0 and r["bleu"] == pytest.approx(100.0)


def test_save_load_round_trip_translates_the_same(tiny_adder, tmp_path):
    m, pairs = tiny_adder
    m.save(tmp_path / "m")
    back = lstmkit.load(tmp_path / "m")
    assert isinstance(back, Seq2Seq)
    sources = [s for s, _ in pairs[:20]]
    assert back.translate(sources, beam=2) == m.translate(sources, beam=2)
    assert back.translate(sources[0]) == m.translate(sources[0])
    for name, a in m.net.state_dict().items():
        assert torch.equal(a, back.net.state_dict()[name])


def test_translate_refuses_unknown_symbols_and_bad_beams(tiny_adder):
    m, _ = tiny_adder
    with pytest.raises(LstmkitError, match="never saw in training: 'x'"):
        m.translate("12x3")
    r = m.evaluate([("12x3", "15"), ("1+2", "3")])  # a test set may hold unknown symbols: counted, not fatal
    assert r["unknown_sources"] == 1 and r["pairs"] == 2
    for beam in (0, -1, 1.5):
        with pytest.raises(LstmkitError, match="--beam"):
            m.translate("1+2", beam=beam)


def test_same_seed_same_model_and_validation_is_held_out():
    pairs = addition_pairs(200, seed=2, digits=2)
    a = Seq2Seq(**TINY, seed=5).fit(pairs, steps=30)
    b = Seq2Seq(**TINY, seed=5).fit(pairs, steps=30)
    for name, t in a.net.state_dict().items():
        assert torch.equal(t, b.net.state_dict()[name])
    assert a.summary["val_pairs"] == 10 and a.summary["pairs"] == 190
    assert not {s for s, _ in a.held_out} & {s for s, _ in pairs if (s, _) not in a.held_out}


def test_fit_refuses_bad_pairs():
    for bad, message in ((["a\tb"], "not a \\(source, target\\) pair"), ([("a", "")], "empty target"), ([], "no pairs"),
                         ("a\tb", "list of")):
        with pytest.raises(LstmkitError, match=message):
            Seq2Seq(**TINY).fit(bad, steps=1)
    with pytest.raises(LstmkitError, match="--source-level"):
        Seq2Seq("bpe")
    with pytest.raises(LstmkitError, match="both sides are char level"):  # it would be ignored
        Seq2Seq(lowercase=True, **TINY).fit([("Ab", "Cd")] * 4, steps=1)
    m = Seq2Seq("char", "word", lowercase=True, **TINY).fit([("Ab", "Cd Ef")] * 4, steps=1)
    assert m.tgt_tok.lowercase  # one word side is enough


def test_phrase_list_translates_word_order_after_save_and_load(tmp_path):
    """The issue's translation check, with a small model: statements and verb-first questions."""
    m = Seq2Seq("word", "word", hidden=96, embed=32, seed=0).fit(phrase_pairs(), steps=250, batch_size=64, lr=5e-3)
    m.save(tmp_path / "de-en")
    back = lstmkit.load(tmp_path / "de-en")
    assert back.translate(["Ich mag Schokolade", "Mag ich Schokolade?"], beam=4) == ["I like chocolate", "Do I like chocolate?"]
    assert back.summary["val"]["exact_match"] >= 0.9


# ---------------------------------------------------------------------------- resume
def test_resume_extends_a_run_and_a_spent_budget_changes_nothing(tmp_path):
    pairs = addition_pairs(300, seed=3, digits=2)
    out = tmp_path / "run"
    Seq2Seq(**TINY, seed=0).fit(pairs, steps=20, out=out)
    first = lstmkit.load(out)
    assert 0 < first.summary["steps"] <= 20  # 20 evaluations: it may stop early on a stall
    before = (out / "model.safetensors").read_bytes()
    again = Seq2Seq(**TINY).fit(pairs, steps=20, out=out, resume=True)
    assert again.stop_reason == "budget spent" and (out / "model.safetensors").read_bytes() == before
    longer = Seq2Seq(**TINY).fit(pairs, steps=50, out=out, resume=True)
    assert first.summary["steps"] < longer.summary["steps"] <= 50
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert any(r.get("event") == "replan" for r in rows)
    with pytest.raises(LstmkitError, match="already holds a trained model"):
        Seq2Seq(**TINY).fit(pairs, steps=5, out=out)


# ---------------------------------------------------------------------------- the CLI
def test_cli_pairs_train_translate_evaluate_end_to_end(run_cli, tmp_path):
    code, tsv, _ = run_cli("seq2seq", "pairs", "addition", "--count", "300", "--seed", "4")
    assert code == 0 and len(tsv.splitlines()) == 300
    pairs = tmp_path / "add.tsv"
    pairs.write_text(tsv, encoding="utf-8")
    out = tmp_path / "m"
    code, stdout, stderr = run_cli("seq2seq", "train", pairs, "--out", out, "--steps", "40", "--hidden", "32", "--embed", "16", "-q", "--beam", "2")
    assert code == 0, stderr
    assert "held-out exact match: greedy" in stdout and "beam 2" in stdout and "plan:" in stderr
    code, stdout, _ = run_cli("seq2seq", "translate", out, "12+34")
    assert code == 0 and set(stdout.strip()) <= set("0123456789")
    sources = tmp_path / "src.txt"
    sources.write_text("1+2\n30+4\n", encoding="utf-8")
    code, stdout, _ = run_cli("seq2seq", "translate", out, "--file", sources, "--beam", "3")
    assert code == 0 and len(stdout.splitlines()) == 2
    code, stdout, _ = run_cli("seq2seq", "evaluate", out, pairs, "--json")
    r = json.loads(stdout)
    assert code == 0 and r["pairs"] == 300 and 0 <= r["exact_match"] <= 1 and "bleu" in r
    code, stdout, _ = run_cli("info", out)
    assert code == 0 and "seq2seq" in stdout and "luong" in stdout


@pytest.mark.parametrize("content, args, message", [
    ("1+2\t3\nno tab\n", [], "line 2 has no tab"),
    ("1+2\t3\n\t4\n", [], "empty source side"),
    ("\n\n", [], "holds no pairs"),
    ("1+2\t3\n", ["--beam", "0"], "--beam 0 must be at least 1"),
])
def test_cli_bad_pairs_files_exit_with_one_line(run_cli, tmp_path, content, args, message):
    f = tmp_path / "p.tsv"
    f.write_text(content, encoding="utf-8")
    code, stdout, stderr = run_cli("seq2seq", "train", f, "--out", tmp_path / "m", "--steps", "2", *args)
    assert code == 2 and message in stderr and "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists()


def test_cli_translate_bad_inputs_exit_with_one_line(run_cli, tiny_adder, tmp_path):
    m, _ = tiny_adder
    m.save(tmp_path / "add")
    for args, message in ((["12a"], "never saw in training: 'a'"), (["1+2", "--beam", "0"], "--beam 0"),
                          ([], "pass the TEXT to translate, or --file")):
        code, _, stderr = run_cli("seq2seq", "translate", tmp_path / "add", *args)
        assert code == 2 and message in stderr and "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    from lstmkit.models.mlp import MLP

    MLP(steps=5).fit(np.random.default_rng(0).normal(size=(20, 2)), [0, 1] * 10).save(tmp_path / "mlp")
    code, _, stderr = run_cli("seq2seq", "translate", tmp_path / "mlp", "1+2")
    assert code == 2 and "holds a MLP, not a sequence-to-sequence model" in stderr
    code, _, stderr = run_cli("seq2seq", "evaluate", tmp_path / "mlp", tmp_path / "none.tsv")
    assert code == 2 and "not a sequence-to-sequence model" in stderr


def test_review_fixes_resume_settings_word_targets_and_unreadable_sources(tmp_path):
    pairs = addition_pairs(300, seed=3, digits=2)
    out = tmp_path / "run"
    m = Seq2Seq(**TINY, seed=0).fit(pairs, steps=10, batch_size=32, out=out)
    saved = lstmkit.load(out)
    # a finished run resumed with its own budget hands back the saved (best) weights, not the last step's
    again = Seq2Seq(**TINY).fit(pairs, steps=10, out=out, resume=True)
    for k, v in saved.net.state_dict().items():
        assert torch.equal(v, again.net.state_dict()[k])
    with pytest.raises(LstmkitError, match="--batch-size 16 \\(saved 32\\)"):
        Seq2Seq(**TINY).fit(pairs, steps=20, batch_size=16, out=out, resume=True)
    assert saved.fit_settings["batch_size"] == 32
    # exact match compares with the target as a word-level side writes it back
    w = Seq2Seq("char", "word", lowercase=True, **TINY)
    w.tgt_tok = lstmkit.WordTokenizer.fit("do i like it ?", lowercase=True)
    assert w.written("Do I like it?") == "do i like it?"
    # a source none of whose characters is known gets an empty output when scoring, not an abort
    assert m.translate(["日本", "1+2"], strict=False)[0] == ""
    with pytest.raises(LstmkitError, match="never saw"):
        m.translate("日本")
    with pytest.raises(LstmkitError, match="--seed -1"):
        Seq2Seq(seed=-1)
    with pytest.raises(LstmkitError, match="--count 0"):
        demo_pairs("addition", 0)
    assert parse_pairs("a\u2028b\tc\x85d\n") == [("a\u2028b", "c\x85d")]


def test_translate_reads_a_tables_source_column_and_writes_one_text_to_out(tmp_path, run_cli):
    pairs = tmp_path / "p.tsv"
    pairs.write_text("".join(f"{a}{b}\t{b}{a}\n" for a in "abcde" for b in "fghij"), encoding="utf-8")
    m = tmp_path / "m"
    assert run_cli("seq2seq", "train", pairs, "--out", m, "--steps", "3", "--hidden", "16", "--embed", "8", "-q")[0] == 0
    table = tmp_path / "t.csv"
    table.write_text("target,source\nxx,af\nyy,bg\n", encoding="utf-8")
    code, by_table, err = run_cli("seq2seq", "translate", m, "--file", table)
    assert code == 0, err
    lines = tmp_path / "l.txt"
    lines.write_text("af\nbg\n", encoding="utf-8")
    assert by_table == run_cli("seq2seq", "translate", m, "--file", lines)[1]  # the source column, not whole lines
    plain = tmp_path / "s.csv"  # a .csv of sources, one per line, without a source header: lines, as before
    plain.write_text("af\nbg\n", encoding="utf-8")
    assert run_cli("seq2seq", "translate", m, "--file", plain)[1] == by_table
    code, _, err = run_cli("seq2seq", "translate", m)
    assert code == 2 and "pass the TEXT to translate, or --file FILE" in err
    code, stdout, _ = run_cli("seq2seq", "translate", m, "af", "--out", tmp_path / "o.txt")
    assert code == 0 and (tmp_path / "o.txt").read_text(encoding="utf-8") == by_table.split("\n")[0] + "\n"
