"""The typed events of an import run, and the hub that hands them to every consumer.

The TUI screen, the CLI progress line and the tests consume the same stream: register a
callback with :meth:`EventHub.subscribe`, or iterate :meth:`EventHub.stream` with ``async for``.
A flood of :class:`Progress` events collapses into the latest for an iterator that lags.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from cxconsole.catalog.entry import CatalogEntry

log = logging.getLogger("cxconsole.importing")


class RunState(StrEnum):
    """Where a run is. Strings, so a journal or a test can hold them as they are."""

    READY = "ready"
    CHECKING = "checking"  # the whole-file pre-flight
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    FINISHED = "finished"  # the file went through (rows may still be rejected: see outcome)
    CANCELLED = "cancelled"
    STOPPED = "stopped"  # too many failed batches, or a refusal of the profile itself
    AUTH_FAILED = "auth_failed"
    INPUT_ERROR = "input_error"  # the file or the options; nothing more is sent
    DISK_ERROR = "disk_error"  # the journal, the rejects file or the log could not be written
    ERROR = "error"  # a bug: details in the log

    @property
    def resumable(self) -> bool:
        return self in RESUMABLE


RESUMABLE = frozenset(
    {RunState.CANCELLED, RunState.STOPPED, RunState.AUTH_FAILED, RunState.DISK_ERROR}
)


def is_resumable(state: str | None, *, failed: bool = False) -> bool:
    """Whether a run that ended with ``state`` (None: it never ended, killed) can be resumed;
    ``failed``: it has rows of failed batches left, which a resume sends again. The one rule
    behind the command's summary, History and Home (an input error or a bug is not: the same
    file and options stop the same way)."""
    if state is None:
        return True
    if state == RunState.FINISHED:
        return failed
    return state in RESUMABLE


class RunOutcome(StrEnum):
    """What a finished run achieved, row-wise: the one word every face shows."""

    COMPLETE = "complete"  # every row imported
    PARTIAL = "partial"  # some rows imported, some not
    NOTHING = "nothing"  # no row imported
    EMPTY = "empty"  # the file held no row


@dataclass(frozen=True, slots=True)
class PreflightProgress:
    rows_read: int
    fraction: float | None  # of the file's bytes, when known


@dataclass(frozen=True, slots=True)
class PreflightDone:
    rows: int
    rows_invalid: int
    batches: int
    date_orders: dict[str, bool]  # field -> day first, as settled from the whole column
    blank_lines: int = 0


@dataclass(frozen=True, slots=True)
class RunStarted:
    run_id: str
    source: Path
    profile: str
    vendor: str
    journal_path: Path
    rejects_path: Path
    resumed: bool
    dry_run: bool
    batch_size: int
    concurrency: int
    mapping: dict[str, str]  # header -> field or key sent
    warnings: tuple[str, ...] = ()
    read_as: str = ""  # format, encoding, delimiter: how the file is read (always shown)
    recorded: bool = True  # False: a dry run that could not write its journal (no state dir)


@dataclass(frozen=True, slots=True)
class BatchQueued:
    batch: int
    records: int  # contacts / customers / records / leads in the batch
    rows: int  # source rows they came from
    first_line: int
    last_line: int


@dataclass(frozen=True, slots=True)
class BatchSending:
    batch: int
    part: str  # "" for the whole batch; "1.2" for a half of a half while isolating a bad row
    records: int


@dataclass(frozen=True, slots=True)
class BatchRetrying:
    batch: int
    part: str
    attempt: int  # the attempt that failed
    reason: str
    wait: float  # seconds until the next attempt
    entry: CatalogEntry | None


@dataclass(frozen=True, slots=True)
class BatchAcknowledged:
    batch: int
    part: str
    records: int
    rows: int
    receipt: dict[str, Any]
    latency: float  # seconds, from the first attempt to the reply
    attempts: int = 1
    status: int | None = None  # the HTTP status of the reply


@dataclass(frozen=True, slots=True)
class BatchFailed:
    """A batch (or part) that was not imported: ``unknown`` means the vendor may have it."""

    batch: int
    part: str
    rows: int
    message: str
    code: str | None
    entry: CatalogEntry | None
    retry_later: bool  # may be sent again (retry_failed(), or --resume)
    unknown: bool = False  # the reply was lost after sending: never resent automatically
    auth: bool = False


@dataclass(frozen=True, slots=True)
class RowsRejected:
    batch: int | None  # None: rejected while reading (validation)
    kind: str  # "invalid", "refused" (by the vendor), "unknown" (outcome), "failed"
    lines: tuple[int, ...]
    reasons: tuple[str, ...]  # one per line


@dataclass(frozen=True, slots=True)
class Progress:
    rows_read: int
    rows_total: int | None  # known once the whole file is read
    rows_imported: int
    rows_rejected: int
    batches_done: int
    batches_total: int | None
    batches_failed: int
    rows_per_second: float
    eta_seconds: float | None
    fraction: float | None  # of the file read (bytes or sheet rows)
    elapsed: float
    # The batches with an outcome (``batches_done``) by outcome, earlier sessions' included:
    # ok + partial + unknown + failed = done; the rest of ``batches_total`` is still to send.
    batches_ok: int = 0
    batches_partial: int = 0  # some rows refused by the vendor, the rest imported
    batches_unknown: int = 0
    rows_unknown: int = 0  # among rows_rejected: rows of unknown outcome (may be at the vendor)

    @property
    def batches_pending(self) -> int | None:
        """Batches not settled yet (queued, in flight, or not sent): None while unknown."""
        if self.batches_total is None:
            return None
        return max(0, self.batches_total - self.batches_done)


@dataclass(frozen=True, slots=True)
class StateChanged:
    state: str  # "running", "paused", "cancelling", "finished"


@dataclass(frozen=True, slots=True)
class Notice:
    message: str  # a warning worth showing: a duplicate header, a capped concurrency, ...


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    state: str  # a RunState
    dry_run: bool
    rows_total: int
    rows_imported: int
    rows_rejected: int  # every row not imported: invalid + refused + unknown + failed
    rows_invalid: int
    rows_refused: int
    rows_unknown: int
    rows_failed: int
    batches_total: int
    batches_ok: int
    batches_failed: int
    batches_unknown: int
    rejects_path: Path
    journal_path: Path
    elapsed: float
    message: str = ""  # why the run stopped early, when it did
    rows_not_sent: int = 0  # read (or counted by the pre-flight) but never sent: resumable
    batches_partial: int = 0  # settled with some rows refused by the vendor, the rest in
    # Rows counted rejected (among rows_rejected) that the rejects file does not list: the
    # disk refused them. The journal holds them; a resume lists them.
    rows_unlisted: int = 0
    # False when the run's folder could not be made (a read-only state dir): no run exists,
    # so it has no id, journal or rejects file to name.
    made: bool = True
    # A dry run that went on without its state dir (nothing it writes is needed later): it
    # has no journal, and a rejects file only where --rejects put one (``rejects_kept``).
    unrecorded: bool = False
    rejects_kept: bool = True

    @property
    def rejects_written(self) -> bool:
        """Whether ``rejects_path`` names a rejects file this run wrote."""
        return self.made or (self.unrecorded and self.rejects_kept)

    @property
    def rows_not_imported(self) -> int:
        """Every row of the file not imported: rejected (unknown included) and not sent."""
        return self.rows_rejected + self.rows_not_sent

    @property
    def batches_not_sent(self) -> int:
        """Batches with no outcome: ok + partial + failed + unknown + not sent = total."""
        settled = self.batches_ok + self.batches_partial + self.batches_failed
        return max(0, self.batches_total - settled - self.batches_unknown)

    @property
    def rejects_incomplete(self) -> str:
        """What the rejects file lacks, as every face says it; "" when it lists every row."""
        return f"INCOMPLETE: {missing_said(self.rows_unlisted)}" if self.rows_unlisted else ""

    @property
    def resumable(self) -> bool:
        if not self.made:
            return False
        return is_resumable(self.state, failed=self.rows_failed > 0)

    @property
    def outcome(self) -> RunOutcome:
        if self.rows_imported == 0 and self.state == RunState.INPUT_ERROR:
            # Stopped by the file or the options before anything was imported, whatever it
            # had read: "empty" is said only of a file that went through with no row.
            return RunOutcome.NOTHING
        if self.rows_total == 0:
            return RunOutcome.EMPTY
        if self.rows_imported == 0:
            return RunOutcome.NOTHING
        if self.rows_imported < self.rows_total:
            return RunOutcome.PARTIAL
        return RunOutcome.COMPLETE

    @property
    def complete(self) -> bool:
        """Every row read was imported and the run ended normally."""
        return self.state == RunState.FINISHED and self.outcome is RunOutcome.COMPLETE

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejects_path"] = str(self.rejects_path)
        data["journal_path"] = str(self.journal_path)
        data["elapsed"] = round(self.elapsed, 3)
        data["state"] = str(self.state)
        data["outcome"] = str(self.outcome)
        data["batches_not_sent"] = self.batches_not_sent
        for name in ("made", "unrecorded", "rejects_kept"):
            del data[name]
        if not self.made:
            data.update(run_id=None, journal_path=None)
        if not self.rejects_written:
            data.update(rejects_path=None)
        return data


@dataclass(frozen=True, slots=True)
class RunFinished:
    summary: RunSummary


Event = (
    PreflightProgress
    | PreflightDone
    | RunStarted
    | BatchQueued
    | BatchSending
    | BatchRetrying
    | BatchAcknowledged
    | BatchFailed
    | RowsRejected
    | Progress
    | StateChanged
    | Notice
    | RunFinished
)


@dataclass(eq=False)
class _Subscriber:
    queue: deque[Event] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False


class EventStream:
    """``async for event in stream``: ends after :class:`RunFinished`."""

    def __init__(self, hub: EventHub, sub: _Subscriber) -> None:
        self._hub = hub
        self._sub = sub

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        sub = self._sub
        try:
            while True:
                while sub.queue:
                    event = sub.queue.popleft()
                    yield event
                    if isinstance(event, RunFinished):
                        return
                if sub.closed:
                    return
                sub.wake.clear()
                await sub.wake.wait()
        finally:
            self._hub._streams.discard(sub)


class EventHub:
    """Fans every event out to callbacks and iterators, in the event loop's thread."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Event], Any]] = []
        self._streams: set[_Subscriber] = set()

    def subscribe(self, callback: Callable[[Event], Any]) -> Callable[[], None]:
        """Call ``callback(event)`` for each event; returns a function that unsubscribes."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def stream(self) -> EventStream:
        sub = _Subscriber()
        self._streams.add(sub)
        return EventStream(self, sub)

    def emit(self, event: Event) -> None:
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:  # a broken consumer must not break the import
                log.exception("import event callback failed on %s", type(event).__name__)
        for sub in list(self._streams):
            queue = sub.queue
            if isinstance(event, Progress) and queue and isinstance(queue[-1], Progress):
                queue[-1] = event  # collapse: only the latest progress matters
            else:
                queue.append(event)
            sub.wake.set()

    def close(self) -> None:
        for sub in list(self._streams):
            sub.closed = True
            sub.wake.set()


def duration(seconds: float | None) -> str:
    """A run's time as both faces say it: ``42s``, ``3m07s``, ``2h05m``; empty when unknown."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


