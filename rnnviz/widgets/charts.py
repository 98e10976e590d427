"""Live charts: training cost (raw, smoothed) and eval cost, and eval accuracy, against steps."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from rich.markup import escape
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual_plotext import PlotextPlot

from rnncore import Optimum

from ..history import History, HistoryView
from .axes import cost_range, cost_ticks, short, step_ticks, thin
from .plot import Plot

RAW_COLOR = (110, 110, 110)  # faint: the noisy per-step cost sits behind the smoothed curve
RUN_COLORS = [(95, 215, 95), (95, 175, 255), (255, 135, 215), (255, 175, 0)]  # one per run: its eval curves
TRAINING_SHADE = 0.55  # of its run's colour: the smoothed training cost, under the eval cost's bright line
MARKER_COLOR = "cyan"
BEST_COLOR = "white"
MEMORYLESS_COLOR = (175, 135, 255)
VISIBLE_MARKERS = 8  # more would hide the curves behind labels
LABEL_CHARS = 14
AXIS_CELLS = 6  # of a plot's width taken by the y axis and its tick labels
MIN_WIDTH, MIN_HEIGHT = 40, 12  # cells assumed before the first layout gives the real size
TITLE_HEIGHT = 10  # below this many rows the title goes: the curve needs them more
TITLE_MARGIN = 4  # cells of the width a title cannot take (plotext leaves out a longer one)
INVITATION = ("New here? A lesson guides", "you through an experiment:", "ctrl+p, then type lesson")


class TrainingCharts(Widget):
    DEFAULT_CSS = """
    TrainingCharts {
        layout: horizontal;
        height: 1fr;
        min-height: 8;
        border: round $primary-lighten-1;
        border-title-color: $text;
    }
    TrainingCharts PlotextPlot {
        width: 1fr;
        height: 1fr;
    }
    """

    hint = reactive("")  # on a small screen, the keys to the other pages, after the title
    invite = reactive(True, init=False)  # the empty cost chart points to the lessons (none is being followed)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = self._title = "Charts"
        self.border_subtitle = legend(None, MIN_WIDTH)
        self.drawn: list[Curve] = []  # the runs' histories last drawn
        self._optimum: Optimum | None = None
        self._guess: float | None = None  # ln V: the cost axis's highest top

    def compose(self) -> ComposeResult:
        yield Plot(id="cost-chart")
        yield Plot(id="accuracy-chart")

    def on_mount(self) -> None:
        self.show([Curve("", History().snapshot())])

    def show(self, curves: list[Curve], optimum: Optimum | None = None, elsewhere: tuple[str, ...] = (),
             guess: float | None = None) -> None:
        """Redraw both charts, the curves of each run on one task, with that task's best possible cost and accuracy
        and its best cost without memory as lines if known; `elsewhere` names the runs on other tasks, which the
        title lists; `guess`, the cost of a uniform guess (ln V), tops the cost axis. Does nothing if nothing
        changed since the last call."""
        if [c.key for c in curves] != [c.key for c in self.drawn] or (optimum, guess) != (self._optimum, self._guess):
            self.drawn, self._optimum, self._guess = list(curves), optimum, guess
            self._draw()
        self._title = title(curves, elsewhere)
        self.watch_hint()

    def watch_invite(self) -> None:
        if self.drawn:
            self._draw()

    def watch_hint(self) -> None:
        self.border_title = self._title + (f"  [dim]{self.hint}[/]" if self.hint else "")

    def on_resize(self) -> None:
        """Drawn again at the new size: what was placed for the old one (the marker labels) may not fit."""
        if self.drawn:
            self._draw()

    def _draw(self) -> None:
        curves, optimum = self.drawn, self._optimum
        cost, accuracy = self.query_one("#cost-chart", PlotextPlot), self.query_one("#accuracy-chart", PlotextPlot)
        current = next((c for c in curves if c.current), curves[0])
        self.border_subtitle = legend(optimum, self.size.width - 4, current.color)  # 4: the corners, a cell each side
        width, height = cost.size.width or MIN_WIDTH, cost.size.height or MIN_HEIGHT
        last = max((c.history.steps[-1] for c in curves if c.history.steps), default=1)
        curves = [*(c for c in curves if c is not current), current]  # the current run drawn last, on top
        frame = _Frame(max(last, 1), width, height, _visible_markers(current.history))
        _draw_cost(cost.plt, curves, frame, optimum, self.invite, self._guess)
        own = replace(frame, width=accuracy.size.width or width, height=accuracy.size.height or height)
        _draw_accuracy(accuracy.plt, curves, own, optimum)  # its own size for its title: beside the cost, narrower
        cost.refresh()
        accuracy.refresh()


@dataclass(frozen=True)
class Curve:
    """One run's history as the charts draw it."""

    label: str  # what tells this run from the others, for the title ("" when there is one run)
    history: HistoryView
    color: int = 0  # index in RUN_COLORS
    current: bool = True  # its raw cost and its markers are drawn too

    @property
    def key(self) -> tuple:
        return self.history.history_id, self.history.version, self.label, self.color, self.current


