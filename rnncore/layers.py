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

    def init(self, vocab_size, rng, dtype):
        # The original's +-1 (not Glorot): distinct, well-separated symbol vectors
        # from the start let the toy task generalise to its 70/71 ceiling.
        return {"E": rng.uniform(-1, 1, (vocab_size, self.dim)).astype(dtype)}

    def forward(self, p, ids, state=None):
        return p["E"][ids], ids, None

    def backward(self, p, ids, dout):
        dE = np.zeros_like(p["E"])
        np.add.at(dE, ids.ravel(), dout.reshape(-1, self.dim))
        return None, {"E": dE}


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

    def init(self, in_dim, rng, dtype):
        H = self.hidden
        Whh = orthogonal(rng, H, dtype) if self.whh_init == "orthogonal" else uniform(rng, (H, H), dtype)
        return {"Wxh": uniform(rng, (in_dim, H), dtype), "Whh": Whh, "bh": np.zeros(H, dtype)}

    def forward(self, p, x, h0):
        T, B, _ = x.shape
        Z = x @ p["Wxh"] + p["bh"]  # (T, B, H): every input projection in one matmul
        hs = np.empty((T + 1, B, self.hidden), Z.dtype)
        hs[0] = 0 if h0 is None else h0
        Whh = p["Whh"]
        for t in range(T):  # only this product is sequential
            np.matmul(hs[t], Whh, out=hs[t + 1])
            hs[t + 1] += Z[t]
            np.tanh(hs[t + 1], out=hs[t + 1])
        return hs[1:], (x, hs), hs[T]

    def backward(self, p, cache, dout):
        x, hs = cache
        T, B, H = dout.shape
        dZ = (1 - hs[1:] ** 2)  # (T, B, H), becomes dL/dZ in place
        WhhT = p["Whh"].T.copy()
        dh = np.zeros((B, H), dout.dtype)
        for t in range(T - 1, -1, -1):
            dh += dout[t]
            dZ[t] *= dh
            np.matmul(dZ[t], WhhT, out=dh)
        dZ2 = dZ.reshape(T * B, H)
        grads = {
            "Wxh": x.reshape(T * B, -1).T @ dZ2,
            "Whh": hs[:-1].reshape(T * B, H).T @ dZ2,
            "bh": dZ2.sum(0),
        }
        return dZ @ p["Wxh"].T, grads


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

    def init(self, in_dim, rng, dtype):
        return {"W": uniform(rng, (in_dim, self.units), dtype), "b": np.zeros(self.units, dtype)}

    def forward(self, p, x, state=None):
        y = ACTIVATIONS[self.activation][0](x @ p["W"] + p["b"])
        return y, (x, y), None

    def backward(self, p, cache, dy):
        x, y = cache
        derivative = ACTIVATIONS[self.activation][1]
        dz = dy if derivative is None else dy * derivative(y)
        dz2 = dz.reshape(-1, self.units)
        grads = {"W": x.reshape(len(dz2), -1).T @ dz2, "b": dz2.sum(0)}
        return dz @ p["W"].T, grads


def log_softmax(logits):
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


class SoftmaxOutput:
    """Projection to the vocabulary and softmax cross-entropy, mean over unmasked targets."""

    kind = "out"
    recurrent = False

    def __init__(self, vocab_size: int):
        self.units = vocab_size

    def init(self, in_dim, rng, dtype):
        return {"W": uniform(rng, (in_dim, self.units), dtype), "b": np.zeros(self.units, dtype)}

    def logits(self, p, x):
        return x @ p["W"] + p["b"]  # (T, B, V)

    def loss(self, logp, y, mask):
        """Mean cross-entropy and the gradient with respect to the logits."""
        n = max(mask.sum(), 1)
        picked = np.take_along_axis(logp, y[..., None], -1)[..., 0]  # (T, B)
        loss = -(picked * mask).sum() / n
        dlogits = np.exp(logp)
        np.put_along_axis(dlogits, y[..., None], np.take_along_axis(dlogits, y[..., None], -1) - 1, -1)
        dlogits *= (mask / n)[..., None].astype(dlogits.dtype)
        return float(loss), dlogits

    def backward(self, p, x, dlogits):
        dl2 = dlogits.reshape(-1, self.units)
        grads = {"W": x.reshape(len(dl2), -1).T @ dl2, "b": dl2.sum(0)}
        return dlogits @ p["W"].T, grads
