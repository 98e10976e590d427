"""A replay's runs (rnnviz --replay): a Lab whose runs follow a record, one training step at a time. No Textual."""
from __future__ import annotations

from rnncore import StepEvent
from rnncore.record import RecordError
from rnncore.replay import Replayer, threads_to_use
from rnncore.threads import set_blas_threads

from .forgetting import GradientWatch
from .lab import MAX_RUNS, Lab
from .session import Session

REPLAY_IS_A_RECORD = "a replay is not recorded: it is a record already (rnncore replay --save keeps its weights)"


class ReplayLab(Lab):
    """A Lab whose runs follow a record: each `step()` is one training step of the record's next run, the
    events before it applied on the way (rnnviz --replay)."""

    def __init__(self, replayer: Replayer):
        if replayer.most_runs > MAX_RUNS:
            raise ValueError(f"{replayer.path}: {replayer.most_runs} runs at once; the app shows at most {MAX_RUNS} "
                             "(rnncore replay redoes it)")
        self.runs, self.current, self.recorder, self.discarded = [], 0, None, None
        self.replayer, self._steps, self.drifts = replayer, replayer.steps(), []
        self.error: str | None = None  # why the replay stopped before the end of its record
        self.gradients = GradientWatch()
        threads, self.fewer_threads = threads_to_use(replayer.header)
        if threads:  # the threads it was recorded with: the same sums, bit for bit
            set_blas_threads(threads)
        self.by_run: dict[int, Session] = {}
        self._closed: list[Session] = []  # runs whose end event has come: closed, unless the record ends there
        self._advance()  # a record's first event starts its first run

    def step(self) -> list[tuple[Session, StepEvent]]:
        """The next training step of the record ([] once it has ended, or stopped on an event it cannot replay:
        `error` says why, naming the line)."""
        try:
            while (done := self._advance()) is not None:
                if done.step is not None:
                    session = self.by_run[done.run]
                    session.took(done.step)
                    return [(session, done.step)]
        except RecordError as e:
            self.error = str(e)
        return []

    def record(self, path, blas_threads: int | None = None) -> None:
        raise ValueError(REPLAY_IS_A_RECORD)

    def _advance(self):
        done = next(self._steps, None)
        if done is not None and done.event is not None:
            self._follow(done)
        return done

    def _follow(self, done) -> None:
        """An event of the record, shown: a run's new trainer, a marker on its charts, a drift noted."""
        kind, old = done.event["event"], self.by_run.get(done.run)
        if kind != "end":
            self._drop_closed()
        if kind in ("start", "fork", "reset", "load"):
            fresh = Session.around(done.trainer, run_id=done.run)
            if kind == "fork":
                fresh.history = self.by_run[done.event["parent"]].history.copy()
            self.by_run[done.run] = fresh
            if old in self.runs:
                fresh.color = old.color
                self.runs[self.runs.index(old)] = fresh
            else:
                self._paint(fresh)
                self.runs.append(fresh)
        elif kind in ("configure", "rollback"):
            old.history.mark(done.trainer.step, _marker(done.event, done.trainer))
        elif kind == "end":
            self._closed.append(old)
        if done.drifted:
            self.drifts.append((done.run, done.event["step"]))

    def _drop_closed(self) -> None:
        """Runs ended before the record goes on were closed in the session (x): they leave the screen, as they did.
        The runs ended at the end of the record (the session quit) stay."""
        for session in self._closed:
            if session in self.runs and len(self.runs) > 1:
                self.runs.remove(session)
        self._closed, self.current = [], min(self.current, len(self.runs) - 1)


def _marker(event: dict, trainer) -> str:
    """The label the live run put on its charts for this event (Session.rollback, Session._use_wanted)."""
    if event["event"] == "rollback":
        return f"rollback to {trainer.last_good[0]}"
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in event["changes"].items())
