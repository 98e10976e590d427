"""Memory, estimated before it is taken: a training step or a network that the machine cannot hold is refused
with the estimate in the message, instead of being started and swapping for minutes.

The estimates come from each layer's `floats_per_unit` (what its forward and backward keep per token and
unit, measured with tracemalloc) and the parameters (weights, gradients and an optimizer's two moments).
"""
from __future__ import annotations

import ctypes
import functools
import os

BUDGET_SHARE = 0.5  # of the memory the machine has free
OPTIMIZER_COPIES = 4  # weights, gradients, and Adam's two moments


def available_bytes() -> int:
    """Memory the machine can give now (MemAvailable), or all of it where /proc/meminfo is missing."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def budget_bytes() -> int:
    return int(available_bytes() * BUDGET_SHARE)


def shown(size: float) -> str:
    """A size in bytes for a person: 12.4 GB, 310 MB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size:.0f} bytes"


def refusal(what: str, needed: float) -> str | None:
    """Why `what`, needing `needed` bytes, cannot be done here; None if it fits the budget."""
    available = available_bytes()
    limit = available * BUDGET_SHARE
    if needed <= limit:
        return None
    return (f"{what} would take about {shown(needed)} of memory; the limit is {shown(limit)}, half of the "
            f"{shown(available)} this machine has free")


M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc's mallopt parameters
KEEP_FREED = 1 << 30  # bytes of freed memory glibc keeps for reuse instead of handing back to the system
NO_MMAP = 0  # blocks of every size come from the heap (reused), none from fresh mmap'ed pages: glibc's mmap
# threshold stops at 32 MB, and an LSTM's gates at (256, 64, 256) are 67 MB (benchmarks/README.md, "Issue 25")


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed memory for reuse. A training step frees and allocates the same array
    sizes every step; by default glibc hands the larger ones back to the system and the next step faults them
    in again, page by page: a third of a small RNN's step, half of an LSTM's (benchmarks/README.md, "Where the
    time goes"). The process's memory then stays at its peak, which a training process reaches anyway.
    It changes malloc for the whole process, so rnncore does it only where it trains: when a Trainer takes its
    first step, and in the `rnnviz` app; a script training without a Trainer may call it too.
    RNNCORE_MALLOC=system leaves malloc as it is; returns whether it was changed."""
    return os.environ.get("RNNCORE_MALLOC") != "system" and _tell_glibc()


@functools.cache
def _tell_glibc() -> bool:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, musl): nothing to tune
        return False
    return bool(libc.mallopt(M_TRIM_THRESHOLD, KEEP_FREED)) and bool(libc.mallopt(M_MMAP_MAX, NO_MMAP))
