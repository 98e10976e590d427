"""Pilot tests of the Model, Training, Charts and Figures widgets, each in a tiny app that records messages."""
import math

import pytest
from rich.console import Console
from rich.text import Text
from textual.widgets import Input, Label, Select

from rnncore import StepEvent, TrainConfig
from rnnviz.history import History
from rnnviz.widgets.charts import TrainingCharts, _decode
from rnnviz.widgets.figures import Figures
from rnnviz.widgets.model import LayerRow, ModelPanel
from rnnviz.widgets.training import TrainingPanel

from .conftest import Harness


async def type_into(pilot, selector, text, key="enter"):
    field = pilot.app.query_one(selector, Input)
    field.value = ""
    field.focus()
    await pilot.press(*text, key)
    await pilot.pause()


def error_text(app, field):
    label = app.query_one(f"#{field}-error", Label)
    return str(label.render()) if label.display and label.has_class("-shown") else ""


# --- TrainingPanel ------------------------------------------------------------

def training_app(**config):
    return Harness(TrainingPanel(TrainConfig(lr=0.01, **config), speed=0.0))


async def test_new_lr_on_enter_posts_changed():
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#lr", "0.05")
        assert app.messages == [("lr", 0.05)]
        assert app.widget.config.lr == 0.05
        assert error_text(app, "lr") == ""


async def test_tabbing_into_a_field_selects_it_so_typing_replaces_the_value():
    app = training_app()
    async with app.run_test() as pilot:
        app.query_one("#schedule").focus()
        await pilot.press("shift+tab")
        assert app.focused is app.query_one("#lr")
        await pilot.press(*"0.2", "enter")
        assert app.messages == [("lr", 0.2)]


async def test_new_batch_on_blur_posts_an_int():
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#batch_size", "16", key="tab")
        assert app.messages == [("batch_size", 16)]
        assert isinstance(app.messages[0][1], int)


@pytest.mark.parametrize("text, words", [("abc", "must be a number"), ("-1", "lr must be"), ("100", "lr must be")])
async def test_bad_lr_shows_error_and_restores(text, words):
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#lr", text)
        assert app.messages == []
        assert words in error_text(app, "lr")
        assert app.query_one("#lr", Input).value == "0.01"
        assert app.widget.config.lr == 0.01
        await type_into(pilot, "#lr", "0.02")  # a good value afterwards clears the error
        assert error_text(app, "lr") == ""
        assert app.messages == [("lr", 0.02)]


async def test_bad_int_and_speed_show_errors():
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#batch_size", "2.5")
        await type_into(pilot, "#speed", "5000")
        assert app.messages == []
        assert "whole number" in error_text(app, "batch_size")
        assert "speed must be" in error_text(app, "speed")
        await type_into(pilot, "#speed", "20")
        assert app.messages == [("speed", 20.0)]
        assert app.widget.speed == 20.0


async def test_unchanged_value_posts_nothing():
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#clip", "5")
        await type_into(pilot, "#clip", "5.0", key="tab")
        assert app.messages == []


async def test_switching_optimizer_posts_changed():
    app = training_app(optimizer="adam")
    async with app.run_test() as pilot:
        app.query_one("#optimizer", Select).value = "sgd"
        await pilot.pause()
        assert app.messages == [("optimizer", "sgd")]
        assert app.widget.config.optimizer == "sgd"


async def test_choosing_schedule_with_keys_posts_changed():
    app = training_app()
    async with app.run_test() as pilot:
        app.query_one("#schedule", Select).focus()
        await pilot.press("enter", "down", "enter")  # open, next option, pick
        await pilot.pause()
        assert app.messages == [("schedule", "inverse")]


