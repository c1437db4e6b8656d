"""Sampling: the drawn frequencies match softmax(logits / T); top-k and top-p restrict the support."""
import numpy as np
import pytest

from lstmkit import LstmkitError, SamplingConfig
from lstmkit.generate import _StopFilter, sample

LOGITS = np.log(np.array([[0.5, 0.25, 0.15, 0.07, 0.03]], dtype=np.float32))


def frequencies(cfg, n=40_000, seed=0):
    rng = np.random.default_rng(seed)
    batch = np.repeat(LOGITS, n, axis=0)
    return np.bincount(sample(batch, cfg, rng), minlength=5) / n


def test_plain_sampling_matches_softmax():
    np.testing.assert_allclose(frequencies(SamplingConfig()), [0.5, 0.25, 0.15, 0.07, 0.03], atol=0.01)


def test_temperature_sharpens():
    p = np.exp(LOGITS[0] / 0.5)
    np.testing.assert_allclose(frequencies(SamplingConfig(temperature=0.5)), p / p.sum(), atol=0.01)


def test_top_k_and_top_p_restrict_support():
    f = frequencies(SamplingConfig(top_k=2))
    assert f[2:].sum() == 0 and f[0] == pytest.approx(2 / 3, abs=0.01)
    f = frequencies(SamplingConfig(top_p=0.7))  # 0.5 + 0.25 reaches 0.7
    assert f[2:].sum() == 0 and f[0] == pytest.approx(2 / 3, abs=0.01)


def test_greedy_and_one_row_agree_with_batch():
    assert sample(LOGITS, SamplingConfig(greedy=True), np.random.default_rng(0)).tolist() == [0]
    one = [int(sample(LOGITS, SamplingConfig(), np.random.default_rng(s))[0]) for s in range(50)]
    assert len(set(one)) > 1


@pytest.mark.parametrize("kwargs", [dict(temperature=0), dict(top_k=-1), dict(top_p=0), dict(top_p=1.5)])
def test_bad_sampling_settings(kwargs):
    with pytest.raises(LstmkitError):
        SamplingConfig(**kwargs)


def test_stop_filter_holds_back_partial_matches():
    f = _StopFilter("THE END")
    out = f.push("and so THE") + f.push(" EN") + f.push("D after")
    assert out == "and so " and f.done
