"""How many threads NumPy's BLAS runs, read and set through OpenBLAS's C API (no threadpoolctl needed).

A record replays bit for bit only with the BLAS threads it was made with, and small models train faster
on one thread than on two: the time a second thread saves on a small matmul is less than what waking it
costs. `threads_for` is that rule, measured (benchmarks/README.md, "Threads by model size"). With two
threads, a large enough training step runs in two halves of the batch side by side (`batch_parts`,
`side_by_side`), so that the second core takes half of the element-wise work too, not only of the matmuls.
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
    quiet machine, and lost up to 6x on a busy one). The batch's split in halves (`batch_parts`) gains from
    128 x 128 rows x units, which the app's batches of 32 reach only from 512 units: it does not move the
    threshold (benchmarks/README.md, "Issue 25")."""
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


# The work from which a training step's batch splits in two halves, one a thread, when the step has two threads:
# rows x the widest recurrence's units, what each element-wise operation of the time loops' steps works on. Below
# it NumPy's calls are too short to let go of Python's lock for long, and the halves wait for each other. Measured
# on a quiet 2-core Xeon (benchmarks/README.md, "Issue 25"): from 128 x 128 the split ran x0.94-1.32 the rate of a
# two-thread BLAS (x1.03-1.59 of one thread), below it x0.55-0.98.
SPLIT_WORK = 128 * 128


def batch_parts(rows: int, row_work: int) -> list[slice]:
    """The parts of a batch that train side by side, one a thread: two halves when NumPy's BLAS runs two threads
    or more and rows x row_work (the widest recurrence's units) reaches SPLIT_WORK, else the whole batch."""
    if rows < 2 or rows * row_work < SPLIT_WORK or (blas_threads() or 1) < 2:
        return [slice(0, rows)]
    return [slice(0, (rows + 1) // 2), slice((rows + 1) // 2, rows)]


def side_by_side(run, parts: list) -> list:
    """[run(part) for part in parts]: the first on this thread, the second on a worker, with BLAS on one thread
    meanwhile. NumPy lets go of Python's lock inside its matmuls and element-wise functions, so both cores work
    on every part of the step, where a two-thread BLAS would split only the matmuls (and its idle threads, spinning,
    take the core the element-wise work needs). A worker that has not started by the time the first part is done
    (a busy machine gives it no core) is not waited for: its part runs here."""
    if len(parts) == 1:
        return [run(parts[0])]
    blas = blas_threads()
    set_blas_threads(1)
    other = _worker().submit(contextvars.copy_context().run, run, parts[1])  # with the caller's np.errstate
    try:
        first = run(parts[0])
        second = run(parts[1]) if other.cancel() else None
    finally:
        other.cancel() or other.exception()  # waits for a started part, whatever happened here
        set_blas_threads(blas)
    return [first, second if other.cancelled() else other.result()]


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
