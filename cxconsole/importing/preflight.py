"""The whole-file pre-flight: every row read, decoded, parsed and checked once before any is sent.

A structural fault (undecodable bytes, an unterminated quote, a stray CR, a record that
swallows the lines after it) raises the reader's :class:`InputError` at its true line, and the
run never sends. What the pass learns drives the run: the totals behind its progress bar and
ETA, and the day-or-month order of each date column, decided from the whole column rather
than from the rows before it. Memory stays flat: rows are counted and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from cxconsole.importing.batching import Batcher, BatchInfo
from cxconsole.importing.encoding import first_foreign_line, line_mark
from cxconsole.importing.errors import DateOrderNeeded, EncodingNeeded, InputError, RegionNeeded
from cxconsole.importing.mapping import check_left_out
from cxconsole.importing.pipeline import Chunk, Producer, ReadEnd
from cxconsole.importing.readers import RowStream, Source
from cxconsole.importing.records import RowPlan
from cxconsole.importing.rejects import Reject
from cxconsole.importing.validate import propose_region

POLL = 0.05  # seconds between progress reports while the pass runs
EXAMPLES = 5  # invalid rows kept per reason, to show


@dataclass
class PreflightReport:
    """What the pass found: counts, the invalid rows by reason, the settled date orders."""

    rows: int = 0
    rows_invalid: int = 0
    blank_lines: int = 0  # lines with nothing on them, skipped (never sent)
    batches: int = 0
    records: int = 0
    date_orders: dict[str, bool] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)  # field -> invalid rows
    examples: dict[str, list[int]] = field(default_factory=dict)  # field -> first keys

    @property
    def rows_valid(self) -> int:
        return self.rows - self.rows_invalid


class _Tally:
    """Stands in for the rejects file during the pass: counts, writes nothing."""

    def __init__(self, report: PreflightReport) -> None:
        self.report = report
        self.lock = threading.Lock()

    def add(self, rejects: list[Reject]) -> list[Reject]:
        with self.lock:
            for reject in rejects:
                # By field: reasons quote their values, and a million of them would not fit.
                reason = reject.field or "row"
                self.report.reasons[reason] += 1
                keys = self.report.examples.setdefault(reason, [])
                if len(keys) < EXAMPLES:
                    keys.append(reject.line)
        return rejects


async def run_preflight(
    stream: RowStream,
    plan: RowPlan,
    batcher: Batcher,
    *,
    progress: Callable[[int, float | None], None] | None = None,
    stamp: tuple[str, str] | None = None,
) -> PreflightReport:
    """Read the whole of ``stream`` through ``plan`` and ``batcher`` without sending.

    Raises the reader's :class:`~cxconsole.importing.errors.InputError` (or any error of the
    pass) once the thread has stopped.
    """
    report = PreflightReport()
    tally = _Tally(report)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    ended: list[ReadEnd] = []

    def deliver(item: Chunk | ReadEnd) -> None:
        if isinstance(item, ReadEnd):
            ended.append(item)
            loop.call_soon_threadsafe(done.set)
            return
        for info in item.batches:
            assert isinstance(info, BatchInfo)
            report.records += info.records

    producer = Producer(
        stream,
        plan,
        batcher,
        tally,
        deliver,
        fold=plan.folds,
        group=64,
        dry_run=True,
        stamp=stamp,
    )
    producer.start()
    try:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), POLL)
            if progress is not None:
                try:
                    fraction = stream.fraction()
                except (OSError, ValueError):
                    fraction = None
                progress(producer.rows_read, fraction)
    except asyncio.CancelledError:
        producer.stop.set()
        raise
    end = ended[0]
    if end.error is not None:
        raise end.error
    decisions(plan)
    if end.rows == 0:
        raise no_rows(getattr(stream, "path", None))
    report.rows = end.rows
    report.batches = end.batches
    report.rows_invalid = producer.rows_invalid
    report.blank_lines = getattr(stream, "blank_lines", 0)
    report.date_orders = plan.date_orders()
    return report


def no_rows(path: object) -> InputError:
    """A file with nothing to import: the pre-flight (and a dry run) stop on it."""
    return InputError(
        "no row to import: the file holds a header only, or only blank lines",
        path=path,
        kind="empty",
    )


def encoding_decision(source: Source) -> None:
    """A file that declares no encoding and is not UTF-8 is read in a guessed one only when
    the operator says so (``--encoding``, or the screen's question): asked before the pass,
    showing the first line the guess decides, as it reads it."""
    guessed = source.encoding_how.startswith("guessed")
    if source.format == "xlsx" or source.encoding is None or not guessed:
        return
    line, text = first_foreign_line(source.path, source.encoding, line_mark(source.newline))
    raise EncodingNeeded(source.encoding, line, text)


def decisions(plan: RowPlan) -> None:
    """What the whole file shows needs the operator: a column with values that would not be
    sent, a phone region, a date order."""
    check_left_out(plan.left_out(whole_file=True))
    for check in plan.phone_checks.values():
        if check.region is None and check.national:
            proposed, valid = propose_region(check.samples)
            raise RegionNeeded(check.field, check.national, proposed, valid, len(check.samples))
    for dates in plan.date_checks.values():
        if dates.day_first is None and dates.ambiguous:
            raise DateOrderNeeded(dates.field, dates.ambiguous, dates.examples)
