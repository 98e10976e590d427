"""The Training panel: hyperparameters that take effect at the next step, even mid-run.

It keeps no copy of the config: it posts what the user typed (`Edited`), the app
answers with the value as stored (`show`) or the error (`show_error`).
"""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from rnncore import TrainConfig

from .speed import SpeedControl

FIELDS = ("lr", "schedule", "decay_steps", "optimizer", "batch_size", "bptt", "l2", "clip")


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
    TrainingPanel .error { color: $error; display: none; height: auto; width: 100%; }  /* wraps, never cut */
    TrainingPanel .error.-shown { display: block; }
    """

    class Edited(Message):
        """The user typed or chose `text` for TrainConfig field `name`."""

        def __init__(self, name: str, text: str) -> None:
            super().__init__()
            self.name, self.text = name, text

    def __init__(self, config: TrainConfig, speed: float, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "Training"
        self.speed = speed  # for the SpeedControl at the bottom, which posts its own changes
        self._shown = {name: _text(getattr(config, name)) for name in FIELDS}  # each field's text as last shown

    def compose(self) -> ComposeResult:
        for name in FIELDS:
            about = TrainConfig.describe(name)
            with Horizontal(classes="setting", name=name):  # a lesson may hide it by its name
                yield Label(about["label"])
                yield self._control(name, about)
            yield Label("", id=f"{name}-error", classes="error")
        yield SpeedControl(self.speed, classes="setting", name="speed")

    def _control(self, name: str, about: dict) -> Widget:
        rule = about["rule"]
        if rule.choices:
            control = Select([(c, c) for c in rule.choices], value=self._shown[name], allow_blank=False, compact=True,
                             id=name)
        else:
            control = Input(self._shown[name], compact=True, id=name)
        control.tooltip = f"{about['help']}; {rule.describe()}"
        return control

    def show(self, config: TrainConfig) -> None:
        """Show the fields of `config` that changed since they were last shown; what is being typed stays."""
        for name in FIELDS:
            text = _text(getattr(config, name))
            if text != self._shown[name]:
                self._set(name, text)

    def show_error(self, name: str, message: str) -> None:
        """`message` under the field (empty hides it). After a refusal the field shows the stored value again,
        all of it selected, so the next thing typed replaces it rather than joining it."""
        error = self.query_one(f"#{name}-error", Label)
        error.update(message)
        error.set_class(bool(message), "-shown")
        if message:
            self._set(name, self._shown[name])
            control = self.query_one(f"#{name}")
            if isinstance(control, Input):
                control.select_all()

    def _set(self, name: str, text: str) -> None:
        self._shown[name] = text
        control = self.query_one(f"#{name}")
        with control.prevent(Input.Changed, Select.Changed):
            control.value = text

    @on(Input.Submitted)
    @on(Input.Blurred)
    def _typed(self, event: Input.Submitted | Input.Blurred) -> None:
        event.stop()
        name = event.input.id
        changed = event.value.strip() != self._shown[name] if name in FIELDS else False
        if changed or (name in FIELDS and isinstance(event, Input.Submitted)):  # enter always answers
            self.post_message(self.Edited(name, event.value))

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        name = event.select.id
        if name in FIELDS and event.value != self._shown[name]:
            self.post_message(self.Edited(name, str(event.value)))

    def accepted(self, name: str, value) -> None:
        """The app stored `value` for `name`: show it as stored (1e-400 becomes 0), clear the field's error, and
        give the keys back to the app if the field still has them (after enter). A setting without a field here
        (eval_every, set by a lesson) has nothing to show."""
        if name not in FIELDS:
            return
        self.show_error(name, "")
        self._set(name, _text(value))
        if self.screen.focused is self.query_one(f"#{name}"):
            self.screen.set_focus(None)


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
