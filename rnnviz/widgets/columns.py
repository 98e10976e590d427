"""A column per step of a sequence, its symbol under it: what the cost-by-position and how-far-back views draw.

Each step is CELL characters wide: one column per series (the cost view puts the optimum beside the network),
so a prefix longer than the width shows its last steps, with a note.
"""
from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.widget import Widget

from rnncore import glyph
from rnncore.vocab import fit

from ..insight import Blank

EIGHTHS = " ▁▂▃▄▅▆▇█"
CELL = 2  # characters per step
AXIS = 7  # characters of the y axis: " 0.69 ┤"
MIN_ROWS, MAX_ROWS = 3, 16  # rows of the columns
ABOVE, BELOW = 2, 2  # lines over the columns (title, figures) and under them (symbols, legend)
SHORT = MIN_ROWS + ABOVE + BELOW + 1  # below this height (80x24) the figures line goes


def visible_steps(n: int, width: int) -> int:
    """How many of the last `n` steps fit in `width` characters."""
    return min(n, max(1, (width - AXIS) // CELL))


def columns_text(series: list[tuple[np.ndarray, str]], symbols: list[str], top: float, rows: int, width: int) -> Text:
    """The columns of each (values, style) in `series` side by side, scaled so that `top` fills `rows`, then the
    symbols under them; only the last steps that fit in `width`. NaN draws nothing, beyond `top` is clipped."""
    n = visible_steps(len(symbols), width)
    eighths = [np.rint(np.clip(np.nan_to_num(values[-n:], nan=0.0) / top, 0, 1) * rows * 8).astype(int)
               for values, _ in series]
    text = Text(no_wrap=True, overflow="crop")
    for row in range(rows):
        floor = (rows - 1 - row) * 8  # eighths below this row
        text.append(f"{_axis_label(row, rows, top):>{AXIS - 2}} {'┤' if row in (0, rows - 1) else '│'}", "dim")
        for step in range(n):
            for (_, style), level in zip(series, eighths, strict=True):
                text.append(EIGHTHS[min(max(level[step] - floor, 0), 8)], style)
            text.append(" " * (CELL - len(series)))
        text.append("\n")
    text.append(" " * AXIS + "".join(fit(glyph(s), CELL) for s in symbols[-n:]))
    return text


def _axis_label(row: int, rows: int, top: float) -> str:
    if row == 0:
        return f"{top:.2f}" if 0.01 <= top < 100 else f"{top:.0e}".replace("e-0", "e-").replace("e+0", "e")
    return "0" if row == rows - 1 else ""


def window_note(n: int, width: int) -> str:
    """' · last 18 of 40' when the last steps are all that fit."""
    shown = visible_steps(n, width)
    return f" · last {shown} of {n}" if shown < n else ""


class ColumnView(Widget):
    """A view drawn as columns; subclasses say what goes above, in and below them (`lines`)."""

    DEFAULT_CSS = """
    ColumnView { height: 1fr; min-height: 6; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.data: object = Blank(hint)

    def show(self, data) -> None:
        self.data = data
        self.refresh()

    @property
    def rows(self) -> int:
        height = self.content_size.height or 14
        return min(MAX_ROWS, max(MIN_ROWS, height - ABOVE - BELOW + (height < SHORT)))

    @property
    def short(self) -> bool:
        """Too short for every line: the view leaves out its figures."""
        return 0 < self.content_size.height < SHORT

    @property
    def text(self) -> Text:
        """What the view shows at its current size (60 wide before it is laid out)."""
        if isinstance(self.data, Blank):
            return Text(self.data.why, style="dim italic")
        return self.lines(self.content_size.width or 60)

    def lines(self, width: int) -> Text:
        raise NotImplementedError

    def render(self) -> Text:
        return self.text
