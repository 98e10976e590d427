import asyncio
import io
import sys
import time
import traceback
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import Button, Input
from textual.worker import WorkerState

from rnnviz.app import RnnvizApp
from rnnviz.session import Session
from rnnviz.worker import TrainingLoop


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.parent == UI_TESTS:
            item.add_marker(pytest.mark.ui)


UI_TESTS = Path(__file__).parent
SPEED = 50  # steps/s: the process stays mostly idle, so Pilot's wait-for-idle after each key returns at once


@pytest.fixture
def app():
    """The real app on the toy data with a small network (each step well under a millisecond), paced."""
    return RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=SPEED)


async def wait_until(pilot, condition, timeout=10.0):
    """Let the app run until `condition()` holds, then until the screen has handled what is pending; fails the
    test after `timeout` seconds. It polls with a sleep: a pilot.pause queues a call on every widget and waits for
    them, which cost a lesson's test half its time."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await asyncio.sleep(0.02)
    await pilot.pause(0)


async def settled(pilot, timeout=60.0):
    """Let the app run until no job (a build, a load...) and no prediction is under way, no redraw is due (the
    last steps' are drawn at the next tick), and what they left is drawn."""
    app = pilot.app
    await wait_until(pilot, lambda: app.job is None and app._looking is None and not app._stale, timeout)
    await pilot.pause()


async def enter(pilot, field, text):
    field.value = text
    field.focus()
    await pilot.press("enter")


async def type_into(pilot, selector, text, key=None):
    """Focus a field, clear it, type `text` key by key (then `key`, e.g. "enter" or "tab", if given)."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*text, *([key] if key else []))
    await pilot.pause()


def screen_text(app) -> str:
    """The screen as drawn, as plain text, a line per row (what export_screenshot draws, without the SVG)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None,
                      legacy_windows=False, force_terminal=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def training(app):
    """The app's training worker, while one runs."""
    return [w for w in app.workers if w.group == "train" and w.state == WorkerState.RUNNING]


def training_threads():
    """Threads of any app still inside the training loop."""
    stacks = [traceback.walk_stack(frame) for frame in sys._current_frames().values()]
    return [s for s in stacks if any(f.f_code is TrainingLoop.run.__code__ for f, _ in s)]


class Harness(App):
    """One widget alone, and every message it posts."""

    def __init__(self, widget):
        super().__init__()
        self.widget, self.messages = widget, []

    def compose(self):
        yield self.widget

    def on_mount(self):
        for button in self.query(Button):
            button.active_effect_duration = 0  # a button ignores clicks during its 0.2 s flash

    def on_training_panel_edited(self, message):
        self.messages.append((message.name, message.text))

    def on_speed_control_changed(self, message):
        self.messages.append(("speed", message.speed))

    def on_model_panel_apply(self, message):
        self.messages.append((message.data, message.embed, message.layers, message.seed))


def recording(session):
    """Every event the session's steps return, in order."""
    events, step = [], session.step

    def record():
        events.append(step())
        return events[-1]

    session.step = record
    return events


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch):
    """Pilot waits after each key it presses until the process looks idle, or 1 s: a training app never looks
    idle (its worker steps), so each key cost 1-2 s. The keys keep their order at any wait (one queue), and `press`
    still ends once the screen has handled them; a test that needs more waits for it (`pilot.pause`, `settled`)."""
    import textual._wait
    import textual.app

    def wait(min_sleep=textual._wait.SLEEP_GRANULARITY, max_sleep=1):
        return textual._wait.wait_for_idle(min_sleep, min(max_sleep, KEY_IDLE_WAIT))
    monkeypatch.setattr(textual.app, "wait_for_idle", wait, raising=False)  # a Textual without it: slower, no worse


KEY_IDLE_WAIT = 0.1  # seconds
