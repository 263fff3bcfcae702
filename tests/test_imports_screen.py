"""The import screen, driven through Textual's Pilot against the sandbox over real HTTP.

Every test proves its outcome from the emulator's own record (``/_sandbox/record``): each valid
row arrived exactly once, the invalid ones are in the rejects file, nothing was sent while
paused, a cancelled run resumed from the history finishes once, failed batches retried go in.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from conftest import wait_until
from import_support import faults, record
from textual.widgets import Input, OptionList, Select, Static

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer
from cxconsole.screens.imports import ImportsScreen
from cxconsole.widgets.batch_table import BatchTable
from cxconsole.widgets.import_history import HistoryTable
from cxconsole.widgets.import_mapping import FieldPicker, MappingFilePrompt, MappingTable
from cxconsole.widgets.import_preview import PreviewTable

SIZE = (120, 40)


# -- helpers ------------------------------------------------------------------------------------
def wx_file(path: Path, count: int, bad: tuple[int, ...] = ()) -> tuple[Path, set[str], set[int]]:
    """Webex records with a unique Ref; rows numbered in ``bad`` carry a broken e-mail."""
    good, invalid = set(), set()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["Mobile", "First Name", "Email Address", "Ref"])
        for i in range(1, count + 1):
            email = f"w{i}@example.com"
            if i in bad:
                email = f"w{i}@@example.com"
                invalid.add(i + 1)  # the header is line 1
            else:
                good.add(f"wx{i}")
            writer.writerow([f"+44733{i:06d}", f"F{i}", email, f"wx{i}"])
    return path, good, invalid


def webex_rows(url: str) -> list[dict[str, Any]]:
    return record(url)["webex"]


def webex_requests(url: str) -> int:
    return httpx.get(f"{url}/_sandbox/stats", timeout=10).json()["requests"]["webex"]


def text(widget: Static) -> str:
    return " ".join(str(widget.render()).split())


async def open_imports(pilot: Any) -> ImportsScreen:
    await wait_until(lambda: isinstance(pilot.app.screen, ImportsScreen), pilot=pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ImportsScreen)
    await wait_until(lambda: bool(screen.profiles), pilot=pilot)
    return screen


async def set_up(
    pilot: Any, screen: ImportsScreen, path: Path, profile: str, batch: int, at_once: int = 4
) -> None:
    """Type the path and enter, pick the profile, set the batch size and concurrency."""
    box = screen.query_one("#file-path", Input)
    screen.set_focus(box)
    await pilot.pause()
    box.value = str(path.parent) + "/"
    await pilot.press(*path.name, "enter")
    await wait_until(lambda: screen.sniffed is not None, pilot=pilot)
    screen.choose_profile(profile)
    await wait_until(lambda: screen.mapping is not None and screen.preview is not None, pilot=pilot)
    for selector, value in (("#batch-size", batch), ("#concurrency", at_once)):
        field = screen.query_one(selector, Input)
        screen.set_focus(field)
        await pilot.pause()
        field.value = ""
        await pilot.press(*str(value))
        assert field.value == str(value)


async def start(pilot: Any, screen: ImportsScreen) -> None:
    await pilot.press("f5")
    await wait_until(lambda: type(pilot.app.screen).__name__ == "Confirm", pilot=pilot)
    await pilot.press("y")
    await wait_until(lambda: screen.run is not None, pilot=pilot)


def counts(screen: ImportsScreen) -> dict[str, int]:
    return screen.book.counts()


def refs(url: str) -> Counter[str]:
    return Counter(r["Ref"] for r in webex_rows(url))


def read_rejects(path: Path) -> dict[int, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {int(row["line"]): row for row in csv.DictReader(fh)}


# -- the whole flow -----------------------------------------------------------------------------
async def test_setup_preview_mapping_check_and_every_row_exactly_once(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, good, invalid = wx_file(tmp_path / "customers.csv", 60, bad=(4, 30))
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10)

        detected = text(screen.query_one("#detected", Static))
        assert "CSV" in detected and "delimiter ';'" in detected and "4 columns" in detected
        mapping = screen.query_one(MappingTable)
        target = mapping.get_column_index("target")
        assert [str(mapping.get_row_at(i)[target]) for i in range(mapping.row_count)] == [
            "MSISDN (msisdn)",
            "First name (firstname)",
            "E-mail (emailid)",
            "Ref",  # a column of the datastore, read off its metadata
        ]
        # The first rows as the vendor gets them: line 5 is rejected, and says why.
        preview = screen.preview
        assert preview is not None
        bad = [r for r in preview.rows if r.problem]
        assert [r.line for r in bad] == [5]
        assert bad[0].problem and bad[0].problem.startswith("E-mail")
        assert preview.rows[0].values["msisdn"] == "+44733000001"
        assert "line 5: E-mail" in text(screen.query_one("#preview-problems", Static))

        # Leave "First Name" out, through the picker (enter on its row, type, enter).
        screen.set_focus(mapping)
        mapping.move_cursor(row=1)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, FieldPicker), pilot=pilot)
        await pilot.press(*"skip", "enter")
        await wait_until(
            lambda: screen.mapping and "First Name" in screen.mapping.columns, pilot=pilot
        )
        assert screen.mapping.target("First Name") is None
        await wait_until(lambda: "firstname" not in dict(screen.preview.columns), pilot=pilot)
        assert "✓ 3 of 4 columns sent" in text(screen.query_one("#mapping-status", Static))

        # The dry pass reads the whole file and sends nothing.
        await pilot.press("ctrl+t")
        await wait_until(lambda: screen.check_text, pilot=pilot)
        assert "60 rows: 58 valid, 2 rejected" in screen.check_text
        assert "line 5: E-mail" in screen.check_text and "line 31: E-mail" in screen.check_text
        assert webex_rows(url) == [], "the dry pass sent nothing"

        await start(pilot, screen)
        assert app.screen is screen and screen.active_tab == "run"
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        summary = screen.summary
        assert summary is not None and summary.state == "finished"
        assert (summary.rows_imported, summary.rows_rejected) == (58, 2)

        sent = refs(url)
        assert set(sent) == good and max(sent.values()) == 1, "every valid row, exactly once"
        assert all("firstname" not in r for r in webex_rows(url)), "the skipped column stayed out"
        rejects = read_rejects(summary.rejects_path)
        assert set(rejects) == invalid
        assert {r["kind"] for r in rejects.values()} == {"invalid"}
        # Every batch on screen, acknowledged; the summary names the rejects file and journal.
        await wait_until(lambda: counts(screen)["ok"] == 6, pilot=pilot)
        table = screen.query_one(BatchTable)
        assert table.view_length() == 6
        assert all(row.receipt.startswith("trans_id=") for row in table.book.rows)
        panel = text(screen.query_one("#run-summary", Static))
        assert "58 of the 60 rows in the file imported" in panel
        assert str(summary.rejects_path) in panel and str(summary.journal_path) in panel


async def test_pause_sends_nothing_cancel_leaves_a_run_that_history_resumes_once(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, good, _invalid = wx_file(tmp_path / "big.csv", 300, bad=(10,))
    faults(url, latency_ms=40)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=5, at_once=2)
        await start(pilot, screen)
        assert isinstance(app.focused, BatchTable)
        await wait_until(lambda: counts(screen)["ok"] >= 4, pilot=pilot)

        await pilot.press("p")
        assert screen.run_state == "paused"
        await wait_until(
            lambda: "PAUSED" in text(screen.query_one("#run-title", Static)), pilot=pilot
        )
        # Batches already taken finish; then the senders wait on the pause, and however
        # often the app runs its loop, nothing more goes out.
        await wait_until(
            lambda: not counts(screen)["sending"] and not counts(screen)["retrying"], pilot=pilot
        )
        settled = webex_requests(url)
        for _ in range(50):
            await pilot.pause()
        assert webex_requests(url) == settled, "a batch was sent while paused"
        rows_paused = len(webex_rows(url))
        assert rows_paused < 299

        await pilot.press("p")
        assert screen.run_state == "running"
        await wait_until(lambda: webex_requests(url) > settled + 3, pilot=pilot)

        await pilot.press("x")
        await wait_until(lambda: screen.summary is not None, 15, pilot=pilot)
        summary = screen.summary
        assert summary is not None and summary.state == "cancelled" and summary.resumable
        panel = text(screen.query_one("#run-summary", Static))
        assert f"Run {summary.run_id} is resumable" in panel
        assert summary.rows_imported < len(good)

        # The history lists it as resumable; enter resumes it through the core's resume.
        await pilot.press("f4")
        history = screen.query_one(HistoryTable)
        await wait_until(lambda: any(r.run_id == summary.run_id for r in history.runs), pilot=pilot)
        assert history.current is not None and history.current.run_id == summary.run_id
        assert history.current.state == "resumable"
        assert "resumable" in str(history.get_row_at(history.cursor_row)[1])
        await pilot.press("enter")
        await wait_until(lambda: screen.run is not None and screen.run.resumed, 10, pilot=pilot)
        assert screen.active_tab == "run"
        await wait_until(lambda: screen.summary is not None, 30, pilot=pilot)
        assert screen.summary is not None and screen.summary.state == "finished"
        assert screen.summary.run_id == summary.run_id

    sent = refs(url)
    assert set(sent) == good, "every valid row arrived"
    assert max(sent.values()) == 1, f"sent twice: {sent.most_common(3)}"


async def test_failed_batches_open_the_inspector_and_retry_after_the_faults_stop(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, good, _invalid = wx_file(tmp_path / "failing.csv", 30)
    # Webex's failure that arrives with HTTP 200 (statuscode 1010), on every call.
    faults(url, rate=1.0, faults=["http200"], seed=1)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=5)
        await start(pilot, screen)
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        assert screen.summary is not None and screen.summary.rows_failed == 30
        await wait_until(lambda: counts(screen)["failed"] == 6, pilot=pilot)
        assert refs(url) == Counter()
        table = screen.query_one(BatchTable)
        row = table.book.rows[2]
        assert (row.state, row.code, row.status) == ("failed", "1010", 200)
        active = screen.active_bindings
        assert active["r"].binding.id == "imports.retry" and active["r"].enabled

        # The failures filter keeps them in view; enter on one opens the inspector on it.
        await pilot.press("f")
        assert table.failures_only and table.view_length() == 6
        screen.set_focus(table)
        await pilot.press("home", "down", "down")
        assert table.current is row
        await pilot.press("enter")
        await wait_until(lambda: app.current_mode == "errors", pilot=pilot)
        from cxconsole.widgets.decode_result import DecodeResult

        inspector = app.screen
        result = inspector.query_one(DecodeResult)
        await wait_until(lambda: result.decoded is not None, pilot=pilot)
        assert result.decoded is not None and result.decoded.entry is not None
        assert (result.decoded.vendor, result.decoded.entry.code) == ("webex", "1010")
        origin = " ".join(str(part.render()) for part in result.query(Static))
        assert f"run {screen.run.run_id}, batch {row.number}" in origin

        # Back, faults off, r: the same run sends the failed batches again.
        await pilot.press("3")
        await wait_until(lambda: app.screen is screen, pilot=pilot)
        faults(url, rate=0.0)
        screen.set_focus(table)
        await pilot.press("r")
        await wait_until(
            lambda: screen.summary is not None and not screen.run.failed_batches, 20, pilot=pilot
        )
        assert screen.summary is not None
        assert (screen.summary.rows_imported, screen.summary.rows_rejected) == (30, 0)
        await wait_until(lambda: counts(screen)["ok"] == 6, pilot=pilot)
        assert table.view_length() == 0  # the filter: no failure left
        await pilot.press("f")
        assert table.view_length() == 6

    sent = refs(url)
    assert set(sent) == good and max(sent.values()) == 1


async def test_resume_of_a_changed_file_is_refused_and_says_why(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, _good, _invalid = wx_file(tmp_path / "changing.csv", 200)
    faults(url, latency_ms=60)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=5, at_once=1)
        await start(pilot, screen)
        await wait_until(lambda: counts(screen)["ok"] >= 2, pilot=pilot)
        await pilot.press("x")
        await wait_until(lambda: screen.summary is not None, 10, pilot=pilot)
        run_id = screen.summary.run_id
        before = webex_requests(url)

        with path.open("a", encoding="utf-8") as fh:
            fh.write("+44733999999;Late;late@example.com;late\n")
        await pilot.press("f4")
        history = screen.query_one(HistoryTable)
        await wait_until(lambda: history.current is not None, pilot=pilot)
        assert history.current.run_id == run_id
        await pilot.press("enter")
        banner = screen.query_one("#history-error", Static)
        await wait_until(lambda: banner.has_class("-shown"), pilot=pilot)
        said = text(banner)
        assert "Cannot resume" in said and "changed since run" in said and run_id in said
        assert screen.run is not None and screen.run.run_id == run_id and not screen.running
        assert webex_requests(url) == before, "nothing was sent"


async def test_expoints_fields_come_from_its_data_columns_and_mappings_save_and_load(
    sandbox_reset: SandboxServer, tmp_path: Path, isolated_home: Path
) -> None:
    path = tmp_path / "xp.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Email", "First name customer", "Family_name_customer", "BU",
                         "Product", "EmployeeId", "Transaction date"])  # fmt: skip
        for i in range(1, 6):
            writer.writerow([f"c{i}@example.com", f"F{i}", f"L{i}", "Sales", "P1", f"e{i}",
                             "2024-03-01"])  # fmt: skip
    app = CXApp(ctx=Context.for_sandbox(sandbox_reset.url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-expoints", batch=5, at_once=1)
        names = {f.name for f in screen.fields}
        assert {"data:15", "data:19", "data:20"} <= names, "fetched from customerdatacolumn"
        status = screen.query_one("#mapping-status", Static)
        assert text(status).startswith("✓")

        # The picker offers the vendor's data columns.
        table = screen.query_one(MappingTable)
        screen.set_focus(table)
        table.move_cursor(row=3)  # BU
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, FieldPicker), pilot=pilot)
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("(data:19)" in p for p in prompts)
        await pilot.press("escape")

        # Save the mapping under a name, break it, load it back.
        await pilot.press("ctrl+s")
        await wait_until(lambda: isinstance(app.screen, MappingFilePrompt), pilot=pilot)
        name_box = app.screen.query_one(Input)
        name_box.value = ""
        await pilot.press(*"xp-test", "enter")
        saved = isolated_home / "config" / "cxconsole" / "mappings" / "xp-test.toml"
        await wait_until(lambda: saved.exists(), pilot=pilot)
        assert 'BU = "data:' in saved.read_text("utf-8")

        screen.choose_field("BU", "__skip__")
        await pilot.pause()
        assert text(status).startswith("✗") and "required" in text(status)
        await pilot.press("ctrl+l")
        await wait_until(lambda: isinstance(app.screen, MappingFilePrompt), pilot=pilot)
        app.screen.query_one(OptionList).focus()
        await pilot.press("enter")
        await wait_until(lambda: text(status).startswith("✓"), pilot=pilot)
        assert screen.mapping is not None and screen.mapping.target("BU") is not None


async def test_usable_at_80x24_and_keys_answer_while_batches_stream(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, good, _invalid = wx_file(tmp_path / "small.csv", 400)
    faults(url, latency_ms=5)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_imports(pilot)
        assert not screen.query_one("#files-pane").display or screen.has_class("-narrow")
        await set_up(pilot, screen, path, "sandbox-webex", batch=1)
        assert screen.query_one(PreviewTable).row_count > 0
        await start(pilot, screen)
        table = screen.query_one(BatchTable)
        await wait_until(lambda: counts(screen)["ok"] >= 20, pilot=pilot)
        # Keys act while hundreds of one-row batches stream in (how fast: bench/import_keys.py).
        await pilot.press("up", "up")
        assert not table.follow, "the cursor moved: the user took over from follow mode"
        at = table.cursor
        await pilot.press("f")
        assert table.failures_only and table.view_length() == 0
        await pilot.press("f", "up")
        assert not table.failures_only and table.cursor < at + 5
        await wait_until(lambda: screen.summary is not None, 30, pilot=pilot)
        assert screen.summary is not None and screen.summary.rows_imported == 400
        assert screen.query_one("#run-summary", Static).region.height > 0
        await pilot.pause()
        # The summary is on screen: no toast is laid over it.
        assert not [n for n in app._notifications if n.title == "Import"]
    sent = refs(url)
    assert set(sent) == good and max(sent.values()) == 1


async def test_a_run_that_ends_while_the_operator_is_elsewhere_says_so_in_a_toast(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, good, _invalid = wx_file(tmp_path / "away.csv", 40)
    faults(url, latency_ms=1000)  # slow until held: the run cannot end before "p" lands
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=1, at_once=1)
        await start(pilot, screen)
        await pilot.press("p")  # held, so the run cannot end before the operator leaves
        await wait_until(lambda: screen.run_state == "paused", pilot=pilot)
        await pilot.press("escape", "1")
        await wait_until(lambda: type(app.screen).__name__ == "HomeScreen", pilot=pilot)
        faults(url, latency_ms=0)
        screen.action_resume()  # as if resumed a moment before leaving
        await wait_until(lambda: screen.summary is not None, 30, pilot=pilot)
        toasts = lambda: [n.message for n in app._notifications if n.title == "Import"]  # noqa: E731
        await wait_until(toasts, pilot=pilot, what="the run's end said on the Home screen")
        assert "40 rows imported, 0 not" in toasts()[0]
    assert set(refs(url)) == good


# -- data as the operator meant it ---------------------------------------------------------------
async def test_a_mapping_made_for_one_vendor_never_reaches_another(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, _good, _invalid = wx_file(tmp_path / "customers.csv", 12)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-expoints", batch=10, at_once=2)
        data = next(f.name for f in screen.fields if f.name.startswith("data:"))
        screen.choose_field("Ref", data)
        await wait_until(
            lambda: screen.mapping is not None and screen.mapping.target("Ref"), pilot=pilot
        )
        assert screen.mapping.target("Ref") == data
        screen.choose_profile("sandbox-webex")
        await wait_until(
            lambda: screen.account and screen.account.vendor.name == "webex", pilot=pilot
        )
        await wait_until(
            lambda: screen.preview is not None and '"records"' in screen.preview.body, pilot=pilot
        )
        mapping = screen.mapping
        assert mapping is not None and mapping.vendor == "webex"
        assert not any(
            k.startswith("data:") for k in mapping.included(screen.sniffed.headers).values()
        )
        # The preview shows the exact body of the first batch, as it will be sent.
        body = text(screen.query_one("#preview-body", Static))
        assert '"datastore-id"' in body and '"msisdn": "+44733000001"' in body
        assert "data:" not in body


async def test_national_numbers_ask_for_a_region_once_then_arrive_in_e164(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path = tmp_path / "au.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Mobile", "Ref"])
        writer.writerows([[f"0412 345 {i:03d}", f"wx{i}"] for i in range(1, 21)])
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10, at_once=2)
        await start(pilot, screen)
        await wait_until(lambda: type(app.screen).__name__ == "Choice", 20, pilot=pilot)
        assert webex_rows(url) == [], "nothing sent before the question is answered"
        assert "AU numbers" in str(app.screen.query_one("#answer-1").label)
        await pilot.press("1")
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        assert screen.summary.rows_imported == 20
        assert screen.query_one("#region", Input).value == "AU"
        msisdns = {r["Ref"]: r["msisdn"] for r in webex_rows(url)}
        assert msisdns["wx1"] == "+61412345001" and len(msisdns) == 20


async def test_failures_only_then_a_new_run_does_not_crash(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    """Run, `f` (failures only), F2, F5, y: the new run's empty book under the old filter."""
    url = sandbox_reset.url
    path, good, _invalid = wx_file(tmp_path / "customers.csv", 30, bad=(3,))
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10, at_once=2)
        faults(url, rate=1.0, faults=["http200"], seed=1)  # every batch fails: "f" shows them
        await start(pilot, screen)
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        assert counts(screen)["failed"] == 3
        faults(url, rate=0.0)
        first = screen.run
        await pilot.press("f")
        assert screen.query_one(BatchTable).failures_only
        await pilot.press("f2")
        await start(pilot, screen)
        await wait_until(
            lambda: screen.run is not first and screen.summary is not None, 20, pilot=pilot
        )
        assert app.is_running and screen.summary.rows_imported == len(good)
        table = screen.query_one(BatchTable)
        assert table.current is None or table.current.number >= 1


