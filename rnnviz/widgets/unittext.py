"""One unit read against the text: each symbol's background coloured by the unit's activation there, blue -1 to
red +1, as Karpathy, Johnson & Fei-Fei (2015) read an LSTM's cells against the text they had read."""
from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rnncore import glyph

from ..insight import Blank, UnitText
from .heatmap import cell_style, legend

ON_COLOUR = Style(color="white")
ABOVE, BELOW = 2, 1  # lines over the text (title, keys) and under it (legend)


def layout(symbols: list[str], values: np.ndarray, separator: str, width: int) -> list[list[tuple[str, Style]]]:
    """The symbols as coloured pieces, wrapped at `width`; a line break in a text ends its line."""
    lines, line, used = [], [], 0
    for symbol, value in zip(symbols, values, strict=True):
        piece = f" {glyph(symbol)} " if separator else _shown(symbol)
        if used and used + cell_len(piece) > width:
            lines.append(line)
            line, used = [], 0
        line.append((piece, cell_style(value) + ON_COLOUR))
        used += cell_len(piece)  # a wide character takes two cells
        if symbol == "\n" and not separator:
            lines.append(line)
            line, used = [], 0
    return [*lines, line] if line else lines


def _shown(character: str) -> str:
    """A text's character as it reads best: a space as a (coloured) space, a line break and the like as a glyph."""
    return " " if character == " " else glyph(character)


class UnitOnText(Widget):
    """The sequence with one unit's activation behind each symbol; the last lines that fit, with a note."""

    DEFAULT_CSS = """
    UnitOnText { height: 1fr; min-height: 5; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.data: UnitText | Blank = Blank(hint)
        self.unit = 0

    def show(self, data: UnitText | Blank, unit: int) -> None:
        self.data, self.unit = data, unit
        self.refresh()

    @property
    def text(self) -> Text:
        """What the view shows at its current size (60 by 20 before it is laid out)."""
        if isinstance(self.data, Blank):
            return Text(self.data.why, style="dim italic")
        return self.lines(self.content_size.width or 60, self.content_size.height or 20)

    def lines(self, width: int, height: int) -> Text:
        data, unit = self.data, min(self.unit, self.data.values.shape[1] - 1)
        lines = layout(data.symbols, data.values[:, unit], data.separator, width)
        shown = lines[-max(1, height - ABOVE - BELOW):]
        count = sum(len(line) for line in shown)
        note = f" · last {count} of {len(data.symbols)}" if count < len(data.symbols) else ""
        title = Text.assemble((f"unit {unit} of {data.values.shape[1]}", "bold"),
                              (f" · {data.layer} {data.trace}{note}", "dim"))
        keys = Text(f"↑/↓ unit · v: unit {data.most_varying} varies most", "dim")
        body = [Text.assemble(*line) for line in shown]
        scale = Text.assemble(*[(seg.text, seg.style) for seg in legend()], (f" · {data.label}", "dim"))
        return Text("\n").join([title, keys, *body, scale])

    def render(self) -> Text:
        return self.text
