"""What the prediction panel shows: the network's belief after a typed prefix, from one pass over it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncore import Network, Vocab


@dataclass(frozen=True, eq=False)  # arrays have no single truth value, so no field-wise ==
class Prediction:
    vocab: Vocab
    prefix: list[str]  # the symbols typed, parsed
    probs: np.ndarray | None  # (vocab,) next-symbol distribution after the whole prefix; None for an empty prefix
    traces: dict  # recurrent layer name -> {"h": (len(prefix), H), ...}: what each layer computed at each step
    continuation: list[str]  # greedy continuation of the prefix

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
    ids = vocab.parse(text)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below, as a message
        run = net.run(ids)
        if not ids:
            return Prediction(vocab, [], None, run.traces, [])
        probs = np.exp(run.logp[-1].astype(np.float64))  # (vocab,)
    if not (np.isfinite(probs).all() and all(np.isfinite(h).all() for h in run.hidden.values())):
        raise ValueError("the network's outputs overflow: its weights are too large; roll back or reset")
    probs /= probs.sum()  # float32 softmax sums to 1 only within ~1e-7
    greedy = net.generate(ids, continuation, temperature=0, run=run) if continuation else []
    return Prediction(vocab, vocab.decode(ids), probs, run.traces, vocab.decode(greedy))