async def test_rejects_fixed_in_the_grid_are_sent_once_within_the_run(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    from cxconsole.widgets.rejects_grid import CellEditor, RejectsGrid

    url = sandbox_reset.url
    path, good, invalid = wx_file(tmp_path / "customers.csv", 30, bad=(4, 17))
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10, at_once=2)
        await start(pilot, screen)
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        assert screen.summary.rows_rejected == 2
        await pilot.press("e")
        grid = screen.query_one(RejectsGrid)
        await wait_until(lambda: screen.active_tab == "fix" and grid.row_count == 2, pilot=pilot)
        # Line 5's e-mail (column 3 of the file), edited: checked at once.
        screen.set_focus(grid)
        grid.move_cursor(row=0, column=3 + 2)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, CellEditor), pilot=pilot)
        box = app.screen.query_one(Input)
        box.value = "still@@wrong"
        await pilot.press("enter")
        await wait_until(lambda: grid.problems.get(5) is not None, pilot=pilot)
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, CellEditor), pilot=pilot)
        app.screen.query_one(Input).value = "w4@example.com"
        await pilot.press("enter")
        await wait_until(
            lambda: 5 in grid.edited and grid.problems.get(5, "x") is None, pilot=pilot
        )
        assert grid.fixed() == {5: ["+44733000004", "F4", "w4@example.com", "wx4"]}
        await pilot.press("s")
        await wait_until(lambda: type(app.screen).__name__ == "Confirm", pilot=pilot)
        await pilot.press("y")
        await wait_until(lambda: grid.row_count == 1, 20, pilot=pilot)
        sent = refs(url)
        assert set(sent) == good | {"wx4"} and max(sent.values()) == 1
        rejects = read_rejects(screen.run.rejects_path)
        assert set(rejects) == invalid - {5}


