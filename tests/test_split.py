"""A training step on two threads (a half of the batch each, threads.side_by_side) and the time loops on one row as
vectors: the same per-row numbers as the whole batch on one thread, bit for bit, the same loss and gradients but
for the order of one sum, and torch's in float64."""
import threading

import numpy as np
import pytest
from gradcheck import ragged_batch
from test_cells import TORCH_CASES, TORCH_TOLERANCE, V, random_state, relative, torch_loss_and_grads

from rnncore import GRU, LSTM, RNN, Dense, Embedding, Network, threads
from rnncore.cells import loop_rows
from rnncore.threads import batch_parts, blas_threads, set_blas_threads, side_by_side

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


@pytest.fixture
def one_thread():
    before = blas_threads()
    set_blas_threads(1)
    yield
    set_blas_threads(before)


@pytest.fixture
def two_halves(monkeypatch, one_thread):
    """Every batch of two rows or more split in two halves, as on two threads."""
    monkeypatch.setattr(threads, "SPLIT_WORK", 0)
    set_blas_threads(2)
    assert len(batch_parts(2, 1)) == 2


def stacked(cell, dtype, hidden=20):
    return Network(V, [Embedding(6), CELLS[cell](hidden), Dense(7), CELLS[cell](5)], seed=1, dtype=dtype)


SUM_TOLERANCE = {np.float32: 1e-5, np.float64: 1e-13}  # a sum over the batch, in two parts: its rounding moves


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("lengths", [[9, 3, 7, 9], [9] * 33], ids=["4 rows", "33 rows"])
def test_two_halves_give_the_whole_batchs_numbers(cell, dtype, lengths, request, one_thread):
    net, rng = stacked(cell, dtype), np.random.default_rng(0)
    x, y, mask = ragged_batch(V, lengths, rng)
    state = [s.astype(dtype) for s in random_state(net, rng, len(lengths))]
    whole = net.run_batch(x, y, mask, state)
    request.getfixturevalue("two_halves")
    halves = net.run_batch(x, y, mask, state)
    assert all(np.array_equal(h, w) for h, w in zip(halves.state, whole.state, strict=True))  # each row's own
    assert halves.loss == pytest.approx(whole.loss, rel=SUM_TOLERANCE[dtype])
    assert halves.grads.keys() == whole.grads.keys()
    assert max(relative(halves.grads[k], whole.grads[k]) for k in whole.grads) < SUM_TOLERANCE[dtype]


def test_two_halves_run_side_by_side_the_same_way_every_time(two_halves):
    net, rng = stacked("lstm", np.float32), np.random.default_rng(1)
    x, y, mask = ragged_batch(V, [9, 3, 7, 9, 5], rng)
    first, again = net.run_batch(x, y, mask), net.run_batch(x, y, mask)
    assert first.loss == again.loss and all(np.array_equal(first.grads[k], again.grads[k]) for k in first.grads)


@pytest.mark.parametrize("carried", [False, True], ids=["zero-state", "carried-state"])
@pytest.mark.parametrize("case", list(TORCH_CASES))
def test_two_halves_equal_torch(case, carried, two_halves):
    net, rng = Network(V, TORCH_CASES[case], seed=3, dtype=np.float64), np.random.default_rng(4)
    for p in net.params.values():
        p += rng.standard_normal(p.shape) * 0.2
    x, y, mask = ragged_batch(V, [6, 2, 4, 5, 1], rng)
    state = random_state(net, rng, 5) if carried else None
    result = net.run_batch(x, y, mask, state)
    loss, grads = torch_loss_and_grads(net, x, y, mask, state)
    assert result.loss == pytest.approx(loss, rel=TORCH_TOLERANCE)
    assert max(relative(result.grads[name], grads[name]) for name in grads) < TORCH_TOLERANCE


@pytest.mark.parametrize("case", list(TORCH_CASES))
def test_a_batch_of_one_runs_on_vectors_and_equals_torch(case):
    net, rng = Network(V, TORCH_CASES[case], seed=3, dtype=np.float64), np.random.default_rng(5)
    for p in net.params.values():
        p += rng.standard_normal(p.shape) * 0.2
    x, y, mask = ragged_batch(V, [7], rng)
    state = random_state(net, rng, 1)
    assert loop_rows(1) == 0  # the loops see (T, H) arrays: one row, as vectors
    result = net.run_batch(x, y, mask, state)
    loss, grads = torch_loss_and_grads(net, x, y, mask, state)
    assert result.loss == pytest.approx(loss, rel=TORCH_TOLERANCE)
    assert max(relative(result.grads[name], grads[name]) for name in grads) < TORCH_TOLERANCE


def test_the_second_half_runs_with_the_callers_error_state_and_its_error_reaches_the_caller(one_thread):
    set_blas_threads(2)
    big = np.full((2, 3), 1e300)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        side_by_side(lambda rows: np.exp(big[rows]) if rows.start else None, [slice(0, 1), slice(1, 2)])
    assert blas_threads() == 2  # given back after the halves, error or not
    with np.errstate(over="ignore"):
        first, second = side_by_side(lambda rows: np.exp(big[rows]), [slice(0, 1), slice(1, 2)])
    assert first.shape == second.shape == (1, 3) and np.isinf(second).all()


def test_a_half_the_worker_has_not_started_runs_on_the_callers_thread(one_thread):
    set_blas_threads(2)
    release = threading.Event()
    threads._worker().submit(release.wait)  # the worker is busy, as on a machine that gives it no core
    try:
        ran = side_by_side(lambda rows: (rows, threading.get_ident(), blas_threads()), [slice(0, 1), slice(1, 2)])
    finally:
        release.set()
    assert ran == [(slice(0, 1), threading.get_ident(), 1), (slice(1, 2), threading.get_ident(), 1)]
    assert blas_threads() == 2


def test_a_batch_splits_on_two_threads_only_from_split_work():
    before = blas_threads()
    try:
        set_blas_threads(2)
        rows = threads.SPLIT_WORK // 64  # a recurrence of 64 units
        assert batch_parts(rows, 64) == [slice(0, rows // 2), slice(rows // 2, rows)]
        assert batch_parts(rows + 1, 64) == [slice(0, rows // 2 + 1), slice(rows // 2 + 1, rows + 1)]
        assert batch_parts(rows - 1, 64) == [slice(0, rows - 1)]
        assert batch_parts(1, 10**9) == [slice(0, 1)]
        set_blas_threads(1)
        assert batch_parts(rows, 64) == [slice(0, rows)]  # one thread: the whole batch
    finally:
        set_blas_threads(before)
