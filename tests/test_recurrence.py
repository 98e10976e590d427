"""Why a plain RNN forgets, measured (rnncore/recurrence.py): the gradient through time and the one-step Jacobians
against PyTorch's autograd, built from torch's own cells; the singular values against np.linalg.svd; the gates'
saturation against a count."""
from functools import partial

import numpy as np
import pytest
import torch
from gradcheck import ragged_batch

from rnncore import (
    GRU,
    LSTM,
    RNN,
    Dense,
    Embedding,
    Network,
    gate_saturation,
    gradient_through_time,
    jacobian_norms,
    recurrent_spectrum,
)

V, F64 = 7, np.float64
TORCH_TOLERANCE = 1e-10
CELLS = {  # kind -> torch's cell, and our local key -> its parameter; torch's second bias, where we have one, is 0
    "rnn": (torch.nn.RNNCell, {"Wxh": "weight_ih", "Whh": "weight_hh", "bh": "bias_ih"}),
    "lstm": (torch.nn.LSTMCell, {"Wx": "weight_ih", "Wh": "weight_hh", "b": "bias_ih"}),
    "gru": (torch.nn.GRUCell, {"Wx": "weight_ih", "Wh": "weight_hh", "bx": "bias_ih", "bh": "bias_hh"}),
}
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "identity": lambda h: h}
STACKS = {
    "rnn": [Embedding(4), RNN(5)],
    "lstm": [Embedding(4), LSTM(5)],
    "gru": [Embedding(4), GRU(5)],
    "lstm-dense-gru-rnn-dense": [Embedding(5), LSTM(6), Dense(4, "relu"), GRU(5), RNN(4), Dense(3)],
}


def network(layers, seed=3):
    """In float64, off its initial values: biases non-zero, gates away from 1/2."""
    net, rng = Network(V, layers, seed=seed, dtype=F64), np.random.default_rng(seed)
    for p in net.params.values():
        p += rng.standard_normal(p.shape) * 0.3
    return net


def torch_cell(net, name, layer, in_dim):
    make, keys = CELLS[layer.kind]
    cell = make(in_dim, layer.hidden).double()
    with torch.no_grad():
        for param in cell.parameters():
            param.zero_()
        for key, torch_name in keys.items():
            ours = torch.from_numpy(net.params[f"{name}.{key}"])
            getattr(cell, torch_name).copy_(ours.T if ours.ndim == 2 else ours)  # ours (in, out), torch's (out, in)
    return cell


def torch_pass(net, x):
    """The logits (B, T, V) by torch's cells, a step at a time, and per recurrent layer its cell, its input (B, T, D)
    and its state after each step: a tuple (h,) or (h, c) per step."""
    h = torch.from_numpy(net.params["embed.E"])[torch.from_numpy(x)]
    layers = {}
    for name, layer in [*net.layers[1:], ("out", net.output)]:
        if not layer.recurrent:
            h = ACTIVATIONS[layer.activation](h @ torch.from_numpy(net.params[f"{name}.W"]) +
                                              torch.from_numpy(net.params[f"{name}.b"]))
            continue
        cell, states, state = torch_cell(net, name, layer, h.shape[-1]), [], None
        for t in range(h.shape[1]):
            state = cell(h[:, t], state)
            states.append(state if layer.kind == "lstm" else (state,))
        layers[name] = (cell, h, states)
        h = torch.stack([state[0] for state in states], 1)
    return h, layers


def torch_gradient_through_time(net, x, y, mask, max_lag):
    """g[k] by definition: one autograd call per target, the norm of its gradient with respect to each state."""
    logits, layers = torch_pass(net, x)
    costs = torch.nn.functional.cross_entropy(logits.transpose(1, 2), torch.from_numpy(y), reduction="none")
    g = {}
    for name, (_, _, states) in layers.items():
        total, count = np.zeros(max_lag + 1), np.zeros(max_lag + 1)
        for b, t in zip(*np.nonzero(mask), strict=True):
            earlier = [tensor for state in states[:t + 1] for tensor in state]
            grads = torch.autograd.grad(costs[b, t], earlier, retain_graph=True, allow_unused=True)
            per_state = len(states[0])
            for s in range(max(t - max_lag, 0), t + 1):
                parts = [grad[b] for grad in grads[s * per_state:(s + 1) * per_state] if grad is not None]
                total[t - s] += float(torch.cat(parts).norm())
                count[t - s] += 1
        g[name] = total / count
    return g


