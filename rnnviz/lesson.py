"""Lessons: guided experiments, as data. A lesson is a TOML file a teacher can write: its start (the task, the
network, the settings), then steps, each with what it says, what it sets up and a condition the app checks live.
This module reads one and checks every field before anything starts (conditions.py judges a step's condition against
what the app shows); the app draws it (widgets/lesson.py). No Textual.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from rnncore import ModelConfig, SettingError, TrainConfig, datasets, files

from .conditions import CONDITIONS
from .insight import VIEWS
from .lab import parse_speed
from .models import is_task

BUILT_IN = Path(__file__).with_name("lessons")  # the lessons rnnviz comes with, one .toml each
PANELS = ("model", "training", "charts", "prediction")  # what `hide` may name, with the settings' fields
NETWORK = ("data", "embed", "layers", "seed")  # a set-up naming one of these builds a new network if it differs
SETTINGS = tuple(f.name for f in fields(TrainConfig) if f.name != "seed")  # set at once, as the Training panel does
PAGES = ("charts", "prediction", "controls")  # what a small screen (80x24) shows, one at a time
SETUP = (*NETWORK, *SETTINGS, "speed", "view", "prefix", "page", "hide", "new_run")  # what a start or step may set up
STEP = ("title", "text", "do", "budget", "when")  # a step's other fields

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


def built_in() -> list[Lesson]:
    """Every lesson rnnviz comes with, in the order of their names (01-..., 02-...)."""
    return [read(path) for path in sorted(BUILT_IN.glob("*.toml"))]


def find(name_or_path: str) -> Lesson:
    """A built-in lesson by name (`memory`, or its file's full stem) or a lesson file; LessonError if neither. A bare
    name is a built-in lesson's first, whatever the current folder holds (a folder named `reach` hid that lesson)."""
    path = Path(name_or_path)
    for candidate in sorted(BUILT_IN.glob("*.toml")) if len(path.parts) == 1 and path.suffix != ".toml" else ():
        if name_or_path in (candidate.stem, candidate.stem.partition("-")[2]):
            return read(candidate)
    if path.suffix == ".toml" or path.exists():
        return read(path)
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
        return files.read_input(path, "lesson").decode("utf-8")  # a regular file of at most 256 kB: a page of text
    except UnicodeDecodeError:
        raise LessonError(f"{path}: not UTF-8 text") from None
    except files.FileError as e:
        raise LessonError(str(e)) from None


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
        if key == "page":
            return _choice(value, PAGES)
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
