"""Every secret used here is looked for in every file under the config, state and cache dirs and
in every output captured: after F12 with the secret revealed, after base URLs with credentials,
and after every profile command with a real Secret Service and with no keyring at all."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import wait_until
from textual.widgets import Input, Static

from cxconsole.app import CXApp
from cxconsole.context import Context
from cxconsole.keystore import FileStore, KeyringStore, Secrets
from cxconsole.profiles import ProfileStore
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
URL_PASSWORD = "url-password-8d1f3a"
URL_TOKEN = "url-token-77c2e9b0"
MATRIX_TOKEN = "matrix-token-3e5a91"
TYPED = "typed-secret-4f0c2d"


class Seen:
    """Every output a test captured, to be searched with the files."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.outputs: list[str] = []

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            **(extra or {}),
        }

    def cli(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None):
        done = subprocess.run(
            [sys.executable, "-m", "cxconsole", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(env),
            timeout=60,
        )
        self.outputs += [done.stdout, done.stderr]
        return done

    def assert_nowhere(self, *secrets: str, allow: tuple[Path, ...] = ()) -> int:
        """No secret in any file of ours nor in any output; returns how many files were read."""
        files = 0
        for root in ("config", "state", "cache"):
            for path in (self.home / root).rglob("*"):
                if not path.is_file() or path in allow:
                    continue
                files += 1
                data = path.read_bytes()
                for secret in secrets:
                    assert secret.encode() not in data, f"{secret!r} written to {path}"
        for text in self.outputs:
            for secret in secrets:
                assert secret not in text, f"{secret!r} printed: {text[:300]}"
        return files


@pytest.fixture
def seen(isolated_home: Path) -> Seen:
    return Seen(isolated_home)


def profiles_file(home: Path) -> Path:
    return home / "config" / "cxconsole" / "profiles.toml"


# -- every profile command, with a real Secret Service --------------------------------------------
def test_every_profile_command_with_a_keyring(
    secret_service: None, seen: Seen, sandbox: SandboxServer
):
    key = SANDBOX_SECRETS["questionpro"]
    new_key = "qp-rotated-key-6a5b"
    base = sandbox.url + "/qp"
    add = seen.cli("profile", "add", "kq", "--vendor", "questionpro", "--base-url", base,
                   "--region", "au", "--secret-stdin", stdin=key + "\n")  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert "secret stored in the OS keyring" in add.stdout
    shown = seen.cli("profile", "show", "kq", "--json")
    item = json.loads(shown.stdout)
    assert (item["secret_kind"], item["phone_region"]) == ("keyring", "AU")
    assert seen.cli("profile", "test", "kq").returncode == 0
    listed = seen.cli("profile", "list")
    assert "kq" in listed.stdout
    # A new secret replaces the stored one; sandbox keys are fixed, so put the old one back.
    edit = seen.cli("profile", "edit", "kq", "--secret-stdin", stdin=new_key + "\n")
    assert edit.returncode == 0, edit.stderr
    assert KeyringStore().get("kq") == new_key
    edit = seen.cli("profile", "edit", "kq", "--date-order", "month-first", "--secret-stdin",
                    stdin=key + "\n")  # fmt: skip
    assert edit.returncode == 0, edit.stderr
    renamed = seen.cli("profile", "rename", "kq", "kq2")
    assert renamed.returncode == 0, renamed.stderr
    assert "secret moved" in renamed.stdout
    assert KeyringStore().get("kq") is None and KeyringStore().get("kq2") == key
    assert seen.cli("profile", "test", "kq2").returncode == 0
    removed = seen.cli("profile", "remove", "kq2")
    assert removed.returncode == 0, removed.stderr
    assert KeyringStore().get("kq2") is None
    assert seen.cli("profile", "show", "kq2").returncode == 2
    assert seen.assert_nowhere(key, new_key) >= 2  # profiles.toml and the log, at least


# -- every profile command, with no keyring -------------------------------------------------------
def test_every_profile_command_without_a_keyring(seen: Seen, sandbox: SandboxServer):
    key = SANDBOX_SECRETS["webex"]
    base = sandbox.url + "/webex"
    args = ("--vendor", "webex", "--base-url", base, "--datastore-id", "1466", "--feed-id", "1499")

    add = seen.cli("profile", "add", "wx", *args, "--secret-stdin", stdin=key + "\n",
                   env=NO_KEYRING)  # fmt: skip
    assert add.returncode == 1
    assert "not saved, nothing changed" in add.stderr and "dbus-run-session" in add.stderr
    assert not profiles_file(seen.home).exists()  # no profile without its secret

    # Without a secret, given nothing: refused, nothing saved.
    bare = seen.cli("profile", "add", "wx", *args, env=NO_KEYRING)
    assert bare.returncode == 2 and "no secret given" in bare.stderr
    assert not profiles_file(seen.home).exists()

    # Saying so: saved, and show says the truth about the secret.
    add = seen.cli("profile", "add", "wx", *args, "--no-secret", env=NO_KEYRING)
    assert add.returncode == 0, add.stderr
    shown = json.loads(seen.cli("profile", "show", "wx", "--json", env=NO_KEYRING).stdout)
    assert shown["secret_kind"] == "unknown" and "unusable" in shown["secret"]
    assert shown["secret_detail"]  # why: keyring's own words
    with_env = {**NO_KEYRING, "CXCONSOLE_SECRET_WX": key}
    shown = json.loads(seen.cli("profile", "show", "wx", "--json", env=with_env).stdout)
    assert shown["secret_kind"] == "environment"
    assert shown["secret"] == "environment (CXCONSOLE_SECRET_WX)"
    assert seen.cli("profile", "test", "wx", env=with_env).returncode == 0

    # An edit that stores no secret needs no keyring; one that does is refused whole.
    edit = seen.cli("profile", "edit", "wx", "--feed-id", "2000", "--no-secret", env=NO_KEYRING)
    assert edit.returncode == 0, edit.stderr
    edit = seen.cli("profile", "edit", "wx", "--feed-id", "3000", "--secret-stdin",
                    stdin=key + "\n", env=NO_KEYRING)  # fmt: skip
    assert edit.returncode == 1
    assert ProfileStore(profiles_file(seen.home)).get("wx").settings["feed-id"] == "2000"

    # Rename and remove must move or remove the secret: with no keyring, nothing happens.
    before = profiles_file(seen.home).read_bytes()
    renamed = seen.cli("profile", "rename", "wx", "wx2", env=NO_KEYRING)
    assert renamed.returncode == 1 and "not renamed, nothing changed" in renamed.stderr
    removed = seen.cli("profile", "remove", "wx", env=NO_KEYRING)
    assert removed.returncode == 1 and "not removed, nothing changed" in removed.stderr
    assert profiles_file(seen.home).read_bytes() == before
    removed = seen.cli("profile", "remove", "wx", "--keep-secret", env=NO_KEYRING)
    assert removed.returncode == 0, removed.stderr
    assert ProfileStore(profiles_file(seen.home)).load() == {}
    seen.assert_nowhere(key)


def test_every_profile_command_with_the_file_store(seen: Seen, sandbox: SandboxServer):
    key = SANDBOX_SECRETS["noojee"]
    env = {**NO_KEYRING, "CXCONSOLE_SECRET_STORE": "file"}
    store = seen.home / "config" / "cxconsole" / "secrets.insecure.toml"
    add = seen.cli("profile", "add", "nj", "--vendor", "noojee", "--base-url",
                   sandbox.url + "/noojee", "--template-id", "12", "--secret-stdin",
                   stdin=key + "\n", env=env)  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert "INSECURE file store" in add.stdout
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    shown = json.loads(seen.cli("profile", "show", "nj", "--json", env=env).stdout)
    assert shown["secret_kind"] == "file"
    # The Noojee key rides in the URL: the test's request line is logged, masked.
    assert seen.cli("profile", "test", "nj", env=env).returncode == 0
    assert seen.cli("profile", "rename", "nj", "nj2", env=env).returncode == 0
    assert FileStore(store).names() == ["nj2"]
    # With the file store chosen but the secret gone from it, show says nowhere.
    FileStore(store).delete("nj2")
    shown = json.loads(seen.cli("profile", "show", "nj2", "--json", env=env).stdout)
    assert shown["secret_kind"] == "nowhere"
    assert seen.cli("profile", "remove", "nj2", env=env).returncode == 0
    seen.assert_nowhere(key, allow=(store,))


# -- credentials in a base URL --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "part"),
    [
        (f"https://admin:{URL_PASSWORD}@api.example.com", "user:password@"),
        (f"https://{URL_TOKEN}@api.example.com/x", "user@"),
        (f"https://api.example.com/x?apiKey={URL_TOKEN}", "query parameter apiKey"),
        (f"https://api.example.com/x?access_token={URL_TOKEN}", "query parameter access_token"),
        (f"https://api.example.com/x?Password={URL_PASSWORD}", "query parameter Password"),
        (f"https://api.example.com/x?auth={URL_TOKEN}&page=2", "query parameter auth"),
        # Servers read a key wherever a parameter can sit, not only after "?".
        (f"https://api.example.com/x;apiKey={URL_TOKEN}", "path parameter apiKey"),
        (f"https://api.example.com/x;v=2;apiKey={URL_TOKEN}/y", "path parameter apiKey"),
        (f"https://api.example.com/apiKey={URL_TOKEN}", "path parameter apiKey"),
        (f"https://api.example.com/x?page=2;apiKey={URL_TOKEN}", "query parameter apiKey"),
        (f"https://api.example.com/x#apiKey={URL_TOKEN}", "fragment parameter apiKey"),
    ],
)
def test_base_url_with_credentials_is_refused(seen: Seen, url: str, part: str):
    for command in (
        ("profile", "add", "nj", "--vendor", "noojee", "--no-secret", "--base-url", url),
        ("profile", "edit", "nj", "--base-url", url, "--no-secret"),
    ):
        if command[1] == "edit":
            ok = seen.cli("profile", "add", "nj", "--vendor", "noojee", "--no-secret",
                          "--base-url", "https://api.example.com")  # fmt: skip
            assert ok.returncode == 0, ok.stderr
        done = seen.cli(*command, env=NO_KEYRING)
        assert done.returncode == 2, done.stderr
        assert part in done.stderr and "keyring" in done.stderr
        assert "Traceback" not in done.stderr
    assert ProfileStore(profiles_file(seen.home)).get("nj").base_url == "https://api.example.com"
    seen.assert_nowhere(URL_PASSWORD, URL_TOKEN)


