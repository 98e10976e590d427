"""The README's tables that come from the code are up to date (`python docs/readme_tables.py` rewrites them)."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "docs" / "readme_tables.py")
readme_tables = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_tables)


def test_every_generated_table_is_in_the_readme_and_current():
    text = (ROOT / "README.md").read_text()
    for name in readme_tables.TABLES:
        assert f"<!-- {name} -->" in text and f"<!-- /{name} -->" in text, name
    assert readme_tables.rewritten(text) == text, "run python docs/readme_tables.py"
