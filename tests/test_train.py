
import numpy as np
import pytest
import torch

from lstmkit import (
    LstmkitError,
    NetConfig,
    RecurrentLM,
    StreamBatches,
    TokenBatch,
    TrainConfig,
    Trainer,
)
from lstmkit.train import TrainState, lr_factor
from lstmkit.train_recovery import on_plateau


class OneBatch:
    """A dataset that repeats one batch: the network must memorise it."""

    stateful, batch_size, steps_per_epoch, symbols_per_step = False, 4, 1, 4 * 16

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.batch = TokenBatch(torch.randint(0, 12, (4, 16), generator=g), torch.randint(0, 12, (4, 16), generator=g))

    def batches(self, epoch=0, start=0):
        for i in range(start, 1):
            yield i, self.batch


def test_overfit_one_batch():
    torch.manual_seed(0)
    net = RecurrentLM(NetConfig(vocab_size=12, hidden=64, layers=1, embed=16))
    data = OneBatch()
    t = Trainer(net, data, data, TrainConfig(steps=150, lr=1e-2, evals=1, schedule="constant", warmup=0)).fit()
    assert t.last_step["loss"] < 0.1
    assert t.last_eval["val_acc"] == 1.0


def _net(seed=0):
    torch.manual_seed(seed)
    return RecurrentLM(NetConfig(vocab_size=20, hidden=16, layers=2, embed=8, dropout=0.1))


def _stream(seed=0):
    rng = np.random.default_rng(0)
    return StreamBatches(rng.integers(0, 20, 4000), batch_size=4, bptt=16, seed=seed)


def test_same_seed_same_model():
    a = Trainer(_net(), _stream(), None, TrainConfig(steps=20, seed=7)).fit().model
    b = Trainer(_net(), _stream(), None, TrainConfig(steps=20, seed=7)).fit().model
    for (k, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), k
    c = Trainer(_net(), _stream(), None, TrainConfig(steps=20, seed=8)).fit().model
    assert not torch.equal(a.head.weight, c.head.weight)


def test_resume_continues_exactly():
    """20 steps straight == 12 steps, save, fresh objects, resume 8 more (optimizer, schedule, data, RNG, state)."""
    cfg = TrainConfig(steps=20, seed=3, eval_every=0, evals=1)
    straight = Trainer(_net(), _stream(), None, cfg).fit()

    first = Trainer(_net(), _stream(), None, cfg)
    first.add_callback("on_step", lambda t: t._stop_signal is None and t.state.step == 12 and setattr(t, "_stop_signal", "TEST"))
    first.fit()
    assert first.state.step == 12
    tensors, meta = first.resume_payload()
    weights = {k: v.clone() for k, v in first.model.state_dict().items()}

    second = Trainer(_net(seed=99), _stream(), None, cfg)
    second.model.load_state_dict(weights)
    second.load_resume_payload(tensors, meta)
    second.fit()
    assert second.state.step == 20
    for (k, x), (_, y) in zip(straight.model.state_dict().items(), second.model.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=k)


def test_schedule_shape():
    cfg = TrainConfig(steps=10, warmup=0.1, min_lr_ratio=0.1)
    assert lr_factor(cfg, 0.05) == pytest.approx(0.5)
    assert lr_factor(cfg, 0.1) == pytest.approx(1.0)
    assert lr_factor(cfg, 1.0) == pytest.approx(0.1)
    assert lr_factor(TrainConfig(schedule="constant", warmup=0), 0.7) == 1.0


def test_minutes_budget_ends_on_time():
    import time
    t0 = time.perf_counter()
    t = Trainer(_net(), _stream(), None, TrainConfig(minutes=0.03, evals=2)).fit()
    took = time.perf_counter() - t0
    assert t.stop_reason == "budget" and 1.5 < took < 4.0


def test_early_stopping():
    data = _stream()
    t = Trainer(_net(), data, data, TrainConfig(steps=400, lr=1e-12, eval_every=2, patience=2, min_lr_ratio=1.0,
                                              schedule="constant", warmup=0)).fit()
    assert t.stop_reason == "early stop" and t.state.step < 400


