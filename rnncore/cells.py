"""Recurrent cells: each one's forward and backward side by side, its time loop inside.

Each does the input projection of every step in one matmul call and one (B, H) @ (H, gH) matmul per step
(g gates: 4 for the LSTM, 3 for the GRU, 1 for the RNN); see layers.py for the conventions every layer follows.
"""
from __future__ import annotations

import numpy as np

from .gates import blocks, by_gate, forget_bias_one, projected, sigmoid_scale
from .layers import Layer, check_size, column_sums, flat, glorot, input_gradients, orthogonal, project_into
from .loops import gru_back_steps, gru_steps, lstm_back_steps, lstm_steps, rnn_back_steps, rnn_steps


def loop_rows(batch: int):
    """The index that gives the time loops every row of the batch: its one row as vectors for a batch of one
    (NumPy's vector products are quicker), else all of them."""
    return 0 if batch == 1 else slice(None)


class RNN(Layer):
    """Elman RNN: h_t = tanh(x_t @ Wxh + h_{t-1} @ Whh + bh)."""

    kind = "rnn"
    recurrent = True
    floats_per_unit = 5
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
        project_into(hs[1:], x, p["Wxh"])  # every step's input projection at once
        rows = loop_rows(B)
        rnn_steps(hs[:, rows], p["Whh"], p["bh"])
        return hs[1:], (x, hs), hs[T]

    def backward(self, p, cache, dh_out):
        x, hs = cache
        dz = np.empty_like(dh_out)  # (T, B, H): dL/dz_t
        WhhT = p["Whh"].T.copy()  # contiguous: the per-step matmul runs faster on it
        rows = loop_rows(dz.shape[1])
        rnn_back_steps(hs[:, rows], dh_out[:, rows], WhhT, dz[:, rows])
        dz2 = flat(dz)  # (T * B, H)
        dWxh, dx = input_gradients(x, dz2, p["Wxh"])  # dWxh = sum_t x_t^T dz_t, dx_t = dz_t Wxh^T
        grads = {"Wxh": dWxh,
                 "Whh": flat(hs[:-1]).T @ dz2,  # dWhh = sum_t h_{t-1}^T dz_t
                 "bh": column_sums(dz2)}  # dbh = sum_t dz_t
        return dx, grads

    @staticmethod
    def traces(cache) -> dict:
        """What the layer computed at each step, by name: (T, B, H) each."""
        return {"h": cache[1][1:]}


