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

from .jobs import off_thread

HELP = """\
# rnnviz

Watch a recurrent network learn to predict the next symbol of a sequence.

## Getting around

{getting_around}

**Where the keys go** is on the bottom line: `keys: app` means no field has focus and each key is a command (a key
that is none says so); with a field focused, the line names it and says what it takes. A field takes its value on
`enter` (or when you leave it with `tab`), and `enter` gives the keys back to the app. A value a field refuses stays
beside it with the reason, and the field shows the value in use, selected, so that what you type next replaces it.

**Nothing is lost to a key.** A reset (`r`), closing a run (`x`), *Apply* over a trained run and a load over one ask
first, in a dialog that only `enter` (on the highlighted button), a click or `escape` answers; then `ctrl+z` brings the
run back, until the next of them. Quitting asks if a run has trained since it was saved.

**On a small terminal** (80x24), one page at a time: `3` the charts, `4` the prediction, `1` / `2` the Model and
Training panels beside the charts; `/` and the view keys go to the prediction. Each panel's border names the others.

## What you see

- **Header**: what trains (data, layers) and how it goes: step, epoch, `cost` (the last step's training cost, -ln p in
  nats), `acc` (the share of eval targets predicted right), `to best` (the eval cost minus the best possible cost,
  in nats: 0 is the best any predictor does on average; a little below 0 happens by chance on a finite eval set),
  tokens/s and the learning rate. On a narrow terminal the least needed give way.
- **Model**: the data (any task: `parity:64`, `anbn:30`, `xor`, or a text file; `↓` lists them), the embedding size,
  the stack of RNN, LSTM, GRU and dense layers, and the seed; *Apply* (or `enter` in a field) builds a fresh network in
  place of the current run, *New run* beside it.
- **Training**: learning rate, schedule, optimizer, batch, BPTT, L2, clipping and speed; each change applies at the next
  step and is marked on the charts.
- **Charts**: the runs on the current run's task, each in its own colour: its eval cost bright, its training cost
  (smoothed) darker, the current run's raw cost faint grey; white, the best possible; violet, the best without
  memory, where the cost sits until the network finds a memory. The eval accuracy beside it. Runs on other tasks are
  named in the title (`c` goes to them).
- **Prediction**: type a prefix such as `1 3 5`; the bars show the next-symbol probabilities, the line below the greedy
  continuation, and each heatmap the hidden units (rows) after each symbol (columns), from -1 (blue) to +1 (red).
  `PgUp`/`PgDn` scroll a view that does not fit.

**Views**, the tabs of the prediction panel, for the prefix (or with none an eval sequence, named in the view):
- `p` **Probs**: the bars and heatmaps; `t` shows another of the layer's traces (h; an LSTM's c and gates).
- `o` **Cost** by position: the network's cost of each symbol given those before it, the task's optimum beside it.
- `b` **Back**: how far back the prediction looks: the gradient of log p(target) with respect to each input, its size.
- `m` **Map**: the layer's states over the eval set on their two principal axes, coloured by the symbol each predicts
  (`i`: by its input symbol), the sequence's path across them.
- `u` **Unit**: the sequence with one unit's activation behind each symbol, blue -1 to red +1; `v` the unit that
  varies most.
- `g` **Gradient**: why a plain RNN forgets. For every run, over eval sequences, how strongly the loss at a step
  depends on the state k steps before (its gradient's size over that at k = 0, on a log scale), and the lag at which
  it falls below 1e-3: a plain RNN's falls within a few steps, a gated cell's can stay up across a long gap. Under
  it, each run's largest singular value σ of its recurrent weights (the gate with the largest) and ‖J‖, the mean
  norm of one step's Jacobian, against the line at 1: below 1, the gradient must fade step by step. For an LSTM or
  GRU, Karpathy's scatter: a point per unit and gate, the share of steps it is shut (below 0.1) across, open (above
  0.9) up; gates in the corners hold their memory or drop it on purpose.
- `e` **Reach** (anbn, parity): for n = 1 to 100, is each run right about a^n b^n T (or a gap of n zeros), far past
  the n it trained on (shaded)? The number is the largest n up to which it is right: a network that counts goes
  on, one that memorised stops where its training did.

`l` the next recurrent layer · `↑`/`↓` the target (bars, Back) or the unit (Unit, or a heatmap after a click on a
row) · `a` the likeliest target again.

**Keys**: `space` run or pause · `n` one step (of every run) · `r` reset the weights · `ctrl+z` undo a reset, close,
Apply or load · `ctrl+s` / `ctrl+o` save / load a checkpoint · `f` fork the run · `c` next run · `x` close the run ·
`ctrl+p` command palette (changing the task, recording, exporting, every action) · `?` this help · `q` quit.

A build, a reset, a load or a fork runs beside the screen: the header says what it is doing and the keys keep
working (those that would touch the network say to wait). A prediction that takes a while says *working…* in the
panel's title.
"""


