"""The insight views' numbers, each against an independent computation."""
import statistics

import numpy as np
import pytest

from rnncore import RNN, Dataset, Dense, Embedding, Network, Vocab, datasets
from rnnviz import measures
from rnnviz.inference import OVERFLOW, predict
from rnnviz.insight import REFIT_EVERY, Blank, Costs, Insight, Lens, Saliency, StateMap, UnitText
from rnnviz.session import Session

VOCAB = Vocab("0123456789")
SEQ = [1, 3, 5, 7, 1, 3, 2, 4, 6]


@pytest.fixture
def net():
    return Network(10, [Embedding(6), RNN(7), Dense(5), RNN(4)], seed=3, dtype=np.float64)


def digits_data(eval_=None, oracle=None):
    data = Dataset("hand", VOCAB, [np.array(SEQ)], [np.array(s) for s in (eval_ or [SEQ, [2, 4, 6, 8, 2], [5, 7]])])
    data.oracle = oracle  # the tasks' data sets carry one; a hand-written one here
    return data


def look(net, data, text, **lens):
    return Insight().look(net, data, predict(net, data.vocab, text), Lens(**lens), step=0)


# --- cost by position -----------------------------------------------------------
def test_cost_by_position_is_the_loss_of_each_target_alone(net):
    x, y = np.array([SEQ[:-1]]), np.array([SEQ[1:]])
    got = measures.position_costs(net.run(SEQ).logp, SEQ)
    for t in range(len(SEQ) - 1):
        mask = np.zeros(x.shape)
        mask[0, t] = 1
        assert got[t] == pytest.approx(net.loss_and_grads(x, y, mask)[0], rel=1e-12)
    assert got.sum() == pytest.approx(net.evaluate(x, y)[0], rel=1e-12)


def test_the_cost_view_of_a_prefix_comes_with_the_oracles_costs(net):
    uniform = lambda seq: np.full((len(seq) - 1, 10), 0.1)  # noqa: E731
    view = look(net, digits_data(oracle=uniform), "1 3 5 7", view="cost")
    assert isinstance(view, Costs) and view.symbols == list("1357") and view.label == "your prefix"
    np.testing.assert_allclose(view.costs, measures.position_costs(net.run([1, 3, 5, 7]).logp, [1, 3, 5, 7]))
    np.testing.assert_allclose(view.optimal, np.log(10) * np.ones(3))
    assert look(net, digits_data(), "1 3 5 7", view="cost").optimal is None  # a text file has no oracle


def test_optimal_costs_are_minus_log_the_oracles_probability_of_each_target():
    def oracle(seq):  # after an odd digit the next odd one for sure; after an even one, 2 or 4 evenly
        rows = np.zeros((len(seq) - 1, 10))
        for t, s in enumerate(seq[:-1]):
            if s % 2:
                rows[t, (s + 2) % 10] = 1.0
            else:
                rows[t, [2, 4]] = 0.5
        return rows
    got = measures.optimal_costs(oracle, np.array([1, 3, 4, 2, 4]))
    np.testing.assert_allclose(got[[0, 2, 3]], [0.0, np.log(2), np.log(2)])
    assert got[1] == np.inf  # 3 -> 4: the process cannot make it
    assert measures.optimal_costs(None, np.array([1, 3])) is None
    assert measures.optimal_costs(oracle, np.array([1])) is None


def test_a_one_symbol_prefix_has_no_cost_to_show(net):
    assert isinstance(look(net, digits_data(), "1", view="cost"), Blank)


# --- how far back -----------------------------------------------------------------
def test_saliency_is_the_engines_gradient_norms_over_their_largest(net):
    view = look(net, digits_data(), "1 3 5 7", view="back")
    best = int(np.argmax(net.run([1, 3, 5, 7]).logp[-1]))
    raw = net.input_saliency([1, 3, 5, 7], best)
    assert isinstance(view, Saliency) and view.target_symbol == str(best) and not view.picked
    np.testing.assert_allclose(view.weights, raw / raw.max(), rtol=1e-12)
    picked = look(net, digits_data(), "1 3 5 7", view="back", target=2)
    assert (picked.target, picked.target_symbol, picked.picked) == (2, "2", True)
    np.testing.assert_allclose(picked.weights * net.input_saliency([1, 3, 5, 7], 2).max(),
                               net.input_saliency([1, 3, 5, 7], 2), rtol=1e-12)


