"""Redo a recorded session: each run trained to an event's step, then the event applied (see record.py)."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import datasets
from .checkpoint import CheckpointError, load
from .config import ModelConfig, TrainConfig
from .layers import Embedding
from .network import Network
from .record import RecordError, digest, read
from .spec import parse_layers
from .trainer import Trainer


@dataclass
class Replay:
    trainers: dict = field(default_factory=dict)  # run -> Trainer, as the record left it
    starts: dict = field(default_factory=dict)  # run -> its start event: the data and model it was built from
    drifts: list = field(default_factory=list)  # (run, step) where the weights' digest differed from the record's
    blas_threads: int | None = None  # what the recording machine used


def replay(path, on_step: Callable | None = None, on_drift: Callable | None = None) -> Replay:
    """Redo the record at `path`. `on_step(run, event)` sees every training step; `on_drift(run, step)` each
    digest that differs from the record's (another machine's BLAS may round differently): the replay goes on."""
    header, events = read(path)
    done = Replay(blas_threads=header["blas_threads"])
    for number, event in enumerate(events, 2):
        try:
            _apply(done, event, on_step or (lambda run, e: None), on_drift or (lambda run, step: None))
        except (RecordError, ValueError, KeyError, TypeError, CheckpointError) as e:
            raise RecordError(f"{path}:{number}: cannot replay this {event['event']} event: {e}") from None
    return done


def _apply(done: Replay, event: dict, on_step, on_drift) -> None:
    kind, run, step = event["event"], event["run"], event["step"]
    if kind == "start":
        done.starts[run], done.trainers[run] = event, _build(event, TrainConfig.from_dict(event["config"]))
    elif kind == "fork":
        parent = _trained(done, event["parent"], step, on_step)
        done.starts[run], done.trainers[run] = done.starts[event["parent"]], _fork(parent)
    else:
        trainer = _trained(done, run, step, on_step)
        if kind == "configure":
            trainer.configure(**event["changes"])
        elif kind == "rollback":
            trainer.rollback()
        elif kind == "reset":
            done.trainers[run] = _build(done.starts[run], trainer.config)
        elif kind == "load":
            done.trainers[run] = _loaded(event, trainer)
        elif kind in ("checksum", "end") and digest(trainer.net.params) != event["sha256"]:
            done.drifts.append((run, step))
            on_drift(run, step)


def _trained(done: Replay, run: int, step: int, on_step) -> Trainer:
    """Run `run` trained up to `step`."""
    trainer = done.trainers.get(run)
    if trainer is None:
        raise RecordError(f"run {run} has no start event before it")
    if trainer.step > step:
        raise RecordError(f"run {run} is at step {trainer.step} already, past the event's step {step}")
    while trainer.step < step:
        on_step(run, trainer.train_step())
    return trainer


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
    """The checkpoint the session loaded, if it is still the same file."""
    path = Path(event["path"])
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != event["sha256"]:
        raise RecordError(f"the checkpoint {path} it loaded is gone or has changed")
    saved = load(path)
    return Trainer(saved.net, trainer.data, TrainConfig.from_dict(asdict(trainer.config)), state=saved.trainer_state)
