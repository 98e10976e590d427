"""Checkpoints: one .npz of arrays plus a JSON header. No pickle, written atomically."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .datasets import DIGITS, UNKNOWN
from .network import Network
from .optim import OPTIMIZERS
from .vocab import Vocab

FORMAT = "rnncore-checkpoint"
VERSION = 1
ZIP_MAGIC = b"PK\x03\x04"  # every .npz is a zip archive


class CheckpointError(Exception):
    """A file that is not a usable checkpoint; the message says why."""


@dataclass
class Checkpoint:
    net: Network
    vocab: Vocab
    trainer_state: dict | None  # for Trainer(..., state=...), None if saved without a trainer
    header: dict

    @property
    def config(self) -> TrainConfig | None:
        return TrainConfig.from_dict(self.trainer_state["config"]) if self.trainer_state else None


def save(path, net, trainer=None, vocab=None):
    """Write `net` (and the trainer's state, to resume) to `path`; the old file survives a failed save."""
    path = Path(path)
    vocab = vocab or (trainer.data.vocab if trainer else Vocab([str(i) for i in range(net.vocab_size)]))
    arrays = {f"param/{k}": v for k, v in net.params.items()}
    header = {"format": FORMAT, "version": VERSION, "network": net.spec(), "vocab": vocab.spec(), "trainer": None}
    if trainer is not None:
        state = trainer.state_dict()
        arrays.update({f"trainer/{k}": v for k, v in state.pop("arrays").items()})
        header["trainer"] = state
    arrays["header"] = np.frombuffer(json.dumps(header, default=_plain).encode(), np.uint8)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load(path) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    arrays = _read_arrays(path)
    header = _header(path, arrays.pop("header", None))
    try:
        shapes = Network.param_shapes(header["network"])
        vocab = _vocab(header["vocab"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: the header's architecture is invalid ({e})") from None
    _check_params(path, shapes, arrays)  # before any weight is drawn: a forged header can't make us build a huge net
    net = Network.from_spec(header["network"])
    if len(vocab) != net.vocab_size:
        raise CheckpointError(f"{path}: {len(vocab)} symbols for a vocabulary of {net.vocab_size}")
    for name, param in net.params.items():
        param[...] = arrays[f"param/{name}"]
    return Checkpoint(net, vocab, _trainer_state(path, header, arrays, net), header)


def _vocab(saved) -> Vocab:
    """Version 1 files before the vocabulary had a separator hold a list: the digits, or a text's characters."""
    if isinstance(saved, dict):
        return Vocab(**saved)
    if saved == list(DIGITS):
        return Vocab(saved)
    return Vocab(saved, separator="", unknown=UNKNOWN if UNKNOWN in saved else None)


def _plain(value):
    """JSON for the NumPy scalars a config or spec may hold (np.int64(8) -> 8)."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot save a {type(value).__name__} in a checkpoint header")


def _read_arrays(path) -> dict:
    try:
        with open(path, "rb") as f:
            magic = f.read(len(ZIP_MAGIC))
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read it ({e.strerror})") from None
    if not magic:
        raise CheckpointError(f"{path}: the file is empty")
    if magic != ZIP_MAGIC:
        raise CheckpointError(f"{path}: not an .npz archive, so not an rnncore checkpoint")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as e:
        if "pickle" in str(e):
            raise CheckpointError(f"{path}: holds pickled objects, which are never loaded") from None
        raise CheckpointError(f"{path}: not a readable checkpoint (corrupt: {e})") from None
    except Exception as e:  # zipfile and numpy raise many kinds of error on a damaged archive
        raise CheckpointError(f"{path}: not a readable checkpoint (truncated or corrupt: {e})") from None
    raw = sorted(k for k, v in arrays.items() if not isinstance(v, np.ndarray))
    if raw:
        raise CheckpointError(f"{path}: member {raw[0]} is not a NumPy array, so not an rnncore checkpoint")
    return arrays


def _header(path, raw):
    if raw is None:
        raise CheckpointError(f"{path}: no header, so not an rnncore checkpoint")
    try:
        header = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"{path}: the header is not valid JSON") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an rnncore checkpoint")
    if header.get("version") != VERSION:
        raise CheckpointError(f"{path}: format version {header.get('version')!r}; this rnncore reads version {VERSION}")
    return header


def _check_params(path, shapes, arrays):
    for name, shape in shapes.items():
        saved = arrays.get(f"param/{name}")
        if saved is None:
            raise CheckpointError(f"{path}: parameter {name} is missing")
        if saved.shape != shape or saved.dtype.kind != "f":
            raise CheckpointError(f"{path}: parameter {name} is {saved.dtype}{saved.shape}, expected {shape}")
        if not np.isfinite(saved).all():
            raise CheckpointError(f"{path}: parameter {name} holds NaN or infinite values")
    extra = sorted(k for k in arrays if k.startswith("param/") and k[6:] not in shapes)
    if extra:
        raise CheckpointError(f"{path}: parameters the architecture does not have: {', '.join(extra)}")


def _trainer_state(path, header, arrays, net):
    state = header.get("trainer")
    if state is None:
        return None
    try:
        state = _checked_state(state)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: the saved training state is invalid ({e})") from None
    state["arrays"] = {k[len("trainer/"):]: v for k, v in arrays.items() if k.startswith("trainer/")}
    for key, value in state["arrays"].items():
        if value.dtype.kind != "f":
            raise CheckpointError(f"{path}: training state {key} is {value.dtype}, not floating point")
        param = net.params.get(key.rsplit("/", 1)[-1])
        if param is not None and value.shape != param.shape:
            raise CheckpointError(f"{path}: optimizer state {key} does not match its parameter's shape")
    _check_hidden(path, state["arrays"], net.state_sizes())
    return state


def _checked_state(state):
    if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
        raise TypeError("it needs a config dict")
    TrainConfig.from_dict(state["config"])
    if state["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {state['optimizer']!r}")
    counters = {k: state[k] for k in ("step", "epoch", "chunk")}
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counters.values()):
        raise ValueError(f"step, epoch and chunk must be integers of at least 0, got {counters}")
    return {**state, **counters}


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
