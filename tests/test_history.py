import math
import threading

import pytest

from rnncore import StepEvent
from rnnviz.history import MAX_MARKERS, History

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests


def event(step, loss=1.0, accuracy=None, cost=None):
    return StepEvent(step=step, epoch=step / 10, loss=loss, lr=0.01, grad_norm=1.0, clipped_norm=1.0, tokens=32,
                     tokens_per_sec=1000.0, eval_accuracy=accuracy, eval_cost=cost)


def fill(history, n, eval_every=50):
    for step in range(1, n + 1):
        evaluated = step % eval_every == 0
        history.add(event(step, loss=1 / step, accuracy=step / n if evaluated else None,
                          cost=2 / step if evaluated else None))


def test_keeps_every_point_until_full():
    history = History(max_points=100)
    fill(history, 60, eval_every=10)
    view = history.snapshot()
    assert view.steps == list(range(1, 61))
    assert view.loss == pytest.approx([1 / s for s in range(1, 61)])
    assert view.eval_steps == [10, 20, 30, 40, 50, 60]
    assert view.eval_accuracy == pytest.approx([s / 60 for s in (10, 20, 30, 40, 50, 60)])
    assert view.eval_cost == pytest.approx([2 / s for s in (10, 20, 30, 40, 50, 60)])


def test_memory_stays_bounded_over_100k_steps():
    history = History(max_points=500)
    fill(history, 100_000, eval_every=1)  # eval on every step: that series must stay bounded too
    view = history.snapshot()
    assert 250 <= len(view.steps) <= 500
    assert 250 <= len(view.eval_steps) <= 500
    assert len(view.loss) == len(view.smoothed) == len(view.steps)
    assert len(view.eval_accuracy) == len(view.eval_cost) == len(view.eval_steps)
    assert view.steps[0] < 200 and view.steps[-1] > 99_000  # the whole run is still covered


def test_series_stay_in_step_order_after_merging():
    history = History(max_points=64)
    fill(history, 10_000, eval_every=7)
    view = history.snapshot()
    assert all(a < b for a, b in zip(view.steps, view.steps[1:], strict=False))
    assert all(a < b for a, b in zip(view.eval_steps, view.eval_steps[1:], strict=False))
    assert all(a >= b for a, b in zip(view.smoothed, view.smoothed[1:], strict=False))  # 1/step only falls


def test_merged_points_are_means_of_equal_counts():
    history = History(max_points=4)
    for step in range(1, 9):
        history.add(event(step, loss=float(step)))
    # 8 events into 4 points: stride doubled once (2 events each), then again when full
    view = history.snapshot()
    assert sum(view.loss) / len(view.loss) == pytest.approx(4.5)
    assert view.steps == pytest.approx(view.loss)  # loss == step for every event, so every mean agrees


def test_smoothed_is_debiased_ema():
    history = History()
    for step, loss in enumerate([4.0, 2.0, 2.0], 1):
        history.add(event(step, loss=loss))
    smoothed = history.snapshot().smoothed
    assert smoothed[0] == pytest.approx(4.0)  # debiased: the first point is the first loss, not 0.05 * it
    assert 2.0 < smoothed[2] < smoothed[1] < 4.0


def test_skipped_step_with_nan_loss_is_left_out():
    history = History()
    history.add(event(1, loss=1.0))
    history.add(event(2, loss=math.nan))
    history.add(event(3, loss=0.5))
    assert history.snapshot().steps == [1, 3]
    assert all(math.isfinite(v) for v in history.snapshot().smoothed)


def test_markers_kept_merged_and_capped():
    history = History(max_points=8)
    history.mark(5, "lr 0.05")
    history.mark(5, "sgd")
    history.mark(9, "batch 16")
    assert history.snapshot().markers == [(5, "lr 0.05, sgd"), (9, "batch 16")]
    fill(history, 1000)
    assert history.snapshot().markers[0] == (5, "lr 0.05, sgd")  # downsampling the curves leaves markers alone
    for step in range(10, 10 + 2 * MAX_MARKERS):
        history.mark(step, "x")
    assert len(history.snapshot().markers) == MAX_MARKERS
    assert history.snapshot().markers[-1][0] == 9 + 2 * MAX_MARKERS


def test_clear_empties_everything_and_changes_version():
    history = History()
    fill(history, 100)
    history.mark(3, "lr 1")
    before = history.snapshot().version
    history.clear()
    view = history.snapshot()
    assert view.steps == view.loss == view.eval_steps == view.markers == []
    assert view.version != before
    history.add(event(1, loss=3.0))
    assert history.snapshot().smoothed == pytest.approx([3.0])  # the EMA restarted too


def test_bad_max_points():
    with pytest.raises(ValueError, match="max_points"):
        History(max_points=1)


def test_snapshot_is_consistent_while_another_thread_adds():
    history = History(max_points=32)
    done = threading.Event()

    def writer():
        fill(history, 20_000, eval_every=3)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    while not done.is_set():
        view = history.snapshot()
        assert len(view.steps) == len(view.loss) == len(view.smoothed) <= 32
        assert len(view.eval_steps) == len(view.eval_accuracy) == len(view.eval_cost) <= 32
    thread.join()
