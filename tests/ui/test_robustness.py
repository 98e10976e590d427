"""Robustness of the app (limits refused beside their field: test_panel_limits.py; bad files: test_bad_files.py):
divergence, determinism across pauses, a 100,000-step history, keys mashed while training, and quitting in the
middle of a step."""
import asyncio
import gc
import math
import threading
import time
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest
from helpers import params_of, same_params
from textual import events
from textual.widgets import Input

from rnncore import RNN, Embedding, Network, StepEvent, Trainer, datasets
from rnncore.network import BatchResult
from rnnviz.app import RnnvizApp
from rnnviz.screens import ConfirmScreen, QuitScreen
from rnnviz.session import Session
from rnnviz.widgets.charts import Curve, TrainingCharts

from .conftest import SPEED, enter, recording, training, training_threads, wait_until

SIZE = (120, 40)


CHARS = {"space": " ", "slash": "/", "question_mark": "?"}


async def type_fast(app, *keys, gap=0.03):
    """Keys as a quick typist sends them. Pilot's press waits for the app to go idle after each key, which takes
    up to a second while training runs; these go through the same event queue without that wait."""
    for key in keys:
        app.post_message(events.Key(key, CHARS.get(key, key if len(key) == 1 else None)))
        await asyncio.sleep(gap)


async def settle(app, pilot):
    """Stop training and draw what its last messages left stale, so that leaving run_test redraws nothing:
    a redraw while the app is torn down fails to find its widgets (reported; see the robustness notes)."""
    await app.stop_training()
    await pilot.pause()


def noting(app):
    """Every notification the app shows, as (message, severity)."""
    notes, notify = [], app.notify

    def record(message, *args, **kwargs):
        notes.append((str(message), kwargs.get("severity", "information")))
        return notify(message, *args, **kwargs)

    app.notify = record
    return notes


# --- 3. divergence ---------------------------------------------------------------------------------------
def broken(net, loss, grads):
    def run_batch(x, y, mask=None, state=None):
        return BatchResult(loss, {k: np.full_like(v, grads) for k, v in net.params.items()}, None)
    return run_batch


async def test_divergence_pauses_says_why_and_rolls_back_to_finite_kept_weights():
    session = Session(data="toy", embed=8, layers="rnn:16")
    session.configure("keep_every", "2")
    for _ in range(5):
        session.step()
    kept_step, kept, _ = session.trainer.last_good
    assert kept_step == 4
    app = RnnvizApp(session, speed=SPEED)
    notes = noting(app)
    async with app.run_test(size=SIZE) as pilot:
        before = params_of(session.net)
        session.net.run_batch = broken(session.net, 1.0, np.nan)  # gradients overflow on the next step
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "diverged" in notes[-1][0] and "overflowed" in notes[-1][0] and notes[-1][1] == "warning"
        assert "step 4" in str(app.screen.query_one("#question").render())
        assert same_params(before, session.net.params)  # the skipped step changed nothing
        await pilot.press("enter")
        await pilot.pause()
        assert same_params(kept, session.net.params) and session.history.snapshot().markers[-1][1] == "rollback to 4"
        await wait_until(pilot, lambda: "Rolled back" in notes[-1][0])
        assert f"learning rate is still {session.config.lr:g}" in notes[-1][0]  # what to change before going on

        session.net.run_batch = broken(session.net, 1e6, 0.0)  # a finite cost far above a guess, while running
        await pilot.press("space")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await wait_until(pilot, lambda: not training(app))
        assert not app.loop.running and "cost 1e+06 is far above a guess" in notes[-1][0]
        await pilot.press("escape")  # no roll back: the weights stay, paused, and all finite
        await pilot.pause()
        assert not app.loop.running and not isinstance(app.screen, ConfirmScreen)
        assert all(np.isfinite(v).all() for v in session.net.params.values())
        await settle(app, pilot)


# --- 6. determinism across pauses, single steps and a setting changed on the way ----------------------
async def test_pausing_stepping_and_a_new_lr_train_exactly_like_a_headless_trainer(app):
    events = recording(app.session)
    config = replace(app.session.config)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(2):
            count = len(events)
            await type_fast(app, "space")
            await wait_until(pilot, lambda count=count: len(events) >= count + 12)
            await type_fast(app, "space")
            await wait_until(pilot, lambda: not training(app))
            await pilot.press("n", "n")
            await enter(pilot, app.query_one("#lr", Input), "0.03")
            await pilot.press("escape")
        await settle(app, pilot)
    assert [e.step for e in events] == list(range(1, len(events) + 1))
    assert {e.lr for e in events} == {config.lr, 0.03}
    trainer = Trainer(Network(10, [Embedding(8), RNN(16)], seed=0), datasets.toy(), config)
    for event in events:
        trainer.configure(lr=event.lr)
        again = trainer.train_step()
        assert (again.loss, again.eval_accuracy) == (event.loss, event.eval_accuracy)
    assert same_params(trainer.net.params, app.session.net.params)


# --- 7. a 100,000-step history -----------------------------------------------------------------------
def synthetic(step):
    evaluated = step % 10 == 0
    return StepEvent(step, step / 50, 2.3 / math.sqrt(step), 0.01, 1.0, 1.0, 32, 1e5,
                     eval_accuracy=1 - 1 / math.sqrt(step) if evaluated else None,
                     eval_cost=1 / math.sqrt(step) if evaluated else None)


