"""The app frame and the credentials screen, driven through Textual's Pilot against the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import wait_until
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.content import Content
from textual.widgets import DataTable, Input, OptionList, Select, Static

from cxconsole.app import SCREENS, CXApp
from cxconsole.context import Context
from cxconsole.keystore import FileStore, Secrets
from cxconsole.profiles import ProfileStore
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer
from cxconsole.screens.credentials import CredentialsScreen
from cxconsole.screens.help import HelpScreen
from cxconsole.settings import load_settings

SIZE = (120, 40)


def text_of(widget: Static) -> str:
    return str(widget.render())


async def test_home_lists_sandbox_profiles_and_banner(sandbox: SandboxServer):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#profiles", DataTable)
        await wait_until(lambda: table.row_count == 4, pilot=pilot)
        names = [str(table.get_row_at(i)[0]) for i in range(4)]
        assert names == [
            "sandbox-questionpro",
            "sandbox-expoints",
            "sandbox-webex",
            "sandbox-noojee",
        ]
        banner = text_of(app.screen.query_one("#banner", Static))
        assert "SANDBOX" in banner and sandbox.url in banner


async def test_every_screen_is_one_key_away(sandbox: SandboxServer):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=SIZE) as pilot:
        for mode, (path, _, key) in SCREENS.items():
            await pilot.press(key)
            name = path.split(":")[1]
            await wait_until(
                lambda name=name: type(app.screen).__name__ == name, pilot=pilot, what=name
            )
            assert app.current_mode == mode
        await pilot.press("1")
        await pilot.press("question_mark")
        await wait_until(lambda: isinstance(app.screen, HelpScreen), pilot=pilot, what="help")
        keys = app.screen.query_one(DataTable)
        ids = {keys.get_row_at(i)[2] for i in range(keys.row_count)}
        assert {"app.home", "app.tickets", "home.refresh"} <= ids
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_lists_every_screen(sandbox: SandboxServer):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {f"Go to {t}" for _, t, _ in SCREENS.values()} <= set(titles)
        assert len(titles) == len(set(titles)), "each command once in the palette"
        await pilot.press("ctrl+p")
        await wait_until(lambda: isinstance(app.screen, CommandPalette), pilot=pilot)
        await pilot.press(*"go to tickets")
        await wait_until(lambda: top_command(app) == "Go to Tickets", pilot=pilot, what="the hit")
        await pilot.press("enter")
        await wait_until(lambda: app.current_mode == "tickets", pilot=pilot, what="tickets")


def top_command(app: CXApp) -> str:
    """The palette's highlighted command once the search for the whole typed text is in."""
    palette = app.screen
    if not isinstance(palette, CommandPalette):
        return ""
    commands = palette.query_one(CommandList)
    typed = palette.query_one(Input).value
    if typed != "go to tickets" or commands.highlighted is None:
        return ""
    prompt = commands.get_option_at_index(commands.highlighted).prompt
    plain = prompt.plain if isinstance(prompt, Text | Content) else str(prompt)
    return plain.splitlines()[0]  # the title; the help line is under it


async def test_core_loads_after_the_first_frame(isolated_home: Path):
    """Without a context given, the app boots the core in a worker, then screens get it."""
    app = CXApp(sandbox=True)
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one("#banner", Static)  # the first frame, before the core
        ctx = await app.context()
        assert ctx.sandbox_url and ctx.sandbox_url.startswith("http://127.0.0.1:")
        table = app.screen.query_one("#profiles", DataTable)
        await wait_until(lambda: table.row_count == 4, pilot=pilot)
        assert httpx.get(ctx.sandbox_url + "/_sandbox/stats").status_code == 200


# -- the credentials form --------------------------------------------------------------------
def user_context(sandbox: SandboxServer, home: Path) -> Context:
    """A non-sandbox context, with the insecure store in a tmp dir so the test is hermetic;
    the keyring round trip has its own test."""
    return Context(ProfileStore(), Secrets(FileStore(home / "secrets.toml")))


async def credentials_ready(pilot) -> CredentialsScreen:
    """The credentials screen once its form and profile list are built."""
    await wait_until(lambda: isinstance(pilot.app.screen, CredentialsScreen), pilot=pilot)
    screen = pilot.app.screen
    options = screen.query_one("#profile-list", OptionList)
    await wait_until(
        lambda: screen.built_vendor is not None and options.option_count >= 1,
        pilot=pilot,
        what="the credentials form",
    )
    return screen


async def fill(pilot, selector: str, value: str) -> None:
    widget = pilot.app.screen.query_one(selector, Input)
    widget.value = value
    await pilot.pause()


