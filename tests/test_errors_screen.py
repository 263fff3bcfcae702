"""The error inspector, driven through Textual's Pilot: search, decode, session errors, inspect."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from conftest import burst, wait_until
from pydantic import SecretStr
from textual import events
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList, Select, Static, TabbedContent, TextArea

from cxconsole.app import CXApp
from cxconsole.client import VendorError
from cxconsole.context import Context
from cxconsole.profiles import Account
from cxconsole.sandbox.server import SandboxServer
from cxconsole.screens.errors import ErrorsScreen
from cxconsole.widgets.catalog_detail import CatalogDetail
from cxconsole.widgets.catalog_table import CatalogTable
from cxconsole.widgets.decode_result import DecodeResult

SIZE = (120, 40)
SEEDS = Path(__file__).parent / "fixtures" / "seeds"
# The Webex document's failure that arrives with HTTP 200.
WEBEX_200 = (
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "\r\n"
    '{"statuscode": 1010, "description": "The request was not processed."}'
)


async def inspector(pilot) -> ErrorsScreen:
    """The errors screen, once its catalog is on screen."""
    await wait_until(lambda: isinstance(pilot.app.screen, ErrorsScreen), pilot=pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ErrorsScreen)
    await wait_until(lambda: screen.query_one(CatalogTable).row_count > 0, pilot=pilot)
    return screen


def flat(text: str) -> str:
    return " ".join(text.split())


def shown_text(widget: Widget) -> str:
    """What ``widget`` draws (its Statics and options, as rendered), wrapping undone."""
    lines: list[str] = []
    for static in widget.query(Static):
        if static.display and static.parent.display and static.size.area:
            region = Region(0, 0, static.size.width, static.size.height)
            lines += [strip.text for strip in static.render_lines(region)]
    for options in widget.query(OptionList):
        if options.display:
            lines += [
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]
    return flat("\n".join(lines))


async def paste(pilot, screen: ErrorsScreen, text: str) -> None:
    """Paste into the decode area as a terminal does (bracketed paste), replacing its text."""
    area = screen.query_one("#decode-input", TextArea)
    area.clear()
    area.post_message(events.Paste(text))
    await pilot.pause()


async def decoded_after(pilot, screen: ErrorsScreen, previous: object = None):
    result = screen.query_one(DecodeResult)
    await wait_until(
        lambda: result.decoded is not None and result.decoded is not previous, pilot=pilot
    )
    await pilot.pause()  # laid out, so its text can be read
    return result.decoded


async def test_search_shows_every_vendors_1010_and_the_vendor_filter_narrows(
    sandbox: SandboxServer,
):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url), initial_mode="errors")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inspector(pilot)
        table = screen.query_one(CatalogTable)
        everything = table.row_count
        burst(app, "/1010")  # in one instant: the digits must neither switch screens nor go
        search = screen.query_one("#catalog-search", Input)
        await wait_until(lambda: search.value == "1010", pilot=pilot, what=repr(search.value))
        await pilot.pause()
        assert app.current_mode == "errors"
        listed = [(e.vendor, e.code) for e in table.entries]
        assert listed[:2] == [("questionpro", "1010"), ("webex", "1010")]  # exact code first
        assert table.row_count == len(listed) < everything
        assert [str(table.get_row_at(i)[1]) for i in range(2)] == ["1010", "1010"]
        detail = screen.query_one(CatalogDetail)
        assert (detail.entry.vendor, detail.entry.code) == ("questionpro", "1010")
        assert "Incorrect API Key" in shown_text(detail)

        await pilot.press("escape")  # back to the table, the search stays
        vendor = screen.query_one("#catalog-vendor", Select)
        for _ in range(8):
            if vendor.value == "webex":
                break
            await pilot.press("v")
        await pilot.pause()
        assert vendor.value == "webex"
        assert {e.vendor for e in table.entries} == {"webex"}
        assert (table.entries[0].code, table.entries[0].name) == ("1010", "NOT_PROCESSED")
        assert "arrives with HTTP 200" in shown_text(screen.query_one(CatalogDetail))

        await pilot.press("c")
        assert app.clipboard.startswith("Webex Campaign 1010 NOT_PROCESSED")
        assert "What to do:" in app.clipboard

        await pilot.press("slash", "ctrl+a", *"zqz")
        await pilot.pause()
        assert table.row_count == 0
        assert "Nothing matches" in shown_text(screen.query_one("#catalog-left"))


async def test_paste_of_the_documented_401_body_decodes_to_questionpro_1010(
    sandbox: SandboxServer,
):
    body = (SEEDS / "qp_import_401.txt").read_text("utf-8")
    assert "www.questionpro.com/api/error-codes.html\n" in body  # the unquoted docs URL
    app = CXApp(ctx=Context.for_sandbox(sandbox.url), initial_mode="errors")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inspector(pilot)
        await pilot.press("d")
        assert screen.query_one(TabbedContent).active == "decode"
        assert app.focused is screen.query_one("#decode-input", TextArea)
        await paste(pilot, screen, body)  # no key pressed: decoded on the debounce
        decoded = await decoded_after(pilot, screen)
        assert (decoded.vendor, decoded.code, decoded.entry.name) == (
            "questionpro",
            "1010",
            "UNAUTHORIZED",
        )
        assert not decoded.ok
        text = shown_text(screen.query_one(DecodeResult))
        assert "NOT OK" in text and "UNAUTHORIZED" in text and "QuestionPro CX" in text
        assert flat(decoded.entry.action_for("tui")) in text and flat(decoded.entry.meaning) in text
        assert "Matched by the vendor's code in the body" in text
        assert "never" in text  # retryable
        assert "body repaired: unquoted value" in text
        assert "code 1010 from response.error.id" in text
        # The catalog follows: its detail pane holds the same entry.
        assert screen.query_one(CatalogDetail).entry == decoded.entry


async def test_the_issue_109_body_is_recognised_without_a_vendor_and_says_how(
    sandbox: SandboxServer,
):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url), initial_mode="errors")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inspector(pilot)
        await pilot.press("d")
        await paste(
            pilot, screen, '{"code": 109, "message": "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS"}'
        )
        await pilot.press("f5")
        decoded = await decoded_after(pilot, screen)
        assert (decoded.vendor, decoded.code, decoded.matched_by) == ("noojee", "109", "name")
        text = shown_text(screen.query_one(DecodeResult))
        assert "Matched by the message or name equals one entry's name" in text
        assert "recognised by name" in text and "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS" in text
        assert screen.query_one(CatalogDetail).entry == decoded.entry


def slow_decoding_app(sandbox: SandboxServer) -> CXApp:
    """The errors screen with a debounce no test outlives: only a key decodes the paste."""
    return CXApp(
        ctx=Context.for_sandbox(sandbox.url),
        initial_mode="errors",
        screens={"errors": lambda: ErrorsScreen(decode_debounce_s=60)},
    )


async def test_webex_failure_with_http_200_decodes_as_not_ok_on_f5(
    sandbox: SandboxServer,
):
    app = slow_decoding_app(sandbox)  # only the key can decode
    async with app.run_test(size=SIZE) as pilot:
        screen = await inspector(pilot)
        await pilot.press("right_square_bracket")
        await paste(pilot, screen, WEBEX_200)
        await pilot.press("f5")  # the alias of ctrl+enter, heard inside the paste area
        decoded = await decoded_after(pilot, screen)
        assert (decoded.vendor, decoded.code, decoded.entry.name) == (
            "webex",
            "1010",
            "NOT_PROCESSED",
        )
        assert decoded.http_status == 200 and decoded.ok is False
        text = shown_text(screen.query_one(DecodeResult))
        assert "NOT OK" in text and "Webex Campaign" in text and "NOT_PROCESSED" in text
        assert "HTTP 200 from status line" in text

        # The vendor hint re-decodes at once: read as QuestionPro, 1010 is not this body's.
        screen.query_one("#decode-vendor", Select).value = "questionpro"
        hinted = await decoded_after(pilot, screen, decoded)
        assert any("QuestionPro CX (given)" in note for note in hinted.recognised)


async def test_garbage_is_not_recognised_and_offers_the_closest(
    sandbox: SandboxServer,
):
    app = slow_decoding_app(sandbox)  # only the keys can decode
    async with app.run_test(size=SIZE) as pilot:
        screen = await inspector(pilot)
        await pilot.press("d")
        await paste(pilot, screen, "HTTP/1.1 401 Unauthorized\n\n<html><b>denied</b></html>")
        await pilot.press("ctrl+d")
        decoded = await decoded_after(pilot, screen)
        assert decoded.entry is None and not decoded.ok
        result = screen.query_one(DecodeResult)
        text = shown_text(result)
        assert "NOT RECOGNISED" in text and "Closest matches" in text
        assert "QuestionPro CX 1010 UNAUTHORIZED" in text
        assert "[b]" not in text  # the pasted body never becomes markup

        # Enter on a close match opens it in the catalog.
        options = result.query_one("#decode-candidates", OptionList)
        first = result.candidates[0]
        options.focus()
        await pilot.pause()
        options.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "catalog"
        assert screen.query_one(CatalogTable).highlighted_entry == first

        await pilot.press("d")
        await paste(pilot, screen, "zzzz qqqq")
        await pilot.press("f5")
        await decoded_after(pilot, screen, decoded)
        text = shown_text(result)
        assert "NOT RECOGNISED" in text and "body is not JSON" in text
        assert "Closest matches: none in the catalog" in text


async def test_session_errors_are_live_counted_and_open_decoded(sandbox_reset: SandboxServer):
    ctx = Context.for_sandbox(sandbox_reset.url)
    app = CXApp(ctx=ctx, initial_mode="errors")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inspector(pilot)
        await pilot.press("e")
        table = screen.query_one("#session-table", DataTable)
        assert table.row_count == 0
        assert "No vendor errors yet" in shown_text(screen.query_one("#session"))

        profile = await asyncio.to_thread(ctx.profiles.get, "sandbox-questionpro")
        account = Account.open(profile, SecretStr("not-the-key"))
        with pytest.raises(VendorError) as caught:
            await account.test(ctx.client)  # a real 401 from the emulator
        app.report_error(caught.value, "connection test", profile="sandbox-questionpro")
        await wait_until(lambda: table.row_count == 1, pilot=pilot)
        # An import worker records from its own thread.
        await asyncio.to_thread(
            ctx.errors.record_error, caught.value, "import", run_id="r-1", batch=3
        )
        await wait_until(lambda: str(table.get_row_at(0)[4]) == "2", pilot=pilot)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[1:4] == ["QuestionPro", "1010", "UNAUTHORIZED"]
        assert "import, run r-1, batch 3" in row[6]
        assert screen.query_one(TabbedContent).get_tab("session").label_text == (
            "Session errors (2)"
        )
        # The occurrences pane follows the table on the next coalesced redraw.
        await wait_until(
            lambda: (
                "connection test, profile sandbox-questionpro"
                in shown_text(screen.query_one("#session-occurrences"))
            ),
            pilot=pilot,
        )
        assert "batch 3" in shown_text(screen.query_one("#session-occurrences"))

        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "decode"
        pasted = screen.query_one("#decode-input", TextArea).text
        assert pasted.startswith("HTTP/1.1 401") and '"1010"' in pasted
        result = screen.query_one(DecodeResult)
        assert result.decoded is not None
        assert (result.decoded.vendor, result.decoded.entry.code) == ("questionpro", "1010")
        text = shown_text(result)
        assert "From import, run r-1, batch 3" in text and "UNAUTHORIZED" in text
        assert screen.query_one(CatalogDetail).entry == result.decoded.entry


async def test_inspect_from_another_screen_lands_decoded(sandbox_reset: SandboxServer):
    ctx = Context.for_sandbox(sandbox_reset.url)
    app = CXApp(ctx=ctx, initial_mode="home")
    async with app.run_test(size=SIZE) as pilot:
        profile = await asyncio.to_thread(ctx.profiles.get, "sandbox-webex")
        account = Account.open(profile, SecretStr("not-the-key"))
        with pytest.raises(VendorError) as caught:
            await account.test(ctx.client)
        assert app.current_mode == "home"
        # As a screen's action does it (inside the app), before the inspector was ever composed.
        app.call_later(app.inspect, caught.value)
        screen = await inspector(pilot)
        result = screen.query_one(DecodeResult)
        await wait_until(lambda: result.decoded is not None, pilot=pilot)
        await pilot.pause()
        assert app.current_mode == "errors"
        assert screen.query_one(TabbedContent).active == "decode"
        assert (result.decoded.vendor, result.decoded.entry.code) == ("webex", "430")
        assert '"statuscode": 430' in screen.query_one("#decode-input", TextArea).text
        assert "AUTHORIZATION_FAILED" in shown_text(result)
        assert screen.query_one("#decode-vendor", Select).value == "webex"

        # A decoded reply lands in the decode tab with its status and body.
        from cxconsole.catalog import decode_reply, lookup

        webex = decode_reply(200, '{"statuscode": 1010, "description": "feed unknown"}')
        app.call_later(app.inspect, webex)
        await wait_until(lambda: result.decoded is webex, pilot=pilot)
        pasted = screen.query_one("#decode-input", TextArea).text
        assert pasted.startswith("HTTP/1.1 200 OK") and '"statuscode": 1010' in pasted
        assert screen.query_one(CatalogDetail).entry == lookup("webex", "1010")

        # A catalog entry lands in the catalog, even when the search hides it.

        entry = lookup("noojee", "109")
        await pilot.press("slash", *"1010")
        await pilot.pause()
        assert entry not in screen.query_one(CatalogTable).entries
        app.call_later(app.inspect, entry)
        await pilot.pause()
        assert screen.query_one(TabbedContent).active == "catalog"
        assert screen.query_one(CatalogTable).highlighted_entry == entry
        assert screen.query_one(CatalogDetail).entry == entry
