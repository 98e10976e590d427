"""Tasks that need memory, each generated from a seed, each with its optimal predictor known exactly.

Every task makes TRAIN_COUNT training and EVAL_COUNT eval sequences (the eval ones drawn first), each
an independent draw from its process and evaluated from a zero state (not a stream). Its oracle gives,
after every position of a sequence, the next-symbol distribution of a predictor that knows the
process; `Dataset.optimum` takes the best possible cost and accuracy from it. Symbols are single
characters, so a prefix can be typed: `1 3 5 7 0 0`, `1 0 1 1`, `b a d i i`, `a a a b`. There are
4,000 training sequences because with fewer a network of 64 units learns their noise: its eval cost
then stalls some 0.02 nats above the optimum.

parity[:GAP] (GAP 1-100, default 3). Digits as in `digits`: a run steps through its parity's cycle
(1 3 5 7 1 ... or 2 4 6 8 2 ...); with probability SWITCH it steps one up instead (3 -> 4, 8 -> 1), a
visible change of parity. The first digit is uniform among 1-8. After each digit, with probability
BREAK the run breaks into k zeros, k uniform from 1 to GAP, and then starts again at the first digit of
the parity it had before the zeros: 1 after an odd digit, 2 after an even one. So the zeros never
change the parity, but they hide it: after `5 7 0 0` and `6 8 0 0` the next digit is 1 or 2, and only
a memory reaching back over the zeros can tell which. After j zeros another follows with probability
(GAP - j) / (GAP - j + 1). A sequence is SEGMENTS * (1 / BREAK + (GAP + 1) / 2) symbols: about six runs
and gaps, whatever the gap.

xor. Elman's (1990, *Finding Structure in Time*) temporal XOR: a stream of bit triples a, b, a XOR b,
with a and b fair coin flips. Each sequence is a window of that stream from a triple's start: TRIPLES
triples and the first bit of the next, so its 3 * TRIPLES targets are two coin flips and one XOR per
triple, and the optimum is exactly 2/3 accuracy and (2/3) ln 2 nats. Predicting the XOR bit needs the
two bits before it and a non-linearity; a bigram table sees every bit follow every bit equally often.

letters. Elman's (1990) letter sequences: consonants b, d, g drawn uniformly at random, each replaced
by itself and its vowels: b -> ba, d -> dii, g -> guuu. A sequence is LETTERS_LENGTH letters from a
consonant on. The vowels are certain once the consonant is seen, and so is where they end, but only
by counting (after `g u u` comes `u`, after `g u u u` a consonant); which consonant comes is a 1 in 3
guess. Elman's network saw a 1,000-letter stream; here the windows are independent.

anbn[:N] (N 1-500, default 10). Gers & Schmidhuber (2001): strings a^n b^n with n uniform from 1 to N,
each ended by the terminator T (their symbol), one string a sequence. Their start symbol S is left out:
every sequence starts from a zero state, which marks the start as well. During the a's another a
follows k of them with probability (N - k) / (N - k + 1); after the first b, the rest of the string is
certain, but only to a network that counted the a's.

How much memory is worth: a bigram table (next-symbol frequencies given the current symbol, counted on
another seed's data) scored on seed 0's eval targets loses, against the optimum, in nats per target and
in accuracy: parity +0.157 and -0.051, parity:8 +0.113 and -0.014, parity:16 +0.076 and -0.004, xor
+0.231 and -0.167 (it can only guess), letters +0.360 and -0.071, anbn +0.264 and -0.098, anbn:30 +0.128
and -0.033; digits, which needs no memory, +0.003 and 0.000. The largest parameters (parity:100,
anbn:500) make data sets of 12 and 17 MB.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import DIGITS, Dataset, next_in_cycle, next_up, process_oracle
from .digit_tasks import digits, toy
from .reach import ANBN, anbn_reach, anbn_string, parity_reach, probe
from .textfile import check_text, text
from .vocab import Vocab

TRAIN_COUNT = 4000  # training sequences per task
EVAL_COUNT = 100  # eval sequences per task: a few thousand targets
BREAK, SWITCH, SEGMENTS = 0.25, 0.05, 6  # parity: a run's chance to break into zeros, to switch; runs a sequence
TRIPLES = 10  # xor: triples a sequence
LETTERS = "bdgaiu"
SYLLABLES = np.array([[0, 3, -1, -1], [1, 4, 4, -1], [2, 5, 5, 5]])  # ba, dii, guuu as ids of LETTERS
LETTERS_LENGTH = 30


@dataclass(frozen=True)
class Task:
    name: str
    about: str  # one line, for --help, the README and the app's list
    build: Callable  # (value, seed) -> Dataset, or (seed) -> Dataset for a task without a parameter
    param: str = ""  # the parameter's name after `name:`, e.g. GAP; "" when the task takes none
    param_about: str = ""  # what it sets
    default: int = 0
    low: int = 0
    high: int = 0

    @property
    def usage(self) -> str:
        """`parity[:GAP]`, `xor`: the name as --help lists it."""
        return f"{self.name}[:{self.param}]" if self.param else self.name

    @property
    def rule(self) -> str:
        """What the task takes, in the words of its error messages."""
        if not self.param:
            return f"{self.name} takes no parameter: write {self.name}"
        return (f"{self.name}:{self.param} takes {self.param}, {self.param_about}, an integer from {self.low} "
                f"to {self.high} (default {self.default})")

    def check(self, value) -> int:
        whole = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        if not whole or not self.low <= value <= self.high:
            raise ValueError(f"{self.rule}; got {value!r}")
        return int(value)

    def make(self, arg: str | None, seed: int) -> Dataset:
        """The data set of `name` (arg None) or `name:arg`."""
        if not self.param:
            if arg is not None:
                raise ValueError(f"{self.rule}, not {self.name}:{arg}")
            return self.build(seed)
        if arg is None:
            return self.build(self.default, seed)
        number = arg.strip()
        if not (number.isascii() and number.isdigit()) or not self.low <= int(number) <= self.high:
            raise ValueError(f"{self.rule}; got {arg!r}")
        return self.build(int(number), seed)


def load_task(name: str, seed: int = 0) -> Dataset:
    """`datasets.load`: a task of TASKS, `name:value` for one that takes a parameter, or a text file."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"the data's seed must be a non-negative integer, got {seed!r}")
    task_name, colon, arg = name.partition(":")
    task = TASKS.get(task_name.strip())
    if task is not None:
        data = task.make(arg if colon else None, seed)
        data.source = {"name": data.name, "seed": int(seed)}
        return data
    if Path(name).exists():
        return text(name)  # which says what is wrong with it, if anything
    listed = ", ".join(task.usage for task in TASKS.values())
    raise ValueError(f"cannot read {name}: no such file, and not a built-in task ({listed})")


