"""The original tasks, which need no memory: simpleRNN's toy task and the digit runs it was drawn from."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np

from .dataset import DIGITS, EVEN, ODD, Dataset, next_in_cycle, next_up, process_oracle
from .vocab import Vocab


def toy() -> Dataset:
    """The original simpleRNN task, exactly: 2 training and 5 eval sequences, 71 eval targets."""
    def cycle(base, n):
        return np.array([base[i % 4] for i in range(n)], np.int64)
    train = [cycle(ODD, 18), cycle(EVEN, 16)]
    eval_ = [cycle(ODD, 24), cycle(ODD, 4), cycle(EVEN, 4), cycle(EVEN, 24),
             np.concatenate([cycle(ODD, 8), cycle(EVEN, 12)])]
    return Dataset("toy", Vocab(DIGITS), train, eval_, oracle=_prefix_oracle(eval_, len(DIGITS)))


def _prefix_oracle(seqs, vocab_size) -> Callable:
    """The toy task is not drawn from a process, so its optimal predictor is the empirical distribution of
    the next symbol given the whole prefix over `seqs`: 1 3 5 7 1 3 5 7 is followed once by 1 and once
    by 2, the one target of 71 that no predictor can be sure of. Prefixes `seqs` never shows give nan."""
    counts = defaultdict(lambda: np.zeros(vocab_size))
    for s in seqs:
        for t in range(len(s)):
            counts[tuple(s[:t])][s[t]] += 1

    def after(seq):
        rows = np.array([counts.get(tuple(seq[:t + 1]), np.zeros(vocab_size)) for t in range(len(seq))])
        with np.errstate(invalid="ignore"):
            return rows / rows.sum(1, keepdims=True)
    return process_oracle(vocab_size, counts[()] / len(seqs), after)


def digits(count=400, min_len=8, max_len=24, switch_prob=0.05, eval_fraction=0.2, seed=0) -> Dataset:
    """Odd (1,3,5,7) and even (2,4,6,8) runs from a random start; at each step
    the sequence switches parity with `switch_prob`, to the next digit up
    (8 goes to 1)."""
    if not 2 <= min_len <= max_len:
        raise ValueError(f"need 2 <= min_len <= max_len, got {min_len}, {max_len}")
    if not 0 <= switch_prob <= 1 or not 0 < eval_fraction < 1 or count < 2:
        raise ValueError("need 0 <= switch_prob <= 1, 0 < eval_fraction < 1 and count >= 2")
    rng = np.random.default_rng(seed)
    seqs = [_digit_run(rng, int(rng.integers(min_len, max_len + 1)), switch_prob) for _ in range(count)]
    n_eval = max(1, int(count * eval_fraction))
    return Dataset("digits", Vocab(DIGITS), seqs[n_eval:], seqs[:n_eval], oracle=_digits_oracle(switch_prob))


def _digits_oracle(switch_prob) -> Callable:
    """First-order Markov: a uniform start among 1-8, then the cycle's next digit or, with `switch_prob`, one up."""
    first = np.isin(np.arange(len(DIGITS)), ODD + EVEN) / 8

    def after(seq):
        rows = np.zeros((len(seq), len(DIGITS)))
        rows[np.arange(len(seq)), next_in_cycle(seq)] = 1 - switch_prob
        rows[np.arange(len(seq)), next_up(seq)] = switch_prob
        return rows
    return process_oracle(len(DIGITS), first, after)


def _digit_run(rng, length, switch_prob):
    digit = int(rng.choice(ODD + EVEN))
    out = [digit]
    for _ in range(length - 1):
        if rng.random() < switch_prob:
            digit = digit + 1 if digit < 8 else 1
        else:
            cycle = ODD if digit % 2 else EVEN
            digit = cycle[(cycle.index(digit) + 1) % 4]
        out.append(digit)
    return np.array(out, np.int64)
