"""The Model panel: dataset, embedding size, the stack of layers and the seed; Apply rebuilds the network.

Like the Training panel it keeps no model of its own: Apply posts what the fields hold, the app answers
with an error for a field (`show_error`) or, once built, the model as it is (`show`).
"""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from rnncore import MAX_LAYERS, MAX_SIZE, STACKABLE, ModelConfig

NEW_LAYER = "rnn:32"
FIELDS = ("data", "embed", "layers", "seed")


class LayerRow(Horizontal):
    """One layer: kind, size and the kind's option (an activation, an init); focusing any part selects the row."""

    DEFAULT_CSS = """
    LayerRow { height: 1; }
    LayerRow.-selected { background: $primary 25%; }
    LayerRow .kind { width: 9; }
    LayerRow .size { width: 1fr; }
    LayerRow .option { width: 13; }
    """

    def __init__(self, spec: str = NEW_LAYER):
        super().__init__()
        kind, size, option = (spec.split(":") + ["", ""])[:3]
        self.kind = kind if kind in STACKABLE else "rnn"
        self.units, self.option = size, option

    def compose(self) -> ComposeResult:
        yield Select([(kind, kind) for kind in STACKABLE], value=self.kind, allow_blank=False, compact=True,
                     classes="kind")
        yield Input(self.units, compact=True, classes="size", tooltip=f"units, 1 to {MAX_SIZE}")
        yield Select([], allow_blank=True, compact=True, classes="option")

    def on_mount(self) -> None:
        self._show_options()

    @on(Select.Changed, ".kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value in STACKABLE:
            self.kind = event.value
            self._show_options()

    @on(Select.Changed, ".option")
    def _option_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self.option = event.value

    @on(Input.Changed, ".size")
    def _size_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.units = event.value

    def _show_options(self) -> None:
        """The option list of the chosen kind, its first (the default) chosen unless the spec named another."""
        options = STACKABLE[self.kind].options
        select = self.query_one(".option", Select)
        select.display = bool(options)
        select.set_options([(o, o) for o in options])
        if options:
            select.value = self.option = self.option if self.option in options else options[0]

    def spec(self) -> str:
        """This row as spec text, unchecked: "rnn:64", "dense:32:relu". Kept as its parts change, so that it can be
        read while the row is still being drawn (just after the panel showed a new model)."""
        options = STACKABLE[self.kind].options
        option = self.option if self.option in options and self.option != options[0] else ""
        return f"{self.kind}:{self.units.strip()}" + (f":{option}" if option else "")


class DataInput(Input):
    """The data field: any task or text file `--data` takes, typed; the built-in tasks are suggested as one types,
    and ↓ (or the button beside it) lists them."""

    BINDINGS = [Binding("down", "list_tasks", "Tasks", show=False)]

    def action_list_tasks(self) -> None:
        self.post_message(ModelPanel.ListTasks())


class ModelPanel(Widget):
    DEFAULT_CSS = """
    ModelPanel {
        height: auto;
        border: round $primary-lighten-1;
        padding: 0 1;
    }
    ModelPanel Horizontal { height: 1; }
    ModelPanel .field > Label { width: 7; }
    ModelPanel .field > Input, ModelPanel .field > Select { width: 1fr; }
    ModelPanel #tasks { width: 3; min-width: 3; margin: 0; }
    ModelPanel #layers { height: auto; }
    ModelPanel Button { width: 1fr; min-width: 5; margin-right: 1; }
    ModelPanel .error { color: $error; display: none; height: auto; width: 100%; }  /* wraps, never cut */
    ModelPanel .error.-shown { display: block; }
    """

    class Apply(Message):
        """The user asked for a network built as the fields say (unchecked texts)."""

        def __init__(self, data: str, embed: str, layers: str, seed: str, new_run: bool = False) -> None:
            super().__init__()
            self.data, self.embed, self.layers, self.seed = data, embed, layers, seed
            self.new_run = new_run  # beside the current run, rather than in its place

    class ListTasks(Message):
        """The user asked for the list of built-in tasks (↓ in the data field, or the button beside it)."""

    def __init__(self, tasks: list[str], model: ModelConfig, seed: int, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Model"
        self.tasks = tasks  # suggested as the data field is typed in
        self.shown = (model, seed)  # what the fields were last set to

    def compose(self) -> ComposeResult:
        model, seed = self.shown
        with Horizontal(classes="field setting", name="data"):  # a lesson may hide a field by its name
            yield Label("data")
            yield DataInput(model.data, compact=True, id="data", suggester=SuggestFromList(self.tasks),
                            tooltip=ModelConfig.describe("data")["help"] + "; ↓ lists the tasks")
            yield Button("▼", id="tasks", compact=True, tooltip="the built-in tasks, each with what it is")
        yield Label("", id="data-error", classes="error")
        with Horizontal(classes="field setting", name="embed"):
            yield Label("embed")
            yield Input(str(model.embed), compact=True, id="embed", tooltip=f"embedding size, 1 to {MAX_SIZE}")
        yield Label("", id="embed-error", classes="error")
        with Vertical(id="layers", classes="setting", name="layers"):
            yield from (LayerRow(spec) for spec in _specs(model.layers))
        yield Label("", id="layers-error", classes="error")
        with Horizontal():
            yield Button("+ layer", id="add-layer", compact=True, tooltip=f"add {NEW_LAYER} at the end")
            yield Button("- layer", id="remove-layer", compact=True, tooltip="remove the selected (or last) layer")
        with Horizontal(classes="field setting", name="seed"):
            yield Label("seed")
            yield Input(str(seed), compact=True, id="seed", tooltip="seed of the initial weights and the data order")
        yield Label("", id="seed-error", classes="error")
        with Horizontal():
            yield Button("Apply", id="apply", variant="primary", compact=True, tooltip="rebuild the network")
            yield Button("New run", id="new-run", compact=True,
                         tooltip="build it as another run, beside this one, to compare (up to 4)")

    def show(self, model: ModelConfig, seed: int, force: bool = False) -> None:
        """Show this model in the fields (posts nothing); unless `force`, only if it changed since last shown."""
        if (model, seed) == self.shown and not force:
            return
        self.shown = (model, seed)
        self.query_one("#data", Input).value = model.data
        self.query_one("#embed", Input).value = str(model.embed)
        self.query_one("#seed", Input).value = str(seed)
        rows = self.query_one("#layers", Vertical)
        rows.remove_children()
        rows.mount_all([LayerRow(spec) for spec in _specs(model.layers)])
        self._clear_errors()

    @property
    def rows(self) -> list[LayerRow]:
        return list(self.query(LayerRow))

    @on(Button.Pressed, "#add-layer")
    def add_layer(self) -> None:
        self._clear_errors()
        if len(self.rows) >= MAX_LAYERS:
            self.show_error("layers", f"at most {MAX_LAYERS} layers")
        else:
            self.query_one("#layers", Vertical).mount(LayerRow(NEW_LAYER))

    @on(Button.Pressed, "#remove-layer")
    def remove_layer(self) -> None:
        """Remove the selected row, or the last one if none is."""
        self._clear_errors()
        rows = self.rows
        if len(rows) <= 1:
            self.show_error("layers", "keep at least one layer")
            return
        selected = [row for row in rows if row.has_class("-selected")]
        (selected or rows)[-1].remove()

    def on_descendant_focus(self, event) -> None:
        row = next((node for node in event.widget.ancestors_with_self if isinstance(node, LayerRow)), None)
        if row is not None:
            for other in self.rows:
                other.set_class(other is row, "-selected")

    @on(Button.Pressed, "#tasks")
    def _list_tasks(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ListTasks())

    def set_data(self, data: str) -> None:
        """Put `data` in the data field and apply it, as enter there would."""
        self.query_one("#data", Input).value = data
        self.apply()

    @on(Button.Pressed, "#apply")
    @on(Button.Pressed, "#new-run")
    @on(Input.Submitted)
    def apply(self, event: Message | None = None) -> None:
        if event is not None:
            event.stop()
        self._clear_errors()
        new_run = isinstance(event, Button.Pressed) and event.button.id == "new-run"
        data, embed, seed = (self.query_one(f"#{name}", Input).value.strip() for name in ("data", "embed", "seed"))
        self.post_message(self.Apply(data, embed, ",".join(row.spec() for row in self.rows), seed, new_run))

    def show_error(self, field: str, message: str) -> None:
        """`message` under `field` (data, embed, layers or seed); an empty one hides it."""
        error = self.query_one(f"#{field}-error", Label)
        error.update(message)
        error.set_class(bool(message), "-shown")

    def _clear_errors(self) -> None:
        for field in FIELDS:
            self.show_error(field, "")


def _specs(layers: str) -> list[str]:
    return [part.strip() for part in layers.split(",") if part.strip()] or [NEW_LAYER]