async def test_fixed_rows_whose_batch_failed_stay_in_the_fix_pane_marked_failed(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    """The rows of a failed fix batch do not vanish from the pane as if they had gone: they
    stay, with the values they were sent with, marked failed (a resume sends them again)."""
    from cxconsole.widgets.rejects_grid import CellEditor, RejectsGrid

    url = sandbox_reset.url
    path, _good, _invalid = wx_file(tmp_path / "customers.csv", 30, bad=(4, 17, 22))
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10, at_once=2)
        await start(pilot, screen)
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        await pilot.press("e")
        grid = screen.query_one(RejectsGrid)
        await wait_until(lambda: screen.active_tab == "fix" and grid.row_count == 3, pilot=pilot)
        screen.set_focus(grid)
        for row, value in ((0, "w4@example.com"), (1, "w17@example.com")):
            grid.move_cursor(row=row, column=3 + 2)
            await pilot.press("enter")
            await wait_until(lambda: isinstance(app.screen, CellEditor), pilot=pilot)
            app.screen.query_one(Input).value = value
            await pilot.press("enter")
            await wait_until(lambda: not isinstance(app.screen, CellEditor), pilot=pilot)
        await wait_until(lambda: len(grid.fixed()) == 2, pilot=pilot)
        faults(url, rate=1.0, faults=["http200"], seed=1)  # the fix batch fails
        await pilot.press("s")
        await wait_until(lambda: type(app.screen).__name__ == "Confirm", pilot=pilot)
        await pilot.press("y")
        title = screen.query_one("#fix-title", Static)
        await wait_until(lambda: "in failed batches" in text(title), 20, pilot=pilot)
        assert grid.row_count == 3, "the failed rows are still in the pane"
        kinds = {key: row.kind for key, row in grid.rows_by_key.items()}
        assert kinds == {5: "failed", 18: "failed", 23: "invalid"}
        assert grid.rows_by_key[5].values[2] == "w4@example.com"  # as it was sent
        assert not grid.rows_by_key[5].editable
        assert "1 row(s) rejected here" in text(title) and "a resume sends them" in text(title)
        faults(url, rate=0.0)


