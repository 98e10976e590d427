"""The time loops on two threads (a half of the batch each) and on one row as vectors: the same numbers as the
whole batch on one thread, bit for bit, and torch's in float64."""
import threading

import numpy as np
import pytest
from gradcheck import ragged_batch
from test_cells import TORCH_CASES, TORCH_TOLERANCE, V, random_state, relative, torch_loss_and_grads

from rnncore import GRU, LSTM, RNN, Dense, Embedding, Network, threads
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
    monkeypatch.setattr(threads, "SPLIT_FROM", 2)
    set_blas_threads(2)
    assert len(batch_parts(2)) == 2


def stacked(cell, dtype, hidden=20):
    return Network(V, [Embedding(6), CELLS[cell](hidden), Dense(7), CELLS[cell](5)], seed=1, dtype=dtype)


def everything(net, x, y, mask, state):
    """A training pass's loss, gradients and final states, and an inference pass's log-probabilities and traces."""
    result = net.run_batch(x, y, mask, state)
    logp, traces = net.run_rows(x)
    arrays = {"logp": logp, **result.grads, **{f"state{i}": s for i, s in enumerate(result.state)}}
    arrays.update({f"{name}.{key}": a for name, trace in traces.items() for key, a in trace.items()})
    return result.loss, arrays


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("lengths", [[9, 3, 7, 9], [9] * 33], ids=["4 rows", "33 rows"])
def test_two_halves_give_the_whole_batchs_numbers_bit_for_bit(cell, dtype, lengths, request, one_thread):
    net, rng = stacked(cell, dtype), np.random.default_rng(0)
    x, y, mask = ragged_batch(V, lengths, rng)
    state = [s.astype(dtype) for s in random_state(net, rng, len(lengths))]
    whole = everything(net, x, y, mask, state)
    request.getfixturevalue("two_halves")
    halves = everything(net, x, y, mask, state)
    assert halves[0] == whole[0] and halves[1].keys() == whole[1].keys()
    assert all(np.array_equal(halves[1][k], whole[1][k]) for k in whole[1]), [
        k for k in whole[1] if not np.array_equal(halves[1][k], whole[1][k])]


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
    assert batch_parts(1) == [0]  # the loops see (T, H) arrays: one row, as vectors
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
        side_by_side(lambda rows: np.exp(big[rows]), [slice(0, 1), slice(1, 2)])


def test_a_half_the_worker_has_not_started_runs_on_the_callers_thread(one_thread):
    set_blas_threads(2)
    release, ran = threading.Event(), []
    threads._worker().submit(release.wait)  # the worker is busy, as on a machine that gives it no core
    try:
        side_by_side(lambda rows: ran.append((rows, threading.get_ident())), [slice(0, 1), slice(1, 2)])
    finally:
        release.set()
    assert ran == [(slice(0, 1), threading.get_ident()), (slice(1, 2), threading.get_ident())]
    assert blas_threads() == 2


def test_batches_split_in_halves_on_two_threads_only_from_split_from_rows(one_thread, monkeypatch):
    set_blas_threads(2)
    assert threads.SPLIT_FROM is None and batch_parts(64) == [slice(0, 64)]  # off unless asked for (threads.py)
    monkeypatch.setattr(threads, "SPLIT_FROM", 8)
    set_blas_threads(1)
    assert batch_parts(64) == [slice(0, 64)]  # one BLAS thread: the whole batch
    set_blas_threads(2)
    assert batch_parts(33) == [slice(0, 17), slice(17, 33)]
    assert batch_parts(threads.SPLIT_FROM - 1) == [slice(0, threads.SPLIT_FROM - 1)]
