"""Time of the original simpleRNN toy run until 70/71 on its eval set, against the original's 47 s.

    python benchmarks/toy_time.py [--quick] [--repeats N] [--seed S]

The run is rnncore.toyrun, the original's exact recipe through the compat API:
embedding 32, one RNN of 64, one sequence per SGD step (lr 0.008, L2 0.0002,
lr * 1500 / max(epoch, 1500)), float64, evaluated after every epoch.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import machine, median, print_table  # noqa: E402

from rnncore import datasets, toyrun  # noqa: E402

ORIGINAL_SECONDS = 47.0  # simpleRNN's toy.py to 70/71, as measured for the issue
MAX_EPOCHS = 2000


def one_run(seed):
    """(epochs, training seconds, wall seconds with the evaluations) until the ceiling."""
    started = time.perf_counter()
    for result in toyrun.toy_epochs(toyrun.toy_network(seed), seed):
        if result.correct == toyrun.CEILING or result.epoch >= MAX_EPOCHS:
            break
    if result.correct != toyrun.CEILING:
        raise SystemExit(f"seed {seed}: only {result.correct}/{result.targets} after {result.epoch} epochs")
    return result.epoch, result.train_seconds, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs of seed 0 instead of 21 runs of seeds 0-4")
    parser.add_argument("--repeats", type=int, default=21, help="runs per seed; the median is shown")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    repeats, seeds = (3, [0]) if args.quick else (args.repeats, args.seeds)
    one_run(seeds[0])  # warm-up: imports, caches, the allocator
    tokens_per_epoch = sum(len(s) - 1 for s in datasets.toy().train)
    rows = []
    for seed in seeds:
        runs = [one_run(seed) for _ in range(repeats)]
        epochs, train, wall = runs[0][0], median([r[1] for r in runs]), median([r[2] for r in runs])
        rows.append([seed, epochs, f"{train:.3f}", f"{wall:.3f}", f"{ORIGINAL_SECONDS / wall:,.0f}x",
                     f"{epochs * tokens_per_epoch / train:,.0f}"])
    print(machine())
    print(f"the original toy run to 70/71, median of {repeats} run(s) per seed; the original took "
          f"{ORIGINAL_SECONDS:.0f} s")
    print_table(["seed", "epochs", "training s", "with evaluation s", "original / ours", "training tokens/s"], rows)


if __name__ == "__main__":
    main()
