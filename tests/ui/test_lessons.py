"""Lessons: every built-in one followed to its end as a learner would, each step's condition met within the budget
the lesson states (seed 0, training at full speed); a lesson file with any kind of error refused in one line."""
from functools import partial

import pytest
from textual.widgets import Static

from rnnviz.__main__ import checked_args, lab_from_args
from rnnviz.app import RnnvizApp
from rnnviz.lesson import built_in
from rnnviz.tutor import follow

from .conftest import settled, wait_until


def lesson_app(name: str, *options: str) -> RnnvizApp:
    """The app as `rnnviz --lesson NAME` starts it (the lab made behind its loading screen)."""
    args = checked_args(["--lesson", name, *options])
    return RnnvizApp(start=partial(lab_from_args, args), lesson=args.lesson)


@pytest.mark.parametrize("lesson", built_in(), ids=lambda lesson: lesson.name)
async def test_each_built_in_lesson_is_followed_to_its_end_within_its_budgets(lesson):
    app = lesson_app(lesson.name)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.lesson is not None)
        await settled(pilot)
        assert app.lesson.name == lesson.name and app.session.model.data == lesson.start["data"]
        app.set_speed(0)  # full speed: the budgets are in training steps, not seconds
        taken = await follow(pilot)
        budgets = [step.budget for step in lesson.steps]  # None: a step the learner's keys complete, not training
        assert all(t is not None and (b is None or t <= b) for t, b in zip(taken, budgets, strict=True)), taken
        assert app.lesson_step == len(lesson.steps) - 1 and app.step_done()


async def test_a_lesson_may_set_a_setting_the_training_panel_does_not_show(tmp_path):
    (tmp_path / "quiet.toml").write_text('title = "Quiet"\nsummary = "fewer evaluations"\n[start]\ndata = "toy"\n'
                                         'eval_every = 20\nkeep_every = 50\n[[step]]\ntitle = "One"\ntext = "Train."\n')
    app = lesson_app(str(tmp_path / "quiet.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.lesson is not None)
        await settled(pilot)
        assert (app.session.config.eval_every, app.session.config.keep_every) == (20, 50)


async def test_the_lesson_panel_is_drawn_again_only_when_it_changes():
    """The app shows the lesson at every redraw while it trains; each text's update lays the whole screen out again,
    which took the training thread's share of the one core that Python's lock leaves (10 times a second)."""
    app = lesson_app("memory")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.lesson is not None)
        await settled(pilot)
        text, updates = app.query_one("#lesson-when", Static), []
        update = text.update
        text.update = lambda *args, **kwargs: (updates.append(args), update(*args, **kwargs))
        app.set_speed(200)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.session.view().step >= 40)
        await pilot.press("space")
        assert len(updates) == 1  # the step's condition, trained 30 steps, came true: once
        assert "Done" in str(text.render())


async def test_on_a_short_screen_a_long_step_shows_its_title_then_when_done_the_key_to_go_on(tmp_path):
    text = " ".join(f"Sentence {i} of a step too long for a short screen." for i in range(20))
    (tmp_path / "long.toml").write_text(
        f'title = "Long"\nsummary = "long steps"\n[start]\ndata = "toy"\n[[step]]\ntitle = "One"\ntext = "{text}"\n'
        f'do = ["<space>"]\n[step.when]\ntrained = 3\n[[step]]\ntitle = "Two"\ntext = "{text}"\n')
    app = lesson_app(str(tmp_path / "long.toml"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.lesson is not None)
        await settled(pilot)
        shown = app.query_one("#controls").content_region

        def visible(widget_id: str) -> bool:
            return shown.contains_region(app.query_one(widget_id).region)
        assert visible("#lesson-title") and not visible("#lesson-keys")
        keys = [key.key for key in app.screen_stack[0].query("FooterKey")]
        assert keys.index("right_square_bracket") < 2  # after space, before the keys a narrow footer leaves out
        await pilot.press("space")
        await wait_until(pilot, app.step_done)
        await pilot.press("space")
        await settled(pilot)
        await wait_until(pilot, lambda: visible("#lesson-keys"), timeout=2)
        assert "Done" in str(app.query_one("#lesson-when", Static).render())
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: app.lesson_step == 1 and visible("#lesson-title"), timeout=2)


async def test_on_a_short_screen_each_step_shows_the_page_it_speaks_of():
    """At 80x24 the body shows one page: a step that opens a view shows the prediction, and the next step, which
    speaks of the charts again, says so in its file (page = "charts")."""
    app = lesson_app("predicts")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.lesson is not None)
        await settled(pilot)
        assert app.page == "charts"
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: app.lesson_step == 1)
        assert app.page == "prediction" and app.query_one("#prediction").region.width > 0
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: app.lesson_step == 2)
        assert app.page == "charts" and app.query_one("#charts").region.width > 0
