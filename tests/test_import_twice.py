"""Never a customer twice: rows of one file that the vendor takes for the same record are
caught in the whole-file pre-flight (whatever the batch size), a Noojee 112 counts as
imported only for a lead this run sent before, and the same file is not imported into the
same profile twice without the operator saying so. Sandbox over HTTP, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import poll_until
from import_support import (
    MAIN,
    acks_in,
    cli,
    faults,
    read_rejects,
    record,
    write_csv,
    write_profiles,
)

from cxconsole.sandbox.server import SandboxServer

# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def result(out: str) -> dict:
    return json.loads(out)


def start(args: list[str]) -> subprocess.Popen[str]:
    """``python -m cxconsole ARGS`` started, not waited for."""
    return subprocess.Popen(
        [sys.executable, "-m", "cxconsole", *args],
        env={**os.environ, "PYTHONPATH": str(MAIN)},
        cwd=MAIN,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# -- Expoints: a duplicate e-mail is caught across the whole file ------------------------------

XP_MAP = ["--map", "First=First name customer", "--map", "Last=Family_name_customer"]


def xp_file(path: Path) -> Path:
    rows = [[f"e{i}@x.com", f"A{i}", f"L{i}", "RN", "W"] for i in range(10)]
    rows.insert(4, ["e1@x.com", "Dup", "L", "RN", "W"])  # line 6
    rows.insert(7, ["E2@X.com", "Dup2", "L", "RN", "W"])  # line 9
    return write_csv(path, ["Email", "First", "Last", "BU", "Product"], rows)


@pytest.mark.parametrize("batch_size", ["100", "3", "1"])
def test_expoints_duplicate_emails_are_refused_whatever_the_batch_size(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: str
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = xp_file(tmp_path / "xpdup.csv")
    args = ["import", str(path), "--profile", "xp", "--batch-size", batch_size, *XP_MAP]
    code, out, err = cli(*args, "--json")
    summary = result(out)
    assert code == 1, (out, err)
    assert (summary["rows_imported"], summary["rows_invalid"]) == (10, 2), summary
    emails = [c["Email"].casefold() for c in record(url)["expoints"]]
    assert sorted(emails) == sorted(f"e{i}@x.com" for i in range(10)), "each address once"
    rejects = read_rejects(Path(summary["rejects_path"]))
    assert set(rejects) == {6, 9}
    assert "also line 3" in rejects[6]["reason"] and rejects[6]["kind"] == "invalid"
    assert "also line 4" in rejects[9]["reason"]


def test_expoints_dry_run_gives_the_same_verdict_at_any_batch_size(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = xp_file(tmp_path / "xpdup.csv")
    args = ["import", str(path), "--profile", "xp", "--batch-size", "3", *XP_MAP, "--dry-run"]
    code, out, err = cli(*args, "--json")
    assert code == 1, (out, err)
    assert result(out)["rows_invalid"] == 2
    assert record(url)["expoints"] == []


# -- Noojee: one external id twice in a file ---------------------------------------------------


def nj_file(path: Path) -> Path:
    rows = [["A1", "Ann", "0412345678"], ["A1", "Bob", "0412345679"], ["A2", "Cat", "0412345670"]]
    return write_csv(path, ["id", "first_name", "phone"], rows)


NJ = ["--profile", "nj", "--map", "id=njExternalLeadId", "--region", "AU"]


@pytest.mark.parametrize("batch_size", ["50", "1"])
def test_noojee_rows_sharing_an_external_id_are_refused_before_sending(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: str
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = nj_file(tmp_path / "njdup.csv")
    code, out, err = cli("import", str(path), *NJ, "--batch-size", batch_size, "--json")
    summary = result(out)
    assert code == 1, (out, err)
    assert (summary["rows_imported"], summary["rows_invalid"]) == (2, 1), summary
    leads = {(r["njExternalLeadId"], r["first_name"]) for r in record(url)["noojee"]}
    assert leads == {("A1", "Ann"), ("A2", "Cat")}
    rejects = read_rejects(Path(summary["rejects_path"]))
    assert set(rejects) == {3} and "also line 2" in rejects[3]["reason"], rejects
    assert rejects[3]["kind"] == "invalid"


def test_a_noojee_112_for_a_lead_this_run_never_sent_is_not_imported(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another file put A1 into the campaign before: this run's A1 (another person) is
    answered 112, and that is a refusal, not an import."""
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    first = write_csv(
        tmp_path / "first.csv", ["id", "first_name", "phone"], [["A1", "Ann", "0412345678"]]
    )
    code, out, err = cli("import", str(first), *NJ, "--json")
    assert code == 0, (out, err)
    second = write_csv(
        tmp_path / "second.csv",
        ["id", "first_name", "phone"],
        [["A1", "Bob", "0412345679"], ["A2", "Cat", "0412345670"]],
    )
    code, out, err = cli("import", str(second), *NJ, "--json")
    summary = result(out)
    assert code == 1, (out, err)
    assert (summary["rows_imported"], summary["rows_refused"]) == (1, 1), summary
    leads = {(r["njExternalLeadId"], r["first_name"]) for r in record(url)["noojee"]}
    assert leads == {("A1", "Ann"), ("A2", "Cat")}
    rejects = read_rejects(Path(summary["rejects_path"]))
    assert set(rejects) == {2} and rejects[2]["kind"] == "refused", rejects
    assert "112" in rejects[2]["reason"], rejects


