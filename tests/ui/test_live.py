"""Issue 16, points 1-4: the app's thread never waits on a long computation.

A prediction, a step, a build, a reset, a load or the start-up's data is held at a gate (a threading.Event) for as
long as the test likes: had the app run it on its own thread, the app would stall at the gate and the keys the test
presses meanwhile (help, quit) would never be answered."""
import asyncio
import threading
import time

import numpy as np
import pytest
from textual.widgets import Button, Input, Label

import rnnviz.__main__
from rnnviz.__main__ import checked_args, lab_from_args
from rnnviz.app import RnnvizApp
from rnnviz.lab import Lab
from rnnviz.screens import HelpScreen, PathScreen
from rnnviz.session import Session
from rnnviz.widgets.bars import ProbabilityBars
from rnnviz.widgets.charts import TrainingCharts
from rnnviz.widgets.figures import Figures
from rnnviz.widgets.model import ModelPanel
from rnnviz.widgets.prediction import PredictionPanel

from .conftest import SPEED, settled, training, wait_until

SIZE = (120, 40)


class Gate:
    """Holds every call of `owner.name` until opened; `waiting` is set once a call waits at it."""

    def __init__(self, monkeypatch, owner, name):
        self.open, self.waiting, self.calls = threading.Event(), threading.Event(), 0
        held = getattr(owner, name)

        def gated(*args, **kwargs):
            self.calls += 1
            self.waiting.set()
            assert self.open.wait(30), "the gate was never opened"
            return held(*args, **kwargs)

        monkeypatch.setattr(owner, name, gated)


def header(app) -> str:
    return app.query_one(Figures).text.plain


async def help_opens_and_closes(pilot):
    """`?` is answered at once: the app's thread is free."""
    await pilot.press("question_mark")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), timeout=2)
    await pilot.press("escape")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, HelpScreen), timeout=2)


# --- 1 and 3: predictions, steps, builds, resets and loads off the app's thread -------------------------------
async def test_a_slow_prediction_leaves_the_keys_working_and_says_it_is_working(app, monkeypatch):
    gate = Gate(monkeypatch, app.session, "look")
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#prefix", Input).value = "1 3 5"
        await wait_until(pilot, gate.waiting.is_set)
        await wait_until(pilot, lambda: "working" in app.query_one(PredictionPanel).border_title)
        await help_opens_and_closes(pilot)
        gate.open.set()
        await settled(pilot)
        assert app.query_one(PredictionPanel).border_title == "Prediction"
        assert "◀" in app.query_one(ProbabilityBars).text.plain


async def test_a_new_prefix_drops_the_prediction_of_the_old_one(app, monkeypatch):
    gate = Gate(monkeypatch, app.session, "look")
    computed = []
    predict = rnnviz.session.predict
    monkeypatch.setattr(rnnviz.session, "predict", lambda net, vocab, text: computed.append(text) or
                        predict(net, vocab, text))
    async with app.run_test(size=SIZE) as pilot:
        gate.open.set()  # the first prediction, of the empty prefix, goes through
        await settled(pilot)
        gate.open.clear()
        computed.clear()
        gate.calls = 0
        field = app.query_one("#prefix", Input)
        field.value = "1"
        await wait_until(pilot, lambda: gate.calls == 1)
        field.value = "1 3"
        await wait_until(pilot, lambda: gate.calls == 2)
        gate.open.set()
        await settled(pilot)
        assert computed == ["1 3"]  # the stale one saw it was not wanted once it had the lock, and stopped
        assert app.query_one(PredictionPanel)._prediction.prefix == ["1", "3"]


async def test_n_steps_in_the_training_loop_while_the_keys_work(app, monkeypatch):
    gate = Gate(monkeypatch, app.session.trainer, "train_step")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, gate.waiting.is_set)
        assert "STEPPING" in header(app) and training(app)
        await help_opens_and_closes(pilot)
        await pilot.press("n", "n")  # two more turns of the same loop, never a second thread
        gate.open.set()
        await wait_until(pilot, lambda: not training(app) and not app.loop.running)
        await pilot.pause()
        assert app.session.trainer.step == 3 and app.session.history.snapshot().steps == [1, 2, 3]
        assert "PAUSED" in header(app)


