"""Redo a recorded session: each run trained to an event's step, then the event applied (see record.py)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import datasets
from .checkpoint import CheckpointError, load
from .config import ModelConfig, TrainConfig
from .layers import Embedding
from .network import Network
from .record import RecordError, digest, read
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
    show a replay at any pace; `replay()` runs it to the end."""

    def __init__(self, path):
        self.path = path
        self.header, self.events = read(path)
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
        trainer = self.trainers.get(run)
        if trainer is None:
            raise RecordError(f"run {run} has no start event before it")
        if trainer.step > event["step"]:
            raise RecordError(f"run {run} is at step {trainer.step} already, past the event's step {event['step']}")
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
    path = Path(event["path"])
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != event["sha256"]:
        raise RecordError(f"the checkpoint {path} it loaded is gone or has changed")
    saved = load(path)
    data = datasets.from_source(saved.data) if saved.data else trainer.data
    return Trainer(saved.net, data, trainer.config, state=saved.trainer_state)
