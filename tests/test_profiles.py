"""Profiles and their secrets: a real Secret Service, the environment override, the opt-in file
store, the no-keyring guidance, and the ``profile`` command end to end against the sandbox."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cxconsole.client import CXError
from cxconsole.keystore import (
    FileStore,
    KeyringStore,
    KeyringUnavailable,
    SecretMissing,
    Secrets,
    default_store,
    env_var,
)
from cxconsole.profiles import Profile, ProfileError, ProfileStore
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer

SECRET = "qp-test-secret-31337"


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "cxconsole", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def all_files_text(*roots: Path) -> str:
    chunks = []
    for root in roots:
        for path in root.rglob("*") if root.exists() else []:
            if path.is_file():
                chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


# -- the profile file -------------------------------------------------------------------------
def test_profile_store_round_trip_and_validation(isolated_home: Path):
    store = ProfileStore()
    profile = Profile(
        name="qp-eu", vendor="questionpro", settings={"datacenter": "EU", "workspace_id": 7}
    )
    store.put(profile)
    loaded = store.get("qp-eu")
    assert loaded.resolved_base_url() == "https://api.questionpro.eu"
    store.rename("qp-eu", "qp-eu-2")
    assert set(store.load()) == {"qp-eu-2"}
    with pytest.raises(ProfileError, match="datacenter"):
        store.put(Profile(name="bad", vendor="questionpro", settings={"datacenter": "MARS"}))
    with pytest.raises(ProfileError, match="no profile named 'nope'"):
        store.get("nope")
    with pytest.raises(ValueError, match="base URL"):
        Profile(name="x", vendor="webex", base_url="ftp://example.com")


def test_base_url_prefix_is_kept():
    profile = Profile(name="p", vendor="questionpro", base_url="http://127.0.0.1:8765/qp/")
    vendor = profile.adapter
    url, _, _ = vendor.build_batch(profile.resolved_base_url(), profile.vendor_settings(), [])
    assert url == "http://127.0.0.1:8765/qp/a/api/v2/cx/transactions/import"


def test_broken_profiles_file_names_the_file(isolated_home: Path):
    store = ProfileStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_text("[profiles.x\nvendor = 1", "utf-8")
    with pytest.raises(ProfileError, match=r"profiles\.toml"):
        store.load()


# -- secrets: a real Secret Service ---------------------------------------------------------
def test_keyring_round_trip_with_a_real_secret_service(secret_service: None, isolated_home: Path):
    secrets = Secrets(KeyringStore())
    secrets.set("kr-profile", SECRET)
    assert secrets.get("kr-profile").get_secret_value() == SECRET
    assert secrets.source("kr-profile") == "OS keyring"
    secrets.rename("kr-profile", "kr-renamed")
    assert secrets.get("kr-renamed").get_secret_value() == SECRET
    secrets.delete("kr-renamed")
    with pytest.raises(SecretMissing, match="kr-renamed"):
        secrets.get("kr-renamed")
    assert SECRET not in all_files_text(isolated_home)


def test_environment_override_wins_and_is_read_only(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(env_var("ci-profile"), "from-env-secret")
    secrets = Secrets(FileStore(Path("/nonexistent/never-written.toml")))
    assert env_var("ci-profile") == "CXCONSOLE_SECRET_CI_PROFILE"
    assert secrets.get("ci-profile").get_secret_value() == "from-env-secret"
    assert secrets.source("ci-profile").startswith("environment")


def test_no_keyring_says_why_and_offers_the_ways_out(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    import keyring.core

    keyring.core._keyring_backend = None  # keyring caches its choice: make it choose again
    try:
        store = KeyringStore()
        with pytest.raises(KeyringUnavailable) as info:
            store.set("p", "x-secret")
        with pytest.raises(KeyringUnavailable):
            store.check()
    finally:
        keyring.core._keyring_backend = None
    text = str(info.value)
    assert "dbus-run-session" in text and "gnome-keyring-daemon --unlock" in text
    assert "CXCONSOLE_SECRET_P " in text or "CXCONSOLE_SECRET_P=" in text
    assert "CXCONSOLE_SECRET_STORE=file" in text


def test_file_store_only_on_opt_in_and_private(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
):
    assert isinstance(default_store(), KeyringStore)
    monkeypatch.setenv("CXCONSOLE_SECRET_STORE", "file")
    store = default_store()
    assert isinstance(store, FileStore) and store.insecure
    Secrets(store).set("p", "file-secret-1")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert "INSECURE" in store.path.read_text()
    with pytest.raises(CXError, match="expected 'keyring' or 'file'"):
        default_store("plaintext")


# -- the command line ----------------------------------------------------------------------
def test_profile_cli_end_to_end(secret_service: None, isolated_home: Path, sandbox: SandboxServer):
    base = sandbox.url + "/qp"
    added = cli(
        "profile", "add", "qp-cli", "--vendor", "questionpro", "--base-url", base,
        "--workspace-id", "1", "--secret-stdin", stdin=SANDBOX_SECRETS["questionpro"] + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "OS keyring" in added.stdout

    listed = cli("profile", "list", "--json")
    items = json.loads(listed.stdout)
    assert [i["name"] for i in items] == ["qp-cli"] and items[0]["base_url"] == base

    shown = cli("profile", "show", "qp-cli")
    assert SANDBOX_SECRETS["questionpro"] not in shown.stdout + shown.stderr
    assert "hidden" in shown.stdout

    tested = cli("profile", "test", "qp-cli")
    assert tested.returncode == 0, tested.stderr
    assert "Key accepted" in tested.stdout

    wrong = cli("profile", "test", "qp-cli", env={env_var("qp-cli"): "wrong-key-0000"})
    assert wrong.returncode == 3
    assert "1010" in wrong.stderr and "UNAUTHORIZED" in wrong.stderr
    assert "wrong-key-0000" not in wrong.stderr + wrong.stdout

    renamed = cli("profile", "rename", "qp-cli", "qp-cli-2")
    assert renamed.returncode == 0, renamed.stderr
    assert cli("profile", "test", "qp-cli-2").returncode == 0

    removed = cli("profile", "remove", "qp-cli-2")
    assert removed.returncode == 0
    assert json.loads(cli("profile", "list", "--json").stdout) == []

    # The secret never reached a file of ours: config, state, logs.
    assert SANDBOX_SECRETS["questionpro"] not in all_files_text(isolated_home)


def test_profile_add_refuses_bad_settings_naming_them(isolated_home: Path):
    result = cli(
        "profile", "add", "nj", "--vendor", "noojee", "--base-url", "http://127.0.0.1:1",
        "--template-id", "abc", "--no-secret",
    )  # fmt: skip
    assert result.returncode == 2
    assert "template_id" in result.stderr
    assert "Traceback" not in result.stderr


def test_secret_is_never_taken_from_an_argument():
    result = cli("profile", "add", "x", "--vendor", "webex", "--secret", "abc")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
