"""The tickets screen driven through Textual's Pilot, in the real app, against the sandbox."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from conftest import wait_until
from rich.console import Console
from textual.color import Color
from textual.widgets import Input, Static

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.profiles import Profile
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer
from cxconsole.screens.tickets import TicketsScreen
from cxconsole.widgets.pager import PagerBar
from cxconsole.widgets.tickets_filters import ALL, OTHER
from cxconsole.widgets.tickets_prompt import PromptScreen
from cxconsole.widgets.tickets_table import TicketsTable, layout

SIZE = (120, 40)


def plain(static: Static) -> str:
    """The text a Static shows (its content may be any Rich renderable)."""
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(static.content)
    return console.export_text()


def qp_requests(server: SandboxServer) -> int:
    return httpx.get(f"{server.url}/_sandbox/stats").json()["requests"]["questionpro"]


def set_faults(server: SandboxServer, **body: object) -> None:
    httpx.post(f"{server.url}/_sandbox/faults", json=body).raise_for_status()


def screen_of(app: CXApp) -> TicketsScreen:
    screen = app.screen
    assert isinstance(screen, TicketsScreen)
    return screen


def ids_on_screen(screen: TicketsScreen) -> list[int]:
    return [t.ticketID for t in screen.query_one(TicketsTable).tickets]


async def open_tickets(pilot, app: CXApp, *, page_order: bool = False) -> TicketsScreen:
    """The screen once its first page is in; ``page_order``: the server's pages, unsorted."""
    await wait_until(lambda: isinstance(app.screen, TicketsScreen), pilot=pilot)
    screen = screen_of(app)
    if page_order:
        # Before the first page if it can: a sort would start loading every page behind it.
        screen.set_sort(None)
    await wait_until(lambda: screen.page and not screen._loading, pilot=pilot, what="a page")
    return screen


async def whole_loaded(pilot, screen: TicketsScreen) -> None:
    """Every page of the query is in the cache and the whole list is on screen."""
    await wait_until(screen._whole_ready, 30, pilot=pilot)


async def shown_page(pilot, screen: TicketsScreen, number: int) -> None:
    """Page ``number`` of the query now chosen is on screen (not the last query's page)."""

    def shown() -> bool:
        page = screen.page
        current = page is not None and page.query == screen.pager.query
        return current and page.number == number and not screen._loading

    await wait_until(shown, pilot=pilot, what=f"page {number} of the chosen query")


def sandbox_app(server: SandboxServer, ctx: Context | None = None) -> CXApp:
    return CXApp(ctx=ctx or Context.for_sandbox(server.url), initial_mode="tickets")


async def test_paging_keys_and_cache(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app, page_order=True)
        assert screen.page.number == 1 and len(ids_on_screen(screen)) == 50
        pager = screen.query_one(PagerBar).state
        assert (pager.page, pager.pages, pager.total) == (1, 52, 2600)
        first = ids_on_screen(screen)

        await pilot.press("n")
        await shown_page(pilot, screen, 2)
        order = [t.ticket_id for t in sandbox_reset.state.tickets]
        # In page order, pages hold the server's slices.
        assert set(first) == set(order[:50]) and set(ids_on_screen(screen)) == set(order[50:100])
        await pilot.press("G")
        await shown_page(pilot, screen, 52)
        await pilot.press("p")
        await shown_page(pilot, screen, 51)
        await pilot.press("g")
        await shown_page(pilot, screen, 1)
        assert ids_on_screen(screen) == first and screen.page.from_cache

        # Go to page 17 through the prompt.
        await pilot.press("colon")
        await wait_until(lambda: isinstance(app.screen, PromptScreen), pilot=pilot)
        await pilot.press("1", "7", "enter")
        await shown_page(pilot, screen, 17)
        assert screen.page.first_index == 801

        # Back and forth over loaded pages: served from the cache, no request made.
        await wait_until(lambda: not screen.pager._inflight, pilot=pilot)
        before = qp_requests(sandbox_reset)
        await pilot.press("g")
        await shown_page(pilot, screen, 1)
        assert screen.page.from_cache
        await pilot.press("n")
        await shown_page(pilot, screen, 2)
        assert screen.page.from_cache
        assert "from cache" in screen.query_one(PagerBar).state.source
        assert qp_requests(sandbox_reset) - before <= 1  # at most the prefetch of page 3


