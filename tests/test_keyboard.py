"""The keyboard model, driven through Pilot: screen keys from every focus state, digits that
stay in fields, focus on arrival on a list, Escape out of any field, a footer that keeps still."""

from __future__ import annotations

import pytest
from conftest import wait_until
from textual.widgets import DataTable, Footer, Input, OptionList, TextArea

from cxconsole.app import SCREENS, CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer

SIZE = (120, 40)


def app_for(sandbox: SandboxServer, mode: str = "home") -> CXApp:
    return CXApp(ctx=Context.for_sandbox(sandbox.url), initial_mode=mode)


async def test_digits_typed_into_a_field_stay_there_and_escape_then_digit_switches(sandbox_reset):
    app = app_for(sandbox_reset, "tickets")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        field = app.screen.query_one("#tickets-search", Input)
        await wait_until(lambda: app.focused is field, pilot=pilot)
        await pilot.press(*"12345")
        assert field.value == "12345"
        assert app.current_mode == "tickets"
        await pilot.press("escape")  # leaves the field (on tickets it also ends the search)
        await wait_until(lambda: app.focused is not field, pilot=pilot)
        typed = field.value
        await pilot.press("5")
        await wait_until(lambda: app.current_mode == "errors", pilot=pilot)
        await pilot.press("4")
        await wait_until(lambda: app.current_mode == "tickets", pilot=pilot)
        assert field.value == typed  # nothing typed by the switches


@pytest.mark.parametrize("mode", list(SCREENS))
async def test_every_screen_key_works_from_every_screen(sandbox_reset, mode: str):
    app = app_for(sandbox_reset, mode)
    async with app.run_test(size=SIZE) as pilot:
        for target, (_, _, key) in SCREENS.items():
            await pilot.press(key)
            await wait_until(lambda target=target: app.current_mode == target, pilot=pilot)
            await pilot.press(SCREENS[mode][2])
            await wait_until(lambda: app.current_mode == mode, pilot=pilot)


@pytest.mark.parametrize("mode", list(SCREENS))
async def test_a_screen_opens_on_its_list_and_escape_leaves_any_field(sandbox_reset, mode: str):
    app = app_for(sandbox_reset, mode)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.focused is not None, pilot=pilot)
        assert not isinstance(app.focused, Input | TextArea), (
            f"{mode} opened with focus on the field {app.focused!r}"
        )
        fields = [w for w in app.screen.query("Input, TextArea") if w.focusable]
        for field in fields[:3]:
            field.focus()
            await wait_until(lambda field=field: app.focused is field, pilot=pilot)
            await pilot.press("escape")
            await wait_until(lambda: not isinstance(app.focused, Input | TextArea), pilot=pilot)
            assert app.current_mode == mode


async def test_f1_opens_the_keys_from_a_field(sandbox_reset):
    from cxconsole.screens.help import HelpScreen

    app = app_for(sandbox_reset, "errors")
    async with app.run_test(size=SIZE) as pilot:
        field = app.screen.query_one("#catalog-search", Input)
        field.focus()
        await wait_until(lambda: app.focused is field, pilot=pilot)
        await pilot.press("question_mark")
        assert field.value == "?"  # typed: it is a field
        await pilot.press("f1")
        await wait_until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot)


async def test_the_footer_is_not_rebuilt_when_focus_moves_between_like_widgets(sandbox_reset):
    app = app_for(sandbox_reset, "home")
    async with app.run_test(size=SIZE) as pilot:
        profiles = app.screen.query_one("#profiles", DataTable)
        runs = app.screen.query_one("#runs", DataTable)
        footer = app.screen.query_one(Footer)
        palette = lambda: footer.query(".-command-palette")  # noqa: E731
        await wait_until(lambda: app.focused is profiles and bool(palette()), pilot=pilot)
        await wait_until(lambda: screen_signature_settled(app), pilot=pilot)
        keys = list(footer.children)
        for target in (runs, profiles, runs):
            target.focus()
            await wait_until(lambda target=target: app.focused is target, pilot=pilot)
            await pilot.pause()
        assert list(footer.children) == keys  # the very same widgets: no rebuild
        # A change in what is shown still reaches it: a screen with other keys.
        await pilot.press("4")
        await wait_until(lambda: app.current_mode == "tickets", pilot=pilot)
        footer4 = app.screen.query_one(Footer)
        described = lambda: [getattr(k, "description", "") for k in footer4.query("FooterKey")]  # noqa: E731
        await wait_until(lambda: "Next" in described(), pilot=pilot)


