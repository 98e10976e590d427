"""Optimizers, L2, clipping and schedules against hand computation."""
import math

import numpy as np
import pytest

from rnncore.optim import SGD, Adagrad, Adam, add_l2, clip_by_global_norm, global_norm, make_optimizer, scheduled_lr


def setup(seed=0):
    rng = np.random.default_rng(seed)
    params = {"a.W": rng.standard_normal((3, 2)), "a.b": rng.standard_normal(2)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(3)]
    return params, grads


def run(optimizer, params, grads, lr):
    """Apply each gradient dict in turn; the arrays must be updated in place."""
    arrays = dict(params)
    for g in grads:
        optimizer.update(params, {k: v.copy() for k, v in g.items()}, lr)
    assert all(params[k] is arrays[k] for k in params)
    return params


def test_sgd_step_is_minus_lr_times_grad():
    params, grads = setup()
    start = {k: v.copy() for k, v in params.items()}
    run(SGD(), params, grads[:1], 0.1)
    assert all(np.allclose(params[k], start[k] - 0.1 * grads[0][k]) for k in params)


def test_sgd_momentum_accumulates_velocity():
    params, grads = setup()
    expected = {k: v.copy() for k, v in params.items()}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for g in grads:
        for k in params:
            velocity[k] = 0.9 * velocity[k] - 0.05 * g[k]
            expected[k] += velocity[k]
    run(SGD(momentum=0.9), params, grads, 0.05)
    assert all(np.allclose(params[k], expected[k], rtol=1e-12) for k in params)


def test_adagrad_divides_by_root_of_summed_squares():
    params, grads = setup()
    expected = {k: v.copy() for k, v in params.items()}
    squares = {k: np.zeros_like(v) for k, v in params.items()}
    for g in grads:
        for k in params:
            squares[k] += g[k] ** 2
            expected[k] -= 0.1 * g[k] / (np.sqrt(squares[k]) + 1e-8)
    run(Adagrad(), params, grads, 0.1)
    assert all(np.allclose(params[k], expected[k], rtol=1e-12) for k in params)


def test_adam_matches_the_bias_corrected_textbook_update():
    params, grads = setup()
    expected = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    for t, g in enumerate(grads, 1):
        for k in params:
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
            expected[k] -= 0.01 * (m[k] / (1 - 0.9**t)) / (np.sqrt(v[k] / (1 - 0.999**t)) + 1e-8)
    run(Adam(), params, grads, 0.01)
    assert all(np.allclose(params[k], expected[k], rtol=1e-6, atol=0) for k in params)


def test_adam_first_step_moves_every_weight_by_about_lr():
    params, grads = setup()
    start = {k: v.copy() for k, v in params.items()}
    run(Adam(), params, grads[:1], 0.01)
    assert all(np.allclose(np.abs(params[k] - start[k]), 0.01, rtol=1e-5) for k in params)


def test_adam_keeps_its_step_count_and_moments_in_its_state():
    params, grads = setup()
    adam = Adam()
    run(adam, params, grads, 0.01)
    assert adam.state["t"][0] == 3
    assert set(adam.state) == {"t", "m/a.W", "v/a.W", "m/a.b", "v/a.b"}


def test_make_optimizer_builds_each_kind():
    assert isinstance(make_optimizer("adam"), Adam) and isinstance(make_optimizer("adagrad"), Adagrad)
    assert make_optimizer("sgd", momentum=0.5).momentum == 0.5


def test_make_optimizer_rejects_unknown_names_with_value_error():
    with pytest.raises(ValueError, match="nadam"):
        make_optimizer("nadam")


def test_l2_decays_matrices_only():
    params, grads = setup()
    g = {k: v.copy() for k, v in grads[0].items()}
    add_l2(params, g, 0.1)
    assert np.allclose(g["a.W"], grads[0]["a.W"] + 0.1 * params["a.W"])
    assert np.array_equal(g["a.b"], grads[0]["a.b"])


def test_l2_of_zero_changes_nothing():
    params, grads = setup()
    g = {k: v.copy() for k, v in grads[0].items()}
    add_l2(params, g, 0.0)
    assert all(np.array_equal(g[k], grads[0][k]) for k in g)


def test_clipping_scales_every_gradient_to_the_max_norm_and_reports_both_norms():
    _, grads = setup()
    g = grads[0]
    norm = math.sqrt(sum((v**2).sum() for v in g.values()))
    original = {k: v.copy() for k, v in g.items()}
    before, after = clip_by_global_norm(g, 0.5)
    assert before == pytest.approx(norm) and after == 0.5
    assert global_norm(g) == pytest.approx(0.5)
    assert all(np.allclose(g[k], original[k] * 0.5 / norm) for k in g)


@pytest.mark.parametrize("max_norm", [0, 1000.0])
def test_clipping_leaves_small_gradients_alone_and_zero_turns_it_off(max_norm):
    _, grads = setup()
    g = grads[0]
    original = {k: v.copy() for k, v in g.items()}
    before, after = clip_by_global_norm(g, max_norm)
    assert before == after == pytest.approx(global_norm(original))
    assert all(np.array_equal(g[k], original[k]) for k in g)


@pytest.mark.parametrize(("schedule", "step", "expected"), [
    ("constant", 1, 0.1), ("constant", 10**6, 0.1),
    ("inverse", 1, 0.1), ("inverse", 100, 0.1), ("inverse", 200, 0.05), ("inverse", 400, 0.025),
    ("exponential", 100, 0.05), ("exponential", 200, 0.025), ("exponential", 50, 0.1 / math.sqrt(2)),
    ("cosine", 0, 0.1), ("cosine", 50, 0.05), ("cosine", 100, 0.0), ("cosine", 500, 0.0),
])
def test_schedule_values(schedule, step, expected):
    assert scheduled_lr(0.1, schedule, step, 100) == pytest.approx(expected, abs=1e-15)


def test_cosine_floor_is_min_lr_ratio():
    assert scheduled_lr(0.1, "cosine", 100, 100, min_lr_ratio=0.1) == pytest.approx(0.01)
    assert scheduled_lr(0.1, "cosine", 50, 100, min_lr_ratio=0.1) == pytest.approx(0.055)


def test_inverse_is_the_originals_decay():
    tau = 1500
    assert [scheduled_lr(0.008, "inverse", t, tau) for t in (1, 1500, 3000, 6000)] == pytest.approx(
        [0.008, 0.008, 0.004, 0.002])


def test_unknown_schedule_raises_value_error():
    with pytest.raises(ValueError, match="schedule must be one of"):
        scheduled_lr(0.1, "step", 1, 10)
