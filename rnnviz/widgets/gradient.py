"""The Gradient view: why a plain RNN forgets. Every run's gradient through time, g[k] over g[0] against the lag k on
a log scale, and the lag at which it falls below 1e-3 of g[0]; the recurrence's spectrum as two gauges per run
against the line at 1 (the largest singular value of the recurrent weights, the mean norm of the one-step
Jacobian); and for a gated run its gates' saturation as Karpathy, Johnson & Fei-Fei's (2015) scatter."""
from __future__ import annotations

import math

import numpy as np
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..forgetting import FADE, LayerGradient, RunGradient
from .charts import RUN_COLORS
from .plot import Plot

GATE_COLORS = {"i": (80, 150, 240), "f": (100, 200, 100), "o": (230, 80, 70), "r": (240, 190, 60),
               "z": (200, 120, 230)}
FADE_COLOR = (138, 138, 138)
FADE_TEXT = "1e-3"  # FADE, as the view writes it
FLOOR = -12  # decades below g[0] at which the plot stops: float32 underflows further down
GAUGE_CELLS, GAUGE_TOP = 9, 3.0  # a gauge's width, and the value at its right end (1 a third of the way)
ROOMY, SMALL = 22, 10  # rows from which the gauges and the scatter show; below ROOMY their numbers, below SMALL none


def rich_color(index: int) -> str:
    color = RUN_COLORS[index]
    return "orange1" if isinstance(color, str) else "rgb({},{},{})".format(*color)


def picked(run: RunGradient, layer: int) -> LayerGradient:
    """The run's recurrent layer at the depth picked (`l`), or its top one if it has fewer."""
    return run.layers[min(layer, len(run.layers) - 1)]


def fade_words(layer: LayerGradient) -> str:
    if layer.fade_lag is None:
        return f"above {FADE_TEXT} to lag {len(layer.g) - 1}"
    return f"below {FADE_TEXT} at lag {layer.fade_lag}"


def gauge(value: float, style: str) -> Text:
    """A bar from 0 to GAUGE_TOP with a mark at 1; ▶ at the end past GAUGE_TOP."""
    filled = min(value / GAUGE_TOP, 1.0) * GAUGE_CELLS if np.isfinite(value) else 0.0
    one = round(GAUGE_CELLS / GAUGE_TOP)
    text = Text()
    for cell in range(GAUGE_CELLS):
        mark = "┃" if cell == one else "━"
        text.append(mark, style if cell < filled else "bold" if cell == one else "dim")
    return text.append("▶" if value > GAUGE_TOP else " ", style)


def summary(runs: list[RunGradient], layer: int, spectrum: str) -> Text:
    """A line per run: its label, layer and fade lag; under it, its spectrum's two measures as `spectrum` says:
    "gauges", "numbers" (the same without the gauges, for a short view), or "none"."""
    lines = []
    for run in runs:
        shown, style = picked(run, layer), rich_color(run.color)
        lines.append(Text.assemble(("■ ", style), (f"{run.label} ", "bold"), (f"{shown.name} ", "dim"),
                                   fade_words(shown)))
        if spectrum != "none":
            block, largest = max(shown.largest.items(), key=lambda item: item[1])
            name = "σ " if block == "Whh" else f"σ{block}"
            bars = (gauge(largest, style), gauge(shown.jacobian, style)) if spectrum == "gauges" else ("", "")
            lines.append(Text.assemble(f"  {name} ", bars[0], f"{largest:5.2f}  ‖J‖ ", bars[1],
                                       f"{shown.jacobian:5.2f}"))
    return Text("\n").join(lines)


class GradientView(Vertical):
    """`runs` (the current run first) and `fades` are what it shows, for a lesson to check."""

    DEFAULT_CSS = """
    GradientView { height: 1fr; }
    GradientView > Static { height: auto; }
    GradientView > #grad-plot { height: 3fr; min-height: 5; }
    GradientView > #saturation-plot { height: 2fr; min-height: 6; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runs: list[RunGradient] = []
        self.depth = 0  # the depth of the recurrent layer shown, among each run's
        self.redraw_due = False  # the gradients are drawn again once laid out (_redraw_laid_out)

    @property
    def fades(self) -> list[tuple[str, int | None]]:
        """(label, the lag at which its gradient falls below FADE of g[0], None if it does not) of each run shown."""
        return [(run.label, picked(run, self.depth).fade_lag) for run in self.runs]

    def compose(self) -> ComposeResult:
        yield Static(Text("press space to train, or wait for the numbers", "dim italic"), id="grad-title")
        yield Plot(id="grad-plot")
        yield Static("", id="grad-summary")
        yield Plot(id="saturation-plot")
        yield Static("", id="saturation-legend")

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.height)
        self._redraw_laid_out()

    def show(self, runs: list[RunGradient], layer: int = 0) -> None:
        self.runs, self.depth = runs, layer
        gated = self._gated()
        _update(self.query_one("#grad-title", Static), title_text(runs))
        _update(self.query_one("#saturation-legend", Static), saturation_legend(gated, layer) if gated else Text())
        self._fit(self.size.height)
        self._draw_gradients()
        self._redraw_laid_out()
        if gated:
            scatter = self.query_one("#saturation-plot", Plot)
            draw_saturation(scatter.plt, picked(gated, layer))
            scatter.refresh()

    def _redraw_laid_out(self) -> None:
        """Draw the gradients again once the layout _fit asked for is done: their ticks hang on the plot's height."""
        self.redraw_due = True

        def redraw():
            self._draw_gradients()
            self.redraw_due = False
        self.call_after_refresh(redraw)

    def _draw_gradients(self) -> None:
        plot = self.query_one("#grad-plot", Plot)
        draw_gradients(plot.plt, self.runs, self.depth, plot.size.height or 12)
        plot.refresh()

    def _gated(self) -> RunGradient | None:
        """The run whose gates the scatter shows: the first (the current run first) whose layer has gates."""
        return next((run for run in self.runs if picked(run, self.depth).saturation), None)

    def _fit(self, height: int) -> None:
        """What fits the view's height: everything (120x40); the plot and two lines per run, the spectrum's numbers
        without their gauges (80x24); or a line per run alone. Not yet laid out (height 0): as it is."""
        if not height:
            return
        gated = self._gated() is not None
        spectrum = "gauges" if height >= ROOMY else "numbers" if height >= SMALL else "none"
        _update(self.query_one("#grad-summary", Static), summary(self.runs, self.depth, spectrum))
        for widget, shown in (("#grad-title", height >= SMALL), ("#grad-plot", height >= SMALL and bool(self.runs)),
                              ("#saturation-plot", height >= ROOMY and gated),
                              ("#saturation-legend", height >= ROOMY and gated)):
            found = self.query_one(widget)
            if found.display != shown:  # setting it lays the screen out again, even to the same value
                found.display = shown


