"""A newcomer never loses a run to a key: dialogs a stray letter cannot answer, ctrl+z after every action that
throws a run away, quitting that asks, and a bottom line that says where the keys go."""
import pytest
from helpers import same_params

from rnnviz.app import RnnvizApp
from rnnviz.helptext import help_text
from rnnviz.lesson import built_in
from rnnviz.screens import ChoiceScreen, ConfirmScreen, TaskScreen
from rnnviz.session import Session
from rnnviz.widgets.charts import INVITATION
from rnnviz.widgets.footer import KeysTo
from rnnviz.widgets.prediction import PredictionPanel

from .conftest import SPEED, settled, wait_until

SIZE = (120, 40)


def toy_app() -> RnnvizApp:
    return RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), speed=SPEED)


async def trained(pilot, steps=12):
    """The current run trained for `steps` steps, then paused; returns (its network, a copy of its weights)."""
    app = pilot.app
    await pilot.press("space")
    await wait_until(pilot, lambda: app.session.trainer.step >= steps)
    await pilot.press("space")
    await settled(pilot)
    return app.session.net, {k: v.copy() for k, v in app.session.net.params.items()}


def same_run(app, net, params, step) -> bool:
    session = app.session
    return session.net is net and same_params(session.net.params, params) and session.trainer.step == step


# --- the key sequence that lost a run ------------------------------------------------------------------
async def test_the_data_drop_down_then_escape_then_a_typed_task_leaves_the_run_intact():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        net, params = await trained(pilot)
        step = app.session.trainer.step
        await pilot.press("1")  # the first field of the Model panel: the data
        await wait_until(pilot, lambda: app.screen.focused is app.query_one("#data"))
        await pilot.press("down")  # its list of tasks
        await wait_until(pilot, lambda: isinstance(app.screen, TaskScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, TaskScreen))
        await pilot.press(*"parity:64")
        await settled(pilot)
        assert same_run(app, net, params, step) and app.query_one("#data").value.endswith("parity:64")
        assert "keys: data" in str(app.query_one(KeysTo).content)  # the bottom line says where the keys went


async def test_a_word_typed_with_no_field_focused_cannot_answer_the_dialog_it_opens():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        net, params = await trained(pilot)
        step = app.session.trainer.step
        assert str(app.query_one(KeysTo).content) == "keys: app"
        await pilot.press(*"parity:64")  # p a r i t y : 6 4: r asks to reset; y, enter's old stand-in, is ignored
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen) and same_run(app, net, params, step)
        await pilot.press("escape")
        assert not isinstance(app.screen, ConfirmScreen) and same_run(app, net, params, step)


async def test_a_key_that_is_no_command_says_that_no_field_has_focus():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("z", "k")
        notes = [str(n.message) for n in app._notifications]
        assert len(notes) == 1 and "No field has focus" in notes[0] and "'z'" in notes[0]  # told once, not per key


# --- every action that throws a run away is undone by ctrl+z ---------------------------------------------
@pytest.mark.parametrize("how", ["reset", "apply", "load"])
async def test_a_run_replaced_comes_back_with_ctrl_z_and_ctrl_z_again_redoes(how, tmp_path):
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        if how == "load":  # a checkpoint of a fresh network, loaded over the trained run
            app.session.save(tmp_path / "fresh.npz")
        net, params = await trained(pilot)
        step, history = app.session.trainer.step, app.session.history.snapshot().steps
        if how == "reset":
            await pilot.press("r")
        elif how == "apply":
            app.query_one("#data").value = "parity:8"
            await pilot.press("1", "enter")
        else:
            await pilot.press("ctrl+o")
            await wait_until(pilot, lambda: app.screen.query("#path"))
            app.screen.query_one("#path").value = str(tmp_path / "fresh.npz")
            await pilot.press("enter")
        if how != "load":
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "ctrl+z" in str(app.screen.query_one("#question").content)
            await pilot.press("enter")
        await wait_until(pilot, lambda: app.session.net is not net and app.job is None)
        await settled(pilot)
        replacement = app.session.net
        assert any("ctrl+z brings back" in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: app.session.net is net and app.job is None)
        assert same_run(app, net, params, step) and app.session.history.snapshot().steps == history
        await pilot.press("ctrl+z")  # the undo is undone: the replacement comes back
        await wait_until(pilot, lambda: app.session.net is replacement and app.job is None)


async def test_a_closed_run_comes_back_with_ctrl_z():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        await trained(pilot)
        await pilot.press("f")
        await wait_until(pilot, lambda: len(app.lab.runs) == 2 and app.job is None)
        net, params = await trained(pilot, steps=app.session.trainer.step + 3)
        step = app.session.trainer.step
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.lab.runs) == 1)
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: len(app.lab.runs) == 2 and app.job is None)
        assert app.lab.current == 1 and same_run(app, net, params, step)


async def test_an_untrained_run_thrown_away_keeps_the_trained_one_for_ctrl_z():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        net, params = await trained(pilot)
        await pilot.press("r", "enter")  # the trained run kept
        await wait_until(pilot, lambda: app.session.trainer.step == 0 and app.job is None)
        await pilot.press("r")  # nothing trained: no question, and the trained run stays kept
        await wait_until(pilot, lambda: app.job is None)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: app.session.net is net and app.job is None)
        assert same_params(app.session.net.params, params)


