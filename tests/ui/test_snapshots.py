"""The main screen as a picture, at the two sizes the app promises: 120x40 and 80x24.

The network trains synchronously before the app starts (no worker, so no tokens/s or other timing on screen),
in float64, so the figures and curves do not hang on the last bit of a float32 BLAS kernel; once per process,
then each picture's app loads it with its charts.
"""
import functools
import tempfile
from pathlib import Path

import pytest

from rnncore import ModelConfig, TrainConfig
from rnnviz.app import RnnvizApp
from rnnviz.lab import Lab
from rnnviz.lesson import find
from rnnviz.session import Session
from rnnviz.widgets.gradient import GradientView

from .conftest import settled, wait_until

STEPS = 150


@functools.cache
def trained_checkpoint() -> Path:
    """The default network trained STEPS steps in float64, with its charts: trained once for every picture."""
    session = Session(config=TrainConfig(dtype="float64"))
    for _ in range(STEPS):
        session.step()
    path = Path(tempfile.mkdtemp(prefix="rnnviz-snapshots-")) / "trained.npz"
    session.save(path)
    return path


def trained_app() -> RnnvizApp:
    session = Session(config=TrainConfig(dtype="float64"))
    session.load(trained_checkpoint())
    return RnnvizApp(session)


async def type_prefix(pilot):
    await pilot.press("slash", *"1 3 5 7 0 0", "escape")
    await without_notes(pilot)


async def without_notes(pilot):
    pilot.app.clear_notifications()  # what a key said: a picture of the screen, not of a moment's note
    await pilot.pause()


def pressed(*keys):
    async def run_before(pilot):
        await pilot.press(*keys)
        await without_notes(pilot)
    return run_before


def test_main_screen_120x40(snap_compare):
    assert snap_compare(trained_app(), terminal_size=(120, 40), run_before=type_prefix)


def test_main_screen_80x24(snap_compare):
    assert snap_compare(trained_app(), terminal_size=(80, 24), run_before=type_prefix)


def view_opened(key):
    async def run_before(pilot):
        await type_prefix(pilot)
        await pilot.press(key)
        await without_notes(pilot)
    return run_before


@pytest.mark.parametrize("key", ["o", "b", "m", "u"])  # cost by position, how far back, state map, unit on text
def test_each_insight_view_120x40(snap_compare, key):
    assert snap_compare(trained_app(), terminal_size=(120, 40), run_before=view_opened(key))


@pytest.mark.parametrize("key", ["o", "b", "m", "u"])
def test_each_insight_view_80x24(snap_compare, key):
    assert snap_compare(trained_app(), terminal_size=(80, 24), run_before=view_opened(key))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_help(snap_compare, size):
    assert snap_compare(trained_app(), terminal_size=size, run_before=pressed("question_mark"))


@pytest.mark.parametrize("page", ["3", "2"])  # the charts page, the Training panel beside the charts
def test_the_other_pages_80x24(snap_compare, page):
    assert snap_compare(trained_app(), terminal_size=(80, 24), run_before=pressed(page))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_a_lesson_in_progress(snap_compare, size):
    app = trained_app()
    app.first_lesson = find("memory")
    assert snap_compare(app, terminal_size=size, run_before=pressed("right_square_bracket"))


def rnn_and_lstm_app() -> RnnvizApp:
    """The default RNN trained STEPS steps beside an LSTM (New run) trained a few, in float64."""
    lab = Lab(trained_app().session)
    lstm = lab.new_run(ModelConfig(layers="lstm:16"), seed=0)
    for _ in range(STEPS // 5):
        lstm.step()
    return RnnvizApp(lab=lab)


async def gradient_opened(pilot):
    await pilot.press("g")
    await settled(pilot)
    view = pilot.app.query_one(GradientView)
    await wait_until(pilot, lambda: not view.redraw_due)  # its ticks drawn for the plot's height once laid out
    await without_notes(pilot)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_the_gradient_view_of_an_rnn_and_an_lstm(snap_compare, size):
    assert snap_compare(rnn_and_lstm_app(), terminal_size=size, run_before=gradient_opened)


def counting_runs() -> RnnvizApp:
    """An LSTM and an RNN side by side on anbn:10, 150 steps each: the LSTM counts past 10, the RNN does not."""
    lab = Lab(Session(config=TrainConfig(dtype="float64", l2=0), data="anbn:10", embed=8, layers="lstm:16"))
    lab.new_run(ModelConfig("anbn:10", 8, "rnn:16"), seed=0)
    for _ in range(STEPS):
        lab.step()
    return RnnvizApp(lab=lab)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_the_reach_of_two_runs(snap_compare, size):
    async def run_before(pilot):
        await pilot.press("e")
        await without_notes(pilot)
    assert snap_compare(counting_runs(), terminal_size=size, run_before=run_before)
