"""The import command says what happened, no more and no less: a dry run gives the verdict
the real import would, every --json result has one shape, a Noojee profile that cannot be
imported into is refused before anything is sent, options that do not apply are refused, and
a batch whose reply was lost is "unknown", never "failed". Sandbox over HTTP, real files."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from import_support import cli, record, write_csv, write_profiles
from import_support import contacts_csv as contacts

from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer

QP = ["--profile", "qp", "--batch-size", "10"]


# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def test_a_lost_reply_is_said_unknown_never_failed(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    body = {"rate": 1.0, "faults": ["drop_after"], "seed": 3, "latency_ms": 0}
    httpx.post(f"{url}/_sandbox/faults", json=body, timeout=10).raise_for_status()
    code, out, err = cli("import", str(contacts(tmp_path / "c.csv", 30)), *QP)
    assert code == 1, (out, err)
    assert len(record(url)["questionpro"]) == 30  # every batch arrived; its reply did not
    assert "failed:" not in err and "failures" not in err, err
    assert err.count("outcome unknown for 10 row(s), not sent again") == 3, err
    assert "3 unknown" in err  # the progress line
    assert "30 outcome unknown" in out and "0 failed, 3 unknown" in out, out


# -- a Noojee profile the vendor would refuse every batch of ------------------------------------


def one_profile(
    monkeypatch: pytest.MonkeyPatch, url: str, name: str, vendor: str, **settings: int
) -> None:
    """The only profile, ``name``: the sandbox's ``vendor`` with these settings."""
    import os

    import tomli_w

    from cxconsole.sandbox.config import PREFIXES

    table = {"vendor": vendor, "base_url": url + PREFIXES[vendor], "settings": settings}
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "cxconsole" / "profiles.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps({"profiles": {name: table}}), "utf-8")
    monkeypatch.setenv(f"CXCONSOLE_SECRET_{name.upper()}", SANDBOX_SECRETS[vendor])


def noojee_profile(monkeypatch: pytest.MonkeyPatch, url: str, **settings: int) -> None:
    """Profile ``nj0``: the sandbox's Noojee with these settings (ids left out stay unset)."""
    one_profile(monkeypatch, url, "nj0", "noojee", **settings)


def leads(path: Path, count: int) -> Path:
    rows = [[f"First{i}", f"+6141{i:07d}"] for i in range(1, count + 1)]
    return write_csv(path, ["firstName", "phone1"], rows)


def noojee_calls(url: str) -> int:
    return int(httpx.get(f"{url}/_sandbox/stats", timeout=10).json()["requests"]["noojee"])


