"""The reading side of a run, in its own thread: read, map, validate, fold, batch, serialise.

It runs off the event loop so a UI stays responsive, and hands batches (with the rows it
rejected on the way) to the loop through a bounded queue: when the senders fall behind, the
thread waits, so memory stays flat however large the file. A dry run hands over only each
batch's counts, in groups: the batch is dropped in this thread, where it was made.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from time import sleep
from typing import Any, Protocol

from cxconsole.importing.batching import Batch, Batcher, BatchInfo
from cxconsole.importing.readers import RowProblem, RowStream
from cxconsole.importing.records import Item, ProductFolder, RowPlan, make_item
from cxconsole.importing.rejects import Reject
from cxconsole.importing.validate import RowError

log = logging.getLogger("cxconsole.importing")

REJECT_FLUSH = 256  # invalid rows written to the rejects file in groups of this many
GC_THRESHOLD = 50_000  # allocations between young collections while the thread reads


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """While a file is read: the reading thread allocates a few containers per row, none of
    them in a cycle, and the default of a collection every 700 allocations costs it up to a
    fifth of its time."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


@dataclass(slots=True)
class Chunk:
    """What the thread hands over: batches (maybe none), and rows it rejected before them."""

    batches: list[Batch | BatchInfo]  # BatchInfo in a dry run
    rejected: list[Reject] = field(default_factory=list)


@dataclass(slots=True)
class ReadEnd:
    """The last thing the thread hands over: how reading ended."""

    rows: int
    batches: int
    digest: str | None  # SHA-256 of the whole file, when it was read to the end
    error: BaseException | None = None


class RejectSink(Protocol):
    """Where the reading thread lists the rows it rejects: the rejects file, or the
    pre-flight's tally."""

    def add(self, rejects: list[Reject]) -> list[Reject]: ...


class Producer(threading.Thread):
    """Reads ``stream`` through ``plan`` into batches handed to ``deliver`` (which may block)."""

    def __init__(
        self,
        stream: RowStream,
        plan: RowPlan,
        batcher: Batcher,
        rejects: RejectSink,
        deliver: Callable[[Chunk | ReadEnd], None],
        *,
        fold: bool,
        group: int = 1,
        dry_run: bool = False,
        stamp: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(name="cxconsole-import-reader", daemon=True)
        self.stream = stream
        self.plan = plan
        self.batcher = batcher
        self.rejects = rejects
        self.deliver = deliver
        self.folder = ProductFolder() if fold else None
        self.stop = threading.Event()
        self.rows_read = 0
        self.rows_invalid = 0
        self._pending: list[Reject] = []
        # Batches handed over together: 1 when they are sent (each should go at once), more
        # in a dry run, where each hand-over costs the event loop more than the batch itself.
        self.group = group
        self.dry_run = dry_run
        # (field, prefix): a record without that field gets prefix + its line, an id stable
        # across resumes that lets a vendor recognise the record when it is sent again.
        self.stamp = stamp
        self._group: list[Batch | BatchInfo] = []
        batcher.emit = self._emit
        batcher.keep_items = not dry_run

    # -- hand-over -------------------------------------------------------------------------
    def _emit(self, batch: Batch | BatchInfo) -> None:
        if self.dry_run and isinstance(batch, Batch):
            batch = BatchInfo.of(batch)
        self._group.append(batch)
        if len(self._group) >= self.group:
            group, self._group = self._group, []
            self.deliver(Chunk(group, self._take_pending()))

    def _take_pending(self) -> list[Reject]:
        pending, self._pending = self._pending, []
        return self.rejects.add(pending) if pending else []

    def _reject(self, line: int, error: RowError, values: Sequence[Any]) -> None:
        self.rows_invalid += 1
        self._pending.append(Reject(line, "invalid", error.field, error.reason, values))
        if len(self._pending) >= REJECT_FLUSH:
            self.deliver(Chunk([], self._take_pending()))

    def _add(self, item: Item) -> None:
        duplicates = self.batcher.add(item)
        if duplicates:
            self.rows_invalid += len(duplicates)
            self._pending.extend(duplicates)

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> None:
        error: BaseException | None = None
        digest: str | None = None
        try:
            self._read()
            if not self.stop.is_set():
                self.batcher.flush()
                digest = self.stream.digest()
        except BaseException as exc:  # handed to the loop, which reports it
            if not isinstance(exc, (RowError,)) and not hasattr(exc, "path"):
                log.exception("import reader failed")
            error = exc
        finally:
            try:
                if self._pending or self._group:
                    group, self._group = self._group, []
                    self.deliver(Chunk(group, self._take_pending()))
            finally:
                self.stream.close()
                self.deliver(ReadEnd(self.rows_read, self.batcher.number, digest, error))

    def _read(self) -> None:
        plan = self.plan
        width = plan.width
        build = plan.build
        folder = self.folder
        stop = self.stop
        batcher = self.batcher
        add = self._add if batcher.unique else batcher.push
        inline = not batcher.unique and folder is None  # the common case, inlined below
        size = batcher.size
        records, lines, rows = batcher.records, batcher.lines, batcher.rows
        dry_run = self.dry_run
        stamp_field, stamp_prefix = self.stamp or ("", "")
        watch = plan.watch  # columns not sent: does any hold a value? (empty once all do)
        count = 0
        for line, values in self.stream:
            count += 1
            if watch and not isinstance(values, RowProblem):
                watch = plan.seen(values, watch, line)
            if not count & 127:
                # Let the event loop run: without this it may wait the whole switch
                # interval (5 ms) for the GIL each time a reply arrives (none comes in a
                # dry run or the pre-flight, which need not pay for it).
                if not dry_run:
                    sleep(0)
                if not count & 1023:
                    self.rows_read = count
                    if stop.is_set():
                        return
            row = values
            try:
                if len(values) != width:
                    if isinstance(values, RowProblem):
                        raise RowError("row", values.reason)
                    values = plan.normalise_row(values)
                    record, product = build(values)
                else:
                    record, product = build(values)
            except RowError as error:
                self._reject(line, error, row)
                if folder is not None and plan.has_contact(values):
                    done = folder.head_rejected(line)
                    if done is not None:
                        add(done)
                continue
            if stamp_field and not record.get(stamp_field):
                record[stamp_field] = f"{stamp_prefix}{line}"
            if inline:
                records.append(record)
                lines.append(line)
                rows.append(row)
                if len(lines) >= size:
                    batcher.flush()
                    records, lines, rows = batcher.records, batcher.lines, batcher.rows
                continue
            if folder is None:
                add(make_item((record, (line,), (row,))))
                continue
            done, why = folder.add(record, product, line, row)
            if why:
                self._reject(line, RowError("products", why), row)
            if done is not None:
                add(done)
        self.rows_read = count
        if folder is not None:
            done = folder.finish()
            if done is not None:
                add(done)
