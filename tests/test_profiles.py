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


def test_two_profiles_never_read_one_environment_secret(
    isolated_home: Path, sandbox: SandboxServer
):
    """qp-eu, qp_eu and QP.EU would all read CXCONSOLE_SECRET_QP_EU: one key, other hosts."""
    add = ("profile", "add", "--vendor", "questionpro", "--workspace-id", "1", "--no-secret")
    first = cli(*add[:2], "qp-eu", *add[2:], "--base-url", sandbox.url + "/qp")
    assert first.returncode == 0, first.stderr
    for twin in ("qp_eu", "QP.EU"):
        done = cli(*add[:2], twin, *add[2:], "--base-url", "http://127.0.0.2:9/qp")
        assert done.returncode == 1 and "CXCONSOLE_SECRET_QP_EU" in done.stderr, done.stderr
        assert "'qp-eu'" in done.stderr and "Traceback" not in done.stderr
    other = cli("profile", "add", "qp-us", *add[2:], "--base-url", "http://127.0.0.2:9/qp")
    assert other.returncode == 0, other.stderr
    renamed = cli("profile", "rename", "qp-us", "qp_eu")
    assert renamed.returncode != 0 and "CXCONSOLE_SECRET_QP_EU" in renamed.stderr
    # A file from before the check: the shared variable is used by neither.
    store = ProfileStore()
    profiles = store.load()
    profiles["QP.EU"] = profiles["qp-us"].model_copy(update={"name": "QP.EU"})
    store.save(profiles)
    env = {"CXCONSOLE_SECRET_QP_EU": SANDBOX_SECRETS["questionpro"]}
    tested = cli("profile", "test", "QP.EU", env=env)
    assert tested.returncode != 0 and "rename all but one" in tested.stderr, tested.stderr
    assert "Traceback" not in tested.stderr


def test_secret_is_never_taken_from_an_argument():
    result = cli("profile", "add", "x", "--vendor", "webex", "--secret", "abc")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


# -- all or nothing ---------------------------------------------------------------------------
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core._keyring_backend = None  # keyring caches its choice: make it choose again


@pytest.fixture
def fresh_keyring_choice():
    import keyring.core

    keyring.core._keyring_backend = None
    yield
    keyring.core._keyring_backend = None


def test_book_changes_nothing_when_the_keyring_fails(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, fresh_keyring_choice: None
):
    from cxconsole.profile_book import ChangeFailed, ProfileBook

    profiles = ProfileStore()
    book = ProfileBook(profiles, Secrets(KeyringStore()))
    profiles.put(Profile(name="kept", vendor="questionpro"))
    _no_keyring(monkeypatch)
    before = profiles.path.read_bytes()
    with pytest.raises(ChangeFailed) as info:
        book.add(Profile(name="new", vendor="questionpro"), "a-secret-123")
    assert isinstance(info.value.cause, KeyringUnavailable)
    for change in (
        lambda: book.edit(Profile(name="kept", vendor="questionpro"), "a-secret-123"),
        lambda: book.rename("kept", "moved"),
        lambda: book.remove("kept"),
    ):
        with pytest.raises(ChangeFailed):
            change()
        assert profiles.path.read_bytes() == before
    # What needs no secret store still works: an edit without a secret, a bare add.
    book.edit(Profile(name="kept", vendor="questionpro", phone_region="de"), None)
    assert profiles.get("kept").phone_region == "DE"
    book.add(Profile(name="bare", vendor="questionpro"), None)
    book.remove("bare", keep_secret=True)
    assert set(profiles.load()) == {"kept"}


def test_book_undoes_the_secret_when_the_profile_file_cannot_be_written(isolated_home: Path):
    from cxconsole.profile_book import ChangeFailed, ProfileBook

    profiles = ProfileStore()
    store = FileStore(isolated_home / "secrets.toml")
    book = ProfileBook(profiles, Secrets(store))
    book.add(Profile(name="a", vendor="questionpro"), "secret-of-a-1")
    before = profiles.path.read_bytes()
    # The next write of profiles.toml fails: its temporary file's name is taken by a folder.
    blocker = profiles.path.with_name(f".{profiles.path.name}.{os.getpid()}.tmp")
    blocker.mkdir()
    with pytest.raises(ChangeFailed, match="cannot be written"):
        book.rename("a", "b")
    assert (store.get("a"), store.get("b")) == ("secret-of-a-1", None)
    with pytest.raises(ChangeFailed):
        book.edit(Profile(name="a", vendor="questionpro"), "secret-of-a-2")
    assert store.get("a") == "secret-of-a-1"  # the new secret was taken back
    with pytest.raises(ChangeFailed):
        book.add(Profile(name="c", vendor="questionpro"), "secret-of-c-1")
    assert store.get("c") is None
    assert profiles.path.read_bytes() == before
    blocker.rmdir()
    book.rename("a", "b")
    assert (store.get("a"), store.get("b")) == (None, "secret-of-a-1")
    assert set(profiles.load()) == {"b"}


