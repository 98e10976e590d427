"""The rnnviz app: composition, key bindings, the one training worker and message routing.

The worker thread runs `TrainingLoop` (worker.py), which only steps the session
and posts messages; every widget is touched on the app's thread. Charts and the prediction redraw on a timer,
so a fast run costs the screen a few redraws a second, not one per step.
"""
from __future__ import annotations

import contextlib
import threading
from functools import partial
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.worker import Worker, WorkerCancelled, WorkerFailed, get_current_worker

from rnncore import CheckpointError
from rnncore.optim import scheduled_lr

from .paths import confine
from .screens import ConfirmScreen, HelpScreen, PathScreen
from .session import BUILTIN_DATASETS, Session
from .widgets.charts import TrainingCharts
from .widgets.figures import Figures
from .widgets.footer import PrunedFooter
from .widgets.model import ModelPanel
from .widgets.prediction import PredictionPanel
from .widgets.training import TrainingPanel
from .worker import Diverged, Trained, TrainingLoop

TRAIN_THREAD = "rnnviz-train"
REDRAW_EVERY = 0.25  # seconds between chart and prediction redraws while training
DEFAULT_SPEED = 20.0  # steps/s: slow enough to watch digits being learnt (it takes ~20 steps); 0 = full speed


class RnnvizApp(App):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so a subclass defined anywhere finds it
    TITLE = "rnnviz"
    AUTO_FOCUS = None  # the keys must work at once; focus lands in a field only when the user goes there
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("space", "start", "Run"),
        Binding("space", "pause", "Pause"),
        Binding("n", "one_step", "Step"),
        Binding("r", "reset", "Reset"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+o", "load", "Load"),
        Binding("slash", "type_prefix", "Prefix", key_display="/"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "leave_field", "Leave field", show=False),
    ]

    def __init__(self, session: Session | None = None, speed: float = DEFAULT_SPEED, checkpoint: str = "model.npz",
                 root: str | None = None):
        super().__init__()
        self.session = session or Session()
        self.root = root  # served: every path the user types must stay inside this folder (rnnviz/serve.py)
        self.started_data = self.session.data_name  # given on the command line, so allowed wherever it lies
        self.loop = TrainingLoop(self.session, self.post_message, speed)
        self.checkpoint = checkpoint
        self.tokens_per_sec: float | None = None
        self._worker: Worker | None = None
        self._stale = False  # charts and prediction lag behind the session

    @property
    def running(self) -> bool:
        return self.loop.running

    @property
    def speed(self) -> float:
        return self.loop.speed

    @speed.setter
    def speed(self, steps_per_second: float) -> None:
        self.loop.speed = steps_per_second

    def compose(self) -> ComposeResult:
        session = self.session
        yield Figures(id="figures")
        with Container(id="body"):
            with VerticalScroll(id="controls"):
                yield ModelPanel(self._dataset_options(), session.data_name, session.embed, session.layers,
                                 session.seed, id="model")
                yield TrainingPanel(session.config, self.speed, id="training")
            yield TrainingCharts(id="charts")
            yield PredictionPanel(id="prediction")
        yield PrunedFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(PredictionPanel).border_title = "Prediction"
        self.refresh_all()
        self.set_interval(REDRAW_EVERY, self._redraw_if_stale)

    def _dataset_options(self) -> list[str]:
        name = self.session.data_name
        return list(BUILTIN_DATASETS) + ([] if name in BUILTIN_DATASETS else [name])

    # --- training -------------------------------------------------------------
    def action_start(self) -> None:
        if not self.running:
            self.loop.start()
            self._worker = self._train()
            self._show_state()

    def action_pause(self) -> None:
        """Ask the worker to stop after its current step (see `stop_training` to wait for it)."""
        self.loop.stop()
        self._show_state()

    def _show_state(self) -> None:
        self.show_figures()
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool:
        """Space runs or pauses: the footer shows whichever it does now."""
        return {"start": not self.running, "pause": self.running}.get(action, True)

    async def stop_training(self) -> None:
        self.action_pause()
        if self._worker is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._worker.wait()
            self._worker = None
        self.redraw()

    @work(thread=True, exclusive=True, group="train")
    def _train(self) -> None:
        thread = threading.current_thread()
        name, thread.name = thread.name, TRAIN_THREAD  # the pool's thread, named while it trains: tests look for it
        try:
            worker = get_current_worker()
            self.loop.run(lambda: worker.is_cancelled)
        finally:
            thread.name = name

    def on_trained(self, message: Trained) -> None:
        if not self.is_running:  # a message that arrives while the app shuts down finds no widgets to update
            return
        self.tokens_per_sec = message.tokens_per_sec
        self._stale = True
        self.show_figures()

    def on_diverged(self, message: Diverged) -> None:
        self.action_pause()
        event = message.event
        why = "its update overflowed" if event.skipped else f"its cost {event.loss:.3g} is far above a guess"
        self.notify(f"Step {event.step} diverged: {why}. Paused; lower the learning rate or roll back.",
                    severity="warning", timeout=8)
        good = self.session.trainer.last_good[0]
        question = f"Training diverged at step {event.step}. Roll back to the weights kept at step {good}?"
        self.push_screen(ConfirmScreen(question, yes="Roll back"), self._rollback_if)

    def _rollback_if(self, yes: bool | None) -> None:
        if yes:
            self.action_rollback()

    # --- actions --------------------------------------------------------------
    def action_toggle_run(self) -> None:
        if self.running:
            self.action_pause()
        else:
            self.action_start()

    def action_one_step(self) -> None:
        if self.running:
            return
        event = self.session.step()
        self.show_figures()
        self.redraw()
        if event.diverged:
            self.post_message(Diverged(event))

    def action_rollback(self) -> None:
        good = self.session.rollback()
        self.notify(f"Rolled back to the weights kept at step {good}.")
        self.redraw()

    async def action_reset(self) -> None:
        await self._confirm_then("Reset the weights? The trained network is lost.", self._reset)

    async def _reset(self) -> None:
        await self.stop_training()
        self.session.reset_weights()
        self.refresh_all()

    def action_save(self) -> None:
        ask = PathScreen("Save the checkpoint to", self.checkpoint,
                         partial(_checkpoint_error, self.session.save, self.root))
        self.push_screen(ask, self._saved)

    def _saved(self, path: str | None) -> None:
        if path:
            self.checkpoint = path
            self.notify(f"Saved {path} at step {self.session.step_count}.")

    async def action_load(self) -> None:
        await self.stop_training()
        ask = PathScreen("Load the checkpoint from", self.checkpoint,
                         partial(_checkpoint_error, self.session.load, self.root))
        self.push_screen(ask, self._loaded)

    def _loaded(self, path: str | None) -> None:
        if path:
            self.checkpoint = path
            self.refresh_all()
            self.notify(f"Loaded {path}: {self.session.architecture}, step {self.session.step_count}.")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_type_prefix(self) -> None:
        self.screen.set_focus(self.query_one(PredictionPanel).query_one("#prefix"))

    def action_leave_field(self) -> None:
        self.screen.set_focus(None)

    async def action_quit(self) -> None:
        await self.stop_training()
        self.exit()

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for title, help_text, action in COMMANDS:
            yield SystemCommand(title, help_text, partial(self.run_action, action))

    # --- what the panels ask for -------------------------------------------------
    @on(PredictionPanel.PrefixChanged)
    def _prefix_changed(self) -> None:
        self.predict()

    @on(TrainingPanel.Changed)
    def _training_changed(self, message: TrainingPanel.Changed) -> None:
        if message.field == "speed":
            self.speed = message.value
            self.session.history.mark(self.session.step_count, f"speed={message.value:g}")
        else:
            self.session.set_config(message.field, message.value)
        self.show_figures()
        self._stale = True

    @on(ModelPanel.Apply)
    async def _model_applied(self, message: ModelPanel.Apply) -> None:
        async def rebuild() -> None:
            await self.stop_training()
            try:
                dataset = message.dataset
                if dataset not in (*BUILTIN_DATASETS, self.started_data):
                    dataset = user_path(dataset, self.root)
                self.session.rebuild(dataset, message.embed, message.layers, message.seed)
            except ValueError as e:  # the panel checked the sizes: what is left is a data path refused or gone bad
                self.refresh_all()
                self.query_one(ModelPanel).show_error("dataset", str(e))
                return
            self.refresh_all()

        await self._confirm_then("Build a new network? The trained one is lost.", rebuild)

    async def _confirm_then(self, question: str, action) -> None:
        """Run `action` now if nothing has trained yet, else once the user says yes."""
        if not self.session.has_trained:
            await action()
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                await action()
            else:
                self.refresh_all()  # the panels drop edits that were not applied

        self.push_screen(ConfirmScreen(question), answered)

    # --- drawing --------------------------------------------------------------
    def refresh_all(self) -> None:
        """After the session changed under the panels: every panel shows it again."""
        session = self.session
        self.query_one(ModelPanel).set_model(session.data_name, session.embed, session.layers, session.seed)
        self.query_one(TrainingPanel).set_values(session.config, self.speed)
        self.show_figures()
        self.redraw()

    def show_figures(self) -> None:
        session, event = self.session, self.session.last_event
        config = session.config
        self.query_one(Figures).update_figures(
            dataset=Path(session.data_name).name, architecture=session.architecture, step=session.step_count,
            epoch=event.epoch if event else float(session.trainer.epoch), loss=event.loss if event else None,
            accuracy=session.accuracy, tokens_per_sec=self.tokens_per_sec,
            lr=scheduled_lr(config.lr, config.schedule, session.step_count + 1, config.decay_steps),
            running=self.running)

    def redraw(self) -> None:
        self._stale = False
        self.query_one(TrainingCharts).update_history(self.session.history)
        self.predict()

    def _redraw_if_stale(self) -> None:
        if self._stale and self.is_running:
            self.redraw()

    def predict(self) -> None:
        panel = self.query_one(PredictionPanel)
        try:
            panel.show(self.session.predict(panel.prefix_text))
        except ValueError as e:
            panel.show_error(str(e))


def user_path(path: str, root: str | None) -> str:
    """A path typed in the app, as it may be used: confined to `root` when served (ValueError says why not)."""
    return path if root is None else str(confine(path, root))


def _checkpoint_error(action, root: str | None, path: str) -> str | None:
    """Save or load; what went wrong, for the path dialog to show, or None."""
    try:
        action(user_path(path, root))
    except (CheckpointError, ValueError) as e:  # ValueError: refused by `confine`, or a NUL byte in the path
        return str(e)
    return None


COMMANDS = [
    ("Run or pause training", "Start the training loop, or pause it after the current step", "toggle_run"),
    ("One training step", "Do exactly one optimizer step (while paused)", "one_step"),
    ("Reset weights", "Draw the network's weights again from its seed, back at step 0", "reset"),
    ("Roll back", "Return to the last good weights kept before a divergence", "rollback"),
    ("Save checkpoint", "Write the network and training state to an .npz file", "save"),
    ("Load checkpoint", "Read a network and its training state from an .npz file", "load"),
    ("Type a prefix", "Go to the prediction panel's input", "type_prefix"),
    ("Help", "What each panel shows and the keys", "help"),
]

