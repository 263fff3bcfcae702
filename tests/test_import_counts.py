"""Counts that add up, said the same way everywhere: a refused key or profile stops the run at
once with its batches' rows failed and listed, a batch of fixed rows is a batch, one state word
for the command line, History and Home, and no run id for a run that was never made. Sandbox
over HTTP, the command as a subprocess, real files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from import_support import (
    PROFILES,
    cli,
    faults,
    read_rejects,
    record,
    write_csv,
    write_profiles,
)

from cxconsole.sandbox.server import SandboxServer

ROWS = ("rows_imported", "rows_invalid", "rows_refused", "rows_unknown", "rows_failed")
BATCHES = ("batches_ok", "batches_partial", "batches_failed", "batches_unknown")


# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def customers(path: Path, count: int) -> Path:
    rows = [[f"user{i}@example.com", f"+61412{i:06d}", "14/01/2020", f"F{i}"] for i in range(count)]
    return write_csv(path, ["Email", "Mobile", "Date", "First Name"], rows)


def add_up(data: dict[str, Any]) -> None:
    """Rows and batches add up to their totals."""
    assert sum(data[k] for k in (*ROWS, "rows_not_sent")) == data["rows_total"], data
    assert sum(data[k] for k in (*BATCHES, "batches_not_sent")) == data["batches_total"], data


@pytest.mark.parametrize("profile", ["qp", "nj"])
def test_a_wrong_key_fails_its_batches_rows_and_sends_no_more(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url, wrong=(profile,))
    data_file = customers(tmp_path / "c.csv", 400)
    code, out, err = cli("import", str(data_file), "--profile", profile, "--batch-size", "10")
    assert code == 3, (out, err)
    assert "rejects:" in out and "not sent are not in it (a resume sends them)" in out, out
    code, out, err = cli(
        "import", str(data_file), "--profile", profile, "--batch-size", "10", "--json"
    )
    data = json.loads(out)
    assert (code, data["state"]) == (3, "auth_failed"), (out, err)
    add_up(data)
    # Stopped at the first refusal: only the batches in flight with it went, never ~20.
    assert 1 <= data["batches_failed"] <= 4, data
    # A batch counted failed has its rows counted failed, and listed.
    assert data["rows_failed"] == 10 * data["batches_failed"], data
    rejects = read_rejects(Path(data["rejects_path"]))
    assert len(rejects) == data["rows_failed"] == data["rows_rejected"]
    assert {r["kind"] for r in rejects.values()} == {"failed"}
    assert all("a resume sends it again" in r["reason"] for r in rejects.values())


@pytest.mark.parametrize(("profile", "vendor"), [("xp", "expoints"), ("wx", "webex")])
def test_a_wrong_key_read_at_set_up_makes_no_run(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    profile: str,
    vendor: str,
) -> None:
    """Expoints and Webex fields are read from the account: the key is refused there."""
    url = sandbox_reset.url
    write_profiles(monkeypatch, url, wrong=(profile,))
    path = customers(tmp_path / "c.csv", 40)
    code, out, err = cli("import", str(path), "--profile", profile, "--json")
    data = json.loads(out)
    assert (code, data["state"], data["run_id"]) == (3, "auth_failed", None), (out, err)
    assert record(url).get(vendor, []) == []


def test_a_refusal_of_the_profile_stops_the_run_and_a_resume_sends_the_rest(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    good = PROFILES["nj"]
    monkeypatch.setitem(PROFILES, "nj", ("noojee", {**good[1], "template_id": 99}))
    write_profiles(monkeypatch, url)
    data_file = customers(tmp_path / "c.csv", 400)
    code, out, err = cli(
        "import", str(data_file), "--profile", "nj", "--batch-size", "10", "--json"
    )
    data = json.loads(out)
    assert (code, data["state"]) == (1, "stopped"), (out, err)
    assert "116" in data["message"] and "refuses the profile, not a row" in data["message"]
    add_up(data)
    assert 1 <= data["batches_failed"] <= 2 and data["batches_not_sent"] >= 38, data
    assert data["rows_failed"] == 10 * data["batches_failed"]
    assert len(read_rejects(Path(data["rejects_path"]))) == data["rows_failed"]
    # The profile put right, a resume sends the failed batches again with the rest.
    monkeypatch.setitem(PROFILES, "nj", good)
    write_profiles(monkeypatch, url)
    code, out, err = cli("import", "--resume", data["run_id"], "--json")
    done = json.loads(out)
    assert (code, done["state"], done["outcome"]) == (0, "finished", "complete"), (out, err)
    assert (done["rows_imported"], done["batches_ok"], done["batches_failed"]) == (400, 40, 0)
    assert read_rejects(Path(done["rejects_path"])) == {}
    # The run goes on in the profile put right, and from then on belongs to that account: a
    # later resume compares against template 12, not the refused 99.
    from cxconsole.importing.journal import Replay, read_journal

    replay = Replay.of(read_journal(Path(done["journal_path"])))
    assert str(replay.header.account["settings"]["template_id"]) == "12", replay.header.account


def test_a_failure_of_one_call_does_not_stop_the_run(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Webex's NOT_PROCESSED (with HTTP 200) is about the call: every batch is still tried."""
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    faults(url, rate=1.0, faults=["http200"], seed=1, latency_ms=0)
    path = customers(tmp_path / "c.csv", 40)
    code, out, err = cli("import", str(path), "--profile", "wx", "--batch-size", "10", "--json")
    data = json.loads(out)
    assert (code, data["state"], data["batches_failed"]) == (1, "finished", 4), (out, err)
    assert data["rows_failed"] == 40
    add_up(data)


