"""What throughput.py times: one training step of the same model, three ways.

The model: embedding 32, one recurrent cell of H (tanh RNN, LSTM or GRU), a
projection to a vocabulary of 10, softmax cross-entropy; random (B, T) ids,
all-ones mask, plain SGD. Each contender is a function
(B, T, H, dtype, cell) -> step, where step() runs one training step.
"""
from __future__ import annotations

import numpy as np

EMBED, VOCAB, LR = 32, 10, 0.01
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # blocks of H in the cell's weight matrices: Wx (E, gH), Wh (H, gH)
CLASS_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def random_batch(B, T, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, VOCAB, (B, T)), rng.integers(0, VOCAB, (B, T))


def ours_cell(cell):
    """rnncore's class for `cell`; LookupError, with one clear line, while rnncore lacks it."""
    import rnncore

    name = CLASS_NAMES[cell]
    if not hasattr(rnncore, name):
        raise LookupError(f"rnncore has no {name} yet: time the others with --contenders torch matmul")
    return getattr(rnncore, name)


def ours(B, T, H, dtype, cell="rnn"):
    from rnncore import Embedding, Network
    from rnncore.optim import SGD

    net = Network(VOCAB, [Embedding(EMBED), ours_cell(cell)(H)], seed=0, dtype=dtype)
    x, y = random_batch(B, T)
    mask, sgd = np.ones((B, T), dtype), SGD()

    def step():
        _, grads = net.loss_and_grads(x, y, mask)
        sgd.update(net.params, grads, LR)
    return step


def pytorch(B, T, H, dtype, cell="rnn"):
    import torch
    from torch import nn

    torch.manual_seed(0)
    recurrent = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](EMBED, H, batch_first=True)
    embed, out = nn.Embedding(VOCAB, EMBED), nn.Linear(H, VOCAB)
    model = nn.ModuleList([embed, recurrent, out]).to(getattr(torch, np.dtype(dtype).name))
    sgd = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = (torch.from_numpy(a) for a in random_batch(B, T))

    def step():
        sgd.zero_grad()
        h, _ = recurrent(embed(x))  # (B, T, H)
        loss = nn.functional.cross_entropy(out(h).reshape(-1, VOCAB), y.reshape(-1))
        loss.backward()
        sgd.step()
    return step


def matmul_shapes(B, T, H, cell="rnn"):
    """(m, k, n, count) of every matmul in one training step of the model, forward and backward."""
    N, G = B * T, GATES[cell] * H
    return [(N, EMBED, G, 1), (B, H, G, T), (N, H, VOCAB, 1),  # input projection, recurrence, output
            (VOCAB, N, H, 1), (N, VOCAB, H, 1),  # output: dW, dx
            (B, G, H, T - 1), (EMBED, N, G, 1), (H, N, G, 1), (N, G, EMBED, 1)]  # cell: dh, dWx, dWh, dx


def flops_per_token(B, T, H, cell="rnn"):
    return sum(2 * m * k * n * count for m, k, n, count in matmul_shapes(B, T, H, cell)) / (B * T)


def matmuls_only(B, T, H, dtype, cell="rnn"):
    """NumPy doing nothing but the step's matmuls, into preallocated outputs: the ceiling."""
    rng = np.random.default_rng(0)
    work = [(rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype),
             np.empty((m, n), dtype), count) for m, k, n, count in matmul_shapes(B, T, H, cell)]

    def step():
        for a, b, out, count in work:
            for _ in range(count):
                np.matmul(a, b, out=out)
    return step


CONTENDERS = {"ours": ours, "matmul": matmuls_only, "torch": pytorch}  # the default timing order
