"""Values reach the vendor as the operator wrote them, or the row is rejected saying why: dates
whose time or offset the vendor's field cannot hold, bare numbers in a CSV or JSON date
column, e-mail local parts, and a file whose encoding is only a guess (asked before sending).
Each proven through the command line against the sandbox's record of what arrived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import wait_until
from import_support import cli, read_rejects, record, write_csv, write_profiles

from cxconsole.sandbox.server import SandboxServer

# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def run(*args: str) -> tuple[int, dict[str, object], str]:
    code, out, err = cli("import", *args, "--json")
    return code, json.loads(out), err


# -- dates -------------------------------------------------------------------------------------
def test_questionpro_dates_keep_their_time_and_offset_or_are_rejected(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [
        ["a@x.com", "2026-01-14T10:00:00+05:00", "offset"],  # line 2
        ["b@x.com", "45000", "serial"],  # line 3
        ["c@x.com", "14/01/2026 10:30", "time"],  # line 4
        ["d@x.com", "2026-01-14 00:00", "midnight"],  # line 5
        ["e@x.com", "2026-01-14", "plain"],  # line 6
        ["f@x.com", "2026-01-14T00:00:00Z", "utc"],  # line 7
    ]
    path = write_csv(tmp_path / "dates.csv", ["email", "transaction_date", "ref"], rows)
    rejects = tmp_path / "rejects.csv"
    args = [str(path), "--profile", "qp", "--map", "ref=custom1", "--rejects", str(rejects)]
    code, summary, err = run(*args)
    assert code == 1, (summary, err)
    got = {c["custom1"]: c["transactionDate"] for c in record(sandbox_reset.url)["questionpro"]}
    assert got == {"midnight": "14/01/2026", "plain": "14/01/2026"}
    bad = read_rejects(rejects)
    assert set(bad) == {2, 3, 4, 7}
    assert all(bad[line]["field"] == "Transaction date" for line in bad)
    assert "UTC offset (+05:00)" in bad[2]["reason"] and "not known" in bad[2]["reason"]
    assert "bare number" in bad[3]["reason"] and "XLSX" in bad[3]["reason"]
    assert "time of day (10:30)" in bad[4]["reason"] and "dd/MM/yyyy" in bad[4]["reason"]
    assert "UTC offset (Z)" in bad[7]["reason"]


def test_a_two_digit_year_is_rejected_never_given_a_century(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from cxconsole.context import Context
    from cxconsole.importing.setup import ImportSetup

    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [
        ["a@x.com", "01/01/69"],  # line 2: 1969 or 2069?
        ["b@x.com", "31/12/50"],  # line 3
        ["c@x.com", "14-Jan-26"],  # line 4: a month name does not settle the century either
        ["d@x.com", "31/12/2049"],  # line 5: sent
    ]
    path = write_csv(tmp_path / "yy.csv", ["email", "transaction_date"], rows)
    rejects = tmp_path / "rejects.csv"
    for dry in (["--dry-run"], []):
        code, summary, err = run(str(path), "--profile", "qp", "--rejects", str(rejects), *dry)
        assert code == 1, (summary, err)
        assert (summary["rows_imported"], summary["rows_invalid"]) == (1, 3), summary
        bad = read_rejects(rejects)
        assert set(bad) == {2, 3, 4}
        assert all(bad[line]["field"] == "Transaction date" for line in bad)
        assert "two-digit year (69)" in bad[2]["reason"], bad[2]
        assert "write the year in full" in bad[3]["reason"], bad[3]
        rejects.unlink()
    got = [c["transactionDate"] for c in record(sandbox_reset.url)["questionpro"]]
    assert got == ["31/12/2049"]

    async def preview() -> object:
        setup = ImportSetup()
        await setup.open_profile(
            Context.for_sandbox(sandbox_reset.url).account("sandbox-questionpro")
        )
        await setup.open_file(path)
        return await asyncio.to_thread(setup.preview)

    shown = asyncio.run(preview())
    problems = {row.line: row.problem for row in shown.rows}  # type: ignore[attr-defined]
    assert [line for line, problem in problems.items() if problem] == [2, 3, 4]
    assert "two-digit year (50)" in str(problems[3])


def test_noojee_callback_dates_are_sent_only_as_written(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [
        ["L1", "0412345671", "2026-01-14 10:00"],  # line 2: sent
        ["L2", "0412345672", "2026-01-14T10:00:00+05:00"],  # line 3: no zone to convert to
        ["L3", "0412345673", "2026-01-14 10:00:30"],  # line 4: seconds
        ["L4", "0412345674", "2026-01-14"],  # line 5: no time
    ]
    path = write_csv(tmp_path / "leads.csv", ["id", "phone", "callback"], rows)
    rejects = tmp_path / "rejects.csv"
    args = [str(path), "--profile", "nj", "--region", "AU", "--rejects", str(rejects)]
    args += ["--map", "id=njExternalLeadId", "--map", "callback=njCallBackDate"]
    code, summary, err = run(*args)
    assert code == 1, (summary, err)
    got = {lead["njExternalLeadId"]: lead for lead in record(sandbox_reset.url)["noojee"]}
    assert set(got) == {"L1"} and got["L1"]["njCallBackDate"] == "2026/01/14 10:00"
    bad = read_rejects(rejects)
    assert set(bad) == {3, 4, 5}
    assert "UTC offset (+05:00)" in bad[3]["reason"] and "yyyy/MM/dd HH:mm" in bad[3]["reason"]
    assert "seconds" in bad[4]["reason"]
    assert "without a time of day" in bad[5]["reason"]


def test_twelve_hour_times_read_alike_for_every_vendor_and_offsets_are_named_as_written(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [
        ["L1", "0412345671", "2026-01-14 10:30 PM"],  # line 2: 22:30
        ["L2", "0412345672", "14/01/2026 12:15 AM"],  # line 3: 00:15
        ["L3", "0412345673", "14 Jan 2026 12:00 PM"],  # line 4: noon
        ["L4", "0412345674", "2026-01-14 13:00 PM"],  # line 5: no such 12-hour time
        ["L5", "0412345675", "2026-01-14 10:30:00.0000001"],  # line 6: finer than microseconds
    ]
    path = write_csv(tmp_path / "leads.csv", ["id", "phone", "callback"], rows)
    rejects = tmp_path / "rejects.csv"
    args = [str(path), "--profile", "nj", "--region", "AU", "--rejects", str(rejects)]
    args += ["--map", "id=njExternalLeadId", "--map", "callback=njCallBackDate", "--day-first"]
    code, summary, err = run(*args)
    assert code == 1, (summary, err)
    got = {
        lead["njExternalLeadId"]: lead["njCallBackDate"]
        for lead in record(sandbox_reset.url)["noojee"]
    }
    assert got == {"L1": "2026/01/14 22:30", "L2": "2026/01/14 00:15", "L3": "2026/01/14 12:00"}
    bad = read_rejects(rejects)
    assert set(bad) == {5, 6}
    assert "hour 13 with PM" in bad[5]["reason"], bad[5]
    assert "finer than a microsecond (7 digits)" in bad[6]["reason"], bad[6]

    rows = [["a@x.com", "2026-01-14T00:00:00+00:00"], ["b@x.com", "14/01/2026 12:00 AM"]]
    path = write_csv(tmp_path / "qp.csv", ["email", "transaction_date"], rows)
    rejects = tmp_path / "qp-rejects.csv"
    code, summary, err = run(str(path), "--profile", "qp", "--rejects", str(rejects))
    assert code == 1, (summary, err)
    reason = read_rejects(rejects)[2]["reason"]
    assert "UTC offset (+00:00)" in reason and "(Z)" not in reason, reason
    assert [c["transactionDate"] for c in record(sandbox_reset.url)["questionpro"]] == [
        "14/01/2026"
    ]


def test_expoints_date_times_keep_the_offset_written_and_get_none_added(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [
        ["a@x.com", "A", "L", "RN", "W", "2026-01-14T10:00:00+05:00"],
        ["b@x.com", "B", "L", "RN", "W", "2026-01-14 10:00"],
    ]
    header = ["Email", "First", "Last", "BU", "Product", "When"]
    path = write_csv(tmp_path / "xp.csv", header, rows)
    args = [str(path), "--profile", "xp", "--map", "First=First name customer"]
    args += ["--map", "Last=Family_name_customer", "--map", "When=TransactionDate"]
    code, summary, err = run(*args)
    assert code == 0, (summary, err)
    got = {c["Email"]: c["TransactionDate"] for c in record(sandbox_reset.url)["expoints"]}
    assert got == {"a@x.com": "2026-01-14T10:00:00+05:00", "b@x.com": "2026-01-14T10:00:00"}


def test_a_bare_number_is_a_date_in_an_xlsx_cell_only(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl

    write_profiles(monkeypatch, sandbox_reset.url)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["email", "transaction_date"])
    sheet.append(["x@x.com", 45000])  # a number cell: Excel's serial for 15 March 2023
    book.save(tmp_path / "serial.xlsx")
    code, summary, err = run(str(tmp_path / "serial.xlsx"), "--profile", "qp")
    assert code == 0, (summary, err)
    assert [c["transactionDate"] for c in record(sandbox_reset.url)["questionpro"]] == [
        "15/03/2023"
    ]

    data = [{"email": "j@x.com", "transaction_date": 45000}]
    (tmp_path / "serial.json").write_text(json.dumps(data), "utf-8")
    rejects = tmp_path / "rejects.jsonl"  # a JSON file's rejects are JSON Lines
    code, summary, err = run(
        str(tmp_path / "serial.json"), "--profile", "qp", "--rejects", str(rejects)
    )
    assert code == 1 and summary["rows_invalid"] == 1, (summary, err)
    assert "bare number" in read_rejects(rejects)[1]["reason"]
    assert len(record(sandbox_reset.url)["questionpro"]) == 1  # the XLSX row only


def test_an_xlsx_text_cell_holding_a_number_is_text_never_a_serial(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl

    write_profiles(monkeypatch, sandbox_reset.url)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["email", "transaction_date", "ref"])
    sheet.append(["x@x.com", 45000, "45000"])  # line 2: a number cell, a serial
    sheet.append(["y@x.com", "45000", "45001"])  # line 3: a text cell, written as text
    assert sheet["B3"].data_type == "s" and sheet["B2"].data_type == "n"
    book.save(tmp_path / "text.xlsx")
    rejects = tmp_path / "rejects.csv"
    code, summary, err = run(str(tmp_path / "text.xlsx"), "--profile", "qp",
                             "--map", "ref=custom1", "--rejects", str(rejects))  # fmt: skip
    assert code == 1 and summary["rows_invalid"] == 1, (summary, err)
    got = record(sandbox_reset.url)["questionpro"]
    # The number-like text of a text field goes out as written.
    assert [(c["transactionDate"], c["custom1"]) for c in got] == [("15/03/2023", "45000")]
    reason = read_rejects(rejects)[3]["reason"]
    assert "'45000' is text (a text cell), not a date" in reason, reason


# -- e-mail ------------------------------------------------------------------------------------
def test_an_email_keeps_its_local_part_and_only_its_domain_is_lower_cased(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [[" J9@X.COM ", "14/01/2026"], ["Ann.Lee@Example.Com", "14/01/2026"]]
    path = write_csv(tmp_path / "mail.csv", ["email", "transaction_date"], rows)
    code, summary, err = run(str(path), "--profile", "qp")
    assert code == 0, (summary, err)
    got = [c["email"] for c in record(sandbox_reset.url)["questionpro"]]
    assert got == ["J9@x.com", "Ann.Lee@example.com"]


# -- a guessed encoding is asked -----------------------------------------------------------------
def _cp1252_file(path: Path) -> Path:
    path.write_bytes(
        b"email,first_name,transaction_date\r\n"
        b"a@x.com,Ann,14/01/2026\r\n"
        b"b@x.com,M\xfcller \x80,14/01/2026\r\n"  # line 3: the first not UTF-8
        b"c@x.com,Jos\xe9,14/01/2026\r\n"
    )
    return path


@pytest.mark.parametrize("dry", [False, True])
def test_a_guessed_encoding_is_asked_before_anything_is_sent(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dry: bool
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = _cp1252_file(tmp_path / "legacy.csv")
    code, summary, err = run(str(path), "--profile", "qp", *(["--dry-run"] if dry else []))
    assert code == 2, (summary, err)
    assert (summary["state"], summary["outcome"]) == ("input_error", "nothing")
    message = str(summary["message"])
    assert "line 3" in message and "Müller €" in message, message
    assert "--encoding cp1252" in err and "nothing was sent" in err, err
    assert record(sandbox_reset.url)["questionpro"] == []

    code, summary, err = run(str(path), "--profile", "qp", "--encoding", "cp1252")
    assert code == 0, (summary, err)
    names = [c["firstName"] for c in record(sandbox_reset.url)["questionpro"]]
    assert names == ["Ann", "Müller €", "José"]


def test_an_ascii_file_with_one_stray_byte_is_asked_about_too(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [[f"u{i}@x.com", f"N{i}", "14/01/2026"] for i in range(200)]
    path = write_csv(tmp_path / "stray.csv", ["email", "first_name", "transaction_date"], rows)
    data = path.read_bytes().replace(b"N150,", b"N150\xa0,")  # line 152
    path.write_bytes(data)
    code, summary, err = run(str(path), "--profile", "qp")
    assert code == 2, (summary, err)
    assert "line 152" in str(summary["message"]) and "--encoding" in err, err
    assert record(sandbox_reset.url)["questionpro"] == []


async def test_the_screen_asks_once_showing_the_line_then_sends_as_answered(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    from test_imports_screen import SIZE, open_imports, set_up, start
    from textual.widgets import Select, Static

    from cxconsole.app import CXApp
    from cxconsole.context import Context
    from cxconsole.widgets.choice import Choice

    url = sandbox_reset.url
    path = tmp_path / "legacy.csv"
    path.write_bytes(
        b"Mobile,First Name,Ref\r\n"
        b"+61412345001,Ann,wx1\r\n"
        b"+61412345002,M\xfcller \x80,wx2\r\n"  # line 3
    )
    app = CXApp(ctx=Context.for_sandbox(url), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_imports(pilot)
        await set_up(pilot, screen, path, "sandbox-webex", batch=10, at_once=2)
        await start(pilot, screen)
        await wait_until(lambda: isinstance(app.screen, Choice), 20, pilot=pilot)
        shown = str(app.screen.query_one(Static).render())
        assert "line 3" in shown and "Müller €" in shown and "cp1252" in shown, shown
        assert record(url)["webex"] == [], "nothing sent before the question is answered"
        await pilot.press("1")
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        assert not isinstance(app.screen, Choice), "asked once"
        assert screen.summary.rows_imported == 2
        assert screen.query_one("#encoding", Select).value == "cp1252"
    names = {r["Ref"]: r["firstname"] for r in record(url)["webex"]}
    assert names == {"wx1": "Ann", "wx2": "Müller €"}