async def test_a_broken_file_deep_inside_sends_nothing_and_says_where(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, _good, _invalid = wx_file(tmp_path / "customers.csv", 3000)
    lines = path.read_bytes().split(b"\n")
    lines[2500] = lines[2500].replace(b"F2500", b"F\xff2500")  # file line 2,501
    path.write_bytes(b"\n".join(lines))
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10, at_once=2)
        # The operator says the file is UTF-8 (a guess from samples could read it as cp1252).
        screen.query_one("#encoding", Select).value = "utf-8"
        await wait_until(lambda: screen.sniffed and screen.sniffed.encoding == "utf-8", pilot=pilot)
        await start(pilot, screen)
        banner = screen.query_one("#imports-banner", Static)
        await wait_until(lambda: banner.has_class("-shown"), 20, pilot=pilot)
        shown = text(banner)
        assert "nothing was sent" in shown and "2501" in shown.replace(",", ""), shown
        assert webex_rows(url) == []


async def test_a_questionpro_segment_is_offered_by_its_business_unit_code(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path = tmp_path / "c.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Email", "Date"])
        writer.writerows([[f"s{i}@example.com", "14/01/2020"] for i in range(1, 6)])
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-questionpro", batch=10, at_once=2)
        select = screen.query_one("#values-select", Select)
        await wait_until(lambda: screen.query_one("#values-row").has_class("-shown"), pilot=pilot)
        select.value = "RS"
        await wait_until(lambda: screen.setup.values == {"segmentCode": "RS"}, pilot=pilot)
        await wait_until(lambda: '"segmentCode": "RS"' in (screen.preview.body or ""), pilot=pilot)
        await start(pilot, screen)
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        rows = record(url)["questionpro"]
        assert len(rows) == 5 and {r["segmentCode"] for r in rows} == {"RS"}


