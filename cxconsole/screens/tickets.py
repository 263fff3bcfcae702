"""The detractor tickets screen: page, filter, search, act on and export QuestionPro tickets.

Key handlers never await the network: a cached page is drawn inside the handler, anything else
is loaded by a worker while the keys keep working (a newer key press supersedes an older load).
The core (:mod:`cxconsole.tickets`) is imported lazily, so opening the app here costs no frame.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Header, Input, Select, Static

from cxconsole.colours import rich_colour
from cxconsole.screens.base import CXScreen
from cxconsole.widgets.footer import CXFooter
from cxconsole.widgets.pager import PagerBar, PagerState
from cxconsole.widgets.tickets_detail import TicketDetail
from cxconsole.widgets.tickets_error import ErrorBanner, short_line
from cxconsole.widgets.tickets_export import ExportBar
from cxconsole.widgets.tickets_filters import ALL, OTHER, PER_PAGE, TicketFilters
from cxconsole.widgets.tickets_prompt import PromptScreen
from cxconsole.widgets.tickets_table import TicketsTable

if TYPE_CHECKING:
    from cxconsole.context import Context
    from cxconsole.profiles import Account
    from cxconsole.tickets.paging import LoadedPage, PageCache, TicketPager
    from cxconsole.tickets.query import TicketQuery

SOURCE = "tickets"
NARROW = 100  # below this width the detail pane opens at the bottom, not on the right
#: ``o`` cycles these: (core sort key or None for page order, descending?, label).
SORTS: tuple[tuple[str | None, bool, str], ...] = (
    (None, False, ""),
    ("time_left", False, "time left"),
    ("received", True, "newest"),
    ("rating", False, "rating"),
    ("ticket", False, "ticket"),
    ("email", False, "e-mail"),
)
HEADER_SORTS = {
    "ticket": "ticket",
    "left": "time_left",
    "rating": "rating",
    "received": "received",
    "email": "email",
}


class TicketsScreen(CXScreen):
    """QuestionPro detractor tickets, a page at a time."""

    DEFAULT_CSS = """
    TicketsScreen #tickets-body { height: 1fr; }
    TicketsScreen #tickets-body.-narrow { layout: vertical; }
    TicketsScreen #tickets-body.-narrow > TicketDetail {
        width: 100%; max-width: 100%; height: 60%;
    }
    TicketsScreen #tickets-empty { display: none; padding: 1 2; color: $text-muted; }
    TicketsScreen #tickets-empty.-shown { display: block; }
    TicketsScreen #tickets-search { display: none; }
    TicketsScreen #tickets-search.-shown { display: block; }
    """
    # In the footer's order, most important first (an 80-column footer shows the first six):
    # retry and inspect appear only after a failure, and then they matter most.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry", id="tickets.retry"),
        Binding("i", "inspect", "Inspect error", id="tickets.inspect"),
        # A priority key runs as it arrives: the keys typed right after it (a fast typist, a
        # paste) then reach the search field; not a priority it reached the list, keys and all.
        Binding("slash", "search", "Search", id="tickets.search", key_display="/", priority=True),
        Binding("n,right_square_bracket", "page('next')", "Next", id="tickets.next_page"),
        Binding("p,left_square_bracket", "page('previous')", "Prev", id="tickets.previous_page"),
        Binding("x", "export", "Export", id="tickets.export"),
        Binding("f5,ctrl+r", "refresh", "Refresh", id="tickets.refresh"),
        Binding("s", "pick('segment')", "Segment", id="tickets.segment"),
        Binding("t", "pick('status')", "Status", id="tickets.status"),
        Binding("c", "copy('email')", "Copy e-mail", id="tickets.copy_email"),
        Binding("colon", "goto", "Go to page", id="tickets.goto_page", key_display=":"),
        Binding(
            "g,less_than_sign", "page('first')", "First page", id="tickets.first_page", show=False
        ),
        Binding(
            "G,greater_than_sign", "page('last')", "Last page", id="tickets.last_page", show=False
        ),
        Binding(
            "plus,equals_sign",
            "per_page(1)",
            "More per page",
            id="tickets.per_page_more",
            show=False,
        ),
        Binding("minus", "per_page(-1)", "Fewer per page", id="tickets.per_page_fewer", show=False),
        Binding("a", "pick('profile')", "Profile", id="tickets.profile", show=False),
        Binding("o", "sort", "Sort", id="tickets.sort", show=False),
        Binding("O", "sort_reverse", "Reverse sort", id="tickets.sort_reverse", show=False),
        Binding("escape", "close", "Close pane / search", id="tickets.close", show=False),
        Binding("C", "copy('phone')", "Copy phone", id="tickets.copy_phone", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cache: PageCache | None = None
        self.pager: TicketPager | None = None
        self.page: LoadedPage | None = None
        self.accounts: dict[str, Account] = {}
        self.profile: str | None = None  # the profile open (or being opened)
        self.segments: dict[str, list[tuple[int, str]]] = {}
        # Most urgent first across every page: the operator's question. Any sort or search
        # loads every page of the query into the cache (the client keeps the rate limit).
        self.sort_index = 1
        self.sort_reverse = False
        self.search_text = ""
        self.last_error: BaseException | None = None
        self.last_event: Any = None
        self.last_export: Path | None = None
        self._failed_what = ""
        self._no_profiles = False  # the empty state is up: look again when the screen returns
        self._booted = False  # its tickets are fetched on its first show, not when composed
        self._pending: int | None = None  # the page a worker is loading
        self._loading = ""
        self._retry: Callable[[], None] | None = None
        self._styles: dict[str, str] = {}
        self.status_message = ""  # the last message said on the status line
        self.view_page = 1  # the page of the whole sorted or searched list shown
        self.whole_count = 0  # tickets in that list
        self._whole_for: TicketPager | None = None  # the pager whose pages are all loading
        self._whole_progress: tuple[int, int] | None = None

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield TicketFilters(id="tickets-filters")
        yield ErrorBanner(id="tickets-error")
        yield Static("", id="tickets-empty")
        with Horizontal(id="tickets-body"):
            yield TicketsTable(id="tickets-table")
            yield TicketDetail(id="tickets-detail")
        yield Input(
            placeholder="search every ticket: id, e-mail, phone, comment  (esc clears)",
            id="tickets-search",
            compact=True,
        )
        yield ExportBar(id="tickets-export")
        yield PagerBar(id="tickets-pager")
        yield CXFooter()

    @property
    def table(self) -> TicketsTable:
        return self.query_one(TicketsTable)

    @property
    def filters(self) -> TicketFilters:
        return self.query_one(TicketFilters)

    @property
    def detail(self) -> TicketDetail:
        return self.query_one(TicketDetail)

    def on_mount(self) -> None:
        self.sub_title = "Detractor tickets"
        self._apply_theme()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._on_theme())
        # Time left changes as time passes: redraw it twice a minute.
        self.set_interval(30, self._tick)
        self.table.focus()
        self._set_loading("profiles")

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#tickets-body").set_class(event.size.width < NARROW, "-narrow")

    def on_screen_resume(self) -> None:
        if not self.is_current:
            return  # composed in the background: no vendor call before the operator comes
        if not self._booted:
            self._booted = True
            self._boot()
            return
        # A profile may have been added on the credentials screen meanwhile.
        if self.profile is not None:
            self._reload_profiles()
        elif self._no_profiles:
            self._boot()

    def _apply_theme(self) -> None:
        # The text-* shades: 4.5:1 on the rows and on the cursor row in every shipped theme.
        colours = self.app.theme_variables
        error = colours.get("text-error", "red")
        warning = colours.get("text-warning", "yellow")
        self._styles = {
            "overdue": f"bold {error}",
            "urgent": f"bold {warning}",
            "soon": warning,
            "ok": colours.get("text-success", "green"),
            "unknown": rich_colour(colours, "text-muted"),
        }
        self.table.styles_for = self._styles
        self.detail.urgency_styles = self._styles

    def _on_theme(self) -> None:
        self._apply_theme()
        self._tick()

    def _tick(self) -> None:
        if self.table.tickets:
            self._render_rows(keep_cursor=True)
        if self.detail.is_open:
            self.detail.show(self.detail.ticket, self._query)

    # -- start: profiles, accounts, segments -------------------------------------------------
    async def _ctx(self) -> Context:
        waiter = getattr(self.app, "context", None)
        if callable(waiter):
            return await waiter()
        return self.app.ctx  # type: ignore[attr-defined]

    @work(exclusive=True, group="tickets-boot", exit_on_error=False)
    async def _boot(self) -> None:
        ctx = await self._ctx()
        try:
            names = await asyncio.to_thread(_ticket_profiles, ctx)
        except Exception as exc:
            self._fail(exc, "reading the profiles", retry=self._boot)
            return
        self._no_profiles = not names
        if not names:
            self._set_loading("")
            empty = self.query_one("#tickets-empty", Static)
            empty.update(
                "No QuestionPro profile yet. Detractor tickets come from QuestionPro CX: press 2 "
                "(Credentials) to add a profile, or start cxconsole with --sandbox to try it."
            )
            empty.add_class("-shown")
            return
        self.query_one("#tickets-empty", Static).remove_class("-shown")
        self.profile = names[0]
        self.filters.set_profiles(names, names[0])
        self._open_profile(names[0])

    @work(exclusive=True, group="tickets-profiles", exit_on_error=False)
    async def _reload_profiles(self) -> None:
        ctx = await self._ctx()
        try:
            names = await asyncio.to_thread(_ticket_profiles, ctx)
        except Exception:
            return  # shown when it mattered (boot); a resume keeps what it had
        if names and self.profile in names:
            self.filters.set_profiles(names, self.profile)

    @work(exclusive=True, group="tickets-profile", exit_on_error=False)
    async def _open_profile(self, name: str, status: int | None = None, per_page: int = 50) -> None:
        from cxconsole.tickets.query import TicketQuery

        ctx = await self._ctx()
        self.profile = name
        self._set_loading(f"profile {name}")
        try:
            account = self.accounts.get(name)
            if account is None:
                # The keyring can block: never on the event loop.
                account = await asyncio.to_thread(ctx.account, name)
                self.accounts[name] = account
            query = TicketQuery(name, None, status, per_page)
        except Exception as exc:
            self._fail(exc, f"opening profile {name}", retry=lambda: self._open_profile(name))
            return
        if self.cache is None:
            # Shared with Home, which counts the same default query's tickets.
            self.cache = self.cx.tickets_cache
        self._load_segments(name, account)
        self._set_query(query)

    @work(group="tickets-segments", exit_on_error=False)
    async def _load_segments(self, name: str, account: Account) -> None:
        if name not in self.segments:
            ctx = await self._ctx()
            vendor: Any = account.vendor
            try:
                found = await vendor.segments(account.session(ctx.client))
            except Exception as exc:
                # Not fatal: a segment id can still be typed.
                self._report(exc, source="tickets segments")
                found = []
            self.segments[name] = [(s.segmentID, s.segmentName) for s in found]
        if self.profile == name:
            segment = self.pager.query.segment if self.pager else None
            self.filters.set_segments(self.segments[name], segment)

    # -- queries and pages -------------------------------------------------------------------
    @property
    def _query(self) -> TicketQuery | None:
        return self.pager.query if self.pager is not None else None

    def _set_query(self, query: TicketQuery, page: int = 1) -> None:
        from cxconsole.tickets.paging import TicketPager

        account = self.accounts.get(query.profile)
        if account is None or self.cache is None:
            return
        old = self.pager
        if old is not None and old.query == query:
            self._go(page)
            return
        ctx = self.app.ctx  # type: ignore[attr-defined]
        self.pager = TicketPager(account, query, client=ctx.client, cache=self.cache)
        if old is not None:
            # Its prefetches are of no use to the new query.
            self.run_worker(old.aclose(), group="tickets-close", exit_on_error=False)
        self._clear_search()
        self.view_page = 1
        self._sync_filters(query)
        self._go(page)

    def _sync_filters(self, query: TicketQuery) -> None:
        """Make the selects say what is shown (a per-page key, a profile change)."""
        filters = self.filters
        filters.set_per_page(query.per_page)
        if filters.status.value != (query.status if query.status is not None else ALL):
            filters.status.value = query.status if query.status is not None else ALL
        if filters.segment.value != (query.segment if query.segment is not None else ALL):
            filters.set_segments(self.segments.get(query.profile, []), query.segment)

    def _go(self, target: int) -> None:
        """Show page ``target``: at once from the cache, else through a worker."""
        pager = self.pager
        if pager is None:
            return
        if self._whole_ready():
            # Every page is in: pages of the sorted list are slices, drawn at once.
            if target != self.view_page:
                self.view_page = target
                self._render_rows(keep_cursor=False)
            return
        hit = pager.from_cache(target)
        if hit is not None:
            self.workers.cancel_group(self, "tickets-page")
            self._pending = None
            self._show(hit)
            return
        self._pending = target
        self._set_loading(f"page {target}")
        self.table.add_class("-stale")
        self._load_page(pager, target)

    @work(exclusive=True, group="tickets-page", exit_on_error=False)
    async def _load_page(self, pager: TicketPager, target: int) -> None:
        try:
            page = await pager.page(target)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if pager is self.pager and self._pending == target:
                self._pending = None
                self._fail(exc, f"page {target}", retry=lambda: self._go(target), page=target)
            return
        if pager is self.pager and self._pending == target:
            self._pending = None
            self._show(page)

    def _show(self, page: LoadedPage) -> None:
        self.page = page
        self._clear_error()
        self._set_loading("")
        self.table.remove_class("-stale")
        self._render_rows(keep_cursor=False)
        if self.detail.is_open:
            self.detail.show(self.table.ticket, page.query)

    @property
    def whole_view(self) -> bool:
        """A sort or a search spans every ticket of the query, not one page."""
        return SORTS[self.sort_index][0] is not None or bool(self.search_text)

    def _whole_ready(self) -> bool:
        pager = self.pager
        return (
            self.whole_view
            and self.page is not None  # a first page is shown (its shape sizes the slices)
            and pager is not None
            # Of this query: another query's page would size the slices and give the totals.
            and self.page.query == pager.query
            and pager.cache.complete(pager.query)
            and self._whole_for is None
        )

    def _arranged(self, tickets: list[Any]) -> list[Any]:
        """Searched, then sorted, as the operator asked: the on-screen order (exports too)."""
        from cxconsole.tickets.rows import search_tickets, sort_tickets

        if self.search_text:
            tickets = search_tickets(tickets, self.search_text)
        key, descending, _ = SORTS[self.sort_index]
        if key is not None:
            tickets = sort_tickets(tickets, key, reverse=descending != self.sort_reverse)  # type: ignore[arg-type]
        return tickets

    def _render_rows(self, *, keep_cursor: bool) -> None:
        if self.page is None or self.pager is None:
            return
        if not keep_cursor:
            self.status_message = ""  # a new view: the last message was about the old one
        per_page = self.page.shape.per_page or self.pager.query.per_page
        if self._whole_ready():
            every = self._arranged(self.pager.loaded_tickets())
            self.whole_count = len(every)
            pages = max(1, -(-len(every) // per_page))
            self.view_page = min(max(1, self.view_page), pages)
            start = (self.view_page - 1) * per_page
            tickets = every[start : start + per_page]
        else:
            if self.whole_view:
                self._load_whole()
            elif self._whole_for is not None:
                # Back to page order: the rest of the pages are not needed now.
                self.workers.cancel_group(self, "tickets-whole")
                self._whole_for = None
                self._whole_progress = None
            # Until every page is in, the page on screen is sorted (and searched) on its own.
            tickets = self._arranged(list(self.page.tickets))
        key, descending, _ = SORTS[self.sort_index]
        table = self.table
        table.sort_marker = None
        if key is not None:
            down = descending != self.sort_reverse
            column = next((c for c, k in HEADER_SORTS.items() if k == key), None)
            table.sort_marker = (column, down) if column else None
        table.show(tickets, self.page.query, keep_cursor=keep_cursor)
        self._update_pager()

    def _load_whole(self) -> None:
        """Every page of the query into the cache, then the whole list sorted (once per query)."""
        pager = self.pager
        if pager is None or self._whole_for is pager:
            return
        self._whole_for = pager
        self._whole_progress = (0, pager.total_pages or 0)
        self._fetch_whole(pager)

    @work(exclusive=True, group="tickets-whole", exit_on_error=False)
    async def _fetch_whole(self, pager: TicketPager) -> None:
        def progress(event: Any) -> None:
            if pager is self.pager:
                self._whole_progress = (event.done, event.total)
                self._update_pager()

        try:
            await pager.fetch_all(fresh=False, on_progress=progress)
        except asyncio.CancelledError:
            if self._whole_for is pager:
                self._whole_for = None
            raise
        except Exception as exc:
            if self._whole_for is pager:
                self._whole_for = None
                self._whole_progress = None
                self._fail(exc, "loading every page", retry=self._load_whole)
            return
        if self._whole_for is pager:
            self._whole_for = None
            self._whole_progress = None
            self.view_page = 1
            self._render_rows(keep_cursor=False)

    def set_sort(self, key: str | None, *, reverse: bool = False) -> None:
        """Sort by a core sort key (None: the server's page order, one page at a time)."""
        self.sort_index = next(i for i, s in enumerate(SORTS) if s[0] == key)
        self.sort_reverse = reverse
        self.view_page = 1
        self._render_rows(keep_cursor=False)

    # -- status lines ------------------------------------------------------------------------
    def _set_loading(self, what: str) -> None:
        self._loading = what
        self._update_pager()

    def _update_pager(self) -> None:
        page = self.page
        state = PagerState(loading=self._loading_text(), error=self._error_line())
        if page is not None and self._whole_ready():
            per_page = page.shape.per_page
            shown = len(self.table.tickets)
            first = (self.view_page - 1) * per_page + 1 if shown else 0
            state = PagerState(
                page=self.view_page,
                pages=max(1, -(-self.whole_count // per_page)),
                first=first,
                last=first + shown - 1 if shown else 0,
                total=self.whole_count,
                per_page=per_page,
                asked_per_page=page.query.per_page,
                noun="found" if self.search_text else "tickets",
                loading=state.loading,
                error=state.error,
                note=self._note(),
            )
        elif page is not None:
            shape = page.shape
            first = page.first_index if page.tickets else 0
            state = PagerState(
                page=page.number,
                pages=shape.total_pages,
                first=first,
                last=first + len(page.tickets) - 1 if page.tickets else 0,
                total=shape.total_items,
                per_page=shape.per_page,
                asked_per_page=page.query.per_page,
                source="from cache" if page.from_cache else "",
                loading=state.loading,
                error=state.error,
                note=self._note(),
            )
        self.query_one(PagerBar).state = state

    def _say(self, text: str) -> None:
        """A message on the status line, where no toast covers it; it stays until the next."""
        self.status_message = text
        self._update_pager()

    def _loading_text(self) -> str:
        if self._loading:
            return self._loading
        if self._whole_progress is not None and self._whole_for is not None:
            done, total = self._whole_progress
            return f"every page {done}/{total}" if total else "every page"
        return ""

    def _note(self) -> str:
        parts = [self.status_message] if self.status_message else []
        whole = self._whole_ready()
        if self.search_text:
            if whole and self.page is not None:
                parts.append(
                    f"search “{self.search_text}”: {self.whole_count:,} of "
                    f"{self.page.shape.total_items:,}"
                )
            else:
                parts.append(f"search “{self.search_text}” in this page")
        key, descending, label = SORTS[self.sort_index]
        if key is not None:
            arrow = "↓" if descending != self.sort_reverse else "↑"
            where = "all pages" if whole else "this page until all are in"
            parts.append(f"{label} {arrow} · {where}")
        return "  ·  ".join(parts)

    def _error_line(self) -> str:
        return "" if self.last_error is None else short_line(self.last_error, self._failed_what)

    def _fail(
        self,
        error: BaseException,
        what: str,
        *,
        retry: Callable[[], Any] | None = None,
        page: int | None = None,
    ) -> None:
        """Record and show an error (decoded, with what to do) and remember how to retry."""
        self.last_error = error
        self._failed_what = what
        self._retry = retry
        self._loading = ""
        self.table.remove_class("-stale")
        if self.page is not None and self.pager is not None and self.page.query != self.pager.query:
            # The rows on screen belong to the previous filters: do not let them pass for these.
            self.page = None
            self.table.show([], self._query)
        self.last_event = self._report(error, page=page)
        self.query_one(ErrorBanner).show_error(error, what)
        self._update_pager()
        self.refresh_bindings()

    def _report(
        self, error: BaseException, *, page: int | None = None, source: str = SOURCE
    ) -> Any:
        """Through the app: into the session's error history, and a notification naming it."""
        report = getattr(self.app, "report_error", None)
        where: dict[str, Any] = {"profile": self.profile}
        if page is not None:
            where["page"] = page
        if callable(report):
            return report(error, source=source, **where)
        self.notify(str(error), title=f"{source} failed", severity="error", markup=False)
        return None

    def _clear_error(self) -> None:
        if self.last_error is None:
            return
        self.last_error = None
        self._retry = None
        self.query_one(ErrorBanner).clear()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Retry and inspect only mean something after a failure: hide them until then.
        if action in ("retry", "inspect"):
            return self.last_error is not None
        if action == "search":  # "/" typed into a field is a character
            return not self.typing()
        return True

    # -- actions: paging ---------------------------------------------------------------------
    def action_page(self, move: str) -> None:
        pager = self.pager
        if pager is None:
            return
        if self._whole_ready():
            per_page = self.page.shape.per_page if self.page else pager.query.per_page
            pages = max(1, -(-self.whole_count // per_page))
            steps = {"first": 1, "previous": self.view_page - 1, "next": self.view_page + 1}
            target = pages if move == "last" else steps[move]
            self._go(min(max(1, target), pages))
            return
        base = self._pending or (self.page.number if self.page else 1)
        total = pager.total_pages
        targets = {"first": 1, "previous": base - 1, "next": base + 1, "last": total or base}
        target = targets[move]
        if total is not None:
            target = min(target, max(total, 1))
        target = max(1, target)
        if target == base and self.page is not None and self._pending is None:
            return  # already there (first page and "previous", ...)
        self._go(target)

    def action_goto(self) -> None:
        pager = self.pager
        if pager is None:
            return
        total = pager.total_pages or 0
        if self._whole_ready() and self.page is not None:
            total = max(1, -(-self.whole_count // self.page.shape.per_page))

        def check(text: str) -> str | None:
            if not text.isdigit() or int(text) < 1:
                return "a page number, 1 or more"
            if total and int(text) > total:
                return f"there are {total:,} pages"
            return None

        def chosen(text: str | None) -> None:
            if text:
                self._go(int(text))

        hint = f"1 to {total:,}" if total else "page number"
        self.app.push_screen(
            PromptScreen("Go to page", hint=hint, check=check, restrict=r"\d*"), chosen
        )

    def action_per_page(self, step: int) -> None:
        current = self._query.per_page if self._query else 50
        choices = sorted({*PER_PAGE, current})
        index = max(0, min(len(choices) - 1, choices.index(current) + step))
        if choices[index] != current:
            self.filters.per_page.value = choices[index]

    def action_refresh(self) -> None:
        if self.pager is None:
            return
        self.workers.cancel_group(self, "tickets-whole")
        self._whole_for = None
        self._whole_progress = None
        self.pager.refresh()
        self.segments.pop(self.pager.query.profile, None)
        # The vendor is asked again for the page in view; a sort or search then reloads the rest.
        self._go(self.page.number if self.page else 1)

    def action_retry(self) -> None:
        retry = self._retry
        if retry is None:
            return
        self._clear_error()
        retry()

    def action_inspect(self) -> None:
        error = self.last_error
        if error is None:
            self._say("No error to inspect yet.")
            return
        inspect = getattr(self.app, "inspect", None)
        if callable(inspect):
            inspect(self.last_event if self.last_event is not None else error)

    # -- actions: filters, sort, search ------------------------------------------------------
    def action_pick(self, which: str) -> None:
        selects: dict[str, Select[Any]] = {
            "profile": self.filters.profile,
            "segment": self.filters.segment,
            "status": self.filters.status,
        }
        select = selects[which]
        select.focus()
        select.expanded = True

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id not in {
            "filter-profile",
            "filter-segment",
            "filter-status",
            "filter-per-page",
        }:
            return
        event.stop()
        self._apply_filters(event.select.id)

    def _apply_filters(self, changed: str | None) -> None:
        from cxconsole.tickets.query import TicketQuery

        filters = self.filters.values()
        if filters.profile is not None and filters.profile != self.profile:
            self._open_profile(filters.profile, filters.status, filters.per_page)
            self.table.focus()
            return
        query = self._query
        if query is None:
            return
        if self.filters.segment.value == OTHER:
            self._ask_segment()
            return
        wanted = TicketQuery(query.profile, filters.segment, filters.status, filters.per_page)
        if wanted == query:
            return
        page = 1
        if (wanted.segment, wanted.status) == (query.segment, query.status) and self.page:
            # A new page size keeps the first ticket on screen in view.
            page = (self.page.first_index - 1) // wanted.per_page + 1
        if changed != "filter-per-page":
            self.table.focus()
        self._set_query(wanted, page)

    def _ask_segment(self) -> None:
        query = self._query

        def check(text: str) -> str | None:
            return None if text.isdigit() and int(text) > 0 else "a segment ID (a number)"

        def chosen(text: str | None) -> None:
            segment = int(text) if text else (query.segment if query else None)
            profile = query.profile if query else ""
            self.filters.set_segments(self.segments.get(profile, []), segment)
            self.table.focus()

        self.app.push_screen(
            PromptScreen(
                "Segment ID",
                hint="the segmentID of a QuestionPro CX segment",
                check=check,
                restrict=r"\d*",
            ),
            chosen,
        )

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.sort_reverse = False
        self.view_page = 1
        self._render_rows(keep_cursor=False)

    def action_sort_reverse(self) -> None:
        if SORTS[self.sort_index][0] is None:
            self.sort_index = 1
        else:
            self.sort_reverse = not self.sort_reverse
        self.view_page = 1
        self._render_rows(keep_cursor=False)

    def on_tickets_table_header_clicked(self, event: TicketsTable.HeaderClicked) -> None:
        key = HEADER_SORTS.get(event.column)
        if key is None:
            return
        index = next(i for i, s in enumerate(SORTS) if s[0] == key)
        if index == self.sort_index:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_index, self.sort_reverse = index, False
        self.view_page = 1
        self._render_rows(keep_cursor=False)

    def action_search(self) -> None:
        field = self.query_one("#tickets-search", Input)
        field.add_class("-shown")
        # At once, not through the queue as focus() does: keys typed right after "/" (a fast
        # typist, a paste) would reach the table, and "1" would leave the screen.
        self.set_focus(field)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "tickets-search":
            return
        self.search_text = event.value.strip()
        self.view_page = 1
        self._render_rows(keep_cursor=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "tickets-search":
            self.table.focus()

    def _clear_search(self) -> None:
        field = self.query_one("#tickets-search", Input)
        self.search_text = ""
        if field.value:
            field.value = ""
        field.remove_class("-shown")

    def action_close(self) -> None:
        if self.detail.is_open:
            self.detail.close()
        elif self.search_text or self.query_one("#tickets-search", Input).has_class("-shown"):
            self._clear_search()
            self._render_rows(keep_cursor=False)
        self.table.focus()

    # -- actions: detail, copy, export -------------------------------------------------------
    def on_tickets_table_selected(self, event: TicketsTable.Selected) -> None:
        event.stop()
        if self.detail.is_open and self.detail.ticket is self.table.ticket:
            self.detail.close()
        else:
            self.detail.open(self.table.ticket, self._query)

    def on_tickets_table_highlighted(self, event: TicketsTable.Highlighted) -> None:
        if self.detail.is_open:
            self.detail.show(self.table.ticket, self._query)

    def action_copy(self, what: str) -> None:
        ticket = self.table.ticket
        if ticket is None:
            self._say("No ticket selected.")
            return
        value = ticket.emailAddress if what == "email" else ticket.phoneNumber
        label = "e-mail" if what == "email" else "phone"
        if not value:
            self._say(f"Ticket {ticket.ticketID} has no {label}.")
            return
        # OSC 52: reaches the operator's own clipboard through ssh (and tmux set-clipboard on).
        self.app.copy_to_clipboard(value)
        self._say(f"Copied {label} {value}")

    def action_export(self) -> None:
        from cxconsole.tickets.export import default_export_path, format_for

        query = self._query
        if query is None:
            self._say("Nothing to export yet.")
            return
        if self.query_one(ExportBar).running:
            self._say("An export is running already.")
            return
        total = self.page.shape.total_items if self.page else 0

        def check(text: str) -> str | None:
            if not text:
                return "a file path"
            path = Path(text).expanduser()
            if path.is_dir():
                return f"{path} is a folder; add a file name"
            return None

        def chosen(text: str | None) -> None:
            if text:
                path = Path(text).expanduser()
                self._export(query, path, format_for(path, "csv"))

        self.app.push_screen(
            PromptScreen(
                f"Export {total:,} tickets ({query.describe()}) to",
                value=str(default_export_path(query, "csv")),
                hint="a name ending in .json writes JSON, anything else CSV",
                check=check,
            ),
            chosen,
        )

    def _export(self, query: TicketQuery, path: Path, fmt: str) -> None:
        account = self.accounts.get(query.profile)
        if account is None or self.cache is None:
            return
        client = self.app.ctx.client  # type: ignore[attr-defined]
        self.query_one(ExportBar).start(
            account, query, path, fmt, client=client, cache=self.cache, order=self._arranged
        )

    def on_export_bar_done(self, event: ExportBar.Done) -> None:
        dump, path = event.dump, event.path
        self.last_export = path
        if dump.complete:
            self._say(f"Exported {len(dump.tickets):,} tickets → {path}")
        else:
            self._say(
                f"Exported {len(dump.tickets):,} of {dump.shape.total_items:,} tickets → {path}: "
                "tickets changed during the export; export again for a consistent snapshot"
            )

    def on_export_bar_failed(self, event: ExportBar.Failed) -> None:
        self._report(event.error, source="tickets export")


def _ticket_profiles(ctx: Context) -> list[str]:
    from cxconsole.tickets.sources import ticket_profiles

    return ticket_profiles(ctx.profiles.load().values())


def _unique(tickets: list[Any]) -> list[Any]:
    seen: set[int] = set()
    out = []
    for ticket in tickets:
        if ticket.ticketID not in seen:
            seen.add(ticket.ticketID)
            out.append(ticket)
    return out
