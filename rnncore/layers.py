"""Layers: each one's forward and backward side by side.

Activations are time-major inside the network: (T, B, D). A layer keeps no
state between calls: `forward(p, x, state)` returns `(y, cache, state)` and
`backward(p, cache, dy)` returns `(dx, grads)`, so inference can run between
two training steps without disturbing anything. Parameters live in the
network's dict; a layer gets and returns its own slice of it under short
local names ("W", "b", "Wxh", ...). A recurrent layer's state is one (B, S)
array, so the network, the trainer and checkpoints carry any cell alike.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

MAX_SIZE = 4096  # largest width of any layer: keeps a typo from eating the memory
ONE_HOT_LIMIT = 1 << 18  # ids x vocabulary below which the embedding gradient is a one-hot matmul
FEW_ROWS = 48  # below it, a.sum(0) is faster than ones @ a (measured at 10 to 256 columns)


# --- initialisers: (rng, shape, dtype) -> array ---------------------------------
def glorot(rng, shape, dtype):
    """The original's init: uniform in +-sqrt(6 / (in + out))."""
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def orthogonal(rng, shape, dtype):
    """A random rotation: repeated `h @ Whh` neither grows nor shrinks h at init,
    so gradients through long sequences neither vanish nor explode at the start."""
    q, r = np.linalg.qr(rng.standard_normal(shape))
    return (q * np.sign(np.diag(r))).astype(dtype)


def zeros(rng, shape, dtype):
    return np.zeros(shape, dtype)


def check_size(kind, value, limit=MAX_SIZE):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= limit:
        raise ValueError(f"{kind} size must be an integer from 1 to {limit}, got {value!r}")
    return int(value)


def flat(a):
    """(T, B, D) -> (T * B, D), a view when `a` is contiguous."""
    return a.reshape(-1, a.shape[-1])


class Layer:
    """What every layer shares: its parameters' shapes, declared once, each drawn by its initialiser."""

    kind = ""  # its name in specs and in Network.params: "rnn" -> "rnn0.Whh"
    recurrent = False
    options = ()  # what a spec may give after the size ("dense:32:relu"); the first is the default
    option_name = ""  # what that option is, in messages
    floats_per_unit = 4  # what a training step keeps per token and unit of output, measured (rnncore/budget.py)

    def shapes(self, in_dim) -> dict:
        raise NotImplementedError

    def initialiser(self, key):
        return zeros if key.startswith("b") else glorot

    def init(self, in_dim, rng, dtype) -> dict:
        return {key: self.initialiser(key)(rng, shape, dtype) for key, shape in self.shapes(in_dim).items()}


class Embedding(Layer):
    """Looks up one learned vector per symbol: (T, B) ids -> (T, B, dim)."""

    kind = "embed"
    floats_per_unit = 3

    def __init__(self, dim: int):
        self.dim = check_size("Embedding", dim)

    def spec(self):
        return {"type": "embed", "dim": self.dim}

    def shapes(self, vocab_size):
        return {"E": (vocab_size, self.dim)}

    def initialiser(self, key):
        # The original's +-1 (not Glorot): distinct, well-separated symbol vectors
        # from the start let the toy task generalise to its 70/71 ceiling.
        return lambda rng, shape, dtype: rng.uniform(-1, 1, shape).astype(dtype)

    def forward(self, p, ids, state=None):
        return p["E"][ids], ids, None

    def backward(self, p, ids, dout):
        """dout (T, B, dim), or already summed by id, (vocab, dim): from a cell that took an Embedded."""
        return None, {"E": dout if dout.ndim == 2 else sum_rows_by_id(ids.ravel(), flat(dout), len(p["E"]))}


class Embedded(NamedTuple):
    """An embedding's output before its lookup, (T, B) ids and the (V, E) table: what the recurrent cell above an
    embedding takes in training, when the vocabulary is small (Network._looks_up_late). Its input projection is
    then a lookup in table @ W (V rows, not T x B), and its input gradient the table's, summed by id: it spares
    the step's three products of a long, thin (T x B, E) matrix, which OpenBLAS runs at half its rate."""

    ids: np.ndarray
    table: np.ndarray

    @property
    def shape(self):
        return (*self.ids.shape, self.table.shape[1])  # (T, B, E), as E[ids]'s


def project_into(out, x, W):
    """out (T, B, n) = x_t @ W at every step; for an Embedded x, a lookup in table @ W."""
    if isinstance(x, Embedded):
        np.take(x.table @ W, x.ids, axis=0, out=out, mode="clip")  # "clip": no buffer (the ids are checked)
    else:
        np.matmul(flat(x), W, out=flat(out))


def input_gradients(x, dz, W):
    """dW = sum_t x_t^T dz_t and dx = dz W^T, given dz (T x B, n); for an Embedded x, dx is the table's gradient,
    summed by id (V, E): dW = table^T S and dx = S W^T, where S (V, n) sums dz by id."""
    if isinstance(x, Embedded):
        by_id = sum_rows_by_id(x.ids.ravel(), dz, len(x.table))
        return x.table.T @ by_id, by_id @ W.T
    return flat(x).T @ dz, (dz @ W.T).reshape(x.shape)


