"""The training charts, alone in a harness (the header: test_header.py)."""
import math
import re
from dataclasses import replace

from rich.console import Console
from rich.text import Text

from rnncore import StepEvent, datasets
from rnnviz.history import History
from rnnviz.widgets.axes import cost_range, thin
from rnnviz.widgets.charts import Curve, TrainingCharts, legend
from rnnviz.widgets.plot import _decode

from .conftest import Harness


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


def test_the_cost_axis_fits_the_run_past_its_first_steps_and_the_levels():
    history = history_of(100, lambda step: 0.6 + 2 / step)  # 2.6 at first, 0.62 at the end
    bottom, top = cost_range([history.snapshot()], levels=[0.5], last_step=100)
    later = [v for s, v in zip(history.snapshot().steps, history.snapshot().smoothed, strict=True) if s >= 10]
    assert top < 2.0 and top > max(later) and 0 < bottom < 0.5  # the fall from 2.6 runs off the top
    assert cost_range([history.snapshot()], [0.5, 1.2], 100)[1] > 1.2  # the line without memory
    whole = cost_range([history.snapshot()], levels=[], last_step=1)
    assert whole[1] > max(history.snapshot().smoothed) and whole[0] >= 0
    young = history_of(5, lambda step: 2.3).snapshot()  # a new run beside it: drawn whole, or plotext fails
    assert cost_range([history.snapshot(), young], [0.5], 100)[1] > 2.3


def test_the_cost_axis_stops_at_a_uniform_guess_so_a_diverged_step_runs_off_its_top():
    spiked = history_of(100, lambda step: 1000.0 if step == 80 else 0.6).snapshot()  # one diverged step
    assert cost_range([spiked], [0.5], 100)[1] > 50  # squashed: the run in one row at the bottom
    bottom, top = cost_range([spiked], [0.5], 100, guess=math.log(10))
    assert 0.6 < top < 1.2 * math.log(10) and bottom < 0.5
    assert cost_range([history_of(100, lambda step: 0.6).snapshot()], [0.5], 100, guess=math.log(10))[1] < 1


def test_the_cost_axis_fits_the_eval_cost_too():
    history = history_of(100, lambda step: 0.6, every=10).snapshot()  # its eval cost is its loss, 0.6 ...
    evaluated = replace(history, eval_cost=[0.3] * len(history.eval_steps))  # ... but for this one
    bottom, top = cost_range([evaluated], [], 100)
    assert bottom < 0.3 and top > 0.6


async def test_the_cost_chart_draws_the_eval_cost_and_the_levels_and_the_border_names_them():
    optimum = datasets.load("parity").optimum
    evaluated = history_of(60, lambda step: 0.9 - step / 200, every=5).snapshot()
    app = Harness(TrainingCharts())
    async with app.run_test(size=(120, 30)) as pilot:
        async def build(history, optimum):
            app.widget.show([Curve("", history)], optimum)
            await pilot.pause()
            return app.query_one("#cost-chart").plt.build()
        known = await build(evaluated, optimum)
        assert "\x1b[38;2;175;135;255m" in known  # the line without memory, in MEMORYLESS_COLOR
        assert "memory" in app.widget.border_subtitle and "best" in app.widget.border_subtitle
        lower = replace(evaluated, eval_cost=[0.2] * 12, version=evaluated.version + 1)
        assert await build(lower, optimum) != known  # the eval cost is drawn
        unknown = await build(evaluated, None)  # a text file: no levels to draw
        assert "38;2;175;135;255" not in unknown and "memory" not in app.widget.border_subtitle
        assert "eval" in app.widget.border_subtitle


def test_the_legend_names_the_lines_in_the_longest_words_that_fit():
    optimum = datasets.load("parity").optimum
    plain = {width: Text.from_markup(legend(optimum, width)).plain for width in (35, 45, 80)}
    assert plain[80] == "━ eval cost ━ training cost ━ best possible ━ best without memory"
    assert plain[45] == "━ eval ━ training ━ best possible ━ no memory"
    assert plain[35] == "━ eval ━ train ━ best ━ no memory"
    assert Text.from_markup(legend(None, 80)).plain == "━ eval cost ━ training cost"  # a text file: no levels


def test_long_series_are_thinned_to_the_points_a_chart_can_show():
    values = list(range(5000))
    thinned = thin(values, 160)
    assert 0 < len(thinned) <= 160 and thinned[-1] == 4999  # the newest point always stays
    assert thin(values[:100], 160) == values[:100]


async def test_charts_with_empty_history():
    app = Harness(TrainingCharts())
    async with app.run_test() as pilot:
        app.widget.show([Curve("", History().snapshot())])
        await pilot.pause()
        assert "press space" in app.query_one("#cost-chart").plt.build()


async def test_a_short_accuracy_chart_still_labels_its_bottom_and_top():
    """At 80x24 the memory use chart has three rows: plotext's own ticks (every sixth) put 0.17 on its bottom row,
    so a learner read a memory use of 0 as 0.17."""
    history = history_of(60, lambda step: 0.5, every=5).snapshot()
    app = Harness(TrainingCharts())
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one("#accuracy-chart")
        chart.styles.height = 7  # as in the app at 80x24
        await pilot.pause()
        app.widget.show([Curve("", history)], datasets.load("parity").optimum)
        await pilot.pause()
        labels = re.findall(r"^ *([\d.]+)[┤├]", Text.from_ansi(chart.plt.build()).plain, re.MULTILINE)
        assert chart.size.height == 7 and labels[0] == "1.00" and labels[-1] == "0.00"