def test_one_state_word_for_the_command_history_and_home(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxconsole.importing.runs import list_runs
    from cxconsole.screens.home import recent_runs
    from cxconsole.widgets.home_pictures import FULL, outcome_bar
    from cxconsole.widgets.import_history import describe, state_label

    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    faults(url, rate=0.5, faults=["http200"], seed=4, latency_ms=0)
    path = customers(tmp_path / "c.csv", 200)
    code, out, err = cli("import", str(path), "--profile", "wx", "--batch-size", "10")
    assert code == 1, (out, err)
    word = "finished, partly · resumable"
    assert f": {word}\n" in out, out
    (run,) = list_runs()
    assert word in state_label(run) and word in describe(run)
    (row,) = recent_runs()
    assert row["state"] == state_label(run) == f"⟳ {word}" and row["resumable"]
    bar = outcome_bar(*row["outcome"][:2], row["outcome"][3], {}, 10, row["outcome"][2])
    # Without colour the bar does not read as complete: the failed part has its own glyph.
    assert bar.plain != FULL * 10 and "✗" in bar.plain, bar.plain


def test_a_batch_of_fixed_rows_is_counted(sandbox_reset: SandboxServer, tmp_path: Path) -> None:
    from cxconsole.client import CXClient
    from cxconsole.context import Context
    from cxconsole.importing import ImportOptions, prepare_import, prepare_resume
    from cxconsole.importing.fixes import load_fixable
    from cxconsole.importing.runs import list_runs
    from cxconsole.widgets.import_history import counts_line

    url = sandbox_reset.url
    rows = [[f"user{i}@example.com", "14/01/2020"] for i in range(1, 31)]
    rows[3][0] = "user4@@example.com"  # invalid
    rows[13][0] = "user14@@example.com"  # invalid
    path = write_csv(tmp_path / "c.csv", ["Email", "Date"], rows)
    ctx = Context.for_sandbox(url)

    def batches(summary: Any) -> tuple[int, ...]:
        counts = (
            summary.batches_ok,
            summary.batches_partial,
            summary.batches_failed,
            summary.batches_unknown,
            summary.batches_not_sent,
        )
        assert sum(counts) == summary.batches_total, counts
        return (summary.batches_total, *counts)

    async def go() -> tuple[Any, ...]:
        async with CXClient() as client:
            run = await prepare_import(
                ctx.account("sandbox-questionpro"),
                path,
                options=ImportOptions(batch_size=10),
                client=client,
            )
            first = await run.run()
            fixable = {r.key: r for r in await asyncio.to_thread(load_fixable, run)}
            fixed = list(fixable[5].values)
            fixed[0] = "user4@example.com"
            second = await run.send_fixed({5: fixed})
        # Another session, as History's fix opens it: the fix batches are still counted.
        async with CXClient() as client:
            again = await prepare_resume(run.run_id, ctx.account, client=client, fixing=True)
            fixable = {r.key: r for r in await asyncio.to_thread(load_fixable, again)}
            fixed = list(fixable[15].values)
            fixed[0] = "user14@example.com"
            third = await again.send_fixed({15: fixed})
        return first, second, third

    first, second, third = asyncio.run(go())
    assert batches(first) == (3, 3, 0, 0, 0, 0)
    assert second.rows_imported == 29 and batches(second) == (4, 4, 0, 0, 0, 0)
    assert third.rows_imported == 30 and batches(third) == (5, 5, 0, 0, 0, 0)
    (run,) = list_runs()
    assert run.batches_ok == 5 and "batches: 5 ok, 0 failed" in counts_line(run)


def test_no_run_id_nor_paths_for_a_run_never_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_reset: SandboxServer
) -> None:
    state = tmp_path / "state"
    (state / "cxconsole").mkdir(parents=True)
    (state / "cxconsole" / "runs").write_text("")  # the runs folder cannot be made
    write_profiles(monkeypatch, sandbox_reset.url)
    path = customers(tmp_path / "c.csv", 20)
    code, out, err = cli("import", str(path), "--profile", "qp", "--json")
    data = json.loads(out)
    assert (code, data["state"]) == (1, "disk_error"), (out, err)
    assert data["run_id"] is data["journal_path"] is data["rejects_path"] is None, data
    assert "Not a directory" in data["message"]
    code, out, err = cli("import", str(path), "--profile", "qp")
    assert code == 1 and out.startswith("no run was made: disk error"), (out, err)
    assert "journal:" not in out and "resum" not in out, out
    assert record(sandbox_reset.url).get("questionpro", []) == []