def test_normalised_keeps_zeros_zero():
    np.testing.assert_array_equal(measures.normalised(np.array([0.0, 2.0, 1.0])), [0, 1, 0.5])
    np.testing.assert_array_equal(measures.normalised(np.zeros(3)), np.zeros(3))


# --- state map ----------------------------------------------------------------------
@pytest.mark.parametrize("n, h", [(300, 6), (5, 12)])  # through the Gram matrix, and the SVD of the states
def test_principal_axes_are_those_of_a_direct_svd(n, h):
    states = np.random.default_rng(0).standard_normal((n, h)) * np.linspace(3, 0.5, h)
    mean, axes, explained = measures.principal_axes(states)
    centred = states - states.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(mean, states.mean(0), atol=1e-12)
    np.testing.assert_allclose(np.abs((axes * vt[:2]).sum(1)), [1, 1], atol=1e-9)  # the same directions
    np.testing.assert_allclose(explained, s[:2] ** 2 / (s ** 2).sum(), rtol=1e-9)
    np.testing.assert_allclose(np.abs(centred @ axes.T), np.abs(centred @ vt[:2].T), atol=1e-8)


def test_axes_keep_their_sign_from_one_fit_to_the_next():
    states = np.random.default_rng(1).standard_normal((100, 5)) * [4, 2, 1, 1, 1]
    _, axes, _ = measures.principal_axes(states)
    assert all(row[np.abs(row).argmax()] > 0 for row in axes)  # a first fit: each largest loading positive
    _, again, _ = measures.principal_axes(states, previous=-axes)
    np.testing.assert_allclose(again, -axes, atol=1e-12)


def test_the_state_map_projects_the_eval_states_and_the_prefix_on_the_same_axes(net):
    data = digits_data()
    view = look(net, data, "2 4 6", view="map", layer="rnn1")
    states = np.concatenate([net.run(s).traces["rnn1"]["h"] for s in data.eval])
    mean, axes, explained = measures.principal_axes(states)
    assert isinstance(view, StateMap) and view.layer == "rnn1" and view.units == 4
    np.testing.assert_allclose(view.cloud, (states - mean) @ axes.T, atol=1e-12)
    np.testing.assert_allclose(view.path, (net.run([2, 4, 6]).traces["rnn1"]["h"] - mean) @ axes.T, atol=1e-12)
    np.testing.assert_allclose(view.explained, explained)
    predicted = np.concatenate([net.run(s).logp.argmax(-1) for s in data.eval])
    np.testing.assert_array_equal(view.cloud_ids, predicted)
    np.testing.assert_array_equal(view.path_ids, net.run([2, 4, 6]).logp.argmax(-1))
    by_input = look(net, data, "2 4 6", view="map", layer="rnn1", by_input=True)
    np.testing.assert_array_equal(by_input.cloud_ids, np.concatenate(data.eval))
    np.testing.assert_array_equal(by_input.path_ids, [2, 4, 6])


def test_the_axes_are_refit_only_every_few_hundred_steps(net):
    data, insight, lens = digits_data(), Insight(), Lens("map", "rnn0")
    prediction = predict(net, VOCAB, "1 3")
    first = insight.look(net, data, prediction, lens, step=10)
    net.params["rnn0.Whh"] *= 1.5  # training moved the states
    moved = insight.look(net, data, predict(net, VOCAB, "1 3"), lens, step=10 + REFIT_EVERY - 1)
    np.testing.assert_array_equal(moved.explained, first.explained)  # the same axes ...
    assert not np.allclose(moved.cloud, first.cloud)  # ... under states that moved
    refit = insight.look(net, data, predict(net, VOCAB, "1 3"), lens, step=10 + REFIT_EVERY)
    assert not np.allclose(refit.explained, first.explained)


def test_a_one_unit_layer_gets_one_axis():
    net = Network(10, [Embedding(3), RNN(1)], seed=0, dtype=np.float64)
    view = look(net, digits_data(), "1 3 5", view="map")
    assert view.cloud.shape[1] == view.path.shape[1] == 1 and view.explained.tolist() == [1.0]


