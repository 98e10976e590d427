"""The first recurrent cell doing its embedding's lookup in training (layers.Embedded): the numbers of the plain
path (the embedding's vectors, then their projection), but for the order of a few sums, and when it is taken."""
import numpy as np
import pytest
from gradcheck import ragged_batch
from test_cells import TORCH_CASES, random_state, relative

from rnncore import GRU, LSTM, RNN, Dense, Embedding, Network
from rnncore.layers import ONE_HOT_LIMIT, Embedded

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
V = 7
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-13}


def plain(net, *batch):
    """net.run_batch with the embedding's vectors looked up first, as before there was a late lookup."""
    net._looks_up_late = lambda ids: False
    try:
        return net.run_batch(*batch)
    finally:
        del net._looks_up_late


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", list(CELLS))
@pytest.mark.parametrize("lengths", [[9], [9, 3, 7, 9], [6] * 33], ids=["1 row", "4 rows", "33 rows"])
def test_the_late_lookup_gives_the_plain_paths_numbers(cell, dtype, lengths):
    net = Network(V, [Embedding(6), CELLS[cell](20), Dense(5), CELLS[cell](4)], seed=1, dtype=dtype)
    rng = np.random.default_rng(0)
    x, y, mask = ragged_batch(V, lengths, rng)
    state = [s.astype(dtype) for s in random_state(net, rng, len(lengths))]
    assert net._looks_up_late(x.T)
    late, before = net.run_batch(x, y, mask, state), plain(net, x, y, mask, state)
    assert late.loss == pytest.approx(before.loss, rel=TOLERANCE[dtype])
    assert all(np.allclose(a, b, rtol=TOLERANCE[dtype], atol=0) for a, b in zip(late.state, before.state, strict=True))
    assert late.grads.keys() == before.grads.keys()
    assert max(relative(late.grads[k], before.grads[k]) for k in before.grads) < TOLERANCE[dtype]


def test_the_late_lookup_is_taken_for_a_small_vocabulary_under_a_recurrent_cell():
    net = Network(V, [Embedding(4), LSTM(8)], seed=0)
    assert net._looks_up_late(np.zeros((3, 3), int))  # 9 ids, 7 symbols
    assert not net._looks_up_late(np.zeros((2, 3), int))  # fewer ids than symbols: the table costs more
    assert not Network(V, [Embedding(4), Dense(8), LSTM(8)], seed=0)._looks_up_late(np.zeros((3, 3), int))
    big = Network(300, [Embedding(4), RNN(8)], seed=0)
    assert big._looks_up_late(np.zeros((ONE_HOT_LIMIT // 300, 1), int))
    assert not big._looks_up_late(np.zeros((ONE_HOT_LIMIT // 300 + 1, 1), int))  # its one-hot matrix: too big


def test_the_torch_parity_tests_batches_take_the_late_lookup():
    x = ragged_batch(V, [6, 2, 4], np.random.default_rng(4))[0]  # test_cells' batch: torch checks this path
    assert all(Network(V, layers, seed=3)._looks_up_late(x.T) for layers in TORCH_CASES.values())


@pytest.mark.parametrize("cell", list(CELLS))
def test_a_cell_takes_an_embedded_input_as_the_vectors_it_stands_for(cell):
    layer, rng = CELLS[cell](5), np.random.default_rng(3)
    table, ids = rng.standard_normal((V, 4)), rng.integers(0, V, (6, 3))
    p = layer.init(4, rng, np.float64)
    late, vectors = layer.forward(p, Embedded(ids, table), None), layer.forward(p, table[ids], None)
    assert np.allclose(late[0], vectors[0], rtol=1e-14, atol=1e-15)
    dh = rng.standard_normal(late[0].shape)
    (d_table, late_grads), (dx, grads) = layer.backward(p, late[1], dh), layer.backward(p, vectors[1], dh)
    by_id = np.zeros_like(table)
    np.add.at(by_id, ids.ravel(), dx.reshape(-1, 4))
    assert np.allclose(d_table, by_id, rtol=1e-13, atol=1e-15)
    assert all(np.allclose(late_grads[k], grads[k], rtol=1e-13, atol=1e-15) for k in grads)
    assert Embedding(4).backward({"E": table}, ids, d_table)[1]["E"] is d_table  # summed already: kept
