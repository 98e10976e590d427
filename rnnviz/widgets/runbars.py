"""Next-symbol probabilities side by side: each run's after the prefix, a column per run in its chart colour; or a
pinned prefix's beside the typed one's, with the units whose activations differ most between them."""
from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rnncore import glyph
from rnncore.vocab import fit

from ..inference import Prediction, differing_units
from .bars import bar, chosen_rows
from .charts import RUN_COLORS
from .heatmap import cell_style

CELL = 6  # cells of a column's bar
HEADER = 13  # characters of a run's label in its column's header


def comparison_text(symbols: list[str], columns: list[tuple[str, int, np.ndarray]]) -> Text:
    """`columns`: (label, colour index, probabilities) of each run; the rows are the current (first) run's."""
    rows = chosen_rows(columns[0][2])
    width = max(cell_len(glyph(symbols[i])) for i in rows)
    out = Text(no_wrap=True, overflow="crop")
    out.append(" " * width)
    for label, color, _ in columns:
        out.append(f" {label[:HEADER]:<{HEADER}}", style=Style(color=run_style(color), bold=True))
    for i in rows:
        out.append("\n" + fit(glyph(symbols[i]), width, ">"))
        for _, color, probs in columns:
            best = i == int(np.argmax(probs))
            out.append(" " + bar(float(probs[i]), CELL), style=run_style(color))
            out.append(f" {probs[i]:.2f}{'◀' if best else ' '}"[:HEADER - CELL], style="bold" if best else "")
    return out


def run_style(color: int) -> str:
    """Run `color`'s chart colour (an index of RUN_COLORS) as rich takes it."""
    c = RUN_COLORS[color]
    return "orange1" if isinstance(c, str) else f"rgb({c[0]},{c[1]},{c[2]})"


class RunComparison(Widget):
    """Shown only when there are several runs and a prefix."""

    DEFAULT_CSS = "RunComparison { height: auto; margin-bottom: 1; display: none; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text()

    def show(self, symbols: list[str], columns: list[tuple[str, int, np.ndarray]]) -> None:
        """Nothing to compare (one run, or no prefix) hides the widget."""
        self.display = len(columns) > 1
        if self.display:
            self._text = comparison_text(symbols, columns)
            self.styles.height = len(self._text.plain.splitlines())
            self.refresh()

    def render(self) -> Text:
        return self._text


class PinnedComparison(Widget):
    """A pinned prefix (k) beside the typed one: both bars, and the units that tell them apart. Shown only when
    a prefix is pinned and another is typed."""

    DEFAULT_CSS = "PinnedComparison { height: auto; margin-bottom: 1; display: none; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text()

    def show(self, pinned: Prediction | None, typed: Prediction | None) -> None:
        self.display = bool(pinned and typed and pinned.prefix and typed.prefix and pinned.prefix != typed.prefix)
        if self.display:
            self._text = pinned_text(pinned, typed)
            self.styles.height = len(self._text.plain.splitlines())
            self.refresh()

    def render(self) -> Text:
        return self._text


def pinned_text(pinned: Prediction, typed: Prediction) -> Text:
    """The typed prefix's bars beside the pinned one's, then the units that differ most after their last symbols."""
    shown = [(" ".join(map(glyph, p.prefix))[-HEADER:], color, p.probs) for p, color in ((typed, 0), (pinned, 2))]
    out = comparison_text(typed.symbols, shown)
    out.append("\nunits that differ most after the last symbol:", style="dim")
    for layer, unit, a, b in differing_units(pinned, typed):
        out.append(f"\n {layer} unit {unit:<4}")
        out.append(f" {b:+.2f} ", style=cell_style(b)).append(" typed  ", style="dim")
        out.append(f" {a:+.2f} ", style=cell_style(a)).append(" pinned", style="dim")
    return out
