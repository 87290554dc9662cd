"""Output checks every command runs before any work: the zoo never destroys what it did not create.

An output that is (or lies inside, or contains) one of the command's inputs is refused outright; an
existing output file is refused unless the user passed ``--force``; a folder that cannot be
written is reported with its name. The checks touch nothing (a writability probe leaves no file),
so a refused command has changed nothing on disk.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from zoo.errors import ZooError
from zoo.remedy import FORCE

__all__ = ["OutputError", "check_not_an_input", "check_output_file", "check_output_folder", "is_inside", "same_path", "writable_folder"]


class OutputError(ZooError):
    """An output path that would overwrite an input or an existing file, or cannot be written."""


def same_path(a: Path, b: Path) -> bool:
    """The same file system entry (symlinks and ``..`` resolved), whether or not it exists yet."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def is_inside(path: Path, folder: Path) -> bool:
    """``path`` lies strictly inside ``folder`` (after resolving both)."""
    return folder.resolve() in path.resolve().parents


def _check_name_lengths(path: Path, what: str) -> None:
    """A name the file system cannot hold: said up front, not as ``OSError: File name too long`` later."""
    limit = os.pathconf(_nearest_existing(Path(os.path.abspath(path))), "PC_NAME_MAX")
    for part in path.parts:
        if len(os.fsencode(part)) > limit:
            raise OutputError(f"{what}: the name {part[:24]}… is {len(os.fsencode(part))} bytes, more than the "
                              f"file system allows ({limit})")


def _nearest_existing(path: Path) -> Path:
    current = path
    while not _exists(current) and current != current.parent:
        current = current.parent
    return current


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a component too long to stat
        return False


def writable_folder(folder: Path) -> bool:
    """Whether a file can be created in ``folder``: probed for real (root ignores permission bits,
    a read-only mount does not), and the probe file is removed at once."""
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".zoo-write-probe.")
    except OSError:
        return False
    os.close(handle)
    os.unlink(probe)
    return True


def check_not_an_input(path: Path, inputs: Sequence[tuple[str, Path]], *, what: str) -> None:
    """Refuse an output file that is one of the inputs or lies inside an input folder (``--force`` or not)."""
    for label, source in inputs:
        if same_path(path, source):
            raise OutputError(f"{what} is the same file as the {label} {source}: refusing to overwrite an input")
        if source.is_dir() and is_inside(path, source):
            raise OutputError(f"{what} is inside the {label} {source}: write outputs outside the inputs")


def check_output_file(path: Path, inputs: Sequence[tuple[str, Path]], *, force: bool, what: str,
                      folder_must_exist: bool = True) -> None:
    """Refuse writing ``path`` over an input, over a folder, or over an existing file without ``force``.

    ``inputs`` pairs a label ("target photo") with each input path; ``what`` names the output the
    way the user wrote it (``-o out.png``) so the message points at the option to change.
    """
    _check_name_lengths(path, what)
    check_not_an_input(path, inputs, what=what)
    if path.is_dir():
        raise OutputError(f"{what} is a folder: give an output file name (e.g. {path / 'result.png'})")
    if path.exists() and not path.is_file():  # the rename into place would replace a FIFO or a device node itself
        raise OutputError(f"{what} is not a regular file (a FIFO, socket or device): refusing to replace it")
    if path.exists() and not force:
        raise OutputError(f"{what} already exists: pass {FORCE} to overwrite it")
    if not folder_must_exist:
        return
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"output directory {folder} does not exist (for {what})")
    if not writable_folder(folder):
        raise OutputError(f"output directory {folder} is not writable (for {what})")


def check_output_folder(path: Path, inputs: Sequence[tuple[str, Path]], *, what: str, parents: bool = True) -> None:
    """Refuse an output folder that is, holds or lies inside an input, is a file, or cannot be created.

    With ``parents=False`` the folder's parent must already exist.
    """
    _check_name_lengths(path, what)
    for label, source in inputs:
        if same_path(path, source):
            raise OutputError(f"{what} is the {label} {source}: write the results to another folder")
        if source.is_dir() and is_inside(path, source):
            raise OutputError(f"{what} is inside the {label} {source}: write the results outside it")
        if is_inside(source, path):
            raise OutputError(f"{what} contains the {label} {source}: write the results to a folder of their own")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{what} is a file, not a folder")
    if not parents and not path.parent.is_dir():
        raise OutputError(f"output directory {path.parent} does not exist (for {what})")
    existing = _nearest_existing(path)
    if not existing.is_dir():
        raise OutputError(f"{what} cannot be created: {existing} is a file, not a folder")
    if not writable_folder(existing):
        raise OutputError(f"{what} cannot be written: {existing} is not writable")
