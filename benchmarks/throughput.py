"""Training throughput: tokens/s of one forward, backward and SGD step, against PyTorch and the matmul ceiling.

    python benchmarks/throughput.py [--quick] [--verbose] [--threads 1 2] [--cell rnn|lstm|gru]
                                    [--shape B,T,H ...] [--contenders ours matmul torch] [--dtype float32]
                                    [--baseline DIR]

Three contenders (contenders.py): rnncore, the same model in PyTorch on the
CPU, and NumPy doing only the step's matmuls (the ceiling). Each is timed
alone: every round runs each contender, at each thread count, in a fresh
process (`--contender NAME` is that process), so no other library's threads
are alive while it runs. `--in-process` times them in turns in this process
instead, the old and biased way, kept to show the bias with `--verbose`.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import (  # noqa: E402
    best_rate,
    blas_threads,
    busy_warning,
    interleaved_rates,
    machine,
    median,
    paired_ratio,
    print_table,
    round_order,
    set_blas_threads,
)
from contenders import CONTENDERS, GATES, flops_per_token, ours_cell  # noqa: E402

from rnncore import keep_freed_memory  # noqa: E402

SHAPES = [(1, 17, 64), (32, 32, 64), (256, 64, 64), (256, 64, 256)]  # (batch, steps, hidden)
ORIGINAL_TOKENS_PER_SEC = 7_000  # simpleRNN, one sequence per step, as measured for the issue
COLUMNS = [  # (header, contenders it needs, cell text from the rates, the thread count and FLOP/token)
    ("ours tok/s", {"ours"}, lambda r, t, f: f"{median(r['ours', t]):,.0f}"),
    ("torch tok/s", {"torch"}, lambda r, t, f: f"{median(r['torch', t]):,.0f}"),
    ("ours/torch", {"ours", "torch"}, lambda r, t, f: f"{paired_ratio(r['ours', t], r['torch', t]):.2f}"),
    ("ours GFLOP/s", {"ours"}, lambda r, t, f: f"{median(r['ours', t]) * f / 1e9:.1f}"),
    ("ceiling GFLOP/s", {"matmul"}, lambda r, t, f: f"{median(r['matmul', t]) * f / 1e9:.1f}"),
    ("fraction", {"ours", "matmul"}, lambda r, t, f: f"{paired_ratio(r['ours', t], r['matmul', t]):.2f}"),
    ("base tok/s", {"base"}, lambda r, t, f: f"{median(r['base', t]):,.0f}"),
    ("ours/base", {"ours", "base"}, lambda r, t, f: f"{paired_ratio(r['ours', t], r['base', t]):.2f}"),
]


def time_alone(args):
    """The child: time one contender at one shape and thread count, print its tokens/s."""
    (B, T, H), threads, dtype = args.shape[0], args.threads[0], args.dtype[0]
    keep_freed_memory()  # as a Trainer does, for every contender alike (torch's allocator is malloc too)
    if args.contender == "torch":
        import torch
        torch.set_num_threads(threads)
    elif blas_threads() != threads:
        set_blas_threads(threads)
    step = CONTENDERS[args.contender](B, T, H, dtype, args.cell)
    print(best_rate(step, B * T, args.seconds))


def rate_alone(name, shape, threads, dtype, args) -> float:
    """Tokens/s of one contender in a fresh process. Torch's process keeps NumPy's OpenBLAS at one
    thread, so that no idle OpenBLAS pool sits beside torch's OpenMP threads."""
    script, child = (Path(args.baseline, "benchmarks", "throughput.py"), "ours") if name == "base" else (__file__, name)
    command = [sys.executable, str(script), "--contender", child, "--shape", ",".join(map(str, shape)),
               "--threads", str(threads), "--dtype", dtype, "--cell", args.cell, "--seconds", str(args.seconds)]
    blas = 1 if name == "torch" else threads
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas), OMP_NUM_THREADS=str(threads))
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        why = (done.stderr.strip() or "no message").splitlines()[-1]
        raise SystemExit(f"{name} at {shape_text(shape)}, {threads} threads failed: {why}")
    return float(done.stdout)


def measure_alone(shape, dtype, args) -> dict:
    """(name, threads) -> per-round tokens/s, each contender in its own process."""
    rates = {(name, t): [] for name in args.contenders for t in args.threads}
    for r in range(args.rounds):
        for t in args.threads:
            for name in round_order(args.contenders, r):
                rates[name, t].append(rate_alone(name, shape, t, dtype, args))
    return rates


def measure_in_process(shape, dtype, args) -> dict:
    """(name, threads) -> per-round tokens/s, the contenders timed in turns in this process."""
    B, T, H = shape
    rates = {}
    for t in args.threads:
        set_blas_threads(t)
        if "torch" in args.contenders:
            import torch
            torch.set_num_threads(t)
        steps = {name: CONTENDERS[name](B, T, H, dtype, args.cell) for name in args.contenders}
        for name, values in interleaved_rates(steps, B * T, args.rounds, args.seconds).items():
            rates[name, t] = values
    return rates


def print_rounds(shape, rates, args):
    """--verbose: every round's rates in the order they were timed, and each contender's rate
    when it ran first against when it ran after another one."""
    for t in args.threads:
        print(f"\n{shape_text(shape)}, {t} thread{'s' * (t > 1)}: tokens/s by round, in the order timed")
        orders = [round_order(args.contenders, r) for r in range(args.rounds)]
        for r, order in enumerate(orders):
            print(f"  round {r + 1}: " + " -> ".join(f"{name} {rates[name, t][r]:,.0f}" for name in order))
        for name in args.contenders:
            first = [rates[name, t][r] for r, order in enumerate(orders) if order[0] == name]
            later = [rates[name, t][r] for r, order in enumerate(orders) if order[0] != name]
            if first and later:
                print(f"  {name}: {median(first):,.0f} when first, {median(later):,.0f} after another "
                      f"(x{median(later) / median(first):.2f})")