def test_a_dry_run_needs_no_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_reset: SandboxServer
) -> None:
    """A dry run keeps nothing a later step needs: with a state dir it cannot write, it
    still reads and checks the whole file and counts it, and says it was not recorded."""
    state = tmp_path / "state"
    (state / "cxconsole").mkdir(parents=True)
    (state / "cxconsole" / "runs").write_text("")  # the runs folder cannot be made
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [[f"user{i}@example.com", f"+61412{i:06d}", "14/01/2020", f"F{i}"] for i in range(30)]
    rows[7][0] = "bad@@example.com"
    path = write_csv(tmp_path / "c.csv", ["Email", "Mobile", "Date", "First Name"], rows)
    dry = ("import", str(path), "--profile", "qp", "--dry-run", "--batch-size", "10")
    code, out, err = cli(*dry, "--json")
    data = json.loads(out)
    assert (code, data["state"], data["outcome"]) == (1, "finished", "partial"), (out, err)
    assert (data["rows_total"], data["rows_imported"], data["rows_invalid"]) == (30, 29, 1)
    assert data["batches_total"] == 3 and data["batches_ok"] == 3
    add_up(data)
    assert data["run_id"] is data["journal_path"] is data["rejects_path"] is None, data
    message = data["message"]
    assert "not recorded" in message and "Not a directory" in message, message
    assert str(state / "cxconsole") in message and "XDG_STATE_HOME" in message, message
    # The text summary says so too, and names no journal nor rejects file.
    code, out, err = cli(*dry)
    assert code == 1 and out.startswith("dry run not recorded: finished, partly"), (out, err)
    assert "journal:" not in out + err and "rejects:" not in out and "resum" not in out
    # --rejects puts the rejects where it says, state dir or not.
    rejects = tmp_path / "rejects.csv"
    code, out, err = cli(*dry, "--rejects", str(rejects), "--json")
    data = json.loads(out)
    assert (code, data["rejects_path"], data["rejects_missing"]) == (1, str(rejects), 0), out
    assert set(read_rejects(rejects)) == {9}
    assert record(sandbox_reset.url).get("questionpro", []) == []
    assert (state / "cxconsole" / "runs").is_file(), "nothing written into the state dir"


