"""Optimizers, weight decay, clipping and schedules, checked against torch.optim itself in float64."""
import math

import numpy as np
import pytest
import torch

from rnncore import RNN, Dense, Embedding, Network, TrainConfig, Trainer, datasets
from rnncore.optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    add_l2,
    clip_by_global_norm,
    global_norm,
    make_optimizer,
    scheduled_lr,
)

TORCH = {  # our name -> (torch.optim class, its options); momentum is ours too
    "sgd": (torch.optim.SGD, {}),
    "sgd-momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "adagrad": (torch.optim.Adagrad, {}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
}


def setup(seed=0):
    rng = np.random.default_rng(seed)
    params = {"a.W": rng.standard_normal((3, 2)), "a.b": rng.standard_normal(2)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(3)]
    return params, grads


def run(optimizer, params, grads, lr, l2=0.0):
    """Apply each gradient dict in turn; the arrays must be updated in place."""
    arrays = dict(params)
    for g in grads:
        optimizer.update(params, {k: v.copy() for k, v in g.items()}, lr, l2)
    assert all(params[k] is arrays[k] for k in params)
    return params


def ours(kind):
    name = kind.split("-")[0]
    return make_optimizer(name, momentum=TORCH[kind][1].get("momentum", 0.0))


class TorchTwin:
    """The same parameters under torch.optim: matrices decay, biases sit in a group with weight_decay=0."""

    def __init__(self, kind, params, lr, l2):
        self.tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
        decayed = [t for t in self.tensors.values() if t.ndim == 2]
        free = [t for t in self.tensors.values() if t.ndim != 2]
        cls, options = TORCH[kind]
        groups = [{"params": decayed, "weight_decay": l2}, {"params": free, "weight_decay": 0.0}]
        self.optimizer = cls(groups, lr=lr, **options)

    def step(self, grads, clip=0.0):
        for k, t in self.tensors.items():
            t.grad = torch.tensor(grads[k])
        if clip:
            torch.nn.utils.clip_grad_norm_(list(self.tensors.values()), clip)
        self.optimizer.step()

    def params(self):
        return {k: t.detach().numpy() for k, t in self.tensors.items()}


def assert_same(params, expected, tol=1e-12):
    for k in expected:
        assert np.max(np.abs(params[k] - expected[k])) < tol, k


@pytest.mark.parametrize("kind", sorted(TORCH))
@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_each_optimizer_takes_torchs_steps(kind, l2):
    params, grads = setup()
    twin = TorchTwin(kind, params, lr=0.05, l2=l2)
    optimizer = ours(kind)
    for g in grads * 2:
        run(optimizer, params, [g], 0.05, l2)
        twin.step(g)
        assert_same(params, twin.params())


def torch_scheduler(schedule, optimizer, decay_steps):
    if schedule == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5 ** (1 / decay_steps))
    if schedule == "cosine":  # ours stays at the floor after decay_steps; torch's rises again, so stay short of it
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=decay_steps)
    factor = {"constant": lambda t: 1.0, "inverse": lambda t: decay_steps / max(t, decay_steps)}[schedule]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def recording_trainer(config):
    """A float64 trainer that keeps a copy of each step's raw gradients, before clipping or decay."""
    net = Network(10, [Embedding(3), RNN(4), Dense(3, "tanh")], seed=3, dtype=np.float64)
    trainer = Trainer(net, datasets.digits(count=30, seed=1), config)
    raw, run_batch = [], net.run_batch

    def recorded(*args):
        result = run_batch(*args)
        raw.append({k: g.copy() for k, g in result.grads.items()})
        return result

    net.run_batch = recorded
    return trainer, raw


@pytest.mark.parametrize("kind", sorted(TORCH))
@pytest.mark.parametrize(("schedule", "decay_steps"), [("constant", 1), ("inverse", 3), ("exponential", 4),
                                                       ("cosine", 12)])
def test_a_training_step_is_torchs_clip_then_step_then_scheduler_step(kind, schedule, decay_steps):
    lr, l2, clip = 0.2, 0.05, 0.5
    config = TrainConfig(lr=lr, schedule=schedule, decay_steps=decay_steps, optimizer=kind.split("-")[0],
                         momentum=TORCH[kind][1].get("momentum", 0.0), l2=l2, clip=clip, batch_size=4, bptt=5,
                         eval_every=0, dtype="float64")
    trainer, raw = recording_trainer(config)
    twin = TorchTwin(kind, trainer.net.params, lr, l2)
    scheduler = torch_scheduler(schedule, twin.optimizer, decay_steps)
    clipped = 0
    for _ in range(10):
        event = trainer.train_step()
        assert event.lr == pytest.approx(scheduler.get_last_lr()[0], rel=1e-12)
        twin.step(raw[-1], clip)
        scheduler.step()
        assert_same(trainer.net.params, twin.params())
        clipped += event.grad_norm > clip
    assert clipped >= 3  # clipping really acted, so its order with the decay was tested


