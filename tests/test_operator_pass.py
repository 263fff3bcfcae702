"""A new operator's pass at 80x24, driven through Pilot against the sandbox over real HTTP.

Every text whole at 80x24 (the set-up's "Read as", the run summary's resume hint, the history's
counts, the credentials form after a connection test); a resumed run's counts are the whole
run's, read from the core (batches done = total, rows that add up to the file); rows of unknown
outcome shown as unknown in the history and on Home; "% ok" of the batches finished.
"""

from __future__ import annotations

from pathlib import Path

from conftest import wait_until
from test_imports_screen import faults, open_imports, set_up, start, text, webex_rows, wx_file
from test_snapshots import screen_text
from textual.widgets import DataTable, Input, Static

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer
from cxconsole.screens.credentials import CredentialsScreen
from cxconsole.widgets.import_history import HistoryTable

SMALL = (80, 24)


def shown(app: CXApp) -> str:
    """The screen's text as the operator sees it."""
    return screen_text(app.export_screenshot())


def flat(app: CXApp) -> str:
    """The screen's text with its line breaks taken out: a wrapped text reads whole."""
    return " ".join(" ".join(line.split()) for line in shown(app).splitlines())


def dense(words: str) -> str:
    """Text without its spaces and line breaks: a path wrapped anywhere still matches."""
    return "".join(words.split())


def whole_columns(table: DataTable) -> bool:
    """Every column of the table inside its width: nothing scrolled off to the right."""
    return sum(c.get_render_width(table) for c in table.ordered_columns) <= table.size.width


async def test_a_cancelled_run_resumed_from_history_counts_the_whole_run_at_80x24(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, good, _invalid = wx_file(tmp_path / "customers-with-a-long-name.csv", 300)
    faults(url, latency_ms=40)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=5, at_once=2)
        # How the file is read, whole: it wraps under its label rather than being cut.
        detected = text(screen.query_one("#detected", Static))
        assert detected.endswith("kB") and "4 columns" in detected
        await wait_until(lambda: "4 columns" in flat(app), pilot=pilot)
        assert detected.split(" · ")[-1] in flat(app)

        await start(pilot, screen)
        await wait_until(lambda: screen.book.counts()["ok"] >= 6, pilot=pilot)
        await pilot.press("x")
        await wait_until(lambda: screen.summary is not None, 15, pilot=pilot)
        first = screen.summary
        assert first is not None and first.state == "cancelled"
        assert first.rows_not_sent > 0 and first.batches_not_sent > 0
        # The rows add up to the file; "not" is every row not imported, the unsent included.
        assert first.rows_imported + first.rows_not_imported == first.rows_total == 300
        done = first.batches_ok + first.batches_failed + first.batches_unknown
        assert done + first.batches_partial + first.batches_not_sent == 60
        await wait_until(lambda: f"{first.rows_not_imported:,} not" in flat(app), pilot=pilot)
        counts = text(screen.query_one("#run-counts", Static))
        assert f"Batches: {done} of 60 done" in counts
        assert f"{first.batches_not_sent} not sent" in counts
        # Of the batches finished, every one went in: queued ones are not in the share.
        assert text(screen.query_one("#run-outcomes", Static)).endswith("100% ok")
        # The resume hint and the journal, whole on screen (a long path wraps).
        assert f"cxconsole import --resume {first.run_id}" in flat(app)
        assert dense(f"Journal: {first.journal_path}") in dense(shown(app))
        footer = app.screen.query_one("CXFooter")
        panel = screen.query_one("#run-summary", Static)
        assert panel.region.bottom <= footer.region.y

        # The history: counts whole, unknown apart; the run resumes from there.
        await pilot.press("f4")
        history = screen.query_one(HistoryTable)
        await wait_until(lambda: any(r.run_id == first.run_id for r in history.runs), pilot=pilot)
        await wait_until(lambda: history.size.width > 0, pilot=pilot)
        assert whole_columns(history)
        keys = [str(c.key.value) for c in history.ordered_columns]
        assert {"imported", "listed", "unknown"} <= set(keys)
        row = history.get_row_at(history.cursor_row)
        assert str(row[keys.index("imported")]) == f"{first.rows_imported:,}"
        detail = text(screen.query_one("#history-detail", Static))
        assert f"{first.rows_not_sent:,} not sent" in detail
        # The panel whole, to its last line (the table above gives up the room).
        await wait_until(lambda: "enter or r: resume it" in flat(app), pilot=pilot)
        assert "e: fix its rejected rows" in flat(app)

        faults(url, latency_ms=0)
        await pilot.press("enter")
        await wait_until(lambda: screen.run is not None and screen.run.resumed, 10, pilot=pilot)
        await wait_until(
            lambda: screen.summary is not None and screen.summary.state == "finished",
            30,
            pilot=pilot,
        )
        final = screen.summary
        assert final is not None and final.run_id == first.run_id
        # The whole run, not this session's batches: done = total, every row in.
        assert (final.batches_ok, final.batches_total, final.batches_not_sent) == (60, 60, 0)
        assert (final.rows_imported, final.rows_not_imported) == (300, 0)
        await wait_until(
            lambda: "Batches: 60 of 60 done · 60 ok" in text(screen.query_one("#run-counts")),
            pilot=pilot,
        )
        assert "300 of the 300 rows in the file imported, 0 not" in flat(app)
    sent = [r["Ref"] for r in webex_rows(url)]
    assert set(sent) == good and len(sent) == len(good)