async def test_after_100k_steps_the_history_and_the_plotted_points_stay_bounded(app):
    history = app.session.history
    async with app.run_test(size=SIZE) as pilot:
        for step in range(1, 50_001):
            history.add(synthetic(step))
        tracemalloc.start()
        for step in range(50_001, 100_001):
            history.add(synthetic(step))
        grown = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        await pilot.pause()  # the layout settles at the terminal's size before the charts draw
        view, charts = history.snapshot(), app.query_one(TrainingCharts)
        charts.show([Curve("", view)])
        await pilot.pause()
        width = charts.query_one("#cost-chart").size.width
        assert grown < 1_000_000  # bytes for the second 50,000 events: kept whole, they would take ~5 MB
        assert len(view.steps) <= history.max_points and len(view.eval_steps) <= history.max_points
        assert view.steps[0] < 100 and view.steps[-1] > 99_900 and view.eval_steps[-1] > 99_000
        for chart in ("#cost-chart", "#accuracy-chart"):
            plotted = [len(xs) for xs in charts.query_one(chart).plt.monitor.x]  # each series as plotext holds it
            assert plotted and 0 < max(plotted) <= 2 * width


# --- 8. keys while training, resizing, quitting in the middle of a step --------------------------------
MASH = ["n", "r", "y", "escape", "slash", *"1 3 5", "x", "backspace", "escape", "tab", "tab", "7", "shift+tab",
        "escape", "question_mark", "escape", "ctrl+s", "escape", "tab", "enter", "escape", "space", "2", "backspace",
        "ctrl+p", "escape", "ctrl+o", "escape"]


async def leave_dialogs_and_fields(pilot):
    """Escape until no dialog is open and no field has the keys (a fast typist's keys may land in either)."""
    app = pilot.app
    while app.screen is not app.screen_stack[0]:
        await pilot.press("escape")
    await pilot.press("escape")


async def test_keys_and_resizes_while_training_never_break_the_app(app):
    async with app.run_test(size=SIZE) as pilot:
        await type_fast(app, "space")
        await wait_until(pilot, lambda: app.session.trainer.step > 3)
        for i, key in enumerate(MASH):
            await type_fast(app, key)
            if i in (5, 20):  # in the prefix field, then with the save dialog open
                await pilot.resize_terminal(*{5: (80, 24), 20: (30, 10)}[i])
        await leave_dialogs_and_fields(pilot)
        if not app.loop.running:  # the keys left it paused
            await pilot.press("space")
        await wait_until(pilot, lambda: app.loop.running)
        await app.stop_training()
        await pilot.resize_terminal(*SIZE)
        step = app.session.trainer.step
        await pilot.press("n")
        assert app.session.trainer.step == step + 1 and not training(app)
        steps = app.session.history.snapshot().steps
        assert steps[-1] == step + 1 and all(a < b for a, b in zip(steps, steps[1:], strict=False))
        assert all(np.isfinite(v).all() for v in app.session.net.params.values())
        await settle(app, pilot)


async def test_quitting_in_the_middle_of_a_step_finishes_it_and_leaves_no_thread(app):
    events, inside, slow = recording(app.session), threading.Event(), threading.Event()
    run_batch = app.session.net.run_batch

    def slow_run_batch(*args, **kwargs):
        result = run_batch(*args, **kwargs)  # gradients computed; the update comes after the pause
        if slow.is_set():
            inside.set()
            time.sleep(0.3)
        return result

    app.session.net.run_batch = slow_run_batch
    async with app.run_test(size=SIZE) as pilot:
        await type_fast(app, "space")
        await wait_until(pilot, lambda: len(events) >= 3)
        slow.set()
        await wait_until(pilot, inside.is_set)
        await type_fast(app, "q")
        await wait_until(pilot, lambda: isinstance(app.screen, QuitScreen))  # the run has trained, unsaved
        await type_fast(app, "q")  # q again quits
        while app.return_code is None:
            await asyncio.sleep(0.02)
    assert not training(app) and not app.loop.running and app.return_code == 0
    assert app.session.trainer.step == len(events) and events[-1].step == len(events)
    trainer = Trainer(Network(10, [Embedding(8), RNN(16)], seed=0), datasets.toy(), replace(app.session.config))
    assert [trainer.train_step().loss for _ in events] == [e.loss for e in events]
    assert same_params(trainer.net.params, app.session.net.params)  # the last step was finished, not cut off


@pytest.fixture(autouse=True)
def no_leftover_thread():
    yield
    assert not training_threads()


async def test_a_network_whose_outputs_overflow_is_an_inline_error_not_a_crash():
    session = Session(data="toy", embed=8, layers="rnn:16,dense:16:relu,dense:16:identity")
    for name, p in session.net.params.items():
        if name.endswith(".W"):
            p[...] = 1e15  # finite weights, as a diverged SGD run can leave them; the float32 logits overflow
    app = RnnvizApp(session, speed=50)
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one("#prefix", Input).value = "1 3"
        await pilot.pause()
        error = app.query_one("#error")
        assert error.has_class("shown") and "overflow" in str(error.content)


async def test_run_and_pause_leave_no_footer_keys_behind():
    app = RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=50)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(10):
            app.action_start()
            await app.stop_training()
            await pilot.pause()
        gc.collect()
        alive = [o for o in gc.get_objects() if type(o).__name__ == "FooterKey"]
        assert len(alive) == len(app.query("FooterKey"))
