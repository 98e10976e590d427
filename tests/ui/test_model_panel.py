"""The Model panel: a bad field is refused beside it and the network kept; layers added, removed, applied."""
import pytest
from textual.widgets import Button, Input, Select

from rnnviz.screens import ConfirmScreen
from rnnviz.widgets.figures import Figures
from rnnviz.widgets.model import ModelPanel

SIZE = (120, 40)


@pytest.mark.parametrize("field, text, says", [
    ("embed", "-3", "embed must be an integer from 1 to 4096, got '-3'"),
    ("seed", "x", "seed must be an integer from 0 to"),
    ("layers", "0", "layer 1 'rnn:0': size must be an integer from 1 to 4096"),
    ("layers", "abc", "layer 1 'rnn:abc': size must be"),
])
async def test_a_bad_model_field_is_refused_beside_it_and_the_network_kept(app, field, text, says):
    async with app.run_test(size=SIZE) as pilot:
        net, panel = app.session.net, app.query_one(ModelPanel)
        target = panel.rows[0].query_one(".size", Input) if field == "layers" else panel.query_one(f"#{field}", Input)
        target.value = text
        panel.query_one("#apply", Button).press()
        await pilot.pause()
        error = panel.query_one(f"#{field}-error")
        assert error.has_class("-shown") and says in str(error.render())
        assert app.session.net is net and not isinstance(app.screen, ConfirmScreen)


async def test_a_stack_without_a_recurrent_layer_is_refused(app):
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(ModelPanel)
        panel.rows[0].query_one(".kind", Select).value = "dense"
        await pilot.pause()
        panel.query_one("#apply", Button).press()
        await pilot.pause()
        assert "add a recurrent layer" in str(panel.query_one("#layers-error").render())
        assert [layer.kind for _, layer in app.session.net.layers] == ["embed", "rnn"]


async def test_adding_and_removing_layers_then_apply_rebuilds_the_network(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        panel = app.query_one(ModelPanel)
        for _ in range(2):
            panel.query_one("#add-layer", Button).press()
            await pilot.pause()
        panel.rows[1].query_one(".size", Input).value = "12"
        panel.query_one("#remove-layer", Button).press()
        await pilot.pause()
        assert len(panel.rows) == 2
        panel.query_one("#apply", Button).press()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert [layer.dim for _, layer in app.session.net.recurrent()] == [16, 12]
        assert app.session.trainer.step == 0
        assert "rnn:16,rnn:12" in app.query_one(Figures).text.plain


async def test_declining_to_rebuild_puts_the_current_model_back_in_the_panel(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        panel = app.query_one(ModelPanel)
        panel.query_one("#add-layer", Button).press()
        await pilot.pause()
        panel.query_one("#apply", Button).press()
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.session.trainer.step == 1 and [layer.dim for _, layer in app.session.net.recurrent()] == [16]
        assert len(panel.rows) == 1
