"""Central-difference gradient checks in float64, micrograd / numpy-ml style."""
from __future__ import annotations

import numpy as np

from rnncore import Network

EPS = 1e-6
TOLERANCE = 1e-6


FLOOR = 1e-3  # below this gradient norm, central differences' round-off (~1e-10) would dominate a ratio


def rel_error(a, b) -> float:
    """Norm of the difference over norm of the sum: 0 when equal, 1 when unrelated.
    A (near) zero gradient is judged absolutely, against FLOOR."""
    a, b = np.ravel(a), np.ravel(b)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a + b), FLOOR))


def sample_indices(shape, k, rng) -> list[tuple]:
    """Up to `k` distinct multi-indices into an array of `shape` (all of them if it is small)."""
    size = int(np.prod(shape))
    flat = np.arange(size) if size <= k else rng.choice(size, k, replace=False)
    return [np.unravel_index(i, shape) for i in flat]


def numerical_grad(f, array, indices, eps=EPS) -> np.ndarray:
    """d f() / d array[i] at each index, by central differences; `array` is restored."""
    out = []
    for i in indices:
        old = array[i]
        array[i] = old + eps
        plus = f()
        array[i] = old - eps
        minus = f()
        array[i] = old
        out.append((plus - minus) / (2 * eps))
    return np.array(out)


def check_arrays(f, arrays, analytic, k=40, seed=0) -> dict:
    """Relative error of `analytic[name]` against the numerical gradient of `f`, per array name."""
    rng = np.random.default_rng(seed)
    errors = {}
    for name, array in arrays.items():
        idx = sample_indices(array.shape, k, rng)
        numeric = numerical_grad(f, array, idx)
        errors[name] = rel_error(numeric, np.array([analytic[name][i] for i in idx]))
    return errors


def check_layer(layer, p, x, state=None, k=40) -> dict:
    """Gradient errors of loss = sum(R * forward(x)) for a fixed random R, over params and the input."""
    R = np.random.default_rng(1).standard_normal(layer.forward(p, x, state)[0].shape)
    out, cache, _ = layer.forward(p, x, state)
    dx, grads = layer.backward(p, cache, R)
    arrays, analytic = dict(p), dict(grads)
    if dx is not None:
        arrays["x"], analytic["x"] = x, dx
    return check_arrays(lambda: float((layer.forward(p, x, state)[0] * R).sum()), arrays, analytic, k)


def check_network(net: Network, x, y, mask, k=30, state=None) -> dict:
    """Relative gradient error of every parameter of `net` on one (B, T) batch."""
    _, grads = net.loss_and_grads(x, y, mask, state)
    return check_arrays(lambda: net.loss_and_grads(x, y, mask, state)[0], net.params, grads, k)


def ragged_batch(vocab, lengths, rng):
    """(x, y, mask) with one row per length, right-padded with random ids under a zero mask."""
    T = max(lengths)
    x = rng.integers(0, vocab, (len(lengths), T))
    y = rng.integers(0, vocab, (len(lengths), T))
    mask = (np.arange(T)[None, :] < np.array(lengths)[:, None]).astype(np.float64)
    return x, y, mask
