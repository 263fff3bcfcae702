"""Imports into each vendor of the sandbox over HTTP: every valid row exactly once, every
invalid row in the rejects file with its reason, with and without injected faults."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import stat
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from import_support import faults, main, read_rejects, record, stats, write_csv
from import_support import write_profiles as write_test_profiles

from cxconsole.client import CXClient
from cxconsole.context import Context
from cxconsole.importing import (
    BatchAcknowledged,
    BatchFailed,
    BatchRetrying,
    ImportOptions,
    RowsRejected,
    RunSummary,
    list_runs,
    prepare_import,
)
from cxconsole.sandbox.server import SandboxServer

FAULTS = {
    "rate": 0.2,
    "faults": ["429", "500", "503", "drop", "drop_after"],
    "seed": 4,
    "latency_ms": 0,
}
OVERRIDES = {"questionpro": ["Ref=custom1"]}  # QuestionPro has no "Ref": a custom field
PROFILE = {
    "questionpro": "sandbox-questionpro",
    "expoints": "sandbox-expoints",
    "webex": "sandbox-webex",
    "noojee": "sandbox-noojee",
}


# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def quick(policy: Any) -> Any:
    """Noojee waits 10 s before retrying a 103/109: a tenth of a second here (every vendor's
    pauses and backoff shortened through the client, the vendors untouched)."""
    return dataclasses.replace(policy, pause_seconds=0.1, backoff_base=0.05)


def do_import(
    url: str, vendor: str, path: Path, *, events: list[Any] | None = None, **options: Any
) -> tuple[RunSummary, Any]:
    async def go() -> tuple[RunSummary, Any]:
        ctx = Context.for_sandbox(url)
        account = ctx.account(PROFILE[vendor])
        async with CXClient(tune=quick) as client:
            run = await prepare_import(
                account,
                path,
                options=ImportOptions(**{"region": "US", "reconcile_pause": 0.05, **options}),
                overrides=OVERRIDES.get(vendor, ()),
                client=client,
                errors=ctx.errors,
            )
            if events is not None:
                run.subscribe(events.append)
            return await run.run(), run

    return asyncio.run(go())


# -- the files: good rows carry a unique Ref; bad ones say why they are bad ----------------------
def qp_file(
    path: Path, refused_domain: str = "bounced.example", why: str = "bounce list"
) -> tuple[Path, set[str], dict[int, str], dict[int, str]]:
    header = ["First Name", "Last Name", "E-mail", "Mobile", "Transaction Date", "Ref"]
    rows, good, invalid, refused = [], set(), {}, {}
    for i in range(1, 46):
        ref = f"qp{i}"
        row = [f"F{i}", f"L{i}", f"user{i}@example.com", f"+614123456{i:02d}", "14/01/2020", ref]
        line = i + 1
        if i == 5:
            row[2], invalid[line] = "user5@nowhere", "E-mail"
        elif i == 9:
            row[4], invalid[line] = "31/02/2020", "Transaction date"
        elif i == 12:
            row[3], invalid[line] = "12", "Mobile"
        elif i == 18:  # the vendor requires the date: refused here, before sending
            row[4], invalid[line] = "", "Transaction date"
        elif i in (21, 24):  # on the account's bounce list: only the vendor knows
            row[2], refused[line] = f"user{i}@{refused_domain}", why
        elif i == 30:
            row[3] = "(979) 660-8737"  # national, read by the run's region (US): +19796608737
            good.add(ref)
        else:
            good.add(ref)
        rows.append(row)
    return write_csv(path, header, rows), good, invalid, refused


def xp_file(path: Path) -> tuple[Path, set[str], dict[int, str], dict[int, str]]:
    header = ["Email", "First name customer", "Family_name_customer", "BU", "Product",
              "EmployeeId", "Transaction date"]  # fmt: skip
    rows, good, invalid, refused = [], set(), {}, {}
    for i in range(1, 41):
        ref = f"xp{i}"
        row = [f"c{i}@example.com", f"F{i}", f"L{i}", "Sales", "P1", ref, "2024-03-01"]
        line = i + 1
        if i == 3:
            row[0], invalid[line] = "not-an-email", "E-mail"
        elif i == 7:
            row[6], invalid[line] = "2024-13-45", "Transaction date"
        elif i == 11:
            row[3], invalid[line] = "", "BU"  # a required data column left empty
        elif i == 15:
            row[0], invalid[line] = "c14@example.com", "E-mail"  # same batch as line 15
        elif i == 18:
            row[0], invalid[line] = "", "E-mail"  # required of every non-portal batch
        else:
            good.add(ref)
        rows.append(row)
    return write_csv(path, header, rows), good, invalid, refused


def wx_file(path: Path) -> tuple[Path, set[str], dict[int, str], dict[int, str]]:
    header = ["Mobile", "First Name", "Email Address", "Ref"]
    rows, good, invalid = [], set(), {}
    for i in range(1, 61):
        ref = f"wx{i}"
        row = [f"+4423322234{i:02d}", f"F{i}", f"w{i}@example.com", ref]
        line = i + 1
        if i == 4:
            row[2], invalid[line] = "w4@@example.com", "E-mail"
        elif i == 8:
            row[0], invalid[line] = "abc", "MSISDN"
        else:
            good.add(ref)
        rows.append(row)
    return write_csv(path, header, rows, delimiter=";"), good, invalid, {}


def nj_file(path: Path) -> tuple[Path, set[str], dict[int, str], dict[int, str]]:
    header = ["Phone", "First Name", "Email", "Ref"]
    rows, good, invalid, refused = [], set(), {}, {}
    for i in range(1, 41):
        ref = f"nj{i}"
        row = [f"+614123457{i:02d}", f"F{i}", f"n{i}@example.com", ref]
        line = i + 1
        if i == 2:
            row[0], invalid[line] = "", "a phone number"  # every lead needs one
        elif i == 6:
            row[2], invalid[line] = "n6@", "Email"  # the template's own field name
        elif i == 10:
            row[0], refused[line] = "+61412345709", "105"  # line 10's phone, same batch
        elif i == 33:
            row[0], refused[line] = "+61412345703", "105"  # line 4's phone, an earlier batch
        else:
            good.add(ref)
        rows.append(row)
    return write_csv(path, header, rows), good, invalid, refused


FILES: dict[str, Callable[[Path], tuple[Path, set[str], dict[int, str], dict[int, str]]]] = {
    "questionpro": qp_file,
    "expoints": xp_file,
    "webex": wx_file,
    "noojee": nj_file,
}


def refs_in_record(url: str, vendor: str) -> Counter[str]:
    rows = record(url)[vendor]
    if vendor == "questionpro":
        return Counter(r["custom1"] for r in rows)
    if vendor == "expoints":
        return Counter(
            d["Value"] for r in rows for d in r["Data"] if d["CustomerDataColumnId"] == 20
        )
    return Counter(r["Ref"] for r in rows)


def check_exactly_once(
    url: str,
    vendor: str,
    summary: RunSummary,
    files: tuple[Any, ...],
    rejects_kinds: set[str],
    *,
    allow_unknown: bool = False,
) -> None:
    """Every valid row arrived once; with ``allow_unknown``, a row of unknown outcome (a reply
    lost on a POST) arrived at most once and is listed, never resent."""
    _path, good, invalid, refused = files
    sent = refs_in_record(url, vendor)
    if vendor == "noojee" and "nj33" in sent:
        # Lines 4 and 34 share a phone in different batches. Batches go out concurrently, and
        # a refused batch is split and resent, so either may arrive first: exactly one must,
        # and the other must be refused as a duplicate.
        good = (good - {"nj3"}) | {"nj33"}
        refused = {(4 if line == 34 else line): why for line, why in refused.items()}
    rejects = read_rejects(summary.rejects_path)
    unknown = {line for line, r in rejects.items() if r["kind"] == "unknown"}
    assert allow_unknown or not unknown, "no row left of unknown outcome"
    assert set(sent) <= good, "only valid rows arrived"
    assert len(good - set(sent)) <= len(unknown), "a valid row missing is listed unknown"
    assert max(sent.values()) == 1, f"no row arrived twice: {sent.most_common(3)}"
    for line, field in invalid.items():
        assert rejects[line]["kind"] == "invalid"
        assert rejects[line]["field"] == field, rejects[line]
        assert rejects[line]["reason"]
    for line, why in refused.items():
        assert rejects[line]["kind"] == "refused"
        assert why in rejects[line]["reason"], rejects[line]
    assert set(rejects) == set(invalid) | set(refused) | unknown
    assert {r["kind"] for r in rejects.values()} <= rejects_kinds | (
        {"unknown"} if unknown else set()
    )
    assert summary.rows_imported == len(good) - len(unknown)
    assert summary.rows_rejected == len(invalid) + len(refused) + len(unknown)
    assert summary.rows_unknown == len(unknown)
    assert summary.state == "finished"


@pytest.mark.parametrize("vendor", sorted(FILES))
def test_each_vendor_gets_every_valid_row_once(
    vendor: str, sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    files = FILES[vendor](tmp_path / f"{vendor}.csv")
    events: list[Any] = []
    summary, _run = do_import(sandbox_reset.url, vendor, files[0], batch_size=10, events=events)
    check_exactly_once(sandbox_reset.url, vendor, summary, files, {"invalid", "refused"})
    # A batch is "ok" only when every row of it was imported: one with a refused row is not.
    refused_in = {e.batch for e in events if isinstance(e, RowsRejected) and e.kind == "refused"}
    assert summary.batches_ok == summary.batches_total - len(refused_in)
    assert summary.rows_imported + summary.rows_rejected + summary.rows_not_sent == (
        summary.rows_total
    )
    assert not [e for e in events if isinstance(e, BatchFailed)]
    # journal and rejects hold customer data: owner-only
    for path in (summary.journal_path, summary.rejects_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("vendor", sorted(FILES))
def test_exactly_once_under_injected_faults(
    vendor: str, sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    files = FILES[vendor](tmp_path / f"{vendor}.csv")
    faults(sandbox_reset.url, **FAULTS)
    events: list[Any] = []
    summary, _run = do_import(sandbox_reset.url, vendor, files[0], batch_size=5, events=events)
    injected = sum(stats(sandbox_reset.url)["faults"].values())
    assert injected >= 2, ("the faults did happen", summary)
    assert any(isinstance(e, BatchRetrying) for e in events)
    # A dropped reply on a POST may have been acted on: unknown, never resent, except for
    # Noojee, which recognises the leads it holds (njExternalLeadId) and ends exactly once.
    check_exactly_once(
        sandbox_reset.url,
        vendor,
        summary,
        files,
        {"invalid", "refused"},
        allow_unknown=vendor != "noojee",
    )


def test_unnamed_bad_rows_are_isolated_by_halving(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    # The vendor refuses a batch without saying which row (a suppressed address): halve
    # until the bad rows stand alone.
    files = qp_file(tmp_path / "qp.csv", refused_domain="suppressed.example", why="suppression")
    events: list[Any] = []
    summary, _run = do_import(sandbox_reset.url, "questionpro", files[0], batch_size=20,
                              events=events)  # fmt: skip
    check_exactly_once(sandbox_reset.url, "questionpro", summary, files, {"invalid", "refused"})
    parts = {e.part for e in events if isinstance(e, BatchAcknowledged)}
    assert any("." in p for p in parts), parts  # halves of halves were sent
    # the batch holding lines 22 and 25 took more calls than one, but far fewer than 20
    assert stats(sandbox_reset.url)["requests"]["questionpro"] < 20


def test_expoints_required_columns_missing_refuses_before_sending(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = write_csv(tmp_path / "xp.csv", ["Email", "BU"], [["a@example.com", "Sales"]])
    write_test_profiles(monkeypatch, sandbox_reset.url)
    code, _out, err = main(capsys, "import", str(path), "--profile", "xp")
    assert code == 2
    assert "required field(s) not mapped" in err
    assert "First name customer (data:15)" in err and "Product (data:19)" in err
    assert "nothing was sent" in err
    assert record(sandbox_reset.url)["expoints"] == []
    assert stats(sandbox_reset.url)["requests"]["expoints"] == 1  # the data columns only


def test_exit_codes_0_1_2_3(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url = sandbox_reset.url
    write_test_profiles(monkeypatch, url, wrong=("qp",))
    rows = [[f"+4423322235{i:02d}", f"x{i}@example.com"] for i in range(12)]
    clean = write_csv(tmp_path / "clean.csv", ["Mobile", "Email"], rows)
    code, out, _err = main(capsys, "import", str(clean), "--profile", "wx", "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["rows_total"], result["rows_imported"], result["rows_rejected"]) == (12, 12, 0)
    assert set(result) >= {"run_id", "batches_total", "batches_ok", "batches_failed",
                           "rejects_path", "journal_path"}  # fmt: skip

    rows = [["+442332223601", "ok@example.com"], ["+442332223602", "bad@"]]
    some_bad = write_csv(tmp_path / "bad.csv", ["Mobile", "Email"], rows)
    code, out, _err = main(capsys, "import", str(some_bad), "--profile", "wx")
    assert code == 1
    assert "1 invalid" in out

    code, _out, err = main(capsys, "import", str(clean), "--profile", "wx", "--map", "Nope=msisdn")
    assert (code, "unknown column 'Nope'" in err) == (2, True)
    code, _out, err = main(capsys, "import", str(clean), "--profile", "nobody")
    assert (code, "no profile named 'nobody'" in err) == (2, True)
    code, _out, err = main(capsys, "import", str(tmp_path / "missing.csv"), "--profile", "wx")
    assert (code, "no such file" in err) == (2, True)

    qp = qp_file(tmp_path / "qp.csv")[0]
    code, out, err = main(
        capsys, "import", str(qp), "--profile", "qp", "--map", "Ref=custom1", "--region", "US"
    )
    assert code == 3
    assert "1010" in err and "what to do" in err
    assert "Traceback" not in err
    assert record(url)["questionpro"] == []


def test_global_sandbox_flag_runs_against_an_in_process_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, good, _invalid, _refused = wx_file(tmp_path / "wx.csv")
    code, out, _err = main(capsys, "--sandbox", "import", str(path), "--profile",
                           "sandbox-webex", "--json", "--batch-size", "7")  # fmt: skip
    assert code == 1
    result = json.loads(out)
    assert result["rows_imported"] == len(good)
    assert result["batches_total"] == 9  # 58 valid rows in batches of 7


def test_dry_run_sends_nothing_and_mapping_can_be_saved(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    write_test_profiles(monkeypatch, sandbox_reset.url)
    path, good, invalid, _refused = qp_file(tmp_path / "qp.csv")
    saved = tmp_path / "qp-mapping.toml"
    code, out, err = main(capsys, "import", str(path), "--profile", "qp", "--dry-run", "--json",
                          "--map", "Ref=custom1", "--save-mapping", str(saved))  # fmt: skip
    # A national number and no region: the dry run says so, as the real run would.
    assert code == 2 and "--region US" in err, err
    code, out, _err = main(capsys, "import", str(path), "--profile", "qp", "--dry-run", "--json",
                           "--map", "Ref=custom1", "--save-mapping", str(saved),
                           "--region", "US")  # fmt: skip
    assert code == 1
    result = json.loads(out)
    assert result["rows_rejected"] == len(invalid)
    assert stats(sandbox_reset.url)["requests"]["questionpro"] == 0
    assert 'Ref = "custom1"' in saved.read_text()
    code, out, _err = main(capsys, "import", str(path), "--profile", "qp", "--dry-run", "--json",
                           "--mapping", str(saved), "--region", "US")  # fmt: skip
    assert json.loads(out)["rows_imported"] == len(good) + 2  # the vendor-only refusals pass
    assert [r.state for r in list_runs()] == ["dry-run", "dry-run", "dry-run"]


def test_questionpro_products_fold_from_csv_rows_and_json_envelopes(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    header = ["Email", "Transaction Date", "Product", "Brand", "Price", "Ref"]
    rows = [
        ["a@example.com", "14/01/2020", "60 inch TV", "LG", "$699.99", "p1"],
        ["a@example.com", "14/01/2020", "Surface Pro", "Microsoft", "$599.99", "p1"],
        ["", "", "Mouse", "Logi", "$20", ""],  # a continuation row
        ["b@bad", "14/01/2020", "Phone", "X", "$1", "p2"],  # rejected, and so is
        ["", "", "Case", "X", "$2", ""],  # its continuation
        ["c@example.com", "2020-01-15", "Laptop", "Dell", "$900", "p3"],
    ]
    path = write_csv(tmp_path / "products.csv", header, rows)
    summary, _run = asyncio.run(_import_with(url, path, ["Price=pCustom2", "Ref=custom1"]))
    contacts = {c["custom1"]: c for c in record(url)["questionpro"]}
    assert set(contacts) == {"p1", "p3"}
    assert [p["productName"] for p in contacts["p1"]["products"]] == [
        "60 inch TV",
        "Surface Pro",
        "Mouse",
    ]
    assert contacts["p1"]["products"][0] == {
        "productName": "60 inch TV",
        "productGroup": "LG",
        "pCustom2": "$699.99",
    }
    assert contacts["p3"]["transactionDate"] == "15/01/2020"
    assert (summary.rows_imported, summary.rows_rejected) == (4, 2)
    rejects = read_rejects(summary.rejects_path)
    assert "continues the contact on line 5" in rejects[6]["reason"]

    # The vendor's own envelope, products already nested, streamed from JSON.
    httpx_reset(url)
    envelope = {
        "contacts": [
            {"email": "d@example.com", "transactionDate": "14/01/2020", "custom1": "j1",
             "products": [{"productName": "TV", "pCustom1": "MS-18KNYA1"}]},
            {"email": "e@example.com", "transactionDate": "14/01/2020", "custom1": "j2"},
        ],
    }  # fmt: skip
    json_path = tmp_path / "contacts.json"
    json_path.write_text(json.dumps(envelope, indent=2))
    summary, _run = asyncio.run(_import_with(url, json_path, []))
    contacts = {c["custom1"]: c for c in record(url)["questionpro"]}
    assert contacts["j1"]["products"] == [{"productName": "TV", "pCustom1": "MS-18KNYA1"}]
    assert contacts["j2"]["products"] == []
    assert summary.rows_imported == 2


async def _import_with(url: str, path: Path, overrides: list[str]) -> tuple[RunSummary, Any]:
    ctx = Context.for_sandbox(url)
    async with CXClient() as client:
        run = await prepare_import(
            ctx.account("sandbox-questionpro"),
            path,
            options=ImportOptions(batch_size=10),
            overrides=overrides,
            client=client,
        )
        return await run.run(), run


def httpx_reset(url: str) -> None:
    import httpx

    httpx.post(f"{url}/_sandbox/reset").raise_for_status()


def test_xlsx_and_json_lines_into_passthrough_vendors(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    import datetime as dt

    from openpyxl import Workbook

    url = sandbox_reset.url
    book = Workbook()
    sheet = book.active
    sheet.title = "Leads"
    sheet.append(["Mobile", "Email", "Joined", "Ref"])
    sheet.append([447911123456, "x1@example.com", dt.date(2024, 3, 1), "x1"])
    sheet.append(["+442332223499", "x2@example.com", dt.datetime(2024, 3, 2, 9), "x2"])
    sheet.append(["12", "x3@example.com", None, "x3"])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    summary, _run = do_import(url, "webex", path, batch_size=10)
    records = {r["Ref"]: r for r in record(url)["webex"]}
    assert set(records) == {"x1"}
    assert records["x1"]["msisdn"] == "+447911123456"  # a number cell, to E.164
    assert records["x1"]["Joined"] == "2024-03-01"  # a date cell as text, passed through
    rejects = read_rejects(summary.rejects_path)
    # The datastore's column takes a date only: 09:00 is not dropped, the row is rejected.
    assert rejects[3]["field"] == "Joined" and "time of day (09:00)" in rejects[3]["reason"]
    assert rejects[4]["field"] == "MSISDN"

    lines = tmp_path / "leads.jsonl"
    lines.write_text(
        '{"phone": "+61412345901", "firstName": "A", "Ref": "l1"}\n'
        "\n"
        '{"phone": "+61412345902", "Ref": "l2", "extra": {"a": 1}}\n'
        "{not json\n"
    )
    summary, _run = do_import(url, "noojee", lines, batch_size=10)
    leads = {r["Ref"]: r for r in record(url)["noojee"]}
    assert set(leads) == {"l1"}
    # The campaign template's own field name, never renamed (a Noojee lead's fields are its).
    assert leads["l1"]["phone"] == "+61412345901" and "phone1" not in leads["l1"]
    rejects = read_rejects(summary.rejects_path)
    assert sorted(rejects) == [3, 4]
    assert "nested" in rejects[3]["reason"] and rejects[3]["record"]["extra"] == {"a": 1}
    assert rejects[4]["record"] == "{not json"


def test_events_as_an_async_iterator(sandbox_reset: SandboxServer, tmp_path: Path) -> None:
    from cxconsole.importing import (
        BatchQueued,
        BatchSending,
        PreflightDone,
        Progress,
        RowsRejected,
        RunFinished,
        RunStarted,
    )

    path, good, invalid, _refused = wx_file(tmp_path / "wx.csv")

    async def go() -> list[Any]:
        ctx = Context.for_sandbox(sandbox_reset.url)
        async with CXClient() as client:
            run = await prepare_import(
                ctx.account("sandbox-webex"),
                path,
                options=ImportOptions(batch_size=10, progress_interval=0.01),
                client=client,
            )
            stream = run.events()  # subscribed before the run starts: sees everything
            task = asyncio.create_task(run.run())
            seen = [event async for event in stream]
            await task
            return seen

    seen = asyncio.run(go())
    assert isinstance(seen[-1], RunFinished)
    # The whole file is checked before the run starts sending, and says what it found.
    done = next(i for i, e in enumerate(seen) if isinstance(e, PreflightDone))
    started = next(i for i, e in enumerate(seen) if isinstance(e, RunStarted))
    assert done < started
    assert (seen[done].rows, seen[done].rows_invalid) == (60, len(invalid))
    assert not any(isinstance(e, BatchSending) for e in seen[:started])
    kinds = Counter(type(e).__name__ for e in seen)
    assert kinds["BatchQueued"] == kinds["BatchSending"] == kinds["BatchAcknowledged"] == 6
    rejected = [e for e in seen if isinstance(e, RowsRejected)]
    assert sorted(line for e in rejected for line in e.lines) == sorted(invalid)
    last = [e for e in seen if isinstance(e, Progress)][-1]
    assert (last.rows_imported, last.rows_rejected, last.rows_total) == (len(good), 2, 60)
    first_queued = next(i for i, e in enumerate(seen) if isinstance(e, BatchQueued))
    first_sending = next(i for i, e in enumerate(seen) if isinstance(e, BatchSending))
    assert first_queued < first_sending
    assert seen[-1].summary.rows_imported == len(good)


def test_a_webex_datetime_column_takes_the_time_and_offset_whole(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    """A datastore column of type datetime was written yyyy-MM-dd like a date column, so every
    value with a time of day was rejected."""
    url = sandbox_reset.url
    path = write_csv(
        tmp_path / "visits.csv",
        ["Mobile", "Email", "LastVisit", "Ref"],
        [
            ["+61412345601", "v1@example.com", "2026-01-14T10:30:00+10:00", "v1"],
            ["+61412345602", "v2@example.com", "2026-01-14 22:05:09", "v2"],
            ["+61412345603", "v3@example.com", "14/01/2026 10:30 PM", "v3"],
        ],
    )
    summary, _run = do_import(url, "webex", path, batch_size=10)
    records = {r["Ref"]: r for r in record(url)["webex"]}
    assert records["v1"]["LastVisit"] == "2026-01-14T10:30:00+10:00"  # its offset kept
    assert records["v2"]["LastVisit"] == "2026-01-14T22:05:09"  # none added
    assert records["v3"]["LastVisit"] == "2026-01-14T22:30:00"  # day first, 12-hour read
    assert summary.rows_imported == 3, read_rejects(summary.rejects_path)
