"""Paging and caching of detractor tickets: one page at a time with prefetch, or every page.

The pager pages by the ``currentPage``/``totalPages``/``perPage`` the server answered with and
never by ``pagination.links`` (document 004's links point at another path and other pages). A
server may serve fewer tickets per page than asked: page numbers are then re-derived from the
page size it used, so every ticket is reached exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from cxconsole.client import CXClient, get_client
from cxconsole.profiles import Account
from cxconsole.tickets.query import TicketQuery, TicketsError
from cxconsole.vendors.base import TicketSource
from cxconsole.vendors.questionpro import Ticket, TicketPage

log = logging.getLogger("cxconsole.tickets")

Move = Literal["first", "previous", "next", "last"]


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
        """Every ticket of the query's loaded pages, in page order, each once."""
        return list(_unique(self.pages(query))[0])

    def complete(self, query: TicketQuery) -> bool:
        """Whether every page of the query is in the cache (a whole sort or search is possible)."""
        shape = self._shapes.get(query)
        if shape is None:
            return False
        return all((query, n) in self._pages for n in range(1, shape.total_pages + 1))

    def __len__(self) -> int:
        return len(self._pages)


# -- the pager --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FetchProgress:
    """Told to progress callbacks: pages fetched, then (exports) tickets written."""

    phase: Literal["fetch", "write", "done"]
    done: int
    total: int
    tickets: int = 0


ProgressCallback = Callable[[FetchProgress], Any]


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
    """Pages one query of one ticket-serving account through the shared client, with a cache."""

    def __init__(
        self,
        account: Account,
        query: TicketQuery,
        *,
        client: CXClient | None = None,
        cache: PageCache | None = None,
        prefetch: bool = True,
    ) -> None:
        vendor = account.vendor
        if not isinstance(vendor, TicketSource):
            raise TicketsError(
                f"profile {query.profile!r} ({vendor.title}) serves no detractor tickets"
            )
        self.account = account
        self.vendor: TicketSource = vendor
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
            self.account.session(self.client or get_client()),
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
        width = max(1, concurrency or self.account.vendor.policy.concurrency)
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
        await notify_progress(on_progress, FetchProgress("fetch", 1, total, len(first.tickets)))
        gate = asyncio.Semaphore(width)

        async def one(number: int) -> None:
            async with gate:
                pages[number] = await self.fetch(number, fresh=fresh)
            got = sum(len(p.tickets) for p in pages.values())
            await notify_progress(on_progress, FetchProgress("fetch", len(pages), total, got))

        numbers = range(2, first.shape.total_pages + 1)
        try:
            async with asyncio.TaskGroup() as group:
                for number in numbers:
                    group.create_task(one(number))
        except BaseExceptionGroup as failed:
            # The requests are shielded from their readers: stop those still out, so a failed
            # fetch does not keep calling the vendor.
            for number in numbers:
                task = self._inflight.get(number)
                if task is not None:
                    task.cancel()
            # Callers catch the vendor's error itself (a decoded 401, a 429), not a group.
            raise failed.exceptions[0] from None
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


async def notify_progress(callback: ProgressCallback | None, event: FetchProgress) -> None:
    if callback is None:
        return
    outcome = callback(event)
    if asyncio.iscoroutine(outcome):
        await outcome


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
