"""The state map: a layer's states over the eval set on their first two principal axes, each coloured by the
symbol it predicts (or its input symbol), and the sequence's own path across them, its last steps numbered."""
from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from rnncore import glyph

from ..insight import Blank, StateMap
from .plot import Plot

PALETTE = [(230, 80, 70), (80, 150, 240), (240, 190, 60), (100, 200, 100), (200, 120, 230), (70, 210, 210),
           (245, 140, 190), (180, 180, 90), (170, 120, 80), (140, 150, 250)]
OTHERS = (105, 105, 105)
PATH = "white"
MAX_PATH = 12  # steps of the path drawn and numbered; a longer sequence shows its last ones
AXES = (7, 3)  # columns and rows of the plot that its axes and labels take
ROOMY = 14  # rows from which the title and legend show
SMALL = 10  # rows below which the plot leaves out its ticks and labels
TICKS = 4


def coloured(ids: np.ndarray) -> list[int]:
    """The symbols that get a colour of their own: the most frequent, as many as the palette holds, by id."""
    values, counts = np.unique(ids, return_counts=True)
    return sorted(values[np.argsort(-counts, kind="stable")][:len(PALETTE)].tolist())


def _rgb(colour) -> str:
    return "rgb({},{},{})".format(*colour)


def legend_text(data: StateMap) -> Text:
    groups = coloured(data.cloud_ids)
    text = Text(f"{'input (i: predicted)' if data.by_input else 'predicted (i: input)'} ", "dim")
    for colour, symbol in zip(PALETTE, groups, strict=False):
        text.append("■", _rgb(colour)).append(glyph(data.vocab[symbol]) + " ")
    if len(np.unique(data.cloud_ids)) > len(groups):
        text.append("■", _rgb(OTHERS)).append("others")
    return text


def title_text(data: StateMap) -> Text:
    axes = " · one unit: one axis" if data.cloud.shape[1] == 1 else ""
    steps = len(data.symbols)
    window = f" · last {MAX_PATH}" if steps > MAX_PATH else ""
    return Text.assemble(("state map", "bold"), (f" · {data.layer} {data.trace} · {len(data.cloud)} eval states{axes}"
                                                 f"\npath: {data.label}{window}", "dim"))


class StateMapView(Vertical):
    DEFAULT_CSS = """
    StateMapView { height: 1fr; }
    StateMapView > Static { height: auto; }
    StateMapView > Plot { height: 1fr; min-height: 6; }
    """

    def __init__(self, hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.data: StateMap | Blank = Blank(hint)

    def compose(self) -> ComposeResult:
        yield Static(Text(self.data.why, "dim italic"), id="map-title")
        yield Plot(id="map-plot")
        yield Static("", id="map-legend")

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """In a short panel (80x24) the plot keeps the room: the lines around it go (a Blank's reason stays)."""
        roomy = self.size.height >= ROOMY
        for line in self.query(Static):
            shown = roomy or line.id == "map-title" and isinstance(self.data, Blank)
            if line.display != shown:  # setting it lays the screen out again, even to the same value
                line.display = shown

    def show(self, data: StateMap | Blank) -> None:
        self.data = data
        blank = isinstance(data, Blank)
        _update(self.query_one("#map-title", Static), Text(data.why, "dim italic") if blank else title_text(data))
        _update(self.query_one("#map-legend", Static), Text() if blank else legend_text(data))
        plot = self.query_one(Plot)
        if plot.display == blank:
            plot.display = not blank
        self._fit()
        if not blank:
            draw(plot.plt, data, plot.size.width or 40, plot.size.height or 16)
            plot.refresh()


def _update(line: Static, text: Text) -> None:
    """A line's new text, if it is new: an update lays the whole screen out again."""
    if line.content != text:
        line.update(text)


def draw(plt, data: StateMap, width: int, height: int) -> None:
    """The eval states by colour group, then the path over them, numbered where the numbers do not overlap."""
    plt.clear_data()
    x, y = _xy(data.cloud)
    groups = coloured(data.cloud_ids)
    rest = ~np.isin(data.cloud_ids, groups)
    if rest.any():
        plt.scatter(x[rest].tolist(), y[rest].tolist(), marker="•", color=OTHERS)
    for colour, symbol in zip(PALETTE, groups, strict=False):
        mine = data.cloud_ids == symbol
        plt.scatter(x[mine].tolist(), y[mine].tolist(), marker="•", color=colour)
    first = max(0, len(data.path) - MAX_PATH)
    px, py = _xy(data.path[first:])
    plt.plot(px.tolist(), py.tolist(), marker="braille", color=PATH)
    cells = _cells(np.vstack([data.cloud, data.path]), data.path[first:], width - AXES[0], height - AXES[1])
    for step, a, b in _labels(range(first + 1, len(data.path) + 1), cells, px, py):
        plt.text(str(step), float(a), float(b), color=PATH, style="bold")
    _axes(plt, data, small=height < SMALL)


def _axes(plt, data: StateMap, small: bool) -> None:
    """Each axis labelled with its share of the variance, its ticks set each time (plotext cannot return to its
    own); a small plot (80x24) keeps its rows for the points, a one-axis map has no y ticks."""
    every = np.vstack([data.cloud, data.path])  # (N + T, k)
    plt.xlabel("" if small else f"PC1 {data.explained[0]:.0%}")
    plt.ylabel("" if small or every.shape[1] == 1 else f"PC2 {data.explained[1]:.0%}")
    plt.xticks(*_ticks(every[:, 0], small))
    plt.yticks(*_ticks(every[:, 1], small) if every.shape[1] > 1 else ([0], [""]))


def _ticks(values: np.ndarray, small: bool) -> tuple[list[float], list[str]]:
    """Four ticks across the values, none on a small plot."""
    ticks = [] if small else np.linspace(values.min(), values.max(), TICKS).tolist()
    return ticks, [f"{tick:.1f}" for tick in ticks]


def _cells(every: np.ndarray, points: np.ndarray, columns: int, rows: int) -> np.ndarray:
    """(N, 2) the (column, row) of each point on a canvas of `columns` x `rows` that spans `every` point."""
    low, high = every.min(0), every.max(0)
    span = np.where(high > low, high - low, 1.0)
    shape = np.array([columns, rows][:points.shape[1]])
    cells = np.rint((points - low) / span * (shape - 1)).astype(int)
    return cells if cells.shape[1] == 2 else np.column_stack([cells[:, 0], np.zeros(len(cells), int)])


def _labels(steps, cells: np.ndarray, px: np.ndarray, py: np.ndarray):
    """(step, x, y) of the steps whose numbers fit, the latest first: a number that would overwrite one
    already placed on its row is left out."""
    taken: list[tuple[int, int, int]] = []  # (row, first column, last column)
    for step, cell, a, b in reversed(list(zip(steps, cells, px, py, strict=True))):
        span = (cell[1], cell[0], cell[0] + len(str(step)))
        if all(row != span[0] or end < span[1] or start > span[2] for row, start, end in taken):
            taken.append(span)
            yield step, a, b


def _xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns of (N, k) points; a one-axis map lies along y = 0."""
    return points[:, 0], (points[:, 1] if points.shape[1] > 1 else np.zeros(len(points)))