def title_text(runs: list[RunGradient]) -> Text:
    if not runs:
        return Text("no run has a recurrent layer and eval sequences", "dim italic")
    return Text.assemble(("gradient through time", "bold"), (f" · {runs[0].about}", "dim"))


def saturation_legend(run: RunGradient, layer: int) -> Text:
    shown = picked(run, layer)
    text = Text.assemble(("gates ", "bold"), (f"{run.label} ", "dim"))
    for gate in shown.saturation:
        text.append("■", "rgb({},{},{})".format(*GATE_COLORS[gate])).append(f"{gate} ")
    return text.append("· x <0.1 · y >0.9", "dim")


def draw_gradients(plt, runs: list[RunGradient], layer: int, height: int) -> None:
    """log10 of g[k] / g[0] of each run against k, the line at log10(FADE) across."""
    plt.clear_data()
    curves = [(run.color, _decades(picked(run, layer).g)) for run in runs]
    bottom = min([FLOOR + 0.0, *(c.min() for _, c in curves if len(c))]) if curves else FLOOR
    bottom = max(math.floor(bottom), FLOOR)
    plt.hline(math.log10(FADE), FADE_COLOR)
    for color, decades in curves:
        plt.plot(list(range(len(decades))), decades.tolist(), marker="braille", color=RUN_COLORS[color])
    plt.ylim(bottom - 0.2, 0.2)
    # A tick every other row at most (of two ticks in one row, plotext keeps one, not always the same one), and
    # one on the fade line: every 1, 3, 6 or 12 decades.
    decades, rows = -bottom, max(height - 3, 2)  # rows: the plot's between its frame lines, about
    every = next((n for n in (1, 3, 6) if decades / n <= rows / 2), 12)
    ticks = list(range(0, bottom - 1, -every))
    plt.yticks(ticks, ["1" if t == 0 else f"1e{t}" for t in ticks])
    last = max((len(c) - 1 for _, c in curves), default=0)
    plt.xlim(0, max(last, 1))
    plt.xticks(lag_ticks(last))
    plt.xlabel("lag k")


def lag_ticks(last: int) -> list[int]:
    """Round lags from 0 to `last`, three to six of them: 0, 50, 100, ..."""
    spacing = next(step * 10 ** power for power in range(9) for step in (1, 2, 5) if last / (step * 10 ** power) <= 5)
    return list(range(0, last + 1, spacing))


def _decades(g: np.ndarray) -> np.ndarray:
    """log10(g / g[0]) over the lags that have a value, floored at FLOOR."""
    g = g[~np.isnan(g)]
    if not len(g) or g[0] <= 0:
        return np.zeros(0)
    with np.errstate(divide="ignore"):
        return np.maximum(np.log10(g / g[0]), FLOOR)


KEEPERS = ("f", "z")  # the gates that decide what the state keeps: drawn last, on top of the others' points


def draw_saturation(plt, layer: LayerGradient) -> None:
    """A point per unit and gate: the share of steps it spends shut (x) against open (y); the diagonal x + y = 1
    bounds them. Points fall on the same cells (units open or shut all the time): the forget (update) gate's,
    which show what the state keeps, are drawn last."""
    plt.clear_data()
    plt.plot([0, 1], [1, 0], marker="braille", color=FADE_COLOR)
    for gate, (left, right) in sorted(layer.saturation.items(), key=lambda item: item[0] in KEEPERS):
        plt.scatter(left.tolist(), right.tolist(), marker="•", color=GATE_COLORS[gate])
    plt.xlim(0, 1)
    plt.ylim(0, 1)
    plt.xticks([0, 0.5, 1], ["0", "0.5", "1"])
    plt.yticks([0, 0.5, 1], ["0", "0.5", "1"])


def _update(line: Static, text: Text) -> None:
    """A line's new text, if it is new: an update lays the whole screen out again."""
    if line.content != text:
        line.update(text)
