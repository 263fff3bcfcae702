"""Screenshot comparisons: the text of the app's own SVG screenshots against golden files.

Text rather than pixels: a theme tweak should not fail these, a lost column or a cut-off label
should. Ports are normalised. ``CX_UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py`` rewrites
the golden files after a deliberate change; review the diff before committing it.
"""

from __future__ import annotations

import html
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer

GOLDEN = Path(__file__).parent / "snapshots"
TEXT = re.compile(r'<text class="[^"]*-r\d+"[^>]* x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>')
CHAR_WIDTH = 12.2  # Textual's SVG cell width


def screen_text(svg: str) -> str:
    """The screen as lines of text, from the SVG Textual saved."""
    rows: dict[float, list[tuple[float, str]]] = defaultdict(list)
    for x, y, text in TEXT.findall(svg):
        rows[float(y)].append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            column = round(x / CHAR_WIDTH)
            line = line.ljust(column) + text
        lines.append(line.rstrip())
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", "\n".join(lines)) + "\n"


async def settled(pilot) -> str:
    """The screenshot once two in a row agree: the footer's keys and the table's column
    widths arrive a few frames after the data."""
    previous = ""
    for _ in range(40):
        await pilot.pause(0.15)
        svg = pilot.app.export_screenshot()
        if screen_text(svg) == previous:
            return svg
        previous = screen_text(svg)
    return svg


def check(name: str, svg: str) -> None:
    text = screen_text(svg)
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("CX_UPDATE_SNAPSHOTS") or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, "utf-8")
        if not os.environ.get("CX_UPDATE_SNAPSHOTS"):
            pytest.fail(f"no golden file yet: wrote {path}; review it and commit it")
    assert text == path.read_text("utf-8"), f"{name} changed; see {path}"


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_home_snapshot(sandbox: SandboxServer, size: tuple[int, int]):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=size) as pilot:
        table = app.screen.query_one("#profiles")
        for _ in range(100):
            if table.row_count == 4:  # type: ignore[attr-defined]
                break
            await pilot.pause(0.05)
        check(f"home-{size[0]}x{size[1]}", await settled(pilot))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_credentials_snapshot(sandbox: SandboxServer, size: tuple[int, int]):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url), initial_mode="credentials")
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        await pilot.pause(0.2)
        screen.load_profile("sandbox-webex")  # type: ignore[attr-defined]
        for _ in range(100):
            if screen.editing == "sandbox-webex":  # type: ignore[attr-defined]
                break
            await pilot.pause(0.05)
        check(f"credentials-{size[0]}x{size[1]}", await settled(pilot))
