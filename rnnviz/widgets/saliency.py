"""How far back the prediction looks: the gradient of log p(target) after the last symbol with respect to each
input's embedding, its norm per step, over the largest."""
from __future__ import annotations

from rich.text import Text

from rnncore import glyph

from ..insight import Saliency
from .columns import ColumnView, columns_text, window_note

BAR_STYLE = "#5f87d7"


class HowFarBack(ColumnView):
    """One column per input: how much it sways the prediction after the last one (the largest is 1)."""

    def lines(self, width: int) -> Text:
        data: Saliency = self.data
        target = glyph(data.target_symbol)
        title = Text.assemble(("how far back", "bold"), (f" · {data.label}", "dim"))
        how = f"{'picked' if data.picked else 'the likeliest'}; ↑/↓ picks" + (", a: likeliest" if data.picked else "")
        about = Text.assemble("target ", (target, "bold"), (f" ({how})", "dim"))
        chart = columns_text([(data.weights, BAR_STYLE)], data.symbols, 1.0, self.rows, width)
        legend = Text(f"|∂ log p({target}) / ∂ input|{window_note(len(data.symbols), width)}", "dim")
        return Text("\n").join([*([] if self.short else [title]), about, chart, legend])
