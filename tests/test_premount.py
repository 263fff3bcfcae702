"""Screens composed in the background after the first frame: a first visit finds its screen
ready, a quit while one is composed ends cleanly, and the boot thread imports every screen
before the context is published (no other thread imports alongside it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest
from conftest import wait_until
from textual.widgets import DataTable, Input, TextArea

from cxconsole.app import SCREENS, CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer
from cxconsole.screens.imports import ImportsScreen


def composed(app: CXApp) -> set[str]:
    """The modes whose screen exists and is mounted (Textual keeps one stack per mode)."""
    stacks = app._screen_stacks
    return {mode for mode in SCREENS if stacks.get(mode) and stacks[mode][0].is_mounted}


async def test_every_screen_is_composed_before_its_first_visit(sandbox: SandboxServer):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: composed(app) == set(SCREENS), 30, pilot=pilot)
        assert app.current_mode == "home", "composed in the background, not shown"
        early = app._screen_stacks["imports"][0]
        await pilot.press("3")
        await wait_until(lambda: isinstance(app.screen, ImportsScreen), pilot=pilot)
        assert app.screen is early, "the first visit shows the screen made beforehand"
        # Its keys and focus are those of a first visit: the file list, not a text field.
        assert app.screen.focused is not None
        assert not isinstance(app.screen.focused, (Input, TextArea))


async def test_without_premount_a_screen_is_composed_on_its_visit(sandbox: SandboxServer):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url), premount=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#profiles", DataTable)
        await wait_until(lambda: table.row_count == 4, pilot=pilot)
        assert composed(app) == {"home"}


async def test_quitting_while_a_screen_is_composed_ends_cleanly(sandbox: SandboxServer):
    """Torn down half-mounted, a screen's mount handler found its widgets gone and the app
    ended on an internal error (NoMatches '#guidance'), seen when quitting at once."""
    for frames in range(6):
        app = CXApp(ctx=Context.for_sandbox(sandbox.url), initial_mode="imports")
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(frames):
                await pilot.pause()
        assert app._exception is None, (frames, app._exception)
        assert not app._exit_renderables, "no internal-error line"


def composing(app: CXApp) -> bool:
    return app._composing is not None and not app._composing.done()


@pytest.mark.parametrize("steps", range(6))
async def test_a_quit_while_a_screen_is_composed_in_the_background_ends_cleanly(
    sandbox: SandboxServer, steps: int, capsys: pytest.CaptureFixture[str]
):
    """ctrl+q (App.exit) while a screen was composed in the background: Textual mounts
    nothing once the app exits, so the screen's mount handler found its widgets missing and
    the app ended on an internal error. The quit now waits for the compose."""
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=(120, 40)):
        await wait_until(lambda: composing(app), 30, what="a screen composed in the background")
        for _ in range(steps):  # at each point of the compose
            await asyncio.sleep(0)
        app.exit()
        await wait_until(lambda: not app.is_running, 30, what="the app ended")
    assert app._exception is None, (steps, app._exception)
    assert "internal error" not in capsys.readouterr().err
    assert app.return_code == 0


async def test_a_quit_right_after_a_screen_key_ends_cleanly(
    sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
):
    """The same on a first visit without the background compose: the key, then the quit."""
    app = CXApp(ctx=Context.for_sandbox(sandbox.url), premount=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.context()
        await pilot.press("2")
        app.exit()
        await wait_until(lambda: not app.is_running, 30, what="the app ended")
    assert app._exception is None, app._exception
    assert "internal error" not in capsys.readouterr().err


def test_the_boot_thread_imports_every_screen_before_the_context():
    """Home's loader (a thread, once the context is there) and the boot thread importing the
    same package at once met Python's import deadlock error. In a fresh interpreter: once the
    context is published, every screen's module is already imported."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from cxconsole.app import SCREENS, CXApp

        async def main():
            app = CXApp(sandbox=True, premount=False)
            async with app.run_test(size=(80, 24)):
                await app.context()
                missing = [p for p, _, _ in SCREENS.values()
                           if p.split(":")[0] not in sys.modules]
                print("missing", missing)

        asyncio.run(main())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert "missing []" in out.stdout, out.stdout + out.stderr


async def test_a_screen_composed_early_calls_no_vendor_before_its_visit(sandbox: SandboxServer):
    """The tickets screen fetches every page for its order: composed in the background it must
    wait for the operator, or each start of the app would spend the vendor's rate limit."""
    from cxconsole.screens.tickets import TicketsScreen

    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: composed(app) == set(SCREENS), 30, pilot=pilot)
        tickets = app._screen_stacks["tickets"][0]
        assert isinstance(tickets, TicketsScreen)
        for _ in range(20):
            await pilot.pause()
        assert tickets.profile is None and tickets.pager is None, "no profile opened, no page"
        await pilot.press("4")
        await wait_until(lambda: tickets.table.row_count > 0, 30, pilot=pilot, what="tickets")
        assert tickets.profile == "sandbox-questionpro"
