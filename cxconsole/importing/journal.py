"""The run journal: ``runs/<run_id>/journal.jsonl``, append-only, fsync'd at each outcome.

It holds what a resume needs and what history shows: the file's identity, the mapping and
options, then per batch what was sent (before sending), what the vendor acknowledged (with
its receipt), refused, failed or left unknown. A crash can only tear the last line, which
readers skip. Files are created mode 0600: they name customers' rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import queue
import secrets
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxconsole.importing.entries import (
    Ack,
    BatchSettled,
    End,
    Entry,
    Failed,
    FixRows,
    Lost,
    ReadDone,
    Refused,
    RunHeader,
    Send,
    Session,
    Torn,
    Unknown,
    decode,
    encode,
)
from cxconsole.paths import ensure_private_dir, runs_dir
from cxconsole.storage import DiskError, write_whole
from cxconsole.storage import fsync as fsync_or_raise

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no "running" detection
    fcntl = None  # type: ignore[assignment]

VERSION = 1
JOURNAL_NAME = "journal.jsonl"
LOCK_NAME = "lock"
# Room kept aside, per session, for its end entry: a disk that fills mid-run still lets the
# session say why it stopped and what it counted (History would otherwise see no end).
RESERVE_NAME = "journal.reserve"
RESERVE_BYTES = 16 * 1024
HEAD_BYTES = 1 << 20


def new_run_id() -> str:
    """Sortable by time, short enough to type: ``20250118-055305-3fa2``."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def run_dir(run_id: str) -> Path:
    return runs_dir() / run_id


def journal_path(run_id: str) -> Path:
    return run_dir(run_id) / JOURNAL_NAME


def ranges(lines: Iterable[int]) -> list[list[int]]:
    """``[3, 4, 5, 9]`` -> ``[[3, 5], [9, 9]]``: a batch's lines, small in the journal."""
    out: list[list[int]] = []
    for line in sorted(lines):
        if out and line == out[-1][1] + 1:
            out[-1][1] = line
        elif not out or line > out[-1][1]:
            out.append([line, line])
    return out


def expand(spans: Iterable[Iterable[int]]) -> Iterator[int]:
    for first, last in spans:
        yield from range(first, last + 1)


def file_identity(path: Path) -> dict[str, Any]:
    """Size, modification time and a hash of the first megabyte: checked before resuming."""
    stat = path.stat()
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        sha.update(fh.read(HEAD_BYTES))
    return {
        "path": str(path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "head_sha256": sha.hexdigest(),
    }


def open_private(path: Path, flags: int) -> int:
    """An fd for a file created 0600 (and made 0600 if it existed looser)."""
    fd = os.open(path, flags | os.O_CREAT, 0o600)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o600)
    return fd


