"""A run belongs to the profile that points at its account now: History (F4) and Home show a
renamed profile's new name with the old one beside it, and resuming from History, when several
profiles point at the run's account and none is the run's own, asks which one first (Pilot,
the CLI as a subprocess, the sandbox over HTTP, real profiles.toml and journals)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from conftest import wait_until
from import_support import cli, record, write_profiles
from import_support import contacts_csv as contacts
from test_import_account import cancelled_half_way, secrets_for
from textual.widgets import DataTable, Static

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.importing import resume_choices
from cxconsole.importing.runs import list_runs
from cxconsole.profiles import Profile
from cxconsole.sandbox.server import SandboxServer
from cxconsole.screens.imports import ImportsScreen
from cxconsole.widgets.choice import Choice
from cxconsole.widgets.import_history import HistoryTable

pytestmark = pytest.mark.usefixtures("home")
SIZE = (140, 40)


def emails(url: str) -> Counter[str]:
    return Counter(r["email"] for r in record(url)["questionpro"])


async def history_of(pilot: object, app: CXApp) -> tuple[ImportsScreen, HistoryTable]:
    await wait_until(lambda: isinstance(app.screen, ImportsScreen), pilot=pilot)
    screen = app.screen
    assert isinstance(screen, ImportsScreen)
    await pilot.press("f4")  # type: ignore[attr-defined]
    history = screen.query_one(HistoryTable)
    await wait_until(lambda: history.current is not None, pilot=pilot, what="the runs")
    return screen, history


def cell(table: DataTable[object], key: str) -> str:
    labels = [str(c.key.value) for c in table.ordered_columns]
    return str(table.get_row_at(0)[labels.index(key)])


async def test_history_and_home_name_the_renamed_profile_and_say_the_old_name(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    secrets_for(monkeypatch, "qp-new")
    path = contacts(tmp_path / "c.csv", 20)
    assert cli("import", str(path), "--profile", "qp", "--json")[0] == 0
    assert cli("profile", "rename", "qp", "qp-new")[0] == 0

    app = CXApp(ctx=Context.default())
    async with app.run_test(size=SIZE) as pilot:
        runs = app.screen.query_one("#runs", DataTable)
        await wait_until(lambda: runs.row_count == 1, 20, pilot=pilot, what="Home's run")
        assert cell(runs, "profile") == "qp-new (was qp)"

    app = CXApp(ctx=Context.default(), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen, history = await history_of(pilot, app)
        assert cell(history, "profile") == "qp-new (was qp)"
        detail = str(screen.query_one("#history-detail", Static).render())
        assert "Profile: qp-new (was qp) (questionpro)" in detail, detail

    # Removed, no profile points at the run's account: the name it was made in, as before.
    assert cli("profile", "remove", "qp-new")[0] == 0
    app = CXApp(ctx=Context.default(), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        _screen, history = await history_of(pilot, app)
        assert cell(history, "profile") == "qp"


async def test_history_asks_which_profile_when_several_point_at_the_run_account(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    secrets_for(monkeypatch, "qp-a", "qp-b")
    from import_support import faults

    faults(url, latency_ms=40)
    path = contacts(tmp_path / "c.csv", 300)
    args = ["import", str(path), "--batch-size", "10", "--concurrency", "1", "--profile", "qp"]
    cancelled_half_way(args, home["state"], acks=3)
    faults(url, latency_ms=0)
    assert cli("profile", "rename", "qp", "qp-a")[0] == 0
    code, out, err = cli(
        "profile", "add", "qp-b", "--vendor", "questionpro", "--base-url", f"{url}/qp",
        "--no-secret",
    )  # fmt: skip
    assert code == 0, (out, err)
    # The command line asks for --profile; History asks which.
    code, out, err = cli("import", "--resume", "last")
    assert code == 2 and "--profile" in err, (out, err)

    app = CXApp(ctx=Context.default(), initial_mode="imports")
    async with app.run_test(size=SIZE) as pilot:
        screen, history = await history_of(pilot, app)
        assert cell(history, "profile") == "qp-a or qp-b (was qp)"
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, Choice), pilot=pilot, what="the question")
        assert isinstance(app.screen, Choice)
        question = app.screen.question
        assert "'qp-a', 'qp-b' all point at its account" in question, question
        await pilot.press("escape")  # no answer: nothing is resumed
        await wait_until(lambda: app.screen is screen, pilot=pilot)
        assert screen.run is None
        await pilot.press("enter")
        await wait_until(lambda: isinstance(app.screen, Choice), pilot=pilot, what="asked again")
        await pilot.press("2")
        await wait_until(lambda: screen.run is not None and screen.run.resumed, 20, pilot=pilot)
        assert screen.run is not None and screen.run.account.profile.name == "qp-b"
        await wait_until(lambda: screen.summary is not None, 60, pilot=pilot)
        assert screen.summary is not None and screen.summary.state == "finished"
    assert emails(url) == Counter(f"user{i}@example.com" for i in range(1, 301))
    assert [r.state for r in list_runs()] == ["finished"]


def test_the_run_s_own_profile_is_taken_without_a_question() -> None:
    base = "http://127.0.0.1:1/qp"
    account = Profile(name="qp", vendor="questionpro", base_url=base).account_identity()
    profiles = {
        name: Profile(name=name, vendor="questionpro", base_url=base) for name in ("qp", "qp-b")
    }
    assert resume_choices(account, "qp", profiles) == []  # its own still points there
    profiles.pop("qp")
    assert resume_choices(account, "qp", profiles) == []  # the one that does: no question
    profiles["qp-c"] = Profile(name="qp-c", vendor="questionpro", base_url=base)
    assert resume_choices(account, "qp", profiles) == ["qp-b", "qp-c"]
