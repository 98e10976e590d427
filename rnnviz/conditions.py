"""What a lesson's step may ask of the learner's screen (a step's `when`): each condition by name, what it takes
and whether it holds against what the app shows now (`Progress`). No Textual."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rnncore import STACKABLE

from .insight import VIEWS
from .lab import MAX_RUNS

KINDS = tuple(kind for kind in STACKABLE if STACKABLE[kind].recurrent)


@dataclass(frozen=True)
class Progress:
    """What the app shows now, for judging a step's condition."""

    step: int
    trained: int  # steps of the current run since the lesson's step began
    eval_cost: float | None
    best: float | None  # the task's best possible cost, if known
    memoryless: float | None  # and its best cost without memory
    accuracy: float | None
    lr: float
    view: str
    prefix: str
    pinned: str  # the prefix kept to compare with, "" for none
    kinds: tuple[str, ...]  # the recurrent kinds of every run's layers
    runs: int
    memory_found: bool
    memory_use: float | None = None  # the latest, on a task with targets where memory matters
    reach: int | None = None  # the current run's largest n right, as the Reach view last measured it



@dataclass(frozen=True)
class Condition:
    """What a step's `when` may ask, by name: the type of its value, what it checks, how the panel says it, which
    values it takes and whether it holds."""

    kind: type
    about: str  # for the README's schema and the error messages
    says: Callable[[Any], str]
    valid: Callable[[Any], bool]
    holds: Callable[[Any, Progress], bool]


def _eval_within(nats: float, p: Progress) -> bool:
    return p.eval_cost is not None and p.best is not None and p.eval_cost - p.best <= nats


def _prefix_ends(end: str, p: Progress) -> bool:
    return p.prefix.rstrip().endswith(end)


CONDITIONS = {
    "trained": Condition(int, "the current run has trained at least this many steps since the step began",
                         lambda v: f"trained {v:,} steps", lambda v: v >= 0, lambda v, p: p.trained >= v),
    "step": Condition(int, "the current run has reached this step", lambda v: f"at step {v:,}", lambda v: v >= 0,
                      lambda v, p: p.step >= v),
    "memory_found": Condition(bool, "the eval cost has fallen a clear margin below the best cost without memory "
                              "(0.02 nats, or a quarter of what memory is worth)", lambda v: "the memory found",
                              lambda v: v is True,
                              lambda v, p: p.memory_found),
    "near_best": Condition(float, "the eval cost is within this many nats of the best possible",
                           lambda v: f"within {v:g} nats of the best", lambda v: v >= 0, _eval_within),
    "accuracy": Condition(float, "the eval accuracy is at least this share, 0 to 1", lambda v: f"accuracy {v:.0%}",
                          lambda v: 0 <= v <= 1, lambda v, p: p.accuracy is not None and p.accuracy >= v),
    "memory_use": Condition(float, "the memory use is at least this share, 0 to 1, on a task with targets where "
                            "memory matters", lambda v: f"memory use {v:.0%}", lambda v: 0 <= v <= 1,
                            lambda v, p: p.memory_use is not None and p.memory_use >= v),
    "reach": Condition(int, "the Reach view has shown the current run right for every n up to at least this",
                       lambda v: f"right up to n = {v}", lambda v: v >= 1,
                       lambda v, p: p.reach is not None and p.reach >= v),
    "lr_at_most": Condition(float, "the current run's learning rate is at most this", lambda v: f"lr at most {v:g}",
                            lambda v: v > 0, lambda v, p: p.lr <= v),
    "view": Condition(str, f"this view is open: {', '.join(VIEWS)}", lambda v: f"the {v} view open",
                      lambda v: v in VIEWS, lambda v, p: p.view == v),
    "prefix_ends": Condition(str, "the typed prefix ends with these symbols, e.g. \"0 0\"",
                             lambda v: f"a prefix ending in {v}", lambda v: bool(v.strip()), _prefix_ends),
    "compared": Condition(bool, "a prefix is pinned (k) and another one typed beside it",
                          lambda v: "two prefixes side by side", lambda v: v is True,
                          lambda v, p: bool(p.pinned and p.prefix.strip() and p.pinned != p.prefix.strip())),
    "runs": Condition(int, f"at least this many runs, 1 to {MAX_RUNS}", lambda v: f"{v} runs",
                      lambda v: 1 <= v <= MAX_RUNS, lambda v, p: p.runs >= v),
    "run_with": Condition(str, f"a run has a recurrent layer of this kind: {', '.join(KINDS)}",
                          lambda v: f"a run with an {v.upper()}", lambda v: v in KINDS, lambda v, p: v in p.kinds),
}


def judge(when: dict, progress: Progress) -> list[tuple[str, bool]]:
    """Each condition of `when` as the panel says it, and whether it holds now."""
    return [(CONDITIONS[name].says(value), CONDITIONS[name].holds(value, progress)) for name, value in when.items()]
