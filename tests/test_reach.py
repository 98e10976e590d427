"""Reach: which n a network gets right, from its own passes, on hand-built predictors whose answers are known."""
import csv
import re

import numpy as np
import pytest
from helpers import run_cli

from rnncore import Embedding, Network, Reach, TrainConfig, Trainer, datasets, parse_layers, reach
from rnncore.reach import MAX_REACH, PARITY_RUN, anbn_reach, anbn_string, default_up_to, parity_reach, parity_runs
from rnncore.tasks import TASKS

A, B, END = range(3)


class Stub:
    """`run_rows` as Network has it, from `predict(row) -> (len(row), V)` log-probabilities; `step_bytes` big
    enough that each pass takes `rows_per_pass` rows at most, so that batching is exercised."""

    def __init__(self, predict, rows_per_pass=1000):
        self.predict, self.rows_per_pass, self.passes = predict, rows_per_pass, []

    def step_bytes(self, batch, steps):
        return 0 if batch <= self.rows_per_pass else reach.PASS_BYTES + 1

    def run_rows(self, x):
        self.passes.append(x.shape)
        return np.stack([self.predict(row) for row in x]), {}


def one_hot(symbols, vocab):
    out = np.full((len(symbols), vocab), -10.0)
    out[np.arange(len(symbols)), symbols] = 0.0
    return out


def counter(limit, slips=()):
    """An anbn predictor that counts the a's up to `limit` and then loses count (it ends the b's after `limit` of
    them); for n in `slips` it says T one b too early."""
    def predict(row):
        symbols = []
        for t in range(len(row)):
            a, b = int((row[:t + 1] == A).sum()), int((row[:t + 1] == B).sum())
            counted = min(a, limit) - (a in slips)
            symbols.append(A if b == 0 else B if b < counted else END)  # after T, anything
        return one_hot(symbols, 3)
    return predict


def test_anbn_is_right_exactly_for_the_n_a_predictor_counts_to():
    got = anbn_reach(Stub(counter(25, slips=(7,))), 40, 10)
    assert got.right.tolist() == [n <= 25 and n != 7 for n in range(1, 41)]
    assert (got.largest, got.up_to, got.trained) == (6, 40, 10)
    assert anbn_reach(Stub(counter(25)), 40, 10).largest == 25


def test_anbn_counts_neither_the_as_nor_the_first_b():
    def wrong_where_nothing_is_determined(row):
        logp = counter(1000)(row)
        b = np.cumsum(row == B)
        logp[b == 0] = one_hot([END] * int((b == 0).sum()), 3)  # says T while the a's come, and after the first a
        return logp
    assert anbn_reach(Stub(wrong_where_nothing_is_determined), 30, 10).largest == 30


def test_batching_changes_nothing_and_each_pass_is_bounded():
    one_at_a_time, together = Stub(counter(20, slips=(3,)), rows_per_pass=1), Stub(counter(20, slips=(3,)))
    assert np.array_equal(anbn_reach(one_at_a_time, 30, 10).right, anbn_reach(together, 30, 10).right)
    assert len(one_at_a_time.passes) == 30 and len(together.passes) == 1
    assert together.passes[0] == (30, 60)  # a^30 b^30, the T left out: nothing is predicted after it


def remembering(zeros, forget_after_even=None):
    """A parity predictor that prefers the right digit after up to `zeros` zeros and then the odd one; with
    `forget_after_even` = k, runs ending in an even digit are forgotten after k zeros already."""
    def predict(row):
        logp = np.full((len(row), 10), -5.0)
        last = row[PARITY_RUN - 1]
        memory = zeros if last % 2 or forget_after_even is None else forget_after_even
        for t in range(PARITY_RUN, len(row)):
            gap = t - PARITY_RUN + 1
            logp[t, 0] = -0.1  # another zero is likeliest: only 1 against 2 counts
            logp[t, 2 - last % 2 if gap <= memory else 1] = -1.0
        return logp
    return predict


def test_parity_is_right_while_every_run_is_remembered():
    assert parity_reach(Stub(remembering(30)), 50, 16).right.tolist() == [n <= 30 for n in range(1, 51)]
    shorter = parity_reach(Stub(remembering(30, forget_after_even=12)), 50, 16)
    assert (shorter.largest, shorter.trained, shorter.up_to) == (12, 16, 50)


def test_parity_runs_end_in_every_digit_and_step_through_its_cycle():
    runs = parity_runs()
    assert [int(r[-1]) for r in runs] == list(range(1, 9))
    assert all(len(r) == PARITY_RUN and len({d % 2 for d in r}) == 1 for r in runs)
    assert runs[0].tolist() == [3, 5, 7, 1] and runs[7].tolist() == [2, 4, 6, 8]


class OracleNet(Stub):
    """The task's own optimal predictor as a network: right exactly where its training process goes."""

    def __init__(self, data):
        super().__init__(lambda row: np.log(data.oracle(np.append(row, 0))))


