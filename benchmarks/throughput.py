"""Training throughput: tokens/s of one forward, backward and SGD step, against PyTorch and the matmul ceiling.

    python benchmarks/throughput.py [--quick] [--dtype float32|float64]

The model: embedding 32, one tanh RNN, a projection to a vocabulary of 10,
softmax cross-entropy; random (B, T) data, all-ones mask. Three contenders
are timed in turns in one process: rnncore (Network.loss_and_grads + SGD),
the same model in PyTorch on the CPU (if torch imports) with as many threads
as NumPy's BLAS, and NumPy doing only the step's matmuls (the ceiling).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import (  # noqa: E402
    blas_threads,
    busy_warning,
    interleaved_rates,
    machine,
    median,
    paired_ratio,
    print_table,
    set_blas_threads,
)

from rnncore import RNN, Embedding, Network  # noqa: E402
from rnncore.optim import SGD  # noqa: E402

SHAPES = [(1, 17, 64), (32, 32, 64), (256, 64, 64), (256, 64, 256)]  # (batch, steps, hidden)
EMBED, VOCAB, LR = 32, 10, 0.01
ORIGINAL_TOKENS_PER_SEC = 7_000  # simpleRNN, one sequence per step, as measured for the issue


def random_batch(B, T, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, VOCAB, (B, T)), rng.integers(0, VOCAB, (B, T))


def ours(B, T, H, dtype):
    net = Network(VOCAB, [Embedding(EMBED), RNN(H)], seed=0, dtype=dtype)
    x, y = random_batch(B, T)
    mask, sgd = np.ones((B, T), dtype), SGD()

    def step():
        _, grads = net.loss_and_grads(x, y, mask)
        sgd.update(net.params, grads, LR)
    return step


def pytorch(B, T, H, dtype):
    import torch
    from torch import nn

    torch.manual_seed(0)
    embed, rnn, out = nn.Embedding(VOCAB, EMBED), nn.RNN(EMBED, H, batch_first=True), nn.Linear(H, VOCAB)
    model = nn.ModuleList([embed, rnn, out]).to(getattr(torch, np.dtype(dtype).name))
    sgd = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = (torch.from_numpy(a) for a in random_batch(B, T))

    def step():
        sgd.zero_grad()
        h, _ = rnn(embed(x))  # (B, T, H)
        loss = nn.functional.cross_entropy(out(h).reshape(-1, VOCAB), y.reshape(-1))
        loss.backward()
        sgd.step()
    return step


def matmul_shapes(B, T, H):
    """(m, k, n, count) of every matmul in one training step of the model, forward and backward."""
    N = B * T
    return [(N, EMBED, H, 1), (B, H, H, T), (N, H, VOCAB, 1),  # input projection, recurrence, output
            (VOCAB, N, H, 1), (N, VOCAB, H, 1),  # output: dW, dx
            (B, H, H, T - 1), (EMBED, N, H, 1), (H, N, H, 1), (N, H, EMBED, 1)]  # RNN: dh, dWxh, dWhh, dx


def flops_per_token(B, T, H):
    return sum(2 * m * k * n * count for m, k, n, count in matmul_shapes(B, T, H)) / (B * T)


def matmuls_only(B, T, H, dtype):
    """NumPy doing nothing but the step's matmuls, into preallocated outputs: the ceiling."""
    rng = np.random.default_rng(0)
    work = [(rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype),
             np.empty((m, n), dtype), count) for m, k, n, count in matmul_shapes(B, T, H)]

    def step():
        for a, b, out, count in work:
            for _ in range(count):
                np.matmul(a, b, out=out)
    return step


def torch_available(threads) -> bool:
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(threads)
    return True


def measure(shape, dtype, with_torch, repeats, seconds):
    B, T, H = shape
    steps = {"ours": ours(B, T, H, dtype), "matmul": matmuls_only(B, T, H, dtype)}
    if with_torch:
        steps["torch"] = pytorch(B, T, H, dtype)
    return interleaved_rates(steps, B * T, repeats, seconds)


def row(shape, dtype, rates):
    flops = flops_per_token(*shape)
    cells = [np.dtype(dtype).name, "({}, {}, {})".format(*shape), f"{median(rates['ours']):,.0f}"]
    if "torch" in rates:
        cells += [f"{median(rates['torch']):,.0f}", f"{paired_ratio(rates['ours'], rates['torch']):.2f}"]
    cells += [f"{flops:,.0f}", f"{median(rates['ours']) * flops / 1e9:.1f}",
              f"{median(rates['matmul']) * flops / 1e9:.1f}", f"{paired_ratio(rates['ours'], rates['matmul']):.2f}"]
    return cells


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 short rounds instead of 7 longer ones")
    parser.add_argument("--dtype", choices=["float32", "float64"], action="append", help="default: both")
    parser.add_argument("--threads", type=int, help="BLAS and torch threads (default: NumPy's BLAS default)")
    args = parser.parse_args(argv)
    repeats, seconds = (3, 0.05) if args.quick else (7, 0.3)
    if args.threads:
        set_blas_threads(args.threads)
    threads = blas_threads()
    with_torch = torch_available(threads)
    print(machine())
    print(busy_warning() or f"load average {os.getloadavg()[0]:.1f} before the run")
    print(f"torch: {_torch_version()} with {threads} threads" if with_torch else "torch: not importable")
    headers = ["dtype", "(B, T, H)", "ours tok/s"] + (["torch tok/s", "ours/torch"] if with_torch else [])
    headers += ["FLOP/token", "ours GFLOP/s", "matmul GFLOP/s", "fraction"]
    rows, batch1 = [], []
    for dtype in args.dtype or ["float32", "float64"]:
        for shape in SHAPES:
            rates = measure(shape, dtype, with_torch, repeats, seconds)
            rows.append(row(shape, dtype, rates))
            if shape[0] == 1:
                batch1.append((dtype, median(rates["ours"])))
    print_table(headers, rows)
    print(busy_warning() or f"load average {os.getloadavg()[0]:.1f} after the run")
    for dtype, rate in batch1:
        print(f"batch 1, {dtype}: {rate:,.0f} tokens/s = {rate / ORIGINAL_TOKENS_PER_SEC:.1f}x the original's "
              f"~{ORIGINAL_TOKENS_PER_SEC:,}")


def _torch_version():
    import torch
    return torch.__version__


if __name__ == "__main__":
    main()
