"""A focused field shows a bar in the accent colour on its left, in every kind of field: a
compact Input and a compact Select alike (a Select's own focus is a 5% tint, unseen at 256
colours). The bar's place is kept blank when not focused, so nothing moves."""

from __future__ import annotations

from conftest import wait_until
from textual.widgets import Input, Select
from textual.widgets._select import SelectCurrent

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer


async def test_a_focused_select_and_input_show_the_accent_bar(sandbox_reset: SandboxServer):
    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url), initial_mode="credentials")
    async with app.run_test(size=(120, 40)) as pilot:
        vendor = app.screen.query_one("#vendor", Select)
        name = app.screen.query_one("#name", Input)
        accent = app.current_theme.to_color_system().generate()["accent"]

        def bar(widget) -> tuple[str, str]:
            target = widget.query_one(SelectCurrent) if isinstance(widget, Select) else widget
            kind, colour = target.styles.border_left
            return kind, colour.hex.lower()

        await wait_until(lambda: app.focused is not None, pilot=pilot, what="focus")
        for field in (vendor, name):
            assert bar(field)[0] == "outer" and bar(field)[1] != accent.lower()
            field.focus()
            await wait_until(lambda field=field: app.focused is field, pilot=pilot)
            await wait_until(
                lambda field=field: bar(field) == ("outer", accent.lower()),
                pilot=pilot,
                what="accent bar",
            )