async def test_credentials_add_test_edit_remove(sandbox: SandboxServer, isolated_home: Path):
    ctx = user_context(sandbox, isolated_home)
    app = CXApp(ctx=ctx, initial_mode="credentials")
    async with app.run_test(size=SIZE) as pilot:
        screen = await credentials_ready(pilot)
        # A new Noojee profile: only Noojee's fields are on the form.
        screen.query_one("#vendor", Select).value = "noojee"
        await wait_until(lambda: bool(screen.query("#setting-template_id")), pilot=pilot)
        assert not screen.query("#setting-datacenter")
        await fill(pilot, "#name", "nj prod")  # a space: refused beside the field
        await fill(pilot, "#base_url", sandbox.url + "/noojee")
        await pilot.press("ctrl+s")
        error = screen.query_one("#error-name", Static)
        await wait_until(lambda: text_of(error), pilot=pilot, what="the name's error")
        assert "letters, digits" in text_of(error)
        assert ctx.profiles.load() == {}

        await fill(pilot, "#name", "nj-prod")
        await fill(pilot, "#setting-template_id", "12")
        await fill(pilot, "#secret-value", SANDBOX_SECRETS["noojee"])
        await pilot.press("ctrl+s")
        await wait_until(lambda: "nj-prod" in ctx.profiles.load(), pilot=pilot)
        assert ctx.secrets.get("nj-prod").get_secret_value() == SANDBOX_SECRETS["noojee"]
        assert screen.query_one("#secret-value", Input).value == ""

        # Test connection fills the pickers from the vendor's lists.
        await pilot.press("ctrl+t")
        result = screen.query_one("#result", Static)
        await wait_until(lambda: "Key accepted" in text_of(result), pilot=pilot)
        picker = screen.query_one("#pick-campaign_id", Select)
        await wait_until(lambda: len(picker._options) > 1, pilot=pilot)
        picker.value = "23"
        campaign = screen.query_one("#setting-campaign_id", Input)
        await wait_until(lambda: campaign.value == "23", pilot=pilot, what="the picked campaign")
        assert ctx.tests.load()["nj-prod"]["ok"] is True

        # Edit: rename, and a wrong key gives the decoded error, not a traceback.
        await fill(pilot, "#name", "nj-main")
        await pilot.press("ctrl+s")
        await wait_until(lambda: screen.editing == "nj-main", pilot=pilot)
        assert set(ctx.profiles.load()) == {"nj-main"}
        assert ctx.secrets.store.get("nj-prod") is None
        assert ctx.secrets.get("nj-main").get_secret_value() == SANDBOX_SECRETS["noojee"]
        await fill(pilot, "#secret-value", "wrong-key-000")
        await pilot.press("ctrl+t")
        await wait_until(lambda: "What to do" in text_of(result), pilot=pilot)
        assert "401" in text_of(result)
        assert any(e.profile == "nj-main" for e in ctx.errors.events())

        # Remove: the profile and its secret.
        await pilot.press("ctrl+d")
        await wait_until(lambda: app.screen is not screen, pilot=pilot, what="the question")
        await pilot.press("n")  # asked first; no means no
        # This screen's workers: the other screens, composed in the background, keep theirs
        # (the file tree's loader runs for as long as the imports screen lives).
        await wait_until(
            lambda: app.screen is screen and not [w for w in app.workers if w.node is screen],
            pilot=pilot,
        )
        assert set(ctx.profiles.load()) == {"nj-main"}
        await pilot.press("ctrl+d")
        await wait_until(lambda: app.screen is not screen, pilot=pilot, what="the question")
        await pilot.press("y")
        await wait_until(lambda: ctx.profiles.load() == {}, pilot=pilot)
        assert ctx.secrets.store.get("nj-main") is None
        options = screen.query_one("#profile-list", OptionList)
        assert options.option_count == 1  # "+ New profile"


async def test_a_name_typed_right_after_ctrl_n_goes_into_the_name_field(
    sandbox: SandboxServer, isolated_home: Path
):
    """Issue 12: "once, after ctrl+n, the typed name landed in the API-token field": the keys
    typed in the same instant as ctrl+n were routed to the field focused before it."""
    from conftest import burst

    app = CXApp(ctx=user_context(sandbox, isolated_home), initial_mode="credentials")
    async with app.run_test(size=SIZE) as pilot:
        screen = await credentials_ready(pilot)
        token = screen.query_one("#secret-value", Input)
        token.focus()
        await wait_until(lambda: app.focused is token, pilot=pilot, what="the token field")
        burst(app, "ctrl+n", "qp-night")
        name = screen.query_one("#name", Input)
        await wait_until(lambda: name.value == "qp-night", pilot=pilot, what=repr(name.value))
        assert token.value == "" and app.focused is name


