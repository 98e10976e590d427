"""What the prediction panel shows: the network's belief after a typed prefix, from one pass over it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncore import Network, Run, Vocab

OVERFLOW = "the network's outputs overflow: its weights are too large; roll back or reset"


@dataclass(frozen=True, eq=False)  # arrays have no single truth value, so no field-wise ==
class Prediction:
    vocab: Vocab
    prefix: list[str]  # the symbols typed, parsed
    probs: np.ndarray | None  # (vocab,) next-symbol distribution after the whole prefix; None for an empty prefix
    traces: dict  # recurrent layer name -> {"h": (len(prefix), H), ...}: what each layer computed at each step
    continuation: list[str]  # greedy continuation of the prefix
    ids: np.ndarray  # (len(prefix),) the prefix's symbol ids
    logp: np.ndarray  # (len(prefix), vocab) log-probabilities of the next symbol after each position

    @property
    def symbols(self) -> list[str]:
        return self.vocab.symbols

    @property
    def hidden(self) -> list[np.ndarray]:
        """Each recurrent layer's h, (len(prefix), H), bottom up."""
        return [trace["h"] for trace in self.traces.values()]


def predict(net: Network, vocab: Vocab, text: str, continuation: int = 10) -> Prediction:
    """Parse `text` with the vocabulary; one pass over it, then one step per continued symbol (no side effects)."""
    if len(vocab) != net.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} symbols but the network expects {net.vocab_size}")
    if continuation < 0:
        raise ValueError(f"continuation must be 0 or more, got {continuation}")
    ids = np.array(vocab.parse(text), np.int64)
    run = checked_run(net, ids)
    if not ids.size:
        return Prediction(vocab, [], None, run.traces, [], ids, run.logp)
    probs = np.exp(run.logp[-1].astype(np.float64))  # (vocab,)
    probs /= probs.sum()  # float32 softmax sums to 1 only within ~1e-7
    greedy = net.generate(ids, continuation, temperature=0, run=run) if continuation else []
    return Prediction(vocab, vocab.decode(ids), probs, run.traces, vocab.decode(greedy), ids, run.logp)


def checked_run(net: Network, ids) -> Run:
    """`net.run(ids)`; a diverged network's overflow is a ValueError saying so, without NumPy warnings."""
    with np.errstate(over="ignore", invalid="ignore"):
        run = net.run(ids)
    traces = [a for trace in run.traces.values() for a in trace.values()]
    if not (np.isfinite(run.logp).all() and all(np.isfinite(a).all() for a in traces)):
        raise ValueError(OVERFLOW)
    return run


def differing_units(pinned: Prediction, typed: Prediction, top: int = 6) -> list[tuple[str, int, float, float]]:
    """(layer, unit, its h after the pinned prefix, after the typed one) of the `top` units whose last activations
    differ most between the two prefixes, largest difference first: where a network keeps what tells them apart."""
    rows = []
    for layer, trace in typed.traces.items():
        a, b = pinned.traces[layer]["h"], trace["h"]
        if len(a) and len(b):
            rows += [(layer, unit, float(a[-1, unit]), float(b[-1, unit])) for unit in range(b.shape[1])]
    return sorted(rows, key=lambda row: -abs(row[2] - row[3]))[:top]
