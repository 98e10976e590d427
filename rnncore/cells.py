"""Recurrent cells: each one's forward and backward side by side, its time loop inside.

Each does the input projection of every step in one matmul and one (B, H) @ (H, gH) matmul per step;
see layers.py for the conventions every layer follows.
"""
from __future__ import annotations

import numpy as np

from .layers import Layer, check_size, flat, glorot, orthogonal


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


def blocks(init, n):
    """An initialiser drawing `n` side-by-side blocks with `init`, one per gate: each gate's columns start
    as they would in a layer of their own."""
    def draw(rng, shape, dtype):
        return np.concatenate([init(rng, (shape[0], shape[1] // n), dtype) for _ in range(n)], axis=1)
    return draw


def split_gates(a, n):
    """(..., n * H) -> n views (..., H), one per gate."""
    return np.moveaxis(a.reshape(*a.shape[:-1], n, -1), -2, 0)


class LSTM(Layer):
    """Long short-term memory, in PyTorch's layout (gates i, f, g, o side by side in Wx, Wh and b):
    i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of x_t @ Wx + h_{t-1} @ Wh + b (a quarter of the columns each),
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t). Its state is [h | c], (B, 2H)."""

    kind = "lstm"
    recurrent = True

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

    def scale(self, dtype):
        """sigmoid(z) = tanh(z / 2) / 2 + 1 / 2: with a = s * tanh(s * z) + (1 - s), s = 1/2 on the columns of
        i, f, o and 1 on g's, one tanh serves all four gates."""
        return np.repeat(np.array([0.5, 0.5, 1, 0.5], dtype), self.hidden)  # (4H,)

    def forward(self, p, x, state):
        T, B, _ = x.shape
        H, scale = self.hidden, self.scale(p["Wh"].dtype)
        gates = np.empty((T, B, 4 * H), scale.dtype)  # pre-activations, then i, f, g, o in place
        np.matmul(flat(x), p["Wx"], out=flat(gates))  # every step's input projection in one matmul
        gates += p["b"]
        gates *= scale
        Wh, shift = p["Wh"] * scale, 1 - scale
        hs, cs = np.empty((2, T + 1, B, H), scale.dtype)  # hs[0], cs[0] carried in, hs[t], cs[t] after step t
        hs[0], cs[0] = (0, 0) if state is None else np.hsplit(state, 2)
        i, f, g, o = split_gates(gates, 4)  # (T, B, H) views
        carry, ig = np.empty((B, 4 * H), scale.dtype), np.empty((B, H), scale.dtype)
        for t in range(T):
            np.matmul(hs[t], Wh, out=carry)
            gates[t] += carry
            np.tanh(gates[t], out=gates[t])
            gates[t] *= scale
            gates[t] += shift
            np.multiply(f[t], cs[t], out=cs[t + 1])
            np.multiply(i[t], g[t], out=ig)
            cs[t + 1] += ig
            np.tanh(cs[t + 1], out=hs[t + 1])
            hs[t + 1] *= o[t]
        return hs[1:], (x, gates, hs, cs), np.concatenate((hs[T], cs[T]), axis=1)

    def backward(self, p, cache, dh_out):
        x, gates, hs, cs = cache
        T, B, H = dh_out.shape
        dz, dc_dh = self.local_derivatives(gates, cs)
        f, dzo = split_gates(gates, 4)[1], split_gates(dz, 4)[3]  # (T, B, H) views
        per_gate = dz.reshape(T, B, 4, H)  # a view
        WhT = p["Wh"].T.copy()  # contiguous: the per-step matmul runs faster on it
        dh, dc, tmp = np.zeros((3, B, H), dz.dtype)  # dL/dh_t and dL/dc_t from the steps after t
        for t in reversed(range(T)):
            dh += dh_out[t]  # ... plus from the layer above
            np.multiply(dh, dc_dh[t], out=tmp)
            dc += tmp  # dc_t += dh_t * o_t * tanh'(c_t)
            per_gate[t, :, :3] *= dc[:, None]  # dz_i, dz_f, dz_g = dc_t * (their factor)
            dzo[t] *= dh  # dz_o = dh_t * tanh(c_t) * o'
            if t:  # nothing flows into the carried-in state (truncated BPTT, as in the RNN)
                dc *= f[t]  # dc_{t-1} = dc_t * f_t
                np.matmul(dz[t], WhT, out=dh)  # dh_{t-1} = dz_t Wh^T
        dz2 = flat(dz)  # (T * B, 4H)
        grads = {"Wx": flat(x).T @ dz2,  # dWx = sum_t x_t^T dz_t
                 "Wh": flat(hs[:-1]).T @ dz2,  # dWh = sum_t h_{t-1}^T dz_t
                 "b": dz2.sum(0)}  # db = sum_t dz_t
        return (dz2 @ p["Wx"].T).reshape(x.shape), grads  # dx_t = dz_t Wx^T

    @staticmethod
    def local_derivatives(gates, cs):
        """Every step at once, what the loop multiplies by dc_t or dh_t: dz (T, B, 4H), each gate's
        d(its pre-activation) per unit of dc_t (i, f, g) or dh_t (o), and dc_t/dh_t = o * tanh'(c_t) (T, B, H)."""
        i, f, g, o = split_gates(gates, 4)
        dz = np.subtract(1, gates)
        dz *= gates  # sigmoid' = a (1 - a): i, f, o (g's column is replaced below)
        dzi, dzf, dzg, dzo = split_gates(dz, 4)
        np.square(g, out=dzg)
        np.subtract(1, dzg, out=dzg)  # tanh' = 1 - g^2
        dzi *= g  # c_t = f c_{t-1} + i g
        dzf *= cs[:-1]
        dzg *= i
        tanh_c = np.tanh(cs[1:])
        dzo *= tanh_c  # h_t = o tanh(c_t)
        dc_dh = np.square(tanh_c, out=tanh_c)
        np.subtract(1, dc_dh, out=dc_dh)
        dc_dh *= o
        return dz, dc_dh

    @staticmethod
    def traces(cache) -> dict:
        """h, c and each gate's activation at each step: (T, B, H) each."""
        x, gates, hs, cs = cache
        return {"h": hs[1:], "c": cs[1:], **dict(zip("ifgo", split_gates(gates, 4), strict=True))}


def forget_bias_one(rng, shape, dtype):
    b = np.zeros(shape, dtype)
    split_gates(b, 4)[1] = 1
    return b


class GRU(Layer):
    """Gated recurrent unit, in PyTorch's layout (gates r, z, n side by side in Wx, Wh, bx and bh):
    r, z = sigmoid(x_t @ Wx + bx + h_{t-1} @ Wh + bh) (a third of the columns each),
    n = tanh(x_t @ Wx_n + bx_n + r * (h_{t-1} @ Wh_n + bh_n)), h_t = (1 - z) * n + z * h_{t-1}."""

    kind = "gru"
    recurrent = True

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
        H, dtype = self.hidden, p["Wh"].dtype
        gates = np.empty((T, B, 3 * H), dtype)  # pre-activations, then r, z, n in place
        np.matmul(flat(x), p["Wx"], out=flat(gates))  # every step's input projection in one matmul
        gates += p["bx"]
        rz = gates[..., :2 * H]  # (T, B, 2H)
        rz += p["bh"][:2 * H]  # n's bh sits inside r * (...), r's and z's add to the rest
        rz *= 0.5  # sigmoid(z) = tanh(z / 2) / 2 + 1 / 2
        Wh, bh_n = p["Wh"].copy(), p["bh"][2 * H:]
        Wh[:, :2 * H] *= 0.5
        hs = np.empty((T + 1, B, H), dtype)  # hs[0] carried in, hs[t] after step t
        hs[0] = 0 if state is None else state
        hn = np.empty((T, B, H), dtype)  # h_{t-1} @ Wh_n + bh_n, which the backward needs
        r, z, n = split_gates(gates, 3)  # (T, B, H) views
        carry, tmp = np.empty((B, 3 * H), dtype), np.empty((B, H), dtype)
        for t in range(T):
            np.matmul(hs[t], Wh, out=carry)
            rz[t] += carry[:, :2 * H]
            np.tanh(rz[t], out=rz[t])
            rz[t] *= 0.5
            rz[t] += 0.5
            np.add(carry[:, 2 * H:], bh_n, out=hn[t])
            np.multiply(r[t], hn[t], out=tmp)
            n[t] += tmp
            np.tanh(n[t], out=n[t])
            np.subtract(hs[t], n[t], out=hs[t + 1])  # h_t = n + z * (h_{t-1} - n)
            hs[t + 1] *= z[t]
            hs[t + 1] += n[t]
        return hs[1:], (x, gates, hs, hn), hs[T]

    def backward(self, p, cache, dh_out):
        x, gates, hs, hn = cache
        T, B, H = dh_out.shape
        z = split_gates(gates, 3)[1]
        da_n, dgates = self.local_derivatives(gates, hs, hn)
        per_gate = dgates.reshape(T, B, 3, H)  # a view
        WhT = p["Wh"].T.copy()  # contiguous: the per-step matmul runs faster on it
        dh, carry = np.zeros((B, H), dgates.dtype), np.empty((B, H), dgates.dtype)  # dL/dh_t from after t
        for t in reversed(range(T)):
            dh += dh_out[t]  # ... plus from the layer above
            per_gate[t] *= dh[:, None]  # dz_r, dz_z, d(h_{t-1} Wh_n + bh_n) = dh_t * (factor)
            da_n[t] *= dh  # d(n's pre-activation) = dh_t * (factor)
            if t:  # nothing flows into the carried-in state (truncated BPTT, as in the RNN)
                dh *= z[t]  # dh_{t-1} = dh_t z_t
                np.matmul(dgates[t], WhT, out=carry)
                dh += carry  # ... + d(h_{t-1} Wh + bh) Wh^T
        dg = flat(dgates)  # (T * B, 3H): the gradient of h_{t-1} @ Wh + bh
        grads = {"Wh": flat(hs[:-1]).T @ dg,  # dWh = sum_t h_{t-1}^T d(h_{t-1} Wh + bh)
                 "bh": dg.sum(0)}
        split_gates(dgates, 3)[2] = da_n  # now the gradient of x_t @ Wx + bx: only n's column differs
        grads.update(Wx=flat(x).T @ dg,  # dWx = sum_t x_t^T d(x_t Wx + bx)
                     bx=dg.sum(0))
        return (dg @ p["Wx"].T).reshape(x.shape), grads  # dx_t = d(x_t Wx + bx) Wx^T

    @staticmethod
    def local_derivatives(gates, hs, hn):
        """Every step at once, what the loop multiplies by dh_t: d(n's pre-activation) (T, B, H), and the
        gradients of r's and z's pre-activations and of h_{t-1} Wh_n + bh_n, side by side (T, B, 3H)."""
        r, z, n = split_gates(gates, 3)
        da_n = np.subtract(1, z)  # h_t = (1 - z) n + z h_{t-1}
        tmp = np.square(n)
        np.subtract(1, tmp, out=tmp)
        da_n *= tmp  # tanh' = 1 - n^2
        dgates = np.empty_like(gates)
        dr, dz, dhn = split_gates(dgates, 3)
        np.multiply(da_n, r, out=dhn)  # n = tanh(... + r * hn)
        np.subtract(1, r, out=tmp)
        tmp *= r  # sigmoid' = r (1 - r)
        tmp *= hn
        np.multiply(da_n, tmp, out=dr)
        np.subtract(hs[:-1], n, out=dz)
        np.subtract(1, z, out=tmp)
        tmp *= z
        dz *= tmp
        return da_n, dgates

    @staticmethod
    def traces(cache) -> dict:
        """h and each gate's activation at each step: (T, B, H) each."""
        return {"h": cache[2][1:], **dict(zip("rzn", split_gates(cache[1], 3), strict=True))}
