import numpy as np
import pytest

from rnncore import RNN, Dense, Embedding, Network, TrainConfig, Trainer, Vocab, datasets
from rnnviz.inference import Prediction, predict

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests

VOCAB = datasets.toy().vocab


@pytest.fixture
def net():
    return Network(10, [Embedding(8), RNN(6), Dense(7), RNN(5)], seed=0)


def test_shapes_follow_the_prefix_and_the_recurrent_layers(net):
    p = predict(net, VOCAB, "1 3 5")
    assert p.prefix == ["1", "3", "5"]
    assert p.symbols == list("0123456789")
    assert p.probs.shape == (10,)
    assert [h.shape for h in p.hidden] == [(3, 6), (3, 5)]
    assert len(p.continuation) == 10


def test_probs_are_the_distribution_after_the_last_symbol(net):
    p = predict(net, VOCAB, "1 3 5")
    assert p.probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert (p.probs >= 0).all()
    np.testing.assert_allclose(p.probs, net.predict_proba([1, 3, 5])[-1], rtol=1e-5)


def test_hidden_states_match_the_network(net):
    p = predict(net, VOCAB, "2 4 6 8")
    for got, want in zip(p.hidden, net.hidden_states([2, 4, 6, 8]), strict=True):
        np.testing.assert_array_equal(got, want)
        assert np.abs(got).max() <= 1  # tanh units


def test_continuation_is_greedy_and_deterministic(net):
    p = predict(net, VOCAB, "1 3", continuation=6)
    seq = [1, 3]
    for symbol in p.continuation:
        assert symbol == str(int(np.argmax(net.predict_proba(seq)[-1])))
        seq.append(int(symbol))
    again = predict(net, VOCAB, "1 3", continuation=6)
    assert again.continuation == p.continuation
    np.testing.assert_array_equal(again.probs, p.probs)
    assert predict(net, VOCAB, "1 3", continuation=0).continuation == []


def test_predict_leaves_the_network_untouched(net):
    before = {k: v.copy() for k, v in net.params.items()}
    predict(net, VOCAB, "1 3 5 7 1")
    for k, v in net.params.items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("text", ["1 3,5", "135", "1,3,5", " 1 , 3 ,5 "])
def test_digits_with_spaces_and_commas(net, text):
    p = predict(net, VOCAB, text)
    assert p.prefix == ["1", "3", "5"]
    np.testing.assert_array_equal(p.probs, predict(net, VOCAB, "1 3 5").probs)


@pytest.mark.parametrize("text", ["", "   ", " , ,"])
def test_empty_prefix_gives_no_distribution(net, text):
    p = predict(net, VOCAB, text)
    assert p.prefix == [] and p.continuation == []
    assert p.probs is None
    assert [h.shape for h in p.hidden] == [(0, 6), (0, 5)]


@pytest.mark.parametrize("text, bad", [("1 x", "'x'"), ("1 3 a5", "'a'"), ("7 -1", "'-'")])
def test_symbol_outside_the_vocabulary_is_named(net, text, bad):
    with pytest.raises(ValueError, match=bad) as info:
        predict(net, VOCAB, text)
    assert "the symbols are 0 1 2 3 4 5 6 7 8 9" in str(info.value) and "\n" not in str(info.value)


def test_text_vocabulary_keeps_spaces_as_symbols():
    vocab = Vocab(list(" abc"), separator="")
    net = Network(4, [Embedding(4), RNN(3)], seed=1)
    p = predict(net, vocab, "a b")
    assert p.prefix == ["a", " ", "b"]
    assert p.hidden[0].shape == (3, 3)
    assert set(p.continuation) <= set(" abc")
    with pytest.raises(ValueError, match="'z'"):
        predict(net, vocab, "az")


def test_bad_arguments_are_refused(net):
    with pytest.raises(ValueError, match="vocabulary has 4 symbols"):
        predict(net, Vocab("abcd"), "a")
    with pytest.raises(ValueError, match="continuation"):
        predict(net, VOCAB, "1", continuation=-1)


def test_a_trained_network_predicts_the_toy_cycle():
    data = datasets.toy()
    net = Network(10, [Embedding(8), RNN(16)], seed=0)
    steps = Trainer(net, data, TrainConfig(lr=0.05, eval_every=0)).steps()
    for _ in range(150):
        next(steps)
    p = predict(net, data.vocab, "1 3 5")
    assert p.symbols[int(np.argmax(p.probs))] == "7"
    assert predict(net, data.vocab, "2 4", continuation=6).continuation == list("682468")


def test_prediction_is_frozen(net):
    p = predict(net, VOCAB, "1")
    assert isinstance(p, Prediction)
    with pytest.raises(AttributeError):
        p.prefix = ["2"]


def test_a_prefix_costs_one_pass_and_one_step_per_continued_symbol(net, monkeypatch):
    passes, forward = [], net._forward

    def counted(ids, state):
        passes.append(len(ids))
        return forward(ids, state)

    monkeypatch.setattr(net, "_forward", counted)
    predict(net, VOCAB, "1 3 5 7 1 3 5", continuation=10)
    assert passes[0] == 7 and passes[1:] == [1] * 9  # the prefix once, then one step per new symbol