async def test_credentials_expoints_test_shows_data_columns(
    sandbox: SandboxServer, isolated_home: Path
):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url), initial_mode="credentials")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, CredentialsScreen)
        screen.load_profile("sandbox-expoints")
        await wait_until(lambda: screen.editing == "sandbox-expoints", pilot=pilot)
        await pilot.press("ctrl+t")
        details = screen.query_one("#details", DataTable)
        await wait_until(lambda: details.row_count > 0, pilot=pilot)
        names = {str(details.get_row_at(i)[1]) for i in range(details.row_count)}
        assert "First_name_customer" in names


async def test_no_keyring_shows_guidance_and_file_store_is_opt_in(
    sandbox: SandboxServer, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
):
    import keyring.core

    from cxconsole.keystore import KeyringStore

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core._keyring_backend = None
    try:
        ctx = Context(ProfileStore(), Secrets(KeyringStore()))
        app = CXApp(ctx=ctx, initial_mode="credentials")
        async with app.run_test(size=SIZE) as pilot:
            screen = await credentials_ready(pilot)
            await fill(pilot, "#name", "qp")
            await fill(pilot, "#base_url", sandbox.url + "/qp")
            await fill(pilot, "#secret-value", "qp-secret-777")
            await pilot.press("ctrl+s")
            guidance = screen.query_one("#guidance", Static)
            await wait_until(lambda: guidance.display, pilot=pilot)
            text = text_of(guidance)
            assert "dbus-run-session" in text and "CXCONSOLE_SECRET_QP" in text
            assert "INSECURE" in text
            # All or nothing: no profile without its secret, and nothing fell back silently.
            assert "qp" not in ctx.profiles.load()
            assert not (isolated_home / "config" / "cxconsole" / "secrets.insecure.toml").exists()
            await pilot.press("ctrl+f")  # asked first: the dialog says what it means
            await wait_until(
                lambda: "PLAIN TEXT" in str(app.screen.query_one(Static).render()), pilot=pilot
            )
            await pilot.press("y")
            await wait_until(lambda: isinstance(ctx.secrets.store, FileStore), pilot=pilot)
            assert "INSECURE" in app.title
            assert load_settings()[0].secret_store == "file"
    finally:
        keyring.core._keyring_backend = None


# -- themes ---------------------------------------------------------------------------------
async def test_shipped_themes_load_and_choice_persists(sandbox: SandboxServer, isolated_home):
    app = CXApp(ctx=Context.for_sandbox(sandbox.url), theme="cxconsole-256")
    async with app.run_test(size=SIZE):
        assert {"cxconsole-dark", "cxconsole-light", "cxconsole-256"} <= set(app.available_themes)
        assert app.theme == "cxconsole-256"
        app.theme = "cxconsole-light"
    assert load_settings()[0].theme == "cxconsole-light"
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=SIZE):
        assert app.theme == "cxconsole-light"


async def test_broken_user_theme_is_one_notification(sandbox: SandboxServer, isolated_home):
    folder = isolated_home / "config" / "cxconsole" / "themes"
    folder.mkdir(parents=True)
    (folder / "bad-colour.toml").write_text('name = "x"\nprimary = "not-a-colour"\n')
    (folder / "not-toml.toml").write_text("name = \n")
    (folder / "mine.toml").write_text('name = "mine"\nprimary = "#ff0000"\n')
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=SIZE) as pilot:
        assert "mine" in app.available_themes
        failures = lambda: [n for n in app._notifications if n.title == "Theme files not loaded"]  # noqa: E731
        await wait_until(failures, pilot=pilot, what="the notification")
        await pilot.pause()  # a second one would have come with the first
        assert len(failures()) == 1
        message = failures()[0].message
        assert "bad-colour.toml: primary: not a colour" in message
        assert "not-toml.toml" in message


async def test_insecure_store_is_flagged_from_the_start(sandbox: SandboxServer, isolated_home):
    ctx = Context(ProfileStore(), Secrets(FileStore(isolated_home / "s.toml")))
    app = CXApp(ctx=ctx)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(lambda: "INSECURE" in app.title, pilot=pilot, what="the warning")


async def test_user_keymap_remaps_a_binding_by_its_id(sandbox: SandboxServer, isolated_home):
    settings = isolated_home / "config" / "cxconsole" / "settings.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('[keymap]\n"app.tickets" = "f4"\n')
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await wait_until(lambda: app.current_mode == "tickets", pilot=pilot, what="tickets")


