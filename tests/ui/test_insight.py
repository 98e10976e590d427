"""The insight views in the app: keys, live refresh while training, picks, and bad inputs."""
import numpy as np
import pytest
from textual.widgets import Input, TabbedContent

from rnncore import Dataset, Run
from rnnviz.app import RnnvizApp
from rnnviz.helptext import COMMANDS
from rnnviz.insight import Blank, Costs, Saliency, StateMap, UnitText
from rnnviz.measures import most_varying, position_costs
from rnnviz.session import Session
from rnnviz.widgets.bars import ProbabilityBars
from rnnviz.widgets.cost import CostByPosition
from rnnviz.widgets.heatmap import HiddenHeatmap
from rnnviz.widgets.prediction import TABS, PredictionPanel
from rnnviz.widgets.saliency import HowFarBack
from rnnviz.widgets.statemap import MAX_PATH, StateMapView
from rnnviz.widgets.unittext import UnitOnText

from .conftest import SPEED, training, type_into, wait_until

SIZE = (120, 40)
WIDGETS = {"cost": CostByPosition, "back": HowFarBack, "map": StateMapView, "unit": UnitOnText}
KEY = {view: key for view, (_, key) in TABS.items()}
BY_KEY = {key: view for view, key in KEY.items()}
KINDS = {"cost": Costs, "back": Saliency, "map": StateMap, "unit": UnitText}


def two_layers():
    return RnnvizApp(Session(data="toy", embed=8, layers="rnn:12,rnn:6"), speed=SPEED)


def panel(app) -> PredictionPanel:
    return app.query_one(PredictionPanel)


def shown(app, view):
    return app.query_one(WIDGETS[view]).data


async def open_view(pilot, key):
    await pilot.press("escape", key)
    await pilot.pause()


async def test_each_key_opens_its_view_with_the_numbers_of_the_prefix(app):
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#prefix", "1 3 5 7")
        for view in WIDGETS:
            await open_view(pilot, KEY[view])
            assert app.query_one("#views", TabbedContent).active == view
            assert isinstance(shown(app, view), KINDS[view]) and shown(app, view).label == "your prefix"
        run = app.session.net.run([1, 3, 5, 7])
        await open_view(pilot, "o")
        np.testing.assert_allclose(shown(app, "cost").costs, position_costs(run.logp, [1, 3, 5, 7]), rtol=1e-6)
        await open_view(pilot, "b")
        raw = app.session.net.input_saliency([1, 3, 5, 7])
        np.testing.assert_allclose(shown(app, "back").weights, raw / raw.max(), rtol=1e-5)
        await open_view(pilot, "p")
        assert app.query_one("#views", TabbedContent).active == "probs"


async def test_switching_views_while_training_keeps_each_one_live(app):
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#prefix", "2 4 6")
        await pilot.press("escape", "space")
        for view in [*WIDGETS, "cost"]:
            await open_view(pilot, KEY[view])
            first = shown(app, view)
            await wait_until(pilot, lambda v=view, f=first: shown(app, v) is not f)  # redrawn as it trains
            assert isinstance(shown(app, view), KINDS[view])
        await open_view(pilot, "p")
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
        await open_view(pilot, "m")
        assert app.session.trainer.step > 0 and isinstance(shown(app, "map"), StateMap)


