"""Horizontal bars of the next-symbol distribution, the most likely one highlighted.

A small vocabulary (the digits) shows every symbol in vocabulary order, so each
bar keeps its row while the network trains; a large one (text) shows the top
TOP_K by probability and sums up the rest in one line. Where the panel has
fewer lines than that (80x24), the likeliest symbols that fit are shown.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget

from rnncore import glyph
from rnncore.vocab import fit

ALL_UP_TO = 12  # vocabularies this small show every symbol
TOP_K = 10
MAX_BAR = 40  # cells for probability 1; wider bars only make the eye travel
EIGHTHS = " ▏▎▍▌▋▊▉"
BEST_STYLE = "bold #ffb000"
BAR_STYLE = "#5f87d7"
TARGET_STYLE = "bold reverse"  # the symbol the how-far-back view explains, when the user picked it


def bar(fraction: float, width: int) -> str:
    """A bar `fraction` of `width` cells long, in eighths of a cell."""
    eighths = round(min(max(fraction, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (EIGHTHS[part] if part else "")).ljust(width)


def chosen_rows(probs: np.ndarray) -> list[int]:
    """Which symbols get a bar, in display order."""
    if len(probs) <= ALL_UP_TO:
        return list(range(len(probs)))
    return [int(i) for i in np.argsort(-probs, kind="stable")[:TOP_K]]


def shown_rows(probs: np.ndarray, room: int | None = None) -> list[int]:
    """`chosen_rows`, or when they and the note of the rest take more than `room` lines, the likeliest that fit
    beside that note (at least the likeliest of all), in the same order."""
    rows = chosen_rows(probs)
    if room is None or len(rows) + (len(rows) < len(probs)) <= room:
        return rows
    kept = set(np.argsort(-probs, kind="stable")[:max(room - 1, 1)].tolist())
    return [i for i in rows if i in kept]


def moved(order: list[int], current: int, step: int) -> int:
    """The symbol `step` places from `current` in `order` (the first if it is not there), kept within it."""
    start = order.index(current) if current in order else 0
    return order[min(max(start + step, 0), len(order) - 1)]


def bars_text(symbols: list[str], probs: np.ndarray, width: int, target: int | None = None,
              room: int | None = None) -> Text:
    """One line per shown symbol (`shown_rows`, in `room` lines): label, bar, probability, then how many are left
    out; `width` is the whole line's; `target`'s label reversed."""
    rows = shown_rows(probs, room)
    labels = [glyph(symbols[i]) for i in rows]
    label_width = max(cell_len(s) for s in labels)
    bar_width = min(MAX_BAR, max(4, width - label_width - 9))  # room for "  0.97 ◀"
    best = int(np.argmax(probs))
    out = Text(no_wrap=True, overflow="crop")
    for i, label in zip(rows, labels, strict=True):
        style = BEST_STYLE if i == best else BAR_STYLE
        mark = " ◀" if i == best else ""
        out.append(fit(label, label_width, ">"), style=TARGET_STYLE if i == target else "bold" if i == best else "")
        out.append(" ")
        out.append(bar(float(probs[i]), bar_width), style=style)
        out.append(f" {probs[i]:.2f}{mark}\n", style="bold" if i == best else "")
    rest = len(probs) - len(rows)
    if rest:
        out.append(f"… {rest} more, {1 - probs[rows].sum():.2f} in all\n", style="dim")
    out.rstrip()
    return out


class ProbabilityBars(Widget, can_focus=True):
    """The softmax over the next symbol as bars; a hint when there is nothing to show. ↑/↓ (when focused) or a
    click on a bar picks the target of the how-far-back view: `TargetPicked`."""

    DEFAULT_CSS = """
    ProbabilityBars { height: 1; max-height: 100%; width: 1fr; text-wrap: nowrap; text-overflow: clip; }
    ProbabilityBars:focus { background: $boost; }
    """
    BINDINGS = [Binding("up", "pick(-1)", "Target up", show=False),
                Binding("down", "pick(1)", "Target down", show=False)]

    @dataclass
    class TargetPicked(Message):
        target: int

    def __init__(self, hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._hint = hint
        self._symbols: list[str] = []
        self._probs: np.ndarray | None = None
        self.target: int | None = None

    def show(self, symbols: list[str], probs: np.ndarray, target: int | None = None) -> None:
        if len(symbols) != len(probs):
            raise ValueError(f"{len(symbols)} symbols but {len(probs)} probabilities")
        self._symbols, self._probs, self.target = list(symbols), np.asarray(probs, np.float64), target
        self._fit_height()

    def show_hint(self, hint: str) -> None:
        self._hint, self._probs = hint, None
        self._fit_height()

    def _fit_height(self) -> None:
        """A fixed height per content spares the screen a full layout pass at every refresh."""
        rows = 1 if self._probs is None else len(chosen_rows(self._probs)) + (len(self._probs) > ALL_UP_TO)
        if self.styles.height is None or self.styles.height.value != rows:
            self.styles.height = rows
        self.refresh()

    @property
    def text(self) -> Text:
        """What the widget shows, at its current width (40 before it is laid out)."""
        if self._probs is None:
            return Text(self._hint, style="dim italic")
        return bars_text(self._symbols, self._probs, self.content_size.width or 40, self.target,
                         self.content_size.height or None)

    def render(self) -> Text:
        return self.text

    def action_pick(self, step: int) -> None:
        if self._probs is not None:
            current = int(np.argmax(self._probs)) if self.target is None else self.target
            self.post_message(self.TargetPicked(moved(chosen_rows(self._probs), current, step)))

    def on_click(self, event: events.Click) -> None:
        rows = shown_rows(self._probs, self.content_size.height) if self._probs is not None else []
        if 0 <= event.y < len(rows):
            self.post_message(self.TargetPicked(rows[event.y]))
