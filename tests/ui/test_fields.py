"""Issue 16, points 6, 10-12 and 21-24, in the app as a user drives it: paths in the save dialog, a field that
refused a value takes the next one whole, odd numbers, a schedule chosen late, and a newcomer's first minute."""
import pytest
from textual.widgets import Input, Label, Select

from rnncore import TrainConfig
from rnnviz.app import RnnvizApp
from rnnviz.helptext import HELP
from rnnviz.screens import HelpScreen, PathScreen
from rnnviz.session import Session
from rnnviz.widgets.footer import KeysTo

from .conftest import SPEED, settled, training, wait_until

SIZE = (120, 40)


def error_beside(app, name: str) -> str:
    label = app.query_one(f"#{name}-error", Label)
    return str(label.render()) if label.has_class("-shown") else ""


async def enter(pilot, name: str, text: str) -> None:
    """`text` in the field, then enter, as typed after tabbing into it."""
    field = pilot.app.query_one(f"#{name}", Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


async def save_dialog(pilot, path: str) -> None:
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PathScreen))
    pilot.app.screen.query_one("#path", Input).value = path
    await pilot.press("enter")
    await wait_until(pilot, lambda: not getattr(pilot.app.screen, "working", False))
    await pilot.pause()


# --- 6. paths --------------------------------------------------------------------------------------------
async def test_a_nul_byte_in_the_save_dialog_is_an_inline_error(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await save_dialog(pilot, "model\0.npz")
        assert isinstance(app.screen, PathScreen)
        assert "a path cannot hold a NUL byte" in str(app.screen.query_one("#path-error").content)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PathScreen) and app.return_code is None
    assert list(tmp_path.iterdir()) == []


async def test_a_tilde_saves_into_the_home_folder(app, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await save_dialog(pilot, "~/x.npz")
        assert not isinstance(app.screen, PathScreen)
    assert (tmp_path / "home" / "x.npz").is_file() and not (tmp_path / "~").exists()


# --- 10. after a refusal, the next value typed is the value applied ------------------------------------------
@pytest.mark.parametrize("name, refused, typed, applied", [
    ("lr", "1e9", "5", 5.0), ("batch_size", "0", "8", 8), ("clip", "-1", "2", 2.0),
])
async def test_the_value_typed_after_a_refusal_is_the_value_applied(app, name, refused, typed, applied):
    async with app.run_test(size=SIZE) as pilot:
        before = getattr(app.session.config, name)
        await enter(pilot, name, refused)
        assert error_beside(app, name) and getattr(app.session.config, name) == before
        assert app.screen.focused is app.query_one(f"#{name}")  # still there, its old value selected
        await pilot.press(*typed, "enter")
        await pilot.pause()
        assert getattr(app.session.config, name) == applied and not error_beside(app, name)
        assert app.query_one(f"#{name}", Input).value == typed


# --- 11. a value is shown as stored; odd digits are refused in the field's own words -----------------------
async def test_a_value_stored_as_zero_is_shown_as_zero(app):
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, "clip", "1e-400")
        assert app.session.config.clip == 0 and app.query_one("#clip", Input).value == "0"


@pytest.mark.parametrize("text", ["٣", "３２", "1_0", "²"])
async def test_digits_python_would_take_are_refused_in_the_fields_words(app, text):
    async with app.run_test(size=SIZE) as pilot:
        await enter(pilot, "batch_size", text)
        message = error_beside(app, "batch_size")
        assert message.startswith("batch must be an integer from 1 to 4096") and repr(text) in message
        assert "batch_size" not in message and "invalid literal" not in message
        assert app.session.config.batch_size == 32


# --- 12. a schedule chosen mid-run starts from that step; its length is a field -----------------------------
async def test_cosine_chosen_at_step_1600_starts_at_the_base_lr_then_falls():
    session = Session(TrainConfig(eval_every=0), data="toy", embed=4, layers="rnn:4")
    for _ in range(1600):
        session.step()
    app = RnnvizApp(session, speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        assert str(app.query_one("#decay_steps").parent.query_one(Label).render()) == "length"
        await enter(pilot, "decay_steps", "500")
        app.query_one("#schedule", Select).value = "cosine"
        await pilot.pause()
        assert app.session.config.schedule == "cosine" and app.session.config.decay_steps == 500
        lrs = []
        for _ in range(3):
            await pilot.press("n")
            await wait_until(pilot, lambda: not app.loop.running and not training(app))
            lrs.append(app.session.last_event.lr)
        assert lrs[0] == 0.01 and lrs[0] > lrs[1] > lrs[2] > 0.0099  # falling from the base, 500 steps to go
        assert "schedule=cosine" in app.session.history.snapshot().markers[-1][1]


# --- 21-24. a newcomer's way in ------------------------------------------------------------------------------
async def test_a_newcomer_starts_tunes_the_lr_trains_and_quits_with_the_keys_the_screen_names():
    app = RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert app.screen.focused is None  # the keys work at once
        assert str(app.query_one(KeysTo).content) == "keys: app"  # and the footer names the keys
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and "## Getting around" in HELP
        await pilot.press("escape")
        await pilot.press("2")
        assert app.screen.focused is app.query_one("#lr")
        await pilot.press(*"0.05", "enter")
        await pilot.pause()
        assert app.session.config.lr == 0.05 and app.screen.focused is None  # enter gave the keys back
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.trainer.step > 3)
        assert app.loop.running and app.session.last_event.lr == 0.05
        await pilot.press("q")  # it has trained and is not saved: asked first, and q again quits
        await wait_until(pilot, lambda: app.asking_to_quit is not None)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0 and not training(app)
