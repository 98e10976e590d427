"""Wide and combining characters keep every border where Rich measures it (issue 26): the Unit view, the bars and the
prefix box measure cells with Rich's cell width and draw what takes no cell of its own (a lone combining mark, a
skin tone) as something that does."""
import numpy as np
import pytest
from rich.cells import cell_len

from rnncore.vocab import DOTTED_CIRCLE, fit, glyph
from rnnviz.widgets.bars import bars_text
from rnnviz.widgets.heatmap import CELL, heatmap_lines
from rnnviz.widgets.prefix import PrefixInput
from rnnviz.widgets.unittext import layout

from .conftest import Harness

SYMBOLS = ["a", "\u0301", "👍", "🏽", "数", "\ufe0f", " ", "b"]  # a lone mark, an emoji, a skin tone, a wide one


def drawn_as_measured(text: str) -> bool:
    """Every character takes a cell of its own, but a combining mark on the dotted circle glyph puts it on."""
    return all(cell_len(c) or (i and text[i - 1] == DOTTED_CIRCLE) for i, c in enumerate(text))


def test_each_symbol_is_shown_in_the_cells_rich_measures():
    assert glyph("\u0301") == DOTTED_CIRCLE + "\u0301" and cell_len(glyph("\u0301")) == 1
    assert glyph("🏽") == "\\U0001f3fd" and glyph("数") == "数" and glyph("\ufe0f") == DOTTED_CIRCLE + "\ufe0f"
    assert all(drawn_as_measured(glyph(s)) for s in SYMBOLS)
    assert [fit("数字", 3, align) for align in "<>^"] == ["数 ", " 数", "数 "]


@pytest.mark.parametrize("width", [7, 10, 13])
def test_the_unit_view_wraps_at_its_width_in_cells(width):
    lines = layout(SYMBOLS * 5, np.linspace(-1, 1, len(SYMBOLS) * 5), "", width)
    texts = ["".join(piece for piece, _ in line) for line in lines]
    assert all((cell_len(text) <= width or len(line) == 1) and drawn_as_measured(text)  # a piece wider: alone
               for text, line in zip(texts, lines, strict=True))
    assert sum(len(line) for line in lines) == len(SYMBOLS) * 5  # every symbol, each in its own piece


def test_the_bars_start_in_one_column_whatever_the_labels_width():
    probs = np.linspace(1, 2, len(SYMBOLS))
    lines = bars_text(SYMBOLS, probs / probs.sum(), 60).plain.splitlines()
    assert all(drawn_as_measured(line) for line in lines)
    assert len({cell_len(line[:line.index("█")]) for line in lines}) == 1  # each bar starts in the same column
    assert len({cell_len(line[:line.rindex("0.")]) for line in lines}) == 1  # and each probability


def test_the_heatmaps_header_puts_each_symbol_over_its_column():
    strips = heatmap_lines("rnn0", np.zeros((len(SYMBOLS), 3)), SYMBOLS, 80)
    header = "".join(segment.text for segment in strips[1])
    assert drawn_as_measured(header) and cell_len(header) == 2 + CELL * len(SYMBOLS)


async def test_the_prefix_box_draws_what_was_typed_in_the_cells_rich_measures():
    box = PrefixInput(id="prefix")
    async with Harness(box).run_test(size=(40, 5)) as pilot:
        box.focus()
        box.value = "a\u0301👍🏽 数\ufe0f"
        box.cursor_position = len(box.value)
        await pilot.pause()
        line = "".join(segment.text for segment in box.render_line(0))
        assert box.value == "a\u0301👍🏽 数\ufe0f"  # the prediction reads what was typed
        assert line.startswith("a◌👍◌ 数◌") and drawn_as_measured(line)
        assert box._cursor_offset == cell_len("a◌👍◌ 数◌") + 1