GETTING_AROUND = ("Press space to train, / to type a prefix, 1 for the Model panel, 2 for the Training panel, "
                  "tab to move on, escape to leave a field, ? for help.")
HELP = HELP.replace("{getting_around}", GETTING_AROUND)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            with VerticalScroll(id="help"):
                yield Markdown(HELP)
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


COMMANDS = [  # the command palette's entries: (title, help, action)
    ("Change the task (the data)…", "A new network on another task: parity:64, xor, letters, anbn:30, a text file",
     "list_tasks"),
    ("Undo", "Bring back the run that a reset, a close, Apply or a load threw away (ctrl+z)", "undo"),
    ("Run or pause training", "Start the training loop, or pause it after the current step", "toggle_run"),
    ("One training step", "Do exactly one optimizer step (while paused)", "one_step"),
    ("Reset weights", "Draw the network's weights again from its seed, back at step 0", "reset"),
    ("Roll back", "Return to the last good weights kept before a divergence", "rollback"),
    ("Save checkpoint", "Write the network and training state to an .npz file", "save"),
    ("Load checkpoint", "Read a network and its training state from an .npz file", "load"),
    ("Type a prefix", "Go to the prediction panel's input", "type_prefix"),
    ("Fork the run", "A second run goes on from the current one's weights; change its settings to compare", "fork"),
    ("Next run", "Make the next run current: the panels and the prediction follow it", "next_run"),
    ("Close the run", "Close the current run (the last one stays)", "close_run"),
    ("Record the session", "Write every change from now on to a file that rnncore replay redoes", "record"),
    ("Export the charts' data", "Write every run's charted points to a CSV file", "export"),
    ("View: next-symbol bars and heatmaps", "The prediction panel's first tab (p)", "panel('open', 'probs')"),
    ("View: cost by position", "The network's cost of each symbol, the task's optimum beside it (o)",
     "panel('open', 'cost')"),
    ("View: how far back", "The size of the gradient of the prediction with respect to each input (b)",
     "panel('open', 'back')"),
    ("View: state map", "The layer's states on their first two principal components, the path across them (m)",
     "panel('open', 'map')"),
    ("View: unit on text", "One unit's activation behind each symbol (u)", "panel('open', 'unit')"),
    ("View: gradient through time", "Why a plain RNN forgets: every run's gradient against the lag, its spectrum and "
     "gate saturation (g)", "panel('open', 'grad')"),
    ("View: reach", "How far past its training lengths each run is right, on anbn and parity (e)",
     "panel('open', 'reach')"),
    ("Next recurrent layer", "The views and the heatmap's marks go to the next layer (l)", "panel('next_layer')"),
    ("Next trace", "The heatmap and the views show another of the layer's traces: h, c, gates (t)",
     "panel('next_trace')"),
    ("State map: colour by input or prediction", "Switch the state map's colouring (i)", "panel('colour_by_input')"),
    ("Unit that varies most", "Pick the unit whose activation varies most over the sequence (v)",
     "panel('most_varying')"),
    ("Help", "What each panel shows and the keys", "help"),
]
