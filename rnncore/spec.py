"""Layer stacks as short text: "rnn:64,rnn:32,dense:32:tanh".

Each comma-separated part is one layer after the embedding, `KIND:SIZE` or
`KIND:SIZE:OPTION`: `rnn:SIZE` (optionally `rnn:SIZE:uniform` for the
original's Whh init), `lstm:SIZE`, `gru:SIZE` or `dense:SIZE[:ACTIVATION]`
(tanh by default). An empty text is no layers at all: the embedding feeds the
softmax directly.
"""
from __future__ import annotations

from .layers import MAX_SIZE
from .stack import MAX_LAYERS, STACKABLE


def parse_layers(text: str) -> list:
    """The layers a spec describes, without the embedding; ValueError names the bad part."""
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if len(parts) > MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} layers, got {len(parts)}")
    return [_parse_one(i, part) for i, part in enumerate(parts, 1)]


def format_layers(layers) -> str:
    """The spec text of `layers` (the inverse of parse_layers)."""
    return ",".join(format_layer(layer) for layer in layers)


def format_layer(layer) -> str:
    """"rnn:64", "rnn:64:uniform", "dense:32:relu": the option is written when it is not the default."""
    if type(layer) not in STACKABLE.values():
        raise ValueError(f"only {', '.join(STACKABLE)} layers have a spec, got {layer!r}")
    text = f"{layer.kind}:{layer.dim}"
    return text + f":{layer.option}" if layer.options and layer.option != layer.options[0] else text


def _parse_one(position: int, part: str):
    def bad(why):
        return ValueError(f"layer {position} '{part}': {why}")

    kind, *fields = [field.strip() for field in part.lower().split(":")]
    layer = STACKABLE.get(kind)
    if layer is None:
        raise bad(f"kind must be one of {', '.join(STACKABLE)}")
    usage = f"write {kind}:SIZE" + (f"[:{layer.option_name.upper()}]" if layer.options else "")
    if not fields or len(fields) > 2:
        raise bad(usage)
    if len(fields) == 2 and not layer.options:
        raise bad(f"{kind} takes no option; {usage}")
    size = _size(fields[0], bad)
    if len(fields) == 2 and fields[1] not in layer.options:
        raise bad(f"{layer.option_name} must be one of {', '.join(layer.options)}")
    return layer(size, *fields[1:])


def _size(text, bad) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_SIZE:
        raise bad(f"size must be an integer from 1 to {MAX_SIZE}")
    return int(text)
