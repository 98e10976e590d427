"""Memory over a long run: does training leak?

    python benchmarks/memory.py [--quick] [--steps N] [--every K]

A tiny network (embedding 8, one RNN of 16) trains on the toy task with
batch 2 through Trainer.steps() (evaluations included) for 100,000 steps.
Every 10,000 steps it records the peak resident set (ru_maxrss, which never
falls) and the bytes Python has allocated and not freed (tracemalloc). The
run is flat when neither grows by more than a few MB after the first sample.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import machine, print_table  # noqa: E402

from rnncore import RNN, Embedding, Network, TrainConfig, Trainer, datasets  # noqa: E402

FLAT_MB = 2.0  # growth allowed after the first sample (warm-up: caches, the allocator's pools)
MB = 1 << 20


def peak_rss_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MB


def run(steps, every):
    """One sample (step, peak RSS MB, traced MB, traced peak MB, seconds) every `every` steps."""
    data = datasets.toy()
    net = Network(len(data.vocab), [Embedding(8), RNN(16)], seed=0)
    trainer = Trainer(net, data, TrainConfig(batch_size=2, lr=0.01))
    samples, started = [], time.perf_counter()
    for event in trainer.steps():
        if event.step % every == 0:
            current, peak = tracemalloc.get_traced_memory()
            samples.append((event.step, peak_rss_mb(), current / MB, peak / MB, time.perf_counter() - started))
        if event.step >= steps:
            return samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 steps sampled every 1,000")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--every", type=int, help="steps between samples (default: a tenth of --steps)")
    args = parser.parse_args(argv)
    steps = 10_000 if args.quick else args.steps
    every = args.every or max(1, steps // 10)
    tracemalloc.start()
    samples = run(steps, every)
    print(machine())
    print_table(["step", "peak RSS MB", "traced MB", "traced peak MB", "seconds"],
                [[f"{s:,}", f"{rss:.1f}", f"{cur:.3f}", f"{peak:.3f}", f"{t:.1f}"] for s, rss, cur, peak, t in samples])
    rss_growth, traced_growth = samples[-1][1] - samples[0][1], samples[-1][2] - samples[0][2]
    flat = rss_growth < FLAT_MB and traced_growth < FLAT_MB
    print(f"after step {samples[0][0]:,}: peak RSS {rss_growth:+.1f} MB, traced {traced_growth:+.3f} MB -> "
          + ("flat" if flat else f"GROWING (more than {FLAT_MB} MB)"))
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
