"""The Model panel: dataset, embedding size, the stack of layers and the seed; Apply rebuilds the network."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from rnncore.layers import ACTIVATIONS, MAX_SIZE
from rnncore.network import MAX_LAYERS
from rnncore.spec import parse_layers

MAX_SEED = 2**63 - 1
NEW_LAYER = "rnn:32"


class LayerRow(Horizontal):
    """One layer: kind, size and (for dense) activation; focusing any part selects the row."""

    DEFAULT_CSS = """
    LayerRow { height: 1; }
    LayerRow.-selected { background: $primary 25%; }
    LayerRow .kind { width: 10; }
    LayerRow .size { width: 1fr; }
    LayerRow .activation { width: 12; }
    """

    def __init__(self, spec: str = NEW_LAYER):
        super().__init__()
        kind, size, option = (spec.split(":") + ["", ""])[:3]
        self.kind = kind if kind in ("rnn", "dense") else "rnn"
        self.units = size
        self.option = option  # an RNN's Whh init ("uniform") has no control here, but survives a round trip

    def compose(self) -> ComposeResult:
        yield Select([("rnn", "rnn"), ("dense", "dense")], value=self.kind, allow_blank=False, compact=True,
                     classes="kind")
        yield Input(self.units, compact=True, classes="size", tooltip=f"units, 1 to {MAX_SIZE}")
        activation = self.option if self.option in ACTIVATIONS else "tanh"
        yield Select([(name, name) for name in ACTIVATIONS], value=activation, allow_blank=False, compact=True,
                     classes="activation")

    def on_mount(self) -> None:
        self._show_activation()

    @on(Select.Changed, ".kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._show_activation()

    def _show_activation(self) -> None:
        self.query_one(".activation").display = self.query_one(".kind", Select).value == "dense"

    def spec(self) -> str:
        """This row as spec text, unchecked: "rnn:64", "dense:32:relu"."""
        kind = self.query_one(".kind", Select).value
        size = self.query_one(".size", Input).value.strip()
        if kind == "dense":
            return f"dense:{size}:{self.query_one('.activation', Select).value}"
        return f"rnn:{size}" + (f":{self.option}" if self.kind == "rnn" and self.option else "")


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
    ModelPanel #layers { height: auto; }
    ModelPanel Button { width: 1fr; min-width: 5; margin-right: 1; }
    ModelPanel .error { color: $error; display: none; }
    ModelPanel .error.-shown { display: block; }
    """

    class Apply(Message):
        """The user asked for a network built like this; every value is checked."""

        def __init__(self, dataset: str, embed: int, layers: str, seed: int) -> None:
            super().__init__()
            self.dataset, self.embed, self.layers, self.seed = dataset, embed, layers, seed

    def __init__(self, datasets: list[str], dataset: str | None = None, embed: int = 32,
                 layers: str = "rnn:64,rnn:32", seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Model"
        self.datasets = list(datasets)
        self.model = (dataset or self.datasets[0], embed, layers, seed)  # what set_model last showed

    def compose(self) -> ComposeResult:
        dataset, embed, layers, seed = self.model
        with Horizontal(classes="field"):
            yield Label("data")
            yield Select(self._options(), value=dataset, allow_blank=False, compact=True, id="dataset")
        yield Label("", id="dataset-error", classes="error")
        with Horizontal(classes="field"):
            yield Label("embed")
            yield Input(str(embed), compact=True, id="embed", tooltip=f"embedding size, 1 to {MAX_SIZE}")
        yield Label("", id="embed-error", classes="error")
        with Vertical(id="layers"):
            yield from (LayerRow(spec) for spec in _specs(layers))
        yield Label("", id="layers-error", classes="error")
        with Horizontal():
            yield Button("+ layer", id="add-layer", compact=True, tooltip=f"add {NEW_LAYER} at the end")
            yield Button("- layer", id="remove-layer", compact=True, tooltip="remove the selected (or last) layer")
        with Horizontal(classes="field"):
            yield Label("seed")
            yield Input(str(seed), compact=True, id="seed", tooltip="seed of the initial weights")
        yield Label("", id="seed-error", classes="error")
        yield Button("Apply", id="apply", variant="primary", compact=True, tooltip="rebuild the network")

    def _options(self) -> list[tuple[str, str]]:
        return [(name, name) for name in self.datasets]

    def set_model(self, dataset: str, embed: int, layers: str, seed: int) -> None:
        """Show this model in the fields (posts nothing)."""
        self.model = (dataset, embed, layers, seed)
        if dataset not in self.datasets:
            self.datasets.append(dataset)
        if not self.is_mounted:
            return  # compose will show self.model
        select = self.query_one("#dataset", Select)
        select.set_options(self._options())
        select.value = dataset
        self.query_one("#embed", Input).value = str(embed)
        self.query_one("#seed", Input).value = str(seed)
        rows = self.query_one("#layers", Vertical)
        rows.remove_children()
        rows.mount_all([LayerRow(spec) for spec in _specs(layers)])
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

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted)
    def apply(self, event: Message | None = None) -> None:
        """Check every field; post Apply if all are good, else show why beside the bad ones."""
        if event is not None:
            event.stop()
        self._clear_errors()
        checks = {"embed": self._embed, "layers": self._layers, "seed": self._seed}
        values = {}
        for field, check in checks.items():
            try:
                values[field] = check()
            except ValueError as error:
                self.show_error(field, str(error))
        if len(values) == len(checks):
            dataset = self.query_one("#dataset", Select).value
            self.post_message(self.Apply(str(dataset), values["embed"], values["layers"], values["seed"]))

    def _embed(self) -> int:
        return _whole("embed", self.query_one("#embed", Input).value, 1, MAX_SIZE)

    def _seed(self) -> int:
        return _whole("seed", self.query_one("#seed", Input).value, 0, MAX_SEED)

    def _layers(self) -> str:
        specs = [row.spec() for row in self.rows]
        for row, spec in zip(self.rows, specs, strict=True):
            row.query_one(".size", Input).set_class(not _is_size(spec.split(":")[1]), "-invalid")
        text = ",".join(specs)
        layers = parse_layers(text)
        if not any(layer.recurrent for layer in layers):
            raise ValueError("add an rnn layer: rnnviz shows recurrent networks")
        return text

    def show_error(self, field: str, message: str) -> None:
        """`message` under `field` (dataset, embed, layers or seed); an empty one hides it."""
        error = self.query_one(f"#{field}-error", Label)
        error.update(message)
        error.set_class(bool(message), "-shown")

    def _clear_errors(self) -> None:
        for field in ("dataset", "embed", "layers", "seed"):
            self.show_error(field, "")


def _specs(layers: str) -> list[str]:
    return [part.strip() for part in layers.split(",") if part.strip()] or [NEW_LAYER]


def _is_size(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= MAX_SIZE


def _whole(name: str, text: str, low: int, high: int) -> int:
    text = text.strip()
    if not (text.isdigit() and low <= int(text) <= high):
        raise ValueError(f"{name} must be a whole number from {low} to {high}, got {text!r}")
    return int(text)
