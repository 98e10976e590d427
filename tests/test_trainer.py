"""Trainer: events, live config changes, determinism, divergence handling, resuming and learning."""
import math

import numpy as np
import pytest
from helpers import params_of

from rnncore import RNN, Embedding, Network, StepEvent, TrainConfig, Trainer, datasets
from rnncore.network import BatchResult


def small_net(seed=0, vocab=10):
    return Network(vocab, [Embedding(4), RNN(8)], seed=seed)


def make(data=None, seed=0, **config):
    data = data or datasets.toy()
    return Trainer(small_net(seed, len(data.vocab)), data, TrainConfig(**{"eval_every": 0, **config}))


def take(trainer, n):
    return [event for _, event in zip(range(n), trainer.steps(), strict=False)]  # range first: no extra step


def same_params(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_steps_yield_filled_step_events():
    trainer = make(lr=0.02, clip=1.0)
    events = take(trainer, 3)
    assert all(isinstance(e, StepEvent) for e in events) and [e.step for e in events] == [1, 2, 3]
    first = events[0]
    assert first.epoch == 1.0 and first.tokens == 17 + 15 and first.lr == 0.02
    assert math.isfinite(first.loss) and first.loss > 0 and first.tokens_per_sec > 0
    assert 0 < first.clipped_norm <= min(first.grad_norm, 1.0)
    assert not first.skipped and not first.diverged and first.eval_accuracy is None


def test_eval_runs_every_eval_every_steps_and_matches_evaluate():
    trainer = make(eval_every=3)
    events = take(trainer, 9)
    assert [e.step for e in events if e.eval_accuracy is not None] == [3, 6, 9]
    assert all(e.eval_cost is not None for e in events if e.eval_accuracy is not None)
    assert (events[-1].eval_accuracy, events[-1].eval_cost) == trainer.evaluate()
    assert events[-1].eval_accuracy * 71 == pytest.approx(round(events[-1].eval_accuracy * 71))


def test_changing_lr_between_steps_scales_the_next_update():
    a, b = make(optimizer="sgd", lr=0.01, clip=0), make(optimizer="sgd", lr=0.01, clip=0)
    take(a, 2), take(b, 2)
    before = params_of(a.net)
    b.configure(lr=0.03)
    event_a, event_b = a.train_step(), b.train_step()
    assert (event_a.lr, event_b.lr) == (0.01, 0.03)
    for k in before:
        assert np.allclose(b.net.params[k] - before[k], 3 * (a.net.params[k] - before[k]), atol=1e-7), k


def test_changing_the_optimizer_starts_it_fresh():
    trainer = make(optimizer="adam")
    take(trainer, 3)
    assert trainer.optimizer.state["t"][0] == 3
    trainer.configure(optimizer="sgd", momentum=0.5)
    trainer.train_step()
    assert trainer.optimizer.name == "sgd" and trainer.optimizer.momentum == 0.5
    trainer.configure(optimizer="adam")
    trainer.train_step()
    assert trainer.optimizer.name == "adam" and trainer.optimizer.state["t"][0] == 1


def record_batch_shapes(trainer, monkeypatch):
    shapes, run = [], trainer.net.run_batch

    def spy(x, y, mask=None, state=None):
        shapes.append(np.shape(x))
        return run(x, y, mask, state)

    monkeypatch.setattr(trainer.net, "run_batch", spy)
    return shapes


def test_changing_batch_size_and_bptt_takes_effect_at_the_next_step(monkeypatch):
    trainer = make(datasets.digits(count=60, min_len=12, max_len=12), batch_size=4, bptt=5)
    shapes = record_batch_shapes(trainer, monkeypatch)
    take(trainer, 3)
    trainer.configure(batch_size=16, bptt=0)
    take(trainer, 1)
    trainer.configure(batch_size=2, bptt=3)
    take(trainer, 1)
    assert shapes == [(4, 5), (4, 5), (4, 1), (16, 11), (2, 3)]


def test_changing_dtype_casts_the_network_at_the_next_step():
    trainer = make()
    trainer.train_step()
    trainer.configure(dtype="float64")
    assert math.isfinite(trainer.train_step().loss)
    assert all(p.dtype == np.float64 for p in trainer.net.params.values())


def test_same_seed_and_config_give_bit_identical_losses():
    def losses():
        return [e.loss for e in take(make(datasets.digits(count=20), seed=3, batch_size=4, bptt=6), 200)]
    first = losses()
    assert first == losses() and len(set(first)) > 100


def test_a_different_shuffle_seed_changes_the_run():
    def losses(seed):
        return [e.loss for e in take(make(datasets.digits(count=20), batch_size=4, seed=seed), 10)]
    assert losses(0) != losses(1)


def nan_grads(net):
    def run_batch(x, y, mask=None, state=None):
        return BatchResult(1.0, {k: np.full_like(v, np.nan) for k, v in net.params.items()}, None)
    return run_batch


def nan_loss(net):
    def run_batch(x, y, mask=None, state=None):
        return BatchResult(float("nan"), {k: np.zeros_like(v) for k, v in net.params.items()}, None)
    return run_batch


@pytest.mark.parametrize("broken", [nan_grads, nan_loss])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_non_finite_step_changes_no_weight_and_is_reported_skipped(monkeypatch, broken, optimizer):
    trainer = make(optimizer=optimizer)
    take(trainer, 2)
    before, opt_before = params_of(trainer.net), {k: v.copy() for k, v in trainer.optimizer.state.items()}
    monkeypatch.setattr(trainer.net, "run_batch", broken(trainer.net))
    event = trainer.train_step()
    assert event.skipped and event.diverged and event.step == 3
    assert same_params(before, trainer.net.params)
    assert same_params(opt_before, trainer.optimizer.state)


def test_an_update_that_overflows_rolls_back_to_the_kept_weights(monkeypatch):
    trainer = make(optimizer="sgd", keep_every=2)
    take(trainer, 2)
    kept = params_of(trainer.net)
    take(trainer, 1)

    def overflow(params, grads, lr, l2):
        params["rnn0.Whh"][0, 0] = np.inf

    monkeypatch.setattr(trainer.optimizer, "update", overflow)
    event = trainer.train_step()
    assert event.skipped and same_params(kept, trainer.net.params)


def test_a_huge_learning_rate_never_leaves_non_finite_weights_and_reports_divergence():
    trainer = make(optimizer="sgd", lr=10.0, clip=0, batch_size=1)
    diverged = 0
    for event in take(trainer, 150):
        diverged += event.diverged
        assert all(np.isfinite(p).all() for p in trainer.net.params.values())
    assert diverged > 0


def test_rollback_returns_to_the_kept_weights_and_optimizer_state():
    trainer = make(optimizer="adam", keep_every=1000)
    take(trainer, 4)
    trainer.keep_good()
    kept, kept_opt = params_of(trainer.net), {k: v.copy() for k, v in trainer.optimizer.state.items()}
    take(trainer, 5)
    assert not same_params(kept, trainer.net.params)
    assert trainer.rollback() == 4
    assert same_params(kept, trainer.net.params) and same_params(kept_opt, trainer.optimizer.state)


def test_rollback_before_any_keep_returns_to_the_starting_weights():
    trainer = make()
    start = params_of(trainer.net)
    take(trainer, 3)
    assert trainer.rollback() == 0 and same_params(start, trainer.net.params)


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "adagrad"])
def test_state_dict_resume_gives_the_same_losses_as_an_uninterrupted_run(optimizer):
    config = {"batch_size": 4, "bptt": 5, "optimizer": optimizer, "momentum": 0.9 if optimizer == "sgd" else 0.0}
    data = datasets.digits(count=30, seed=1)
    whole = make(data, **config)
    expected = [e.loss for e in take(whole, 40)]
    first = make(data, **config)
    take(first, 17)  # mid-epoch, with a hidden state carried into the next chunk
    state, weights = first.state_dict(), params_of(first.net)
    assert first.hidden is not None
    take(first, 5)  # the saved state must not follow the live trainer
    net = small_net()
    for k, v in weights.items():
        net.params[k][...] = v
    resumed = Trainer(net, data, state=state)
    assert [e.loss for e in take(resumed, 23)] == expected[17:]
    assert resumed.step == 40


