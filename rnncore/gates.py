"""The gated cells' (LSTM, GRU) layout of their gates, and the helpers that keep it.

The gated cells keep their gates step-major and gate-major within a step, (T, n, B, H): each step's gates form
one contiguous block, and each gate's (B, H) a contiguous piece of it. NumPy runs a small op several times
faster over a contiguous block than over the strided columns of a (B, nH) row, and the loops are such ops.
The input projection is one matmul call that writes this layout directly (a GEMM per step and gate inside
NumPy: faster than one big GEMM and a transposing copy, and no second buffer).
"""
from __future__ import annotations

import numpy as np

from .layers import Embedded


def by_gate(W, n):
    """(in, n * H) -> (n, in, H), contiguous: each gate's columns as a matrix of its own."""
    return np.ascontiguousarray(W.reshape(len(W), n, -1).swapaxes(0, 1))


def projected(x, W, scale, order=slice(None)):
    """Every step's input projection x_t @ W (x (T, B, D)), each gate's columns multiplied by its scale
    (n, 1, 1), in the gates' layout (T, n, B, H), the gates in `order` (indices into W's). A batch of one, whose
    layout (T, n, 1, H) is (T, nH), takes one product; a batch of rows one matmul call. For an Embedded x, a lookup
    in each gate's table @ W."""
    (D, G), n = W.shape, len(scale)
    W = by_gate(W, n) * scale
    if isinstance(x, Embedded):  # row k V + i of `rows` is gate k's for symbol i
        V = len(x.table)
        rows = (x.table @ W[order]).reshape(n * V, -1)
        return rows[x.ids[:, None] + V * np.arange(n)[:, None]]
    T, B, _ = x.shape
    if B == 1:  # H named, not -1: an empty sequence (T = 0) has no size to infer it from
        return (x.reshape(T, D) @ W.swapaxes(0, 1).reshape(D, G)).reshape(T, n, 1, G // n)[:, order]
    return np.matmul(x[:, None], W[order])


def blocks(init, n):
    """An initialiser drawing `n` side-by-side blocks with `init`, one per gate: each gate's columns start
    as they would in a layer of their own."""
    def draw(rng, shape, dtype):
        return np.concatenate([init(rng, (shape[0], shape[1] // n), dtype) for _ in range(n)], axis=1)
    return draw


def forget_bias_one(rng, shape, dtype):
    b = np.zeros(shape, dtype)
    b.reshape(4, -1)[1] = 1  # gates i, f, g, o
    return b


def sigmoid_scale(kinds, dtype):
    """sigmoid(z) = tanh(z / 2) / 2 + 1 / 2: with a = s tanh(s z) + 1 - s, where s is 1/2 for a sigmoid gate
    ("s") and 1 for a tanh one ("t"), one tanh serves every gate. (n, 1, 1)."""
    return np.array([0.5 if kind == "s" else 1 for kind in kinds], dtype)[:, None, None]
