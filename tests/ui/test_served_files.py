"""The served app (`rnnviz --served-from DIR`, as each browser tab runs it) reads and writes only inside DIR, never
through a symlink, and asks before it replaces a file (issue 26, items 8, 9 and 10)."""
import os
from functools import partial

import pytest
from helpers import run_cli
from textual.widgets import Input

from rnncore import files
from rnnviz.__main__ import StartError, checked_args, lab_from_args
from rnnviz.app import RnnvizApp
from rnnviz.screens import ConfirmScreen, PathScreen
from rnnviz.session import Session

from .conftest import SPEED, wait_until

SIZE = (120, 40)
TEXT = "the cat sat on the mat. " * 20


@pytest.fixture
def places(tmp_path):
    """(the served folder, a folder beside it that a browser user must not reach)."""
    (tmp_path / "class").mkdir()
    (tmp_path / "private").mkdir()
    return tmp_path / "class", tmp_path / "private"


def served(folder, *argv) -> RnnvizApp:
    """A tab's app, as rnnviz's main() makes it with --served-from."""
    args = checked_args(["--data", "toy", "--embed", "4", "--layers", "rnn:4", *argv, "--served-from", str(folder)])
    return RnnvizApp(start=partial(lab_from_args, args), speed=SPEED, root=args.served_from)


@pytest.fixture
def opened(monkeypatch):
    """Every path os.open is asked to open, from now on."""
    paths, real = [], os.open

    def spied(path, *args, **kwargs):
        paths.append(os.path.realpath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spied)
    return paths


async def ready(pilot):
    await wait_until(pilot, lambda: pilot.app.lab is not None and pilot.app.job is None)


async def in_dialog(pilot, open_it, path):
    """Open a path dialog (a key or an action), type `path`, enter; the dialog's message, if it stays open."""
    await open_it()
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PathScreen) and pilot.app.screen.query("#path"))
    pilot.app.screen.query_one("#path", Input).value = path
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(pilot.app.screen, PathScreen) or not pilot.app.screen.working)
    await pilot.pause()
    screen = pilot.app.screen
    return str(screen.query_one("#path-error").content) if isinstance(screen, PathScreen) else None


def key(pilot, name):
    return partial(pilot.press, name)


def action(pilot, name):
    async def run():
        await pilot.app.run_action(name)
    return run


async def test_a_checkpoint_whose_data_lies_outside_is_refused_and_the_data_never_opened(places, opened):
    folder, private = places
    (private / "diary.txt").write_text(TEXT)
    Session(data=str(private / "diary.txt"), embed=4, layers="rnn:4").save(folder / "m.npz")
    files.forget()
    app = served(folder)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        opened.clear()
        says = await in_dialog(pilot, key(pilot, "ctrl+o"), "m.npz")
        assert says is not None and "diary.txt: outside the folder rnnviz serves" in says
        assert app.session.model.data == "toy"
        assert not [path for path in opened if path.startswith(str(private))]


def test_a_served_records_data_outside_the_folder_is_refused_unopened(places, opened, capsys):
    folder, private = places
    (private / "diary.txt").write_text(TEXT)
    assert run_cli(capsys, "train", "--data", private / "diary.txt", "--embed", 4, "--layers", "rnn:4", "--steps", 2,
                   "--record", folder / "s.jsonl")[0] == 0
    args = checked_args(["--replay", str(folder / "s.jsonl"), "--served-from", str(folder)])  # the record is allowed
    opened.clear()
    with pytest.raises(StartError, match=f"s.jsonl:2: cannot replay this start event: {private / 'diary.txt'}: "
                                         "outside the folder rnnviz serves"):
        lab_from_args(args)
    assert not [path for path in opened if path.startswith(str(private))]


async def test_recording_never_writes_a_checkpoint_through_a_symlink(places):
    folder, private = places
    (private / "victim.npz").write_bytes(b"not yours")
    (folder / "session.run0.1.npz").symlink_to(private / "victim.npz")
    (folder / "kept.npz").write_bytes(b"mine")
    (folder / "inner.run0.1.npz").symlink_to(folder / "kept.npz")  # inside, and still never written through
    app = served(folder)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.session.trainer.step == 1)
        says = await in_dialog(pilot, action(pilot, "record"), "session.jsonl")
        assert "session.run0.1.npz: outside the folder rnnviz serves" in says
        await pilot.press("escape")
        says = await in_dialog(pilot, action(pilot, "record"), "inner.jsonl")
        assert "inner.run0.1.npz: a symlink; a file is never written through one" in says
    assert (private / "victim.npz").read_bytes() == b"not yours" and (folder / "kept.npz").read_bytes() == b"mine"
    assert not (folder / "session.jsonl").exists() and not (folder / "inner.jsonl").exists()


async def test_an_export_asks_before_it_replaces_a_file_and_never_replaces_its_own_checkpoint(places):
    folder, _ = places
    Session(data="toy", embed=4, layers="rnn:4").save(folder / "theirs.npz")
    before = (folder / "theirs.npz").read_bytes()
    files.forget()
    app = served(folder)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n")
        assert await in_dialog(pilot, action(pilot, "export"), "theirs.npz") is None  # the question is asked
        assert isinstance(app.screen, ConfirmScreen) and "Replace theirs.npz?" in str(app.screen.question)
        await pilot.press("escape")  # no
        await pilot.pause()
        assert "Not replaced" in str(app.screen.query_one("#path-error").content)
        assert (folder / "theirs.npz").read_bytes() == before
        await pilot.press("escape")
        assert await in_dialog(pilot, key(pilot, "ctrl+s"), "mine.npz") is None  # saved
        says = await in_dialog(pilot, action(pilot, "export"), "mine.npz")
        assert "mine.npz: already written as a checkpoint; choose another name" in says
        await pilot.press("escape")
        assert await in_dialog(pilot, action(pilot, "export"), "theirs.npz") is None
        await pilot.press("enter")  # yes, replace it
        await wait_until(pilot, lambda: not isinstance(app.screen, (ConfirmScreen, PathScreen)))
    assert (folder / "theirs.npz").read_text().startswith("run,step,cost")
    assert (folder / "mine.npz").read_bytes()[:2] == b"PK"


def test_a_served_lesson_reads_its_own_data_from_rnnviz_itself(places):
    folder, _ = places
    lab = lab_from_args(checked_args(["--lesson", "text", "--served-from", str(folder)]))
    assert lab.session.model.data.endswith("text.txt") and len(lab.session.vocab) > 20


@pytest.mark.parametrize("opener, name, existing", [
    ("ctrl+s", "theirs.npz", "theirs.npz"),
    ("record", "theirs.jsonl", "theirs.jsonl"),
    ("record", "notes.jsonl", "notes.run0.1.npz"),  # the checkpoint a record of a trained run writes beside it
])
async def test_a_save_or_a_record_asks_before_it_replaces_a_file(places, opener, name, existing):
    folder, _ = places
    (folder / existing).write_bytes(b"theirs")
    app = served(folder)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: app.session.trainer.step == 1)
        open_it = key(pilot, opener) if opener.startswith("ctrl") else action(pilot, opener)
        assert await in_dialog(pilot, open_it, name) is None  # the question is asked
        assert isinstance(app.screen, ConfirmScreen) and f"Replace {existing}?" in str(app.screen.question)
        await pilot.press("escape")  # no
        await pilot.pause()
        assert "Not replaced" in str(app.screen.query_one("#path-error").content)
    assert (folder / existing).read_bytes() == b"theirs"
