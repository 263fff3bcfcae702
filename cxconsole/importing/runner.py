"""An import run: the reading thread's batches sent through the shared client, journalled.

:mod:`cxconsole.importing.prepare` builds an :class:`ImportRun` (from a file, or from a
journal to resume). ``await run.run()`` then sends, emitting events
(:mod:`cxconsole.importing.events`) to callbacks and async iterators alike; ``pause()``,
``resume()``, ``cancel()`` and ``retry_failed()`` steer it while it runs.

Reading runs in a thread (:mod:`~cxconsole.importing.pipeline`) feeding a bounded queue;
sending and what a refusal means are in :mod:`~cxconsole.importing.sending`; retries, backoff,
rate limits and the per-vendor concurrency cap are the client's (:mod:`cxconsole.client`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import queue
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cxconsole import logs
from cxconsole.client import CXClient
from cxconsole.errorlog import ErrorHistory
from cxconsole.importing.accounts import describe, same
from cxconsole.importing.batching import (
    Batch,
    Batcher,
    BatchInfo,
    RequestBuilder,
)
from cxconsole.importing.entries import (
    BatchSettled,
    End,
    Entry,
    FixRows,
    ReadDone,
    RunHeader,
    Session,
)
from cxconsole.importing.errors import AlreadyImported, ImportProblem
from cxconsole.importing.events import (
    BatchAcknowledged,
    BatchQueued,
    Event,
    EventHub,
    EventStream,
    Notice,
    PreflightDone,
    PreflightProgress,
    Progress,
    RunFinished,
    RunStarted,
    RunState,
    RunSummary,
    StateChanged,
)
from cxconsole.importing.journal import (
    FileClaim,
    Journal,
    Replay,
    file_identity,
    journal_path,
    new_run_id,
    run_dir,
)
from cxconsole.importing.ledger import Ledger
from cxconsole.importing.mapping import ColumnMapping, LeftOut, left_out
from cxconsole.importing.options import ImportOptions, batch_size_for, resolve_region
from cxconsole.importing.pipeline import Chunk, Producer, ReadEnd, fewer_collections
from cxconsole.importing.preflight import (
    PreflightReport,
    decisions,
    encoding_decision,
    no_rows,
    run_preflight,
)
from cxconsole.importing.readers import Source, file_sha256, open_rows
from cxconsole.importing.records import Item, RowPlan, make_item
from cxconsole.importing.rejects import Reject, RejectsFile, UnwrittenRejects, read_listed
from cxconsole.importing.runs import RunInfo, same_file_runs
from cxconsole.importing.sending import Outcome, Sender, Stop
from cxconsole.importing.validate import RowError
from cxconsole.paths import state_dir
from cxconsole.profiles import Account
from cxconsole.storage import DiskError
from cxconsole.vendors.base import Reconciling, TargetField

log = logging.getLogger("cxconsole.importing")

_END = object()  # no more batches from the reading side
LONE_BATCH_WAIT = 0.02  # seconds the senders wait for the reading thread to fill up
DRY_RUN_GROUP = 16  # batches per hand-over in a dry run


class ImportRun:
    """One import, from the first row read to the summary; steerable while it runs."""

    def __init__(
        self,
        *,
        account: Account,
        source: Source,
        fields: list[TargetField],
        mapping: ColumnMapping,
        options: ImportOptions,
        client: CXClient | None = None,
        errors: ErrorHistory | None = None,
        run_id: str | None = None,
        replay: Replay | None = None,
        warnings: Sequence[str] = (),
        journal: Journal | None = None,
        resend_unknown: bool = False,
    ) -> None:
        self.account = account
        self.vendor = account.vendor
        self.source = source
        self.fields = fields
        self.mapping = mapping
        self.options = options
        self.client = client
        self.errors = errors
        self.warnings = list(warnings)
        self.replay = replay
        self.resumed = replay is not None
        self.run_id = run_id or new_run_id()
        self.journal_path = journal_path(self.run_id)
        self.batch_size = batch_size_for(account, options)
        wanted = options.concurrency or self.vendor.default_concurrency
        self.concurrency = max(1, min(wanted, self.vendor.policy.concurrency))
        if wanted > self.concurrency:
            self.warnings.append(
                f"concurrency {wanted} capped at {self.concurrency}, {self.vendor.title}'s limit"
            )
        self.region = resolve_region(options.region, account)
        suffix = ".csv" if source.format in ("csv", "xlsx") else ".jsonl"
        self.rejects_path = Path(
            options.rejects_path or run_dir(self.run_id) / f"rejects{suffix}"
        ).absolute()
        self.rejects_format = "csv" if source.format in ("csv", "xlsx") else "jsonl"
        self.hub = EventHub()
        self.state = RunState.READY
        self.summary: RunSummary | None = None
        self.resend_unknown = resend_unknown
        self.preflight_report: PreflightReport | None = None
        # Why a dry run goes on without a journal (its state dir cannot be written); None
        # when it is recorded.
        self.unrecorded: str | None = None
        # What stopped the run at its start, for a face to word (a region to choose, ...).
        self.problem: ImportProblem | None = None
        self._plan: RowPlan | None = None
        # The plan of the last whole-file pass (pre-flight, or a dry run read to its end):
        # what it saw of the columns not sent.
        self._read_plan: RowPlan | None = None
        # The total from the pre-flight (or the journal, on resume): progress and "not sent".
        self.rows_expected: int | None = replay.header.rows_total if replay else None
        self.batches_expected: int | None = replay.header.batches_total if replay else None
        # Rows the pre-flight found invalid (the journal's header on resume): invalid
        # however far a session reads, never "not sent".
        self.rows_invalid_known: int | None = replay.header.rows_invalid if replay else None
        if replay is not None and self.batches_expected is not None:
            # Batches of fixed rows, numbered after the file's own: counted in the total,
            # settled or not (a failed one is sent again after the file's own).
            fixes = replay.fix_batches | set(replay.done)
            self.batches_expected += sum(1 for n in fixes if n > self.batches_expected)
        # run state
        self._held_journal = journal  # locked by prepare_resume before it read the journal
        # This file's content claimed for this profile while the run sends it (claim()).
        self._claim: FileClaim | None = None
        self._file_sha256: str | None = None
        self._journal: Journal | None = None
        self._producer: Producer | None = None
        self._chunks: queue.Queue[Chunk | ReadEnd] | None = None
        self._wake: asyncio.Event | None = None
        self._waiting = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._read_end: ReadEnd | None = None
        self._batches: asyncio.Queue[Batch | object] | None = None
        self._feeder: asyncio.Task[None] | None = None
        self._retry: deque[Batch] = deque()
        self._failed: dict[int, Batch] = {}
        self._failed_why: dict[int, str] = {}
        self._unpaused = asyncio.Event()
        self._unpaused.set()
        self._stopping = False
        self._stop_state: tuple[RunState, str] | None = None
        self._too_many = False  # stopped by max_failed_batches (worded at the end)
        self._started = 0.0
        # Every batch of the run with an outcome, earlier sessions' included: "ok", "partial"
        # (rows refused, the rest imported), "unknown" or "failed". The one tally behind the
        # progress, the summary and every face's batch counts.
        self._outcomes: dict[int, str] = {}
        self._settled_here: set[int] = set()  # batches given an outcome in this session
        self._fixing = False  # a session that sends fixed rows (send_fixed), reading nothing
        self._refused_before: set[int] = set()  # resumed batches with rows refused earlier
        # batch -> rows in flight when the run stopped abnormally (unknown, listed at the end)
        self._lost: dict[int, list[Item]] = {}
        # Rows counted rejected (by kind) that the rejects file could not take (a full disk):
        # the journal holds them, and a resume lists them.
        self._unlisted: Counter[str] = Counter()
        self._batches_seen = 0
        self._build = RequestBuilder(self.vendor, account.base, account.settings)
        # A vendor that recognises a record sent twice (Noojee's njExternalLeadId) lets a
        # batch whose reply was lost be sent again: each record carries an id of this run.
        self.reconciling = self.vendor if isinstance(self.vendor, Reconciling) else None
        self._stamp = (
            (self.reconciling.reconcile_field, f"cx-{self.run_id}-")
            if self.reconciling is not None
            else None
        )
        if self.reconciling is not None:
            # What a kill or a lost reply left unknown is safe to send again: the vendor
            # answers 112 for what it holds.
            self.resend_unknown = True
        if replay is not None:
            # Seeded from the journal: a resumed run's counts are the whole run's, not this
            # session's (the batches it skips as settled are counted here, once).
            self._outcomes = replay.outcomes(resend_unknown=self.resend_unknown)
        self.ledger = Ledger(
            self.hub,
            lambda entry, sync: self._write(entry, sync=sync),
            run_id=self.run_id,
            profile=account.profile.name,
            rows_imported=replay.rows_imported if replay else 0,
            errors=errors,
        )
        self.sender = Sender(
            vendor=self.vendor,
            account=account,
            ledger=self.ledger,
            build=self._build,
            options=options,
            client=client,
            resend_unknown=self.resend_unknown,
        )
        if replay is not None:
            self.sender.maybe_held.update(replay.maybe_held)

    def left_out(self) -> list[LeftOut]:
        """The file's columns this run does not send, each with why (skipped, empty, not
        mapped); whether a column holds values is known once the whole file was read."""
        plan = self._read_plan
        if plan is not None:
            return plan.left_out(whole_file=True)
        return left_out(self.mapping, self.source.headers, self.fields)

    # -- public steering -----------------------------------------------------------------------
    def subscribe(self, callback: Callable[[Event], Any]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event (in the event loop's thread)."""
        return self.hub.subscribe(callback)

    def events(self) -> EventStream:
        """``async for event in run.events()``: subscribe before ``run()`` to see them all."""
        return self.hub.stream()

    def pause(self) -> None:
        """Send no new batch (those in flight finish); reading stops once the queue is full."""
        if self.state == RunState.RUNNING:
            self._unpaused.clear()
            self._set_state(RunState.PAUSED)

    def resume(self) -> None:
        if self.state == RunState.PAUSED:
            self._unpaused.set()
            self._set_state(RunState.RUNNING)

    def cancel(self) -> None:
        """Stop after the batches in flight: the run stays resumable (``--resume``)."""
        if self.state in (RunState.RUNNING, RunState.PAUSED):
            self._stop(RunState.CANCELLED, "cancelled")
            self._unpaused.set()

    def retry_failed(self) -> int:
        """Queue again the batches that failed with an error worth retrying later.

        While the run goes, they are sent next; after it finished, call ``run()`` again.
        Returns how many batches were queued.
        """
        batches = [self._failed.pop(n) for n in sorted(self._failed)]
        self._failed_why.clear()
        for batch in batches:
            self._outcomes.pop(batch.number, None)  # queued again: no outcome until it settles
        self._retry.extend(batches)
        if self._wake is not None:
            self._wake.set()
        return len(batches)

    @property
    def failed_batches(self) -> list[int]:
        return sorted(self._failed)

    @property
    def unknown_rows(self) -> int:
        """Rows of unknown outcome the journal lists (what a resend would send again)."""
        return self.replay.unknown_rows if self.replay is not None else 0

    @property
    def _rejects(self) -> RejectsFile | None:
        """The run's rejects file, once opened (the ledger holds it)."""
        return self.ledger.rejects

    def rejects_file(self) -> RejectsFile:
        """The run's rejects file (opened for a run read from its journal, too)."""
        if self.ledger.rejects is None:
            self.ledger.rejects = RejectsFile(
                self.rejects_path, self.source.headers, self.rejects_format
            )
        return self.ledger.rejects

    def fixed_unsettled(self) -> dict[int, list[Any]]:
        """Fixed rows whose batch has not gone through (failed, cut off): key -> the values
        as fixed, which a resume sends (the file holds them as they were)."""
        found: dict[int, list[Any]] = {}
        if self.replay is not None:
            for rows in self.replay.fix_rows.values():
                found.update(rows)
        for batch in self._failed.values():
            if batch.fixed:
                for item in batch.items:
                    for line, row in zip(item.lines, item.rows, strict=True):
                        found[line] = list(row)
        return found

    def row_plan(self) -> RowPlan:
        """A plan like the run's (region, date orders): checks a row as the run would."""
        return self._make_plan()

    async def send_fixed(self, rows: dict[int, list[Any]]) -> RunSummary:
        """Send rows the operator fixed (key -> the row's values) within this run.

        Each is checked as the run checks rows (one still invalid stays listed with its new
        reason and is not sent), sent in batches of its own numbers, journalled like any
        batch, and taken out of the rejects file once the vendor took it. Only rows listed
        as invalid or refused are taken: a row of unknown outcome is never sent this way.
        """
        if self.state in (RunState.RUNNING, RunState.PAUSED, RunState.CHECKING):
            raise RuntimeError("this run is running")
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._stop_state = None
        self._too_many = False
        self._fixing = True
        rejects = await asyncio.to_thread(self.rejects_file)
        fixable = await asyncio.to_thread(rejects.listed, ("invalid", "refused"))
        items, still = self._build_fixed(
            self._make_plan(), {key: row for key, row in rows.items() if key in fixable}
        )
        self._started = time.monotonic()
        self._set_state(RunState.RUNNING)
        try:
            await self._open_journal(again=True)
        except DiskError as exc:
            return await self._end_before_start(RunState.DISK_ERROR, str(exc))
        if still:
            written = await asyncio.to_thread(rejects.relist, still)
            self.ledger.rejected(None, "invalid", written)
        number = max(self._last_batch(), self.batches_expected or 0)
        for start in range(0, len(items), self.batch_size):
            if self._stopping:
                break
            number += 1
            # A batch of its own, counted like any: ok + partial + failed + unknown + not
            # sent = total batches holds after a fix too.
            self.batches_expected = number
            chunk = items[start : start + self.batch_size]
            batch = Batch(number, chunk, part="fix", fixed=True)
            batch.url, batch.params, batch.body = self._build([i.record for i in chunk])
            # The fixed values, durable before the batch leaves: the file does not hold
            # them, and a resume sends this batch again from here should it fail.
            fixed_rows = {
                str(line): list(row)
                for item in chunk
                for line, row in zip(item.lines, item.rows, strict=True)
            }
            try:
                await self._write(FixRows(batch=number, rows=fixed_rows))
            except DiskError as exc:
                self._stop(RunState.DISK_ERROR, str(exc))
                break
            self.hub.emit(
                BatchQueued(number, len(chunk), len(chunk), chunk[0].lines[0], chunk[-1].lines[0])
            )
            await self._settle(batch)
        return await self._finish()

    def _last_batch(self) -> int:
        seen = [self._batches_seen, *self._outcomes, *self._failed]
        if self.replay is not None:
            seen += [*self.replay.done, *self.replay.payload, *self.replay.fix_batches]
        return max(seen, default=0)

    def release(self) -> None:
        """Give up a prepared run without running it: its lock is released."""
        if self._held_journal is not None:
            self._held_journal.close()
            self._held_journal = None
        self._release_claim()

    def _release_claim(self) -> None:
        if self._claim is not None:
            self._claim.release()
            self._claim = None

    async def claim(self) -> None:
        """Refuse to send a file's content into a profile that another run sends it into
        now, or (unless ``options.again``) that a run already imported rows of it into.

        Raises :class:`AlreadyImported` naming that run; nothing is sent. Called by ``run()``
        before it sends; a face may call it first, after the pre-flight, to word its own
        refusal. A resume, a dry run and a run already claimed pass.
        """
        if self._claim is not None or self.resumed or self.options.dry_run:
            return
        profile = self.account.profile.name
        account = self.account.identity
        sha = await asyncio.to_thread(file_sha256, self.source.path)
        claim = FileClaim(json.dumps(account, sort_keys=True), sha)
        holder = await asyncio.to_thread(claim.take, self.run_id)
        what = self._into(None, profile, account)
        if holder is not None:
            raise AlreadyImported(
                f"run {holder} is importing {what} in another process: nothing was sent",
                run_id=holder,
                running=True,
            )
        try:
            earlier = await asyncio.to_thread(same_file_runs, profile, sha, account)
            for run in earlier:
                if run.run_id == self.run_id:
                    continue
                what = self._into(run, profile, account)
                if run.state == "running":
                    raise AlreadyImported(
                        f"run {run.run_id} is importing {what} in another process: "
                        "nothing was sent",
                        run_id=run.run_id,
                        running=True,
                    )
                if self.options.again or run.rows_imported + run.rows_unknown == 0:
                    continue
                unknown = f", {run.rows_unknown:,} of unknown outcome" if run.rows_unknown else ""
                raise AlreadyImported(
                    f"run {run.run_id} ({run.started[:16].replace('T', ' ')} UTC, {run.state}) "
                    f"already imported {what}: {run.rows_imported:,} row(s) imported{unknown}; "
                    "nothing was sent (sending the file again sends its rows twice)",
                    run_id=run.run_id,
                    running=False,
                )
        except BaseException:
            claim.release()
            raise
        self._claim = claim
        self._file_sha256 = sha

    def _into(self, run: RunInfo | None, profile: str, account: dict[str, Any]) -> str:
        """Where an earlier run sent this file, as the refusal words it."""
        what = f"{self.source.path.name} (the same content) into profile "
        if run is not None and run.profile != profile:  # renamed since: the same account
            now = describe(account)
            return what + f"{run.profile!r}, the account {profile!r} points at ({now})"
        what += repr(profile)
        if run is not None and run.account and not same(run.account, account):
            what += f" when it pointed at {describe(run.account)} (now {describe(account)})"
        return what

    # -- the run -------------------------------------------------------------------------------
    async def run(self) -> RunSummary:
        """Run to the end (or to cancel / a stop) and return the summary."""
        self._loop = asyncio.get_running_loop()
        if self.state in (RunState.RUNNING, RunState.PAUSED, RunState.CHECKING):
            raise RuntimeError("this run is already running")
        first = self.state == RunState.READY
        self._fixing = False
        self._stopping = False
        self._stop_state = None
        self._too_many = False
        self._started = self._started or time.monotonic()
        logs.clear_failure()  # a failure from before this run says nothing of the disk now
        try:
            if first and not self.resumed and self.options.dry_run:
                # A dry run reads the file itself, in the encoding the run would: asked first.
                await asyncio.to_thread(encoding_decision, self.source)
            if first and not self.resumed and not self.options.dry_run:
                await self.preflight()
                await self.claim()
            self._set_state(RunState.RUNNING)
            if first:
                await self._open()
            elif self._journal is None:
                await self._open_journal(again=True)
        except ImportProblem as exc:
            self.problem = exc
            return await self._end_before_start(RunState.INPUT_ERROR, str(exc))
        except DiskError as exc:
            return await self._end_before_start(RunState.DISK_ERROR, str(exc))
        ticker = asyncio.create_task(self._tick())
        workers: list[asyncio.Task[None]] = []
        collections = contextlib.ExitStack()
        collections.enter_context(fewer_collections())
        if self._feeder is None and self._batches is not None:
            self._feeder = asyncio.create_task(self._feed())
        try:
            while True:
                workers = [asyncio.create_task(self._worker()) for _ in range(self.concurrency)]
                await asyncio.gather(*workers)
                if self._retry and not self._stopping:
                    continue
                break
            await self._end_feeder()
            await self._drain()
        except asyncio.CancelledError:
            # The task running us was cancelled (Ctrl-C twice, the app quits): batches in
            # flight are abandoned, their journal intents make them "unknown" on resume.
            self._stop(RunState.CANCELLED, "interrupted")
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await self._end_feeder()
            await self._drain()
            await self._finish()
            raise
        finally:
            ticker.cancel()
            collections.close()
        return await self._finish()

    # -- opening -------------------------------------------------------------------------------
    async def preflight(self) -> PreflightReport:
        """Read and check the whole file once, sending nothing (see :mod:`.preflight`).

        Raises the reader's :class:`InputError` at the true line of a structural fault.
        ``run()`` calls it first; a face may call it before, to show what it found.
        """
        if self.preflight_report is not None:
            return self.preflight_report
        await asyncio.to_thread(encoding_decision, self.source)
        before = self.state
        self._set_state(RunState.CHECKING)
        try:
            plan = self._make_plan()
            stream = await asyncio.to_thread(
                open_rows, dataclasses.replace(self.source, hashing=False)
            )
            with fewer_collections():
                report = await run_preflight(
                    stream,
                    plan,
                    # Counted, not serialised: the bodies are built when they are sent.
                    self._make_batcher(plan, lambda batch: None, build=False),
                    progress=lambda rows, fraction: self.hub.emit(
                        PreflightProgress(rows, fraction)
                    ),
                    stamp=self._stamp,
                )
        finally:
            self._set_state(before)
        self._read_plan = plan
        # The whole column decides; an order the operator chose is kept as chosen.
        self.options.date_orders = {**report.date_orders, **self.options.date_orders}
        self.rows_expected = report.rows
        self.batches_expected = report.batches
        self.rows_invalid_known = report.rows_invalid
        self.preflight_report = report
        self.hub.emit(
            PreflightDone(
                report.rows,
                report.rows_invalid,
                report.batches,
                dict(self.options.date_orders),
                report.blank_lines,
            )
        )
        return report

    async def _end_before_start(self, state: RunState, message: str) -> RunSummary:
        """Nothing was sent: the file, an option or the disk stopped the run at its start."""
        self._release_claim()
        if self._held_journal is not None:
            self._held_journal.close()
            self._held_journal = None
        if self._journal is not None:
            with contextlib.suppress(DiskError):
                await self._journal.aclose()
            self._journal = None
        self._stop_state = (state, message)
        try:
            made = self.journal_path.stat().st_size > 0  # a journal with its header, at least
        except OSError:
            made = False
        viewed = self._rejects is None
        if viewed:
            # Never a fresh, empty tally: a resume reports the run as the journal and the
            # rejects file left it (unknown rows, the invalid ones, what the file lacks).
            self.ledger.rejects = (
                await asyncio.to_thread(
                    read_listed, self.rejects_path, self.source.headers, self.rejects_format
                )
                if self.resumed and made
                else UnwrittenRejects(self.rejects_path, self.source.headers, self.rejects_format)
            )
        summary = dataclasses.replace(self._summarise(state, message), made=made)
        if viewed:
            self.ledger.rejects = None  # a view for counting: a later step opens the file
        self.summary = summary
        self._set_state(RunState.FINISHED if state is RunState.FINISHED else state)
        self.hub.emit(RunFinished(summary))
        return summary

    async def _open(self) -> None:
        try:
            await self._open_journal()
        except DiskError as exc:
            if not self.options.dry_run:
                raise
            # A dry run keeps nothing a later step needs: it goes on without a record.
            if self._journal is not None:
                with contextlib.suppress(DiskError):
                    await self._journal.aclose()
                self._journal = None
            self.unrecorded = str(exc)
        if self.unrecorded is not None and not self.options.rejects_path:
            self.ledger.rejects = UnwrittenRejects(
                self.rejects_path, self.source.headers, self.rejects_format
            )
        else:
            self.ledger.rejects = await asyncio.to_thread(
                RejectsFile, self.rejects_path, self.source.headers, self.rejects_format
            )
        if self.replay is not None:
            # Rows the operator fixed and the vendor took: never listed again on resume.
            self.ledger.rejects.skip = set(self.replay.fixed)
        self.hub.emit(
            RunStarted(
                run_id=self.run_id,
                source=self.source.path,
                profile=self.account.profile.name,
                vendor=self.vendor.name,
                journal_path=self.journal_path,
                rejects_path=self.rejects_path,
                resumed=self.resumed,
                dry_run=self.options.dry_run,
                batch_size=self.batch_size,
                concurrency=self.concurrency,
                mapping=self.mapping.included(self.source.headers),
                warnings=tuple(self.warnings),
                read_as=self.source.summary(),
                recorded=self.unrecorded is None,
            )
        )
        if self.unrecorded is not None:
            self.hub.emit(Notice(self._unrecorded_note()))
        for warning in self.warnings:
            self.hub.emit(Notice(warning))
        self._start_reader()

    def _unrecorded_note(self) -> str:
        """What a dry run with no state dir does, and how to have it recorded."""
        kept = (
            f"its rejects go to {self.rejects_path}"
            if self.options.rejects_path
            else "no rejects file is written (--rejects PATH writes one elsewhere)"
        )
        return (
            f"dry run not recorded ({self.unrecorded}): the whole file is read, checked and "
            f"counted, but History will not list it and {kept}; an import needs the state "
            f"dir {state_dir()} writable (or XDG_STATE_HOME set to a writable dir)"
        )

    async def _open_journal(self, *, again: bool = False) -> None:
        """A session in the run's journal (the header first, for a new run); ``again``: run()
        again after the end (retry_failed, fixed rows)."""
        self._journal, self._held_journal = self._held_journal, None
        if self._journal is None:
            journal = Journal(self.run_id)
            await asyncio.to_thread(journal.open)
            self._journal = journal
        # Before the first entry of the session: with no room for its end, it writes nothing.
        await asyncio.to_thread(self._journal.reserve)
        self._journal.start(asyncio.get_running_loop())
        if not again and not self.resumed:
            identity = await asyncio.to_thread(file_identity, self.source.path)
            if self._file_sha256 is not None:
                # Whole-file hash known before reading: a later run of the same content
                # finds this one while it still runs (see claim()).
                identity["sha256"] = self._file_sha256
            await self._write(self._header(identity))
        await self._write(
            Session(
                pid=os.getpid(),
                resumed=again or self.resumed,
                concurrency=self.concurrency,
                account=self.account.identity,
            )
        )

    def _header(self, identity: dict[str, Any]) -> RunHeader:
        return RunHeader(
            run_id=self.run_id,
            profile=self.account.profile.name,
            vendor=self.vendor.name,
            account=self.account.identity,
            dry_run=self.options.dry_run,
            file=identity,
            source=self.source.settings(),
            headers=self.source.headers,
            mapping=self.mapping.to_dict(),
            options={
                "batch_size": self.batch_size,
                "concurrency": self.concurrency,
                "region": self.region,
                "day_first": self.options.day_first,
                "date_orders": self.options.date_orders,
                "values": self.options.values,
                "max_failed_batches": self.options.max_failed_batches,
            },
            rows_total=self.rows_expected,
            batches_total=self.batches_expected,
            rows_invalid=self.rows_invalid_known,
            rejects_path=str(self.rejects_path),
            rejects_format=self.rejects_format,
        )

    def _make_plan(self) -> RowPlan:
        return RowPlan(
            self.source.headers,
            self.mapping,
            self.fields,
            date_format=self.vendor.output_date_format(self.account.settings),
            region=self.region,
            day_first=self.options.day_first,
            date_orders=self.options.date_orders,
            text_only=self.source.format == "csv",
            serials=self.source.format == "xlsx",
            vendor=self.vendor,
            values=self.options.values,
            unit="record" if self.source.format == "json" else "line",
        )

    def _make_batcher(
        self, plan: RowPlan, emit: Callable[[Batch | BatchInfo], None], *, build: bool = True
    ) -> Batcher:
        return Batcher(
            self.batch_size,
            emit=emit,
            build=self._build if build else None,
            unique=self.vendor.record_keys(self.account.settings, self.fields),
            stamped=self._stamp[1] if self._stamp else None,
            single_rows=not plan.folds,
        )

    def _start_reader(self) -> None:
        assert self._rejects is not None
        loop = self._loop
        assert loop is not None
        plan = self._plan = self._make_plan()
        size = self.options.queue_batches or max(4, 2 * self.concurrency)
        self._chunks = queue.Queue(size)
        wake = self._wake = asyncio.Event()
        self._batches = asyncio.Queue(self.concurrency)
        chunks = self._chunks

        # Waking the loop costs it more than handling a batch: when it waits, wake it once a
        # few batches are ready (or reading ended); a short timeout picks up a lone batch.
        enough = max(1, size // 2)

        def deliver(item: Chunk | ReadEnd) -> None:
            chunks.put(item)  # blocks while the senders are behind: flat memory
            if self._waiting and (chunks.qsize() >= enough or isinstance(item, ReadEnd)):
                loop.call_soon_threadsafe(wake.set)

        batcher = self._make_batcher(plan, lambda batch: None)
        stream = open_rows(dataclasses.replace(self.source, hashing=not self.options.dry_run))
        self._producer = Producer(
            stream,
            plan,
            batcher,
            self._rejects,
            deliver,
            fold=plan.folds,
            group=DRY_RUN_GROUP if self.options.dry_run else 1,
            dry_run=self.options.dry_run,
            stamp=self._stamp,
        )
        self._producer.start()

    # -- taking batches --------------------------------------------------------------------------
    async def _next_chunk(self) -> Chunk | ReadEnd | None:
        """The reading thread's next hand-over; None when the run is stopping."""
        assert self._chunks is not None and self._wake is not None
        while not self._stopping:
            try:
                return self._chunks.get_nowait()
            except queue.Empty:
                pass
            self._wake.clear()
            self._waiting = True
            try:
                return self._chunks.get_nowait()  # handed over just before _waiting was set
            except queue.Empty:
                pass
            try:
                await asyncio.wait_for(self._wake.wait(), LONE_BATCH_WAIT)
            except TimeoutError:
                pass
            finally:
                self._waiting = False
        return None

    async def _feed(self) -> None:
        """Batches from the reading thread to the senders, in file order, one task: the
        senders wait on an asyncio queue, so a batch wakes one of them, not all."""
        assert self._batches is not None
        try:
            while self._read_end is None and not self._stopping:
                chunk = await self._next_chunk()
                if chunk is None:
                    break
                if isinstance(chunk, ReadEnd):
                    await self._reading_ended(chunk)
                    if not self._stopping:
                        await self._feed_fixes()
                    break
                if chunk.rejected:
                    self._rejected(None, "invalid", chunk.rejected)
                for read in chunk.batches:
                    if isinstance(read, BatchInfo):
                        self._dry(read)  # nothing to send: no hop through the senders
                        continue
                    batch = await self._accept(read)
                    if batch is not None:
                        await self._batches.put(batch)
        except asyncio.CancelledError:
            pass  # stopping: what was queued is dropped below, and sent on resume
        except DiskError as exc:
            self._stop(RunState.DISK_ERROR, str(exc))
        except Exception as exc:  # a bug: stop rather than leave the senders waiting
            log.exception("import feeder failed")
            self._stop(RunState.ERROR, f"internal error: {exc!r} (details in the log)")
        finally:
            if self._stopping:
                while not self._batches.empty():
                    self._batches.get_nowait()
                self._batches.put_nowait(_END)
            else:
                await self._batches.put(_END)

    async def _feed_fixes(self) -> None:
        """On resume, after the file's own batches: the batches of fixed rows the journal
        left unsettled (failed, cut off) or unknown (sent again only when asked), rebuilt
        from the values it holds (the file has the rows as they were before the fix)."""
        replay = self.replay
        if replay is None or self.options.dry_run or self._batches is None:
            return
        for number in sorted(replay.fix_batches):
            if self._stopping:
                return
            if number in replay.done and not (
                self.resend_unknown and replay.done[number] == "unknown"
            ):
                continue  # settled in an earlier session: counted from the journal
            batch = self._fix_batch(number, replay.fix_rows.get(number, {}))
            if batch is None:
                continue
            accepted = await self._accept(batch)
            if accepted is not None:
                await self._batches.put(accepted)

    def _build_fixed(
        self, plan: RowPlan, rows: dict[int, list[Any]]
    ) -> tuple[list[Item], list[Reject]]:
        """Fixed rows (key -> values) built as the run builds rows: the items to send, and
        the rows still invalid, with their new reason."""
        items: list[Item] = []
        still: list[Reject] = []
        for key, values in sorted(rows.items()):
            try:
                record, product = plan.build(list(values))
            except RowError as exc:
                still.append(Reject(key, "invalid", exc.field, exc.reason, values))
                continue
            if product:
                record["products"] = [product]
            if self._stamp is not None and not record.get(self._stamp[0]):
                record[self._stamp[0]] = f"{self._stamp[1]}{key}"
            items.append(make_item((record, (key,), (values,))))
        return items, still

    def _fix_batch(self, number: int, rows: dict[int, list[Any]]) -> Batch | None:
        """A batch of fixed rows as the journal holds them, built as the run builds rows."""
        # One the vendor's fields no longer take (they changed since) is said, not sent.
        items, still = self._build_fixed(self._plan or self._make_plan(), rows)
        if still:
            assert self._rejects is not None
            self.ledger.rejected(number, "invalid", self._rejects.relist(still))
        if not items:
            return None
        batch = Batch(number, items, part="fix", fixed=True)
        batch.url, batch.params, batch.body = self._build(batch.records)
        return batch

    async def _take(self) -> Batch | None:
        """The next batch to send: a failed one queued again first; None when done."""
        while True:
            if self._stopping:
                return None
            if self._retry:
                return self._retry.popleft()
            if self._batches is None:  # a run that only sent fixed rows: nothing else
                return None
            item = await self._batches.get()
            if item is _END:
                self._batches.put_nowait(_END)  # for the other senders
                return None
            assert isinstance(item, Batch)
            return item

    async def _reading_ended(self, end: ReadEnd) -> None:
        self._read_end = end
        if end.error is None and end.digest is not None and self._plan is not None:
            self._read_plan = self._plan
        if end.error is not None:
            error = end.error
            if isinstance(error, ImportProblem):
                self.problem = error  # the face words it (its line, the text around it)
                self._stop(RunState.INPUT_ERROR, str(error))
            elif isinstance(error, DiskError):
                self._stop(RunState.DISK_ERROR, str(error))
            else:
                self._stop(RunState.ERROR, f"internal error: {error!r} (details in the log)")
        elif self.options.dry_run and self._plan is not None:
            # A dry run is its own whole-file pass: it stops where the pre-flight would, on
            # what needs deciding or on a file with no row.
            try:
                decisions(self._plan)
                if end.rows == 0:
                    raise no_rows(self.source.path)
            except ImportProblem as exc:
                self.problem = exc
                self._stop(RunState.INPUT_ERROR, str(exc))
        elif end.digest and not self.options.dry_run:
            await self._write_or_stop(
                ReadDone(rows=end.rows, batches=end.batches, sha256=end.digest)
            )

    async def _accept(self, batch: Batch) -> Batch | None:
        self._batches_seen += 1
        if self.replay is not None:
            left = await self._resume_filter(batch)
            if left is None:
                return None
            batch = left
        self.hub.emit(
            BatchQueued(
                batch.number, len(batch.items), batch.rows, batch.first_line, batch.last_line
            )
        )
        return batch

    async def _resume_filter(self, batch: Batch) -> Batch | None:
        """On resume: skip what the journal says is settled, resend only the rest.

        Rows of unknown outcome are listed, not sent, unless the operator asked to send
        them again; so are the unsettled rows of a batch a torn journal line names.
        """
        replay = self.replay
        assert replay is not None and self._rejects is not None
        number = batch.number
        sent = replay.payload.get(number)
        if sent is not None and sent != batch.payload_sha256:
            self._stop(
                RunState.INPUT_ERROR,
                f"batch {number} is not the batch run {self.run_id} sent (same file, but other "
                "mapping, options or cxconsole version): resume refused; start a new run",
            )
            return None
        resend = self.resend_unknown
        if number in replay.done and not (resend and replay.done[number] == "unknown"):
            return None  # settled in an earlier session: counted from the journal
        settled = replay.settled(number, unknown=not resend)
        if number in replay.suspect:
            # A torn entry named it: any of its rows may have been sent.
            self.sender.maybe_held.update(batch.lines)
        if number in replay.suspect and not resend:
            reason = (
                "unknown outcome: the journal entry for this batch was torn; it may have been sent"
            )
            for item in batch.items:
                for line in item.lines:
                    settled.setdefault(line, reason)
        if not settled:
            return batch
        known_unknown = replay.unknown.get(number, {})
        kinds = {
            **{line: "unknown" for line, why in settled.items() if why.startswith("unknown")},
            **dict.fromkeys(replay.refused.get(number, {}), "refused"),
        }
        rejects, keep = [], []
        for item in batch.items:
            done = [line for line in item.lines if line in settled]
            if not done:
                keep.append(item)
                continue
            for line, row in zip(item.lines, item.rows, strict=True):
                if line in kinds:
                    rejects.append(Reject(line, kinds[line], "", settled[line], row))
        if rejects:
            self._rejected(number, "resume", rejects, again=batch.fixed)
        if not keep:
            unknown = bool(known_unknown and not resend) or any(
                k == "unknown" for k in kinds.values()
            )
            state = "unknown" if unknown else "done"
            refused = sum(1 for kind in kinds.values() if kind == "refused")
            rows = sum(len(item.lines) for item in batch.items)
            await self._write(
                BatchSettled(
                    batch=number,
                    state=state,
                    rows=rows,
                    imported=rows - len(kinds),
                    refused=refused,
                    unknown=len(kinds) - refused,
                )
            )
            self._outcomes[number] = "unknown" if unknown else "partial" if refused else "ok"
            self._settled_here.add(number)
            return None
        if any(kind == "refused" for kind in kinds.values()):
            self._refused_before.add(number)  # however the rest goes, the batch is partial
        url, params, body = self._build([item.record for item in keep])
        resumed = Batch(number, keep, batch.payload_sha256, url, params, body, fixed=batch.fixed)
        resumed.part = "resume"
        return resumed

    # -- sending ---------------------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            await self._unpaused.wait()
            batch = await self._take()
            if batch is None:
                return
            await self._settle(batch)

    async def _settle(self, batch: Batch) -> None:
        """Send ``batch``; a stop or a full disk ends the run (the failure's own second: no
        further batch is taken)."""
        try:
            await self._process(batch)
        except Stop as stop:
            self._stop(stop.state, stop.message)
        except DiskError as exc:
            self._stop(RunState.DISK_ERROR, str(exc))

    async def _process(self, batch: Batch) -> None:
        outcome = Outcome()
        try:
            await self.sender.send(batch, outcome)
        except Stop:
            await self._settled(batch, outcome)
            raise
        except BaseException:
            # Abandoned in flight (cancelled), or the disk refused the journal: the vendor may
            # hold the rows whose request may have left without a durable answer (unknown, as
            # the journal's intent makes a resume say too). Rows whose intent was never
            # written were never sent: they stay "not sent", for a resume to send.
            lost = self.ledger.take_in_flight(batch.number)
            if lost:
                self._lost[batch.number] = lost
            raise
        await self._settled(batch, outcome)
        if len(self._failed) > self.options.max_failed_batches:
            # Worded at the end (_too_many_failed): batches in flight may fail too, and the
            # message must count what the summary counts.
            self._too_many = True
            raise Stop(RunState.STOPPED, self._too_many_failed())

    def _too_many_failed(self) -> str:
        last = max(self._failed, default=None)
        why = self._failed_why.get(last, "") if last is not None else ""
        return (
            f"{len(self._failed)} batches failed (last: {why or 'see the log'}); "
            "stopped so as not to hammer the vendor; the run can be resumed later"
        )

    def _dry(self, batch: BatchInfo) -> None:
        """A dry run's batch: read, checked, built and serialised; counted as if sent."""
        self._batches_seen += 1
        rows = batch.rows
        self.ledger.rows_imported += rows
        self.ledger.session_rows_done += rows
        self._outcomes[batch.number] = "ok"
        self.hub.emit(
            BatchQueued(batch.number, batch.records, rows, batch.first_line, batch.last_line)
        )
        self.hub.emit(
            BatchAcknowledged(batch.number, "", batch.records, rows, {"dry_run": True}, 0.0)
        )

    def _outcome_of(self, batch: Batch, outcome: Outcome) -> str:
        """A settled batch's outcome for the tally: failed, unknown, ok or partial."""
        if outcome.failed:
            return "failed"
        if outcome.unknown:
            return "unknown"
        if self.options.dry_run:
            return "ok"
        whole = outcome.imported == batch.rows and batch.number not in self._refused_before
        return "ok" if whole else "partial"

    async def _settled(self, batch: Batch, outcome: Outcome) -> None:
        """Bookkeeping once every row of a batch has an outcome."""
        self._outcomes[batch.number] = self._outcome_of(batch, outcome)
        self._settled_here.add(batch.number)
        if outcome.failed:
            failed = Batch(
                batch.number, outcome.failed, batch.payload_sha256, part="retry", fixed=batch.fixed
            )
            failed.url, failed.params, failed.body = self._build(failed.records)
            self._failed[batch.number] = failed
            self._failed_why[batch.number] = outcome.failure
        else:
            self._failed.pop(batch.number, None)
            self._failed_why.pop(batch.number, None)
        if self.options.dry_run:
            return
        state = "failed" if outcome.failed else "unknown" if outcome.unknown else "done"
        await self._write(
            BatchSettled(
                batch=batch.number,
                state=state,
                first=batch.first_line,
                last=batch.last_line,
                rows=batch.rows,
                imported=outcome.imported,
                refused=outcome.refused,
                unknown=outcome.unknown,
                failed=sum(len(i.lines) for i in outcome.failed),
            ),
            # A summary of the entries before it (synced): a resume can rebuild it.
            sync=False,
        )

    # -- bookkeeping ------------------------------------------------------------------------------
    def _rejected(
        self, batch: int | None, kind: str, rejects: list[Reject], *, again: bool = False
    ) -> None:
        """Rows the reading thread already wrote (invalid), or resume's re-listed ones
        (``again``: fixed rows, listed in place of what was listed for them before)."""
        if kind == "resume":
            assert self._rejects is not None
            written = self._rejects.relist(rejects) if again else self._rejects.add(rejects)
            for sub in ("refused", "unknown"):
                group = [r for r in written if r.kind == sub]
                if group:
                    self.ledger.rejected(batch, sub, group)
            return
        self.ledger.rejected(batch, kind, rejects)

    def _set_state(self, state: RunState) -> None:
        self.state = state
        self.hub.emit(StateChanged(state))

    def _stop(self, state: RunState, message: str) -> None:
        if self._stop_state is None or self._stop_state[0] == RunState.CANCELLED:
            self._stop_state = (state, message)
        self._stopping = True
        if self._producer is not None:
            self._producer.stop.set()
        if self._wake is not None:
            self._wake.set()
        if self._feeder is not None and not self._feeder.done():
            self._feeder.cancel()
        if self._batches is not None and self._batches.empty():
            self._batches.put_nowait(_END)  # senders waiting for a batch: none is coming
        if self.state in (RunState.RUNNING, RunState.PAUSED):
            self._set_state(RunState.CANCELLING)

    async def _write(self, entry: Entry, *, sync: bool = True) -> None:
        """Journal one entry; raises :class:`DiskError` once the journal cannot be written."""
        if self.options.dry_run and (
            self.unrecorded is not None or not isinstance(entry, RunHeader | Session | End)
        ):
            return
        assert self._journal is not None
        await self._journal.append(entry, sync=sync)

    async def _write_or_stop(self, entry: Entry, *, sync: bool = True) -> bool:
        """Journal one entry outside a batch; a disk failure stops the run instead of raising."""
        try:
            await self._write(entry, sync=sync)
        except DiskError as exc:
            self._stop(RunState.DISK_ERROR, str(exc))
            return False
        return True

    async def _end_feeder(self) -> None:
        if self._feeder is not None:
            if self._stopping and not self._feeder.done():
                self._feeder.cancel()
            await asyncio.gather(self._feeder, return_exceptions=True)

    async def _drain(self) -> None:
        """After the senders stop: let the reading thread end, discarding what it still reads."""
        if self._producer is None or self._read_end is not None:
            return
        if self._stopping:
            self._producer.stop.set()
        while self._read_end is None:
            chunk = await self._next_chunk_blocking()
            if isinstance(chunk, ReadEnd):
                await self._reading_ended(chunk)
            elif isinstance(chunk, Chunk) and chunk.rejected:
                self._rejected(None, "invalid", chunk.rejected)

    async def _next_chunk_blocking(self) -> Chunk | ReadEnd:
        assert self._chunks is not None and self._wake is not None
        while True:
            try:
                return self._chunks.get_nowait()
            except queue.Empty:
                pass
            self._wake.clear()
            self._waiting = True
            try:
                return self._chunks.get_nowait()
            except queue.Empty:
                pass
            try:
                await asyncio.wait_for(self._wake.wait(), 0.5)
            except TimeoutError:
                pass
            finally:
                self._waiting = False

    def batch_counts(self) -> dict[str, int]:
        """The run's batches by outcome, earlier sessions' included: ``ok``, ``partial``,
        ``unknown``, ``failed``, and ``done``, the batches with an outcome."""
        counts = dict.fromkeys(("ok", "partial", "unknown", "failed"), 0)
        for outcome in self._outcomes.values():
            counts[outcome] += 1
        counts["done"] = len(self._outcomes)
        return counts

    def progress(self) -> Progress:
        """The progress right now (the same as the latest Progress event would say)."""
        producer = self._producer
        elapsed = max(1e-9, time.monotonic() - self._started)
        rows_read = producer.rows_read if producer else 0
        end = self._read_end
        total = self.rows_expected
        if total is None and end is not None and end.error is None and not self._stopping:
            total = end.rows
        batches_total = self.batches_expected
        if batches_total is None and end is not None and end.error is None:
            batches_total = end.batches
        fraction = None
        if producer is not None:
            try:
                fraction = producer.stream.fraction()
            except (ValueError, OSError):
                fraction = None
        done = self.ledger.rows_imported + self.ledger.rows_rejected
        rate = self.ledger.session_rows_done / elapsed
        eta = None
        if total is not None and rate > 0:
            eta = max(0.0, (total - done) / rate)
        elif fraction and rows_read and rate > 0:
            share = fraction * min(1.0, done / rows_read)
            eta = elapsed * (1 - share) / share if share > 0 else None
        batches = self.batch_counts()
        return Progress(
            rows_read=rows_read,
            rows_total=total,
            rows_imported=self.ledger.rows_imported,
            rows_rejected=self.ledger.rows_rejected,
            batches_done=batches["done"],
            batches_total=batches_total,
            batches_failed=batches["failed"],
            rows_per_second=rate,
            eta_seconds=eta,
            fraction=fraction,
            elapsed=elapsed,
            batches_ok=batches["ok"],
            batches_partial=batches["partial"],
            batches_unknown=batches["unknown"],
            rows_unknown=self.ledger.rows_unknown,
        )

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.options.progress_interval)
            self.hub.emit(self.progress())
            failed = logs.failure()
            if failed is not None and not self.options.dry_run and not self._stopping:
                # The log is part of the record an operator relies on: a disk that cannot
                # take it stops the sending, as the journal's or the rejects file's would.
                self._stop(RunState.DISK_ERROR, str(DiskError(failed.path, failed.error)))

    # -- the end ---------------------------------------------------------------------------------
    async def _finish(self) -> RunSummary:
        assert self._rejects is not None
        if self._lost:
            await self._list_lost()
        if self._failed:
            # Listed, however the run ended, so a batch counted failed has its rows counted
            # failed; taken out again when a retry or a resume imports them.
            rejects: list[Reject] = []
            fixed: list[Reject] = []
            for number, batch in self._failed.items():
                why = self._failed_why.get(number, "")
                reason = f"not imported: batch {number} failed ({why}); a resume sends it again"
                for item in batch.items:
                    for line, row in zip(item.lines, item.rows, strict=True):
                        # Fixed rows were listed (invalid, refused) before the fix: what
                        # became of the fix replaces that.
                        (fixed if batch.fixed else rejects).append(
                            Reject(line, "failed", "", reason, row)
                        )
            await self._list_rows("failed", rejects, relisted=fixed)
        state, message = self._stop_state or (RunState.FINISHED, "")
        if self.unrecorded is not None and not message:
            message = self._unrecorded_note()
        if state is RunState.STOPPED and self._failed and self._too_many:
            message = self._too_many_failed()  # with the batches that failed in flight too
        self.hub.emit(self.progress())
        summary = self._summarise(state, message)
        if self._journal is not None and self._journal.failure is None:
            await self._write_or_stop(
                End(state=str(summary.state), message=message, summary=summary.as_json())
            )
            if self._stop_state is not None and self._stop_state[0] != state:
                # The end entry itself hit a full disk: say so rather than "finished".
                state, message = self._stop_state
                summary = self._summarise(state, message)
        if self._journal is not None and self._journal.failure is not None:
            # The disk refused the journal: the end goes into the room kept for it, so
            # History says what this summary says (disk error, these counts), not "interrupted".
            end = End(state=str(summary.state), message=message, summary=summary.as_json())
            await asyncio.to_thread(self._journal.write_end, end)
        self.summary = summary
        self._set_state(RunState.FINISHED)
        self._release_claim()
        try:
            await asyncio.to_thread(self._rejects.sync)
        except DiskError as exc:
            if summary.state != RunState.DISK_ERROR:
                summary = self.summary = self._summarise(RunState.DISK_ERROR, str(exc))
        if self._journal is not None:
            # Released at once, so history shows the run as not running; a later run()
            # (after retry_failed) opens a new session.
            with contextlib.suppress(DiskError):
                await self._journal.aclose()
            self._journal = None
        self.hub.emit(RunFinished(summary))
        return summary

    async def _list_lost(self) -> None:
        """Rows in flight when the run stopped: of unknown outcome, listed as a resume would
        list them; what the disk will not take is counted as missing from the rejects file."""
        assert self._rejects is not None
        reason = (
            "unknown outcome: the run stopped while this batch was being sent; check the "
            "vendor before sending these rows again"
        )
        rejects = [
            Reject(line, "unknown", "", reason, row)
            for items in self._lost.values()
            for item in items
            for line, row in zip(item.lines, item.rows, strict=True)
        ]
        for number in self._lost:
            self._outcomes[number] = "unknown"
            self._settled_here.add(number)
        self._lost.clear()
        await self._list_rows("unknown", rejects)

    async def _list_rows(
        self, kind: str, rejects: list[Reject], *, relisted: Sequence[Reject] = ()
    ) -> None:
        """List rows of ``kind`` in the rejects file (``relisted``: rows listed before under
        another kind, listed again in their place); what the disk will not take stops the run
        and is counted as missing from the file."""
        assert self._rejects is not None
        try:
            written = await asyncio.to_thread(self._rejects.add, rejects)
            if relisted:
                written += await asyncio.to_thread(self._rejects.relist, relisted)
            self.ledger.rejected(None, kind, written)
        except DiskError as exc:
            self._stop(RunState.DISK_ERROR, str(exc))
            self._unlisted[kind] += sum(1 for r in rejects if not self._rejects.has(r.line))

    def _journal_left(self) -> tuple[Counter[str], Counter[str]]:
        """On resume, what earlier sessions left that this one has not dealt with (it stopped
        before it reached those batches): rows the journal knows of unknown outcome or
        refused that the rejects file does not list yet, by kind, and their batches (unknown,
        failed). A session that stops early reports the run as the journal folds it."""
        rows: Counter[str] = Counter()
        batches: Counter[str] = Counter()
        replay = self.replay
        if replay is None or self.options.dry_run or self._rejects is None:
            return rows, batches
        here = self._settled_here | set(self._failed) | set(self._lost)
        for number in sorted({*replay.unknown, *replay.refused, *replay.failed}):
            if number in here:
                continue  # dealt with in this session: counted as it went
            if number in replay.failed:
                batches["failed"] += 1  # its rows are listed "failed" by the session it failed in
            elif replay.unknown.get(number) and number not in self._outcomes:
                batches["unknown"] += 1
            for kind, lines in (
                ("unknown", replay.unknown.get(number, {})),
                ("refused", replay.refused.get(number, {})),
            ):
                rows[kind] += sum(1 for line in lines if not self._rejects.has(line))
        return rows, batches

    def _invalid_unread(self, listed: int) -> int:
        """Rows the pre-flight found invalid that no rejects file lists yet (the session
        stopped before reading them): invalid, and missing from the file, never "not sent"
        (a resume lists them, it never sends them). Rows fixed since are no longer invalid."""
        if self.rows_invalid_known is None or self.options.dry_run or self._fixing:
            return 0  # a session of fixed rows reads no file: the rejects file says
        end = self._read_end
        if end is not None and end.error is None:
            return 0  # read to its end: the file lists what the reading found
        fixed = len(self.replay.fixed) if self.replay is not None else 0
        return max(0, self.rows_invalid_known - listed - fixed)

    def _summarise(self, state: RunState, message: str) -> RunSummary:
        """The counts, from what this process saw and the journal's earlier sessions.

        They add up: imported + invalid + refused + unknown + failed + not sent = total.
        """
        assert self._rejects is not None
        counts = self._rejects.counts()
        end = self._read_end
        rows_read = (
            end.rows if end is not None else (self._producer.rows_read if self._producer else 0)
        )
        rows_total = self.rows_expected if self.rows_expected is not None else rows_read
        batches_total = self.batches_expected
        if batches_total is None:
            batches_total = end.batches if end is not None else self._batches_seen
        imported = self.ledger.rows_imported
        counts.update(self._unlisted)
        unlisted = sum(self._unlisted.values())
        left_rows, left_batches = self._journal_left()
        counts.update(left_rows)
        unlisted += sum(left_rows.values())
        unread = self._invalid_unread(counts["invalid"])
        counts["invalid"] += unread
        unlisted += unread
        listed = sum(counts.values())
        not_sent = max(0, rows_total - imported - listed)
        batches = self.batch_counts()
        ok, partial = batches["ok"], batches["partial"]
        unknown_batches = batches["unknown"] + left_batches["unknown"]
        failed_batches = len(self._failed) + left_batches["failed"]
        if self.options.dry_run and state == RunState.INPUT_ERROR:
            # The real import's pre-flight stops on the same fault before it sends anything:
            # a dry run gives that verdict, not the rows it had counted before the fault.
            imported, ok, partial, failed_batches, unknown_batches = 0, 0, 0, 0, 0
            not_sent = max(0, rows_total - listed)
        return RunSummary(
            run_id=self.run_id,
            state=state,
            dry_run=self.options.dry_run,
            rows_total=rows_total,
            rows_imported=imported,
            rows_rejected=listed,
            rows_invalid=counts.get("invalid", 0),
            rows_refused=counts.get("refused", 0),
            rows_unknown=counts.get("unknown", 0),
            rows_failed=counts.get("failed", 0),
            batches_total=batches_total,
            batches_ok=ok,
            batches_failed=failed_batches,
            batches_unknown=unknown_batches,
            batches_partial=partial,
            rejects_path=self.rejects_path,
            journal_path=self.journal_path,
            elapsed=time.monotonic() - self._started,
            message=message,
            rows_not_sent=not_sent,
            rows_unlisted=unlisted,
            made=self.unrecorded is None,
            unrecorded=self.unrecorded is not None,
            rejects_kept=self._rejects.written,
        )
