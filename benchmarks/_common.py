"""What the benchmark scripts share: the machine, the BLAS threads, timing, tables."""
from __future__ import annotations

import datetime
import os
import platform
import time

import numpy as np

from rnncore import threads


def blas_threads() -> int:
    """Threads NumPy's OpenBLAS uses (asked through its C API), else what the environment says."""
    asked = threads.blas_threads()
    if asked is not None:
        return asked
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def set_blas_threads(n: int):
    if not threads.set_blas_threads(n):
        raise SystemExit("cannot reach NumPy's OpenBLAS to set its threads; set OPENBLAS_NUM_THREADS instead")


def busy_warning() -> str | None:
    """A warning when other processes compete for the cores: multi-threaded BLAS (and torch's
    OpenMP) then wait for descheduled threads, and their timings can fall tenfold."""
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores - 0.5:
        return (f"warning: load average {load:.1f} on {cores} cores: other processes compete, "
                "and multi-threaded timings suffer most")
    return None


def machine() -> str:
    """One line: CPU model, cores, NumPy and its BLAS, date."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return (f"{_cpu_model()}, {os.cpu_count()} cores; numpy {np.__version__} with {blas['name']} "
            f"{blas.get('version', '')}, {blas_threads()} BLAS threads; python {platform.python_version()}; "
            f"{datetime.date.today().isoformat()}")


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def calibrate(step, seconds, warmup=2) -> int:
    """How many calls of `step` fill about `seconds`, after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    started = time.perf_counter()
    step()
    return max(1, round(seconds / max(time.perf_counter() - started, 1e-9)))


def best_rate(step, units: float, seconds: float, bursts: int = 3, warmup: float = 0.3) -> float:
    """Units per second of `step` at its best: untimed calls for `warmup` seconds (caches, allocators,
    thread pools and the clock settle), then the fastest of `bursts` timed bursts of about `seconds`."""
    started, calls = time.perf_counter(), 0
    while calls < 3 or time.perf_counter() - started < warmup:
        step()
        calls += 1
    n = calibrate(step, seconds, warmup=0)
    best = 0.0
    for _ in range(bursts):
        started = time.perf_counter()
        for _ in range(n):
            step()
        best = max(best, units * n / (time.perf_counter() - started))
    return best


def round_order(names, r) -> list:
    """The order of the contenders in round r: as given in even rounds, reversed in odd ones."""
    return list(names) if r % 2 == 0 else list(reversed(names))


def interleaved_rates(steps: dict, units: float, repeats: int, seconds: float) -> dict:
    """Units per second of each step function, timed in turns in this process (the order flips
    every round). Returns name -> list of `repeats` rates. Biased when the steps use different
    thread pools: one library's spinning threads slow the next (see throughput.py --in-process)."""
    counts = {name: calibrate(step, seconds) for name, step in steps.items()}
    rates = {name: [] for name in steps}
    for r in range(repeats):
        for name in round_order(steps, r):
            step, n = steps[name], counts[name]
            started = time.perf_counter()
            for _ in range(n):
                step()
            rates[name].append(units * n / (time.perf_counter() - started))
    return rates


def median(values) -> float:
    return float(np.median(values))


def paired_ratio(a, b) -> float:
    """Median of the round-by-round ratios a/b (steadier than a ratio of medians on a busy machine)."""
    return median(np.asarray(a) / np.asarray(b))


def print_table(headers, rows):
    """Right-aligned columns in a markdown table, so the output pastes into a README."""
    cells = [list(map(str, headers))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    print("\n".join(lines))
