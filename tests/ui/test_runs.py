"""Runs side by side in the app, and a session recorded while a person uses it."""
from helpers import same_params
from textual.widgets import Input

from rnncore.replay import Replayer, replay
from rnnviz.app import RnnvizApp
from rnnviz.replaylab import ReplayLab
from rnnviz.session import Session
from rnnviz.widgets.charts import TrainingCharts
from rnnviz.widgets.figures import Figures

from .conftest import SPEED, training, wait_until

SIZE = (120, 40)


async def set_lr(pilot, text):
    field = pilot.app.query_one("#lr", Input)
    field.focus()
    field.value = text
    await pilot.press("enter", "escape")
    await pilot.pause()


async def test_a_session_used_by_hand_replays_to_the_same_weights(tmp_path):
    app = RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=SPEED)
    app.lab.record(tmp_path / "s.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.trainer.step > 5)
        await set_lr(pilot, "0.05")
        await wait_until(pilot, lambda: app.session.trainer.step > 12)
        await pilot.press("f")  # a second run from here, on the same lr
        await set_lr(pilot, "0.003")
        await wait_until(pilot, lambda: app.lab.runs[1].trainer.step > 20)
        await pilot.press("space", "n", "r", "enter")  # pause, one more step of each, reset the second run
        await pilot.pause()
        await pilot.press("n", "n")
        await pilot.pause()
        charts = app.query_one(TrainingCharts)
        assert [curve.label for curve in charts.drawn] == ["lr=0.05", "lr=0.003"]
        assert "run 2/2 lr=0.003" in app.query_one(Figures).text.plain
        await pilot.press("q")
    assert not training(app)
    replayed = replay(tmp_path / "s.jsonl")
    for session in app.lab.runs:
        trainer = replayed.trainers[session.run_id]
        assert trainer.step == session.trainer.step
        assert same_params(trainer.net.params, session.net.params)


async def test_a_replay_plays_on_screen_to_the_end_of_its_record(tmp_path):
    recorded = RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=SPEED)
    recorded.lab.record(tmp_path / "s.jsonl")
    for _ in range(30):
        recorded.lab.step()
    recorded.lab.session.configure("lr", "0.05")
    for _ in range(10):
        recorded.lab.step()
    recorded.lab.end()
    app = RnnvizApp(lab=ReplayLab(Replayer(tmp_path / "s.jsonl")), speed=0)
    notes = []
    app.notify = lambda message, **kwargs: notes.append(message)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space")
        await wait_until(pilot, lambda: notes and "end of its record" in notes[-1])
        assert app.session.trainer.step == 40 and not app.loop.running
        assert "every checksum as recorded" in notes[-1]
        assert [label for _, label in app.session.history.snapshot().markers] == ["lr=0.05"]
        assert same_params(app.session.net.params, recorded.lab.session.net.params)


async def test_the_prediction_shows_every_runs_probabilities_side_by_side(tmp_path):
    app = RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=SPEED)
    for _ in range(20):
        app.lab.step()
    app.lab.fork()
    app.lab.session.configure("lr", "0.2")
    for _ in range(15):
        app.lab.step()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#prefix", Input).value = "1 3 5"
        await pilot.pause()
        shown = app.query_one("#runs").render().plain.splitlines()
        assert shown[0].split() == ["lr=0.2", "lr=0.01"]  # the current run's column first
        current, first = (app.lab.runs[i].predict("1 3 5").probs for i in (1, 0))
        row = next(line for line in shown[1:] if line.split()[0] == "7").split()
        probabilities = [float(cell.rstrip("◀")) for cell in row if cell[0].isdigit() and "." in cell]
        assert probabilities == [round(current[7], 2), round(first[7], 2)]
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")  # "Close this run?" Yes: one run left, nothing to compare
        await pilot.pause()
        assert not app.query_one("#runs").display


async def test_ten_fast_forks_and_a_close_while_training_leave_the_app_training():
    """Held in issue 26's QA pass: forks past the fourth run are refused, a close while training takes."""
    app = RnnvizApp(Session(data="toy", embed=4, layers="rnn:4"), speed=10)  # slow: each key waits for an idle app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", *"f" * 10)
        await wait_until(pilot, lambda: len(app.lab.runs) == 4 and app.job is None)
        await pilot.press("x", "enter")  # close the current run: the yes button has the focus
        await wait_until(pilot, lambda: len(app.lab.runs) == 3)
        steps = [session.trainer.step for session in app.lab.runs]
        await wait_until(pilot, lambda: all(s.trainer.step > step for s, step in zip(app.lab.runs, steps, strict=True)))
        assert training(app) and app.return_code is None
        await pilot.press("space")
