"""LSTM and GRU: gradient checks alone and stacked, equality with torch.nn.LSTM / GRU, state, checkpoints, bad input."""
import json

import numpy as np
import pytest
import torch
from gradcheck import TOLERANCE, check_layer, check_network, ragged_batch

from rnncore import GRU, LSTM, RNN, Dense, Embedding, Network, TrainConfig, Trainer, datasets
from rnncore.checkpoint import CheckpointError, load, save
from rnncore.cli import main
from rnncore.spec import format_layers, parse_layers

F64 = np.float64
T, B, V = 5, 3, 7
TORCH_TOLERANCE = 1e-10


def layer_params(layer, in_dim, seed=0):
    """Parameters with non-zero biases, so that every bias's path is exercised."""
    rng = np.random.default_rng(seed)
    p = layer.init(in_dim, rng, F64)
    for key in p:
        if key.startswith("b"):
            p[key] += rng.standard_normal(p[key].shape) * 0.3
    return p


@pytest.mark.parametrize("cell", [LSTM(6), GRU(6)], ids=["lstm", "gru"])
@pytest.mark.parametrize("carried", [False, True])
def test_each_cell_alone_passes_the_gradient_check(cell, carried):
    rng = np.random.default_rng(1)
    state = rng.uniform(-0.9, 0.9, (B, cell.state_size)) if carried else None
    errors = check_layer(cell, layer_params(cell, 4), rng.standard_normal((T, B, 4)), state)
    assert max(errors.values()) < TOLERANCE, errors


def mixed_stack(seed=0, dtype=F64):
    return Network(V, [Embedding(5), LSTM(6), GRU(5), RNN(4), Dense(3)], seed=seed, dtype=dtype)


def random_state(net, rng, rows=B):
    return [rng.uniform(-0.9, 0.9, (rows, size)) for size in net.state_sizes()]


@pytest.mark.parametrize("carried", [False, True])
def test_a_mixed_stack_with_a_ragged_mask_passes_the_gradient_check(carried):
    net, rng = mixed_stack(), np.random.default_rng(2)
    for name, p in net.params.items():
        if ".b" in name:
            p += rng.standard_normal(p.shape) * 0.3
    x, y, mask = ragged_batch(V, [5, 2, 4], rng)
    errors = check_network(net, x, y, mask, state=random_state(net, rng) if carried else None)
    assert set(errors) == set(net.params) and max(errors.values()) < TOLERANCE, errors


# --- against PyTorch ---------------------------------------------------------
TORCH_NAMES = {  # our local key -> torch's parameter, per kind; torch's second bias, where we have one, stays 0
    "embed": (lambda layer, d: torch.nn.Embedding(V, layer.dim), {"E": "weight"}),
    "lstm": (lambda layer, d: torch.nn.LSTM(d, layer.hidden), {"Wx": "weight_ih_l0", "Wh": "weight_hh_l0",
                                                               "b": "bias_ih_l0"}),
    "gru": (lambda layer, d: torch.nn.GRU(d, layer.hidden), {"Wx": "weight_ih_l0", "Wh": "weight_hh_l0",
                                                             "bx": "bias_ih_l0", "bh": "bias_hh_l0"}),
    "rnn": (lambda layer, d: torch.nn.RNN(d, layer.hidden), {"Wxh": "weight_ih_l0", "Whh": "weight_hh_l0",
                                                             "bh": "bias_ih_l0"}),
    "dense": (lambda layer, d: torch.nn.Linear(d, layer.units), {"W": "weight", "b": "bias"}),
}


ACTIVATIONS = {"tanh": torch.tanh, "identity": lambda h: h}


def torch_layout(name, a):
    """Our weights are (in, out), torch's (out, in); embeddings are (vocab, dim) in both."""
    return a.T if a.ndim == 2 and not name.startswith("embed") else a


def torch_twin(net):
    """The network's stack as float64 torch modules holding its weights, and our parameter name -> the torch
    parameter it was copied to."""
    modules, twins, in_dim = [], {}, net.vocab_size
    for name, layer in [*net.layers, ("out", net.output)]:
        make, keys = TORCH_NAMES[layer.kind]
        module = make(layer, in_dim).double()
        with torch.no_grad():
            for param in module.parameters():
                param.zero_()
            for key, torch_name in keys.items():
                twins[f"{name}.{key}"] = getattr(module, torch_name)
                twins[f"{name}.{key}"].copy_(torch.from_numpy(torch_layout(name, net.params[f"{name}.{key}"])))
        modules.append((layer, module))
        in_dim = layer.dim
    return modules, twins


