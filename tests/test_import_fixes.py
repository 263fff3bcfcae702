"""Rejected rows fixed in place and sent within their run: checked as the run checks rows,
journalled, exactly once (proved from the sandbox's record), and out of the rejects file."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from import_support import faults, main, read_rejects, record, write_csv, write_profiles

from cxconsole.client import CXClient
from cxconsole.context import Context
from cxconsole.importing import ImportOptions, prepare_import, prepare_resume
from cxconsole.importing.fixes import check_row, load_fixable
from cxconsole.importing.runs import list_runs
from cxconsole.sandbox.server import SandboxServer

# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def contacts(path: Path) -> Path:
    rows = []
    for i in range(1, 31):
        email = f"user{i}@example.com"
        if i == 4:
            email = "user4@@example.com"  # invalid here
        if i == 9:
            email = "user9@bounced.example"  # refused by the vendor
        rows.append([email, "14/01/2020", f"r{i}"])
    return write_csv(path, ["Email", "Date", "Ref"], rows)


def refs(url: str) -> Counter[str]:
    return Counter(r["custom1"] for r in record(url)["questionpro"])


def test_fixed_rows_are_checked_sent_once_and_leave_the_rejects_file(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path = contacts(tmp_path / "c.csv")
    ctx = Context.for_sandbox(url)

    async def go() -> tuple[Any, ...]:
        async with CXClient() as client:
            run = await prepare_import(
                ctx.account("sandbox-questionpro"),
                path,
                options=ImportOptions(batch_size=10),
                overrides=["Ref=custom1"],
                client=client,
            )
            first = await run.run()
            rows = await asyncio.to_thread(load_fixable, run)
            by_key = {row.key: row for row in rows}
            plan = run.row_plan()
            # An edit that is still wrong is said at once, and not sent.
            wrong = list(by_key[5].values)
            wrong[0] = "still@wrong@"
            assert check_row(plan, wrong) is not None and "E-mail" in check_row(plan, wrong)
            fixed4 = list(by_key[5].values)
            fixed4[0] = "user4@example.com"
            fixed9 = list(by_key[10].values)
            fixed9[0] = "user9@example.com"
            assert check_row(plan, fixed4) is None
            second = await run.send_fixed({5: fixed4, 10: fixed9})
            return first, rows, second

    first, rows, second = asyncio.run(go())
    assert (first.rows_imported, first.rows_invalid, first.rows_refused) == (28, 1, 1)
    assert {(r.key, r.kind) for r in rows} == {(5, "invalid"), (10, "refused")}
    assert rows[0].values[0] == "user4@@example.com"  # as the file said it
    arrived = refs(url)
    assert set(arrived) == {f"r{i}" for i in range(1, 31)} and max(arrived.values()) == 1
    assert (second.rows_imported, second.rows_rejected, second.rows_total) == (30, 0, 30)
    assert second.complete
    assert read_rejects(second.rejects_path) == {}


def test_a_fix_refused_again_is_listed_with_its_new_reason(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path = contacts(tmp_path / "c.csv")
    ctx = Context.for_sandbox(url)

    async def go() -> tuple[Any, Any]:
        async with CXClient() as client:
            run = await prepare_import(
                ctx.account("sandbox-questionpro"),
                path,
                options=ImportOptions(batch_size=10),
                overrides=["Ref=custom1"],
                client=client,
            )
            await run.run()
            run_id = run.run_id
        # Another session, as the screen's history opens it: the run's journal and rejects.
        async with CXClient() as client:
            again = await prepare_resume(run_id, ctx.account, client=client, fixing=True)
            rows = {r.key: r for r in await asyncio.to_thread(load_fixable, again)}
            fixed4 = list(rows[5].values)
            fixed4[0] = "user4@example.com"
            bounced = list(rows[10].values)
            bounced[0] = "other9@bounced.example"  # still on the bounce list
            return await again.send_fixed({5: fixed4, 10: bounced}), run_id

    summary, _run_id = asyncio.run(go())
    rejects = read_rejects(summary.rejects_path)
    assert set(rejects) == {10} and rejects[10]["kind"] == "refused"
    assert "other9@bounced.example" in rejects[10]["reason"]
    assert summary.rows_imported == 29 and refs(url)["r4"] == 1
    assert summary.rows_imported + summary.rows_rejected + summary.rows_not_sent == 30


def test_a_resume_after_a_fix_never_lists_the_fixed_row_again(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    from cxconsole.importing import BatchAcknowledged

    url = sandbox_reset.url
    path = contacts(tmp_path / "c.csv")
    ctx = Context.for_sandbox(url)

    async def go() -> Any:
        async with CXClient() as client:
            run = await prepare_import(
                ctx.account("sandbox-questionpro"),
                path,
                options=ImportOptions(batch_size=10, concurrency=1),
                overrides=["Ref=custom1"],
                client=client,
            )
            run.subscribe(lambda e: run.cancel() if isinstance(e, BatchAcknowledged) else None)
            stopped = await run.run()
            assert stopped.state == "cancelled" and stopped.rows_not_sent > 0
            rows = {r.key: r for r in await asyncio.to_thread(load_fixable, run)}
            fixed4 = list(rows[5].values)
            fixed4[0] = "user4@example.com"
            await run.send_fixed({5: fixed4})
            run_id = run.run_id
        async with CXClient() as client:
            resumed = await prepare_resume(run_id, ctx.account, client=client)
            return await resumed.run()

    summary = asyncio.run(go())
    rejects = read_rejects(summary.rejects_path)
    assert set(rejects) == {10}, "the fixed row is not listed again; the refused one is"
    arrived = refs(url)
    assert max(arrived.values()) == 1 and len(arrived) == 29
    assert summary.rows_imported == 29 and summary.rows_rejected == 1


async def _fix_then_async(
    url: str, path: Path, fault: str, ctx: Any, profile: str
) -> tuple[str, Any]:
    """The run, then its two rejected rows fixed and sent while the sandbox answers
    ``fault`` to every call: (run id, the fix's summary)."""
    async with CXClient() as client:
        account = await asyncio.to_thread(ctx.account, profile)
        run = await prepare_import(
            account, path, options=ImportOptions(batch_size=10), overrides=["Ref=custom1"],
            client=client,
        )  # fmt: skip
        await run.run()
        rows = {r.key: r for r in await asyncio.to_thread(load_fixable, run)}
        fixed4, fixed9 = list(rows[5].values), list(rows[10].values)
        fixed4[0], fixed9[0] = "user4@example.com", "user9@example.com"
        await asyncio.to_thread(faults, url, rate=1.0, faults=[fault], latency_ms=0)
        try:
            return run.run_id, await run.send_fixed({5: fixed4, 10: fixed9})
        finally:
            await asyncio.to_thread(faults, url, rate=0.0)


def _fix_then(url: str, path: Path, fault: str) -> tuple[str, Any]:
    return asyncio.run(_fix_then_async(url, path, fault, Context.default(), "qp"))


def test_a_failed_fix_batch_is_counted_failed_and_a_resume_sends_it_once(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv")
    run_id, fix = _fix_then(url, path, "500")
    # The fix's batch failed: its rows are failed (a resume sends them), not invalid/refused.
    assert (fix.rows_failed, fix.rows_invalid, fix.rows_refused) == (2, 0, 0), fix
    assert (fix.batches_total, fix.batches_failed, fix.batches_ok) == (4, 1, 2), fix
    assert fix.rows_imported + fix.rows_rejected + fix.rows_not_sent == 30
    assert fix.resumable
    listed = read_rejects(fix.rejects_path)
    assert {k: r["kind"] for k, r in listed.items()} == {5: "failed", 10: "failed"}
    assert listed[5]["Email"] == "user4@example.com", "listed as fixed, as a resume sends it"
    history = {r.run_id: r for r in list_runs()}[run_id]
    assert history.state == "resumable" and history.batches_failed == 1
    assert "r4" not in refs(url) and "r9" not in refs(url)

    args = ("import", str(path), "--profile", "qp", "--map", "Ref=custom1", "--batch-size", "10")
    code, out, err = main(capsys, *args, "--resume", run_id, "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert (result["rows_imported"], result["rows_rejected"], result["rows_failed"]) == (30, 0, 0)
    assert (result["batches_total"], result["batches_ok"], result["batches_failed"]) == (4, 3, 0)
    assert result["batches_not_sent"] == 0 and result["outcome"] == "complete"
    arrived = refs(url)
    assert len(arrived) == 30 and max(arrived.values()) == 1, "each fixed row sent once"
    assert read_rejects(fix.rejects_path) == {}
    history = {r.run_id: r for r in list_runs()}[run_id]
    assert (history.state, history.rows_imported, history.batches_failed) == ("finished", 30, 0)
    # Nothing is left to send: a second resume sends nothing.
    code, out, err = main(capsys, *args, "--resume", run_id)
    assert code == 2 and "nothing to resume" in err, (out, err)
    assert max(refs(url).values()) == 1


def test_an_unknown_fix_batch_is_unknown_and_resent_only_on_purpose(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv")
    run_id, fix = _fix_then(url, path, "drop_after")
    assert (fix.rows_unknown, fix.rows_invalid, fix.rows_refused) == (2, 0, 0), fix
    assert (fix.batches_total, fix.batches_unknown) == (4, 1), fix
    assert refs(url)["r4"] == 1, "the lost reply's batch was applied"
    args = ("import", str(path), "--profile", "qp", "--map", "Ref=custom1", "--batch-size", "10")
    code, out, err = main(capsys, *args, "--resume", run_id)
    assert code == 2 and "nothing to resume" in err, (out, err)
    code, out, err = main(capsys, *args, "--resume", run_id, "--resend-unknown", "--yes", "--json")
    result = json.loads(out)
    assert code == 0, (out, err)
    assert (result["rows_imported"], result["rows_unknown"], result["rows_rejected"]) == (30, 0, 0)
    assert (result["batches_total"], result["batches_ok"], result["batches_unknown"]) == (4, 3, 0)
    # Sent again on the operator's word, once: the vendor now holds the lost one twice.
    assert refs(url)["r4"] == 2 and refs(url)["r9"] == 2
    assert read_rejects(fix.rejects_path) == {}


async def test_the_history_panes_resume_sends_a_failed_fix_batch_once(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    from conftest import wait_until
    from test_imports_screen import open_imports

    from cxconsole.app import CXApp
    from cxconsole.widgets.import_history import HistoryTable

    url = sandbox_reset.url
    path = contacts(tmp_path / "c.csv")
    ctx = Context.for_sandbox(url)
    run_id, fix = await _fix_then_async(url, path, "500", ctx, "sandbox-questionpro")
    assert fix.rows_failed == 2 and fix.resumable
    app = CXApp(ctx=ctx, initial_mode="imports")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_imports(pilot)
        await pilot.press("f4")
        history = screen.query_one(HistoryTable)
        await wait_until(lambda: any(r.run_id == run_id for r in history.runs), pilot=pilot)
        assert history.current is not None and history.current.run_id == run_id
        await pilot.press("enter")
        await wait_until(lambda: screen.run is not None and screen.run.resumed, 10, pilot=pilot)
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        summary = screen.summary
    assert summary is not None and summary.complete, summary
    assert (summary.rows_imported, summary.rows_failed, summary.batches_total) == (30, 0, 4)
    arrived = await asyncio.to_thread(refs, url)
    assert len(arrived) == 30 and max(arrived.values()) == 1
