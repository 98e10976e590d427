"""Lessons: guided experiments, as data. A lesson is a TOML file a teacher can write: its start (the task, the
network, the settings), then steps, each with what it says, what it sets up and a condition the app checks live.
This module reads one and checks every field before anything starts, and judges a condition against what the app
shows (`Progress`); the app draws it (widgets/lesson.py). No Textual.
"""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rnncore import STACKABLE, ModelConfig, SettingError, TrainConfig, datasets

from .insight import VIEWS
from .lab import MAX_RUNS, parse_speed
from .models import is_task

BUILT_IN = Path(__file__).with_name("lessons")  # the lessons rnnviz comes with, one .toml each
MAX_LESSON_BYTES = 256 * 1024  # a lesson is a page of text: anything larger is not one
PANELS = ("model", "training", "charts", "prediction")  # what `hide` may name, with the settings' fields
NETWORK = ("data", "embed", "layers", "seed")  # a set-up naming one of these builds a new network if it differs
SETTINGS = tuple(f.name for f in fields(TrainConfig) if f.name != "seed")  # set at once, as the Training panel does
SETUP = (*NETWORK, *SETTINGS, "speed", "view", "prefix", "hide", "new_run")  # what a start or a step may set up
STEP = ("title", "text", "do", "budget", "when")  # a step's other fields
KINDS = tuple(kind for kind in STACKABLE if STACKABLE[kind].recurrent)

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


class LessonError(ValueError):
    """A lesson file that cannot be used; its message is one line naming the file, the step and the field."""


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # what to do, what to look at, why it matters
    do: tuple[str, ...] = ()  # what the learner does: "<space>" a key, anything else text typed
    setup: dict = field(default_factory=dict)  # SETUP names -> values, applied as the step begins
    when: dict = field(default_factory=dict)  # CONDITIONS names -> values: every one must hold
    budget: int | None = None  # training steps within which `when` holds (the tests and benchmarks/lessons.py)


@dataclass(frozen=True)
class Lesson:
    name: str  # the file's stem: what `rnnviz --lesson` takes
    path: Path
    title: str
    summary: str  # one line, for `rnnviz --lessons`
    start: dict  # SETUP names -> values: where every learner begins
    steps: tuple[Step, ...]


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


def built_in() -> list[Lesson]:
    """Every lesson rnnviz comes with, in the order of their names (01-..., 02-...)."""
    return [read(path) for path in sorted(BUILT_IN.glob("*.toml"))]


def find(name_or_path: str) -> Lesson:
    """A built-in lesson by name (`memory`, or its file's full stem) or a lesson file; LessonError if neither."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return read(path)
    for candidate in sorted(BUILT_IN.glob("*.toml")):
        if name_or_path in (candidate.stem, candidate.stem.partition("-")[2]):
            return read(candidate)
    names = ", ".join(lesson_name(p) for p in sorted(BUILT_IN.glob("*.toml")))
    raise LessonError(f"{name_or_path}: no such lesson file, and not a built-in lesson ({names})")


def lesson_name(path: Path) -> str:
    """What `--lesson` takes for a built-in lesson: its file's stem without the number that orders them."""
    return path.stem.partition("-")[2] or path.stem


def read(path) -> Lesson:
    """The lesson in a TOML file, every field checked; LessonError (one line: file, step, field) if one is bad."""
    path = Path(path)
    raw = _text(path)
    try:
        table = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as e:
        raise LessonError(f"{path}: not valid TOML: {e}") from None
    where = _Where(path)
    _only(where, table, ("title", "summary", "start", "step"))
    title, summary = _string(where, table, "title"), _string(where, table, "summary")
    start = _setup(where.at("start"), _table(where, table, "start"), path.parent)
    steps = table.get("step")
    if not isinstance(steps, list) or not steps:
        raise LessonError(where.field("step", "must be at least one [[step]] table"))
    return Lesson(lesson_name(path), path, title, summary, start,
                  tuple(_step(where.step(i, s), s, path.parent) for i, s in enumerate(steps, 1)))


def judge(when: dict, progress: Progress) -> list[tuple[str, bool]]:
    """Each condition of `when` as the panel says it, and whether it holds now."""
    return [(CONDITIONS[name].says(value), CONDITIONS[name].holds(value, progress)) for name, value in when.items()]


# --- reading -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Where:
    """Where in the file a field is, for the one line an error is."""

    path: Path
    place: str = ""  # "step 3 (The fall)", "start"

    def at(self, place: str) -> _Where:
        return _Where(self.path, place)

    def step(self, number: int, table) -> _Where:
        title = table.get("title") if isinstance(table, dict) else None
        return self.at(f"step {number}" + (f" ({title.strip()})" if isinstance(title, str) and title.strip() else ""))

    def field(self, name: str, why: str) -> str:
        return f"{self.path}: " + (f"{self.place}, " if self.place else "") + f"field '{name}' {why}"


