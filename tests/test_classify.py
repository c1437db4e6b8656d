"""Sequence classification: the model family, padding, fit/predict/save/load, scikit-learn, readers, the CLI, bad input.

Models here are tiny (8-16 units, small filters, tens to a few hundred steps), so each test takes seconds.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from tamper import edit_json

import lstmkit
from lstmkit.data.echo import echo_task
from lstmkit.data.labeled import SequenceBatches, as_sequences
from lstmkit.data.labeled_files import read_labeled
from lstmkit.errors import LstmkitError
from lstmkit.models.classify import SequenceClassifier
from lstmkit.models.classify_net import ARCHS, ClassifierEnsemble, ClassifierNet, ClassifierNetConfig, crop_windows
from lstmkit.models.classify_plan import derivatives_for
from lstmkit.models.classify_prep import channel_stats, default_pool, encode, fit_preparation, pool_case, with_differences
from lstmkit.nn import MaskedBatchNorm

TINY = dict(hidden=8, steps=30, batch_size=8, ensemble=2)
SMALL_FILTERS = dict(filters=[8, 8, 8], kernels=[3, 3, 3])


def waves(n: int = 40, T: int = 30, seed: int = 0, channels: int = 1, ragged: bool = False):
    """Two classes: a slow sine and a fast one, with noise; ragged: lengths from T/2 to T."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for i in range(n):
        k = i % 2
        t = np.arange(int(rng.integers(T // 2, T + 1)) if ragged else T)
        base = np.sin(t * (0.2 if k == 0 else 0.8) + rng.uniform(0, 6))
        X.append(np.stack([base + rng.normal(0, 0.1, len(t)) for _ in range(channels)]))
        y.append("slow" if k == 0 else "fast")
    return (X if ragged else np.stack(X)), np.asarray(y)


# ---------------------------------------------------------------------------- the network family
@pytest.mark.parametrize("arch", list(ARCHS))
def test_every_arch_builds_trains_and_ignores_padding(arch):
    torch.manual_seed(0)
    net = ClassifierNet(ClassifierNetConfig(arch=arch, classes=3, inputs=2, hidden=6, **SMALL_FILTERS))
    x = torch.randn(3, 12, 2)
    lengths = torch.tensor([12, 7, 3])
    x[1, 7:] = 0
    x[2, 3:] = 0
    loss, stats, _ = net.loss(lstmkit.nn.SeqBatch(x, lengths, torch.tensor([0, 1, 2])))
    loss.backward()
    assert torch.isfinite(loss) and stats["count"] == 3
    net.eval()
    with torch.no_grad():
        batched = net(x, lengths)
        for i, n in enumerate(lengths.tolist()):
            alone = net(x[i:i + 1, :n], lengths[i:i + 1])
            torch.testing.assert_close(alone, batched[i:i + 1], rtol=1e-5, atol=1e-5)
            garbage = x[i:i + 1].clone()
            garbage[:, n:] = 99.0  # whatever sits in the padding never reaches the result
            torch.testing.assert_close(net(garbage, lengths[i:i + 1]), alone, rtol=1e-5, atol=1e-5)


def test_masked_batch_norm_counts_only_real_steps():
    bn = MaskedBatchNorm(2)
    x = torch.randn(4, 2, 10)
    mask = torch.ones(4, 10)
    mask[:, 6:] = 0
    padded = x.clone()
    padded[:, :, 6:] = 50.0
    bn(padded, mask)
    ref = x[:, :, :6]
    torch.testing.assert_close(bn.running_mean, 0.1 * ref.mean((0, 2)))


def test_config_rejects_bad_values():
    with pytest.raises(LstmkitError, match="unknown model 'transformer'"):
        ClassifierNetConfig(arch="transformer", classes=2, inputs=1)
    with pytest.raises(LstmkitError, match="at least 2"):
        ClassifierNetConfig(classes=1, inputs=1)
    with pytest.raises(LstmkitError, match="not both"):
        ClassifierNetConfig(classes=2, inputs=1, vocab_size=10)
    c = ClassifierNetConfig(arch="stacked", classes=2, inputs=1)
    assert c.layers == 2 and ClassifierNetConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    with pytest.raises(LstmkitError, match="hidden"):
        ClassifierNetConfig.from_dict({**c.to_dict(), "hidden": "64"})


def test_dimension_shuffle_reads_channels_as_steps():
    X, y = waves(24, T=30, channels=2)
    clf = SequenceClassifier(hidden=8, steps=60, batch_size=8, ensemble=1, val_fraction=0, shuffle="on", seed=0).fit(X, y)
    c = clf.net_.config
    assert c.shuffle == 30 and clf.net_.members[0].rnn.input_size == 30  # 4 steps (2 channels, 2 first differences) of 30 features
    other = SequenceClassifier(**TINY).fit(X, y)  # the default: time points as steps
    assert other.net_.config.shuffle == 0 and other.net_.members[0].rnn.input_size == 4  # 2 channels, 2 first differences
    with pytest.raises(LstmkitError, match="reads exactly 30"):
        clf.predict(X[:, :, :20])
    with pytest.raises(LstmkitError, match="exactly 30 time points"):
        clf.net_.members[0](torch.zeros(2, 20, 4), torch.tensor([20, 20]))
    with pytest.raises(LstmkitError, match="--shuffle on needs cases of one length, and these have 15-30"):
        SequenceClassifier(shuffle="on", **TINY).fit(*waves(24, ragged=True))
    with pytest.raises(LstmkitError, match="--model lstm reads time steps"):
        SequenceClassifier("lstm", shuffle="on", **TINY).fit(X, y)
    with pytest.raises(LstmkitError, match="not texts"):
        SequenceClassifier(shuffle="on", **TINY).fit(["ab ab", "cd cd"] * 5, [1, 2] * 5)
    with pytest.raises(LstmkitError, match="unknown --shuffle 'yes'"):
        SequenceClassifier(shuffle="yes", **TINY).fit(X, y)
    with pytest.raises(LstmkitError, match="dimension shuffle is LSTM-FCN's"):
        ClassifierNetConfig(arch="gru", classes=2, inputs=1, shuffle=30)


def test_dimension_shuffle_learns():
    X, y = waves(40, T=30)
    clf = SequenceClassifier(hidden=8, steps=120, lr=5e-3, seed=0, batch_size=8, ensemble=2, shuffle="on").fit(X, y)
    assert clf.net_.config.shuffle == 30
    Xt, yt = waves(40, T=30, seed=5)
    assert clf.score(Xt, yt) >= 0.9


# ---------------------------------------------------------------------------- golden numbers
def test_echo_task_golden():
    X, y = echo_task(4, length=5, values=10, k=2, seed=0)
    assert X.shape == (4, 10, 5) and X.sum() == 20
    assert y.tolist() == [5, 0, 5, 5]
    assert (X[:, :, 2].argmax(1) == y).all()


def test_same_seed_same_model_golden():
    X, y = waves(24)
    a = SequenceClassifier("lstm", seed=3, **TINY).fit(X, y).predict_proba(X[:3])
    b = SequenceClassifier("lstm", seed=3, **TINY).fit(X, y).predict_proba(X[:3])
    np.testing.assert_array_equal(a, b)
    c = SequenceClassifier("lstm", seed=4, **TINY).fit(X, y).predict_proba(X[:3])
    assert not np.array_equal(a, c)


# ---------------------------------------------------------------------------- learning
def test_overfits_one_batch():
    X, y = waves(8, T=20)
    clf = SequenceClassifier("lstm", hidden=16, steps=150, batch_size=8, ensemble=1, val_fraction=0, lr=1e-2, seed=0).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_seed_004_echo_task_is_learnt():
    X, y = echo_task(600, k=1, seed=0)
    Xt, yt = echo_task(300, k=1, seed=1)
    clf = SequenceClassifier("lstm", hidden=32, steps=400, batch_size=32, lr=1e-2, ensemble=1, val_fraction=0, seed=0).fit(X, y)
    assert clf.score(Xt, yt) >= 0.95


def test_variable_length_multichannel_cases():
    X, y = waves(40, T=30, channels=3, ragged=True, seed=1)
    clf = SequenceClassifier(hidden=8, steps=120, lr=5e-3, seed=0, batch_size=8, ensemble=2).fit(X, y)
    Xt, yt = waves(40, T=30, channels=3, ragged=True, seed=2)
    assert clf.score(Xt, yt) >= 0.9
    assert clf.predict_proba(Xt).shape == (40, 2) and np.allclose(clf.predict_proba(Xt).sum(1), 1, atol=1e-5)


def test_texts_at_word_and_char_level():
    rng = np.random.default_rng(0)
    good = ["a lovely happy day", "what a great film", "happy and lovely", "great fun and joy"]
    bad = ["a dull awful day", "what a terrible film", "awful and dull", "terrible boring mess"]
    X = [good[(i // 2) % 4] if i % 2 == 0 else bad[(i // 2) % 4] for i in range(40)]
    y = ["pos" if i % 2 == 0 else "neg" for i in range(40)]
    clf = SequenceClassifier("lstm", hidden=16, steps=150, lr=1e-2, ensemble=1, val_fraction=0, level="word", seed=0).fit(X, y)
    assert clf.prep_["level"] == "word"
    assert clf.predict(["a happy great day", "an awful boring day", "zebra " * 3]).tolist()[:2] == ["pos", "neg"]
    dna = ["".join(rng.choice(list("AC" if i % 2 else "GT"), 12)) for i in range(40)]
    lab = [i % 2 for i in range(40)]
    clf = SequenceClassifier("lstm", hidden=16, steps=150, lr=1e-2, ensemble=1, val_fraction=0, seed=0).fit(dna, lab)
    assert clf.prep_["level"] == "char"
    with pytest.raises(LstmkitError, match=r"case 2 holds characters this model never saw in training: 'X', 'Z'; .*--unknown drop"):
        clf.predict(["ACCACA", "GTTGTG", "ACZXXA"])
    assert clf.set_params(unknown="drop").predict(["ACCACA", "GTTGTG", "ACXXA"]).tolist()[:2] == [1, 0]  # X left out
    with pytest.raises(LstmkitError, match=r"case 1 holds no character this model saw in training \('XZ'\), so --unknown drop leaves nothing"):
        clf.predict(["ACCACA", "XZ"])  # dropped to nothing: an empty text, not a prediction from padding


def test_auto_level_characters_for_short_texts_and_codes_words_for_long_texts():
    level = lambda texts: fit_preparation("text", texts, "auto")["level"]  # noqa: E731
    assert level(["a lovely happy day", "what a dull film"]) == "char"  # short: at most 100 characters on average
    assert level(["word " * 20 + "x", "word " * 19 + "y"]) == "char"  # 101 and 96 characters: 98.5 on average
    assert level(["word " * 21, "word " * 21]) == "word"  # 105 characters of 21 words
    assert level(["ACGT" * 200, "TTGA" * 200]) == "char"  # long, but under 3 words: a code, not prose


def test_weight_decay_auto_follows_the_passes_the_budget_buys():
    from lstmkit.models.classify_budget import DECAY_PASSES, default_decay

    assert DECAY_PASSES == 200
    assert default_decay({"steps": 1800}, 9) == 0.1 and default_decay({"steps": 1799}, 9) == 0.0  # 200 passes and just under
    assert default_decay({"epochs": 250.0}, 3) == 0.1 and default_decay({"epochs": 20.0}, 3) == 0.0
    assert default_decay({"minutes": 1.0}, 3) == 0.0  # passes unknown: plain Adam
    # through fit: 20 cases, 2 folds of 10 at batch 8 -> 2 steps a pass; the budget's passes decide
    X, y = waves(20)
    many = SequenceClassifier("lstm", hidden=8, steps=400, batch_size=8, ensemble=2).fit(X, y)
    few = SequenceClassifier("lstm", **TINY).fit(X, y)
    set_to_zero = SequenceClassifier("lstm", hidden=8, steps=400, batch_size=8, ensemble=2, weight_decay=0).fit(X, y)
    assert (many.summary_["weight_decay"], few.summary_["weight_decay"], set_to_zero.summary_["weight_decay"]) == (0.1, 0.0, 0.0)
    assert many.get_params()["weight_decay"] == "auto"


def test_weight_decay_trains_with_adamw(monkeypatch):
    import lstmkit.models.classify_fit as cf

    made = []
    real = cf.TrainConfig
    monkeypatch.setattr(cf, "TrainConfig", lambda **kw: made.append(kw) or real(**kw))
    X, y = waves(10)
    plain = SequenceClassifier("lstm", **TINY).fit(X, y)
    decayed = SequenceClassifier("lstm", weight_decay=0.5, **TINY).fit(X, y)
    assert "optimizer" not in made[0] and made[-1]["optimizer"] == "adamw" and made[-1]["weight_decay"] == 0.5
    assert not np.allclose(plain.predict_proba(X), decayed.predict_proba(X))
    # the decay shrinks every weight, so the decayed network's weights are smaller overall
    norm = lambda c: sum(float(p.detach().norm()) for p in c.net_.parameters())  # noqa: E731
    assert norm(decayed) < norm(plain)


def test_words_seen_once_teach_the_unknown_word():
    # a word seen once in training is <unk> there, so <unk> (id 0, shifted to 1) is a trained symbol
    X = ["red red blue", "red blue once", "blue blue red", "green green red"] * 3 + ["blue solo red"]
    y = [0, 1, 0, 1] * 3 + [0]
    clf = SequenceClassifier("lstm", hidden=4, steps=3, ensemble=1, val_fraction=0, level="word", seed=0).fit(X, y)
    tok = clf.prep_["tokenizer"]
    assert "solo" not in tok._index and "once" in tok._index and "red" in tok._index  # "once" appears 3 times
    ids = encode(clf.prep_, ["blue solo red", "never seen words"])
    assert ids[0].tolist()[1] == 1 and set(ids[1].tolist()) == {1}
    # no word seen twice: every word is kept, so the texts still differ
    few = SequenceClassifier("lstm", hidden=4, steps=3, ensemble=1, val_fraction=0, level="word", seed=0).fit(["one two three", "four five six"], [0, 1])
    assert few.prep_["tokenizer"].vocab_size == 7


def test_class_weight_balanced():
    X, y = waves(30)
    y = np.where(np.arange(30) < 24, "a", "b")
    clf = SequenceClassifier("lstm", class_weight="balanced", **TINY).fit(X, y)
    w = clf.net_.members[0].class_weights.tolist()
    assert w[1] == pytest.approx(4 * w[0])


def test_fold_ensemble_holds_out_every_case_once():
    X, y = waves(30)
    clf = SequenceClassifier("lstm", hidden=8, steps=40, batch_size=8, ensemble=3, seed=0).fit(X, y)
    s = clf.summary_
    assert s["members"] == 3 and len(s["best_steps"]) == 3 and s["val_cases"] == 30 and 0 <= s["val_acc"] <= 1
    single = SequenceClassifier("lstm", hidden=8, steps=40, batch_size=8, ensemble=1, seed=0).fit(X, y)
    assert single.summary_["members"] == 1 and single.summary_["val_cases"] == 6 and "refit_steps" in single.summary_
    few = SequenceClassifier("lstm", hidden=8, steps=10, ensemble=3).fit(X[:3], ["a", "a", "b"])  # 'b' cannot spare a case
    assert few.summary_["members"] == 3 and "val_acc" not in few.summary_


def test_without_early_stopping_every_member_trains_on_every_case(monkeypatch):
    import lstmkit.models.classify as classify

    X, y = waves(30)
    sizes = []
    real = classify.train_member

    def spy(c, weights, cases, y_fit, val_cases, *rest, **kw):
        sizes.append((len(cases), val_cases is None))
        return real(c, weights, cases, y_fit, val_cases, *rest, **kw)

    monkeypatch.setattr(classify, "train_member", spy)
    notes = []
    clf = SequenceClassifier("lstm", hidden=8, steps=40, batch_size=8, ensemble=3, early_stopping=False, seed=0).fit(X, y, notes=notes.append)
    assert sizes == [(30, True)] * 3 and clf.summary_["members"] == 3 and "val_acc" not in clf.summary_
    assert "no early stopping" in notes[0]
    sizes.clear()
    SequenceClassifier("lstm", hidden=8, steps=40, batch_size=8, ensemble=3, seed=0).fit(X, y)
    assert sizes == [(20, False)] * 3  # the default: each member on 2 of 3 folds, stopped on the third
    from sklearn.base import clone

    assert "early_stopping" in clf.get_params() and clone(clf).get_params()["early_stopping"] is False
    with pytest.raises(LstmkitError, match="early_stopping='no'"):
        SequenceClassifier(early_stopping="no").fit(X, y)


def test_early_stopping_reads_a_fixed_subset_of_a_large_fold(monkeypatch):
    import lstmkit.models.classify_fit as classify

    seen = []

    class Spy(SequenceBatches):
        def __post_init__(self):
            super().__post_init__()
            if not self.shuffle:
                seen.append(self.n)

    X, y = waves(40)
    monkeypatch.setattr(classify, "SequenceBatches", Spy)
    monkeypatch.setattr(classify, "EVAL_CASES", 8)
    clf = SequenceClassifier("lstm", hidden=8, steps=20, batch_size=8, ensemble=2, seed=0).fit(X, y)
    assert seen == [20, 8, 20, 8]  # per member: its whole fold (labels, loss) and 8 of its cases for the evaluations
    assert clf.summary_["val_cases"] == 40 and np.isfinite(clf.summary_["val_loss"])
    again = SequenceClassifier("lstm", hidden=8, steps=20, batch_size=8, ensemble=2, seed=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))



def test_early_stopping_reads_fewer_cases_where_the_budget_buys_few_passes():
    from lstmkit.models.classify_fit import EVAL_CASES, EVAL_FLOOR, watch_cases

    # the ElectricDevices shape: 557 steps of 16; 40 evaluations of 133 cases are a fifth of the training arithmetic
    assert watch_cases({"steps": 557}, 372, 16) == 133
    assert watch_cases({"epochs": 2}, 400, 16) == 192  # 800 steps
    assert watch_cases({"steps": 50}, 10, 4) == EVAL_FLOOR
    assert watch_cases({"steps": 4000}, 10, 16) == EVAL_CASES  # a long run: the cap
    assert watch_cases({"minutes": 1.0}, 10, 16) == EVAL_CASES  # no known length


def test_a_subset_with_fewer_cases_than_classes_is_drawn_unstratified(monkeypatch):
    import lstmkit.models.classify_fit as classify

    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 1, 12)).astype(np.float32)
    y = np.repeat(np.arange(6), 4)  # two folds of 12 cases, 2 of each of 6 classes
    monkeypatch.setattr(classify, "EVAL_CASES", 4)  # 4 cases cannot hold 6 classes: sklearn would refuse to stratify
    clf = SequenceClassifier("lstm", hidden=8, steps=10, batch_size=8, ensemble=2, seed=0).fit(X, y)
    assert clf.summary_["val_cases"] == 24

# ---------------------------------------------------------------------------- saving
def test_save_load_round_trip(tmp_path):
    X, y = waves(24, ragged=True)
    clf = SequenceClassifier("lstm-fcn", hidden=8, steps=20, batch_size=8, ensemble=3, seed=0).fit(X, y)
    clf.save(tmp_path / "m")
    back = lstmkit.load(tmp_path / "m")
    assert isinstance(back, SequenceClassifier) and list(back.classes_) == ["fast", "slow"]
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
    assert back.get_params() == clf.get_params()
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["task"] == "classify" and cfg["format_version"] == lstmkit.FORMAT_VERSION and cfg["net"]["members"] == 3
    texts = SequenceClassifier("lstm", **TINY).fit(["ab ab ab", "cd cd cd"] * 5, [1, 2] * 5)
    texts.save(tmp_path / "t")
    again = lstmkit.load(tmp_path / "t")
    assert again.predict(["ab ab ab"]).tolist() == texts.predict(["ab ab ab"]).tolist()
    assert again.classes_.dtype.kind == "i"


@pytest.mark.parametrize("arch", list(ARCHS))
def test_every_arch_saves_and_loads_with_identical_predictions(tmp_path, arch):
    X, y = waves(16, ragged=True)
    clf = SequenceClassifier(arch, hidden=6, steps=8, batch_size=8, ensemble=2, seed=0).fit(X, y)
    clf.save(tmp_path / arch)
    back = lstmkit.load(tmp_path / arch)
    assert back.net_.config.arch == arch
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))


def test_save_load_round_trip_shuffled(tmp_path):
    X, y = waves(24, T=30)
    clf = SequenceClassifier(hidden=8, steps=20, batch_size=8, ensemble=2, shuffle="on", seed=0).fit(X, y)
    clf.save(tmp_path / "m")
    back = lstmkit.load(tmp_path / "m")
    assert back.net_.config.shuffle == 30 and back.get_params()["shuffle"] == "on"
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(LstmkitError, match="case 0 has 31 time points"):
        back.predict(np.zeros((1, 1, 31)))


def test_pooling_golden_numbers_and_the_auto_rule():
    np.testing.assert_allclose(pool_case(np.arange(7.0)[:, None], 3).ravel(), [1.0, 4.0, 6.0])  # means of 0-2, 3-5, 6
    assert pool_case(np.arange(8.0).reshape(4, 2), 2).tolist() == [[1.0, 2.0], [5.0, 6.0]]  # channels pooled apart
    assert pool_case(np.ones((5, 2), np.float32), 1).shape == (5, 2)
    # the mean case is averaged down to 100 points at most: BasicMotions' 100 and Italy's 24 stay,
    # GunPoint's 150 are pooled by 2, OSULeaf's 427 by 5, ACSF1's 1460 by 15; ragged cases by their mean
    assert [default_pool([n] * 10) for n in (24, 100, 101, 150, 427, 1460)] == [1, 1, 2, 2, 5, 15]
    assert default_pool([29, 361, 48]) == 2


def test_pooled_model_saves_loads_and_predicts_the_same(tmp_path):
    X, y = waves(24, T=60)
    clf = SequenceClassifier(hidden=8, steps=20, batch_size=8, ensemble=2, pool=4, seed=0)
    notes = []
    clf.fit(X, y, notes=notes.append)
    assert clf.prep_["pool"] == 4 and "sequences of 15-15 steps" in notes[0] and "each 4 time points averaged into one, from 60-60" in notes[0]
    clf.save(tmp_path / "m")
    back = lstmkit.load(tmp_path / "m")
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.get_params()["pool"] == 4 and back.info()["pool"] == 4
    # an explicit budget keeps every point under auto; texts refuse a pool
    assert "pool" not in SequenceClassifier(hidden=8, steps=5, ensemble=1).fit(X, y).prep_
    with pytest.raises(LstmkitError, match="texts are not pooled"):
        SequenceClassifier("lstm", pool=2, **TINY).fit(["ab ab", "cd cd"] * 4, [1, 2] * 4)
    edit_json(tmp_path / "m", "preparation.json", lambda p: p.update(pool=0))  # and re-manifested, as an attacker would
    with pytest.raises(LstmkitError, match="pooling 0 is not a positive whole number"):
        lstmkit.load(tmp_path / "m")


def assert_saved_before_loads_off_and_tampering_fails(off, X, path, param: str, claim: dict, message: str):
    """``off``, fitted with ``param`` off: saved without the key (as before the option) it loads as off and
    predicts the same; a preparation claiming the option (``claim``) is refused against the parameters
    (``message``), and, once they say on, against the network's inputs."""
    off.save(path)
    edit_json(path, "config.json", lambda c: c["classify"].pop(param))
    old = lstmkit.load(path)
    assert getattr(old, param) == "off"
    np.testing.assert_array_equal(old.predict_proba(X), off.predict_proba(X))
    edit_json(path, "preparation.json", lambda p: p.update(claim))
    with pytest.raises(LstmkitError, match=message):
        lstmkit.load(path)
    edit_json(path, "config.json", lambda c: c["classify"].update({param: "on"}))
    with pytest.raises(LstmkitError, match="channel statistics and the network disagree"):
        lstmkit.load(path)


def test_pool_extremes_golden_numbers():
    # each block's means, then its maxima, then its minima
    assert pool_case(np.arange(7.0)[:, None], 3, extremes=True).tolist() == [[1, 2, 0], [4, 5, 3], [6, 6, 6]]
    assert pool_case(np.arange(8.0).reshape(4, 2), 2, extremes=True).tolist() == [[1, 2, 2, 3, 0, 1], [5, 6, 6, 7, 4, 5]]
    assert pool_case(np.ones((5, 2), np.float32), 1, extremes=True).shape == (5, 2)  # not pooled: nothing to add


def test_pool_extremes_triple_the_inputs_and_survive_save_load(tmp_path):
    X, y = waves(24, T=60)
    kw = dict(hidden=8, steps=20, batch_size=8, ensemble=2, pool=4, seed=0)
    notes = []
    on = SequenceClassifier(pool_extremes="on", **kw).fit(X, y, notes=notes.append)
    assert on.prep_["extremes"] is True and on.net_.config.inputs == 6 and on.info()["pool_extremes"] is True
    assert "each 4 time points averaged into one, with their maximum and minimum, from 60-60" in notes[0]
    on.save(tmp_path / "on")
    np.testing.assert_array_equal(lstmkit.load(tmp_path / "on").predict_proba(X), on.predict_proba(X))
    off = SequenceClassifier(**kw).fit(X, y)  # the default
    assert "extremes" not in off.prep_ and off.net_.config.inputs == 2
    assert not np.allclose(off.predict_proba(X), on.predict_proba(X))
    with pytest.raises(LstmkitError, match="these cases are not pooled"):  # unpooled: nothing to keep extremes of
        SequenceClassifier(pool_extremes="on", **{**kw, "pool": 1}).fit(X, y)
    assert_saved_before_loads_off_and_tampering_fails(off, X, tmp_path / "off", "pool_extremes", {"extremes": True},
                                                      "parameters say pool_extremes 'off' and the preparation keeps them")
    # tampered: extremes that are not true, or without pooling
    edit_json(tmp_path / "on", "preparation.json", lambda p: p.update(extremes="yes"))
    with pytest.raises(LstmkitError, match="pooling extremes 'yes' are not true of pooled cases"):
        lstmkit.load(tmp_path / "on")
    edit_json(tmp_path / "on", "preparation.json", lambda p: p.update(extremes=True, pool=1))
    with pytest.raises(LstmkitError, match="pooling extremes True are not true of pooled cases"):
        lstmkit.load(tmp_path / "on")


# ---------------------------------------------------------------------------- window slicing
def test_crop_windows_golden_numbers():
    x = torch.arange(12.0).reshape(2, 6, 1)  # case 0: 6 points; case 1: 4 points, then padding
    lengths = torch.tensor([6, 4])
    first, keep = crop_windows(x, lengths, 0.5, at=0.0)
    last, _ = crop_windows(x, lengths, 0.5, at=1.0)
    assert keep.tolist() == [3, 2]  # ceil(0.5 x length)
    assert first[0, :3, 0].tolist() == [0, 1, 2] and first[1, :2, 0].tolist() == [6, 7]
    assert last[0, :3, 0].tolist() == [3, 4, 5] and last[1, :2, 0].tolist() == [8, 9]  # case 1 ends at its 4th point
    torch.manual_seed(0)
    starts = {tuple(crop_windows(x, lengths, 0.5)[0][:, 0, 0].tolist()) for _ in range(200)}
    assert {s[0] for s in starts} == {0, 1, 2, 3} and {s[1] for s in starts} == {6, 7, 8}  # every start, no other
    assert crop_windows(x, lengths, 0.9)[1].tolist() == [6, 4] and crop_windows(x, torch.tensor([1, 1]), 0.1)[1].tolist() == [1, 1]


def test_slicing_trains_on_windows_and_predicts_from_their_mean(tmp_path):
    X, y = waves(24, T=30)
    notes = []
    on = SequenceClassifier(seed=0, slicing="on", **TINY).fit(X, y, notes=notes.append)
    c = on.net_.config
    assert (c.crop, c.crop_views) == (0.9, 5) and "random windows of 90% of each case, predicted from the mean of 5" in notes[0]
    # the probabilities are the mean over the 5 windows from the first to the last
    b = SequenceBatches(encode(on.prep_, as_sequences(X[:4])[1]), np.zeros(4, np.int64), 8, shuffle=False)
    _, batch = next(iter(b.batches(0)))
    whole = ClassifierEnsemble([ClassifierNet(ClassifierNetConfig(**{**c.to_dict(), "crop": 0.0, "members": 1})) for _ in on.net_.members])
    whole.load_state_dict(on.net_.state_dict())
    whole.eval()
    with torch.no_grad():
        views = [whole.proba(*crop_windows(batch.x, batch.lengths, 0.9, at)) for at in (0, 0.25, 0.5, 0.75, 1)]
    np.testing.assert_allclose(on.predict_proba(X[:4]), torch.stack(views).mean(0).numpy(), rtol=1e-5, atol=1e-6)
    on.save(tmp_path / "on")
    np.testing.assert_array_equal(lstmkit.load(tmp_path / "on").predict_proba(X), on.predict_proba(X))
    edit_json(tmp_path / "on", "config.json", lambda cfg: cfg["classify"].update(slicing="off"))
    with pytest.raises(LstmkitError, match="the parameters say slicing 'off' and the network crops 0.9 of each case"):
        lstmkit.load(tmp_path / "on")
    off = SequenceClassifier(seed=0, **TINY).fit(X, y)  # the default: whole cases
    assert off.net_.config.crop == 0 and not np.allclose(off.predict_proba(X), on.predict_proba(X))
    # texts and the dimension shuffle read whole cases: on is refused
    with pytest.raises(LstmkitError, match="--slicing on crops the time steps .* --shuffle on"):
        SequenceClassifier(seed=0, shuffle="on", slicing="on", **TINY).fit(X, y)
    with pytest.raises(LstmkitError, match="--slicing on crops numeric cases, not texts"):
        SequenceClassifier("lstm", seed=0, slicing="on", **TINY).fit(["ab ab", "cd cd"] * 8, [0, 1] * 8)
    with pytest.raises(LstmkitError, match="unknown --slicing 'yes'; pass one of off, on"):
        SequenceClassifier(slicing="yes").fit(X, y)


def test_a_model_saved_before_slicing_loads_with_whole_cases(tmp_path):
    X, y = waves(24, T=30)
    SequenceClassifier(seed=0, slicing="off", **TINY).fit(X, y).save(tmp_path / "m")
    def older(c):  # as the release before the option wrote it
        del c["classify"]["slicing"], c["net"]["crop"], c["net"]["crop_views"]
    edit_json(tmp_path / "m", "config.json", older)
    m = lstmkit.load(tmp_path / "m")
    assert m.slicing == "off" and m.net_.config.crop == 0 and m.predict_proba(X).shape == (24, 2)


def test_first_differences_golden_numbers():
    x = np.array([[1.0, 10.0], [4.0, 10.0], [2.0, 13.0]])  # (T=3, C=2)
    np.testing.assert_array_equal(with_differences(x), [[1, 10, 0, 0], [4, 10, 3, 0], [2, 13, -2, 3]])
    assert with_differences(np.ones((1, 3))).tolist() == [[1, 1, 1, 0, 0, 0]]  # one point: no slope


def test_channel_stats_are_the_stacked_cases_statistics_one_case_at_a_time():
    rng = np.random.default_rng(0)
    uni = [(rng.normal(size=(int(n), 1)) * 3 + 5).astype(np.float32) for n in rng.integers(5, 80, 200)]
    diffed = [with_differences(c) for c in uni]
    # a univariate series beside its differences: the same to the last bit as the statistics of the stack
    # (what every model before the streaming was trained on)
    for cases in (diffed, uni):
        stacked = np.concatenate(cases, 0)
        mean, std = channel_stats(lambda: iter(cases))
        np.testing.assert_array_equal(mean, stacked.mean(0))
        np.testing.assert_array_equal(std, stacked.std(0))
    # multichannel cases as (channels, time points) arrays give them: column-major views, equal to float32 precision
    multi = [(rng.normal(size=(6, int(n))) * 2 - 1).astype(np.float32).T for n in rng.integers(5, 80, 200)]
    stacked = np.concatenate(multi, 0)
    mean, std = channel_stats(lambda: iter(multi))
    np.testing.assert_allclose(mean, stacked.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, stacked.std(0), rtol=1e-5)
    # every time point counts once: the longer case weighs more (golden numbers)
    mean, std = channel_stats(lambda: iter([np.zeros((1, 2), np.float32), np.ones((3, 2), np.float32)]))
    assert mean.tolist() == [0.75, 0.75]
    np.testing.assert_allclose(std, [0.1875 ** 0.5] * 2, rtol=1e-6)


def test_derivatives_double_the_inputs_and_survive_save_load(tmp_path):
    X, y = waves(24, T=40, channels=2, ragged=True)
    notes = []
    clf = SequenceClassifier(hidden=8, steps=20, batch_size=8, ensemble=2, pool=2, seed=0).fit(X, y, notes=notes.append)
    assert clf.net_.config.inputs == 4 and clf.prep_["channels"] == 2 and len(clf.prep_["std"]) == 4
    assert "x 2 channels and their first differences" in notes[0] and clf.info()["derivatives"] is True
    clf.save(tmp_path / "m")
    back = lstmkit.load(tmp_path / "m")
    assert back.get_params()["derivatives"] == "auto"
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(LstmkitError, match="trained on 2"):  # the user's channels, not the network's inputs
        back.predict(np.zeros((1, 4, 40)))
    # off: the channels alone
    off = SequenceClassifier(hidden=8, steps=20, batch_size=8, ensemble=2, derivatives="off", seed=0).fit(X, y)
    assert off.net_.config.inputs == 2 and "derivatives" not in off.prep_
    assert_saved_before_loads_off_and_tampering_fails(off, X, tmp_path / "off", "derivatives", {"derivatives": True},
                                                      "parameters say derivatives 'off' and the preparation the opposite")
    edit_json(tmp_path / "m", "preparation.json", lambda p: p.update(derivatives="yes"))
    with pytest.raises(LstmkitError, match="derivatives setting 'yes'"):
        lstmkit.load(tmp_path / "m")


def test_derivatives_change_what_the_network_reads():
    # the same seed and data: the difference channels alone make the models differ
    X, y = waves(24)
    a = SequenceClassifier("lstm", seed=0, **TINY).fit(X, y).predict_proba(X[:3])
    b = SequenceClassifier("lstm", seed=0, derivatives="off", **TINY).fit(X, y).predict_proba(X[:3])
    assert not np.allclose(a, b)
    texts = SequenceClassifier("lstm", **TINY).fit(["ab ab ab", "cd cd cd"] * 5, [1, 2] * 5)  # texts: nothing to difference
    assert "derivatives" not in texts.prep_


def test_derivatives_auto_only_where_the_default_budget_affords_them():
    # the decision reads only the cases' shapes and the budget, so a few cases of each shape stand for a dataset
    def decide(channels, length, batch, **kw):
        clf = SequenceClassifier(**kw)
        clf.classes_ = np.array([0, 1, 2, 3, 4, 5, 6])
        return derivatives_for(clf, "numeric", [np.zeros((length, channels), np.float32)] * 3, batch, 3)
    assert decide(1, 150, 4) and decide(6, 100, 4) and decide(12, 29, 16)  # GunPoint, BasicMotions, JapaneseVowels
    assert not decide(963, 144, 16)  # PEMS-SF: the 200-step floor would bind with 1,926 inputs
    assert decide(963, 144, 16, derivatives="on") and decide(963, 144, 16, steps=50)  # asked for, or a budget of one's own
    assert not decide(1, 150, 4, derivatives="off")


# ---------------------------------------------------------------------------- scikit-learn
def test_scikit_learn_clone_grid_pipeline():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = waves(24)
    est = SequenceClassifier("lstm", **TINY)
    c = clone(est)
    assert c.get_params() == est.get_params() and c is not est
    assert est.set_params(hidden=4).hidden == 4
    est.set_params(hidden=8)
    scores = cross_val_score(est, X, y, cv=2)
    assert scores.shape == (2,) and ((0 <= scores) & (scores <= 1)).all()
    grid = GridSearchCV(est, {"hidden": [4, 8]}, cv=2).fit(X, y)
    assert grid.best_params_["hidden"] in (4, 8)
    pipe = Pipeline([("scale", FunctionTransformer(lambda a: a * 2.0)), ("clf", SequenceClassifier("lstm", **TINY))]).fit(X, y)
    assert pipe.predict(X).shape == (24,)


# ---------------------------------------------------------------------------- readers
def test_readers(tmp_path):
    pd.DataFrame({"review": ["good film", "bad film", "great", "awful"], "label": ["p", "n", "p", "n"]}).to_csv(tmp_path / "t.csv", index=False)
    X, y = read_labeled(tmp_path / "t.csv", "label")
    assert X == ["good film", "bad film", "great", "awful"] and y.tolist() == ["p", "n", "p", "n"]
    (tmp_path / "t.jsonl").write_text('{"text": "yes yes", "y": 1}\n{"text": "no no", "y": 0}\n')
    X, y = read_labeled(tmp_path / "t.jsonl", "y")
    assert X == ["yes yes", "no no"] and y.tolist() == [1, 0]
    for cls in ("cats", "dogs"):
        (tmp_path / "docs" / cls).mkdir(parents=True)
        for i in range(2):
            (tmp_path / "docs" / cls / f"{i}.txt").write_text(f"{cls} text {i}", encoding="utf-8")
    X, y = read_labeled(tmp_path / "docs")
    assert len(X) == 4 and sorted(set(y)) == ["cats", "dogs"]
    long = pd.DataFrame({"id": ["b", "b", "b", "a", "a"], "t": [2, 0, 1, 1, 0], "v": [3.0, 1.0, 2.0, 5.0, 4.0],
                         "w": [0.0, 0.0, 0.0, 1.0, 1.0], "cls": ["x", "x", "x", "y", "y"]})
    long.to_csv(tmp_path / "long.csv", index=False)
    X, y = read_labeled(tmp_path / "long.csv", "cls", id="id", time="t")
    assert [x.tolist() for x in X] == [[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], [[4.0, 5.0], [1.0, 1.0]]] and y.tolist() == ["x", "y"]
    kind, seqs = as_sequences(X)
    assert kind == "numeric" and seqs[0].shape == (3, 2)
    # the UCR archive's CSV layout: one case per row, one time point per column, empty cells padding the end
    pd.DataFrame({"cls": ["x", "y"], "t0": [1.0, 4.0], "t1": [2.0, 5.0], "t2": [3.0, np.nan]}).to_csv(tmp_path / "wide.csv", index=False)
    X, y = read_labeled(tmp_path / "wide.csv", "cls")
    kind, seqs = as_sequences(X)
    assert kind == "numeric" and [q[:, 0].tolist() for q in seqs] == [[1.0, 2.0, 3.0], [4.0, 5.0]] and y.tolist() == ["x", "y"]
    X, y = read_labeled(tmp_path / "wide.csv", "cls", need_labels=False, values=["t0", "t1"])
    assert [x[0].tolist() for x in X] == [[1.0, 2.0], [4.0, 5.0]]
    with pytest.raises(LstmkitError, match="no column 'nope' for --values"):
        read_labeled(tmp_path / "wide.csv", "cls", values=["nope"])
    # a saved pandas index or an id column names the cases; it is not a time point
    pd.DataFrame({"id": ["a", "b"], "cls": ["x", "y"], "t0": [1.0, 4.0], "t1": [2.0, 5.0]}).to_csv(tmp_path / "wide.csv")
    X, y, names = read_labeled(tmp_path / "wide.csv", "cls", with_ids=True)
    assert [x[0].tolist() for x in X] == [[1.0, 2.0], [4.0, 5.0]] and names == ["a", "b"]
    # a long table without --id is refused, not read as a wide one; a text column keeps a table of texts
    pd.DataFrame({"id": [1, 1, 2, 2], "t": [0, 1, 0, 1], "v": [1.0, 2, 3, 4], "cls": ["x", "x", "y", "y"]}).to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(LstmkitError, match="'id' repeats, so the table looks like long format.*pass --id id"):
        read_labeled(tmp_path / "w.csv", "cls")
    with pytest.raises(LstmkitError, match="pass --id COL naming the sequences too"):
        read_labeled(tmp_path / "w.csv", "cls", time="t")
    pd.DataFrame({"name": ["red apple", "green pear"], "price": [1.0, 2.0], "qty": [3.0, 4.0], "cls": ["x", "y"]}).to_csv(tmp_path / "w.csv", index=False)
    assert read_labeled(tmp_path / "w.csv", "cls")[0] == ["red apple", "green pear"]
    pd.DataFrame({"sample_id": [101, 102], "t0": [1.0, 2.0], "t1": [3.0, 4.0], "cls": ["x", "y"]}).to_csv(tmp_path / "w.csv", index=False)
    X, _, names = read_labeled(tmp_path / "w.csv", "cls", with_ids=True)
    assert [x[0].tolist() for x in X] == [[1.0, 3.0], [2.0, 4.0]] and names == [101, 102]
    # times written as day-first dates order by the date, not by the text ("02/02" after "13/01")
    long["t"] = ["02/02/2020", "13/01/2020", "20/01/2020", "05/01/2020", "04/01/2020"]
    long.to_csv(tmp_path / "long.csv", index=False)
    X, _ = read_labeled(tmp_path / "long.csv", "cls", id="id", time="t")
    assert [x[0].tolist() for x in X] == [[1.0, 2.0, 3.0], [4.0, 5.0]]


def test_reads_ucr_ts_files():
    aeon = pytest.importorskip("aeon")
    path = Path(aeon.__file__).parent / "datasets" / "data" / "UnitTest" / "UnitTest_TRAIN.ts"
    X, y = read_labeled(path)
    assert np.asarray(X).shape == (20, 1, 24) and len(y) == 20


def test_trailing_nan_is_padding_interior_nan_is_refused():
    a = np.array([[[1.0, 2.0, np.nan]], [[1.0, 2.0, 3.0]]])
    kind, seqs = as_sequences(a)
    assert [len(s) for s in seqs] == [2, 3]
    with pytest.raises(LstmkitError, match=r"X\[0\] has a missing or infinite value at time point 1"):
        as_sequences(np.array([[[1.0, np.nan, 3.0]]]))


def test_batches_pad_only_to_the_batch():
    cases = [np.ones((n, 1), np.float32) for n in (2, 5, 3)]
    data = SequenceBatches(cases, np.array([0, 1, 0]), batch_size=2, shuffle=False)
    batches = [b for _, b in data.batches(0)]
    assert [tuple(b.x.shape) for b in batches] == [(2, 5, 1), (1, 3, 1)] and batches[0].lengths.tolist() == [2, 5]


# ---------------------------------------------------------------------------- bad input (API)
@pytest.mark.parametrize("X,y,message", [
    (np.zeros((4, 1, 5)), ["a"] * 4, "at least 2 classes"),
    (np.zeros((4, 1, 5)), ["a", "b"], "2 labels for 4 cases"),
    ([np.zeros((1, 5)), np.zeros((2, 5))], ["a", "b"], "X[1] has 2 channels where case 0 has 1"),
    (["text", np.zeros(3)], ["a", "b"], "mixes texts and numbers"),
    (["fine", "  "], ["a", "b"], "X[1] is an empty text"),
    ([], [], "holds no sequences"),
])
def test_bad_input_api(X, y, message):
    with pytest.raises(LstmkitError) as e:
        SequenceClassifier(**TINY).fit(X, y)
    assert message in str(e.value)


def test_bad_params_and_unfitted():
    X, y = waves(10)
    for kw, msg in (({"model": "rnn9"}, "unknown model"), ({"val_fraction": 0.95}, "--val-fraction"), ({"steps": 5, "epochs": 2}, "only one budget"),
                    ({"class_weight": "heavy"}, "balanced"), ({"pool": 0}, "--pool 0"), ({"pool": "half"}, "--pool 'half'"),
                    ({"derivatives": "yes"}, "unknown --derivatives 'yes'"), ({"derivatives": True}, "unknown --derivatives True"),
                    ({"pool_extremes": "max"}, "unknown --pool-extremes 'max'"), ({"unknown": "skip"}, "unknown --unknown 'skip'"),
                    ({"weight_decay": -0.1}, r"--weight-decay -0.1 must be auto, or a number from 0 to under 1 / lr \(1000\)"),
                    ({"weight_decay": "strong"}, "--weight-decay .strong. must be auto"),
                    ({"weight_decay": 2000.0}, "--weight-decay 2000.0"), ({"layers": 0}, "--layers 0 must be a whole number from 1 to 64"),
                    ({"hidden": 20000}, "--hidden 20000 must be"), ({"dropout": 1.0}, "--dropout 1.0 must be a number from 0 to 0.999"),
                    ({"dropout": -0.1}, "--dropout -0.1")):
        with pytest.raises(LstmkitError, match=msg):
            SequenceClassifier(**kw).fit(X, y)
    with pytest.raises(LstmkitError, match="not fitted"):
        SequenceClassifier().predict(X)
    clf = SequenceClassifier("lstm", **TINY).fit(X, y)
    with pytest.raises(LstmkitError, match="trained on 1"):
        clf.predict(np.zeros((2, 3, 30)))
    with pytest.raises(LstmkitError, match="classifies numeric sequences, not texts"):
        clf.predict(["a text"])


# ---------------------------------------------------------------------------- the CLI end to end
@pytest.fixture
def wave_csv(tmp_path):
    X, y = waves(30, T=20, ragged=True)
    rows = [pd.DataFrame({"case": f"c{i}", "t": np.arange(x.shape[1]), "v": x[0], "label": y[i]}) for i, x in enumerate(X)]
    p = tmp_path / "waves.csv"
    pd.concat(rows).to_csv(p, index=False)
    return p


def test_cli_train_predict_evaluate_info(tmp_path, run_cli, wave_csv):
    out = tmp_path / "m"
    code, stdout, err = run_cli("classify", "train", wave_csv, "--label", "label", "--id", "case", "--time", "t", "--out", out,
                                "--model", "lstm", "--hidden", "8", "--steps", "60", "--ensemble", "2", "--derivatives", "off", "-q")
    assert code == 0, err
    assert "x 1 channels," in err  # the channels alone, as asked
    assert "validation accuracy" in stdout and "plan: lstm" in err and "model saved" in err
    code, stdout, err = run_cli("classify", "predict", out, wave_csv)
    assert code == 0, err
    pred = pd.read_csv(__import__("io").StringIO(stdout))
    assert list(pred.columns) == ["case", "label", "p_fast", "p_slow"] and len(pred) == 30
    code, stdout, err = run_cli("classify", "evaluate", out, wave_csv, "--plot", tmp_path / "cm.png")
    assert code == 0, err
    assert stdout.startswith("accuracy ") and "true \\ predicted" in stdout and (tmp_path / "cm.png").stat().st_size > 1000
    code, stdout, err = run_cli("classify", "evaluate", out, wave_csv, "--json")
    r = json.loads(stdout)
    assert r["cases"] == 30 and np.asarray(r["confusion"]).sum() == 30
    code, stdout, err = run_cli("info", out)
    assert code == 0 and "classify" in stdout and "lstm" in stdout and "window slicing" not in stdout
    code, _, err = run_cli("classify", "train", wave_csv, "--label", "label", "--id", "case", "--time", "t", "--out", tmp_path / "sliced",
                           "--model", "lstm", "--hidden", "8", "--steps", "5", "--ensemble", "2", "--slicing", "on", "-q")
    assert code == 0 and "(trained on random windows of 90% of each case, predicted from the mean of 5)" in err
    assert json.loads(run_cli("info", tmp_path / "sliced", "--json")[1])["net"]["crop"] == 0.9
    assert run_cli("info", tmp_path / "sliced")[0] == 0
    code, stdout, err = run_cli("models")
    assert code == 0 and all(name in stdout for name in ARCHS)
    code, stdout, err = run_cli("models", "--json")
    listed = json.loads(stdout)
    assert set(ARCHS) < {m["name"] for m in listed} and [m["name"] for m in listed if m["default"]] == [lstmkit.SequenceClassifier().model]


def test_cli_wide_table(tmp_path, run_cli):
    # one case per row, one time point per column, no --id: read as numeric cases, not refused as texts
    X, y = waves(30, T=20)
    p = tmp_path / "wide.csv"
    frame = pd.DataFrame(np.asarray(X)[:, 0, :], columns=[f"t{i}" for i in range(20)])
    frame.insert(0, "label", y)
    frame.to_csv(p, index=False)
    code, stdout, err = run_cli("classify", "train", p, "--label", "label", "--out", tmp_path / "m", "--model", "lstm", "--hidden", "8",
                                "--steps", "30", "--ensemble", "2", "-q")
    assert code == 0, err
    assert "30 sequences of 20-20 steps x 1 channels" in err
    frame.drop(columns="label").to_csv(p, index=False)
    code, stdout, err = run_cli("classify", "predict", tmp_path / "m", p)
    assert code == 0, err
    assert len(pd.read_csv(__import__("io").StringIO(stdout))) == 30


def test_cli_weight_decay(tmp_path, run_cli, wave_csv):
    base = ["classify", "train", wave_csv, "--label", "label", "--id", "case", "--time", "t", "--model", "lstm", "--hidden", "8",
            "--steps", "20", "--ensemble", "2", "-q"]
    code, stdout, err = run_cli(*base, "--out", tmp_path / "m", "--weight-decay", "0.1")
    assert code == 0, err
    assert "; AdamW, weight decay 0.1" in err
    code, stdout, err = run_cli("info", tmp_path / "m")
    assert code == 0 and "AdamW weight decay 0.1" in stdout
    code, stdout, err = run_cli(*base, "--out", tmp_path / "n")  # auto: 20 steps are 5 passes, too few for the decay
    assert code == 0 and "AdamW" not in err, err
    code, stdout, err = run_cli(*base, "--out", tmp_path / "o", "--weight-decay", "strong")
    assert code == 2 and "--weight-decay 'strong' must be auto, or a number" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_cli_pool_extremes_on(tmp_path, run_cli, wave_csv):
    out = tmp_path / "m"
    code, stdout, err = run_cli("classify", "train", wave_csv, "--label", "label", "--id", "case", "--time", "t", "--out", out,
                                "--model", "lstm", "--hidden", "8", "--steps", "20", "--ensemble", "2", "--pool", "2", "--pool-extremes", "on", "-q")
    assert code == 0, err
    assert "each 2 time points averaged into one, with their maximum and minimum, from 10-20" in err
    assert lstmkit.load(out).net_.config.inputs == 6  # the value and its difference, each as mean, maximum, minimum
    code, stdout, err = run_cli("classify", "predict", out, wave_csv)
    assert code == 0 and len(pd.read_csv(__import__("io").StringIO(stdout))) == 30, err


def test_cli_text_folder_and_echo_demo(tmp_path, run_cli):
    for cls, words in (("happy", "sun joy smile"), ("sad", "rain tears gloom")):
        (tmp_path / "docs" / cls).mkdir(parents=True)
        for i in range(6):
            (tmp_path / "docs" / cls / f"{i}.txt").write_text(f"{words} {i}", encoding="utf-8")
    code, stdout, err = run_cli("classify", "train", tmp_path / "docs", "--out", tmp_path / "t", "--model", "lstm", "--hidden", "8",
                                "--steps", "40", "--ensemble", "2", "--no-early-stopping", "-q")
    assert code == 0, err
    assert "on every case (no early stopping)" in err
    assert lstmkit.load(tmp_path / "t").get_params()["early_stopping"] is False  # saved with the model
    code, stdout, err = run_cli("classify", "train", "--demo", "echo", "--out", tmp_path / "e", "--model", "lstm", "--hidden", "8",
                                "--steps", "20", "--ensemble", "1", "-q")
    assert code == 0, err
    assert "10 classes" in err


@pytest.mark.parametrize("args,message", [
    (["--label", "nope", "--id", "case"], "no column 'nope' for --label"),
    (["--label", "label", "--id", "case", "--model", "rnn9"], "unknown model 'rnn9'"),
    (["--label", "label", "--id", "case", "--val-fraction", "2"], "--val-fraction 2.0 is out of range"),
    (["--label", "label", "--id", "case", "--values", "zz"], "no column 'zz' for --values"),
    (["--label", "t", "--id", "case"], "labels in 't' (0, 1, 2); each sequence needs exactly one"),
    (["--label", "label", "--id", "case", "--shuffle", "on"], "--shuffle on needs cases of one length, and these have 10-20 time points"),
    (["--label", "label", "--id", "case", "--shuffle", "sideways"], "unknown --shuffle 'sideways'"),
    (["--label", "label", "--id", "case", "--pool", "two"], "--pool 'two': pass auto, or a whole number"),
    (["--label", "label", "--id", "case", "--derivatives", "yes"], "unknown --derivatives 'yes'; pass one of auto, on, off"),
    (["--label", "label", "--id", "case", "--pool-extremes", "max"], "unknown --pool-extremes 'max'; pass one of off, on"),
])
def test_cli_bad_input_one_line(tmp_path, run_cli, wave_csv, args, message):
    code, stdout, err = run_cli("classify", "train", wave_csv, "--out", tmp_path / "m", "--steps", "5", "-q", *args)
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cli_unknown_characters_one_line_or_dropped(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    pd.DataFrame({"seq": ["".join(rng.choice(list("AC" if i % 2 else "GT"), 12)) for i in range(20)],
                  "label": [i % 2 for i in range(20)]}).to_csv(tmp_path / "dna.csv", index=False)
    pd.DataFrame({"seq": ["ACCA", "GTNG"], "label": [1, 0]}).to_csv(tmp_path / "new.csv", index=False)
    code, _, err = run_cli("classify", "train", tmp_path / "dna.csv", "--label", "label", "--out", tmp_path / "m", "--model", "lstm",
                           "--hidden", "8", "--steps", "5", "--ensemble", "1", "-q")
    assert code == 0, err
    for cmd in ("predict", "evaluate"):
        code, _, err = run_cli("classify", cmd, tmp_path / "m", tmp_path / "new.csv")
        assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert "case 1 holds characters this model never saw in training: 'N'" in err
        code, out, err = run_cli("classify", cmd, tmp_path / "m", tmp_path / "new.csv", "--unknown", "drop")
        assert code == 0 and ("accuracy" in out if cmd == "evaluate" else len(pd.read_csv(io.StringIO(out))) == 2), err
    code, _, err = run_cli("classify", "predict", tmp_path / "m", tmp_path / "new.csv", "--unknown", "skip")
    assert code == 2 and "unknown --unknown 'skip'; pass one of error, drop" in err


def test_cli_other_task_and_missing_file(tmp_path, run_cli):
    fc = lstmkit.Forecaster(horizon=3, hidden=4, ensemble=1, steps=5).fit(np.arange(40.0) + 1)
    fc.save(tmp_path / "f")
    for args, message in ((["classify", "predict", tmp_path / "f", tmp_path / "f"], "not a classifier"),
                          (["classify", "train", tmp_path / "none.csv", "--out", tmp_path / "m", "--label", "y"], "does not exist"),
                          (["classify", "train", "--demo", "dance", "--out", tmp_path / "m"], "unknown demo 'dance'")):
        code, stdout, err = run_cli(*args)
        assert code == 2 and message in err and "Traceback" not in err, err
