"""Writing to disk without tearing: whole records or nothing, and a failure that names the disk.

Journals, rejects files and exports are appended record by record. A record that does not fit
(ENOSPC, EIO, EROFS, a quota) is cut back off the file, so a reader never meets half a row, and
the failure is raised as :class:`DiskError`, which says which file and which disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from pathlib import Path

from cxconsole.errors import CXError

# The failures of the disk itself, as opposed to a path we were wrong to use.
DISK_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EIO, errno.EROFS, errno.EDQUOT, errno.EFBIG, errno.ENOMEM}
)


class DiskError(CXError):
    """A file could not be written: which file, why, and the disk it lives on."""

    def __init__(self, path: os.PathLike[str] | str, error: OSError) -> None:
        self.path = Path(path)
        self.errno = error.errno
        self.reason = error.strerror or str(error)
        self.disk = describe_disk(self.path)
        super().__init__(f"cannot write {self.path}: {self.reason} (disk: {self.disk})")

    @property
    def disk_full(self) -> bool:
        return self.errno in (errno.ENOSPC, errno.EDQUOT)


class OutputPathError(CXError):
    """A path cxconsole was asked to write to is unusable; nothing was written."""

    def __init__(self, path: os.PathLike[str] | str, reason: str, *, option: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.option = option  # which setting named the path ("rejects", "export", ...)
        super().__init__(f"{self.path}: {reason}")


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path`` (or its nearest existing parent)."""
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    try:
        device = current.stat().st_dev
    except OSError:
        return current
    while current != current.parent:
        try:
            if current.parent.stat().st_dev != device:
                break
        except OSError:
            break
        current = current.parent
    return current


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"


def describe_disk(path: Path) -> str:
    """``/var (12.0 KB free of 64.0 KB)``: enough for an operator to know what to free."""
    mount = mount_point(path)
    try:
        usage = shutil.disk_usage(mount)
    except OSError:
        return str(mount)
    return f"{mount} ({_size(usage.free)} free of {_size(usage.total)})"


def write_whole(fd: int, data: bytes, path: os.PathLike[str] | str) -> None:
    """Append ``data`` to ``fd`` (opened O_APPEND) entirely, or leave the file as it was.

    A short write on a full disk would leave half a record; it is cut off again before the
    error is raised, so the file always ends on a record boundary.
    """
    try:
        start = os.fstat(fd).st_size
    except OSError as exc:
        raise DiskError(path, exc) from None
    view = memoryview(data)
    written = 0
    try:
        while written < len(view):
            count = os.write(fd, view[written:])
            if count <= 0:  # pragma: no cover - a write that makes no progress
                raise OSError(errno.EIO, "write made no progress")
            written += count
    except OSError as exc:
        if written:
            # Should the cut fail too, readers tolerate a torn last record.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)
        raise DiskError(path, exc) from None


def fsync(fd: int, path: os.PathLike[str] | str) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        raise DiskError(path, exc) from None


def check_output_path(
    path: os.PathLike[str] | str,
    *,
    inputs: tuple[os.PathLike[str] | str, ...] = (),
    option: str = "",
    fresh: bool = False,
) -> Path:
    """Refuse, before anything is sent, a path that would hurt or cannot be written.

    Refused: one of the ``inputs`` (the file being imported), a directory, anything but a
    regular file (``/dev/full``, a FIFO), a place we cannot create or append to, and with
    ``fresh`` a file that already holds something.
    """
    target = Path(path).expanduser().absolute()
    for source in inputs:
        source_path = Path(source).expanduser().absolute()
        same = target == source_path or target.resolve() == source_path.resolve()
        if not same and target.exists() and source_path.exists():
            try:
                same = os.path.samefile(target, source_path)
            except OSError:
                same = False
        if same:
            raise OutputPathError(target, "is the file being imported", option=option)
    if target.exists() or target.is_symlink():
        try:
            mode = target.stat().st_mode
        except OSError as exc:
            raise OutputPathError(target, exc.strerror or str(exc), option=option) from None
        if stat.S_ISDIR(mode):
            raise OutputPathError(target, "is a directory, not a file", option=option)
        if not stat.S_ISREG(mode):
            raise OutputPathError(target, "is not a regular file", option=option)
        if not os.access(target, os.W_OK):
            raise OutputPathError(target, "is not writable", option=option)
        if fresh and target.stat().st_size:
            raise OutputPathError(
                target,
                "exists and is not empty: nothing is ever written into a file cxconsole did "
                "not make; choose a new path",
                option=option,
            )
        return target
    parent = target.parent
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(target, f"{existing} is not a directory", option=option)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(target, f"cannot create files in {existing}", option=option)
    return target


# Spreadsheets evaluate a cell that starts with one of these (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` as OWASP advises."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
