"""How many threads NumPy's BLAS runs, read and set through OpenBLAS's C API (no threadpoolctl needed).

A record replays bit for bit only with the BLAS threads it was made with, and small models train faster
on one thread than on two: the time a second thread saves on a small matmul is less than what waking it
costs. `threads_for` is that rule, measured (benchmarks/README.md, "Threads by model size").
"""
from __future__ import annotations

import ctypes
import os

GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")
SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")
ENVIRONMENT = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads() -> int | None:
    """Threads NumPy's OpenBLAS runs now, or None if it cannot be asked (another BLAS)."""
    getter = _function(GETTERS)
    return int(getter()) if getter is not None else None


def set_blas_threads(n: int) -> bool:
    """Make NumPy's OpenBLAS run `n` threads; False if it cannot be told (another BLAS)."""
    setter = _function(SETTERS)
    if setter is not None:
        setter(int(n))
    return setter is not None


TWO_THREADS_FROM = 256 * 256  # weights of the widest recurrence (H x gates H): an RNN of 256, an LSTM of 128


def threads_for(net) -> int:
    """The BLAS threads that train `net` fastest here: two from a recurrence of TWO_THREADS_FROM weights up
    (1.2-1.7x faster at H = 256), else one (a second thread gained at most 8% below that on a quiet machine,
    and lost up to 6x on a busy one)."""
    widest = max((w.size for name, w in net.params.items() if name.endswith((".Whh", ".Wh"))), default=0)
    return 2 if widest >= TWO_THREADS_FROM and (os.cpu_count() or 1) > 1 else 1


def use_threads(nets, asked: int | None = None) -> str:
    """Set the BLAS threads for training `nets`: `asked` (a --threads option) wins, then the environment
    (OPENBLAS_NUM_THREADS...), then `threads_for` the largest. Says which, for the user."""
    if asked is None and chosen_by_user():
        return f"{blas_threads()} BLAS thread(s), from the environment"
    n = asked or max(threads_for(net) for net in nets)
    if not set_blas_threads(n):
        return "BLAS threads: NumPy's BLAS cannot be told"
    return f"{n} BLAS thread(s), " + ("from --threads" if asked else "for this model's size")


def chosen_by_user() -> bool:
    """The environment names a thread count: it wins over any rule of ours."""
    return any(os.environ.get(name) for name in ENVIRONMENT)


def _function(names):
    import numpy  # noqa: F401 (loads NumPy's OpenBLAS, whose functions are looked up below)

    for path in _libraries("blas"):
        lib = ctypes.CDLL(path)
        for name in names:
            if hasattr(lib, name):
                return getattr(lib, name)
    return None


def _libraries(word: str) -> list[str]:
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if ".so" in line}
    except OSError:
        return []
    return sorted(p for p in paths if word in os.path.basename(p).lower())
