"""The home screen: profiles with their last test, tickets by time left, the last import runs.

The screen paints at once; profiles and runs are read in a thread, and the tickets pictures
are counted after them, page by page into the app's shared ticket cache (the tickets screen
then opens on pages already in).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from cxconsole.screens.base import CXScreen
from cxconsole.widgets.fit import take_by_rank
from cxconsole.widgets.footer import CXFooter
from cxconsole.widgets.home_pictures import ProfileTickets, TicketBuckets, outcome_bar

WELCOME = (
    "cxconsole: set up a vendor account once, push customer files batch by batch, "
    "work the detractor tickets, decode any vendor error. "
    "Keys 1-5 switch screens (Escape first to leave a text field), ? or F1 lists the keys, "
    "ctrl+p opens the command palette."
)
#: Home counts in pages this large (the server may serve fewer: then its own size), so the
#: picture costs as few of the vendor's rate-limited calls as it allows; and only up to
#: COUNT_PAGES pages: beyond, the tickets screen still sorts them all.
COUNT_PER_PAGE = 100
COUNT_PAGES = 100


@dataclass(frozen=True, slots=True)
class Col:
    """A column: its label, a rank (lower stays longer when the screen is narrow), a width cap,
    and the row key of a shorter form of its values, used before a column is dropped."""

    key: str
    label: str
    rank: int
    cap: int = 40
    short: str | None = None


OUTCOME_WIDTH = 10

# The base URL last and first to go: it is the longest and the least needed at a glance.
PROFILE_COLUMNS = (
    Col("name", "Profile", 0),
    Col("vendor", "Vendor", 2),
    Col("test", "Last test", 1, 24),
    Col("secret", "Secret", 3),
    Col("base", "Base URL", 4, 60),
)
# What tells runs apart (when, file, profile) stays before the counts the bar already shows;
# of those, the unknown rows first: they ask the operator to check the vendor.
RUN_COLUMNS = (
    Col("when", "When", 1, short="when_short"),
    Col("file", "File", 2, 24),
    Col("profile", "Profile", 3),
    Col("outcome", "Outcome", 0, OUTCOME_WIDTH),
    Col("imported", "Imported", 5),
    Col("listed", "Listed", 6),
    Col("unknown", "Unknown", 4),
    Col("state", "State", 0),
)


def fit_columns(columns: tuple[Col, ...], rows: list[dict[str, Any]], width: int) -> list[Col]:
    """The columns that fit ``width`` cells, whole: the highest-ranked go first, never cut.
    Shorter forms are taken when they keep more columns (a kept short column reads its
    values from its ``short`` key, which it then has as its key)."""

    def cells(col: Col) -> int:
        values = [cell_len(str(row.get(col.key, ""))) for row in rows]
        return min(col.cap, max([cell_len(col.label), *values])) + 2  # DataTable pads 1 each

    def drop(cols: list[Col]) -> list[Col]:
        return [cols[i] for i in take_by_rank([(c.rank, cells(c)) for c in cols], width)]

    whole = drop(list(columns))
    if len(whole) == len(columns):
        return whole
    shorter = drop(
        [
            replace(c, key=c.short, short=None)
            if c.short and all(c.short in r for r in rows)
            else c
            for c in columns
        ]
    )

    def worth(kept: list[Col]) -> list[int]:
        # The better fit keeps the more important columns, then more of them.
        ranks = sorted(c.rank for c in kept)
        return ranks + [len(columns) * 100] * (len(columns) - len(ranks))

    return shorter if worth(shorter) < worth(whole) else whole


class HomeScreen(CXScreen):
    DEFAULT_CSS = """
    HomeScreen #profiles { height: auto; max-height: 35%; }
    HomeScreen #runs { height: auto; max-height: 40%; }
    HomeScreen #runs-title, HomeScreen #tickets-title { margin-top: 1; }
    HomeScreen .empty { padding: 0 2; color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="home.open"),
        Binding("r", "refresh", "Refresh", id="home.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._profiles: list[dict[str, Any]] = []
        self._runs: list[dict[str, Any]] = []
        self._profiles_unread = False  # profiles.toml could not be read: said in the banner
        self._shown: dict[str, tuple[Any, ...]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner", classes="banner")
        with Vertical():
            yield Static("Profiles", classes="section-title")
            yield DataTable(id="profiles", cursor_type="row", zebra_stripes=True)
            yield Static("", id="profiles-empty", classes="empty")
            yield Static("Tickets by time left", classes="section-title", id="tickets-title")
            yield TicketBuckets(id="buckets")
            yield Static("Recent import runs", classes="section-title", id="runs-title")
            yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
            yield Static("", id="runs-empty", classes="empty")
        yield CXFooter()

    def on_mount(self) -> None:
        self.sub_title = "Home"
        banner = self.query_one("#banner", Static)
        if self.cx.sandbox_requested:
            banner.update("SANDBOX  ·  starting the built-in emulator of the four APIs…")
        else:
            banner.display = False
        self.query_one("#tickets-title").display = False
        self.query_one(TicketBuckets).display = False

    def on_screen_resume(self) -> None:
        # Also on the first show: the worker waits for the core when it is still loading.
        self.load()

    def on_resize(self, event: events.Resize) -> None:
        self._draw_tables()

    def action_refresh(self) -> None:
        self.load(fresh=True)

    def action_open(self) -> None:
        table = self.focused
        if isinstance(table, DataTable) and table.id == "runs":
            self.cx.go("imports")
        elif isinstance(table, DataTable) and table.id == "profiles":
            self.cx.go("credentials")

    @work(exclusive=True, group="home-load")
    async def load(self, fresh: bool = False) -> None:
        ctx = await self.cx.context()
        self._profiles, self._runs, ticket_names, banner = await self._gather(ctx)
        if not self.app.is_running:
            return  # quit while reading: the screen's widgets are being torn down
        self._draw_tables()
        empty = self.query_one("#profiles-empty", Static)
        if self._profiles_unread:
            none = "The profiles could not be read (see above): none is shown."
        else:
            none = f"{WELCOME}\n\nNo profiles yet: press 2 to add one."
        empty.update("" if self._profiles else none)
        empty.display = not self._profiles
        runs_empty = self.query_one("#runs-empty", Static)
        resumable = any(r.get("resumable") for r in self._runs)
        runs_empty.update(
            "Resumable runs: press 3, then F4 (history), to resume."
            if resumable
            else ("" if self._runs else "No import runs yet: press 3 to start one.")
        )
        runs_empty.display = resumable or not self._runs
        if banner:
            widget = self.query_one("#banner", Static)
            widget.update(banner)
            widget.display = True
        self.query_one("#tickets-title").display = bool(ticket_names)
        buckets = self.query_one(TicketBuckets)
        buckets.display = bool(ticket_names)
        if ticket_names:
            self.count_tickets(ctx, ticket_names, fresh)

    def _draw_tables(self) -> None:
        width = self.size.width - 2
        self._fill("#profiles", PROFILE_COLUMNS, self._profiles, width)
        self._fill("#runs", RUN_COLUMNS, self._runs, width)

    def _fill(
        self, selector: str, columns: tuple[Col, ...], rows: list[dict[str, Any]], width: int
    ):
        table = self.query_one(selector, DataTable)
        kept = fit_columns(columns, rows, width)
        shown = (tuple(c.key for c in kept), id(rows), self.app.theme)
        if self._shown.get(selector) == shown:
            return  # a resize that keeps the same columns: nothing to redraw
        self._shown[selector] = shown
        # Columns are rebuilt with the rows: a kept header can keep its old widths.
        cursor = table.cursor_row
        table.clear(columns=True)
        for col in kept:
            table.add_column(col.label, key=col.key)
        colours = self.app.theme_variables
        for row in rows:
            cells: list[Any] = []
            for col in kept:
                if col.key == "outcome":
                    imported, rejected, unknown, total = row["outcome"]
                    cells.append(
                        outcome_bar(imported, rejected, total, colours, OUTCOME_WIDTH, unknown)
                    )
                else:
                    # Text: a "[" in a name is not markup; cut with an ellipsis at the cap.
                    cells.append(Text(_cut(str(row[col.key]), col.cap)))
            table.add_row(*cells)
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))

    @work(exclusive=True, group="home-tickets", exit_on_error=False)
    async def count_tickets(self, ctx: Any, names: list[str], fresh: bool) -> None:
        """Each ticket-serving profile's tickets, counted by time left, one profile at a time."""
        from cxconsole.tickets.paging import TicketPager
        from cxconsole.tickets.query import TicketQuery
        from cxconsole.tickets.timeleft import bucket_counts

        buckets = self.query_one(TicketBuckets)
        for name in names:
            buckets.set_line(ProfileTickets(name))
        for name in names:
            try:
                account = await asyncio.to_thread(ctx.account, name)
                pager = TicketPager(
                    account,
                    TicketQuery(name, per_page=COUNT_PER_PAGE),
                    client=ctx.client,
                    cache=self.cx.tickets_cache,
                    prefetch=False,
                )
                if fresh:
                    pager.refresh()
                first = await pager.fetch(1)
                if first.shape.total_pages > COUNT_PAGES:
                    buckets.set_line(
                        ProfileTickets(
                            name,
                            loading=None,
                            note=f"{first.shape.total_items:,} tickets: too many to count here; "
                            "press 4 for Tickets",
                        )
                    )
                    continue

                def progress(event: Any, name: str = name) -> None:
                    buckets.set_line(ProfileTickets(name, loading=(event.done, event.total)))

                dump = await pager.fetch_all(fresh=False, on_progress=progress)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a line saying why, never a traceback or a toast
                buckets.set_line(
                    ProfileTickets(name, loading=None, note=f"not counted: {_why(exc)}")
                )
                continue
            counts = bucket_counts(dump.tickets)
            buckets.set_line(
                ProfileTickets(name, counts={str(k): v for k, v in counts.items()}, loading=None)
            )

    async def _gather(
        self, ctx: Any
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], str]:
        def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], str]:
            from cxconsole.client import CXError
            from cxconsole.tickets.sources import offers_tickets

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
            except CXError as exc:  # said in the banner; the runs are still listed
                self._profiles_unread = True
                return [], recent_runs(), [], f"{banner}\n{exc}".strip()
            self._profiles_unread = False
            tests = ctx.tests.load()
            rows = []
            for profile in profiles.values():
                test = tests.get(profile.name)
                last = "never"
                if test:
                    last = ("ok " if test["ok"] else "FAILED ") + local(test["at"])
                try:
                    base = profile.resolved_base_url()
                except CXError as exc:
                    base = f"(!) {exc}"
                rows.append(
                    {
                        "name": profile.name,
                        "vendor": profile.adapter.title,
                        "test": last,
                        "secret": ctx.secrets.source(profile.name),
                        "base": base,
                    }
                )
            names = sorted(p.name for p in profiles.values() if offers_tickets(p.adapter))
            return rows, recent_runs(profiles=profiles), names, banner

        return await asyncio.to_thread(read)


