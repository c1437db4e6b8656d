"""Golden numbers: our network and our NumPy step against the LSTM/GRU equations written out here."""
import numpy as np
import pytest
import torch

from lstmkit import NetConfig, RecurrentLM, StepModel, TokenBatch


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_lstm(net: RecurrentLM, tokens: np.ndarray) -> np.ndarray:
    """The LSTM equations (Hochreiter & Schmidhuber, with a forget gate) in float64, one step at a time."""
    p = {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
    H, L = net.config.hidden, net.config.layers
    h = np.zeros((L, H)); c = np.zeros((L, H))
    outputs = []
    for t in tokens:
        x = p["embedding.weight"][t] if "embedding.weight" in p else np.eye(net.config.vocab_size)[t]
        for k in range(L):
            W, U = p[f"rnn.weight_ih_l{k}"], p[f"rnn.weight_hh_l{k}"]
            b = p[f"rnn.bias_ih_l{k}"] + p[f"rnn.bias_hh_l{k}"]
            z = W @ x + U @ h[k] + b
            i_g, f_g, g_g, o_g = z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]
            c[k] = sigmoid(f_g) * c[k] + sigmoid(i_g) * np.tanh(g_g)
            h[k] = sigmoid(o_g) * np.tanh(c[k])
            x = h[k]
        outputs.append(p["head.weight"] @ x + p["head.bias"])
    return np.array(outputs)


