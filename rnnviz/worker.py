"""The loop the app's one training thread runs: steps, pacing, and merged messages.

It never touches a widget: it steps every run of the lab in turns (`lab.step()`)
and posts small messages, at most one `Trained` every `POST_EVERY` seconds
however fast the steps go.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message
from textual.worker import get_current_worker

from rnncore import StepEvent

from .lab import DEFAULT_SPEED, Lab
from .session import Session

POST_EVERY = 0.1  # seconds between the worker's messages: the header updates at most 10 times a second


@dataclass
class Trained(Message):
    """Steps the worker has done since its last message."""

    event: StepEvent  # the latest of the current run
    steps: int  # steps of all runs
    tokens_per_sec: float  # over the wall-clock time since the last message


@dataclass
class Diverged(Message):
    event: StepEvent
    session: Session  # the run that diverged


class Finished(Message):
    """A replay reached the end of its record."""


class TrainingLoop:
    """Steps until stopped, or for a number of turns (`n`): one loop, so that steps never overlap."""

    def __init__(self, lab: Lab, post: Callable[[Message], object], speed: float = DEFAULT_SPEED):
        self.lab, self.post = lab, post
        self.speed = speed  # steps per second of each run; 0 = as fast as possible
        self.running = False
        self.turns: int | None = None  # turns left before it stops by itself; None: until stopped
        self.tokens_per_sec: float | None = None  # the rate of the last message, for the header
        self._wake = threading.Event()  # set on stop, so a loop pacing itself stops waiting
        self._lock = threading.Lock()  # between the app's thread and the loop's, for `turns` and `running`
        self._run = 0  # which start the loop's thread belongs to: one left over from an earlier start stops
        self.after_turn: Callable[[], None] | None = None  # called in the loop's thread after each turn (a lesson's)

    @property
    def stepping(self) -> bool:
        """Running for a number of turns (`n`), rather than until stopped."""
        return self.running and self.turns is not None

    def start(self, turns: int | None = None) -> int:
        """Run from now on (or `turns` turns); returns the number `run` takes."""
        with self._lock:
            self.running, self.turns, self._run = True, turns, self._run + 1
            self._wake.clear()
            return self._run

    def extend(self, turns: int | None) -> bool:
        """Turn a running loop's count of turns into more of them (None: until stopped); False if it has
        stopped (or is stopping), so that the caller starts it again."""
        with self._lock:
            if self.running and self.turns is not None:
                self.turns = None if turns is None else self.turns + turns
                return True
            return False

    def stop(self) -> None:
        """Ask the loop to end after its current step."""
        self.running = False
        self._wake.set()

    def run(self, run: int) -> None:
        """The worker thread's body: step until stopped, cancelled, out of turns or started again."""
        worker = get_current_worker()
        steps = tokens = 0
        since = time.perf_counter()
        while self._goes_on(run) and not worker.is_cancelled:
            started = time.perf_counter()
            stepped = self.lab.step()  # [(session, event)] of every run
            if not stepped:  # a replay's record has ended
                self.running = False
                self.post(Finished())
                break
            self._count_turn()
            if self.after_turn is not None:
                self.after_turn()
            event = next((e for s, e in stepped if s is self.lab.session), stepped[-1][1])
            steps, tokens = steps + len(stepped), tokens + sum(e.tokens for _, e in stepped)
            now = time.perf_counter()
            diverged = next(((s, e) for s, e in stepped if e.diverged), None)
            if diverged or now - since >= POST_EVERY:
                self._post(event, steps, tokens, now - since)
                steps = tokens = 0
                since = now
            if diverged:
                self.post(Diverged(diverged[1], diverged[0]))
                return
            self._pace(started)
        if steps:
            self._post(event, steps, tokens, time.perf_counter() - since)

    def _goes_on(self, run: int) -> bool:
        with self._lock:
            return self.running and self._run == run

    def _count_turn(self) -> None:
        with self._lock:
            if self.turns is not None:
                self.turns -= 1
                self.running = self.turns > 0

    def _post(self, event: StepEvent, steps: int, tokens: int, seconds: float) -> None:
        if seconds >= POST_EVERY / 2:  # a rate over a few milliseconds (a quick run and pause) would be noise
            self.tokens_per_sec = tokens / seconds
        self.post(Trained(event, steps, self.tokens_per_sec or 0.0))

    def _pace(self, started: float) -> None:
        """Wait out this step's share of a second at `speed` steps/s; a stop or a new speed cuts it short."""
        while self.running and self.speed > 0:
            left = 1 / self.speed - (time.perf_counter() - started)
            if left <= 0:
                return
            self._wake.wait(min(left, 0.05))
