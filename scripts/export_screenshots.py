"""Save one SVG per screen into ``screenshots/``: the app drives itself in sandbox mode.

    python scripts/export_screenshots.py [--size 120x40] [--theme cxconsole-dark]

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

    table = app.screen.query_one("#profiles", DataTable)
    await settle(pilot, lambda: table.row_count > 0)


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
    prepare = getattr(app.screen, "screenshot_demo", None)
    if prepare is not None:
        await prepare(pilot)


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
                path = OUT / f"{mode}.svg"
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
