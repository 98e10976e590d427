"""The one rule for paths a browser user types when rnnviz is served: they stay inside the served folder.

`confine` is pure: it reads the file system only to follow symlinks, and never creates or opens anything.
"""
from __future__ import annotations

import os
from pathlib import Path


def confine(path: str, root: str | os.PathLike) -> Path:
    """`path` resolved against `root`, every symlink followed; ValueError (the message to show) if it leaves `root`.

    A relative path is taken from `root`; an absolute one must already lie inside it. A path that does not exist
    yet (a checkpoint about to be saved) is allowed where its existing part is inside `root`.
    """
    refuse_nul(path)
    base = Path(root).resolve()
    try:
        resolved = (base / path).resolve()  # an absolute `path` replaces `base` here
    except (OSError, RuntimeError) as e:  # a symlink loop: RuntimeError before Python 3.13, OSError after
        raise ValueError(f"{path}: cannot be resolved ({e})") from None
    if not resolved.is_relative_to(base):
        raise ValueError(f"{path}: outside the folder rnnviz serves; give a path inside it")
    return resolved


def user_path(path: str, root: str | None) -> str:
    """A path typed in the app, as it may be used: `~` expanded, and confined to `root` when served (ValueError
    says why not)."""
    refuse_nul(path)
    return os.path.expanduser(path) if root is None else str(confine(path, root))


def refuse_nul(path: str) -> None:
    """No file system takes a NUL byte in a path; Python's own message for it says nothing a user can act on."""
    if "\0" in path:
        raise ValueError("a path cannot hold a NUL byte")


def readable(path: str) -> None:
    """ValueError, saying why in words, if the file at `path` cannot be opened for reading."""
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise ValueError(f"{path}: cannot read it ({(e.strerror or str(e)).lower()})") from None
