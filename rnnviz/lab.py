"""The runs of a session, side by side: up to MAX_RUNS Sessions that train in turns, one of them current,
and the record of what was done to them. No Textual."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rnncore import ModelConfig, Reach, StepEvent, files, save
from rnncore.record import Recorder, digest
from rnncore.threads import use_threads

from .export import runs_csv
from .forgetting import GradientWatch
from .insight import Lens
from .session import Session

MAX_RUNS = 4
DEFAULT_SPEED = 20.0  # steps/s of each run: slow enough to watch a task being learnt; 0 = full speed
MAX_SPEED = 1000.0  # steps/s


def parse_speed(text: str) -> float:
    """Steps/s from typed text; ValueError in words if it is not one."""
    text = text.strip()
    try:
        speed = float(text) if text.isascii() and "_" not in text else math.nan  # float() takes '1_0' and '３'
    except ValueError:
        speed = math.nan
    if not 0 <= speed <= MAX_SPEED:
        raise ValueError(f"steps/s must be a number from 0 (as fast as it goes) to {MAX_SPEED:g}, got {text!r}")
    return speed


@dataclass(frozen=True)
class Discarded:
    """A trained run that a reset, a new network, a load or closing it threw away, kept for `Lab.undo`."""

    what: str  # what threw it away, as the messages say it: "the reset"
    session: Session  # the run as it was
    index: int  # where it stood among the runs
    replaced: bool  # another run took its place (a reset, a new network, a load), rather than none (closed)


class Lab:
    def __init__(self, first: Session, threads: int | None = None):
        self.runs, self.current = [first], 0
        self.discarded: Discarded | None = None  # the last run thrown away, until the next one is
        self.recorder: Recorder | None = None
        self._companions = 0  # checkpoints saved beside the record
        self.threads_asked, self.threads_note, self._sized_for = threads, "", []
        self.gradients = GradientWatch()
        self.fit_threads()

    @property
    def session(self) -> Session:
        return self.runs[self.current]

    # --- runs -------------------------------------------------------------------
    def fork(self) -> Session:
        """A new run from the current one's weights and training state; it becomes current."""
        return self.add(self.forked())

    def new_run(self, model: ModelConfig, seed: int) -> Session:
        """A new run of another architecture (or data, or seed), from scratch, with the current settings."""
        return self.add(self.built(model, seed))

    def forked(self) -> Session:
        """`fork`'s run, not yet among the runs (`add` puts it there): the app makes it in another thread."""
        self._check_room()
        return self.session.fork(self._take_id())

    def built(self, model: ModelConfig, seed: int) -> Session:
        """`new_run`'s run, not yet among the runs (`add` puts it there): seconds for a wide layer."""
        self._check_room()
        session = Session(self.session.config.changed(seed=seed), **asdict(model))
        session.run_id = self._take_id()
        self._attach(session)
        return session

    def add(self, session: Session) -> Session:
        """A run made by `forked` or `built`, among the runs from now on, and current."""
        self._check_room()
        self._paint(session)
        self.runs.append(session)
        self.current = len(self.runs) - 1
        return session

    def close(self) -> None:
        """Close the current run (the last one stays), kept for `undo`; the one before it becomes current."""
        if len(self.runs) == 1:
            raise ValueError("the only run cannot be closed")
        closed = self.runs.pop(self.current)
        self._end(closed)
        self._discard(Discarded("the close", closed, self.current, replaced=False))
        self.current = max(self.current - 1, 0)

    def replace_current(self, what: str, change: Callable[[], object]) -> None:
        """`change()` (a reset, a new network, a load) on the current run, which a trained run survives, kept for
        `undo`; a ValueError from `change` leaves the run and what was kept as they were."""
        session = self.session
        twin = session.kept()
        change()
        self._discard(Discarded(what, twin, self.current, replaced=True))

    def undo(self) -> Discarded:
        """The run last thrown away, back where it was and current; the run now in its place (a reset's fresh one)
        is kept in turn, so that undoing again redoes. Returns what was undone; ValueError if nothing can be."""
        kept = self.discarded
        if kept is None:
            raise ValueError("nothing to undo")
        if kept.replaced:
            index = min(kept.index, len(self.runs) - 1)
            displaced, self.runs[index] = self.runs[index], kept.session
            self.discarded = Discarded(kept.what, displaced, index, replaced=True)
        else:
            self._check_room()
            index = min(kept.index, len(self.runs))
            if any(session.run_id == kept.session.run_id for session in self.runs):  # taken again since the close
                kept.session.run_id = self._take_id()
            self._paint(kept.session)
            self.runs.insert(index, kept.session)
            self.discarded = None
        self.current = index
        self._attach(kept.session)
        return kept

    def _paint(self, session: Session) -> None:
        """Give a run joining the others a colour none of them has (its own, if still free): its curves keep it."""
        taken = {s.color for s in self.runs if s is not session}
        if session.color in taken:
            session.color = min(set(range(MAX_RUNS)) - taken)

    def _discard(self, discarded: Discarded) -> None:
        """Keep `discarded` for undo if it had trained; else what was kept before stays (an untrained run is
        made again by a key, a trained one is not)."""
        if discarded.session.has_trained:
            self.discarded = discarded

    def cycle(self) -> Session:
        self.current = (self.current + 1) % len(self.runs)
        return self.session

    def step(self) -> list[tuple[Session, StepEvent]]:
        """One step of every run, in turns."""
        self.fit_threads()
        return [(session, session.step()) for session in list(self.runs)]

    def labels(self, runs: list[Session] | None = None) -> list[str]:
        """What tells each of `runs` (every run) apart from the others, for the charts' legend: `lr=0.003`,
        `lstm:64`, or else its number."""
        runs = self.runs if runs is None else runs
        settings = [{**asdict(s.model), **asdict(s.config)} for s in runs]
        differing = [k for k in settings[0] if len({repr(x[k]) for x in settings}) > 1][:2]
        return [", ".join(f"{x[k]}" if k in ("data", "layers") else f"{k}={x[k]}" for k in differing)
                or f"run {self.runs.index(s) + 1}" for x, s in zip(settings, runs, strict=True)]

    def compare(self, text: str) -> list[tuple[str, int, np.ndarray]]:
        """(label, colour index, next-symbol probabilities after `text`) of every run that can read it, the
        current run first; nothing for one run or an empty prefix."""
        if len(self.runs) < 2:
            return []
        columns = []
        for label, session in zip(self.labels(), self.runs, strict=True):
            try:
                probs = session.predict(text).probs
            except ValueError:  # this run cannot read it (another vocabulary) or overflows: no column
                continue
            if probs is not None:
                columns.insert(0 if session is self.session else len(columns), (label, session.color, probs))
        return columns

    def across(self, text: str, lens: Lens) -> list:
        """What the open view shows of every run: the probabilities after `text` (Probs: `compare`), or the
        gradient through time (Gradient: `GradientWatch.runs`) or the reach (Reach: `reaches`) of the current task's
        runs; nothing in the others."""
        if lens.view == "grad":
            return self.gradients.runs(self)
        if lens.view == "reach":
            return self.reaches()
        return self.compare(text) if lens.view == "probs" else []

    def reaches(self) -> list[tuple[str, int, Reach | str]]:
        """(label, colour, its reach or why it has none) of every run on the current run's task (as the charts
        draw them), the current run first."""
        shown = [s for s in self.runs if s.model.data == self.session.model.data]
        rows = []
        for label, session in zip(self.labels(shown), shown, strict=True):
            try:
                reach = session.reach()
            except ValueError as e:  # its data has no reach
                reach = str(e)
            rows.insert(0 if session is self.session else len(rows), (label, session.color, reach))
        return rows

    def fit_threads(self) -> None:
        """The BLAS threads for the runs' largest network (`use_threads`), set again when a run's network changes
        (from the training thread, between steps); fixed while recording, so that the record replays bit for bit."""
        nets = [session.net for session in self.runs]
        if nets != self._sized_for and self.recorder is None:
            self.threads_note, self._sized_for = use_threads(nets, self.threads_asked), nets

    def _check_room(self) -> None:
        if len(self.runs) >= MAX_RUNS:
            raise ValueError(f"at most {MAX_RUNS} runs: close one first (x)")

    def _take_id(self) -> int:
        """The smallest number no run has: a record names at most MAX_RUNS runs at once, however many came and
        went (rnncore.record bounds a run's number)."""
        return min(set(range(MAX_RUNS + 1)) - {session.run_id for session in self.runs})

    # --- record and export --------------------------------------------------------
    def record(self, path, blas_threads: int | None = None) -> None:
        """Write down from now on what is done to every run. A run that has trained already starts from a
        checkpoint saved beside the record, so that the record replays to the same weights. The record and those
        checkpoints are each checked before any of them is written (files.plan_output: FileError, a ValueError)."""
        for target, kind in self.record_files(path):
            files.plan_output(target, kind)
        self.end()  # a record under way ends here
        self.recorder = Recorder(path, blas_threads)
        for session in self.runs:
            self._attach(session)

    def record_files(self, path) -> list[tuple[Path, str]]:
        """(path, kind) of each file `record(path)` writes: the record, and a checkpoint of each trained run."""
        trained = [s for s in self.runs if s.has_trained]
        return [(Path(path), "record"), *((_companion(path, s.run_id, self._companions + number), "checkpoint")
                                          for number, s in enumerate(trained, 1))]

    def _attach(self, session: Session) -> None:
        session.recorder = self.recorder
        if self.recorder is None:
            return
        session.note("start", **session.start())
        if session.has_trained:
            self._companions += 1  # a name of its own: a record's load names the file by its content too
            saved = _companion(self.recorder.path, session.run_id, self._companions)
            save(saved, session.net, session.trainer)
            session.note("load", path=str(saved.resolve()), sha256=files.digest(saved, "checkpoint"))

    def note(self, kind: str) -> None:
        """An event of every run (run, pause) in the record."""
        for session in self.runs:
            session.note(kind)

    def end(self) -> None:
        """Close the record with every run's digest."""
        for session in self.runs:
            self._end(session)
        if self.recorder:
            self.recorder.close()

    def _end(self, session: Session) -> None:
        if self.recorder and not self.recorder.closed:
            session.note("end", sha256=digest(session.net.params))

    def export_csv(self, path) -> int:
        """Every run's charted points as CSV (export.runs_csv); returns the rows written."""
        return runs_csv(path, zip(self.labels(), self.runs, strict=True))


def _companion(record, run_id: int, number: int) -> Path:
    """The `number`th checkpoint saved beside a record, that a run which has trained starts from."""
    return Path(record).with_suffix(f".run{run_id}.{number}.npz")