async def test_quitting_while_an_import_sends_asks_first(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, _good, _invalid = wx_file(tmp_path / "customers.csv", 200)
    faults(url, latency_ms=200)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10, at_once=1)
        await start(pilot, screen)
        await wait_until(lambda: screen.run_state == "running", pilot=pilot)
        await pilot.press("ctrl+q")
        await wait_until(lambda: type(app.screen).__name__ == "Confirm", pilot=pilot)
        await pilot.press("n")
        await wait_until(lambda: app.screen is screen, pilot=pilot)
        assert app.is_running and screen.running
        screen.action_cancel()
        await wait_until(lambda: screen.summary is not None, 30, pilot=pilot)


# -- an answer is for its file ---------------------------------------------------------------------
async def test_a_typed_region_is_the_answer_and_a_new_file_starts_afresh(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    from cxconsole.widgets.choice import Choice

    url = sandbox_reset.url
    ask = tmp_path / "ask.csv"
    ask.write_text(
        "email,mobile,transaction_date\n"
        "a@x.com,0412345678,03/04/2026\nb@x.com,0412345679,05/06/2026\n",
        "utf-8",
    )
    other = tmp_path / "other.csv"
    other.write_text("email,transaction_date\nc@x.com,14/01/2026\n", "utf-8")
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, ask, "sandbox-questionpro", batch=10)
        await pilot.press("f5")
        await wait_until(lambda: type(app.screen).__name__ == "Confirm", pilot=pilot)
        await pilot.press("y")
        await wait_until(lambda: isinstance(app.screen, Choice), pilot=pilot)
        dialog = app.screen
        # Letters typed as the box invites go into it, even with a button focused.
        await pilot.press("x", "x", "enter")
        problem = dialog.query_one("#other-problem", Static)
        await wait_until(lambda: "not a region code" in str(problem.render()), pilot=pilot)
        assert app.screen is dialog, "a code that is no region is refused in the dialog"
        await pilot.press("backspace", "backspace", "n", "z", "enter")
        await wait_until(lambda: app.screen is not dialog, pilot=pilot)
        region = screen.query_one("#region", Input)
        assert region.value == "NZ", "the typed region is the answer, not the proposed AU"
        # The preview reads the rows with the answer at once.
        await wait_until(
            lambda: (
                screen.preview is not None
                and "no phone region" not in " ".join(screen.preview.problems())
            ),
            pilot=pilot,
        )
        if isinstance(app.screen, Choice):  # the dates question: left unanswered
            await pilot.press("escape")
        await wait_until(lambda: isinstance(app.screen, ImportsScreen), pilot=pilot)
        assert not record(url)["questionpro"]
        # The answers were for ask.csv: the next file is read with none of them.
        screen.query_one("#date-order", Select).value = "month"
        screen.setup_pane.choose_file(other)
        await wait_until(lambda: screen.setup_pane.path == other, pilot=pilot)
        assert region.value == ""
        assert screen.query_one("#date-order", Select).value != "month"


