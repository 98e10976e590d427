"""What a compiled kernel for the LSTM's gate arithmetic would give (issue 25): the step with the time loops'
element-wise work in numba, against the step as it is.

    pip install numba  # not a dependency: rnncore is NumPy only; this only measures what giving that up buys
    python benchmarks/numba_lstm.py [--shape B,T,H ...] [--threads 1] [--rounds 5] [--seconds 0.25]

Each time loop's step is one kernel call beside the recurrent product, which stays NumPy's: the forward's gates,
c_t, tanh(c_t) and h_t; the backward's dc_t, dh_t and the gates' gradients, the local derivatives folded in. Its
tanh is rational (Eigen's float32 13/6), so float32 results differ from NumPy's in their last bits. Each variant
is timed alone, in a fresh process, every round, as throughput.py times its contenders.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np  # noqa: E402
from _common import best_rate, machine, median, paired_ratio, print_table, round_order  # noqa: E402
from contenders import ours, random_batch  # noqa: E402

from rnncore import LSTM, Embedding, Network, cells, keep_freed_memory  # noqa: E402

VARIANTS = ("plain", "kernels")


def kernels():
    """The two loops in numba, as replacements for rnncore's LSTM loops; SystemExit if numba is missing."""
    try:
        import numba as nb
    except ImportError:
        raise SystemExit("numba_lstm.py needs numba (pip install numba); rnncore itself does not") from None
    f32, opts = np.float32, {"fastmath": True, "nogil": True, "error_model": "numpy"}  # "python" checks every
    half, one, clip = f32(0.5), f32(1), f32(7.90531110763549805)  # division for 0, which stops LLVM vectorising
    a1, a3, a5, a7, a9, a11, a13 = map(f32, (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
                                             5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13,
                                             -2.76076847742355e-16))
    b0, b2, b4, b6 = map(f32, (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04,
                               1.19825839466702e-06))

    @nb.njit(inline="always", **opts)
    def tanh(x):
        x = min(max(x, -clip), clip)
        x2 = x * x
        p = ((((((a13 * x2 + a11) * x2 + a9) * x2 + a7) * x2 + a5) * x2 + a3) * x2 + a1) * x
        return p / (((b6 * x2 + b4) * x2 + b2) * x2 + b0)

    @nb.njit("void(f4[:, ::1], f4[:, ::1], f4[::1], f4[::1], f4[::1], f4[::1])", **opts)
    def forward_step(gate, carry, c, c_next, tanh_c, h_next):  # gate (4, B H): i, f, o, g, as rnncore's loops
        for k in range(c.shape[0]):
            i = tanh(gate[0, k] + carry[0, k]) * half + half
            f = tanh(gate[1, k] + carry[1, k]) * half + half
            o = tanh(gate[2, k] + carry[2, k]) * half + half
            g = tanh(gate[3, k] + carry[3, k])
            gate[0, k], gate[1, k], gate[2, k], gate[3, k] = i, f, o, g
            c_k = f * c[k] + i * g  # kept in a register: a store read back keeps LLVM from vectorising
            tc_k = tanh(c_k)
            c_next[k], tanh_c[k], h_next[k] = c_k, tc_k, o * tc_k

    @nb.njit("void(f4[:, ::1], f4[::1], f4[::1], f4[::1], f4[::1], f4[::1], f4[:, ::1])", **opts)
    def backward_step(gate, c_prev, tanh_c, dh_out, dh, dc, dz):  # dz (B, 4H): i, f, g, o, as the parameters
        H = dz.shape[1] // 4
        for b in range(dz.shape[0]):
            for j in range(H):
                k = b * H + j
                i, f, o, g, t = gate[0, k], gate[1, k], gate[2, k], gate[3, k], tanh_c[k]
                dh_k = dh[k] + dh_out[k]
                dc_k = dc[k] + dh_k * o * (one - t * t)
                dz[b, j] = dc_k * g * i * (one - i)
                dz[b, H + j] = dc_k * c_prev[k] * f * (one - f)
                dz[b, 2 * H + j] = dc_k * i * (one - g * g)
                dz[b, 3 * H + j] = dh_k * t * o * (one - o)
                dc[k] = dc_k * f

    def lstm_steps(gates, hs, cs, tanh_c, Wh, b):
        gates += b[:, None]
        carry = np.empty(gates.shape[1:], Wh.dtype)
        for t in range(len(gates)):
            np.matmul(hs[t], Wh, out=carry)
            forward_step(gates[t].reshape(4, -1), carry.reshape(4, -1), cs[t].ravel(), cs[t + 1].ravel(),
                         tanh_c[t].ravel(), hs[t + 1].ravel())

    def backward(self, p, cache, dh_out):
        x, gates, hs, cs, tanh_c = cache
        T, B, H = dh_out.shape
        WhT = p["Wh"].T.copy()
        dz = np.empty((T, B, 4 * H), WhT.dtype)
        dh, dc = np.zeros((2, B * H), WhT.dtype)
        for t in range(T - 1, -1, -1):
            backward_step(gates[t].reshape(4, -1), cs[t].ravel(), tanh_c[t].ravel(), dh_out[t].ravel(), dh, dc,
                          dz[t])
            if t:
                np.dot(dz[t], WhT, out=dh.reshape(B, H))
        dz = cells.flat(dz)
        dWx, dx = cells.input_gradients(x, dz, p["Wx"])
        return dx, {"Wx": dWx, "Wh": cells.flat(hs[:-1]).T @ dz, "b": cells.column_sums(dz)}

    return lstm_steps, backward


