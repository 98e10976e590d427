"""Layer stacks as short text: "rnn:64,rnn:32,dense:32:tanh".

Each comma-separated part is one layer after the embedding:
`rnn:SIZE` (optionally `rnn:SIZE:uniform` for the original's Whh init) or
`dense:SIZE[:ACTIVATION]` (tanh by default). An empty text is no layers at
all: the embedding feeds the softmax directly.
"""
from __future__ import annotations

from .layers import ACTIVATIONS, MAX_SIZE, RNN, Dense
from .network import MAX_LAYERS

WHH_INITS = ("orthogonal", "uniform")


def parse_layers(text: str) -> list:
    """The layers a spec describes, without the embedding; ValueError names the bad part."""
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if len(parts) > MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} layers, got {len(parts)}")
    return [_parse_one(i, part) for i, part in enumerate(parts, 1)]


def format_layers(layers) -> str:
    """The spec text of `layers` (the inverse of parse_layers)."""
    return ",".join(_format_one(layer) for layer in layers)


def _parse_one(position: int, part: str):
    def bad(why):
        return ValueError(f"layer {position} '{part}': {why}")

    kind, *fields = [field.strip() for field in part.lower().split(":")]
    if kind not in ("rnn", "dense"):
        raise bad("kind must be rnn or dense")
    if not fields or len(fields) > 2:
        raise bad(f"write {kind}:SIZE" + (":ACTIVATION" if kind == "dense" else ""))
    size = _size(fields[0], bad)
    option = fields[1] if len(fields) == 2 else None
    if kind == "rnn":
        if option is not None and option not in WHH_INITS:
            raise bad(f"the RNN option must be {' or '.join(WHH_INITS)}")
        return RNN(size, option or "orthogonal")
    if option is not None and option not in ACTIVATIONS:
        raise bad(f"activation must be one of {', '.join(ACTIVATIONS)}")
    return Dense(size, option or "tanh")


def _size(text, bad) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_SIZE:
        raise bad(f"size must be an integer from 1 to {MAX_SIZE}")
    return int(text)


def _format_one(layer) -> str:
    if isinstance(layer, RNN):
        return f"rnn:{layer.hidden}" + ("" if layer.whh_init == "orthogonal" else f":{layer.whh_init}")
    if isinstance(layer, Dense):
        return f"dense:{layer.units}:{layer.activation}"
    raise ValueError(f"only RNN and Dense layers have a spec, got {layer!r}")