@pytest.mark.parametrize("kwargs, msg", [
    (dict(steps=10, minutes=1), "only one budget"),
    (dict(optimizer="lbfgs"), "unknown optimizer"),
    (dict(steps=-1), "positive"),
    (dict(lr=0), "--lr"),
])
def test_config_validation(kwargs, msg):
    with pytest.raises(LstmkitError, match=msg):
        TrainConfig(**kwargs)


def test_config_round_trip():
    c = TrainConfig(minutes=2, optimizer="rmsprop", lr=1e-3)
    assert TrainConfig.from_dict(c.to_dict()) == c


def test_a_plateau_anneals_back_to_the_best_weights_then_stops():
    """patience 2, anneal 2: two plateaus each go back to the best weights at a quarter of the rate,
    the third stops the run. Validation losses are scripted so that the plateaus fall where expected."""
    data = _stream()
    t = Trainer(_net(), data, data, TrainConfig(steps=400, lr=1e-2, eval_every=2, patience=2, anneal=2,
                                              schedule="constant", warmup=0))
    losses = iter([3.0, 2.0, 2.5, 2.6, 2.7, 1.9, 2.8, 2.9, 3.0, 3.1, 3.2])  # the last: the final evaluation
    t.evaluate = lambda: {"loss": next(losses)}
    best, seen = {}, []

    def on_eval(tr):
        if tr.is_best:
            best["w"] = {k: v.clone() for k, v in tr.model.state_dict().items()}

    def on_anneal(tr):
        seen.append((tr.state.step, tr.state.lr_scale))
        assert all(torch.equal(v, best["w"][k]) for k, v in tr.model.state_dict().items())

    t.add_callback("on_eval", on_eval)
    t.add_callback("on_anneal", on_anneal)
    t.fit()
    # evals at steps 2,4,...: best at 4 (2.0); plateau at 8 -> anneal; best at 12 (1.9); plateau at 16 -> anneal;
    # plateau at 20 -> stop
    assert seen == [(8, 0.25), (16, 0.0625)]
    assert t.stop_reason == "early stop" and t.state.step == 20 and t.state.anneals == 2
    assert t.last_step["lr"] == pytest.approx(1e-2 * 0.0625)
    assert not t.state.diverged  # annealing is not a divergence: a later one may still be rolled back once
    assert t.state.evals_done == 10  # the early stop's evaluation is the last: no second one of the same weights


def test_annealing_resumes_with_its_best_weights():
    """A plateau after ``--resume`` goes back to the best weights of before the resume."""
    data = _stream()
    cfg = TrainConfig(steps=6, lr=1e-2, eval_every=2, patience=3, anneal=2, schedule="constant", warmup=0)
    t = Trainer(_net(), data, data, cfg)
    losses = iter([2.0, 2.5, 2.6])
    t.evaluate = lambda: {"loss": next(losses)}
    t.fit()  # best at step 2, then two worse evaluations
    tensors, meta = t.resume_payload()
    u = Trainer(_net(seed=1), _stream(), _stream(), cfg)
    u.model.load_state_dict(t.model.state_dict())
    u.load_resume_payload(tensors, meta)
    assert u.state == t.state and u.state.bad_evals == 2
    assert not on_plateau(u)
    assert all(torch.equal(v, t._best["model"][k]) for k, v in u.model.state_dict().items())
    assert not all(torch.equal(v, t.model.state_dict()[k]) for k, v in u.model.state_dict().items())
    assert u.state.lr_scale == 0.25 and u.state.anneals == 1


def test_an_old_checkpoint_keeps_its_one_rollback():
    """Saved before annealing: a lowered rate meant a rollback, so the next divergence stops the run."""
    assert TrainState.from_dict({"step": 5, "lr_scale": 0.1}).diverged
    assert not TrainState.from_dict({"step": 5}).diverged
    assert not TrainState.from_dict({"step": 5, "lr_scale": 0.25, "anneals": 1}).diverged


