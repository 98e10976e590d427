"""Hidden units (rows) by prefix position (columns) of one recurrent layer, coloured -1 blue .. +1 red."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from rnncore import glyph

CELL = 3  # characters per cell
MAX_ROWS = 256  # beyond this many units the map is cut, with a note
LEVELS = 16  # colour steps on each side of 0; coarse enough to reuse styles
NEUTRAL = np.array([40, 40, 40])
POSITIVE = np.array([230, 60, 50])
NEGATIVE = np.array([50, 110, 230])
BOLD, DIM = Style(bold=True), Style(dim=True)
SELECTED = Style(bold=True, underline=True)  # the layer the views look at
PICKED = Style(reverse=True, bold=True)  # the unit they look at
HEADER_EVERY = 16  # units between two rows of symbols: scrolled down a tall map, the columns stay named


@lru_cache(maxsize=2 * LEVELS + 1)
def _level_style(level: int) -> Style:
    end = POSITIVE if level > 0 else NEGATIVE
    rgb = NEUTRAL + (end - NEUTRAL) * abs(level) / LEVELS
    return Style(bgcolor=Color.from_rgb(*rgb.round()))


def levels(values: np.ndarray) -> np.ndarray:
    """Activations as colour steps -LEVELS..LEVELS (clipped beyond ±1; NaN is 0)."""
    return np.rint(np.clip(np.nan_to_num(values, nan=0.0), -1, 1) * LEVELS).astype(int)


def cell_style(value: float) -> Style:
    """The background for an activation: blue at -1, dark at 0, red at +1."""
    return _level_style(int(levels(np.asarray(value))))


@lru_cache(maxsize=1)
def _cells() -> list[Segment]:
    """One coloured cell per level, indexed by level + LEVELS."""
    return [Segment(" " * CELL, _level_style(level)) for level in range(-LEVELS, LEVELS + 1)]


def legend() -> list[Segment]:
    cells = [Segment(" ", _level_style(level)) for level in range(-LEVELS, LEVELS + 1, 2)]
    return [Segment("-1 "), *cells, Segment(" +1")]


def heatmap_lines(title: str, states: np.ndarray, symbols: list[str], width: int, unit: int | None = None,
                  title_style: Style = BOLD) -> list[Strip]:
    """Title, column headers, one row per unit (capped at MAX_ROWS; `unit`'s label reversed), legend; the last
    columns that fit."""
    T, H = states.shape
    label_width = len(str(min(H, MAX_ROWS) - 1))
    columns = max(1, (width - label_width - 1) // CELL)
    first = max(0, T - columns)
    notes = (f" · {MAX_ROWS} shown" if H > MAX_ROWS else "") + (f" · last {T - first} of {T} steps" if first else "")
    header = " " * (label_width + 1) + "".join(f"{glyph(s)[:CELL]:^{CELL}}" for s in symbols[first:])
    lines = [[Segment(f"{title} ({H} units)", title_style), Segment(notes, DIM)]]
    cells = _cells()
    for row, steps in enumerate(levels(states[first:, :MAX_ROWS].T) + LEVELS):  # (units, columns)
        if row % HEADER_EVERY == 0:
            lines.append([Segment(header, DIM if row else None)])
        label = Segment(f"{row:>{label_width}}", PICKED if row == unit else DIM)
        lines.append([label, Segment(" "), *[cells[i] for i in steps]])
    lines.append(legend())
    return [Strip(line).crop(0, width) for line in lines]


def unit_at(line: int) -> int:
    """The unit drawn on `line` of `heatmap_lines` (a line of symbols or the title gives a negative number)."""
    block, offset = divmod(line - 1, HEADER_EVERY + 1)  # under the title: symbols, HEADER_EVERY units, symbols...
    return block * HEADER_EVERY + offset - 1 if offset else -1


class HiddenHeatmap(Widget, can_focus=True):
    """One recurrent layer's trace over the prefix; a hint when the prefix is empty. ↑/↓ (when focused) or a
    click on a row picks a unit: `UnitPicked`.

    Drawn line by line from cached strips: as a Rich Text, the few thousand
    coloured cells were re-parsed at every refresh (~190 ms a frame for 96 units
    by 40 steps, against ~15 ms now).
    """

    DEFAULT_CSS = """
    HiddenHeatmap { height: 2; width: 1fr; margin-bottom: 1; }
    HiddenHeatmap:focus { background: $boost; }
    """
    BINDINGS = [Binding("up", "pick(-1)", "Unit up", show=False), Binding("down", "pick(1)", "Unit down", show=False)]

    @dataclass
    class UnitPicked(Message):
        layer_name: str
        unit: int

    def __init__(self, layer_name: str, hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.layer_name = layer_name
        self._hint = hint
        self._states = np.zeros((0, 0))
        self._symbols: list[str] = []
        self._lines: list[Strip] = []
        self._lines_width = -1
        self.trace, self.unit, self.selected = "h", None, False

    def show(self, states: np.ndarray, symbols: list[str], trace: str = "h", unit: int | None = None,
             selected: bool = False) -> None:
        """`states` (T, H), the layer's `trace` for the T symbols of the prefix; `unit` marked; `selected`: the
        layer the views look at."""
        states = np.asarray(states)
        if states.ndim != 2 or states.shape[0] != len(symbols):
            raise ValueError(f"states must be (len(symbols), H) = ({len(symbols)}, H), got {states.shape}")
        self._states, self._symbols = states, list(symbols)
        self.trace, self.unit, self.selected = trace, unit, selected
        self._lines_width = -1
        units = min(states.shape[1], MAX_ROWS)
        height = 2 if not symbols else units + -(-units // HEADER_EVERY) + 2  # title, symbols, units, legend
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height
        self.refresh()

    @property
    def units(self) -> int:
        return self._states.shape[1]

    @property
    def title(self) -> str:
        return self.layer_name if self.trace == "h" else f"{self.layer_name} {self.trace}"

    @property
    def lines(self) -> list[Strip]:
        """What the widget shows, one strip per line, at its current width (60 before it is laid out)."""
        width = self.content_size.width or 60
        if width != self._lines_width:
            self._lines, self._lines_width = self._build_lines(width), width
        return self._lines

    def _build_lines(self, width: int) -> list[Strip]:
        style = SELECTED if self.selected else BOLD
        if not self._symbols:
            title = f"{self.title} ({self.units} units)"
            return [Strip([Segment(title, style)]).crop(0, width), Strip([Segment(self._hint, DIM)]).crop(0, width)]
        return heatmap_lines(self.title, self._states, self._symbols, width, self.unit, style)

    def render_line(self, y: int) -> Strip:
        lines = self.lines
        return lines[y] if y < len(lines) else Strip.blank(0)

    def action_pick(self, step: int) -> None:
        self.post_message(self.UnitPicked(self.layer_name, (self.unit or 0) + step))

    def on_click(self, event: events.Click) -> None:
        unit = unit_at(event.y)
        if self._symbols and 0 <= unit < min(self.units, MAX_ROWS):
            self.post_message(self.UnitPicked(self.layer_name, unit))
