"""The header: one line of figures at any width, what gives way first when it is narrow, in the app and alone."""
import re
from dataclasses import replace

import pytest

from rnncore import ModelConfig
from rnncore.threads import blas_threads, set_blas_threads
from rnnviz.session import Session
from rnnviz.widgets.figures import Figures, fit, pieces

from .conftest import Harness, wait_until


def session_view(**changes):
    view = Session(data="toy", embed=4, layers="rnn:4").view()
    return replace(view, **changes)


TRAINED = dict(step=1_234_567, epoch=12345.67, loss=0.6522, accuracy=0.692, eval_cost=0.6123, next_lr=0.008)
TWO_RUNS = (1, 2, "lr=0.003")
THREE_DIGIT_STEP = re.compile(r"step \d[\d,]{2}")
GAP = f"+{0.6123 - Session(data='toy', embed=4, layers='rnn:4').data.optimum.loss:.3f}"  # TRAINED's, to the best


def header_at(width, view=None, state="running", tokens_per_sec=22000.0, run=TWO_RUNS, threads=2) -> str:
    line = fit(pieces(view or session_view(**TRAINED), state, tokens_per_sec, run, threads), width)
    assert line.cell_len <= width
    return line.plain


def full_width(**kwargs) -> int:
    return len(header_at(10_000, **kwargs))


# --- fit: what is kept, in which order ------------------------------------------------------------
def test_a_wide_header_shows_every_figure_in_order():
    line = header_at(200)
    shown = ["RUNNING", "run 2/2 lr=0.003", "toy embed:4,rnn:4", "step 1,234,567", "epoch 12345.67", "cost 0.6522",
             "acc 69.2%", f"eval cost 0.612, best 0.020 ({GAP})", "tok/s 22.0k", "threads 2", "lr 0.008"]
    assert [line.index(figure) for figure in shown] == sorted(line.index(figure) for figure in shown)


def test_the_threads_go_first_then_the_epoch_then_tokens_per_second_then_the_best_in_full_then_the_architecture():
    full = full_width()
    gone = {}  # the widest width at which each figure is first missing
    for width in range(full, 60, -1):
        line = header_at(width)
        for figure in ("threads", "epoch", "tok/s", "eval cost", "embed:4"):
            if figure not in line and figure not in gone:
                gone[figure] = width
    assert full - 1 == gone["threads"] > gone["epoch"] > gone["tok/s"] > gone["eval cost"] > gone["embed:4"]
    assert "toy" in header_at(gone["embed:4"]) and "lr 0.008" in header_at(gone["embed:4"])


def test_at_80_columns_what_a_user_needs_most_stays_whole():
    line = header_at(78)  # 80 columns less the header's padding
    for figure in ("RUNNING", "run 2/2", "step 1,234,567", "cost 0.6522", "acc 69.2%", f"to best {GAP}"):
        assert figure in line
    for gone in ("threads", "epoch", "tok/s", "embed:4", "lr=0.003"):
        assert gone not in line


def test_narrower_still_the_step_is_compact_and_the_state_stays():
    line = header_at(60, run=None)
    assert line.startswith(" ▶ RUNNING") and "step 1.2M  cost 0.6522  acc 69.2%" in line and "toy" not in line
    assert header_at(40).endswith("…")  # below what the app promises: cropped, still one line


def test_a_job_is_named_in_full_where_there_is_room_and_by_its_first_word_where_not():
    assert "⋯ building the network…" in header_at(120, state="building the network")
    line = header_at(78, state="building the network")
    assert "⋯ building…" in line and "run 2/2" in line and f"to best {GAP}" in line


def test_a_text_file_says_its_best_is_not_known_only_where_there_is_room():
    view = session_view(**TRAINED, optimum=None)
    assert "best not known" in header_at(200, view=view)
    line = header_at(78, view=view)
    assert "best" not in line and "acc 69.2%" in line