def test_an_older_profile_with_credentials_in_its_url_is_redacted_everywhere(
    seen: Seen, sandbox: SandboxServer
):
    """profiles.toml from before the check: shown, listed, tested, logged, journalled, masked."""
    host = sandbox.url.removeprefix("http://")
    path = profiles_file(seen.home)
    path.parent.mkdir(parents=True)
    path.write_text(
        "[profiles.old-nj]\n"
        'vendor = "noojee"\n'
        f'base_url = "http://nj:{URL_PASSWORD}@{host}/noojee"\n'
        "[profiles.old-nj.settings]\ntemplate_id = 12\ncampaign_id = 23\nallocation_id = 34\n"
        "[profiles.old-qp]\n"
        'vendor = "questionpro"\n'
        f'base_url = "http://{host}/qp?apiKey={URL_TOKEN}"\n'
        "[profiles.old-mx]\n"
        'vendor = "noojee"\n'
        f'base_url = "http://{host}/noojee;apiKey={MATRIX_TOKEN}"\n'
        "[profiles.old-mx.settings]\ntemplate_id = 12\ncampaign_id = 23\nallocation_id = 34\n",
        "utf-8",
    )
    env = {**NO_KEYRING, "CXCONSOLE_SECRET_OLD_NJ": SANDBOX_SECRETS["noojee"]}
    shown = seen.cli("profile", "show", "old-nj", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "•••@" in shown.stdout and "user:password@" in shown.stderr
    listed = seen.cli("profile", "list", "--json", env=env)
    assert {i["name"] for i in json.loads(listed.stdout)} == {"old-nj", "old-qp", "old-mx"}
    seen.cli("profile", "list", env=env)
    seen.cli("profile", "show", "old-qp", env=env)
    mx = seen.cli("profile", "show", "old-mx", env=env)
    assert "path parameter apiKey" in mx.stderr and ";apiKey=•••" in mx.stdout
    seen.cli("profile", "test", "old-mx", env={**env, "CXCONSOLE_SECRET_OLD_MX": "wrong-key-2"})
    seen.cli("profile", "test", "old-nj", env=env)
    seen.cli("profile", "test", "old-qp", env={**env, "CXCONSOLE_SECRET_OLD_QP": "wrong-key-1"})
    people = seen.home / "people.csv"
    people.write_text("firstName,phone1\nAna,+61412345678\n", "utf-8")
    seen.cli("import", str(people), "--profile", "old-nj", env=env)
    # An edit that keeps the old URL is refused until the credential is taken out of it.
    kept = seen.cli("profile", "edit", "old-nj", "--allocation-id", "35", "--no-secret", env=env)
    assert kept.returncode == 2 and "keyring" in kept.stderr
    fixed = seen.cli("profile", "edit", "old-nj", "--base-url", sandbox.url + "/noojee",
                     "--no-secret", env=env)  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert URL_PASSWORD not in path.read_text("utf-8")
    seen.assert_nowhere(URL_PASSWORD, SANDBOX_SECRETS["noojee"], "wrong-key-1", allow=())
    # The other profile still holds its token in the file (it was never edited), and nowhere else.
    assert URL_TOKEN in path.read_text("utf-8")
    seen.assert_nowhere(URL_TOKEN, allow=(path,))
    assert MATRIX_TOKEN in path.read_text("utf-8")
    seen.assert_nowhere(MATRIX_TOKEN, "wrong-key-2", allow=(path,))


# -- the TUI: F12 and the form -----------------------------------------------------------------
def user_context(home: Path) -> Context:
    return Context(ProfileStore(), Secrets(FileStore(home / "secrets-for-tui-tests.toml")))


async def test_f12_never_shows_a_secret_even_revealed(sandbox: SandboxServer, seen: Seen):
    ctx = user_context(seen.home)
    app = CXApp(ctx=ctx, initial_mode="credentials")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_until(lambda: bool(screen.query("#setting-datacenter")), pilot=pilot)
        field = screen.query_one("#secret-value", Input)
        field.value = TYPED
        field.focus()
        await pilot.press("ctrl+r")  # revealed: the operator sees it on the terminal
        await wait_until(lambda: not field.password, pilot=pilot)
        assert TYPED in app.export_screenshot()
        await pilot.press("f12")
        folder = seen.home / "state" / "cxconsole" / "screenshots"
        await wait_until(lambda: folder.exists() and any(folder.iterdir()), pilot=pilot)
        (svg,) = folder.iterdir()
        assert TYPED not in svg.read_text("utf-8")
        assert "•" * 8 in svg.read_text("utf-8")  # masked, not blanked
        assert stat.S_IMODE(svg.stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert not field.password  # as the operator left it
        # The command palette's screenshot takes the same path.
        app.action_screenshot()
        await wait_until(lambda: len(list(folder.iterdir())) == 2, pilot=pilot)
    seen.outputs.append("\n".join(str(n.message) for n in app._notifications))
    assert seen.assert_nowhere(TYPED) >= 2


async def test_form_refuses_credentials_in_the_url_and_masks_an_older_one(
    sandbox: SandboxServer, seen: Seen
):
    ctx = user_context(seen.home)
    path = profiles_file(seen.home)
    path.parent.mkdir(parents=True)
    path.write_text(
        '[profiles.legacy]\nvendor = "expoints"\n'
        f'base_url = "https://ops:{URL_PASSWORD}@acme.expoints.nl"\n',
        "utf-8",
    )
    app = CXApp(ctx=ctx, initial_mode="credentials")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await wait_until(lambda: bool(screen.query("#setting-datacenter")), pilot=pilot)
        screen.query_one("#name", Input).value = "fresh"
        screen.query_one(
            "#base_url", Input
        ).value = f"https://api.questionpro.eu/?token={URL_TOKEN}"
        screen.query_one("#secret-value", Input).value = TYPED
        await pilot.press("ctrl+s")
        error = screen.query_one("#error-base_url", Static)
        await wait_until(lambda: "credential" in str(error.render()), pilot=pilot)
        assert "keyring" in str(error.render()) and URL_TOKEN not in str(error.render())
        assert "fresh" not in ctx.profiles.load()

        screen.load_profile("legacy")
        await wait_until(lambda: screen.editing == "legacy", pilot=pilot)
        shown = screen.query_one("#base_url", Input).value
        assert URL_PASSWORD not in shown and "•••@acme.expoints.nl" in shown
        assert "user:password@" in str(screen.query_one("#error-base_url", Static).render())
        screen.query_one("#secret-value", Input).focus()
        await pilot.press("ctrl+r")
        await pilot.press("f12")
        folder = seen.home / "state" / "cxconsole" / "screenshots"
        await wait_until(lambda: folder.exists() and any(folder.iterdir()), pilot=pilot)
        # The home screen lists the profile with its URL: masked there too.
        app.go("home")
        await wait_until(lambda: "•••@acme.expoints.nl" in app.export_screenshot(), pilot=pilot)
        assert URL_PASSWORD not in app.export_screenshot()
    for text in (n.message for n in app._notifications):
        seen.outputs.append(str(text))
    seen.assert_nowhere(URL_TOKEN, TYPED)
    seen.assert_nowhere(URL_PASSWORD, allow=(path,))
