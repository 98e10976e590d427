"""The README's tables that come from the code: `python docs/readme_tables.py` rewrites them in README.md.

Each table sits between `<!-- NAME -->` and `<!-- /NAME -->`; tests/test_readme.py fails when one is stale.
"""
from __future__ import annotations

import re
import sys
from dataclasses import fields
from pathlib import Path

from rnncore import ModelConfig, TrainConfig

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


TABLES = {"settings": settings_table}


def rewritten(text: str) -> str:
    for name, make in TABLES.items():
        table = f"<!-- {name} -->\n{make()}\n<!-- /{name} -->"
        text = re.sub(rf"<!-- {name} -->\n.*?<!-- /{name} -->", lambda _, table=table: table, text, flags=re.S)
    return text


if __name__ == "__main__":
    text = README.read_text()
    README.write_text(rewritten(text))
    sys.exit(0)
