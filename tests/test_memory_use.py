"""The memory use: where memory matters, the share a network predicts as one with memory would (issue 21: a chart
that moves when the memory is found)."""
import numpy as np
import pytest

from rnncore import RNN, Embedding, Network, TrainConfig, Trainer, datasets
from rnncore.dataset import memoryless


def make(data, **config):
    return Trainer(Network(len(data.vocab), [Embedding(4), RNN(8)], seed=0), data, TrainConfig(**config))


def take(trainer, n):
    return [event for _, event in zip(range(n), trainer.steps(), strict=False)]


def test_the_targets_where_memory_matters_are_where_the_optimum_and_the_memoryless_guess_part():
    data = datasets.load("xor")  # bit triples a, b, a XOR b
    memory = data.memory_targets
    targets = np.concatenate([s[1:] for s in data.eval])
    assert memory.shape == targets.shape and memory.sum() == data.optimum.memory_targets == len(targets) // 3
    position = np.concatenate([np.arange(1, len(s)) % 3 for s in data.eval])  # 2: a XOR b
    assert set(position[memory]) == {2}  # exactly the targets a XOR b, which need the bit before b
    assert datasets.load("digits").memory_targets is None and datasets.load("digits").optimum.memory_targets == 0


def test_the_memory_use_is_1_for_the_optimum_and_0_for_the_best_predictor_without_memory():
    data = datasets.load("parity:16")
    probs, _, current = data._oracle_rows
    assert data.memory_use(probs) == 1.0
    assert data.memory_use(memoryless(probs, current)) == 0.0
    assert datasets.load("toy").memory_use(np.full((71, 10), 0.1)) is None


def test_an_evaluation_gives_the_memory_use_with_the_overall_figures():
    data = datasets.load("parity:8")
    trainer = make(data, eval_every=5, bptt=0)
    event = take(trainer, 5)[-1]
    evaluation = trainer.evaluation()
    assert (event.eval_accuracy, event.eval_cost, event.eval_memory_use) == evaluation
    assert evaluation[:2] == pytest.approx(trainer.evaluate())
    accuracy, cost = [], []
    for x, y, mask in data.eval_batches():
        c, k, n = trainer.net.evaluate(x, y, mask)
        accuracy.append(k), cost.append(c)
    assert evaluation.accuracy == sum(accuracy) / data.n_eval_targets()
    assert evaluation.cost == pytest.approx(sum(cost) / data.n_eval_targets(), rel=1e-6)
    probs = np.concatenate([np.exp(trainer.net.run_rows(x)[0])[m.astype(bool)] for x, _, m in data.eval_batches()])
    assert evaluation.memory_use == data.memory_use(probs)
    assert make(datasets.load("digits")).evaluation().memory_use is None


def test_the_memory_use_rises_when_a_network_finds_the_memory():
    data = datasets.load("parity:8")
    net = Network(len(data.vocab), [Embedding(16), RNN(32)], seed=0)
    trainer = Trainer(net, data, TrainConfig(eval_every=25, lr=0.01))
    events = [e for e in take(trainer, 400) if e.eval_cost is not None]
    assert events[0].eval_cost > data.optimum.memoryless_loss and events[0].eval_memory_use < 0.2
    found = [e for e in events if e.eval_cost < data.optimum.memoryless_loss - 0.02]
    assert found and found[-1].eval_memory_use > 0.6
