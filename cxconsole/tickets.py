"""Paging, caching, prefetch and export of QuestionPro detractor tickets (no UI here).

The pager pages by the ``currentPage``/``totalPages``/``perPage`` the server answered with and
never by ``pagination.links`` (document 004's links point at another path and other pages). A
server may serve fewer tickets per page than asked: page numbers are then re-derived from the
page size it used, so every ticket is reached exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import logging
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Literal

from cxconsole.client import CXClient, get_client
from cxconsole.errors import TicketsError
from cxconsole.paths import ensure_private_dir, state_dir
from cxconsole.profiles import Account
from cxconsole.vendors.questionpro import TICKET_STATUSES, QuestionPro, Ticket, TicketPage

log = logging.getLogger("cxconsole.tickets")

DEFAULT_PER_PAGE = 50
PER_PAGE_CHOICES: tuple[int, ...] = (25, 50, 100, 200)
MAX_PER_PAGE = 1000  # a guard against typos; the vendor documents no maximum
#: The documented fields, in the order exports write them (ticket id first: it is the handle).
TICKET_FIELDS: tuple[str, ...] = (
    "ticketID",
    "responseID",
    "timestamp",
    "timelimit",
    "rating",
    "emailAddress",
    "phoneNumber",
    "comment",
)
URGENT = timedelta(hours=4)
SOON = timedelta(hours=24)

Urgency = Literal["overdue", "urgent", "soon", "ok", "unknown"]
ExportFormat = Literal["csv", "json"]
Move = Literal["first", "previous", "next", "last"]
SortKey = Literal["time_left", "received", "rating", "ticket", "email"]
SORT_KEYS: tuple[SortKey, ...] = ("time_left", "received", "rating", "ticket", "email")


# -- queries and pages ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TicketQuery:
    """What is being paged: one profile's tickets, filtered, at a page size. The cache key."""

    profile: str
    segment: int | None = None
    status: int | None = None
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise TicketsError(
                f"per page must be between 1 and {MAX_PER_PAGE}, not {self.per_page}"
            )
        if self.status is not None and self.status not in TICKET_STATUSES:
            known = ", ".join(f"{k} {v}" for k, v in TICKET_STATUSES.items())
            raise TicketsError(f"unknown ticket status {self.status} (known: {known})")

    def describe(self) -> str:
        segment = f"segment {self.segment}" if self.segment is not None else "all segments"
        status = status_name(self.status) if self.status is not None else "any status"
        return f"{self.profile}: {segment}, {status}, {self.per_page} per page"


@dataclass(frozen=True, slots=True)
class PageShape:
    """How the server cut a query into pages: the page size it used and the totals."""

    per_page: int
    total_pages: int
    total_items: int


@dataclass(frozen=True, slots=True)
class LoadedPage:
    """One page as served, numbered in the server's own page size."""

    query: TicketQuery
    number: int
    tickets: tuple[Ticket, ...]
    shape: PageShape
    fetched_at: datetime
    request_id: str | None = None
    from_cache: bool = False

    @property
    def first_index(self) -> int:
        """1-based position of this page's first ticket in the whole query."""
        return (self.number - 1) * self.shape.per_page + 1


@dataclass(slots=True)
class PageCache:
    """Pages per query, least recently used dropped first; shared by the pagers of a session."""

    max_pages: int = 2000
    _pages: OrderedDict[tuple[TicketQuery, int], LoadedPage] = field(default_factory=OrderedDict)
    _shapes: dict[TicketQuery, PageShape] = field(default_factory=dict)

    def get(self, query: TicketQuery, number: int) -> LoadedPage | None:
        page = self._pages.get((query, number))
        if page is not None:
            self._pages.move_to_end((query, number))
        return page

    def put(self, page: LoadedPage) -> None:
        self._pages[(page.query, page.number)] = page
        self._pages.move_to_end((page.query, page.number))
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)

    def shape(self, query: TicketQuery) -> PageShape | None:
        return self._shapes.get(query)

    def set_shape(self, query: TicketQuery, shape: PageShape) -> None:
        self._shapes[query] = shape

    def drop(self, query: TicketQuery) -> int:
        """Forget a query's pages and shape (refresh); returns how many pages were dropped."""
        keys = [key for key in self._pages if key[0] == query]
        for key in keys:
            del self._pages[key]
        self._shapes.pop(query, None)
        return len(keys)

    def pages(self, query: TicketQuery) -> list[LoadedPage]:
        found = [page for (q, _), page in self._pages.items() if q == query]
        return sorted(found, key=lambda page: page.number)

    def tickets(self, query: TicketQuery) -> list[Ticket]:
        """Every ticket of the query's loaded pages, in page order (what ``/`` searches)."""
        return [ticket for page in self.pages(query) for ticket in page.tickets]

    def __len__(self) -> int:
        return len(self._pages)


