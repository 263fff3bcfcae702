"""The credentials screen: profiles, a form with only the chosen vendor's fields, test connection.

The vendor's fields, hints and connection-test tables come from its adapter, so a fifth vendor
needs no change here. Every keyring call runs in a thread (the keystore adds a timeout); every
network call runs in a worker. Saving, renaming and removing go through the profile book, which
does each change whole or not at all. A missing keyring is explained on screen with the ways
out, never bypassed; the insecure file store is entered and left only after a confirmation.
"""

from __future__ import annotations

import asyncio
from types import UnionType
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    Switch,
)
from textual.widgets.option_list import Option

from cxconsole.redact import redact_url
from cxconsole.screens.base import CXScreen
from cxconsole.widgets.footer import CXFooter
from cxconsole.widgets.secret_input import SecretInput

NEW = "__new__"


def _field_widget_id(name: str) -> str:
    return f"setting-{name}"


#: Below this width the connection test's outcome goes under the form, not beside it.
STACK_BELOW = 120


class CredentialsScreen(CXScreen):
    DEFAULT_CSS = """
    CredentialsScreen #store-bar { height: auto; }
    CredentialsScreen #store-status { height: auto; padding: 0 1; width: 1fr; }
    CredentialsScreen #store-status.-insecure { background: $error 30%; text-style: bold; }
    CredentialsScreen #leave-file-store { display: none; }
    CredentialsScreen #leave-file-store.-shown { display: block; }
    CredentialsScreen #body { height: 1fr; }
    CredentialsScreen #list-pane { width: 26; border-right: tall $panel; }
    CredentialsScreen #profile-list { height: 1fr; }
    CredentialsScreen #work { width: 1fr; height: 1fr; layout: horizontal; }
    CredentialsScreen #form { width: 1fr; height: 1fr; padding: 0 1; }
    CredentialsScreen #outcome { width: 42; height: 1fr; padding: 0 1; display: none; }
    CredentialsScreen #outcome.-shown { display: block; }
    /* Too narrow for the outcome beside the form: under it, so no field is squeezed. */
    CredentialsScreen.-stack #work { layout: vertical; }
    CredentialsScreen.-stack #outcome {
        width: 1fr; height: auto; max-height: 45%; border-top: tall $panel;
    }
    CredentialsScreen Switch { border: none; height: 1; padding: 0; }
    CredentialsScreen Switch:focus { border: none; background-tint: $primary 30%; }
    CredentialsScreen #vendor-fields { height: auto; }
    CredentialsScreen.-narrow #list-pane { width: 24; }
    CredentialsScreen.-narrow .row > Label { width: 13; }
    CredentialsScreen.-narrow .hint, CredentialsScreen.-narrow .field-error { padding: 0 0 0 14; }
    CredentialsScreen.-narrow #buttons { padding: 1 0 0 14; }
    CredentialsScreen .row { height: auto; margin-top: 1; }
    CredentialsScreen .row > Input, CredentialsScreen .row > Select SelectCurrent,
    CredentialsScreen SecretInput Input { background: $panel; }
    CredentialsScreen .field-error, CredentialsScreen .hint { display: none; }
    CredentialsScreen .field-error.-shown, CredentialsScreen .hint.-shown { display: block; }
    CredentialsScreen .row > Label { width: 17; padding: 0 1 0 0; text-align: right; }
    CredentialsScreen .row > Input, CredentialsScreen .row > Select,
    CredentialsScreen .row > SecretInput { width: 1fr; }
    CredentialsScreen .row > Switch { width: auto; }
    CredentialsScreen .hint { padding: 0 0 0 18; color: $text-muted; height: auto; }
    CredentialsScreen .field-error { padding: 0 0 0 18; }
    CredentialsScreen #buttons { height: auto; padding: 1 0 0 18; }
    CredentialsScreen #buttons Button { margin-right: 1; }
    CredentialsScreen #result { height: auto; padding: 0 1; border: round $panel; }
    CredentialsScreen #result.-ok { border: round $success; }
    CredentialsScreen #result.-failed { border: round $error; }
    CredentialsScreen #details { height: auto; }
    CredentialsScreen #guidance { height: auto; padding: 1; border: round $warning; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "new", "New", id="credentials.new", tooltip="New profile", priority=True),
        Binding("ctrl+s", "save", "Save", id="credentials.save"),
        Binding("ctrl+t", "test", "Test connection", id="credentials.test"),
        # Priority: inputs bind ctrl+d and ctrl+f to editing keys, and the form is full of inputs.
        Binding("ctrl+d", "remove", "Remove", id="credentials.remove", priority=True),
        Binding(
            "ctrl+f",
            "toggle_file_store",
            "Insecure file store on/off",
            id="credentials.file_store",
            show=False,
            priority=True,
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.editing: str | None = None  # the saved name of the profile in the form
        self.built_vendor: str | None = None  # whose fields the form shows now
        self._build_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()  # saves and removals run one at a time, in order
        self.last_details: dict[str, Any] = {}

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from cxconsole.vendors import vendor_names

        yield Header()
        with Horizontal(id="store-bar"):
            yield Static("", id="store-status")
            yield Button("Back to the keyring", id="leave-file-store", compact=True)
        with Horizontal(id="body"):
            with Vertical(id="list-pane"):
                yield Static("Profiles", classes="section-title")
                yield OptionList(id="profile-list")
            with Vertical(id="work"):
                with VerticalScroll(id="form"):
                    yield Static("New profile", id="form-title", classes="section-title")
                    with Horizontal(classes="row"):
                        yield Label("Name")
                        yield Input(placeholder="e.g. qp-eu-prod", id="name", compact=True)
                    yield Static("", id="error-name", classes="field-error")
                    with Horizontal(classes="row"):
                        yield Label("Vendor")
                        yield Select(
                            [(_vendor_title(v), v) for v in vendor_names()],
                            id="vendor",
                            allow_blank=False,
                            value=vendor_names()[0],
                            compact=True,
                        )
                    with Horizontal(classes="row"):
                        yield Label("Base URL")
                        yield Input(placeholder="", id="base_url", compact=True)
                    yield Static("", id="hint-base_url", classes="hint")
                    yield Static("", id="error-base_url", classes="field-error")
                    with Horizontal(classes="row"):
                        yield Label("Phone region")
                        yield Input(placeholder="e.g. AU, DE, FR", id="phone_region", compact=True)
                    yield Static(
                        "national numbers in this profile's files belong to this country",
                        id="hint-phone_region",
                        classes="hint -shown",
                    )
                    yield Static("", id="error-phone_region", classes="field-error")
                    yield Vertical(id="vendor-fields")
                    with Horizontal(classes="row"):
                        yield Label("Secret", id="secret-label")
                        yield SecretInput(id="secret")
                    yield Static("", id="hint-secret", classes="hint")
                    yield Static("", id="error-secret", classes="field-error")
                    with Horizontal(id="buttons"):
                        yield Button("Save", id="save", variant="primary")
                        yield Button("Test connection", id="test")
                        yield Button("Remove", id="remove", variant="error")
                with VerticalScroll(id="outcome"):
                    yield Static("", id="guidance")
                    yield Static("", id="result")
                    yield DataTable(id="details", cursor_type="row", zebra_stripes=True)
        yield CXFooter()

    @on(events.Mount)
    async def _mounted(self) -> None:
        self.sub_title = "Credentials"
        self.query_one("#guidance").display = False
        self.query_one("#result").display = False
        self.query_one("#details").display = False
        from cxconsole.vendors import vendor_names

        await self.build_vendor_fields(vendor_names()[0], {})

    def on_screen_resume(self) -> None:
        self.refresh_list()  # on the first show too

    def on_resize(self, event: Any) -> None:
        self.set_class(event.size.width < 100, "-narrow")
        self.set_class(event.size.width < STACK_BELOW, "-stack")

    # -- the list ----------------------------------------------------------------------------
    @work(exclusive=True, group="credentials-list")
    async def refresh_list(self, select: str | None = None) -> None:
        ctx = await self.cx.context()
        from cxconsole.client import CXError

        try:
            profiles = await asyncio.to_thread(ctx.profiles.load)
        except CXError as exc:
            self.cx.report_error(exc, "profiles")
            profiles = {}
        self.show_store_status(ctx)
        options = self.query_one("#profile-list", OptionList)
        options.clear_options()
        options.add_option(Option("+ New profile", id=NEW))
        for name, profile in sorted(profiles.items()):
            options.add_option(Option(f"{name}\n  [dim]{profile.adapter.title}[/dim]", id=name))
        target = select or self.editing
        if target and target in profiles:
            options.highlighted = options.get_option_index(target)

    def show_store_status(self, ctx: Any) -> None:
        status = self.query_one("#store-status", Static)
        store = ctx.secrets.store
        if ctx.sandbox_url:
            status.update("Sandbox: secrets held in memory; your keyring is not touched.")
        elif store.insecure:
            status.update(f"INSECURE secret store in use: {store.path} (plain text, mode 0600)")
        else:
            status.update(f"Secrets are kept in the {store.label} (service cxconsole).")
        status.set_class(bool(store.insecure), "-insecure")
        self.query_one("#leave-file-store").set_class(bool(store.insecure), "-shown")

    @on(OptionList.OptionSelected, "#profile-list")
    async def profile_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option_id == NEW:
            await self.action_new()
        elif event.option_id:
            self.load_profile(event.option_id)

    @work(exclusive=True, group="credentials-form")
    async def load_profile(self, name: str) -> None:
        ctx = await self.cx.context()
        from cxconsole.client import CXError

        try:
            profile = await asyncio.to_thread(ctx.profiles.get, name)
        except CXError as exc:
            self.cx.report_error(exc, "profiles", profile=name)
            return
        self.clear_messages()
        self.editing = None  # until the form holds it whole
        self.query_one("#form-title", Static).update(f"Profile {name}")
        self.query_one("#name", Input).value = name
        await self.build_vendor_fields(profile.vendor, profile.settings)
        self.query_one("#vendor", Select).value = profile.vendor
        # An older profile's URL may hold a credential: it is shown masked, and saving it as it
        # is will be refused with the way out.
        self.query_one("#base_url", Input).value = redact_url(profile.base_url or "")
        if profile.credentials_in_url:
            self.field_error(
                "base_url",
                f"this URL holds a credential ({', '.join(profile.credentials_in_url)}): "
                "remove it, and type the secret below to keep it in the secret store",
            )
        self.query_one("#phone_region", Input).value = profile.phone_region or ""
        secret = self.query_one("#secret", SecretInput)
        secret.clear()
        location = await asyncio.to_thread(ctx.secrets.locate, name)
        secret.set_placeholder(
            "•••••• (stored; type a new one to replace it)"
            if location.found
            else "no secret stored: type one to store it"
        )
        self.show_hint("secret", f"Secret: {_located(location)}")
        self.editing = name

    async def action_new(self) -> None:
        self.editing = None
        self.query_one("#form-title", Static).update("New profile")
        name = self.query_one("#name", Input)
        name.value = ""
        # At once (a priority key, focus set now, not queued): a name typed right after
        # ctrl+n went to the field focused before, the API token among them.
        self.set_focus(name)
        self.query_one("#base_url", Input).value = ""
        self.query_one("#phone_region", Input).value = ""
        vendor = self.query_one("#vendor", Select).value
        await self.build_vendor_fields(str(vendor), {})
        self.query_one("#secret", SecretInput).clear()
        self.clear_messages()
        self.show_hint("secret", "Kept in the secret store when you save; never in a file of ours.")

    # -- the vendor's own fields -------------------------------------------------------------
    @on(Select.Changed, "#vendor")
    async def vendor_changed(self, event: Select.Changed) -> None:
        # Loading a profile sets the vendor too; its fields are built already then.
        if event.value is not Select.NULL and event.value != self.built_vendor:
            await self.build_vendor_fields(str(event.value), self.current_settings())

    async def build_vendor_fields(self, vendor_name: str, values: dict[str, Any]) -> None:
        from cxconsole.vendors import get_vendor

        async with self._build_lock:
            await self._build_vendor_fields(get_vendor(vendor_name), values)

    async def _build_vendor_fields(self, vendor: Any, values: dict[str, Any]) -> None:
        self.built_vendor = vendor.name
        container = self.query_one("#vendor-fields", Vertical)
        await container.remove_children()
        widgets: list[Widget] = []
        model = vendor.settings_model
        for name, info in model.model_fields.items():
            alias = info.alias or name
            value = values.get(alias, values.get(name, info.default))
            label = Label(name.replace("_", " ").capitalize())
            widget = _widget_for(name, info.annotation, value)
            row = Horizontal(label, widget, classes="row")
            widgets.append(row)
            if info.description:
                widgets.append(Static(info.description, classes="hint -shown"))
            picker = (
                (info.json_schema_extra or {}).get("picker")
                if isinstance(info.json_schema_extra, dict)
                else None
            )
            if picker:
                options = self.last_details.get(str(picker), [])
                select: Select[str] = Select(
                    [(f"{o['id']}  {o.get('name', '')}", str(o["id"])) for o in options],
                    prompt="test the connection to pick from the vendor's list",
                    id=f"pick-{name}",
                    compact=True,
                )
                widgets.append(Horizontal(Label(""), select, classes="row"))
            widgets.append(Static("", id=f"error-{name}", classes="field-error"))
        await container.mount_all(widgets)
        self.query_one("#secret-label", Label).update(vendor.secret_label.split(" (")[0])
        if self.editing is None:
            self.query_one("#secret", SecretInput).set_placeholder(vendor.secret_label)
        hint = vendor.base_url_hint
        if self.cx.sandbox_requested:  # known before the emulator answers
            from cxconsole.sandbox_mode import base_url_hint

            ctx = self.cx.ctx
            hint = base_url_hint(ctx.sandbox_url if ctx else None, vendor.name)
        self.show_hint("base_url", hint)

    @on(Select.Changed)
    def picker_changed(self, event: Select.Changed) -> None:
        select_id = event.select.id or ""
        if select_id.startswith("pick-") and event.value is not Select.NULL:
            name = select_id.removeprefix("pick-")
            self.query_one(f"#{_field_widget_id(name)}", Input).value = str(event.value)

    def current_settings(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for widget in self.query_one("#vendor-fields").query(".setting"):
            name = (widget.id or "").removeprefix("setting-")
            if isinstance(widget, Switch):
                values[name] = widget.value
            elif isinstance(widget, Select):
                if widget.value is not Select.NULL:
                    values[name] = widget.value
            elif isinstance(widget, Input) and widget.value.strip():
                values[name] = widget.value.strip()
        return values

    # -- messages ----------------------------------------------------------------------------
    def clear_messages(self) -> None:
        for widget in self.query(".field-error"):
            if isinstance(widget, Static):
                widget.update("")
                widget.remove_class("-shown")
        self.query_one("#guidance").display = False
        self.query_one("#result").display = False
        self.query_one("#details").display = False
        self.query_one("#outcome").remove_class("-shown")

    def show_hint(self, name: str, text: str) -> None:
        hint = self.query_one(f"#hint-{name}", Static)
        hint.update(text)
        hint.set_class(bool(text), "-shown")

    def field_error(self, name: str, message: str) -> None:
        target = self.query(f"#error-{name}")
        if target:
            widget = target.first()
        else:
            widget = self.query_one("#error-name", Static)
            message = f"{name}: {message}"
        assert isinstance(widget, Static)
        widget.update(f"✗ {_escape(message)}")
        widget.add_class("-shown")

    def show_result(self, ok: bool, text: str) -> None:
        result = self.query_one("#result", Static)
        result.update(text)
        result.display = True
        result.set_class(ok, "-ok")
        result.set_class(not ok, "-failed")
        self.query_one("#outcome").add_class("-shown")

    def show_guidance(self, text: str) -> None:
        guidance = self.query_one("#guidance", Static)
        guidance.update(
            _escape(text)
            + "\n\nPress ctrl+f to opt in to the insecure file store for this and later runs."
        )
        guidance.display = True
        self.query_one("#outcome").add_class("-shown")

    # -- building and saving -----------------------------------------------------------------
    def build_profile(self) -> Any | None:
        """The form as a validated Profile, or None with messages beside the fields."""
        from pydantic import ValidationError

        from cxconsole.errors import ProfileError
        from cxconsole.profiles import Profile

        self.clear_messages()
        data = {
            "name": self.query_one("#name", Input).value.strip(),
            "vendor": str(self.query_one("#vendor", Select).value),
            "base_url": self.query_one("#base_url", Input).value.strip() or None,
            "phone_region": self.query_one("#phone_region", Input).value.strip() or None,
            "settings": self.current_settings(),
        }
        try:
            profile = Profile.model_validate(data)
            settings = profile.vendor_settings()
            profile.settings = settings.model_dump(by_alias=True, exclude_defaults=True)
            profile.resolved_base_url()
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"]]
                message = str(err["msg"]).removeprefix("Value error, ")
                if loc and loc[0] == "name":
                    message = "use letters, digits, '.', '_' or '-' (no spaces), up to 64"
                self.field_error(loc[-1] if loc else "name", message)
            return None
        except ProfileError as exc:
            self._profile_error(exc)
            return None
        return profile

    def _profile_error(self, exc: Any) -> None:
        """A core profile error beside the field it names (the settings one by one)."""
        text = str(exc)
        if exc.setting and exc.setting != "base_url" and "setting " in text:
            for part in text.split("; "):
                name = part.split("setting ", 1)[-1].split(":", 1)[0]
                self.field_error(name, part.split(": ", 2)[-1])
        else:
            self.field_error(exc.setting or "name", text.removeprefix(f"profile {exc.profile!r}: "))

    def action_save(self) -> None:
        profile = self.build_profile()
        if profile is not None:
            self.save(profile, self.query_one("#secret", SecretInput).value)

    @work(group="credentials-save")
    async def save(self, profile: Any, secret: str) -> None:
        async with self._write_lock:
            await self._save(profile, secret)

    async def _save(self, profile: Any, secret: str) -> None:
        ctx = await self.cx.context()
        from cxconsole.client import CXError
        from cxconsole.errors import ProfileError
        from cxconsole.keystore import KeyringUnavailable
        from cxconsole.profile_book import ChangeFailed, ChangeIncomplete

        old = self.editing
        book = ctx.book
        try:
            if old is None:
                outcome = await asyncio.to_thread(book.add, profile, secret)
            else:
                outcome = await asyncio.to_thread(book.edit, profile, secret, old_name=old)
        except ChangeIncomplete as exc:
            self.show_result(False, _escape(f"✗ {exc}"))
            self.field_error("name", "saved only in part: see the message beside")
            return
        except ChangeFailed as exc:
            if isinstance(exc.cause, KeyringUnavailable):
                self.show_guidance(str(exc.cause))
                self.field_error(
                    "secret", "not saved, nothing changed: the secret store cannot be used"
                )
            else:
                self.field_error("name", f"not saved, nothing changed: {exc.cause}")
            return
        except ProfileError as exc:
            self._profile_error(exc)
            return
        except CXError as exc:
            self.field_error("name", str(exc))
            return
        notes = []
        if outcome.secret_stored:
            notes.append(f"secret stored in the {ctx.secrets.store.label}")
        elif outcome.secret_moved:
            notes.append("its secret moved with it")
        notes += outcome.notes + outcome.warnings
        self.editing = profile.name
        self.query_one("#secret", SecretInput).clear()
        self.query_one("#form-title", Static).update(f"Profile {profile.name}")
        location = await asyncio.to_thread(ctx.secrets.locate, profile.name)
        self.show_hint("secret", f"Secret: {_located(location)}")
        self.notify(
            f"Profile {profile.name} saved" + (f"; {', '.join(notes)}" if notes else ""),
            title="Credentials",
        )
        self.refresh_list(select=profile.name)

    # -- testing -----------------------------------------------------------------------------
    def action_test(self) -> None:
        profile = self.build_profile()
        if profile is not None:
            self.test_connection(profile, self.query_one("#secret", SecretInput).value)

    @work(exclusive=True, group="credentials-test")
    async def test_connection(self, profile: Any, typed_secret: str) -> None:
        ctx = await self.cx.context()
        from pydantic import SecretStr

        from cxconsole.errors import CXError, VendorError
        from cxconsole.keystore import KeyringUnavailable
        from cxconsole.redact import redact_url, register_secret

        self.show_result(True, f"Testing {_escape(profile.adapter.title)}…")
        try:
            if typed_secret.strip():
                register_secret(typed_secret.strip())
                secret = SecretStr(typed_secret.strip())
            else:
                secret = await asyncio.to_thread(ctx.secrets.get, self.editing or profile.name)
            account = ctx.open_account(profile, secret)
            self.show_result(
                True,
                _escape(f"Testing {profile.adapter.title} at {redact_url(account.base)}…"),
            )
            report = await account.test(ctx.client)
        except KeyringUnavailable as exc:
            self.show_guidance(str(exc))
            self.show_result(False, "Cannot test: the secret could not be read (no keyring).")
            return
        except VendorError as exc:
            self.cx.report_error(exc, "connection test", profile=profile.name)
            entry = exc.entry
            heading = _escape(f"✗ {exc.code or ''} {entry.name if entry else ''}")
            lines = [f"[b]{heading}[/b]", _escape(str(exc))]
            if entry is not None:
                lines += [
                    f"[b]Meaning:[/b] {_escape(entry.meaning)}",
                    f"[b]What to do:[/b] {_escape(entry.action_for('tui', 'connection test'))}",
                ]
            self.show_result(False, "\n".join(lines))
            await asyncio.to_thread(ctx.tests.record, profile.name, False, f"{exc.code}")
            return
        except CXError as exc:
            self.show_result(False, _escape(f"✗ {exc}"))
            return
        text = "\n".join([f"✓ {report.summary}", *(f"⚠ {w}" for w in report.warnings)])
        self.show_result(True, _escape(text))
        await asyncio.to_thread(ctx.tests.record, profile.name, True, report.summary)
        self.last_details = report.details
        self.show_details(profile.adapter, report.details)
        if any(k in report.details for k in _pickers(profile.adapter)):
            await self.build_vendor_fields(profile.vendor, self.current_settings())

    def show_details(self, vendor: Any, details: dict[str, Any]) -> None:
        table = self.query_one("#details", DataTable)
        table.clear(columns=True)
        headers, rows = vendor.details_table(details)
        if headers:
            table.add_columns(*headers)
            for row in rows:
                table.add_row(*(Text(str(cell)) for cell in row))
        table.display = table.row_count > 0

    # -- removing ----------------------------------------------------------------------------
    def action_remove(self) -> None:
        from cxconsole.widgets.confirm import Confirm

        name = self.editing
        if name:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.remove_profile(name)

            self.app.push_screen(
                Confirm(f"Remove profile {name!r} and its secret?", yes="Remove"), answered
            )
        else:
            self.notify("Choose a saved profile to remove.", severity="warning")

    @work(group="credentials-save")
    async def remove_profile(self, name: str, keep_secret: bool = False) -> None:
        async with self._write_lock:
            await self._remove_profile(name, keep_secret)

    async def _remove_profile(self, name: str, keep_secret: bool) -> None:
        ctx = await self.cx.context()
        from cxconsole.client import CXError
        from cxconsole.keystore import KeyringUnavailable
        from cxconsole.profile_book import ChangeFailed
        from cxconsole.widgets.confirm import Confirm

        try:
            outcome = await asyncio.to_thread(ctx.book.remove, name, keep_secret=keep_secret)
        except ChangeFailed as exc:
            if not isinstance(exc.cause, KeyringUnavailable):
                self.cx.report_error(exc, "profiles", profile=name)
                return
            self.show_guidance(str(exc.cause))

            def answered(yes: bool | None) -> None:
                if yes:
                    self.remove_profile(name, keep_secret=True)

            self.app.push_screen(
                Confirm(
                    f"Profile {name!r} was NOT removed: its secret could not be removed from the "
                    "secret store (see the guidance). Remove the profile anyway, leaving any "
                    "secret it has in the store?",
                    yes="Remove profile only",
                ),
                answered,
            )
            return
        except CXError as exc:
            self.cx.report_error(exc, "profiles", profile=name)
            return
        if keep_secret:
            note = "; any secret it had was left in the secret store"
        else:
            note = " and its secret" if outcome.secret_moved else " (it had no stored secret)"
        note += "".join(f"; {warning}" for warning in outcome.warnings)
        self.notify(f"Profile {name} removed{note}", title="Credentials")
        await self.action_new()
        self.refresh_list()

    # -- the insecure file store: in and out, each after a confirmation ---------------------
    def action_toggle_file_store(self) -> None:
        self.choose_store()

    @work(group="credentials-save")
    async def choose_store(self) -> None:
        from cxconsole.widgets.confirm import Confirm

        ctx = await self.cx.context()
        if ctx.sandbox_url:
            self.notify("The sandbox keeps its secrets in memory.", severity="warning")
            return
        if ctx.secrets.store.insecure:
            self.leave_file_store_asked()
            return
        from cxconsole.keystore import FileStore

        path = FileStore().path
        question = (
            "Use the INSECURE file store?\n\n"
            f"Secrets you save from now on are written in PLAIN TEXT to {path} (mode 0600). "
            "Anyone who can read your files, your backups or a copy of this disk can read them. "
            "Secrets already in the keyring stay there and are not read while the file store is "
            "in use. The title bar says INSECURE for as long as it is used; ctrl+f or the "
            "'Back to the keyring' button moves the secrets back to the keyring."
        )
        if await self.app.push_screen_wait(Confirm(question, yes="Use the file store")):
            await self._switch_to_file_store()

    async def _switch_to_file_store(self) -> None:
        ctx = await self.cx.context()
        from cxconsole.keystore import FileStore

        if not await self._save_store_choice("file"):
            return
        ctx.secrets.store = FileStore()
        self.cx.show_store_warning()
        self.query_one("#guidance").display = False
        self.show_store_status(ctx)
        self.notify(
            "Secrets now go to a plain-text file (mode 0600). ctrl+f moves them back.",
            title="Insecure file store in use",
            severity="warning",
        )

    def leave_file_store_asked(self) -> None:
        from cxconsole.widgets.confirm import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self.leave_file_store()

        self.app.push_screen(
            Confirm(
                "Move every secret from the insecure file store to the OS keyring?\n\n"
                "Each is copied and read back first; the plain-text file is deleted only when "
                "all of them are in the keyring. If the keyring cannot take them, nothing is "
                "lost: the file store stays in use.",
                yes="Move to the keyring",
            ),
            answered,
        )

    @work(group="credentials-save")
    async def leave_file_store(self) -> None:
        async with self._write_lock:
            await self._leave_file_store()

    async def _leave_file_store(self) -> None:
        import os

        ctx = await self.cx.context()
        from cxconsole.client import CXError
        from cxconsole.keystore import (
            STORE_ENV,
            FileStore,
            KeyringStore,
            MoveIncomplete,
            move_secrets,
        )

        source = ctx.secrets.store
        if not (source.insecure and isinstance(source, FileStore)):  # the one insecure store
            return
        if os.environ.get(STORE_ENV, "").lower() == "file":
            self.notify(
                f"{STORE_ENV}=file is set in the environment: unset it, then come back here.",
                title="Still the file store",
                severity="error",
            )
            return
        target = KeyringStore()
        try:
            await asyncio.to_thread(target.check)
            moved = await asyncio.to_thread(move_secrets, source, target)
        except MoveIncomplete as exc:
            self.show_result(False, _escape(f"✗ Still the file store. {exc}"))
            return
        except CXError as exc:
            self.show_guidance(str(exc))
            self.show_result(
                False, "✗ Still the file store: the keyring cannot be used. Nothing was lost."
            )
            return
        if not await self._save_store_choice("keyring"):
            return
        ctx.secrets.store = target
        try:
            await asyncio.to_thread(source.discard)
            left = ""
        except OSError as exc:
            left = f" The plain-text file could not be deleted ({exc}): delete {source.path}."
        self.cx.show_store_warning()
        self.show_store_status(ctx)
        self.show_result(
            True,
            _escape(f"✓ {len(moved)} secret(s) moved to the {target.label}.{left}"),
        )
        self.notify("Secrets are in the OS keyring again.", title="Credentials")

    async def _save_store_choice(self, choice: str) -> bool:
        from cxconsole.settings import save_settings

        previous = self.cx.settings.secret_store
        self.cx.settings.secret_store = choice
        try:
            await asyncio.to_thread(save_settings, self.cx.settings, self.cx.settings_file)
        except (OSError, TypeError, ValueError) as exc:
            self.cx.settings.secret_store = previous
            self.show_result(False, _escape(f"✗ Not switched: settings not saved ({exc})."))
            return False
        return True

    @on(Button.Pressed)
    def button(self, event: Button.Pressed) -> None:
        actions = {
            "save": self.action_save,
            "test": self.action_test,
            "remove": self.action_remove,
            "leave-file-store": self.leave_file_store_asked,
        }
        if event.button.id in actions:
            actions[event.button.id]()


def _widget_for(name: str, annotation: Any, value: Any) -> Widget:
    widget_id = _field_widget_id(name)
    if get_origin(annotation) in (Union, UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if annotation is bool:
        return Switch(value=bool(value), id=widget_id, classes="setting")
    if get_origin(annotation) is Literal:
        choices = get_args(annotation)
        return Select(
            [(str(c), c) for c in choices],
            value=value if value in choices else choices[0],
            allow_blank=False,
            id=widget_id,
            classes="setting",
            compact=True,
        )
    text = "" if value is None else str(value)
    kind: Literal["integer", "text"] = "integer" if annotation is int else "text"
    return Input(value=text, id=widget_id, classes="setting", type=kind, compact=True)


def _located(location: Any) -> str:
    return location.label + (f" ({location.reason})" if location.reason else "")


def _pickers(vendor: Any) -> set[str]:
    """The lists a connection test brings back that fill this vendor's pickers."""
    found = set()
    for info in vendor.settings_model.model_fields.values():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and extra.get("picker"):
            found.add(str(extra["picker"]))
    return found


def _vendor_title(name: str) -> str:
    from cxconsole.vendors import get_vendor

    return get_vendor(name).title


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
