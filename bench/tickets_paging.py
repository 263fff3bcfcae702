"""Time from a key press to the next tickets page on screen: from the cache, prefetched, and
from the sandbox at 50 ms latency, beside a bare DataTable showing the same rows (the reference).

Run: ``python bench/tickets_paging.py [--rounds N] [--per-page N]``. Prints figures, asserts
nothing. Each figure runs from posting a key event (as the terminal driver does) to the first
frame the app renders after the page changed, in a headless 120x40 app (Pilot's own ``press``
waits for the whole process to go idle, which would swamp the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from textual import events

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZE = (120, 40)


def summary(name: str, samples: list[float], reference: float | None = None) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    median = statistics.median(ms)
    line = f"  {name:<44} median {median:7.1f} ms   p95 {p95:7.1f} ms   n={len(ms)}"
    if reference:
        line += f"   {median / reference:4.1f}x reference"
    return line


async def until(predicate: Callable[[], object], seconds: float = 30.0) -> None:
    deadline = time.perf_counter() + seconds
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("page never arrived")
        await asyncio.sleep(0.0005)


class FrameClock:
    """Notes when the app hands a rendered frame to its driver (headless: the frame is still
    rendered, only not written), and when a page change happened, so "on screen" means the
    first frame rendered after the change (polling alone could miss a frame painted before the
    poller woke up)."""

    def __init__(self, app: Any) -> None:
        self.frames: list[float] = []
        self.changes: list[float] = []
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is not None:
                self.frames.append(time.perf_counter())

        app._display = display

    def changed(self) -> None:
        self.changes.append(time.perf_counter())

    def watch(self, obj: Any, method: str) -> None:
        """Mark a change whenever ``obj.method`` runs (the screen's "show this page")."""
        original = getattr(obj, method)

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            self.changed()
            return result

        setattr(obj, method, wrapped)


async def timed(app: Any, clock: FrameClock, key: str, arrived: Callable[[], object]) -> float:
    """A key event as the driver posts it, until the first frame painted after it took effect."""
    changes = len(clock.changes)
    t0 = time.perf_counter()
    app.post_message(events.Key(key, key if len(key) == 1 else None))
    await until(lambda: arrived() and len(clock.changes) > changes)
    change = clock.changes[changes]
    await until(lambda: clock.frames and clock.frames[-1] >= change)
    return next(f for f in clock.frames if f >= change) - t0


async def bare_datatable(rows: list[list[str]], columns: list[str], rounds: int) -> list[float]:
    """The reference: a key that replaces all rows of a plain DataTable with the same page."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        BINDINGS = [("n", "swap", "swap")]

        def __init__(self) -> None:
            super().__init__()
            self.shown = 0

        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row", zebra_stripes=True)

        def on_mount(self) -> None:
            self.query_one(DataTable).add_columns(*columns)

        def action_swap(self) -> None:
            table = self.query_one(DataTable)
            table.clear()
            table.add_rows(rows)
            self.shown += 1
            clock.changed()

    app = Bare()
    clock = FrameClock(app)
    samples = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        for i in range(rounds):
            samples.append(await timed(app, clock, "n", lambda i=i: app.shown == i + 1))
            await pilot.pause(0.02)
    return samples


async def tickets_app(url: str, per_page: int, rounds: int) -> dict[str, list[float]]:
    from cxconsole.app import CXApp
    from cxconsole.context import Context
    from cxconsole.screens.tickets import TicketsScreen

    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="tickets")
    results: dict[str, list[float]] = {"cache": [], "prefetched": [], "sandbox": []}
    async with app.run_test(size=SIZE) as pilot:
        clock = FrameClock(app)
        await until(lambda: isinstance(app.screen, TicketsScreen) and app.screen.page)
        screen = app.screen
        assert isinstance(screen, TicketsScreen)
        clock.watch(screen, "_show")
        # The server's pages, one at a time: what this measures (a sort pages the whole list
        # in memory instead).
        screen.set_sort(None)
        if screen.pager.query.per_page != per_page:
            screen.filters.per_page.value = per_page
            await until(lambda: screen.page and screen.page.query.per_page == per_page)
        pager = screen.pager
        total = pager.total_pages or 1

        def on(number: int) -> Callable[[], bool]:
            return lambda: screen.page is not None and screen.page.number == number

        async def first_page() -> None:
            if screen.page is not None and screen.page.number != 1:
                await timed(app, clock, "g", on(1))
            await pilot.pause(0.05)

        # 1. From the cache: every page loaded once, then paged again.
        await pager.fetch_all(fresh=False)
        await first_page()
        for i in range(rounds):
            n = i % (total - 1) + 2
            if n == 2 and i:
                await first_page()
            results["cache"].append(await timed(app, clock, "n", on(n)))
            await pilot.pause(0.02)

        await set_latency(url, 50)

        # 2. Reading speed: the prefetch of the next page lands while the operator reads.
        pager.refresh()
        await first_page()
        for i in range(min(rounds, total - 1)):
            await pilot.pause(0.2)
            await until(lambda: not pager._inflight)
            results["prefetched"].append(await timed(app, clock, "n", on(i + 2)))

        # 3. A miss: nothing cached, prefetch off, 50 ms each way through the real client.
        pager.prefetch_enabled = False
        await first_page()
        for i in range(min(rounds, total - 1)):
            pager.refresh()
            results["sandbox"].append(await timed(app, clock, "n", on(i + 2)))
            await pilot.pause(0.02)
        await set_latency(url, 0)
    return results


async def set_latency(url: str, ms: int) -> None:
    async with httpx.AsyncClient() as http:
        await http.post(f"{url}/_sandbox/faults", json={"rate": 0.0, "latency_ms": ms})


async def main(rounds: int, per_page: int) -> None:
    from cxconsole.context import Context
    from cxconsole.sandbox.server import SandboxServer
    from cxconsole.tickets.paging import TicketPager
    from cxconsole.tickets.query import TicketQuery

    with SandboxServer() as server:
        # The same page's cells, for the bare DataTable reference.
        ctx = Context.for_sandbox(server.url)
        query = TicketQuery("sandbox-questionpro", per_page=per_page)
        pager = TicketPager(ctx.account("sandbox-questionpro"), query, client=ctx.client)
        page = await pager.fetch(2)
        await ctx.client.aclose()
        from cxconsole.tickets.rows import ticket_row

        columns = ["Ticket", "Left", "Rating", "Comment", "E-mail", "Phone", "Received"]
        rows = [
            [r.ticket_id, r.time_left, r.rating, r.comment[:40], r.email, r.phone, r.received]
            for r in (ticket_row(t, short=True) for t in page.tickets)
        ]
        reference = await bare_datatable(rows, columns, rounds)
        ticket_times = await tickets_app(server.url, per_page, rounds)
    ref = statistics.median(reference) * 1000
    print(f"tickets paging, {per_page} tickets a page, {SIZE[0]}x{SIZE[1]}, headless Pilot")
    print(summary("reference: bare DataTable, same rows", reference))
    print(summary("next page from the cache (target 50 ms)", ticket_times["cache"], ref))
    print(summary("next page prefetched while reading, 50 ms", ticket_times["prefetched"], ref))
    print(summary("next page from the sandbox, 50 ms latency", ticket_times["sandbox"], ref))
    if os.environ.get("BENCH_VERBOSE"):
        print({k: [round(x * 1000) for x in v] for k, v in ticket_times.items()})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--per-page", type=int, default=50)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["XDG_CONFIG_HOME"] = str(Path(home) / "config")
        os.environ["XDG_STATE_HOME"] = str(Path(home) / "state")
        asyncio.run(main(options.rounds, options.per_page))