def test_a_noojee_profile_without_its_template_id_is_refused_before_sending(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    noojee_profile(monkeypatch, url, campaign_id=23, allocation_id=34)
    # The key works, so the test passes; it warns that imports need the template id.
    code, out, err = cli("profile", "test", "nj0")
    assert code == 0, (out, err)
    assert "warning: imports will be refused" in err and "template_id" in err, err
    code, out, err = cli("profile", "test", "nj0", "--json")
    assert any("template_id" in w for w in json.loads(out)["warnings"]), out
    # The import stops before anything is sent, naming the setting.
    path = leads(tmp_path / "l.csv", 120)
    calls = noojee_calls(url)
    code, out, err = cli("import", str(path), "--profile", "nj0")
    assert code == 2, (out, err)
    assert "template_id" in err and "nothing was sent" in err, err
    assert "batch 1" not in err  # no batch went out to be refused
    assert noojee_calls(url) == calls and record(url)["noojee"] == []
    # Set, the same file goes in.
    noojee_profile(monkeypatch, url, template_id=12, campaign_id=23, allocation_id=34)
    code, out, err = cli("import", str(path), "--profile", "nj0", "--json")
    assert code == 0 and json.loads(out)["rows_imported"] == 120, (out, err)


def test_the_batches_a_stopped_run_names_are_the_batches_it_counts(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    # Webex's NOT_PROCESSED (with HTTP 200) on every call: each batch fails whole, and the run
    # stops once more than 20 have failed, with the batches in flight failing too. (A refusal
    # of the profile itself, a Noojee template it does not know, stops at the first.)
    write_profiles(monkeypatch, url)
    faults = {"rate": 1.0, "faults": ["http200"], "seed": 1, "latency_ms": 20}
    httpx.post(f"{url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
    path = leads(tmp_path / "l.csv", 1100)
    args = ("import", str(path), "--profile", "wx", "--batch-size", "50", "--concurrency", "2")
    code, out, err = cli(*args, "--json")
    summary = json.loads(out)
    assert code == 1 and summary["state"] == "stopped", (out, err)
    failed = summary["batches_failed"]
    assert failed > 20 and summary["message"].startswith(f"{failed} batches failed"), summary
    assert err.count(" failed: ") == failed, err
    assert summary["rows_imported"] == 0 and record(url)["webex"] == []
    total = sum(summary[k] for k in COUNTS)
    assert total == summary["rows_total"] == 1100, summary
    # The human summary says the same numbers.
    code, out, err = cli(*args)
    assert code == 1
    said = [line for line in out.splitlines() if "batches failed (last" in line]
    batches = next(line for line in out.splitlines() if line.strip().startswith("batches:"))
    count = int(said[0].split()[0])
    assert f", {count} failed" in batches and err.count(" failed: ") == count, out
    assert "1,100 read, 0 imported, 1,100 not imported" in out, out
    assert SANDBOX_SECRETS["webex"] not in out + err


COUNTS = (
    "rows_imported",
    "rows_invalid",
    "rows_refused",
    "rows_unknown",
    "rows_failed",
    "rows_not_sent",
)


# -- a dry run's verdict is the import's -----------------------------------------------------------


def bad_byte_at(path: Path, rows: int, line: int) -> Path:
    """QuestionPro contacts, UTF-8, with an undecodable byte on physical ``line``."""
    with path.open("wb") as fh:
        fh.write(b"Email,First name,Date\r\n")
        for i in range(2, rows + 2):
            name = b"Na\xffme" if i == line else f"Name{i}".encode()
            fh.write(f"user{i}@example.com,".encode() + name + b",14/01/2020\r\n")
    return path


def test_a_dry_run_stops_where_the_import_stops_on_a_bad_byte_deep_inside(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = bad_byte_at(tmp_path / "c.csv", 45_000, 40_001)
    real_code, real_out, _ = cli("import", str(path), "--profile", "qp", "--json")
    real = json.loads(real_out)
    assert record(url)["questionpro"] == []  # the real import sent nothing
    code, out, err = cli("import", str(path), "--profile", "qp", "--dry-run", "--json")
    dry = json.loads(out)
    assert code == real_code == 2, (out, err)
    verdict = ("state", "outcome", "rows_imported", "batches_ok", "exit_code")
    assert (
        {k: dry[k] for k in verdict}
        == {k: real[k] for k in verdict}
        == {
            "state": "input_error",
            "outcome": "nothing",
            "rows_imported": 0,
            "batches_ok": 0,
            "exit_code": 2,
        }
    )
    assert "line 40001" in dry["message"] and "line 40001" in real["message"]
    assert "--encoding" in dry["message"]
    assert sum(dry[k] for k in COUNTS) == dry["rows_total"]
    # Said as much to a person: nothing would be imported, naming the line.
    code, out, err = cli("import", str(path), "--profile", "qp", "--dry-run")
    assert code == 2
    assert "input error (dry run)" in out and "0 would be imported" in out, out
    assert "line 40001" in err and "before it sends anything" in err, err
    assert record(url)["questionpro"] == []


def test_a_dry_run_of_a_file_with_no_row_stops_as_the_import_does(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url)
    path = write_csv(tmp_path / "c.csv", ["Email", "Date"], [])
    real_code, real_out, _ = cli("import", str(path), "--profile", "qp", "--json")
    code, out, err = cli("import", str(path), "--profile", "qp", "--dry-run", "--json")
    assert code == real_code == 2, (out, err)
    real, dry = json.loads(real_out), json.loads(out)
    assert (dry["state"], dry["outcome"]) == (real["state"], real["outcome"]), (dry, real)
    assert "no row to import" in dry["message"] and "no row to import" in real["message"]


# -- one --json shape for every outcome ------------------------------------------------------------


def result_of(out: str) -> dict[str, object]:
    from cxconsole.commands.importer import RESULT_KEYS

    data = json.loads(out)
    assert list(data) == list(RESULT_KEYS), data
    assert data["state"] and data["outcome"] and isinstance(data["exit_code"], int), data
    return data


def test_every_json_result_has_the_one_documented_shape(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_profiles(monkeypatch, sandbox_reset.url, wrong=("xp",))
    good = contacts(tmp_path / "c.csv", 20)
    unreadable = tmp_path / "locked.csv"
    unreadable.write_text("Email,Date\na@b.example,14/01/2020\n", "utf-8")
    unreadable.chmod(0)
    mapping = tmp_path / "m.toml"
    mapping.write_text("this is = not [ a mapping", "utf-8")
    cases = {
        "finished": ([str(good), *QP], 0, "finished", "complete"),
        "no file": ([str(tmp_path / "none.csv"), *QP], 2, "input_error", "nothing"),
        "unreadable": ([str(unreadable), *QP], 2, "input_error", "nothing"),
        "bad mapping": ([str(good), *QP, "--mapping", str(mapping)], 2, "input_error", "nothing"),
        "no profile": ([str(good), "--profile", "nobody"], 2, "input_error", "nothing"),
        "usage": ([str(good), *QP, "--resend-unknown"], 2, "input_error", "nothing"),
        "wrong key": ([str(good), "--profile", "xp"], 3, "auth_failed", "nothing"),
        "pre-flight": (
            [str(bad_byte_at(tmp_path / "b.csv", 30, 20)), *QP, "--encoding", "utf-8"],
            2,
            "input_error",
            "nothing",
        ),
    }
    import os

    for name, (args, code, state, outcome) in cases.items():
        if name == "unreadable" and os.geteuid() == 0:
            continue  # root reads any file
        got, out, err = cli("import", *args, "--json")
        data = result_of(out)
        assert (got, data["exit_code"], data["state"], data["outcome"]) == (
            code,
            code,
            state,
            outcome,
        ), (name, out, err)
        if name == "finished":
            assert data["run_id"] and data["message"] is None
            assert sum(data[k] for k in COUNTS) == data["rows_total"] == 20  # type: ignore[misc]
        else:
            # No run was made: no id, no files; nothing was sent; why, in the message.
            assert data["message"], (name, data)
            assert data["run_id"] is None and data["journal_path"] is None, (name, data)
            assert data["rows_imported"] == 0 and data["rows_total"] is None, (name, data)
        assert "Traceback" not in err, (name, err)


# -- options that do not apply are refused, never ignored ------------------------------------------


def test_an_option_the_file_cannot_use_is_refused_naming_it(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import Workbook

    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    csv_file = contacts(tmp_path / "c.csv", 5)
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text('{"Email": "a@b.example", "Date": "14/01/2020"}\n', "utf-8")
    book = Workbook()
    book.active.append(["Email", "Date"])
    book.active.append(["a@b.example", "14/01/2020"])
    xlsx = tmp_path / "c.xlsx"
    book.save(xlsx)
    cases = [
        (csv_file, ["--sheet", "Sheet1"], "--sheet", "XLSX", "CSV"),
        (csv_file, ["--json-key", "records"], "--json-key", "JSON", "CSV"),
        (jsonl, ["--json-key", "records"], "--json-key", "JSON", "JSON Lines"),
        (jsonl, ["--delimiter", ";"], "--delimiter", "CSV", "JSON Lines"),
        (xlsx, ["--delimiter", "tab"], "--delimiter", "CSV", "XLSX"),
        (xlsx, ["--encoding", "cp1252"], "--encoding", "CSV", "XLSX"),
    ]
    for path, extra, flag, applies, read_as in cases:
        for dry in ([], ["--dry-run"]):
            code, out, err = cli("import", str(path), *QP, *extra, *dry)
            assert code == 2, (extra, out, err)
            assert err.count(flag) >= 2 and f"only to {applies}" in err, (extra, err)
            assert f"read as {read_as}" in err and "nothing was sent" in err, (extra, err)
    code, out, err = cli("import", str(csv_file), *QP, "--yes")
    assert code == 2 and "--yes" in err and "--resend-unknown" in err, err
    assert record(url)["questionpro"] == []
    # Where they apply, they are taken.
    code, out, err = cli("import", str(xlsx), *QP, "--sheet", book.active.title)
    assert code == 0, (out, err)


def test_a_file_read_as_one_column_says_so_and_names_the_delimiter_option(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv", 5)  # comma-separated
    for extra in ([], ["--map", "Email=email"]):
        code, out, err = cli("import", str(path), *QP, "--delimiter", ";", *extra)
        assert code == 2, (out, err)
        assert "read as one column" in err and "'Email,Date'" in err, err
        assert "--delimiter comma" in err and "nothing was sent" in err, err
    code, out, err = cli("import", str(path), *QP, "--delimiter", "comma")
    assert code == 0, (out, err)
    assert len(record(url)["questionpro"]) == 5


def test_save_mapping_with_resume_saves_the_runs_mapping(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    lost = {"rate": 1.0, "faults": ["drop_after"], "seed": 3, "latency_ms": 0}
    httpx.post(f"{url}/_sandbox/faults", json=lost, timeout=10).raise_for_status()
    path = contacts(tmp_path / "c.csv", 10)
    code, out, err = cli("import", str(path), *QP)
    assert code == 1 and "10 outcome unknown" in out, (out, err)
    httpx.post(f"{url}/_sandbox/faults", json={"rate": 0.0}, timeout=10).raise_for_status()
    saved = tmp_path / "mapping.toml"
    resume = ("--resume", "last", "--resend-unknown", "--yes", "--save-mapping", str(saved))
    code, out, err = cli("import", str(path), *QP, *resume)
    assert code == 0, (out, err)
    assert "mapping saved to" in err and "transactionDate" in saved.read_text("utf-8")


def test_ctrl_c_while_the_whole_file_is_checked_stops_before_anything_is_sent(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from import_support import MAIN

    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Email,Date\n")
        fh.writelines(f"user{i}@example.com,14/01/2020\n" for i in range(1_500_000))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxconsole", "import", str(path), *QP, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(MAIN)},
        cwd=MAIN,
    )
    try:
        # The whole file is checked first (seconds for 1.5 million rows), and said so once:
        # interrupted then, nothing has been sent.
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "checking the whole file" in line:
                break
            if line.startswith("checked:"):
                pytest.fail("the check was not said while it ran:\n" + "".join(seen))
        else:
            pytest.fail("".join(seen))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "before anything was sent" in err, err
    assert record(url)["questionpro"] == [], "nothing was sent"
    data = result_of(out) if out else pytest.fail(err)
    assert (data["state"], data["run_id"], data["rows_imported"]) == ("cancelled", None, 0)


def test_a_reader_that_goes_away_changes_neither_the_run_nor_its_exit_code(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``cxconsole import ... 2>&1 | head``: the pipe closes; the import still sends every row."""
    import os
    import subprocess
    import sys

    from import_support import MAIN

    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv", 200)
    for extra in (["--dry-run"], []):
        proc = subprocess.Popen(
            [sys.executable, "-m", "cxconsole", "import", str(path), *QP, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(MAIN)},
            cwd=MAIN,
        )
        assert proc.stdout is not None
        proc.stdout.close()  # as `| head` does once it has its lines
        assert proc.wait(120) == 0, extra
    assert len(record(url)["questionpro"]) == 200


@pytest.mark.parametrize(
    "bad",
    [["--batch-size", "0"], ["--day-first", "--month-first"], ["--concurrency", "0"], ["--nope"]],
)
def test_a_command_line_argparse_refuses_still_gives_the_json_object(
    tmp_path: Path, bad: list[str]
) -> None:
    from cxconsole.commands.importer import RESULT_KEYS

    path = contacts(tmp_path / "c.csv", 2)
    code, out, err = cli("import", str(path), *QP, *bad, "--json")
    assert code == 2 and "error:" in err and "Traceback" not in err, err
    data = json.loads(out)
    assert list(data) == list(RESULT_KEYS) and data["exit_code"] == 2, data
    assert data["state"] == "input_error" and data["message"], data


def test_the_encoding_question_gets_one_answer_from_a_dry_run_and_the_import(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked before anything is read: no run is made either way, and --json says so alike."""
    write_profiles(monkeypatch, sandbox_reset.url)
    path = tmp_path / "c.csv"
    rows = "\n".join(f"u{i}@x.com,Zoë{i},14/01/2026" for i in range(20))
    path.write_bytes(b"email,first_name,transaction_date\n" + rows.encode("cp1252") + b"\n")
    results = []
    for dry in ([], ["--dry-run"]):
        code, out, err = cli("import", str(path), "--profile", "qp", "--json", *dry)
        assert code == 2, (out, err)
        results.append(json.loads(out))
    real, dry_run = results
    assert dry_run.pop("dry_run") is True and real.pop("dry_run") is False
    assert dry_run == real, (dry_run, real)
    assert real["run_id"] is None and real["state"] == "input_error"
