"""How many threads NumPy's BLAS runs, read and set through OpenBLAS's C API (no threadpoolctl needed).

A record replays bit for bit only with the BLAS threads it was made with, and small models train faster
on one thread than on two: the time a second thread saves on a small matmul is less than what waking it
costs. `threads_for` is that rule, measured (benchmarks/README.md, "Threads by model size"). With two
threads, a step's time loops run in two halves of the batch side by side (`batch_parts`, `side_by_side`),
so that the second core takes half of the element-wise work too, not only of the matmuls.
"""
from __future__ import annotations

import contextvars
import ctypes
import functools
import os
from concurrent.futures import ThreadPoolExecutor

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
    """The threads that train `net` fastest here: two from a recurrence of TWO_THREADS_FROM weights up
    (1.2-1.7x faster at H = 256 with BLAS alone), else one (a second thread gained at most 8% below that on a
    quiet machine, and lost up to 6x on a busy one). Two threads also split the time loops in halves
    (`batch_parts`), which a busy machine punishes as much: 3-20x slower than one thread at load 10-40
    (benchmarks/README.md, "Issue 25"), so the threshold stays until a quiet machine says otherwise."""
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


# Rows of a batch from which its time loops run in two halves when the step has two threads; None: never. Off, as
# measured on a quiet 2-core Xeon (benchmarks/throughput.py, 2 threads, against the loops before the split): the
# split lost at every shape (LSTM (32, 32, 64) x0.66, (256, 64, 256) x1.01; GRU x0.59, x0.89), where the same loops
# on one thread with a two-thread BLAS gained (x0.97, x1.27; x0.95, x1.22). `threads.SPLIT_FROM = 8` turns it on.
SPLIT_FROM: int | None = None


def batch_parts(rows: int) -> list:
    """The parts of a batch whose time loops run side by side, one a thread: two halves when the split is on,
    NumPy's BLAS runs two threads or more and the batch has SPLIT_FROM rows, else the whole batch, or its one row
    (index 0: the loops then run on vectors). Each row's numbers are the same either way: the loops treat the rows
    apart."""
    if rows == 1:
        return [0]
    if SPLIT_FROM is None or rows < SPLIT_FROM or (blas_threads() or 1) < 2:
        return [slice(0, rows)]
    return [slice(0, (rows + 1) // 2), slice((rows + 1) // 2, rows)]


def side_by_side(loop, parts: list) -> None:
    """loop(rows) for each part: the first on this thread, the second on a worker, with BLAS on one thread
    meanwhile. NumPy lets go of the GIL inside its matmuls and ufuncs, so the halves' small operations run on
    both cores, where a two-thread BLAS would speed up only the matmuls. A worker that has not started by the
    time the first half is done (a busy machine gives it no core) is not waited for: its half runs here."""
    if len(parts) == 1:
        return loop(parts[0])
    blas = blas_threads()
    set_blas_threads(1)
    other = _worker().submit(contextvars.copy_context().run, loop, parts[1])  # with the caller's np.errstate
    try:
        loop(parts[0])
        if other.cancel():
            loop(parts[1])
    finally:
        other.cancel() or other.exception()  # waits for a started half, whatever happened here
        set_blas_threads(blas)
    if not other.cancelled():
        other.result()  # its error, if it had one


@functools.cache
def _worker() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(1, thread_name_prefix="rnncore-half")


@functools.cache
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
