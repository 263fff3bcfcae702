"""Rejected rows fixed in place and sent within their run: checked as the run checks rows,
journalled, exactly once (proved from the sandbox's record), and out of the rejects file."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from import_support import read_rejects, record, write_csv

from cxconsole.client import CXClient
from cxconsole.context import Context
from cxconsole.importing import ImportOptions, prepare_import, prepare_resume
from cxconsole.importing.fixes import check_row, load_fixable
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