def test_adam_state_keys_are_the_ones_checkpoints_have_always_held():
    params, grads = setup()
    adam = Adam()
    run(adam, params, grads, 0.01)
    assert adam.state["t"][0] == 3
    assert set(adam.state) == {"t", "m/a.W", "v/a.W", "m/a.b", "v/a.b"}


def test_adamw_decays_matrices_outside_the_moments():
    params, grads = setup()
    zero = [{k: np.zeros_like(v) for k, v in g.items()} for g in grads[:1]]
    start = {k: v.copy() for k, v in params.items()}
    run(AdamW(), params, zero, 0.1, l2=0.5)
    assert np.allclose(params["a.W"], start["a.W"] * 0.95, rtol=1e-15) and np.array_equal(params["a.b"], start["a.b"])


def test_sgd_velocity_holds_no_learning_rate():
    params, grads = setup()
    sgd = SGD(momentum=0.5)
    run(sgd, params, grads[:2], 0.3)
    assert np.allclose(sgd.state["velocity/a.b"], 0.5 * grads[0]["a.b"] + grads[1]["a.b"], rtol=1e-15)


def test_make_optimizer_builds_each_kind():
    assert isinstance(make_optimizer("adam"), Adam) and isinstance(make_optimizer("adagrad"), Adagrad)
    assert type(make_optimizer("adamw")) is AdamW
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


def test_clipping_scales_every_gradient_as_torch_does_and_reports_both_norms():
    _, grads = setup()
    g = grads[0]
    tensors = [torch.tensor(v) for v in g.values()]
    for t in tensors:
        t.grad = t.clone()
    torch_norm = torch.nn.utils.clip_grad_norm_(tensors, 0.5)
    before, after = clip_by_global_norm(g, 0.5)
    assert before == pytest.approx(float(torch_norm), rel=1e-14) and after == pytest.approx(0.5, rel=1e-5)
    assert global_norm(g) == pytest.approx(after, rel=1e-14)
    assert all(np.allclose(v, t.grad.numpy(), rtol=1e-14, atol=0) for v, t in zip(g.values(), tensors, strict=True))


@pytest.mark.parametrize("max_norm", [0, 1000.0])
def test_clipping_leaves_small_gradients_alone_and_zero_turns_it_off(max_norm):
    _, grads = setup()
    g = grads[0]
    original = {k: v.copy() for k, v in g.items()}
    before, after = clip_by_global_norm(g, max_norm)
    assert before == after == pytest.approx(global_norm(original))
    assert all(np.array_equal(g[k], original[k]) for k in g)


@pytest.mark.parametrize(("schedule", "step", "expected"), [
    ("constant", 0, 0.1), ("constant", 10**6, 0.1),
    ("inverse", 0, 0.1), ("inverse", 100, 0.1), ("inverse", 200, 0.05), ("inverse", 400, 0.025),
    ("exponential", 0, 0.1), ("exponential", 100, 0.05), ("exponential", 200, 0.025),
    ("exponential", 50, 0.1 / math.sqrt(2)),
    ("cosine", 0, 0.1), ("cosine", 50, 0.05), ("cosine", 100, 0.0), ("cosine", 500, 0.0),
])
def test_schedule_values(schedule, step, expected):
    assert scheduled_lr(0.1, schedule, step, 100) == pytest.approx(expected, abs=1e-15)


def test_cosine_floor_is_min_lr_ratio():
    assert scheduled_lr(0.1, "cosine", 100, 100, min_lr_ratio=0.1) == pytest.approx(0.01)
    assert scheduled_lr(0.1, "cosine", 50, 100, min_lr_ratio=0.1) == pytest.approx(0.055)


def test_inverse_is_the_originals_decay():
    tau = 1500
    assert [scheduled_lr(0.008, "inverse", t, tau) for t in (0, 1500, 3000, 6000)] == pytest.approx(
        [0.008, 0.008, 0.004, 0.002])


def test_unknown_schedule_raises_value_error():
    with pytest.raises(ValueError, match="schedule must be one of"):
        scheduled_lr(0.1, "step", 1, 10)
