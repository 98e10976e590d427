"""The app's modal screens: help, a yes/no question, and a path for saving or loading."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from rnncore import CheckpointError

from .helptext import help_text
from .jobs import off_thread


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            with VerticalScroll(id="help"):
                yield Markdown(help_text())
            yield Static("[dim]↑/↓, PgUp/PgDn, Home/End scroll · escape, q or ? closes this help[/]", classes="keys")

    def on_mount(self) -> None:
        self.query_one("#help").focus()  # its keys scroll it: ↑/↓, PgUp/PgDn, Home/End

    def action_close(self) -> None:
        self.dismiss(None)


class ChoiceScreen(ModalScreen[str | None]):
    """A question answered by buttons; dismisses with the chosen button's id, or None on escape. Only enter (on
    the focused button), a click or escape answer it; ←/→ and tab move between the buttons, and every other key
    is ignored, so that a word typed by mistake cannot answer it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("left", "app.focus_previous", show=False),
                Binding("right", "app.focus_next", show=False)]

    def __init__(self, question: str, choices: list[tuple[str, str]], focused: str | None = None) -> None:
        """`choices`: (id, label) of each button, left to right; `focused`: the id enter answers with at first."""
        super().__init__()
        self.question, self.choices = question, choices
        self.first = focused or choices[0][0]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, id="question")
            with Horizontal(classes="buttons"):
                for index, (choice, label) in enumerate(self.choices):
                    yield Button(label, variant="primary" if index == 0 else "default", id=choice)
            yield Static("[dim]enter: the highlighted button · ←/→: another · escape: cancel[/]", classes="keys")

    def on_mount(self) -> None:
        self.query_one(f"#{self.first}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.answer(event.button.id)

    def action_cancel(self) -> None:
        self.answer(None)

    def answer(self, choice: str | None) -> None:
        self.dismiss(choice)


class QuitScreen(ChoiceScreen):
    """Whether to quit with a run not saved: q (or ctrl+c) again quits, as enter on its first button does."""

    BINDINGS = [Binding("q", "answer('quit')", "Quit")]

    def __init__(self, question: str) -> None:
        super().__init__(question, [("quit", "Quit"), ("cancel", "Cancel")])

    def action_answer(self, choice: str) -> None:
        self.answer(choice)


class ConfirmScreen(ChoiceScreen):
    """A yes/cancel question; dismisses with True for yes (enter, with the yes button focused as it opens)."""

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__(question, [("yes", yes), ("no", "Cancel")])

    def answer(self, choice: str | None) -> None:
        self.dismiss(choice == "yes")


class TaskScreen(ModalScreen[str | None]):
    """The built-in tasks, each with what it is, and a field for any other (`parity:64`, a text file); dismisses
    with the one chosen (enter), or None (escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, tasks: list[tuple[str, str]], current: str) -> None:
        """`tasks`: (name, what it is) of each; `current`: the task highlighted as it opens."""
        super().__init__()
        self.tasks, self.current = tasks, current

    def compose(self) -> ComposeResult:
        width = max(len(name) for name, _ in self.tasks) + 2
        with Vertical(classes="dialog"):
            yield Label("Change the task: a new network learns it, in place of the current one")
            yield OptionList(*(Option(Text.assemble((name.ljust(width), "bold"), about), id=name)
                               for name, about in self.tasks), id="task-list")
            yield Input(placeholder="or type one: parity:64, anbn:30, a text file's path", id="other-task")
            yield Static("[dim]↑/↓ and enter: choose · tab: type one · escape: cancel[/]")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        names = [name for name, _ in self.tasks]
        options.highlighted = names.index(self.current) if self.current in names else 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#other-task")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def checkpoint_dialog(title: str, default: str, act: Callable[[str], object],
                      failure: type[Exception] = CheckpointError,
                      replaces: Callable[[str], list[str]] | None = None) -> PathScreen:
    """A path dialog that runs `act` (a save, a load, a record) on the path; what goes wrong stays in the
    dialog: a `failure`, an OSError, or a ValueError for a path refused (outside a served folder, a NUL byte).
    `replaces(path)`: the existing files `act` would replace (files.existing_outputs), asked about first."""
    def attempt(path: str) -> str | None:
        try:
            act(path)
        except (failure, OSError, ValueError) as e:
            return str(e) if not isinstance(e, OSError) or e.strerror is None else f"{path}: {e.strerror}"
        return None

    return PathScreen(title, default, attempt, replaces)


WORKING = "working…"


class PathScreen(ModalScreen[str]):
    """Asks for a file path and runs `action` on it in a thread (a save or a load can take seconds); an error it
    returns shows inline and the dialog stays."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: str, action: Callable[[str], str | None],
                 replaces: Callable[[str], list[str]] | None = None) -> None:
        super().__init__()
        self.title_text, self.default, self.action, self.replaces = title, default, action, replaces
        self.working = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text)
            yield Input(self.default, id="path")
            yield Static("", id="path-error")
            yield Static("[dim]enter to confirm, escape to cancel[/]")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def _submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path:
            self._say("give a file path")
        elif not self.working:
            try:
                replaced = self.replaces(path) if self.replaces else []
            except (ValueError, OSError) as e:  # a place it may not write (files.FileError), said before asking
                self._say(str(e) if not isinstance(e, OSError) or e.strerror is None else f"{path}: {e.strerror}")
                return
            if replaced:
                held = "they hold" if len(replaced) > 1 else "it holds"
                question = f"Replace {' and '.join(replaced)}? What {held} is lost."
                self.app.push_screen(ConfirmScreen(question, yes="Replace"), partial(self._replace, path))
            else:
                self._start(path)

    def _replace(self, path: str, yes: bool) -> None:
        if yes:
            self._start(path)
        else:
            self._say("Not replaced: give another name.")

    def _start(self, path: str) -> None:
        self.working = True
        self._say(WORKING)
        self.run_worker(partial(self._attempt, path), group="path")

    async def _attempt(self, path: str) -> None:
        try:
            error = await off_thread(lambda: self.action(path))
        finally:
            self.working = False
        if error:
            self._say(error)
        else:
            self.dismiss(path)

    def _say(self, message: str) -> None:
        self.query_one("#path-error", Static).update(Text(message, style="dim" if message.startswith(WORKING) else ""))

    def action_cancel(self) -> None:
        """Cancels, unless the file is being written or read: that goes on to its end, and the dialog with it."""
        if self.working:
            self._say(f"{WORKING} (it cannot be cut short)")
        else:
            self.dismiss(None)