# -- the pager --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ExportProgress:
    """Told to progress callbacks: pages fetched, then tickets written."""

    phase: Literal["fetch", "write", "done"]
    done: int
    total: int
    tickets: int = 0


ProgressCallback = Callable[[ExportProgress], Any]


@dataclass(frozen=True, slots=True)
class TicketDump:
    """Every ticket of a query, each once, in page order; ``consistent`` if no page moved."""

    query: TicketQuery
    tickets: tuple[Ticket, ...]
    shape: PageShape
    pages: int
    duplicates: int
    consistent: bool

    @property
    def complete(self) -> bool:
        return self.consistent and len(self.tickets) == self.shape.total_items


class TicketPager:
    """Pages one query of one QuestionPro account through the shared client, with a cache."""

    def __init__(
        self,
        account: Account,
        query: TicketQuery,
        *,
        client: CXClient | None = None,
        cache: PageCache | None = None,
        prefetch: bool = True,
    ) -> None:
        if not isinstance(account.vendor, QuestionPro):
            raise TicketsError(
                f"profile {query.profile!r} is a {account.vendor.title} profile; "
                "detractor tickets are a QuestionPro CX feature"
            )
        self.account = account
        self.vendor: QuestionPro = account.vendor
        self.query = query
        self.client = client
        self.cache = cache if cache is not None else PageCache()
        self.prefetch_enabled = prefetch
        self.current = 1
        self.requests = 0  # network requests this pager made (cache hits make none)
        self._inflight: dict[int, asyncio.Task[LoadedPage]] = {}

    # -- state -------------------------------------------------------------------------------
    @property
    def shape(self) -> PageShape | None:
        return self.cache.shape(self.query)

    @property
    def total_pages(self) -> int | None:
        shape = self.shape
        return None if shape is None else shape.total_pages

    def clamp(self, number: int) -> int:
        """A page number inside 1..total pages (page 1 while the total is unknown or 0)."""
        total = self.total_pages or 1
        return min(max(1, number), max(1, total))

    def target(self, move: Move | int) -> int:
        """The page a move leads to from the current page; pure, no I/O."""
        if isinstance(move, int):
            return self.clamp(move)
        steps = {"first": 1, "previous": self.current - 1, "next": self.current + 1}
        if move == "last":
            return self.clamp(self.total_pages or 1)
        return self.clamp(steps[move])

    def cached(self, number: int) -> LoadedPage | None:
        """The page if the cache has it, without any I/O: key handlers call this."""
        page = self.cache.get(self.query, number)
        return None if page is None else replace(page, from_cache=True)

    def loaded_tickets(self) -> list[Ticket]:
        return self.cache.tickets(self.query)

    def refresh(self) -> None:
        """Drop this query's cache, so the next read asks the vendor again."""
        self.cache.drop(self.query)
        for task in self._inflight.values():
            task.cancel()
        self._inflight.clear()

    # -- reading -----------------------------------------------------------------------------
    async def page(self, number: int) -> LoadedPage:
        """Show page ``number``: from the cache or the vendor; then prefetch its neighbour."""
        loaded = await self.fetch(self.clamp(number) if self.shape else max(1, number))
        return self._arrive(loaded)

    def from_cache(self, number: int) -> LoadedPage | None:
        """Page ``number`` made current if the cache has it, its neighbour prefetched; no await.

        A key handler calls this first and only starts a worker on a miss, so a cached page is
        on screen without waiting for the event loop to run anything else.
        """
        hit = self.cached(self.clamp(number) if self.shape else max(1, number))
        return None if hit is None else self._arrive(hit)

    def _arrive(self, loaded: LoadedPage) -> LoadedPage:
        previous, self.current = self.current, loaded.number
        if self.prefetch_enabled:
            # Prefetch in the direction of travel: paging back should be as quick as forward.
            self.prefetch(loaded.number + (-1 if loaded.number < previous else 1))
        return loaded

    async def move(self, move: Move | int) -> LoadedPage:
        return await self.page(self.target(move))

    async def fetch(self, number: int, *, fresh: bool = False) -> LoadedPage:
        """One page; ``fresh`` skips the cache. Concurrent reads of a page share one request."""
        if not fresh:
            hit = self.cached(number)
            if hit is not None:
                return hit
        while True:
            task = self._inflight.get(number)
            if task is None or task.done():  # a finished task waits for its done-callback
                task = self._start(number)
            try:
                # shield: a cancelled reader (a superseded key press) must not cancel a request
                # another reader or the cache is waiting for.
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                me = asyncio.current_task()
                if task.cancelled() and me is not None and not me.cancelling():
                    continue  # the request was cancelled (a refresh), not this reader: ask again
                raise

    def prefetch(self, number: int) -> asyncio.Task[LoadedPage] | None:
        """Start loading a page in the background unless it is loaded, loading or out of range."""
        total = self.total_pages
        if number < 1 or total is None or number > total:
            return None
        running = self._inflight.get(number)
        if (running is not None and not running.done()) or self.cache.get(self.query, number):
            return None
        return self._start(number)

    def _start(self, number: int) -> asyncio.Task[LoadedPage]:
        task = asyncio.get_running_loop().create_task(self._request(number))
        self._inflight[number] = task

        def done(finished: asyncio.Task[LoadedPage]) -> None:
            if self._inflight.get(number) is finished:
                del self._inflight[number]
            # Retrieve the exception so an unread failed prefetch is not logged as "never
            # retrieved"; a reader that awaited it has already received it.
            if not finished.cancelled() and finished.exception() is not None:
                log.debug("tickets page %d failed: %s", number, finished.exception())

        task.add_done_callback(done)
        return task

    async def _request(self, number: int) -> LoadedPage:
        known = self.shape
        # Ask in the page size the server used last time, so page numbers keep their meaning.
        per_page = known.per_page if known else self.query.per_page
        self.requests += 1
        reply = await self.vendor.tickets_page(
            self.client or get_client(),
            self.account.base,
            self.account.secret,
            self.account.settings,
            page=number,
            per_page=per_page,
            segment=self.query.segment,
            status=self.query.status,
        )
        loaded = self._read(reply, number, per_page)
        if known is not None and (known.per_page, known.total_items) != (
            loaded.shape.per_page,
            loaded.shape.total_items,
        ):
            # The page size or the ticket count moved: cached pages no longer line up.
            log.info("tickets %s: %s became %s", self.query.describe(), known, loaded.shape)
            self.cache.drop(self.query)
        self.cache.set_shape(self.query, loaded.shape)
        self.cache.put(loaded)
        return loaded

    def _read(self, reply: TicketPage, asked: int, per_page: int) -> LoadedPage:
        pagination = reply.pagination
        given = pagination.model_fields_set
        used = pagination.perPage if "perPage" in given and pagination.perPage > 0 else per_page
        items = pagination.totalItems if "totalItems" in given else None
        if items is not None:
            # Derived from the size actually used: a totalPages computed from the size we asked
            # for would end the paging early.
            pages = math.ceil(items / used)
            if "totalPages" in given and pagination.totalPages != pages:
                log.warning("totalPages %d does not match %d items of %d per page; using %d",
                            pagination.totalPages, items, used, pages)  # fmt: skip
        else:
            pages = pagination.totalPages
            items = pages * used
        number = pagination.currentPage if "currentPage" in given else asked
        return LoadedPage(
            query=self.query,
            number=number if number >= 1 else asked,
            tickets=tuple(reply.response),
            shape=PageShape(used, pages, items),
            fetched_at=datetime.now(UTC),
            request_id=reply.requestID,
        )

    async def fetch_all(
        self,
        *,
        concurrency: int | None = None,
        on_progress: ProgressCallback | None = None,
        fresh: bool = True,
        attempts: int = 3,
    ) -> TicketDump:
        """Every page, ``concurrency`` at a time (the client keeps the rate limit).

        ``fresh`` asks the vendor even for cached pages, so an export is one snapshot. When the
        page size or the ticket count changes while paging, it starts again (up to
        ``attempts`` times) and otherwise returns what it got with ``consistent=False``.
        """
        width = max(1, concurrency or self.vendor.policy.concurrency)
        for attempt in range(1, attempts + 1):
            pages = await self._fetch_round(width, on_progress, fresh)
            shape = pages[1].shape
            consistent = all(
                (p.shape.per_page, p.shape.total_items) == (shape.per_page, shape.total_items)
                for p in pages.values()
            )
            if consistent or attempt == attempts:
                break
            log.info("tickets moved during export (attempt %d); starting again", attempt)
            fresh = True
        tickets, duplicates = _unique(pages[n] for n in sorted(pages))
        return TicketDump(self.query, tickets, shape, len(pages), duplicates, consistent)

    async def _fetch_round(
        self, width: int, on_progress: ProgressCallback | None, fresh: bool
    ) -> dict[int, LoadedPage]:
        """Page 1 (to learn the shape), then the rest ``width`` at a time."""
        first = await self.fetch(1, fresh=fresh)
        pages: dict[int, LoadedPage] = {1: first}
        total = max(1, first.shape.total_pages)
        await _notify(on_progress, ExportProgress("fetch", 1, total, len(first.tickets)))
        gate = asyncio.Semaphore(width)

        async def one(number: int) -> None:
            async with gate:
                pages[number] = await self.fetch(number, fresh=fresh)
            got = sum(len(p.tickets) for p in pages.values())
            await _notify(on_progress, ExportProgress("fetch", len(pages), total, got))

        numbers = range(2, first.shape.total_pages + 1)
        try:
            await _gather_or_cancel([one(n) for n in numbers])
        except BaseException:
            # Stop the requests still out: a failed export must not keep calling the vendor.
            for number in numbers:
                task = self._inflight.get(number)
                if task is not None:
                    task.cancel()
            raise
        return pages

    async def aclose(self) -> None:
        """Cancel background prefetches (a screen closing, a query changing)."""
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        self._inflight.clear()


