"""A UTF-8 text file as a data set of characters: read in chunks, one byte a character, its tail held out."""
from __future__ import annotations

import codecs
import hashlib
from pathlib import Path

import numpy as np

from . import files
from .dataset import UNKNOWN, Dataset
from .vocab import Vocab

MAX_TEXT_VOCAB = 256
EVAL_ROW = 100  # a text's held-out tail is cut into rows this long
MAX_EVAL_TARGETS = 20_000  # of a text's held-out tail, evaluated: what an evaluation costs stays bounded
TEXT_CHUNK = 1 << 22  # characters turned into code points at a time
UNICODE = 0x110000  # code points
TEXT_PEEK = 1 << 16  # bytes of a text file `check_text` reads


def text(path, eval_fraction=0.1, max_vocab=MAX_TEXT_VOCAB) -> Dataset:
    """Characters of a UTF-8 file; the last `eval_fraction` is held out. Beyond
    `max_vocab` distinct characters, the rarest all become one unknown symbol."""
    if not 0 < eval_fraction < 1:
        raise ValueError(f"eval_fraction must be between 0 and 1, got {eval_fraction!r}")
    path = Path(path)
    raw, chars = _read_text(path)
    vocab = _text_vocab(chars, max_vocab)
    ids = _text_ids(chars, vocab)  # one byte a character: a 50 MB text takes 50 MB
    split = len(ids) - max(2, int(len(ids) * eval_fraction))
    if split < 2:
        raise ValueError(f"{path}: holding out {eval_fraction} leaves {split} characters to train on; need 2")
    tail = ids[split:split + MAX_EVAL_TARGETS + 1]  # an evaluation costs the same whatever the text's size
    eval_ = [tail[i:i + EVAL_ROW + 1] for i in range(0, len(tail) - 1, EVAL_ROW)]
    source = {"path": str(path.resolve()), "sha256": hashlib.sha256(raw).hexdigest()}
    return Dataset(path.name, vocab, [ids[:split]], [e for e in eval_ if len(e) > 1], stream=True, source=source)


def check_text(path) -> None:
    """What `text` would refuse that shows in the file's first TEXT_PEEK bytes (missing, unreadable, binary,
    not UTF-8, too short), as `text` says it: a quick check before a big file is read through."""
    _read_text(Path(path), TEXT_PEEK)


def _read_text(path, limit: int | None = None) -> tuple[bytes, str]:
    """The file's bytes and characters (its first `limit` bytes only, if given), checked."""
    with files.open_input(path, "text") as f:  # a regular file, of a bounded size (FileError, a ValueError)
        raw = f.read() if limit is None else f.read(limit)
        whole = limit is None or not f.read(1)
    if b"\x00" in raw:
        raise ValueError(f"{path} looks binary (it holds NUL bytes); give a UTF-8 text file")
    try:
        chars = codecs.getincrementaldecoder("utf-8")().decode(raw, final=whole)  # a cut character may end a peek
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 text (bad byte at offset {e.start})") from None
    if whole and not chars:
        raise ValueError(f"{path} is empty; give a UTF-8 text file of at least 20 characters")
    if whole and len(chars) < 20:
        raise ValueError(f"{path} has {len(chars)} characters; a text data set needs at least 20")
    return raw, chars


def _code_points(chars: str):
    """The characters' code points, TEXT_CHUNK at a time: the temporary arrays stay small."""
    for start in range(0, len(chars), TEXT_CHUNK):
        yield np.frombuffer(chars[start:start + TEXT_CHUNK].encode("utf-32-le"), np.uint32)


def _text_vocab(chars: str, max_vocab: int) -> Vocab:
    """Every character, in code point order; past `max_vocab`, the most common (ties: the lower code point)
    and one unknown symbol for the rest."""
    counts = sum(np.bincount(codes, minlength=UNICODE) for codes in _code_points(chars))
    present = np.flatnonzero(counts)
    if len(present) <= max_vocab:
        return Vocab([chr(c) for c in present], separator="")
    kept = present[present != ord(UNKNOWN)]  # it stands for every dropped character, whatever its own count
    kept = kept[np.argsort(-counts[kept], kind="stable")][:max_vocab - 1]
    return Vocab([*map(chr, np.sort(kept)), UNKNOWN], separator="", unknown=UNKNOWN)


def _text_ids(chars: str, vocab: Vocab) -> np.ndarray:
    """The id of each character (the unknown symbol's for one the vocabulary left out), one byte each."""
    points = np.array([ord(s) for s in vocab.symbols])
    order = np.argsort(points)
    table, unknown = points[order], vocab.index.get(vocab.unknown, 0)
    ids = np.empty(len(chars), np.uint8 if len(vocab) <= 256 else np.uint16)
    for start, codes in zip(range(0, len(chars), TEXT_CHUNK), _code_points(chars), strict=True):
        at = np.minimum(np.searchsorted(table, codes), len(table) - 1)
        ids[start:start + len(codes)] = np.where(table[at] == codes, order[at], unknown)
    return ids
