"""Properties over random stacks, batches, prefixes and configs (Hypothesis)."""
import math

import numpy as np
from gradcheck import TOLERANCE, check_network
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnncore import RNN, Dense, Embedding, Network, TrainConfig
from rnncore.trainer import MAX_BATCH, MAX_BPTT, MAX_LR

FAST = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

sizes = st.integers(1, 6)
smooth = st.sampled_from(["identity", "tanh", "sigmoid"])  # relu's kink would break central differences
layer = st.one_of(st.builds(RNN, sizes, st.sampled_from(["orthogonal", "uniform"])), st.builds(Dense, sizes, smooth))


@st.composite
def networks(draw, dtype=np.float64):
    vocab = draw(st.integers(2, 6))
    layers = [Embedding(draw(sizes)), *draw(st.lists(layer, min_size=1, max_size=3))]
    net = Network(vocab, layers, seed=draw(st.integers(0, 1000)), dtype=dtype)
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    for p in net.params.values():
        if p.ndim == 1:  # nonzero biases, so their gradient paths are exercised too
            p += rng.uniform(-0.5, 0.5, p.shape)
    return net


@st.composite
def batches(draw, vocab):
    B, T = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    lengths = draw(st.lists(st.integers(0, T), min_size=B, max_size=B))
    ids = st.integers(0, vocab - 1)
    x = np.array(draw(st.lists(st.lists(ids, min_size=T, max_size=T), min_size=B, max_size=B)))
    y = np.array(draw(st.lists(st.lists(ids, min_size=T, max_size=T), min_size=B, max_size=B)))
    mask = (np.arange(T)[None, :] < np.array(lengths)[:, None]).astype(float)
    return x, y, mask


@FAST
@given(st.data())
def test_random_stacks_pass_the_gradient_check(data):
    net = data.draw(networks())
    x, y, mask = data.draw(batches(net.vocab_size))
    errors = check_network(net, x, y, mask, k=8)
    assert max(errors.values()) < TOLERANCE, errors


@FAST
@given(st.data())
def test_padding_has_no_influence_and_everything_stays_finite(data):
    net = data.draw(networks(np.float32))
    x, y, mask = data.draw(batches(net.vocab_size))
    loss, grads = net.loss_and_grads(x, y, mask)
    assert math.isfinite(loss) and loss >= 0 and all(np.isfinite(g).all() for g in grads.values())
    shift = data.draw(st.integers(1, net.vocab_size - 1))
    x2, y2 = np.where(mask > 0, x, (x + shift) % net.vocab_size), np.where(mask > 0, y, (y + shift) % net.vocab_size)
    loss2, grads2 = net.loss_and_grads(x2, y2, mask)
    assert loss2 == loss and all(np.array_equal(grads[k], grads2[k]) for k in grads)
    if not mask.any():
        assert loss == 0 and not any(g.any() for g in grads.values())


@FAST
@given(st.data())
def test_masked_targets_anywhere_have_no_influence(data):
    net = data.draw(networks(np.float32))
    x, y, _ = data.draw(batches(net.vocab_size))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=y.size, max_size=y.size))).reshape(y.shape)
    y2 = np.where(mask, y, (y + 1) % net.vocab_size)
    loss, grads = net.loss_and_grads(x, y, mask)
    loss2, grads2 = net.loss_and_grads(x, y2, mask)
    assert loss2 == loss and all(np.array_equal(grads[k], grads2[k]) for k in grads)


@FAST
@given(st.data())
def test_prefixes_of_any_length_give_well_shaped_predictions(data):
    net = data.draw(networks(np.float32))
    prefix = data.draw(st.lists(st.integers(0, net.vocab_size - 1), max_size=8))
    probs = net.predict_proba(prefix)
    assert probs.shape == (len(prefix), net.vocab_size) and np.allclose(probs.sum(1), 1, atol=1e-5)
    states = net.hidden_states(prefix)
    assert [s.shape for s in states] == [(len(prefix), h) for h in net.recurrent_sizes()]


@FAST
@given(st.data())
def test_symbols_outside_the_vocabulary_raise_value_error(data):
    net = data.draw(networks(np.float32))
    inside = st.integers(0, net.vocab_size - 1)
    outside = st.one_of(st.integers(-(2**62), -1), st.integers(net.vocab_size, 2**62))  # beyond int64: test_network
    prefix = data.draw(st.lists(inside, max_size=4))
    prefix.insert(data.draw(st.integers(0, len(prefix))), data.draw(outside))
    for infer in (net.predict_proba, net.hidden_states, lambda p: net.generate(p, 2)):
        try:
            infer(prefix)
        except ValueError as e:
            assert "symbols" in str(e)
        else:
            raise AssertionError(f"{prefix} was accepted")


def integer(lo, hi):
    return lambda v: type(v) is int and lo <= v <= hi


def number(lo, hi):
    return lambda v: type(v) in (int, float) and lo <= v <= hi


VALID = {  # the documented range of each field, written independently of TrainConfig
    "lr": lambda v: number(0, MAX_LR)(v) and v > 0,
    "schedule": lambda v: v in ("constant", "inverse", "exponential", "cosine"),
    "decay_steps": integer(1, 10**9),
    "optimizer": lambda v: v in ("sgd", "adagrad", "adam", "adamw"),
    "momentum": lambda v: number(0, 1)(v) and v < 1,
    "batch_size": integer(1, MAX_BATCH),
    "bptt": integer(0, MAX_BPTT),
    "l2": number(0, 1),
    "clip": lambda v: number(0, math.inf)(v) and math.isfinite(v),
    "eval_every": integer(0, 10**9),
    "keep_every": integer(1, 10**9),
    "seed": integer(0, 2**63 - 1),
    "dtype": lambda v: v in ("float32", "float64"),
}
values = st.one_of(
    st.integers(-10, 5000), st.integers(), st.floats(allow_nan=True), st.floats(-1, 20), st.booleans(), st.none(),
    st.sampled_from(["constant", "cosine", "adam", "sgd", "float32", "float64", "", "fast"]),
    st.lists(st.integers(), max_size=2), st.text(max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(VALID)), values)
def test_a_config_field_validates_or_raises_value_error_naming_it(field, value):
    config = TrainConfig(**{field: value})
    try:
        config.validate()
    except ValueError as e:
        assert str(e).startswith(f"{field} must be") and not VALID[field](value)
    else:
        assert VALID[field](value)
