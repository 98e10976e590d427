"""The memory use: where memory matters, the share of what memory is worth that a network's eval cost has gained
(issue 21: a chart that moves when the memory is found; it moves whenever the header says the memory is found)."""
import numpy as np
import pytest

from rnncore import RNN, Embedding, Network, TrainConfig, Trainer, datasets
from rnncore.dataset import MEMORY_MARGIN, MEMORY_SHARE


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


def test_the_memory_use_is_0_without_memory_and_1_at_the_best_possible():
    data = datasets.load("parity:16")
    best = data.optimum
    assert data.memory_use(best.loss) == 1.0 and data.memory_use(best.loss - 0.01) == 1.0  # below: by chance
    assert data.memory_use(best.memoryless_loss) == 0.0 and data.memory_use(2.3) == 0.0
    assert data.memory_use((best.loss + best.memoryless_loss) / 2) == pytest.approx(0.5)
    assert datasets.load("toy").memory_use(0.03) is None


@pytest.mark.parametrize("task", ["parity", "parity:16", "parity:64", "xor", "letters", "anbn"])
def test_the_memory_is_found_exactly_when_the_memory_use_passes_its_share(task):
    """The header's "memory found" and the chart's memory use never disagree (on parity:64 they did: the chart,
    then a share of 41 targets, stayed at 0 while the header said found)."""
    best = datasets.load(task).optimum
    worth = best.memoryless_loss - best.loss
    share = min(MEMORY_MARGIN / worth, MEMORY_SHARE)
    for cost in np.linspace(best.loss - 0.05, best.memoryless_loss + 0.05, 401):
        use = best.memory_use(cost)
        if abs(use - share) > 1e-9:  # not on the edge itself, where rounding decides
            assert best.found_memory(cost) == (use > share)


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
    assert evaluation.memory_use == data.memory_use(evaluation.cost)
    assert make(datasets.load("digits")).evaluation().memory_use is None


def test_the_memory_use_rises_when_a_network_finds_the_memory():
    data = datasets.load("parity:8")
    net = Network(len(data.vocab), [Embedding(16), RNN(32)], seed=0)
    trainer = Trainer(net, data, TrainConfig(eval_every=25, lr=0.01))
    events = [e for e in take(trainer, 400) if e.eval_cost is not None]
    assert events[0].eval_cost > data.optimum.memoryless_loss and events[0].eval_memory_use < 0.2
    found = [e for e in events if e.eval_cost < data.optimum.memoryless_loss - 0.02]
    assert found and found[-1].eval_memory_use > 0.6
