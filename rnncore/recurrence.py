"""Why a plain RNN forgets, measured: the gradient through time, the recurrence's spectrum and gate saturation.

Hochreiter (1991) and Bengio, Simard & Frasconi (1994) showed that the gradient reaching back k steps is a product of
k one-step Jacobians, and so shrinks (or grows) geometrically; Pascanu, Mikolov & Bengio (2013) tied it to their
norms: below 1 it vanishes. Gated cells keep it up by holding their gates open or shut (Karpathy, Johnson & Fei-Fei
2015 plotted how often). Each measure here takes a network and a (B, T) batch:
- `gradient_through_time`: g[k], the mean size of d loss_t / d state_{t-k};
- `recurrent_spectrum`: the singular values of each recurrent weight matrix (per gate for gated cells);
- `jacobian_norms`: the spectral norm of the one-step state Jacobian d state_s / d state_{s-1} at each position;
- `gate_saturation`: per unit, how often each sigmoid gate is nearly shut (< 0.1) or wide open (> 0.9).

Each works through the cells' steps linearised around a forward pass (rnncore/linearised.py).
"""
from __future__ import annotations

import copy

import numpy as np

from .budget import refusal
from .inputs import check_batch
from .layers import ACTIVATIONS, log_softmax
from .linearised import STEPS, matmul

WEIGHTS = {"rnn": ("Whh", ("Whh",)), "lstm": ("Wh", tuple("ifgo")), "gru": ("Wh", tuple("rzn"))}  # name, its blocks
LANCZOS_STEPS = 24  # rounds of jacobian_norms: the mean of a 64-unit layer's norms then within 0.1% (parity:64)
SIGMOID_GATES = {"rnn": (), "lstm": tuple("ifo"), "gru": tuple("rz")}


class _Pass:
    """One forward pass over a (B, T) batch, layer by layer: each layer's output (T, B, D) and each recurrent
    layer's linearised step."""

    def __init__(self, net, x):
        self.net, self.outputs, self.steps, h = net, [], {}, x.T
        for name, layer in net._stack():
            h, cache, _ = layer.forward(net._local(name), h, None)
            self.outputs.append(h)
            if layer.recurrent:
                self.steps[name] = STEPS[layer.kind](net._local(name), layer.traces(cache))

    def top_gradients(self, y, mask):
        """(T, B, D): d loss_t / d (output of the top recurrent layer at t), at each position t, for each row."""
        stack, recurrent = self.net._stack(), [n for n, (_, layer) in enumerate(self.net._stack()) if layer.recurrent]
        d = np.exp(log_softmax(self.outputs[-1]))  # d -log p(y) / d logits = softmax - onehot(y)
        np.put_along_axis(d, y.T[..., None], np.take_along_axis(d, y.T[..., None], -1) - 1, -1)
        d *= mask.T[..., None]
        for n in range(len(stack) - 1, recurrent[-1], -1):
            d = self.input_gradient(n, d, slice(None))
        return d

    def input_gradient(self, n, d, at):
        """The gradient of layer n's input from that of its output (a position-wise layer: Dense or the output)."""
        name, layer = self.net._stack()[n]
        p, derivative = self.net._local(name), ACTIVATIONS[layer.activation][1]
        return matmul(d if derivative is None else d * derivative(self.outputs[n][at]), p["W"].T)


