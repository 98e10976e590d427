"""What changes the runs: the Training panel's settings and speed, the Model panel's network (in place of the
current one, or as a new run), a reset, a rollback, a fork, the next run, closing one. Mixed into RnnvizApp."""
from __future__ import annotations

from functools import partial

from rnncore import SettingError, files

from .models import DATA_CHOICES, is_task, read_model, task_about
from .screens import ConfirmScreen, TaskScreen
from .widgets.model import FIELDS as MODEL_FIELDS
from .widgets.model import ModelPanel
from .widgets.prediction import PredictionPanel
from .widgets.speed import SpeedControl
from .widgets.training import TrainingPanel


class Changes:
    """Mixed into RnnvizApp, which provides `session`, `lab`, `loop`, `_render` and the jobs (jobs.py)."""

    def on_training_panel_edited(self, message: TrainingPanel.Edited) -> None:
        panel = self.query_one(TrainingPanel)
        try:
            panel.accepted(message.name, self.session.configure(message.name, message.text))
        except SettingError as e:
            panel.show_error(message.name, str(e))
        self._render()

    def on_speed_control_changed(self, message: SpeedControl.Changed) -> None:
        self.set_speed(message.speed)

    def set_speed(self, speed: float) -> None:
        """The training pace, steps/s of each run, marked on the charts."""
        self.loop.speed = speed
        self.query_one(SpeedControl).show(speed)
        self.session.history.mark(self.session.view().step, f"speed={speed:g}")
        self._render()

    def on_model_panel_apply(self, message: ModelPanel.Apply) -> None:
        panel = self.query_one(ModelPanel)
        try:
            given = is_task(message.data) or message.data == self.started_data
            data = message.data if given else files.typed_path(message.data)
            model, seed = read_model(data, message.embed, message.layers, message.seed)
        except ValueError as e:  # a SettingError names its field; else a data path outside the served folder
            panel.show_error(getattr(e, "name", "data"), str(e))
            return
        self.screen.set_focus(None)  # the fields were good: the keys go back to the app
        self.apply_model(model, seed, message.new_run)

    def on_model_panel_list_tasks(self) -> None:
        self.action_list_tasks()

    def action_list_tasks(self) -> None:
        """The built-in tasks to choose from; the one chosen goes into the data field and is applied."""
        tasks = [(name, task_about(name)) for name in DATA_CHOICES]
        self.push_screen(TaskScreen(tasks, self.session.model.data),
                         lambda task: task and self.query_one(ModelPanel).set_data(task))

    def action_rollback(self) -> None:
        if not self.busy():
            self.run_job("rolling back", self.session.rollback, self._rolled_back)

    def _rolled_back(self, good: int) -> None:
        self.notify(f"Rolled back to the weights kept at step {good}. The learning rate is still "
                    f"{self.session.config.lr:g}: if it made the cost explode, lower it (2) before training on.")

    def action_reset(self) -> None:
        if not self.busy():
            self._confirm_then(f"Reset the weights of {self.run_name()}?", "Reset", "resetting the weights",
                               "the reset", self.session.reset_weights)

    # --- what a reset, a close, a new network or a load threw away -------------------------------------
    def run_name(self) -> str:
        """The current run as the dialogs name it: "the run (step 1,036)", "run 2 (step 80)"."""
        name = f"run {self.lab.current + 1}" if len(self.lab.runs) > 1 else "the run"
        return f"{name} (step {self.session.trainer.step:,})"

    def undo_note(self, kept_before) -> str:
        """What to say after a reset, a close, a new network or a load: how to get back what it threw away."""
        kept = self.lab.discarded
        if kept is None or kept is kept_before:
            return ""
        return f" ctrl+z brings back the run it replaced (step {kept.session.trainer.step:,}), until the next " \
               "reset, close, Apply or load."

    def action_undo(self) -> None:
        if self.busy():
            return
        if self.lab.discarded is None:
            self.notify("Nothing to undo: ctrl+z brings back a run that a reset, a close, Apply or a load threw away.")
            return
        self.run_job("undoing", self.lab.undo, self._undone)

    def _undone(self, kept) -> None:
        if isinstance(kept, ValueError):  # a closed run, and 4 runs already
            self.notify(f"Cannot undo: {kept}", severity="warning")
            return
        self.query_one(PredictionPanel).set_example(self.session.example)
        self.query_one(ModelPanel).show(self.session.model, self.session.config.seed)
        self.screen.set_focus(None)  # done: the keys go back to the app
        again = " ctrl+z again undoes this." if self.lab.discarded is not None else ""
        self.notify(f"Undid {kept.what}: {self.run_name()} is back.{again}")

    # --- runs side by side, the record, the charts' data ----------------------------------------
    def action_fork(self) -> None:
        if not self.busy():
            self.run_job("forking the run", self.lab.forked, self._forked, pause=False)

    def _forked(self, session) -> None:
        if isinstance(session, ValueError):  # 4 runs already
            self.notify(str(session), severity="warning")
            return
        self.lab.add(session)
        self.notify(f"Forked: run {len(self.lab.runs)} goes on from here; change its settings to compare.")

    def action_next_run(self) -> None:
        if not self.busy():
            self.lab.cycle()
            self.query_one(PredictionPanel).set_example(self.session.example)
            self._render()

    def action_close_run(self) -> None:
        if self.busy():
            return
        if len(self.lab.runs) == 1:
            self.notify("The only run cannot be closed.", severity="warning")
            return

        def close(yes: bool | None) -> None:
            if yes:
                kept_before = self.lab.discarded
                self.lab.close()
                self.query_one(PredictionPanel).set_example(self.session.example)
                self._render()
                self.refresh_bindings()
                self.notify("Run closed." + self.undo_note(kept_before).replace("the run it replaced", "it"))

        self.push_screen(ConfirmScreen(f"Close {self.run_name()}?", yes="Close it"), close)

    # --- a new network ----------------------------------------------------------------------------------
    def apply_model(self, model, seed: int, new_run: bool) -> None:
        """The Model panel's network: beside the current run, or in its place once the user says so."""
        if self.busy():
            return
        if new_run:
            self.run_job("building a new run", lambda: self.lab.built(model, seed), self._run_built, pause=False)
        else:
            self._confirm_then(f"Build a new network on {model.data} in place of {self.run_name()}?", "Build it",
                               "building the network", "the new network", lambda: self.session.rebuild(model, seed))

    def _run_built(self, session) -> None:
        if self._refused(session):
            return
        self.lab.add(session)
        self.query_one(PredictionPanel).set_example(self.session.example)

    def _confirm_then(self, question: str, yes: str, label: str, what: str, work) -> None:
        """Pause training and run `work` (a new network) in place of the current run as a job, at once if nothing
        has trained yet, else once the user says yes; the trained run is kept for ctrl+z (`what` threw it away)."""
        def answered(confirmed: bool | None) -> None:
            if confirmed:
                running, kept_before = self.loop.running, self.lab.discarded
                self.run_job(label, lambda: self.lab.replace_current(what, work),
                             partial(self._replaced, running, kept_before))
            else:
                self.query_one(ModelPanel).show(self.session.model, self.session.config.seed, force=True)

        if self.session.has_trained:
            self.push_screen(ConfirmScreen(f"{question} ctrl+z brings it back afterwards.", yes=yes), answered)
        else:
            answered(True)

    def _replaced(self, was_running: bool, kept_before, error: ValueError | None) -> None:
        if self._refused(error):
            return
        self.loop.tokens_per_sec = None  # a new network's rate is not the old one's
        paused = " Training paused: press space to train it." if was_running else ""
        self.notify(f"A new network for {self.run_name()}.{paused}{self.undo_note(kept_before)}")
        self.query_one(PredictionPanel).set_example(self.session.example)
        self.query_one(ModelPanel).show(self.session.model, self.session.config.seed)
        self.screen.set_focus(None)  # done: the keys go back to the app

    def _refused(self, error) -> bool:
        """The sizes were checked before: what is left is a data file gone bad, the memory, or 4 runs."""
        if not isinstance(error, ValueError):
            return False
        panel = self.query_one(ModelPanel)
        panel.show(self.session.model, self.session.config.seed, force=True)
        name = getattr(error, "name", "data")
        panel.show_error(name if name in MODEL_FIELDS else "data", str(error))
        return True
