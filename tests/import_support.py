"""Helpers shared by the import tests: temporary homes, profiles, files, the record."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w

from cxconsole.importing.entries import Ack
from cxconsole.importing.journal import read_journal
from cxconsole.sandbox.config import PREFIXES, SANDBOX_SECRETS

MAIN = Path(__file__).resolve().parents[1]

#: Profile names used by the tests' config, one per vendor, with settings the sandbox knows.
PROFILES: dict[str, tuple[str, dict[str, Any]]] = {
    "qp": ("questionpro", {}),
    "xp": ("expoints", {"is_test": True}),
    "wx": ("webex", {"datastore-id": "1466", "feed-id": "1499"}),
    "nj": ("noojee", {"template_id": 12, "campaign_id": 23, "allocation_id": 34}),
}


def isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    """Config and state dirs in tmp_path; no user keyring, settings or region leak in."""
    config, state = tmp_path / "config", tmp_path / "state"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    monkeypatch.setenv("CXCONSOLE_SECRET_STORE", "file")
    monkeypatch.delenv("CXCONSOLE_PHONE_REGION", raising=False)
    return {"config": config, "state": state}


def write_profiles(
    monkeypatch: pytest.MonkeyPatch, url: str, *, wrong: tuple[str, ...] = ()
) -> None:
    """profiles.toml pointing at the sandbox; secrets from CXCONSOLE_SECRET_<NAME>."""
    tables = {}
    for name, (vendor, settings) in PROFILES.items():
        tables[name] = {"vendor": vendor, "base_url": url + PREFIXES[vendor], "settings": settings}
        secret = "wrong-secret-value" if name in wrong else SANDBOX_SECRETS[vendor]
        monkeypatch.setenv(f"CXCONSOLE_SECRET_{name.upper()}", secret)
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "cxconsole" / "profiles.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps({"profiles": tables}), "utf-8")


def contacts_csv(path: Path, count: int) -> Path:
    """``count`` QuestionPro contacts: user1@example.com... with one transaction date."""
    rows = [[f"user{i}@example.com", "14/01/2020"] for i in range(1, count + 1)]
    return write_csv(path, ["Email", "Date"], rows)


def write_csv(path: Path, header: list[str], rows: list[list[Any]], **kwargs: Any) -> Path:
    encoding = kwargs.pop("encoding", "utf-8")
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, **kwargs)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def record(url: str) -> dict[str, list[dict[str, Any]]]:
    return httpx.get(f"{url}/_sandbox/record", timeout=10).json()


def stats(url: str) -> dict[str, Any]:
    return httpx.get(f"{url}/_sandbox/stats", timeout=10).json()


def faults(url: str, **body: Any) -> None:
    httpx.post(f"{url}/_sandbox/faults", json=body, timeout=10).raise_for_status()


def read_rejects(path: Path) -> dict[int, dict[str, str]]:
    """line -> the rejects row (CSV) or item (JSON Lines)."""
    if path.suffix == ".jsonl":
        items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        return {int(item["line"]): item for item in items}
    with path.open(encoding="utf-8", newline="") as fh:
        return {int(row["line"]): row for row in csv.DictReader(fh)}


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, str, str]:
    """``python -m cxconsole ARGS`` in a subprocess: (exit code, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "cxconsole", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(MAIN), **(env or {})},
        cwd=MAIN,
    )
    return done.returncode, done.stdout, done.stderr


def main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI in this process (fast): (exit code, stdout, stderr)."""
    from cxconsole.cli import main as cli_main

    code = cli_main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def acks_in(state: Path) -> int:
    """Batches acknowledged so far in the journal of the one run under ``state``."""
    runs = list((state / "cxconsole" / "runs").glob("*/journal.jsonl"))
    return sum(1 for e in read_journal(runs[0]) if isinstance(e, Ack)) if runs else 0