def gradient_through_time(net, x, y, mask=None, max_lag=None) -> dict[str, np.ndarray]:
    """For each recurrent layer by name, g (max_lag + 1,), float64: g[k] is the mean, over the rows b and positions t
    with mask[b, t] set and t >= k, of the Euclidean norm of d loss[b, t] / d state[b, t - k], where loss[b, t] is
    -log p(y[b, t]) at that one position and state[b, s] the layer's state after step s: h, or for an LSTM h and c
    (c's gradient with its path through h_s = o tanh(c_s), as autograd counts it). nan where no position reaches
    back k steps. `x`, `y`, `mask` as `Network.run_batch` takes them, from a zero state; `max_lag` defaults to
    T - 1. ValueError if the sweep's arrays would not fit the memory (rnncore/budget.py).

    How: one backward sweep from the last position to the first, every layer at each step, carrying a gradient per
    target position t (a (targets, B, S) array per layer). At step s the targets t with s <= t <= s + max_lag are a
    contiguous slice of it, and all of them go one step back through the same local derivatives at once: a matmul
    of (live targets x B) rows. That is T steps of a dozen NumPy calls, where a backward pass per target position
    takes T passes of T steps; and lags beyond max_lag cost nothing. Memory: targets x B x S floats per layer."""
    x, y, mask = check_batch(x, y, mask, net.vocab_size, net.dtype)
    T = x.shape[1]
    if max_lag is None:
        max_lag = max(T - 1, 0)
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or max_lag < 0:
        raise ValueError(f"max_lag must be a non-negative integer, got {max_lag!r}")
    wanted = mask != 0  # (B, T)
    targets = np.flatnonzero(wanted.any(0))  # positions with a loss to differentiate, ascending
    floats = len(targets) * x.shape[0] * sum(3 * layer.state_size for _, layer in net.recurrent())  # carry, scratch
    if why := refusal(f"the gradient through time of {len(targets)} positions", floats * net.dtype.itemsize):
        raise ValueError(why)
    run = _Pass(net, x)
    if not run.steps:
        return {}
    sums = _sweep(run, run.top_gradients(y, wanted.astype(net.dtype)), targets, max_lag)
    counts = np.cumsum(wanted.sum(0)[::-1])[::-1].astype(np.float64)  # counts[k]: positions t >= k with mask set
    counts = np.concatenate([counts, np.zeros(max(max_lag + 1 - T, 0))])[:max_lag + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return {name: np.where(counts > 0, total / counts, np.nan) for name, total in sums.items()}


def _sweep(run: _Pass, top: np.ndarray, targets: np.ndarray, max_lag: int) -> dict[str, np.ndarray]:
    """Σ over rows and targets of |d loss_t / d state_{t-k}| for k <= max_lag, per recurrent layer (see above)."""
    stack = run.net._stack()
    layers = [n for n, (_, layer) in enumerate(stack) if layer.recurrent]  # indices in the stack, bottom up
    B, dtype = top.shape[1], top.dtype
    carry = {n: [np.zeros((len(targets), B, stack[n][1].dim), dtype) for _ in range(1 + run.steps[stack[n][0]].has_c)]
             for n in layers}  # the gradient of each target's loss with respect to h (and c) after step s
    sums = {stack[n][0]: np.zeros(max_lag + 1) for n in layers}
    for s, live in _windows(targets, len(top), max_lag):
        lags = targets[live] - s
        if lags[0] == 0:  # target s enters: the loss at s reaches the top layer's output at s
            carry[layers[-1]][0][live.start] += top[s]
        for below, n in _pairs(layers):
            _one_step_back(run, n, below, carry, sums[stack[n][0]], s, live, lags)
    return sums


def _windows(targets: np.ndarray, T: int, max_lag: int):
    """(s, live) from the last step to the first, live the slice of the targets t with s <= t <= s + max_lag;
    the steps with none are left out."""
    lo = hi = len(targets)
    for s in range(T - 1, -1, -1):
        while lo and targets[lo - 1] >= s:
            lo -= 1
        while hi > lo and targets[hi - 1] > s + max_lag:
            hi -= 1
        if lo < hi:
            yield s, slice(lo, hi)


def _one_step_back(run: _Pass, n: int, below: int | None, carry: dict, sums: np.ndarray, s: int, live: slice,
                   lags: np.ndarray) -> None:
    """Layer n's state gradients after step s, of the live targets: their norms added to `sums` at their lags, then
    taken back to the state before step s, and through the layer's input down to the recurrent layer below."""
    step = run.steps[run.net._stack()[n][0]]
    dh, dc = carry[n][0][live], carry[n][1][live] if step.has_c else None
    dc = step.through_h(dh, dc, s)
    squares = np.einsum("jbh,jbh->jb", dh, dh) + (0 if dc is None else np.einsum("jbh,jbh->jb", dc, dc))
    sums[lags] += np.sqrt(squares).sum(1)
    dz, dh_before, dc_before = step.back(dh, dc, s)
    if below is not None:
        d = matmul(dz, step.Wx_T)
        for m in range(n - 1, below, -1):  # through the dense layers between
            d = run.input_gradient(m, d, s)
        carry[below][0][live] += d
    carry[n][0][live] = dh_before
    if dc is not None:
        carry[n][1][live] = dc_before


def _pairs(layers):
    """(the recurrent layer below or None, the layer), top down."""
    return [(layers[i - 1] if i else None, layers[i]) for i in range(len(layers) - 1, -1, -1)]


def recurrent_spectrum(net, largest_only: bool = False, steps: int = LANCZOS_STEPS, seed: int = 0) -> dict:
    """For each recurrent layer by name, the singular values (descending, float64) of its recurrent weights: the
    RNN's Whh under "Whh"; a gated cell's per gate, its block of Wh's columns, under "i", "f", "g", "o" (LSTM) or
    "r", "z", "n" (GRU). The largest bounds the one-step Jacobian's norm (tanh' and the gates are at most 1).
    With `largest_only`, that one alone, (1,) per block, by Lanczos on W Wᵀ as in `jacobian_norms`: a few matrix-
    vector products where the SVD of a wide layer's blocks takes tens of ms; exact with `steps` >= the width."""
    spectrum, rng = {}, np.random.default_rng(seed)
    for name, layer in net.recurrent():
        key, blocks = WEIGHTS[layer.kind]
        parts = np.stack(np.hsplit(net.params[f"{name}.{key}"].astype(np.float64), len(blocks)))  # (gates, H, H)
        if largest_only:
            squared = _largest_eigenvalue(lambda v, W=parts: ((v[:, None] @ W) @ W.swapaxes(1, 2))[:, 0], len(parts),
                                          parts.shape[1], min(steps, parts.shape[1]), rng, np.float64)
            values = np.sqrt(np.maximum(squared, 0))[:, None]
        else:
            values = np.linalg.svd(parts, compute_uv=False)
        spectrum[name] = dict(zip(blocks, values, strict=True))
    return spectrum


def jacobian_norms(net, x, mask=None, steps=LANCZOS_STEPS, seed=0) -> dict[str, np.ndarray]:
    """For each recurrent layer by name, (B, T) float64: the spectral norm (largest singular value) of the one-step
    Jacobian d state_s / d state_{s-1} at each position s with `mask` set (nan elsewhere), from a zero state; state
    is h, or [h | c] for an LSTM. Below 1 at every step, the gradient through time vanishes (Pascanu et al. 2013).

    By Lanczos iteration on JᵀJ, at every position at once (only those with `mask` set: a sparse mask makes it
    cheap), from one random start (`seed`): each of `steps` rounds is a step forth and one back through the
    linearised cell, and the Ritz values converge on the largest eigenvalue far faster than power iteration's
    estimate (from below). With `steps` at least the state's size it is exact to rounding."""
    x, _, mask = check_batch(x, x, mask, net.vocab_size, net.dtype)
    where, rng, norms = (mask != 0).T, np.random.default_rng(seed), {}  # where: (T, B)
    for name, step in _Pass(net, x).steps.items():
        local = _at(step, where)
        squared = _largest_eigenvalue(local.gram, int(where.sum()), step.size, min(steps, step.size), rng, step.dtype)
        norms[name] = np.full(where.shape, np.nan)
        norms[name][where] = np.sqrt(np.maximum(squared, 0))
        norms[name] = norms[name].T
    return norms


def _at(step, where):
    """A copy of `step` whose local derivatives are those at the positions `where` (a (T, B) mask) only: (N, ...)."""
    picked = copy.copy(step)
    for key in step.per_position:
        setattr(picked, key, getattr(step, key)[where])
    return picked


def _largest_eigenvalue(gram, N, size, rounds, rng, dtype):
    """(N,) the largest eigenvalue of N symmetric positive semi-definite matrices M (size x size), given `gram`,
    which maps N row vectors (N, size) to v M each, by Lanczos: the largest eigenvalue of the tridiagonal matrix its
    three-term recurrence builds. (Rounding makes the vectors lose their orthogonality once an eigenvalue has
    converged; that only repeats converged eigenvalues, never raises the largest.)"""
    v, before = _unit(rng.standard_normal((N, size))), 0.0
    alpha, beta = np.zeros((N, rounds)), np.zeros((N, rounds))
    for j in range(rounds):
        w = gram(v.astype(dtype)).astype(np.float64)  # M v
        alpha[:, j] = np.einsum("ns,ns->n", w, v)
        w -= alpha[:, j, None] * v + (beta[:, j - 1, None] * before if j else 0)
        beta[:, j] = np.sqrt(np.einsum("ns,ns->n", w, w))
        before, v = v, _unit(w)
    tridiagonal = np.zeros((N, rounds, rounds))
    index = np.arange(rounds)
    tridiagonal[:, index, index] = alpha
    tridiagonal[:, index[1:], index[:-1]] = tridiagonal[:, index[:-1], index[1:]] = beta[:, :-1]
    return np.linalg.eigvalsh(tridiagonal)[:, -1]


def _unit(a):
    """Each row of (..., n) over its norm (zero stays zero)."""
    norm = np.sqrt(np.einsum("...s,...s->...", a, a))[..., None]
    return a / np.where(norm > 0, norm, 1)


def gate_saturation(net, x, mask=None, low=0.1, high=0.9) -> dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """For each gated layer by name, for each sigmoid gate (LSTM: i, f, o; GRU: r, z), per unit (H,) each: the
    fraction of the positions with `mask` set at which the gate is below `low` (left-saturated: shut) and the
    fraction at which it is above `high` (right-saturated: open); Karpathy, Johnson & Fei-Fei (2015), figure 3.
    nan with no position. A plain RNN has no gates: it is left out."""
    x, _, mask = check_batch(x, x, mask, net.vocab_size, net.dtype)
    _, traces = net.run_rows(x)
    real, saturation = mask != 0, {}
    count = real.sum() or np.nan
    for name, layer in net.recurrent():
        if SIGMOID_GATES[layer.kind]:
            saturation[name] = {gate: ((traces[name][gate][real] < low).sum(0) / count,
                                       (traces[name][gate][real] > high).sum(0) / count)
                                for gate in SIGMOID_GATES[layer.kind]}
    return saturation
