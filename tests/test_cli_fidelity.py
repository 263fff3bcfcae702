"""The import command says what happened, no more and no less: a dry run gives the verdict
the real import would, every --json result has one shape, a Noojee profile that cannot be
imported into is refused before anything is sent, options that do not apply are refused, and
a batch whose reply was lost is "unknown", never "failed". Sandbox over HTTP, real files."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from import_support import cli, isolate, record, write_csv, write_profiles

from cxconsole.sandbox.server import SandboxServer

QP = ["--profile", "qp", "--batch-size", "10"]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    return isolate(monkeypatch, tmp_path)


def contacts(path: Path, count: int) -> Path:
    rows = [[f"user{i}@example.com", "14/01/2020"] for i in range(1, count + 1)]
    return write_csv(path, ["Email", "Date"], rows)


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
