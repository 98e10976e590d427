"""The stack of layers a network is: which may follow the embedding, how each is named, and how one is built back
from its spec."""
from __future__ import annotations

from .cells import GRU, LSTM, RNN
from .layers import Dense, Embedding

MAX_LAYERS = 16  # recurrent and dense layers after the embedding
STACKABLE = {layer.kind: layer for layer in (RNN, LSTM, GRU, Dense)}  # what may follow the embedding, by spec name
LAYER_TYPES = {"embed": Embedding, **STACKABLE}


def layers_from_spec(spec):
    return [_layer_from_spec(s) for s in spec["layers"]]


def _layer_from_spec(spec):
    if spec["type"] not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {spec['type']!r}")
    return LAYER_TYPES[spec["type"]](**{k: v for k, v in spec.items() if k != "type"})


def name_layers(layers):
    """[("embed", Embedding), ("rnn0", RNN), ("dense0", Dense), ("rnn1", RNN), ...]: numbered by kind."""
    layers = list(layers)
    if not layers or not isinstance(layers[0], Embedding):
        raise ValueError("the first layer must be an Embedding, e.g. [Embedding(32), RNN(64)]")
    rest = layers[1:]
    if len(rest) > MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} layers after the embedding, got {len(rest)}")
    named, counts = [("embed", layers[0])], dict.fromkeys(STACKABLE, 0)
    for layer in rest:
        if type(layer) not in STACKABLE.values():
            raise ValueError(f"after the embedding only {', '.join(STACKABLE)} layers stack, got {layer!r}")
        named.append((f"{layer.kind}{counts[layer.kind]}", layer))
        counts[layer.kind] += 1
    return named