async def test_every_ticket_once_paging_forward_in_the_app(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app, page_order=True)
        await pilot.press("plus", "plus")  # 50 -> 100 -> 200 per page (server serves 100)
        await wait_until(lambda: screen.pager.query.per_page == 200, pilot=pilot)
        await shown_page(pilot, screen, 1)
        assert screen.query_one(PagerBar).state.per_page == 100
        seen: list[int] = ids_on_screen(screen)
        while screen.page.number < screen.page.shape.total_pages:
            number = screen.page.number
            await pilot.press("n")
            await shown_page(pilot, screen, number + 1)
            seen += ids_on_screen(screen)
        assert len(seen) == len(set(seen)) == 2600
        assert screen.page.number == 26


async def test_filters_segment_status_and_profile(sandbox_reset):
    ctx = Context.for_sandbox(sandbox_reset.url)
    # A second QuestionPro profile, to choose between.
    ctx.profiles.put(
        Profile(name="qp-two", vendor="questionpro", base_url=f"{sandbox_reset.url}/qp")
    )
    ctx.secrets.set("qp-two", SANDBOX_SECRETS["questionpro"])
    app = sandbox_app(sandbox_reset, ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        filters = screen.filters
        assert screen.pager.query.profile == "qp-two"  # the first, by name
        # qp-two has no workspace id, so no segment list: the ID is typed.
        assert [v for _, v in filters.segment._options] == [ALL, OTHER]
        filters.segment.value = OTHER
        await wait_until(lambda: isinstance(app.screen, PromptScreen), pilot=pilot)
        await pilot.press("1", "0", "5", "enter")
        await wait_until(lambda: screen.pager.query.segment == 105, pilot=pilot)
        await shown_page(pilot, screen, 1)
        field = {t.ticket_id for t in sandbox_reset.state.tickets if t.segment_id == 105}
        assert screen.page.shape.total_items == len(field)

        filters.profile.value = "sandbox-questionpro"
        await wait_until(lambda: screen.pager.query.profile == "sandbox-questionpro", pilot=pilot)
        await shown_page(pilot, screen, 1)
        assert screen.pager.query.segment is None  # segment ids belong to a profile
        # This one has a workspace id: segments come from the segments call.
        await wait_until(lambda: len(filters.segment._options) == 8, pilot=pilot)
        filters.segment.value = 103
        await wait_until(lambda: screen.pager.query.segment == 103, pilot=pilot)
        await shown_page(pilot, screen, 1)
        web = {t.ticket_id for t in sandbox_reset.state.tickets if t.segment_id == 103}
        assert set(ids_on_screen(screen)) <= web
        assert screen.page.shape.total_items == len(web)

        await pilot.press("t")  # the status picker opens
        await wait_until(lambda: filters.status.expanded, pilot=pilot)
        await pilot.press("escape")
        filters.status.value = 2
        await wait_until(lambda: screen.pager.query.status == 2, pilot=pilot)
        await shown_page(pilot, screen, 1)
        both = {
            t.ticket_id
            for t in sandbox_reset.state.tickets
            if t.segment_id == 103 and t.status == 2
        }
        assert set(ids_on_screen(screen)) <= both
        assert screen.page.shape.total_items == len(both)
        row = screen.query_one(TicketsTable).get_row_at(0)
        assert "Escalated" in [str(c) for c in row]  # the status column appears once known

        filters.status.value = ALL
        filters.segment.value = ALL
        await wait_until(lambda: screen.pager.query.segment is None, pilot=pilot)
        await wait_until(lambda: screen.pager.query.status is None, pilot=pilot)
        await shown_page(pilot, screen, 1)
        assert screen.page.shape.total_items == 2600


async def test_detail_copy_search_and_sort(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        await whole_loaded(pilot, screen)
        table = screen.query_one(TicketsTable)
        table.move_cursor(row=3)
        ticket = table.ticket
        await pilot.press("enter")
        await wait_until(lambda: screen.detail.is_open, pilot=pilot)
        body = plain(screen.detail.query_one("#detail-body", Static))
        assert ticket.comment.split()[0] in body and ticket.emailAddress in body
        assert screen.detail.border_title == f"Ticket {ticket.ticketID}"

        await pilot.press("c")
        assert app.clipboard == ticket.emailAddress
        with_phone = next(i for i, t in enumerate(table.tickets) if t.phoneNumber)
        table.move_cursor(row=with_phone)
        await pilot.pause()
        assert screen.detail.ticket is table.tickets[with_phone]  # the pane follows the cursor
        await pilot.press("C")
        assert app.clipboard == table.tickets[with_phone].phoneNumber
        await pilot.press("escape")
        assert not screen.detail.is_open

        # Search covers every ticket of the query, not the pages seen.
        every = screen.pager.loaded_tickets()
        assert len(every) == 2600
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"rude")
        matches = [t for t in every if "rude" in t.comment.lower()]
        await wait_until(lambda: screen.whole_count == len(matches), pilot=pilot)
        found = table.tickets
        assert found and all("rude" in t.comment.lower() for t in found)
        assert len(matches) > len(found) or len(found) == len(matches)
        assert "search" in screen.query_one(PagerBar).state.note
        await pilot.press("escape")
        await wait_until(lambda: screen.whole_count == 2600, pilot=pilot)

        # Most urgent first across every page, then reversed.
        from cxconsole.tickets.timeleft import due_at

        table.focus()
        due = sorted(d for t in every if (d := due_at(t)) is not None)
        assert [due_at(t) for t in table.tickets] == due[:50]
        await pilot.press("O")
        await wait_until(lambda: [due_at(t) for t in table.tickets] == due[::-1][:50], pilot=pilot)


async def test_overdue_is_coloured_and_flagged(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        await whole_loaded(pilot, screen)
        table = screen.query_one(TicketsTable)
        # The server sends the newest first: the most overdue tickets live on its last page,
        # and are first here.
        cell = table.get_row_at(0)[1]
        assert str(cell).strip().startswith("-")
        assert "…" not in str(cell)  # shown whole
        assert app.theme_variables["text-error"].lower() in str(cell.style).lower()
        await pilot.press("enter")
        body = plain(screen.detail.query_one("#detail-body", Static))
        assert "OVERDUE" in body


async def test_export_writes_the_whole_query(sandbox_reset, tmp_path: Path):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        screen.filters.segment.value = 101
        await wait_until(lambda: screen.pager.query.segment == 101, pilot=pilot)
        await shown_page(pilot, screen, 1)
        await pilot.press("x")
        await wait_until(lambda: isinstance(app.screen, PromptScreen), pilot=pilot)
        field = app.screen.query_one(Input)
        assert "exports" in field.value and field.value.endswith(".csv")  # the state dir
        target = tmp_path / "segment-101.json"
        field.value = str(target)
        await pilot.press("enter")
        await wait_until(lambda: target.exists() and screen.last_export == target, pilot=pilot)
        data = json.loads(target.read_text("utf-8"))
        expected = [t.ticket_id for t in sandbox_reset.state.tickets if t.segment_id == 101]
        assert sorted(d["ticketID"] for d in data) == sorted(expected)
        # In the order on screen (most urgent first), with what the screen shows.
        due = [d["dueAt"] for d in data]
        assert due == sorted(due) and all(d["timeLeft"] for d in data)
        # Said on the status line, where no toast covers it.
        assert "Exported" in screen.query_one(PagerBar).state.note
        assert screen.last_export == target


async def test_vendor_error_mid_paging_shown_decoded_then_retried(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app, page_order=True)
        pager = screen.pager
        await wait_until(
            lambda: not pager._inflight and screen._whole_for is None, pilot=pilot, what="idle"
        )
        # A page not in the cache yet (the loaders may have run ahead): its load must fail.
        target = next(n for n in range(30, pager.total_pages + 1) if pager.cached(n) is None)
        set_faults(sandbox_reset, rate=1.0, faults=["500"], seed=1)
        await pilot.press("colon")
        await wait_until(lambda: isinstance(app.screen, PromptScreen), pilot=pilot)
        await pilot.press(*str(target), "enter")
        # The client retries a 500 a few times (with backoff) before it gives up.
        await wait_until(lambda: screen.last_error is not None, 30, pilot=pilot)
        banner = plain(screen.query_one("#tickets-error", Static))
        assert "1026 INTERNAL_SERVER_ERROR" in banner
        assert screen.last_error.entry.action_for("tui", "tickets") in banner
        assert "retry" in screen.query_one(PagerBar).state.error
        event = app.ctx.errors.events()[-1]
        assert (event.code, event.source, event.page) == ("1026", "tickets", target)
        assert screen.page.number == 1  # the last good page stays on screen

        set_faults(sandbox_reset, rate=0.0)
        await pilot.press("r")
        await shown_page(pilot, screen, target)
        assert screen.last_error is None
        assert not screen.query_one("#tickets-error").has_class("-shown")


async def test_inspect_opens_the_error_inspector(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        screen.filters.segment.value = 103
        await wait_until(lambda: screen.pager.query.segment == 103, pilot=pilot)
        await shown_page(pilot, screen, 1)
        set_faults(sandbox_reset, rate=0.0)
        # A segment the vendor does not know: 404 1040, never retried.
        from cxconsole.tickets.query import TicketQuery

        screen._set_query(TicketQuery("sandbox-questionpro", 999, None, 50))
        await wait_until(lambda: screen.last_error is not None, pilot=pilot)
        assert screen.last_error.code == "1040"
        await pilot.press("i")
        await wait_until(lambda: app.current_mode == "errors", pilot=pilot)


async def test_small_terminal_fits(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tickets(pilot, app)
        table = screen.query_one(TicketsTable)
        widths = sum(c.width + 2 for c in table.columns)
        assert widths <= 80
        assert [c.label for c in table.columns][:4] == [
            "Ticket",
            "Left",
            "Rating",
            "Comment",
        ]
        await pilot.press("enter")
        await wait_until(lambda: screen.detail.is_open, pilot=pilot)
        # At the bottom, full width, on 80 columns (laid out a frame after it opens).
        await wait_until(lambda: screen.detail.size.width >= 70, pilot=pilot, what="full width")


def test_layout_drops_the_least_useful_columns_first():
    keys = [c.key for c in layout(120, show_status=True)]
    assert keys == [
        "ticket",
        "left",
        "rating",
        "status",
        "comment",
        "email",
        "phone",
        "received",
    ]
    narrow = layout(80, show_status=True)
    assert "received" not in [c.key for c in narrow] and "comment" in [c.key for c in narrow]
    assert sum(c.width + 2 for c in narrow) + 2 <= 80


def test_every_binding_has_an_id_and_a_description():
    bindings = [*TicketsScreen.BINDINGS, *TicketsTable.BINDINGS, *PromptScreen.BINDINGS]
    ids = [b.id for b in bindings]  # type: ignore[union-attr]
    assert all(ids) and all(b.description for b in bindings)  # type: ignore[union-attr]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(("tickets.", "prompt.")) for i in ids)
    assert {"tickets.next_page", "tickets.previous_page", "tickets.goto_page"} <= set(ids)


@pytest.mark.parametrize("theme", ["cxconsole-256", "cxconsole-light"])
async def test_renders_in_other_themes(sandbox_reset, theme: str):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        app.theme = theme
        wanted = Color.parse(app.current_theme.background)
        await wait_until(lambda: app.screen.styles.background == wanted, pilot=pilot, what=theme)
        cell = screen.query_one(TicketsTable).get_row_at(0)[1]
        assert str(cell.style)  # still coloured by urgency
        assert app.theme == theme


async def test_without_a_questionpro_profile_the_screen_says_what_to_do(sandbox_reset):
    ctx = Context.for_sandbox(sandbox_reset.url)
    ctx.profiles.remove("sandbox-questionpro")
    app = sandbox_app(sandbox_reset, ctx)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: isinstance(app.screen, TicketsScreen), pilot=pilot)
        screen = screen_of(app)
        empty = screen.query_one("#tickets-empty", Static)
        await wait_until(lambda: empty.has_class("-shown"), pilot=pilot)
        assert "No QuestionPro profile" in plain(empty)
        await pilot.press("n", "x", "c")  # nothing to page, export or copy: no crash
        assert screen.pager is None


async def test_help_lists_the_tickets_keys_with_their_ids(sandbox_reset):
    from textual.widgets import DataTable

    from cxconsole.screens.help import HelpScreen

    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        await open_tickets(pilot, app)
        await pilot.press("question_mark")
        await wait_until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot)
        table = app.screen.query_one(DataTable)
        ids = {str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert {"tickets.next_page", "tickets.goto_page", "tickets.detail"} <= ids
        assert {"tickets.export", "tickets.copy_email", "tickets.search"} <= ids


async def test_mouse_picks_a_row_and_sorts_by_a_header(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        table = screen.query_one(TicketsTable)
        await pilot.click(TicketsTable, offset=(3, 4))  # the fourth ticket (line 0 is the header)
        assert table.cursor_row == 3
        await pilot.click(TicketsTable, offset=(3, 4))  # again: opens it
        await wait_until(lambda: screen.detail.is_open, pilot=pilot)
        assert screen.detail.ticket is table.tickets[3]
        await pilot.press("escape")
        await pilot.pause()
        assert [c.key for c in table.columns][:3] == ["ticket", "left", "rating"]
        x = sum(c.width + 2 for c in table.columns[:2]) + 1  # the rating header
        await pilot.click(TicketsTable, offset=(x, 0))
        await pilot.pause()
        ratings = [int(t.rating) for t in table.tickets if t.rating]
        assert ratings == sorted(ratings) and table.sort_marker == ("rating", False)


async def test_refresh_key_asks_the_vendor_again_and_keeps_the_whole_sort(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        await whole_loaded(pilot, screen)
        await wait_until(lambda: not screen.pager._inflight, pilot=pilot)
        first = ids_on_screen(screen)
        before = qp_requests(sandbox_reset)
        await pilot.press("f5")
        await wait_until(lambda: qp_requests(sandbox_reset) > before, pilot=pilot)
        await whole_loaded(pilot, screen)
        # Every page asked again (52 of 50), and the most urgent are first again.
        assert qp_requests(sandbox_reset) - before >= 52
        assert ids_on_screen(screen) == first
        footer_keys = {b.binding.id for b in screen.active_bindings.values() if b.binding.show}
        assert "tickets.refresh" in footer_keys


async def test_overdue_times_are_never_cut_at_80_columns(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tickets(pilot, app)
        await whole_loaded(pilot, screen)
        table = screen.query_one(TicketsTable)
        left = next(c for c in table.columns if c.key == "left")
        ticket = next(c for c in table.columns if c.key == "ticket")
        for index in range(len(table.tickets)):
            row = table.get_row_at(index)
            assert len(str(row[1])) <= left.width and "…" not in str(row[1])
            assert len(str(row[0])) <= ticket.width


async def test_a_failure_at_80x24_stays_readable_and_retry_is_the_first_key(sandbox_reset):
    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tickets(pilot, app, page_order=True)
        await wait_until(lambda: not screen.pager._inflight, pilot=pilot)
        set_faults(sandbox_reset, rate=1.0, faults=["500"], seed=1)
        screen._go(40)
        await wait_until(lambda: screen.last_error is not None, 30, pilot=pilot)
        set_faults(sandbox_reset, rate=0.0)
        bar = screen.query_one(PagerBar)
        # The failure comes first on the status line, inside 80 columns.
        line = str(bar.render())
        assert "1026" in line[:80] or "failed" in line[:80], line
        banner = screen.query_one("#tickets-error", Static)
        await wait_until(
            lambda: banner.region.height >= 1, pilot=pilot
        )  # on screen, not squeezed out
        assert banner.region.right <= 80
        shown = [b.binding.id for b in screen.active_bindings.values() if b.binding.show]
        # The screen's own keys (the table's Enter comes first: it is the focused widget's).
        own = [i for i in shown if i and i.startswith("tickets.") and i != "tickets.detail"]
        assert own[:2] == ["tickets.retry", "tickets.inspect"]
        await pilot.press("r")
        await shown_page(pilot, screen, 40)
        assert screen.last_error is None


async def test_the_profile_choice_reads_whole_at_80_columns(sandbox_reset):
    """It read "Profile: sandbox-qu…" at 80 columns: there the name stands alone."""
    from test_snapshots import screen_text

    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_tickets(pilot, app)

        def filters_line() -> str:
            return screen_text(app.export_screenshot()).splitlines()[1]

        await wait_until(lambda: "sandbox-questionpro " in filters_line(), pilot=pilot)
        assert "…" not in filters_line().split("Segment")[0], filters_line()
        assert screen.filters.values().profile == "sandbox-questionpro"
        await pilot.resize_terminal(120, 40)
        await wait_until(lambda: "Profile: sandbox-questionpro" in filters_line(), pilot=pilot)
        assert screen.filters.values().profile == "sandbox-questionpro"
        assert not screen._loading, "the same profile: no page fetched again"


async def test_keys_typed_in_the_same_instant_as_slash_reach_the_search(sandbox_reset):
    """ "/40" in one read of the terminal: the app routed "4" and "0" to the table, which still
    had the focus ("/" was handled in the table's own queue, after them): the search opened
    empty and the digits were lost (or "1" left the screen)."""
    from conftest import burst

    app = sandbox_app(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_tickets(pilot, app)
        field = screen.query_one("#tickets-search", Input)
        burst(app, "/401")
        await wait_until(lambda: field.value == "401", pilot=pilot, what=repr(field.value))
        assert app.current_mode == "tickets" and app.focused is field
        burst(app, "/x")  # typed into the field, "/" is a character
        await wait_until(lambda: field.value == "401/x", pilot=pilot, what=repr(field.value))
