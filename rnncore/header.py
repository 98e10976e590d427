"""What a checkpoint's JSON header may hold: every field checked, type and range, before anything uses it.

A bad field raises FieldError, whose message names it by its path in the header:
`network.seed`, `network.layers[1]`, `vocab[3]`, `trainer.config`, `trainer.step`.
"""
from __future__ import annotations

import re

from .config import TrainConfig
from .dataset import DIGITS, UNKNOWN
from .inputs import MAX_VOCAB
from .network import Network
from .optim import OPTIMIZERS
from .stack import LAYER_TYPES, MAX_LAYERS
from .vocab import Vocab

MAX_COUNT = 2**63 - 1  # seeds (as the training config's and the app's), steps, epochs and chunks: far past any run
MAX_POINTS = 1_000_000  # of a saved chart's series
MAX_MARKERS, MAX_LABEL = 200, 200  # a saved chart's markers, and characters of a marker's label
DTYPES = ("float32", "float64")


class FieldError(ValueError):
    def __init__(self, field: str, why: str):
        self.field, self.why = field, why
        super().__init__(f"header field {field} {why}")


def checked_network(spec) -> dict:
    """The parameter shapes `spec` describes (name -> shape), once every field of it is checked."""
    _require("network", spec, ("vocab_size", "layers", "dtype", "seed"))
    _whole("network.vocab_size", spec["vocab_size"], 2, MAX_VOCAB)
    _whole("network.seed", spec["seed"], 0, MAX_COUNT)
    if spec["dtype"] not in DTYPES:
        raise FieldError("network.dtype", f"must be {' or '.join(DTYPES)}, got {shown(spec['dtype'])}")
    layers = spec["layers"]
    if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS + 1:
        raise FieldError("network.layers", f"must be a list of 1 to {MAX_LAYERS + 1} layers, got {shown(layers)}")
    for i, layer in enumerate(layers):
        _check_layer(f"network.layers[{i}]", layer)
    try:
        return Network.param_shapes(spec)
    except ValueError as e:  # e.g. a stack that does not start with the embedding
        raise FieldError("network.layers", f"is not a valid stack: {e}") from None


def checked_vocab(saved, size: int) -> Vocab:
    """{"symbols", "separator", "unknown"}; files saved before the vocabulary had a separator hold only the list
    of symbols: the digits (written apart) or a text's characters (written together)."""
    if isinstance(saved, list):
        saved = {"symbols": saved, "separator": " " if saved == list(DIGITS) else "",
                 "unknown": UNKNOWN if UNKNOWN in saved and saved != list(DIGITS) else None}
    _require("vocab", saved, ("symbols", "separator", "unknown"))
    symbols = saved["symbols"]
    if not isinstance(symbols, list):
        raise FieldError("vocab.symbols", f"must be a list of symbols, got {shown(symbols)}")
    for i, symbol in enumerate(symbols):
        if not isinstance(symbol, str) or not symbol:
            raise FieldError(f"vocab.symbols[{i}]", f"must be a non-empty string, got {shown(symbol)}")
    if len(symbols) != size:
        raise FieldError("vocab.symbols", f"has {len(symbols)} symbols for a network vocabulary of {size}")
    try:
        return Vocab(symbols, saved["separator"], saved["unknown"])
    except (TypeError, ValueError) as e:
        raise FieldError("vocab", f"is not a vocabulary: {e}") from None


def checked_source(source) -> dict | None:
    """Where the data came from: {"name", "seed"} of a built-in task, {"path", "sha256"} of a text file;
    None in files saved before checkpoints knew their data."""
    if source is None:
        return None
    if isinstance(source, dict) and "path" in source:
        _require("data", source, ("path", "sha256"))
        if not isinstance(source["path"], str) or not source["path"]:
            raise FieldError("data.path", f"must be a file's path, got {shown(source['path'])}")
        if not (isinstance(source["sha256"], str) and re.fullmatch("[0-9a-f]{64}", source["sha256"])):
            raise FieldError("data.sha256", f"must be 64 hexadecimal digits, got {shown(source['sha256'])}")
        return {"path": source["path"], "sha256": source["sha256"]}
    _require("data", source, ("name", "seed"))
    if not isinstance(source["name"], str) or not source["name"]:
        raise FieldError("data.name", f"must be a data set's name, got {shown(source['name'])}")
    _whole("data.seed", source["seed"], 0, MAX_COUNT)
    return {"name": source["name"], "seed": source["seed"]}


