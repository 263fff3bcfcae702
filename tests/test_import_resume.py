"""Runs that stop half-way: SIGKILL and --resume, cancel and resume, a changed file, lost
replies, failed batches retried, pause; and the history read from the journals."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import poll_until, wait_until
from import_support import MAIN, acks_in, faults, main, read_rejects, record, write_csv
from import_support import write_profiles as write_test_profiles

from cxconsole.client import CXClient
from cxconsole.context import Context
from cxconsole.importing import (
    BatchAcknowledged,
    BatchFailed,
    BatchSending,
    ImportOptions,
    ResumeError,
    RowsRejected,
    StateChanged,
    list_runs,
    prepare_import,
    prepare_resume,
)
from cxconsole.importing.entries import Ack, End, Send
from cxconsole.importing.journal import read_journal
from cxconsole.sandbox.server import SandboxServer

# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def contacts(path: Path, count: int, bad: tuple[int, ...] = ()) -> tuple[Path, set[str]]:
    """QuestionPro contacts with a unique Ref (custom1); rows in ``bad`` have a bad e-mail."""
    rows, good = [], set()
    for i in range(1, count + 1):
        email = f"user{i}@example.com" if i not in bad else f"user{i}@invalid"
        rows.append([email, f"+6141{i:07d}", "14/01/2020", f"r{i}"])
        if i not in bad:
            good.add(f"r{i}")
    return write_csv(path, ["Email", "Mobile", "Date", "Ref"], rows), good


def finished(url: str) -> int:
    import httpx

    return int(httpx.get(f"{url}/_sandbox/stats", timeout=10).json()["finished"]["questionpro"])


def refs(url: str) -> Counter[str]:
    return Counter(r["custom1"] for r in record(url)["questionpro"])


def journal_of(state: Path) -> Path:
    journals = list((state / "cxconsole" / "runs").glob("*/journal.jsonl"))
    assert len(journals) == 1, journals
    return journals[0]


def acked_lines(entries: list[dict[str, Any]]) -> set[int]:
    return {
        line
        for e in entries
        if isinstance(e, Ack)
        for first, last in e.lines
        for line in range(first, last + 1)
    }


def test_sigkill_half_way_then_resume_last_sends_each_row_once(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = sandbox_reset.url
    write_test_profiles(monkeypatch, url)
    path, good = contacts(tmp_path / "contacts.csv", 400, bad=(7, 150))
    faults(url, latency_ms=60)
    args = ["import", str(path), "--profile", "qp", "--map", "Ref=custom1", "--batch-size", "10"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxconsole", *args],
        env={**os.environ, "PYTHONPATH": str(MAIN)},
        cwd=MAIN,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def eight_acked() -> bool:
            runs = list((home["state"] / "cxconsole" / "runs").glob("*/journal.jsonl"))
            if runs and sum(1 for e in read_journal(runs[0]) if isinstance(e, Ack)) >= 8:
                return True
            assert proc.poll() is None, "the import ended before it could be killed"
            return False

        poll_until(eight_acked, 60, what="eight acknowledged batches")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = read_journal(journal_of(home["state"]))
    acked_before = acked_lines(before)
    assert 80 <= len(acked_before) < 398  # killed half-way
    assert not any(isinstance(e, End) for e in before)
    assert [r.state for r in list_runs()] == ["resumable"]

    code, out, err = main(capsys, "import", "--resume", "last", "--json")
    assert code == 1, err  # the two invalid rows, and maybe rows left unknown by the kill
    result = json.loads(out)
    after = read_journal(journal_of(home["state"]))
    resent = {
        line
        for e in after[len(before) :]
        if isinstance(e, Send)
        for first, last in e.lines
        for line in range(first, last + 1)
    }
    assert not resent & acked_before, "an acknowledged row was sent again"
    print(f"acked before the kill: {len(acked_before)}, sent on resume: {len(resent)}")

    sent = refs(url)
    assert max(sent.values()) == 1, "no row arrived twice"
    rejects = read_rejects(Path(result["rejects_path"]))
    unknown = {f"r{line - 1}" for line, r in rejects.items() if r["kind"] == "unknown"}
    # Each valid row arrived once, except rows in flight at the kill: listed as unknown
    # outcome (never resent automatically), and arrived at most once.
    assert good - set(sent) <= unknown
    assert set(sent) <= good
    assert {rejects[8]["kind"], rejects[151]["kind"]} == {"invalid"}
    assert result["rows_imported"] == len(set(sent) - unknown)
    assert result["rows_imported"] + len(unknown) + 2 == result["rows_total"] == 400
    assert list_runs()[0].state == "finished"
    # The batches of the whole run, the killed session's included, add up to the total.
    batches = ("batches_ok", "batches_partial", "batches_failed", "batches_unknown")
    assert sum(result[k] for k in batches) == result["batches_total"] == 40
    assert result["batches_not_sent"] == 0


async def _cancel_after_first_ack(url: str, path: Path) -> Any:
    ctx = Context.for_sandbox(url)
    account = ctx.account("sandbox-questionpro")
    async with CXClient() as client:
        run = await prepare_import(
            account,
            path,
            options=ImportOptions(batch_size=5, concurrency=2),
            overrides=["Ref=custom1"],
            client=client,
        )

        def on_event(event: Any) -> None:
            if isinstance(event, BatchAcknowledged):
                run.cancel()

        run.subscribe(on_event)
        return await run.run()


async def _resume(url: str, run_id: str) -> Any:
    ctx = Context.for_sandbox(url)
    async with CXClient() as client:
        run = await prepare_resume(run_id, ctx.account, client=client)
        return await run.run()


def test_cancel_leaves_a_resumable_run_and_resume_finishes_it(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    path, good = contacts(tmp_path / "c.csv", 60, bad=(3,))
    faults(url, latency_ms=30)
    first = asyncio.run(_cancel_after_first_ack(url, path))
    assert first.state == "cancelled"
    assert 0 < first.rows_imported < len(good)
    assert first.resumable
    assert list_runs()[0].state == "resumable"
    # Counts that add up: every row not imported is "not imported", the unsent included.
    assert first.rows_imported + first.rows_not_imported == first.rows_total == 60
    assert first.rows_not_sent > 0 and first.batches_not_sent > 0
    assert first.batches_ok + first.batches_not_sent == first.batches_total == 12
    second = asyncio.run(_resume(url, first.run_id))
    assert second.state == "finished"
    assert second.rows_imported == len(good)
    # The resumed run's batches are the whole run's, the first session's included.
    assert (second.batches_ok, second.batches_not_sent, second.batches_total) == (12, 0, 12)
    sent = refs(url)
    assert set(sent) == good and max(sent.values()) == 1
    assert list_runs()[0].state == "finished"
    with pytest.raises(ResumeError, match="finished: nothing to resume"):
        asyncio.run(_resume(url, first.run_id))


def test_a_changed_file_refuses_to_resume(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = sandbox_reset.url
    path, _good = contacts(tmp_path / "c.csv", 60)
    faults(url, latency_ms=30)
    first = asyncio.run(_cancel_after_first_ack(url, path))
    assert first.state == "cancelled"
    with path.open("a") as fh:
        fh.write("late@example.com,+61499999999,14/01/2020,r999\n")
    with pytest.raises(ResumeError, match="changed since run"):
        asyncio.run(_resume(url, first.run_id))
    write_test_profiles(monkeypatch, url)
    code, _out, err = main(capsys, "import", "--resume", first.run_id)
    assert code == 2
    assert "changed since run" in err and "start a new run" in err
    # same size, different bytes: the content hash notices
    text = path.read_text().replace("user10@", "user1X@")
    path.write_text(text)
    with pytest.raises(ResumeError, match="changed since run"):
        asyncio.run(_resume(url, first.run_id))


def test_a_lost_reply_is_unknown_listed_and_not_resent(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    sandbox_reset.state.slow_delay_s = 1.0
    faults(url, rate=1.0, faults=["slow"], seed=1)
    path, _good = contacts(tmp_path / "c.csv", 8)
    ctx = Context.for_sandbox(url)

    def short_read(policy: Any) -> Any:
        return dataclasses.replace(policy, read_timeout=0.3)

    async def go() -> Any:
        async with CXClient(tune=short_read) as client:
            run = await prepare_import(
                ctx.account("sandbox-questionpro"),
                path,
                options=ImportOptions(batch_size=4),
                overrides=["Ref=custom1"],
                client=client,
                errors=ctx.errors,
            )
            return await run.run()

    summary = asyncio.run(go())
    assert summary.state == "finished"
    assert (summary.rows_unknown, summary.batches_unknown, summary.rows_imported) == (8, 2, 0)
    rejects = read_rejects(summary.rejects_path)
    assert {r["kind"] for r in rejects.values()} == {"unknown"}
    assert "unknown outcome" in rejects[2]["reason"]
    assert ctx.errors.groups()[0].code == "UNKNOWN_OUTCOME"
    # The server's slow replies end (it counts each call it finished).
    asyncio.run(wait_until(lambda: finished(url) >= 2, 30, what="the slow replies"))
    sends = [e for e in read_journal(summary.journal_path) if isinstance(e, Send)]
    assert len(sends) == 2, "each batch sent once, never again"
    assert refs(url) == Counter()


def test_retry_failed_sends_failed_batches_again(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    faults(url, rate=1.0, faults=["503"], seed=1)
    path, good = contacts(tmp_path / "c.csv", 12)

    async def go() -> tuple[Any, Any]:
        ctx = Context.for_sandbox(url)
        async with CXClient(tune=lambda p: dataclasses.replace(p, max_attempts=1)) as client:
            run = await prepare_import(
                ctx.account("sandbox-questionpro"),
                path,
                options=ImportOptions(batch_size=5),
                overrides=["Ref=custom1"],
                client=client,
            )
            first = await run.run()
            assert run.failed_batches == [1, 2, 3]
            rejects = read_rejects(first.rejects_path)
            assert {r["kind"] for r in rejects.values()} == {"failed"}
            faults(url, rate=0.0)
            assert run.retry_failed() == 3
            return first, await run.run()

    first, second = asyncio.run(go())
    assert (first.rows_failed, first.batches_failed, first.rows_imported) == (12, 3, 0)
    assert first.resumable
    assert (second.rows_failed, second.batches_failed, second.rows_imported) == (0, 0, 12)
    assert second.rows_rejected == 0
    assert read_rejects(second.rejects_path) == {}
    assert set(refs(url)) == good


def test_pause_holds_new_batches_and_resume_continues(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    url = sandbox_reset.url
    faults(url, latency_ms=20)
    path, good = contacts(tmp_path / "c.csv", 40)

    async def go() -> list[Any]:
        ctx = Context.for_sandbox(url)
        seen: list[Any] = []
        async with CXClient() as client:
            run = await prepare_import(
                ctx.account("sandbox-questionpro"),
                path,
                options=ImportOptions(batch_size=4, concurrency=1),
                overrides=["Ref=custom1"],
                client=client,
            )
            acked = asyncio.Event()

            def on_event(event: Any) -> None:
                seen.append(event)
                if isinstance(event, BatchAcknowledged):
                    acked.set()

            run.subscribe(on_event)

            def in_flight() -> int:
                sent = sum(1 for e in seen if isinstance(e, BatchSending))
                answered = sum(
                    1 for e in seen if isinstance(e, BatchAcknowledged | BatchFailed | RowsRejected)
                )
                return sent - answered

            async def steer() -> None:
                await acked.wait()
                run.pause()
                await wait_until(lambda: in_flight() <= 0, 30, what="the batches in flight")
                for _ in range(100):  # the loop runs; a sender that was not paused would send
                    await asyncio.sleep(0)
                seen.append("checkpoint")
                run.resume()

            steering = asyncio.create_task(steer())
            await run.run()
            await steering
        return seen

    seen = asyncio.run(go())
    paused = next(i for i, e in enumerate(seen) if e == StateChanged("paused"))
    checkpoint = seen.index("checkpoint")
    sending_while_paused = [e for e in seen[paused:checkpoint] if isinstance(e, BatchSending)]
    assert len(sending_while_paused) <= 1  # at most the one already taken
    assert set(refs(url)) == good


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
async def test_sigterm_or_hangup_stops_like_ctrl_c_leaving_no_row_unknown(
    sig: signal.Signals,
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `timeout`, systemd, CI runners and a dropped ssh session stop an import with SIGTERM or
    # SIGHUP, not Ctrl-C: it must finish the batches in flight, as for Ctrl-C, rather than die
    # with their replies unread (rows of unknown outcome that an operator must check by hand).
    url = sandbox_reset.url
    write_test_profiles(monkeypatch, url)
    path, _good = contacts(tmp_path / "contacts.csv", 400)
    faults(url, latency_ms=60)
    args = ["import", str(path), "--profile", "qp", "--map", "Ref=custom1", "--batch-size", "10"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cxconsole",
        *args,
        "--json",
        env={**os.environ, "PYTHONPATH": str(MAIN)},
        cwd=MAIN,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:

        def some_acked() -> bool:
            assert proc.returncode is None, "the import ended before it could be stopped"
            return acks_in(home["state"]) >= 4

        await wait_until(some_acked, 60, what="acknowledged batches")
        proc.send_signal(sig)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 130
    result = json.loads(out)
    assert result["state"] == "cancelled"
    assert result["rows_unknown"] == 0
    assert result["rows_imported"] == sum(refs(url).values())
    assert [r.state for r in list_runs()] == ["resumable"]


@pytest.mark.parametrize("last_word", ["input_error", "error"])
def test_a_run_its_file_or_a_bug_stopped_is_called_resumable_by_no_face(
    last_word: str,
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One rule (the core's is_resumable): the command's summary offers no resume for a run
    that ended on its file, its options or a bug, so neither do History, Home nor --resume last."""
    from cxconsole.importing.events import is_resumable
    from cxconsole.widgets.import_history import describe, run_word

    write_test_profiles(monkeypatch, sandbox_reset.url)
    path, _ = contacts(tmp_path / "c.csv", 20)
    code, _out, err = main(capsys, "import", str(path), "--profile", "qp", "--map", "Ref=custom1")
    assert code == 0, err
    (run,) = list_runs()
    # The run's last word, as a run that stopped so writes it.
    lines = run.journal_path.read_text("utf-8").splitlines()
    end = json.loads(lines[-1])
    assert end["t"] == "end"
    end["state"] = end["summary"]["state"] = last_word
    run.journal_path.write_text("\n".join([*lines[:-1], json.dumps(end)]) + "\n", "utf-8")
    (run,) = list_runs()
    assert not is_resumable(last_word)
    assert run.state != "resumable"
    assert "resumable" not in run_word(run) and "resume it" not in describe(run)
    code, _out, err = main(capsys, "import", "--resume", "last", "--profile", "qp")
    assert code == 2 and "no resumable run" in err, err
