"""The prediction panel: type a prefix, see the next-symbol bars, the greedy continuation and the hidden units."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Static

from rnncore import glyph

from ..inference import Prediction
from .bars import ProbabilityBars
from .heatmap import HiddenHeatmap

HINT = "type a prefix to see the next symbol"
HEATMAP_HINT = "type a prefix to see the hidden units"


class PredictionPanel(Vertical):
    """Shows what the app hands it (`show`, `show_error`); posts `PrefixChanged` when the user types."""

    DEFAULT_CSS = """
    PredictionPanel { height: 1fr; overflow-y: auto; }
    PredictionPanel > #error { color: $error; height: auto; display: none; }
    PredictionPanel > #error.shown { display: block; }
    PredictionPanel > #continuation { height: auto; margin-bottom: 1; color: $text-muted; }
    PredictionPanel > #heatmaps { height: 1fr; min-height: 8; }
    """

    class PrefixChanged(Message):
        """The prefix input changed (or was submitted)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, example: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._example = example
        self._heatmaps: list[HiddenHeatmap] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder=_placeholder(self._example), id="prefix")
        yield Static("", id="error")
        yield ProbabilityBars(HINT, id="bars")
        yield Static("", id="continuation")
        yield VerticalScroll(id="heatmaps")

    def set_example(self, example: str) -> None:
        """A prefix typical of the data, shown in the empty input as a hint."""
        self.query_one("#prefix", Input).placeholder = _placeholder(example)

    @on(Input.Changed, "#prefix")
    @on(Input.Submitted, "#prefix")
    def _prefix_typed(self, event: Input.Changed | Input.Submitted) -> None:
        event.stop()
        self.post_message(self.PrefixChanged(event.value))
        if isinstance(event, Input.Submitted):
            self.screen.set_focus(None)  # enter gives the keys back to the app

    def show(self, prediction: Prediction) -> None:
        """Render bars, continuation and one heatmap per recurrent layer; clear the error."""
        self.show_error("")
        bars = self.query_one(ProbabilityBars)
        if prediction.probs is None:
            bars.show_hint(HINT)
        else:
            bars.show(prediction.symbols, prediction.probs)
        self.query_one("#continuation", Static).update(continuation_line(prediction))
        self._show_heatmaps(prediction)

    def show_error(self, message: str) -> None:
        """An inline error under the input (empty clears it); what was shown before stays."""
        error = self.query_one("#error", Static)
        error.update(message)
        error.set_class(bool(message), "shown")

    def _show_heatmaps(self, prediction: Prediction) -> None:
        names = list(prediction.traces)
        if [h.layer_name for h in self._heatmaps] != names:
            box = self.query_one("#heatmaps", VerticalScroll)
            box.remove_children()
            self._heatmaps = [HiddenHeatmap(name, HEATMAP_HINT) for name in names]
            box.mount_all(self._heatmaps)
        for heatmap, trace in zip(self._heatmaps, prediction.traces.values(), strict=True):
            heatmap.show(trace["h"], prediction.prefix)


def continuation_line(prediction: Prediction) -> str:
    """'continues: 7 1 3 5 …' (digits spaced, text as text); empty for an empty prefix."""
    if not prediction.continuation:
        return ""
    return "continues: " + prediction.vocab.separator.join(map(glyph, prediction.continuation)) + " …"


def _placeholder(example: str) -> str:
    return f"type a prefix, e.g. {example}" if example else "type a prefix"
