"""What the keys and the command palette do: run, pause, one step, save, load, record, export, help, focus and
quit; what changes the runs (settings, a new network, a reset, a fork) is in changes.py."""
from __future__ import annotations

import contextlib
from functools import partial

from textual.widgets import Input
from textual.worker import WorkerCancelled, WorkerFailed

from rnncore import CheckpointError
from rnncore.threads import blas_threads

from .paths import user_path
from .screens import ConfirmScreen, HelpScreen, QuitScreen, checkpoint_dialog
from .widgets.prediction import PredictionPanel
from .worker import Diverged, Finished


class Actions:
    """Mixed into RnnvizApp, which provides `session`, `loop`, `checkpoint`, `_render` and the jobs (jobs.py)."""

    asking_to_quit: QuitScreen | None = None  # the dialog that asks whether to quit, while it is open

    def action_start(self) -> None:
        if self.busy() or (self.loop.running and not self.loop.stepping):
            return
        self.lab.note("run")
        if not self.loop.extend(None):  # else a few turns (n) were under way: they run on
            self._run_loop()
        self._render(full=False)
        self.refresh_bindings()

    def action_one_step(self) -> None:
        """One step of every run: one turn of the training loop, so that it never overlaps another step. Pressed
        again before the turn ends, one more."""
        if self.busy() or (self.loop.running and not self.loop.stepping):
            return
        if not self.loop.extend(1):
            self._run_loop(turns=1)
        self._render(full=False)

    def _run_loop(self, turns: int | None = None) -> None:
        run = self.loop.start(turns)
        self._worker = self.run_worker(partial(self.loop.run, run), thread=True, exclusive=True, group="train")

    def action_pause(self) -> None:
        """Ask the worker to stop after its current step (see `stop_training` to wait for it)."""
        if self.loop.running and not self.loop.stepping:
            self.lab.note("pause")  # at the step the worker is at: the pause takes effect after it, not before
        self.loop.stop()
        self._render(full=False)
        self.refresh_bindings()

    def action_toggle_run(self) -> None:
        (self.action_pause if self.loop.running else self.action_start)()

    async def stop_training(self) -> None:
        self.action_pause()
        if self._worker is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await self._worker.wait()
            self._worker = None
        self._render()

    def action_save(self) -> None:
        if self.busy():
            return
        save = checkpoint_dialog("Save the checkpoint to", self.checkpoint, lambda p: self.session.save(self._path(p)))
        self.push_screen(save, self._saved)

    def _saved(self, path: str | None) -> None:
        if path:
            self.checkpoint = path
            self.notify(f"Saved {path} at step {self.session.view().step}.")

    def action_load(self) -> None:
        """The dialog opens at once; training stops after its step, and the load waits for that (Session.lock)."""
        if self.busy():
            return
        if self.loop.running:
            self.notify("Training paused to load a checkpoint; it goes on if you cancel.")
            self._resume_if_cancelled = True
        self.action_pause()
        title = f"Load a checkpoint in place of {self.run_name()}" if self.session.has_trained else \
            "Load the checkpoint from"
        load = checkpoint_dialog(title, self.checkpoint, lambda p: self._load(self._path(p)))
        self.push_screen(load, partial(self._loaded, self.lab.discarded))

    def _load(self, path: str) -> None:
        self.lab.replace_current("the load", lambda: self.session.load(path))

    def _loaded(self, kept_before, path: str | None) -> None:
        if not path and getattr(self, "_resume_if_cancelled", False):
            self.action_start()
        self._resume_if_cancelled = False
        if path:
            self.checkpoint, self.loop.tokens_per_sec = path, None
            self.query_one(PredictionPanel).set_example(self.session.example)
            self._render()
            view = self.session.view()
            self.notify(f"Loaded {path}: {view.architecture}, step {view.step}." + self.undo_note(kept_before))

    def _path(self, path: str) -> str:
        """A path the user typed: `~` expanded; when served, kept inside the served folder (ValueError)."""
        return user_path(path, self.root)

    # --- what the training thread reports -----------------------------------------------------------
    def on_finished(self, message: Finished) -> None:
        self.action_pause()
        drifts = getattr(self.lab, "drifts", [])
        self.notify("The replay has reached the end of its record" + (
            f"; the weights drifted from the record's at {len(drifts)} checksum(s), first at step {drifts[0][1]}."
            if drifts else ", every checksum as recorded."), timeout=10)

    def on_diverged(self, message: Diverged) -> None:
        self.action_pause()
        self.lab.current = self.lab.runs.index(message.session) if message.session in self.lab.runs else 0
        self._render()
        event = message.event
        why = "its update overflowed" if event.skipped else f"its cost {event.loss:.3g} is far above a guess"
        self.notify(f"Step {event.step} diverged: {why}. Paused; lower the learning rate or roll back.",
                    severity="warning", timeout=8)
        question = f"Training diverged at step {event.step}. Roll back to the weights kept at step " \
                   f"{self.session.view().last_good_step}?"
        self.push_screen(ConfirmScreen(question, yes="Roll back"), lambda yes: yes and self.action_rollback())

    def action_record(self) -> None:
        def record(path: str) -> None:
            self.lab.record(self._path(path), blas_threads())

        self.push_screen(checkpoint_dialog("Record the session to", "session.jsonl", record, CheckpointError),
                         lambda path: path and self.notify(f"Recording to {path}: rnncore replay {path} redoes it."))

    def action_export(self) -> None:
        rows = []  # written by the dialog's thread, told once the dialog has closed

        def export(path: str) -> None:
            rows.append(self.lab.export_csv(self._path(path)))

        self.push_screen(checkpoint_dialog("Export the charts' data (CSV) to", "metrics.csv", export, OSError),
                         lambda path: path and self.notify(f"Wrote {rows[-1]} rows to {path}."))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_type_prefix(self) -> None:
        self._show_and_focus("prediction", self.query_one("#prefix"))

    def _show_and_focus(self, page: str, field) -> None:
        """Show `page` (on a small screen; its classes apply at once) and focus `field` on it."""
        self.page = page
        self.screen.set_focus(field)

    def action_panel(self, action: str, *args) -> None:
        """The prediction panel's keys, bound by the app so that they work wherever the focus is; on a small
        screen they show the prediction page."""
        self.page = "prediction"
        getattr(self.query_one(PredictionPanel), f"action_{action}")(*args)

    def action_show_page(self, page: str) -> None:
        """On a small screen, the panel shown: "charts", "prediction" or "controls" (elsewhere all are)."""
        self.page = page

    def action_leave_field(self) -> None:
        self.screen.set_focus(None)

    def action_focus_panel(self, panel: str) -> None:
        """The first field of the Model (1) or Training (2) panel."""
        self._show_and_focus("controls", self.query_one(f"#{panel}").query(Input).first())

    async def action_interrupt(self) -> None:
        """ctrl+c: quit, from a dialog too."""
        await self.action_quit()

    async def action_quit(self) -> None:
        """Asks first if a run has trained since it was last saved (and no record holds it); from that dialog,
        q or ctrl+c again quits."""
        unsaved = self._unsaved()
        if unsaved and self.asking_to_quit is None:
            self.asking_to_quit = QuitScreen(f"Quit? {unsaved}")
            self.push_screen(self.asking_to_quit, self._quit_answered)
        else:
            await self._quit()

    def _quit_answered(self, choice: str | None) -> None:
        self.asking_to_quit = None
        if choice == "quit":
            self.run_worker(self._quit(), group="quit")

    def _unsaved(self) -> str:
        """What quitting now would lose, in words; empty if nothing (saved, untrained, or recorded)."""
        if self.lab is None or (self.lab.recorder is not None and not self.lab.recorder.closed):
            return ""
        runs = [(i + 1, s.trainer.step) for i, s in enumerate(self.lab.runs) if s.unsaved]
        if not runs:
            return ""
        if len(self.lab.runs) == 1:
            return f"The run has trained to step {runs[0][1]:,} and is not saved: ctrl+s saves it."
        named = ", ".join(f"run {i} (step {step:,})" for i, step in runs)
        return f"Not saved: {named}. ctrl+s saves the current run; c goes to the next."

    async def _quit(self) -> None:
        """Training stops after its step (a record ends at a step); a job under way is left to end with the
        process."""
        if self.lab is not None:
            await self.stop_training()
            self.lab.end()
        self.exit()