def screen_signature_settled(app: CXApp) -> bool:
    """The footer draws the screen's keys as they are now (its last rebuild is done)."""
    screen = app.screen
    wanted = {b.binding.action for b in screen.active_bindings.values() if b.binding.show}
    footer = screen.query_one(Footer)
    drawn = {k.action for k in footer.query("FooterKey") if not k.has_class("-command-palette")}
    return drawn == wanted


async def test_credentials_focus_lands_on_the_profile_list(sandbox_reset):
    app = app_for(sandbox_reset, "credentials")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: app.focused is not None, pilot=pilot)
        await pilot.pause()
        assert isinstance(app.focused, OptionList), app.focused


async def test_keys_are_named_as_on_the_keyboard_once_each_and_f1_shows_from_a_field(
    sandbox_reset,
):
    """The imports footer says F2, not f2; the keys screen lists each key once (F5 and ^g
    are two keys of one binding, never "F5" twice); in a field, where "?" is typed, the
    footer offers F1 for the keys instead."""
    from textual.widgets._footer import FooterKey

    from cxconsole.screens.help import HelpScreen

    app = app_for(sandbox_reset, "imports")
    async with app.run_test(size=(80, 24)) as pilot:
        footer = lambda: app.screen.query_one(Footer)  # noqa: E731
        shown = lambda: {  # noqa: E731
            k.action: k.key_display for k in footer().query(FooterKey) if k.display
        }
        await wait_until(lambda: "tab('run')" in shown() or "start" in shown(), pilot=pilot)
        await wait_until(lambda: shown().get("help") == "?", pilot=pilot)
        displays = set(shown().values())
        assert not any(d.startswith("f") and d[1:].isdigit() for d in displays), displays
        assert shown().get("start") == "F5"

        await pilot.press("f1")
        await wait_until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot)
        table = app.screen.query_one(DataTable)
        await wait_until(lambda: table.row_count > 0, pilot=pilot)
        rows = [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        keys = [key for key, _action, _id in rows]
        assert len(keys) == len(set(keys)), f"a key listed twice: {keys}"
        assert ("F5", "Start") in {(k, a) for k, a, _ in rows}
        assert ("F2", "Set up") in {(k, a) for k, a, _ in rows}
        await pilot.press("escape")
        await wait_until(lambda: not isinstance(app.screen, HelpScreen), pilot=pilot)

        field = app.screen.query_one("#file-path", Input)
        field.focus()
        await wait_until(lambda: app.focused is field, pilot=pilot)
        await wait_until(lambda: shown().get("help") == "F1", pilot=pilot, what="F1 Keys")
        await pilot.press("f1")
        await wait_until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot)


@pytest.mark.parametrize("premount", [True, False])
async def test_keys_typed_in_one_burst_with_a_screen_key_reach_the_new_screen(
    sandbox_reset, premount: bool
):
    """ "5/1010" in one read of the terminal ended on Home: "5" went to Home's table, whose
    queue the app does not wait for, so "/" reached Home (dropped) and the digits switched
    screens; "4/x" ran "x" (export) on Tickets; "2", ctrl+n, "newprof" left the name empty.
    Without the screens composed in the background, the keys wait for the new screen."""
    from conftest import burst

    from cxconsole.screens.credentials import CredentialsScreen
    from cxconsole.screens.errors import ErrorsScreen

    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url), premount=premount)
    async with app.run_test(size=SIZE) as pilot:
        await app.context()
        burst(app, "5/1010")
        await wait_until(lambda: isinstance(app.screen, ErrorsScreen), pilot=pilot)
        search = app.screen.query_one("#catalog-search", Input)
        await wait_until(lambda: search.value == "1010", pilot=pilot, what=repr(search.value))
        assert app.current_mode == "errors"

        # (Escape and a digit in one read are alt+digit to a terminal: Escape comes first.)
        await pilot.press("escape")
        await wait_until(lambda: app.focused is not search, pilot=pilot)
        burst(app, "2", "ctrl+n", "newprof")
        await wait_until(lambda: isinstance(app.screen, CredentialsScreen), pilot=pilot)
        name = app.screen.query_one("#name", Input)
        await wait_until(lambda: name.value == "newprof", pilot=pilot, what=repr(name.value))
        assert app.current_mode == "credentials"


async def test_digits_answer_a_dialog_not_switch_screens(sandbox_reset):
    from cxconsole.widgets.choice import Choice

    app = app_for(sandbox_reset)
    async with app.run_test(size=SIZE) as pilot:
        answers: list[object] = []
        app.push_screen(Choice("Which one?", [("qpx", "qpx"), ("qpalt", "qpalt")]), answers.append)
        await wait_until(lambda: isinstance(app.screen, Choice), pilot=pilot)
        await pilot.press("2")
        await wait_until(lambda: answers, pilot=pilot)
        assert answers == ["qpalt"] and app.current_mode == "home"
