"""The prefix box of the prediction panel."""
from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Input

from rnncore.vocab import DOTTED_CIRCLE


class PrefixInput(Input):
    """The prefix box. What is typed stays as typed (the prediction reads it), but a character that takes no cell
    of its own (a lone combining mark, a skin tone) is drawn as ◌, one for one: the box then takes exactly the cells
    Rich measures, and its border stays where it is."""

    @property
    def _value(self) -> Text:
        return Text(_in_cells(self.value), no_wrap=True, overflow="ignore", end="")

    def _position_to_cell(self, position: int) -> int:
        return cell_len(_in_cells(self.value[:position]))


def _in_cells(text: str) -> str:
    return "".join(c if cell_len(c) else DOTTED_CIRCLE for c in text)