class LSTM(Layer):
    """Long short-term memory, in PyTorch's layout (gates i, f, g, o side by side in Wx, Wh and b):
    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of x_t @ Wx + h_{t-1} @ Wh + b (a quarter of the columns each),
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t). Its state is [h | c], (B, 2H)."""

    kind = "lstm"
    recurrent = True
    floats_per_unit = 20
    LOOP_ORDER = [0, 1, 3, 2]  # the gates in the time loops: i, f, o, g, the three sigmoids side by side in one block

    def __init__(self, hidden: int):
        self.hidden = check_size("LSTM", hidden)

    dim = property(lambda self: self.hidden)
    state_size = property(lambda self: 2 * self.hidden)

    def spec(self):
        return {"type": "lstm", "hidden": self.hidden}

    def shapes(self, in_dim):
        H = self.hidden
        return {"Wx": (in_dim, 4 * H), "Wh": (H, 4 * H), "b": (4 * H,)}

    def initialiser(self, key):
        # Per gate: Glorot for Wx as every other layer; a rotation for Wh as the RNN, so that h's norm holds
        # through the steps at the start; and a forget-gate bias of 1 (Jozefowicz et al. 2015), so that c is
        # kept, not halved at every step, until the network learns what to forget.
        return {"Wx": blocks(glorot, 4), "Wh": blocks(orthogonal, 4), "b": forget_bias_one}[key]

    def forward(self, p, x, state):
        T, B, _ = x.shape
        H, s, order = self.hidden, sigmoid_scale("ssts", p["Wh"].dtype), self.LOOP_ORDER
        gates = projected(x, p["Wx"], s, order)  # (T, 4, B, H): (scaled) pre-activations, then i, f, o, g in place
        Wh, b = (by_gate(p["Wh"], 4) * s)[order], (p["b"].reshape(4, H) * s[:, 0])[order]  # (4, H, H), (4, H)
        hs, cs = np.empty((2, T + 1, B, H), s.dtype)  # hs[0], cs[0] carried in; hs[t], cs[t] after step t
        hs[0], cs[0] = (0, 0) if state is None else np.hsplit(state, 2)
        tanh_c = np.empty((T, B, H), s.dtype)  # kept for the backward
        rows = loop_rows(B)
        lstm_steps(gates[:, :, rows], hs[:, rows], cs[:, rows], tanh_c[:, rows], Wh, b)
        return hs[1:], (x, gates, hs, cs, tanh_c), np.concatenate((hs[T], cs[T]), axis=1)

    def backward(self, p, cache, dh_out):
        x, gates, hs, cs, tanh_c = cache
        T, B, H = dh_out.shape
        WhT = p["Wh"].T.copy()  # (4H, H), contiguous: the per-step matmul runs faster on it
        dz = np.empty((T, B, 4 * H), WhT.dtype)  # dL/d(pre-activations), the gates side by side

        rows = loop_rows(B)

        def derivatives(steps):
            cs_steps = cs[steps.start:steps.stop + 1, rows]  # c_{t-1} and c_t
            return self.local_derivatives(gates[steps, :, rows], cs_steps, tanh_c[steps, rows])
        lstm_back_steps(derivatives, dh_out[:, rows], gates[:, 1, rows], dz[:, rows], WhT)
        dz = flat(dz)  # (T * B, 4H)
        dWx, dx = input_gradients(x, dz, p["Wx"])  # dWx = sum_t x_t^T dz_t, dx_t = dz_t Wx^T
        grads = {"Wx": dWx,
                 "Wh": flat(hs[:-1]).T @ dz,  # dWh = sum_t h_{t-1}^T dz_t
                 "b": column_sums(dz)}  # db = sum_t dz_t
        return dx, grads

    @staticmethod
    def local_derivatives(gates, cs, tanh_c):
        """Every step at once, from the gates in the loops' order (i, f, o, g), what the loop multiplies by dc_t
        or dh_t: dz (T, 4, B, H) in the parameters' order, each gate's d(pre-activation) per unit of dc_t (i, f, g)
        or of dh_t (o); and dc_t/dh_t = o tanh'(c_t) (T, B, H)."""
        i, f, o, g = gates.swapaxes(0, 1)
        dz = np.empty_like(gates)
        dzi, dzf, dzg, dzo = dz.swapaxes(0, 1)
        for a, da in ((gates[:, :2], dz[:, :2]), (o, dzo)):  # sigmoid' = a (1 - a): i and f side by side, o
            np.subtract(1, a, out=da)
            da *= a
        np.square(g, out=dzg)
        np.subtract(1, dzg, out=dzg)  # tanh' = 1 - g^2
        dzi *= g  # c_t = f c_{t-1} + i g
        dzf *= cs[:-1]
        dzg *= i
        dzo *= tanh_c  # h_t = o tanh(c_t)
        dc_dh = np.square(tanh_c)
        np.subtract(1, dc_dh, out=dc_dh)
        dc_dh *= o
        return dz, dc_dh

    @staticmethod
    def traces(cache) -> dict:
        """h, c and each gate's activation at each step: (T, B, H) each."""
        x, gates, hs, cs, _ = cache
        i, f, o, g = gates.swapaxes(0, 1)  # the loops' order
        return {"h": hs[1:], "c": cs[1:], "i": i, "f": f, "g": g, "o": o}


