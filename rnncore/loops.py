"""The cells' time loops, the one sequential part of a step. Each runs every step for the rows of the batch, in
place in the arrays it is given: the whole batch, or its one row (a batch of one, as vectors: NumPy's vector
products are quicker). Each step's views are made once, by `zip`: indexing costs as much as a small operation.
"""
from __future__ import annotations

import numpy as np

CACHE_BYTES = 1 << 19  # a chunk of steps' local derivatives: well inside a core's L2 cache


def chunks(steps: int, step_bytes: int) -> list[slice]:
    """The steps in chunks of about CACHE_BYTES, `step_bytes` a step."""
    n = max(1, CACHE_BYTES // step_bytes)
    return [slice(start, min(start + n, steps)) for start in range(0, steps, n)]


def rnn_steps(hs, Whh, bh):
    """h_t = tanh(x_t Wxh + bh + h_{t-1} @ Whh) in place: hs (T + 1, B, H) holds h_0, then each step's x_t Wxh."""
    hs[1:] += bh
    carry, h = np.empty_like(hs[0]), hs[0]
    for h_next in hs[1:]:
        np.dot(h, Whh, out=carry)  # np.dot: less overhead than np.matmul on a small product
        h_next += carry
        h = np.tanh(h_next, out=h_next)


def rnn_back_steps(hs, dh_out, WhhT, dz):
    """dz (T, B, H) filled with dL/dz_t, given hs (T + 1, B, H) and dL/dh_t from the layer above."""
    np.square(hs[1:], out=dz)
    np.subtract(1, dz, out=dz)  # tanh'(z_t) = 1 - h_t^2; becomes dL/dz_t in place below
    dh = np.zeros_like(dz[0])  # dL/dh_t from the steps after t
    for t, dz_t, dh_out_t in zip(range(len(dz) - 1, -1, -1), dz[::-1], dh_out[::-1], strict=True):
        dh += dh_out_t  # ... plus from the layer above
        dz_t *= dh  # dz_t = dh_t * tanh'(z_t)
        if t:  # dL/dh_0 is not needed: h_0 is zeros or the state carried from the last chunk, whose graph is
            np.dot(dz_t, WhhT, out=dh)  # gone (truncated BPTT). dh_{t-1} = dz_t Whh^T


def lstm_steps(gates, hs, cs, tanh_c, Wh, b):
    """gates (T, 4, B, H), each step's x_t Wx scaled as gates.sigmoid_scale says, to i, f, o, g in place;
    hs and cs (T + 1, B, H) from h_0 and c_0, and tanh_c (T, B, H), filled. Wh (4, H, H) and b (4, H) scaled too."""
    gates += b.reshape(4, *[1] * (gates.ndim - 3), -1)  # (4, 1, H), or (4, H) for a row of vectors
    half = np.full((3, *gates.shape[2:]), 0.5, Wh.dtype)  # same-shape: quicker than a scalar for a row of vectors
    carry, ig = np.empty(gates.shape[1:], Wh.dtype), np.empty(hs.shape[1:], Wh.dtype)
    for gate, h, h_next, c, c_next, tc in zip(gates, hs[:-1], hs[1:], cs[:-1], cs[1:], tanh_c, strict=True):
        np.matmul(h, Wh, out=carry)
        gate += carry
        np.tanh(gate, out=gate)
        sigmoids = gate[:3]
        sigmoids *= half
        sigmoids += half  # i, f, o = sigmoid, g = tanh
        i, f, o, g = gate
        np.multiply(f, c, out=c_next)  # c_t = f c_{t-1} + i g
        np.multiply(i, g, out=ig)
        c_next += ig
        np.tanh(c_next, out=tc)
        np.multiply(o, tc, out=h_next)  # h_t = o tanh(c_t)


def lstm_back_steps(derivatives, dh_out, f, dz, WhT):
    """dz (T, B, 4H), the gates side by side as in the parameters, filled with dL/d(pre-activation), from the
    steps' own derivatives, dL/dh_t from the layer above and the forget gate f (T, B, H). `derivatives(steps)`
    gives LSTM.local_derivatives of a slice of steps: they are taken a chunk at a time, each while its gates are
    in the cache. One matmul a step, (B, 4H) @ (4H, H), takes dh_{t-1} from all four gates."""
    dh, dc, tmp = np.zeros((3, *dh_out.shape[1:]), dz.dtype)  # dL/dh_t and dL/dc_t from the steps after t
    dz_gates = np.moveaxis(dz.reshape(*dz.shape[:-1], 4, -1), -2, 1)  # (T, 4, B, H): a view of dz
    for chunk in reversed(chunks(len(dz), dz[0].nbytes)):
        local, dc_dh = derivatives(chunk)  # (steps, 4, B, H), (steps, B, H)
        steps = zip(range(chunk.stop - 1, chunk.start - 1, -1), local[::-1], dc_dh[::-1], dh_out[chunk][::-1],
                    f[chunk][::-1], dz[chunk][::-1], dz_gates[chunk][::-1], strict=True)
        for t, local_t, dc_dh_t, dh_out_t, f_t, dz_t, dz_gates_t in steps:
            dh += dh_out_t  # ... plus from the layer above
            np.multiply(dh, dc_dh_t, out=tmp)
            dc += tmp  # dc_t += dh_t * o_t * tanh'(c_t)
            np.multiply(local_t[:3], dc, out=dz_gates_t[:3])  # dz_i, dz_f, dz_g = dc_t * (their factor)
            np.multiply(local_t[3], dh, out=dz_gates_t[3])  # dz_o = dh_t * tanh(c_t) * o'
            if t:  # nothing flows into the carried-in state (truncated BPTT, as in the RNN)
                dc *= f_t  # dc_{t-1} = dc_t * f_t
                np.dot(dz_t, WhT, out=dh)  # dh_{t-1} = dz_t Wh^T


def gru_steps(gates, hs, hn, Wh, b, bh_n):
    """gates (T, 3, B, H), each step's x_t Wx scaled as gates.sigmoid_scale says, to r, z, n in place, b (3, H)
    added (bx, and bh for r and z, scaled too); hs (T + 1, B, H) from h_0 and hn (T, B, H) = h_{t-1} Wh_n + bh_n,
    filled. Wh (3, H, H), scaled."""
    gates += b.reshape(3, *[1] * (gates.ndim - 3), -1)  # (3, 1, H), or (3, H) for a row of vectors
    carry, tmp = np.empty(gates.shape[1:], Wh.dtype), np.empty(hs.shape[1:], Wh.dtype)
    carry_rz, carry_n = carry[:2], carry[2]
    for gate, h, h_next, hn_t in zip(gates, hs[:-1], hs[1:], hn, strict=True):
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


def gru_back_steps(derivatives, dh_out, z, dg, dn, WhT):
    """dg (T, B, 3H) = dL/d(h_{t-1} Wh + bh), the gates side by side, and dn (T, B, H) = dL/d(n's pre-activation),
    filled from the steps' own derivatives (`derivatives(steps)`: GRU.local_derivatives of a slice of steps, taken
    a chunk at a time as in the LSTM), dL/dh_t from the layer above and the update gate z (T, B, H)."""
    dh, tmp = np.zeros((2, *dh_out.shape[1:]), dg.dtype)  # dL/dh_t from the steps after t
    dg_gates = np.moveaxis(dg.reshape(*dg.shape[:-1], 3, -1), -2, 1)  # (T, 3, B, H): a view of dg
    for chunk in reversed(chunks(len(dg), dg[0].nbytes)):
        steps = zip(range(chunk.stop - 1, chunk.start - 1, -1), derivatives(chunk)[::-1], dh_out[chunk][::-1],
                    z[chunk][::-1], dg[chunk][::-1], dg_gates[chunk][::-1], dn[chunk][::-1], strict=True)
        for t, local_t, dh_out_t, z_t, dg_t, dg_gates_t, dn_t in steps:
            dh += dh_out_t  # ... plus from the layer above
            np.multiply(local_t[:3], dh, out=dg_gates_t)  # dz_r, dz_z, d(h_{t-1} Wh_n + bh_n)
            np.multiply(local_t[3], dh, out=dn_t)  # dz_n
            if t:  # nothing flows into the carried-in state (truncated BPTT, as in the RNN)
                np.dot(dg_t, WhT, out=tmp)  # through h_{t-1} @ Wh + bh
                dh *= z_t  # through z_t * h_{t-1}
                dh += tmp  # dh_{t-1}