def reference_gru(net: RecurrentLM, tokens: np.ndarray) -> np.ndarray:
    p = {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
    H, L = net.config.hidden, net.config.layers
    h = np.zeros((L, H))
    outputs = []
    for t in tokens:
        x = p["embedding.weight"][t]
        for k in range(L):
            gi = p[f"rnn.weight_ih_l{k}"] @ x + p[f"rnn.bias_ih_l{k}"]
            gh = p[f"rnn.weight_hh_l{k}"] @ h[k] + p[f"rnn.bias_hh_l{k}"]
            r = sigmoid(gi[:H] + gh[:H]); z = sigmoid(gi[H:2 * H] + gh[H:2 * H])
            n = np.tanh(gi[2 * H:] + r * gh[2 * H:])
            h[k] = (1 - z) * n + z * h[k]
            x = h[k]
        outputs.append(p["head.weight"] @ x + p["head.bias"])
    return np.array(outputs)


@pytest.mark.parametrize("cfg", [
    dict(hidden=16, layers=2, embed=8),
    dict(hidden=12, layers=1, one_hot=True),
    dict(hidden=8, layers=3, embed=8, tie_weights=False),
])
def test_lstm_matches_equations(cfg):
    torch.manual_seed(0)
    net = RecurrentLM(NetConfig(vocab_size=11, **cfg)).eval()
    with torch.no_grad():  # random biases so every term of the equations matters
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    tokens = np.array([1, 5, 3, 10, 0, 7, 7, 2])
    expected = reference_lstm(net, tokens)
    with torch.no_grad():
        logits, _ = net(torch.from_numpy(tokens)[None])
    np.testing.assert_allclose(logits[0].numpy(), expected, rtol=1e-4, atol=1e-5)
    # The NumPy step used for generation, one symbol at a time.
    sm = StepModel(net); state = sm.init_state(1)
    steps = [sm.step(np.array([t]), state)[0][0] for t in tokens]
    np.testing.assert_allclose(np.array(steps), expected, rtol=1e-4, atol=1e-5)


def test_gru_matches_equations():
    torch.manual_seed(1)
    net = RecurrentLM(NetConfig(vocab_size=9, hidden=10, layers=2, embed=6, cell="gru")).eval()
    tokens = np.array([3, 1, 4, 1, 5, 8, 2])
    expected = reference_gru(net, tokens)
    with torch.no_grad():
        logits, _ = net(torch.from_numpy(tokens)[None])
    np.testing.assert_allclose(logits[0].numpy(), expected, rtol=1e-4, atol=1e-5)
    sm = StepModel(net); state = sm.init_state(1)
    steps = [sm.step(np.array([t]), state)[0][0] for t in tokens]
    np.testing.assert_allclose(np.array(steps), expected, rtol=1e-4, atol=1e-5)


def test_state_carry_equals_one_long_sequence():
    torch.manual_seed(0)
    net = RecurrentLM(NetConfig(vocab_size=7, hidden=8, layers=2, embed=4)).eval()
    x = torch.randint(0, 7, (2, 12))
    with torch.no_grad():
        full, _ = net(x)
        a, st = net(x[:, :5])
        b, _ = net(x[:, 5:], st)
    torch.testing.assert_close(torch.cat([a, b], 1), full)


def test_loss_shapes_many_to_many_and_many_to_one():
    net = RecurrentLM(NetConfig(vocab_size=5, hidden=4, layers=1, embed=3))
    x = torch.randint(0, 5, (3, 6))
    loss, stats, _ = net.loss(TokenBatch(x, torch.randint(0, 5, (3, 6))))
    assert stats["count"] == 18 and loss.ndim == 0
    loss, stats, _ = net.loss(TokenBatch(x, torch.randint(0, 5, (3,))))
    assert stats["count"] == 3


def test_tied_weights_share_storage():
    net = RecurrentLM(NetConfig(vocab_size=20, hidden=16, embed=16, layers=1, tie_weights=True))
    assert net.head.weight is net.embedding.weight


def test_an_ensemble_predicts_the_mean_of_its_members_distributions():
    """Golden: softmax of the ensemble's logits == the mean of each member's own softmax; training scores
    the mean of the members' cross-entropies, evaluation the mixture's; the state carries across chunks."""
    from lstmkit import EnsembleLM, language_model

    torch.manual_seed(0)
    net = language_model(NetConfig(vocab_size=9, hidden=6, layers=2, embed=4, members=3)).eval()
    assert isinstance(net, EnsembleLM) and len(net.members) == 3
    assert isinstance(language_model(NetConfig(vocab_size=9, hidden=6, layers=2, embed=4)), RecurrentLM)
    x = torch.randint(0, 9, (2, 7))
    with torch.no_grad():
        logits, state = net(x)
        want = torch.stack([torch.softmax(m(x)[0], -1) for m in net.members]).mean(0)
        assert torch.allclose(torch.softmax(logits, -1), want, atol=1e-6)
        assert [s.shape for s in state] == [(6, 2, 6), (6, 2, 6)]  # members x layers stacked
        a, s1 = net(x[:, :3])
        b, _ = net(x[:, 3:], s1)
        assert torch.allclose(torch.cat([a, b], 1), logits, atol=1e-6)
        batch = TokenBatch(x[:, :-1], x[:, 1:])
        mixture, _, _ = net.loss(batch)
        assert mixture.item() == pytest.approx(-torch.log(want[:, :-1].gather(-1, x[:, 1:, None])).mean().item(), abs=1e-5)
        net.train()
        torch.manual_seed(1)
        mean, _, _ = net.loss(batch)  # no dropout here: the members' own losses, averaged
        assert mean.item() == pytest.approx(np.mean([m.loss(batch)[0].item() for m in net.members]), abs=1e-6)


def test_the_numpy_step_of_an_ensemble_equals_its_forward():
    from lstmkit import EnsembleLM
    from lstmkit.generate import MixtureStep, step_model

    torch.manual_seed(2)
    net = EnsembleLM(NetConfig(vocab_size=11, hidden=8, layers=1, embed=5, members=2)).eval()
    x = torch.randint(0, 11, (3, 10))
    with torch.no_grad():
        full, _ = net(x)
    sm = step_model(net)
    assert isinstance(sm, MixtureStep)
    state, steps = sm.init_state(3), []
    for t in range(10):
        z, state = sm.step(x[:, t].numpy(), state)
        steps.append(z)
    np.testing.assert_allclose(np.stack(steps, 1), full.numpy(), atol=1e-5)


def test_members_out_of_range_are_refused():
    from lstmkit import LstmkitError

    with pytest.raises(LstmkitError, match="--members 0 is out of range"):
        NetConfig(vocab_size=5, members=0)
