"""Every setting's documented range, written here independently of rnncore's own declarations.

The config's, the command line's and the app's tests all check against this one table: a change of a
limit in rnncore that the documentation (README, --help) does not follow fails them all.
"""
import math

# field: (kind, low, high, which ends are closed) for numbers, or the tuple of choices
TRAINING = {
    "lr": (float, 0, 10, "]"),
    "schedule": ("constant", "inverse", "exponential", "cosine"),
    "decay_steps": (int, 1, 10**9, "[]"),
    "optimizer": ("sgd", "adagrad", "adam", "adamw"),
    "momentum": (float, 0, 1, "["),
    "batch_size": (int, 1, 4096, "[]"),
    "bptt": (int, 0, 10_000, "[]"),
    "l2": (float, 0, 1, "[]"),
    "clip": (float, 0, math.inf, "["),
    "eval_every": (int, 0, 10**9, "[]"),
    "keep_every": (int, 1, 10**9, "[]"),
    "seed": (int, 0, 2**63 - 1, "[]"),
    "dtype": ("float32", "float64"),
}
MODEL = {"embed": (int, 1, 4096, "[]")}
MAX_LAYERS, MAX_SIZE = 16, 4096


def allowed(table: dict, field: str, value) -> bool:
    spec = table[field]
    if not isinstance(spec[0], type):
        return value in spec
    kind, low, high, closed = spec
    if type(value) not in ((int, float) if kind is float else (int,)) or not math.isfinite(value):
        return False
    above = value >= low if "[" in closed else value > low
    below = value <= high if "]" in closed else value < high
    return above and below


def edges(table: dict, field: str) -> tuple[list, list]:
    """(values at the limits, taken; values just past them, refused) of one field."""
    spec = table[field]
    if not isinstance(spec[0], type):
        return list(spec), [spec[0].upper(), "", spec[0] + "x"]
    kind, low, high, _ = spec
    top = high if math.isfinite(high) else 1e300
    low_step, top_step = (1, 1) if kind is int else (max(abs(low), 1) * 1e-9, max(abs(top), 1) * 1e-9)
    near = [low - low_step, low, low + low_step, top - top_step, top, top + top_step]
    values = list(dict.fromkeys(kind(v) for v in near)) + ([] if kind is int else [math.nan, math.inf, -math.inf])
    return [v for v in values if allowed(table, field, v)], [v for v in values if not allowed(table, field, v)]


def typed(value) -> str:
    """A value as a person types it."""
    return repr(value) if isinstance(value, float) else str(value)
