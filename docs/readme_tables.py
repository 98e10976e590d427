"""The README's tables that come from the code: `python docs/readme_tables.py` rewrites them in README.md.

Each table sits between `<!-- NAME -->` and `<!-- /NAME -->`; tests/test_readme.py fails when one is stale.
"""
from __future__ import annotations

import re
import sys
from dataclasses import fields
from pathlib import Path

from rnncore import ModelConfig, TrainConfig, datasets
from rnnviz.conditions import CONDITIONS
from rnnviz.lesson import built_in
from rnnviz.models import DATA_CHOICES, task_about

README = Path(__file__).resolve().parents[1] / "README.md"


def settings_table() -> str:
    rows = ["| setting | option | default | takes | what it does |", "|---|---|---|---|---|"]
    for config in (ModelConfig, TrainConfig):
        for f in fields(config):
            about = config.describe(f.name)
            rule = about["rule"].describe() if about["rule"].choices or about["rule"].kind is not str else "text"
            option = "--" + f.name.replace("_", "-")
            cells = [about["label"], f"`{option}`", f"`{about['default']}`", rule, about["help"]]
            rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows)


def tasks_table() -> str:
    """The app's list of data sets, each one's best cost and accuracy (seed 0) with and without memory."""
    rows = ["| task | what it is | best cost | best accuracy | best cost without memory | memory is worth | targets "
            "where memory matters |", "|---|---|--:|--:|--:|--:|--:|"]
    for name in DATA_CHOICES:
        about = task_about(name) + (" (the default)" if name == ModelConfig().data else "")
        best = datasets.load(name).optimum
        worth = round(best.memoryless_loss - best.loss, 3) + 0.0  # + 0.0: no -0.000 where memory is worth nothing
        rows.append(f"| `{name}` | {about} | {best.loss:.3f} | {best.accuracy:.3f} | {best.memoryless_loss:.3f} | "
                    f"{worth:.3f} nats | {_memory_targets(best)} |")
    return "\n".join(rows)


def _memory_targets(best) -> str:
    if not best.memory_targets:
        return "none"
    return f"{best.memory_targets:,} of {best.targets:,}"


def lessons_table() -> str:
    """The built-in lessons, as `rnnviz --lessons` lists them."""
    rows = ["| lesson | what it shows |", "|---|---|"]
    rows += [f"| `{lesson.name}` | **{lesson.title}**: {lesson.summary} |" for lesson in built_in()]
    return "\n".join(rows)


def conditions_table() -> str:
    """What a step's `when` may ask, from rnnviz.conditions.CONDITIONS."""
    kinds = {int: "a whole number", float: "a number", bool: "true", str: "text"}
    rows = ["| condition | takes | holds when |", "|---|---|---|"]
    rows += [f"| `{name}` | {kinds[c.kind]} | {c.about} |" for name, c in CONDITIONS.items()]
    return "\n".join(rows)


TABLES = {"settings": settings_table, "tasks": tasks_table, "lessons": lessons_table, "conditions": conditions_table}


def rewritten(text: str) -> str:
    for name, make in TABLES.items():
        table = f"<!-- {name} -->\n{make()}\n<!-- /{name} -->"
        text = re.sub(rf"<!-- {name} -->\n.*?<!-- /{name} -->", lambda _, table=table: table, text, flags=re.S)
    return text


if __name__ == "__main__":
    text = README.read_text()
    README.write_text(rewritten(text))
    sys.exit(0)
