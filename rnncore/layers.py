"""Layers: each one's forward and backward side by side.

Activations are time-major inside the network: (T, B, D). A layer keeps no
state between calls; `forward` returns a cache that `backward` takes back, so
inference can run between two training steps without disturbing anything.
Parameters live in the network's dict; a layer gets and returns its own slice
of it under short local names ("W", "b", "Wxh", ...).
"""
from __future__ import annotations

import numpy as np

MAX_SIZE = 4096  # largest width of any layer: keeps a typo from eating the memory
ONE_HOT_LIMIT = 1 << 18  # ids x vocabulary below which the embedding gradient is a one-hot matmul


def uniform(rng, shape, dtype):
    """The original's init: uniform in +-sqrt(6 / (in + out)) (Glorot)."""
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def orthogonal(rng, n, dtype):
    """A random rotation: repeated `h @ Whh` neither grows nor shrinks h at init,
    so gradients through long sequences neither vanish nor explode at the start."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


def check_size(kind, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= MAX_SIZE:
        raise ValueError(f"{kind} size must be an integer from 1 to {MAX_SIZE}, got {value!r}")
    return int(value)


class Embedding:
    """Looks up one learned vector per symbol: (T, B) ids -> (T, B, dim)."""

    kind = "embed"
    recurrent = False

    def __init__(self, dim: int):
        self.dim = check_size("Embedding", dim)

    def spec(self):
        return {"type": "embed", "dim": self.dim}

    def shapes(self, vocab_size):
        return {"E": (vocab_size, self.dim)}

    def init(self, vocab_size, rng, dtype):
        # The original's +-1 (not Glorot): distinct, well-separated symbol vectors
        # from the start let the toy task generalise to its 70/71 ceiling.
        return {"E": rng.uniform(-1, 1, (vocab_size, self.dim)).astype(dtype)}

    def forward(self, p, ids, state=None):
        return p["E"][ids], ids, None

    def backward(self, p, ids, dout):
        return None, {"E": sum_rows_by_id(ids.ravel(), dout.reshape(-1, self.dim), len(p["E"]))}


def sum_rows_by_id(ids, rows, n):
    """(N,) ids, (N, D) rows -> (n, D): row i sums the rows whose id is i (np.add.at, but fast)."""
    if len(ids) * n <= ONE_HOT_LIMIT:  # small vocabularies: one matmul with the one-hot matrix
        return (ids == np.arange(n)[:, None]).astype(rows.dtype) @ rows  # (n, N) @ (N, D)
    D = rows.shape[1]
    cells = (ids[:, None] * D + np.arange(D)).ravel()  # flat index of each element in the (n, D) result
    return np.bincount(cells, rows.ravel(), minlength=n * D).reshape(n, D).astype(rows.dtype)


class RNN:
    """Elman RNN: h_t = tanh(x_t @ Wxh + h_{t-1} @ Whh + bh)."""

    kind = "rnn"
    recurrent = True

    def __init__(self, hidden: int, whh_init: str = "orthogonal"):
        self.hidden = check_size("RNN", hidden)
        if whh_init not in ("orthogonal", "uniform"):
            raise ValueError(f"whh_init must be 'orthogonal' or 'uniform', got {whh_init!r}")
        self.whh_init = whh_init

    @property
    def dim(self):
        return self.hidden

    def spec(self):
        return {"type": "rnn", "hidden": self.hidden, "whh_init": self.whh_init}

    def shapes(self, in_dim):
        return {"Wxh": (in_dim, self.hidden), "Whh": (self.hidden, self.hidden), "bh": (self.hidden,)}

    def init(self, in_dim, rng, dtype):
        H = self.hidden
        Whh = orthogonal(rng, H, dtype) if self.whh_init == "orthogonal" else uniform(rng, (H, H), dtype)
        return {"Wxh": uniform(rng, (in_dim, H), dtype), "Whh": Whh, "bh": np.zeros(H, dtype)}

    def forward(self, p, x, h0):
        T, B, _ = x.shape
        hs = np.empty((T + 1, B, self.hidden), p["Whh"].dtype)  # hs[0] = h0, hs[t + 1] = h_t
        hs[0] = 0 if h0 is None else h0
        np.matmul(flat(x), p["Wxh"], out=flat(hs[1:]))  # every input projection in one matmul
        hs[1:] += p["bh"]
        recur(list(hs), p["Whh"])
        return hs[1:], (x, hs), hs[T]

    def backward(self, p, cache, dout):
        x, hs = cache
        dZ = np.square(hs[1:])  # (T, B, H)
        np.subtract(1, dZ, out=dZ)  # tanh' = 1 - h^2, becomes dL/dZ in place
        recur_backward(list(dZ), list(dout), p["Whh"].T.copy())
        dZ2 = flat(dZ)  # (T * B, H)
        grads = {"Wxh": flat(x).T @ dZ2, "Whh": flat(hs[:-1]).T @ dZ2, "bh": dZ2.sum(0)}
        return (dZ2 @ p["Wxh"].T).reshape(*x.shape), grads


def flat(a):
    """(T, B, D) -> (T * B, D), a view when `a` is contiguous."""
    return a.reshape(-1, a.shape[-1])


def recur(hs, Whh):
    """hs[t] for t >= 1 holds x_t @ Wxh + bh on entry and h_t = tanh(that + h_{t-1} @ Whh) on exit."""
    carry = np.empty_like(hs[0])  # (B, H)
    for h_prev, h in zip(hs[:-1], hs[1:], strict=True):  # only this product is sequential
        np.matmul(h_prev, Whh, out=carry)
        h += carry
        np.tanh(h, out=h)


def recur_backward(dZ, dout, WhhT):
    """dZ[t] holds tanh'(z_t) on entry and dL/dz_t on exit; dL/dh_t = dout[t] + dL/dz_{t+1} @ Whh.T."""
    if not dZ:
        return
    dh = dout[-1].copy()  # (B, H)
    for t in range(len(dZ) - 1, 0, -1):
        dZ[t] *= dh
        np.matmul(dZ[t], WhhT, out=dh)
        dh += dout[t - 1]
    dZ[0] *= dh