def test_trainer_rejects_a_vocabulary_mismatch():
    with pytest.raises(ValueError, match="vocabulary"):
        Trainer(Network(5, [Embedding(2)]), datasets.toy())


def test_a_bad_config_change_is_refused_and_the_old_config_stays():
    trainer = make()
    before = trainer.config
    with pytest.raises(ValueError, match="lr must be"):
        trainer.configure(lr=-1)
    assert trainer.config is before and trainer.train_step().lr == before.lr


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adam_reaches_the_toy_ceiling_of_70_of_71(seed):
    trainer = Trainer(Network(10, [Embedding(8), RNN(16)], seed=seed), datasets.toy(),
                      TrainConfig(lr=0.01, optimizer="adam", eval_every=10))
    best = 0.0
    for event in take(trainer, 600):
        best = max(best, event.eval_accuracy or 0.0)
        if best >= 70 / 71:
            break
    assert best == pytest.approx(70 / 71)


def test_the_loss_falls_on_digits():
    trainer = make(datasets.digits(count=100, seed=0), batch_size=16, lr=0.01, eval_every=50)
    events = take(trainer, 100)
    assert np.mean([e.loss for e in events[-10:]]) < 0.6 * np.mean([e.loss for e in events[:10]])
    assert events[-1].eval_accuracy > 0.6