def use(variant: str) -> None:
    """rnncore's LSTM with its own loops (plain) or numba's (kernels): batches of more than one row only."""
    if variant == "kernels":
        cells.lstm_steps, cells.LSTM.backward = kernels()


def largest_difference() -> float:
    """The largest difference of the loss and the gradients between the variants, float32, (32, 32, 64)."""
    x, y = random_batch(32, 32)
    results = []
    for variant in VARIANTS:
        use(variant)
        net = Network(10, [Embedding(32), LSTM(64)], seed=0)
        loss, grads = net.loss_and_grads(x, y)
        results.append([np.asarray(loss), *grads.values()])
    return max(float(np.abs(a - b).max()) for a, b in zip(*results, strict=True))


def time_alone(args) -> None:
    """The child: one variant's tokens/s at one shape and thread count."""
    (B, T, H), = args.shape
    keep_freed_memory()
    use(args.variant)
    print(best_rate(ours(B, T, H, np.float32, "lstm"), B * T, args.seconds))


def rate_alone(variant: str, shape, args) -> float:
    command = [sys.executable, __file__, "--variant", variant, "--shape", ",".join(map(str, shape)),
               "--seconds", str(args.seconds)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))
    return float(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", action="append", type=lambda s: tuple(map(int, s.split(","))))
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (two: the batch in halves, as ours)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.25, help="one timed burst (the best of 3 counts)")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    args.shape = args.shape or [(32, 32, 64), (256, 64, 256)]
    if args.variant:
        return time_alone(args)
    print(machine())
    print(f"float32 LSTM, {args.threads} BLAS thread(s), {args.rounds} rounds, each variant alone in its process")
    print(f"largest difference, loss and gradients, (32, 32, 64): {largest_difference():.1e}")
    rows = []
    for shape in args.shape:
        rates = {v: [] for v in VARIANTS}
        for r in range(args.rounds):
            for variant in round_order(VARIANTS, r):
                rates[variant].append(rate_alone(variant, shape, args))
        ratios = np.asarray(rates["kernels"]) / np.asarray(rates["plain"])
        rows.append([str(shape), f"{median(rates['plain']):,.0f}", f"{median(rates['kernels']):,.0f}",
                     f"{paired_ratio(rates['kernels'], rates['plain']):.2f}", f"{ratios.min():.2f}-{ratios.max():.2f}"])
    print_table(["(B, T, H)", "plain tok/s", "kernels tok/s", "kernels/plain", "range"], rows)


if __name__ == "__main__":
    main()
