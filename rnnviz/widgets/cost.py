"""Cost by position: the network's cross-entropy at each step of the sequence, and the task's optimum beside it.

Elman (1990) drew this for the temporal XOR: near zero on every third bit, about ln 2 elsewhere.
"""
from __future__ import annotations

import numpy as np
from rich.text import Text

from ..insight import Costs
from .columns import ColumnView, columns_text, window_note

NETWORK_STYLE = "#ff8700"
OPTIMUM_STYLE = "#8a8a8a"
MIN_TOP = 0.5  # nats at the top of the scale at least: a network near perfect shows low columns, not its noise


def figures(data: Costs) -> str:
    """'mean 0.512 nats · optimum 0.462': the optimum over the steps where the task has one."""
    line = f"mean {data.costs.mean():.3f} nats"
    if data.optimal is None:
        return line + " · no known optimum"
    known = np.isfinite(data.optimal)
    if not known.any():
        return line + " · the task cannot make this sequence"
    line += f" · optimum {data.optimal[known].mean():.3f}"
    return line + (f" over {known.sum()} of {len(known)}" if not known.all() else "")


class CostByPosition(ColumnView):
    """One column per predicted symbol: -ln p of that symbol given those before it."""

    def lines(self, width: int) -> Text:
        data: Costs = self.data
        series = [(data.costs, NETWORK_STYLE)]
        if data.optimal is not None:
            series.append((np.where(np.isfinite(data.optimal), data.optimal, np.nan), OPTIMUM_STYLE))
        finite = np.concatenate([values[np.isfinite(values)] for values, _ in series])
        top = max(finite.max(initial=0.0), MIN_TOP)
        title = Text.assemble(("cost by position", "bold"), (f" · {data.label}", "dim"))
        legend = Text.assemble(("█", NETWORK_STYLE), " network", *((" ", ("█", OPTIMUM_STYLE), " optimum")
                                                                   if data.optimal is not None else ()),
                               (f" · nats{window_note(len(data.costs), width)}", "dim"))
        chart = columns_text(series, data.symbols[1:], top, self.rows, width)
        return Text("\n").join([title, *([] if self.short else [Text(figures(data), "dim")]), chart, legend])
