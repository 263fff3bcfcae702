"""The Run tab: a run's progress, rows/s and ETA, one line per batch, its summary.

It drives the core's :class:`ImportRun` (pre-flight questions, pause, cancel, retry) and tells
the screen by messages: :class:`RunPane.Started` when it follows a run, :class:`RunPane.Finished`
when one stops, :class:`RunPane.FixRequested` for its rejects.

Speed: the run's events go to :class:`BatchBook` (plain objects, O(1) per event) from the
run's callback; a timer flushes the book to the widgets a few times a second inside
``app.batch_update()``, and the batch table draws only the lines in view.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import ProgressBar, Sparkline, Static

from cxconsole.importing.events import batches_said, duration
from cxconsole.importing.options import region_problem
from cxconsole.screens.imports.pane import ImportPane
from cxconsole.widgets.batch_table import BatchBook, BatchRow, BatchTable
from cxconsole.widgets.choice import Choice

if TYPE_CHECKING:
    from cxconsole.errorlog import ErrorEvent
    from cxconsole.importing import ImportRun, RunSummary

#: Batch states in the order the counts line and the outcome bar read; SETTLED have an outcome.
STATE_ORDER = ("ok", "partial", "unknown", "failed", "sending", "retrying", "queued")
SETTLED = ("ok", "partial", "unknown", "failed")
FLUSH_S = 0.15  # how often pending batch updates reach the widgets while a run streams
ACTIVE_STATES = ("checking", "running", "paused", "cancelling")

Prepare = Callable[[], Awaitable["ImportRun"]]
Answer = Callable[[str, str], Awaitable["ImportRun"]]
Opener = Callable[[], Awaitable["ImportRun"]]


class RunPane(ImportPane):
    """The run being followed, drawn from its events."""

    class Started(Message):
        """The pane follows ``run`` now (a new one, a resumed one, or one prepared again)."""

        def __init__(self, run: ImportRun) -> None:
            super().__init__()
            self.run = run

    class Finished(Message):
        """The run stopped (finished, cancelled or failed); ``summary`` when it has one."""

        def __init__(self, summary: RunSummary | None) -> None:
            super().__init__()
            self.summary = summary

    class ResumeRefused(Message):
        """The core refused to resume a run (a changed file...): ``text`` says why."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class FixRequested(Message):
        """Open the rejects of the run ``open`` returns in the fix grid."""

        def __init__(self, open: Opener) -> None:
            super().__init__()
            self.open = open

    def __init__(self) -> None:
        super().__init__("Run (F3)", id="run")
        self.run: ImportRun | None = None
        self.book = BatchBook()
        self.summary: RunSummary | None = None
        self._spark: deque[float] = deque(maxlen=90)  # rows/s, a sample a second
        self._spark_last: tuple[float, int] | None = None
        self._batch_errors: dict[int, ErrorEvent] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        self._flush_timer: Timer | None = None
        self._shown_state = ""
        self._summary_shown: object = None
        self._starting = False  # a run is being prepared: a second F5 must not start another
        self._checked_rows = 0

    def compose(self) -> ComposeResult:
        yield Static("No run yet: set one up (F2), then F5.", id="run-title")
        with Horizontal(id="run-progress"):
            # Never indeterminate: its pulse would repaint many times a second.
            yield ProgressBar(id="run-bar", show_eta=False, total=100)
            yield Static("", id="run-rate", markup=False)
        yield Static("", id="run-counts")
        with Horizontal(id="run-pictures"):
            yield Static("rows/s", id="run-spark-label")
            yield Sparkline([], id="run-spark")
            yield Static("", id="run-outcomes")
        yield BatchTable(id="batches")
        yield Static("", id="run-summary")

    def on_mount(self) -> None:
        self.query_one(BatchTable).show_book(self.book)
        self._flush_timer = self.set_interval(FLUSH_S, self.flush, pause=True)

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    def focus_target(self) -> BatchTable:
        return self.query_one(BatchTable)

    def redraw(self) -> None:
        """Draw the book as it is now (the screen is back in view)."""
        self.book.dirty = True
        self.flush()

    # -- state, for the screen's keys ---------------------------------------------------------
    @property
    def run_state(self) -> str:
        return self.run.state if self.run is not None else "none"

    @property
    def running(self) -> bool:
        return self._starting or self.run_state in ACTIVE_STATES

    @property
    def has_failed(self) -> bool:
        return self.run is not None and bool(self.run.failed_batches)

    # -- starting ------------------------------------------------------------------------------
    def start(self, prepare: Prepare, answer: Answer | None = None) -> None:
        """Prepare a run and follow it; ``answer`` re-prepares it with a pre-flight answer."""
        if self.running:
            self.notify("A run is going already.", severity="warning")
            return
        self.banner(None)
        self._starting = True
        self._run_worker(prepare, answer)

    @work(group="imports-run", exit_on_error=False)
    async def _run_worker(self, prepare: Prepare, answer: Answer | None) -> None:
        from cxconsole.errors import CXError, VendorError
        from cxconsole.importing import ResumeError

        try:
            run = await prepare()
        except ResumeError as exc:
            self.post_message(self.ResumeRefused(f"Cannot resume: {exc}"))
            return
        except VendorError as exc:
            self.cx.report_error(exc, "import set-up")
            self.banner(f"Not started: {exc}")
            return
        except CXError as exc:
            self.banner(f"Not started: {exc}")
            return
        except Exception as exc:  # a bug: said on screen, never a traceback
            self.banner(f"Not started: {type(exc).__name__}: {exc}")
            return
        finally:
            self._starting = False
        self._follow_run(run)
        if not run.resumed:
            checked = await self._preflight(run, answer)
            if checked is None:
                return
            run = checked
        await self._drive(run)

    async def _preflight(self, run: ImportRun, answer: Answer | None) -> ImportRun | None:
        """The whole file, checked before anything is sent; what it needs decided is asked
        here, once, and the run prepared again with the answer. None: not started."""
        from cxconsole.client import CXError
        from cxconsole.importing.errors import (
            ColumnsNotSent,
            DateOrderNeeded,
            EncodingNeeded,
            RegionNeeded,
        )
        from cxconsole.widgets.confirm import Confirm

        if self._flush_timer is not None:
            self._flush_timer.resume()
        while True:
            try:
                await run.preflight()
                if await self._claimed(run):
                    return run
                return None
            except RegionNeeded as need:
                given = await self._ask_region(need)
                if given is None:
                    break
                question = "region"
            except ColumnsNotSent as need:
                # Values beyond the rows the set-up showed: asked once, never dropped unsaid.
                leave = await self.app.push_screen_wait(
                    Confirm(
                        f"{escape(str(need))}.\n\nLeave them out of the import? (Or go back to "
                        "the set-up, F2, and choose a field for them.)",
                        yes="Leave them out",
                    )
                )
                if not leave:
                    break
                given, question = "\n".join(need.columns), "skip"
            except DateOrderNeeded as need:
                given = await self.app.push_screen_wait(
                    Choice(
                        f"{need}\n\nHow are the dates of {need.field} written?",
                        [("Day first (31/12)", "day"), ("Month first (12/31)", "month")],
                    )
                )
                if given is None:
                    break
                question = "date-order"
            except EncodingNeeded as need:
                given = await self.app.push_screen_wait(
                    Choice(
                        f"The file does not say its encoding and is not UTF-8. Read as "
                        f"{need.encoding} (a guess), its line {need.line} is:\n\n{need.text}"
                        "\n\nDoes it read right? (If not, cancel and choose the file's "
                        "encoding in the Read as row, F2.)",
                        [(f"Read as {need.encoding}", need.encoding)],
                    )
                )
                if given is None:
                    break
                question = "encoding"
            except CXError as exc:
                context = getattr(exc, "context", "")
                hint = {
                    "encoding": " Choose the file's encoding in the Read as row (F2).",
                    "quote": " Close or remove the quote in the file, then start again.",
                    "newline": " Save the file with one kind of line end, then start again.",
                }.get(getattr(exc, "kind", ""), "")
                self.banner(
                    f"Not started, nothing was sent: {exc}.{hint}"
                    + (f"\n{context}" if context else "")
                )
                return None
            if answer is None:
                break  # nothing to prepare again with (not a set-up's run)
            try:
                run = await answer(question, given)
            except (CXError, ValueError) as exc:
                self.banner(f"Not started: {exc}")
                return None
            self._follow_run(run)
        self.banner("Not started: the question was left unanswered; nothing was sent.")
        return None

    async def _claimed(self, run: ImportRun) -> bool:
        """The same file into the same profile: refused while another run sends it; after a
        run that imported it, sent again only when the operator says so here."""
        from cxconsole.importing.errors import AlreadyImported
        from cxconsole.widgets.confirm import Confirm

        try:
            await run.claim()
            return True
        except AlreadyImported as exc:
            if exc.running:
                self.banner(f"Not started: {exc}.")
                return False
            question = (
                f"{escape(str(exc))}.\n\nImport this file again? Every row goes to "
                f"{escape(run.vendor.title)} a second time: {escape(run.vendor.resend_risk)}."
            )
            again = await self.app.push_screen_wait(Confirm(question, yes="Import it again"))
            if not again:
                self.banner("Not started: this file was imported before; nothing was sent.")
                return False
            run.options.again = True
            await run.claim()  # still refused if a run of it started meanwhile
            return True

    async def _ask_region(self, need: Any) -> str | None:
        proposed = need.proposed
        answers = [(f"{proposed} numbers", proposed)] if proposed else []
        share = (
            f"{need.valid} of the {need.sampled} sampled are valid {proposed} numbers."
            if proposed
            else "No region makes most of them valid numbers."
        )
        return await self.app.push_screen_wait(
            Choice(
                f"{need.count:,} numbers in {need.field} have no country code. {share}\n"
                "Which country are they from? (The profile's region, on the credentials "
                "screen, saves asking next time.)",
                answers,
                other="or type a region code (GB, NZ, ...) and enter",
                check=region_problem,
            )
        )

    async def _drive(self, run: ImportRun) -> None:
        if self._flush_timer is not None:
            self._flush_timer.resume()
        try:
            await run.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the run: shown, never a traceback on screen
            self.banner(f"The run stopped: {type(exc).__name__}: {exc}")
        finally:
            if self._flush_timer is not None:
                self._flush_timer.pause()
            if self.is_attached:  # not while the app shuts down
                self.book.dirty = True
                self.flush()
                self.screen.refresh_bindings()
                self.post_message(self.Finished(self.summary))

    def _follow_run(self, run: ImportRun) -> None:
        """Show ``run`` in this tab and follow its events."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.run = run
        self.summary = None
        self.book = BatchBook()
        self.book.dirty = True  # drawn at the next flush: nothing of the last run stays
        self._checked_rows = 0
        self._batch_errors = {}
        self._shown_state = ""
        self._summary_shown = None
        self.query_one(BatchTable).show_book(self.book)
        self._unsubscribe.append(run.subscribe(self._on_event))
        ctx = self.cx.ctx  # set: prepare() awaited the core
        if ctx is not None:
            self._unsubscribe.append(ctx.errors.subscribe(self._error_seen))
        summary = self.query_one("#run-summary", Static)
        summary.update("")
        summary.remove_class("-shown", "-ok", "-bad", "-resumable", "-warn")
        self._show_title()
        self.query_one("#run-bar", ProgressBar).update(total=100, progress=0)
        self._spark.clear()
        self._spark_last = None
        self.query_one("#run-spark", Sparkline).data = []
        self.post_message(self.Started(run))

    def _on_event(self, event: Any) -> None:
        # The hot path: runs inside the runner for every event. Plain objects only.
        self.book.apply(event)
        name = type(event).__name__
        if name == "PreflightProgress":
            self._checked_rows = event.rows_read
            self.book.dirty = True
            return
        if name == "BatchFailed" or (name == "RowsRejected" and event.batch is not None):
            error = self._batch_errors.get(event.batch)
            row = self.book.get(event.batch)
            if error is not None and row is not None and error.status is not None:
                row.status = error.status

    def _error_seen(self, event: ErrorEvent) -> None:
        # May run on any thread: a dict store only.
        run = self.run
        if run is not None and event.run_id == run.run_id and event.batch is not None:
            self._batch_errors[event.batch] = event

    def flush(self) -> None:
        """Apply what the events changed since the last flush: one repaint for all of it."""
        book = self.book
        if not book.dirty:
            return
        book.dirty = False
        with self.app.batch_update():
            self.query_one(BatchTable).sync()
            self._show_progress()
            if book.state != self._shown_state:
                self._shown_state = book.state
                self._show_title()
                self.screen.refresh_bindings()
            if book.summary is not None and book.summary is not self._summary_shown:
                self._summary_shown = book.summary
                self.summary = book.summary
                self._show_summary(book.summary)
            elif book.summary is None and book.notices:
                self._show_notices()

    def _show_title(self) -> None:
        run = self.run
        title = self.query_one("#run-title", Static)
        if run is None:
            title.update("No run yet: set one up (F2), then F5.")
            return
        state = self.book.state if self.book.state != "ready" else run.state
        if self.book.summary is not None:
            state = self.book.summary.state
        if state == "checking":
            rows = self._checked_rows
            title.update(
                f"[b reverse] CHECKING [/] every row of [b]{escape(run.source.path.name)}[/b] "
                f"before anything is sent: {rows:,} rows read"
            )
            return
        badge = {
            "running": "[b reverse] RUNNING [/]",
            "paused": "[b reverse] PAUSED [/] (p resumes)",
            "cancelling": "[b reverse] CANCELLING [/] (finishing the batches in flight)",
            "finished": "[b reverse] FINISHED [/]",
            "cancelled": "[b reverse] CANCELLED [/] (resumable)",
        }.get(state, f"[b reverse] {escape(state.upper())} [/]")
        verb = "resumed: " if run.resumed else ""
        title.update(
            f"{badge} {verb}[b]{escape(run.source.path.name)}[/b] → "
            f"{escape(run.account.profile.name)} ({escape(run.vendor.title)}) · "
            f"{run.batch_size}/batch, {run.concurrency} at once · run {escape(run.run_id)}"
        )

    def batch_counts(self) -> tuple[dict[str, int], int | None]:
        """The run's batches by state, and their total when known.

        The outcomes (ok, partly refused, unknown, failed) are the core's, for the whole run
        (a resumed run's earlier sessions included): its summary once it ended, else its
        latest progress. Only what is in flight right now (sending, retrying) comes from the
        events of this session's batches; the rest of the total is queued, or not sent.
        """
        counts = dict.fromkeys(STATE_ORDER, 0)
        summary, p = self.book.summary, self.book.progress
        if summary is not None:
            counts.update(
                ok=summary.batches_ok,
                partial=summary.batches_partial,
                failed=summary.batches_failed,
                unknown=summary.batches_unknown,
                queued=summary.batches_not_sent,
            )
            return counts, summary.batches_total
        live = self.book.counts()
        counts["sending"], counts["retrying"] = live["sending"], live["retrying"]
        if p is None:
            counts["queued"] = live["queued"]
            return counts, None
        counts.update(
            ok=p.batches_ok,
            partial=p.batches_partial,
            failed=p.batches_failed,
            unknown=p.batches_unknown,
        )
        pending = p.batches_pending
        if pending is None:
            counts["queued"] = live["queued"]
        else:
            counts["queued"] = max(0, pending - counts["sending"] - counts["retrying"])
        return counts, p.batches_total

    def _show_progress(self) -> None:
        p = self.book.progress
        rate = self.query_one("#run-rate", Static)
        bar = self.query_one("#run-bar", ProgressBar)
        counts, total = self.batch_counts()
        parts = [f"[b]{counts['ok']:,}[/b] ok"]
        ended = self.book.summary is not None
        for state, label in (
            ("partial", "partly refused"),
            ("failed", "failed"),
            ("unknown", "unknown outcome"),
            ("retrying", "retrying"),
            ("sending", "sending"),
            ("queued", "not sent (resume sends them)" if ended else "queued"),
        ):
            if counts[state]:
                parts.append(f"{counts[state]:,} {label}")
        done = sum(counts[state] for state in SETTLED)
        shown = f"{done:,}" + (f" of {total:,}" if total else "")
        line = f"Batches: {shown} done · " + " · ".join(parts)
        if self.query_one(BatchTable).failures_only:
            line += "  [b]showing problems only[/b] [dim](f: all)[/dim]"
        elif counts["failed"]:
            line += "  [dim](f: failures only · enter: inspect · r: retry)[/dim]"
        self.query_one("#run-counts", Static).update(line)
        self.query_one("#run-outcomes", Static).update(self._outcome_bar(counts, total))
        if p is None:
            rate.update("")  # no progress of this run yet: none of the last run's either
            return
        self._sample_throughput(p.rows_imported + p.rows_rejected)
        imported, rejected_rows, unknown = p.rows_imported, p.rows_rejected, p.rows_unknown
        summary = self.book.summary
        if summary is not None:
            # The summary counts from the rejects file: rows of failed batches that a retry
            # imported are no longer rejects there (the live counter keeps them).
            imported, rejected_rows = summary.rows_imported, summary.rows_rejected
            unknown = summary.rows_unknown
        done = imported + rejected_rows
        total = p.rows_total  # the pre-flight counted every row before the first was sent
        if total:
            bar.update(total=total, progress=min(done, total))
        elif p.fraction and p.rows_read:
            share = p.fraction * min(1.0, done / p.rows_read)
            bar.update(total=1000, progress=int(share * 1000))
        eta_s = p.eta_seconds
        going = self.book.state in ("running", "paused")
        eta = f" · ETA {duration(eta_s)}" if going and eta_s is not None else ""
        of = f"/{total:,}" if total else ""
        # Listed as the rejects file (and --json's rows_rejected) counts them, unknown included.
        rejected = f" · {rejected_rows:,} listed" if rejected_rows else ""
        rejected += f" ({unknown:,} unknown)" if unknown else ""
        rate.update(
            f"{done:,}{of} rows · {imported:,} in{rejected} · {p.rows_per_second:,.0f} rows/s{eta}"
        )

    def _sample_throughput(self, done: int) -> None:
        """Rows per second over the last second or so, one sample a second, for the sparkline."""
        now = time.monotonic()
        last = self._spark_last
        if last is None or done < last[1]:
            self._spark_last = (now, done)
            return
        if now - last[0] < 1.0:
            return
        self._spark.append((done - last[1]) / (now - last[0]))
        self._spark_last = (now, done)
        self.query_one("#run-spark", Sparkline).data = list(self._spark)

    def _outcome_bar(self, counts: dict[str, int], whole: int | None = None) -> Text:
        """The run's batches by state as one coloured bar, 24 cells wide, and the share of
        the batches finished so far that went in whole (queued ones are not finished)."""
        from cxconsole.widgets.catalog_detail import theme_colours

        total = max(whole or 0, sum(counts.values()))
        if not total:
            return Text("")
        done = sum(counts[state] for state in SETTLED)
        colours = theme_colours(self.app)
        palette = (
            ("ok", colours.get("yes") or "green"),
            ("partial", colours.get("after_pause") or "yellow"),
            ("unknown", colours.get("after_pause") or "yellow"),
            ("failed", colours.get("never") or "red"),
            ("sending", colours.get("primary") or "blue"),
            ("retrying", colours.get("primary") or "blue"),
            ("queued", "grey50"),
        )
        width, bar, used = 24, Text(), 0
        for state, colour in palette:
            cells = round(width * counts.get(state, 0) / total)
            cells = min(cells, width - used)
            if cells:
                bar.append("█" * cells, style=colour)
                used += cells
        if used < width:
            bar.append("░" * (width - used), style="grey50")
        if done:
            bar.append(f" {100 * counts.get('ok', 0) / done:3.0f}% ok")
        return bar

    def _show_notices(self) -> None:
        panel = self.query_one("#run-summary", Static)
        panel.update("\n".join(f"! {escape(n)}" for n in self.book.notices[-3:]))
        panel.add_class("-shown")

    def _show_summary(self, s: RunSummary) -> None:
        panel = self.query_one("#run-summary", Static)
        details = [
            f"{count:,} {what}"
            for count, what in (
                (s.rows_invalid, "invalid"),
                (s.rows_refused, "refused by the vendor"),
                (s.rows_unknown, "outcome unknown: check the vendor before resending"),
                (s.rows_failed, "in failed batches"),
                (s.rows_not_sent, "not sent yet"),
            )
            if count
        ]
        verb = "would go in" if s.dry_run else "imported"
        batches = batches_said(
            s.batches_ok, s.batches_failed, s.batches_partial, s.batches_unknown, s.batches_not_sent
        )
        # The total is the file's once counted whole (a run that ended, or one with rows
        # not sent yet); else only the rows read before it stopped.
        of = "in the file" if s.state == "finished" or s.rows_not_sent else "read so far"
        lines = [
            f"{s.rows_imported:,} of the {s.rows_total:,} rows {of} {verb}, "
            f"{s.rows_not_imported:,} not"
            + (f" ({'; '.join(details)})" if details else "")
            + f" · batches of {s.batches_total:,}: {batches}"
            + f" · {duration(s.elapsed)}"
        ]
        failed = self.run.failed_batches if self.run is not None else []
        if s.state == "cancelled":
            head = f"[b]Cancelled.[/b] Run {escape(s.run_id)} is resumable"
            how = f"History (F4), enter on it, or: cxconsole import --resume {escape(s.run_id)}"
            lines.insert(0, f"{head}: {how}")
            kind = "-resumable"
        elif s.state == "finished" and failed:
            lines.insert(
                0,
                f"[b]Finished with {len(failed)} failed batch(es)[/b]: r retries them now; "
                f"run {escape(s.run_id)} stays resumable until they go in",
            )
            kind = "-bad"
        elif s.state == "finished":
            outcome = {
                "complete": "✓ Finished: every row imported",
                "partial": "Finished: some rows not imported",
                "nothing": "Finished: no row imported",
                "empty": "Finished: the file held no row",
            }[str(s.outcome)]
            if s.rows_unknown:
                outcome += f"; {s.rows_unknown:,} of unknown outcome (u on it in History resends)"
            lines.insert(0, f"[b]{outcome}[/b]: run {escape(s.run_id)}")
            kind = "-ok" if s.complete else "-warn" if s.rows_imported else "-bad"
        else:
            lines.insert(0, f"[b]Stopped ({escape(s.state)})[/b]: {escape(s.message)}")
            if s.resumable:
                lines.insert(1, f"Run {escape(s.run_id)} is resumable from History (F4).")
            kind = "-bad"
        if s.unrecorded:
            lines.append(escape(s.message))
        elif not s.made:
            lines.append("No run was made: nothing to resume.")
        else:
            if s.rows_rejected:
                lines.append(f"Rejects: {escape(str(s.rejects_path))}")
                if s.rejects_incomplete:
                    lines.append(escape(s.rejects_incomplete))
            lines.append(f"Journal: {escape(str(s.journal_path))}")
        panel.update("\n".join(lines))
        panel.remove_class("-ok", "-bad", "-resumable", "-warn")
        panel.add_class("-shown", kind)
        if self.screen.is_current and self.is_on_screen:
            return  # the operator is reading the panel: a toast would only cover it
        self.notify(
            f"Run {s.run_id}: {s.state}, {s.rows_imported:,} rows {verb}, "
            f"{s.rows_not_imported:,} not",
            title="Import",
            severity="information" if kind == "-ok" else "warning",
            markup=False,
        )

    # -- run actions ---------------------------------------------------------------------------
    def pause(self) -> None:
        if self.run is not None:
            self.run.pause()
            self.book.dirty = True
            self.flush()

    def resume(self) -> None:
        if self.run is not None:
            self.run.resume()
            self.book.dirty = True
            self.flush()

    def cancel(self) -> None:
        if self.run is not None and self.run_state in ("running", "paused"):
            self.run.cancel()
            self.notify(
                f"Finishing the batches in flight; run {self.run.run_id} stays resumable.",
                title="Cancelling",
            )
            self.book.dirty = True
            self.flush()

    def retry(self) -> None:
        run = self.run
        if run is None or not run.failed_batches:
            self.notify("No failed batch to retry.", timeout=3)
            return
        state = run.state
        count = run.retry_failed()
        self.notify(f"Sending {count} failed batch(es) again.", title="Retry", timeout=4)
        if state == "finished":
            # The runner sends them on its next run(): the same run, the same journal.
            self.summary = None
            self._summary_shown = None
            self.book.summary = None
            panel = self.query_one("#run-summary", Static)
            panel.remove_class("-shown", "-ok", "-bad", "-resumable", "-warn")
            self._retry_worker(run)
        self.screen.refresh_bindings()

    @work(group="imports-run", exit_on_error=False)
    async def _retry_worker(self, run: ImportRun) -> None:
        await self._drive(run)

    def toggle_failures(self) -> None:
        """Show only the batches with a problem, or all again (f)."""
        table = self.query_one(BatchTable)
        table.set_failures_only(not table.failures_only)
        self._show_progress()  # the counts line says which batches are shown

    def inspect(self) -> None:
        row = self.query_one(BatchTable).current
        if row is not None:
            self.inspect_batch(row)

    @on(BatchTable.Selected)
    def _batch_selected(self, event: BatchTable.Selected) -> None:
        self.inspect_batch(event.row)

    def inspect_batch(self, row: BatchRow) -> None:
        """Open the error inspector on a batch's error (or its catalog entry)."""
        state = row.state
        if state in ("failed", "unknown", "partial"):
            error = self._batch_errors.get(row.number)
            if error is not None:
                self.cx.inspect(error)
            elif row.entry is not None:
                self.cx.inspect(row.entry)
            else:
                self.cx.inspect(self._made_error(row))
        elif state == "retrying" and row.entry is not None:
            self.cx.inspect(row.entry)
        else:
            receipt = f": {row.receipt}" if row.receipt else ""
            self.notify(f"Batch {row.number} is {state}{receipt}", timeout=4, markup=False)

    def _made_error(self, row: BatchRow) -> ErrorEvent:
        """An error event for a failure the history never saw (an unexpected exception)."""
        from cxconsole.errorlog import ErrorEvent

        run = self.run
        return ErrorEvent(
            vendor=run.vendor.name if run else "cxconsole",
            code=row.code,
            entry=row.entry,
            message=row.message or f"batch {row.number} failed",
            source="import",
            profile=run.account.profile.name if run else None,
            run_id=run.run_id if run else None,
            batch=row.number,
            status=row.status,
        )

    def fix_rejects(self) -> None:
        """Ask for this run's rejects in the fix grid (a finished, real run only)."""
        run = self.run
        if run is None or run.summary is None or run.options.dry_run:
            self.notify("No finished run to fix (a dry run sends nothing).", timeout=4)
            return

        async def current() -> ImportRun:
            return run

        self.post_message(self.FixRequested(current))
