import gc
from dataclasses import replace

import numpy as np
from textual.app import App
from textual.widgets import Input

from rnncore import RNN, Embedding, Network, Trainer, datasets
from rnnviz.app import RnnvizApp
from rnnviz.screens import ConfirmScreen, HelpScreen, PathScreen
from rnnviz.session import Session
from rnnviz.widgets.bars import ProbabilityBars
from rnnviz.widgets.charts import TrainingCharts
from rnnviz.widgets.figures import Figures
from rnnviz.widgets.heatmap import HiddenHeatmap
from rnnviz.widgets.prediction import PredictionPanel

from .conftest import recording, training, type_into, wait_until

SIZE = (120, 40)


async def fill_in(pilot, selector, text):
    """A long value at once (a key press costs ~80 ms under Pilot), then enter."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


def best(shown) -> str:
    """The most likely next symbol in a Prediction or in the bars as drawn."""
    if isinstance(shown, ProbabilityBars):
        return next(line.split()[0] for line in shown.text.plain.splitlines() if line.endswith("◀"))
    return shown.symbols[int(np.argmax(shown.probs))]


def test_the_app_run_as_a_program_leaves_what_exists_by_then_to_no_garbage_collection(app, monkeypatch):
    """The modules and the lab live as long as the app: a full collection walking them cost the first frame ~50 ms."""
    monkeypatch.setattr(App, "run", lambda self, *args, **kwargs: gc.get_freeze_count())
    try:
        assert app.run() > 0
    finally:
        gc.unfreeze()


async def test_space_runs_and_space_pauses(app):
    app.loop.speed = 0  # as fast as it goes
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.trainer.step > 20)
        assert app.loop.running and training(app)
        assert "RUNNING" in app.query_one(Figures).text.plain
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
        stopped = app.session.trainer.step
        await pilot.pause(0.2)
        assert app.session.trainer.step == stopped
        assert "PAUSED" in app.query_one(Figures).text.plain
        assert f"step {stopped:,}" in app.query_one(Figures).text.plain


async def test_n_does_exactly_one_step(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert app.session.trainer.step == 1
        await pilot.press("n")
        await pilot.pause(0.1)
        assert app.session.trainer.step == 2
        assert app.session.history.snapshot().steps == [1, 2]
        assert not training(app)


async def test_learning_rate_change_while_running_reaches_the_trainer_and_the_charts(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.trainer.step > 5)
        await fill_in(pilot, "#lr", "0.05")
        await wait_until(pilot, lambda: app.session.config.lr == 0.05)
        marks = [label for _, label in app.session.history.snapshot().markers]
        assert marks == ["lr=0.05"]
        await wait_until(pilot, lambda: len(app.query_one(TrainingCharts).drawn[-1].history.markers) == 1)
        await fill_in(pilot, "#speed", "40")
        assert app.loop.speed == 40
        assert app.session.history.snapshot().markers[-1][1].endswith("speed=40")
        await pilot.press("escape", "space")
        await wait_until(pilot, lambda: not training(app))
        assert app.session.history.snapshot().markers[0][0] > 5
        assert app.session.last_event.lr == 0.05


async def test_an_invalid_value_is_refused_beside_the_field(app):
    async with app.run_test(size=SIZE) as pilot:
        await fill_in(pilot, "#batch_size", "0")
        assert app.session.config.batch_size == 32
        assert app.query_one("#batch_size", Input).value == "32"
        assert app.session.history.snapshot().markers == []


async def test_typing_a_prefix_shows_bars_and_a_heatmap_then_an_inline_error(app):
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#prefix", "1 3 5")
        bars = app.query_one(ProbabilityBars)
        want = app.session.predict("1 3 5")
        assert best(bars) == best(want)
        assert [m.units for m in app.query(HiddenHeatmap)] == [16]
        await pilot.press("x")
        await pilot.pause()
        error = app.query_one("#error")
        assert error.display and "'x'" in str(error.content)
        assert best(bars) == best(want)


async def test_the_prediction_refreshes_as_the_network_trains(app):
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#prefix", "1 3 5")
        before = app.query_one(ProbabilityBars).text.plain
        await pilot.press("escape", "space")
        await wait_until(pilot, lambda: app.query_one(ProbabilityBars).text.plain != before)
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
        await pilot.pause(0.3)
        assert best(app.query_one(ProbabilityBars)) == best(app.session.predict("1 3 5"))


async def test_save_then_load_restores_the_same_predictions(app, tmp_path):
    path = tmp_path / "m.npz"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"nnnnnnnnnn")
        trained = app.session.predict("1 3 5").probs
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PathScreen)
        await fill_in(pilot, "#path", str(path))
        assert path.is_file() and not isinstance(app.screen, PathScreen)
        await pilot.press("r", "enter")
        await pilot.pause()
        assert app.session.trainer.step == 0
        assert not np.allclose(app.session.predict("1 3 5").probs, trained)
        await pilot.press("ctrl+o")
        await fill_in(pilot, "#path", str(path))
        assert app.session.trainer.step == 10
        np.testing.assert_array_equal(app.session.predict("1 3 5").probs, trained)


async def test_a_bad_checkpoint_shows_inline_and_keeps_the_network(app, tmp_path):
    (tmp_path / "bad.npz").write_text("nonsense")
    async with app.run_test(size=SIZE) as pilot:
        net = app.session.net
        await pilot.press("ctrl+o")
        await fill_in(pilot, "#path", str(tmp_path / "bad.npz"))
        assert isinstance(app.screen, PathScreen)
        assert "bad.npz" in str(app.screen.query_one("#path-error").content)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PathScreen) and app.session.net is net


async def test_reset_asks_first_once_the_network_has_trained(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.session.trainer.step == 1
        await pilot.press("r", "enter")
        await pilot.pause()
        assert app.session.trainer.step == 0 and app.session.history.snapshot().steps == []


async def test_quit_while_running_leaves_no_training_thread(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.trainer.step > 3)
        await pilot.press("q", "enter")  # trained and not saved: quitting asks, its focused button quits
        await pilot.pause()
    assert not app.loop.running and not training(app)
    assert app.return_code == 0


async def test_resize_to_80x24_and_back(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        assert app.screen.has_class("-wide")
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.1)
        assert app.screen.has_class("-narrow") and app.screen.has_class("-short")

        def shown():
            return {s for s in ("#controls", "#charts", "#prediction") if app.query_one(s).region.width > 0}
        assert shown() == {"#charts"} and app.query_one("#charts").region.width == 80  # one page at a time
        assert app.query_one("#cost-chart").region.height >= 10
        assert app.query_one(TrainingCharts).hint == "4 prediction · 1 2 settings"  # the keys to the other pages
        await pilot.press("4")
        await pilot.pause()
        assert shown() == {"#prediction"}
        await pilot.press("2", "escape")
        await pilot.pause()
        assert shown() == {"#controls", "#charts"}  # the settings beside the charts they change
        await pilot.resize_terminal(*SIZE)
        await pilot.pause(0.1)
        assert app.screen.has_class("-wide") and shown() == {"#controls", "#charts", "#prediction"}
        assert app.query_one(TrainingCharts).hint == app.query_one(PredictionPanel).hint == ""  # every page shown
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))


async def test_divergence_pauses_and_offers_a_rollback():
    session = Session(data="toy")
    for field, value in (("optimizer", "sgd"), ("clip", "0"), ("lr", "10")):
        session.configure(field, value)
    app = RnnvizApp(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert not app.loop.running
        await wait_until(pilot, lambda: not training(app))
        assert "Roll back" in str(app.screen.query_one("#question").content)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.history.snapshot().markers[-1][1].startswith("rollback to")


async def test_the_app_trains_exactly_like_a_headless_trainer(app):
    events = recording(app.session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: len(events) >= 40)
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
    trainer = Trainer(Network(10, [Embedding(8), RNN(16)], seed=0), datasets.toy(), replace(app.session.config))
    assert [e.loss for e in events] == [trainer.train_step().loss for _ in events]


async def test_command_palette_runs_the_app_actions(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"one train")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.trainer.step == 1)
        await pilot.pause(0.1)
        assert app.session.trainer.step == 1 and not app.loop.running


async def test_help_opens_and_closes(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert isinstance(app.query_one("#prediction"), PredictionPanel)