class GRU(Layer):
    """Gated recurrent unit, in PyTorch's layout (gates r, z, n side by side in Wx, Wh, bx and bh):
    r, z = sigmoid(x_t @ Wx + bx + h_{t-1} @ Wh + bh) (a third of the columns each),
    n = tanh(x_t @ Wx_n + bx_n + r * (h_{t-1} @ Wh_n + bh_n)), h_t = (1 - z) * n + z * h_{t-1}."""

    kind = "gru"
    recurrent = True
    floats_per_unit = 16

    def __init__(self, hidden: int):
        self.hidden = check_size("GRU", hidden)

    dim = state_size = property(lambda self: self.hidden)

    def spec(self):
        return {"type": "gru", "hidden": self.hidden}

    def shapes(self, in_dim):
        H = self.hidden
        return {"Wx": (in_dim, 3 * H), "Wh": (H, 3 * H), "bx": (3 * H,), "bh": (3 * H,)}

    def initialiser(self, key):
        # Per gate, as the LSTM's: Glorot for Wx, a rotation for Wh; biases start at zero.
        return {"Wx": blocks(glorot, 3), "Wh": blocks(orthogonal, 3)}.get(key) or super().initialiser(key)

    def forward(self, p, x, state):
        T, B, _ = x.shape
        H, s = self.hidden, sigmoid_scale("sst", p["Wh"].dtype)
        b = p["bx"] + p["bh"]
        b[2 * H:] = p["bx"][2 * H:]  # n's bh sits inside r * (...); r's and z's add to the rest
        gates = projected(x, p["Wx"], s)  # (T, 3, B, H): (scaled) pre-activations, then r, z, n in place
        Wh, b, bh_n = by_gate(p["Wh"], 3) * s, b.reshape(3, H) * s[:, 0], p["bh"][2 * H:]  # (3, H, H), (3, H), (H,)
        hs = np.empty((T + 1, B, H), s.dtype)  # hs[0] carried in, hs[t] after step t
        hs[0] = 0 if state is None else state
        hn = np.empty((T, B, H), s.dtype)  # h_{t-1} @ Wh_n + bh_n, kept for the backward
        rows = loop_rows(B)
        gru_steps(gates[:, :, rows], hs[:, rows], hn[:, rows], Wh, b, bh_n)
        return hs[1:], (x, gates, hs, hn), hs[T]

    def backward(self, p, cache, dh_out):
        x, gates, hs, hn = cache
        T, B, H = dh_out.shape
        WhT = p["Wh"].T.copy()  # (3H, H), contiguous: the per-step matmul runs faster on it
        dg = np.empty((T, B, 3 * H), WhT.dtype)  # the gradient of h_{t-1} @ Wh + bh, the gates side by side
        dn = np.empty((T, B, H), WhT.dtype)  # ... and of n's pre-activation

        rows = loop_rows(B)

        def derivatives(steps):
            hs_steps = hs[steps.start:steps.stop + 1, rows]  # h_{t-1} and h_t
            return self.local_derivatives(gates[steps, :, rows], hs_steps, hn[steps, rows])
        gru_back_steps(derivatives, dh_out[:, rows], gates[:, 1, rows], dg[:, rows], dn[:, rows], WhT)
        dg = flat(dg)  # (T * B, 3H)
        grads = {"Wh": flat(hs[:-1]).T @ dg,  # dWh = sum_t h_{t-1}^T d(h_{t-1} Wh + bh)
                 "bh": column_sums(dg)}
        dg.reshape(T, B, 3, H)[:, :, 2] = dn  # now the gradient of x_t @ Wx + bx: only n's part differs
        dWx, dx = input_gradients(x, dg, p["Wx"])  # dWx = sum_t x_t^T d(x_t Wx + bx), dx_t = d(x_t Wx + bx) Wx^T
        grads.update(Wx=dWx, bx=column_sums(dg))
        return dx, grads

    @staticmethod
    def local_derivatives(gates, hs, hn):
        """Every step at once, what the loop multiplies by dh_t, (T, 4, B, H): the gradients of r's and z's
        pre-activations, of h_{t-1} Wh_n + bh_n and of n's pre-activation."""
        r, z, n = gates.swapaxes(0, 1)
        d = np.empty((len(hn), 4, *hn.shape[1:]), hn.dtype)
        dr, dz, dhn, dn = d.swapaxes(0, 1)
        np.subtract(1, z, out=dn)  # h_t = (1 - z) n + z h_{t-1}
        tmp = np.square(n)
        np.subtract(1, tmp, out=tmp)
        dn *= tmp  # tanh' = 1 - n^2
        np.multiply(dn, r, out=dhn)  # n = tanh(... + r * hn)
        np.subtract(1, r, out=tmp)
        tmp *= r  # sigmoid' = r (1 - r)
        tmp *= hn
        np.multiply(dn, tmp, out=dr)
        np.subtract(hs[:-1], n, out=dz)
        np.subtract(1, z, out=tmp)
        tmp *= z
        dz *= tmp
        return d

    @staticmethod
    def traces(cache) -> dict:
        """h and each gate's activation at each step: (T, B, H) each."""
        return {"h": cache[2][1:], **dict(zip("rzn", cache[1].swapaxes(0, 1), strict=True))}