async def _notify(callback: ProgressCallback | None, event: ExportProgress) -> None:
    if callback is None:
        return
    outcome = callback(event)
    if asyncio.iscoroutine(outcome):
        await outcome


async def _gather_or_cancel(coros: Sequence[Any]) -> None:
    """Run all; on the first failure cancel the rest and raise that failure itself."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _unique(pages: Iterable[LoadedPage]) -> tuple[tuple[Ticket, ...], int]:
    """Tickets in page order, each once (a ticket moving between pages mid-read shows twice)."""
    seen: set[int] = set()
    kept: list[Ticket] = []
    duplicates = 0
    for page in pages:
        for ticket in page.tickets:
            if ticket.ticketID in seen:
                duplicates += 1
                continue
            seen.add(ticket.ticketID)
            kept.append(ticket)
    return tuple(kept), duplicates


# -- time left, status, display helpers -------------------------------------------------------
def parse_timestamp(value: str) -> datetime | None:
    """QuestionPro's ``2020-01-14T12:51:48.000+0000`` (or any ISO 8601) as an aware datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # No offset given: the vendor writes UTC everywhere else.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_at(ticket: Ticket) -> datetime | None:
    received = parse_timestamp(ticket.timestamp)
    if received is None or ticket.timelimit is None:
        return None
    return received + timedelta(hours=ticket.timelimit)


