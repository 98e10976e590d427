"""The numbers behind the insight views: small functions of arrays, each checked in tests against an independent
computation; no Textual."""
from __future__ import annotations

import numpy as np

from rnncore import Dataset, Network

from .inference import OVERFLOW

PASSAGE = 400  # symbols of a text's eval passage


def position_costs(logp: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(T - 1,): -ln p of each next symbol, from the log-probabilities (T, V) after each of the T positions."""
    ids = np.asarray(ids)
    return -logp[np.arange(len(ids) - 1), ids[1:]].astype(np.float64)


def optimal_costs(oracle, ids: np.ndarray) -> np.ndarray | None:
    """(T - 1,): the optimal predictor's -ln p of each next symbol; inf where the process cannot make it and nan
    after that. None without an oracle."""
    ids = np.asarray(ids)
    if oracle is None or len(ids) < 2:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.0 - np.log(np.asarray(oracle(ids), np.float64)[np.arange(len(ids) - 1), ids[1:]])


def normalised(values: np.ndarray) -> np.ndarray:
    """Values over their largest, in [0, 1]; all zeros stay zeros."""
    values = np.asarray(values, np.float64)
    top = values.max(initial=0.0)
    return values / top if top > 0 else np.zeros_like(values)


def most_varying(values: np.ndarray) -> int:
    """The column (unit) of (T, H) `values` with the largest variance over T; the first of equals."""
    return int(np.argmax(np.var(np.asarray(values, np.float64), axis=0)))


def principal_axes(states: np.ndarray, k: int = 2, previous: np.ndarray | None = None):
    """(mean (H,), axes (k', H), explained (k',)) of (N, H) states, k' = min(k, H, N): the first principal
    directions as rows and the fraction of the variance along each. Each axis is signed to agree with
    `previous` (the last fit's axes), so that points keep their side from one fit to the next; at a first
    fit, its largest loading is positive. With N >= H the SVD is that of the (H, H) Gram matrix, several
    times faster than that of the states themselves."""
    states = np.asarray(states, np.float64)
    mean = states.mean(0)
    centred = states - mean
    if len(centred) >= centred.shape[1]:
        _, variances, axes = np.linalg.svd(centred.T @ centred, hermitian=True)
    else:
        _, singular, axes = np.linalg.svd(centred, full_matrices=False)
        variances = singular ** 2
    k = min(k, len(axes))
    axes, total = axes[:k], variances.sum()
    if previous is None or previous.shape != axes.shape:
        previous = np.eye(axes.shape[1])[np.abs(axes).argmax(1)]  # (k, H) one-hot at each largest loading
    signs = np.where((axes * previous).sum(1) < 0, -1.0, 1.0)
    return mean, axes * signs[:, None], (variances[:k] / total if total > 0 else np.zeros(k))


def sample(data: Dataset) -> tuple[np.ndarray, str] | None:
    """The sequence the views show with no prefix, and its label: a text's first PASSAGE held-out symbols, or a
    task's first eval sequence. None for an empty eval set. (A view too small for all of it shows its end.)"""
    if not data.eval:
        return None
    if not data.stream:
        return np.asarray(data.eval[0], np.int64), f"eval sequence 1 of {len(data.eval)}"
    parts, length = [], 0
    for row in data.eval:  # a text's eval rows cut its held-out tail, each one starting on the last symbol of the last
        parts.append(row if not parts else row[1:])
        length += len(parts[-1])
        if length >= PASSAGE:
            break
    ids = np.concatenate(parts)[:PASSAGE].astype(np.int64)
    return ids, "held-out text"


def eval_rows(data: Dataset, budget: int) -> list[np.ndarray]:
    """The first eval sequences, holding `budget` symbols at most together (the last one cut if need be)."""
    rows, left = [], budget
    for seq in data.eval:
        if left <= 0:
            break
        rows.append(np.asarray(seq[:left], np.int64))
        left -= len(rows[-1])
    return rows


def eval_states(net: Network, rows: list[np.ndarray], layer: str, trace: str):
    """One batched pass over `rows`: the layer's states at every real position (N, H), each one's predicted
    symbol (N,) and its input symbol (N,)."""
    lengths = np.array([len(row) for row in rows])
    x = np.zeros((len(rows), lengths.max()), np.int64)  # (B, T), zero-padded
    for i, row in enumerate(rows):
        x[i, :len(row)] = row
    with np.errstate(over="ignore", invalid="ignore"):
        logp, traces = net.run_rows(x)
    real = np.arange(x.shape[1]) < lengths[:, None]  # (B, T)
    states = traces[layer][trace][real]
    if not (np.isfinite(states).all() and np.isfinite(logp[real]).all()):
        raise ValueError(OVERFLOW)
    return states, logp[real].argmax(-1), x[real]
