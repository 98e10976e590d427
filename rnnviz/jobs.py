"""What the app computes away from its own thread, so that a key or a redraw never waits on it.

The app's thread (the UI) only starts this work and puts its results on screen. Two kinds:
- a prediction (the prefix's bars and the open view): at most one is computed at a time; a new prefix or view
  drops the one under way (an exclusive worker group), new weights wait for it to land and then ask again;
- a job that replaces or moves the network (a build, a reset, a load, a fork, a rollback): one at a time,
  named in the header while it runs; training is paused first where the job needs the network to itself.
Each runs in a daemon thread: quitting never waits for a build to end, and the process ends without it.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from textual.worker import get_current_worker

from .widgets.prediction import PredictionPanel

WORKING_AFTER = 0.2  # seconds a prediction may take before the panel says it is working on one


async def off_thread(work: Callable[[], Any]) -> Any:
    """`work()` in a daemon thread, awaited: the event loop (the screen, the keys) runs on meanwhile."""
    loop = asyncio.get_running_loop()
    landed = loop.create_future()

    def settle(result, error) -> None:
        if not landed.done():  # a cancelled wait has gone: nobody takes the result
            landed.set_exception(error) if error else landed.set_result(result)

    def body() -> None:
        try:
            result, error = work(), None
        except BaseException as e:  # handed to the waiting coroutine, which raises it on the app's thread
            result, error = None, e
        with contextlib.suppress(RuntimeError):  # the app has ended and closed its loop: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=body, daemon=True, name="rnnviz-work").start()
    return await landed


class Background:
    """Mixed into RnnvizApp, which provides `session`, `prefix`, `stop_training` and `_render`."""

    job: str | None = None  # what the job under way does, as the header says it ("building the network")
    _looking: tuple | None = None  # (what it was asked for, worker) of the prediction under way
    _look_again = False  # the weights changed while it was under way: ask again once it lands

    # --- jobs -----------------------------------------------------------------------------------
    def run_job(self, label: str, work: Callable[[], Any], done: Callable[[Any], None], pause: bool = True) -> None:
        """`work()` in a thread, then `done(result)` on the app's thread; with `pause`, training stops first.
        A ValueError `work` raises is its result (what went wrong, for `done` to show); anything else is a bug,
        and ends the app."""
        self.job = label
        self._render(full=False)
        self.refresh_bindings()
        self.run_worker(partial(self._job, work, done, pause), group="job", name=label)

    async def _job(self, work, done, pause: bool) -> None:
        try:
            if pause:
                await self.stop_training()
            result = await off_thread(work)
        except ValueError as e:  # a data file gone bad, memory refused, 4 runs: `done` tells the user
            result = e
        finally:
            self.job = None
        if not self.is_running:
            return
        done(result)
        self._render()
        self.refresh_bindings()

    def busy(self) -> bool:
        """Whether a job is under way; if so the user is told to wait (the network is not to be touched)."""
        if self.job:
            self.notify(f"Wait: {self.job}…", severity="warning", timeout=3)
        return self.job is not None

    # --- predictions ------------------------------------------------------------------------------
    def _predict(self) -> None:
        """Ask for the prediction after the prefix, in the open view, of the current network."""
        panel, session = self.query_one(PredictionPanel), self.session
        wanted = (session, session.net, self.prefix, panel.lens)
        if self._looking is not None and self._looking[0] == wanted:
            self._look_again = True  # the same question of newer weights: once this one lands
            return
        self._look_again = False
        worker = self.run_worker(partial(self._look, wanted), group="predict", exclusive=True)  # drops a stale one
        self._looking = (wanted, worker)
        self.set_timer(WORKING_AFTER, lambda: self._looking and self._looking[1] is worker and panel.working(True))

    async def _look(self, wanted: tuple) -> None:
        session, _, prefix, lens = wanted
        worker = get_current_worker()
        try:
            looked = await off_thread(lambda: session.look(prefix, lens, stale=lambda: worker.is_cancelled))
            every_run = {"probs": lambda: self.lab.compare(prefix), "reach": self.lab.reaches}.get(lens.view)
            runs = await off_thread(every_run) if every_run else []
            pinned = await off_thread(lambda: self._pinned(session, lens.pinned))
        except ValueError as e:  # the prefix has a symbol the data lacks, or the outputs overflow
            looked = e
        if not self.is_running:  # the app ends: its widgets are going
            return
        self._looking = None
        panel = self.query_one(PredictionPanel)
        panel.working(False)
        if panel.lens != lens:  # the user picked another view meanwhile: these numbers are not its
            self._look_again = True
        elif isinstance(looked, ValueError):
            panel.show_error(str(looked))
        elif looked is not None:
            panel.show(*looked)
            panel.show_runs(runs)
            panel.show_pinned(pinned)
        if self._look_again:
            self._predict()

    @staticmethod
    def _pinned(session, text: str):
        """The prediction after the pinned prefix, if one is pinned and this run can read it."""
        try:
            return session.predict(text) if text else None
        except ValueError:  # pinned on another task's symbols
            return None

    # --- starting -----------------------------------------------------------------------------------
    async def load_lab(self) -> None:
        """Make the lab (`make_lab`, which reads the data through) in a thread while the loading screen shows."""
        try:
            lab = await off_thread(self.make_lab)
        except ValueError as e:  # the command line's data or checkpoint: its one line, once the app has ended
            self.refused = str(e)
            self.exit(return_code=2)
            return
        self.lab = self.loop.lab = lab
        await self.query_one("#loading").remove()
        await self.default_screen.mount_all(self.panels(), before=0)
        self.ready()
