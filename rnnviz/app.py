"""The rnnviz app: composition, key bindings and message routing.

The one training thread runs `TrainingLoop.run` (worker.py), which only steps
the session and posts messages; predictions and jobs that replace the network
run in threads of their own (jobs.py). Every widget is drawn from one
`SessionView` in `_render`; charts and the prediction redraw on a timer, so a
fast run costs the screen a few redraws a second, not one per step.
"""
from __future__ import annotations

import gc
import math
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal, VerticalScroll
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker

from rnncore import files
from rnncore.threads import blas_threads

from .actions import Actions
from .changes import Changes
from .helptext import COMMANDS
from .insight import Lens
from .jobs import Background
from .lab import Lab
from .lesson import Lesson, built_in
from .models import DATA_CHOICES, task_about
from .session import Session
from .tutor import Tutor
from .widgets.charts import Curve, TrainingCharts
from .widgets.figures import Figures
from .widgets.footer import KeysTo, PrunedFooter
from .widgets.lesson import LessonPanel
from .widgets.model import ModelPanel
from .widgets.prediction import PredictionPanel
from .widgets.training import TrainingPanel
from .worker import DEFAULT_SPEED, Trained, TrainingLoop

REDRAW_EVERY = 0.25  # seconds between chart and prediction redraws while training
STRAY_NOTICE_EVERY = 5.0  # seconds: a burst of keys that are no command says so once