async def test_a_new_run_shows_none_of_the_last_runs_counts(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    from cxconsole.widgets.choice import Choice

    url = sandbox_reset.url
    path, _good, _invalid = wx_file(tmp_path / "first.csv", 40)
    ask = tmp_path / "ask.csv"
    ask.write_text(
        "email,mobile,transaction_date\n"
        "a@x.com,0412345678,14/01/2026\nb@x.com,0412345679,15/01/2026\n",
        "utf-8",
    )
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10)
        await start(pilot, screen)
        await wait_until(lambda: screen.summary is not None, 30, pilot=pilot)
        rate = screen.query_one("#run-rate", Static)
        assert "40/40 rows" in text(rate)
        await pilot.press("f2")
        screen.setup_pane.choose_file(ask)
        await wait_until(lambda: screen.setup_pane.path == ask, pilot=pilot)
        screen.choose_profile("sandbox-questionpro")
        await wait_until(lambda: screen.preview is not None, pilot=pilot)
        await pilot.press("f5")
        await wait_until(lambda: type(app.screen).__name__ == "Confirm", pilot=pilot)
        await pilot.press("y")
        await wait_until(lambda: isinstance(app.screen, Choice), pilot=pilot)
        await pilot.press("escape")  # the region question left unanswered: not started
        await wait_until(lambda: isinstance(app.screen, ImportsScreen), pilot=pilot)
        await pilot.pause()
        assert "40" not in text(rate), text(rate)
        assert "40" not in text(screen.query_one("#run-counts", Static))


