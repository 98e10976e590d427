"""What changes the runs: the Training panel's settings and speed, the Model panel's network (in place of the
current one, or as a new run), a reset, a rollback, a fork, the next run, closing one. Mixed into RnnvizApp."""
from __future__ import annotations

from functools import partial

from rnncore import SettingError, files

from .models import DATA_CHOICES, read_model
from .screens import ConfirmScreen
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
        self.loop.speed = message.speed
        self.session.history.mark(self.session.view().step, f"speed={message.speed:g}")
        self._render()

    def on_model_panel_apply(self, message: ModelPanel.Apply) -> None:
        panel = self.query_one(ModelPanel)
        try:
            given = message.data in (*DATA_CHOICES, self.started_data)
            data = message.data if given else files.typed_path(message.data)
            model, seed = read_model(data, message.embed, message.layers, message.seed)
        except ValueError as e:  # a SettingError names its field; else a data path outside the served folder
            panel.show_error(getattr(e, "name", "data"), str(e))
            return
        self.screen.set_focus(None)  # the fields were good: the keys go back to the app
        self.apply_model(model, seed, message.new_run)

    def action_rollback(self) -> None:
        if not self.busy():
            self.run_job("rolling back", self.session.rollback,
                         lambda good: self.notify(f"Rolled back to the weights kept at step {good}."))

    def action_reset(self) -> None:
        if not self.busy():
            self._confirm_then("Reset the weights? The trained network is lost.", "resetting the weights",
                               self.session.reset_weights)

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
                self.lab.close()
                self._render()

        self.push_screen(ConfirmScreen(f"Close run {self.lab.current + 1}? Its training is lost."), close)

    # --- a new network ----------------------------------------------------------------------------------
    def apply_model(self, model, seed: int, new_run: bool) -> None:
        """The Model panel's network: beside the current run, or in its place once the user says so."""
        if self.busy():
            return
        if new_run:
            self.run_job("building a new run", lambda: self.lab.built(model, seed), self._run_built, pause=False)
        else:
            self._confirm_then("Build a new network? The trained one is lost.", "building the network",
                               lambda: self.session.rebuild(model, seed))

    def _run_built(self, session) -> None:
        if self._refused(session):
            return
        self.lab.add(session)
        self.query_one(PredictionPanel).set_example(self.session.example)

    def _confirm_then(self, question: str, label: str, work) -> None:
        """Pause training and run `work` (a new network) as a job, at once if nothing has trained yet, else once
        the user says yes."""
        def answered(yes: bool | None) -> None:
            if yes:
                running = self.loop.running
                self.run_job(label, work, partial(self._replaced, running))
            else:
                self.query_one(ModelPanel).show(self.session.model, self.session.config.seed, force=True)

        if self.session.has_trained:
            self.push_screen(ConfirmScreen(question), answered)
        else:
            answered(True)

    def _replaced(self, was_running: bool, error: ValueError | None) -> None:
        if self._refused(error):
            return
        self.loop.tokens_per_sec = None  # a new network's rate is not the old one's
        if was_running:
            self.notify("Training paused: a new network. Press space to train it.")
        self.query_one(PredictionPanel).set_example(self.session.example)
        self.query_one(ModelPanel).show(self.session.model, self.session.config.seed)

    def _refused(self, error) -> bool:
        """The sizes were checked before: what is left is a data file gone bad, the memory, or 4 runs."""
        if not isinstance(error, ValueError):
            return False
        panel = self.query_one(ModelPanel)
        panel.show(self.session.model, self.session.config.seed, force=True)
        name = getattr(error, "name", "data")
        panel.show_error(name if name in MODEL_FIELDS else "data", str(error))
        return True
