"""Network: parameter layout, loss, masking, batching, inference, specs and truncated BPTT."""
import numpy as np
import pytest
from gradcheck import TOLERANCE, check_network, ragged_batch

from rnncore import RNN, Dense, Embedding, Network, TrainConfig, Trainer, datasets, parse_layers
from rnncore.inputs import MAX_VOCAB
from rnncore.layers import MAX_SIZE
from rnncore.stack import MAX_LAYERS

V = 7


def stacked(dtype=np.float64, seed=0):
    return Network(V, [Embedding(5), RNN(6), RNN(4), Dense(3, "tanh")], seed=seed, dtype=dtype)


def reference_log_probs(net, x):
    """The stack computed directly from net.params, one sequence (row) at a time: (B, T, V)."""
    p = net.params
    h = p["embed.E"][x]  # (B, T, 5)
    for name in ("rnn0", "rnn1"):
        state, out = np.zeros((x.shape[0], p[f"{name}.Whh"].shape[0])), []
        for t in range(x.shape[1]):
            state = np.tanh(h[:, t] @ p[f"{name}.Wxh"] + state @ p[f"{name}.Whh"] + p[f"{name}.bh"])
            out.append(state)
        h = np.stack(out, 1)
    h = np.tanh(h @ p["dense0.W"] + p["dense0.b"])
    logits = h @ p["out.W"] + p["out.b"]
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def test_params_are_named_per_layer_with_in_out_shapes():
    shapes = {k: v.shape for k, v in stacked().params.items()}
    assert shapes == {
        "embed.E": (V, 5), "rnn0.Wxh": (5, 6), "rnn0.Whh": (6, 6), "rnn0.bh": (6,),
        "rnn1.Wxh": (6, 4), "rnn1.Whh": (4, 4), "rnn1.bh": (4,),
        "dense0.W": (4, 3), "dense0.b": (3,), "out.W": (3, V), "out.b": (V,),
    }


def test_loss_is_mean_cross_entropy_over_unmasked_targets():
    net, rng = stacked(), np.random.default_rng(0)
    x, y, mask = ragged_batch(V, [6, 3, 1], rng)
    picked = np.take_along_axis(reference_log_probs(net, x), y[..., None], -1)[..., 0]
    assert net.loss_and_grads(x, y, mask)[0] == pytest.approx(-(picked * mask).sum() / mask.sum(), rel=1e-12)


def test_whole_stack_gradient_checks_with_a_ragged_mask():
    net, rng = stacked(), np.random.default_rng(1)
    for name in ("rnn0.bh", "rnn1.bh", "dense0.b", "out.b"):
        net.params[name] += rng.standard_normal(net.params[name].shape) * 0.3
    x, y, mask = ragged_batch(V, [5, 2, 4], rng)
    errors = check_network(net, x, y, mask, k=30)
    assert set(errors) == set(net.params)
    assert max(errors.values()) < TOLERANCE, errors


def test_padded_positions_change_neither_loss_nor_grads():
    net, rng = stacked(), np.random.default_rng(2)
    x, y, mask = ragged_batch(V, [6, 2, 4], rng)
    loss, grads = net.loss_and_grads(x, y, mask)
    x2, y2 = x.copy(), y.copy()
    x2[mask == 0], y2[mask == 0] = (x[mask == 0] + 1) % V, (y[mask == 0] + 3) % V
    loss2, grads2 = net.loss_and_grads(x2, y2, mask)
    assert loss2 == loss
    assert all(np.array_equal(grads[k], grads2[k]) for k in grads)


def test_a_batch_is_the_target_weighted_average_of_its_sequences():
    net, rng = stacked(), np.random.default_rng(3)
    lengths = [6, 2, 4]
    x, y, mask = ragged_batch(V, lengths, rng)
    loss, grads = net.loss_and_grads(x, y, mask)
    alone = [net.loss_and_grads(x[i:i + 1, :n], y[i:i + 1, :n]) for i, n in enumerate(lengths)]
    weights = np.array(lengths) / sum(lengths)
    assert loss == pytest.approx(sum(w * loss_i for w, (loss_i, _) in zip(weights, alone, strict=True)), rel=1e-12)
    for k in grads:
        expected = sum(w * g[k] for w, (_, g) in zip(weights, alone, strict=True))
        assert np.allclose(grads[k], expected, atol=1e-13), k