def time_left(ticket: Ticket, now: datetime | None = None) -> timedelta | None:
    """timestamp + timelimit hours - now; negative when overdue, None when unknown."""
    due = due_at(ticket)
    return None if due is None else due - (now or datetime.now(UTC))


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    left = time_left(ticket, now)
    return left is not None and left < timedelta(0)


def urgency(left: timedelta | None) -> Urgency:
    if left is None:
        return "unknown"
    if left < timedelta(0):
        return "overdue"
    if left < URGENT:
        return "urgent"
    if left < SOON:
        return "soon"
    return "ok"


def format_time_left(left: timedelta | None) -> str:
    """``-3d 4h`` (overdue), ``5h 12m``, ``12m``; ``?`` when unknown."""
    if left is None:
        return "?"
    sign = "-" if left < timedelta(0) else ""
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {mins}m"
    return f"{sign}{mins}m"


def format_received(
    ticket: Ticket, tz: Any = None, *, short: bool = False, now: datetime | None = None
) -> str:
    """When the ticket was received, in local time (or ``tz``): ``2020-01-14 23:51``.

    ``short`` (at most 12 cells, for tables) gives ``14 Jan 23:51`` for this year's tickets
    and ``2020-01-14`` for older ones.
    """
    moment = parse_timestamp(ticket.timestamp)
    if moment is None:
        return ticket.timestamp or "?"
    local = moment.astimezone(tz)
    if not short:
        return local.strftime("%Y-%m-%d %H:%M")
    if local.year == (now or datetime.now(UTC)).astimezone(tz).year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%Y-%m-%d")


