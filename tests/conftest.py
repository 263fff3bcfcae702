"""Shared test fixtures."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from cxconsole.sandbox.server import SandboxServer


async def wait_until(
    predicate: Callable[[], object],
    seconds: float = 10.0,
    *,
    pilot: Any = None,
    what: str = "",
) -> None:
    """Return once ``predicate()`` is true; fail the test after ``seconds``.

    Polls every 10 ms; with a Textual ``pilot`` it also lets the app process its messages
    (``pilot.pause()`` without a delay) between polls. The deadline only bounds a test that
    would otherwise hang: nothing here waits on the clock for something to happen.
    """
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met within {seconds} s")
        if pilot is not None:
            await pilot.pause()
        await asyncio.sleep(0.01)


def burst(app: Any, *typed: str) -> None:
    """Keys typed in one instant, as one read of the terminal delivers them (a fast typist, a
    paste, tmux send-keys): every key is queued before the app handles the first, where
    Pilot's press lets the app settle between keys. Each argument is text, or a key's name
    ("ctrl+n", "escape")."""
    from textual import events
    from textual.keys import _character_to_key

    for item in typed:
        if _KEY_NAME.fullmatch(item):
            app.post_message(events.Key(item, None))
            continue
        for character in item:
            app.post_message(events.Key(_character_to_key(character), character))


_KEY_NAME = re.compile(r"(ctrl|shift|alt)\+\w+|f\d{1,2}|escape|enter|tab|backspace|up|down")


def poll_until(predicate: Callable[[], object], seconds: float = 10.0, *, what: str = "") -> None:
    """``wait_until`` for code with no event loop (subprocesses, tmux): polls every 10 ms."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what or 'condition'} not met within {seconds} s")
        time.sleep(0.01)  # a poll, not a wait: the deadline only bounds a hang


@pytest.fixture
def wait_for() -> Callable[..., Awaitable[None]]:
    """The one shared condition wait: ``await wait_for(lambda: ..., what="...")``."""
    return wait_until


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxServer]:
    """One emulator for the whole session, on 127.0.0.1 at a free port."""
    # Imported here so a broken sandbox fails only the tests that use it.
    from cxconsole.sandbox.config import SandboxConfig
    from cxconsole.sandbox.server import SandboxServer

    # QuestionPro's 300 calls a minute per key is one operator's budget: here dozens of apps
    # start within a minute, each Home fetching every ticket page, and a test would wait on
    # the rate window another test spent. The rate limit's tests make their own server.
    with SandboxServer(SandboxConfig(qp_rate_limit=1_000_000)) as server:
        yield server


def _calm(server: SandboxServer) -> None:
    from cxconsole.sandbox.config import ALL_FAULTS, NOOJEE_QUEUE_TIMEOUT_S, SLOW_FAULT_DELAY_S

    body = {"rate": 0.0, "faults": list(ALL_FAULTS), "latency_ms": 0, "seed": server.config.seed}
    with httpx.Client(base_url=server.url, verify=False) as client:  # plain HTTP: skip TLS setup
        client.post("/_sandbox/faults", json=body).raise_for_status()
    server.state.slow_delay_s = SLOW_FAULT_DELAY_S
    server.state.noojee_queue_timeout = NOOJEE_QUEUE_TIMEOUT_S


@pytest.fixture
def sandbox_reset(sandbox: SandboxServer) -> Iterator[SandboxServer]:
    """The session emulator with an empty record, fresh counters and no faults or latency."""
    with httpx.Client(base_url=sandbox.url, verify=False) as client:
        client.post("/_sandbox/reset").raise_for_status()
    _calm(sandbox)
    yield sandbox
    _calm(sandbox)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own config and state dirs: nothing touches the real home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("CXCONSOLE_SECRET_STORE", raising=False)
    for name in list(__import__("os").environ):
        if name.startswith("CXCONSOLE_SECRET_"):
            monkeypatch.delenv(name)
    return home


@pytest.fixture
def home(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The command-line tests' dirs in tmp_path, the file secret store, no region from the
    environment (import_support.isolate); a module takes it for every test with
    ``pytestmark = pytest.mark.usefixtures("home")``."""
    from import_support import isolate

    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def secret_service() -> None:
    """A real Secret Service must answer (CI runs pytest under dbus-run-session + gnome-keyring)."""
    import os

    import keyring
    from keyring.backends import SecretService

    backend = keyring.get_keyring()
    usable = isinstance(backend, SecretService.Keyring) or "SecretService" in repr(backend)
    if not usable and not os.environ.get("CI"):
        pytest.skip(
            "no Secret Service on this D-Bus session: run the suite as README.md says "
            "(dbus-run-session + gnome-keyring-daemon --unlock)"
        )
    assert usable, f"CI needs a real Secret Service, keyring chose {backend!r}"
