"""What the insight views show, from the network's own passes; no Textual.

Each view looks at one sequence, its `Subject`: the typed prefix, whose pass the prediction already made,
or with no prefix a sample of the eval set (`sample`), one pass over it. A view adds at most one pass of
its own: the saliency's forward and backward, the state map's batched pass over the eval states.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rnncore import Dataset, Network, Vocab

from .inference import OVERFLOW, Prediction, checked_run
from .measures import (
    eval_rows,
    eval_states,
    most_varying,
    normalised,
    optimal_costs,
    position_costs,
    principal_axes,
    sample,
)

VIEWS = ("probs", "cost", "back", "map", "unit", "grad", "reach")
MAX_STATES = 2000  # eval states on the state map ...
STATE_BUDGET = 1_000_000  # ... and at most this many numbers (states x units), so a wide layer stays quick
REFIT_EVERY = 200  # training steps between two fits of the state map's axes


@dataclass(frozen=True)
class Lens:
    """What the user has picked to look at."""

    view: str = "probs"  # one of VIEWS
    layer: str | None = None  # a recurrent layer's name; None (or a name the network lacks): the first
    trace: str = "h"  # which of the layer's traces: "h", or for an LSTM "c", "i", ...; missing: "h"
    target: int | None = None  # the symbol whose log-probability the saliency differentiates; None: the likeliest
    by_input: bool = False  # the state map colours each state by its input symbol instead of its prediction
    pinned: str = ""  # a prefix kept (k) to compare the typed one with; "" for none


@dataclass(frozen=True, eq=False)
class Subject:
    """The sequence the views look at, with the network's pass over it."""

    ids: np.ndarray  # (T,)
    symbols: list[str]
    logp: np.ndarray  # (T, V) log-probabilities of the next symbol after each position
    traces: dict  # recurrent layer name -> {"h": (T, H), ...}
    vocab: Vocab
    label: str  # which sequence it is, for the views' titles

    @classmethod
    def of(cls, prediction: Prediction) -> Subject:
        return cls(prediction.ids, prediction.prefix, prediction.logp, prediction.traces, prediction.vocab,
                   "your prefix")


@dataclass(frozen=True, eq=False)
class Costs:
    """Cost by position: how surprised the network is by each symbol of the sequence."""

    symbols: list[str]  # the sequence; costs[t] is that of symbols[t + 1]
    costs: np.ndarray  # (T - 1,) -ln p(symbol t + 1 | symbols up to t), nats
    optimal: np.ndarray | None  # (T - 1,) the same for the task's optimal predictor; nan where it has none
    label: str


@dataclass(frozen=True, eq=False)
class Saliency:
    """How far back: how strongly each input sways the prediction after the last one."""

    symbols: list[str]
    weights: np.ndarray  # (T,) the gradient norms over their largest (all 0 if every one is)
    target: int  # the symbol whose log-probability was differentiated
    target_symbol: str
    picked: bool  # the user chose it; else it is the likeliest
    label: str


@dataclass(frozen=True, eq=False)
class StateMap:
    """A layer's states over the eval set and the sequence's own path, on the first principal axes."""

    layer: str
    trace: str
    units: int
    cloud: np.ndarray  # (N, k) eval states projected, k = 2 (1 for a one-unit layer)
    cloud_ids: np.ndarray  # (N,) each state's colour: its predicted symbol, or its input symbol
    path: np.ndarray  # (T, k) the sequence's states, projected on the same axes
    path_ids: np.ndarray  # (T,)
    symbols: list[str]  # the sequence's
    vocab: list[str]  # every symbol by id, for the colours' legend
    explained: np.ndarray  # (k,) fraction of the eval states' variance along each axis
    by_input: bool
    label: str


@dataclass(frozen=True, eq=False)
class UnitText:
    """One layer's units read against the sequence; the view colours each symbol by the chosen unit."""

    layer: str
    trace: str
    symbols: list[str]
    separator: str  # the vocabulary's: " " shows the symbols apart, "" as a text
    values: np.ndarray  # (T, H) activations
    most_varying: int  # the unit whose activation varies most over the sequence
    label: str


@dataclass(frozen=True)
class Blank:
    """A view with nothing to show, and why."""

    why: str


@dataclass(frozen=True, eq=False)
class _Fit:
    layer: str
    trace: str
    step: int
    mean: np.ndarray  # (H,)
    axes: np.ndarray  # (k, H)
    explained: np.ndarray  # (k,)


