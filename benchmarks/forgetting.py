"""Why a plain RNN forgets, in figures: the gradient through time of an RNN, an LSTM and a GRU after training.

    OPENBLAS_NUM_THREADS=1 python benchmarks/forgetting.py [--task parity:64] [--seeds 0 1 2] [--steps 500]
                                                           [--cells rnn lstm gru] [--rows 16]

For each cell and seed, a network of the defaults (rnncore's ModelConfig and TrainConfig, the app's; its recurrent
layer made each cell in turn, same width) trains `--steps` steps, data, weights and shuffling all from that seed.
Then, in float64, over the first `--rows` eval sequences, every position and every lag: g[k], the mean size of
d loss_t / d state_{t-k} (Network.gradient_through_time), and the lag at which it first falls below 1e-3 of g[0]
(the Gradient view's figure; "-" if it never does within the sequences); g at the task's gap (64 for parity:64)
over g[0]; the largest singular value of the recurrent weights (over the gates for a gated cell) and the mean
spectral norm of the one-step Jacobian (rnncore.jacobian_norms); and the eval cost's gap to the best possible.
The figures do not depend on the machine or its load.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import machine, print_table  # noqa: E402

from rnncore import (  # noqa: E402
    Embedding,
    ModelConfig,
    Network,
    TrainConfig,
    Trainer,
    datasets,
    jacobian_norms,
    parse_layers,
    recurrent_spectrum,
)

FADE = 1e-3  # the Gradient view's
MODEL, CONFIG = ModelConfig(), TrainConfig()


def trained(task: str, cell: str, seed: int, steps: int) -> tuple[Network, object, float]:
    """The network after `steps` steps, its data, and its last eval cost over the best possible."""
    data = datasets.load(task, seed)
    width = parse_layers(MODEL.layers)[0].dim
    net = Network(len(data.vocab), [Embedding(MODEL.embed), *parse_layers(f"{cell}:{width}")], seed=seed)
    trainer = Trainer(net, data, CONFIG.changed(seed=seed, eval_every=steps))
    for event in trainer.steps():
        if event.step >= steps:
            return net, data, event.eval_cost - data.optimum.loss
    raise AssertionError("the trainer stopped")


def eval_batch(data, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, mask) of the first `rows` eval sequences, zero-padded."""
    seqs = data.eval[:rows]
    x, y, mask = (np.zeros((len(seqs), max(len(s) for s in seqs) - 1), np.int64) for _ in range(3))
    for row, seq in enumerate(seqs):
        x[row, :len(seq) - 1], y[row, :len(seq) - 1], mask[row, :len(seq) - 1] = seq[:-1], seq[1:], 1
    return x, y, mask


def measure(net: Network, data, rows: int, gap: int) -> dict:
    """The gradient's figures over the first `rows` eval sequences, in float64 (the network is cast)."""
    net.astype(np.float64)
    x, y, mask = eval_batch(data, rows)
    name = net.recurrent()[0][0]
    g = net.gradient_through_time(x, y, mask)[name]
    below = np.flatnonzero(g < FADE * g[0])
    return {"lag": int(below[0]) if len(below) else None, "at gap": g[gap] / g[0] if gap < len(g) else np.nan,
            "sigma": max(values[0] for values in recurrent_spectrum(net)[name].values()),
            "jacobian": float(np.nanmean(jacobian_norms(net, x, mask)[name]))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="parity:64")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--cells", nargs="+", default=["rnn", "lstm", "gru"])
    parser.add_argument("--rows", type=int, default=16, help="eval sequences measured")
    args = parser.parse_args(argv)
    gap = int(args.task.split(":")[1]) if ":" in args.task else 3
    print(machine())
    print(f"{args.task}, {args.steps} steps, seeds {' '.join(map(str, args.seeds))}; the gradient over the first "
          f"{args.rows} eval sequences, float64")
    table, lags = [], {}
    for cell in args.cells:
        for seed in args.seeds:
            net, data, gap_to_best = trained(args.task, cell, seed, args.steps)
            m = measure(net, data, args.rows, gap)
            lags.setdefault(cell, []).append("-" if m["lag"] is None else str(m["lag"]))
            table.append([cell, seed, f"{gap_to_best:+.3f}", lags[cell][-1], f"{m['at gap']:.1e}", f"{m['sigma']:.2f}",
                          f"{m['jacobian']:.2f}"])
            print(*table[-1], flush=True)
    print()
    print_table(["cell", "seed", "eval cost - best", "lag below 1e-3", f"g[{gap}] / g[0]", "largest σ",
                 "mean |J|"], table)
    print()
    print_table(["cell", f"lag below 1e-3 of g[0], seeds {' '.join(map(str, args.seeds))}"],
                [[cell, " ".join(values)] for cell, values in lags.items()])


if __name__ == "__main__":
    main()