ACTIVATIONS = {
    # name: (f(z), f'(z) written in terms of y = f(z))
    "identity": (lambda z: z, None),
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "relu": (lambda z: np.maximum(z, 0), lambda y: (y > 0).astype(y.dtype)),
    "sigmoid": (lambda z: 0.5 * (1 + np.tanh(0.5 * z)), lambda y: y * (1 - y)),
}


class Dense:
    """Fully connected layer applied at every step: y = act(x @ W + b)."""

    kind = "dense"
    recurrent = False

    def __init__(self, units: int, activation: str = "tanh"):
        self.units = check_size("Dense", units)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        self.activation = activation

    @property
    def dim(self):
        return self.units

    def spec(self):
        return {"type": "dense", "units": self.units, "activation": self.activation}

    def shapes(self, in_dim):
        return {"W": (in_dim, self.units), "b": (self.units,)}

    def init(self, in_dim, rng, dtype):
        return {"W": uniform(rng, (in_dim, self.units), dtype), "b": np.zeros(self.units, dtype)}

    def forward(self, p, x, state=None):
        y = ACTIVATIONS[self.activation][0](affine(x, p["W"], p["b"]))
        return y, (x, y), None

    def backward(self, p, cache, dy):
        x, y = cache
        derivative = ACTIVATIONS[self.activation][1]
        dz = flat(dy if derivative is None else dy * derivative(y))  # (T * B, units)
        grads = {"W": flat(x).T @ dz, "b": dz.sum(0)}
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


class SoftmaxOutput:
    """Projection to the vocabulary and softmax cross-entropy, mean over unmasked targets."""

    kind = "out"
    recurrent = False

    def __init__(self, vocab_size: int):
        self.units = vocab_size

    def shapes(self, in_dim):
        return {"W": (in_dim, self.units), "b": (self.units,)}

    def init(self, in_dim, rng, dtype):
        return {"W": uniform(rng, (in_dim, self.units), dtype), "b": np.zeros(self.units, dtype)}

    def logits(self, p, x):
        return affine(x, p["W"], p["b"])  # (T, B, V)

    def loss(self, logp, y, mask):
        """Mean cross-entropy and the gradient with respect to the logits."""
        weight = flat(mask[..., None]) / max(mask.sum(), 1)  # (T * B, 1): each target's share of the mean
        rows, targets, logp2 = np.arange(len(weight)), y.ravel(), flat(logp)
        dl = np.exp(logp2)  # (T * B, V) softmax, becomes (softmax - onehot) * weight in place
        dl[rows, targets] -= 1
        dl *= weight
        loss = -(logp2[rows, targets] @ weight)
        return float(loss[0]), dl.reshape(logp.shape)

    def backward(self, p, x, dlogits):
        dl = flat(dlogits)  # (T * B, V)
        grads = {"W": flat(x).T @ dl, "b": dl.sum(0)}
        return (dl @ p["W"].T).reshape(x.shape), grads
