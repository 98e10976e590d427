"""Settings, declared once: each field's default, rule, label and help.

Validation, the command line's options and help, the app's fields and the
README's table all read these declarations. A config is frozen and checked
when it is made, so a bad one never exists; `Trainer.configure` swaps in a
new one in a single assignment.
"""
from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field, fields, replace

from .layers import MAX_SIZE
from .optim import OPTIMIZERS, SCHEDULES
from .spec import parse_layers
from .stack import STACKABLE
from .tasks import TASKS

MAX_BATCH = 4096
MAX_BPTT = 10_000
MAX_LR = 10.0
MAX_SEED = 2**63 - 1
TASK_NAMES = [task.usage for task in TASKS.values()]
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")  # plain ASCII: no '1_0', no '３２'


@dataclass(frozen=True)
class Rule:
    """What values a setting takes: numbers or integers in a range, or one of a few choices."""

    kind: type  # float, int or str
    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False  # the range excludes `low`
    open_high: bool = False
    choices: tuple = ()

    def allows(self, value) -> bool:
        if self.kind is str:
            return isinstance(value, str) and (not self.choices or value in self.choices)
        numeric = numbers.Real if self.kind is float else numbers.Integral
        if isinstance(value, bool) or not isinstance(value, numeric):
            return False
        if self.kind is float and not _finite_float(value):  # 10**400 is a finite int but no float: clip's
            return False                                          # range has no top to refuse it
        above = value > self.low if self.open_low else value >= self.low
        below = value < self.high if self.open_high else value <= self.high
        return above and below

    def describe(self) -> str:
        """'a number in (0, 10]', 'an integer from 1 to 4096', 'adam | sgd'."""
        if self.kind is str:
            return " | ".join(self.choices) if self.choices else "text"
        if self.kind is int:
            return f"an integer from {self.low} to {self.high}" if self.high < math.inf else \
                f"an integer of at least {self.low}"
        if self.high == math.inf:
            return "0 (off) or a positive number" if self.low == 0 else f"a number of at least {self.low:g}"
        return f"a number in {'(' if self.open_low else '['}{self.low:g}, {self.high:g}{')' if self.open_high else ']'}"

    def parse(self, text: str):
        """The value a typed text stands for (not yet range-checked); ValueError if it is no such value."""
        text = text.strip()
        if self.kind is str:
            return text
        if self.kind is int:
            if not (text.isascii() and text.isdigit()):
                raise ValueError("must be a whole number")
            return int(text)
        if not NUMBER.fullmatch(text):
            raise ValueError("must be a number")
        return float(text)


def _finite_float(value) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def number(low, high=math.inf, open_low=False, open_high=False) -> Rule:
    return Rule(float, low, high, open_low, open_high)


def whole(low, high=math.inf) -> Rule:
    return Rule(int, low, high)


def choice(*choices) -> Rule:
    return Rule(str, choices=tuple(choices))


def setting(default, rule: Rule, label: str, help: str):
    """A dataclass field that carries its rule, the label shown on screen, and a line of help."""
    return field(default=default, metadata={"rule": rule, "label": label, "help": help})


class SettingError(ValueError):
    """A value a setting does not take; says which, by the label a person sees, and why."""

    def __init__(self, name: str, label: str, rule: Rule, value, why: str | None = None):
        self.name, self.label, self.rule, self.value = name, label, rule, value
        self.reason = why or f"must be {rule.describe()}, got {value!r}"  # without the label, for an option's name
        super().__init__(why or f"{label} {self.reason}")


