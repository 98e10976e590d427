"""Reach: how far past the lengths it was trained on a network still counts (anbn) or remembers (parity).

A task's eval set comes from the same process as its training set, so a network that memorised "up to 10 a's"
and one that learnt to count score the same on it. The reach tells them apart: for n = 1, 2, ... up to far
beyond the training range, is the network right about the string of size n? Gers & Schmidhuber (2001) found
LSTMs trained on a^n b^n with n up to 10 right far beyond it; Weiss, Goldberg & Yahav (2018) found that
LSTMs count and generalise where GRUs and tanh RNNs do not. Every figure comes from the network's own batched
forward passes (`Network.run_rows`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REACH_UP_TO = 100  # n the reach is measured to by default, or REACH_TIMES the training range if that is more
REACH_TIMES = 3
MAX_REACH = 2000  # n a reach can be measured to: anbn's strings of 4,001 symbols
PASS_BYTES = 64 << 20  # memory of one batched pass (Network.step_bytes, an over-estimate), whatever up_to
ANBN = "abT"  # anbn's vocabulary: a, b and the terminator T
PARITY_RUN = 4  # digits of each run before the zeros in parity's test cases
REACHING = "parity[:GAP] and anbn[:N]"  # the tasks that have a reach (tasks.py gives them a `probe`)


@dataclass(frozen=True, eq=False)
class Reach:
    """Which n the network gets right, n = 1 .. up_to, and the training range's end."""

    right: np.ndarray  # (up_to,) bool: entry n - 1 says whether the network gets n right
    trained: int  # the training data's n go from 1 to this
    what: str = "n"  # what n is, in words: "a^n b^n T", "a gap of n zeros"

    @property
    def up_to(self) -> int:
        return len(self.right)

    @property
    def largest(self) -> int:
        """The largest n such that every n' <= n is right; 0 if n = 1 is wrong."""
        wrong = np.flatnonzero(~self.right)
        return int(wrong[0]) if wrong.size else self.up_to


def probe(measure, trained: int):
    """(net, up_to=None) -> Reach: `measure(net, up_to, trained)`, up to default_up_to(trained) if not given."""
    def reach(net, up_to: int | None = None) -> Reach:
        return measure(net, check_up_to(default_up_to(trained) if up_to is None else up_to), trained)
    return reach


def default_up_to(trained: int) -> int:
    """How far the reach goes unless asked: REACH_UP_TO, or REACH_TIMES the training range if that is more."""
    return min(max(REACH_UP_TO, REACH_TIMES * trained), MAX_REACH)


def check_up_to(up_to) -> int:
    whole = isinstance(up_to, (int, np.integer)) and not isinstance(up_to, bool)
    if not whole or not 1 <= up_to <= MAX_REACH:
        raise ValueError(f"the reach is measured up to an n from 1 to {MAX_REACH}, got {up_to!r}")
    return int(up_to)


def anbn_string(n: int) -> np.ndarray:
    """a^n b^n T as ids of ANBN."""
    return np.repeat(np.arange(3), [n, n, 1])


def anbn_reach(net, up_to: int, n_max: int) -> Reach:
    """n is right when, after each prefix of a^n b^n T from the first b on, the network's likeliest next symbol
    is the true one: the n - 1 b's after the first and the terminator T, the symbols the a's before them
    determine. The a's and the first b are not determined (another a may always follow), so not counted."""
    strings = [anbn_string(n) for n in range(1, up_to + 1)]
    logps = _logps(net, [s[:-1] for s in strings])  # nothing is predicted after the T
    right = [(logp[n:].argmax(-1) == s[n + 1:]).all()
             for n, (s, logp) in enumerate(zip(strings, logps, strict=True), 1)]
    return Reach(np.array(right, bool), n_max, "a^n b^n T")


def parity_runs() -> list[np.ndarray]:
    """parity_reach's test cases: for each last digit 1-8, the PARITY_RUN digits of its cycle that end in it
    (3 5 7 1, 4 6 8 2, 5 7 1 3, ...)."""
    cycles = [[d for d in range(1, 9) if d % 2 == last % 2] for last in range(1, 9)]  # 1 3 5 7 or 2 4 6 8
    return [np.array([cycle[(cycle.index(last) - back) % len(cycle)] for back in range(PARITY_RUN - 1, -1, -1)])
            for last, cycle in zip(range(1, 9), cycles, strict=True)]


def parity_reach(net, up_to: int, gap: int) -> Reach:
    """n is right when, after each of `parity_runs` followed by n zeros, the network gives the digit that
    resumes the run's parity (1 after an odd digit, 2 after an even one) a higher probability than the
    other: it still knows which parity hid behind the zeros, whether or not it expects another zero."""
    runs = parity_runs()
    logps = np.stack(_logps(net, [np.concatenate([run, np.zeros(up_to, np.int64)]) for run in runs]))  # (8, T, V)
    after_zeros = logps[:, PARITY_RUN:]  # (8, up_to, V): after 1 .. up_to zeros
    resumes = np.array([2 - run[-1] % 2 for run in runs])[:, None, None]  # 1 or 2, the other is 3 - it
    right = np.take_along_axis(after_zeros, resumes, 2) > np.take_along_axis(after_zeros, 3 - resumes, 2)
    return Reach(right[..., 0].all(0), gap, "a gap of n zeros")


def _logps(net, rows: list[np.ndarray]) -> list[np.ndarray]:
    """Each row's log-probabilities (len(row), V), from batched passes of consecutive rows (zero-padded) that each
    fit in PASS_BYTES; a non-finite output (an overflowed network) is wrong wherever it is compared."""
    out, start = [], 0
    while start < len(rows):
        end, longest = start + 1, len(rows[start])
        while end < len(rows) and net.step_bytes(end + 1 - start, max(longest, len(rows[end]))) <= PASS_BYTES:
            longest = max(longest, len(rows[end]))
            end += 1
        x = np.zeros((end - start, longest), np.int64)
        for i, row in enumerate(rows[start:end]):
            x[i, :len(row)] = row
        with np.errstate(over="ignore", invalid="ignore"):
            logp, _ = net.run_rows(x)
        out += [np.nan_to_num(logp[i, :len(row)], nan=-np.inf) for i, row in enumerate(rows[start:end])]
        start = end
    return out
