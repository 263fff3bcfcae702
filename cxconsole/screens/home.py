"""The home screen: profiles with their last test, recent import runs, and where you are."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static

from cxconsole.screens.base import CXScreen

if TYPE_CHECKING:
    from cxconsole.context import Context

WELCOME = (
    "cxconsole: set up a vendor account once, push customer files batch by batch, "
    "work the detractor tickets, decode any vendor error. "
    "Keys 1-5 switch screens, ? lists the keys, ctrl+p opens the command palette."
)


# The base URL last: it is the longest and the least needed at a glance.
PROFILE_COLUMNS = ("Profile", "Vendor", "Last test", "Secret", "Base URL")
RUN_COLUMNS = ("When", "File", "Profile", "Rows", "Imported", "Rejected", "State")


class HomeScreen(CXScreen):
    DEFAULT_CSS = """
    HomeScreen #profiles { height: auto; max-height: 45%; }
    HomeScreen #runs { height: auto; max-height: 45%; }
    HomeScreen #runs-title { margin-top: 1; }
    HomeScreen .empty { padding: 0 2; color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="home.refresh"),
        Binding("enter", "open", "Open", id="home.open", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner", classes="banner")
        with Vertical():
            yield Static("Profiles", classes="section-title")
            yield DataTable(id="profiles", cursor_type="row", zebra_stripes=True)
            yield Static("", id="profiles-empty", classes="empty")
            yield Static("Recent import runs", classes="section-title", id="runs-title")
            yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
            yield Static("", id="runs-empty", classes="empty")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Home"
        banner = self.query_one("#banner", Static)
        if self.cx.sandbox_requested:
            banner.update("SANDBOX  ·  starting the built-in emulator of the four APIs…")
        else:
            banner.display = False

    def on_screen_resume(self) -> None:
        # Also on the first show: the worker waits for the core when it is still loading.
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_open(self) -> None:
        table = self.focused
        if isinstance(table, DataTable) and table.id == "runs":
            self.cx.action_go("imports")
        elif isinstance(table, DataTable) and table.id == "profiles":
            self.cx.action_go("credentials")

    @work(exclusive=True, group="home-load")
    async def load(self) -> None:
        ctx = await self.cx.context()
        rows, runs, banner = await self._gather(ctx)
        profiles = self.query_one("#profiles", DataTable)
        # Columns are rebuilt with the rows: a kept header can keep its old widths.
        profiles.clear(columns=True)
        profiles.add_columns(*PROFILE_COLUMNS)
        for row in rows:
            profiles.add_row(*map(Text, row))  # Text: a "[" in a name is not markup
        empty = self.query_one("#profiles-empty", Static)
        empty.update("" if rows else f"{WELCOME}\n\nNo profiles yet: press 2 to add one.")
        empty.display = not rows
        table = self.query_one("#runs", DataTable)
        table.clear(columns=True)
        table.add_columns(*RUN_COLUMNS)
        for run in runs:
            table.add_row(*map(Text, run))
        runs_empty = self.query_one("#runs-empty", Static)
        runs_empty.update("" if runs else "No import runs yet: press 3 to start one.")
        runs_empty.display = not runs
        if banner:
            widget = self.query_one("#banner", Static)
            widget.update(banner)
            widget.display = True

    async def _gather(
        self, ctx: Context
    ) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], str]:
        import asyncio

        def read() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], str]:
            from cxconsole.client import CXError

            banner = ""
            if ctx.sandbox_url:
                banner = (
                    f"SANDBOX · emulator at {ctx.sandbox_url} · nothing reaches a vendor; "
                    "your own profiles and keyring are untouched"
                )
            elif getattr(ctx.secrets.store, "insecure", False):
                banner = "INSECURE secret store in use: secrets are in a plain-text file"
            try:
                profiles = ctx.profiles.load()
            except CXError as exc:
                return [], [], f"{banner}\n{exc}".strip()
            tests = ctx.tests.load()
            rows: list[tuple[str, ...]] = []
            for profile in profiles.values():
                test = tests.get(profile.name)
                last = "never" if not test else ("ok " if test["ok"] else "FAILED ") + test["at"]
                try:
                    base = profile.resolved_base_url()
                except CXError as exc:
                    base = f"(!) {exc}"
                rows.append(
                    (
                        profile.name,
                        profile.adapter.title,
                        last,
                        ctx.secrets.source(profile.name),
                        base,
                    )
                )
            return rows, recent_runs(), banner

        return await asyncio.to_thread(read)


def recent_runs(limit: int = 8) -> list[tuple[str, ...]]:
    """The latest real runs (dry runs left out), newest first, from their journals."""
    from datetime import datetime
    from pathlib import Path

    from cxconsole.importing.runs import list_runs

    rows: list[tuple[str, ...]] = []
    for run in [r for r in list_runs() if not r.dry_run][:limit]:
        try:
            when = datetime.fromisoformat(run.started).astimezone().strftime("%Y-%m-%d %H:%M")
        except ValueError:
            when = run.started[:16]
        state = "resumable (3 to resume)" if run.state == "resumable" else run.state
        rows.append(
            (
                when,
                Path(run.file).name,
                run.profile,
                "?" if run.rows_total is None else f"{run.rows_total:,}",
                f"{run.rows_imported:,}",
                "?" if run.rows_rejected is None else f"{run.rows_rejected:,}",
                state,
            )
        )
    return rows
