"""The Gradient view's numbers: why a plain RNN forgets, for every run, from rnncore's measures; no Textual.

For each run, over a sample of its eval sequences sized to a budget of work (`Sample`), every recurrent layer's
gradient through time g[k] and the lag at which it falls below FADE of g[0], the largest singular value of each
block of its recurrent weights, the mean norm of its one-step Jacobian, and for a gated cell its gates' saturation.
Each run's numbers are computed on a copy of its weights, so that its training goes on meanwhile, and again only
once its weights have moved and REFRESH seconds have passed (`GradientWatch`).
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np

from rnncore import Dataset, Network, gate_saturation, gradient_through_time, jacobian_norms, recurrent_spectrum

from .inference import OVERFLOW

FADE = 1e-3  # the share of g[0] below which the view says the gradient has faded
REFRESH = 0.4  # seconds between two computations of a run's numbers while it trains
SWEEP_BUDGET = 2e8  # multiply-adds of the gradient's backward sweep per run and refresh: some 20 ms on one core
JACOBIAN_BUDGET = 2e7  # and of the Jacobians' Lanczos rounds: their mean needs a few dozen positions, not all
MAX_ROWS = 32  # eval sequences in the sample at most
LANCZOS_ROUNDS = 16  # the mean of the norms is then within 0.2% of the exact one (rnncore/recurrence.py)


@dataclass(frozen=True, eq=False)
class LayerGradient:
    """One recurrent layer's numbers."""

    name: str  # e.g. "lstm0"
    kind: str  # "rnn", "lstm" or "gru"
    g: np.ndarray  # (K + 1,) the mean |d loss_t / d state_{t-k}| at each lag k
    fade_lag: int | None  # the first lag k with g[k] < FADE * g[0]; None if it stays above over every lag
    largest: dict  # weight block ("Whh", or a gate: "i", "f", ...) -> its largest singular value
    jacobian: float  # the mean spectral norm of d state_s / d state_{s-1} over the sample
    saturation: dict  # gate -> (left, right): per unit, the share of steps below 0.1 and above 0.9; {} for an RNN


@dataclass(frozen=True, eq=False)
class RunGradient:
    """One run's numbers, for the view that overlays every run."""

    label: str  # what tells the run apart (Lab.labels)
    color: int  # index of its colour in the charts' RUN_COLORS
    step: int  # the training step of the weights measured
    about: str  # what it was measured on: "8 eval sequences"
    layers: list[LayerGradient]  # bottom up


def fade_lag(g: np.ndarray, fade: float = FADE) -> int | None:
    """The first lag at which g falls below `fade` of g[0]; None if it never does (or g[0] is 0 or missing)."""
    below = np.flatnonzero(g < fade * g[0]) if g[0] > 0 else []
    return int(below[0]) if len(below) else None