async def test_set_values_posts_nothing_and_shows_values():
    app = training_app()
    async with app.run_test() as pilot:
        await type_into(pilot, "#lr", "abc")  # leaves an error, which set_values clears
        config = TrainConfig(lr=0.3, optimizer="sgd", schedule="cosine", batch_size=7, bptt=15, l2=0.0002, clip=0.0)
        app.widget.set_values(config, speed=12.0)
        await pilot.pause()
        assert app.messages == []
        assert app.query_one("#lr", Input).value == "0.3"
        assert app.query_one("#l2", Input).value == "0.0002"
        assert app.query_one("#speed", Input).value == "12"
        assert app.query_one("#optimizer", Select).value == "sgd"
        assert app.query_one("#schedule", Select).value == "cosine"
        assert error_text(app, "lr") == ""


# --- TrainingCharts and Figures -----------------------------------------------

def event(step, loss, accuracy=None):
    return StepEvent(step, step / 10, loss, 0.01, 1.0, 1.0, 32, 5000.0, eval_accuracy=accuracy,
                     eval_cost=None if accuracy is None else loss)


async def test_charts_plot_the_history():
    history = History()
    for step in range(1, 101):
        history.add(event(step, 2.3 * math.exp(-step / 30), accuracy=step / 100 if step % 10 == 0 else None))
    history.mark(40, "lr 0.05")
    app = Harness(TrainingCharts())
    async with app.run_test(size=(120, 30)) as pilot:
        app.widget.update_history(history)
        await pilot.pause()
        assert app.widget.cost_points == len(history.steps) == 100
        assert app.widget.eval_points == len(history.eval_steps) == 10
        assert app.widget.markers_drawn == 1
        cost_plot = app.query_one("#cost-chart").plt.build()
        assert "step" in cost_plot and "cost" in cost_plot and "lr 0.05" in cost_plot


async def test_charts_decode_plotext_output_like_rich():
    history = History()
    for step in range(1, 60):
        history.add(event(step, 1 / step, accuracy=0.5 if step % 5 == 0 else None))
    history.mark(20, "sgd")
    app = Harness(TrainingCharts())
    async with app.run_test(size=(80, 24)) as pilot:
        app.widget.update_history(history)
        await pilot.pause()
        ansi = app.query_one("#cost-chart").plt.build()
        console = Console(width=80, color_system="truecolor")
        fast, slow = _decode(ansi), Text.from_ansi(ansi)
        assert fast.plain == slow.plain
        assert list(console.render(fast)) == list(console.render(slow))
        assert _decode("\x1b[1mno reset at the end") is None  # the widget then falls back to rich


async def test_charts_thin_long_histories_to_the_width():
    history = History(max_points=2000)
    for step in range(1, 5001):
        history.add(event(step, 1.0 + (step % 7) / 10))
    app = Harness(TrainingCharts())
    async with app.run_test(size=(80, 24)) as pilot:
        app.widget.update_history(history)
        await pilot.pause()
        assert 0 < app.widget.cost_points <= 2 * 80 < len(history.steps)


async def test_charts_with_empty_history():
    app = Harness(TrainingCharts())
    async with app.run_test() as pilot:
        app.widget.update_history(History())
        await pilot.pause()
        assert app.widget.cost_points == app.widget.eval_points == 0
        assert "press space" in app.query_one("#cost-chart").plt.build()


async def test_figures_show_the_numbers():
    app = Harness(Figures())
    async with app.run_test() as pilot:
        app.widget.update_figures(dataset="digits", architecture="rnn:64,rnn:32", step=1234, epoch=5.5, loss=0.4321,
                                  accuracy=0.875, tokens_per_sec=45678.0, lr=0.008, running=True)
        await pilot.pause()
        text = app.widget.text.plain
        for expected in ("digits", "rnn:64,rnn:32", "1,234", "5.50", "0.4321", "87.5%", "45.7k", "0.008", "RUNNING"):
            assert expected in text
        app.widget.update_figures(dataset="toy", architecture="rnn:8", step=0, epoch=0.0, loss=None, accuracy=None,
                                  tokens_per_sec=None, lr=0.1, running=False)
        assert "PAUSED" in app.widget.text.plain and "RUNNING" not in app.widget.text.plain


