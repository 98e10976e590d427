"""The header line of live figures: what is training, how far, how well, how fast.

It stays one line at any width: what matters least gives way first (SHED), and past that the line is cropped."""
from __future__ import annotations

import sys
from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from ..session import SessionView

GAP = "  "
LEGEND = ("step: optimizer steps done · epoch: passes over the training data · cost: the training cost of the last "
          "step, -ln p in nats · acc: the share of "
          "eval targets predicted right · to best: the eval cost minus the best possible cost, in nats: 0 is the best "
          "any predictor does on average, a little below 0 happens by chance on a finite eval set · tok/s: symbols "
          "trained per second · threads: the threads NumPy's matrix products run on, two for a large model")
STATES = {"running": (" ▶ RUNNING ", "bold black on green"), "stepping": (" ▶ STEPPING ", "bold black on green"),
          "paused": (" ⏸ PAUSED ", "bold black on yellow")}
WORKING_STYLE = "bold black on cyan"

Piece = tuple[str, list[Text]]  # a name in SHED and its forms, longest first; an empty form is the piece left out
# What gives way first when the line is too narrow: each mention is one step of that piece to its next shorter
# form (`fit` grows the line back in the reverse order). Never dropped: state, run i/n, step, cost, acc, to best.
SHED = ("threads", "epoch", "tok/s", "best", "memory", "model", "lr", "run", "step", "model", "step", "state")


class Figures(Static):
    DEFAULT_CSS = """
    Figures {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.tooltip = LEGEND
        self.pieces: list[Piece] = []
        self.text = Text()  # the line as shown

    def show(self, view: SessionView, state: str, tokens_per_sec: float | None,
             run: tuple[int, int, str] | None = None, threads: int | None = None) -> None:
        """`state`: one of STATES, or what the app is working on ("building the network"); `run`: (index, count,
        label) of the current run when there are several; `threads`: NumPy's BLAS threads, if known."""
        self.pieces = pieces(view, state, tokens_per_sec, run, threads)
        self._show()

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        self.text = fit(self.pieces, self.content_region.width or sys.maxsize)  # before layout: all, till on_resize
        self.update(self.text, layout=False)  # one line whatever it says: a re-layout would cost the worker ~5%


def pieces(view: SessionView, state: str, tokens_per_sec: float | None, run: tuple[int, int, str] | None,
           threads: int | None = None) -> list[Piece]:
    """Every figure the header can show, in the order it shows them, each with its shorter forms."""
    data, step = Path(view.model.data).name, _figure("step", f"{view.step:,}")
    rollback = "" if view.weights_from is None else f" (weights of {view.weights_from:,})"
    return [
        ("state", _state(state)),
        *([("run", [_run(run, with_label=True), _run(run, with_label=False)])] if run else []),
        ("model", [Text.assemble((data, "bold"), " ", (view.architecture, "dim")), Text(data, "bold"), Text()]),
        ("step", [step + Text(rollback, "dim"), step, _figure("step", _si(view.step))]),
        ("epoch", [_figure("epoch", f"{view.epoch:.2f}"), Text()]),
        ("cost", [_figure("cost", "–" if view.loss is None else f"{view.loss:.4f}")]),
        ("acc", [_figure("acc", "–" if view.accuracy is None else f"{view.accuracy:.1%}")]),
        ("best", to_best(view)),
        *([("memory", [_figure("memory found at step", f"{view.memory_found_at:,}"), Text("memory found", "bold"),
                        Text()])]
          if view.memory_found_at is not None else []),
        ("tok/s", [_figure("tok/s", "–" if tokens_per_sec is None else _si(tokens_per_sec)), Text()]),
        *([("threads", [_figure("threads", str(threads)), Text()])] if threads else []),
        ("lr", [_figure("lr", f"{view.next_lr:.3g}"), Text()]),
    ]


def fit(pieces: list[Piece], width: int) -> Text:
    """The pieces on one line of at most `width` cells. From every piece's shortest form, the longer forms are
    taken in the reverse of SHED's order (what matters most first), each one that still fits; what is left is
    cropped with an ellipsis if even the shortest forms do not fit."""
    chosen = {name: len(forms) - 1 for name, forms in pieces}
    for name in reversed(SHED):
        if name in chosen:
            longer = {**chosen, name: max(chosen[name] - 1, 0)}
            if _line(pieces, longer).cell_len <= width:
                chosen = longer
    line = _line(pieces, chosen)
    line.truncate(width, overflow="ellipsis")
    return line


def _line(pieces: list[Piece], chosen: dict[str, int]) -> Text:
    return _join(forms[chosen[name]] for name, forms in pieces)


def _join(forms) -> Text:
    line = Text(GAP).join(form for form in forms if form)
    line.no_wrap, line.overflow = True, "ellipsis"
    return line


def to_best(view: SessionView) -> list[Text]:
    """How far the eval cost is above the best possible, in nats (0 is the best any predictor does on average;
    a little below happens by chance on a finite eval set), or that nothing says what the best is (a text file)."""
    if view.optimum is None:
        return [_figure("best", "not known"), Text()]
    if view.eval_cost is None:
        return [_figure("to best", "–")]
    gap = f"{view.eval_cost - view.optimum.loss:+.3f}"
    chance = " by chance" if view.eval_cost < view.optimum.loss else ""
    return [_figure("eval cost", f"{view.eval_cost:.3f}") + _figure(", best", f"{view.optimum.loss:.3f}") +
            Text(f" ({gap}{chance})", "bold"), _figure("to best", gap)]


def _state(state: str) -> list[Text]:
    """` ▶ RUNNING `, or what the app is working on: ` ⋯ building the network… `, shortened to ` ⋯ building… `."""
    if state in STATES:
        return [Text(*STATES[state])]
    return [Text(f" ⋯ {state}… ", WORKING_STYLE), Text(f" ⋯ {state.split()[0]}… ", WORKING_STYLE)]


def _run(run: tuple[int, int, str], with_label: bool) -> Text:
    """`run 2/3 lr=0.003`: which of several runs the screen follows, and what sets it apart."""
    index, count, label = run
    return Text.assemble(("run ", "dim"), (f"{index + 1}/{count}", "bold"),
                         f" {label}" if with_label and not label.startswith("run ") else "")


def _figure(name: str, value: str) -> Text:
    return Text.assemble((f"{name} ", "dim"), (value, "bold"))


def _si(value: float) -> str:
    """12345 -> '12.3k': tokens/s spans from tens to millions, steps up to millions."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"
