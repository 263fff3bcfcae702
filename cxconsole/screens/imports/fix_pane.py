"""The Fix rejects tab: a run's invalid and refused rows in an editable grid, sent again.

Each edit is checked at once by the core's row plan (:func:`check_row`); ``s`` sends the fixed
rows within the same run (:meth:`ImportRun.send_fixed`). The pane tells the screen when it has
a run's rejects open (:class:`FixPane.Opened`) and when fixed rows went (:class:`FixPane.Sent`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from cxconsole.screens.imports.pane import ImportPane
from cxconsole.widgets.rejects_grid import RejectsGrid

if TYPE_CHECKING:
    from cxconsole.importing import ImportRun, RunSummary

Opener = Callable[[], Awaitable["ImportRun"]]


class FixPane(ImportPane):
    """The rejects of one run, edited in place and sent within that run."""

    class Opened(Message):
        """A run's rejects are in the grid."""

    class Sent(Message):
        """Fixed rows went to the vendor; ``summary`` is the run's after them."""

        def __init__(self, summary: RunSummary) -> None:
            super().__init__()
            self.summary = summary

    def __init__(self) -> None:
        super().__init__("Fix rejects (F7)", id="fix")
        self.run: ImportRun | None = None  # the run whose rejects are being fixed

    def compose(self) -> ComposeResult:
        yield Static(
            "No rejects loaded: e on a finished run (Run or History tab) opens its "
            "invalid and refused rows here.",
            id="fix-title",
            markup=False,
        )
        yield RejectsGrid(id="rejects-grid")
        yield Static("", id="fix-status", markup=False)

    def focus_target(self) -> RejectsGrid:
        return self.query_one(RejectsGrid)

    @work(exclusive=True, group="imports-fix", exit_on_error=False)
    async def open(self, get: Opener, in_use: ImportRun | None = None) -> None:
        """Load the rejects of the run ``get`` returns; the run before is released unless it
        is ``in_use`` (the one the Run tab follows)."""
        from cxconsole.client import CXError
        from cxconsole.importing.fixes import load_fixable

        status = self.query_one("#fix-status", Static)
        try:
            run = await get()
            rows = await asyncio.to_thread(load_fixable, run)
        except (CXError, OSError) as exc:
            self.notify(f"Cannot open the rejects: {exc}", severity="error", markup=False)
            return
        if self.run is not None and self.run is not run and self.run is not in_use:
            self.run.release()
        self.run = run
        grid = self.query_one(RejectsGrid)
        grid.problems.clear()
        grid.edited.clear()
        grid.show(rows, run.source.headers, run.source.key_unit)
        resent = sum(1 for row in rows if row.resent)
        failed = (
            f", {resent:,} in failed batches (not edited: a resume sends them again)"
            if resent
            else ""
        )
        self.query_one("#fix-title", Static).update(
            f"Run {run.run_id} ({run.vendor.title}): {len(rows) - resent:,} row(s) rejected "
            f"here or refused by the vendor{failed} · enter edits a cell (checked at once) · "
            "s sends the fixed rows within the run"
        )
        fixable = len(rows) - resent
        status.update("" if fixable else "Nothing to fix: no invalid or refused row.")
        self.post_message(self.Opened())

    @on(DataTable.CellSelected, "#rejects-grid")
    def _cell_chosen(self) -> None:
        self.edit_cell()

    def edit_cell(self) -> None:
        run = self.run
        if run is None:
            return
        from cxconsole.importing.fixes import check_row

        plan = run.row_plan()
        self.query_one(RejectsGrid).edit_current(lambda values: check_row(plan, values))

    def send_fixed(self) -> None:
        """The rows edited until they say ✓, sent within their run after a yes."""
        run = self.run
        grid = self.query_one(RejectsGrid)
        rows = grid.fixed()
        if run is None or not rows:
            self.notify("No fixed row to send: edit a rejected row until it says ✓.", timeout=4)
            return
        from cxconsole.widgets.confirm import Confirm

        question = (
            f"Send {len(rows):,} fixed row(s) to {escape(run.vendor.title)} within run "
            f"{escape(run.run_id)}? Each goes once; one the vendor refuses again stays listed "
            "with the new reason."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._send_fixed(run, rows)

        self.app.push_screen(Confirm(question, yes="Send fixed rows"), answered)

    @work(exclusive=True, group="imports-fix", exit_on_error=False)
    async def _send_fixed(self, run: ImportRun, rows: dict[int, list[Any]]) -> None:
        status = self.query_one("#fix-status", Static)
        status.update(f"Sending {len(rows):,} fixed row(s)…")
        try:
            summary = await run.send_fixed(rows)
        except Exception as exc:  # said on screen, never a traceback
            status.update(f"✗ not sent: {type(exc).__name__}: {exc}")
            return
        status.update(
            f"Run {summary.run_id}: {summary.rows_imported:,} of {summary.rows_total:,} rows "
            f"imported, {summary.rows_rejected:,} listed in the rejects file"
            + (f" · {summary.message}" if summary.message else "")
        )
        self.post_message(self.Sent(summary))
        self.open(_same(run))


def _same(run: ImportRun) -> Opener:
    async def get() -> ImportRun:
        return run

    return get
