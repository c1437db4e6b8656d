import numpy as np
import pytest

from lstmkit import LstmkitError, StreamBatches, WindowBatches


def test_stream_rows_continue_across_batches():
    tokens = np.arange(1000)
    data = StreamBatches(tokens, batch_size=4, bptt=10, seed=3)
    batches = [b for _, b in data.batches(epoch=0)]
    assert len(batches) == data.steps_per_epoch
    first, second = batches[0], batches[1]
    # Row r of batch k+1 continues row r of batch k: the carried state sees one contiguous stream.
    assert (second.x[:, 0] == first.x[:, -1] + 1).all()
    assert (first.y == first.x + 1).all()
    assert first.x.shape == (4, 10)


def test_stream_resume_position_gives_same_batches():
    data = StreamBatches(np.arange(5000), batch_size=3, bptt=7, seed=1)
    full = [b.x for _, b in data.batches(2)]
    tail = [b.x for _, b in data.batches(2, start=5)]
    assert all((a == b).all() for a, b in zip(full[5:], tail))


def test_stream_too_short_is_an_error():
    with pytest.raises(LstmkitError, match="fewer than one batch"):
        StreamBatches(np.arange(100), batch_size=32, bptt=128)


def test_windows_are_views_not_copies():
    tokens = np.arange(10_000)
    data = WindowBatches(tokens, window=100, stride=3, batch_size=16, seed=0)
    assert np.shares_memory(data.views, tokens)
    assert data.views.shape == ((10_000 - 101) // 3 + 1, 101)
    _, b = next(data.batches(0))
    assert b.x.shape == (16, 100) and b.y.shape == (16,)
    assert (b.y == b.x[:, -1] + 1).all()


def test_windows_shuffle_is_seeded():
    d = WindowBatches(np.arange(2000), window=10, batch_size=8, seed=5)
    a = next(d.batches(0))[1].x
    b = next(d.batches(0))[1].x
    c = next(d.batches(1))[1].x
    assert (a == b).all() and not (a == c).all()


def test_unshuffled_windows_cover_every_window_once():
    # evaluation order: every window exactly once, the short last batch included
    d = WindowBatches(np.arange(100), window=10, stride=1, batch_size=16, shuffle=False)
    ys = np.concatenate([b.y.numpy() for _, b in d.batches(0)])
    assert len(d.views) == 90 and d.steps_per_epoch == 5
    assert (ys == np.arange(10, 100)).all()
