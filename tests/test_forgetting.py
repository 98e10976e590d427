"""The Gradient view's numbers (rnnviz/forgetting.py): the sample they are measured on, the engine's measures over
it, and how often each run's are computed again."""
import numpy as np
import pytest

from rnncore import ModelConfig, gate_saturation, gradient_through_time, jacobian_norms, recurrent_spectrum
from rnnviz import forgetting
from rnnviz.forgetting import FADE, GradientWatch, Sample, fade_lag, frozen, measure
from rnnviz.insight import Lens
from rnnviz.lab import Lab
from rnnviz.session import Session

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests


def test_the_fade_lag_is_the_first_lag_below_a_thousandth_of_the_start():
    assert fade_lag(np.array([2.0, 0.5, 0.0021, 0.0019, 0.5])) == 3
    assert fade_lag(np.array([1.0, 0.1, 0.01])) is None  # it never gets there within the lags
    assert fade_lag(np.array([0.0, 0.0])) is None and FADE == 1e-3


def test_a_small_network_is_measured_on_every_position_of_its_eval_sequences():
    session = Session(data="toy", embed=8, layers="rnn:16")
    sample = Sample.of(session.data, session.net)
    seqs = session.data.eval
    assert sample.x.shape == (len(seqs), max(map(len, seqs)) - 1) and sample.about == "5 eval sequences"
    for row, seq in enumerate(seqs):
        n = len(seq) - 1
        assert list(sample.x[row, :n]) == list(seq[:-1]) and list(sample.y[row, :n]) == list(seq[1:])
        assert sample.targets[row].sum() == n and not sample.targets[row, n:].any()
    assert sample.states.sum() == sample.targets.sum()  # within the Jacobians' budget too


def test_a_wide_network_is_measured_on_fewer_rows_and_every_nth_target_within_the_budgets():
    session = Session(data="parity:64", layers="lstm:256")
    sample = Sample.of(session.data, session.net)
    width = sum(p.size for k, p in session.net.params.items() if k.startswith("lstm0") and p.ndim == 2)
    assert sample.x.shape[0] == 1 and sample.about.startswith("1 eval sequence, 1 position in ")
    targets = np.flatnonzero(sample.targets[0])
    assert len(targets) > 1 and width * (targets + 1).sum() <= forgetting.SWEEP_BUDGET  # (row, target, lag) costs
    assert 1 <= sample.states.sum() <= forgetting.JACOBIAN_BUDGET / (2 * forgetting.LANCZOS_ROUNDS * width)


def test_the_numbers_are_the_engines_over_the_sample():
    session = Session(data="toy", embed=8, layers="lstm:6,dense:5,gru:4")
    for _ in range(5):
        session.step()
    net, sample = session.net, Sample.of(session.data, session.net)
    layers = measure(net, sample)
    g = gradient_through_time(net, sample.x, sample.y, sample.targets)
    norms = jacobian_norms(net, sample.x, sample.states, steps=forgetting.LANCZOS_ROUNDS)
    spectrum = recurrent_spectrum(net)  # the full SVD
    saturation = gate_saturation(net, sample.x, sample.targets | sample.states)
    assert [(layer.name, layer.kind) for layer in layers] == [("lstm0", "lstm"), ("gru0", "gru")]
    for layer in layers:
        np.testing.assert_array_equal(layer.g, g[layer.name])
        assert layer.fade_lag == fade_lag(g[layer.name])
        assert layer.largest == pytest.approx({block: values[0] for block, values in spectrum[layer.name].items()},
                                              rel=1e-6)  # by Lanczos (float32 weights)
        assert layer.jacobian == pytest.approx(np.nanmean(norms[layer.name]), rel=1e-12)
        assert layer.saturation.keys() == saturation[layer.name].keys()


def test_the_measures_run_on_a_copy_of_the_weights():
    session = Session(data="toy", embed=8, layers="rnn:16")
    copied, data, step = frozen(session)
    session.net.params["rnn0.Whh"][...] = 0
    assert copied.params["rnn0.Whh"].any() and data is session.data and step == 0


def test_a_runs_numbers_are_computed_again_only_once_it_has_trained_and_refresh_seconds_have_passed(monkeypatch):
    lab, clock, computed = Lab(Session(data="toy", embed=8, layers="rnn:16")), [100.0], []
    monkeypatch.setattr(forgetting.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(forgetting, "measure", lambda net, sample: computed.append(net) or [])
    watch, session = GradientWatch(), lab.session

    def look():
        return watch.runs(lab)[0]
    first = look()
    assert len(computed) == 1 and (first.label, first.color, first.step) == ("rnn:16", session.color, 0)
    session.step()
    clock[0] += forgetting.REFRESH / 2
    assert look().step == 0 and len(computed) == 1  # trained, but too soon
    clock[0] += forgetting.REFRESH / 2
    assert look().step == 1 and len(computed) == 2
    clock[0] += 10
    assert look().step == 1 and len(computed) == 2  # paused: the same weights
    session.rebuild()  # a new network is measured at once
    assert look().step == 0 and len(computed) == 3


def test_the_lab_gives_each_view_what_it_shows_of_every_run_on_the_current_task():
    lab = Lab(Session(data="toy", embed=8, layers="rnn:16"))
    assert [run.label for run in lab.across("", Lens(view="grad"))] == ["rnn:16"]
    lab.fork()
    lab.session.configure("lr", "0.2")
    runs = lab.across("1 3", Lens(view="grad"))
    assert [(run.label, run.color) for run in runs] == [("lr=0.2", lab.runs[1].color), ("lr=0.01", lab.runs[0].color)]
    assert runs[0].color != runs[1].color  # the current run first, each in its charts' colour
    assert [label for label, _, _ in lab.across("1 3", Lens())] == ["lr=0.2", "lr=0.01"]
    assert lab.across("1 3", Lens(view="cost")) == []
    lab.new_run(ModelConfig(data="digits", embed=8, layers="gru:8"), seed=0)
    assert [run.label for run in lab.across("1 3", Lens(view="grad"))] == ["gru:8"]  # alone on its task