@dataclass(frozen=True)
class _Frame:
    """What both charts share, so that their x axes and markers line up."""

    last_step: float
    width: int  # cells across the plot
    height: int
    markers: list[tuple[int, str]]

    @property
    def points(self) -> int:
        return 2 * self.width  # braille has two dots per cell across: more points only cost time


def _visible_markers(view: HistoryView) -> list[tuple[int, str]]:
    last = view.steps[-1] if view.steps else 0
    return [m for m in view.markers if m[0] <= last][-VISIBLE_MARKERS:]


LEGENDS = [("eval cost", "training cost", "best possible", "best without memory"),
           ("eval", "training", "best possible", "no memory"), ("eval", "train", "best", "no memory")]  # longest first


def legend(optimum: Optimum | None, width: int, color: int = 0) -> str:
    """What the charts' coloured lines are, in the longest words that fit in `width` cells, for the border
    under them (a plot's title that does not fit is left out): the current run's eval and training colours."""
    colors = [RUN_COLORS[color], training_color(color), *([BEST_COLOR, MEMORYLESS_COLOR] if optimum else [])]
    for names in LEGENDS:
        plain = " ".join(f"━ {name}" for name in names[:len(colors)])
        if len(plain) <= width:
            break
    return " ".join(f"[{_rich_color(color)}]━[/] {name}" for color, name in zip(colors, names, strict=False))


def title(curves: list[Curve], elsewhere: tuple[str, ...]) -> str:
    """The border's title: each run drawn, in its colour, and the runs on other tasks (`c` goes to them)."""
    runs = "" if len(curves) < 2 else "  " + "  ".join(
        f"[{_rich_color(RUN_COLORS[c.color])}]━ {escape(c.label)}[/]" for c in curves)
    others = f"  [dim]other tasks: {escape(', '.join(elsewhere))} (c)[/]" if elsewhere else ""
    return f"Charts{runs}{others}"


def training_color(color: int) -> tuple[int, int, int]:
    """A run's colour, darker: its smoothed training cost, under its eval cost."""
    return tuple(round(TRAINING_SHADE * c) for c in RUN_COLORS[color])


def _rich_color(color: str | tuple[int, int, int]) -> str:
    """A colour as plotext takes it (a name or r, g, b) as markup takes it."""
    return "rgb({},{},{})".format(*color) if isinstance(color, tuple) else color


def _draw_cost(plt, curves: list[Curve], frame: _Frame, optimum: Optimum | None, invite: bool, guess: float | None
               ) -> None:
    current = curves[-1].history
    title = ("cost: raw (grey), smoothed", "cost") if len(curves) == 1 else \
        ("cost, smoothed; the current run's raw in grey", "cost; the current run's raw in grey", "cost")
    waiting = f"cost: from step {current.start:,}; press space to train" if current.start else \
        "cost: press space to train"
    _start(plt, frame, title if current.steps else (waiting, "press space to train"), "cost")
    if not any(c.history.steps for c in curves):
        if invite:
            _invite(plt, frame)
        return
    levels = [optimum.loss, optimum.memoryless_loss] if optimum else []
    bottom, top = cost_range([c.history for c in curves], levels, frame.last_step, guess)
    _y_axis(plt, frame, bottom, top)
    if optimum:  # lines across, unlabelled (a label would hide curves): the border's legend names them
        plt.hline(optimum.memoryless_loss, MEMORYLESS_COLOR)
        plt.hline(optimum.loss, BEST_COLOR)
    _draw_cost_curves(plt, curves, frame, top + (top - bottom))
    _draw_markers(plt, frame)
    for step, label in _spaced_labels(frame):
        plt.text(label, step, top, color=MARKER_COLOR, alignment="left")