class Journal:
    """Appends JSON lines to one run's journal; one writer at a time (an flock)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        try:
            self.dir = ensure_private_dir(run_dir(run_id))
        except OSError as exc:
            raise DiskError(run_dir(run_id), exc) from None
        self.path = self.dir / JOURNAL_NAME
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._failure: DiskError | None = None

    def open(self) -> Journal:
        """Take the run's lock (before anything reads the journal), then open it to append.

        A journal that ends in a torn line (a crash or a full disk mid-write) gets the line
        ended first, so the next entry cannot merge with the fragment into one unreadable line.
        """
        self._lock()
        try:
            self._fd = open_private(self.path, os.O_RDWR | os.O_APPEND)
            size = os.fstat(self._fd).st_size
            if size and os.pread(self._fd, 1, size - 1) != b"\n":
                write_whole(self._fd, b"\n", self.path)
                fsync_or_raise(self._fd, self.path)
        except OSError as exc:
            self.close()
            raise DiskError(self.path, exc) from None
        except DiskError:
            self.close()
            raise
        return self

    def reserve(self) -> None:
        """Set aside the room :meth:`write_end` frees; raises :class:`DiskError` when the
        disk has not that much left (the session then writes nothing at all)."""
        path = self.dir / RESERVE_NAME
        try:
            fd = open_private(path, os.O_WRONLY)
            try:
                if os.fstat(fd).st_size < RESERVE_BYTES:
                    os.ftruncate(fd, 0)
                    os.lseek(fd, 0, os.SEEK_SET)
                    write_whole(fd, b"\0" * RESERVE_BYTES, path)
                    fsync_or_raise(fd, path)
            finally:
                os.close(fd)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise DiskError(path, exc) from None
        except DiskError:
            path.unlink(missing_ok=True)
            raise

    def write_end(self, entry: End) -> bool:
        """The session's end once the journal refused an entry: written in the room
        :meth:`reserve` kept (freed first), after the last whole line. False if even that
        failed (no reserve, another disk fault): History then sees no end."""
        (self.dir / RESERVE_NAME).unlink(missing_ok=True)
        try:
            fd = open_private(self.path, os.O_RDWR | os.O_APPEND)
            try:
                size = os.fstat(fd).st_size
                torn = bool(size) and os.pread(fd, 1, size - 1) != b"\n"
                write_whole(fd, (b"\n" if torn else b"") + encode(entry), self.path)
                fsync_or_raise(fd, self.path)
            finally:
                os.close(fd)
        except (OSError, DiskError):
            return False
        return True

    @property
    def locked(self) -> bool:
        return self._lock_fd is not None or fcntl is None

    def _lock(self) -> None:
        if fcntl is None:
            return
        fd = open_private(self.dir / LOCK_NAME, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            from cxconsole.importing.errors import ResumeError

            raise ResumeError(f"run {self.run_id} is running in another process") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def write(self, entry: Entry, *, sync: bool = True) -> None:
        """Append one entry; ``sync`` makes it durable before returning (an acknowledgement)."""
        assert self._fd is not None, "journal not open"
        write_whole(self._fd, encode(entry), self.path)
        if sync:
            fsync_or_raise(self._fd, self.path)

    # -- from an event loop: group commit ----------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Write from a thread of its own: concurrent batches share one fsync (group commit)."""
        self._loop = loop
        self._queue: queue.SimpleQueue[tuple[bytes, asyncio.Future[None] | None] | None] = (
            queue.SimpleQueue()
        )
        self._failure = None
        self._thread: threading.Thread | None = threading.Thread(
            target=self._writer, name="cxconsole-journal", daemon=True
        )
        self._thread.start()

    @property
    def failure(self) -> DiskError | None:
        """Why the journal stopped taking entries, once a write failed (it never resumes)."""
        return self._failure

    async def append(self, entry: Entry, *, sync: bool = True) -> None:
        """Queue one entry; with ``sync``, return once it is on disk (fsync'd).

        Raises :class:`DiskError` once any write failed: after a failure nothing more is
        written, so the journal never holds an entry that came after one it lost.
        """
        if self._failure is not None:
            raise self._failure
        if not sync:
            self._queue.put((encode(entry), None))
            return
        future: asyncio.Future[None] = self._loop.create_future()
        self._queue.put((encode(entry), future))
        await future

    async def flush(self) -> None:
        """Return once everything queued so far is written and fsync'd."""
        future: asyncio.Future[None] = self._loop.create_future()
        self._queue.put((b"", future))
        await future

    def _writer(self) -> None:
        assert self._fd is not None
        stop = False
        while not stop:
            items = [self._queue.get()]
            while True:  # everything queued meanwhile goes in the same write and fsync
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if None in items:
                stop = True
            work = [item for item in items if item is not None]
            error = self._failure
            if error is None and work:
                start: int | None = None
                try:
                    start = os.fstat(self._fd).st_size
                    write_whole(self._fd, b"".join(data for data, _ in work), self.path)
                    if any(future is not None for _, future in work):
                        fsync_or_raise(self._fd, self.path)
                except OSError as exc:
                    error = self._failure = DiskError(self.path, exc)
                except DiskError as exc:
                    error = self._failure = exc
                    if start is not None:
                        # Written but not made durable: cut off, so the journal never holds
                        # an intent whose request was not made (its rows are "not sent").
                        with contextlib.suppress(OSError):
                            os.ftruncate(self._fd, start)
            for _, future in work:
                if future is not None:
                    self._loop.call_soon_threadsafe(_settle, future, error)

    async def aclose(self) -> None:
        """Write what is queued, then close (and release the lock)."""
        thread = getattr(self, "_thread", None)
        if thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(thread.join)
            self._thread = None
        try:
            if self._fd is not None and self._failure is None:
                await asyncio.to_thread(fsync_or_raise, self._fd, self.path)
        finally:
            self.close()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):  # the session's reserve: not needed any more
                (self.dir / RESERVE_NAME).unlink(missing_ok=True)
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None


