import numpy as np
import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.widgets import Input, Static

from rnncore import RNN, Embedding, Network, datasets
from rnncore import glyph as shown
from rnnviz.inference import predict
from rnnviz.widgets.bars import BEST_STYLE, TOP_K, ProbabilityBars, bar, bars_text, chosen_rows
from rnnviz.widgets.heatmap import (
    HEADER_EVERY,
    MAX_ROWS,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    HiddenHeatmap,
    cell_style,
    heatmap_lines,
)
from rnnviz.widgets.prediction import HINT, PredictionPanel

VOCAB = datasets.toy().vocab


class PredictionApp(App):
    """The panel wired the way the real app wires it: predict on every change, error inline."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.texts = []

    def compose(self):
        yield PredictionPanel()

    def on_prediction_panel_prefix_changed(self, message):
        self.texts.append(message.text)
        panel = self.query_one(PredictionPanel)
        try:
            panel.show(predict(self.net, VOCAB, message.text))
        except ValueError as e:
            panel.show_error(str(e))


@pytest.fixture
def net():
    return Network(10, [Embedding(8), RNN(6), RNN(5)], seed=0)


async def type_prefix(pilot, text):
    await pilot.click("#prefix")
    await pilot.press(*text)
    await pilot.pause()


def heatmap_text(heatmap) -> Text:
    """What a heatmap shows, at its current width."""
    return Text("\n").join(Text.assemble(*[(seg.text, seg.style) for seg in line]) for line in heatmap.lines)


def rgb(style):
    return style.bgcolor.get_truecolor()


def bar_lines(app):
    return app.query_one(ProbabilityBars).text.split("\n")


async def test_typing_a_prefix_shows_the_bars_with_the_best_highlighted(net):
    want = predict(net, VOCAB, "1 3 5")
    app = PredictionApp(net)
    async with app.run_test(size=(80, 40)) as pilot:
        await type_prefix(pilot, "1 3 5")
        lines = bar_lines(app)
    assert app.texts[-1] == "1 3 5"
    assert [line.plain.split()[0] for line in lines] == list("0123456789")
    for line, p in zip(lines, want.probs, strict=True):
        assert f"{p:.2f}" in line.plain
    best = int(np.argmax(want.probs))
    for i, line in enumerate(lines):
        highlighted = any(span.style == BEST_STYLE for span in line.spans)
        assert highlighted == (i == best)
        assert line.plain.endswith("◀") == (i == best)


async def test_one_heatmap_per_recurrent_layer_with_the_hidden_values(net):
    want = predict(net, VOCAB, "1 3 5")
    app = PredictionApp(net)
    async with app.run_test(size=(80, 40)) as pilot:
        await type_prefix(pilot, "1 3 5")
        maps = list(app.query(HiddenHeatmap))
        texts = [heatmap_text(m).split("\n") for m in maps]
    assert [m.units for m in maps] == [6, 5]
    for lines, states, name in zip(texts, want.hidden, ["rnn0", "rnn1"], strict=True):
        H = states.shape[1]
        assert lines[0].plain == f"{name} ({H} units)"
        assert lines[1].plain.split() == ["1", "3", "5"]
        rows = lines[2:-1]
        assert len(rows) == H
        for unit, row in enumerate(rows):
            assert row.plain.split()[0] == str(unit)
            colours = [rgb(span.style) for span in row.spans if isinstance(span.style, Style) and span.style.bgcolor]
            assert colours == [rgb(cell_style(v)) for v in states[:, unit]]
        assert lines[-1].plain.startswith("-1") and lines[-1].plain.endswith("+1")


async def test_continuation_is_the_greedy_one(net):
    want = predict(net, VOCAB, "2 4")
    app = PredictionApp(net)
    async with app.run_test(size=(80, 40)) as pilot:
        await type_prefix(pilot, "2 4")
        line = str(app.query_one("#continuation", Static).content)
    assert line == "continues: " + " ".join(want.continuation) + " …"


async def test_outside_vocabulary_shows_an_inline_error_and_keeps_the_bars(net):
    app = PredictionApp(net)
    async with app.run_test(size=(80, 40)) as pilot:
        await type_prefix(pilot, "1 3")
        before = app.query_one(ProbabilityBars).text.plain
        maps_before = [heatmap_text(m).plain for m in app.query(HiddenHeatmap)]
        await pilot.press("space", "x")
        await pilot.pause()
        error = app.query_one("#error", Static)
        assert "'x'" in str(error.content) and error.display
        assert app.query_one(ProbabilityBars).text.plain == before
        assert [heatmap_text(m).plain for m in app.query(HiddenHeatmap)] == maps_before
        await pilot.press("backspace")
        await pilot.pause()
        assert not error.display and str(error.content) == ""


async def test_clearing_the_input_shows_the_hint(net):
    app = PredictionApp(net)
    async with app.run_test(size=(80, 40)) as pilot:
        await type_prefix(pilot, "1 3 5")
        await pilot.press(*["backspace"] * 5)
        await pilot.pause()
        panel = app.query_one(PredictionPanel)
        assert panel.query_one("#prefix", Input).value == ""
        assert app.query_one(ProbabilityBars).text.plain == HINT
        assert "◀" not in app.query_one(ProbabilityBars).text.plain
        assert str(app.query_one("#continuation", Static).content) == ""
        assert all("type a prefix" in heatmap_text(m).plain for m in app.query(HiddenHeatmap))


async def test_submit_posts_the_prefix_too(net):
    app = PredictionApp(net)
    async with app.run_test(size=(80, 40)) as pilot:
        await type_prefix(pilot, "7")
        await pilot.press("enter")
        await pilot.pause()
    assert app.texts[-2:] == ["7", "7"]


async def test_a_new_architecture_replaces_the_heatmaps(net):
    app = PredictionApp(net)
    async with app.run_test(size=(80, 40)) as pilot:
        await type_prefix(pilot, "1 3")
        assert [m.units for m in app.query(HiddenHeatmap)] == [6, 5]
        app.net = Network(10, [Embedding(4), RNN(9)], seed=1)
        app.query_one("#prefix", Input).value = "1 3 5"
        await pilot.pause()
        assert [m.units for m in app.query(HiddenHeatmap)] == [9]
        assert heatmap_text(app.query_one(HiddenHeatmap)).split("\n")[1].plain.split() == ["1", "3", "5"]


async def test_a_long_prefix_shows_the_last_steps_that_fit_at_80_by_24(net):
    prefix = " ".join("13572468" * 5)  # 40 steps, more than fit
    app = PredictionApp(net)
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#prefix", Input).value = prefix
        await pilot.pause()
        heatmap = app.query_one(HiddenHeatmap)
        lines = heatmap_text(heatmap).split("\n")
        width = heatmap.content_size.width
    shown_steps = lines[1].plain.split()
    assert 0 < len(shown_steps) < 40
    assert shown_steps == list("13572468" * 5)[-len(shown_steps):]
    assert f"last {len(shown_steps)} of 40 steps" in lines[0].plain
    assert max(len(line.plain) for line in lines) <= width


def test_bar_is_proportional_in_eighths():
    assert bar(1.0, 10) == "█" * 10
    assert bar(0.0, 10) == " " * 10
    assert bar(0.55, 10) == "█████▌    "
    assert bar(2.0, 4) == "████"


def test_cell_colours_run_blue_neutral_red():
    assert rgb(cell_style(1.0)) == tuple(POSITIVE)
    assert rgb(cell_style(-1.0)) == tuple(NEGATIVE)
    assert rgb(cell_style(0.0)) == tuple(NEUTRAL)
    assert rgb(cell_style(7.0)) == tuple(POSITIVE)
    assert rgb(cell_style(float("nan"))) == tuple(NEUTRAL)
    half = rgb(cell_style(0.5))
    assert NEUTRAL[0] < half[0] < POSITIVE[0]


def test_large_vocabulary_shows_the_top_k_sorted():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(100))
    symbols = [chr(33 + i) for i in range(100)]
    rows = chosen_rows(probs)
    assert rows == list(np.argsort(-probs)[:TOP_K])
    lines = bars_text(symbols, probs, 80).plain.split("\n")
    assert len(lines) == TOP_K + 1
    assert lines[0].split()[0] == symbols[rows[0]] and lines[0].endswith("◀")
    assert lines[-1] == f"… 90 more, {1 - probs[rows].sum():.2f} in all"
    assert max(len(line) for line in lines) <= 80


def test_heatmap_caps_the_rows_with_a_note():
    states = np.zeros((2, MAX_ROWS + 10))
    lines = [line.text for line in heatmap_lines("rnn0", states, ["1", "2"], 60)]
    assert lines[0] == f"rnn0 ({MAX_ROWS + 10} units) · {MAX_ROWS} shown"
    assert len(lines) == 1 + MAX_ROWS // HEADER_EVERY + MAX_ROWS + 1  # title, a row of symbols every 16 units, legend


def test_invisible_symbols_get_a_glyph():
    assert [shown(s) for s in [" ", "\n", "\t", "\x0c", "a"]] == ["␣", "↵", "⇥", "␌", "a"]
