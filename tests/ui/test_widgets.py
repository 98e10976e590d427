"""Pilot tests of the Model, Training, Charts and Figures widgets, each in a tiny app that records messages."""
import math
from dataclasses import replace

from rich.console import Console
from rich.text import Text
from textual.widgets import Input, Label, Select

from rnncore import MAX_LAYERS, ModelConfig, StepEvent, TrainConfig
from rnnviz.history import History
from rnnviz.session import Session
from rnnviz.widgets.charts import Curve, TrainingCharts, _cost_range, _decode, _thin
from rnnviz.widgets.figures import Figures
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


# --- TrainingCharts and Figures -----------------------------------------------

def event(step, loss, accuracy=None):
    return StepEvent(step, step / 10, loss, 0.01, 1.0, 1.0, 32, 5000.0, eval_accuracy=accuracy,
                     eval_cost=None if accuracy is None else loss)


def history_of(steps, loss, every=None):
    history = History()
    for step in range(1, steps + 1):
        history.add(event(step, loss(step), accuracy=step / steps if every and step % every == 0 else None))
    return history


async def test_charts_plot_the_history():
    history = history_of(100, lambda step: 2.3 * math.exp(-step / 30), every=10)
    history.mark(40, "lr 0.05")
    app = Harness(TrainingCharts())
    async with app.run_test(size=(120, 30)) as pilot:
        app.widget.show([Curve("", history.snapshot())])
        await pilot.pause()
        assert app.widget.drawn[0].history.version == history.snapshot().version
        cost_plot = app.query_one("#cost-chart").plt.build()
        assert "step" in cost_plot and "cost" in cost_plot and "lr 0.05" in cost_plot
        assert "eval accuracy" in app.query_one("#accuracy-chart").plt.build()


async def test_charts_decode_plotext_output_like_rich():
    history = history_of(59, lambda step: 1 / step, every=5)
    history.mark(20, "sgd")
    app = Harness(TrainingCharts())
    async with app.run_test(size=(80, 24)) as pilot:
        app.widget.show([Curve("", history.snapshot())])
        await pilot.pause()
        ansi = app.query_one("#cost-chart").plt.build()
        console = Console(width=80, color_system="truecolor")
        fast, slow = _decode(ansi), Text.from_ansi(ansi)
        assert fast.plain == slow.plain
        assert list(console.render(fast)) == list(console.render(slow))
        assert _decode("\x1b[1mno reset at the end") is None  # the widget then falls back to rich


def test_the_cost_axis_fits_the_run_past_its_first_steps_and_the_best_line():
    history = history_of(100, lambda step: 0.6 + 2 / step)  # 2.6 at first, 0.62 at the end
    bottom, top = _cost_range([Curve("", history.snapshot())], best=0.5, last_step=100)
    later = [v for s, v in zip(history.snapshot().steps, history.snapshot().smoothed, strict=True) if s >= 10]
    assert top < 2.0 and top > max(later) and 0 < bottom < 0.5  # the fall from 2.6 runs off the top
    whole = _cost_range([Curve("", history.snapshot())], best=None, last_step=1)
    assert whole[1] > max(history.snapshot().smoothed) and whole[0] >= 0
    young = history_of(5, lambda step: 2.3).snapshot()  # a new run beside it: drawn whole, or plotext fails
    assert _cost_range([Curve("a", history.snapshot()), Curve("b", young)], 0.5, 100)[1] > 2.3


def test_long_series_are_thinned_to_the_points_a_chart_can_show():
    values = list(range(5000))
    thinned = _thin(values, 160)
    assert 0 < len(thinned) <= 160 and thinned[-1] == 4999  # the newest point always stays
    assert _thin(values[:100], 160) == values[:100]


async def test_charts_with_empty_history():
    app = Harness(TrainingCharts())
    async with app.run_test() as pilot:
        app.widget.show([Curve("", History().snapshot())])
        await pilot.pause()
        assert "press space" in app.query_one("#cost-chart").plt.build()


def session_view(**changes):
    view = Session(data="toy", embed=4, layers="rnn:4").view()
    return replace(view, **changes)


async def test_figures_show_the_numbers():
    app = Harness(Figures())
    async with app.run_test() as pilot:
        view = session_view(model=ModelConfig("digits", 32, "rnn:64,rnn:32"), step=1234, epoch=5.5, loss=0.4321,
                            accuracy=0.875, next_lr=0.008)
        app.widget.show(view, "running", 45678.0)
        await pilot.pause()
        text = app.widget.text.plain
        for expected in ("digits", "rnn:64,rnn:32", "1,234", "5.50", "0.4321", "87.5%", "45.7k", "0.008", "RUNNING"):
            assert expected in text
        app.widget.show(session_view(), "paused", None)
        assert "PAUSED" in app.widget.text.plain and "RUNNING" not in app.widget.text.plain


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
        assert app.query_one("#data", Select).value == "notes.txt"
        await pilot.click("#apply")
        assert app.messages == [("notes.txt", "8", "rnn:5:uniform,dense:3:relu", "7")]


async def test_figures_wrap_between_figures_not_inside_one():
    app = Harness(Figures())
    async with app.run_test(size=(40, 10)) as pilot:
        app.widget.show(session_view(step=99, epoch=1.0, loss=0.4321, accuracy=0.5), "paused", 10.0)
        await pilot.pause()
        lines = app.widget.text.plain.splitlines()
        assert len(lines) > 1 and all(len(line) <= 38 for line in lines)
        assert any("cost 0.4321" in line for line in lines) and any("step 99" in line for line in lines)
