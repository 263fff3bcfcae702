"""The credentials screen: profiles, a form with only the chosen vendor's fields, test connection.

The vendor's fields are generated from its settings model, so a fifth vendor needs no change
here. Every keyring call runs in a thread (the keystore adds a timeout); every network call runs
in a worker. A missing keyring is explained on screen with the ways out, never bypassed.
"""

from __future__ import annotations

import asyncio
from types import UnionType
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    Switch,
)
from textual.widgets.option_list import Option

from cxconsole.screens.base import CXScreen
from cxconsole.widgets.secret_input import SecretInput

NEW = "__new__"


def _field_widget_id(name: str) -> str:
    return f"setting-{name}"


class CredentialsScreen(CXScreen):
    DEFAULT_CSS = """
    CredentialsScreen #store-status { height: auto; padding: 0 1; }
    CredentialsScreen #store-status.-insecure { background: $error 30%; text-style: bold; }
    CredentialsScreen #body { height: 1fr; }
    CredentialsScreen #list-pane { width: 26; border-right: tall $panel; }
    CredentialsScreen #profile-list { height: 1fr; }
    CredentialsScreen #form { width: 1fr; padding: 0 1; }
    CredentialsScreen #outcome { width: 42; height: 1fr; padding: 0 1; display: none; }
    CredentialsScreen #outcome.-shown { display: block; }
    CredentialsScreen Switch { border: none; height: 1; padding: 0; }
    CredentialsScreen Switch:focus { border: none; background-tint: $primary 30%; }
    CredentialsScreen #vendor-fields { height: auto; }
    CredentialsScreen.-narrow #list-pane { width: 24; }
    CredentialsScreen.-narrow .row > Label { width: 13; }
    CredentialsScreen.-narrow .hint, CredentialsScreen.-narrow .field-error { padding: 0 0 0 14; }
    CredentialsScreen.-narrow #buttons { padding: 1 0 0 14; }
    CredentialsScreen.-narrow #outcome { width: 30; }
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
        Binding("ctrl+n", "new", "New profile", id="credentials.new"),
        Binding("ctrl+s", "save", "Save", id="credentials.save"),
        Binding("ctrl+t", "test", "Test connection", id="credentials.test"),
        # Priority: inputs bind ctrl+d and ctrl+f to editing keys, and the form is full of inputs.
        Binding("ctrl+d", "remove", "Remove", id="credentials.remove", priority=True),
        Binding(
            "ctrl+f",
            "use_file_store",
            "Insecure file store",
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
        from cxconsole.vendors import REGISTRY

        yield Header()
        yield Static("", id="store-status")
        with Horizontal(id="body"):
            with Vertical(id="list-pane"):
                yield Static("Profiles", classes="section-title")
                yield OptionList(id="profile-list")
            with VerticalScroll(id="form"):
                yield Static("New profile", id="form-title", classes="section-title")
                with Horizontal(classes="row"):
                    yield Label("Name")
                    yield Input(placeholder="e.g. qp-eu-prod", id="name", compact=True)
                yield Static("", id="error-name", classes="field-error")
                with Horizontal(classes="row"):
                    yield Label("Vendor")
                    yield Select(
                        [(_vendor_title(v), v) for v in REGISTRY],
                        id="vendor",
                        allow_blank=False,
                        value="questionpro",
                        compact=True,
                    )
                with Horizontal(classes="row"):
                    yield Label("Base URL")
                    yield Input(placeholder="", id="base_url", compact=True)
                yield Static("", id="hint-base_url", classes="hint")
                yield Static("", id="error-base_url", classes="field-error")
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
        yield Footer()

    async def on_mount(self) -> None:
        self.sub_title = "Credentials"
        self.query_one("#guidance").display = False
        self.query_one("#result").display = False
        self.query_one("#details").display = False
        await self.build_vendor_fields("questionpro", {})

    def on_screen_resume(self) -> None:
        self.refresh_list()  # on the first show too

    def on_resize(self, event: Any) -> None:
        self.set_class(event.size.width < 100, "-narrow")

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
        self.query_one("#base_url", Input).value = profile.base_url or ""
        secret = self.query_one("#secret", SecretInput)
        secret.clear()
        source = ctx.secrets.source(name)
        secret.set_placeholder("•••••• (stored; type a new one to replace it)")
        self.show_hint("secret", f"Stored in: {source}")
        self.editing = name

    async def action_new(self) -> None:
        self.editing = None
        self.query_one("#form-title", Static).update("New profile")
        self.query_one("#name", Input).value = ""
        self.query_one("#base_url", Input).value = ""
        vendor = self.query_one("#vendor", Select).value
        await self.build_vendor_fields(str(vendor), {})
        self.query_one("#secret", SecretInput).clear()
        self.clear_messages()
        self.show_hint("secret", "Kept in the secret store when you save; never in a file of ours.")
        self.query_one("#name", Input).focus()

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
        vendor_name = vendor.name
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
        hint = {
            "questionpro": "optional: leave empty to use the datacenter's host",
            "webex": "optional when a tenant is set: https://<tenant>.webexcampaign.io",
        }.get(vendor_name, "required: the vendor's API root (may carry a path prefix)")
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
        widget.update(f"✗ {message}")
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
            f"{text}\n\nPress ctrl+f to opt in to the insecure file store for this and later runs."
        )
        guidance.display = True
        self.query_one("#outcome").add_class("-shown")

    # -- building and saving -----------------------------------------------------------------
    def build_profile(self) -> Any | None:
        """The form as a validated Profile, or None with messages beside the fields."""
        from pydantic import ValidationError

        from cxconsole.client import CXError
        from cxconsole.profiles import Profile

        self.clear_messages()
        data = {
            "name": self.query_one("#name", Input).value.strip(),
            "vendor": str(self.query_one("#vendor", Select).value),
            "base_url": self.query_one("#base_url", Input).value.strip() or None,
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
                message = err["msg"]
                if loc and loc[0] == "name":
                    message = "use letters, digits, '.', '_' or '-' (no spaces), up to 64"
                self.field_error(loc[-1] if loc else "name", message)
            return None
        except CXError as exc:
            text = str(exc)
            if "setting " in text:
                for part in text.split("; "):
                    name = part.split("setting ", 1)[-1].split(":", 1)[0]
                    self.field_error(name, part.split(": ", 2)[-1])
            else:
                self.field_error("base_url", text.split(": ", 1)[-1])
            return None
        return profile

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
        from cxconsole.keystore import KeyringUnavailable

        old = self.editing
        renaming = bool(old) and old != profile.name
        try:
            if renaming and profile.name in await asyncio.to_thread(ctx.profiles.load):
                raise CXError(f"a profile named {profile.name!r} exists already")
            if renaming:
                # The secret moves first: if the keyring fails, nothing was renamed.
                await asyncio.to_thread(ctx.secrets.rename, old, profile.name)
                await asyncio.to_thread(ctx.profiles.rename, old, profile.name)
            await asyncio.to_thread(ctx.profiles.put, profile, replace=old is not None)
        except KeyringUnavailable as exc:
            self.show_guidance(str(exc))
            self.field_error("name", "not renamed: the secret could not be moved (see below)")
            return
        except CXError as exc:
            self.field_error("name", str(exc))
            return
        notes = []
        try:
            if secret.strip():
                await asyncio.to_thread(ctx.secrets.set, profile.name, secret)
                notes.append(f"secret stored in the {ctx.secrets.store.label}")
        except KeyringUnavailable as exc:
            self.show_guidance(str(exc))
            self.field_error("secret", "not stored: no usable keyring (see below)")
        except CXError as exc:
            self.field_error("secret", str(exc))
        self.editing = profile.name
        self.query_one("#secret", SecretInput).clear()
        self.query_one("#form-title", Static).update(f"Profile {profile.name}")
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

        from cxconsole.client import CXError, VendorError
        from cxconsole.keystore import KeyringUnavailable
        from cxconsole.profiles import Account
        from cxconsole.redact import register_secret

        self.show_result(True, f"Testing {profile.adapter.title} at {profile.resolved_base_url()}…")
        try:
            if typed_secret.strip():
                register_secret(typed_secret.strip())
                secret = SecretStr(typed_secret.strip())
            else:
                secret = await asyncio.to_thread(ctx.secrets.get, self.editing or profile.name)
            account = Account.open(profile, secret)
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
        self.show_result(True, _escape(f"✓ {report.summary}"))
        await asyncio.to_thread(ctx.tests.record, profile.name, True, report.summary)
        self.last_details = report.details
        self.show_details(report.details)
        if any(k in report.details for k in ("templates", "campaigns", "allocations")):
            await self.build_vendor_fields(profile.vendor, self.current_settings())

    def show_details(self, details: dict[str, Any]) -> None:
        table = self.query_one("#details", DataTable)
        table.clear(columns=True)
        if "columns" in details:
            table.add_columns("Id", "Column", "Required")
            for c in details["columns"]:
                state = "archived" if c["Archived"] else ("required" if c["Required"] else "")
                table.add_row(str(c["Id"]), Text(c["Name"]), state)
        elif "segments" in details:
            table.add_columns("Segment id", "Name", "Code")
            for s in details["segments"]:
                table.add_row(str(s["segmentID"]), Text(s["segmentName"]), Text(s["segmentCode"]))
        elif any(k in details for k in ("templates", "campaigns", "allocations")):
            table.add_columns("List", "Id", "Name")
            for key in ("templates", "campaigns", "allocations"):
                for item in details.get(key, []):
                    table.add_row(key[:-1], str(item["id"]), Text(item["name"]))
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
    async def remove_profile(self, name: str) -> None:
        async with self._write_lock:
            await self._remove_profile(name)

    async def _remove_profile(self, name: str) -> None:
        ctx = await self.cx.context()
        from cxconsole.client import CXError
        from cxconsole.keystore import KeyringUnavailable

        try:
            await asyncio.to_thread(ctx.profiles.remove, name)
        except CXError as exc:
            self.cx.report_error(exc, "profiles", profile=name)
            return
        try:
            await asyncio.to_thread(ctx.secrets.delete, name)
            note = "and its secret"
        except KeyringUnavailable as exc:
            self.show_guidance(str(exc))
            note = "but its secret could not be removed from the keyring"
        self.notify(f"Profile {name} removed {note}", title="Credentials")
        await self.action_new()
        self.refresh_list()

    def action_use_file_store(self) -> None:
        self.switch_to_file_store()

    @work(group="credentials-save")
    async def switch_to_file_store(self) -> None:
        ctx = await self.cx.context()
        if ctx.sandbox_url:
            self.notify("The sandbox keeps its secrets in memory.", severity="warning")
            return
        from cxconsole.keystore import FileStore
        from cxconsole.settings import save_settings

        ctx.secrets.store = FileStore()
        self.cx.settings.secret_store = "file"
        await asyncio.to_thread(save_settings, self.cx.settings, self.cx.settings_file)
        self.cx.show_store_warning()
        self.query_one("#guidance").display = False
        self.show_store_status(ctx)
        self.notify(
            "Secrets now go to a plain-text file (mode 0600). Switch back in settings.toml.",
            title="Insecure file store in use",
            severity="warning",
        )

    @on(Button.Pressed)
    def button(self, event: Button.Pressed) -> None:
        actions = {"save": self.action_save, "test": self.action_test, "remove": self.action_remove}
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
    kind = "integer" if annotation is int else "text"
    return Input(value=text, id=widget_id, classes="setting", type=kind, compact=True)


def _vendor_title(name: str) -> str:
    from cxconsole.vendors import get_vendor

    return get_vendor(name).title


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
