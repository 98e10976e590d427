"""Every file rnncore and rnnviz read or write goes through here, under one set of rules.

Reading (`open_input`, `read_input`): a regular file only (never a device, a FIFO or a directory, whatever a
name or a link says), of at most the size its kind may have, checked on the opened file before a byte is read.
Writing (`write_output`, `open_output`): a new file beside the target, renamed over it, so the old one
survives a failed write; never through a symlink, never over anything but a regular file; never over a file
this program reads, or writes as something else, or is writing now (the same file by inode, whatever its
name), save a checkpoint over the checkpoint it resumed from.
Serving (`serve_from`): every path lies inside the served folder, links followed, but for the files named on
the server's command line (`allow`).
"""
from __future__ import annotations

import hashlib
import os
import secrets
import stat
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .budget import shown

LIMITS = {"checkpoint": 8 << 30, "record": 64 << 20, "text": 1 << 30, "lesson": 256 << 10}  # bytes each may have
NOUNS = {"checkpoint": "a checkpoint", "record": "a session record", "text": "a text data set", "csv": "a CSV file",
         "lesson": "a lesson"}
KINDS = [(stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")]


class FileError(ValueError):
    """A file that is not read or written, and why, in one line that names it."""


@dataclass
class _Use:
    path: Path  # absolute; whether another path is the same file is asked of the file system each time
    given: str  # as the user named it
    kind: str
    written: bool
    stream: Stream | None = None  # an output written as it goes, open until the stream is closed


@dataclass
class _Ledger:
    """What this program reads and writes, and where it may."""

    root: Path | None = None  # served: the folder every path lies in
    allowed: set[str] = field(default_factory=set)  # real paths that may lie elsewhere
    uses: list[_Use] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_ledger = _Ledger()


def forget() -> None:
    """A new program: no served folder, nothing read or written yet."""
    global _ledger
    _ledger = _Ledger()


def serve_from(root) -> None:
    """From now on every path lies inside `root` (a relative one is taken from it)."""
    _ledger.root = Path(root).resolve()


def allow(*paths) -> None:
    """Files named on the server's command line, and folders of the program's own (a folder allows what it holds):
    read or written wherever they lie."""
    _ledger.allowed |= {os.path.realpath(p) for p in paths if p}


# --- paths ------------------------------------------------------------------------------------------------
def refuse_nul(path: str) -> None:
    """No file system takes a NUL byte in a path; Python's own message for it says nothing a user can act on."""
    if "\0" in path:
        raise FileError("a path cannot hold a NUL byte")


def confine(path: str, root) -> Path:
    """`path` resolved against `root`, every symlink followed; FileError if it leaves `root`.

    A relative path is taken from `root`; an absolute one must already lie inside it. A path that does not exist
    yet (a checkpoint about to be saved) is allowed where its existing part is inside `root`."""
    refuse_nul(path)
    base = Path(root).resolve()
    try:
        resolved = (base / path).resolve()  # an absolute `path` replaces `base` here
    except (OSError, RuntimeError) as e:  # a symlink loop: RuntimeError before Python 3.13, OSError after
        raise FileError(f"{path}: cannot be resolved ({e})") from None
    if not resolved.is_relative_to(base):
        raise FileError(f"{path}: outside the folder rnnviz serves; give a path inside it")
    return resolved


def typed_path(path: str) -> str:
    """A path a person typed, as it is used: `~` expanded; when serving, taken from the served folder, its
    directories resolved and its place checked (the file itself is left as named: a link is not followed)."""
    refuse_nul(path)
    if _ledger.root is None:
        return os.path.expanduser(path)
    confine(path, _ledger.root)
    return str(_place(path))


def _place(path: str) -> Path:
    """The absolute path, its directory resolved (from the served folder, when serving), its last part as named."""
    full = Path(_ledger.root or os.getcwd()) / path
    return Path(os.path.realpath(full.parent)) / full.name


def _confined(path: str) -> str:
    """Where `path` is (taken from the served folder when serving), once it is known to lie inside it."""
    refuse_nul(path)
    if _ledger.root is None:
        return path
    where = str(_ledger.root / path)
    real = os.path.realpath(where)
    if not any(real == allowed or real.startswith(allowed + os.sep) for allowed in _ledger.allowed):
        confine(path, _ledger.root)
    return where


def _what(mode: int) -> str:
    return next((name for test, name in KINDS if test(mode)), "a special file")


# --- reading ----------------------------------------------------------------------------------------------
def open_input(path, kind: str):
    """The file at `path` opened for reading (binary), once it is known to be a regular file of at most
    LIMITS[kind] bytes; FileError, naming it, if it is not."""
    name = os.fspath(path)
    where = _confined(name)
    try:
        fd = os.open(where, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileError(f"{name}: cannot read it (no such file)") from None
    except OSError as e:  # a FIFO opens at once with O_NONBLOCK, rather than waiting for a writer
        raise FileError(f"{name}: cannot read it ({(e.strerror or str(e)).lower()})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileError(f"{name}: cannot read it ({_what(info.st_mode)}, not a regular file)")
        if info.st_size > LIMITS[kind]:
            raise FileError(f"{name}: cannot read it ({shown(info.st_size)}; {NOUNS[kind]} is at most "
                              f"{shown(LIMITS[kind])})")
        os.set_blocking(fd, True)
        file = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    _note(_Use(Path(os.path.abspath(where)), name, kind, written=False))
    return file


def read_input(path, kind: str) -> bytes:
    """The bytes of the file at `path`, read through `open_input`."""
    with open_input(path, kind) as f:
        return f.read()


def digest(path, kind: str) -> str:
    """sha256 of the file at `path`, read through `open_input`."""
    h = hashlib.sha256()
    with open_input(path, kind) as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


# --- writing ----------------------------------------------------------------------------------------------
def write_output(path, kind: str, fill: Callable) -> None:
    """`fill(f)` writes the whole file into `f` (binary); it replaces the file at `path` only once complete."""
    target = _target(path, kind)
    with _naming(path):
        fd, tmp = _temp_beside(target)
        try:
            with os.fdopen(fd, "wb") as f:
                fill(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    _note(_Use(target, os.fspath(path), kind, written=True))


def open_output(path, kind: str) -> Stream:
    """A file written as it goes (a record, a metrics log): a new empty file put in place of the old at once."""
    target = _target(path, kind)
    with _naming(path):
        fd, tmp = _temp_beside(target)
        try:
            os.replace(tmp, target)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
    stream = Stream(os.fdopen(fd, "w", encoding="utf-8", newline=""), os.fspath(path))
    _note(_Use(target, os.fspath(path), kind, written=True, stream=stream))
    return stream


def plan_output(path, kind: str) -> None:
    """What a later write of `kind` to `path` would refuse, found now (a read-only directory included: a probe
    file is made beside it and removed); from now on no other output may take its place."""
    target = _target(path, kind)
    with _naming(path):
        fd, tmp = _temp_beside(target)
        os.close(fd)
        os.unlink(tmp)
    _note(_Use(target, os.fspath(path), kind, written=True))


def existing_outputs(targets) -> list[str]:
    """The names of those of `targets` ((path, kind) of each file a write would make) that exist and would be
    replaced, but for this program's own earlier writes of the same kind (a second save over the first), once
    each is known to be a place it may write (FileError if not): what an app asks about first."""
    places = [(_target(path, kind), kind) for path, kind in targets]
    with _ledger.lock:
        own = [(use.path, use.kind) for use in _ledger.uses if use.written]
    return [place.name for place, kind in places
            if os.path.lexists(place) and not any(k == kind and _same(p, place) for p, k in own)]


class Stream:
    """An output written as it goes; each write reaches the file at once, and an error names the file."""

    def __init__(self, file, path: str):
        self._file, self.path = file, path

    def write(self, text: str) -> None:
        with _naming(self.path):
            self._file.write(text)
            self._file.flush()

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        with _naming(self.path):
            self._file.close()


def _target(path, kind: str) -> Path:
    """Where a write of `kind` to `path` goes: FileError if it may not."""
    name = os.fspath(path)
    _confined(name)
    target = _place(name)
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise OSError(e.errno, e.strerror, name) from None
    if mode is not None and stat.S_ISLNK(mode):
        raise FileError(f"{name}: a symlink; a file is never written through one (give the path it points to)")
    if mode is not None and not stat.S_ISREG(mode):
        raise FileError(f"{name}: {_what(mode)}, not a regular file; it is never replaced")
    _check_free(target, name, kind)
    return target


def _check_free(target: Path, name: str, kind: str) -> None:
    """FileError if `target` is a file this program is writing now, or reads or writes as another kind."""
    with _ledger.lock:
        uses = list(_ledger.uses)
    for use in uses:
        if not _same(use.path, target):
            continue
        if use.stream is not None and not use.stream.closed:
            raise FileError(f"{name}: {NOUNS[use.kind]} is being written there; choose another name")
        if use.kind != kind or not (use.written or kind == "checkpoint"):
            same = "already" if os.fspath(use.given) == name else f"the same file as {use.given},"
            done = "written" if use.written else "read"
            raise FileError(f"{name}: {same} {done} as {NOUNS[use.kind]}; choose another name")


def _same(a: Path, b: Path) -> bool:
    try:
        first, second = os.stat(a), os.stat(b)
    except OSError:  # one of them does not exist (yet): the same path, then
        return os.path.realpath(a) == os.path.realpath(b)
    return (first.st_dev, first.st_ino) == (second.st_dev, second.st_ino)


def _note(use: _Use) -> None:
    with _ledger.lock:
        if use.stream is None and any((u.path, u.kind, u.written) == (use.path, use.kind, use.written)
                                      for u in _ledger.uses):
            return
        _ledger.uses.append(use)


def _temp_beside(target: Path):
    """A new hidden file beside `target`: (fd, path). Created 0666, so the umask applies, as for any new
    file (mkstemp's 0600 would not); replacing a file, the new one takes the old one's mode."""
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        if target.exists():
            os.fchmod(fd, stat.S_IMODE(target.stat().st_mode))
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    return fd, tmp


@contextmanager
def _naming(path):
    """Re-raise an OSError under the user's path, so no message names a hidden temporary file."""
    try:
        yield
    except OSError as e:
        if e.filename == os.fspath(path):
            raise
        raise OSError(e.errno, e.strerror or str(e), os.fspath(path)) from None
