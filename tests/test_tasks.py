"""The memory tasks: each generator against its definition, each oracle and optimum against counts on
an independent sample, the registry of names, its limits and bad input."""
import math
import re
import tracemalloc
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnncore import datasets, tasks
from rnncore.tasks import TASKS

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32)
SMALL = {"n_train": 6, "n_eval": 3}


def all_seqs(data):
    return data.eval + data.train


def text_of(data, seq):
    return "".join(data.vocab.decode(seq))


# --- every sequence a generator makes is valid under its definition ----------------------------
def parity_is_valid(seq, gap):
    """Runs step through their cycle or one up; each gap holds 1 to `gap` zeros (the last may be cut
    short by the end) and is followed by the first digit of the parity before it."""
    if not 1 <= seq[0] <= 8:
        return False
    last_digit = zeros = 0
    for prev, digit in zip(seq[:-1], seq[1:], strict=True):
        last_digit = prev if prev else last_digit
        zeros = zeros + 1 if digit == 0 else 0
        if digit == 0:
            ok = zeros <= gap
        elif prev == 0:
            ok = digit == (1 if last_digit % 2 else 2)
        else:
            ok = digit in ((prev + 1) % 8 + 1, prev % 8 + 1)  # the cycle's next, or one up (8 -> 1)
        if not ok:
            return False
    return True


@FAST
@given(seeds, st.integers(1, 12))
def test_every_parity_sequence_is_valid(seed, gap):
    data = tasks.parity(gap, seed, **SMALL)
    length = round(tasks.SEGMENTS * (1 / tasks.BREAK + (gap + 1) / 2))
    assert all(len(s) == length and parity_is_valid(s.tolist(), gap) for s in all_seqs(data))


@FAST
@given(seeds)
def test_every_xor_sequence_is_triples_and_their_xor(seed):
    for s in all_seqs(tasks.xor(seed, **SMALL)):
        assert len(s) == 3 * tasks.TRIPLES + 1 and set(s.tolist()) <= {0, 1}
        assert np.array_equal(s[2::3], s[0:-1:3] ^ s[1::3])


@FAST
@given(seeds)
def test_every_letters_sequence_is_consonants_with_their_vowels(seed):
    data = tasks.letters(seed, **SMALL)
    for s in all_seqs(data):
        assert re.fullmatch(r"(ba|dii|guuu)*(b|d|di|g|gu|guu)?", text_of(data, s))
        assert len(s) == tasks.LETTERS_LENGTH


@FAST
@given(seeds, st.integers(1, 40))
def test_every_anbn_sequence_is_one_string_and_its_terminator(seed, n_max):
    data = tasks.anbn(n_max, seed, **SMALL)
    for s in all_seqs(data):
        n = len(s) // 2
        assert text_of(data, s) == "a" * n + "b" * n + "T" and 1 <= n <= n_max


@FAST
@given(seeds, st.sampled_from(["parity:1", "parity:5", "xor", "letters", "anbn:1", "anbn:7"]))
def test_the_oracle_gives_distributions_that_allow_every_generated_target(seed, name):
    task, _, value = name.partition(":")
    data = TASKS[task].build(*([int(value)] if value else []), seed, **SMALL)
    for s in all_seqs(data):
        probs = data.oracle(s)
        assert probs.shape == (len(s) - 1, len(data.vocab)) and np.allclose(probs.sum(1), 1)
        assert np.all(np.isfinite(data.optimal_costs(s)))


# --- seeds ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["digits", "parity", "parity:8", "xor", "letters", "anbn", "anbn:30"])
def test_a_seed_reproduces_its_data_and_another_seed_differs(name):
    a, b, c = datasets.load(name, 3), datasets.load(name, 3), datasets.load(name, 4)

    def same(x, y):
        return len(x) == len(y) and all(np.array_equal(s, t) for s, t in zip(x, y, strict=True))
    assert same(a.train, b.train) and same(a.eval, b.eval) and a.optimum == b.optimum
    assert not same(a.train, c.train) and not same(a.eval, c.eval)


# --- oracles and optima against counts on an independent sample ------------------------------
# The context a count is kept under comes from each definition, not from the oracle: in parity the
# next symbol depends only on the prefix from its latest digit on (the run is Markov in its digit, and a
# gap restarts from that digit's parity), in letters only on the prefix from its latest consonant on,
# in digits on the last symbol; xor needs the position in its triple and the last two bits; anbn is
# keyed by its whole prefix.
def context(name, seq, t):
    """The key of the prefix seq[:t + 1]."""
    prefix = tuple(seq[:t + 1])
    task = name.partition(":")[0]
    if task in ("parity", "letters"):
        anchors = [i for i, s in enumerate(prefix) if (s > 0 if task == "parity" else s < 3)]
        return prefix[anchors[-1]:] if anchors else prefix
    return {"digits": prefix[-1:], "xor": (t % 3, *prefix[-2:]), "anbn": prefix}[task]


