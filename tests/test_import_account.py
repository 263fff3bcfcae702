"""Runs follow the account, not the profile's name: a renamed profile keeps its runs (the
same file is refused, a stopped run resumes in it), and a profile removed and added again
pointing at another account refuses to finish the old run there, naming what changed.
The CLI as a subprocess against the sandbox over HTTP, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import poll_until
from import_support import MAIN, acks_in, cli, faults, record, write_profiles
from import_support import contacts_csv as contacts

from cxconsole.importing.runs import list_runs
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer
from cxconsole.settings import secret_env_var

# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def emails(url: str) -> Counter[str]:
    return Counter(r["email"] for r in record(url)["questionpro"])


def secrets_for(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        monkeypatch.setenv(secret_env_var(name), SANDBOX_SECRETS["questionpro"])


def cancelled_half_way(args: list[str], state: Path, acks: int) -> None:
    """The import started, then Ctrl-C (SIGINT) once ``acks`` batches were acknowledged."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxconsole", *args],
        env={**os.environ, "PYTHONPATH": str(MAIN)},
        cwd=MAIN,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        poll_until(lambda: acks_in(state) >= acks or proc.poll() is not None, 60, what="acks")
        assert proc.poll() is None, "the import ended before it could be stopped"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (out, err)


def test_a_renamed_profile_keeps_its_file_imported(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    secrets_for(monkeypatch, "qpx")
    path = contacts(tmp_path / "c.csv", 30)
    tail = ["--batch-size", "10", "--json"]
    code, out, err = cli("import", str(path), "--profile", "qp", *tail)
    assert code == 0, (out, err)
    first = json.loads(out)["run_id"]
    code, out, err = cli("profile", "rename", "qp", "qpx")
    assert code == 0, (out, err)
    code, out, err = cli("import", str(path), "--profile", "qpx", *tail)
    assert code == 2, (out, err)
    message = json.loads(out)["message"]
    assert f"run {first}" in message and "into profile 'qp', the account 'qpx' points at" in (
        message
    ), message
    assert "--again" in err, err
    assert max(emails(url).values()) == 1, "the refused run sent nothing"
    code, out, err = cli("import", str(path), "--profile", "qpx", *tail, "--again")
    assert code == 0, (out, err)
    assert set(emails(url).values()) == {2}


@pytest.mark.parametrize(
    "named",
    [
        pytest.param([], id="no profile given"),  # the one profile that points at its account
        pytest.param(["--profile", "qpy"], id="the new name given"),
    ],
)
def test_a_stopped_run_resumes_in_the_renamed_profile(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    named: list[str],
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    secrets_for(monkeypatch, "qpy")
    faults(url, latency_ms=40)
    path = contacts(tmp_path / "c.csv", 300)
    args = ["import", str(path), "--batch-size", "10", "--concurrency", "1"]
    cancelled_half_way([*args, "--profile", "qp"], home["state"], acks=3)
    code, out, err = cli("profile", "rename", "qp", "qpy")
    assert code == 0, (out, err)
    faults(url, latency_ms=0)
    resume = ["import", "--resume", "last"] if not named else [*args, *named, "--resume", "last"]
    code, out, err = cli(*resume, "--json")
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert summary["rows_imported"] == summary["rows_total"] == 300, summary
    assert emails(url) == Counter(f"user{i}@example.com" for i in range(1, 301))
    assert [r.state for r in list_runs()] == ["finished"]


def test_a_profile_added_again_for_another_account_refuses_the_old_run(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    faults(url, latency_ms=40)
    path = contacts(tmp_path / "c.csv", 300)
    args = ["import", str(path), "--batch-size", "10", "--concurrency", "1", "--profile", "qp"]
    cancelled_half_way(args, home["state"], acks=3)
    faults(url, latency_ms=0)
    sent = sum(emails(url).values())
    assert cli("profile", "remove", "qp")[0] == 0
    other = url.replace("127.0.0.1", "localhost") + "/qp"
    code, out, err = cli(
        "profile", "add", "qp", "--vendor", "questionpro", "--base-url", other,
        "--workspace-id", "999", "--no-secret",
    )  # fmt: skip
    assert code == 0, (out, err)
    run_id = list_runs()[0].run_id
    for resume in (["--resume", "last"], ["--resume", run_id]):
        code, out, err = cli(*args, *resume)
        assert code == 2, (out, err)
        assert f"run {run_id} sent to {url}/qp; profile 'qp' now points at {other} " in err, err
        assert f"(base URL {url}/qp then, {other} now)" in err, err
        assert "nothing was sent" in err and "Traceback" not in err, err
    assert sum(emails(url).values()) == sent, "nothing more was sent"
    assert [r.state for r in list_runs()] == ["resumable"]


def test_a_run_from_before_accounts_were_recorded_is_matched_by_name(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    secrets_for(monkeypatch, "qpx")
    path = contacts(tmp_path / "c.csv", 20)
    tail = ["--batch-size", "10", "--json"]
    assert cli("import", str(path), "--profile", "qp", *tail)[0] == 0
    # An older cxconsole's journal: its header names the profile, not the account.
    journal = list_runs()[0].journal_path
    lines = journal.read_text("utf-8").splitlines(keepends=True)
    header = json.loads(lines[0])
    assert header["account"] == {
        "vendor": "questionpro",
        "base": f"{url}/qp",
        "settings": {},  # QuestionPro's key chooses the account, not the workspace
    }
    del header["account"]
    rest = [json.loads(line) for line in lines[1:]]
    for entry in rest:
        entry.pop("account", None)  # its sessions did not say it either
    journal.write_text("".join(json.dumps(e) + "\n" for e in [header, *rest]), "utf-8")
    code, out, err = cli("import", str(path), "--profile", "qp", *tail)
    assert code == 2 and "--again" in err, (out, err)  # by name, as before
    assert cli("profile", "rename", "qp", "qpx")[0] == 0
    code, out, err = cli("import", str(path), "--profile", "qpx", *tail)
    assert code == 0, (out, err)  # another name, and no account to tell it is the same


def remember_in(profile: str, path: Path, choices: dict[str, str]) -> None:
    """The set-up's choices for ``path``'s columns, remembered for ``profile`` as a set-up
    that started a run keeps them (ImportSetup.remember)."""
    import asyncio

    from cxconsole.context import Context
    from cxconsole.importing.setup import ImportSetup

    async def choose() -> None:
        setup = ImportSetup()
        await setup.open_profile(Context.default().account(profile))
        await setup.open_file(path)
        for header, choice in choices.items():
            setup.choose(header, choice)
        setup.remember()

    asyncio.run(choose())


def test_a_renamed_profile_takes_its_remembered_mapping_and_a_removed_one_forgets_it(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    secrets_for(monkeypatch, "qp-new", "qp")
    # "Contact" names no field: only the operator's choice, remembered, sends it as the e-mail.
    path = tmp_path / "c.csv"
    path.write_text("Contact,Date\nuser1@example.com,14/01/2020\n", "utf-8")
    remember_in("qp", path, {"Contact": "email"})
    assert cli("profile", "rename", "qp", "qp-new")[0] == 0
    code, out, err = cli("import", str(path), "--profile", "qp-new", "--json")
    assert code == 0, (out, err)
    assert "the mapping chosen last time for this profile" in out + err, (out, err)
    assert emails(url) == Counter({"user1@example.com": 1})
    # Removed and added again, the name starts afresh: the choice is not applied unasked.
    assert cli("profile", "remove", "qp-new")[0] == 0
    code, out, err = cli(
        "profile", "add", "qp-new", "--vendor", "questionpro", "--base-url", f"{url}/qp",
        "--no-secret",
    )  # fmt: skip
    assert code == 0, (out, err)
    code, out, err = cli("import", str(path), "--profile", "qp-new", "--dry-run", "--json")
    assert code == 2 and "no column gives an e-mail" in err, (out, err)
    assert "chosen last time" not in out + err, (out, err)


def test_the_workspace_does_not_choose_a_questionpro_account(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """QuestionPro's import call is chosen by the key: a profile renamed and edited in its
    workspace is the same account for the same-file check (it sent duplicates) and for
    --resume (which refused) alike, and a journal that recorded a workspace (an older
    cxconsole) still resumes in it."""
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    secrets_for(monkeypatch, "qpw")
    faults(url, latency_ms=40)
    path = contacts(tmp_path / "c.csv", 300)
    args = ["import", str(path), "--batch-size", "10", "--concurrency", "1"]
    cancelled_half_way([*args, "--profile", "qp"], home["state"], acks=3)
    faults(url, latency_ms=0)
    journal = list_runs()[0].journal_path
    entries = [json.loads(line) for line in journal.read_text("utf-8").splitlines()]
    for entry in entries:
        if entry.get("account"):
            entry["account"]["settings"] = {"workspace_id": 5}
    journal.write_text("".join(json.dumps(e) + "\n" for e in entries), "utf-8")
    assert cli("profile", "rename", "qp", "qpw")[0] == 0
    assert cli("profile", "edit", "qpw", "--workspace-id", "1")[0] == 0
    sent = sum(emails(url).values())
    code, out, err = cli(*args, "--profile", "qpw")
    assert code == 2 and "--again" in err, (out, err)
    assert sum(emails(url).values()) == sent, "the same file was sent again"
    code, out, err = cli("import", "--resume", "last", "--json")
    assert code == 0, (out, err)
    assert emails(url) == Counter(f"user{i}@example.com" for i in range(1, 301))


def test_the_credentials_screen_s_rename_carries_the_mappings_and_says_what_it_could_not(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The screen renames through ProfileBook.edit (old_name): the remembered mappings go
    along; one that cannot be moved is a warning of a rename that was made, never a failure."""
    from cxconsole.context import Context
    from cxconsole.paths import remembered_mappings

    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "c.csv"
    path.write_text("Contact,Date\nuser1@example.com,14/01/2020\n", "utf-8")
    remember_in("qp", path, {"Contact": "email"})
    (kept,) = remembered_mappings("qp").iterdir()
    book = Context.default().book
    profile = book.profiles.get("qp").model_copy(update={"name": "qp-new"})
    outcome = book.edit(profile, None, old_name="qp")
    assert not outcome.warnings and not remembered_mappings("qp").exists()
    assert (remembered_mappings("qp-new") / kept.name).is_file()
    # Where the mappings should go is a file: the rename stands, the warning says why.
    remembered_mappings("qp-x").write_text("in the way", "utf-8")
    outcome = book.rename("qp-new", "qp-x")
    assert "qp-x" in book.profiles.load()
    (warning,) = outcome.warnings
    assert "mappings remembered for 'qp-new'" in warning and "could not be moved" in warning
    assert (remembered_mappings("qp-new") / kept.name).is_file(), "left where they were"