def test_predict_proba_rows_sum_to_one_and_agree_with_a_longer_prefix():
    net = stacked()
    long = net.predict_proba([1, 3, 5, 2, 6])
    short = net.predict_proba([1, 3, 5])
    assert short.shape == (3, V) and np.allclose(short.sum(1), 1)
    assert np.allclose(short, long[:3], atol=1e-14)
    assert np.allclose(np.log(long), reference_log_probs(net, np.array([[1, 3, 5, 2, 6]]))[0])


def test_hidden_states_have_one_array_per_recurrent_layer_inside_minus_one_one():
    net = stacked()
    states = net.hidden_states([1, 3, 5, 0])
    assert [s.shape for s in states] == [(4, 6), (4, 4)]
    assert all(np.abs(s).max() < 1 for s in states)
    assert np.allclose(states[0][:2], net.hidden_states([1, 3])[0])


def test_greedy_generation_is_deterministic_and_follows_the_argmax():
    net = stacked()
    out = net.generate([1, 3], n=8, temperature=0)
    assert len(out) == 8 and out == net.generate([1, 3], n=8, temperature=0, rng=np.random.default_rng(9))
    seq = [1, 3]
    for _ in range(8):
        seq.append(int(net.predict_proba(seq)[-1].argmax()))
    assert out == seq[2:]


def test_sampled_generation_follows_its_rng_and_stays_in_the_vocabulary():
    net = stacked()
    a = net.generate([2], n=20, temperature=1.0, rng=np.random.default_rng(4))
    b = net.generate([2], n=20, temperature=1.0, rng=np.random.default_rng(4))
    assert a == b and all(0 <= s < V for s in a)


@pytest.mark.parametrize("bad", [lambda n: n.generate([], 3), lambda n: n.generate([1], 3, temperature=-1),
                                 lambda n: n.predict_proba([V]), lambda n: n.hidden_states([-1])])
def test_bad_inference_input_raises_value_error(bad):
    with pytest.raises(ValueError):
        bad(stacked())


def test_inference_changes_no_parameter():
    net = stacked()
    before = {k: v.copy() for k, v in net.params.items()}
    net.predict_proba([1, 2, 3])
    net.hidden_states([4, 5])
    net.generate([1], 5, temperature=0.5, rng=np.random.default_rng(0))
    net.evaluate(*ragged_batch(V, [3, 2], np.random.default_rng(0)))
    assert all(np.array_equal(before[k], net.params[k]) for k in before)


def train_losses(inference_between: bool):
    net = Network(10, [Embedding(4), RNN(8)], seed=1)
    trainer = Trainer(net, datasets.toy(), TrainConfig(batch_size=1, eval_every=0))
    losses = []
    for _ in range(6):
        losses.append(trainer.train_step().loss)
        if inference_between:
            net.predict_proba([1, 3, 5])
            net.hidden_states([2, 4])
            net.generate([1], 4, temperature=0)
    return losses


def test_inference_between_training_steps_does_not_disturb_training():
    assert train_losses(True) == train_losses(False)


def test_spec_round_trip_rebuilds_the_same_network():
    net = Network(11, [Embedding(3), RNN(5, "uniform"), Dense(4, "sigmoid"), RNN(2)], seed=7, dtype=np.float64)
    again = Network.from_spec(net.spec())
    assert again.spec() == net.spec() and again.dtype == np.float64
    assert all(np.array_equal(net.params[k], again.params[k]) for k in net.params)


@pytest.mark.parametrize("make", [
    lambda: Network(10, [RNN(4)]),
    lambda: Network(10, []),
    lambda: Network(10, [Embedding(4), Embedding(4)]),
    lambda: Network(10, [Embedding(4)] + [RNN(2)] * (MAX_LAYERS + 1)),
    lambda: Network(10, [Embedding(0)]),
    lambda: Network(10, [Embedding(4), RNN(MAX_SIZE + 1)]),
    lambda: Network(1, [Embedding(4)]),
    lambda: Network(MAX_VOCAB + 1, [Embedding(4)]),
    lambda: Network(10.0, [Embedding(4)]),
    lambda: Network(10, [Embedding(4)], dtype=np.int32),
])
def test_bad_construction_raises_value_error_with_a_message(make):
    with pytest.raises(ValueError, match=r"\w+ \w+"):
        make()


def test_bad_batches_raise_value_error():
    net = stacked()
    with pytest.raises(ValueError, match="shape"):
        net.loss_and_grads(np.zeros((2, 3), int), np.zeros((2, 4), int))
    with pytest.raises(ValueError, match="outside"):
        net.loss_and_grads(np.full((1, 2), V), np.zeros((1, 2), int))
    for dtype in (np.int8, np.int32, np.int64):  # a negative id, of any width, is refused too
        with pytest.raises(ValueError, match="y holds ids outside"):
            net.loss_and_grads(np.zeros((1, 2), int), np.array([[0, -1]], dtype))
    ids = np.array([[0, V - 1]], np.uint8)  # unsigned ids up to V - 1 are fine
    assert np.isfinite(net.loss_and_grads(ids, ids)[0])