def sum_rows_by_id(ids, rows, n):
    """(N,) ids, (N, D) rows -> (n, D): row i sums the rows whose id is i (np.add.at, but fast)."""
    if len(ids) * n <= ONE_HOT_LIMIT:  # small vocabularies: one matmul with the one-hot matrix
        return (ids == np.arange(n)[:, None]).astype(rows.dtype) @ rows  # (n, N) @ (N, D)
    D = rows.shape[1]
    cells = (ids[:, None] * D + np.arange(D)).ravel()  # flat index of each element in the (n, D) result
    return np.bincount(cells, rows.ravel(), minlength=n * D).reshape(n, D).astype(rows.dtype)


ACTIVATIONS = {
    # name: (f(z), f'(z) written in terms of y = f(z))
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "relu": (lambda z: np.maximum(z, 0), lambda y: (y > 0).astype(y.dtype)),
    "sigmoid": (lambda z: 0.5 * (1 + np.tanh(0.5 * z)), lambda y: y * (1 - y)),
    "identity": (lambda z: z, None),
}


class Dense(Layer):
    """Fully connected layer applied at every step: y = act(x @ W + b)."""

    kind = "dense"
    options = tuple(ACTIVATIONS)
    option_name = "activation"

    def __init__(self, units: int, activation: str = "tanh", limit: int = MAX_SIZE):
        self.units = check_size("Dense", units, limit)  # the output layer's limit is the vocabulary's
        if activation not in self.options:
            raise ValueError(f"activation must be one of {', '.join(self.options)}, got {activation!r}")
        self.activation = activation

    dim = property(lambda self: self.units)
    option = property(lambda self: self.activation)

    def spec(self):
        return {"type": "dense", "units": self.units, "activation": self.activation}

    def shapes(self, in_dim):
        return {"W": (in_dim, self.units), "b": (self.units,)}

    def forward(self, p, x, state=None):
        y = ACTIVATIONS[self.activation][0](affine(x, p["W"], p["b"]))
        return y, (x, y), None

    def backward(self, p, cache, dy):
        x, y = cache
        derivative = ACTIVATIONS[self.activation][1]
        dz = flat(dy if derivative is None else dy * derivative(y))  # (T * B, units)
        grads = {"W": flat(x).T @ dz,  # dW = sum over steps of x^T dz
                 "b": column_sums(dz)}
        return (dz @ p["W"].T).reshape(x.shape), grads


def affine(x, W, b):
    """x @ W + b over (T, B, D) as one 2-D matmul (a 3-D one would loop over T)."""
    z = flat(x) @ W
    z += b
    return z.reshape(*x.shape[:-1], W.shape[1])


def log_softmax(logits):
    """Along the last axis. The sums run down the rows of a (V, N) layout because NumPy
    reduces a short last axis (V = 10) one row at a time, several times slower."""
    z = np.ascontiguousarray(flat(logits).T)  # (V, N)
    shifted = z - z.max(0)
    logp = shifted - np.log(np.exp(shifted).sum(0))
    return logp.T.reshape(logits.shape)


def column_sums(a):
    """(N, D) -> (D,), a.sum(0): NumPy reduces a short row at a time, so past a few dozen rows one matrix-vector
    product is several times faster (benchmarks/README.md, "Where the time goes")."""
    return a.sum(0) if len(a) < FEW_ROWS else np.ones(len(a), a.dtype) @ a


def softmax_cross_entropy(p, x, y, mask, count=None):
    """The output layer's training path in one pass: logits = x @ W + b, the mean of -log softmax(logits)[y] over
    the unmasked targets, and its gradients: (loss, dx, {"W", "b"}). x (T, B, H); y and mask (T, B); `count`, the
    targets the mean is over, if they are more than these (a part of a batch's): mask's sum by default.
    The logits are worked on as (V, N), whose sums run down contiguous rows (see log_softmax)."""
    xf, W = flat(x), p["W"]  # (N, H)
    z = np.ascontiguousarray((xf @ W).T)  # (V, N)
    z += p["b"][:, None]
    z -= z.max(0)
    at_target = y.ravel().astype(np.intp) * z.shape[1] + np.arange(z.shape[1])  # (N,) flat index of each target
    picked = z.take(at_target)  # (N,) each target's shifted logit
    np.exp(z, out=z)
    total = z.sum(0)  # (N,)
    weight = mask.ravel() / (count or max(mask.sum(), 1))  # (N,): each target's share of the mean
    loss = float(weight @ (np.log(total) - picked))  # -log softmax[y] = log(sum exp) - shifted logit
    z *= weight / total  # softmax * weight, then minus onehot * weight: dlogits, in place
    z.ravel()[at_target] -= weight  # (the ravel is a view: z is contiguous)
    grads = {"W": (z @ xf).T.copy(),  # dW = x^T dlogits, taken as (dlogits^T x)^T: the faster product
             "b": z.sum(1)}
    return loss, (z.T @ W.T).reshape(x.shape), grads