def check_task(name: str) -> None:
    """`datasets.check`: `load_task`'s checks, in the same order, reading only the start of a text file."""
    if name.partition(":")[0].strip() not in TASKS and Path(name).exists():
        check_text(name)
    else:
        load_task(name)


def _dataset(name, symbols, seqs, n_eval, oracle, reach_probe=None) -> Dataset:
    """The first `n_eval` sequences are held out for evaluation."""
    if not 1 <= n_eval < len(seqs):
        raise ValueError(f"{name} needs at least one training and one eval sequence")
    return Dataset(name, Vocab(symbols), seqs[n_eval:], seqs[:n_eval], oracle=oracle, reach_probe=reach_probe)


# --- parity ---------------------------------------------------------------
def parity(gap: int = 3, seed: int = 0, n_train: int = TRAIN_COUNT, n_eval: int = EVAL_COUNT) -> Dataset:
    """Odd or even digit runs broken by 1 to `gap` zeros, after which the run's parity resumes."""
    gap = TASKS["parity"].check(gap)
    length = round(SEGMENTS * (1 / BREAK + (gap + 1) / 2))
    seqs = list(_parity_sequences(np.random.default_rng(seed), n_train + n_eval, gap, length))
    return _dataset(f"parity:{gap}", DIGITS, seqs, n_eval, _parity_oracle(gap), probe(parity_reach, gap))


def _parity_sequences(rng, count, gap, length):
    """All sequences at once, one time step after the other."""
    out = np.zeros((count, length), np.int64)
    out[:, 0] = digit = rng.integers(1, 9, count)  # digit: the latest digit of each sequence
    owed = np.zeros(count, np.int64)  # zeros the current gap still has to make
    for t in range(1, length):
        prev = out[:, t - 1]
        owed = np.where((prev > 0) & (rng.random(count) < BREAK), rng.integers(1, gap + 1, count), owed)
        step = np.where(rng.random(count) < SWITCH, next_up(prev), next_in_cycle(prev))
        out[:, t] = np.where(owed > 0, 0, np.where(prev > 0, step, 2 - digit % 2))  # 2 - d % 2: 1 or 2 again
        owed = np.maximum(owed - 1, 0)
        digit = np.where(out[:, t] > 0, out[:, t], digit)
    return out


def _parity_oracle(gap):
    def after(seq):
        t = np.arange(len(seq))
        last = np.maximum.accumulate(np.where(seq > 0, t, -1))  # the latest digit's position
        zeros, digit = t - last, seq[np.maximum(last, 0)]
        rows = np.zeros((len(seq), len(DIGITS)))
        run, hid = t[zeros == 0], t[zeros > 0]
        rows[run, 0] = BREAK
        rows[run, next_in_cycle(digit[run])] = (1 - BREAK) * (1 - SWITCH)
        rows[run, next_up(digit[run])] = (1 - BREAK) * SWITCH
        more = np.maximum(gap - zeros[hid], 0)  # zeros that may still come
        rows[hid, 0] = more / (more + 1)
        rows[hid, 2 - digit[hid] % 2] = 1 / (more + 1)
        return rows
    first = np.isin(np.arange(len(DIGITS)), range(1, 9)) / 8
    return process_oracle(len(DIGITS), first, after)


