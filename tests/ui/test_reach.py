"""The Reach view: every run's reach from its own weights, live while training, and words for a task without."""
import numpy as np
from textual.widgets import TabbedContent

from rnncore import ModelConfig, Reach
from rnnviz.app import RnnvizApp
from rnnviz.helptext import COMMANDS, HELP
from rnnviz.session import Session
from rnnviz.widgets.prediction import TABS
from rnnviz.widgets.reach import ReachView, reach_text

from .conftest import SPEED, settled, training, wait_until

SIZE = (120, 40)


def anbn(layers="lstm:8", steps=0):
    session = Session(data="anbn:10", embed=4, layers=layers)
    for _ in range(steps):
        session.step()
    return session


def rows(app):
    return app.query_one(ReachView).rows


async def open_reach(pilot):
    await pilot.press("e")
    await settled(pilot)


async def test_e_opens_the_reach_of_the_current_weights():
    app = RnnvizApp(anbn(steps=30), speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        await open_reach(pilot)
        assert app.query_one("#views", TabbedContent).active == "reach" and TABS["reach"] == ("Reach", "e")
        [(label, color, reach)] = rows(app)
        expected = app.session.data.reach(app.session.net)
        assert (label, color) == ("run 1", 0) and np.array_equal(reach.right, expected.right)
        assert app.query_one(ReachView).largest == {"run 1": expected.largest}
        assert (reach.up_to, reach.trained) == (100, 10) and app.session.last_reach is reach


async def test_every_run_on_the_task_is_drawn_the_current_one_first():
    app = RnnvizApp(anbn(steps=20), speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        app.lab.new_run(ModelConfig("anbn:10", 4, "rnn:6"), seed=1)
        app.lab.new_run(ModelConfig("toy", 4, "rnn:6"), seed=1)  # another task: not among them, as on the charts
        app.lab.cycle()  # back to the first run, the LSTM
        await open_reach(pilot)
        assert [(label, color) for label, color, _ in rows(app)] == [("lstm:8, seed=0", 0), ("rnn:6, seed=1", 1)]
        assert all(isinstance(reach, Reach) for _, _, reach in rows(app))
        text = app.query_one(ReachView).render().plain
        assert "lstm:8, s" in text and "rnn:6, se" in text and "toy" not in text
        app.lab.cycle()
        app.lab.cycle()  # the toy run
        app._render()
        await settled(pilot)
        assert app.query_one(ReachView).render().plain.startswith("toy has no reach")


async def test_it_follows_the_training_live():
    app = RnnvizApp(anbn(), speed=200)
    async with app.run_test(size=SIZE) as pilot:
        await open_reach(pilot)
        await pilot.press("space")
        await wait_until(pilot, lambda: len(app.session.history.snapshot().reach_steps) >= 3)
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
        app._render()
        await settled(pilot)
        [(_, _, reach)] = rows(app)
        assert np.array_equal(reach.right, app.session.data.reach(app.session.net).right)
        steps = app.session.history.snapshot().reach_steps
        assert steps[-1] == app.session.trainer.step and list(steps) == sorted(set(steps))


async def test_a_task_without_reach_says_so_in_words(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_reach(pilot)
        text = app.query_one(ReachView).render().plain
        assert text.startswith("toy has no reach: it is measured on parity[:GAP] and anbn[:N]")
        assert app.query_one(ReachView).largest == {}


def test_the_strips_show_each_n_the_largest_and_the_training_range():
    reach = Reach(np.array([True] * 12 + [False, True] + [False] * 6), 10, "a^n b^n T")
    text = reach_text([("lstm", 0, reach)], width=40, height=20).plain.splitlines()
    assert text[0] == "reach · a^n b^n T · trained on n ≤ 10"
    assert text[2] == "lstm      ████████████·█······   12"  # one n a cell: 20 cells fit in 40 - 15
    assert text[3] == "          ▀▀▀▀▀▀▀▀▀▀10      20"
    assert text[4] == "█ right  · wrong  ▀ trained"  # no · between the entries: it is the glyph of wrong
    narrow = reach_text([("lstm", 0, reach)], width=25, height=3).plain.splitlines()  # 2 n a cell, short
    assert narrow[1:] == ["lstm      ██████▒···   12", "          ▀▀▀▀▀10 20"]


def test_help_and_the_palette_name_the_view():
    assert "`e` **Reach**" in HELP
    assert any(action == "panel('open', 'reach')" and "(e)" in about for _, about, action in COMMANDS)