# --- quitting ---------------------------------------------------------------------------------------------
async def test_quitting_asks_while_a_trained_run_is_not_saved_and_not_once_it_is(tmp_path):
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        await trained(pilot)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "not saved" in str(app.screen.query_one("#question").content)
        await pilot.press("y", "escape")  # a stray letter does nothing; escape stays
        await settled(pilot)
        assert app.return_code is None and not isinstance(app.screen, ChoiceScreen)
        app.session.save(tmp_path / "m.npz")
        await pilot.press("q")
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


async def test_quitting_with_a_record_does_not_ask(tmp_path):
    app = toy_app()
    app.lab.record(tmp_path / "r.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await trained(pilot)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.return_code is not None)


# --- where the keys go ------------------------------------------------------------------------------------
async def test_the_bottom_line_names_the_focused_field_and_what_it_takes():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_until(pilot, lambda: "keys: lr" in str(app.query_one(KeysTo).content))
        assert "learning rate" in str(app.query_one(KeysTo).content)
        assert app.query_one("#bottom").has_class("-field")  # the field's help in the footer's place
        await pilot.press("escape")
        await wait_until(pilot, lambda: str(app.query_one(KeysTo).content) == "keys: app")
        assert not app.query_one("#bottom").has_class("-field")


async def test_pgdn_scrolls_the_bars_down_to_the_heatmap():
    app = RnnvizApp(Session(data="toy", embed=8, layers="rnn:64"), speed=SPEED)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"1 3 5", "enter")
        await settled(pilot)
        pane = app.query_one("#probs")
        assert app.page == "prediction" and pane.max_scroll_y > 0 and pane.scroll_y == 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert pane.scroll_y > 0
        assert app.query_one(PredictionPanel).lens.view == "probs"


# --- any task from the app, and runs that keep to their task ----------------------------------------------
@pytest.mark.parametrize("typed, refused", [("parity:64", None), ("anbn:30", None), ("notes.txt", None),
                                            ("parity:0", "parity:GAP takes GAP"), ("chess", "not a built-in task")])
async def test_any_task_typed_in_the_data_field_works_or_gets_the_command_lines_message(typed, refused, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("the cat sat on the mat. " * 20)
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        await wait_until(pilot, lambda: app.screen.focused is app.query_one("#data"))
        app.query_one("#data").value = ""
        await pilot.press(*typed, "enter")
        error = app.query_one("#data-error")
        await wait_until(pilot, lambda: app.session.model.data != "toy" or str(error.content))
        await settled(pilot)
        if refused:
            assert refused in str(error.content) and app.session.model.data == "toy"
        else:
            assert app.session.model.data == typed and not str(error.content)


async def test_the_charts_draw_the_runs_on_the_current_task_and_name_the_others():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        await trained(pilot)
        app.query_one("#data").value = "xor"
        app.query_one("#new-run").press()  # a run on xor beside the toy run
        await wait_until(pilot, lambda: len(app.lab.runs) == 2 and app.job is None)
        await trained(pilot, steps=3)
        await settled(pilot)
        charts = app.query_one("TrainingCharts")
        assert [c.color for c in charts.drawn] == [app.session.color] and "run 1 toy" in charts.border_title
        assert charts._optimum == app.session.data.optimum  # xor's lines, not toy's
        await pilot.press("c")
        await settled(pilot)
        assert [c.color for c in charts.drawn] == [app.lab.runs[0].color] and "run 2 xor" in charts.border_title
        assert app.lab.runs[0].color != app.lab.runs[1].color  # each run keeps a colour of its own


async def test_the_palette_finds_the_tasks_by_data_task_or_name():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for word in ("data", "task", "parity:64"):
            assert any(word in title for title in titles), word
        await pilot.pause()


def footer_keys(app) -> list[str]:
    """The keys the bottom line shows (it lies on the first screen, under any dialog)."""
    return [key.key for key in app.screen_stack[0].query("FooterKey")]


async def test_a_dialog_leaves_no_key_on_the_bottom_line_that_it_does_not_take():
    """Issue 26: q did nothing while a dialog was open, though the bottom line showed it."""
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        await trained(pilot)
        assert "q" in footer_keys(app)
        for opener in ("r", "ctrl+s"):  # a question (reset a trained run?), a path
            await pilot.press(opener)
            await wait_until(pilot, lambda: len(app.screen_stack) == 2 and "q" not in footer_keys(app))
            assert all(key in app.screen.active_bindings for key in footer_keys(app))
            await pilot.press("q", "escape")
            await wait_until(pilot, lambda: len(app.screen_stack) == 1 and "q" in footer_keys(app))
        assert app.return_code is None and app.session.trainer.step >= 12


async def test_the_empty_cost_chart_points_to_the_lessons_until_a_run_trains_or_a_lesson_is_followed():
    app = toy_app()
    async with app.run_test(size=SIZE) as pilot:
        def invites() -> bool:
            return all(line in app.query_one("#cost-chart").plt.build() for line in INVITATION)
        await settled(pilot)
        assert invites()
        await pilot.press("ctrl+p", *"lesson")  # as the chart says
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.lesson is not None)
        await settled(pilot)
        assert app.lesson.name == "predicts" and not invites()  # its panel says what to do
        await pilot.press("ctrl+p", *"leave")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.lesson is None)
        await settled(pilot)
        assert app.session.trainer.step == 0 and invites()
        await trained(pilot, steps=1)
        assert not invites()


def test_the_help_says_how_to_follow_a_lesson_and_lists_every_built_in_one():
    text = help_text()
    assert "## Lessons" in text and "`ctrl+p`, type `lesson`" in text and "`]`" in text and "{lessons}" not in text
    for lesson in built_in():
        assert f"**{lesson.title}** (`{lesson.name}`): {lesson.summary}" in text
