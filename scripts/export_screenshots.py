"""Save one SVG per screen into ``screenshots/``: the app drives itself in sandbox mode.

    python scripts/export_screenshots.py [--size 120x40] [--theme cxconsole-dark] [SCREEN...]

A size other than 120x40 is saved with the size in its name (``--size 80x24 home`` writes
``home-80x24.svg``).

README.md embeds the files; run this again whenever a screen changes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "screenshots"


async def settle(pilot: Any, predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)


async def home(app: Any, pilot: Any) -> None:
    from textual.widgets import DataTable

    from cxconsole.widgets.home_pictures import TicketBuckets

    table = app.screen.query_one("#profiles", DataTable)
    buckets = app.screen.query_one(TicketBuckets)
    await settle(pilot, lambda: table.row_count > 0)

    # The tickets counted, not "counting… page 15/26".
    def counted() -> bool:
        return bool(buckets.lines) and all(line.loading is None for line in buckets.lines)

    await settle(pilot, counted, seconds=60)


async def credentials(app: Any, pilot: Any) -> None:
    from textual.widgets import DataTable

    screen = app.screen
    screen.load_profile("sandbox-expoints")
    await settle(pilot, lambda: screen.editing == "sandbox-expoints")
    await pilot.press("ctrl+t")
    details = screen.query_one("#details", DataTable)
    await settle(pilot, lambda: details.row_count > 0)
    screen.query_one("#form").scroll_home(animate=False)


async def imports(app: Any, pilot: Any) -> None:
    """A run against sandbox-webex caught mid-way: batches in, one failed, more going."""
    import httpx
    from textual.widgets import Input

    from cxconsole.screens.imports.run_pane import RunPane
    from cxconsole.widgets.batch_table import BatchTable

    screen = app.screen
    ctx = await screen.cx.context()
    folder = Path(tempfile.mkdtemp(prefix="cx-import-demo-"))
    path = _demo_file(folder / "customers-2025-01.csv", 400)
    rate, batch_size = 0.06, 10
    async with httpx.AsyncClient(base_url=ctx.sandbox_url, timeout=10) as client:
        # Slow enough to be caught mid-way; one seeded "HTTP 200 but failed" reply early on.
        await client.post(
            "/_sandbox/faults",
            json={
                "latency_ms": 400,
                "rate": rate,
                "faults": ["http200"],
                "seed": _demo_seed(rate, 400 // batch_size),
            },
        )
    screen.query_one("#file-path", Input).value = str(path)
    screen.choose_file(path)
    screen.choose_profile("sandbox-webex")
    await settle(pilot, lambda: screen.mapping is not None and screen.preview is not None)
    screen.query_one("#batch-size", Input).value = str(batch_size)
    screen.start_import(confirm=False)

    def caught() -> bool:
        counts = screen.book.counts()
        return counts["ok"] >= 12 and counts["failed"] >= 1

    await settle(pilot, caught, seconds=30)
    table = screen.query_one(BatchTable)
    failed = next((r for r in screen.book.rows if r.state == "failed"), None)
    screen.query_one(RunPane).flush()
    if failed is not None:
        table.select_batch(failed.number)
    screen.set_focus(table)


def _demo_file(path: Path, count: int) -> Path:
    import csv

    first = ["Ada", "Bram", "Chloé", "Dev", "Elif", "Femi", "Grace", "Hugo", "Iris", "Jonas"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["Mobile", "First Name", "Email Address", "Customer Ref"])
        for i in range(1, count + 1):
            email = f"{first[i % 10].lower()}.{i}@example.com" if i != 57 else "not-an-address"
            writer.writerow([f"+44733222{i:04d}", first[i % 10], email, f"C{10000 + i}"])
    return path


def _demo_seed(rate: float, batches: int) -> int:
    """A sandbox fault seed giving exactly one fault, early (the sandbox draws one per call)."""
    import random

    for seed in range(1, 5000):
        rng = random.Random(seed)
        hits = []
        for i in range(batches):
            if rng.random() < rate:
                rng.choice(["http200"])
                hits.append(i)
        if len(hits) == 1 and 4 <= hits[0] <= 9:
            return seed
    return 1


async def tickets(app: Any, pilot: Any) -> None:
    prepare = getattr(app.screen, "screenshot_demo", None)
    if prepare is not None:
        await prepare(pilot)
    else:
        await pilot.pause(2.0)


async def errors(app: Any, pilot: Any) -> None:
    from textual.widgets import Input

    from cxconsole.widgets.catalog_table import CatalogTable

    table = app.screen.query_one(CatalogTable)
    await settle(pilot, lambda: table.row_count > 0)
    app.screen.query_one("#catalog-search", Input).value = "1010"
    await settle(pilot, lambda: table.row_count == 2)
    table.focus()


SCENES: dict[str, Callable[[Any, Any], Awaitable[None]]] = {
    "home": home,
    "credentials": credentials,
    "imports": imports,
    "tickets": tickets,
    "errors": errors,
}


async def export(size: tuple[int, int], theme: str, only: list[str]) -> list[Path]:
    from cxconsole.app import CXApp
    from cxconsole.context import Context
    from cxconsole.sandbox.server import SandboxServer

    OUT.mkdir(exist_ok=True)
    written = []
    with SandboxServer() as server:
        for mode, scene in SCENES.items():
            if only and mode not in only:
                continue
            app = CXApp(ctx=Context.for_sandbox(server.url), theme=theme, initial_mode=mode)
            async with app.run_test(size=size) as pilot:
                await pilot.pause(0.3)
                await scene(app, pilot)
                await pilot.pause(0.3)
                # Another size is another picture: home-80x24.svg beside home.svg.
                suffix = "" if size == (120, 40) else f"-{size[0]}x{size[1]}"
                path = OUT / f"{mode}{suffix}.svg"
                app.save_screenshot(filename=path.name, path=str(OUT))
                written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--theme", default="cxconsole-dark")
    parser.add_argument("screens", nargs="*", help=f"some of: {', '.join(SCENES)}")
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    # The screenshots must not depend on, or write to, the user's own settings.
    home = tempfile.mkdtemp(prefix="cx-shots-")
    os.environ["XDG_CONFIG_HOME"] = f"{home}/config"
    os.environ["XDG_STATE_HOME"] = f"{home}/state"
    for path in asyncio.run(export((width, height), args.theme, args.screens)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
