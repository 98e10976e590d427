import logging

import numpy as np
import pytest

from rnncore import datasets
from rnncore.compat import EmbeddingLayer, FCLayer, InputLayer, NNetwork, RNNLayer, SoftmaxOutputLayer
from rnncore.toyrun import CEILING, toy_epochs, toy_network

WORD_DIM, VOC_SIZE, RNN_HIDDEN_DIM, RNN_HIDDEN_DIM2, MAX_BPTT_STEPS = 32, 10, 64, 32, 15


def construct_nn(l2=0.0):
    """The original README's example, unchanged."""
    seq_input = InputLayer("word sequence input", -1)
    seq_output = SoftmaxOutputLayer("word predict", VOC_SIZE)
    nn = NNetwork()
    nn.set_input(seq_input)
    nn.set_output(seq_output)
    emb = EmbeddingLayer("embedding", VOC_SIZE, WORD_DIM)
    emb.set_lambda2(l2)
    nn.add_hidden_layer(emb)
    rnn = RNNLayer("rnn1", RNN_HIDDEN_DIM, MAX_BPTT_STEPS)
    rnn.set_lambda2(l2)
    nn.add_hidden_layer(rnn)
    rnn2 = RNNLayer("rnn2", RNN_HIDDEN_DIM2, MAX_BPTT_STEPS)
    rnn2.set_lambda2(l2)
    nn.add_hidden_layer(rnn2)
    nn.connect_layers()
    logging.info("NN information:\n" + nn.get_detail())
    return nn


def toy_loop(nn, max_epochs, seed=0):
    """The original's loop (rnncore.toyrun) until the ceiling. Returns (epoch, correct)."""
    for result in toy_epochs(nn, seed):
        if result.correct == CEILING or result.epoch == max_epochs:
            return result.epoch, result.correct


def test_readme_construct_nn_runs_unchanged():
    nn = construct_nn(l2=0.0002)
    assert [layer.dim for _, layer in nn.net.recurrent()] == [RNN_HIDDEN_DIM, RNN_HIDDEN_DIM2]
    assert nn.net.params["rnn1.Wxh"].shape == (RNN_HIDDEN_DIM, RNN_HIDDEN_DIM2)
    assert nn.net.params["out.W"].shape == (RNN_HIDDEN_DIM2, VOC_SIZE)


def test_get_detail_in_the_original_style():
    assert toy_network().get_detail().splitlines() == [
        "[0, -1],l2=0.00000, activation=[None], word sequence input",
        "[-1, 32],l2=0.00020, activation=[None], embedding",
        "[32, 64],l2=0.00020, activation=[None], rnn1",
        "[64, 10],l2=0.00000, activation=[None], word predict",
    ]


def test_the_original_toy_run_reaches_the_ceiling():
    epoch, correct = toy_loop(toy_network(), max_epochs=300)
    assert correct == CEILING, f"{correct}/71 after {epoch} epochs"


def test_the_readme_network_reaches_the_ceiling():
    epoch, correct = toy_loop(construct_nn(l2=0.0002), max_epochs=400)
    assert correct == CEILING, f"{correct}/71 after {epoch} epochs"


def test_same_seed_same_run_and_another_seed_another():
    def costs(seed):
        nn, seq = toy_network(seed), datasets.toy().train[0]
        return [nn.train(seq[:-1], seq[1:], 0.008) for _ in range(3)]
    assert costs(0) == costs(0)
    assert costs(0) != costs(1)


def test_evaluate_sums_the_cost_of_the_targets():
    nn, seq = toy_network(), datasets.toy().eval[0]
    correct, cost = nn.evaluate(seq[:-1], seq[1:])
    probs = nn.net.predict_proba(seq[:-1])
    assert cost == pytest.approx(-np.log(probs[np.arange(len(seq) - 1), seq[1:]]).sum())
    assert correct == int((probs.argmax(-1) == seq[1:]).sum())


def test_train_sums_the_embedding_gradient_and_applies_each_layers_l2():
    nn, seq = toy_network(), datasets.toy().train[1]
    x, y, lr = seq[:-1], seq[1:], 0.01
    before = {k: v.copy() for k, v in nn.net.params.items()}
    _, grads = nn.net.loss_and_grads(x[None], y[None])
    nn.train(x, y, lr)
    expected_E = before["embed.E"] - lr * (len(y) * grads["embed.E"] + 0.0002 * before["embed.E"])
    expected_out = before["out.W"] - lr * grads["out.W"]  # the output layer's lambda2 is 0
    np.testing.assert_allclose(nn.net.params["embed.E"], expected_E, rtol=1e-12)
    np.testing.assert_allclose(nn.net.params["out.W"], expected_out, rtol=1e-12)


def test_fc_layer_maps_to_dense_and_shows_its_activation():
    nn = NNetwork()
    nn.set_input(InputLayer("in", -1))
    nn.set_output(SoftmaxOutputLayer("out", 4))
    for layer in (EmbeddingLayer("emb", 4, 3), RNNLayer("rnn", 5, 10), FCLayer("fc", 6, "relu")):
        nn.add_hidden_layer(layer)
    net = nn.connect_layers()
    assert net.layers[2][1].activation == "relu"
    assert net.params["dense0.W"].shape == (5, 6)
    assert "[5, 6],l2=0.00000, activation=[relu], fc" in nn.get_detail()
    assert len(nn.predict([1, 2, 3])) == 3


def test_the_running_cost_is_logged_every_interval(caplog):
    nn, seq = toy_network(), datasets.toy().train[0]
    nn.set_log_interval(2)
    with caplog.at_level(logging.INFO, logger="rnncore.compat"):
        for _ in range(5):
            nn.train(seq[:-1], seq[1:], 0.008)
    assert [r.getMessage()[:7] for r in caplog.records] == ["cost = ", "cost = "]


def _network(vocab=10, out=10, with_input=True, with_output=True, hidden=("emb", "rnn")):
    nn = NNetwork()
    if with_input:
        nn.set_input(InputLayer("in", -1))
    if with_output:
        nn.set_output(SoftmaxOutputLayer("out", out))
    kinds = {"emb": lambda: EmbeddingLayer("emb", vocab, 8), "rnn": lambda: RNNLayer("rnn", 8, 15),
             "out": lambda: SoftmaxOutputLayer("late", 10)}
    for kind in hidden:
        nn.add_hidden_layer(kinds[kind]())
    return nn


@pytest.mark.parametrize("nn, message", [
    (_network(vocab=12), r"embedding's vocabulary \(12\) must equal the output size \(10\)"),
    (_network(with_input=False), "set_input and set_output"),
    (_network(with_output=False), "set_input and set_output"),
    (_network(hidden=("rnn", "emb")), "first hidden layer must be an EmbeddingLayer"),
    (_network(hidden=("emb", "out")), "only RNN and FC layers stack, got late"),
    (_network(vocab=1, out=1), "vocab_size must be"),
])
def test_bad_structures_raise_value_error(nn, message):
    with pytest.raises(ValueError, match=message):
        nn.connect_layers()


def test_bad_use_raises_value_error():
    nn = _network()
    with pytest.raises(ValueError, match="connect_layers"):
        nn.train([1, 2], [2, 3], 0.1)
    nn.connect_layers()
    with pytest.raises(ValueError, match="one length"):
        nn.evaluate([1, 2], [2])
    with pytest.raises(ValueError, match="lambda2"):
        RNNLayer("r", 3, 5).set_lambda2(-1)