def test_the_gap_to_the_best_is_in_nats_and_says_when_it_is_below_by_chance():
    best = session_view().optimum.loss
    assert "to best +0.100" in header_at(78, view=session_view(**{**TRAINED, "eval_cost": best + 0.1}))
    lucky = header_at(200, view=session_view(**{**TRAINED, "eval_cost": best - 0.004}))
    assert "(-0.004 by chance)" in lucky and "%" not in lucky.split("acc 69.2%")[1]  # no share of the best
    assert "to best –" in header_at(78, view=session_view(**{**TRAINED, "eval_cost": None}))


def test_after_a_rollback_the_weights_step_shows_where_there_is_room():
    view = session_view(**TRAINED, weights_from=1_234_000)
    assert "step 1,234,567 (weights of 1,234,000)" in header_at(120, view=view)
    assert "step 1,234,567  cost" in header_at(78, view=view)


@pytest.mark.parametrize("run", [None, TWO_RUNS, (3, 4, "data=abc.txt, layers=lstm:128,gru:64")])
@pytest.mark.parametrize("step", [0, 999, 12_345, 1_234_567])
def test_the_header_is_one_line_no_wider_than_the_screen_at_any_width(run, step):
    for state in ("paused", "stepping", "loading a very long path/to/a/checkpoint.npz"):
        for width in range(20, 201):
            line = header_at(width, view=session_view(**{**TRAINED, "step": step}), state=state, run=run)
            assert "\n" not in line


# --- the widget -------------------------------------------------------------------------------------
async def test_figures_show_the_numbers():
    app = Harness(Figures())
    async with app.run_test(size=(200, 10)) as pilot:
        view = session_view(model=ModelConfig("digits", 32, "rnn:64,rnn:32"), step=1234, epoch=5.5, loss=0.4321,
                            accuracy=0.875, next_lr=0.008)
        app.widget.show(view, "running", 45678.0)
        await pilot.pause()
        text = app.widget.text.plain
        for expected in ("digits", "rnn:64,rnn:32", "1,234", "5.50", "0.4321", "87.5%", "45.7k", "0.008", "RUNNING"):
            assert expected in text
        app.widget.show(session_view(), "paused", None)
        assert "PAUSED" in app.widget.text.plain and "RUNNING" not in app.widget.text.plain


async def test_the_header_fits_again_when_the_screen_is_resized():
    app = Harness(Figures())
    async with app.run_test(size=(200, 10)) as pilot:
        app.widget.show(session_view(**TRAINED), "running", 22000.0, TWO_RUNS)
        await pilot.pause()
        assert "epoch" in app.widget.text.plain
        await pilot.resize_terminal(80, 10)
        await pilot.pause()
        assert "epoch" not in app.widget.text.plain and app.widget.text.cell_len <= 78
        assert app.widget.region.height == 1


# --- in the app -------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_header_stays_one_line_while_it_trains_with_two_runs(app, size):
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        header, body = app.query_one(Figures), app.query_one("#body")
        top = body.region.y
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.trainer.step >= 100 and app.session.accuracy is not None)
        await pilot.press("f")  # a second run
        await wait_until(pilot, lambda: len(app.lab.runs) == 2 and "run 2/2" in header.text.plain)
        await wait_until(pilot, lambda: "to best" in header.text.plain and THREE_DIGIT_STEP.search(header.text.plain))
        await pilot.pause()
        assert header.region.height == 1 and body.region.y == top == 1
        assert header.text.cell_len <= size[0] - 2


async def test_the_header_says_how_many_threads_numpy_trains_on(app):
    """They once stayed at one for every model, unseen (rnnviz set them on import): on screen, that shows."""
    before = blas_threads()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert f"threads {before}" in app.query_one(Figures).text.plain
            set_blas_threads(3 - before)
            await pilot.press("n")  # a step: the header is drawn again
            await wait_until(pilot, lambda: f"threads {3 - before}" in app.query_one(Figures).text.plain)
    finally:
        set_blas_threads(before)