def test_a_run_never_made_counts_what_its_pre_flight_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_reset: SandboxServer
) -> None:
    """A real import whose state dir cannot be written says the invalid rows its pre-flight
    found, as the dry run of the same file does, never a 0 that is not true; with no rejects
    file written, rows_rejected (the rows the file lists) is null, the kinds still counted."""
    state = tmp_path / "state"
    (state / "cxconsole").mkdir(parents=True)
    (state / "cxconsole" / "runs").write_text("")  # the runs folder cannot be made
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [[f"user{i}@example.com", f"+61412{i:06d}", "14/01/2020", f"F{i}"] for i in range(50)]
    for i in (3, 9, 20):
        rows[i][0] = "bad@@example.com"
    path = write_csv(tmp_path / "c.csv", ["Email", "Mobile", "Date", "First Name"], rows)
    args = ("import", str(path), "--profile", "qp", "--batch-size", "10", "--json")
    code, out, err = cli(*args)
    real = json.loads(out)
    assert (code, real["state"]) == (1, "disk_error"), (out, err)
    assert (real["rows_invalid"], real["rows_not_sent"], real["rows_imported"]) == (3, 47, 0)
    assert real["rows_rejected"] is None and real["rejects_missing"] is None, real
    add_up(real)
    code, out, err = cli(*args, "--dry-run")
    dry = json.loads(out)
    assert dry["rows_invalid"] == real["rows_invalid"] == 3, dry
    assert dry["rows_rejected"] is None and dry["rejects_path"] is None, dry
    assert record(sandbox_reset.url).get("questionpro", []) == []


def test_the_catalog_marks_the_codes_that_refuse_the_profile() -> None:
    from cxconsole.catalog import all_entries, lookup
    from cxconsole.vendors import get_vendor

    account = {(e.vendor, e.code, e.http_status) for e in all_entries() if e.about_account}
    assert {
        ("questionpro", "1010", 401),
        ("questionpro", "1013", 403),
        ("questionpro", "1013", 429),  # the licence's quota, used up
        ("noojee", "401", 401),
        ("noojee", "116", 400),
        ("noojee", "117", 400),
        ("noojee", "115", 400),
        ("webex", "430", 401),
        ("expoints", "401", 401),
    } <= account
    # A code about a row, or a passing fault, never stops a run.
    for vendor in ("questionpro", "expoints", "noojee"):
        for code in get_vendor(vendor).row_refusal_codes():
            entry = lookup(vendor, code)
            assert entry is not None and not entry.about_account, (vendor, code)
    for vendor, code in (("questionpro", "429"), ("webex", "1010"), ("http", "503")):
        entry = lookup(vendor, code)
        assert entry is not None and not entry.about_account, (vendor, code)


def test_one_word_for_the_listed_rows_on_every_face(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows all of unknown outcome: --json's rows_rejected (every row the rejects file lists)
    is what History and Home call Listed, the unknown among them said apart."""
    from cxconsole.importing.runs import list_runs
    from cxconsole.screens.home import RUN_COLUMNS, recent_runs
    from cxconsole.widgets.import_history import COLUMNS, _cells, counts_line

    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    faults(url, rate=1.0, faults=["drop_after"], latency_ms=0)
    path = customers(tmp_path / "c.csv", 70)
    code, out, err = cli("import", str(path), "--profile", "qp", "--batch-size", "10", "--json")
    data = json.loads(out)
    assert (code, data["rows_rejected"], data["rows_unknown"]) == (1, 70, 70), (out, err)
    assert "70 listed, 70 of them unknown" in err, err  # the last progress line
    add_up(data)
    (run,) = list_runs()
    line = counts_line(run)
    assert "70 listed (70 unknown)" in line and "0 rejected" not in line, line
    cells = _cells(run, {})
    titles = {key: title for key, title, _rank in COLUMNS}
    assert titles["listed"] == "Listed" and "rejected" not in titles
    assert (cells["listed"].plain, cells["unknown"].plain) == ("70", "70")
    # Short of room for the run id, the profile is still shown: a wide column that does not
    # fit leaves its room to narrower ones (the profile went first, the run id after it).
    from cxconsole.widgets.import_history import fit

    shown = [key for key, _ in fit([cells], 95)]
    assert "profile" in shown and "unknown" in shown and "listed" in shown, shown
    assert "run" not in shown
    (row,) = recent_runs()
    assert {c.key: c.label for c in RUN_COLUMNS}["listed"] == "Listed"
    assert (row["listed"], row["unknown"]) == ("70", "70")
    assert not any(c.label == "Rejected" for c in RUN_COLUMNS)