def test_truncated_bptt_with_carried_state_equals_one_whole_run():
    net, rng = stacked(), np.random.default_rng(5)
    x, y = rng.integers(0, V, (2, 9)), rng.integers(0, V, (2, 9))
    whole = net.run_batch(x, y).loss
    first = net.run_batch(x[:, :4], y[:, :4])
    second = net.run_batch(x[:, 4:], y[:, 4:], state=first.state)
    assert (4 * first.loss + 5 * second.loss) / 9 == pytest.approx(whole, rel=1e-12)
    fresh = net.run_batch(x[:, 4:], y[:, 4:]).loss
    assert fresh != pytest.approx(second.loss, rel=1e-6)


def test_truncated_bptt_gradient_checks_with_a_carried_state():
    net, rng = stacked(), np.random.default_rng(6)
    state = [rng.uniform(-0.9, 0.9, (2, 6)), rng.uniform(-0.9, 0.9, (2, 4))]
    x, y, mask = ragged_batch(V, [4, 3], rng)
    assert max(check_network(net, x, y, mask, k=15, state=state).values()) < TOLERANCE


def test_evaluate_counts_argmax_hits_over_unmasked_targets():
    net, rng = stacked(), np.random.default_rng(7)
    x, y, mask = ragged_batch(V, [5, 3], rng)
    cost, correct, total = net.evaluate(x, y, mask)
    logp = reference_log_probs(net, x)
    hits = (logp.argmax(-1) == y) & (mask > 0)
    picked = np.take_along_axis(logp, y[..., None], -1)[..., 0]
    assert (correct, total) == (hits.sum(), 8)
    assert cost == pytest.approx(-(picked * mask).sum(), rel=1e-12)


@pytest.mark.parametrize("bad", [[1.5], [0.5, 2]])
def test_non_integer_symbols_raise_value_error(bad):
    with pytest.raises(ValueError, match="symbols"):
        stacked().predict_proba(bad)


def test_float_id_arrays_in_a_batch_raise_value_error():
    with pytest.raises(ValueError):
        stacked().loss_and_grads(np.zeros((2, 3)), np.zeros((2, 3)))


@pytest.mark.parametrize("n", [-1, 2.5])
def test_generate_with_a_bad_length_raises_value_error(n):
    with pytest.raises(ValueError, match="n must be"):
        stacked().generate([1], n)


@pytest.mark.parametrize("huge", [2**64, -(2**64)])
def test_symbols_beyond_int64_raise_value_error(huge):
    with pytest.raises(ValueError, match="symbols"):
        stacked().predict_proba([1, huge])


def test_from_spec_reads_layer_fields_by_name_not_by_order():
    spec = stacked().spec()
    spec["layers"] = [dict(reversed(list(layer.items()))) for layer in spec["layers"]]
    assert Network.from_spec(spec).spec() == stacked().spec()


def test_run_rows_gives_each_padded_row_what_run_gives_it_alone():
    net = stacked()
    seqs = [[1, 3, 5, 6, 2], [2, 4], [0, 6, 6]]
    x = np.zeros((3, 5), np.int64)
    for row, s in enumerate(seqs):
        x[row, :len(s)] = s
    logp, traces = net.run_rows(x)
    assert logp.shape == (3, 5, V) and list(traces) == ["rnn0", "rnn1"]
    for row, s in enumerate(seqs):
        alone = net.run(s)
        np.testing.assert_allclose(logp[row, :len(s)], alone.logp, rtol=1e-12)
        for name, trace in traces.items():
            np.testing.assert_allclose(trace["h"][row, :len(s)], alone.traces[name]["h"], rtol=1e-12)
    with pytest.raises(ValueError):
        net.run_rows([1, 2, 3])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_an_empty_prefix_runs_in_every_cell(kind):
    """The app asks for the prediction after nothing (an empty prefix box); a batch of one of no steps."""
    net = Network(5, [Embedding(4), *parse_layers(f"{kind}:8")], seed=0)
    run = net.run(np.zeros(0, np.int64))
    assert run.logp.shape == (0, 5) and all(a.shape[0] == 0 for trace in run.traces.values() for a in trace.values())