# -- the same file into the same profile twice ---------------------------------------------------


def contacts(path: Path, count: int) -> Path:
    rows = [[f"user{i}@example.com", "14/01/2020"] for i in range(1, count + 1)]
    return write_csv(path, ["Email", "Date"], rows)


def emails_at_questionpro(url: str) -> Counter[str]:
    return Counter(r["email"] for r in record(url)["questionpro"])


def test_a_file_imported_before_is_refused_unless_again_is_given(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv", 30)
    args = ["import", str(path), "--profile", "qp", "--batch-size", "10", "--json"]
    code, out, err = cli(*args)
    assert code == 0, (out, err)
    first = result(out)["run_id"]
    # A copy under another name is the same content: refused all the same.
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    for again in (path, copy):
        code, out, err = cli("import", str(again), *args[2:])
        assert code == 2, (out, err)
        refused = result(out)
        assert refused["run_id"] is None and refused["state"] == "input_error", refused
        assert f"run {first}" in refused["message"] and "30 row(s) imported" in err, err
        assert "--again" in err
    assert max(emails_at_questionpro(url).values()) == 1, "nothing sent by the refused runs"
    # A dry run sends nothing: never refused for it. --again sends it again, as asked.
    code, out, err = cli(*args, "--dry-run")
    assert code == 0, (out, err)
    code, out, err = cli(*args, "--again")
    assert code == 0, (out, err)
    assert set(emails_at_questionpro(url).values()) == {2}
    # --again goes with a new import only.
    code, out, err = cli(*args, "--again", "--resume", "last")
    assert code == 2 and "--again" in err, (out, err)


def test_a_file_being_imported_into_the_profile_is_refused_naming_the_run(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    faults(url, latency_ms=40)
    path = contacts(tmp_path / "c.csv", 300)
    args = ["import", str(path), "--profile", "qp", "--batch-size", "10", "--concurrency", "1"]
    proc = start([*args, "--json"])
    try:
        poll_until(lambda: acks_in(home["state"]) >= 2 or proc.poll() is not None, 60, what="acks")
        assert proc.poll() is None, "the first import ended before the second started"
        code, out, err = cli(*args, "--json", "--again")  # --again never overrides a running run
        out_first, err_first = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, (out_first, err_first)
    running = result(out_first)["run_id"]
    assert code == 2, (out, err)
    assert f"run {running} is importing c.csv" in result(out)["message"], out
    assert emails_at_questionpro(url) == Counter(f"user{i}@example.com" for i in range(1, 301))


def test_two_imports_of_one_file_started_together_send_it_once(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    faults(url, latency_ms=20)
    path = contacts(tmp_path / "c.csv", 200)
    args = ["import", str(path), "--profile", "qp", "--batch-size", "10", "--json"]
    procs = [start(args), start(args)]
    done = [(p.wait(120), *p.communicate()) for p in procs]
    assert sorted(code for code, _o, _e in done) == [0, 2], done
    assert emails_at_questionpro(url) == Counter(f"user{i}@example.com" for i in range(1, 201))