class RnnvizApp(Actions, Changes, Background, Tutor, App):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so a subclass defined anywhere finds it
    TITLE = "rnnviz"
    AUTO_FOCUS = None  # the keys must work at once; focus lands in a field only when the user goes there
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # narrow and short (80x24): one page at a time
    PAGE_KEYS = {"charts": "3 charts", "prediction": "4 prediction", "controls": "1 2 settings"}
    page = reactive("charts", init=False)  # on a small screen, what the body shows: charts, prediction or controls
    BINDINGS = [
        Binding("space", "start", "Run"), Binding("space", "pause", "Pause"),
        # a lesson's keys early: a narrow footer (80x24) leaves out its last keys
        Binding("right_square_bracket", "lesson_next", "Next step", key_display="]"),
        Binding("left_square_bracket", "lesson_back", "Step back", key_display="[", show=False),
        Binding("n", "one_step", "Step"),
        Binding("r", "reset", "Reset", show=False), Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "load", "Load", show=False),
        Binding("slash", "type_prefix", "Prefix", key_display="/"), Binding("f", "fork", "Fork"),
        Binding("c", "next_run", "Next run", show=False), Binding("x", "close_run", "Close run", show=False),
        Binding("ctrl+z", "undo", "Undo"), Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "leave_field", "Leave field", show=False), *PredictionPanel.APP_KEYS,
        Binding("1", "focus_panel('model')", "Model", show=False), Binding("2", "focus_panel('training')", show=False),
        Binding("3", "show_page('charts')", show=False), Binding("4", "show_page('prediction')", show=False),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
    ]

    def __init__(self, session: Session | None = None, speed: float = DEFAULT_SPEED, checkpoint: str = "model.npz",
                 root: str | None = None, lab: Lab | None = None, start: Callable[[], Lab] | None = None,
                 starting: str = "the data", lesson: Lesson | None = None):
        """`start` makes the lab in a thread while the screen says `Loading {starting}…`; a ValueError from it ends
        the app, its message kept in `refused`. Without it: `lab`, or one run of `session`. `lesson`: the lesson
        to follow from the start."""
        super().__init__()
        self.first_lesson = lesson
        self.lab = lab or (None if start else Lab(session or Session()))
        self.make_lab, self.starting, self.refused = start, starting, None
        self.root = root  # served: every path the user types must stay inside this folder (rnnviz/serve.py)
        if root is not None:
            files.serve_from(root)  # every file read or written, typed or named by another, stays there
        self.loop = TrainingLoop(self.lab, self.post_message, speed)
        self.checkpoint, self.prefix, self.lens = checkpoint, "", Lens()  # what the prediction panel shows
        self._worker: Worker | None = None
        self._stale = False  # charts and prediction lag behind the session
        self._stray_told = -STRAY_NOTICE_EVERY  # when the user was last told that a key is no command

    def run(self, *args, **kwargs):
        """The app as a program (the command, a browser tab's process). What exists by now, the modules above all,
        lives as long as the app: the garbage collector is told to leave it be, rather than walk it again in a
        full collection (~50 ms, the first frame's share of them). Tests use run_test, not this."""
        gc.freeze()
        return super().run(*args, **kwargs)

    @property
    def session(self) -> Session:
        """The current run: the header, the panels and the prediction follow it."""
        return self.lab.session

    def compose(self) -> ComposeResult:
        yield from self.panels() if self.lab else [Static(f"Loading {self.starting}…\n\n[dim]q quits[/]", id="loading")]
        yield Horizontal(KeysTo(id="keys-to"), PrunedFooter(compact=True), id="bottom")

    def panels(self) -> list[Widget]:
        view = self.session.view()
        controls = VerticalScroll(LessonPanel(id="lesson"),
                                  ModelPanel(list(DATA_CHOICES), view.model, view.config.seed, id="model"),
                                  TrainingPanel(view.config, self.loop.speed, id="training"),
                                  id="controls", can_focus=False)  # tab goes to its fields, not to it
        return [Figures(id="figures"), Container(controls, TrainingCharts(id="charts"),
                                                  PredictionPanel(self.session.example, id="prediction"), id="body",
                                                  classes=f"page-{self.page}")]

    def on_mount(self) -> None:
        if self.lab is None:
            self.run_worker(self.load_lab, group="job", name="loading")
        else:
            self.ready()

    def ready(self) -> None:
        """The lab is there: draw it, redraw it while it trains, and tell a newcomer how to get around."""
        self.started_data = self.session.model.data  # given on the command line, so allowed wherever it lies
        self._render()
        self.set_interval(REDRAW_EVERY, self._redraw_if_stale)
        self.call_after_refresh(self._page_hints)
        self.call_after_refresh(self._show_keys_to)
        if self.first_lesson is not None:
            self.start_lesson(self.first_lesson, built=True)
        self.refresh_bindings()

    # --- drawing: everything the screen shows comes from one view of the session --------------
    def _render(self, full: bool = True) -> None:
        view, lab = self.session.view(), self.lab
        run = (lab.current, len(lab.runs), lab.labels()[lab.current]) if len(lab.runs) > 1 else None
        self.query_one(Figures).show(view, self.state, self.loop.tokens_per_sec, run, blas_threads())
        self.query_one(TrainingPanel).show(view.config)
        self.query_one(ModelPanel).show(view.model, view.config.seed)
        self.check_lesson()
        if full:
            self._redraw(view)

    def _redraw(self, view) -> None:
        """The charts and the prediction: what lags behind the session while it trains."""
        self._stale = False
        self._draw_charts(view)
        self._predict()

    def _draw_charts(self, view) -> None:
        """The runs on the current run's task, with its best lines; the runs on other tasks only named."""
        lab, task = self.lab, self.session.model.data
        shown = [s for s in lab.runs if s.model.data == task]
        labels = lab.labels(shown) if len(shown) > 1 else [""]
        curves = [Curve(label, s.history.snapshot(), s.color, s is self.session)
                  for label, s in zip(labels, shown, strict=True)]
        elsewhere = tuple(f"run {lab.runs.index(s) + 1} {Path(s.model.data).name}" for s in lab.runs if s not in shown)
        self.query_one(TrainingCharts).show(curves, view.optimum, elsewhere, math.log(self.session.net.vocab_size))

    @property
    def state(self) -> str:
        """What the header says the app does: a job's label, or stepping (n), running or paused."""
        return self.job or ("stepping" if self.loop.stepping else "running" if self.loop.running else "paused")

    # --- a small screen: one page at a time ---------------------------------------------------------
    @property
    def small(self) -> bool:
        """Narrow and short (80x24), from the size: the screen's breakpoint classes change only once it has handled
        the resize itself, after this app's `on_resize`."""
        width, height = self.size
        return width < self.HORIZONTAL_BREAKPOINTS[1][0] and height < self.VERTICAL_BREAKPOINTS[1][0]

    def watch_page(self, page: str) -> None:
        for body in self.query("#body"):
            body.remove_class(*(f"page-{other}" for other in self.PAGE_KEYS)).add_class(f"page-{page}")
            self._page_hints()

    def on_resize(self) -> None:
        self.call_after_refresh(self._page_hints)

    def _page_hints(self) -> None:
        """On a small screen, each panel's border names the keys to the pages not shown."""
        if self.lab is None or isinstance(self.screen, ModalScreen):
            return
        others = " · ".join(keys for page, keys in self.PAGE_KEYS.items() if page != self.page) if self.small else ""
        for panel in self.query("TrainingCharts, PredictionPanel"):  # none while the lab's panels are being mounted
            panel.hint = others

    def _redraw_if_stale(self) -> None:
        if self._stale and self.is_running:  # not the header (the steps' messages draw it): in one frame with the
            self._redraw(self.session.view())  # charts, the screen would redraw from its top row to their bottom

    def check_action(self, action: str, parameters) -> bool:
        """Space runs or pauses: the footer shows whichever it does now; a dialog's keys are its own (ctrl+c still
        quits, asking first if a run is not saved); while the data loads, only quit and help; ctrl+z only when there
        is something to undo."""
        if isinstance(self.screen, ModalScreen):
            return action == "interrupt"
        if self.lab is None:
            return action in ("quit", "interrupt", "help")
        free = self.loop.running and not self.loop.stepping  # running until paused, not for a few turns (n)
        lesson = self.lesson is not None
        return {"start": not free, "pause": free, "undo": self.lab.discarded is not None, "lesson_next": lesson,
                "lesson_back": lesson, "leave_lesson": lesson}.get(action, True)

    # --- where the keys go ------------------------------------------------------------------------
    def on_descendant_focus(self) -> None:
        self.call_after_refresh(self._show_keys_to)

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._show_keys_to)

    def _show_keys_to(self) -> None:
        """The bottom line says where the keys go; with a field focused, its help takes the footer's place."""
        if self.is_running and not isinstance(self.screen, ModalScreen):
            focused = self.screen.focused
            self.query_one(KeysTo).show(focused)
            self.query_one("#bottom").set_class(focused is not None, "-field")

    def on_key(self, event: events.Key) -> None:
        """A printable key that is no command, typed with no field focused: say so, rather than let a word typed
        in the wrong place pass unseen (its letters that are commands ran; none of them discards a run)."""
        if self.screen.focused is not None or not event.is_printable or isinstance(self.screen, ModalScreen):
            return
        if event.key not in self.screen.active_bindings and event.time - self._stray_told >= STRAY_NOTICE_EVERY:
            self._stray_told = event.time
            self.notify(f"No field has focus, so each key is a command, and {event.character!r} is none. To type, "
                        "go to a field first: / the prefix, 1 the Model panel (the data), 2 the Training panel.",
                        title="Keys go to the app", severity="warning", timeout=6)

    def on_trained(self, message: Trained) -> None:
        if self.is_running:  # a message that arrives while the app shuts down finds no widgets to update
            self._stale = True
            self._render(full=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The training loop stopped by itself (its turns done): the header and the footer say so."""
        if event.worker is self._worker and event.worker.is_finished and self.is_running:
            self._render(full=False)
            self.refresh_bindings()

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for title, help_text, action in COMMANDS:
            yield SystemCommand(title, help_text, partial(self.run_action, action))
        if self.lab is not None:
            for lesson in built_in():
                yield SystemCommand(f"Lesson: {lesson.title}", lesson.summary, partial(self.start_lesson, lesson))
            if self.lesson is not None:
                yield SystemCommand("Leave the lesson", "The run goes on as it is", self.action_leave_lesson)
            for task in DATA_CHOICES:
                yield SystemCommand(f"Change the task to {task}", task_about(task),
                                    partial(self.query_one(ModelPanel).set_data, task))

    # --- what the panels ask for -------------------------------------------------
    @on(PredictionPanel.PrefixChanged)
    def _prefix_changed(self, message: PredictionPanel.PrefixChanged) -> None:
        self.prefix = message.text
        self._predict()
        self.check_lesson()

    @on(PredictionPanel.LensChanged)
    def _lens_changed(self) -> None:
        self.lens = self.query_one(PredictionPanel).lens
        self._predict()
        self.check_lesson()