async def test_apply_builds_in_a_thread_while_the_keys_work_and_space_waits(app, monkeypatch):
    gate = Gate(monkeypatch, Session, "_network")
    old = app.session.net
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(ModelPanel)
        panel.rows[0].query_one(".size", Input).value = "24"
        panel.query_one("#apply", Button).press()
        await wait_until(pilot, gate.waiting.is_set)
        assert "building the network" in header(app)
        await help_opens_and_closes(pilot)
        await pilot.press("space", "n")  # the network is not to be touched yet: told to wait
        await pilot.pause()
        assert not app.loop.running and app.session.trainer.step == 0 and app.session.net is old
        assert any("Wait: building the network" in str(n.message) for n in app._notifications)
        gate.open.set()
        await settled(pilot)
        assert [layer.dim for _, layer in app.session.net.recurrent()] == [24] and "PAUSED" in header(app)
        assert "rnn:24" in header(app)


async def test_reset_runs_in_a_thread_once_confirmed(app, monkeypatch):
    gate = Gate(monkeypatch, Session, "_network")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: app.session.trainer.step == 1 and not app.loop.running)
        await pilot.press("r", "enter")
        await wait_until(pilot, gate.waiting.is_set)
        assert "resetting the weights" in header(app)
        await help_opens_and_closes(pilot)
        gate.open.set()
        await settled(pilot)
        assert app.session.trainer.step == 0 and "PAUSED" in header(app)


async def test_a_load_reads_in_a_thread_and_its_dialog_says_it_works(app, monkeypatch, tmp_path):
    app.session.save(tmp_path / "m.npz")
    gate = Gate(monkeypatch, app.session, "load")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        field = app.screen.query_one("#path", Input)
        field.value = str(tmp_path / "m.npz")
        await pilot.press("enter")
        await wait_until(pilot, gate.waiting.is_set)
        assert "working" in str(app.screen.query_one("#path-error").content)
        await pilot.press("escape")  # the read goes on to its end: the dialog stays until then
        await pilot.pause()
        assert isinstance(app.screen, PathScreen)
        gate.open.set()
        await wait_until(pilot, lambda: not isinstance(app.screen, PathScreen))
        assert app.checkpoint == str(tmp_path / "m.npz")


async def test_quitting_in_the_middle_of_a_build_does_not_wait_for_it(app, monkeypatch):
    gate = Gate(monkeypatch, Session, "_network")
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(ModelPanel).query_one("#apply", Button).press()
        await wait_until(pilot, gate.waiting.is_set)
        await pilot.press("q")
        started = time.monotonic()
        while app.return_code is None:
            assert time.monotonic() - started < 2, "q waited for the build"
            await asyncio.sleep(0.02)
    assert app.return_code == 0
    gate.open.set()  # the build's thread ends on its own, and finds nobody waiting


async def test_a_setting_that_does_not_fit_is_refused_in_its_field_while_training(app, monkeypatch):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.trainer.step > 2)
        monkeypatch.setattr("rnncore.budget.available_bytes", lambda: 1000)  # nothing fits any more
        field = app.query_one("#batch_size", Input)
        field.value = "64"
        field.focus()
        await pilot.press("enter")
        message = str(app.query_one("#batch_size-error", Label).render())
        assert "memory" in message and "lower the batch or BPTT" in message
        step = app.session.trainer.step
        await wait_until(pilot, lambda: app.session.trainer.step > step + 2)  # the training thread goes on
        assert app.session.config.batch_size == 32 and app.return_code is None
        await app.stop_training()