def checked_trainer(state) -> dict | None:
    """A copy of the saved training state (None if there is none), once every field of it is checked."""
    if state is None:
        return None
    _require("trainer", state, ("config", "optimizer", "step", "epoch", "chunk"))
    if not isinstance(state["config"], dict):
        raise FieldError("trainer.config", f"must be an object, got {shown(state['config'])}")
    try:
        TrainConfig.from_dict(state["config"])
    except (TypeError, ValueError) as e:
        raise FieldError("trainer.config", f"is invalid: {e}") from None
    if not isinstance(state["optimizer"], str) or state["optimizer"] not in OPTIMIZERS:
        raise FieldError("trainer.optimizer", f"must be {' | '.join(OPTIMIZERS)}, got {shown(state['optimizer'])}")
    for counter in ("step", "epoch", "chunk"):
        _whole(f"trainer.{counter}", state[counter], 0, MAX_COUNT)
    _whole("trainer.schedule_start", state.get("schedule_start", 0), 0, state["step"])  # absent before it existed
    progress = state.get("progress", state["epoch"])
    if isinstance(progress, bool) or not isinstance(progress, (int, float)) or not 0 <= progress <= state["epoch"] + 1:
        raise FieldError("trainer.progress", f"must be a number from 0 to epoch + 1, got {shown(progress)}")
    return dict(state)


def checked_history(history) -> dict | None:
    """The app's charts, if saved: {"cost": N, "eval": M, "start", "markers": [[step, label], ...]}, N and M the
    rows of the arrays history/cost and history/eval."""
    if history is None:
        return None
    _require("history", history, ("cost", "eval", "start", "markers"))
    for series in ("cost", "eval"):
        _whole(f"history.{series}", history[series], 0, MAX_POINTS)
    _whole("history.start", history["start"], 0, MAX_COUNT)
    markers = history["markers"]
    if not isinstance(markers, list) or len(markers) > MAX_MARKERS:
        raise FieldError("history.markers", f"must be a list of at most {MAX_MARKERS} markers, got {shown(markers)}")
    for i, marker in enumerate(markers):
        if not (isinstance(marker, (list, tuple)) and len(marker) == 2):
            raise FieldError(f"history.markers[{i}]", f"must be [step, label], got {shown(marker)}")
        _whole(f"history.markers[{i}][0]", marker[0], 0, MAX_COUNT)
        if not isinstance(marker[1], str) or len(marker[1]) > MAX_LABEL:
            raise FieldError(f"history.markers[{i}][1]", f"must be a label of at most {MAX_LABEL} characters, "
                             f"got {shown(marker[1])}")
    return {"cost": history["cost"], "eval": history["eval"], "start": history["start"],
            "markers": [list(marker) for marker in markers]}


def shown(value, limit: int = 40) -> str:
    """A value for an error line, cut short: a forged header can hold anything."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _require(field, value, keys):
    if not isinstance(value, dict):
        raise FieldError(field, f"must be an object with {', '.join(keys)}, got {shown(value)}")
    missing = [key for key in keys if key not in value]
    if missing:
        raise FieldError(f"{field}.{missing[0]}", "is missing")


def _whole(field, value, low, high):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        span = f"of at least {low}" if high == MAX_COUNT else f"from {low} to {high}"
        raise FieldError(field, f"must be an integer {span}, got {shown(value)}")


def _check_layer(field, layer):
    """A layer is checked by building it: each layer class checks its own fields."""
    kind = layer.get("type") if isinstance(layer, dict) else None
    if not isinstance(kind, str):
        raise FieldError(field, f"must be an object whose type is {' | '.join(LAYER_TYPES)}, got {shown(layer)}")
    if kind not in LAYER_TYPES:
        raise FieldError(field, f"has unknown layer type {shown(kind)} (known: {' | '.join(LAYER_TYPES)})")
    try:
        LAYER_TYPES[kind](**{k: v for k, v in layer.items() if k != "type"})
    except (TypeError, ValueError) as e:
        raise FieldError(field, f"is not a valid {kind} layer: {e}") from None
