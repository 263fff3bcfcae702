"""Screenshot comparisons: every screen at 80x24 and 120x40 in every shipped theme, as the text of
the app's own SVG screenshots against golden files.

Text rather than pixels: a theme tweak should not fail these, a lost column or a cut-off label
should; and the text must be the same in every theme (a theme changes colours, never layout).
Ports, temporary paths and (where the data moves with the clock) digits are normalised.
``CX_UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py`` rewrites the golden files after a
deliberate change; review the diff before committing it.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import wait_until

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer
from cxconsole.themes import load_themes, shipped_themes_dir

GOLDEN = Path(__file__).parent / "snapshots"
TEXT = re.compile(r'<text class="[^"]*-r\d+"[^>]* x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>')
CHAR_WIDTH = 12.2  # Textual's SVG cell width
SIZES = [(120, 40), (80, 24)]
THEMES = sorted(theme.name for theme in load_themes(shipped_themes_dir()).themes)
#: Screens whose text moves with the clock (time left, counts by time left): digits masked.
CLOCKED = {"home", "tickets"}


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
    """The screenshot once the screen stops changing: the same text over several message
    round trips (the footer's keys and the tables' widths arrive a few frames after the data).
    """
    previous, same = "", 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        await pilot.pause()
        svg = pilot.app.export_screenshot()
        text = screen_text(svg)
        same = same + 1 if text == previous else 0
        if same >= 5:
            return svg
        previous = text
        await asyncio.sleep(0.01)  # a poll: settled is five equal screens in a row, not a delay
    raise AssertionError("the screen never settled")


def check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("CX_UPDATE_SNAPSHOTS") or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, "utf-8")
        if not os.environ.get("CX_UPDATE_SNAPSHOTS"):
            pytest.fail(f"no golden file yet: wrote {path}; review it and commit it")
    assert text == path.read_text("utf-8"), f"{name} changed; see {path}"


def ready(mode: str) -> Callable[[CXApp], bool]:
    """When a screen has drawn what it loads."""

    def home(app: CXApp) -> bool:
        screen = app.screen
        lines = screen.query_one("#buckets").lines  # type: ignore[attr-defined]
        return screen.query_one("#profiles").row_count == 4 and bool(  # type: ignore[attr-defined]
            lines and lines[0].loading is None
        )

    def credentials(app: CXApp) -> bool:
        return app.screen.query_one("#profile-list").option_count == 5  # + New profile  # type: ignore[attr-defined]

    def imports(app: CXApp) -> bool:
        tree = app.screen.query_one("#file-tree")
        return bool(tree.root.children)  # type: ignore[attr-defined]

    def tickets(app: CXApp) -> bool:
        return app.screen._whole_ready()  # type: ignore[attr-defined]

    def errors(app: CXApp) -> bool:
        return app.screen.query_one("#catalog-table").row_count > 0  # type: ignore[attr-defined]

    return {
        "home": home,
        "credentials": credentials,
        "imports": imports,
        "tickets": tickets,
        "errors": errors,
    }[mode]


@pytest.fixture
def files_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The import screen lists the working folder: a fixed one, not the repository's."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "customers.csv").write_text("email,phone\na@example.com,+61400000000\n", "utf-8")
    (folder / "contacts.xlsx").write_bytes(b"")
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("mode", ["home", "credentials", "imports", "tickets", "errors"])
async def test_screen_snapshot(
    sandbox_reset: SandboxServer, files_here: Path, mode: str, size: tuple[int, int], theme: str
):
    # A reset sandbox: a fresh rate-limit window for the pages Home and Tickets fetch.
    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url), initial_mode=mode, theme=theme)
    async with app.run_test(size=size) as pilot:
        assert app.theme == theme
        await wait_until(lambda: ready(mode)(app), 30, pilot=pilot)
        text = screen_text(await settled(pilot)).replace(str(files_here), "WORK")
        if mode in CLOCKED:
            # Time passes: time left, its counts and bars, and column widths that follow them.
            # A number's width moves too (9h, 23h): each run of digits masks to one.
            text = re.sub(r"\d+", "9", text)
            text = re.sub("█+", "█", text)
            text = re.sub(r"(?<=\S) {2,}(?=\S)", "  ", text)
            text = re.sub(r"(?m)^ +(?=\S)", " ", text)  # right-aligned first columns
            text = re.sub(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", "Mon", text)
        check(f"{mode}-{size[0]}x{size[1]}", text)
