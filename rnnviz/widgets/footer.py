"""The bottom line: where the keys go, then the key bindings (Textual's Footer, without its leak)."""
from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Footer, Label, Static

APP_KEYS = "keys: app"  # what the line says with no field focused: each key is a command


class PrunedFooter(Footer):
    """Textual's Footer rebuilds its keys whenever the bindings change (every run and pause, every focus
    change), and each old key stays alive through a watcher of `compact` that is dropped only when `compact`
    changes: ~360 KB per run/pause. Touching `compact` after each rebuild lets the old keys go."""

    async def recompose(self) -> None:
        await super().recompose()
        self.mutate_reactive(Footer.compact)


class KeysTo(Static):
    """Where the keys go: to the app, where each is a command, or to the focused field, named with what it
    takes (its tooltip) and how to leave it."""

    DEFAULT_CSS = """
    KeysTo { width: auto; height: 1; padding: 0 1; background: $accent 40%; text-wrap: nowrap; }
    """

    def show(self, focused: Widget | None) -> None:
        if focused is None:
            self.update(Text(APP_KEYS, "bold"))
            return
        about = str(focused.tooltip or "").split("\n")[0]
        self.update(Text.assemble(("keys: ", "dim"), (field_name(focused), "bold"), f"  {about}" if about else "",
                                  ("  · enter: take it · escape: back to the app", "dim")))


def field_name(widget: Widget) -> str:
    """What the user calls the focused widget: the label beside it, a button's label, or its id."""
    siblings = widget.parent.children if widget.parent else []
    label = next((child for child in siblings if isinstance(child, Label)), None)
    if label is not None and label is not widget:
        return str(label.content)
    if hasattr(widget, "label"):
        return f"{widget.label} button"
    return (widget.id or next(iter(widget.classes), type(widget).__name__)).replace("-", " ")