def test_eval_states_are_those_of_each_sequence_alone(net):
    rows = measures.eval_rows(digits_data(), budget=12)
    assert [len(r) for r in rows] == [9, 3]  # the second one cut to the budget
    states, predicted, inputs = measures.eval_states(net, rows, "rnn0", "h")
    alone = [net.run(r) for r in rows]
    np.testing.assert_allclose(states, np.concatenate([run.traces["rnn0"]["h"] for run in alone]), rtol=1e-12)
    np.testing.assert_array_equal(predicted, np.concatenate([run.logp.argmax(-1) for run in alone]))
    np.testing.assert_array_equal(inputs, np.concatenate(rows))


# --- unit on text ------------------------------------------------------------------
def test_most_varying_is_the_unit_of_largest_variance():
    values = np.random.default_rng(2).uniform(-1, 1, (40, 9)) * np.linspace(0.1, 1, 9)[::-1]
    want = max(range(9), key=lambda u: statistics.pvariance(values[:, u].tolist()))
    assert measures.most_varying(values) == want
    assert measures.most_varying(np.zeros((3, 4))) == 0


def test_the_unit_view_holds_the_chosen_layers_trace(net):
    view = look(net, digits_data(), "1 3 5 7 2", view="unit", layer="rnn1")
    h = net.run([1, 3, 5, 7, 2]).traces["rnn1"]["h"]
    assert isinstance(view, UnitText) and view.symbols == list("13572") and view.trace == "h"
    np.testing.assert_array_equal(view.values, h)
    assert view.most_varying == measures.most_varying(h)
    fallback = look(net, digits_data(), "1 3", view="unit", layer="gone", trace="c")
    assert (fallback.layer, fallback.trace) == ("rnn0", "h")


# --- which sequence ------------------------------------------------------------------
def test_with_no_prefix_the_views_show_the_first_eval_sequence(net):
    view = look(net, digits_data(), "", view="cost")
    assert view.symbols == [str(s) for s in SEQ] and view.label == "eval sequence 1 of 3"
    np.testing.assert_allclose(view.costs, measures.position_costs(net.run(SEQ).logp, SEQ))


def test_a_texts_sample_is_its_held_out_passage(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("the quick brown fox jumps over the lazy dog. " * 200)
    data = datasets.text(path)
    ids, label = measures.sample(data)
    tail = np.array(data.vocab.encode(path.read_text()))[-data.n_eval_targets() - 1:]
    assert len(ids) == measures.PASSAGE and label == "held-out text"
    np.testing.assert_array_equal(ids, tail[:measures.PASSAGE])


def test_an_empty_eval_set_gives_a_message_not_a_crash(net):
    data = digits_data()
    data.eval = []
    for view in ("cost", "back", "map", "unit"):
        assert isinstance(look(net, data, "", view=view), Blank)
    assert isinstance(look(net, data, "1 3", view="map"), Blank)
    assert isinstance(look(net, data, "1 3", view="back"), Saliency)
    assert measures.sample(data) is None and look(net, data, "", view="probs") is None


def blown(scale=1e15):
    """Finite weights, as a diverged SGD run can leave them: the float32 logits overflow."""
    net = Network(10, [Embedding(4), RNN(6), Dense(6, "relu"), Dense(6, "identity")], seed=0)
    for name, p in net.params.items():
        if name.endswith(".W"):
            p *= scale
    return net


@pytest.mark.parametrize("view", ["cost", "back", "map", "unit"])
def test_a_network_whose_outputs_overflow_says_so(view):
    with pytest.raises(ValueError, match=OVERFLOW):
        look(blown(), digits_data(), "", view=view)  # the pass over the eval sequence overflows


@pytest.mark.parametrize("view", ["back", "map"])
def test_a_views_own_pass_notices_an_overflow_too(view):
    prediction = predict(blown(scale=1), VOCAB, "1 3")  # made just before the weights blew up
    with pytest.raises(ValueError, match=OVERFLOW):
        Insight().look(blown(), digits_data(), prediction, Lens(view), 0)


def test_the_session_looks_with_the_weights_it_predicts_with_and_forgets_the_axes_on_rebuild():
    session = Session(data="toy", embed=4, layers="rnn:6")
    prediction, view = session.look("1 3 5", Lens("map"))
    assert prediction.prefix == ["1", "3", "5"] and isinstance(view, StateMap)
    insight = session.insight
    session.rebuild()
    assert session.insight is not insight
    assert session.look("1 3", Lens())[1] is None
