"""A file cxconsole writes (a saved mapping, a tickets export) never lands on a file the operator
did not mean to replace: the file being imported, the profiles, a customer file, an earlier
export. Real files on disk; the CLI as the operator runs it, against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_support import cli, record, write_csv, write_profiles

from cxconsole.sandbox.server import SandboxServer

QP = ["--profile", "qp", "--batch-size", "10"]


# Config and state dirs of its own for every test (conftest.home).
pytestmark = pytest.mark.usefixtures("home")


def contacts(path: Path) -> Path:
    return write_csv(path, ["Email", "Date"], [["ana@example.com", "14/01/2020"]])


def test_save_mapping_never_writes_over_the_imported_file_or_any_other(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox_reset.url
    write_profiles(monkeypatch, url)
    path = contacts(tmp_path / "c.csv")
    kept = path.read_bytes()
    code, _out, err = cli("import", str(path), *QP, "--save-mapping", str(path))
    assert code == 2 and "--save-mapping" in err and "the file being imported" in err, err
    assert path.read_bytes() == kept
    other = tmp_path / "profiles.toml"
    other.write_text('[profiles.x]\nvendor = "noojee"\n', "utf-8")
    code, _out, err = cli("import", str(path), *QP, "--save-mapping", str(other), "--json")
    assert code == 2 and "is not a mapping" in err, err
    assert other.read_text("utf-8") == '[profiles.x]\nvendor = "noojee"\n'
    assert not record(url)["questionpro"], "nothing is sent when the mapping cannot be saved"
    # Over an earlier mapping it is written: saving a mapping again is how it is kept current.
    saved = tmp_path / "m.json"
    assert cli("import", str(path), *QP, "--dry-run", "--save-mapping", str(saved))[0] == 0
    first = saved.read_text("utf-8")
    code, _out, err = cli("import", str(path), *QP, "--dry-run", "--save-mapping", str(saved))
    assert code == 0 and "mapping saved to" in err and saved.read_text("utf-8") == first


def test_a_tickets_export_never_writes_over_a_file(tmp_path: Path) -> None:
    target = tmp_path / "profiles.toml"
    target.write_text('[profiles.x]\nvendor = "noojee"\n', "utf-8")
    tickets = ("--sandbox", "tickets", "--profile", "sandbox-questionpro")
    code, _out, err = cli(*tickets, "--all", "--output", str(target))
    assert code != 0 and "already exists" in err, err
    assert "--output" in err and "Traceback" not in err
    assert target.read_text("utf-8") == '[profiles.x]\nvendor = "noojee"\n'
    fresh = tmp_path / "tickets.csv"
    code, _out, err = cli(*tickets, "--output", str(fresh))
    assert code == 0 and fresh.stat().st_size > 0, err
