"""``--sandbox`` is sealed: a profile may reach only the emulator on this machine. The seal sits
where a profile becomes a callable account, so every path (CLI and TUI: test connection, import,
tickets) obeys; a refusal names the host."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import wait_until
from pydantic import SecretStr
from textual.widgets import Input, Select, Static

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.keystore import FileStore, Secrets
from cxconsole.profiles import Account, OutsideSandbox, Profile, ProfileStore, is_loopback
from cxconsole.sandbox.server import SandboxServer


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxconsole", "--sandbox", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        timeout=60,
    )


def far_profile(name: str = "far-qp", base_url: str | None = None) -> Profile:
    """A QuestionPro profile with no base URL: it would default to the vendor's real host."""
    return Profile(name=name, vendor="questionpro", base_url=base_url)


def sandbox_with_far_profile(url: str) -> Context:
    ctx = Context.for_sandbox(url)
    # Put straight into the in-memory store, as an older session might have: the book refuses.
    ctx.profiles.put(far_profile())
    ctx.secrets.set("far-qp", "far-qp-secret-0001")
    return ctx


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1.nip.io", False),
        ("localhost.example.com", False),
        ("10.0.0.1", False),
        ("api.questionpro.com", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool):
    assert is_loopback(host) is loopback


def test_the_account_is_sealed_where_it_is_opened(sandbox: SandboxServer):
    secret = SecretStr("far-qp-secret-0001")
    with pytest.raises(OutsideSandbox, match=r"api\.questionpro\.com") as info:
        Account.open(far_profile(), secret, sandboxed=True)
    assert info.value.host == "api.questionpro.com" and info.value.profile == "far-qp"
    with pytest.raises(OutsideSandbox, match=r"acme\.webexcampaign\.io"):
        Account.open(
            Profile(name="wx", vendor="webex", settings={"tenant": "acme"}), secret, sandboxed=True
        )
    with pytest.raises(OutsideSandbox, match=r"10\.1\.2\.3"):
        Account.open(far_profile(base_url="http://10.1.2.3:8765/qp"), secret, sandboxed=True)
    near = far_profile(base_url=sandbox.url + "/qp")
    assert Account.open(near, secret, sandboxed=True).base == sandbox.url + "/qp"
    # Outside the sandbox the same profile opens: the seal is the sandbox's, not a rule of ours.
    assert Account.open(far_profile(), secret).base == "https://api.questionpro.com"

    # Every path goes through the context: import, tickets and test connection, in both faces.
    ctx = sandbox_with_far_profile(sandbox.url)
    with pytest.raises(OutsideSandbox, match=r"api\.questionpro\.com"):
        ctx.account("far-qp")
    with pytest.raises(OutsideSandbox, match=r"api\.questionpro\.com"):
        ctx.open_account(far_profile(), secret)
    assert ctx.account("sandbox-questionpro").base.startswith("http://127.0.0.1:")
    # And nothing that points elsewhere can be saved in the sandbox.
    with pytest.raises(OutsideSandbox, match=r"api\.questionpro\.com"):
        ctx.book.add(far_profile("other"), "x-secret-1")
    assert "other" not in ctx.profiles.load()


def test_user_context_is_not_sealed(isolated_home: Path):
    ctx = Context(ProfileStore(), Secrets(FileStore(isolated_home / "s.toml")))
    ctx.book.add(far_profile(), "far-qp-secret-0001")
    assert ctx.account("far-qp").base == "https://api.questionpro.com"


def test_cli_refuses_a_profile_that_leaves_the_sandbox():
    added = cli("profile", "add", "qp2", "--vendor", "questionpro", "--no-secret")
    assert added.returncode == 2
    assert "api.questionpro.com" in added.stderr and "sandbox" in added.stderr
    assert "Traceback" not in added.stderr
    edited = cli("profile", "edit", "sandbox-webex", "--base-url", "https://acme.webexcampaign.io")
    assert edited.returncode == 2 and "acme.webexcampaign.io" in edited.stderr
    local = cli(
        "profile", "add", "qp3", "--vendor", "questionpro", "--base-url", "http://localhost:9/qp",
        "--no-secret",
    )  # fmt: skip
    assert local.returncode == 0, local.stderr
    assert cli("profile", "test", "sandbox-questionpro").returncode == 0


async def test_tui_test_connection_and_save_refuse_the_vendor_host(sandbox: SandboxServer):
    ctx = Context.for_sandbox(sandbox.url)
    app = CXApp(ctx=ctx, initial_mode="credentials")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_until(lambda: bool(screen.query("#setting-datacenter")), pilot=pilot)
        assert screen.query_one("#vendor", Select).value == "questionpro"
        screen.query_one("#name", Input).value = "qp-real"
        screen.query_one("#secret-value", Input).value = "qp-real-secret-0002"
        await pilot.press("ctrl+t")
        result = screen.query_one("#result", Static)
        await wait_until(lambda: "api.questionpro.com" in str(result.render()), pilot=pilot)
        assert "sandbox" in str(result.render()) and "✗" in str(result.render())
        await pilot.press("ctrl+s")
        error = screen.query_one("#error-base_url", Static)
        await wait_until(lambda: "api.questionpro.com" in str(error.render()), pilot=pilot)
        assert "qp-real" not in ctx.profiles.load()


async def test_tui_tickets_refuse_the_vendor_host(sandbox: SandboxServer):
    app = CXApp(ctx=sandbox_with_far_profile(sandbox.url), initial_mode="tickets")
    async with app.run_test(size=(120, 40)) as pilot:
        # far-qp sorts first, so the tickets screen opens it first.
        await wait_until(lambda: "api.questionpro.com" in app.export_screenshot(), pilot=pilot)


async def test_tui_import_refuses_the_vendor_host(sandbox: SandboxServer):
    app = CXApp(ctx=sandbox_with_far_profile(sandbox.url), initial_mode="imports")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_until(lambda: hasattr(screen, "choose_profile"), pilot=pilot)
        await pilot.pause()
        screen.choose_profile("far-qp")  # type: ignore[attr-defined]
        setup = screen.setup_pane  # type: ignore[attr-defined]
        await wait_until(
            lambda: "api.questionpro.com" in (setup.fields_problem or ""),
            pilot=pilot,
            what="the set-up pane names the vendor host it refused",
        )