def counts_of(name, sample, vocab_size):
    counts = defaultdict(lambda: np.zeros(vocab_size))
    for s in sample:
        s = s.tolist()
        for t in range(len(s) - 1):
            counts[context(name, s, t)][s[t + 1]] += 1
    return counts


SAMPLES = {"parity": 4000, "parity:6": 3000, "letters": 3000, "digits": 4000, "xor": 3000, "anbn": 10000}


def big_sample(name):
    if name == "digits":  # its generator keeps its own arguments
        return datasets.digits(count=SAMPLES[name], seed=99)
    task, _, value = name.partition(":")
    params = [int(value or TASKS[task].default)] if TASKS[task].param else []
    return TASKS[task].build(*params, 99, n_train=SAMPLES[name], n_eval=1)


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def estimate(request):
    """(name, the data set of seed 0, next-symbol counts per context over a sample of seed 99)."""
    name = request.param
    data = datasets.load(name, 0)
    return name, data, counts_of(name, all_seqs(big_sample(name)), len(data.vocab))


def test_the_oracle_matches_the_frequencies_of_a_large_sample(estimate):
    """Every oracle row agrees with the counts of its context within five binomial standard errors: a
    symbol of probability 0 or 1 exactly. Some 200 contexts by up to 10 symbols are compared, each
    sampled 50 times at least: a 5-sigma test fails by chance with odds below 1 in 10,000."""
    name, data, counts = estimate
    for s in data.eval:
        for t, row in enumerate(data.oracle(s)):
            seen = counts[context(name, s.tolist(), t)]
            n = seen.sum()
            assert n >= 50, f"{name}: context {context(name, s.tolist(), t)} sampled {n:.0f} times"
            tolerance = 5 * np.sqrt(row * (1 - row) / n) + 1e-12
            assert np.all(np.abs(seen / n - row) <= tolerance), (name, s[:t + 1], row, seen / n)


def test_the_optimum_matches_the_score_of_the_sampled_frequencies(estimate):
    """The loss and accuracy of a predictor made of the sample's frequencies, on the same eval targets.
    Its loss differs from the optimum's by the frequencies' sampling error, below 0.003 nats here;
    symbols within four standard errors of the most frequent one count as tied."""
    name, data, counts = estimate
    costs, credits = [], []
    for s in data.eval:
        for t, target in enumerate(s[1:].tolist()):
            seen = counts[context(name, s.tolist(), t)]
            freq = seen / seen.sum()
            best = freq >= freq.max() - 4 * np.sqrt(freq.max() * (1 - freq.max()) / seen.sum())
            costs.append(-math.log(freq[target]))
            credits.append(best[target] / best.sum())
    assert data.optimum.loss == pytest.approx(np.mean(costs), abs=0.01)
    assert data.optimum.accuracy == pytest.approx(np.mean(credits), abs=0.01)


def bigram_loss(name, data):
    """The eval targets' cost under a bigram table counted on another seed's sample."""
    bigram = counts_of("digits", all_seqs(big_sample(name)), len(data.vocab))  # keyed by the last symbol
    targets = [(s[t], s[t + 1]) for s in data.eval for t in range(len(s) - 1)]
    return np.mean([-math.log(bigram[(a,)][b] / bigram[(a,)].sum()) for a, b in targets])


def test_memory_is_needed_a_bigram_table_scores_clearly_below_the_optimum(estimate):
    name, data, _ = estimate
    gap = bigram_loss(name, data) - data.optimum.loss
    assert gap < 0.01 if name == "digits" else gap > 0.1


def test_the_memoryless_level_is_the_score_of_a_sampled_bigram_table(estimate):
    """`memoryless_loss`, taken from the oracle, against the bigram table's."""
    name, data, _ = estimate
    assert data.optimum.memoryless_loss == pytest.approx(bigram_loss(name, data), abs=0.01)
    assert data.optimum.memoryless_loss >= data.optimum.loss - 1e-12
    if name == "digits":  # a first-order process: the current symbol is all there is to know
        assert data.optimum.memoryless_loss == pytest.approx(data.optimum.loss, abs=1e-12)


def test_xor_optimum_is_exactly_two_thirds_and_two_thirds_of_ln_2():
    for seed in (0, 7):
        best = datasets.load("xor", seed).optimum
        assert best.accuracy == pytest.approx(2 / 3, abs=1e-12) and best.loss == pytest.approx(2 / 3 * math.log(2))


