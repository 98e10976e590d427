"""Pilot tests of the Model and Training panels, each in a tiny app that records messages (the charts:
test_charts.py, the header: test_header.py)."""
from textual.widgets import Input, Label, Select

from rnncore import MAX_LAYERS, ModelConfig, TrainConfig
from rnnviz.widgets.model import LayerRow, ModelPanel
from rnnviz.widgets.speed import SpeedControl
from rnnviz.widgets.training import TrainingPanel

from .conftest import Harness, type_into


def error_text(app, field):
    label = app.query_one(f"#{field}-error", Label)
    return str(label.render()) if label.display and label.has_class("-shown") else ""


# --- TrainingPanel: posts what was typed; shows what it is told ------------------

def training_app(**config):
    return Harness(TrainingPanel(TrainConfig(lr=0.01, **config), 0.0))


async def test_new_lr_on_enter_posts_the_text_typed():
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#lr", "0.05", "enter")
        assert app.messages == [("lr", "0.05")]


async def test_tabbing_into_a_field_selects_it_so_typing_replaces_the_value():
    app = training_app()
    async with app.run_test() as pilot:
        app.query_one("#schedule").focus()
        await pilot.press("shift+tab")
        assert app.focused is app.query_one("#lr")
        await pilot.press(*"0.2", "enter")
        assert app.messages == [("lr", "0.2")]


async def test_new_batch_on_blur_posts_it():
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#batch_size", "16", "tab")
        assert app.messages == [("batch_size", "16")]


async def test_an_error_shows_beside_the_field_with_the_stored_value_selected():
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#lr", "9e9", "enter")
        app.widget.show_error("lr", "lr must be a number in (0, 10], got 9000000000.0")
        await pilot.pause()
        field = app.query_one("#lr", Input)
        assert "lr must be" in error_text(app, "lr") and field.value == "0.01"
        field.focus()
        assert field.selected_text == "0.01"  # the next key typed replaces it: no 0.015 from a stray 5
        await pilot.press("5", "enter")
        assert app.messages == [("lr", "9e9"), ("lr", "5")]


async def test_leaving_an_unchanged_field_posts_nothing_but_enter_always_answers():
    app = training_app()
    async with app.run_test() as pilot:
        clip = app.query_one("#clip", Input).value
        await type_into(pilot, "#clip", f" {clip} ", "tab")
        assert app.messages == []
        await type_into(pilot, "#clip", clip, "enter")
        assert app.messages == [("clip", clip)]


async def test_switching_optimizer_posts_it():
    app = training_app(optimizer="adam")
    async with app.run_test() as pilot:
        app.query_one("#optimizer", Select).value = "sgd"
        await pilot.pause()
        assert app.messages == [("optimizer", "sgd")]


async def test_choosing_schedule_with_keys_posts_it():
    app = training_app()
    async with app.run_test() as pilot:
        app.query_one("#schedule", Select).focus()
        await pilot.press("enter", "down", "enter")  # open, next option, pick
        await pilot.pause()
        assert app.messages == [("schedule", "inverse")]


async def test_show_posts_nothing_and_shows_the_config_values():
    app = training_app()
    async with app.run_test() as pilot:
        config = TrainConfig(lr=0.3, optimizer="sgd", schedule="cosine", batch_size=7, bptt=15, l2=0.0002, clip=0.0)
        app.widget.show(config)
        await pilot.pause()
        assert app.messages == []
        for name, text in (("lr", "0.3"), ("l2", "0.0002"), ("batch_size", "7"), ("clip", "0")):
            assert app.query_one(f"#{name}", Input).value == text
        assert app.query_one("#optimizer", Select).value == "sgd"
        assert app.query_one("#schedule", Select).value == "cosine"


async def test_show_leaves_a_field_being_typed_in_alone():
    app = training_app()
    async with app.run_test() as pilot:
        field = app.query_one("#lr", Input)
        field.focus()
        await pilot.press("end", "backspace", "3")
        app.widget.show(TrainConfig(lr=0.01, batch_size=8))  # lr unchanged since last shown: the typing stays
        await pilot.pause()
        assert field.value == "0.03" and app.query_one("#batch_size", Input).value == "8"


