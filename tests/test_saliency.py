"""Network.input_saliency: against PyTorch autograd on an equivalent model, and against central differences."""
import numpy as np
import pytest
import torch
from gradcheck import TOLERANCE, numerical_grad, rel_error

from rnncore import RNN, STACKABLE, Dense, Embedding, Network

V = 9


def _recurrent(module, weights):
    """A torch recurrent module (in float64) with our (in, out) weights as its (out, in) ones."""
    def run(layer, p, x):  # x (T, 1, in)
        cell = module(x.shape[-1], layer.dim).double()
        with torch.no_grad():
            for theirs, ours in weights.items():
                value = p[ours] if ours else torch.zeros_like(getattr(cell, theirs))
                getattr(cell, theirs).copy_(value.T if value.ndim == 2 else value)
        return cell(x)[0]
    return run


TORCH_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "identity": lambda a: a}


def _dense(layer, p, x):
    return TORCH_ACTIVATIONS[layer.activation](x @ p["W"] + p["b"])


TORCH_LAYERS = {  # our layer kind -> (layer, its params as tensors, (T, 1, in) tensor) -> (T, 1, out) tensor
    "rnn": _recurrent(torch.nn.RNN, {"weight_ih_l0": "Wxh", "weight_hh_l0": "Whh", "bias_ih_l0": "bh",
                                     "bias_hh_l0": None}),
    "lstm": _recurrent(torch.nn.LSTM, {"weight_ih_l0": "Wx", "weight_hh_l0": "Wh", "bias_ih_l0": "b",
                                       "bias_hh_l0": None}),
    "gru": _recurrent(torch.nn.GRU, {"weight_ih_l0": "Wx", "weight_hh_l0": "Wh", "bias_ih_l0": "bx",
                                     "bias_hh_l0": "bh"}),
    "dense": _dense,
}


def torch_saliency(net, ids, target):
    """The gradient norms by torch autograd, the embedded inputs as the leaf."""
    params = {k: torch.tensor(v) for k, v in net.params.items()}
    embedded = params["embed.E"][list(ids)].detach().requires_grad_()  # (T, E)
    h = embedded[:, None]  # (T, 1, E)
    for name, layer in net.layers[1:]:
        local = {k.split(".", 1)[1]: v for k, v in params.items() if k.startswith(f"{name}.")}
        h = TORCH_LAYERS[layer.kind](layer, local, h)
    logits = h[-1, 0] @ params["out.W"] + params["out.b"]
    torch.log_softmax(logits, -1)[target].backward()
    return embedded.grad.norm(dim=-1).numpy()


def shaken(net, seed=0):
    """Random biases and larger weights: zeros would hide mistakes in the bias paths."""
    rng = np.random.default_rng(seed)
    for value in net.params.values():
        value += rng.standard_normal(value.shape) * 0.3
    return net


def stack_with(kind):
    return shaken(Network(V, [Embedding(5), STACKABLE[kind](6), RNN(4)], seed=1, dtype=np.float64))


IDS = [1, 4, 2, 8, 0, 7, 3]  # distinct, so each embedding row belongs to one position


@pytest.mark.parametrize("kind", sorted(STACKABLE))
@pytest.mark.parametrize("target", [None, 5])
def test_saliency_equals_torch_autograd_for_each_layer_kind(kind, target):
    net = stack_with(kind)
    want_target = int(np.argmax(net.run(IDS).logp[-1])) if target is None else target
    np.testing.assert_allclose(net.input_saliency(IDS, target), torch_saliency(net, IDS, want_target), rtol=1e-10)


def test_saliency_equals_torch_autograd_for_every_kind_stacked():
    stack = [Embedding(4), *(STACKABLE[kind](5) for kind in sorted(STACKABLE)), Dense(3, "sigmoid")]
    net = shaken(Network(V, stack, seed=2, dtype=np.float64))
    np.testing.assert_allclose(net.input_saliency(IDS, 2), torch_saliency(net, IDS, 2), rtol=1e-10)


@pytest.mark.parametrize("kind", sorted(STACKABLE))
def test_saliency_equals_central_differences_on_the_embedded_inputs(kind):
    """With distinct ids, the gradient with respect to E's row of a symbol is the one with respect to its position's
    embedded vector: nudge those rows and read log p(target) after the last position from the network's own run."""
    net = stack_with(kind)
    E, target = net.params["embed.E"], 3

    def log_p():
        return float(net.run(IDS).logp[-1, target])
    numeric = [np.linalg.norm(numerical_grad(log_p, E, [(i, j) for j in range(E.shape[1])])) for i in IDS]
    assert rel_error(net.input_saliency(IDS, target), numeric) < TOLERANCE


def test_the_default_target_is_the_most_likely_symbol():
    net = stack_with("rnn")
    best = int(np.argmax(net.run(IDS).logp[-1]))
    assert np.array_equal(net.input_saliency(IDS), net.input_saliency(IDS, best))
    assert not np.array_equal(net.input_saliency(IDS), net.input_saliency(IDS, (best + 1) % V))


def test_saliency_leaves_the_weights_alone_and_keeps_the_networks_dtype():
    net = Network(V, [Embedding(5), RNN(6)], seed=0)
    before = {k: v.copy() for k, v in net.params.items()}
    saliency = net.input_saliency([1, 2, 3])
    assert saliency.shape == (3,) and saliency.dtype == np.float32 and (saliency >= 0).all()
    assert all(np.array_equal(before[k], net.params[k]) for k in before)


@pytest.mark.parametrize("ids, target", [([], None), ([1, 99], None), ([1, 2], V), ([1, 2], -1), ([1, 2], 1.5),
                                         ([1, 2], True)])
def test_bad_input_raises_value_error(ids, target):
    with pytest.raises(ValueError):
        Network(V, [Embedding(5), RNN(6)]).input_saliency(ids, target)
