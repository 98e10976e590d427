"""What the prediction panel shows: the network's belief after a typed prefix."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnncore import Network, Vocab
from rnncore.datasets import DIGITS


@dataclass(frozen=True, eq=False)  # arrays have no single truth value, so no field-wise ==
class Prediction:
    prefix: list[str]  # the symbols typed, parsed
    probs: np.ndarray | None  # (vocab,) next-symbol distribution after the whole prefix; None for an empty prefix
    symbols: list[str]  # the vocabulary, in the order of probs
    hidden: list[np.ndarray]  # one (len(prefix), H) array per recurrent layer
    continuation: list[str]  # greedy continuation of the prefix

    @property
    def best(self) -> str | None:
        """The most likely next symbol, or None for an empty prefix."""
        return None if self.probs is None else self.symbols[int(np.argmax(self.probs))]


def predict(net: Network, vocab: Vocab, text: str, continuation: int = 10) -> Prediction:
    """Parse `text` with the vocabulary and run the network on it (no side effects on `net`)."""
    if len(vocab) != net.vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} symbols but the network expects {net.vocab_size}")
    if continuation < 0:
        raise ValueError(f"continuation must be 0 or more, got {continuation}")
    ids = _parse(vocab, text)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below, as a message
        hidden = net.hidden_states(ids)  # (T, H) each
        if not ids:
            return Prediction([], None, list(vocab.symbols), hidden, [])
        probs = net.predict_proba(ids)[-1].astype(np.float64)  # (vocab,)
    if not (np.isfinite(probs).all() and all(np.isfinite(h).all() for h in hidden)):
        raise ValueError("the network's outputs overflow: its weights are too large; roll back or reset")
    probs /= probs.sum()  # float32 softmax sums to 1 only within ~1e-7
    greedy = net.generate(ids, continuation, temperature=0) if continuation else []
    return Prediction(vocab.decode(ids), probs, list(vocab.symbols), hidden, vocab.decode(greedy))


def _parse(vocab: Vocab, text: str) -> list[int]:
    try:
        return vocab.parse(text)
    except ValueError as e:
        if vocab.symbols == list(DIGITS):
            raise ValueError(f"{e}; use digits 0-9") from None
        raise
