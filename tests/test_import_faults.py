"""Imports under the faults an operator meets: a bad file deep inside, outputs that would hurt,
a full disk, a kill, two resumes at once, a torn journal, a vendor that takes fewer rows than
it was sent. Every outcome is proven from the sandbox's record of what arrived."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import poll_until
from import_support import (
    MAIN,
    acks_in,
    cli,
    read_rejects,
    record,
    write_csv,
    write_profiles,
)

from cxconsole.importing.entries import Send
from cxconsole.importing.journal import read_journal
from cxconsole.importing.runs import list_runs
from cxconsole.sandbox.server import SandboxServer
from cxconsole.widgets.import_history import describe

# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def contacts(path: Path, count: int, *, every: int = 0, email: str = "") -> Path:
    """QuestionPro contacts with a unique Ref (custom1); every ``every``-th row gets ``email``."""
    rows = []
    for i in range(1, count + 1):
        address = email if every and i % every == 0 else f"user{i}@example.com"
        rows.append([address, f"+6141{i:07d}", "14/01/2020", f"r{i}"])
    return write_csv(path, ["Email", "Mobile", "Date", "Ref"], rows)


def leads(path: Path, count: int) -> Path:
    rows = [[f"First{i}", f"+6141{i:07d}", f"nj{i}"] for i in range(1, count + 1)]
    return write_csv(path, ["firstName", "phone1", "Ref"], rows)


def refs(url: str, vendor: str = "questionpro", key: str = "custom1") -> Counter[str]:
    return Counter(str(r[key]) for r in record(url)[vendor])


def journal_of(state: Path) -> Path:
    journals = list((state / "cxconsole" / "runs").glob("*/journal.jsonl"))
    assert len(journals) == 1, journals
    return journals[0]


QP = ["--profile", "qp", "--map", "Ref=custom1", "--batch-size", "10"]


# -- the file ----------------------------------------------------------------------------------


def test_a_bad_byte_deep_inside_sends_nothing_and_names_its_line(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = contacts(tmp_path / "c.csv", 50_000)
    lines = path.read_bytes().split(b"\n")
    lines[40_000] = lines[40_000].replace(b"user40000", b"user\xff40000")  # file line 40,001
    path.write_bytes(b"\n".join(lines))
    before = path.read_bytes()
    code, out, err = cli("import", str(path), *QP, "--encoding", "utf-8")
    assert code == 2, (out, err)
    assert "40001" in err.replace(",", ""), err
    assert "nothing was sent" in err
    assert "Traceback" not in err + out
    assert refs(sandbox_reset.url) == Counter()
    assert path.read_bytes() == before


def test_an_unterminated_quote_deep_inside_sends_nothing(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = contacts(tmp_path / "c.csv", 5_000)
    lines = path.read_text("utf-8").split("\n")
    lines[4_000] = lines[4_000].replace("user4000@", '"user4000@')  # never closed
    path.write_text("\n".join(lines), "utf-8")
    code, out, err = cli("import", str(path), *QP)
    assert code == 2, (out, err)
    assert "4001" in err.replace(",", ""), err
    assert "Traceback" not in err + out
    assert refs(sandbox_reset.url) == Counter()


# -- outputs that would hurt ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["input", "directory", "dev-full", "someone-elses"])
def test_rejects_that_would_hurt_are_refused_before_anything_is_sent(
    target: str, sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = contacts(tmp_path / "c.csv", 30, every=7, email="broken@")
    before = path.read_bytes()
    precious = tmp_path / "precious.csv"
    precious.write_text("precious\n")
    rejects = {
        "input": str(path),
        "directory": str(tmp_path),
        "dev-full": "/dev/full",
        "someone-elses": str(precious),
    }[target]
    code, out, err = cli("import", str(path), *QP, "--rejects", rejects)
    assert code == 2, (out, err)
    assert "--rejects" in err and "nothing was sent" in err, err
    assert "Traceback" not in err + out
    assert path.read_bytes() == before
    assert precious.read_text() == "precious\n"
    assert refs(sandbox_reset.url) == Counter()


def test_a_base_url_with_a_bad_port_is_a_message(tmp_path: Path) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "cxconsole"
    config.mkdir(parents=True, exist_ok=True)
    (config / "profiles.toml").write_text(
        '[profiles.bad]\nvendor = "questionpro"\nbase_url = "http://127.0.0.1:99999/qp"\n'
    )
    path = contacts(tmp_path / "c.csv", 3)
    code, out, err = cli("import", str(path), "--profile", "bad", env={"CXCONSOLE_SECRET_BAD": "k"})
    assert code == 2, (out, err)
    assert "99999" in err and "Traceback" not in err + out


# -- accounting --------------------------------------------------------------------------------


def test_a_count_below_what_was_sent_is_never_counted_imported(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    # Every 25th contact is one the vendor skips (an opted-out address): its batch's reply
    # says 9 imported of 10, without saying which.
    path = contacts(tmp_path / "c.csv", 100, every=25, email="gone@unsubscribed.example")
    code, out, err = cli("import", str(path), *QP, "--json")
    assert code == 1, (out, err)
    summary = json.loads(out)
    arrived = refs(sandbox_reset.url)
    assert len(arrived) == 96 and max(arrived.values()) == 1
    assert summary["rows_unknown"] == 40  # the four batches the vendor under-counted
    assert summary["rows_imported"] == 60  # only batches counted whole
    assert summary["rows_imported"] + summary["rows_rejected"] + summary["rows_not_sent"] == 100
    rejects = read_rejects(Path(summary["rejects_path"]))
    unknown = [r for r in rejects.values() if r["kind"] == "unknown"]
    assert len(unknown) == 40 and "9 of the 10" in unknown[0]["reason"]


def test_a_run_whose_every_row_is_refused_does_not_say_ok(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    # No transaction date: the sandbox (like QuestionPro) refuses every contact.
    rows = [[f"u{i}@example.com", f"r{i}"] for i in range(1, 21)]
    path = write_csv(tmp_path / "c.csv", ["Email", "Ref"], rows)
    code, out, err = cli("import", str(path), "--profile", "qp", "--map", "Ref=custom1", "--json")
    # The date is required of every contact: refused before anything is sent, naming it.
    assert code == 2, (out, err)
    assert "Transaction date" in err and "nothing was sent" in err
    assert refs(sandbox_reset.url) == Counter()
    # With a date, every contact on the bounce list: the vendor refuses them all.
    rows = [[f"u{i}@bounced.example", "14/01/2020", f"r{i}"] for i in range(1, 21)]
    path = write_csv(tmp_path / "c.csv", ["Email", "Date", "Ref"], rows)
    code, out, err = cli("import", str(path), "--profile", "qp", "--map", "Ref=custom1", "--json")
    summary = json.loads(out)
    assert code == 1
    assert summary["rows_imported"] == 0 and summary["batches_ok"] == 0
    assert summary["outcome"] == "nothing"


# -- resume ------------------------------------------------------------------------------------


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cxconsole", *args],
        env={**os.environ, "PYTHONPATH": str(MAIN), **(env or {})},
        cwd=MAIN,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextlib.contextmanager
def killed_half_way(args: list[str], state: Path, acks: int) -> Iterator[None]:
    proc = _start(args)
    try:
        poll_until(
            lambda: acks_in(state) >= acks or proc.poll() is not None, 60, what="acknowledgements"
        )
        assert proc.poll() is None, "the import ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        yield
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def test_the_same_command_line_with_resume_last_completes_a_killed_run(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = leads(tmp_path / "leads.csv", 300)
    httpx_faults = {"latency_ms": 40}
    import httpx

    httpx.post(f"{url}/_sandbox/faults", json=httpx_faults, timeout=10).raise_for_status()
    args = ["import", str(path), "--profile", "nj", "--batch-size", "10", "--concurrency", "2"]
    with killed_half_way(args, home["state"], acks=5):
        pass
    assert [r.state for r in list_runs()] == ["resumable"]
    code, out, err = cli(*args, "--resume", "last", "--json")
    # Noojee recognises its leads by this run's njExternalLeadId: what the kill left in
    # flight is sent again, and every lead ends imported exactly once.
    assert code == 0, (out, err)
    summary = json.loads(out)
    arrived = refs(url, "noojee", "Ref")
    assert set(arrived) == {f"nj{i}" for i in range(1, 301)}
    assert max(arrived.values()) == 1
    assert summary["rows_imported"] == summary["rows_total"] == 300


def test_an_option_that_differs_on_resume_is_refused_naming_both_values(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv", 400)
    import httpx

    httpx.post(f"{url}/_sandbox/faults", json={"latency_ms": 40}, timeout=10).raise_for_status()
    args = ["import", str(path), *QP]
    with killed_half_way(args, home["state"], acks=3):
        pass
    code, _out, err = cli("import", str(path), *QP[:-1], "20", "--resume", "last")
    assert code == 2
    assert "10" in err and "20" in err and "batch_size" in err.replace("-", "_"), err
    assert [r.state for r in list_runs()] == ["resumable"]


def test_two_resumes_of_one_run_never_both_send(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv", 300)
    import httpx

    httpx.post(f"{url}/_sandbox/faults", json={"latency_ms": 30}, timeout=10).raise_for_status()
    args = ["import", str(path), *QP]
    with killed_half_way(args, home["state"], acks=3):
        pass
    sent_before = sum(refs(url).values())
    # The first resume reads its secret from a deliberately slow keyring: the second starts
    # while the first is still opening its profile, after it took the run's lock.
    gate = tmp_path / "keyring-gate"
    slow_env = {
        "PYTHONPATH": f"{MAIN}{os.pathsep}{Path(__file__).parent}",
        "PYTHON_KEYRING_BACKEND": "slow_keyring.GatedKeyring",
        "SLOW_KEYRING_GATE": str(gate),
        "SLOW_KEYRING_SECRET": os.environ["CXCONSOLE_SECRET_QP"],
        "CXCONSOLE_SECRET_STORE": "keyring",
        "CXCONSOLE_SECRET_QP": "",
    }
    first = _start([*args, "--resume", "last", "--json"], slow_env)
    try:
        poll_until(
            lambda: (tmp_path / "keyring-gate.waiting").exists(), 60, what="the slow keyring"
        )
        second_code, second_out, second_err = cli(*args, "--resume", "last", "--json")
        gate.write_text("go")
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert second_code == 2, (second_out, second_err)
    assert "running in another process" in second_err
    # 0, or 1 when batches the kill left in flight are of unknown outcome (listed, not resent).
    assert first.returncode in (0, 1), (out, err)
    summary = json.loads(out)
    assert summary["rows_rejected"] == summary["rows_unknown"]
    assert (summary["rows_unknown"] > 0) == (first.returncode == 1)
    arrived = refs(url)
    assert max(arrived.values()) == 1
    every = {f"r{i}" for i in range(1, 301)}
    # Each row arrived once; the rows the kill left unknown arrived at most once.
    assert set(arrived) <= every and every - set(arrived) <= unknown_refs(out)
    assert sum(arrived.values()) >= sent_before


def unknown_refs(out: str) -> set[str]:
    summary = json.loads(out)
    rejects = read_rejects(Path(summary["rejects_path"]))
    return {f"r{line - 1}" for line, r in rejects.items() if r["kind"] == "unknown"}


def test_a_torn_journal_line_leaves_its_batch_unknown_never_resent(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    home: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv", 400)
    import httpx

    httpx.post(f"{url}/_sandbox/faults", json={"latency_ms": 40}, timeout=10).raise_for_status()
    args = ["import", str(path), *QP]
    with killed_half_way(args, home["state"], acks=3):
        pass
    journal = journal_of(home["state"])
    entries = read_journal(journal)
    sent = {e.batch for e in entries if isinstance(e, Send)}
    # The next batch's send intent, torn half-way by the disk: it may have gone out.
    victim = max(sent) + 1
    journal.write_bytes(journal.read_bytes() + b'{"t":"send","batch":%d,"par' % victim)
    before = refs(url)
    code, out, err = cli(*args, "--resume", "last", "--json")
    assert code == 1, (out, err)
    assert "Traceback" not in err
    after = refs(url)
    assert max(after.values()) == 1, "no row arrived twice"
    rejects = read_rejects(Path(json.loads(out)["rejects_path"]))
    suspect = {line for line, r in rejects.items() if "torn" in r["reason"]}
    # The batch named by the torn line was never sent again: its rows are listed instead.
    first_line = (victim - 1) * 10 + 2
    assert suspect == set(range(first_line, first_line + 10))
    assert not {f"r{line - 1}" for line in suspect} & (set(after) - set(before))


# -- a full disk -------------------------------------------------------------------------------


@pytest.fixture
def tiny_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The state dir on a 512 KB tmpfs (we are root in CI and here)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    monkeypatch.setenv("XDG_STATE_HOME", str(mount))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_disk_that_fills_mid_run_stops_it_and_a_resume_completes_it_once(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    tiny_state: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv", 2_000, every=9, email="broken@")
    # Leave room for the start of the run only: the journal and rejects fill the rest.
    filler = tiny_state / "filler"
    free = os.statvfs(tiny_state).f_bavail * os.statvfs(tiny_state).f_frsize
    filler.write_bytes(b"\0" * (free - 48 * 1024))
    code, out, err = cli("import", str(path), *QP, "--json")
    assert code == 1, (out, err)
    assert "Traceback" not in err + out
    summary = json.loads(out)
    assert summary["state"] == "disk_error"
    assert str(tiny_state) in summary["message"] and "No space left" in summary["message"]
    assert summary["rows_imported"] + summary["rows_rejected"] + summary["rows_not_sent"] == 2000
    # What the vendor holds is imported, or of unknown outcome (in flight at the stop): never
    # counted "not sent", which an operator could send again in a new run.
    held = sum(refs(url).values())
    assert summary["rows_imported"] <= held <= summary["rows_imported"] + summary["rows_unknown"]
    filler.unlink()
    code, out, err = cli("import", str(path), *QP, "--resume", "last", "--json")
    assert code == 1, (out, err)  # the invalid rows (every 9th)
    done = json.loads(out)
    arrived = refs(url)
    assert max(arrived.values()) == 1, "no row arrived twice"
    unknown = unknown_refs(out)
    valid = {f"r{i}" for i in range(1, 2001) if i % 9}
    assert set(arrived) | unknown == valid
    assert done["rows_imported"] + done["rows_rejected"] == 2000


def test_a_full_disk_calls_unknown_only_what_may_have_left_and_says_what_rejects_lacks(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    tiny_state: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch whose intent the disk refused was never sent: "not sent", and the resume sends
    it; a batch that left without a durable answer is unknown, and a plain resume never sends
    it. Rows counted rejected that the rejects file could not take are said to be missing."""
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv", 3_000, every=9, email="broken@")
    args = ["--profile", "qp", "--map", "Ref=custom1", "--batch-size", "100"]
    filler = tiny_state / "filler"
    free = os.statvfs(tiny_state).f_bavail * os.statvfs(tiny_state).f_frsize
    filler.write_bytes(b"\0" * (free - 48 * 1024))
    code, out, err = cli("import", str(path), *args, "--json")
    first = json.loads(out)
    assert (code, first["state"]) == (1, "disk_error"), (out, err)
    assert first["rows_imported"] and first["rows_not_sent"], first
    held = sum(refs(url).values())
    # Every unknown row reached the vendor (its request left); no batch that never left is
    # called unknown.
    assert held == first["rows_imported"] + first["rows_unknown"], (held, first)
    listed = read_rejects(Path(first["rejects_path"]))
    assert first["rejects_missing"] == first["rows_rejected"] - len(listed) > 0, first
    (run,) = list_runs()
    assert run.rows_unknown == first["rows_unknown"]
    # History: the disk error and its counts, written in the room the run kept for its end.
    assert (run.end_state, run.rejects_missing) == ("disk_error", first["rejects_missing"])
    assert "The rejects file is incomplete" in describe(run)
    filler.unlink()
    code, out, err = cli("import", str(path), *args, "--resume", "last", "--json")
    done = json.loads(out)
    assert done["state"] == "finished", (out, err)
    arrived = refs(url)
    assert max(arrived.values()) == 1, "no row arrived twice"
    # The resume sent exactly the rows the first run said were not sent (the valid ones).
    newly_invalid = done["rows_invalid"] - first["rows_invalid"]
    assert sum(arrived.values()) - held == first["rows_not_sent"] - newly_invalid
    assert done["rows_unknown"] == first["rows_unknown"]
    # The resume listed what the first run could not: the rejects file is whole again.
    assert len(read_rejects(Path(done["rejects_path"]))) == done["rows_rejected"]
    assert done["rejects_missing"] == 0