async def test_with_no_prefix_the_views_show_an_eval_sequence_and_say_so(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_view(pilot, "u")
        data = shown(app, "unit")
        assert data.label == "eval sequence 1 of 5" and len(data.symbols) == 24
        assert "eval sequence 1 of 5" in app.query_one(UnitOnText).text.plain


async def test_up_and_down_pick_the_unit_and_v_the_one_that_varies_most(app):
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#prefix", "1 3 5 7 1 3")
        await open_view(pilot, "u")
        await pilot.press("down", "down", "down", "up")
        await pilot.pause()
        view = app.query_one(UnitOnText)
        assert view.unit == 2 and view.text.plain.startswith("unit 2 of 16")
        await pilot.press("v")
        await pilot.pause()
        assert view.unit == most_varying(app.session.net.run([1, 3, 5, 7, 1, 3]).traces["rnn0"]["h"])
        await pilot.press(*["up"] * 20)
        await pilot.pause()
        assert view.unit == 0


async def test_a_click_on_a_heatmap_row_picks_that_layer_and_unit():
    app = two_layers()
    async with app.run_test(size=(120, 60)) as pilot:  # tall enough to show the second heatmap
        await type_into(pilot, "#prefix", "1 3 5")
        second = app.query(HiddenHeatmap)[1]
        await pilot.click(second, offset=(1, 2 + 4))  # the row of unit 4
        await pilot.pause()
        assert panel(app).lens.layer == "rnn1" and panel(app).unit == 4 and second.unit == 4
        await pilot.press("down")  # the heatmap has the focus now: the next unit
        await pilot.pause()
        assert second.unit == 5
        await open_view(pilot, "u")
        assert (shown(app, "unit").layer, app.query_one(UnitOnText).unit) == ("rnn1", 5)


async def test_l_moves_every_view_to_the_next_layer():
    app = two_layers()
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#prefix", "1 3 5")
        await open_view(pilot, "m")
        assert shown(app, "map").layer == "rnn0" and shown(app, "map").units == 12
        await pilot.press("l")
        await pilot.pause()
        assert shown(app, "map").layer == "rnn1" and shown(app, "map").units == 6
        await pilot.press("l")
        await pilot.pause()
        assert shown(app, "map").layer == "rnn0"
        await pilot.press("l", "p")
        await pilot.pause()
        assert [h.selected for h in app.query(HiddenHeatmap)] == [False, True]  # the heatmaps mark it too


async def test_i_colours_the_map_by_input(app):
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#prefix", "1 3 5")
        await open_view(pilot, "m")
        assert not shown(app, "map").by_input
        await pilot.press("i")
        await pilot.pause()
        assert shown(app, "map").by_input and list(shown(app, "map").path_ids) == [1, 3, 5]


async def test_up_in_the_bars_picks_the_target_of_how_far_back_and_a_takes_the_likeliest_again(app):
    async with app.run_test(size=SIZE) as pilot:
        await type_into(pilot, "#prefix", "1 3 5")
        await pilot.press("escape")
        best = int(np.argmax(app.session.predict("1 3 5").probs))
        await pilot.press("up" if best > 0 else "down")
        await pilot.pause()
        picked = best - 1 if best > 0 else best + 1
        assert app.query_one(ProbabilityBars).target == picked
        await open_view(pilot, "b")
        assert shown(app, "back").target == picked and shown(app, "back").picked
        await pilot.press("a")
        await pilot.pause()
        assert shown(app, "back").target == best and not shown(app, "back").picked


async def test_t_shows_the_layers_other_traces_in_the_heatmap_and_the_views(app):
    """An RNN has h only; a cell with more (an LSTM's c and gates) is read through Run.traces, whatever they are."""
    def with_c(run):
        return Run(run.logp, {name: {**trace, "c": -trace["h"]} for name, trace in run.traces.items()}, run.state)

    async with app.run_test(size=SIZE) as pilot:
        original = app.session.net.run
        app.session.net.run = lambda ids, state=None: with_c(original(ids, state))
        await type_into(pilot, "#prefix", "1 3 5")
        heatmap = app.query_one(HiddenHeatmap)
        h = heatmap._states.copy()
        await pilot.press("escape", "t")
        await pilot.pause()
        assert heatmap.trace == "c" and heatmap.title == "rnn0 c"
        np.testing.assert_array_equal(heatmap._states, -h)
        await open_view(pilot, "u")
        assert shown(app, "unit").trace == "c"
        await pilot.press("t")
        await pilot.pause()
        assert shown(app, "unit").trace == "h"


async def test_the_command_palette_opens_each_view(app):
    actions = [action for _, _, action in COMMANDS if action.startswith("panel('open'")]
    assert len(actions) == len(TABS)
    async with app.run_test(size=SIZE) as pilot:
        for action, view in zip(actions, TABS, strict=True):
            await app.run_action(action)
            await pilot.pause()
            assert app.query_one("#views", TabbedContent).active == view


# --- bad inputs ---------------------------------------------------------------------
async def test_a_long_prefix_gets_a_window_over_its_last_steps_with_a_note(app):
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#prefix", Input).value = " ".join("13572468" * 50)  # 400 steps
        await pilot.pause()
        for key, says in [("o", "last 17 of 399"), ("b", "last 17 of 400"),
                          ("m", f"your prefix · last {MAX_PATH}"), ("u", "last 386 of 400")]:
            await open_view(pilot, key)
            widget = app.query_one(WIDGETS[BY_KEY[key]])
            text = widget.query_one("#map-title").render() if key == "m" else widget.text
            assert says in str(text), (key, str(text))


async def test_a_one_unit_layer_gets_a_one_axis_map_with_a_note():
    app = RnnvizApp(Session(data="toy", embed=4, layers="rnn:1"), speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        await open_view(pilot, "m")
        assert shown(app, "map").cloud.shape[1] == 1
        assert "one unit: one axis" in str(app.query_one("#map-title").render())


async def test_an_overflowing_network_gets_the_inline_message_in_every_view():
    session = Session(data="toy", embed=8, layers="rnn:16,dense:16:relu,dense:16:identity")
    for name, p in session.net.params.items():
        if name.endswith(".W"):
            p[...] = 1e15
    app = RnnvizApp(session, speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        for key in "obmu":
            await open_view(pilot, key)
            error = app.query_one("#error")
            assert error.has_class("shown") and "overflow" in str(error.content)


async def test_an_empty_eval_set_gives_a_message():
    session = Session(data="toy", embed=8, layers="rnn:16")
    session.data = Dataset("toy", session.vocab, session.data.train, [])
    app = RnnvizApp(session, speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        for key in "obu":
            await open_view(pilot, key)
            assert "no eval sequences" in app.query_one(WIDGETS[BY_KEY[key]]).text.plain
        await type_into(pilot, "#prefix", "1 3")
        await open_view(pilot, "m")
        assert isinstance(shown(app, "map"), Blank) and "no eval sequences" in shown(app, "map").why


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_view_fits_both_sizes_while_training(app, size):
    async with app.run_test(size=size) as pilot:
        await type_into(pilot, "#prefix", "1 3 5 7 1 3 5 7 1 3 5 7 1 3 5 7 1 3 5 7 1 3 5 7")
        await pilot.press("escape", "space")
        for key in "obmup":
            await open_view(pilot, key)
            await pilot.pause(0.3)
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
        assert not app.query_one("#error").has_class("shown")
