"""The runs of a session, side by side: up to MAX_RUNS Sessions that train in turns, one of them current,
and the record of what was done to them. No Textual."""
from __future__ import annotations

import csv
import hashlib
from dataclasses import asdict
from pathlib import Path

from rnncore import ModelConfig, StepEvent, save
from rnncore.record import CSV_COLUMNS, Recorder, digest

from .session import Session

MAX_RUNS = 4


class Lab:
    def __init__(self, first: Session):
        self.runs, self.current = [first], 0
        self.recorder: Recorder | None = None
        self._next_id = first.run_id + 1

    @property
    def session(self) -> Session:
        return self.runs[self.current]

    # --- runs -------------------------------------------------------------------
    def fork(self) -> Session:
        """A new run from the current one's weights and training state; it becomes current."""
        return self._add(self.session.fork(self._take_id()))

    def new_run(self, model: ModelConfig, seed: int) -> Session:
        """A new run of another architecture (or data, or seed), from scratch, with the current settings."""
        session = Session(self.session.config.changed(seed=seed), **asdict(model))
        session.run_id = self._take_id()
        self._attach(session)
        return self._add(session)

    def close(self) -> None:
        """Close the current run (the last one stays); the one before it becomes current."""
        if len(self.runs) == 1:
            raise ValueError("the only run cannot be closed")
        self._end(self.runs.pop(self.current))
        self.current = max(self.current - 1, 0)

    def cycle(self) -> Session:
        self.current = (self.current + 1) % len(self.runs)
        return self.session

    def step(self) -> list[tuple[Session, StepEvent]]:
        """One step of every run, in turns."""
        return [(session, session.step()) for session in list(self.runs)]

    def labels(self) -> list[str]:
        """What tells each run apart, for the charts' legend: `lr=0.003`, `lstm:64`, or else its number."""
        settings = [{**asdict(s.model), **asdict(s.config)} for s in self.runs]
        differing = [k for k in settings[0] if len({repr(x[k]) for x in settings}) > 1][:2]
        return [", ".join(f"{x[k]}" if k in ("data", "layers") else f"{k}={x[k]}" for k in differing)
                or f"run {s.run_id}" for x, s in zip(settings, self.runs, strict=True)]

    def _add(self, session: Session) -> Session:
        if len(self.runs) >= MAX_RUNS:
            raise ValueError(f"at most {MAX_RUNS} runs: close one first (x)")
        self.runs.append(session)
        self.current = len(self.runs) - 1
        return session

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    # --- record and export --------------------------------------------------------
    def record(self, path, blas_threads: int | None = None) -> None:
        """Write down from now on what is done to every run. A run that has trained already starts from a
        checkpoint saved beside the record, so that the record replays to the same weights."""
        self.recorder = Recorder(path, blas_threads)
        for session in self.runs:
            self._attach(session)

    def _attach(self, session: Session) -> None:
        session.recorder = self.recorder
        if self.recorder is None:
            return
        session.note("start", **session.start())
        if session.has_trained:
            saved = Path(self.recorder.path).with_suffix(f".run{session.run_id}.npz")
            save(saved, session.net, session.trainer)
            session.note("load", path=str(saved.resolve()), sha256=_sha256(saved))

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
        """One row per charted point of every run: run, step, cost, eval cost, accuracy, lr, marker.
        Returns the rows written."""
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_COLUMNS)
            rows = sum(_write_run(writer, label, s) for label, s in zip(self.labels(), self.runs, strict=True))
        return rows


def _write_run(writer, label: str, session: Session) -> int:
    view = session.history.snapshot()
    evals = dict(zip(view.eval_steps, zip(view.eval_cost, view.eval_accuracy, strict=True), strict=True))
    markers = dict(view.markers)
    steps = sorted(set(view.steps) | set(evals) | set(markers))
    cost = dict(zip(view.steps, zip(view.loss, view.lr, strict=True), strict=True))
    for step in steps:
        (loss, lr), (eval_cost, accuracy) = cost.get(step, ("", "")), evals.get(step, ("", ""))
        writer.writerow([label, _number(step), loss, eval_cost, accuracy, lr, markers.get(step, "")])
    return len(steps)


def _number(step: float):
    return int(step) if float(step).is_integer() else step


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
