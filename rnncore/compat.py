"""The original simpleRNN API, as a thin layer over `rnncore.Network`.

The original README's `construct_nn` runs unchanged after
`from rnncore.compat import NNetwork, InputLayer, EmbeddingLayer, RNNLayer, SoftmaxOutputLayer`.
Layers here only describe the network; `connect_layers()` builds a `Network`
and every computation goes through it.

Three behaviours of the original are reproduced on purpose, because its toy
run depends on them: the embedding gradient is summed over positions while
every other gradient is averaged over the targets (the original updates its
embedding once per token); `Whh` starts uniform like every other matrix (with
rnncore's orthogonal default the toy run needs several times more epochs and
misses the ceiling for some seeds); and each layer has its own L2 weight.

`RNNLayer`'s `max_bptt_step` is kept and shown, but gradients always flow
through the whole sequence: the sequences here are short (the toy's are at
most 23 steps), and the original's per-target truncation would cost a time
loop per target in the backward pass.
"""
from __future__ import annotations

import logging

import numpy as np

from .cells import RNN
from .layers import Dense, Embedding
from .network import Network
from .optim import SGD, add_l2

log = logging.getLogger(__name__)


class _Layer:
    """What every original layer has: a name, an output size and an L2 weight."""

    def __init__(self, name: str, size: int):
        self.name, self.size, self.lambda2 = name, size, 0.0
        self.in_size = 0
        self.activation = None

    def set_lambda2(self, lambda2: float):
        if not lambda2 >= 0:
            raise ValueError(f"{self.name}: lambda2 must be 0 or more, got {lambda2!r}")
        self.lambda2 = float(lambda2)

    def detail(self) -> str:
        return f"[{self.in_size}, {self.size}],l2={self.lambda2:.5f}, activation=[{self.activation}], {self.name}"


class InputLayer(_Layer):
    """The sequence of symbol ids; the original gives it size -1 (variable length)."""


class EmbeddingLayer(_Layer):
    def __init__(self, name: str, vocab_size: int, dim: int):
        super().__init__(name, dim)
        self.vocab_size = vocab_size

    def build(self):
        return Embedding(self.size)


class RNNLayer(_Layer):
    def __init__(self, name: str, size: int, max_bptt_step: int = 0):
        super().__init__(name, size)
        self.max_bptt_step = max_bptt_step  # shown only: gradients use the whole sequence (see module doc)

    def build(self):
        return RNN(self.size, whh_init="uniform")


class FCLayer(_Layer):
    """The original's fully connected layer; activation is a name (None means identity)."""

    def __init__(self, name: str, size: int, activation: str | None = "tanh"):
        super().__init__(name, size)
        self.activation = activation

    def build(self):
        return Dense(self.size, self.activation or "identity")


class SoftmaxOutputLayer(_Layer):
    """The projection to the vocabulary and the softmax; its size is the vocabulary."""


class NNetwork:
    def __init__(self, seed: int = 0, dtype=np.float64):
        self.seed, self.dtype = seed, dtype  # float64 as the original
        self.input = self.output = None
        self.hidden = []
        self.net = None  # the rnncore.Network, once connected
        self.log_interval = 0  # 0: never log the running cost
        self._costs = []
        self._sgd = SGD()

    def set_input(self, layer: InputLayer):
        self.input = layer

    def set_output(self, layer: SoftmaxOutputLayer):
        self.output = layer

    def add_hidden_layer(self, layer: _Layer):
        self.hidden.append(layer)

    def set_log_interval(self, n: int):
        """Log the mean cost of every `n` trained sequences (0: never)."""
        self.log_interval = n

    def connect_layers(self) -> Network:
        """Check the sizes, wire each layer's input to the one before and build the network."""
        self._check_structure()
        in_size = self.input.size
        for layer in [*self.hidden, self.output]:
            layer.in_size = in_size
            in_size = layer.size
        self.net = Network(self.output.size, [layer.build() for layer in self.hidden], seed=self.seed, dtype=self.dtype)
        return self.net

    def get_detail(self) -> str:
        """One line a layer, as the original prints it."""
        return "\n".join(layer.detail() for layer in [self.input, *self.hidden, self.output]) + "\n"

    def train(self, x, y, lr: float) -> float:
        """One SGD step on one sequence (ids `x`, next ids `y`); returns its mean cost."""
        x, y = self._batch(x, y)
        loss, grads = self._network().loss_and_grads(x, y)
        grads["embed.E"] *= y.size  # summed over positions, as the original's per-token update
        for (name, _), layer in zip(self.net.layers, self.hidden, strict=True):
            add_l2(self.net.params, _slice(grads, name), layer.lambda2)
        add_l2(self.net.params, _slice(grads, "out"), self.output.lambda2)
        self._sgd.update(self.net.params, grads, lr)
        self._log_cost(loss)
        return loss

    def evaluate(self, x, y) -> tuple[int, float]:
        """(correct predictions, summed cross-entropy) over one sequence's targets."""
        cost, correct, _ = self._network().evaluate(*self._batch(x, y))
        return correct, cost

    def predict(self, x) -> list[int]:
        """The most likely next id after each position of `x`."""
        return [int(i) for i in self._network().predict_proba(x).argmax(-1)]

    def _check_structure(self):
        if self.input is None or self.output is None:
            raise ValueError("set_input and set_output must be called before connect_layers")
        if not self.hidden or not isinstance(self.hidden[0], EmbeddingLayer):
            raise ValueError("the first hidden layer must be an EmbeddingLayer")
        embedding = self.hidden[0]
        if embedding.vocab_size != self.output.size:
            raise ValueError(f"the embedding's vocabulary ({embedding.vocab_size}) must equal "
                             f"the output size ({self.output.size})")
        misplaced = [layer.name for layer in self.hidden[1:] if not isinstance(layer, (RNNLayer, FCLayer))]
        if misplaced:
            raise ValueError(f"after the embedding only RNN and FC layers stack, got {', '.join(misplaced)}")

    def _network(self) -> Network:
        if self.net is None:
            raise ValueError("call connect_layers before training or evaluating")
        return self.net

    @staticmethod
    def _batch(x, y):
        x, y = np.asarray(x, np.int64), np.asarray(y, np.int64)
        if x.ndim != 1 or x.shape != y.shape or x.size == 0:
            raise ValueError(f"x and y must be non-empty sequences of one length, got {x.shape} and {y.shape}")
        return x[None], y[None]

    def _log_cost(self, loss):
        if not self.log_interval:
            return
        self._costs.append(loss)
        if len(self._costs) >= self.log_interval:
            log.info("cost = %.3f", sum(self._costs) / len(self._costs))
            self._costs.clear()


def _slice(grads, name):
    prefix = name + "."
    return {k: g for k, g in grads.items() if k.startswith(prefix)}