def relative(ours, theirs):
    return float(np.max(np.abs(ours - theirs) / np.abs(theirs)))


# --- the gradient through time ----------------------------------------------------
@pytest.mark.parametrize("max_lag", [None, 2])
@pytest.mark.parametrize("case", list(STACKS))
def test_the_gradient_through_time_equals_torch_autograd(case, max_lag):
    net, rng = network(STACKS[case]), np.random.default_rng(4)
    x, y, mask = ragged_batch(V, [6, 3, 5], rng)
    mask[2, 1] = 0  # a hole inside a row, as well as padding after its end
    ours = gradient_through_time(net, x, y, mask, max_lag)
    theirs = torch_gradient_through_time(net, x, y, mask, 5 if max_lag is None else max_lag)
    assert ours.keys() == theirs.keys() == {name for name, _ in net.recurrent()}
    assert all(g.shape == (6 if max_lag is None else 3,) and g.dtype == F64 for g in ours.values())
    errors = {name: relative(ours[name], theirs[name]) for name in theirs}
    assert max(errors.values()) < TORCH_TOLERANCE, errors


def test_the_network_method_is_the_function_and_float32_agrees():
    net, rng = network(STACKS["lstm-dense-gru-rnn-dense"]), np.random.default_rng(5)
    x, y, mask = ragged_batch(V, [6, 4], rng)
    double = net.gradient_through_time(x, y, mask)
    assert all(np.array_equal(double[k], g) for k, g in gradient_through_time(net, x, y, mask).items())
    single = net.astype(np.float32).gradient_through_time(x, y, mask)
    assert max(relative(single[k], double[k]) for k in double) < 1e-5


def test_lags_no_target_reaches_are_nan_and_bad_arguments_are_refused():
    net, x = network(STACKS["rnn"]), np.array([[1, 2, 3]])
    g = gradient_through_time(net, x, x, max_lag=4)["rnn0"]
    assert np.isfinite(g[:3]).all() and np.isnan(g[3:]).all()
    assert np.isnan(gradient_through_time(net, x, x, np.array([[1, 1, 0]]))["rnn0"][2])  # only t = 2 reaches back 2
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="max_lag must be a non-negative integer"):
            gradient_through_time(net, x, x, max_lag=bad)
    with pytest.raises(ValueError, match="x, y and mask must be"):
        gradient_through_time(net, x, x[:, :2])
    assert gradient_through_time(Network(V, [Embedding(3), Dense(4)], dtype=F64), x, x) == {}


# --- the spectrum ------------------------------------------------------------------
def test_the_spectrum_is_each_gates_singular_values_in_torchs_layout():
    net = network([Embedding(4), LSTM(5), GRU(3), RNN(4)])
    spectrum = recurrent_spectrum(net)
    assert {name: list(blocks) for name, blocks in spectrum.items()} == {
        "lstm0": list("ifgo"), "gru0": list("rzn"), "rnn0": ["Whh"]}
    _, layers = torch_pass(net, np.zeros((1, 1), int))
    for name, (cell, _, _) in layers.items():
        blocks = cell.weight_hh.detach().numpy().reshape(len(spectrum[name]), -1, cell.hidden_size)  # torch's gates
        for block, W in zip(spectrum[name].values(), blocks, strict=True):  # are row blocks of its (out, in) matrix
            np.testing.assert_allclose(block, np.linalg.svd(W)[1], rtol=1e-12)


def test_the_largest_singular_value_alone_by_lanczos_equals_the_svds():
    net = network([Embedding(4), LSTM(12), GRU(9), RNN(30)])
    full, largest = recurrent_spectrum(net), recurrent_spectrum(net, largest_only=True, steps=30)
    for name, blocks in full.items():
        for block, values in blocks.items():
            assert largest[name][block].shape == (1,)
            assert largest[name][block][0] == pytest.approx(values[0], rel=1e-10)