_ENDED = {
    "cancelled": "cancelled",
    "stopped": "stopped",
    "auth_failed": "key refused",
    "disk_error": "disk error",
    "input_error": "input error",
    "error": "error",
}
_FINISHED = {
    "complete": "finished",
    "partial": "finished, partly",
    "nothing": "finished, none in",
    "empty": "finished, empty file",
}


def state_word(
    state: str | None,
    outcome: str | None = None,
    *,
    resumable: bool = False,
    running: bool = False,
    dry_run: bool = False,
) -> str:
    """A run's state as every face says it (the command's summary, History, Home): its last
    word (None: it never ended, killed), what a finished run achieved, and whether a resume
    has rows left to send. ``finished, partly · resumable``: every batch went out, some
    failed, and a resume sends those again."""
    if running:
        return "running"
    if state is None:
        word = "interrupted"
    elif state == "finished":
        word = _FINISHED.get(outcome or "", "finished")
    else:
        word = _ENDED.get(state, state)
    if dry_run:
        return f"{word} (dry run)"
    return f"{word} · resumable" if resumable else word


def missing_said(count: int) -> str:
    """Rows counted rejected that the rejects file lacks, and where they are, as every face
    (the command's summary, the run pane, History) says them."""
    return (
        f"{count:,} rejected row(s) are missing from it (the disk refused them, or the run "
        "stopped before it read them; the journal or the file holds them, and a resume lists "
        "them or, failed, sends them again)"
    )


def batches_said(ok: int, failed: int, partial: int, unknown: int, not_sent: int = 0) -> str:
    """A run's batches as every face says them, in one order: ok and failed always, the
    partly refused, the unknown and the not sent when there are any."""
    said = [f"{ok:,} ok", f"{failed:,} failed"]
    for count, what in ((partial, "partly refused"), (unknown, "unknown"), (not_sent, "not sent")):
        if count:
            said.append(f"{count:,} {what}")
    return ", ".join(said)