def test_replan_spreads_evaluations_over_the_rest_and_rises_the_rate():
    """A run planned for 40 steps, resumed for 100: the rate follows the 100-step schedule from step
    40, the 4 evaluations spread over steps 40-100, and the first ones after the rise are not a plateau."""
    first = Trainer(_net(), _stream(), _stream(), TrainConfig(steps=40, evals=4, lr=1e-2)).fit()
    tensors, meta = first.resume_payload()
    cfg = TrainConfig(steps=100, evals=4, lr=1e-2, patience=2)
    t = Trainer(_net(), _stream(), _stream(), cfg)
    t.load_resume_payload(tensors, meta)
    assert t.remaining() == pytest.approx(0.6)
    info = t.replan()
    assert info["from_progress"] == pytest.approx(0.4) and info["budget"] == {"steps": 100}
    assert info["lr"] == pytest.approx(1e-2 * lr_factor(cfg, 0.4)) and info["lr"] > 5 * first.last_eval["lr"]
    losses = iter([9.0, 9.0, 0.1, 0.2])  # two worse than the best (the rise), then a new best
    t.evaluate = lambda: {"loss": next(losses)}
    steps = []
    t.add_callback("on_eval", lambda tr: steps.append(tr.state.step))
    t.fit()
    assert steps == [55, 70, 85, 100] and t.stop_reason == "budget" and t.state.plans == 1


# ---------------------------------------------------------------------------- the moving average of the weights
def test_average_is_the_ramped_ema_of_the_trained_weights_and_is_what_is_scored():
    """After fit the model holds the moving average of every step's weights (decay ramped by
    (1 + n) / (10 + n) up to ``average``); the final evaluation scored exactly those weights."""
    data = _stream()
    trained = []
    t = Trainer(_net(), data, data, TrainConfig(steps=30, seed=1, evals=1, average=0.9, precision="fp32"))  # the check below runs fp32
    start = [v.clone() for k, v in t.model.state_dict().items() if v.is_floating_point()]
    names = [k for k, v in t.model.state_dict().items() if v.is_floating_point()]
    t.add_callback("on_step", lambda tr: trained.append({k: v.clone() for k, v in tr.model.state_dict().items()}))
    t.fit()
    ema = start
    for n, w in enumerate(trained):  # the update after step n + 1 sees the step count n before bookkeeping
        d = min(0.9, (1 + n) / (10 + n))
        ema = [a * d + w[k] * (1 - d) for a, k in zip(ema, names)]
    final = t.model.state_dict()
    for k, a in zip(names, ema):
        torch.testing.assert_close(final[k], a, rtol=1e-5, atol=1e-6, msg=k)
    assert not torch.allclose(final["head.weight"], trained[-1]["head.weight"])  # the average is not the last step
    from lstmkit.train import evaluate_loss
    assert t.last_eval["val_loss"] == pytest.approx(evaluate_loss(t.model, data)["loss"], rel=1e-6)


def test_average_off_leaves_the_trained_weights():
    seen = []
    t = Trainer(_net(), _stream(), None, TrainConfig(steps=10, seed=1))
    t.add_callback("on_step", lambda tr: seen.append(tr.model.head.weight.clone()))
    t.fit()
    assert torch.equal(t.model.head.weight, seen[-1])


def test_resume_with_average_continues_exactly():
    """The checkpoint's weights are the average; the payload carries the trained weights: 20 straight == 12 + 8."""
    cfg = TrainConfig(steps=20, seed=3, evals=1, average=0.8)
    straight = Trainer(_net(), _stream(), None, cfg).fit()

    first = Trainer(_net(), _stream(), None, cfg)
    saved = {}
    first.add_callback("on_step", lambda t: t._stop_signal is None and t.state.step == 12 and setattr(t, "_stop_signal", "TEST"))
    first.add_callback("on_checkpoint", lambda t: saved.update(weights={k: v.clone() for k, v in t.model.state_dict().items()},
                                                              payload=t.resume_payload()))
    first.fit()
    tensors, meta = saved["payload"]
    assert any(k.startswith("trained.") for k in tensors)
    assert torch.equal(saved["weights"]["head.weight"], first.model.head.weight)  # saved what it ends with: the average
    assert not torch.equal(tensors["trained.head.weight"], first.model.head.weight)

    second = Trainer(_net(seed=99), _stream(), None, cfg)
    second.model.load_state_dict(saved["weights"])
    second.load_resume_payload(tensors, meta)
    second.fit()
    for (k, x), (_, y) in zip(straight.model.state_dict().items(), second.model.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=k)


def test_average_out_of_range():
    with pytest.raises(LstmkitError, match="--average 1.0 is out of range"):
        TrainConfig(average=1.0)