def test_toy_optimum_is_the_ceiling_of_70_of_71():
    best = datasets.load("toy").optimum
    assert best.targets == 71 and best.accuracy == pytest.approx(70 / 71, abs=1e-12)
    assert best.loss == pytest.approx(2 * math.log(2) / 71)  # 1 3 5 7 1 3 5 7 -> 1 or 2, each once


def test_optimal_costs_are_infinite_for_an_impossible_target_and_undefined_after_it():
    data = datasets.load("parity")
    costs = data.optimal_costs(data.vocab.parse("1 3 5 7 0 0 2 4"))
    assert np.all(np.isfinite(costs[:5])) and costs[5] == np.inf and np.isnan(costs[6])
    odd, even = (data.oracle(data.vocab.parse(p) + [0])[-1] for p in ("1 3 5 7 0 0", "2 4 6 8 0 0"))
    assert odd[1] == even[2] == 0.5 and odd[2] == even[1] == 0  # the parity before the zeros decides
    toy = datasets.load("toy")  # its eval set shows 1 after 1 3 5 7, never 1 after 1, and never starts at 5
    costs = toy.optimal_costs(toy.vocab.parse("1 3 5 7 1 1 3"))
    assert np.array_equal(costs, [0, 0, 0, 0, np.inf, np.nan], equal_nan=True)
    assert np.isnan(toy.optimal_costs(toy.vocab.parse("5 7 1"))).all()


def test_a_text_file_has_no_optimum(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("some words of text to learn from\n" * 5)
    data = datasets.load(str(path))
    assert data.optimum is None and data.optimal_costs(data.eval[0]) is None


# --- the registry, its limits and bad names ---------------------------------------------------
def test_every_listed_task_loads_by_name_and_says_what_it_takes():
    for task in TASKS.values():
        assert datasets.load(task.name).optimum is not None and task.about
        if task.param:
            assert datasets.load(f"{task.name}:{task.high}").name == f"{task.name}:{task.high}"
            assert datasets.load(task.name).name == f"{task.name}:{task.default}"


@pytest.mark.parametrize("name, seed", [("toy", 0), ("digits", 2), ("parity:8", 3), ("xor", 1), ("anbn", 4)])
def test_a_data_set_is_made_again_from_its_source(name, seed):
    data = datasets.load(name, seed)
    again = datasets.from_source(data.source)
    assert again.name == data.name and again.vocab == data.vocab
    assert all(np.array_equal(a, b) for a, b in zip(again.train + again.eval, data.train + data.eval, strict=True))


def test_a_text_source_names_its_file_and_refuses_it_once_changed(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("the cat sat on the mat " * 3)
    source = datasets.load(str(path)).source
    assert source["path"] == str(path.resolve()) and datasets.from_source(source).name == "t.txt"
    path.write_text("the dog sat on the mat " * 3)
    with pytest.raises(ValueError, match="has changed since"):
        datasets.from_source(source)
    path.unlink()
    with pytest.raises(ValueError, match="cannot read"):
        datasets.from_source(source)


@pytest.mark.parametrize(("name", "says"), [
    ("parity:0", r"parity:GAP takes GAP, .* from 1 to 100 .*got '0'"),
    ("parity:101", r"from 1 to 100 .*got '101'"),
    ("parity:abc", r"parity:GAP .*got 'abc'"),
    ("parity:", r"parity:GAP .*got ''"),
    ("anbn:-3", r"anbn:N takes N, .* from 1 to 500 .*got '-3'"),
    ("anbn:2.5", r"anbn:N .*got '2.5'"),
    ("letters:x", r"letters takes no parameter"),
    ("xor:1e9", r"xor takes no parameter"),
    ("toy:1", r"toy takes no parameter"),
    ("no-such-task", r"cannot read no-such-task: no such file, and not a built-in task \(toy, digits, parity\[:GAP\]"),
])
def test_bad_names_raise_one_clear_line(name, says):
    with pytest.raises(ValueError, match=says) as error:
        datasets.load(name)
    assert "\n" not in str(error.value)


def test_bad_seeds_and_counts_are_refused():
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        datasets.load("xor", -1)
    with pytest.raises(ValueError, match="parity:GAP takes GAP"):
        tasks.parity(0)
    with pytest.raises(ValueError, match="at least one training and one eval"):
        tasks.letters(n_train=0)


@pytest.mark.parametrize("name", ["parity:100", "anbn:500"])
def test_the_largest_parameter_keeps_a_data_set_under_50_mb(name):
    tracemalloc.start()
    try:
        data = datasets.load(name)
        _ = data.optimum
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6 and sum(s.nbytes for s in all_seqs(data)) < 50e6
