"""Reach: for n = 1, 2, ... far past the training range, whether each run is right about n (a^n b^n T, or a gap
of n zeros), one strip per run with its training range shaded, and the largest n up to which it is right.

A network that learnt to count is right far beyond the n it trained on; one that memorised its training
lengths stops at their end (Gers & Schmidhuber 2001; Weiss, Goldberg & Yahav 2018).
"""
from __future__ import annotations

import math

from rich.text import Text
from textual.widget import Widget

from rnncore import Reach

from ..insight import Blank
from .runbars import run_style

LABEL = 10  # characters of a run's label, its space included
NUMBER = 5  # characters of the largest n after a strip: " ≥100"
RIGHT, SOME, WRONG = "█", "▒", "·"  # a cell whose n are all right, some right, none right
TRAINED = "▀"  # under the cells of the n trained on
SHADE = "on #3a3a3a"  # the cells of n the run trained on
WRONG_STYLE = "#d75f5f"
HINT = "the reach shows here for anbn and parity"

Row = tuple[str, int, Reach | str]  # a run's label, colour index, and its reach or why it has none (Lab.reaches)


def cells_for(up_to: int, width: int) -> tuple[int, int]:
    """(cells, n per cell) of strips that show n = 1 .. up_to in `width` characters, labels and numbers beside."""
    per_cell = max(1, math.ceil(up_to / max(width - LABEL - NUMBER, 1)))
    return math.ceil(up_to / per_cell), per_cell


def strip(reach: Reach, cells: int, per_cell: int, style: str) -> Text:
    """One cell per `per_cell` consecutive n: all right, some right, none right; shaded where it trained."""
    text = Text()
    for cell in range(cells):
        start = cell * per_cell
        right = reach.right[start:start + per_cell]
        if not len(right):
            text.append(" ")
            continue
        char = RIGHT if right.all() else SOME if right.any() else WRONG
        shade = f" {SHADE}" if start < reach.trained else ""
        text.append(char, (WRONG_STYLE if char == WRONG else style) + shade)
    return text


def largest_words(reach: Reach) -> str:
    """The largest n printed after a strip: '≥100' when every n measured is right."""
    return f"≥{reach.up_to}" if reach.largest == reach.up_to else str(reach.largest)


def axis(cells: int, per_cell: int, trained: int, up_to: int) -> Text:
    """'▀▀▀10               100' under the strips: the cells of the n trained on, their last n, and the last n."""
    inside = min(math.ceil(trained / per_cell), cells)
    text = Text(" " * LABEL) + Text(TRAINED * inside, "bold") + Text(str(trained), "dim")
    end = str(up_to)
    return text + Text(f"{end:>{max(cells - inside - len(str(trained)), len(end) + 1)}}", "dim")


def reach_text(rows: list[Row], width: int, height: int) -> Text:
    """Every run's strip, the current run (first) setting the title and the axis."""
    measured = [reach for _, _, reach in rows if isinstance(reach, Reach)]
    if not measured:
        return Text(rows[0][2] if rows else HINT, "dim italic")
    first = measured[0]
    cells, per_cell = cells_for(max(r.up_to for r in measured), width)
    needed = 2 + len(rows)  # the title, a strip per run, the axis; then the legend and a line of words if they fit
    lines = [Text.assemble(("reach", "bold"), (f" · {first.what} · trained on n ≤ {first.trained}", "dim"))]
    if height >= needed + 2:
        lines.append(Text("right for every n up to the number", "dim"))
    for label, color, reach in rows:
        head = Text(f"{label[:LABEL - 1]:<{LABEL}}", run_style(color))
        if isinstance(reach, str):
            lines.append(head + Text(reach, "dim italic"))
            continue
        lines.append(head + strip(reach, cells, per_cell, run_style(color))
                     + Text(f"{largest_words(reach):>{NUMBER}}", "bold " + run_style(color)))
    lines.append(axis(cells, per_cell, first.trained, max(r.up_to for r in measured)))
    if height >= needed + 1:
        some = f"  {SOME} some of {per_cell}" if per_cell > 1 else ""  # a cell stands for per_cell n
        # spaces between the entries, not ·: it is the glyph of wrong
        lines.append(Text(f"{RIGHT} right  {WRONG} wrong  {TRAINED} trained{some}", "dim"))
    return Text("\n").join(lines)


class ReachView(Widget):
    """Shows `Lab.reaches()`: each run's reach, the current run first."""

    DEFAULT_CSS = """
    ReachView { height: 1fr; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[Row] | Blank = Blank(HINT)

    def show(self, rows: list[Row]) -> None:
        self.rows = rows
        self.refresh()

    @property
    def largest(self) -> dict[str, int]:
        """Each run's largest n right (label -> n), of the runs shown that have a reach: what a lesson checks."""
        if isinstance(self.rows, Blank):
            return {}
        return {label: reach.largest for label, _, reach in self.rows if isinstance(reach, Reach)}

    def render(self) -> Text:
        if isinstance(self.rows, Blank):
            return Text(self.rows.why, "dim italic")
        size = self.content_size
        return reach_text(self.rows, size.width or 60, size.height or 20)

