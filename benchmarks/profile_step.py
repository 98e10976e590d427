"""Where one training step of ours spends its time: each rnncore function's own time, against the matmul ceiling.

    python benchmarks/profile_step.py [--shape B,T,H ...] [--cell rnn|lstm|gru] [--threads 1] [--dtype float32]
                                      [--steps N]

The step is throughput.py's (contenders.ours), each shape in a fresh process.
The plain step is timed first, with its minor page faults and system time
(what allocating fresh buffers every step costs). Then every function and
method of rnncore's layers, cells, gates, loops, network and optim is wrapped in a
timer of its own time (callees taken out), and the table gives the median
over the steps of each one's milliseconds and share of the wrapped step. The
wrappers cost about a microsecond a call and shift malloc's pattern: read the
shares, take rates from throughput.py. The ceiling (throughput.py's matmuls
alone) is timed last, since building it frees large blocks that change how
malloc serves our step.
"""
from __future__ import annotations

import argparse
import inspect
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import median, print_table, set_blas_threads  # noqa: E402
from contenders import matmuls_only, ours  # noqa: E402
from throughput import shape_arg  # noqa: E402

from rnncore import cells, gates, keep_freed_memory, layers, loops, network, optim  # noqa: E402

MODULES = (layers, cells, gates, loops, network, optim)  # not threads: the timers keep one stack, for one thread


class OwnTimes:
    """Wraps functions so that each call adds its own time (callees excluded) under the function's name."""

    def __init__(self):
        self.seconds, self.calls, self._stack, self._thread = {}, {}, [], threading.get_ident()

    def wrap(self, name, function):
        def timed(*args, **kwargs):
            if threading.get_ident() != self._thread:  # a half's time loop on the second thread: not counted
                return function(*args, **kwargs)
            self._stack.append(0.0)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                self.seconds[name] = self.seconds.get(name, 0.0) + spent - self._stack.pop()
                self.calls[name] = self.calls.get(name, 0) + 1
                if self._stack:
                    self._stack[-1] += spent
        return timed

    def __enter__(self):
        """Wrap every function and method defined in MODULES, wherever a module refers to it by name."""
        self._restore, wrapped = [], {}
        for module in MODULES:
            for name, obj in list(vars(module).items()):
                if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                    wrapped[obj] = self.wrap(name, obj)
                elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                    for attr, method in list(vars(obj).items()):
                        if inspect.isfunction(method) and not attr.startswith("__"):
                            self._replace(obj, attr, self.wrap(f"{name}.{attr}", method))
                        elif isinstance(method, staticmethod):
                            self._replace(obj, attr, staticmethod(self.wrap(f"{name}.{attr}", method.__func__)))
        for module in MODULES:
            for name, obj in list(vars(module).items()):
                if inspect.isfunction(obj) and obj in wrapped:
                    self._replace(module, name, wrapped[obj])
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self._restore):
            setattr(owner, name, original)

    def _replace(self, owner, name, new):
        self._restore.append((owner, name, getattr(owner, name) if inspect.ismodule(owner) else vars(owner)[name]))
        setattr(owner, name, new)


def step_seconds(step, n):
    """Median seconds of a step over n steps, and minor page faults and system seconds per step."""
    before, times = resource.getrusage(resource.RUSAGE_SELF), []
    for _ in range(n):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return median(times), (after.ru_minflt - before.ru_minflt) / n, (after.ru_stime - before.ru_stime) / n


def profile(shape, dtype, steps, cell):
    """Ours first, unwrapped then wrapped, and the ceiling last: building the ceiling frees large
    blocks, which would change how malloc serves our step (see README, "Where the time goes")."""
    B, T, H = shape
    keep_freed_memory()  # as a Trainer does
    step = ours(B, T, H, dtype, cell)
    for _ in range(10):
        step()
    n = steps or max(40, int(4e6 // (B * T * H)))
    plain, faults, system = step_seconds(step, n)
    per_step, wrapped = [], []
    with OwnTimes() as timer:
        for _ in range(n):
            timer.seconds.clear()
            started = time.perf_counter()
            step()
            wrapped.append(time.perf_counter() - started)
            per_step.append(dict(timer.seconds))
    ceiling = matmuls_only(B, T, H, dtype, cell)
    ceiling_seconds = min(step_seconds(ceiling, 1)[0] for _ in range(n))
    print(f"{cell} ({B}, {T}, {H}), {dtype}: step {plain * 1e3:.3f} ms = {B * T / plain:,.0f} tokens/s (wrapped "
          f"{median(wrapped) * 1e3:.3f} ms); ceiling {ceiling_seconds * 1e3:.3f} ms (fraction "
          f"{ceiling_seconds / plain:.2f}); per step {faults:,.0f} minor page faults and {system * 1e3:.3f} ms "
          f"system time ({system / plain:.0%}); medians of {n} steps\n")
    names = sorted(per_step[-1], key=lambda k: -median([s.get(k, 0.0) for s in per_step]))
    rows = []
    for name in names:
        ms = median([s.get(name, 0.0) for s in per_step]) * 1e3
        rows.append([name, f"{timer.calls[name] / n:.0f}", f"{ms:.3f}", f"{ms / median(wrapped) / 1e3:.1%}"])
    print_table(["function", "calls/step", "own ms/step", "share of the wrapped step"], rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=shape_arg, action="append", help="B,T,H, repeatable (default: 3 shapes)")
    parser.add_argument("--cell", choices=["rnn", "lstm", "gru"], default="rnn", help="recurrent cell (default rnn)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1; 2 splits the time loops)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--steps", type=int, help="steps timed (default: enough for about 4e6 B T H)")
    args = parser.parse_args(argv)
    shapes = args.shape or [(1, 17, 64), (32, 32, 64), (256, 64, 256)]
    if len(shapes) == 1:
        set_blas_threads(args.threads)
        return profile(shapes[0], args.dtype, args.steps, args.cell)
    for shape in shapes:  # each in a fresh process, as in throughput.py
        options = ["--threads", str(args.threads), "--dtype", args.dtype, "--shape", ",".join(map(str, shape)),
                   "--cell", args.cell]
        subprocess.run([sys.executable, __file__, *options, *(["--steps", str(args.steps)] if args.steps else [])],
                       check=True)
        print()


if __name__ == "__main__":
    main()
