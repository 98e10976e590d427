"""The runs' charted points as one CSV file, a row per step that has any: what the command palette's "Export the
charts' data" writes. No Textual."""
from __future__ import annotations

import csv
import io
import math

from rnncore import files
from rnncore.record import CSV_COLUMNS

from .session import Session


def runs_csv(path, labelled_runs) -> int:
    """One row per charted point of every (label, Session): run, step, cost, eval cost, accuracy, memory use,
    reach (where the Reach view measured it), lr, marker, written through files.write_output. Returns the rows
    written."""
    rows = []

    def fill(f) -> None:
        text = io.TextIOWrapper(f, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(CSV_COLUMNS)
        rows.append(sum(_write_run(writer, label, session) for label, session in labelled_runs))
        text.flush()
        text.detach()  # `f` is closed by write_output, once written whole

    files.write_output(path, "csv", fill)
    return rows[0]


def _write_run(writer, label: str, session: Session) -> int:
    view = session.history.snapshot()
    memory = [_blank(value) for value in view.eval_memory_use]
    evals = dict(zip(view.eval_steps, zip(view.eval_cost, view.eval_accuracy, memory, strict=True), strict=True))
    markers, reach = dict(view.markers), dict(zip(view.reach_steps, view.reach, strict=True))
    steps = sorted(set(view.steps) | set(evals) | set(markers) | set(reach))
    cost = dict(zip(view.steps, zip(view.loss, view.lr, strict=True), strict=True))
    for step in steps:
        (loss, lr), (eval_cost, accuracy, memory) = cost.get(step, ("", "")), evals.get(step, ("", "", ""))
        writer.writerow([label, _number(step), loss, eval_cost, accuracy, memory, _number(reach.get(step, "")), lr,
                         markers.get(step, "")])
    return len(steps)


def _blank(value: float):
    """NaN (none measured) as an empty cell."""
    return "" if math.isnan(value) else value


def _number(value):
    """A whole number as one (1.0 is 1); anything else as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
