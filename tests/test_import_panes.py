"""The import screen's panes talk by messages: the history pane asks for a resume, the screen
hands it to the run pane, which says when it follows the run; and no pane reaches into another.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from conftest import wait_until
from test_imports_screen import counts, faults, open_imports, set_up, start, wx_file
from textual.message import Message

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer
from cxconsole.screens.imports.history_pane import HistoryPane
from cxconsole.screens.imports.run_pane import RunPane
from cxconsole.widgets.import_history import HistoryTable

PANES = Path(__file__).parents[1] / "cxconsole" / "screens" / "imports"
PANE_MODULES = ("setup_pane", "run_pane", "history_pane", "fix_pane")


async def test_history_asks_the_screen_by_message_and_the_run_pane_follows(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, _good, _ = wx_file(tmp_path / "rows.csv", 200)
    faults(url, latency_ms=40)
    seen: list[Message] = []

    def hook(message: Message) -> None:
        # The hook sees a message at each node it bubbles through: keep each once.
        if all(message is not m for m in seen):
            seen.append(message)

    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=5, at_once=1)
        await start(pilot, screen)
        await wait_until(lambda: counts(screen)["ok"] >= 2, pilot=pilot)
        await pilot.press("x")
        await wait_until(lambda: screen.summary is not None, 15, pilot=pilot)
        summary = screen.summary
        assert summary is not None and summary.resumable
        started: list[Any] = [m for m in seen if isinstance(m, RunPane.Started)]
        assert len(started) == 1

        await pilot.press("f4")
        history = screen.query_one(HistoryTable)
        await wait_until(lambda: any(r.run_id == summary.run_id for r in history.runs), pilot=pilot)
        assert history.current is not None and history.current.run_id == summary.run_id
        await pilot.press("enter")
        await wait_until(lambda: screen.run is not None and screen.run.resumed, 10, pilot=pilot)
        asked = [m for m in seen if isinstance(m, HistoryPane.ResumeRequested)]
        assert [m.run_id for m in asked] == [summary.run_id]
        followed = [m for m in seen if isinstance(m, RunPane.Started)]
        assert len(followed) == 2 and followed[-1].run.resumed
        assert screen.active_tab == "run"
        await pilot.press("x")  # leave nothing running behind the test
        await wait_until(lambda: screen.summary is not None, 15, pilot=pilot)


def test_no_pane_imports_another_pane():
    for name in PANE_MODULES:
        tree = ast.parse((PANES / f"{name}.py").read_text("utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        others = {f"cxconsole.screens.imports.{o}" for o in PANE_MODULES if o != name}
        assert not imported & others, f"{name} imports {imported & others}"