def _draw_cost_curves(plt, curves: list[Curve], frame: _Frame, ceiling: float) -> None:
    """The current run's raw cost, each run's smoothed cost, then each one's eval cost, cut at `ceiling`: plotext
    draws a line to a point far above the chart (a diverged step's cost, 1e6) dot by dot, for a minute."""
    def points(steps, values):
        return thin(steps, frame.points), [min(v, ceiling) for v in thin(values, frame.points)]
    current = curves[-1].history
    if current.steps:
        plt.scatter(*points(current.steps, current.loss), marker="braille", color=RAW_COLOR)
    for curve in curves:
        if curve.history.steps:
            plt.plot(*points(curve.history.steps, curve.history.smoothed), marker="braille",
                     color=training_color(curve.color))
    for curve in curves:  # on top: the same targets each time, so it moves only when the network does
        if curve.history.eval_steps:
            plt.plot(*points(curve.history.eval_steps, curve.history.eval_cost), marker="braille",
                     color=RUN_COLORS[curve.color])


def _draw_accuracy(plt, curves: list[Curve], frame: _Frame, optimum: Optimum | None) -> None:
    """The eval accuracy; on a task with targets where memory matters, the memory use instead (the share of what
    memory is worth that the eval cost has gained, Dataset.memory_use): the accuracy over all targets barely moves
    when the memory is found, as most targets need none; the memory use goes from 0 towards 1."""
    memory = bool(optimum and optimum.memory_targets)
    evaluated = any(c.history.eval_steps for c in curves)
    title = ("memory use: the share of its worth gained", "memory use: share of its worth",
             "memory use") if memory else ("eval accuracy",)
    _start(plt, frame, title if evaluated else (f"{title[-1]}: none yet", title[-1]),
           "memory use" if memory else "accuracy")
    _y_axis(plt, frame, 0, 1)
    best = optimum and (1.0 if memory else optimum.accuracy)
    if best is not None:
        plt.hline(best, BEST_COLOR)
    for curve in curves:
        view = curve.history
        if view.eval_steps:
            accuracy = view.eval_memory_use if memory else view.eval_accuracy
            plt.plot(thin(view.eval_steps, frame.points), thin(list(accuracy), frame.points), marker="braille",
                     color=RUN_COLORS[curve.color])
    _draw_markers(plt, frame)


def _y_axis(plt, frame: _Frame, bottom: float, top: float) -> None:
    """From `bottom` to `top`, with round ticks, at most one every other row: of two labels on one row plotext
    shows either, differently from one process to the next (at 80x24 the accuracy's 0 gave way to 0.17)."""
    plt.ylim(bottom, top)
    ticks = cost_ticks(bottom, top, most=max(2, (frame.height - 3) // 2))
    decimals = max(2, -math.floor(math.log10(ticks[1] - ticks[0]) + 1e-9)) if len(ticks) > 1 else 2
    plt.yticks(ticks, [f"{t:.{decimals}f}" for t in ticks])


def _draw_markers(plt, frame: _Frame) -> None:
    for step, _ in frame.markers:
        plt.vline(step, MARKER_COLOR)


def _spaced_labels(frame: _Frame) -> list[tuple[float, str]]:
    """The marker labels that fit without overwriting the one before; one that would run past the right edge
    is moved left so that it ends there (and cut to the plot's width if it is wider)."""
    plot = max(frame.width - AXIS_CELLS, 1)  # cells across the plot, from step 0 to the last
    cells_per_step = max(plot - 1, 1) / frame.last_step
    shown, free_from = [], -math.inf
    for step, label in frame.markers:
        text = label[:min(LABEL_CHARS, plot)]
        cell = min(step * cells_per_step, plot - len(text))
        if cell >= free_from:
            shown.append((cell / cells_per_step, text))
            free_from = cell + len(text) + 1
    return shown


def _invite(plt, frame: _Frame) -> None:
    """Before any run has trained, the cost chart's empty plot tells a newcomer where a guided start is, if it fits."""
    rows = frame.height - (5 if frame.height >= TITLE_HEIGHT else 4)  # less the title, the box, ticks and labels
    if frame.width - 2 < max(map(len, INVITATION)) or rows < len(INVITATION) + 2:
        return
    plt.ylim(0, rows - 1)  # a row a unit
    plt.yticks([])
    for row, line in enumerate(INVITATION):
        plt.text(line, frame.last_step / 2, (rows + len(INVITATION)) // 2 - row, alignment="center")


def _start(plt, frame: _Frame, titles: tuple[str, ...], ylabel: str) -> None:
    """A chart begun: the first of `titles` that fits its width (plotext leaves out one that does not)."""
    plt.clear_data()
    title = next((t for t in titles if len(t) <= frame.width - TITLE_MARGIN), titles[-1][:frame.width - TITLE_MARGIN])
    plt.title(title if frame.height >= TITLE_HEIGHT else "")
    plt.xlabel("step")
    plt.ylabel(ylabel)
    plt.xlim(0, frame.last_step)
    ticks = step_ticks(frame.last_step)
    plt.xticks(ticks, [short(t) for t in ticks])
