"""Checkpoints: one .npz of arrays plus a JSON header. No pickle, written atomically."""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .datasets import Vocab
from .network import Network
from .trainer import TrainConfig

FORMAT = "rnncore-checkpoint"
VERSION = 1


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
    header = {"format": FORMAT, "version": VERSION, "network": net.spec(), "vocab": vocab.symbols, "trainer": None}
    if trainer is not None:
        state = trainer.state_dict()
        arrays.update({f"trainer/{k}": v for k, v in state.pop("arrays").items()})
        header["trainer"] = state
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
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
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as e:
        kind = "holds pickled objects, which are never loaded" if "pickle" in str(e) else "is not an .npz archive"
        raise CheckpointError(f"{path}: {kind}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise CheckpointError(f"{path}: not a readable checkpoint (empty, truncated or corrupt: {e})") from None
    header = _header(path, arrays.pop("header", None))
    try:
        net = Network.from_spec(header["network"])
        vocab = Vocab(header["vocab"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: the header's architecture is invalid ({e})") from None
    if len(vocab) != net.vocab_size:
        raise CheckpointError(f"{path}: {len(vocab)} symbols for a vocabulary of {net.vocab_size}")
    _fill_params(path, net, arrays)
    return Checkpoint(net, vocab, _trainer_state(path, header, arrays, net), header)


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


def _fill_params(path, net, arrays):
    for name, param in net.params.items():
        saved = arrays.get(f"param/{name}")
        if saved is None:
            raise CheckpointError(f"{path}: parameter {name} is missing")
        if saved.shape != param.shape or saved.dtype.kind != "f":
            raise CheckpointError(f"{path}: parameter {name} is {saved.dtype}{saved.shape}, expected {param.shape}")
        if not np.isfinite(saved).all():
            raise CheckpointError(f"{path}: parameter {name} holds NaN or infinite values")
        param[...] = saved
    extra = sorted(k for k in arrays if k.startswith("param/") and k[6:] not in net.params)
    if extra:
        raise CheckpointError(f"{path}: parameters the architecture does not have: {', '.join(extra)}")


def _trainer_state(path, header, arrays, net):
    state = header.get("trainer")
    if state is None:
        return None
    try:
        TrainConfig.from_dict(state["config"])
        state = {**state, "step": int(state["step"]), "epoch": int(state["epoch"]), "chunk": int(state["chunk"])}
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path}: the saved training state is invalid ({e})") from None
    state["arrays"] = {k[len("trainer/"):]: v for k, v in arrays.items() if k.startswith("trainer/")}
    for key, value in state["arrays"].items():
        param = net.params.get(key.rsplit("/", 1)[-1])
        if param is not None and value.shape != param.shape:
            raise CheckpointError(f"{path}: optimizer state {key} does not match its parameter's shape")
    return state
