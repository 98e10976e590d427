"""Each layer alone: its forward against a direct NumPy computation, its backward against central differences."""
import numpy as np
import pytest
from gradcheck import TOLERANCE, check_arrays, check_layer

from rnncore import RNN, Dense, Embedding
from rnncore.layers import ACTIVATIONS, column_sums, softmax_cross_entropy

F64 = np.float64
T, B = 5, 3


def test_embedding_looks_up_rows_and_its_gradient_checks():
    layer, rng = Embedding(4), np.random.default_rng(0)
    p = layer.init(7, rng, F64)
    ids = rng.integers(0, 7, (T, B))
    assert np.array_equal(layer.forward(p, ids)[0], p["E"][ids])
    assert max(check_layer(layer, p, ids).values()) < TOLERANCE


def rnn_reference(p, x, h0):
    h, out = (np.zeros((x.shape[1], p["Whh"].shape[0])) if h0 is None else h0), []
    for x_t in x:
        h = np.tanh(x_t @ p["Wxh"] + h @ p["Whh"] + p["bh"])
        out.append(h)
    return np.stack(out)


@pytest.mark.parametrize("with_h0", [False, True])
def test_rnn_forward_matches_the_recurrence_and_its_gradient_checks(with_h0):
    layer, rng = RNN(6), np.random.default_rng(0)
    p = layer.init(4, rng, F64)
    p["bh"] += rng.standard_normal(6) * 0.1
    x = rng.standard_normal((T, B, 4))
    h0 = rng.uniform(-0.9, 0.9, (B, 6)) if with_h0 else None
    hs, _, last = layer.forward(p, x, h0)
    assert np.allclose(hs, rnn_reference(p, x, h0), atol=1e-12) and np.array_equal(last, hs[-1])
    assert max(check_layer(layer, p, x, h0).values()) < TOLERANCE


def test_rnn_with_uniform_whh_init_checks_too():
    layer, rng = RNN(5, whh_init="uniform"), np.random.default_rng(2)
    p = layer.init(3, rng, F64)
    assert max(check_layer(layer, p, rng.standard_normal((T, B, 3))).values()) < TOLERANCE


REFERENCE_ACTIVATIONS = {
    "identity": lambda z: z,
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
}


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_dense_forward_and_gradient_for_each_activation(activation):
    layer, rng = Dense(5, activation), np.random.default_rng(3)
    p = layer.init(4, rng, F64)
    p["b"] += rng.standard_normal(5)
    x = rng.standard_normal((T, B, 4)) + 0.5
    z = x @ p["W"] + p["b"]
    assert np.abs(z).min() > 1e-3, "inputs must keep relu away from its kink"
    assert np.allclose(layer.forward(p, x)[0], REFERENCE_ACTIVATIONS[activation](z), atol=1e-12)
    assert max(check_layer(layer, p, x).values()) < TOLERANCE


def masked_cross_entropy(logits, y, mask):
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    picked = np.take_along_axis(p, y[..., None], -1)[..., 0]
    return -(np.log(picked) * mask).sum() / mask.sum()


def output_case(seed, dtype=F64, V=6, H=4):
    out, rng = Dense(V, "identity"), np.random.default_rng(seed)
    p = out.init(H, rng, dtype)
    p["b"] += rng.standard_normal(V).astype(dtype)
    x, y = (rng.standard_normal((T, B, H)) * 2).astype(dtype), rng.integers(0, V, (T, B))
    mask = (rng.random((T, B)) < 0.7).astype(dtype)
    mask[0, 0] = 1
    return out, p, x, y, mask


def test_the_fused_output_loss_matches_the_unfused_formula_and_its_gradient_checks():
    out, p, x, y, mask = output_case(4)
    loss, dx, grads = softmax_cross_entropy(p, x, y, mask)
    assert loss == pytest.approx(masked_cross_entropy(x @ p["W"] + p["b"], y, mask), rel=1e-12)
    errors = check_arrays(lambda: softmax_cross_entropy(p, x, y, mask)[0], {**p, "x": x}, {**grads, "x": dx})
    assert max(errors.values()) < TOLERANCE
    assert grads["W"].flags.c_contiguous and grads["W"].shape == p["W"].shape


def test_the_fused_output_loss_gives_the_layer_by_layer_gradients():
    """The same numbers as the output Dense layer's forward and backward around the unfused softmax's
    gradient, in float32 too (where the fused path must stay float32)."""
    for dtype, tolerance in ((F64, 1e-12), (np.float32, 1e-5)):
        out, p, x, y, mask = output_case(5, dtype, V=10, H=8)
        logits, cache, _ = out.forward(p, x)
        softmax = np.exp(logits - logits.max(-1, keepdims=True))
        softmax /= softmax.sum(-1, keepdims=True)
        dlogits = (softmax - np.eye(10)[y]) * (mask / mask.sum())[..., None]
        dx, grads = out.backward(p, cache, dlogits.astype(dtype))
        loss, fused_dx, fused = softmax_cross_entropy(p, x, y, mask)
        assert fused_dx.dtype == fused["W"].dtype == fused["b"].dtype == dtype
        assert np.allclose(fused_dx, dx, atol=tolerance) and np.allclose(fused["b"], grads["b"], atol=tolerance)
        assert np.allclose(fused["W"], grads["W"], atol=tolerance)
        assert np.all(fused_dx[mask == 0] == 0)


def test_the_fused_output_loss_takes_targets_of_any_integer_type():
    """A text's ids are uint8: its flat index into the (V, N) logits must not overflow."""
    _, p, x, y, mask = output_case(8, V=6)
    x = np.repeat(x, 20, axis=1)  # N = 300 > 255
    y, mask = np.repeat(y, 20, axis=1), np.repeat(mask, 20, axis=1)
    expected = softmax_cross_entropy(p, x, y, mask)
    for dtype in (np.uint8, np.int16, np.uint16, np.int32):
        loss, dx, grads = softmax_cross_entropy(p, x, y.astype(dtype), mask)
        assert loss == expected[0] and np.array_equal(dx, expected[1]) and np.array_equal(grads["W"], expected[2]["W"])


def test_a_fully_masked_batch_has_zero_loss_and_zero_gradient():
    _, p, x, y, _ = output_case(6)
    loss, dx, grads = softmax_cross_entropy(p, x, y, np.zeros((T, B)))
    assert loss == 0 and not dx.any() and not any(g.any() for g in grads.values())


def test_column_sums_are_sums_down_the_columns():
    for n in (3, 300):  # both ways: few rows and many
        a = np.random.default_rng(7).standard_normal((n, 5))
        assert np.allclose(column_sums(a), a.sum(0), rtol=1e-13)


@pytest.mark.parametrize("bad", [0, -1, 4097, 2.5, True, "8"])
def test_bad_layer_sizes_raise_value_error(bad):
    for make in (Embedding, RNN, Dense):
        with pytest.raises(ValueError, match="size must be an integer"):
            make(bad)


def test_bad_layer_options_raise_value_error():
    with pytest.raises(ValueError, match="activation must be one of"):
        Dense(4, "softplus")
    with pytest.raises(ValueError, match="whh_init"):
        RNN(4, whh_init="zeros")
