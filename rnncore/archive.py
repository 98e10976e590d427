"""A checkpoint's .npz archive, read one member at a time: every member's size is checked against the shape
the checkpoint's header gives it before a byte of its data is decompressed (a zip bomb is refused unread)."""
from __future__ import annotations

import math
import zipfile
from collections.abc import Callable

import numpy as np
from numpy.lib import format as npy

from .budget import refusal

ZIP_MAGIC = b"PK\x03\x04"  # every .npz is a zip archive
MAX_HEADER = 16 << 20  # bytes of the JSON header: a vocabulary of 65,536 symbols takes under 1 MB
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # np.savez's and np.savez_compressed's; each stops at its size


class ArchiveError(ValueError):
    """An archive that is not a readable checkpoint; the message says why, without the file's name."""


Shape = tuple | Callable[[tuple], bool]  # the shape a member must have, or a test of the shape it declares


class Archive:
    """The members of an open .npz file by name (without ".npy")."""

    def __init__(self, file):
        if file.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
            file.seek(0, 2)
            raise ArchiveError("the file is empty" if not file.tell() else "not an .npz archive, so not an rnncore "
                               "checkpoint")
        file.seek(0)
        try:
            self.zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            raise ArchiveError(f"not a readable checkpoint (truncated or corrupt: {e})") from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in self.zip.infolist():
            name = info.filename.removesuffix(".npy")
            if name == info.filename or name in self.members:
                why = "is not a NumPy array" if name == info.filename else "appears twice"
                raise ArchiveError(f"member {info.filename} {why}, so not an rnncore checkpoint")
            if info.compress_type not in METHODS:
                raise ArchiveError(f"member {info.filename} is compressed in a way np.savez never does")
            self.members[name] = info

    def header(self) -> bytes | None:
        """The JSON header's bytes, None if there is none."""
        if "header" not in self.members:
            return None
        shape, dtype = self._declared("header", MAX_HEADER)
        if len(shape) != 1 or dtype != np.uint8:
            raise ArchiveError("the header is not a byte array")
        return self._array("header").tobytes()

    def arrays(self, expected: dict[str, Shape], name_of: Callable[[str], str],
               unknown: Callable[[str], str]) -> dict[str, np.ndarray]:
        """Every member but the header, once each is known to be `expected`, to declare the shape it should there,
        and to hold no more bytes than that shape needs: parameters first. `name_of(member)` names a member in a
        message, `unknown(member)` says why one not expected is refused."""
        sizes = 0
        for name in sorted(self.members.keys() - {"header"}, key=lambda name: (not name.startswith("param/"),
                                                                               name not in expected, name)):
            if name not in expected:
                raise ArchiveError(unknown(name))
            shape, dtype = self._declared(name)
            wanted = expected[name]
            if callable(wanted) and not wanted(shape):
                raise ArchiveError(f"{name_of(name)} is {dtype}{shape}")
            if not callable(wanted) and shape != wanted:
                raise ArchiveError(f"{name_of(name)} is {dtype}{shape}, expected {wanted}")
            if dtype.kind != "f":
                raise ArchiveError(f"{name_of(name)} is {dtype}, not floating point")
            sizes += self.members[name].file_size
        why = refusal("loading it", sizes)
        if why:
            raise ArchiveError(why)
        return {name: self._array(name) for name in self.members if name != "header"}

    def _declared(self, name: str, limit: float = math.inf) -> tuple[tuple, np.dtype]:
        """(shape, dtype) a member's .npy header declares, once its size in the archive is the size they need."""
        info = self.members[name]
        try:
            with self.zip.open(info) as fp:
                version = npy.read_magic(fp)
                shape, _, dtype = (npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0)(fp)
                start = fp.tell()
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            raise ArchiveError(f"member {info.filename} is not a readable array ({e})") from None
        if dtype.hasobject:
            raise ArchiveError("holds pickled objects, which are never loaded")
        needed = start + math.prod(shape) * dtype.itemsize
        if info.file_size != needed or needed > limit:
            raise ArchiveError(f"member {info.filename} declares {info.file_size:,} bytes; its {dtype}{shape} needs "
                               f"{needed:,}" + ("" if needed <= limit else f", more than the {limit:,} allowed"))
        return shape, dtype

    def _array(self, name: str) -> np.ndarray:
        try:
            with self.zip.open(self.members[name]) as fp:
                return npy.read_array(fp, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            raise ArchiveError(f"not a readable checkpoint (truncated or corrupt: {e})") from None