def text_data(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. " * 12)
    return datasets.text(path)


def test_a_text_stream_trains_with_carried_state_and_resumes_exactly(tmp_path):
    data = text_data(tmp_path)
    config = {"batch_size": 4, "bptt": 8, "lr": 0.02}
    whole = make(data, **config)
    expected = [e.loss for e in take(whole, 60)]
    assert np.mean(expected[-5:]) < 0.7 * np.mean(expected[:5])
    first = make(data, **config)
    take(first, 33)
    state, weights = first.state_dict(), params_of(first.net)
    net = small_net(vocab=len(data.vocab))
    for k, v in weights.items():
        net.params[k][...] = v
    assert [e.loss for e in take(Trainer(net, data, state=state), 27)] == expected[33:]


def test_a_data_set_without_training_targets_raises_value_error():
    data = datasets.Dataset("none", datasets.toy().vocab, [], datasets.toy().eval)
    with pytest.raises(ValueError, match="no training targets"):
        make(data).train_step()


def test_a_step_the_machine_cannot_hold_is_refused_with_the_estimate(monkeypatch, tmp_path):
    (tmp_path / "t.txt").write_text("the cat sat on the mat. " * 10_000)
    data = datasets.load(str(tmp_path / "t.txt"))
    trainer = Trainer(Network(len(data.vocab), [Embedding(8), RNN(256)]), data, TrainConfig(batch_size=4, bptt=8))
    monkeypatch.setattr("rnncore.budget.available_bytes", lambda: 2_000_000_000)
    with pytest.raises(ValueError, match=r"batch 4096 x \d+ steps would take about [\d.]+ GB of memory; the limit "
                                         r"is 1.0 GB, half of the 2.0 GB this machine has free"):
        trainer.configure(batch_size=4096, bptt=10_000)
    assert trainer.config.batch_size == 4 and math.isfinite(trainer.train_step().loss)


def test_a_network_the_machine_cannot_build_is_refused_before_a_weight_is_drawn(monkeypatch):
    monkeypatch.setattr("rnncore.budget.available_bytes", lambda: 200_000_000)
    with pytest.raises(ValueError, match=r"a network of [\d,]+ parameters would take about [\d.]+ MB"):
        Network(10, [Embedding(8), RNN(2048)])
    assert Network(10, [Embedding(8), RNN(256)]).n_params() > 0