def status_name(status: int | None) -> str:
    if status is None:
        return ""
    return TICKET_STATUSES.get(status, str(status))


def ticket_status(ticket: Ticket, query: TicketQuery | None = None) -> int | None:
    """The status if known: sent by the vendor (not documented) or implied by the filter."""
    extra = (ticket.model_extra or {}).get("status")
    if isinstance(extra, int) and not isinstance(extra, bool):
        return extra
    if isinstance(extra, str) and extra.strip().isdigit():
        return int(extra)
    return query.status if query is not None else None


def one_line(text: str, width: int | None = None) -> str:
    """A comment on one line (newlines and runs of spaces folded), cut to ``width`` with ``…``."""
    flat = " ".join(text.split())
    if width is not None and len(flat) > width:
        return flat[: max(0, width - 1)] + "…"
    return flat


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket as the table shows it (CLI and TUI alike): plain strings plus its urgency."""

    ticket_id: str
    time_left: str
    urgency: Urgency
    rating: str
    status: str
    comment: str
    email: str
    phone: str
    received: str


def ticket_row(
    ticket: Ticket,
    query: TicketQuery | None = None,
    *,
    now: datetime | None = None,
    comment_width: int | None = None,
    tz: Any = None,
    short: bool = False,
) -> TicketRow:
    left = time_left(ticket, now)
    return TicketRow(
        ticket_id=str(ticket.ticketID),
        time_left=format_time_left(left),
        urgency=urgency(left),
        rating=ticket.rating,
        status=status_name(ticket_status(ticket, query)),
        comment=one_line(ticket.comment, comment_width),
        email=ticket.emailAddress,
        phone=ticket.phoneNumber,
        received=format_received(ticket, tz, short=short, now=now),
    )


# -- search and sort (within loaded pages) ----------------------------------------------------
def search_tickets(tickets: Iterable[Ticket], text: str) -> list[Ticket]:
    """Tickets whose id, e-mail, phone, rating or comment contains ``text`` (any case)."""
    needle = text.casefold().strip()
    if not needle:
        return list(tickets)
    return [
        t
        for t in tickets
        if needle
        in "\n".join(
            (str(t.ticketID), t.emailAddress, t.phoneNumber, t.rating, t.comment)
        ).casefold()
    ]


def sort_tickets(
    tickets: Iterable[Ticket],
    key: SortKey,
    *,
    reverse: bool = False,
    now: datetime | None = None,
) -> list[Ticket]:
    """Sorted copy; tickets lacking the key go last whichever the direction."""
    moment = now or datetime.now(UTC)

    def value(t: Ticket) -> Any:
        if key == "time_left":
            left = time_left(t, moment)
            return None if left is None else left.total_seconds()
        if key == "received":
            received = parse_timestamp(t.timestamp)
            return None if received is None else received.timestamp()
        if key == "rating":
            return int(t.rating) if t.rating.strip().lstrip("-").isdigit() else None
        if key == "email":
            return t.emailAddress.casefold() or None
        return t.ticketID

    items = list(tickets)
    known = [t for t in items if value(t) is not None]
    unknown = [t for t in items if value(t) is None]
    return sorted(known, key=value, reverse=reverse) + unknown


# -- export -----------------------------------------------------------------------------------
def ticket_record(ticket: Ticket) -> dict[str, Any]:
    """The ticket as the vendor sent it: its field names, nothing added."""
    return ticket.model_dump(mode="json", exclude_unset=True)


def csv_columns(tickets: Sequence[Ticket]) -> list[str]:
    """The documented fields, then any extra field the vendor sent, in first-seen order."""
    columns = list(TICKET_FIELDS)
    for ticket in tickets:
        for name in ticket.model_extra or {}:
            if name not in columns:
                columns.append(name)
    return columns


def write_csv(tickets: Sequence[Ticket], stream: IO[str]) -> None:
    writer = csv.DictWriter(stream, fieldnames=csv_columns(tickets), extrasaction="ignore")
    writer.writeheader()
    for ticket in tickets:
        row = ticket.model_dump(mode="json")
        writer.writerow({k: "" if v is None else v for k, v in row.items()})


def write_json(tickets: Sequence[Ticket], stream: IO[str]) -> None:
    json.dump([ticket_record(t) for t in tickets], stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def export_text(tickets: Sequence[Ticket], fmt: ExportFormat) -> str:
    buffer = io.StringIO()
    (write_csv if fmt == "csv" else write_json)(tickets, buffer)
    return buffer.getvalue()


def exports_dir() -> Path:
    return state_dir() / "exports"


def default_export_path(query: TicketQuery, fmt: ExportFormat, now: datetime | None = None) -> Path:
    """``<state dir>/exports/tickets-<profile>-<segment>-<status>-<time>.<fmt>``."""
    moment = (now or datetime.now(UTC)).astimezone()
    segment = f"seg{query.segment}" if query.segment is not None else "all"
    status = status_name(query.status).lower() if query.status is not None else "any"
    name = f"tickets-{query.profile}-{segment}-{status}-{moment:%Y%m%d-%H%M%S}.{fmt}"
    return exports_dir() / name


def format_for(path: Path, default: ExportFormat = "csv") -> ExportFormat:
    suffix = path.suffix.lower().lstrip(".")
    return "json" if suffix == "json" else "csv" if suffix == "csv" else default


def write_export(tickets: Sequence[Ticket], path: Path, fmt: ExportFormat) -> Path:
    """Write tickets to ``path`` atomically, readable by the owner only (customer data).

    CSV gets a UTF-8 byte-order mark so spreadsheet programs read accented and CJK comments.
    """
    path = path.expanduser()
    if path.is_dir():
        raise TicketsError(f"{path} is a folder; give a file name")
    if path.parent == exports_dir():
        ensure_private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with open(fd, "w", encoding=encoding, newline="") as stream:
            (write_csv if fmt == "csv" else write_json)(tickets, stream)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


async def export_query(
    pager: TicketPager,
    path: Path,
    fmt: ExportFormat,
    *,
    on_progress: ProgressCallback | None = None,
    concurrency: int | None = None,
) -> TicketDump:
    """Fetch every page of the pager's query and write them to ``path``."""
    dump = await pager.fetch_all(concurrency=concurrency, on_progress=on_progress)
    count = len(dump.tickets)
    await _notify(on_progress, ExportProgress("write", 0, count, count))
    # A thread: a large file must not freeze the screen while it is written.
    await asyncio.to_thread(write_export, dump.tickets, path, fmt)
    await _notify(on_progress, ExportProgress("done", count, count, count))
    return dump


def questionpro_profiles(names_and_vendors: Iterable[tuple[str, str]]) -> list[str]:
    """The profile names whose vendor is QuestionPro (the only vendor with tickets)."""
    return sorted(name for name, vendor in names_and_vendors if vendor == QuestionPro.name)
