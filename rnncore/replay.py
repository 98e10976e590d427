"""Redo a recorded session: each run trained to an event's step, then the event applied (see record.py)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import datasets, files
from .checkpoint import CheckpointError, load
from .config import ModelConfig, SettingError, TrainConfig
from .header import FieldError, checked_source
from .layers import Embedding
from .network import Network
from .record import CHECKSUM_EVERY, RecordError, digest, read
from .spec import parse_layers
from .trainer import StepEvent, Trainer


@dataclass(frozen=True)
class Replayed:
    """What one replayed event did, or one training step on the way to it."""

    run: int
    trainer: Trainer  # the run's trainer after it (a new one after start, fork, reset and load)
    event: dict | None  # the record's event, None for a training step
    step: StepEvent | None = None  # the training step, None for an event
    drifted: bool = False  # a checksum or end event whose digest differs from the weights'


class Replayer:
    """Steps through a record one training step or one event at a time (`steps()`), so that an app can
    show a replay at any pace; `replay()` runs it to the end. What can be known of a record without training
    (each event's fields and settings, which runs exist, the order of steps) is checked when it is read."""

    def __init__(self, path):
        self.path = path
        self.header, self.events = read(path)
        self.most_runs = _check_plan(path, self.events)  # the most runs alive at once
        self.trainers: dict[int, Trainer] = {}
        self.starts: dict[int, dict] = {}  # run -> the start event it was built from: its data and model

    def steps(self) -> Iterator[Replayed]:
        for number, event in enumerate(self.events, 2):
            try:
                yield from self._catch_up(event)
                yield self._apply(event)
            except (RecordError, ValueError, KeyError, TypeError, CheckpointError) as e:
                raise RecordError(f"{self.path}:{number}: cannot replay this {event['event']} event: {e}") from None

    def _catch_up(self, event: dict) -> Iterator[Replayed]:
        """Train the run the event is about (a fork: its parent) up to the event's step."""
        if event["event"] == "start":
            return
        run = event["parent"] if event["event"] == "fork" else event["run"]
        trainer = self.trainers[run]
        _check_step(run, trainer.step, event)
        while trainer.step < event["step"]:
            yield Replayed(run, trainer, None, trainer.train_step())

    def _apply(self, event: dict) -> Replayed:
        kind, run = event["event"], event["run"]
        trainer, drifted = self.trainers.get(run), False
        if kind == "start":
            self.starts[run], trainer = event, _build(event, TrainConfig.from_dict(event["config"]))
        elif kind == "fork":
            self.starts[run], trainer = self.starts[event["parent"]], _fork(self.trainers[event["parent"]])
        elif kind == "configure":
            trainer.configure(**event["changes"])
        elif kind == "rollback":
            trainer.rollback()
        elif kind == "reset":
            trainer = _build(self.starts[run], trainer.config)
        elif kind == "load":
            trainer = _loaded(event, trainer)
        elif kind in ("checksum", "end"):
            drifted = digest(trainer.net.params) != event["sha256"]
        self.trainers[run] = trainer
        return Replayed(run, trainer, event, drifted=drifted)


def replay(path, on_drift: Callable[[int, int], None] | None = None) -> Replayer:
    """Redo the whole record; `on_drift(run, step)` hears of each digest that differs from the record's
    (another machine's BLAS may round differently), and the replay goes on."""
    replayer = Replayer(path)
    for done in replayer.steps():
        if done.drifted and on_drift is not None:
            on_drift(done.run, done.event["step"])
    return replayer


def threads_to_use(header: dict) -> tuple[int | None, str]:
    """The BLAS threads to replay on (the record's, at most this machine's cores; None: as they are) and, if
    fewer than the record's, what to say."""
    asked = header["blas_threads"]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if asked is None or asked <= cores:
        return asked, ""
    return cores, (f"the record was made on {asked} BLAS threads; this machine has {cores} core(s), so it replays "
                   f"on {cores} (its weights may drift from the record's)")


def _check_plan(path, events: list[dict]) -> int:
    """RecordError (file:line) for the first event that cannot be replayed whatever the training does: a setting
    or a start's data or model that is no such thing, an event of a run not started or ended, a step out of
    order or past a missing checksum. Returns the most runs alive at once."""
    steps: dict[int, int | None] = {}  # run alive -> its step, None once unknown until trained (after a load)
    most = 0
    for number, event in enumerate(events, 2):
        try:
            _check_event(event, steps)
        except (RecordError, SettingError, TypeError, ValueError) as e:
            raise RecordError(f"{path}:{number}: cannot replay this {event['event']} event: {e}") from None
        most = max(most, len(steps))
    return most


def _check_event(event: dict, steps: dict) -> None:
    kind, run = event["event"], event["run"]
    if kind == "start":
        _check_start(event)
        steps[run] = 0
        return
    source = event["parent"] if kind == "fork" else run
    if source not in steps:
        raise RecordError(f"run {source} has no start event before it, or it has ended")
    if steps[source] is not None:
        _check_step(source, steps[source], event)
        steps[source] = event["step"]
    if kind == "fork":
        if run in steps:
            raise RecordError(f"run {run} is still running; a fork starts a new run")
        steps[run] = event["step"] if steps[source] is not None else None
    elif kind == "configure":
        TrainConfig().changed(**event["changes"])  # each setting checked alone, whatever the run's other ones
    elif kind in ("reset", "load"):
        steps[run] = 0 if kind == "reset" else None  # a checkpoint brings its own step
    elif kind == "end":
        del steps[run]


def _check_start(event: dict) -> None:
    try:
        checked_source(event["data"])
    except FieldError as e:
        raise RecordError(f"field {e.field!r} {e.why}") from None
    ModelConfig.from_dict(event["model"])
    TrainConfig.from_dict(event["config"])


def _check_step(run: int, at: int, event: dict) -> None:
    """A run at step `at` trains to the event's step: never back, and never past a multiple of CHECKSUM_EVERY
    without its checksum (a record has one every CHECKSUM_EVERY steps), so a record asks only for the steps
    its events need."""
    to, due = event["step"], (at // CHECKSUM_EVERY + 1) * CHECKSUM_EVERY
    if to < at:
        raise RecordError(f"run {run} is at step {at} already, past the event's step {to}")
    if to > due or (to == due and (event["event"], event["run"]) != ("checksum", run)):
        raise RecordError(f"run {run} would train from step {at} to {to} without the checksum of step {due} "
                          f"(a record has one every {CHECKSUM_EVERY} steps)")


def _build(start: dict, config: TrainConfig) -> Trainer:
    data = datasets.from_source(start["data"])
    model = ModelConfig.from_dict(start["model"])
    net = Network(len(data.vocab), [Embedding(model.embed), *parse_layers(model.layers)], seed=config.seed,
                  dtype=config.dtype)
    return Trainer(net, data, config)


def _fork(parent: Trainer) -> Trainer:
    net = Network.from_spec(parent.net.spec())
    for name, array in parent.net.params.items():
        net.params[name][...] = array
    return Trainer(net, parent.data, parent.config, state=parent.state_dict())


def _loaded(event: dict, trainer: Trainer) -> Trainer:
    """The checkpoint the session loaded, if it is still the same file, with the data it names."""
    if files.digest(event["path"], "checkpoint") != event["sha256"]:
        raise RecordError(f"the checkpoint {event['path']} it loaded has changed")
    saved = load(event["path"])
    data = datasets.from_source(saved.data) if saved.data else trainer.data
    return Trainer(saved.net, data, trainer.config, state=saved.trainer_state)