class Insight:
    """Computes the open view's numbers for one network; remembers the state map's axes between calls."""

    def __init__(self) -> None:
        self._fit: _Fit | None = None

    def look(self, net: Network, data: Dataset, prediction: Prediction, lens: Lens, step: int):
        """The numbers of the view `lens` opens (None for the bars, which the prediction holds, and for the views of
        every run, Gradient and Reach: `Lab.across`), for the prefix or with none for `sample(data)`; a Blank when
        there is nothing to show. ValueError: the outputs overflow."""
        if lens.view in ("probs", "grad", "reach"):
            return None
        subject = Subject.of(prediction) if len(prediction.ids) else self.subject(net, data)
        if subject is None:
            return Blank("the data has no eval sequences: type a prefix")
        if lens.view in ("map", "unit") and not subject.traces:
            return Blank("the network has no recurrent layer")
        if subject.traces:
            layer = lens.layer if lens.layer in subject.traces else next(iter(subject.traces))
            lens = replace(lens, layer=layer, trace=lens.trace if lens.trace in subject.traces[layer] else "h")
        if lens.view == "cost":
            return costs(subject, getattr(data, "oracle", None))
        if lens.view == "back":
            return saliency(net, subject, lens.target)
        if lens.view == "unit":
            values = subject.traces[lens.layer][lens.trace]
            return UnitText(lens.layer, lens.trace, subject.symbols, subject.vocab.separator, values,
                            most_varying(values), subject.label)
        return self.state_map(net, data, subject, lens, step)

    @staticmethod
    def subject(net: Network, data: Dataset) -> Subject | None:
        """`sample(data)` and one pass over it; None for an empty eval set."""
        picked = sample(data)
        if picked is None:
            return None
        ids, label = picked
        run = checked_run(net, ids)
        return Subject(ids, data.vocab.decode(ids), run.logp, run.traces, data.vocab, label)

    def state_map(self, net: Network, data: Dataset, subject: Subject, lens: Lens, step: int) -> StateMap | Blank:
        """The eval states (at most MAX_STATES, fewer for a wide layer) and the subject's, on the fitted axes."""
        path_states = subject.traces[lens.layer][lens.trace]  # (T, H)
        rows = eval_rows(data, min(MAX_STATES, STATE_BUDGET // path_states.shape[1]))
        if not rows:
            return Blank("no states to map: the data has no eval sequences")
        states, predicted, inputs = eval_states(net, rows, lens.layer, lens.trace)
        fit = self._refit(states, lens, step)
        path_ids = subject.ids if lens.by_input else subject.logp.argmax(-1)
        return StateMap(lens.layer, lens.trace, states.shape[1], (states - fit.mean) @ fit.axes.T,
                        inputs if lens.by_input else predicted, (path_states - fit.mean) @ fit.axes.T, path_ids,
                        subject.symbols, subject.vocab.symbols, fit.explained, lens.by_input, subject.label)

    def _refit(self, states: np.ndarray, lens: Lens, step: int) -> _Fit:
        """The axes of the last fit if it is of this layer and trace, and less than REFIT_EVERY steps old."""
        old = self._fit
        key = (lens.layer, lens.trace, states.shape[1:])
        same = old is not None and (old.layer, old.trace, old.mean.shape) == key
        if not same or abs(step - old.step) >= REFIT_EVERY:
            mean, axes, explained = principal_axes(states, previous=old.axes if same else None)
            self._fit = _Fit(lens.layer, lens.trace, step, mean, axes, explained)
        return self._fit


def costs(subject: Subject, oracle) -> Costs | Blank:
    """The subject's cost at each position, from its pass, and the oracle's if the data has one."""
    if len(subject.ids) < 2:
        return Blank("type two symbols or more: each bar is the cost of predicting a symbol from those before it")
    return Costs(subject.symbols, position_costs(subject.logp, subject.ids), optimal_costs(oracle, subject.ids),
                 subject.label)


def saliency(net: Network, subject: Subject, target: int | None) -> Saliency:
    """The gradient norms for `target` (None, or not a symbol: the likeliest after the subject), over their largest."""
    picked = target is not None and 0 <= target < net.vocab_size
    target = target if picked else int(np.argmax(subject.logp[-1]))
    with np.errstate(over="ignore", invalid="ignore"):
        norms = net.input_saliency(subject.ids, target)
    if not np.isfinite(norms).all():
        raise ValueError(OVERFLOW)
    return Saliency(subject.symbols, normalised(norms), target, subject.vocab.symbols[target], picked,
                    subject.label)