@pytest.mark.parametrize("name, trained", [("anbn:10", 10), ("anbn:7", 7), ("parity:16", 16), ("parity:5", 5)])
def test_the_tasks_own_oracle_reaches_exactly_its_training_range(name, trained):
    data = datasets.load(name)
    with np.errstate(divide="ignore", invalid="ignore"):
        got = data.reach(OracleNet(data), 40)
    assert got.right.tolist() == [n <= trained for n in range(1, 41)] and got.largest == trained


def test_largest_is_the_n_before_the_first_wrong_one():
    assert Reach(np.array([True, True, False, True]), 2).largest == 2
    assert Reach(np.array([False, True]), 2).largest == 0
    assert Reach(np.ones(5, bool), 2).largest == 5


@pytest.mark.parametrize("name", ["xor", "letters", "toy", "digits"])
def test_a_task_without_reach_says_which_tasks_have_one(name):
    with pytest.raises(ValueError, match=rf"^{name} has no reach: it is measured on parity\[:GAP\] and anbn\[:N\]"):
        datasets.load(name).reach(Network(len(datasets.load(name).vocab), [Embedding(4)]))


def test_the_tasks_with_a_reach_are_those_the_message_names():
    have = [task.usage for task in TASKS.values() if datasets.load(task.name).reach_probe is not None]
    assert " and ".join(have) == reach.REACHING


@pytest.mark.parametrize("up_to", [0, MAX_REACH + 1, 2.5, True])
def test_an_up_to_out_of_range_is_refused_in_words(up_to):
    with pytest.raises(ValueError, match=f"from 1 to {MAX_REACH}, got {up_to!r}"):
        datasets.load("anbn").reach(Network(3, [Embedding(4)]), up_to)


def test_the_reach_goes_to_100_or_three_times_the_training_range():
    assert [default_up_to(n) for n in (10, 33, 34, 500, 1000)] == [100, 100, 102, 1500, MAX_REACH]
    assert datasets.load("anbn:40").reach(Network(3, [Embedding(4)])).up_to == 120


@pytest.mark.parametrize("layers", ["lstm:8", "rnn:8,gru:6"])
def test_a_network_is_judged_on_its_own_passes_one_string_at_a_time(layers, monkeypatch):
    data = datasets.load("anbn:10")
    net = Network(3, [Embedding(4), *parse_layers(layers)], seed=0)
    trainer = Trainer(net, data, TrainConfig(eval_every=0, l2=0, lr=0.03))
    for _ in range(150):  # right up to n = 22 (lstm:8), or right and wrong by turns (rnn:8,gru:6)
        trainer.train_step()
    strings = [anbn_string(n) for n in range(1, 31)]
    by_string = [bool((net.run(s[:-1]).logp[n:].argmax(-1) == s[n + 1:]).all()) for n, s in enumerate(strings, 1)]
    monkeypatch.setattr(reach, "PASS_BYTES", net.step_bytes(4, 30))  # several passes
    assert data.reach(net, 30).right.tolist() == by_string and 0 < sum(by_string) < 30
    for row, logp in zip(strings, reach._logps(net, strings), strict=True):
        np.testing.assert_allclose(logp, net.run(row).logp, rtol=1e-5, atol=1e-6)


def test_train_prints_the_reach_at_each_evaluation_and_logs_it(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "train", "--data", "anbn:6", "--embed", 4, "--layers", "lstm:4", "--steps", 12,
                           "--eval-every", 4, "--report-every", 8, "--reach", 30, "--log", tmp_path / "m.csv")
    reported = [line for line in out.splitlines() if line.startswith("[develop]")]
    assert code == 0 and len(reported) == 2 and all(re.search(r", reach=\d+ of 30 \(trained up to 6\)$", line)
                                                     for line in reported)
    assert re.search(r"accuracy=[\d.]+, reach=\d+ of 30 \(trained up to 6\), ", out.splitlines()[-1])
    with open(tmp_path / "m.csv", newline="") as f:
        measured = [(row["step"], row["reach"]) for row in csv.DictReader(f) if row["reach"]]
    assert [step for step, _ in measured] == ["4", "12"]  # printed at 4 (and then 12, 8 steps on), and the last
    assert measured[-1][1] == re.search(r"reach=(\d+)", out.splitlines()[-1])[1]


@pytest.mark.parametrize("argv, message", [
    (["--data", "xor", "--reach", "50"], "--reach 50: xor has no reach: it is measured on parity[:GAP] and anbn[:N]"),
    (["--data", "anbn", "--reach", "3000"], f"--reach 3000: the reach is measured up to an n from 1 to {MAX_REACH}"),
])
def test_train_refuses_a_reach_it_cannot_measure_before_training(argv, message, capsys):
    code, out, err = run_cli(capsys, "train", *argv, "--steps", 5)
    assert code == 2 and message in err and "trained" not in out