# --- the one-step Jacobian ---------------------------------------------------------------
def cell_step(cell, inputs, lstm, state):
    """Torch's cell on one input (D,) from the state ([h | c] for an LSTM) before it: the state after it."""
    out = cell(inputs[None], tuple(state[None].chunk(2, -1)) if lstm else state[None])
    return torch.cat(out, -1)[0] if lstm else out[0]


def torch_jacobian_norms(net, x):
    """Per recurrent layer, (B, T): the largest singular value (np.linalg.svd) of the Jacobian of torch's cell step
    with respect to the state before it, taken by autograd at each position."""
    _, layers = torch_pass(net, x)
    norms = {}
    for name, (cell, inputs, states) in layers.items():
        norms[name], lstm = np.zeros(x.shape), len(states[0]) == 2
        for b, s in np.ndindex(*x.shape):
            zeros = torch.zeros(cell.hidden_size * (1 + lstm), dtype=torch.float64)
            before = torch.cat(states[s - 1], -1)[b] if s else zeros
            step = partial(cell_step, cell, inputs[b, s].detach(), lstm)
            J = torch.autograd.functional.jacobian(step, before.detach()).numpy()
            norms[name][b, s] = np.linalg.svd(J, compute_uv=False)[0]
    return norms


def test_the_jacobian_norms_equal_the_largest_singular_value_of_torchs_jacobian():
    net, x = network(STACKS["lstm-dense-gru-rnn-dense"]), np.random.default_rng(6).integers(0, V, (2, 5))
    ours, theirs = jacobian_norms(net, x, steps=12), torch_jacobian_norms(net, x)  # 12: the largest state's size
    errors = {name: relative(ours[name], theirs[name]) for name in theirs}
    assert max(errors.values()) < TORCH_TOLERANCE, errors


def test_the_jacobian_norms_are_those_of_the_positions_in_the_mask_only():
    net, rng = network(STACKS["gru"]), np.random.default_rng(7)
    x, _, mask = ragged_batch(V, [6, 2, 4], rng)
    every, masked = jacobian_norms(net, x, steps=5)["gru0"], jacobian_norms(net, x, mask, steps=5)["gru0"]
    assert np.isnan(masked[mask == 0]).all()
    np.testing.assert_allclose(masked[mask == 1], every[mask == 1], rtol=1e-12)


def test_fewer_rounds_approach_the_norm_from_below():
    net, x = network([Embedding(4), LSTM(16)]), np.random.default_rng(8).integers(0, V, (2, 6))
    exact = jacobian_norms(net, x, steps=32)["lstm0"]
    errors = [np.max((exact - jacobian_norms(net, x, steps=steps)["lstm0"]) / exact) for steps in (2, 6, 12)]
    assert all(error >= -1e-12 for error in errors) and errors[0] > errors[1] > errors[2]


# --- gate saturation ---------------------------------------------------------------
def test_saturation_is_the_share_of_steps_each_gate_spends_below_01_and_above_09():
    net, rng = Network(V, [Embedding(4), LSTM(5), RNN(3), GRU(4)], seed=9, dtype=F64), np.random.default_rng(9)
    for p in net.params.values():
        p += rng.standard_normal(p.shape) * 2.5  # large weights: gates often saturated
    x, _, mask = ragged_batch(V, [7, 3, 5], rng)
    saturation = gate_saturation(net, x, mask)
    assert {name: list(gates) for name, gates in saturation.items()} == {"lstm0": list("ifo"), "gru0": list("rz")}
    for name, gates in saturation.items():
        for gate, (left, right) in gates.items():
            counts = np.zeros((2, left.size))
            for row, length in zip(x, mask.sum(1).astype(int), strict=True):  # each row alone, up to its end
                for activations in net.run(row[:length]).traces[name][gate]:
                    for unit, a in enumerate(activations):
                        counts[:, unit] += [a < 0.1, a > 0.9]
            np.testing.assert_array_equal(np.array([left, right]), counts / mask.sum())
            assert counts.sum() > 0  # the test saw saturated gates