async def test_a_file_imported_before_is_sent_again_only_when_the_operator_says_so(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    """F5 on a file this profile already took: a second question names the earlier run;
    no leaves it unsent, yes sends it again as a new run."""
    url = sandbox_reset.url
    path, good, _invalid = wx_file(tmp_path / "customers.csv", 20)
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10, at_once=2)
        await start(pilot, screen)
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        first = screen.summary
        assert first is not None and first.rows_imported == 20
        banner = screen.query_one("#imports-banner", Static)

        for answer in ("n", "y"):
            await pilot.press("f2")
            await start(pilot, screen)
            await wait_until(
                lambda: (
                    type(app.screen).__name__ == "Confirm"
                    and "Import this file again?" in text(app.screen.query_one(Static))
                ),
                20,
                pilot=pilot,
            )
            assert f"run {first.run_id}" in text(app.screen.query_one(Static))
            await pilot.press(answer)
            if answer == "n":
                await wait_until(lambda: banner.has_class("-shown"), 20, pilot=pilot)
                assert "nothing was sent" in text(banner)
                assert refs(url) == Counter(dict.fromkeys(good, 1)), "the refused run sent none"
        await wait_until(
            lambda: screen.summary is not None and screen.summary.run_id != first.run_id,
            20,
            pilot=pilot,
        )
        assert screen.summary.rows_imported == 20
        assert refs(url) == Counter(dict.fromkeys(good, 2)), "sent again, as the operator said"
