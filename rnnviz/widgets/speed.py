"""The pace of training, in steps per second: the worker's setting, not the trainer's."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label

from ..lab import MAX_SPEED, parse_speed


class SpeedControl(Widget):
    DEFAULT_CSS = """
    SpeedControl { height: auto; layout: grid; grid-size: 2; grid-columns: 10 1fr; }
    SpeedControl Input { width: 1fr; }
    SpeedControl .error { column-span: 2; color: $error; display: none; height: auto; }
    SpeedControl .error.-shown { display: block; }
    """

    class Changed(Message):
        def __init__(self, speed: float) -> None:
            super().__init__()
            self.speed = speed

    def __init__(self, speed: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.speed = speed

    def compose(self) -> ComposeResult:
        yield Label("steps/s")
        yield Input(f"{self.speed:g}", compact=True, id="speed",
                    tooltip=f"training pace; 0 = as fast as the machine goes, at most {MAX_SPEED:g}")
        yield Label("", classes="error")

    def show(self, speed: float) -> None:
        """Show the pace set elsewhere (a lesson's); posts nothing."""
        self.speed = speed
        self.query_one(Input).value = f"{speed:g}"

    @on(Input.Submitted, "#speed")
    @on(Input.Blurred, "#speed")
    def _typed(self, event: Input.Submitted | Input.Blurred) -> None:
        event.stop()
        field, error = self.query_one(Input), self.query_one(".error", Label)
        try:
            speed = parse_speed(event.value)
        except ValueError as e:
            error.update(str(e))
            error.add_class("-shown")
            field.value = f"{self.speed:g}"
            field.select_all()
            return
        error.remove_class("-shown")
        if speed != self.speed:
            self.speed = speed
            self.post_message(self.Changed(speed))
        if isinstance(event, Input.Submitted):
            self.screen.set_focus(None)  # enter gives the keys back to the app
