"""Every data set by name: a built-in task or a text file (`load`, `check`, `from_source`), and what they are made of.

The modules below this one each import only what lies under them, so the dependency runs one way:
dataset.py (a Dataset, batches, oracles, the digit helpers) <- digit_tasks.py, textfile.py <- tasks.py <- here.
"""
from __future__ import annotations

from .dataset import (  # noqa: F401 (the names `rnncore.datasets` has always offered)
    DIGITS,
    EVEN,
    ODD,
    STREAM_BPTT,
    UNKNOWN,
    Dataset,
    Optimum,
    memoryless_loss,
    next_in_cycle,
    next_up,
    pad,
    process_oracle,
    sequence_chunks,
    stream_chunks,
)
from .digit_tasks import digits, toy  # noqa: F401
from .tasks import check_task, load_task
from .textfile import text
from .vocab import Vocab  # noqa: F401


def load(name: str, seed: int = 0) -> Dataset:
    """A built-in task by name, with its parameter if it takes one (`parity:8`; see rnncore.tasks.TASKS),
    or else the path of a UTF-8 text file. ValueError in one line for anything else."""
    return load_task(name, seed)


def check(name: str) -> None:
    """`load`'s checks, made quickly: a task is made (milliseconds), of a text file only the start is read."""
    check_task(name)


def from_source(source: dict) -> Dataset:
    """The data set a `Dataset.source` describes; ValueError if a text file is gone or has changed."""
    if "path" in source:
        data = text(source["path"])
        if data.source["sha256"] != source["sha256"]:
            raise ValueError(f"{source['path']} has changed since: its content is not the one trained on")
        return data
    return load(source["name"], source["seed"])
