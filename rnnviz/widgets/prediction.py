"""The prediction panel: type a prefix, see the next-symbol bars, the greedy continuation and the hidden units,
and in the other tabs how the network uses its memory: cost by position, how far back, a state map, a unit."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Static, TabbedContent, TabPane

from rnncore import glyph

from ..inference import Prediction
from ..insight import Lens, Saliency, UnitText
from ..measures import most_varying
from .bars import ProbabilityBars, chosen_rows, moved
from .cost import CostByPosition
from .gradient import GradientView
from .heatmap import HiddenHeatmap
from .prefix import PrefixInput
from .reach import ReachView
from .runbars import PinnedComparison, RunComparison
from .saliency import HowFarBack
from .statemap import StateMapView
from .unittext import UnitOnText

TITLE = "Prediction"
HINT = "type a prefix to see the next symbol"
HEATMAP_HINT = "type a prefix to see the hidden units"
TABS = {"probs": ("Probs", "p"), "cost": ("Cost", "o"), "back": ("Back", "b"), "map": ("Map", "m"),
        "unit": ("Unit", "u"), "grad": ("Gradient", "g"),
        "reach": ("Reach", "e")}  # view -> (title, key); c, f, x: the runs side by side


class PredictionPanel(Vertical):
    """Shows what the app hands it (`show`, `show_error`); posts `PrefixChanged` when the user types and
    `LensChanged` when the user picks another view, layer, trace, target or colouring (`lens`)."""

    DEFAULT_CSS = """
    PredictionPanel { height: 1fr; }
    PredictionPanel > #error { color: $error; height: auto; display: none; }
    PredictionPanel > #error.shown { display: block; }
    PredictionPanel #views { height: 1fr; }
    PredictionPanel #views > ContentSwitcher { height: 1fr; }
    PredictionPanel TabPane { height: 1fr; padding: 0; }
    PredictionPanel #probs { overflow-y: auto; }
    PredictionPanel #continuation { height: auto; margin-bottom: 1; color: $text-muted; }
    PredictionPanel #heatmaps { height: auto; }
    """

    APP_KEYS = [  # the app binds these, so that they work wherever the focus is; each runs this panel's action
        *(Binding(key, f"panel('open', '{view}')", title, show=False) for view, (title, key) in TABS.items()),
        Binding("l", "panel('next_layer')", "Layer", show=False),
        Binding("t", "panel('next_trace')", "Trace", show=False),
        Binding("i", "panel('colour_by_input')", "Colour by input", show=False),
        Binding("v", "panel('most_varying')", "Most varying unit", show=False),
        Binding("a", "panel('likeliest')", "Likeliest target", show=False),
        Binding("k", "panel('pin')", "Pin the prefix", show=False),
        Binding("up", "panel('move', -1)", "Up", show=False), Binding("down", "panel('move', 1)", "Down", show=False),
        Binding("pageup", "panel('scroll', -1)", "Scroll up", show=False),
        Binding("pagedown", "panel('scroll', 1)", "Scroll down", show=False),
    ]

    hint = reactive("")  # on a small screen, the keys to the other pages, after the title
    busy = False  # a prediction is being computed

    class PrefixChanged(Message):
        """The prefix input changed (or was submitted)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class LensChanged(Message):
        """The user picked something else to look at: the numbers must be computed again."""

    def __init__(self, example: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._example = example
        self._heatmaps: list[HiddenHeatmap] = []
        self.lens, self.unit = Lens(), 0
        self._prediction: Prediction | None = None
        self._view = None  # the open view's numbers, last shown
        self.border_title = TITLE

    def compose(self) -> ComposeResult:
        yield PrefixInput(placeholder=_placeholder(self._example), id="prefix")
        yield Static("", id="error")
        with TabbedContent(id="views"):
            with TabPane(_tab_title("probs"), id="probs"):
                yield ProbabilityBars(HINT, id="bars")
                yield PinnedComparison(id="pinned")
                yield RunComparison(id="runs")
                yield Static("", id="continuation")
                yield VerticalScroll(id="heatmaps")
            with TabPane(_tab_title("cost"), id="cost"):
                yield CostByPosition(id="cost-view")
            with TabPane(_tab_title("back"), id="back"):
                yield HowFarBack(id="back-view")
            with TabPane(_tab_title("map"), id="map"):
                yield StateMapView(id="map-view")
            with TabPane(_tab_title("unit"), id="unit"):
                yield UnitOnText(id="unit-view")
            with TabPane(_tab_title("grad"), id="grad"):
                yield GradientView(id="grad-view")
            with TabPane(_tab_title("reach"), id="reach"):
                yield ReachView(id="reach-view")

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

    # --- what the app hands over ----------------------------------------------------------
    def show(self, prediction: Prediction, view=None) -> None:
        """Render the open tab: bars, continuation and one heatmap per recurrent layer, or a view's numbers (`view`,
        from `Insight.look`); clear the error. A hidden tab is drawn when it opens: opening one asks for new numbers."""
        self.show_error("")
        self._prediction, self._view = prediction, view
        if self.lens.view == "probs":
            self._show_probs()
        widget = {"cost": CostByPosition, "back": HowFarBack, "map": StateMapView}.get(self.lens.view)
        if widget is not None and view is not None:
            self.query_one(widget).show(view)
        elif self.lens.view == "unit" and view is not None:
            self.query_one(UnitOnText).show(view, self.unit)

    def show_runs(self, runs: list, view: str = "probs") -> None:
        """What `view` shows of every run (Lab.across): the next-symbol probabilities beside the current run's, in
        the Gradient view every run's gradient through time at the depth of the layer picked, in the Reach view
        every run's reach."""
        if view == "grad":
            names = list(self._prediction.traces) if self._prediction else []
            self.query_one(GradientView).show(runs, names.index(self.picked_layer) if self.picked_layer else 0)
        elif view == "reach":
            self.query_one(ReachView).show(runs)
        elif self._prediction is not None:
            self.query_one(RunComparison).show(self._prediction.symbols, runs)

    def show_pinned(self, pinned: Prediction | None) -> None:
        """The pinned prefix's prediction beside the typed one's (None: nothing pinned)."""
        comparison = self.query_one(PinnedComparison)
        comparison.show(pinned, self._prediction)
        self.query_one(ProbabilityBars).display = not comparison.display  # its bars are the comparison's first

    def working(self, busy: bool) -> None:
        """Say in the title whether a prediction is being computed (what shows stays until it lands)."""
        self.busy = busy
        self.watch_hint()

    def watch_hint(self) -> None:
        self.border_title = TITLE + (" · working…" if self.busy else "") + (f"  [dim]{self.hint}[/]" if self.hint
                                                                          else "")

    def show_error(self, message: str) -> None:
        """An inline error under the input (empty clears it); what was shown before stays."""
        error = self.query_one("#error", Static)
        _update(error, message)
        error.set_class(bool(message), "shown")

    def _show_probs(self) -> None:
        prediction, bars = self._prediction, self.query_one(ProbabilityBars)
        if prediction.probs is None:
            bars.show_hint(HINT)
        else:
            bars.show(prediction.symbols, prediction.probs, self.lens.target)
        _update(self.query_one("#continuation", Static), continuation_line(prediction))
        self._show_heatmaps(prediction)

    def _show_heatmaps(self, prediction: Prediction) -> None:
        names = list(prediction.traces)
        if [h.layer_name for h in self._heatmaps] != names:
            box = self.query_one("#heatmaps", VerticalScroll)
            box.remove_children()
            self._heatmaps = [HiddenHeatmap(name, HEATMAP_HINT) for name in names]
            box.mount_all(self._heatmaps)
        layer = self.picked_layer
        for heatmap, (name, trace) in zip(self._heatmaps, prediction.traces.items(), strict=True):
            mine = name == layer
            key = self.lens.trace if mine and self.lens.trace in trace else "h"
            heatmap.show(trace[key], prediction.prefix, key, self.unit if mine else None, mine)

    @property
    def picked_layer(self) -> str | None:
        """The recurrent layer the views look at: the one picked, or the first."""
        names = list(self._prediction.traces) if self._prediction else []
        return self.lens.layer if self.lens.layer in names else (names[0] if names else None)

    # --- what the user picks ----------------------------------------------------------------
    def _refocus(self, **changes) -> None:
        self.lens = replace(self.lens, **changes)
        self.post_message(self.LensChanged())

    def _pick_unit(self, unit: int) -> None:
        units = self._units()
        self.unit = min(max(unit, 0), units - 1) if units else 0
        if self._prediction is not None:
            self.show(self._prediction, self._view)

    def _units(self) -> int:
        return self._trace().shape[1]

    def _trace(self) -> np.ndarray:
        """(T, H) the prefix's trace the views look at: the picked one of the picked layer, or its h."""
        traces = self._prediction.traces.get(self.picked_layer, {}) if self._prediction else {}
        return traces.get(self.lens.trace, traces.get("h", np.zeros((0, 0))))

    @on(TabbedContent.TabActivated, "#views")
    def _tab_opened(self, event: TabbedContent.TabActivated) -> None:
        event.stop()
        if event.pane.id != self.lens.view:
            self._refocus(view=event.pane.id)

    @on(HiddenHeatmap.UnitPicked)
    def _unit_clicked(self, event: HiddenHeatmap.UnitPicked) -> None:
        event.stop()
        if event.layer_name != self.picked_layer:
            self._refocus(layer=event.layer_name)
        self._pick_unit(event.unit)

    @on(ProbabilityBars.TargetPicked)
    def _target_clicked(self, event: ProbabilityBars.TargetPicked) -> None:
        event.stop()
        self._refocus(target=event.target)

    def action_open(self, view: str) -> None:
        self.query_one("#views", TabbedContent).active = view

    def action_next_layer(self) -> None:
        names = list(self._prediction.traces) if self._prediction else []
        if len(names) > 1:
            self._refocus(layer=names[(names.index(self.picked_layer) + 1) % len(names)])
            self._pick_unit(self.unit)

    def action_next_trace(self) -> None:
        keys = list(self._prediction.traces.get(self.picked_layer, {})) if self._prediction else []
        if len(keys) > 1:
            self._refocus(trace=keys[(keys.index(self.lens.trace) + 1) % len(keys)] if self.lens.trace in keys
                          else keys[0])

    def action_colour_by_input(self) -> None:
        self._refocus(by_input=not self.lens.by_input)

    def action_likeliest(self) -> None:
        self._refocus(target=None)

    def action_pin(self) -> None:
        """Keep the typed prefix to compare the next one with (k); k again lets it go."""
        typed = self.query_one("#prefix", Input).value.strip()
        if self.lens.pinned or not typed:
            self._refocus(pinned="")
        else:
            self._refocus(pinned=typed)
            self.notify(f"Pinned {typed}: type another prefix to see the two side by side; k lets it go.")

    def action_most_varying(self) -> None:
        if isinstance(self._view, UnitText):
            self._pick_unit(self._view.most_varying)
        elif len(self._trace()):
            self._pick_unit(most_varying(self._trace()))

    def action_scroll(self, pages: int) -> None:
        """PgUp/PgDn: the open view's content by a page, the heatmaps under the bars included."""
        pane = self.query_one(f"#{self.lens.view}", TabPane)
        scrollable = next((w for w in (pane, *pane.query("*")) if w.max_scroll_y > 0), None)
        if scrollable is not None:
            scrollable.scroll_to(y=scrollable.scroll_y + pages * max(scrollable.size.height - 1, 1), animate=False)

    def action_move(self, step: int) -> None:
        """↑/↓: the unit in the unit view, else the target of the bars and the how-far-back view."""
        if self.lens.view == "unit":
            self._pick_unit(self.unit + step)
        elif self.lens.view in ("probs", "back") and self._prediction is not None:
            self._refocus(target=moved(*self._target_order(), step))

    def _target_order(self) -> tuple[list[int], int]:
        """The order ↑/↓ move the target in (the bars', or the vocabulary's without bars), and where it is."""
        probs = self._prediction.probs
        likeliest = int(np.argmax(probs)) if probs is not None else \
            self._view.target if isinstance(self._view, Saliency) else 0
        order = chosen_rows(probs) if probs is not None else list(range(len(self._prediction.symbols)))
        return order, likeliest if self.lens.target is None else self.lens.target


def _update(line: Static, text: str) -> None:
    """A line's new text, if it is new: an update lays the whole screen out again, which costs the training
    thread a few percent at every redraw."""
    if str(line.content) != text:
        line.update(text)


def continuation_line(prediction: Prediction) -> str:
    """'continues: 7 1 3 5 …' (digits spaced, text as text); empty for an empty prefix."""
    if not prediction.continuation:
        return ""
    return "continues: " + prediction.vocab.separator.join(map(glyph, prediction.continuation)) + " …"


def _tab_title(view: str) -> str:
    """The tab's title, its key underlined."""
    title, key = TABS[view]
    at = title.lower().index(key)
    return f"{title[:at]}[u]{title[at]}[/u]{title[at + 1:]}"


def _placeholder(example: str) -> str:
    return f"type a prefix, e.g. {example}" if example else "type a prefix"
