"""The History tab: the runs in the journals, and what can be done with one.

Resuming, resending the rows of unknown outcome and fixing rejects are asked of the screen by
messages (:class:`HistoryPane.ResumeRequested`, :class:`HistoryPane.ResendRequested`,
:class:`HistoryPane.FixRequested`); the core refuses a changed file, and the screen says why
here (:meth:`HistoryPane.show_error`). A run whose profile was renamed, when several profiles
point at its account, goes on in the one the operator picks (asked first).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from cxconsole.errors import CXError
from cxconsole.screens.imports.pane import ImportPane, resumed
from cxconsole.widgets.import_history import HistoryTable, describe

if TYPE_CHECKING:
    from cxconsole.importing import ImportRun, RunInfo

Opener = Callable[[], Awaitable["ImportRun"]]


class HistoryPane(ImportPane):
    """The journals' runs, newest first; the cursor stays where the operator put it."""

    class ResumeRequested(Message):
        """Continue ``run_id`` from its journal (in ``profile`` when the operator chose)."""

        def __init__(self, run_id: str, profile: str | None = None) -> None:
            super().__init__()
            self.run_id = run_id
            self.profile = profile

    class ResendRequested(Message):
        """Send ``run_id``'s rows of unknown outcome again (the operator said yes)."""

        def __init__(self, run_id: str, profile: str | None = None) -> None:
            super().__init__()
            self.run_id = run_id
            self.profile = profile

    class FixRequested(Message):
        """Open the rejects of the run ``open`` returns in the fix grid."""

        def __init__(self, open: Opener) -> None:
            super().__init__()
            self.open = open

    def __init__(self, busy: Callable[[], bool]) -> None:
        super().__init__("History (F4)", id="history")
        self._busy = busy  # a run is going: nothing else is sent meanwhile
        self.show_dry_runs = False
        self._kept: str | None = None  # the run the cursor was last put on

    def compose(self) -> ComposeResult:
        yield Static("", id="history-error", classes="banner -error", markup=False)
        yield Static("", id="history-empty")
        yield HistoryTable(id="history")
        yield Static("", id="history-detail", markup=False)

    def focus_target(self) -> HistoryTable:
        return self.query_one(HistoryTable)

    @work(exclusive=True, group="imports-history", exit_on_error=False)
    async def load(self, keep: str | None = None) -> None:
        """Read the journals again; the cursor goes to ``keep`` (a run that just ended) the
        first time it is given, else stays where it was."""
        from cxconsole.importing import list_runs, named
        from cxconsole.widgets.catalog_detail import theme_colours

        try:
            runs = await asyncio.to_thread(list_runs)
        except OSError as exc:
            self.show_error(f"Cannot read the run journals: {exc}")
            return
        try:
            ctx = await self.cx.context()
            runs = named(runs, await asyncio.to_thread(ctx.profiles.load))
        except CXError:
            pass  # the profiles cannot be read (said elsewhere): the names the runs recorded
        if not self.show_dry_runs:
            runs = [r for r in runs if r.state != "dry-run"]
        table = self.query_one(HistoryTable)
        current = table.current
        if keep is None or keep == self._kept:
            keep = current.run_id if current else None
        else:
            self._kept = keep
        table.show(runs, theme_colours(self.app), keep)
        empty = self.query_one("#history-empty", Static)
        hidden = "" if self.show_dry_runs else " (dry runs hidden: d shows them)"
        empty.update("" if runs else f"No import runs yet{hidden}.")
        empty.display = not runs
        table.display = bool(runs)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#history")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        run = self.query_one(HistoryTable).current
        self.query_one("#history-detail", Static).update(describe(run) if run else "")

    @on(DataTable.RowSelected, "#history")
    def _selected(self) -> None:
        self.resume_selected()

    def toggle_dry_runs(self) -> None:
        self.show_dry_runs = not self.show_dry_runs

    def resume_selected(self) -> None:
        """Ask for the run under the cursor to be resumed, if it can be."""
        info = self.query_one(HistoryTable).current
        if info is None:
            return
        if info.state != "resumable":
            self.notify(f"Run {info.run_id} is {info.state}: nothing to resume.", timeout=4)
            return
        if self._busy():
            self.notify("A run is going: wait for it, or cancel it first.", severity="warning")
            return
        self.hide_error()
        run_id = info.run_id
        self._in_profile(
            info, lambda profile: self.post_message(self.ResumeRequested(run_id, profile))
        )

    def resend_unknown(self) -> None:
        """Send a run's rows of unknown outcome again, after a yes that names the risk."""
        info = self.query_one(HistoryTable).current
        if info is None:
            return
        if not info.rows_unknown:
            self.notify(f"Run {info.run_id} has no row of unknown outcome.", timeout=4)
            return
        if self._busy():
            self.notify("A run is going: wait for it, or cancel it first.", severity="warning")
            return
        from cxconsole.vendors import get_vendor
        from cxconsole.widgets.confirm import Confirm

        vendor = get_vendor(info.vendor)
        question = (
            f"Send the {info.rows_unknown:,} row(s) of unknown outcome of run "
            f"{escape(info.run_id)} to {escape(vendor.title)} again?\n"
            f"Check the vendor first. Risk: {escape(vendor.resend_risk)}."
        )
        run_id = info.run_id

        def answered(yes: bool | None) -> None:
            if yes:
                self.hide_error()
                self._in_profile(
                    info, lambda profile: self.post_message(self.ResendRequested(run_id, profile))
                )

        self.app.push_screen(Confirm(question, yes="Send them again"), answered)

    def fix_rejects(self) -> None:
        """Ask for the rejects of the run under the cursor in the fix grid."""
        info = self.query_one(HistoryTable).current
        if info is None or info.dry_run:
            self.notify("Choose a run (not a dry run) whose rejects to fix.", timeout=4)
            return
        run_id = info.run_id
        self._in_profile(
            info,
            lambda profile: self.post_message(
                self.FixRequested(resumed(self.cx, run_id, fixing=True, profile=profile))
            ),
        )

    @work(group="imports-history-profile", exit_on_error=False)
    async def _in_profile(self, info: RunInfo, then: Callable[[str | None], None]) -> None:
        """``then`` with the profile the operator picks when several point at the run's account
        and none is the run's own; with None (the core finds the run's) when there is nothing
        to pick. Escape picks nothing, and nothing is done."""
        from cxconsole.importing import resume_choices
        from cxconsole.widgets.choice import Choice

        try:
            ctx = await self.cx.context()
            names = resume_choices(
                info.account, info.profile, await asyncio.to_thread(ctx.profiles.load)
            )
        except CXError:
            names = []  # the core reads the profiles again and says what is wrong
        if not names:
            then(None)
            return
        question = (
            f"Run {info.run_id} was made in profile {info.profile!r}; profiles "
            f"{', '.join(map(repr, names))} all point at its account now. Go on in which?"
        )

        def answered(name: str | None) -> None:
            if name:
                then(name)

        self.app.push_screen(Choice(question, [(name, name) for name in names]), answered)

    def show_error(self, text: str) -> None:
        banner = self.query_one("#history-error", Static)
        banner.update(text)
        banner.add_class("-shown")
        self.notify(text, title="Import history", severity="error", timeout=10, markup=False)

    def hide_error(self) -> None:
        self.query_one("#history-error", Static).remove_class("-shown")
