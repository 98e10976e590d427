"""Issue 16, points 11 (part), 19 and 20: what the screen must show whole at 80x24 and 120x40: the likeliest next
symbol, a field's refusal, the divergence question, a chart marker's label."""
import re

import numpy as np
import pytest
from textual.widgets import Input

from rnncore import StepEvent
from rnnviz.screens import ConfirmScreen
from rnnviz.widgets.bars import ProbabilityBars, shown_rows

from .conftest import screen_text, settled, wait_until


def test_the_rows_shown_are_the_likeliest_that_fit_beside_the_note():
    probs = np.array([0.01] * 9 + [0.91])
    assert shown_rows(probs) == list(range(10))  # room for all: every digit, in order
    assert shown_rows(probs, 10) == list(range(10))
    assert shown_rows(probs, 6) == [0, 1, 2, 3, 9]  # 5 rows and the note; the likeliest kept, the order too
    assert shown_rows(probs, 1) == [9]
    text = np.linspace(1, 2, 30) / np.linspace(1, 2, 30).sum()
    assert shown_rows(text, 4) == [29, 28, 27]  # a text's top rows, by probability


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_likeliest_symbol_is_on_screen_with_what_is_left_out(app, size):
    async with app.run_test(size=size) as pilot:
        await pilot.press("slash", *"1 3 5")  # on 80x24, the prediction page
        await settled(pilot)
        app.clear_notifications()
        probs = np.array([0.01] * 9 + [0.91])  # the likeliest last in the vocabulary's order
        app.query_one(ProbabilityBars).show([str(d) for d in range(10)], probs)
        await pilot.pause()
        screen = screen_text(app)
        assert re.search(r"9 █+.* 0\.91 ◀", screen) and "more," not in screen  # every digit's bar fits


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_divergence_question_wraps_inside_its_dialog(app, size):
    question = ("Training diverged at step 123,456. Roll back to the weights kept at step 123,400? The steps after "
                "it are lost.")
    async with app.run_test(size=size) as pilot:
        app.clear_notifications()
        app.push_screen(ConfirmScreen(question, yes="Roll back"))
        await pilot.pause()
        label, dialog = app.screen.query_one("#question"), app.screen.query_one(".dialog")
        assert label.size.height >= 2 and label.region.right <= dialog.content_region.right
        screen = screen_text(app)
        assert "kept at step 123,400?" in screen or "kept at step" in screen and "123,400?" in screen
        assert "are lost." in screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_marker_label_at_the_last_step_ends_inside_the_chart(app, size):
    history = app.session.history
    for step in range(1, 201):
        history.add(StepEvent(step, step / 50, 2.0 / step ** 0.5, 0.01, 1.0, 1.0, 32, 1e5))
    history.mark(200, "lr=0.05, clip=0.5")
    async with app.run_test(size=size) as pilot:
        app.clear_notifications()
        app._render()
        await pilot.pause()
        assert "lr=0.05, clip=" in screen_text(app)  # the label's 14 characters, none cut off


async def test_a_refusal_at_120_columns_wraps_beside_its_field(app):
    async with app.run_test(size=(120, 40)) as pilot:
        field = app.query_one("#batch_size", Input)
        field.value = "1_0"
        field.focus()
        await pilot.press("enter")
        error = app.query_one("#batch_size-error")
        await wait_until(pilot, lambda: error.size.height > 0)
        assert error.size.height >= 2 and error.region.right <= app.query_one("#training").content_region.right
        screen = screen_text(app)
        assert "batch must be an integer from 1" in screen and "got '1_0'" in screen
