"""The Gradient view in the app: every run's gradient through time, live while they train, its layer picked with l,
the gates' scatter for a gated run, and bad inputs."""
import time

import numpy as np
import pytest
from textual.widgets import Button, Select, TabbedContent

from rnnviz import forgetting
from rnnviz.app import RnnvizApp
from rnnviz.forgetting import Sample, fade_lag, frozen, measure
from rnnviz.session import Session
from rnnviz.widgets.gradient import GATE_COLORS, GradientView, draw_saturation
from rnnviz.widgets.model import ModelPanel

from .conftest import SPEED, screen_text, settled, training, wait_until

SIZE = (120, 40)


def view(app) -> GradientView:
    return app.query_one(GradientView)


async def open_gradient(pilot):
    await pilot.press("escape", "g")
    await settled(pilot)


async def test_g_opens_the_view_with_the_engines_numbers_of_the_run(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_gradient(pilot)
        assert app.query_one("#views", TabbedContent).active == "grad"
        [run] = view(app).runs
        net, data, _ = frozen(app.session)
        [expected] = measure(net, Sample.of(data, net))
        np.testing.assert_array_equal(run.layers[0].g, expected.g)
        assert (run.label, run.about) == ("rnn:16", "5 eval sequences")
        assert view(app).fades == [("rnn:16", fade_lag(expected.g))]
        text = screen_text(app)
        assert "gradient through time · 5 eval sequences" in text and f"rnn:16 rnn0 {_fade(expected)}" in text


def _fade(layer) -> str:
    return f"below 1e-3 at lag {layer.fade_lag}" if layer.fade_lag is not None else "above 1e-3 to lag"


async def test_a_fork_and_a_new_lstm_run_are_overlaid_and_the_lstm_shows_its_gates(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n", "f")  # two steps, then a second run from there
        await settled(pilot)
        panel = app.query_one(ModelPanel)
        panel.rows[0].query_one(".kind", Select).value = "lstm"
        await pilot.pause()
        panel.query_one("#new-run", Button).press()
        await wait_until(pilot, lambda: len(app.lab.runs) == 3)
        await open_gradient(pilot)
        runs = view(app).runs
        assert [(run.color, run.layers[0].kind) for run in runs] == [(2, "lstm"), (0, "rnn"), (1, "rnn")]
        assert [label for label, _ in view(app).fades] == app.lab.labels()[2:] + app.lab.labels()[:2]
        assert runs[0].layers[0].saturation.keys() == {"i", "f", "o"}
        assert app.query_one("#saturation-plot").display and "gates " in screen_text(app)
        await pilot.press("c")  # the first run is current: an RNN first, no gates of its own; the LSTM's still show
        await settled(pilot)
        assert view(app).runs[0].color == 0 and app.query_one("#saturation-plot").display


async def test_it_follows_training_live_but_computes_a_run_at_most_every_refresh(app, monkeypatch):
    computed = []
    original = forgetting.measure
    monkeypatch.setattr(forgetting, "measure", lambda net, sample: computed.append(time.monotonic()) or
                        original(net, sample))
    async with app.run_test(size=SIZE) as pilot:
        await open_gradient(pilot)
        first = view(app).runs[0]
        await pilot.press("space")
        await wait_until(pilot, lambda: view(app).runs[0].step > first.step)
        await pilot.pause(1.5)
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
        assert len(computed) >= 3 and min(np.diff(computed)) >= forgetting.REFRESH


async def test_l_shows_the_next_layer_of_every_run():
    app = RnnvizApp(Session(data="toy", embed=8, layers="rnn:12,gru:6"), speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        await open_gradient(pilot)
        assert "rnn0 below" in screen_text(app) or "rnn0 above" in screen_text(app)
        await pilot.press("l")
        await settled(pilot)
        assert view(app).depth == 1 and "gru0" in screen_text(app)
        assert app.query_one("#saturation-plot").display  # the GRU's gates


async def test_an_overflowing_network_gets_the_inline_message():
    session = Session(data="toy", embed=8, layers="rnn:16,dense:16:relu,dense:16:identity")
    for name, p in session.net.params.items():
        if name.endswith(".W"):
            p[...] = 1e15
    app = RnnvizApp(session, speed=SPEED)
    async with app.run_test(size=SIZE) as pilot:
        await open_gradient(pilot)
        error = app.query_one("#error")
        assert error.has_class("shown") and "overflow" in str(error.content)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_it_fits_both_sizes_while_training(app, size):
    async with app.run_test(size=size) as pilot:
        await pilot.press("f")
        await settled(pilot)
        await pilot.press("space", "g")
        await wait_until(pilot, lambda: view(app).runs and view(app).runs[0].step > 2)
        await pilot.press("space")
        await wait_until(pilot, lambda: not training(app))
        await settled(pilot)
        text = screen_text(app)
        assert not app.query_one("#error").has_class("shown")
        assert [f"{label} rnn0" in text for label, _ in view(app).fades] == [True, True]  # a line for each run
        assert text.count("‖J‖") == 2  # and its spectrum's numbers: a lesson speaks of them at any size


@pytest.mark.parametrize("gates, keeper", [("ifo", "f"), ("rz", "z")])
def test_the_gate_that_keeps_the_state_is_drawn_last_on_top_of_the_others(gates, keeper):
    """Units open or shut all the time fall on the same cells: the forget gate's points showed under the output
    gate's, where the forgetting lesson points to them."""
    drawn = []

    class Recorder:
        def __getattr__(self, name):
            return lambda *args, **kwargs: drawn.append((name, kwargs.get("color"))) if name == "scatter" else None
    shares = (np.zeros(4), np.ones(4))
    layer = forgetting.LayerGradient("l0", "lstm", np.ones(3), None, {}, 1.0, {gate: shares for gate in gates})
    draw_saturation(Recorder(), layer)
    assert [color for _, color in drawn][-1] == GATE_COLORS[keeper] and len(drawn) == len(gates)