def local(iso: str) -> str:
    """A stored time as the operator reads it: local, to the minute (as a run's "When")."""
    from cxconsole.widgets.import_history import MINUTE, when

    return when(iso, form=MINUTE)


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells (a wide character is two), an ellipsis if cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + "…"


def _why(error: BaseException) -> str:
    """Why a profile's tickets were not counted, short enough for its line: the vendor's code,
    name and message when the catalog knows them (the tickets screen says the rest)."""
    entry = getattr(error, "entry", None)
    if entry is not None:
        return f"{entry.code} {entry.name}: {entry.message}" if entry.message else entry.name
    return (str(error).splitlines() or [type(error).__name__])[0]


def _state(run: Any) -> str:
    """The run's state word, marked, as History says it (the command line's word)."""
    from cxconsole.widgets.import_history import state_label

    return state_label(run)


def recent_runs(limit: int = 8, profiles: Any = None) -> list[dict[str, Any]]:
    """The latest real runs (dry runs left out), newest first, from their journals; with
    ``profiles``, each under the profile it belongs to now (a renamed one: ``new (was old)``)."""
    from pathlib import Path

    from cxconsole.importing.runs import list_runs, named
    from cxconsole.widgets.import_history import when

    runs = [r for r in list_runs() if not r.dry_run][:limit]
    if profiles is not None:
        runs = named(runs, profiles)
    rows = []
    for run in runs:
        rows.append(
            {
                "when": local(run.started),
                "when_short": when(run.started),
                "file": Path(run.file).name,
                "profile": run.profile_shown,
                # Rows of unknown outcome apart from the rejected: the vendor may hold them.
                "outcome": (
                    run.rows_imported,
                    run.rows_rejected_known,
                    run.rows_unknown,
                    run.rows_total,
                ),
                "imported": f"{run.rows_imported:,}",
                # Every row the rejects file lists (--json's rows_rejected), unknown included.
                "listed": "?" if run.rows_rejected is None else f"{run.rows_rejected:,}",
                "unknown": f"{run.rows_unknown:,}",
                "state": _state(run),
                "resumable": run.state == "resumable",
            }
        )
    return rows
