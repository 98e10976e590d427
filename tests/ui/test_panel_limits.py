"""Every limit of the Model and Training panels: each value at a limit is taken, each one past it refused beside
its field, the old value kept and nothing marked on the charts."""
from limits import MAX_SIZE, MODEL, TRAINING, edges, typed
from textual.widgets import Input, Label

from rnnviz.widgets.model import ModelPanel

from .conftest import enter, settled

SIZE = (120, 40)


def error_beside(app, field):
    label = app.query_one(f"#{field}-error", Label)
    return str(label.render()) if label.has_class("-shown") else ""


PANEL_FIELDS = [name for name in TRAINING if name in ("lr", "decay_steps", "batch_size", "bptt", "l2", "clip")]


async def test_the_training_panel_takes_each_limit_and_refuses_past_it_keeping_the_old_value(app):
    async with app.run_test(size=SIZE) as pilot:
        for field in PANEL_FIELDS:
            taken, refused = edges(TRAINING, field)
            control = app.query_one(f"#{field}", Input)
            for value in refused:
                before, marks = getattr(app.session.config, field), len(app.session.history.snapshot().markers)
                await enter(pilot, control, typed(value))
                assert "must be" in error_beside(app, field), (field, value, error_beside(app, field))
                assert getattr(app.session.config, field) == before and control.value == typed_back(before)
                assert len(app.session.history.snapshot().markers) == marks  # nothing applied, nothing marked
            for value in taken:
                await enter(pilot, control, typed(value))
                assert error_beside(app, field) == "" and getattr(app.session.config, field) == value, (field, value)


def typed_back(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


async def test_the_model_panel_takes_each_limit_and_refuses_past_it(app):
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(ModelPanel)
        embed = panel.query_one("#embed", Input)
        for value in edges(MODEL, "embed")[1]:
            await enter(pilot, embed, str(value))
            assert "embed must be" in error_beside(app, "embed") and app.session.model.embed == 8
        embed.value = "8"
        size = panel.rows[0].query_one(".size", Input)
        for text in ("0", str(MAX_SIZE + 1), "x", "-4"):
            await enter(pilot, size, text)
            assert "size must be an integer" in error_beside(app, "layers")
        embed.value, size.value = str(MAX_SIZE), str(MAX_SIZE)
        await enter(pilot, panel.query_one("#seed", Input), str(2**63 - 1))
        await settled(pilot)  # a 4096-unit layer takes seconds to draw: a job, off the app's thread
        assert app.session.model.embed == MAX_SIZE and app.session.model.layers == f"rnn:{MAX_SIZE}"
        assert app.session.config.seed == 2**63 - 1
