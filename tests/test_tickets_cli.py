"""``cxconsole tickets`` run as a real subprocess, against its own in-process sandbox or ours."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxconsole.client import CXClient
from cxconsole.context import Context
from cxconsole.sandbox.server import SandboxServer
from cxconsole.tickets.export import DERIVED_FIELDS, TICKET_FIELDS
from cxconsole.tickets.paging import TicketPager
from cxconsole.tickets.query import TicketQuery

ROOT = Path(__file__).resolve().parents[1]
PROFILE = "sandbox-questionpro"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m cxconsole ARGS`` from the repository, in the test's own config/state dirs."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cxconsole", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full,
        timeout=120,
    )


def sandbox_tickets(*args: str) -> subprocess.CompletedProcess[str]:
    return cli("--sandbox", "tickets", "--profile", PROFILE, *args)


async def union_of_pages(server: SandboxServer, per_page: int) -> list[int]:
    """Ticket ids page by page, through the core pager, from a sandbox seeded like the CLI's."""
    account = Context.for_sandbox(server.url).account(PROFILE)
    async with CXClient() as client:
        pager = TicketPager(account, TicketQuery(PROFILE, per_page=per_page), client=client)
        first = await pager.fetch(1)
        ids = [t.ticketID for t in first.tickets]
        for number in range(2, first.shape.total_pages + 1):
            ids += [t.ticketID for t in (await pager.fetch(number)).tickets]
        await pager.aclose()
    return ids


async def test_all_as_json_is_the_union_of_the_pages(sandbox):
    out = sandbox_tickets("--format", "json", "--all", "--per-page", "100")
    assert out.returncode == 0, out.stderr
    tickets = json.loads(out.stdout)  # stdout holds the array and nothing else
    ids = [t["ticketID"] for t in tickets]
    assert len(ids) == len(set(ids)) >= 2500
    assert ids == await union_of_pages(sandbox, 100)
    # The vendor's names, then what the screen shows: status, time left, due.
    assert all(set(t) == {*TICKET_FIELDS, *DERIVED_FIELDS} for t in tickets)
    assert all(isinstance(t["ticketID"], int) and isinstance(t["rating"], str) for t in tickets)


def test_all_with_a_page_size_above_the_server_maximum():
    out = sandbox_tickets("--format", "json", "--all", "--per-page", "250")
    assert out.returncode == 0, out.stderr
    ids = [t["ticketID"] for t in json.loads(out.stdout)]
    assert len(ids) == len(set(ids)) == 2600
    assert "at most 100 tickets per page" in out.stderr


def test_pages_are_slices_of_all():
    every = [t["ticketID"] for t in json.loads(sandbox_tickets("--format", "json", "--all").stdout)]
    for page in (1, 2, 52):
        out = sandbox_tickets("--format", "json", "--page", str(page), "--per-page", "50")
        assert out.returncode == 0, out.stderr
        ids = [t["ticketID"] for t in json.loads(out.stdout)]
        assert ids == every[(page - 1) * 50 : page * 50]


def test_filters_and_csv_output(tmp_path: Path):
    target = tmp_path / "segment-101-escalated.csv"
    out = sandbox_tickets(
        "--segment", "101", "--status", "escalated", "--all", "--output", str(target)
    )
    assert out.returncode == 0, out.stderr
    assert f"to {target}" in out.stderr
    rows = list(csv.DictReader(target.read_text("utf-8-sig").splitlines(keepends=True)))
    assert rows and tuple(rows[0]) == (*TICKET_FIELDS, *DERIVED_FIELDS)
    from cxconsole.sandbox.data import make_tickets

    seeded = make_tickets(2600, 7, __import__("datetime").datetime.now())
    expected = [t.ticket_id for t in seeded if t.segment_id == 101 and t.status == 2]
    assert [int(r["ticketID"]) for r in rows] == expected


def test_table_shows_time_left_status_and_the_pager_line():
    out = sandbox_tickets("--status", "1", "--per-page", "20", "--page", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:4] == ["TICKET", "LEFT", "RATING", "STATUS"]
    assert len(lines) == 1 + 20 + 1
    assert all(" Open " in line for line in lines[1:21])
    assert lines[-1].startswith("page 2 of ") and "tickets" in lines[-1]
    # Open tickets of the second page: some still running, and the overdue ones marked "-".
    left = [line.split()[1] for line in lines[1:21]]
    assert any(not v.startswith("-") for v in left)


def test_overdue_tickets_are_marked_in_the_table():
    out = sandbox_tickets("--per-page", "100", "--page", "26")  # the oldest tickets
    assert out.returncode == 0, out.stderr
    left = [line.split()[1] for line in out.stdout.splitlines()[1:-1]]
    assert left and all(v.startswith("-") and "d" in v for v in left)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--profile", "nobody"), "no profile named 'nobody'"),
        (("--profile", "sandbox-expoints"), "(Expoints) serves no detractor tickets"),
    ],
)
def test_usage_errors_exit_2(args, message):
    out = cli("--sandbox", "tickets", *args)
    assert out.returncode == 2
    assert message in out.stderr and not out.stdout


def test_page_and_all_are_exclusive():
    out = sandbox_tickets("--page", "2", "--all")
    assert out.returncode == 2 and "not allowed with" in out.stderr


def test_vendor_error_prints_decoded_message_and_action():
    out = sandbox_tickets("--segment", "999")
    assert out.returncode == 1
    assert "1040 NOT_FOUND" in out.stderr
    assert "what to do:" in out.stderr and not out.stdout


def test_bad_key_exits_3(sandbox, isolated_home: Path):
    # A profile of the user's own (not the sandbox's), with a wrong key given in the environment.
    config = isolated_home / "config" / "cxconsole"
    config.mkdir(parents=True, exist_ok=True)
    (config / "profiles.toml").write_text(
        f'[profiles.ops-qp]\nvendor = "questionpro"\nbase_url = "{sandbox.url}/qp"\n', "utf-8"
    )
    env = {
        "XDG_CONFIG_HOME": str(isolated_home / "config"),
        "XDG_STATE_HOME": str(isolated_home / "state"),
        "CXCONSOLE_SECRET_OPS_QP": "not-the-key",
    }
    out = cli("tickets", "--profile", "ops-qp", env=env)
    assert out.returncode == 3, out.stderr
    assert "1010" in out.stderr and "what to do:" in out.stderr
    assert "not-the-key" not in out.stderr  # the secret never reaches the terminal


def test_a_page_past_the_end_is_a_usage_error():
    out = sandbox_tickets("--page", "99", "--per-page", "100")
    assert out.returncode == 2
    assert "no page 99" in out.stderr and "26 pages" in out.stderr and not out.stdout
