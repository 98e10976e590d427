"""The Training panel: hyperparameters that take effect at the next step, even mid-run."""
from __future__ import annotations

import dataclasses
import math

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from rnncore import TrainConfig
from rnncore.optim import OPTIMIZERS, SCHEDULES

MAX_SPEED = 1000.0

# field: (label, parse, tooltip); parse is None for a choice
FIELDS = {
    "lr": ("lr", float, "learning rate, in (0, 10]"),
    "schedule": ("schedule", None, "how the learning rate changes over the steps"),
    "optimizer": ("optimizer", None, "switching starts the new optimizer with fresh state"),
    "batch_size": ("batch", int, "sequences per step"),
    "bptt": ("BPTT", int, "steps of backpropagation through time; 0 = whole sequences"),
    "l2": ("L2", float, "weight decay on the matrices, in [0, 1]"),
    "clip": ("clip", float, "largest gradient norm; 0 = no clipping"),
    "speed": ("steps/s", float, f"training speed; 0 = as fast as possible, at most {MAX_SPEED:g}"),
}
CHOICES = {"schedule": SCHEDULES, "optimizer": tuple(OPTIMIZERS)}


class TrainingPanel(Widget):
    DEFAULT_CSS = """
    TrainingPanel {
        height: auto;
        border: round $primary-lighten-1;
        padding: 0 1;
    }
    TrainingPanel Horizontal { height: 1; }
    TrainingPanel Horizontal > Label { width: 10; }
    TrainingPanel Input, TrainingPanel Select { width: 1fr; }
    TrainingPanel .error { color: $error; display: none; }
    TrainingPanel .error.-shown { display: block; }
    """

    class Changed(Message):
        """A field took a new, valid value: `field` is a TrainConfig field name or "speed"."""

        def __init__(self, field: str, value) -> None:
            super().__init__()
            self.field, self.value = field, value

    def __init__(self, config: TrainConfig | None = None, speed: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Training"
        self.config = dataclasses.replace(config or TrainConfig())
        self.speed = speed

    def compose(self) -> ComposeResult:
        for field, (label, parse, tip) in FIELDS.items():
            with Horizontal():
                yield Label(label)
                yield self._control(field, parse, tip)
            yield Label("", id=f"{field}-error", classes="error")

    def _control(self, field: str, parse, tip: str) -> Widget:
        if parse is None:
            options = [(name, name) for name in CHOICES[field]]
            control = Select(options, value=self._current(field), allow_blank=False, compact=True, id=field)
        else:
            control = Input(_text(self._current(field)), compact=True, id=field)
        control.tooltip = tip
        return control

    def set_values(self, config: TrainConfig, speed: float) -> None:
        """Show `config` and `speed`; posts no Changed."""
        self.config, self.speed = dataclasses.replace(config), speed
        for field, (_, parse, _) in FIELDS.items():
            self._show_error(field, "")
            if parse is None:
                self.query_one(f"#{field}", Select).value = self._current(field)
            else:
                self.query_one(f"#{field}", Input).value = _text(self._current(field))

    @on(Input.Submitted)
    @on(Input.Blurred)
    def _input_done(self, event: Input.Submitted | Input.Blurred) -> None:
        event.stop()
        field = event.input.id
        if field not in FIELDS:
            return
        untouched = isinstance(event, Input.Blurred) and event.value == _text(self._current(field))
        if not untouched:  # leaving a field just restored after an error keeps the error
            self._commit(field, event.value)

    @on(Select.Changed)
    def _choice_made(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id in FIELDS and event.value != self._current(event.select.id):
            self._commit(event.select.id, event.value)

    def _commit(self, field: str, text) -> None:
        try:
            value = self._validated(field, text)
        except ValueError as error:
            self._show_error(field, str(error))
            if FIELDS[field][1] is not None:
                self.query_one(f"#{field}", Input).value = _text(self._current(field))
            return
        self._show_error(field, "")
        if value == self._current(field):
            return
        if field == "speed":
            self.speed = value
        else:
            self.config = dataclasses.replace(self.config, **{field: value})
        self.post_message(self.Changed(field, value))

    def _validated(self, field: str, text):
        """The value `text` stands for; ValueError, in words, if it isn't acceptable."""
        parse = FIELDS[field][1]
        value = text if parse is None else _parse(field, str(text).strip(), parse)
        if field == "speed":
            if not 0 <= value <= MAX_SPEED:
                raise ValueError(f"speed must be from 0 (as fast as possible) to {MAX_SPEED:g}, got {value:g}")
        else:
            dataclasses.replace(self.config, **{field: value}).validate()
        return value

    def _current(self, field: str):
        return self.speed if field == "speed" else getattr(self.config, field)

    def _show_error(self, field: str, message: str) -> None:
        error = self.query_one(f"#{field}-error", Label)
        error.update(message)
        error.set_class(bool(message), "-shown")


def _parse(field: str, text: str, parse):
    kind = "a whole number" if parse is int else "a number"
    try:
        value = parse(text)
    except ValueError:
        raise ValueError(f"{field} must be {kind}, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{field} must be a finite number, got {text!r}")
    return value


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
