"""What the charts plot: cost and eval figures against steps, in bounded memory.

Each series keeps at most `max_points` points. When full, neighbouring points
are averaged in pairs and from then on each new point averages twice as many
events, so memory stays flat however long the run, and every point stands for
the same number of events.
"""
from __future__ import annotations

import copy
import math
import threading
from dataclasses import dataclass

import numpy as np

MAX_MARKERS = 200
SMOOTHING = 0.95  # EMA weight of the past; debiased, so the first points aren't pulled towards 0


class _Series:
    """Points (x, *ys), kept as one list per value, that merge in pairs when full; the newest still fills."""

    def __init__(self, width: int, max_points: int):
        self.max_points = max_points
        self.values: list[list[float]] = [[] for _ in range(width)]  # x first
        self.stride = 1  # events per complete point
        self._sums, self._count = [0.0] * width, 0  # the bucket being filled

    def add(self, *values: float):
        self._sums = [s + v for s, v in zip(self._sums, values, strict=True)]
        self._count += 1
        if self._count == self.stride:
            for column, total in zip(self.values, self._sums, strict=True):
                column.append(total / self._count)
            self._sums, self._count = [0.0] * len(self._sums), 0
            if len(self.values[0]) >= self.max_points:
                self._halve()

    def _halve(self):
        if len(self.values[0]) % 2:  # the odd one out holds fewer events than a merged pair: it keeps filling
            self._sums = [column.pop() * self.stride + s for column, s in zip(self.values, self._sums, strict=True)]
            self._count += self.stride
        self.values = [[(a + b) / 2 for a, b in zip(c[0::2], c[1::2], strict=True)] for c in self.values]
        self.stride *= 2

    def columns(self) -> list[list[float]]:
        """A copy of each list, the filling bucket included as the last point."""
        last = [s / self._count for s in self._sums] if self._count else []
        return [column + last[i:i + 1] for i, column in enumerate(self.values)]


@dataclass(frozen=True)
class HistoryView:
    """A consistent copy of the history: every list of a series has the same length."""

    steps: list[float]
    loss: list[float]
    smoothed: list[float]
    lr: list[float]  # the learning rate each step used
    eval_steps: list[float]
    eval_accuracy: list[float]
    eval_cost: list[float]
    markers: list[tuple[int, str]]
    version: int  # changes whenever the history does; lets a chart skip redrawing the same thing
    history_id: int  # which history this is a copy of
    start: int = 0  # the step the run started from (0, or a loaded network's step)
    reach_steps: tuple = ()  # where the reach was measured (the Reach view was open) ...
    reach: tuple = ()  # ... and its largest n
    eval_memory_use: tuple = ()  # the memory use at each eval step (Dataset.memory_use; NaN: the data has none)


class History:
    """Training cost (raw and smoothed) and eval results against steps; markers where settings changed.

    The trainer's thread adds while the app's thread reads, so reads go through `snapshot()`.
    """

    def __init__(self, max_points: int = 2000):
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 4:
            raise ValueError(f"max_points must be an integer of at least 4, got {max_points!r}")
        self.max_points = max_points
        self._lock = threading.Lock()
        self.clear()

    def clear(self, start: int = 0):
        """Nothing recorded; the run starts at step `start` (a loaded network's)."""
        with self._lock:
            self._start = start
            self._cost = _Series(4, self.max_points)  # step, loss, smoothed, lr
            self._eval = _Series(4, self.max_points)  # step, accuracy, cost, memory use
            self._reach = _Series(2, self.max_points)  # step, largest n right
            self._markers: list[tuple[int, str]] = []
            self._ema, self._ema_count = 0.0, 0
            self._version = getattr(self, "_version", 0) + 1

    def copy(self) -> History:
        """An independent copy: a forked run's charts start from its parent's past."""
        twin = History(self.max_points)
        with self._lock:
            twin._cost, twin._eval, twin._start = copy.deepcopy(self._cost), copy.deepcopy(self._eval), self._start
            twin._reach = copy.deepcopy(self._reach)
            twin._markers, twin._ema, twin._ema_count = list(self._markers), self._ema, self._ema_count
        return twin

    def add(self, event) -> None:
        """Record one StepEvent; a non-finite loss (a skipped step) is left out of the curves."""
        with self._lock:
            if math.isfinite(event.loss):
                self._cost.add(event.step, event.loss, self._smooth(event.loss), event.lr)
            if event.eval_accuracy is not None:
                self._eval.add(event.step, event.eval_accuracy, _nan(event.eval_cost), _nan(event.eval_memory_use))
            self._version += 1

    def add_reach(self, step: int, largest: int) -> None:
        """The reach measured at `step` (its largest n)."""
        with self._lock:
            self._reach.add(step, largest)
            self._version += 1

    def mark(self, step: int, label: str) -> None:
        """A marker at `step` (e.g. "lr 0.05"); two at the same step share one label."""
        with self._lock:
            if self._markers and self._markers[-1][0] == step:
                label = f"{self._markers[-1][1]}, {label}"
                self._markers.pop()
            self._markers.append((step, label))
            del self._markers[:-MAX_MARKERS]
            self._version += 1

    def evaluated(self, step: int, evaluation) -> None:
        """An evaluation (Trainer.evaluation) made outside a training step (at a save), unless the history has one
        at `step`."""
        with self._lock:
            steps = self._eval.columns()[0]
            if not steps or steps[-1] != step:
                self._eval.add(step, evaluation.accuracy, evaluation.cost, _nan(evaluation.memory_use))
                self._version += 1

    def saved(self) -> dict:
        """The history as a checkpoint keeps it (rnncore.save's `history`): arrays of points and the markers."""
        view = self.snapshot()
        return {"cost": np.array([view.steps, view.loss, view.smoothed, view.lr], np.float64).T.reshape(-1, 4),
                "eval": np.array([view.eval_steps, view.eval_accuracy, view.eval_cost, view.eval_memory_use],
                                 np.float64).T.reshape(-1, 4),
                "start": view.start, "markers": list(view.markers)}

    @classmethod
    def restored(cls, saved: dict, max_points: int = 2000) -> History:
        """A history from `saved()` (a loaded checkpoint's): its points, markers and smoothing go on from there."""
        history = cls(max_points)
        history.clear(int(saved["start"]))
        cost, evals = np.asarray(saved["cost"])[-max_points + 1:], np.asarray(saved["eval"])[-max_points + 1:]
        history._cost.values = [list(map(float, column)) for column in cost.T]
        history._eval.values = [list(map(float, column)) for column in evals.T]
        history._cost.stride = max(int(round(np.median(np.diff(cost[:, 0])))), 1) if len(cost) > 1 else 1
        history._markers = [(int(step), str(label)) for step, label in saved["markers"]][-MAX_MARKERS:]
        if len(cost):  # the smoothing goes on from the last smoothed cost, long past its start-up
            history._ema, history._ema_count = float(cost[-1, 2]), 10**6
        return history

    def snapshot(self) -> HistoryView:
        with self._lock:
            steps, loss, smoothed, lr = self._cost.columns()
            eval_steps, accuracy, cost, memory_use = self._eval.columns()
            reach_steps, reach = self._reach.columns()
            return HistoryView(steps, loss, smoothed, lr, eval_steps, accuracy, cost, list(self._markers),
                               self._version, id(self), self._start, tuple(reach_steps), tuple(reach),
                               tuple(memory_use))

    def _smooth(self, loss: float) -> float:
        self._ema = SMOOTHING * self._ema + (1 - SMOOTHING) * loss
        self._ema_count += 1
        return self._ema / (1 - SMOOTHING**self._ema_count)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
