"""Recurrent cells: each one's forward and backward side by side, its time loop inside.

Each does the input projection of every step in one matmul call and one (B, H) @ (H, gH) matmul per step
(g gates: 4 for the LSTM, 3 for the GRU, 1 for the RNN); see layers.py for the conventions every layer follows.
"""
from __future__ import annotations

import numpy as np

from .gates import blocks, by_gate, forget_bias_one, rows, sigmoid_scale
from .layers import Layer, check_size, column_sums, flat, glorot, orthogonal


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
        np.matmul(flat(x), p["Wxh"], out=flat(hs[1:]))  # every step's input projection in one matmul
        hs[1:] += p["bh"]
        Whh, carry, h = p["Whh"], np.empty_like(hs[0]), hs[0]  # (B, H) each
        for h_next in hs[1:]:  # only h_{t-1} @ Whh is sequential
            np.dot(h, Whh, out=carry)  # np.dot: less overhead than np.matmul on a small product
            h_next += carry
            h = np.tanh(h_next, out=h_next)
        return hs[1:], (x, hs), hs[T]

    def backward(self, p, cache, dh_out):
        x, hs = cache
        dz = np.square(hs[1:])  # (T, B, H)
        np.subtract(1, dz, out=dz)  # tanh'(z_t) = 1 - h_t^2; becomes dL/dz_t in place below
        WhhT = p["Whh"].T.copy()  # contiguous: the per-step matmul runs faster on it
        dh = np.zeros(hs[0].shape, hs.dtype)  # (B, H) dL/dh_t from the steps after t
        for t, dz_t, dh_out_t in zip(range(len(dz) - 1, -1, -1), dz[::-1], dh_out[::-1], strict=True):
            dh += dh_out_t  # ... plus from the layer above
            dz_t *= dh  # dz_t = dh_t * tanh'(z_t)
            if t:  # dL/dh_0 is not needed: h_0 is zeros or the state carried from the last chunk, whose graph is
                np.dot(dz_t, WhhT, out=dh)  # gone (truncated BPTT). dh_{t-1} = dz_t Whh^T
        dz2 = flat(dz)  # (T * B, H)
        grads = {"Wxh": flat(x).T @ dz2,  # dWxh = sum_t x_t^T dz_t
                 "Whh": flat(hs[:-1]).T @ dz2,  # dWhh = sum_t h_{t-1}^T dz_t
                 "bh": column_sums(dz2)}  # dbh = sum_t dz_t
        return (dz2 @ p["Wxh"].T).reshape(x.shape), grads  # dx_t = dz_t Wxh^T

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
        H, s = self.hidden, sigmoid_scale("ssts", p["Wh"].dtype)
        gates = np.matmul(x[:, None], by_gate(p["Wx"], 4) * s)  # (T, 4, B, H): every step's input projection
        gates += p["b"].reshape(4, 1, H) * s  # (scaled) pre-activations, then i, f, g, o in place
        Wh = by_gate(p["Wh"], 4) * s  # (4, H, H)
        # the loop's scale and shift spelt out to (4, B, H): a same-shape multiply or add is 2-3x faster than one
        # broadcasting a (4, 1, 1)
        scale, shift = (np.ascontiguousarray(np.broadcast_to(a, (4, B, H))) for a in (s, 1 - s))
        hs, cs = np.empty((2, T + 1, B, H), s.dtype)  # hs[0], cs[0] carried in; hs[t], cs[t] after step t
        hs[0], cs[0] = (0, 0) if state is None else np.hsplit(state, 2)
        tanh_c = np.empty((T, B, H), s.dtype)  # kept for the backward
        carry, ig = np.empty((4, B, H), s.dtype), np.empty((B, H), s.dtype)
        for gate, h, h_next, c, c_next, tc in zip(gates, hs[:-1], hs[1:], cs[:-1], cs[1:], tanh_c, strict=True):
            np.matmul(h, Wh, out=carry)  # (the step's views made once: indexing costs as much as a small op)
            gate += carry
            np.tanh(gate, out=gate)
            gate *= scale
            gate += shift  # i, f, o = sigmoid, g = tanh
            i, f, g, o = gate
            np.multiply(f, c, out=c_next)  # c_t = f c_{t-1} + i g
            np.multiply(i, g, out=ig)
            c_next += ig
            np.tanh(c_next, out=tc)
            np.multiply(o, tc, out=h_next)  # h_t = o tanh(c_t)
        return hs[1:], (x, gates, hs, cs, tanh_c), np.concatenate((hs[T], cs[T]), axis=1)

    def backward(self, p, cache, dh_out):
        x, gates, hs, cs, tanh_c = cache
        T, B, H = dh_out.shape
        dz, dc_dh = self.local_derivatives(gates, cs, tanh_c)  # (T, 4, B, H), (T, B, H)
        WhT = by_gate(p["Wh"], 4).swapaxes(1, 2).copy()  # (4, H, H): each gate's Wh^T, contiguous
        dh, dc, tmp = np.zeros((3, B, H), dz.dtype)  # dL/dh_t and dL/dc_t from the steps after t
        dh_parts = np.empty((4, B, H), dz.dtype)
        steps = zip(range(T - 1, -1, -1), dz[::-1], dh_out[::-1], dc_dh[::-1], gates[::-1, 1], strict=True)
        for t, dz_t, dh_out_t, dc_dh_t, f_t in steps:  # each step's views, as in the forward
            dh += dh_out_t  # ... plus from the layer above
            np.multiply(dh, dc_dh_t, out=tmp)
            dc += tmp  # dc_t += dh_t * o_t * tanh'(c_t)
            dz_t[:3] *= dc  # dz_i, dz_f, dz_g = dc_t * (their factor)
            dz_t[3] *= dh  # dz_o = dh_t * tanh(c_t) * o'
            if t:  # nothing flows into the carried-in state (truncated BPTT, as in the RNN)
                dc *= f_t  # dc_{t-1} = dc_t * f_t
                np.matmul(dz_t, WhT, out=dh_parts)
                np.add.reduce(dh_parts, 0, out=dh)  # dh_{t-1} = dz_t Wh^T, summed over the gates
        dz = rows(dz)  # (T * B, 4H)
        grads = {"Wx": flat(x).T @ dz,  # dWx = sum_t x_t^T dz_t
                 "Wh": flat(hs[:-1]).T @ dz,  # dWh = sum_t h_{t-1}^T dz_t
                 "b": column_sums(dz)}  # db = sum_t dz_t
        return (dz @ p["Wx"].T).reshape(x.shape), grads  # dx_t = dz_t Wx^T

    @staticmethod
    def local_derivatives(gates, cs, tanh_c):
        """Every step at once, what the loop multiplies by dc_t or dh_t: dz (T, 4, B, H), each gate's
        d(pre-activation) per unit of dc_t (i, f, g) or of dh_t (o); and dc_t/dh_t = o tanh'(c_t) (T, B, H)."""
        i, f, g, o = gates.swapaxes(0, 1)
        dz = np.subtract(1, gates)
        dz *= gates  # sigmoid' = a (1 - a): i, f, o (g's is replaced next)
        dzi, dzf, dzg, dzo = dz.swapaxes(0, 1)
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
        return {"h": hs[1:], "c": cs[1:], **dict(zip("ifgo", gates.swapaxes(0, 1), strict=True))}


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
        gates = np.matmul(x[:, None], by_gate(p["Wx"], 3) * s)  # (T, 3, B, H): every step's input projection
        gates += b.reshape(3, 1, H) * s  # (scaled) pre-activations, then r, z, n in place
        Wh, bh_n = by_gate(p["Wh"], 3) * s, p["bh"][2 * H:]  # (3, H, H)
        hs = np.empty((T + 1, B, H), s.dtype)  # hs[0] carried in, hs[t] after step t
        hs[0] = 0 if state is None else state
        hn = np.empty((T, B, H), s.dtype)  # h_{t-1} @ Wh_n + bh_n, kept for the backward
        carry, tmp = np.empty((3, B, H), s.dtype), np.empty((B, H), s.dtype)
        carry_rz, carry_n = carry[:2], carry[2]
        for gate, h, h_next, hn_t in zip(gates, hs[:-1], hs[1:], hn, strict=True):  # each step's views, as the LSTM's
            rz, (r, z, n) = gate[:2], gate  # (2, B, H), (B, H) each
            np.matmul(h, Wh, out=carry)
            rz += carry_rz
            np.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5  # r, z = sigmoid
            np.add(carry_n, bh_n, out=hn_t)
            np.multiply(r, hn_t, out=tmp)  # n = tanh(x_t Wx_n + bx_n + r * hn)
            n += tmp
            np.tanh(n, out=n)
            np.subtract(h, n, out=h_next)  # h_t = n + z * (h_{t-1} - n)
            h_next *= z
            h_next += n
        return hs[1:], (x, gates, hs, hn), hs[T]

    def backward(self, p, cache, dh_out):
        x, gates, hs, hn = cache
        T, B, H = dh_out.shape
        d = self.local_derivatives(gates, hs, hn)  # (T, 4, B, H)
        WhT = by_gate(p["Wh"], 3).swapaxes(1, 2).copy()  # (3, H, H): each gate's Wh^T, contiguous
        dh = np.zeros((B, H), d.dtype)  # dL/dh_t from the steps after t
        dh_parts = np.empty((4, B, H), d.dtype)
        through_wh, through_z = dh_parts[:3], dh_parts[3]
        for t, d_t, dh_out_t, z_t in zip(range(T - 1, -1, -1), d[::-1], dh_out[::-1], gates[::-1, 1], strict=True):
            dh += dh_out_t  # ... plus from the layer above
            d_t *= dh  # dz_r, dz_z, d(h_{t-1} Wh_n + bh_n), dz_n = dh_t * (their factor)
            if t:  # nothing flows into the carried-in state (truncated BPTT, as in the RNN)
                np.matmul(d_t[:3], WhT, out=through_wh)  # through h_{t-1} @ Wh + bh
                np.multiply(dh, z_t, out=through_z)  # through z_t * h_{t-1}
                np.add.reduce(dh_parts, 0, out=dh)  # dh_{t-1}
        dg = rows(d[:, :3])  # (T * B, 3H): the gradient of h_{t-1} @ Wh + bh
        grads = {"Wh": flat(hs[:-1]).T @ dg,  # dWh = sum_t h_{t-1}^T d(h_{t-1} Wh + bh)
                 "bh": column_sums(dg)}
        dg.reshape(T, B, 3, H)[:, :, 2] = d[:, 3]  # now the gradient of x_t @ Wx + bx: only n's part differs
        grads.update(Wx=flat(x).T @ dg,  # dWx = sum_t x_t^T d(x_t Wx + bx)
                     bx=column_sums(dg))
        return (dg @ p["Wx"].T).reshape(x.shape), grads  # dx_t = d(x_t Wx + bx) Wx^T

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
