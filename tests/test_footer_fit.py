"""Every screen's footer is whole at 80 columns: each key it draws is inside the screen, the
keys it leaves out are the screen's least important (its last), the app's keys (screens, help,
quit) always stay, and a wider terminal gets the dropped keys back."""

from __future__ import annotations

import pytest
from conftest import wait_until
from textual.widgets import Footer

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer
from cxconsole.widgets.footer import CXFooter

MODES = ["home", "credentials", "imports", "tickets", "errors"]


def footer(app: CXApp) -> CXFooter:
    found = app.screen.query_one(Footer)
    assert isinstance(found, CXFooter), "every screen has the fitting footer"
    return found


def settled(app: CXApp) -> bool:
    """The footer holds every key the screen shows now, each laid out or dropped."""
    screen = app.screen
    keys = list(footer(app).query("FooterKey"))
    wanted = {b.binding.action for b in screen.active_bindings.values() if b.binding.show}
    held = {k.action for k in keys if not k.has_class("-command-palette")}
    return (
        bool(wanted)
        and held == wanted
        and all(k.region.width or not k.display for k in keys)
        and footer(app).fitted
    )


def own_order(app: CXApp) -> list[str]:
    """The actions of the screen's own footer keys, in the screen's order of importance."""
    actions = [
        active.binding.action
        for active in app.screen.active_bindings.values()
        if active.binding.show and active.node is not app
    ]
    return list(dict.fromkeys(actions))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("mode", MODES)
async def test_the_footer_draws_whole_keys_and_keeps_the_apps(
    sandbox_reset: SandboxServer, mode: str, size: tuple[int, int]
):
    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url), initial_mode=mode)
    async with app.run_test(size=size) as pilot:
        await wait_until(lambda: settled(app), 20, pilot=pilot, what="footer drawn")
        keys = list(footer(app).query("FooterKey"))
        drawn = [k for k in keys if k.display]
        assert all(k.region.right <= size[0] for k in drawn), [
            (k.description, k.region) for k in drawn if k.region.right > size[0]
        ]
        app_keys = footer(app).app_keys()
        kept = [k for k in keys if k.key in app_keys and not k.has_class("-command-palette")]
        assert all(k.display for k in kept), "screens, help, quit stay"
        assert {"help", "quit"} <= {k.action for k in drawn}
        # What is left out is the tail of the screen's own keys, never one in the middle.
        order = own_order(app)
        dropped = [k.action for k in keys if not k.display and k.action in order]
        assert dropped == order[len(order) - len(dropped) :]


async def test_a_wider_terminal_gets_the_dropped_keys_back(sandbox_reset: SandboxServer):
    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url), initial_mode="tickets")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: settled(app), 20, pilot=pilot, what="footer drawn")
        hidden = [k for k in footer(app).query("FooterKey") if not k.display]
        assert hidden, "tickets has more keys than 80 columns hold"
        assert any(k.has_class("-command-palette") for k in hidden), "the palette key goes first"
        await pilot.resize_terminal(200, 40)

        def all_back() -> bool:
            keys = list(footer(app).query("FooterKey"))
            return settled(app) and bool(keys) and all(k.display for k in keys)

        await wait_until(all_back, 20, pilot=pilot, what="every key back")


async def test_a_screen_asked_for_its_keys_without_its_tabs_answers(sandbox_reset: SandboxServer):
    """The footer may ask a screen for its keys while the screen is being left or torn down
    (its tabs gone): that once ended the app with NoMatches in the tmux walk."""
    from cxconsole.screens.errors import ErrorsScreen
    from cxconsole.screens.imports import ImportsScreen

    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url), initial_mode="home")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: settled(app), 20, pilot=pilot, what="footer drawn")
        assert ErrorsScreen().active_tab == "catalog"
        assert ImportsScreen().active_tab == "setup"
        for key in "5151535":  # in and out before the footers settle
            await pilot.press(key)
        await wait_until(lambda: settled(app), 20, pilot=pilot, what="footer drawn")
        assert app.is_running and app.current_mode == "errors"
