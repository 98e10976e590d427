"""Each recurrent cell's step linearised around a forward pass, for the measures of rnncore/recurrence.py.

A `Step` holds the local derivatives of every step of a pass at once, from the cell's own traces (`traces(cache)`)
and its parameters in PyTorch's layout (gates side by side), and takes a state gradient one step back (`back`) or a
change of state one step forward (`forth`). A state is h (RNN, GRU) or h and c (LSTM), carried as two arrays; a
cell without c has None for it.
"""
from __future__ import annotations

import numpy as np


def matmul(a, W):
    """(..., n) @ (n, m) as one 2-D product: NumPy loops over a stack of small products one by one."""
    return (a.reshape(-1, a.shape[-1]) @ W).reshape(*a.shape[:-1], W.shape[1])


def before(a):
    """(T, B, H) -> (T, B, H): the value before each step, zeros before the first."""
    return np.concatenate([np.zeros_like(a[:1]), a[:-1]])


class Step:
    """What the cells' linearised steps share. A state gradient or change is h's and c's (None without c), (..., H)
    each; `back` and `forth` work on the leading axes (T, B) of the local derivatives, or on the positions that
    `per_position`'s arrays have been cut down to (N, ...)."""

    has_c = False

    def __init__(self, h):
        self.shape, self.dtype = h.shape, h.dtype  # (T, B, H)

    size = property(lambda self: self.shape[-1] * (1 + self.has_c))  # of the state: H, or 2H with c

    def through_h(self, dh, dc, at):
        """The gradient of c_s as `back` takes it (the LSTM's adds c's path through h_s)."""
        return dc

    def gram(self, v):
        """JᵀJ v at every position, v (..., size) a change of the state before the step ([h | c])."""
        H = self.shape[-1]
        dh, dc = self.forth(*((v[..., :H], v[..., H:]) if self.has_c else (v, None)))
        _, dh, dc = self.back(dh, self.through_h(dh, dc, slice(None)), slice(None))
        return dh if dc is None else np.concatenate([dh, dc], -1)


class ElmanStep(Step):
    """h_s = tanh(x_s Wxh + h_{s-1} Whh + bh)."""

    per_position = ("slope",)

    def __init__(self, p, trace):
        super().__init__(trace["h"])
        self.Wx_T, self.Wh, self.Wh_T = p["Wxh"].T.copy(), p["Whh"], p["Whh"].T.copy()
        self.slope = 1 - np.square(trace["h"])  # (T, B, H) tanh' of each step's pre-activation

    def back(self, dh, dc, at):
        """(gradient of the input projection x_s Wx, of h_{s-1}, of c_{s-1}) from those of h_s and c_s (`through_h`)."""
        dz = dh * self.slope[at]
        return dz, matmul(dz, self.Wh_T), None

    def forth(self, dh, dc):
        """(change of h_s, of c_s) from a change of h_{s-1} and c_{s-1}, at every step at once."""
        return self.slope * matmul(dh, self.Wh), None


class LSTMStep(Step):
    """c_s = f c_{s-1} + i g, h_s = o tanh(c_s); i, f, g, o of x_s Wx + h_{s-1} Wh + b, a quarter of the columns
    each."""

    has_c, per_position = True, ("f", "dh_dc", "slopes")

    def __init__(self, p, trace):
        super().__init__(trace["h"])
        self.Wx_T, self.Wh, self.Wh_T = p["Wx"].T.copy(), p["Wh"], p["Wh"].T.copy()
        i, f, g, o, c = (trace[k] for k in "ifgoc")
        tanh_c = np.tanh(c)
        self.f, self.dh_dc = f, o * (1 - tanh_c ** 2)  # dc_s/dc_{s-1}; dh_s/dc_s
        # dc_s per unit of each of i's, f's and g's pre-activations, and dh_s per unit of o's: (T, B, 4, H)
        self.slopes = np.stack([g * i * (1 - i), before(c) * f * (1 - f), i * (1 - g ** 2), tanh_c * o * (1 - o)], 2)

    def through_h(self, dh, dc, at):
        """c_s reaches the loss through h_s = o tanh(c_s) too: autograd counts that path in c_s's gradient."""
        return dc + dh * self.dh_dc[at]

    def back(self, dh, dc, at):
        slopes = self.slopes[at]
        dz = np.empty((*dh.shape[:-1], 4, dh.shape[-1]), dh.dtype)
        np.multiply(dc[..., None, :], slopes[..., :3, :], out=dz[..., :3, :])  # i, f, g through c_s
        np.multiply(dh, slopes[..., 3, :], out=dz[..., 3, :])  # o through h_s
        dz = dz.reshape(*dz.shape[:-2], -1)  # (..., 4H): i, f, g, o side by side, as the columns of Wx and Wh
        return dz, matmul(dz, self.Wh_T), dc * self.f[at]

    def forth(self, dh, dc):
        dz = matmul(dh, self.Wh).reshape(*dh.shape[:-1], 4, -1) * self.slopes
        dc = dz[..., :3, :].sum(-2) + self.f * dc
        return dz[..., 3, :] + self.dh_dc * dc, dc


class GRUStep(Step):
    """h_s = (1 - z) n + z h_{s-1}, n = tanh(x_s Wx_n + bx_n + r (h_{s-1} Wh_n + bh_n)); r, z of x_s Wx + bx +
    h_{s-1} Wh + bh, a third of the columns each."""

    per_position = ("z", "dn", "slopes")

    def __init__(self, p, trace):
        super().__init__(trace["h"])
        self.Wx_T, self.Wh, self.Wh_T = p["Wx"].T.copy(), p["Wh"], p["Wh"].T.copy()
        r, z, n, h = (trace[k] for k in "rznh")
        H = h.shape[-1]
        hn = matmul(before(h), p["Wh"][:, 2 * H:]) + p["bh"][2 * H:]  # h_{s-1} Wh_n + bh_n
        self.z, self.dn = z, (1 - z) * (1 - n ** 2)  # dh_s/dh_{s-1} directly; dh_s per unit of n's pre-activation
        # dh_s per unit of r's and z's pre-activations and of h_{s-1} Wh_n: (T, B, 3, H)
        self.slopes = np.stack([self.dn * hn * r * (1 - r), (before(h) - n) * z * (1 - z), self.dn * r], 2)

    def back(self, dh, dc, at):
        d = dh[..., None, :] * self.slopes[at]
        d = d.reshape(*d.shape[:-2], -1)  # (..., 3H): the gradient of h_{s-1} Wh + bh
        dx = d.copy()
        H = dh.shape[-1]
        dx[..., 2 * H:] = dh * self.dn[at]  # that of x_s Wx + bx: n's part is outside r * (...)
        return dx, matmul(d, self.Wh_T) + dh * self.z[at], None

    def forth(self, dh, dc):
        dz = matmul(dh, self.Wh).reshape(*dh.shape[:-1], 3, -1) * self.slopes
        return dz.sum(-2) + self.z * dh, None


STEPS = {"rnn": ElmanStep, "lstm": LSTMStep, "gru": GRUStep}
