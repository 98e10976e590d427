"""Checkpoints: one .npz of arrays plus a JSON header. No pickle, written atomically."""
from __future__ import annotations

import json
import os
import secrets
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .header import FieldError, checked_network, checked_source, checked_trainer, checked_vocab, shown
from .network import Network
from .optim import make_optimizer, scheduled_lr
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
    data: dict | None  # the data it was trained on, as a Dataset.source (datasets.from_source makes it again)

    @property
    def config(self) -> TrainConfig | None:
        return TrainConfig.from_dict(self.trainer_state["config"]) if self.trainer_state else None


def save(path, net, trainer=None, vocab=None, data=None):
    """Write `net` (and the trainer's state, to resume) to `path`; the old file survives a failed save.

    A symlink is written through, to its target. Anything but a regular file or a new path (a device
    such as /dev/null, a FIFO, a directory) is refused before anything is written. A new file gets the
    mode the umask gives, a replaced one keeps its mode. Errors name `path`, never the temporary file.
    The data it was trained on is recorded by its source (`data`, or the trainer's data).
    """
    target = save_target(path)
    vocab = vocab or (trainer.data.vocab if trainer else Vocab([str(i) for i in range(net.vocab_size)]))
    arrays = {f"param/{k}": v for k, v in net.params.items()}
    data = data if data is not None else trainer.data if trainer else None
    header = {"format": FORMAT, "version": VERSION, "network": net.spec(), "vocab": vocab.spec(), "trainer": None,
              "data": data.source if data is not None else None}
    if trainer is not None:
        state = trainer.state_dict()
        arrays.update({f"trainer/{k}": v for k, v in state.pop("arrays").items()})
        header["trainer"] = state
    arrays["header"] = np.frombuffer(json.dumps(header, default=_plain).encode(), np.uint8)
    with _naming(path):
        fd, tmp = _new_temp_file(target)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise


def check_can_save(path) -> None:
    """Raise what `save(path, ...)` would, as far as the place goes, without writing a checkpoint:
    a probe file is created beside the target and removed. Catches a read-only directory even for
    root, for whom permission bits (and os.access) say yes."""
    target = save_target(path)
    with _naming(path):
        fd, tmp = _new_temp_file(target)
        os.close(fd)
        os.unlink(tmp)


def save_target(path) -> Path:
    """The file a save to `path` replaces: `path`, or the end of its chain of symlinks.
    CheckpointError if that is something other than a regular file or a new path."""
    target = Path(os.path.realpath(path))
    with _naming(path):
        try:
            mode = target.lstat().st_mode
        except FileNotFoundError:
            return target
    if not stat.S_ISREG(mode):
        via = "" if str(target) == os.path.abspath(path) else f" (the link's target {target})"
        raise CheckpointError(f"{path}{via}: {_kind(mode)}, not a regular file; a checkpoint never replaces it")
    return target


def _kind(mode) -> str:
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symlink loop")]
    return next((name for test, name in kinds if test(mode)), "a special file")


def _new_temp_file(target: Path):
    """A new hidden file beside `target`: (fd, path). Created 0666, so the umask applies, as for any new
    file (mkstemp's 0600 would not); replacing a file, the new one takes the old one's mode."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if target.exists():
            os.fchmod(fd, stat.S_IMODE(target.stat().st_mode))
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    return fd, tmp


@contextmanager
def _naming(path):
    """Re-raise an OSError under the user's path, so no message names a hidden temporary file."""
    try:
        yield
    except OSError as e:
        if e.filename == str(path):
            raise
        raise OSError(e.errno, e.strerror or str(e), str(path)) from None


def load(path) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    arrays = _read_arrays(path)
    header = _header(path, arrays.pop("header", None))
    with _fields_of(path):
        shapes = checked_network(header.get("network"))
        state = checked_trainer(header.get("trainer"))
    _check_params(path, shapes, arrays)  # before any weight is drawn: a forged header can't make us build a huge net
    with _fields_of(path):
        vocab = checked_vocab(header.get("vocab"), header["network"]["vocab_size"])
        data = checked_source(header.get("data"))
    net = Network.from_spec(header["network"])
    for name, param in net.params.items():
        param[...] = arrays[f"param/{name}"]
    return Checkpoint(net, vocab, _trainer_state(path, state, arrays, net), header, data)


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
    except (ValueError, RecursionError):  # not UTF-8, not JSON, an integer of 4300 digits, arrays nested too deep
        raise CheckpointError(f"{path}: the header is not valid JSON") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an rnncore checkpoint")
    version = header.get("version")
    if type(version) is not int or version != VERSION:
        raise CheckpointError(f"{path}: format version {shown(version)}; this rnncore reads version {VERSION}")
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


def _trainer_state(path, state, arrays, net):
    shapes = {name: p.shape for name, p in net.params.items()}
    if state is None:
        return None
    saved = {k[len("trainer/"):]: v for k, v in arrays.items() if k.startswith("trainer/")}
    for key, value in saved.items():
        if value.dtype.kind != "f":
            raise CheckpointError(f"{path}: training state {key} is {value.dtype}, not floating point")
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
    """Only arrays the optimizer keeps, each with its parameter's shape and in its range (Adam's v >= 0...)."""
    layout = make_optimizer(name).state_layout(shapes)
    for key, value in sorted(state.items()):
        if key not in layout:
            raise CheckpointError(f"{path}: optimizer state {key} is not kept by {name}")
        shape, least = layout[key]
        if value.shape != shape:
            raise CheckpointError(f"{path}: optimizer state {key} is {value.shape}, expected {shape}")
        if not (np.isfinite(value).all() and (value >= least).all()):
            raise CheckpointError(f"{path}: optimizer state {key} holds values out of range (NaN, inf or < {least})")


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