def test_the_text_summary_says_when_the_rejects_file_is_incomplete(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    tiny_state: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = contacts(tmp_path / "c.csv", 3_000, every=9, email="broken@")
    filler = tiny_state / "filler"
    free = os.statvfs(tiny_state).f_bavail * os.statvfs(tiny_state).f_frsize
    filler.write_bytes(b"\0" * (free - 48 * 1024))
    code, out, err = cli("import", str(path), *QP[:4], "--batch-size", "100")
    assert code == 1 and "Traceback" not in out + err
    assert "INCOMPLETE" in out and "missing from it" in out, out


def wide_rows(path: Path, count: int) -> Path:
    """Every third e-mail invalid, first names of ~100 characters: the rejects file fills a
    small disk long before the journal does."""
    rows = []
    for i in range(count):
        bad = i % 3 == 0
        email = f"badr{i}" if bad else f"r{i}@x.com"
        rows.append([email, f"N{'x' * 100}{i}", "14/01/2026", f"r{i}"])
    return write_csv(path, ["email", "first_name", "transaction_date", "Ref"], rows)


def test_a_resume_on_a_disk_still_full_reports_the_run_as_the_journal_left_it(
    sandbox_reset: SandboxServer,
    tmp_path: Path,
    tiny_state: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rows that reached the vendor stay unknown whatever a later session manages: a resume
    stopped by the same full disk says the run's counts (unknown, invalid, missing from the
    rejects file), never a fresh "0 unknown, all not sent"; History says the same."""
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = wide_rows(tmp_path / "rej.csv", 3_000)
    args = ["import", str(path), *QP[:4], "--batch-size", "100", "--json"]
    filler = tiny_state / "filler"
    free = os.statvfs(tiny_state).f_bavail * os.statvfs(tiny_state).f_frsize
    filler.write_bytes(b"\0" * (free - 72 * 1024))
    code, out, err = cli(*args)
    first = json.loads(out)
    assert (code, first["state"]) == (1, "disk_error"), (out, err)
    held = sum(refs(url).values())
    assert held and first["rows_unknown"] == held, (held, first)  # in flight at the stop
    # The pre-flight found 1,000 invalid: invalid however far the run read, never "not sent".
    assert first["rows_invalid"] == 1000, first
    assert first["rows_not_sent"] == 3000 - 1000 - held
    kept = ("state", "rows_imported", "rows_rejected", "rows_invalid", "rows_unknown")
    kept += ("rows_not_sent", "batches_unknown", "batches_not_sent", "rejects_missing")
    for _ in range(2):  # the disk is still full: each resume stops at once
        code, out, err = cli(*args[:-1], "--resume", "last", "--json")
        again = json.loads(out)
        assert code == 1 and "Traceback" not in err, (out, err)
        assert {k: again[k] for k in kept} == {k: first[k] for k in kept}, (again, first)
        assert sum(refs(url).values()) == held  # nothing more was sent
    code, out, err = cli(*args[:-1], "--resume", "last")
    assert "check the vendor before resending" in out and "INCOMPLETE" in out, out
    (run,) = list_runs()
    # History: the disk error recorded (room was kept for it), with the same counts.
    assert (run.end_state, run.state) == ("disk_error", "resumable")
    assert (run.rows_rejected, run.rows_invalid, run.rows_unknown, run.rejects_missing) == (
        first["rows_rejected"],
        first["rows_invalid"],
        first["rows_unknown"],
        first["rejects_missing"],
    )
    assert "disk error · resumable" in describe(run)
    filler.unlink()
    code, out, err = cli(*args[:-1], "--resume", "last", "--json")
    done = json.loads(out)
    arrived = refs(url)
    assert max(arrived.values()) == 1, "no row arrived twice"
    assert done["rows_unknown"] == held and done["rows_invalid"] == 1000, done
    assert done["rejects_missing"] == 0 and done["rows_not_sent"] == 0, done


# -- replies lost after the vendor acted ------------------------------------------------------


@pytest.mark.parametrize("profile", ["qp", "nj"])
def test_replies_dropped_after_processing_never_double_a_row(
    profile: str, sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    body = {"rate": 0.3, "faults": ["drop_after"], "seed": 11, "latency_ms": 0}
    httpx.post(f"{url}/_sandbox/faults", json=body, timeout=10).raise_for_status()
    if profile == "nj":
        path, vendor, key, prefix = leads(tmp_path / "l.csv", 200), "noojee", "Ref", "nj"
        args = ["--profile", "nj", "--batch-size", "10"]
    else:
        path, vendor, key, prefix = contacts(tmp_path / "c.csv", 200), "questionpro", "custom1", "r"
        args = QP
    code, out, err = cli("import", str(path), *args, "--json")
    summary = json.loads(out)
    arrived = refs(url, vendor, key)
    every = {f"{prefix}{i}" for i in range(1, 201)}
    assert max(arrived.values()) == 1, "no row arrived twice"
    assert sum(stats_faults(url).values()) >= 3, "replies were dropped"
    if profile == "nj":
        # Sent again under the same njExternalLeadId: what Noojee held answered 112.
        assert code == 0, (out, err)
        assert set(arrived) == every
        assert summary["rows_imported"] == 200 and summary["rows_unknown"] == 0
    else:
        # QuestionPro cannot tell a transaction sent twice: listed unknown, never resent.
        assert code == 1, (out, err)
        assert set(arrived) == every  # the dropped replies' batches had arrived, once
        assert summary["rows_unknown"] >= 30
        assert summary["rows_imported"] + summary["rows_unknown"] == 200


def stats_faults(url: str) -> dict[str, int]:
    import httpx

    return httpx.get(f"{url}/_sandbox/stats", timeout=10).json()["faults"]


# -- data as the operator meant it ---------------------------------------------------------------


def national(path: Path) -> Path:
    rows = [[f"u{i}@example.com", f"0412 345 {i:03d}", "14/01/2020", f"r{i}"] for i in range(1, 41)]
    return write_csv(path, ["Email", "Mobile", "Date", "Ref"], rows)


def test_national_numbers_without_a_region_are_never_sent_as_another_countrys(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = national(tmp_path / "au.csv")
    code, out, err = cli("import", str(path), *QP)
    assert code == 2, (out, err)
    assert "--region AU" in err and "nothing was sent" in err, err
    assert refs(sandbox_reset.url) == Counter()
    # With the region, each arrives in E.164 of that region.
    code, out, err = cli("import", str(path), *QP, "--region", "AU", "--json")
    assert code == 0, (out, err)
    mobiles = {r["custom1"]: r["mobile"] for r in record(sandbox_reset.url)["questionpro"]}
    assert mobiles["r1"] == "+61412345001" and len(mobiles) == 40


def test_a_profile_region_reads_national_numbers(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    profiles = Path(os.environ["XDG_CONFIG_HOME"]) / "cxconsole" / "profiles.toml"
    text = profiles.read_text().replace("[profiles.qp]\n", '[profiles.qp]\nphone_region = "AU"\n')
    profiles.write_text(text)
    code, out, err = cli("import", str(national(tmp_path / "au.csv")), *QP, "--json")
    assert code == 0, (out, err)
    mobiles = [r["mobile"] for r in record(sandbox_reset.url)["questionpro"]]
    assert all(m.startswith("+614") for m in mobiles) and len(mobiles) == 40


def test_a_date_column_settled_by_a_later_row_arrives_whole_and_day_first(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    dates = ["12/10/2026", "03/04/2026", "11/12/2026", "28/10/2026", "05/06/2026"]
    rows = [[f"u{i}@example.com", dates[i % 5], f"r{i}"] for i in range(5)]
    path = write_csv(tmp_path / "d.csv", ["Email", "Date", "Ref"], rows)
    code, out, err = cli("import", str(path), *QP, "--json")
    assert code == 0, (out, err)
    got = {r["custom1"]: r["transactionDate"] for r in record(sandbox_reset.url)["questionpro"]}
    assert got == {"r0": "12/10/2026", "r1": "03/04/2026", "r2": "11/12/2026",
                   "r3": "28/10/2026", "r4": "05/06/2026"}  # fmt: skip
    # A column that never settles: asked, before anything is sent.
    rows = [[f"v{i}@example.com", "03/04/2026", f"s{i}"] for i in range(3)]
    path = write_csv(tmp_path / "e.csv", ["Email", "Date", "Ref"], rows)
    code, out, err = cli("import", str(path), *QP)
    assert code == 2 and "--day-first or --month-first" in err, err
    assert not [r for r in record(sandbox_reset.url)["questionpro"] if r["custom1"][0] == "s"]


def test_a_questionpro_contact_with_no_email_nor_mobile_is_rejected_locally(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    rows = [["Ann", "a@example.com", "", "14/01/2020", "r1"], ["Bob", "", "", "14/01/2020", "r2"]]
    path = write_csv(tmp_path / "c.csv", ["First", "Email", "Mobile", "Date", "Ref"], rows)
    code, out, err = cli("import", str(path), *QP, "--json")
    assert code == 1, (out, err)
    summary = json.loads(out)
    assert (summary["rows_imported"], summary["rows_invalid"], summary["rows_refused"]) == (1, 1, 0)
    rejects = read_rejects(Path(summary["rejects_path"]))
    assert rejects[3]["field"] == "an e-mail or a mobile"
    assert set(refs(sandbox_reset.url)) == {"r1"}


def test_a_segment_the_vendor_lists_is_given_to_every_contact_without_one(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    profiles = Path(os.environ["XDG_CONFIG_HOME"]) / "cxconsole" / "profiles.toml"
    import tomllib

    import tomli_w

    data = tomllib.loads(profiles.read_text())
    data["profiles"]["qp"]["settings"]["workspace_id"] = 1
    profiles.write_text(tomli_w.dumps(data))
    rows = [[f"u{i}@example.com", "14/01/2020", "RS" if i == 2 else "", f"r{i}"] for i in range(4)]
    path = write_csv(tmp_path / "c.csv", ["Email", "Date", "Segment", "Ref"], rows)
    code, out, err = cli("import", str(path), *QP, "--value", "segmentCode=NOPE")
    assert code == 2 and "'NOPE' is not one of the segmentCode values" in err, err
    assert refs(sandbox_reset.url) == Counter()
    code, out, err = cli("import", str(path), *QP, "--value", "segmentCode=RN", "--json")
    assert code == 0, (out, err)
    got = {r["custom1"]: r["segmentCode"] for r in record(sandbox_reset.url)["questionpro"]}
    # The file's own segment stays; the others get the one chosen (by its businessUnitCode).
    assert got == {"r0": "RN", "r1": "RN", "r2": "RS", "r3": "RN"}


def test_a_small_cp1252_excel_export_is_guessed_western_and_asked_about(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"sep=;\r\nemail;mobile;First name;Date;Ref\r\n"
        b"jos\xe9@example.com;+61412345678;Jos\xe9;28/10/2026;r1\r\n"
        b"b@example.com;+61412345679;M\xfcller \x80;03/04/2026;r2\r\n"
    )
    code, out, err = cli("import", str(path), *QP, "--json")
    assert code == 2, (out, err)
    assert "--encoding cp1252" in err and "a guess" in err and "line 3" in err, err
    assert record(sandbox_reset.url)["questionpro"] == []
    code, out, err = cli("import", str(path), *QP, "--encoding", "cp1252", "--json")
    assert code == 0, (out, err)
    assert "cp1252 (chosen)" in err, err
    got = {r["custom1"]: r for r in record(sandbox_reset.url)["questionpro"]}
    assert got["r1"]["email"] == "josé@example.com"
    assert got["r2"]["firstName"] == "Müller €"


def test_the_preview_reads_dates_as_the_run_will(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    import asyncio

    from cxconsole.context import Context
    from cxconsole.importing.setup import ImportSetup

    rows = [["a@example.com", "03/04/2026"], ["b@example.com", "28/10/2026"],
            ["c@example.com", "10/28/2026"]]  # fmt: skip
    path = write_csv(tmp_path / "d.csv", ["Email", "Date"], rows)

    async def go() -> object:
        setup = ImportSetup()
        await setup.open_profile(
            Context.for_sandbox(sandbox_reset.url).account("sandbox-questionpro")
        )
        await setup.open_file(path)
        return await asyncio.to_thread(setup.preview)

    preview = asyncio.run(go())
    by_line = {row.line: row for row in preview.rows}  # type: ignore[attr-defined]
    # Line 3 settles day-first for the column, line 2 included; line 4 then has month 28.
    assert by_line[2].problem is None and by_line[2].values["transactionDate"] == "03/04/2026"
    assert by_line[3].problem is None
    assert by_line[4].problem and "not a real date" in by_line[4].problem
