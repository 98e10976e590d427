"""Bad files in the app: checkpoints that cannot be read through the load dialog, a save that fails half
way, a data file that went bad."""
import json
import pickle

import numpy as np
from helpers import Payload, params_of, same_params
from textual.widgets import Button, Input, Label

import rnncore.checkpoint
from rnnviz.app import RnnvizApp
from rnnviz.screens import PathScreen
from rnnviz.session import Session
from rnnviz.widgets.model import ModelPanel

from .conftest import SPEED, enter, settled, wait_until

SIZE = (120, 40)


# --- 4. bad checkpoints through the load dialog, a save that fails half way -------------------------
def bad_checkpoints(good, folder):
    """name -> path of a file the load dialog must refuse."""
    with np.load(good) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays["header"].tobytes())
    raw = good.read_bytes()

    def write(name, data=None, **changes):
        path = folder / name
        if data is not None:
            path.write_bytes(data)
            return path
        new = {**arrays, **changes}
        with open(path, "wb") as f:
            np.savez(f, **new)
        return path

    def header_with(**fields):
        return np.frombuffer(json.dumps({**header, **fields}).encode(), np.uint8)

    evil = np.empty(1, object)
    evil[0] = Payload(folder / "code-ran")
    flipped = bytearray(raw)
    flipped[len(raw) // 2:len(raw) // 2 + 16] = bytes(b ^ 0xFF for b in flipped[len(raw) // 2:len(raw) // 2 + 16])
    return {
        "empty": write("empty.npz", b""),
        "truncated": write("truncated.npz", raw[:len(raw) // 2]),
        "corrupted": write("corrupted.npz", bytes(flipped)),
        "text": write("text.npz", b"this is not a checkpoint\n"),
        "pickle file": write("pickled.npz", pickle.dumps(Payload(folder / "code-ran"))),
        "wrong version": write("version.npz", header=header_with(version=99)),
        "wrong shape": write("shape.npz", **{"param/rnn0.Whh": np.zeros((16, 15), np.float32)}),
        "pickle member": write("member.npz", **{"param/out.b": evil}),
        "other vocabulary": write("vocab.npz", header=header_with(vocab=list("abcdefghij"))),
    }


async def test_every_bad_checkpoint_is_an_inline_error_and_the_network_is_untouched(tmp_path):
    good = tmp_path / "good.npz"
    Session(data="toy", embed=8, layers="rnn:16", seed=4).save(good)  # the same shapes as the app's network
    bad = bad_checkpoints(good, tmp_path)
    session = Session(data="toy", embed=8, layers="rnn:16")
    for _ in range(3):
        session.step()
    app = RnnvizApp(session, speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        before, net, step = params_of(session.net), session.net, session.trainer.step
        await pilot.press("ctrl+o")
        for kind, path in bad.items():
            await enter(pilot, app.screen.query_one("#path", Input), str(path))
            assert isinstance(app.screen, PathScreen), kind
            assert path.name in str(app.screen.query_one("#path-error").content), kind
            assert app.session.net is net and same_params(before, session.net.params), kind
        await pilot.press("escape")
        assert app.session.trainer.step == step and same_params(before, app.session.net.params)
        await enter(pilot, app.screen.query_one("#prefix", Input), "1 3")  # the app still answers
        assert "◀" in app.query_one("#bars").text.plain  # the bars show a prediction again
    assert not (tmp_path / "code-ran").exists()


async def test_a_save_that_fails_half_way_shows_why_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    session = Session(data="toy", embed=8, layers="rnn:16")
    session.save(path)
    old = path.read_bytes()
    session.step()

    def half_then_full_disk(file, **arrays):
        file.write(old[:len(old) // 2])
        raise OSError(28, "No space left on device")

    app = RnnvizApp(session, speed=SPEED, checkpoint=str(path))
    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(rnncore.checkpoint.np, "savez", half_then_full_disk)
        await pilot.press("ctrl+s")
        await pilot.press("enter")
        assert isinstance(app.screen, PathScreen)
        assert "No space left on device" in str(app.screen.query_one("#path-error").content)
        assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["model.npz"]
        monkeypatch.undo()
        await pilot.press("enter")  # the disk has room again: the same dialog saves
        assert not isinstance(app.screen, PathScreen)
    assert rnncore.load(path).trainer_state["step"] == 1


# --- 5. a data file that went bad, chosen in the model panel ------------------------------------------
async def test_a_data_file_that_went_bad_is_reported_and_the_network_kept(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("the cat sat on the mat. " * 10)
    app = RnnvizApp(Session(data=str(text), embed=8, layers="rnn:8"), speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(ModelPanel)

        error = panel.query_one("#data-error", Label)

        async def apply(dataset, done):
            panel.show_error("data", "")
            panel.query_one("#data", Input).value = dataset
            panel.query_one("#apply", Button).press()
            await wait_until(pilot, done)
            await settled(pilot)

        await apply("toy", lambda: app.session.model.data == "toy")
        before, net = params_of(app.session.net), app.session.net
        damages = [(b"\x00\x01binary" * 10, "binary"), (b"", "empty"), (b"caf\xe9" * 10, "UTF-8"), (None, "no such")]
        for damage, says in damages:
            if damage is None:
                text.unlink()
            else:
                text.write_bytes(damage)
            await apply(str(text), lambda: str(error.content))
            message = str(error.content)
            assert "notes.txt" in message and says in message, message
            assert app.session.model.data == "toy" and app.session.net is net and same_params(before, net.params)
            assert panel.query_one("#data", Input).value == "toy"
