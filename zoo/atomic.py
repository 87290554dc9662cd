"""Atomic file writes: a reader (or a crash) sees the old content or the new, never half of one.

Every output the zoo writes under a user-chosen name goes through here: data is written to a
hidden temporary file in the same folder (so the rename cannot cross file systems), flushed and
fsynced, renamed over the final name, and the folder entry fsynced. ``kill -9`` at any moment
leaves at most a stray ``.NAME.*.tmp`` beside the output, never a truncated output.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["fsync_dir", "fsync_file", "new_file_mode", "write_atomic"]


def fsync_file(path: Path | str) -> None:
    """Flush a file (or folder) that was written by another library to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path | str) -> None:
    """Make a rename inside ``path`` durable (the folder entry itself must reach the disk)."""
    fsync_file(path)


def new_file_mode() -> int:
    """What ``open()`` gives a new file (0o666 less the umask): mkstemp's private 0o600 would leave a
    swapped photo or a model file unreadable to the people and servers the user shares it with."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling and a rename."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, new_file_mode())
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
