"""Checkpoints: one .npz of arrays plus a JSON header. No pickle, written atomically (files.py)."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import numpy as np

from . import files
from .archive import Archive, ArchiveError
from .config import MAX_BATCH, TrainConfig
from .header import FieldError, checked_history, checked_network, checked_source, checked_trainer, checked_vocab, shown
from .layers import MAX_SIZE
from .network import Network
from .optim import make_optimizer, scheduled_lr
from .stack import MAX_LAYERS
from .vocab import Vocab

FORMAT = "rnncore-checkpoint"
VERSION = 1
HISTORY_COLUMNS = {"cost": 4, "eval": 4}  # (step, cost, smoothed cost, lr), (step, accuracy, eval cost, memory use)


class CheckpointError(Exception):
    """A file that is not a usable checkpoint; the message says why."""


@dataclass
class Checkpoint:
    net: Network
    vocab: Vocab
    trainer_state: dict | None  # for Trainer(..., state=...), None if saved without a trainer
    header: dict
    data: dict | None  # the data it was trained on, as a Dataset.source (datasets.from_source makes it again)
    history: dict | None = None  # the app's charts: {"cost", "eval", "start", "markers"} (see `save`), None if none

    @property
    def config(self) -> TrainConfig | None:
        return TrainConfig.from_dict(self.trainer_state["config"]) if self.trainer_state else None


def save(path, net, trainer=None, vocab=None, data=None, history=None):
    """Write `net` (and the trainer's state, to resume) to `path` through files.write_output: the old file
    survives a failed save, a symlink or anything but a regular file is refused before anything is written.
    The data it was trained on is recorded by its source (`data`, or the trainer's data). `history`, if given,
    is the app's charts: {"cost": (N, 4) float64 of step, cost, smoothed cost, lr; "eval": (M, 4) float64 of
    step, accuracy, eval cost, memory use (NaN: none); "start": the step they start from;
    "markers": [(step, label)]}."""
    vocab = vocab or (trainer.data.vocab if trainer else Vocab([str(i) for i in range(net.vocab_size)]))
    arrays = {f"param/{k}": v for k, v in net.params.items()}
    data = data if data is not None else trainer.data if trainer else None
    header = {"format": FORMAT, "version": VERSION, "network": net.spec(), "vocab": vocab.spec(), "trainer": None,
              "data": data.source if data is not None else None}
    if trainer is not None:
        state = trainer.state_dict()
        arrays.update({f"trainer/{k}": v for k, v in state.pop("arrays").items()})
        header["trainer"] = state
    if history is not None:
        header["history"], charts = _history_header(history)
        arrays.update(charts)
    arrays["header"] = np.frombuffer(json.dumps(header, default=_plain).encode(), np.uint8)
    with _refused():
        files.write_output(path, "checkpoint", lambda f: np.savez(f, **arrays))


def check_can_save(path) -> None:
    """Raise what `save(path, ...)` would, as far as the place goes, without writing a checkpoint (a probe file
    is made beside it and removed: a read-only directory is caught even for root)."""
    with _refused():
        files.plan_output(path, "checkpoint")


@contextmanager
def _refused():
    try:
        yield
    except files.FileError as e:
        raise CheckpointError(str(e)) from None


def _history_header(history: dict) -> tuple[dict, dict]:
    """The header's "history" field and the two arrays, checked as a load checks them."""
    charts = {f"history/{k}": np.asarray(history[k], np.float64) for k in HISTORY_COLUMNS}
    field = {"cost": len(charts["history/cost"]), "eval": len(charts["history/eval"]), "start": history["start"],
             "markers": [[step, label] for step, label in history["markers"]]}
    checked_history(field)
    fault = _history_fault(field, charts)
    if fault:
        raise ValueError(fault)
    return field, charts


def load(path) -> Checkpoint:
    with _refused(), files.open_input(path, "checkpoint") as file:
        with _archive_errors(path):
            archive = Archive(file)
            header = _header(path, archive.header())
        with _fields_of(path):
            shapes = checked_network(header.get("network"))
            state = checked_trainer(header.get("trainer"))
            history = checked_history(header.get("history"))
        layout = _layout(shapes, state, history)
        with _archive_errors(path):  # before any weight is drawn: a forged header can't make us build a huge net
            arrays = archive.arrays(layout, _member_name, partial(_unknown, archive.members.keys() - layout.keys(),
                                                                  state))
    _check_params(path, shapes, arrays)
    with _fields_of(path):
        vocab = checked_vocab(header.get("vocab"), header["network"]["vocab_size"])
        data = checked_source(header.get("data"))
    fault = _history_fault(history, arrays)
    if fault:
        raise CheckpointError(f"{path}: {fault}")
    net = Network.from_spec(header["network"])
    for name, param in net.params.items():
        param[...] = arrays[f"param/{name}"]
    charts = None if history is None else {**history, "cost": arrays["history/cost"], "eval": arrays["history/eval"],
                                          "markers": [tuple(marker) for marker in history["markers"]]}
    return Checkpoint(net, vocab, _trainer_state(path, state, arrays, net), header, data, charts)


def _layout(shapes: dict, state: dict | None, history: dict | None) -> dict:
    """The shape (or a test of it) of every array a checkpoint with this header may hold, by member name."""
    layout = {f"param/{name}": shape for name, shape in shapes.items()}
    if state is not None:
        kept = make_optimizer(state["optimizer"]).state_layout(shapes)
        if state["optimizer"] == "sgd":  # before PyTorch's convention, SGD kept its velocity under each name
            kept = {**kept, **{name: (shape, 0) for name, shape in shapes.items()}}
        layout.update({f"trainer/optimizer/{key}": shape for key, (shape, _) in kept.items()})
        carried = lambda shape: len(shape) == 2 and 1 <= shape[0] <= MAX_BATCH and 1 <= shape[1] <= 2 * MAX_SIZE  # noqa: E731
        layout.update({f"trainer/hidden/{i}": carried for i in range(MAX_LAYERS)})
    if history is not None:
        layout.update({f"history/{k}": (history[k], columns) for k, columns in HISTORY_COLUMNS.items()})
    return layout


def _unknown(extra: set, state: dict | None, member: str) -> str:
    """Why `member`, one of the `extra` members a checkpoint with this header has no place for, is refused."""
    if member.startswith("param/"):
        return f"parameters the architecture does not have: {', '.join(sorted(m for m in extra if 'param/' in m))}"
    if member.startswith("trainer/optimizer/") and state is not None:
        return f"{_member_name(member)} is not kept by {state['optimizer']}"
    return f"member {member} is not part of an rnncore checkpoint with this header"


def _member_name(member: str) -> str:
    """A member as a message names it: `parameter out.b`, `optimizer state t`."""
    for prefix, name in (("param/", "parameter "), ("trainer/optimizer/", "optimizer state "),
                         ("trainer/hidden/", "carried hidden state ")):
        if member.startswith(prefix):
            return name + member[len(prefix):]
    return member


@contextmanager
def _archive_errors(path):
    try:
        yield
    except ArchiveError as e:
        raise CheckpointError(f"{path}: {e}") from None


@contextmanager
def _fields_of(path):
    try:
        yield
    except FieldError as e:
        raise CheckpointError(f"{path}: {e}") from None


def _plain(value):
    """JSON for the NumPy scalars a config or spec may hold (np.int64(8) -> 8)."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot save a {type(value).__name__} in a checkpoint header")


def _header(path, raw):
    if raw is None:
        raise CheckpointError(f"{path}: no header, so not an rnncore checkpoint")
    try:
        header = json.loads(raw.decode())
    except (ValueError, RecursionError):  # not UTF-8, not JSON, an integer of 4300 digits, arrays nested too deep
        raise CheckpointError(f"{path}: the header is not valid JSON") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an rnncore checkpoint")
    version = header.get("version")
    if type(version) is not int or version != VERSION:
        raise CheckpointError(f"{path}: format version {shown(version)}; this rnncore reads version {VERSION}")
    return header


def _check_params(path, shapes, arrays):
    for name in shapes:
        saved = arrays.get(f"param/{name}")
        if saved is None:
            raise CheckpointError(f"{path}: parameter {name} is missing")
        if not np.isfinite(saved).all():
            raise CheckpointError(f"{path}: parameter {name} holds NaN or infinite values")


def _history_fault(history: dict | None, arrays: dict) -> str | None:
    """What is wrong with the charts' arrays, if anything: each step must be finite and non-negative, each figure
    finite (an eval cost or an accuracy where memory matters may be NaN: none)."""
    for key in HISTORY_COLUMNS if history is not None else ():
        values = arrays.get(f"history/{key}")
        if values is None:
            return f"history/{key} is missing"
        steps, figures = values[:, 0], values[:, 1:]
        fine = np.isfinite(figures).all() if key == "cost" else \
            np.isfinite(figures[:, 0]).all() and not np.isinf(figures[:, 1:]).any()
        if not (fine and np.isfinite(steps).all() and (steps >= 0).all()):
            return f"history/{key} holds a negative or non-finite step or figure"
    return None


def _trainer_state(path, state, arrays, net):
    shapes = {name: p.shape for name, p in net.params.items()}
    if state is None:
        return None
    saved = {k[len("trainer/"):]: v for k, v in arrays.items() if k.startswith("trainer/")}
    optimizer = {k[len("optimizer/"):]: v for k, v in saved.items() if k.startswith("optimizer/")}
    if state["optimizer"] == "sgd":
        optimizer = _torch_velocity(optimizer, state, shapes)
    _check_optimizer(path, state["optimizer"], optimizer, shapes)
    hidden = {k: v for k, v in saved.items() if k.startswith("hidden/")}
    _check_hidden(path, hidden, net.state_sizes())
    return {**state, "arrays": {**{f"optimizer/{k}": v for k, v in optimizer.items()}, **hidden}}


def _torch_velocity(velocity, state, shapes):
    """SGD's momentum kept v = mu*v - lr*g under the parameter's own name before it took PyTorch's
    v = mu*v + g (under velocity/<name>); an old one is converted with the lr of its last step,
    exactly when that lr was constant (at lr 0 nothing can be recovered: momentum starts afresh)."""
    old = velocity.keys() & shapes.keys()
    if not old:
        return velocity
    cfg = TrainConfig.from_dict(state["config"])
    lr = scheduled_lr(cfg.lr, cfg.schedule, state["step"], cfg.decay_steps)  # the old count started at 1
    converted = {f"velocity/{k}": -velocity[k] / lr for k in old} if lr > 0 else {}
    return {**{k: v for k, v in velocity.items() if k not in old}, **converted}


def _check_optimizer(path, name, state, shapes):
    """Only arrays the optimizer keeps, in their range (Adam's v >= 0...), and all of them: an optimizer's state
    is saved whole, or as a fresh one has it (before its first step)."""
    optimizer = make_optimizer(name)
    layout = optimizer.state_layout(shapes)
    for key, value in sorted(state.items()):
        if key not in layout:
            raise CheckpointError(f"{path}: optimizer state {key} is not kept by {name}")
        least = layout[key][1]
        if not (np.isfinite(value).all() and (value >= least).all()):
            raise CheckpointError(f"{path}: optimizer state {key} holds values out of range (NaN, inf or < {least})")
    if state.keys() not in (layout.keys(), optimizer.state.keys()):
        missing = sorted((layout.keys() if state else optimizer.state.keys()) - state.keys())
        raise CheckpointError(f"{path}: optimizer state {missing[0]} is missing; {name}'s state is saved whole")


def _check_hidden(path, arrays, sizes):
    """The carried hidden states, if any: one (B, H) array per recurrent layer, one B for all."""
    hidden = {k: v for k, v in arrays.items() if k.startswith("hidden/")}
    if not hidden:
        return
    expected = {f"hidden/{i}": h for i, h in enumerate(sizes)}
    rows = {v.shape[0] if v.ndim else None for v in hidden.values()}
    shapes_ok = all(v.ndim == 2 and v.shape[1] == expected.get(k) for k, v in hidden.items())
    if hidden.keys() != expected.keys() or not shapes_ok or len(rows) != 1:
        shapes = {k: v.shape for k, v in sorted(hidden.items())}
        raise CheckpointError(f"{path}: the carried hidden states {shapes} do not fit recurrent sizes {sizes}")
