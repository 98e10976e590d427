"""What the keys and the command palette do: the app's actions, apart from its composition and routing."""
from __future__ import annotations

import contextlib

from textual.worker import WorkerCancelled, WorkerFailed

from .screens import ConfirmScreen, HelpScreen, checkpoint_dialog
from .widgets.model import ModelPanel
from .widgets.prediction import PredictionPanel
from .worker import Diverged


class Actions:
    """Mixed into RnnvizApp, which provides `session`, `loop`, `checkpoint` and `_render`."""

    def action_start(self) -> None:
        if not self.loop.running:
            self.loop.start()
            self._worker = self.run_worker(self.loop.run, thread=True, exclusive=True, group="train")
            self._render(full=False)
            self.refresh_bindings()

    def action_pause(self) -> None:
        """Ask the worker to stop after its current step (see `stop_training` to wait for it)."""
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

    def action_one_step(self) -> None:
        if not self.loop.running:
            event = self.session.step()
            self._render()
            if event.diverged:
                self.post_message(Diverged(event))

    def action_rollback(self) -> None:
        self.notify(f"Rolled back to the weights kept at step {self.session.rollback()}.")
        self._render()

    async def action_reset(self) -> None:
        await self._confirm_then("Reset the weights? The trained network is lost.", self.session.reset_weights)

    def action_save(self) -> None:
        self.push_screen(checkpoint_dialog("Save the checkpoint to", self.checkpoint, self.session.save), self._saved)

    def _saved(self, path: str | None) -> None:
        if path:
            self.checkpoint = path
            self.notify(f"Saved {path} at step {self.session.view().step}.")

    async def action_load(self) -> None:
        await self.stop_training()
        self.push_screen(checkpoint_dialog("Load the checkpoint from", self.checkpoint, self.session.load),
                         self._loaded)

    def _loaded(self, path: str | None) -> None:
        if path:
            self.checkpoint = path
            self._render()
            view = self.session.view()
            self.notify(f"Loaded {path}: {view.architecture}, step {view.step}.")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_type_prefix(self) -> None:
        self.screen.set_focus(self.query_one("#prefix"))

    def action_panel(self, action: str, *args) -> None:
        """The prediction panel's keys, bound by the app so that they work wherever the focus is."""
        getattr(self.query_one(PredictionPanel), f"action_{action}")(*args)

    def action_leave_field(self) -> None:
        self.screen.set_focus(None)

    async def action_quit(self) -> None:
        await self.stop_training()
        self.exit()

    async def _confirm_then(self, question: str, action) -> None:
        """Stop training and run `action` now if nothing has trained yet, else once the user says yes."""
        async def answered(yes: bool | None) -> None:
            if yes:
                await self.stop_training()
                action()
                self.query_one(PredictionPanel).set_example(self.session.example)
            self.query_one(ModelPanel).show(self.session.model, self.session.config.seed, force=not yes)
            self._render()

        if self.session.has_trained:
            self.push_screen(ConfirmScreen(question), answered)
        else:
            await answered(True)
