"""`rnnviz --record` and `rnnviz --replay` as main() makes the app (issue 26, items 1 and 2): what the app records
replays, in the app and in rnncore, however many runs came and went; a record it cannot replay is one line and
status 2, or, found only on the way, a message in the app, never a traceback."""
from functools import partial

from helpers import run_cli

from rnnviz.__main__ import checked_args, lab_from_args
from rnnviz.app import RnnvizApp
from rnnviz.lab import Lab
from rnnviz.session import Session

from .conftest import SPEED, wait_until

SIZE = (120, 40)
SMALL = ["--data", "toy", "--embed", "4", "--layers", "rnn:4"]


def app_of(*argv, speed=SPEED) -> RnnvizApp:
    """The app as rnnviz's main() makes it from a command line: the lab behind the loading screen."""
    args = checked_args(list(argv))
    return RnnvizApp(start=partial(lab_from_args, args), starting="the test", speed=speed)


def noted(app) -> list[str]:
    notes = []
    app.notify = lambda message, **kwargs: notes.append(message)
    return notes


async def runs_become(pilot, count):
    await wait_until(pilot, lambda: pilot.app.lab is not None and len(pilot.app.lab.runs) == count and
                     pilot.app.job is None)


async def test_the_app_replays_a_record_of_forks_and_closes_to_its_end(tmp_path, capsys):
    path = str(tmp_path / "five.jsonl")
    app = app_of(*SMALL, "--record", path)
    async with app.run_test(size=SIZE) as pilot:
        await runs_become(pilot, 1)
        for count in (2, 3, 4):
            await pilot.press("n", "f")
            await runs_become(pilot, count)
        await pilot.press("x", "enter")  # close the fourth run: the yes button has the focus
        await runs_become(pilot, 3)
        await pilot.press("n", "f")  # a fifth run, in the fourth's place
        await runs_become(pilot, 4)
        await pilot.press("n", "q")
    assert app.return_code in (None, 0)
    shown = app_of("--replay", path, speed=0)
    notes = noted(shown)
    async with shown.run_test(size=SIZE) as pilot:
        await runs_become(pilot, 1)
        await pilot.press("space")
        await wait_until(pilot, lambda: notes and "end of its record" in notes[-1], timeout=30)
        assert "every checksum as recorded" in notes[-1] and len(shown.lab.runs) == 4
        await pilot.press("q")
    assert shown.return_code in (None, 0)
    code, _, err = run_cli(capsys, "replay", path)
    assert code == 0 and err == ""


async def test_a_record_the_app_cannot_replay_ends_it_in_one_line_before_any_screen(tmp_path):
    path = tmp_path / "s.jsonl"
    lab = Lab(Session(data="toy", embed=4, layers="rnn:4"))
    lab.record(path)
    lab.step()
    lab.end()
    lines = path.read_text().splitlines()
    lines.insert(2, '{"event": "configure", "run": 0, "step": 1, "changes": {"batch_size": 0}}')
    path.write_text("\n".join(lines) + "\n")
    app = app_of("--replay", str(path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.refused is not None)
    assert app.return_code == 2  # main() prints `refused` as its one line and exits with it
    assert app.refused.startswith(f"{path}:3: cannot replay this configure event: batch must be an integer")


async def test_an_event_that_fails_on_the_way_stops_the_replay_with_its_line(tmp_path):
    path, mid = tmp_path / "s.jsonl", tmp_path / "mid.npz"
    lab = Lab(Session(data="toy", embed=4, layers="rnn:4"))
    lab.record(path)
    for _ in range(5):
        lab.step()
    lab.session.save(mid)
    lab.session.load(mid)
    lab.step()
    lab.end()
    Session(data="toy", embed=4, layers="rnn:4", seed=9).save(mid)  # the checkpoint is not the one loaded any more
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if '"load"' in text)
    app = app_of("--replay", str(path), speed=0)
    notes = noted(app)
    async with app.run_test(size=SIZE) as pilot:
        await runs_become(pilot, 1)
        await pilot.press("space")
        await wait_until(pilot, lambda: notes and "cannot replay" in notes[-1])
        assert notes[-1] == f"{path}:{line}: cannot replay this load event: the checkpoint {mid} it loaded has changed"
        assert not app.loop.running and app.session.trainer.step == 5  # the runs so far stay on the screen
        await pilot.press("q")
    assert app.return_code in (None, 0)
