"""What a network accepts from its callers, checked before any work: a vocabulary's size, a prefix of ids, a
target id, a (B, T) batch. Each bad one is refused with one line that says what was expected."""
from __future__ import annotations

import numpy as np

MAX_VOCAB = 65536


def check_vocab(vocab_size) -> int:
    is_int = isinstance(vocab_size, (int, np.integer)) and not isinstance(vocab_size, bool)
    if not is_int or not 2 <= vocab_size <= MAX_VOCAB:
        raise ValueError(f"vocab_size must be an integer from 2 to {MAX_VOCAB}, got {vocab_size!r}")
    return int(vocab_size)


def check_prefix(prefix, vocab_size: int) -> np.ndarray:
    ids = np.asarray(prefix).reshape(-1)
    if ids.size == 0:
        return ids.astype(np.int64)
    if ids.dtype.kind not in "iu" or ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"symbols must be integer ids from 0 to {vocab_size - 1}, got {prefix!r}")
    return ids.astype(np.int64)


def check_target(target, vocab_size: int) -> int:
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < vocab_size:
        raise ValueError(f"target must be a symbol id from 0 to {vocab_size - 1}, got {target!r}")
    return int(target)


def check_batch(x, y, mask, vocab_size: int, dtype):
    """(x, y, mask) as arrays, mask all ones if None, in `dtype`."""
    x, y = np.asarray(x), np.asarray(y)
    mask = np.ones(x.shape, dtype) if mask is None else np.asarray(mask, dtype)
    if x.ndim != 2 or x.shape != y.shape or x.shape != mask.shape:
        shapes = f"{x.shape}, {y.shape}, {mask.shape}"
        raise ValueError(f"x, y and mask must be (B, T) arrays of one shape, got {shapes}")
    for name, a in (("x", x), ("y", y)):  # seen as unsigned, a negative id is huge: one max finds both kinds
        if a.size and (a.dtype.kind not in "iu" or a.view(f"u{a.itemsize}").max() >= vocab_size):
            raise ValueError(f"{name} holds ids outside the integers 0..{vocab_size - 1}")
    return x, y, mask