def _text(path: Path) -> str:
    try:
        if not path.is_file():
            raise LessonError(f"{path}: no such lesson file")
        if path.stat().st_size > MAX_LESSON_BYTES:
            raise LessonError(f"{path}: larger than {MAX_LESSON_BYTES // 1024} kB, so not a lesson")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LessonError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise LessonError(f"{path}: cannot read it ({(e.strerror or str(e)).lower()})") from None


def _only(where: _Where, table: dict, allowed) -> None:
    for key in table:
        if key not in allowed:
            raise LessonError(where.field(key, f"is not one a lesson takes here ({', '.join(allowed)})"))


def _string(where: _Where, table: dict, key: str, required: bool = True) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise LessonError(where.field(key, "must be some text" if value is None else f"must be text, got {value!r}"))
    return value.strip()


def _table(where: _Where, table: dict, key: str) -> dict:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise LessonError(where.field(key, f"must be a table ([{key}]), got {value!r}"))
    return value


def _step(where: _Where, table, folder: Path) -> Step:
    if not isinstance(table, dict):
        raise LessonError(where.field("step", "must be a table ([[step]])"))
    _only(where, table, (*STEP, *SETUP))
    do = table.get("do", [])
    if not isinstance(do, list) or not all(isinstance(d, str) and d for d in do):
        raise LessonError(where.field("do", f"must be a list of keys (\"<space>\") and texts, got {do!r}"))
    budget = table.get("budget")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1):
        raise LessonError(where.field("budget", f"must be a whole number of steps, at least 1, got {budget!r}"))
    setup = _setup(where, {k: v for k, v in table.items() if k in SETUP}, folder)
    return Step(_string(where, table, "title"), _string(where, table, "text"), tuple(do), setup,
                _when(where, _table(where, table, "when")), budget)


def _setup(where: _Where, table: dict, folder: Path) -> dict:
    """The set-up fields, each checked as the app would check what a user types; a data file's path taken from
    the lesson's folder."""
    _only(where, table, SETUP)
    checked = {}
    for key, value in table.items():
        checked[key] = _setting(where, key, value, folder)
    if "layers" in checked or "embed" in checked:
        try:
            ModelConfig(data=checked.get("data", ModelConfig().data), embed=checked.get("embed", 32),
                        layers=checked.get("layers", ModelConfig().layers))
        except SettingError as e:
            raise LessonError(where.field(e.name, e.reason)) from None
    return checked


def _setting(where: _Where, key: str, value, folder: Path):
    try:
        if key == "data":
            return _data(str(value), folder)
        if key in ("embed", "layers"):
            return ModelConfig.parse(key, _typed(value))
        if key in ("seed", *SETTINGS):
            parsed = TrainConfig.parse(key, _typed(value))
            TrainConfig(**{key: parsed})  # its range
            return parsed
        if key == "speed":
            return parse_speed(_typed(value))
        if key == "view":
            return _choice(value, VIEWS)
        if key == "prefix":
            return _typed(value)
        if key == "new_run":  # the layers of a run built beside the current one, on its task
            return ModelConfig.parse("layers", _typed(ModelConfig(layers=_typed(value)).layers))
        return _hidden(value)
    except SettingError as e:
        raise LessonError(where.field(key, e.reason)) from None
    except ValueError as e:
        raise LessonError(where.field(key, str(e))) from None


def _typed(value) -> str:
    """A TOML value as the text a user would type for it (0.003, 64, "adam")."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"must be a number or text, got {value!r}")
    return str(value)


def _choice(value, choices) -> str:
    if value not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _hidden(value) -> tuple[str, ...]:
    names = (*PANELS, "data", "embed", "layers", "seed", *SETTINGS, "speed")
    if not isinstance(value, list):
        raise ValueError(f"must be a list of panels or fields ({', '.join(PANELS)}, lr, bptt, ...), got {value!r}")
    return tuple(_choice(name, names) for name in value)


def _data(name: str, folder: Path) -> str:
    """A task as it is, or a text file's path from the lesson's folder; ValueError with the data's own message."""
    if not is_task(name) and not Path(name).is_absolute():
        name = str(folder / name)
    datasets.check(name)
    return name


def _when(where: _Where, table: dict) -> dict:
    checked = {}
    for name, value in table.items():
        condition = CONDITIONS.get(name)
        if condition is None:
            raise LessonError(where.field(f"when.{name}", f"is not a condition ({', '.join(CONDITIONS)})"))
        if condition.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        right_kind = isinstance(value, condition.kind) and (condition.kind is bool) == isinstance(value, bool)
        if not right_kind or not condition.valid(value):
            expected = {int: "a whole number", float: "a number", bool: "true", str: "text"}[condition.kind]
            raise LessonError(where.field(f"when.{name}", f"must be {expected} ({condition.about}), got {value!r}"))
        checked[name] = value
    return checked
