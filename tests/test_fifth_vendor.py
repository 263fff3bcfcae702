"""A fifth vendor is one module (and a catalog file for its codes): with it registered from
outside, the command line and the screens take it as they take the four, unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from import_support import MAIN, cli, isolate, write_csv

from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer

TESTS = Path(__file__).parent


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("CXCONSOLE_VENDORS", "toy=toy_vendor:Toy")
    return isolate(monkeypatch, tmp_path)


def test_a_fifth_vendor_is_added_and_imported_into_from_the_command_line(
    sandbox_reset: SandboxServer, tmp_path: Path
) -> None:
    env = {"PYTHONPATH": f"{MAIN}{os.pathsep}{TESTS}"}
    base = sandbox_reset.url + "/webex"
    code, out, err = cli(
        "profile", "add", "toy1", "--vendor", "toy", "--base-url", base,
        "--list-id", "1466", "--source-id", "1499", "--no-secret", env=env,
    )  # fmt: skip
    assert code == 0, (out, err)
    rows = [[f"+44733{i:06d}", f"t{i}@example.com", f"toy{i}"] for i in range(1, 13)]
    path = write_csv(tmp_path / "toy.csv", ["Mobile", "Email", "Ref"], rows)
    secret = {**env, "CXCONSOLE_SECRET_TOY1": SANDBOX_SECRETS["webex"]}
    code, out, err = cli("import", str(path), "--profile", "toy1", "--json", env=secret)
    assert code == 0, (out, err)
    summary = json.loads(out)
    assert (summary["rows_imported"], summary["batches_total"]) == (12, 3)
    records = httpx.get(f"{sandbox_reset.url}/_sandbox/record", timeout=10).json()["webex"]
    assert sorted(r["Ref"] for r in records) == sorted(f"toy{i}" for i in range(1, 13))
    assert records[0]["msisdn"].startswith("+44733")


async def test_the_screens_take_a_fifth_vendor(
    sandbox_reset: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import wait_until

    from cxconsole.app import CXApp
    from cxconsole.context import Context
    from cxconsole.screens.imports import ImportsScreen

    monkeypatch.syspath_prepend(str(TESTS))
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "cxconsole"
    config.mkdir(parents=True, exist_ok=True)
    (config / "profiles.toml").write_text(
        '[profiles.toy1]\nvendor = "toy"\n'
        f'base_url = "{sandbox_reset.url}/webex"\n'
        '[profiles.toy1.settings]\n"datastore-id" = "1466"\n"feed-id" = "1499"\n'
    )
    monkeypatch.setenv("CXCONSOLE_SECRET_TOY1", SANDBOX_SECRETS["webex"])
    rows = [[f"+44733{i:06d}", f"toy{i}"] for i in range(1, 8)]
    path = write_csv(tmp_path / "toy.csv", ["Mobile", "Ref"], rows)
    app = CXApp(ctx=Context.default(), initial_mode="imports")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: isinstance(app.screen, ImportsScreen), pilot=pilot)
        screen = app.screen
        assert isinstance(screen, ImportsScreen)
        await wait_until(lambda: "toy1" in screen.profiles, pilot=pilot)
        screen.choose_file(path)
        screen.choose_profile("toy1")
        await wait_until(lambda: screen.preview is not None, pilot=pilot)
        assert screen.mapping is not None and screen.mapping.target("Mobile") == "msisdn"
        screen.start_import(confirm=False)
        await wait_until(lambda: screen.summary is not None, 20, pilot=pilot)
        assert screen.summary.rows_imported == 7