# --- ModelPanel -----------------------------------------------------------------

def model_app(layers="rnn:64,rnn:32"):
    return Harness(ModelPanel(["digits", "toy"], dataset="digits", embed=32, layers=layers, seed=0))


async def test_apply_posts_the_current_model():
    app = model_app()
    async with app.run_test(size=(60, 40)) as pilot:
        await pilot.click("#apply")
        assert app.messages == [("digits", 32, "rnn:64,rnn:32", 0)]


async def test_add_resize_and_apply():
    app = model_app()
    async with app.run_test(size=(60, 40)) as pilot:
        await pilot.click("#add-layer")
        rows = app.widget.rows
        assert [row.spec() for row in rows] == ["rnn:64", "rnn:32", "rnn:32"]
        rows[2].query_one(".kind", Select).value = "dense"
        await pilot.pause()
        await type_into(pilot, "#embed", "16", key="tab")
        size = rows[2].query_one(".size", Input)
        size.value = ""
        size.focus()
        await pilot.press("1", "0", "enter")  # enter in any field applies
        assert app.messages == [("digits", 16, "rnn:64,rnn:32,dense:10:tanh", 0)]


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
        assert app.messages == [("digits", 32, "rnn:16", 0)]


@pytest.mark.parametrize("size", ["0", "abc", "99999"])
async def test_invalid_layer_size_shows_error_and_posts_nothing(size):
    app = model_app()
    async with app.run_test(size=(60, 40)) as pilot:
        field = app.widget.rows[1].query_one(".size", Input)
        field.value = size
        await pilot.click("#apply")
        assert app.messages == []
        assert "layer 2" in error_text(app, "layers") and "size" in error_text(app, "layers")
        assert field.has_class("-invalid")


async def test_invalid_embed_and_seed_and_no_rnn():
    app = model_app("dense:8:relu")
    async with app.run_test(size=(60, 40)) as pilot:
        app.query_one("#embed", Input).value = "-3"
        app.query_one("#seed", Input).value = "x"
        await pilot.click("#apply")
        assert app.messages == []
        assert "embed must be" in error_text(app, "embed")
        assert "seed must be" in error_text(app, "seed")
        assert "rnn layer" in error_text(app, "layers")


async def test_add_stops_at_max_layers():
    from rnncore.network import MAX_LAYERS
    app = model_app(",".join(["rnn:4"] * MAX_LAYERS))
    async with app.run_test(size=(60, 60)) as pilot:
        await pilot.click("#add-layer")
        assert len(app.widget.rows) == MAX_LAYERS
        assert f"at most {MAX_LAYERS}" in error_text(app, "layers")


async def test_set_model_replaces_the_fields():
    app = model_app()
    async with app.run_test(size=(60, 40)) as pilot:
        app.widget.set_model("notes.txt", 8, "rnn:5:uniform,dense:3:relu", 7)
        await pilot.pause()
        assert app.messages == []
        assert [row.spec() for row in app.widget.query(LayerRow)] == ["rnn:5:uniform", "dense:3:relu"]
        assert app.query_one("#dataset", Select).value == "notes.txt"
        await pilot.click("#apply")
        assert app.messages == [("notes.txt", 8, "rnn:5:uniform,dense:3:relu", 7)]


async def test_figures_wrap_between_figures_not_inside_one():
    app = Harness(Figures())
    async with app.run_test(size=(40, 10)) as pilot:
        app.widget.update_figures(dataset="digits", architecture="rnn:64", step=99, epoch=1.0, loss=0.4321,
                                  accuracy=0.5, tokens_per_sec=10.0, lr=0.01, running=False)
        await pilot.pause()
        lines = app.widget.text.plain.splitlines()
        assert len(lines) > 1 and all(len(line) <= 38 for line in lines)
        assert any("cost 0.4321" in line for line in lines) and any("step 99" in line for line in lines)
