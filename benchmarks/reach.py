"""How far past the lengths it trained on each cell is right: RNN, LSTM and GRU on anbn:10 and parity:16, seeds 0-4.

    OPENBLAS_NUM_THREADS=1 python benchmarks/reach.py [--quick] [--tasks anbn:10 parity:16] [--cells rnn lstm gru]
                                                      [--seeds 0 1 2 3 4] [--up-to 100] [--steps N] [--lr X]
                                                      [--l2 X] [--schedule NAME] [--hidden N] [--forget-bias X]
    python benchmarks/reach.py --speed [--up-to 100]

One recipe for every cell (RECIPE, each field settable): for each task, cell and seed, a network of an embedding
of 32 and one recurrent layer of 64 trains through rnncore.Trainer (data, weights and shuffling from the seed);
then `Dataset.reach(net, up_to)` gives the largest n it is right up to: every b after the first and the T of
a^n b^n T (anbn:10 trains on n = 1 to 10), the digit that resumes a run's parity after a gap of n zeros
(parity:16 trains on gaps of 1 to 16). The table gives, per task and cell, the largest n of each seed at the
end, the median over the seeds, how many seeds reach 3 times the training range, and the reach at every
fifth of the training (the median over the seeds), which shows whether it settles. With --speed, the time of one
measure of the reach at the app's default sizes, for each cell: what the Reach view costs at each refresh.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import busy_warning, machine, median, print_table, set_blas_threads  # noqa: E402

from rnncore import Embedding, Network, TrainConfig, Trainer, datasets, parse_layers  # noqa: E402

TASKS = ("anbn:10", "parity:16")
CELLS = ("rnn", "lstm", "gru")
TIMES = 3  # the goal: a reach of 3 times the training range
CHECKS = 5  # reach measured at every fifth of the training


@dataclass(frozen=True)
class Recipe:
    embed: int = 32
    hidden: int = 64  # units of the one recurrent layer
    steps: int = 3000  # optimizer steps (batches of 32 whole sequences)
    lr: float = 0.01  # Adam's
    schedule: str = "cosine"  # over all the steps, to 0: the reach settles instead of swinging with each batch
    l2: float = 0.0  # rnncore's default 0.0005 pulls the counter's weights in: the LSTM's reach stops at ~13
    clip: float = 0.25
    forget_bias: float = 4.0  # added to the LSTM's forget gate bias, which rnncore starts at 1: f = 0.993
    update_bias: float = 0.0  # added to the GRU's update gate bias (0 in rnncore): z near 1 keeps its state

    def config(self, seed: int) -> TrainConfig:
        return TrainConfig(lr=self.lr, schedule=self.schedule, decay_steps=self.steps, l2=self.l2, clip=self.clip,
                           seed=seed, eval_every=0)


RECIPE = Recipe()


def hold_gates(net: Network, forget_bias: float, update_bias: float) -> None:
    """Add `forget_bias` to every LSTM layer's forget gate bias (gates i, f, g, o in PyTorch's layout) and
    `update_bias` to every GRU layer's update gate bias (gates r, z, n): the gates that keep the state."""
    for name, layer in net.recurrent():
        if layer.kind == "lstm":
            net.params[f"{name}.b"].reshape(4, -1)[1] += forget_bias
        elif layer.kind == "gru":
            net.params[f"{name}.bx"].reshape(3, -1)[1] += update_bias


def one_run(task: str, cell: str, seed: int, recipe: Recipe, up_to: int) -> tuple[list[int], int]:
    """The largest n right at every CHECKS-th of the training, the last at the end, and the training range."""
    data = datasets.load(task, seed)
    net = Network(len(data.vocab), [Embedding(recipe.embed), *parse_layers(f"{cell}:{recipe.hidden}")], seed=seed)
    hold_gates(net, recipe.forget_bias, recipe.update_bias)
    trainer, reaches = Trainer(net, data, recipe.config(seed)), []
    for step in range(1, recipe.steps + 1):
        trainer.train_step()
        if step % max(recipe.steps // CHECKS, 1) == 0 or step == recipe.steps:
            reach = data.reach(net, up_to)
            reaches.append(reach.largest)
    return reaches[-CHECKS:], reach.trained


def progress(task: str, cell: str, seed: int, run: tuple[list[int], int]) -> tuple[list[int], int]:
    """`run`, said on stderr as it ends: a full run takes a while."""
    print(f"{task} {cell} seed {seed}: largest n {' '.join(map(str, run[0]))}", file=sys.stderr, flush=True)
    return run


def row(task: str, cell: str, seeds: list[int], recipe: Recipe, up_to: int) -> list:
    started = time.perf_counter()
    runs, trained = zip(*[progress(task, cell, seed, one_run(task, cell, seed, recipe, up_to)) for seed in seeds],
                        strict=True)
    ends = [r[-1] for r in runs]
    over_time = " ".join(f"{median([r[i] for r in runs]):.0f}" for i in range(len(runs[0])))
    return [task, cell, " ".join(map(str, ends)), f"{median(ends):.0f}",
            f"{sum(e >= TIMES * trained[0] for e in ends)}/{len(ends)}", over_time,
            f"{(time.perf_counter() - started) / len(seeds):.0f}"]


def speed(up_to: int, repeats: int = 20) -> list:
    """Milliseconds of one `Dataset.reach(net, up_to)` (best and median of `repeats`) for each cell at the app's
    default sizes (embedding 32, 64 units): what the Reach view costs at each refresh."""
    rows = []
    for task in TASKS:
        data = datasets.load(task)
        for cell in CELLS:
            net = Network(len(data.vocab), [Embedding(32), *parse_layers(f"{cell}:64")], seed=0)
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                data.reach(net, up_to)
                times.append((time.perf_counter() - started) * 1000)
            rows.append([task, cell, up_to, f"{min(times):.1f}", f"{median(times):.1f}"])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="anbn:10 only, seeds 0 and 1, 1,500 steps")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS))
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--up-to", type=int, default=100, help="the largest n measured (default 100)")
    parser.add_argument("--threads", type=int, default=1, help="OpenBLAS threads (default 1: the machine is shared)")
    parser.add_argument("--speed", action="store_true", help="time one measure of the reach instead, for each cell")
    for f in fields(Recipe):
        default = getattr(RECIPE, f.name)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(default), default=default)
    args = parser.parse_args(argv)
    recipe = replace(RECIPE, **{f.name: getattr(args, f.name) for f in fields(Recipe)})
    tasks, seeds = (["anbn:10"], [0, 1]) if args.quick else (args.tasks, args.seeds)
    if args.quick:
        recipe = replace(recipe, steps=1500)
    set_blas_threads(args.threads)
    if args.speed:
        print(machine())
        print_table(["task", "cell", "up to n", "best ms", "median ms"], speed(args.up_to))
        return
    rows = [row(task, cell, seeds, recipe, args.up_to) for task in tasks for cell in args.cells]
    print(machine())
    print(f"recipe: {recipe}; reach measured to n = {args.up_to}; seeds {' '.join(map(str, seeds))}")
    if warning := busy_warning():
        print(warning)
    print_table(["task", "cell", "largest n right, per seed", "median", f"seeds at {TIMES}x the training range",
                 f"median at each {CHECKS}th of the steps", "s per run"], rows)


if __name__ == "__main__":
    main()