# --- xor -----------------------------------------------------------------
def xor(seed: int = 0, n_train: int = TRAIN_COUNT, n_eval: int = EVAL_COUNT) -> Dataset:
    """Elman's temporal XOR: windows of a stream of triples a, b, a XOR b."""
    bits = np.random.default_rng(seed).integers(0, 2, (n_train + n_eval, TRIPLES + 1, 2))
    triples = np.concatenate([bits, bits[..., :1] ^ bits[..., 1:]], -1)  # (N, TRIPLES + 1, 3)
    seqs = list(triples.reshape(len(bits), -1)[:, :3 * TRIPLES + 1])
    return _dataset("xor", "01", seqs, n_eval, process_oracle(2, np.array([0.5, 0.5]), _xor_after))


def _xor_after(seq):
    t = np.arange(len(seq))
    rows = np.full((len(seq), 2), 0.5)
    b = t[t % 3 == 1]  # after a triple's b comes a XOR b, for sure
    rows[b] = 0
    rows[b, seq[b - 1] ^ seq[b]] = 1
    return rows


# --- letters -------------------------------------------------------------
def letters(seed: int = 0, n_train: int = TRAIN_COUNT, n_eval: int = EVAL_COUNT) -> Dataset:
    """Elman's letter sequences: b, d, g at random, each followed by its vowels (ba, dii, guuu)."""
    consonants = np.random.default_rng(seed).integers(0, 3, (n_train + n_eval, LETTERS_LENGTH // 2))
    padded = SYLLABLES[consonants].reshape(len(consonants), -1)  # each syllable padded to 4 with -1
    order = np.argsort(padded < 0, axis=1, kind="stable")  # the letters first, in their order
    seqs = list(np.take_along_axis(padded, order, 1)[:, :LETTERS_LENGTH])
    first = np.array([1, 1, 1, 0, 0, 0]) / 3  # a consonant
    return _dataset("letters", LETTERS, seqs, n_eval, process_oracle(len(LETTERS), first, _letters_after))


def _letters_after(seq):
    t = np.arange(len(seq))
    last = np.maximum.accumulate(np.where(seq < 3, t, -1))  # the latest consonant's position
    consonant = seq[np.maximum(last, 0)]
    rows = np.zeros((len(seq), len(LETTERS)))
    vowel = t[t - last <= consonant]  # b (0) has one vowel, d (1) two, g (2) three
    rows[vowel, 3 + consonant[vowel]] = 1
    rows[t[t - last > consonant], :3] = 1 / 3
    return rows


# --- anbn ----------------------------------------------------------------
def anbn(n_max: int = 10, seed: int = 0, n_train: int = TRAIN_COUNT, n_eval: int = EVAL_COUNT) -> Dataset:
    """Gers & Schmidhuber's a^n b^n T, n uniform from 1 to `n_max`, one string a sequence."""
    n_max = TASKS["anbn"].check(n_max)
    lengths = np.random.default_rng(seed).integers(1, n_max + 1, n_train + n_eval)
    seqs = [anbn_string(n) for n in lengths]
    oracle = process_oracle(len(ANBN), np.array([1.0, 0, 0]), lambda seq: _anbn_after(seq, n_max))
    return _dataset(f"anbn:{n_max}", ANBN, seqs, n_eval, oracle, probe(anbn_reach, n_max))


def _anbn_after(seq, n_max):
    a, b = np.cumsum(seq == 0), np.cumsum(seq == 1)
    more = np.maximum(n_max - a, 0)  # a's that may still come, before the first b
    rows = np.where((b == 0)[:, None], np.stack([more / (more + 1), 1 / (more + 1), 0 * a], 1),
                    np.stack([0 * a, b < a, b >= a], 1).astype(float))
    rows[np.cumsum(seq == 2) > 0] = np.nan  # nothing follows the terminator
    return rows


TASKS = {task.name: task for task in (  # `datasets.load` takes these names, and `name:N` for those with a parameter
    Task("toy", "the original simpleRNN task: digit cycles 1 3 5 7 and 2 4 6 8; 70/71 is the ceiling",
         lambda seed: toy()),
    Task("digits", "odd and even digit runs that switch parity with probability 0.05; needs no memory",
         lambda seed: digits(seed=seed)),
    Task("parity", "digit runs broken by 1 to GAP zeros; the digit after them needs the parity from before",
         parity, "GAP", "the longest run of zeros", 3, 1, 100),
    Task("xor", "Elman's temporal XOR: bit triples a, b, a XOR b; every third bit needs the two before it", xor),
    Task("letters", "Elman's letters: b, d, g at random, each followed by its vowels: ba, dii, guuu", letters),
    Task("anbn", "a^n b^n T, n from 1 to N (Gers & Schmidhuber 2001): close the a's by counting them",
         anbn, "N", "the largest n", 10, 1, 500),
)}