def test_book_keyring_round_trip(secret_service: None, isolated_home: Path):
    from cxconsole.profile_book import ProfileBook

    secrets = Secrets(KeyringStore())
    book = ProfileBook(ProfileStore(), secrets)
    assert book.add(Profile(name="kb", vendor="questionpro"), SECRET).secret_stored
    assert secrets.locate("kb").kind == "keyring"
    assert book.rename("kb", "kb2").secret_moved
    assert secrets.locate("kb").kind == "nowhere" and secrets.locate("kb2").kind == "keyring"
    assert book.remove("kb2").secret_moved
    assert secrets.store.get("kb2") is None
    assert SECRET not in all_files_text(isolated_home)


def test_profile_writers_in_parallel_lose_nothing(isolated_home: Path):
    import threading

    store = ProfileStore()
    threads = [
        threading.Thread(target=store.put, args=(Profile(name=f"p{i}", vendor="webex"),))
        for i in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(store.load()) == {f"p{i}" for i in range(12)}


# -- where the secret really is -----------------------------------------------------------------
def test_locate_names_where_the_secret_really_is(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, fresh_keyring_choice: None
):
    file_store = FileStore()
    secrets = Secrets(file_store)
    assert secrets.locate("p").kind == "nowhere"
    file_store.set("p", "file-secret-99")
    assert secrets.locate("p").kind == "file"
    monkeypatch.setenv(env_var("p"), "env-secret-99")
    assert secrets.locate("p").label == "environment (CXCONSOLE_SECRET_P)"
    monkeypatch.delenv(env_var("p"))
    _no_keyring(monkeypatch)
    where = Secrets(KeyringStore()).locate("p")
    assert where.kind == "unknown" and "unusable" in where.label and where.reason


def test_leaving_the_file_store_moves_every_secret_or_none(
    secret_service: None, isolated_home: Path
):
    from cxconsole.keystore import move_secrets

    source = FileStore()
    source.set("one", "file-secret-one-1")
    source.set("two", "file-secret-two-2")
    target = KeyringStore()
    assert move_secrets(source, target) == ["one", "two"]
    assert (target.get("one"), target.get("two")) == ("file-secret-one-1", "file-secret-two-2")
    assert source.names() == ["one", "two"]  # deleted only by the caller, once switched
    source.discard()
    assert not source.path.exists()
    for name in ("one", "two"):
        target.delete(name)


def test_leaving_the_file_store_without_a_keyring_loses_nothing(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, fresh_keyring_choice: None
):
    from cxconsole.keystore import MoveIncomplete, move_secrets

    source = FileStore()
    source.set("one", "file-secret-one-1")
    before = source.path.read_bytes()
    _no_keyring(monkeypatch)
    with pytest.raises(MoveIncomplete, match="Nothing was lost"):
        move_secrets(source, KeyringStore())
    assert source.path.read_bytes() == before


# -- settings: generated flags, region, vendor facts ----------------------------------------------
def test_cli_vendor_flags_come_from_the_settings_models():
    from cxconsole.commands import profile as command
    from cxconsole.vendors import get_vendor, vendor_names

    flags = command.setting_flags()
    for name in vendor_names():
        for field, info in get_vendor(name).settings_model.model_fields.items():
            spec = flags["--" + field.replace("_", "-")]
            assert name in spec.vendors and spec.key == (info.alias or field)
    for kept in ("--datacenter", "--datastore-id", "--feed-id", "--template-id", "--campaign-id",
                 "--allocation-id", "--tenant", "--records-path", "--workspace-id"):  # fmt: skip
        assert kept in flags
    source = Path(command.__file__).read_text("utf-8")
    assert '"--datacenter"' not in source and '"--feed-id"' not in source
    helped = cli("profile", "add", "--help")
    assert "--date-order {day-first,month-first}" in helped.stdout
    assert "--insert-path" in helped.stdout and "--no-is-test" in helped.stdout


def test_cli_flags_region_and_new_settings_are_stored(isolated_home: Path):
    added = cli(
        "profile", "add", "nj", "--vendor", "noojee", "--base-url", "http://127.0.0.1:1",
        "--template-id", "12", "--insert-path", "insertLeadFast", "--allow-duplicates",
        "--region", "au", "--no-secret",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    profile = ProfileStore().get("nj")
    assert profile.phone_region == "AU"
    assert profile.settings == {
        "template_id": 12, "insert_path": "insertLeadFast", "allow_duplicates": True,
    }  # fmt: skip
    url, _, _ = profile.adapter.build_batch(
        profile.resolved_base_url(), profile.vendor_settings(), []
    )
    assert url.endswith("/servicemanager/rest/CampaignAPI/insertLeadFast")
    wrong = cli("profile", "edit", "nj", "--region", "XX")
    assert wrong.returncode == 2 and "phone region 'XX'" in wrong.stderr
    other = cli("profile", "edit", "nj", "--datacenter", "EU")
    assert other.returncode == 2 and "not of Noojee Contact" in other.stderr
    cleared = cli("profile", "edit", "nj", "--region", "")
    assert cleared.returncode == 0 and ProfileStore().get("nj").phone_region is None


def test_vendor_setting_defaults_keep_documented_behaviour():
    from cxconsole.vendors import get_vendor

    noojee = get_vendor("noojee")
    url, _, _ = noojee.build_batch("http://h", noojee.settings_model(), [])
    assert url == "http://h/servicemanager/rest/CampaignAPI/insertLeadsFast"
    qp = get_vendor("questionpro")
    assert qp.output_date_format(qp.settings_model()) == "%d/%m/%Y"
    assert qp.output_date_format(qp.settings_model(date_order="month-first")) == "%m/%d/%Y"
    assert get_vendor("expoints").settings_model().columns_api == "v3"


async def test_expoints_columns_default_to_v3_and_v1_stays(sandbox: SandboxServer):
    from pydantic import SecretStr

    from cxconsole.client import close_client, get_client
    from cxconsole.profiles import Account

    seen = []
    for settings in ({}, {"columns_api": "v1"}):
        profile = Profile(
            name="xp", vendor="expoints", base_url=sandbox.url + "/expoints", settings=settings
        )
        account = Account.open(profile, SecretStr(SANDBOX_SECRETS["expoints"]))
        report = await account.test(get_client())
        seen.append(len(report.details["columns"]))
    await close_client()
    assert seen[0] == seen[1] > 0


# -- the insecure file store in the TUI: in and out, each after a confirmation ------------------
async def _wait(pilot, predicate, seconds: float = 10.0) -> None:
    import asyncio

    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await pilot.pause()
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


def _modal_text(app) -> str:
    from textual.widgets import Static

    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def _leave_file_store(pilot, app) -> None:
    await pilot.press("ctrl+f")
    await _wait(pilot, lambda: "Move every secret" in _modal_text(app))
    assert "nothing is lost" in _modal_text(app)
    await pilot.press("y")


async def test_tui_enters_and_leaves_the_file_store(secret_service: None, isolated_home: Path):
    from cxconsole.app import CXApp
    from cxconsole.context import Context
    from cxconsole.settings import load_settings

    ctx = Context(ProfileStore(), Secrets(KeyringStore()))
    app = CXApp(ctx=ctx, initial_mode="credentials")
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: bool(app.screen.query("#setting-datacenter")))
        await pilot.press("ctrl+f")
        await _wait(pilot, lambda: "PLAIN TEXT" in _modal_text(app))
        await pilot.press("n")  # no means no
        await _wait(pilot, lambda: not _modal_text(app).count("PLAIN TEXT"))
        assert isinstance(ctx.secrets.store, KeyringStore)
        await pilot.press("ctrl+f")
        await _wait(pilot, lambda: "PLAIN TEXT" in _modal_text(app))
        await pilot.press("y")
        await _wait(pilot, lambda: isinstance(ctx.secrets.store, FileStore))
        assert "INSECURE" in app.title and load_settings()[0].secret_store == "file"
        ctx.book.add(Profile(name="f1", vendor="questionpro"), "file-tui-secret-1")
        path = ctx.secrets.store.path
        assert path.exists()

        await _leave_file_store(pilot, app)
        await _wait(pilot, lambda: isinstance(ctx.secrets.store, KeyringStore))
        assert not path.exists() and "INSECURE" not in app.title
        assert load_settings()[0].secret_store == "keyring"
        assert KeyringStore().get("f1") == "file-tui-secret-1"
        KeyringStore().delete("f1")


async def test_tui_leaving_the_file_store_without_a_keyring_loses_nothing(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, fresh_keyring_choice: None
):
    from textual.widgets import Static

    from cxconsole.app import CXApp
    from cxconsole.context import Context

    store = FileStore()
    ctx = Context(ProfileStore(), Secrets(store))
    ctx.book.add(Profile(name="f1", vendor="questionpro"), "file-tui-secret-2")
    before = store.path.read_bytes()
    _no_keyring(monkeypatch)
    app = CXApp(ctx=ctx, initial_mode="credentials")
    async with app.run_test(size=(120, 40)) as pilot:
        await _wait(pilot, lambda: bool(app.screen.query("#setting-datacenter")))
        screen = app.screen
        await _leave_file_store(pilot, app)
        result = screen.query_one("#result", Static)
        await _wait(pilot, lambda: "Nothing was lost" in str(result.render()))
        assert ctx.secrets.store is store and "INSECURE" in app.title
    assert store.path.read_bytes() == before


def test_generated_flags_cost_other_commands_nothing():
    """The vendor flags are built when ``profile add|edit`` parses, not for ``codes``."""
    code = (
        "import contextlib, io, sys\n"
        "from cxconsole.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['codes', '1010'])\n"
        "print([m for m in sys.modules if m.startswith('cxconsole.vendors')])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_import_help_promises_no_silent_phone_region(isolated_home: Path):
    # The import stops (exit 2) and proposes a region when none is set; the help must not
    # promise a default of US that does not exist.
    helped = cli("import", "--help")
    assert "else US" not in helped.stdout
    assert "--region CC" in helped.stdout and "profile's region" in " ".join(helped.stdout.split())
