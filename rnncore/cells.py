"""Recurrent cells: each one's forward and backward side by side, its time loop inside.

Each does the input projection of every step in one matmul and one (B, H) @ (H, gH) matmul per step;
see layers.py for the conventions every layer follows.
"""
from __future__ import annotations

import numpy as np

from .layers import Layer, check_size, flat, orthogonal


class RNN(Layer):
    """Elman RNN: h_t = tanh(x_t @ Wxh + h_{t-1} @ Whh + bh)."""

    kind = "rnn"
    recurrent = True
    options = ("orthogonal", "uniform")  # how Whh is drawn; "uniform" is the original's Glorot
    option_name = "whh_init"

    def __init__(self, hidden: int, whh_init: str = "orthogonal"):
        self.hidden = check_size("RNN", hidden)
        if whh_init not in self.options:
            raise ValueError(f"whh_init must be one of {', '.join(self.options)}, got {whh_init!r}")
        self.whh_init = whh_init

    dim = state_size = property(lambda self: self.hidden)
    option = property(lambda self: self.whh_init)

    def spec(self):
        return {"type": "rnn", "hidden": self.hidden, "whh_init": self.whh_init}

    def shapes(self, in_dim):
        return {"Wxh": (in_dim, self.hidden), "Whh": (self.hidden, self.hidden), "bh": (self.hidden,)}

    def initialiser(self, key):
        return orthogonal if key == "Whh" and self.whh_init == "orthogonal" else super().initialiser(key)

    def forward(self, p, x, state):
        T, B, _ = x.shape
        hs = np.empty((T + 1, B, self.hidden), p["Whh"].dtype)  # hs[0] = h_0 (carried in), hs[t] = h_t
        hs[0] = 0 if state is None else state
        np.matmul(flat(x), p["Wxh"], out=flat(hs[1:]))  # every step's input projection in one matmul
        hs[1:] += p["bh"]
        carry = np.empty_like(hs[0])  # (B, H)
        for t in range(1, T + 1):  # only h_{t-1} @ Whh is sequential
            np.matmul(hs[t - 1], p["Whh"], out=carry)
            hs[t] += carry
            np.tanh(hs[t], out=hs[t])
        return hs[1:], (x, hs), hs[T]

    def backward(self, p, cache, dh_out):
        x, hs = cache
        dz = np.square(hs[1:])  # (T, B, H)
        np.subtract(1, dz, out=dz)  # tanh'(z_t) = 1 - h_t^2; becomes dL/dz_t in place below
        WhhT = p["Whh"].T.copy()  # contiguous: the per-step matmul runs faster on it
        dh = np.zeros_like(hs[0])  # (B, H) dL/dh_t from the steps after t
        for t in reversed(range(len(dz))):
            dh += dh_out[t]  # ... plus from the layer above
            dz[t] *= dh  # dz_t = dh_t * tanh'(z_t)
            if t:  # dL/dh_0 is not needed: h_0 is zeros or the state carried from the last chunk, whose graph is
                np.matmul(dz[t], WhhT, out=dh)  # gone (truncated BPTT). dh_{t-1} = dz_t Whh^T
        dz2 = flat(dz)  # (T * B, H)
        grads = {"Wxh": flat(x).T @ dz2,  # dWxh = sum_t x_t^T dz_t
                 "Whh": flat(hs[:-1]).T @ dz2,  # dWhh = sum_t h_{t-1}^T dz_t
                 "bh": dz2.sum(0)}  # dbh = sum_t dz_t
        return (dz2 @ p["Wxh"].T).reshape(x.shape), grads  # dx_t = dz_t Wxh^T

    @staticmethod
    def traces(cache) -> dict:
        """What the layer computed at each step, by name: (T, B, H) each."""
        return {"h": cache[1][1:]}
