"""What every data set is, made by the task generators and the text loader alike: a Dataset, how it is cut into
(B, T) batches, its optimum from an oracle, and the digit helpers the digit tasks share."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .reach import REACHING, Reach, check_up_to
from .vocab import Vocab

ODD, EVEN = (1, 3, 5, 7), (2, 4, 6, 8)
DIGITS = "0123456789"
UNKNOWN = "\ufffd"  # stands for every character beyond the text vocabulary's limit
STREAM_BPTT = 64  # chunk length for a text stream when the config asks for full BPTT
MEMORY_MATTERS = 0.25  # the total variation between the optimal and the memoryless predictions that makes a target
MIN_MEMORY_TARGETS = 10  # ... one where memory matters; a task with fewer has none
MEMORY_MARGIN = 0.02  # nats below the best cost without memory: an eval cost there has found a memory, ...
MEMORY_SHARE = 0.25  # ... or this share of what memory is worth on the task, if that is less (parity:64: 0.025 nats)


@dataclass
class Dataset:
    name: str
    vocab: Vocab
    train: list  # 1-D int arrays; for a stream, one long array
    eval: list  # 1-D int arrays, each evaluated from a zero state
    stream: bool = False  # True: train[0] is cut into rows and chunks, state carried
    oracle: Callable | None = None  # seq -> (len(seq) - 1, vocab): optimal next-symbol distributions; None: unknown
    source: dict | None = None  # how to make it again: {"name", "seed"} of a task, {"path", "sha256"} of a text
    reach_probe: Callable | None = None  # (net, up_to=None) -> Reach (rnncore/reach.py); None: the task has none

    def epoch(self, epoch: int, batch_size: int, bptt: int, seed: int):
        """The chunks of one epoch: (x, y, mask, carry) with (B, T) arrays;
        `carry` says the chunk continues the previous one's sequences."""
        if self.stream:
            return stream_chunks(self.train[0], batch_size, bptt or STREAM_BPTT)
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(len(self.train))
        return sequence_chunks([self.train[i] for i in order], batch_size, bptt)

    def chunk_shape(self, batch_size: int, bptt: int) -> tuple[int, int]:
        """The largest (B, T) chunk an epoch cut with these settings holds."""
        if self.stream:
            rows = max(1, min(batch_size, (len(self.train[0]) - 1) // 2))
            return rows, min(bptt or STREAM_BPTT, (len(self.train[0]) - 1) // rows)
        longest = max((len(s) for s in self.train), default=2) - 1
        return min(batch_size, len(self.train)), min(bptt or longest, longest)

    def eval_batches(self, batch_size: int = 256):
        for i in range(0, len(self.eval), batch_size):
            yield pad(self.eval[i:i + batch_size])

    def reach(self, net, up_to: int | None = None) -> Reach:
        """How far past its training lengths `net` is right, n = 1 .. `up_to` (None: the task's default), from
        its own passes (rnncore/reach.py); ValueError as `check_reach` says."""
        self.check_reach(up_to)
        return self.reach_probe(net, up_to)

    def check_reach(self, up_to: int | None = None) -> None:
        """ValueError, in words, for a task without a reach or an `up_to` it cannot be measured to."""
        if self.reach_probe is None:
            raise ValueError(f"{self.name} has no reach: it is measured on {REACHING}, whose lengths run past "
                             "those they train on")
        if up_to is not None:
            check_up_to(up_to)

    def n_eval_targets(self) -> int:
        return sum(len(s) - 1 for s in self.eval)

    @cached_property
    def optimum(self) -> Optimum | None:
        """The optimal predictor's score over the eval set's targets; None without an oracle (a text file).

        p_opt is the oracle's distribution of each target given its sequence's prefix (every eval
        sequence starts from a zero state). `loss` is the mean over all eval targets of -ln p_opt(target):
        the optimal predictor's cost on these very targets, so a network measured on the same targets is
        compared without sampling noise. `accuracy` is the mean over targets of [target in the argmax set
        of p_opt] / (size of that set): a tie counts as the fraction a random tie-break would get."""
        if self.oracle is None:
            return None
        probs, targets, current = self._oracle_rows
        picked = probs[np.arange(len(targets)), targets]
        best = np.isclose(probs, probs.max(1, keepdims=True), rtol=1e-9, atol=0)
        credit = best[np.arange(len(targets)), targets] / best.sum(1)
        memory = self.memory_targets
        return Optimum(float(-np.log(picked).mean()), float(credit.mean()), len(targets),
                       memoryless_loss(probs, current, targets), 0 if memory is None else int(memory.sum()))

    @cached_property
    def memory_targets(self) -> np.ndarray | None:
        """(eval targets,) bool, in the eval set's order: the targets where memory matters, where the optimal
        predictor and the best one without memory differ by a total variation of at least MEMORY_MATTERS. None
        without an oracle, or with fewer than MIN_MEMORY_TARGETS of them (too few to measure a share on)."""
        if self.oracle is None:
            return None
        probs, _, current = self._oracle_rows
        matters = 0.5 * np.abs(probs - memoryless(probs, current)).sum(1) >= MEMORY_MATTERS
        return matters if matters.sum() >= MIN_MEMORY_TARGETS else None

    def memory_use(self, eval_cost: float) -> float | None:
        """On a task with targets where memory matters, how much of what memory is worth an eval cost has gained
        (Optimum.memory_use); None on the other tasks."""
        return None if self.memory_targets is None else self.optimum.memory_use(eval_cost)

    @cached_property
    def _oracle_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The oracle's row before each eval target (targets, V), the targets, the symbol each follows."""
        probs = np.concatenate([self.oracle(s) for s in self.eval])
        return probs, np.concatenate([s[1:] for s in self.eval]), np.concatenate([s[:-1] for s in self.eval])

    def optimal_costs(self, seq) -> np.ndarray | None:
        """(len(seq) - 1,): -ln p_opt of each target of one sequence; inf where the process cannot make
        the target, nan past that (no optimum for an impossible prefix); None without an oracle."""
        if self.oracle is None:
            return None
        seq = np.asarray(seq, np.int64)
        with np.errstate(divide="ignore"):
            return 0.0 - np.log(self.oracle(seq)[np.arange(len(seq) - 1), seq[1:]])  # 0.0 -: no -0.0


@dataclass(frozen=True)
class Optimum:
    loss: float  # nats per eval target
    accuracy: float  # expected fraction of eval targets right, ties broken at random
    targets: int  # eval targets it is taken over
    memoryless_loss: float  # nats per eval target of the best predictor that sees only the current symbol
    memory_targets: int = 0  # eval targets where memory matters (Dataset.memory_targets)

    def found_memory(self, eval_cost: float) -> bool:
        """Whether an eval cost has fallen a clear margin below the best cost without memory: MEMORY_MARGIN, or a
        MEMORY_SHARE of what memory is worth where it is worth less. Never on a task that needs no memory."""
        worth = self.memoryless_loss - self.loss
        return worth > 0.01 and eval_cost <= self.memoryless_loss - min(MEMORY_MARGIN, MEMORY_SHARE * worth)

    def memory_use(self, eval_cost: float) -> float:
        """The share of what memory is worth (the best cost without memory minus the best possible) that an eval cost
        has gained: 0 on the line without memory or above it, towards 1 as the cost nears the best. It moves when the
        memory is found (`found_memory`), where the accuracy hardly does, as most targets need no memory. Taken from
        the cost of every target, it counts a memory however thinly its worth is spread (README, parity:64)."""
        worth = self.memoryless_loss - self.loss
        return float(np.clip((self.memoryless_loss - eval_cost) / worth, 0, 1)) if worth > 0 else 0.0


def memoryless(probs, current) -> np.ndarray:
    """The rows of the best predictor that sees only the current symbol, `probs` (targets, V) being the
    oracle's rows: after each symbol it predicts the mean of the rows that follow that symbol, which minimises
    the expected cost over them."""
    mixed = np.empty_like(probs)
    for symbol in np.unique(current):
        mixed[current == symbol] = probs[current == symbol].mean(0)
    return mixed


def memoryless_loss(probs, current, targets) -> float:
    """The cost on `targets` of the best predictor that sees only the current symbol (`memoryless`). A
    network's cost sits at this level until it finds a memory."""
    return float(-np.log(memoryless(probs, current)[np.arange(len(targets)), targets]).mean())


def process_oracle(vocab_size: int, first: np.ndarray, after: Callable) -> Callable:
    """The oracle of a process given `first`, (V,) the distribution of a sequence's first symbol, and
    `after(seq)`, (len(seq), V) the distribution after each position when the prefix is possible. Rows
    whose prefix the process cannot make (a symbol of probability 0 or nan in it) become nan."""
    def oracle(seq) -> np.ndarray:
        seq = np.asarray(seq, np.int64)
        if seq.ndim != 1 or not len(seq) or seq.min() < 0 or seq.max() >= vocab_size:
            raise ValueError(f"the oracle takes a non-empty 1-D sequence of ids from 0 to {vocab_size - 1}")
        rows = np.asarray(after(seq), np.float64)  # (T, V)
        seen = np.vstack([first, rows[:-1]])[np.arange(len(seq)), seq]  # p of each symbol given its prefix
        impossible = np.flatnonzero(~(seen > 0))
        out = rows[:-1].copy()
        if impossible.size:
            out[impossible[0]:] = np.nan
        return out
    return oracle


def pad(seqs):
    """Input seq[:-1], target seq[1:], right-padded to one length; mask marks real targets."""
    T = max(len(s) for s in seqs) - 1
    x = np.zeros((len(seqs), T), np.int64)
    y = np.zeros_like(x)
    mask = np.zeros(x.shape, np.float32)
    for row, s in enumerate(seqs):
        x[row, :len(s) - 1], y[row, :len(s) - 1], mask[row, :len(s) - 1] = s[:-1], s[1:], 1
    return x, y, mask


def sequence_chunks(seqs, batch_size, bptt):
    for i in range(0, len(seqs), batch_size):
        x, y, mask = pad(seqs[i:i + batch_size])
        if not x.shape[1]:  # only one-symbol sequences: nothing to predict
            continue
        k = bptt or x.shape[1]
        for t in range(0, x.shape[1], k):
            yield x[:, t:t + k], y[:, t:t + k], mask[:, t:t + k], t > 0


def stream_chunks(stream, batch_size, bptt):
    rows = max(1, min(batch_size, (len(stream) - 1) // 2))
    length = (len(stream) - 1) // rows
    x = stream[:rows * length].reshape(rows, length)
    y = stream[1:rows * length + 1].reshape(rows, length)
    mask = np.ones(x.shape, np.float32)
    for t in range(0, length, bptt):
        yield x[:, t:t + bptt], y[:, t:t + bptt], mask[:, t:t + bptt], t > 0


def next_in_cycle(digit):
    """The digit after `digit` in its parity's cycle: 1 3 5 7 1 ... or 2 4 6 8 2 ... (arrays too)."""
    return 1 + (digit + 1) % 8


def next_up(digit):
    """The digit one up, 8 going to 1: a switch of parity (arrays too)."""
    return 1 + digit % 8