def torch_loss_and_grads(net, x, y, mask, state):
    """The masked mean cross-entropy and every parameter's gradient, computed by torch, under our names."""
    modules, twins = torch_twin(net)
    h, states = torch.from_numpy(x.T), iter(state or [])
    for layer, module in modules:
        if layer.recurrent:
            carried = next(states, None)
            if carried is not None:
                carried = torch.from_numpy(carried)[None]
                carried = tuple(carried.chunk(2, -1)) if layer.kind == "lstm" else carried  # [h | c] -> (h, c)
            h = module(h, carried)[0]
        else:
            h = module(h)
            h = ACTIVATIONS[layer.activation](h) if layer.kind == "dense" else h
    mask_t = torch.from_numpy(mask.T)
    costs = torch.nn.functional.cross_entropy(h.reshape(-1, V), torch.from_numpy(y.T).reshape(-1), reduction="none")
    loss = (costs * mask_t.reshape(-1)).sum() / mask_t.sum()
    loss.backward()
    return loss.item(), {name: torch_layout(name, p.grad.numpy()) for name, p in twins.items()}


def relative(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


TORCH_CASES = {
    "lstm": [Embedding(4), LSTM(6)],
    "gru": [Embedding(4), GRU(6)],
    "lstm-gru-rnn-dense": [Embedding(5), LSTM(6), GRU(5), RNN(4), Dense(3)],
}


@pytest.mark.parametrize("carried", [False, True], ids=["zero-state", "carried-state"])
@pytest.mark.parametrize("case", list(TORCH_CASES))
def test_loss_and_every_gradient_equal_torch(case, carried):
    net, rng = Network(V, TORCH_CASES[case], seed=3, dtype=F64), np.random.default_rng(4)
    for p in net.params.values():
        p += rng.standard_normal(p.shape) * 0.2  # off the initial values: biases non-zero, gates not at 1/2
    x, y, mask = ragged_batch(V, [6, 2, 4], rng)
    state = random_state(net, rng) if carried else None
    result = net.run_batch(x, y, mask, state)
    loss, grads = torch_loss_and_grads(net, x, y, mask, state)
    assert result.loss == pytest.approx(loss, rel=TORCH_TOLERANCE)
    assert grads.keys() == result.grads.keys()
    errors = {name: relative(result.grads[name], grads[name]) for name in grads}
    assert max(errors.values()) < TORCH_TOLERANCE, errors


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_final_state_equals_torch(cell):
    net, rng = Network(V, TORCH_CASES[cell], seed=5, dtype=F64), np.random.default_rng(6)
    x = rng.integers(0, V, (B, T))
    state = random_state(net, rng)
    ours = net.run_batch(x, x, None, state).state[0]
    (_, embed), (_, module), _ = torch_twin(net)[0]
    carried = torch.from_numpy(state[0])[None]
    final = module(embed(torch.from_numpy(x.T)), tuple(carried.chunk(2, -1)) if cell == "lstm" else carried)[1]
    final = torch.cat(final, -1) if cell == "lstm" else final  # LSTM: [h | c], as our state
    assert np.allclose(ours, final.detach().numpy()[0], rtol=0, atol=1e-13)


# --- state, traces, dtypes, init ----------------------------------------------
@pytest.mark.parametrize("cell", [LSTM(6), GRU(6)], ids=["lstm", "gru"])
def test_a_sequence_in_two_chunks_equals_the_whole_when_the_state_is_carried(cell):
    net, ids = Network(V, [Embedding(4), cell, RNN(3)], seed=7, dtype=F64), [1, 5, 2, 6, 0, 3, 3, 4]
    first = net.run(ids[:3])
    assert [s.shape for s in first.state] == [(1, cell.state_size), (1, 3)]
    assert np.allclose(np.concatenate([first.logp, net.run(ids[3:], first.state).logp]), net.run(ids).logp,
                       rtol=0, atol=1e-13)


def test_traces_name_what_each_cell_computed():
    net = Network(V, [Embedding(4), LSTM(6), GRU(5)], seed=8, dtype=F64)
    run = net.run([1, 2, 3, 4])
    assert {name: list(trace) for name, trace in run.traces.items()} == {  # in the order `t` steps through them
        "lstm0": list("hcifgo"), "gru0": list("hrzn")}
    lstm, gru = run.traces["lstm0"], run.traces["gru0"]
    assert all(a.shape == (4, 6) for a in lstm.values()) and all(a.shape == (4, 5) for a in gru.values())
    assert np.allclose(lstm["h"], lstm["o"] * np.tanh(lstm["c"]))
    assert np.allclose(lstm["c"][1:], lstm["f"][1:] * lstm["c"][:-1] + lstm["i"][1:] * lstm["g"][1:])
    assert np.allclose(gru["h"][1:], (1 - gru["z"][1:]) * gru["n"][1:] + gru["z"][1:] * gru["h"][:-1])
    assert all(lstm[k].min() > 0 and lstm[k].max() < 1 for k in "ifo") and np.abs(lstm["g"]).max() < 1
    assert [h.shape for h in net.hidden_states([1, 2, 3])] == [(3, 6), (3, 5)]


def test_float32_stays_float32_and_agrees_with_float64():
    x, y, mask = ragged_batch(V, [5, 2, 4], np.random.default_rng(9))
    single, double = mixed_stack(dtype=np.float32).run_batch(x, y, mask), mixed_stack().run_batch(x, y, mask)
    assert all(g.dtype == np.float32 for g in single.grads.values())
    assert all(s.dtype == np.float32 for s in single.state)
    assert single.loss == pytest.approx(double.loss, rel=1e-5)
    assert max(relative(single.grads[k], double.grads[k]) for k in double.grads) < 1e-4


def test_parameters_are_named_and_drawn_per_gate():
    net = Network(V, [Embedding(4), LSTM(6), GRU(5)], seed=1, dtype=F64)
    assert {k: v.shape for k, v in net.params.items() if k.startswith(("lstm", "gru"))} == {
        "lstm0.Wx": (4, 24), "lstm0.Wh": (6, 24), "lstm0.b": (24,),
        "gru0.Wx": (6, 15), "gru0.Wh": (5, 15), "gru0.bx": (15,), "gru0.bh": (15,)}
    assert np.array_equal(net.params["lstm0.b"], np.repeat([0.0, 1.0, 0.0, 0.0], 6))  # the forget gate's at 1
    assert not net.params["gru0.bx"].any() and not net.params["gru0.bh"].any()
    for name, gates in (("lstm0.Wh", 4), ("gru0.Wh", 3)):
        for block in np.hsplit(net.params[name], gates):
            assert np.allclose(block.T @ block, np.eye(len(block)), atol=1e-12)


def test_specs_round_trip_and_build():
    layers = parse_layers("lstm:8,gru:4,rnn:3")
    assert [type(layer) for layer in layers] == [LSTM, GRU, RNN] and format_layers(layers) == "lstm:8,gru:4,rnn:3"
    net = Network(V, [Embedding(2), *layers], seed=0)
    assert Network.from_spec(net.spec()).spec() == net.spec() and net.state_sizes() == [16, 4, 3]


# --- checkpoints -------------------------------------------------------------
def gated_trainer():
    data = datasets.digits(count=30, seed=1)
    net = Network(10, [Embedding(4), LSTM(6), Dense(5, "relu"), GRU(3)], seed=2)
    return Trainer(net, data, TrainConfig(batch_size=4, bptt=5, eval_every=0, optimizer="adam"))


def test_a_gated_network_resumes_from_its_checkpoint_bit_for_bit(tmp_path):
    trainer = gated_trainer()
    for _ in range(9):
        trainer.train_step()
    assert [h.shape for h in trainer.hidden] == [(4, 12), (4, 3)]  # [h | c] of the LSTM carried into the next chunk
    save(tmp_path / "m.npz", trainer.net, trainer)
    expected = [trainer.train_step().loss for _ in range(12)]
    ck = load(tmp_path / "m.npz")
    assert ck.net.spec() == trainer.net.spec()
    resumed = Trainer(ck.net, datasets.digits(count=30, seed=1), state=ck.trainer_state)
    assert [resumed.train_step().loss for _ in range(12)] == expected
    assert all(np.array_equal(ck.net.params[k], v) for k, v in trainer.net.params.items())


def test_a_checkpoint_naming_an_unknown_layer_type_is_one_clear_error(tmp_path):
    path = tmp_path / "m.npz"
    save(path, Network(V, [Embedding(3), LSTM(4)], seed=0))
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays["header"].tobytes())
    header["network"]["layers"][1]["type"] = "foo"
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(CheckpointError) as error:
        load(path)
    assert "unknown layer type 'foo'" in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("layers, says", [
    ("lstm:0", "layer 1 'lstm:0': size must be an integer from 1 to 4096"),
    ("rnn:8,gru:abc", "layer 2 'gru:abc': size must be an integer from 1 to 4096"),
    ("lstm:64:tanh", "layer 1 'lstm:64:tanh': lstm takes no option; write lstm:SIZE"),
    ("gru:8:x", "layer 1 'gru:8:x': gru takes no option; write gru:SIZE"),
])
def test_bad_gated_layers_at_the_cli_are_one_line_and_exit_2(layers, says, capsys):
    assert main(["train", "--data", "toy", "--layers", layers, "--steps", "1"]) == 2
    out, err = capsys.readouterr()
    assert err == f"rnncore: error: argument --layers: {says}\n" and "Traceback" not in out