async def test_rows_of_unknown_outcome_are_unknown_in_the_history_and_on_home(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, _good, invalid = wx_file(tmp_path / "lost.csv", 20, bad=(3,))
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=5, at_once=1)
        # Every reply lost after the vendor applied the batch: the outcome is unknown.
        faults(url, rate=1.0, faults=["drop_after"])
        await start(pilot, screen)
        await wait_until(lambda: screen.summary is not None, 30, pilot=pilot)
        summary = screen.summary
        assert summary is not None and summary.rows_unknown == 19
        assert summary.rows_invalid == len(invalid) == 1
        faults(url, rate=0.0)
        # The rows listed, as --json's rows_rejected counts them, the unknown among them said
        # apart; a code is never cut in the table.
        await wait_until(lambda: "19 unknown" in text(screen.query_one("#run-rate")), pilot=pilot)
        assert "· 20 listed (19 unknown) ·" in text(screen.query_one("#run-rate", Static))
        assert "UNKNOWN_OUTCOME" in flat(app)

        await pilot.press("f4")
        history = screen.query_one(HistoryTable)
        await wait_until(lambda: history.runs, pilot=pilot)
        keys = [str(c.key.value) for c in history.ordered_columns]
        row = history.get_row_at(history.cursor_row)
        # Listed as --json's rows_rejected: the invalid row and the unknown ones.
        assert str(row[keys.index("listed")]) == str(summary.rows_rejected) == "20"
        assert str(row[keys.index("unknown")]) == "19"
        detail = text(screen.query_one("#history-detail", Static))
        assert "20 listed (1 invalid, 19 unknown)" in detail, detail
        assert whole_columns(history)
        await wait_until(lambda: "u sends them again" in flat(app), pilot=pilot)

        await pilot.press("escape", "1")
        await wait_until(lambda: type(app.screen).__name__ == "HomeScreen", pilot=pilot)
        runs = app.screen.query_one("#runs", DataTable)
        await wait_until(lambda: runs.row_count == 1, 20, pilot=pilot)
        labels = [str(c.label) for c in runs.ordered_columns]
        bar = runs.get_row_at(0)[labels.index("Outcome")]
        assert "?" in bar.plain, f"unknown rows must show as unknown: {bar.plain!r}"
        success = app.theme_variables["success"]
        green = sum(s.end - s.start for s in bar.spans if str(s.style) == success)
        assert green == 0, "no row went in for sure: no green"
        state = str(runs.get_row_at(0)[labels.index("State")])
        assert state == "✗ finished, none in", "Home says what the history says"


async def test_the_credentials_form_stays_whole_after_a_connection_test_at_80x24(
    sandbox_reset: SandboxServer,
) -> None:
    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url), initial_mode="credentials")
    async with app.run_test(size=SMALL) as pilot:
        screen = app.screen
        assert isinstance(screen, CredentialsScreen)
        await wait_until(lambda: screen.built_vendor is not None, pilot=pilot)
        screen.load_profile("sandbox-questionpro")
        await wait_until(lambda: screen.editing == "sandbox-questionpro", pilot=pilot)
        hint = text(screen.query_one("#hint-base_url", Static))
        assert "leave empty" not in hint and "required in the sandbox" in hint
        assert f"{sandbox_reset.url}/qp" in hint
        await pilot.press("ctrl+t")
        result = screen.query_one("#result", Static)
        await wait_until(lambda: result.display and "accepted" in text(result), pilot=pilot)
        await pilot.pause()
        # The form keeps its width: its fields are not squeezed to a word a line.
        for name in ("#name", "#base_url", "#phone_region"):
            assert screen.query_one(name, Input).size.width >= 30, name
        outcome = screen.query_one("#outcome")
        assert outcome.region.right <= SMALL[0] and outcome.region.width >= 50
        assert "accepted" in flat(app)
