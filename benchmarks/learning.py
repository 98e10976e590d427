"""Steps and seconds until one set of defaults reaches the best possible score on each task, seed by seed.

    OPENBLAS_NUM_THREADS=1 python benchmarks/learning.py [--quick] [--tasks toy xor ...] [--seeds 0 1 2 3 4]
                                                         [--steps 5000] [--cells rnn lstm gru]

For each task and seed, a network of the defaults (rnncore's ModelConfig and TrainConfig: the app's and the
command line's; with --cells, its recurrent layer made each cell in turn, same width) trains through
rnncore.Trainer for `--steps` steps, data, weights and shuffling all from that seed. The target is an
evaluation with at least 99% of the optimum's accuracy and a cost within 0.02 nats of the optimum's
(`Dataset.optimum`, over the same eval targets). The table gives, per task, the step of the first evaluation
on target for each seed, the median steps and wall seconds (evaluations included) over the seeds that
reached it, the worst gap left at the last evaluation (cost minus the optimum's; accuracy over the
optimum's), and for each seed the first step at 99% of the best accuracy alone, and the plateau: the
steps from the first evaluation within 0.02 nats of the best cost without memory (`Optimum.memoryless_loss`,
what a predictor that sees only the current symbol can do) to the first 0.02 nats below it, when the
network has found a memory.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import busy_warning, machine, median, print_table, set_blas_threads  # noqa: E402

from rnncore import Embedding, ModelConfig, Network, TrainConfig, Trainer, datasets, parse_layers  # noqa: E402

MODEL, CONFIG = ModelConfig(), TrainConfig()  # the defaults, found with this script (see benchmarks/README.md)
TASKS = ("toy", "digits", "parity", "xor", "letters", "anbn", "parity:16", "anbn:30")
QUICK_TASKS = ("toy", "parity", "xor", "letters", "anbn")
ACCURACY_SHARE = 0.99  # of the optimum's accuracy
COST_MARGIN = 0.02  # nats per target above the optimum's cost
PLATEAU_MARGIN = 0.02  # nats per target around the cost without memory


def accurate(event, best) -> bool:
    return event.eval_accuracy >= ACCURACY_SHARE * best.accuracy


def on_target(event, best) -> bool:
    return accurate(event, best) and event.eval_cost <= best.loss + COST_MARGIN


@dataclass
class Run:
    best: object  # the data's Optimum
    accurate_step: int | None = None  # first evaluation at 99% of the best accuracy
    target_step: int | None = None  # ... with the cost within COST_MARGIN as well
    target_seconds: float | None = None  # wall time to it, evaluations included
    last: object = None  # the last evaluation's StepEvent
    plateau_from: int | None = None  # first evaluation within PLATEAU_MARGIN of the cost without memory
    plateau_to: int | None = None  # first one after it PLATEAU_MARGIN below that cost

    def see(self, event, started: float) -> None:
        self.last = event
        if self.accurate_step is None and accurate(event, self.best):
            self.accurate_step = event.step
        if self.target_step is None and on_target(event, self.best):
            self.target_step, self.target_seconds = event.step, time.perf_counter() - started
        if self.plateau_from is None and event.eval_cost <= self.best.memoryless_loss + PLATEAU_MARGIN:
            self.plateau_from = event.step
        if self.plateau_from is not None and self.plateau_to is None and \
                event.eval_cost < self.best.memoryless_loss - PLATEAU_MARGIN:
            self.plateau_to = event.step

    @property
    def plateau(self) -> str:
        """'20-115': the steps on the plateau; '20-': not off it within the cap."""
        return "-" if self.plateau_from is None else f"{self.plateau_from}-{self.plateau_to or ''}"


def one_run(task: str, seed: int, max_steps: int, layers: str) -> Run:
    data, config = datasets.load(task, seed), CONFIG.changed(seed=seed)
    net = Network(len(data.vocab), [Embedding(MODEL.embed), *parse_layers(layers)], seed=seed)
    trainer, run, started = Trainer(net, data, config), Run(data.optimum), time.perf_counter()
    for event in trainer.steps():
        if event.eval_accuracy is not None:
            run.see(event, started)
        if event.step >= max_steps:
            return run


def task_row(task, seeds, max_steps, layers):
    """Per seed the step on target (a dash: not within the cap); medians over the seeds that got there;
    the worst gap at the end; per seed the step at 99% of the best accuracy alone."""
    runs = [one_run(task, seed, max_steps, layers) for seed in seeds]
    reached = [r for r in runs if r.target_step is not None]
    return [task, layers, f"{runs[0].best.loss:.4f}", f"{runs[0].best.accuracy:.4f}", f"{len(reached)}/{len(runs)}",
            _steps([r.target_step for r in runs]),
            f"{median([r.target_step for r in reached]):.0f}" if reached else "-",
            f"{median([r.target_seconds for r in reached]):.1f}" if reached else "-",
            f"{max(r.last.eval_cost - r.best.loss for r in runs):+.3f}",
            f"{min(r.last.eval_accuracy / r.best.accuracy for r in runs):.3f}",
            _steps([r.accurate_step for r in runs]), " ".join(r.plateau for r in runs)]


def _steps(steps) -> str:
    return " ".join("-" if s is None else str(s) for s in steps)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="five tasks, seed 0, 1,500 steps")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--steps", type=int, default=5000, help="the cap on optimizer steps per run")
    parser.add_argument("--threads", type=int, default=1, help="OpenBLAS threads (default 1: the machine is shared)")
    parser.add_argument("--cells", nargs="+", choices=["rnn", "lstm", "gru"],
                        help="compare these cells in place of the default layers' recurrent one")
    args = parser.parse_args(argv)
    if args.steps < CONFIG.eval_every:
        parser.error(f"--steps must be at least {CONFIG.eval_every}, the steps between two evaluations")
    tasks, seeds, steps = (QUICK_TASKS, [0], 1500) if args.quick else (args.tasks, args.seeds, args.steps)
    stacks = [MODEL.layers.replace("rnn:", f"{cell}:") for cell in args.cells] if args.cells else [MODEL.layers]
    set_blas_threads(args.threads)
    rows = [task_row(task, seeds, steps, layers) for task in tasks for layers in stacks]
    print(machine())
    print(f"defaults: embed {MODEL.embed}, {MODEL.layers}, {CONFIG}; target: {ACCURACY_SHARE:.0%} of the best "
          f"accuracy and the best cost + {COST_MARGIN}; cap {steps} steps; seeds {' '.join(map(str, seeds))}")
    if warning := busy_warning():
        print(warning)
    print_table(["task", "layers", "best cost", "best accuracy", "on target", "steps to target, per seed",
                 "median steps",
                 "median s", "cost - best at end, worst", "accuracy / best at end, worst",
                 "steps to 99% of best accuracy, per seed", "plateau without memory, per seed"], rows)


if __name__ == "__main__":
    main()