class Settings:
    """What TrainConfig and ModelConfig share: checked when made, described by their fields."""

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not f.metadata["rule"].allows(value):
                raise SettingError(f.name, f.metadata["label"], f.metadata["rule"], value)

    @classmethod
    def describe(cls, name: str) -> dict:
        """{"rule", "label", "help", "default"} of one field."""
        f = next(f for f in fields(cls) if f.name == name)
        return {**f.metadata, "default": f.default}

    @classmethod
    def parse(cls, name: str, text: str):
        """The value typed `text` gives field `name`; SettingError, in the field's label, if it gives none."""
        meta = cls.describe(name)
        try:
            return meta["rule"].parse(text)
        except ValueError:
            raise SettingError(name, meta["label"], meta["rule"], text) from None

    @classmethod
    def from_dict(cls, values: dict):
        """Fields by name; unknown names are an error (a hand-edited file should not pass silently)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}")
        return cls(**values)

    def changed(self, **changes):
        return replace(self, **changes)


@dataclass(frozen=True)
class TrainConfig(Settings):
    lr: float = setting(0.01, number(0, MAX_LR, open_low=True), "lr", "base learning rate: the size of each "
                       "step; too high and the cost jumps or explodes, too low and it crawls")
    schedule: str = setting("constant", choice(*SCHEDULES), "schedule",
                            "how the lr changes: inverse is the original's lr*length/max(t,length); "
                            "a schedule chosen mid-run starts from that step")
    decay_steps: int = setting(1500, whole(1, 10**9), "length", "steps of the schedule: the hold of inverse, "
                               "the half-life of exponential, the length of cosine")
    optimizer: str = setting("adam", choice(*OPTIMIZERS), "optimizer", "how a gradient becomes a step: sgd follows it, "
                            "adagrad and adam size each weight's step by its past gradients; switching starts it fresh")
    momentum: float = setting(0.0, number(0, 1, open_high=True), "momentum", "momentum of sgd: the share of the "
                              "last step each step keeps, which smooths a noisy descent")
    batch_size: int = setting(32, whole(1, MAX_BATCH), "batch", "sequences (or text rows) per step: more "
                            "gives a smoother gradient and more tokens a second, but fewer steps an epoch")
    bptt: int = setting(0, whole(0, MAX_BPTT), "BPTT", "truncated backprop length: how many steps back the "
                        "gradient flows (the state is carried between chunks), so a memory longer than it is hard to "
                        "learn; 0 = whole sequences")
    l2: float = setting(0.0005, number(0, 1), "L2", "weight decay on the matrices: each step pulls every "
                       "weight a little toward 0, against overfitting (torch's weight_decay, decoupled for adamw; the "
                       "original's lambda2)")
    clip: float = setting(0.25, number(0), "clip", "largest global gradient norm: a larger gradient is "
                       "scaled down to it, which tames a recurrence's rare huge gradients; 0 = no clipping")
    eval_every: int = setting(5, whole(0, 10**9), "eval every", "steps between evaluations; 0 = never")
    keep_every: int = setting(100, whole(1, 10**9), "keep every", "steps between copies of good weights to go back to")
    seed: int = setting(0, whole(0, MAX_SEED), "seed", "seed of the weights and of the data order")
    dtype: str = setting("float32", choice("float32", "float64"), "dtype", "the network is cast at the next step")


@dataclass(frozen=True)
class ModelConfig(Settings):
    """What a network is built from: the data it reads and its layers (its seed is TrainConfig's)."""

    data: str = setting("parity:16", Rule(str), "data", f"a built-in task ({', '.join(TASK_NAMES)}) or the path of a "
                        "UTF-8 text file")
    embed: int = setting(32, whole(1, MAX_SIZE), "embed", "embedding size")
    layers: str = setting("rnn:64", Rule(str), "layers", f"layers after the embedding, KIND:SIZE[:OPTION] with KIND "
                          f"{' | '.join(STACKABLE)}, e.g. lstm:64 or rnn:64,dense:32:relu")

    def __post_init__(self):
        super().__post_init__()
        try:
            parse_layers(self.layers)
        except ValueError as e:  # it names the bad part
            raise SettingError("layers", "layers", self.describe("layers")["rule"], self.layers, str(e)) from None
