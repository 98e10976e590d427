"""Session records: one JSON object per line, enough to redo a session's training exactly.

The first line says what the file is; each later line is one event of one run, at the step (of that
run's trainer) from which it takes effect:

    {"format": "rnncore-record", "version": 1, "blas_threads": 1}
    {"event": "start", "run": 0, "step": 0, "data": {"name": "parity:3", "seed": 0}, "model": {...}, "config": {...}}
    {"event": "configure", "run": 0, "step": 120, "changes": {"lr": 0.003}}
    {"event": "fork", "run": 1, "step": 300, "parent": 0}
    {"event": "checksum", "run": 0, "step": 400, "sha256": "..."}
    {"event": "rollback", "run": 0, "step": 412}
    {"event": "reset", "run": 0, "step": 500}

`start` begins a run (a rebuild starts it again, at step 0); `configure` changes settings; `fork` starts a
run from another's weights and training state; `rollback` goes back to the last good weights; `reset` draws
the weights again; `load` takes a checkpoint's weights and training state (the file must still be the
same). `run` and `pause` say when training ran, `checksum` is a digest of the weights, and `end` closes
the record with a run's digest. Runs are independent, so replaying each event after its run has trained
to the event's step redoes the session bit for bit (given the same BLAS).
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from . import files

FORMAT, VERSION = "rnncore-record", 1
CHECKSUM_EVERY = 200  # steps between digests of the weights
EVENTS = {  # event: the fields it holds besides "event", "run" and "step", each with its JSON type
    "start": {"data": dict, "model": dict, "config": dict},
    "configure": {"changes": dict},
    "fork": {"parent": int},
    "rollback": {},
    "reset": {},
    "load": {"path": str, "sha256": str},
    "run": {},
    "pause": {},
    "checksum": {"sha256": str},
    "end": {"sha256": str},
}
MAX_RUN = 16
CSV_COLUMNS = ["run", "step", "cost", "eval_cost", "accuracy", "memory_use", "reach", "lr", "marker"]  # metrics
MAX_STEP = 2**63 - 1


class RecordError(ValueError):
    """A record that cannot be read or replayed; says which line and field."""


def digest(params: dict) -> str:
    """sha256 of every weight, in name order, with its name, dtype and shape: equal digests, equal weights."""
    h = hashlib.sha256()
    for name in sorted(params):
        array = params[name]
        h.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        h.update(array.tobytes())
    return h.hexdigest()


class Recorder:
    """Writes a record as the session goes; each line is flushed, so a crash loses at most the last one."""

    def __init__(self, path, blas_threads: int | None = None):
        self.path = Path(path)
        self._file = files.open_output(path, "record")
        self._write({"format": FORMAT, "version": VERSION, "blas_threads": blas_threads})

    def event(self, event: str, run: int, step: int, **fields) -> None:
        self._write({"event": event, "run": run, "step": step, **fields})

    def stepped(self, run: int, step: int, params: dict) -> None:
        """Called after every step: a digest of the weights every CHECKSUM_EVERY steps."""
        if step % CHECKSUM_EVERY == 0:
            self.event("checksum", run, step, sha256=digest(params))

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def _write(self, obj: dict) -> None:
        self._file.write(json.dumps(obj, allow_nan=False) + "\n")


def read(path) -> tuple[dict, list[dict]]:
    """(header, events) of a record; RecordError names the line and the field of the first thing wrong."""
    try:
        lines = files.read_input(path, "record").decode("utf-8").splitlines()
    except files.FileError as e:
        raise RecordError(str(e)) from None
    except UnicodeDecodeError as e:
        raise RecordError(f"{path}: cannot read it (not UTF-8 text: {e.reason} at byte {e.start})") from None
    if not lines:
        raise RecordError(f"{path}: the file is empty, so not a session record")
    header = _header(path, _json(path, 1, lines[0]))
    events = [_event(path, number, _json(path, number, line)) for number, line in enumerate(lines[1:], 2)]
    if not events or events[0]["event"] != "start":
        raise RecordError(f"{path}:2: a record begins with a start event")
    return header, events


def _json(path, number, line) -> dict:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        raise RecordError(f"{path}:{number}: not a JSON object (a truncated or hand-edited line?)") from None
    except ValueError:  # what Python refuses to read: an integer of more than 4,300 digits
        raise RecordError(f"{path}:{number}: holds a number of more than 4,300 digits") from None
    if not isinstance(obj, dict):
        raise RecordError(f"{path}:{number}: not a JSON object")
    return obj


def _header(path, header) -> dict:
    if header.get("format") != FORMAT:
        raise RecordError(f"{path}:1: not an rnncore session record (no format {FORMAT!r})")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version != VERSION:
        raise RecordError(f"{path}:1: format version {version!r}; this rnncore reads version {VERSION}")
    threads = header.get("blas_threads")
    if threads is not None and (not _whole(threads) or not 1 <= threads <= 1024):
        raise RecordError(f"{path}:1: field 'blas_threads' must be an integer from 1 to 1024, got {threads!r}")
    return header


def _event(path, number, obj) -> dict:
    kind = obj.get("event")
    if kind not in EVENTS:
        raise RecordError(f"{path}:{number}: field 'event' must be one of {', '.join(EVENTS)}, got {kind!r}")
    expected = {"event": str, "run": int, "step": int, **EVENTS[kind]}
    unknown = sorted(set(obj) - set(expected))
    if unknown:
        raise RecordError(f"{path}:{number}: unknown field {unknown[0]!r} in a {kind} event")
    for field, kind_of in expected.items():
        value = obj.get(field)
        ok = _whole(value) if kind_of is int else isinstance(value, kind_of)
        if not ok:
            raise RecordError(f"{path}:{number}: field {field!r} must be {_describe(kind_of)}, got {value!r}")
    if not 0 <= obj["run"] < MAX_RUN or not 0 <= obj["step"] <= MAX_STEP:
        field = "run" if not 0 <= obj["run"] < MAX_RUN else "step"
        raise RecordError(f"{path}:{number}: field {field!r} is out of range, got {obj[field]!r}")
    return obj


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(kind) -> str:
    return {int: "an integer", str: "a string", dict: "an object"}[kind]


def finite_json(value):
    """`value` with NumPy scalars made plain, for a record line (NaN and infinities are refused)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"cannot record a non-finite number {value!r}")
    return value
