"""A stack of layers: an embedding, then recurrent and dense layers in any order, then a projection to the
vocabulary ("out", a Dense layer without activation) whose softmax predicts the next symbol."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import recurrence
from .budget import OPTIMIZER_COPIES, refusal
from .inputs import MAX_VOCAB, check_batch, check_prefix, check_target, check_vocab
from .layers import ONE_HOT_LIMIT, Dense, Embedded, log_softmax, softmax_cross_entropy
from .stack import layers_from_spec, name_layers
from .threads import batch_parts, side_by_side

OUTPUT_FLOATS = 6  # the logits, their log-softmax and its gradient, with their transposed copies, per symbol
INIT_BYTES_PER_PARAM = 24  # drawing weights: float64 draws and the orthogonal init's QR, before the cast


class BatchResult(NamedTuple):
    loss: float  # mean cross-entropy over unmasked targets
    grads: dict  # name -> ndarray, same keys as Network.params
    state: list  # final state of each recurrent layer, (B, S) each


class Run(NamedTuple):
    """One pass over one sequence."""

    logp: np.ndarray  # (T, V) log-probabilities of the next symbol after each position
    traces: dict  # recurrent layer name -> {"h": (T, H), and what else the cell computes, e.g. "c"}
    state: list  # each recurrent layer's final state, (1, S): give it back to `run` to continue

    @property
    def hidden(self) -> dict:
        """Recurrent layer name -> (T, H) its output h at each position."""
        return {name: trace["h"] for name, trace in self.traces.items()}


class Network:
    def __init__(self, vocab_size: int, layers: list, seed: int = 0, dtype=np.float32):
        self.vocab_size = check_vocab(vocab_size)
        self.layers = name_layers(layers)
        self.output = Dense(self.vocab_size, "identity", MAX_VOCAB)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.seed = seed
        if why := refusal(f"a network of {self.count_params(layers, self.vocab_size):,} parameters",
                          self.count_params(layers, self.vocab_size) * INIT_BYTES_PER_PARAM):
            raise ValueError(why)
        self.params = {}
        self._keys = {}  # layer name -> [(local key, params key)], so `_local` needn't scan every name
        rng = np.random.default_rng(seed)
        in_dim = self.vocab_size
        for name, layer in self._stack():
            for key, value in layer.init(in_dim, rng, self.dtype).items():
                self.params[f"{name}.{key}"] = value
                self._keys.setdefault(name, []).append((key, f"{name}.{key}"))
            in_dim = layer.dim

    # --- description -------------------------------------------------------
    def spec(self) -> dict:
        """Everything needed to rebuild this architecture (checkpoints use it)."""
        return {"vocab_size": self.vocab_size, "layers": [layer.spec() for _, layer in self.layers],
                "dtype": self.dtype.name, "seed": self.seed}

    @classmethod
    def from_spec(cls, spec: dict) -> Network:
        return cls(spec["vocab_size"], layers_from_spec(spec), seed=spec["seed"], dtype=spec["dtype"])

    @staticmethod
    def param_shapes(spec: dict) -> dict:
        """name -> shape of every parameter `from_spec(spec)` would have, without drawing a single weight."""
        vocab_size = check_vocab(spec["vocab_size"])
        shapes, in_dim = {}, vocab_size
        for name, layer in [*name_layers(layers_from_spec(spec)), ("out", Dense(vocab_size, "identity", MAX_VOCAB))]:
            shapes.update({f"{name}.{key}": shape for key, shape in layer.shapes(in_dim).items()})
            in_dim = layer.dim
        return shapes

    @staticmethod
    def count_params(layers: list, vocab_size: int) -> int:
        in_dim, count = vocab_size, 0
        for layer in [*layers, Dense(vocab_size, "identity", MAX_VOCAB)]:
            count += sum(int(np.prod(shape)) for shape in layer.shapes(in_dim).values())
            in_dim = layer.dim
        return count

    def step_bytes(self, batch: int, steps: int) -> int:
        """About the memory one training step on a (batch, steps) chunk takes (rnncore/budget.py)."""
        floats = sum(layer.floats_per_unit * layer.dim for _, layer in self.layers) + OUTPUT_FLOATS * self.vocab_size
        return (batch * steps * floats + self.n_params() * OPTIMIZER_COPIES) * self.dtype.itemsize

    def recurrent(self) -> list[tuple[str, object]]:
        """(name, layer) of each recurrent layer, bottom up."""
        return [(name, layer) for name, layer in self.layers if layer.recurrent]

    def state_sizes(self) -> list[int]:
        """Columns of each recurrent layer's carried state (H for an RNN)."""
        return [layer.state_size for _, layer in self.recurrent()]

    def describe(self) -> str:
        return " -> ".join([f"{name}({layer.dim})" for name, layer in self.layers] + [f"softmax({self.vocab_size})"])

    def n_params(self) -> int:
        return sum(p.size for p in self.params.values())

    def astype(self, dtype):
        """Cast every parameter in place of the old ones (float32 or float64)."""
        self.dtype = np.dtype(dtype)
        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)
        return self

    # --- training ----------------------------------------------------------
    def run_batch(self, x, y, mask=None, state=None) -> BatchResult:
        """Forward and backward over a (B, T) batch; `state` carries hidden states in (truncated BPTT). With two
        threads, a large batch runs in two halves side by side, whose losses and gradients add up (threads.py)."""
        x, y, mask = check_batch(x, y, mask, self.vocab_size, self.dtype)
        parts = batch_parts(len(x), max((layer.dim for _, layer in self.recurrent()), default=0))
        if len(parts) == 1:
            return self._train_rows(x, y, mask, state)
        count = max(mask.sum(), 1)
        first, second = side_by_side(lambda rows: self._train_rows(
            x[rows], y[rows], mask[rows], state and [s[rows] for s in state], count), parts)
        for key, grad in first.grads.items():
            grad += second.grads[key]
        return BatchResult(first.loss + second.loss, first.grads,
                           [np.concatenate(pair) for pair in zip(first.state, second.state, strict=True)])

    def _train_rows(self, x, y, mask, state, count=None) -> BatchResult:
        inputs, above, looked_up = x.T, self.layers, []
        if self._looks_up_late(inputs):  # the cell above the embedding does its lookup: layers.Embedded
            (name, _), *above = self.layers
            inputs, looked_up = Embedded(inputs, self._local(name)["E"]), [inputs]
        h, caches, new_state = self._forward(inputs, state, above)  # the output layer's is done in one pass:
        loss, dh, out_grads = softmax_cross_entropy(self._local("out"), h, y.T, mask.T, count)
        grads = {f"out.{key}": value for key, value in out_grads.items()}
        grads.update(self._backward(looked_up + caches, dh, self.layers)[0])
        return BatchResult(loss, grads, new_state)

    def _looks_up_late(self, ids) -> bool:
        """Whether training hands the embedding's ids to the recurrent cell above it (layers.Embedded): when the
        vocabulary has no more symbols than the batch has ids, and their one-hot matrix is small."""
        return (len(self.layers) > 1 and self.layers[1][1].recurrent
                and self.vocab_size <= ids.size and self.vocab_size * ids.size <= ONE_HOT_LIMIT)

    def loss_and_grads(self, x, y, mask=None, state=None):
        result = self.run_batch(x, y, mask, state)
        return result.loss, result.grads

    def evaluate(self, x, y, mask=None) -> tuple[float, int, int]:
        """(summed cost, correct, targets) over the unmasked targets of a (B, T) batch."""
        x, y, mask = check_batch(x, y, mask, self.vocab_size, self.dtype)
        logp = log_softmax(self._forward(x.T, None)[0])
        picked = np.take_along_axis(logp, y.T[..., None], -1)[..., 0]
        mask = mask.T.astype(bool)
        correct = (logp.argmax(-1) == y.T) & mask
        return float(-picked[mask].sum()), int(correct.sum()), int(mask.sum())

    def log_probs(self, x) -> np.ndarray:
        """(B, T, V): the log-probabilities of the next symbol after each position of a (B, T) batch of ids, each
        row from zeros (run_rows without the traces)."""
        x, _, _ = check_batch(x, x, None, self.vocab_size, self.dtype)
        return log_softmax(self._forward(x.T, None)[0]).swapaxes(0, 1)

    # --- inference (no side effects) ---------------------------------------
    def run(self, ids, state=None) -> Run:
        """One pass over a sequence of ids, from `state` (a Run's) or from zeros."""
        ids = check_prefix(ids, self.vocab_size)
        logp, traces, new_state = self._traced(ids[:, None], state)
        return Run(logp[:, 0], {name: {key: a[:, 0] for key, a in trace.items()} for name, trace in traces.items()},
                   new_state)

    def run_rows(self, x) -> tuple[np.ndarray, dict]:
        """One pass over a (B, T) batch of ids, each row from zeros: the log-probabilities (B, T, V) and every
        recurrent layer's traces, {name: {"h": (B, T, H), ...}}. Padding after a row's end changes only the
        positions after it, so padded rows of unequal length give each row's own numbers."""
        x, _, _ = check_batch(x, x, None, self.vocab_size, self.dtype)
        logp, traces, _ = self._traced(x.T, None)
        return logp.swapaxes(0, 1), {name: {key: a.swapaxes(0, 1) for key, a in trace.items()}
                                     for name, trace in traces.items()}

    def input_saliency(self, ids, target=None) -> np.ndarray:
        """(T,): how much each input sways the prediction after the last one. The L2 norm, over the embedding, of
        the gradient of log p(target | ids) at the last position with respect to each input's embedding vector;
        `target` None is the most likely next symbol. One forward and one backward pass; the weights are untouched."""
        ids = check_prefix(ids, self.vocab_size)
        if ids.size == 0:
            raise ValueError("input_saliency needs a prefix of at least one symbol")
        logits, caches, _ = self._forward(ids[:, None], None)
        last = log_softmax(logits[-1, 0])  # (V,)
        target = int(np.argmax(last)) if target is None else check_target(target, self.vocab_size)
        dlogits = np.zeros_like(logits)  # (T, 1, V): only the last prediction is differentiated
        dlogits[-1, 0] = -np.exp(last)
        dlogits[-1, 0, target] += 1  # d log p(target) / d logits = onehot(target) - softmax
        _, d_embedded = self._backward(caches, dlogits)  # (T, 1, E)
        return np.linalg.norm(d_embedded[:, 0], axis=-1)

    def gradient_through_time(self, x, y, mask=None, max_lag=None) -> dict[str, np.ndarray]:
        """Per recurrent layer, g[k]: the mean size of d loss_t / d state_{t-k} (rnncore/recurrence.py)."""
        return recurrence.gradient_through_time(self, x, y, mask, max_lag)

    def predict_proba(self, prefix) -> np.ndarray:
        """(len(prefix), vocab): the next-symbol distribution after each position."""
        return np.exp(self.run(prefix).logp)

    def hidden_states(self, prefix) -> list[np.ndarray]:
        """One (len(prefix), H) array per recurrent layer."""
        return list(self.run(prefix).hidden.values())

    def generate(self, prefix, n: int, temperature: float = 1.0, rng=None, run: Run | None = None) -> list[int]:
        """Continue `prefix` by `n` symbols; temperature 0 is greedy. `run`, the prefix's own Run if the caller
        has it, spares a second pass over the prefix."""
        ids = check_prefix(prefix, self.vocab_size)
        if ids.size == 0:
            raise ValueError("generate needs a prefix of at least one symbol")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        if not temperature >= 0:
            raise ValueError(f"temperature must be 0 or more, got {temperature}")
        rng = rng if rng is not None else np.random.default_rng()
        run = run or self.run(ids)
        out = []
        while len(out) < n:
            if out:
                run = self.run(out[-1:], run.state)
            out.append(_pick(run.logp[-1].astype(np.float64), temperature, rng))
        return out

    # --- plumbing ----------------------------------------------------------
    def _stack(self):
        return [*self.layers, ("out", self.output)]

    def _forward(self, ids_tb, state, layers=None):
        """(T, B) ids -> logits (T, B, V), every layer's cache, and each recurrent layer's final state.
        `layers` a part of the stack from the bottom, given its input: its output instead of the logits."""
        h, caches, new_state = ids_tb, [], []
        for name, layer in layers or self._stack():
            layer_state = state[len(new_state)] if (layer.recurrent and state) else None
            h, cache, last = layer.forward(self._local(name), h, layer_state)
            caches.append(cache)
            if layer.recurrent:
                new_state.append(last)
        return h, caches, new_state

    def _traced(self, ids_tb, state):
        """(T, B) ids -> log-probabilities (T, B, V), each recurrent layer's traces (T, B, H) by name, final state."""
        logits, caches, new_state = self._forward(ids_tb, state)
        traces = {name: layer.traces(cache)
                  for (name, layer), cache in zip(self.layers, caches[:-1], strict=True) if layer.recurrent}
        return log_softmax(logits), traces, new_state

    def _backward(self, caches, dlogits, layers=None):
        """Every parameter's gradient, and the gradient with respect to the embedded inputs (T, B, E).
        `layers` as in `_forward`, with the gradient of its output instead of `dlogits`."""
        grads, d = {}, dlogits
        for (name, layer), cache in zip(reversed(layers or self._stack()), reversed(caches), strict=True):
            d_in = d
            d, local = layer.backward(self._local(name), cache, d)
            grads.update({f"{name}.{key}": value for key, value in local.items()})
        return grads, d_in

    def _local(self, name):
        return {key: self.params[full] for key, full in self._keys[name]}


def _pick(logp, temperature, rng):
    if temperature == 0:
        return int(np.argmax(logp))
    z = logp / temperature
    p = np.exp(z - z.max())
    return int(rng.choice(len(p), p=p / p.sum()))