@dataclass(frozen=True, eq=False)
class Sample:
    """The eval sequences the view measures on, (B, T) padded, and which positions count."""

    x: np.ndarray  # inputs
    y: np.ndarray  # next symbols
    targets: np.ndarray  # (B, T) the positions whose loss the gradient follows back (every one, or every n-th)
    states: np.ndarray  # (B, T) the positions whose Jacobian is measured: evenly spread, as many as the budget allows
    about: str

    @classmethod
    def of(cls, data: Dataset, net: Network) -> Sample | None:
        """As many eval sequences as the budgets allow, MAX_ROWS at most; None if there are none."""
        seqs = [np.asarray(s, np.int64) for s in data.eval[:MAX_ROWS] if len(s) > 1]
        if not seqs:
            return None
        width, lengths = _width(net), np.array([len(s) - 1 for s in seqs])
        rows = max(int(np.searchsorted(np.cumsum([width * _lags([n], 1) for n in lengths]), SWEEP_BUDGET, "right")), 1)
        lengths, seqs = lengths[:rows], seqs[:rows]
        stride = next((n for n in range(1, lengths.max()) if width * _lags(lengths, n) <= SWEEP_BUDGET),
                      lengths.max())  # >1: every n-th target only
        x, y = (np.zeros((rows, lengths.max()), np.int64) for _ in range(2))
        for row, seq in enumerate(seqs):
            x[row, :len(seq) - 1], y[row, :len(seq) - 1] = seq[:-1], seq[1:]
        real = np.arange(x.shape[1]) < lengths[:, None]
        targets = real & (np.arange(x.shape[1]) % stride == 0)
        jacobian = 2 * LANCZOS_ROUNDS * width  # multiply-adds per position
        return cls(x, y, targets, _spread(real, JACOBIAN_BUDGET // jacobian), _about(rows, stride))


def _lags(lengths, stride: int) -> int:
    """Σ over the rows' targets t, every `stride`-th position from 0, of the t + 1 lags the sweep follows back."""
    return int(sum((np.arange(0, n, stride) + 1).sum() for n in lengths))


def _width(net: Network) -> int:
    """Multiply-adds of a step of every recurrent layer for one row, about: the sizes of their weight matrices."""
    names = {name for name, _ in net.recurrent()}
    return sum(a.size for key, a in net.params.items() if a.ndim == 2 and key.split(".")[0] in names)


def _spread(real: np.ndarray, count: float) -> np.ndarray:
    """At most `count` of the `real` positions (at least one), evenly spread over them."""
    flat = np.flatnonzero(real)
    picked = flat[np.linspace(0, len(flat) - 1, int(np.clip(count, 1, len(flat)))).round().astype(int)]
    chosen = np.zeros(real.size, bool)
    chosen[picked] = True
    return chosen.reshape(real.shape)


def _about(rows: int, stride: int) -> str:
    what = f"{rows} eval sequence{'s' if rows > 1 else ''}"
    return what if stride == 1 else f"{what}, 1 position in {stride}"


def measure(net: Network, sample: Sample) -> list[LayerGradient]:
    """Every recurrent layer's numbers over the sample. ValueError: the outputs overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        g = gradient_through_time(net, sample.x, sample.y, sample.targets)
        norms = jacobian_norms(net, sample.x, sample.states, steps=LANCZOS_ROUNDS)
        saturation = gate_saturation(net, sample.x, sample.targets | sample.states)
    if not all(np.isfinite(g[name][0]) and not np.isinf(g[name]).any() for name in g):
        raise ValueError(OVERFLOW)
    spectrum = recurrent_spectrum(net, largest_only=True)
    return [LayerGradient(name, layer.kind, g[name], fade_lag(g[name]),
                          {block: float(values[0]) for block, values in spectrum[name].items()},
                          float(np.nanmean(norms[name])), saturation.get(name, {}))
            for name, layer in net.recurrent()]


def frozen(session) -> tuple[Network, Dataset, int]:
    """A copy of the session's network (its weights copied), its data and its step, taken under its lock: the
    measures then run on it while training goes on."""
    with session.lock:
        net = copy.copy(session.net)
        net.params = {name: array.copy() for name, array in session.net.params.items()}
        return net, session.data, session.trainer.step


class GradientWatch:
    """Each run's last numbers; computed again once its weights have moved and REFRESH seconds have passed."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[float, object, int, RunGradient | None]] = {}  # id(session) -> when, net, step

    def runs(self, lab) -> list[RunGradient]:
        """The numbers of the lab's runs on the current run's task (as the charts overlay them), the current run
        first; each as the charts name and colour it. Runs without a recurrent layer or eval sequences are left out."""
        task = lab.session.model.data
        shown = sorted((s for s in lab.runs if s.model.data == task), key=lambda s: s is not lab.session)
        labels = lab.labels(shown) if len(shown) > 1 else [lab.session.model.layers]
        self._last = {key: value for key, value in self._last.items() if key in {id(s) for s in lab.runs}}
        found = [self._of(session, label, session.color) for session, label in zip(shown, labels, strict=True)]
        return [run for run in found if run is not None]

    def _of(self, session, label: str, color: int) -> RunGradient | None:
        when, net, step, run = self._last.get(id(session), (0.0, None, -1, None))
        fresh = net is session.net and (step == session.trainer.step or time.monotonic() - when < REFRESH)
        if not fresh:
            copied, data, step = frozen(session)
            sample = Sample.of(data, copied) if copied.recurrent() else None
            run = sample and RunGradient(label, color, step, sample.about, measure(copied, sample))
            self._last[id(session)] = (time.monotonic(), session.net, step, run)
        return run and RunGradient(label, color, run.step, run.about, run.layers)