async def test_broken_settings_file_is_reported_not_fatal(sandbox: SandboxServer, isolated_home):
    settings = isolated_home / "config" / "cxconsole" / "settings.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('secret_store = "postit"\n')
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=SIZE) as pilot:
        messages = lambda: [n.message for n in app._notifications]  # noqa: E731
        await wait_until(messages, pilot=pilot, what="a notification")
        assert any("secret_store" in m for m in messages())
        assert app.settings.secret_store == "keyring"


async def test_typed_secret_never_reaches_a_screenshot(sandbox: SandboxServer, isolated_home):
    secret = "typed-secret-55555"
    app = CXApp(ctx=user_context(sandbox, isolated_home), initial_mode="credentials")
    async with app.run_test(size=SIZE) as pilot:
        await credentials_ready(pilot)
        await fill(pilot, "#secret-value", secret)
        field = app.screen.query_one("#secret-value", Input)
        field.focus()
        await wait_until(lambda: app.focused is field, pilot=pilot, what="the focus")
        await pilot.pause()  # drawn with the focus
        assert secret not in app.export_screenshot()
        await pilot.press("ctrl+r")  # revealed on purpose: the operator asked to see it
        await wait_until(lambda: secret in app.export_screenshot(), pilot=pilot, what="shown")
        await pilot.press("ctrl+r")
        await wait_until(lambda: field.password, pilot=pilot, what="masked again")
        await pilot.pause()  # drawn masked
        assert secret not in app.export_screenshot()


async def test_home_lists_recent_import_runs(sandbox: SandboxServer, tmp_path: Path):
    import subprocess
    import sys

    people = tmp_path / "people.csv"
    people.write_text("name,email,phone\nAna,ana@example.com,+14155550100\n")
    command = [sys.executable, "-m", "cxconsole", "--sandbox", "import", str(people)]
    done = subprocess.run(  # noqa: ASYNC221 - the import must finish before the app starts
        [*command, "--profile", "sandbox-webex"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    async with app.run_test(size=SIZE) as pilot:
        runs = app.screen.query_one("#runs", DataTable)
        await wait_until(lambda: runs.row_count == 1, pilot=pilot)
        labels = [str(c.label) for c in runs.ordered_columns]
        row = dict(zip(labels, (str(cell) for cell in runs.get_row_at(0)), strict=True))
        assert row["File"] == "people.csv" and row["Profile"] == "sandbox-webex"
        assert row["State"] == "✓ finished" and row["Unknown"] == "0"  # the CLI said finished


async def test_an_internal_error_prints_no_traceback_and_names_the_log(
    sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from cxconsole.app import CXApp
    from cxconsole.context import Context

    app = CXApp(ctx=Context.for_sandbox(sandbox.url))
    with pytest.raises(ZeroDivisionError):  # run_test raises the app's error for the test
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            try:
                _ = 1 / 0
            except ZeroDivisionError as error:
                app._handle_exception(error)  # what Textual calls on an error no handler caught
            # What then fails as the app closes (a screen composed in the background found
            # its widgets gone) stays in the log: the terminal has one line, no NOTE of more.
            try:
                _ = {}["widget"]
            except KeyError as error:
                app._handle_exception(error)
    shown = " ".join(capsys.readouterr().err.split())
    assert "internal error (ZeroDivisionError" in shown and "cxconsole.log" in shown
    assert "Traceback" not in shown and "File " not in shown
    assert shown.count("internal error") == 1 and "KeyError" not in shown
    assert "NOTE" not in shown and "errors shown" not in shown


@pytest.mark.parametrize("mode", list(SCREENS))
async def test_a_terminal_too_small_shows_a_notice_then_the_screen_whole(
    sandbox: SandboxServer, mode: str
):
    from test_snapshots import screen_text

    from cxconsole.widgets.too_small import TooSmall

    app = CXApp(ctx=Context.for_sandbox(sandbox.url), initial_mode=mode)
    async with app.run_test(size=(30, 8)) as pilot:
        await wait_until(lambda: app.screen.query(TooSmall), pilot=pilot, what="the notice")
        notice = app.screen.query_one(TooSmall)
        await wait_until(lambda: notice.region.height > 0, pilot=pilot, what="the notice")
        assert notice.region == app.screen.region, "over the whole screen"
        # Nothing else is drawn: the screen's text is the notice's alone (no cut title, tabs,
        # banner or form).
        shown = " ".join(screen_text(app.export_screenshot()).split())
        assert "too small" in str(notice.render()) and "ctrl+q quits" in shown
        for other in ("cxconsole —", "SANDBOX", "Set up (F2)", "Profiles"):
            assert other not in shown, other
        await pilot.resize_terminal(80, 24)
        await wait_until(lambda: not notice.region.height, pilot=pilot, what="the screen back")
        assert any(w.display for w in app.screen.children if w is not notice)