async def test_speed_control_refuses_bad_speeds_and_posts_good_ones():
    app = Harness(SpeedControl(0.0))
    async with app.run_test() as pilot:
        for bad in ("5000", "-1", "nan", "1_0", "３"):
            await type_into(pilot, "#speed", bad, "enter")
            assert "steps/s must be" in str(app.query_one(".error", Label).render())
        await type_into(pilot, "#speed", "20", "enter")
        assert app.messages == [("speed", 20.0)] and app.widget.speed == 20.0
        assert not app.query_one(".error", Label).has_class("-shown")


# --- ModelPanel: posts the fields as typed; shows the model it is told ----------

def model_app(layers="rnn:64,rnn:32"):
    return Harness(ModelPanel(["digits", "toy"], ModelConfig("digits", 32, layers), 0))


async def test_apply_posts_the_fields():
    app = model_app()
    async with app.run_test(size=(60, 40)) as pilot:
        await pilot.click("#apply")
        assert app.messages == [("digits", "32", "rnn:64,rnn:32", "0")]


async def test_add_resize_and_apply():
    app = model_app()
    async with app.run_test(size=(60, 40)) as pilot:
        await pilot.click("#add-layer")
        rows = app.widget.rows
        assert [row.spec() for row in rows] == ["rnn:64", "rnn:32", "rnn:32"]
        rows[2].query_one(".kind", Select).value = "dense"
        await pilot.pause()
        rows[2].query_one(".option", Select).value = "relu"
        await type_into(pilot, "#embed", "16", "tab")
        size = rows[2].query_one(".size", Input)
        size.value = ""
        size.focus()
        await pilot.press("1", "0", "enter")  # enter in any field applies
        assert app.messages == [("digits", "16", "rnn:64,rnn:32,dense:10:relu", "0")]


async def test_remove_selected_or_last_layer():
    app = model_app("rnn:8,rnn:16,rnn:24")
    async with app.run_test(size=(60, 40)) as pilot:
        app.widget.rows[0].query_one(".size", Input).focus()
        await pilot.click("#remove-layer")
        assert [row.spec() for row in app.widget.rows] == ["rnn:16", "rnn:24"]
        await pilot.click("#remove-layer")  # nothing selected now: the last goes
        assert [row.spec() for row in app.widget.rows] == ["rnn:16"]
        await pilot.click("#remove-layer")  # the last layer stays
        assert len(app.widget.rows) == 1
        assert "at least one" in error_text(app, "layers")
        await pilot.click("#apply")
        assert app.messages == [("digits", "32", "rnn:16", "0")]


async def test_an_error_shows_under_its_field_until_the_next_apply():
    app = model_app()
    async with app.run_test(size=(60, 40)) as pilot:
        app.widget.show_error("embed", "embed must be an integer from 1 to 4096, got '-3'")
        await pilot.pause()
        assert "embed must be" in error_text(app, "embed")
        await pilot.click("#apply")
        assert error_text(app, "embed") == "" and len(app.messages) == 1


async def test_add_stops_at_max_layers():
    app = model_app(",".join(["rnn:4"] * MAX_LAYERS))
    async with app.run_test(size=(60, 60)) as pilot:
        await pilot.click("#add-layer")
        assert len(app.widget.rows) == MAX_LAYERS
        assert f"at most {MAX_LAYERS}" in error_text(app, "layers")


async def test_show_replaces_the_fields():
    app = model_app()
    async with app.run_test(size=(60, 40)) as pilot:
        app.widget.show(ModelConfig("notes.txt", 8, "rnn:5:uniform,dense:3:relu"), 7)
        await pilot.pause()
        assert app.messages == []
        assert [row.spec() for row in app.widget.query(LayerRow)] == ["rnn:5:uniform", "dense:3:relu"]
        assert app.query_one("#data", Input).value == "notes.txt"
        await pilot.click("#apply")
        assert app.messages == [("notes.txt", "8", "rnn:5:uniform,dense:3:relu", "7")]