def shape_text(shape):
    return "({}, {}, {})".format(*shape)


def table(results, args):
    """One row per shape; for each thread count, the COLUMNS its contenders allow."""
    columns = [c for c in COLUMNS if c[1] <= set(args.contenders)]
    headers = ["(B, T, H)", "FLOP/token"] + [f"{c[0]} {t}t" for t in args.threads for c in columns]
    speedup = "ours" in args.contenders and len(args.threads) > 1
    first, last = args.threads[0], args.threads[-1]
    headers += [f"ours {last}t/{first}t"] if speedup else []
    rows = []
    for shape, rates in results:
        flops = flops_per_token(*shape, args.cell)
        row = [shape_text(shape), f"{flops:,.0f}"] + [c[2](rates, t, flops) for t in args.threads for c in columns]
        rows.append(row + ([f"{paired_ratio(rates['ours', last], rates['ours', first]):.2f}"] if speedup else []))
    print_table(headers, rows)


def batch_one(results, dtype, args):
    for shape, rates in results:
        for t in args.threads if shape[0] == 1 and "ours" in args.contenders else []:
            rate = median(rates["ours", t])
            print(f"batch 1, {dtype}, {t} thread{'s' * (t > 1)}: {rate:,.0f} tokens/s = "
                  f"{rate / ORIGINAL_TOKENS_PER_SEC:.1f}x the original's ~{ORIGINAL_TOKENS_PER_SEC:,}")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="3 rounds of 0.1 s bursts instead of 5 of 0.25 s")
    add("--rounds", type=int, help="rounds: each contender is timed once per round at each thread count")
    add("--seconds", type=float, help="length of one timed burst (a process reports its best of 3)")
    add("--threads", type=int, nargs="+", default=[1, 2], help="BLAS and torch thread counts, side by side")
    add("--cell", choices=list(GATES), default="rnn", help="the recurrent cell (default: rnn)")
    add("--shape", type=shape_arg, action="append", help="B,T,H, repeatable (default: four shapes)")
    add("--contenders", nargs="+", choices=list(CONTENDERS), default=list(CONTENDERS))
    add("--baseline", metavar="DIR", help="another checkout (git worktree add DIR main): its engine is timed as "
        "'base', alternated with ours, each alone")
    add("--dtype", choices=["float32", "float64"], action="append", help="repeatable (default: float32)")
    add("--verbose", action="store_true", help="print every round's rates in the order they were timed")
    add("--in-process", action="store_true", help="the old, biased way: all contenders in turns in this process")
    add("--contender", choices=list(CONTENDERS), help="time this one alone and print its tokens/s (the child)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.seconds = args.seconds or (0.1 if args.quick else 0.25)
    args.shape, args.dtype = args.shape or SHAPES, args.dtype or ["float32"]
    args.contenders = list(dict.fromkeys([args.contender] if args.contender else args.contenders))
    if args.baseline and not args.contender:
        args.contenders.append("base")
    return parser, args


def shape_arg(text):
    try:
        B, T, H = (int(n) for n in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected B,T,H as three integers, got {text!r}") from None
    if min(B, T, H) < 1:
        raise argparse.ArgumentTypeError(f"B, T and H must be at least 1, got {text!r}")
    return B, T, H


def check_contenders(parser, args):
    """Drop torch with a note when it does not import; refuse a cell rnncore lacks."""
    if "torch" in args.contenders and importlib.util.find_spec("torch") is None:
        if args.contender:
            parser.error("torch does not import")
        args.contenders.remove("torch")
        print("torch: not importable, left out")
    if "ours" in args.contenders:
        try:
            ours_cell(args.cell)
        except LookupError as missing:
            parser.error(str(missing))
    if not args.contenders:
        parser.error("no contender left to time")
    if "base" in args.contenders and (args.in_process or not Path(args.baseline, "rnncore").is_dir()):
        parser.error("--baseline needs a checkout of rnncore, and each contender in its own process")


def main(argv=None):
    parser, args = parse_args(argv)
    check_contenders(parser, args)
    if args.contender:
        if len(args.shape) != 1 or len(args.threads) != 1 or len(args.dtype) != 1:
            parser.error("--contender times one shape, one thread count and one dtype")
        return time_alone(args)
    print(machine())
    print(busy_warning() or f"load average {os.getloadavg()[0]:.1f} before the run")
    if "torch" in args.contenders:
        print(f"torch {importlib.metadata.version('torch')}, with as many threads as NumPy's BLAS")
    how = "in turns in one process (biased)" if args.in_process else "each alone in its own process, best of 3 bursts"
    print(f"timing: {how}; {args.rounds} rounds of {args.seconds} s bursts; medians over the rounds")
    measure = measure_in_process if args.in_process else measure_alone
    for dtype in args.dtype:
        results = []
        for shape in args.shape:
            results.append((shape, measure(shape, dtype, args)))
            if args.verbose:
                print_rounds(shape, results[-1][1], args)
        print(f"\n{dtype}, {args.cell} cell, tokens/s:\n")
        table(results, args)
        batch_one(results, dtype, args)
    print(f"load average {os.getloadavg()[0]:.1f} after the run (this run's own threads count in it)")


if __name__ == "__main__":
    main()