def _settle(future: asyncio.Future[None], error: DiskError | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def read_journal(path: Path) -> list[Entry]:
    """Every entry. A torn line (a crash or a full disk mid-write) is a :class:`Torn` entry,
    naming its batch when the fragment shows one: that batch "may have been sent"."""
    entries: list[Entry] = []
    with path.open("rb") as fh:
        for raw in fh:
            entry = decode(raw)
            if entry is not None:
                entries.append(entry)
    return entries


CLAIMS_DIR = ".claims"


class FileClaim:
    """Held by the run that sends a file's content to an account, for as long as it runs:
    a second run of the same content to the same account (under any profile name), started
    even at the same moment, finds it taken (an flock, released by the system if the process
    dies). ``account`` is the account's identity, as text."""

    def __init__(self, account: str, sha256: str) -> None:
        key = hashlib.sha256(f"{account}\0{sha256}".encode()).hexdigest()
        self.path = runs_dir() / CLAIMS_DIR / f"{key}.lock"
        self._fd: int | None = None

    def take(self, run_id: str) -> str | None:
        """Take it for ``run_id``: None when taken, else the run id of its holder."""
        if fcntl is None:
            return None
        try:
            ensure_private_dir(self.path.parent)
            fd = open_private(self.path, os.O_RDWR)
        except OSError as exc:
            raise DiskError(self.path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            return holder or "?"
        os.ftruncate(fd, 0)
        os.pwrite(fd, run_id.encode(), 0)
        self._fd = fd
        return None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None


def is_running(run_id: str) -> bool:
    """Whether another process holds the run's lock right now."""
    if fcntl is None:
        return False
    lock = run_dir(run_id) / LOCK_NAME
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


@dataclass
class Replay:
    """What a journal says happened, folded: the basis of resume and of history.

    Details (which lines were imported, refused, left unknown) are kept only for batches not
    settled yet, so folding the journal of a million-row run stays small and quick.
    """

    header: RunHeader
    done: dict[int, str] = field(default_factory=dict)  # batch -> "done" | "unknown"
    payload: dict[int, str] = field(default_factory=dict)  # batch -> sha of the whole batch
    acked: dict[int, list[list[int]]] = field(default_factory=dict)  # batch -> spans imported
    refused: dict[int, dict[int, str]] = field(default_factory=dict)  # batch -> line -> reason
    unknown: dict[int, dict[int, str]] = field(default_factory=dict)  # batch -> line -> reason
    failed: dict[int, str] = field(default_factory=dict)  # batch -> last failure message
    in_flight: dict[tuple[int, str], list[list[int]]] = field(default_factory=dict)
    # Batches named by a torn entry: they may have been sent, whatever the journal says next.
    suspect: set[int] = field(default_factory=set)
    # Keys of rows the operator fixed that the vendor took (acknowledged in a fix batch).
    fixed: set[int] = field(default_factory=set)
    # Batches of fixed rows (numbered after the file's own), and, for those not settled
    # yet, the rows as fixed (key -> values): a resume sends them from here, not the file.
    fix_batches: set[int] = field(default_factory=set)
    fix_rows: dict[int, dict[int, list[Any]]] = field(default_factory=dict)
    # Keys of rows that may have reached the vendor without an answer (a lost reply, a run
    # stopped in flight): the only rows a "have it already" answer counts as imported.
    maybe_held: set[int] = field(default_factory=set)
    rows_imported: int = 0
    batches_ok: int = 0
    # Settled batches some of whose rows the vendor refused (the rest imported).
    partial: set[int] = field(default_factory=set)
    read: ReadDone | None = None  # the file read to its end
    end: End | None = None  # the last end of a session
    sessions: int = 0
    last_at: str | None = None

    @classmethod
    def of(cls, entries: list[Entry]) -> Replay:
        if not entries or not isinstance(entries[0], RunHeader):
            raise ValueError("not a run journal (no header)")
        replay = cls(header=entries[0])
        for entry in entries[1:]:
            replay.apply(entry)
        # A batch sent but never answered in the journal: the process died while it was in
        # flight, so the vendor may have it. Like a lost reply, it is not resent.
        for (batch, _part), spans in replay.in_flight.items():
            reason = "unknown outcome: the run stopped while this batch was being sent"
            replay.unknown.setdefault(batch, {}).update(dict.fromkeys(expand(spans), reason))
            replay.maybe_held.update(expand(spans))
        replay.in_flight.clear()
        return replay

    def apply(self, entry: Entry) -> None:
        self.last_at = entry.at or self.last_at
        match entry:
            case Session(account=account):
                self.sessions += 1
                self.end = None
                if account:  # where the run sends now (see Session.account)
                    self.header = replace(self.header, account=account)
            case Torn(batch=int(batch)) if self.done.get(batch) is None:
                self.suspect.add(batch)
            case FixRows(batch=batch, rows=rows):
                self.fix_batches.add(batch)
                self.fix_rows[batch] = {int(key): list(values) for key, values in rows.items()}
            case Send(batch=batch, part=part):
                if part.startswith("fix"):  # journals from before FixRows
                    self.fix_batches.add(batch)
                self.in_flight[(batch, part)] = entry.lines
                if part == "" and entry.payload_sha256:
                    self.payload.setdefault(batch, entry.payload_sha256)
            case Lost(batch=batch, part=part):
                # Sent again at once (a vendor that recognises duplicates): settled by what
                # follows, and safe to send again on resume if nothing does.
                self.in_flight.pop((batch, part), None)
                self.maybe_held.update(expand(entry.lines))
            case Ack(batch=batch, part=part, lines=spans):
                self.in_flight.pop((batch, part), None)
                if batch in self.fix_batches:
                    self.fixed.update(expand(spans))
                self.acked.setdefault(batch, []).extend(spans)
                self.rows_imported += sum(last - first + 1 for first, last in spans)
            case Refused(batch=batch, part=part, lines=spans):
                self.in_flight.pop((batch, part), None)
                message = entry.message or "refused by the vendor"
                self.refused.setdefault(batch, {}).update(
                    {line: entry.reasons.get(str(line), message) for line in expand(spans)}
                )
            case Unknown(batch=batch, part=part, lines=spans):
                self.in_flight.pop((batch, part), None)
                reason = "unknown outcome: " + (entry.message or "the reply was lost")
                self.unknown.setdefault(batch, {}).update(dict.fromkeys(expand(spans), reason))
                self.maybe_held.update(expand(spans))
            case Failed(batch=batch, part=part):
                self.in_flight.pop((batch, part), None)
                self.failed[batch] = entry.message
            case BatchSettled(batch=batch, state=("done" | "unknown") as state):
                self.done[batch] = state
                self.suspect.discard(batch)
                self.failed.pop(batch, None)
                if state == "done":
                    # Settled: a resume skips the whole batch, its details are not needed.
                    # (An "unknown" batch keeps them: its unknown rows may be sent again.)
                    self.acked.pop(batch, None)
                    self.refused.pop(batch, None)
                    self.unknown.pop(batch, None)
                    self.fix_rows.pop(batch, None)
                    self.partial.discard(batch)
                    if entry.imported == entry.rows:
                        self.batches_ok += 1
                    elif entry.refused:
                        self.partial.add(batch)
            case ReadDone():
                self.read = entry
            case End():
                self.end = entry

    def settled(self, batch: int, *, unknown: bool = True) -> dict[int, str]:
        """Lines of a batch already dealt with: imported ("") or not, with the reason.

        ``unknown=False`` leaves out the rows of unknown outcome (they are to be sent again).
        An imported row stays imported whatever was said of it before.
        """
        lines: dict[int, str] = {}
        if unknown:
            lines.update(self.unknown.get(batch, {}))
        lines.update(self.refused.get(batch, {}))
        lines.update(dict.fromkeys(expand(self.acked.get(batch, [])), ""))
        return lines

    def outcomes(self, *, resend_unknown: bool = False) -> dict[int, str]:
        """Each settled batch's outcome: ``ok``, ``partial`` (rows refused) or ``unknown``.

        With ``resend_unknown`` the unknown batches are left out: they are to be sent again.
        """
        found: dict[int, str] = {}
        for batch, state in self.done.items():
            if state == "unknown":
                if not resend_unknown:
                    found[batch] = "unknown"
            else:
                found[batch] = "partial" if batch in self.partial else "ok"
        return found

    @property
    def unknown_rows(self) -> int:
        return sum(len(lines) for lines in self.unknown.values())

    @property
    def reached_vendor(self) -> bool:
        """Whether any row of the run reached the vendor, or may have: imported, unknown,
        in flight, named by a torn entry, fixed. False when every batch sent was refused."""
        return bool(
            self.rows_imported
            or self.unknown_rows
            or self.maybe_held
            or self.suspect
            or self.in_flight
            or self.fixed
            or "unknown" in self.done.values()
        )