# --- 4. start-up: a loading screen while the data is read; a bad file still ends with one line, status 2 ---------
async def test_the_loading_screen_shows_until_the_lab_is_made_and_q_works_meanwhile():
    made, gate = threading.Event(), threading.Event()

    def make_lab():
        assert gate.wait(30)
        made.set()
        return Lab(Session(data="toy", embed=8, layers="rnn:16"))

    app = RnnvizApp(start=make_lab, starting="toy", speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Loading toy…" in str(app.query_one("#loading").content)
        await pilot.press("space", "n", "slash")  # nothing to run yet: not an error
        await help_opens_and_closes(pilot)
        gate.set()
        await wait_until(pilot, lambda: app.lab is not None and app.query(Figures))
        await settled(pilot)
        assert not app.query("#loading") and "PAUSED" in header(app)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.session.trainer.step == 1)


async def test_a_resize_after_the_lab_is_made_and_before_its_panels_are_mounted_is_no_error():
    """serve_load.py's failed tabs (issue 26): a browser's resize handled in that gap ended the app (NoMatches)."""
    gate = threading.Event()
    app = RnnvizApp(start=lambda: gate.wait(30) and Lab(Session(data="toy", embed=8, layers="rnn:16")),
                    starting="toy", speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        mount = app.default_screen.mount_all

        def resized_first(*args, **kwargs):
            app._page_hints()  # what a resize calls: the lab is there, its panels are not
            return mount(*args, **kwargs)

        app.default_screen.mount_all = resized_first
        gate.set()
        await wait_until(pilot, lambda: app.query(Figures) or app.return_code is not None)
        await settled(pilot)
        assert app.return_code is None and app.query_one(TrainingCharts).hint == ""


def bad_late(tmp_path):
    """A text whose one bad byte lies past what the quick check reads."""
    path = tmp_path / "late.txt"
    path.write_bytes(b"the cat sat on the mat. " * 10_000 + b"\xff")
    return path


def test_a_bad_byte_past_the_quick_check_ends_the_command_with_one_line_and_status_2(tmp_path, capsys, monkeypatch):
    path = bad_late(tmp_path)
    checked_args(["--data", str(path)])  # the start of the file is good: the app starts
    run = RnnvizApp.run
    monkeypatch.setattr(RnnvizApp, "run", lambda self: run(self, headless=True, size=(80, 24)))
    with pytest.raises(SystemExit) as ended:
        rnnviz.__main__.main(["--data", str(path)])
    err = capsys.readouterr().err
    assert ended.value.code == 2 and err == f"rnnviz: {path} is not UTF-8 text (bad byte at offset 240000)\n"


@pytest.mark.parametrize("argv, says", [
    (["--data", "DIR"], "DIR: cannot read it (a directory, not a regular file)"),
    (["--data", "BINARY"], "looks binary"),
    (["--load", "DIR"], "DIR: cannot read it (a directory, not a regular file)"),
])
def test_the_quick_checks_refuse_before_any_screen(tmp_path, capsys, argv, says):
    (tmp_path / "binary.txt").write_bytes(b"\x00" * 100)
    names = {"DIR": str(tmp_path), "BINARY": str(tmp_path / "binary.txt")}
    with pytest.raises(SystemExit) as ended:
        checked_args([names.get(a, a) for a in argv])
    err = capsys.readouterr().err
    assert ended.value.code == 2 and err.count("\n") == 1 and says.replace("DIR", str(tmp_path)) in err


async def test_a_lab_that_cannot_be_made_ends_the_app_with_its_message(tmp_path):
    args = checked_args(["--data", str(bad_late(tmp_path))])
    app = RnnvizApp(start=lambda: lab_from_args(args), starting="late.txt")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 2 and "is not UTF-8 text" in app.refused


async def test_predictions_stay_right_while_the_weights_change_under_them(app):
    """While training, each prediction shown is that of some step's weights, never of weights half updated."""
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#prefix", Input).value = "1 3 5"
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.trainer.step > 20)
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
        await settled(pilot)
        shown = app.query_one(PredictionPanel)._prediction.probs
        np.testing.assert_array_equal(shown, app.session.predict("1 3 5").probs)
