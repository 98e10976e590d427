"""Hidden units (rows) by prefix position (columns) of one recurrent layer, coloured -1 blue .. +1 red."""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from .bars import shown

CELL = 3  # characters per cell
MAX_ROWS = 256  # beyond this many units the map is cut, with a note
LEVELS = 16  # colour steps on each side of 0; coarse enough to reuse styles
NEUTRAL = np.array([40, 40, 40])
POSITIVE = np.array([230, 60, 50])
NEGATIVE = np.array([50, 110, 230])


@lru_cache(maxsize=2 * LEVELS + 1)
def _level_style(level: int) -> Style:
    end = POSITIVE if level > 0 else NEGATIVE
    rgb = NEUTRAL + (end - NEUTRAL) * abs(level) / LEVELS
    return Style(bgcolor=Color.from_rgb(*rgb.round()))


def cell_style(value: float) -> Style:
    """The background for an activation: blue at -1, dark at 0, red at +1 (clipped beyond)."""
    value = 0.0 if not np.isfinite(value) else min(max(float(value), -1.0), 1.0)
    return _level_style(round(value * LEVELS))


def legend() -> Text:
    out = Text("-1 ", no_wrap=True)
    for level in range(-LEVELS, LEVELS + 1, 2):
        out.append(" ", style=_level_style(level))
    out.append(" +1")
    return out


def heatmap_text(title: str, states: np.ndarray, symbols: list[str], width: int) -> Text:
    """Title, column headers, one row per unit (capped at MAX_ROWS), legend; the last columns that fit."""
    T, H = states.shape
    label_width = len(str(min(H, MAX_ROWS) - 1))
    columns = max(1, (width - label_width - 1) // CELL)
    first = max(0, T - columns)
    out = Text(no_wrap=True, overflow="crop")
    out.append(f"{title} ({H} units)", style="bold")
    out.append(f" · {MAX_ROWS} shown" if H > MAX_ROWS else "", style="dim")
    out.append(f" · last {T - first} of {T} steps" if first else "", style="dim")
    out.append("\n")
    out.append(" " * (label_width + 1) + "".join(f"{shown(s)[:CELL]:^{CELL}}" for s in symbols[first:]) + "\n")
    for unit in range(min(H, MAX_ROWS)):
        out.append(f"{unit:>{label_width}} ", style="dim")
        for value in states[first:, unit]:
            out.append(" " * CELL, style=cell_style(value))
        out.append("\n")
    out.append_text(legend())
    return out


class HiddenHeatmap(Widget):
    """One recurrent layer's hidden states over the prefix; a hint when the prefix is empty."""

    DEFAULT_CSS = """
    HiddenHeatmap { height: auto; width: 1fr; margin-bottom: 1; text-wrap: nowrap; text-overflow: clip; }
    """

    def __init__(self, layer_name: str, hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.layer_name = layer_name
        self._hint = hint
        self._states = np.zeros((0, 0))
        self._symbols: list[str] = []

    def show(self, states: np.ndarray, symbols: list[str]) -> None:
        """`states` (T, H) for the T symbols of the prefix."""
        states = np.asarray(states)
        if states.ndim != 2 or states.shape[0] != len(symbols):
            raise ValueError(f"states must be (len(symbols), H) = ({len(symbols)}, H), got {states.shape}")
        self._states, self._symbols = states, list(symbols)
        self.refresh(layout=True)

    @property
    def units(self) -> int:
        return self._states.shape[1]

    @property
    def text(self) -> Text:
        """What the widget shows, at its current width (60 before it is laid out)."""
        if not self._symbols:
            return Text.assemble((f"{self.layer_name} ({self.units} units)", "bold"), "\n", (self._hint, "dim italic"))
        return heatmap_text(self.layer_name, self._states, self._symbols, self.content_size.width or 60)

    def render(self) -> Text:
        return self.text
