"""The charts' axes, as numbers: the cost's y range and round ticks, the steps' ticks and their short labels, and
a series thinned to the points a chart can show. No drawing here (charts.py draws)."""
from __future__ import annotations

import math

from ..history import HistoryView

SCALE_FROM = 0.1  # of the steps shown: the cost's y range fits the curves from there on (cost_range)


def thin(values: list[float], limit: int) -> list[float]:
    """Every k-th value (the last always kept), at most about `limit` of them; keeps the raw curve's noise."""
    stride = -(-len(values) // limit)
    return values[::-1][::stride][::-1] if stride > 1 else values


def cost_range(views: list[HistoryView], levels: list[float], last_step: float, guess: float | None = None
               ) -> tuple[float, float]:
    """The cost chart's y range: the curves past the first SCALE_FROM of the steps and the `levels` (the best
    possible, the best without memory), with a margin, and no higher than `guess`, a uniform guess's cost (ln V).
    The first steps' fall from ln V then runs off the top instead of squashing the rest of the run, where the
    memory is learnt, into one row (TensorBoard ignores such outliers the same way); so does a diverged step's
    cost, which would squash the whole run."""
    values = list(levels)
    for view in views:  # a run that has not reached the window yet (a young fork) is fitted whole
        values += _window(view.steps, view.smoothed, SCALE_FROM * last_step)
        values += _window(view.eval_steps, view.eval_cost, SCALE_FROM * last_step)
    values = [v for v in values if math.isfinite(v)] or [0.0, 1.0]  # a text file's eval cost may be NaN
    low, high = min(values), max(values)
    if guess is not None:
        high = min(high, max(guess, low))
    margin = max(high - low, 0.1 * high, 1e-3) * 0.15
    return max(low - margin, 0.0), high + margin


def _window(steps: list[float], values: list[float], start: float) -> list[float]:
    """The values from step `start` on; all of them if none is that late."""
    return [v for step, v in zip(steps, values, strict=True) if step >= start] or values


def cost_ticks(bottom: float, top: float, most: int) -> list[float]:
    """Round values from `bottom` to `top`, at most `most` of them (two on one row: plotext shows either)."""
    magnitude = 10 ** math.floor(math.log10(top - bottom))
    step = next(f * magnitude for f in (0.1, 0.2, 0.5, 1, 2, 5, 10)
                if (top - bottom) / (f * magnitude) <= most - 1 + 1e-9)
    ticks = [round(k * step, 10) for k in range(math.ceil(bottom / step - 1e-9), math.floor(top / step + 1e-9) + 1)]
    return ticks if len(ticks) > 1 else [round(bottom, 10), round(top, 10)]


def step_ticks(last: float) -> list[int]:
    """Round steps from 0, four or five of them: 0, 500, 1000, ..."""
    rough = last / 4
    magnitude = 10 ** math.floor(math.log10(rough)) if rough > 0 else 1
    spacing = max(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough), 1)
    return list(range(0, int(last) + 1, int(spacing)))


def short(n: int) -> str:
    for limit, suffix in ((1_000_000, "M"), (1000, "k")):
        if n >= limit:
            return f"{n / limit:g}{suffix}"
    return str(n)
