"""The header line of live figures: what is training, how far, how well, how fast."""
from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from ..session import SessionView

GAP = "  "
STATES = {"running": (" ▶ RUNNING ", "bold black on green"), "stepping": (" ▶ STEPPING ", "bold black on green"),
          "paused": (" ⏸ PAUSED ", "bold black on yellow")}
WORKING_STYLE = "bold black on cyan"


class Figures(Static):
    DEFAULT_CSS = """
    Figures {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.pieces: list[Text] = []  # each one stays on one line when the header wraps
        self.text = Text()

    def show(self, view: SessionView, state: str, tokens_per_sec: float | None,
             run: tuple[int, int, str] | None = None) -> None:
        """`state`: one of STATES, or what the app is working on ("building the network"); `run`: (index, count,
        label) of the current run when there are several."""
        label, style = STATES.get(state, (f" ⋯ {state}… ", WORKING_STYLE))
        self.pieces = [
            Text(label, style=style),
            *([Text.assemble(("run ", "dim"), (f"{run[0] + 1}/{run[1]}", "bold"),
                             "" if run[2].startswith("run ") else f" {run[2]}")] if run else []),
            Text.assemble((Path(view.model.data).name, "bold"), " ", (view.architecture, "dim")),
            _figure("step", f"{view.step:,}" + (f" (weights of {view.weights_from:,})"
                                                 if view.weights_from is not None else "")),
            _figure("epoch", f"{view.epoch:.2f}"),
            _figure("cost", "–" if view.loss is None else f"{view.loss:.4f}"),
            _figure("acc", "–" if view.accuracy is None else f"{view.accuracy:.1%}"),
            of_best(view.accuracy, view.optimum),
            _figure("tok/s", "–" if tokens_per_sec is None else _si(tokens_per_sec)),
            _figure("lr", f"{view.next_lr:.3g}"),
        ]
        self._show()

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        lines = len(self.text.plain.splitlines())
        self.text = _wrap(self.pieces, self.content_region.width)
        self.update(self.text, layout=len(self.text.plain.splitlines()) != lines)  # a re-layout costs the worker ~5%


def _wrap(pieces: list[Text], width: int) -> Text:
    """Pieces joined by gaps, a new line instead of a gap where the next piece wouldn't fit."""
    text, column = Text(), 0
    for piece in pieces:
        if column and width and column + len(GAP) + len(piece) > width:
            text.append("\n")
            column = 0
        elif column:
            text.append(GAP)
            column += len(GAP)
        text.append_text(piece)
        column += len(piece)
    return text


def of_best(accuracy: float | None, optimum) -> Text:
    """How close the accuracy is to the best possible, or that nothing says what the best is (a text file)."""
    if optimum is None:
        return _figure("best", "not known")
    return _figure("of best", "–" if accuracy is None else f"{accuracy / optimum.accuracy:.1%}")


def _figure(name: str, value: str) -> Text:
    return Text.assemble((f"{name} ", "dim"), (value, "bold"))


def _si(value: float) -> str:
    """12345 -> '12.3k': tokens/s spans from tens to millions."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"
