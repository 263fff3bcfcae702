"""The Set up tab: a file, a profile, what the file is, the mapping, a preview and a dry pass.

The pane reads its boxes into the core's :class:`ImportSetup` and words the core's errors; the
rules (mapping, limits, problems) are the set-up's. F5 ends in :class:`SetupPane.StartRequested`:
the screen hands the run to the Run tab.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, DirectoryTree, Input, Label, Select, Static

from cxconsole.screens.imports.pane import ImportPane
from cxconsole.widgets.import_files import ImportFileTree, PathInput
from cxconsole.widgets.import_mapping import (
    SKIP,
    FieldPicker,
    MappingFilePrompt,
    MappingTable,
    mappings_dir,
)
from cxconsole.widgets.import_preview import PreviewTable

if TYPE_CHECKING:
    from cxconsole.context import Context
    from cxconsole.importing import ImportRun, Sniff
    from cxconsole.importing.mapping import ColumnMapping
    from cxconsole.importing.setup import ImportSetup, Preview
    from cxconsole.profiles import Account, Profile
    from cxconsole.vendors.base import TargetField

AUTO = "__auto__"
ENCODINGS: list[tuple[str, str]] = [
    ("detect", AUTO),
    ("UTF-8", "utf-8"),
    ("UTF-8 + BOM", "utf-8-sig"),
    ("cp1252 Western", "cp1252"),
    ("cp1250 Central Eur.", "cp1250"),
    ("Latin-1", "latin-1"),
    ("UTF-16", "utf-16"),
]
DATE_ORDERS: list[tuple[str, str]] = [
    ("from the column", AUTO),
    ("day first", "day"),
    ("month first", "month"),
]

Prepare = Callable[[], Awaitable["ImportRun"]]
#: A pre-flight question's answer ("region", "date-order" or "encoding", the value) written
#: into the set-up, and the run prepared again with it.
Answer = Callable[[str, str], Awaitable["ImportRun"]]


class SetupPane(ImportPane):
    """The import being set up: the core's model, read from these boxes and shown back."""

    class StartRequested(Message):
        """The operator said yes: ``prepare`` makes the run; ``answer`` re-prepares it with a
        pre-flight question's answer."""

        def __init__(self, prepare: Prepare, answer: Answer) -> None:
            super().__init__()
            self.prepare = prepare
            self.answer = answer

    class ProfilesLoaded(Message):
        """The profile list was (re)read: ``count`` profiles."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, busy: Callable[[], bool]) -> None:
        super().__init__("Set up (F2)", id="setup")
        self._busy = busy  # a run is going (the Run tab's): nothing starts meanwhile
        self.ctx: Context | None = None
        self.profiles: dict[str, Profile] = {}
        self.setup: ImportSetup | None = None
        self.fields_problem: str | None = None
        self.mapping: ColumnMapping | None = None  # the set-up's, as last shown
        self.mapping_problem: str | None = None
        self.preview: Preview | None = None
        self.check_text = ""
        self._check_key: tuple[Any, ...] | None = None
        self._setup_version = 0  # bumped on every change that could alter a sniff / preview

    def _setup(self) -> ImportSetup:
        if self.setup is None:
            from cxconsole.importing.setup import ImportSetup

            self.setup = ImportSetup()
        return self.setup

    @property
    def account(self) -> Account | None:
        return self.setup.account if self.setup else None

    @property
    def fields(self) -> list[TargetField]:
        return self.setup.fields if self.setup else []

    @property
    def sniffed(self) -> Sniff | None:
        return self.setup.sniffed if self.setup else None

    @property
    def path(self) -> Path | None:
        return self.setup.path if self.setup else None

    @property
    def chosen(self) -> dict[str, str]:
        return self.setup.choices if self.setup else {}

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="setup-body"):
            with Vertical(id="files-pane"):
                yield Static("Files", classes="section-title")
                yield ImportFileTree(Path.cwd(), id="file-tree")
            with VerticalScroll(id="setup-form"):
                with Horizontal(classes="row"):
                    yield Label("File")
                    yield PathInput(
                        placeholder="a CSV, JSON, JSON Lines or XLSX file (tab completes)",
                        id="file-path",
                        compact=True,
                    )
                with Horizontal(classes="row"):
                    yield Label("Profile")
                    yield Select[str]([], prompt="choose a profile", id="profile", compact=True)
                    yield Label("Batch")
                    yield Input("", id="batch-size", type="integer", compact=True)
                    yield Static("", id="batch-hint", classes="hint")
                    yield Label("At once")
                    yield Input("", id="concurrency", type="integer", compact=True)
                    yield Static("", id="concurrency-hint", classes="hint")
                with Horizontal(classes="row", id="read-as"):
                    yield Label("Read as")
                    yield Static("choose a file", id="detected", markup=False)
                    yield Select[str](
                        ENCODINGS, value=AUTO, allow_blank=False, id="encoding", compact=True
                    )
                    yield Select[str]([], prompt="sheet", id="sheet", compact=True)
                yield Static("", id="detected-notes", markup=False)
                with Horizontal(classes="row"):
                    yield Label("Phones")
                    yield Input(
                        "",
                        placeholder="region",
                        id="region",
                        max_length=2,
                        compact=True,
                        restrict=r"[A-Za-z]*",
                    )
                    yield Static("", id="region-hint", classes="hint")
                    yield Label("Dates")
                    yield Select[str](
                        DATE_ORDERS,
                        value=AUTO,
                        allow_blank=False,
                        id="date-order",
                        compact=True,
                    )
                with Horizontal(classes="row", id="values-row"):
                    yield Label("Every", id="values-label")
                    yield Select[str](
                        [("— as in the file", AUTO)],
                        value=AUTO,
                        allow_blank=False,
                        id="values-select",
                        compact=True,
                    )
                    yield Static(
                        "given to records without one",
                        classes="hint",
                    )
                yield Static(
                    "Mapping  [dim]enter: choose the field · ✱ needed · ctrl+s save · "
                    "ctrl+l load[/dim]",
                    classes="section-title",
                )
                yield MappingTable(id="mapping")
                yield Static("", id="mapping-status", markup=False)
                yield Static("First rows, as the vendor gets them", classes="section-title")
                yield PreviewTable(id="preview")
                yield Static("", id="preview-problems", markup=False)
                yield Static("The first batch, exactly as it will be sent", classes="section-title")
                with VerticalScroll(id="preview-body-box"):
                    yield Static("", id="preview-body", markup=False)
                yield Static("Dry pass", classes="section-title")
                yield Static(
                    "ctrl+t reads the whole file as the import would, sending nothing.",
                    id="check",
                    markup=False,
                )

    def on_mount(self) -> None:
        self.query_one("#sheet").display = False
        self._show_mapping()
        self._load_profiles()

    def focus_target(self) -> Widget:
        """Where focus goes on arrival: the next thing to choose."""
        if self.sniffed is None:
            return self.query_one("#file-path")
        if self.account is None:
            return self.query_one("#profile")
        return self.query_one(MappingTable)

    def focus_path(self) -> None:
        self.screen.set_focus(self.query_one("#file-path"))

    # -- profiles ------------------------------------------------------------------------------
    def reload_profiles(self) -> None:
        """Read the profiles again (one may have been added on the credentials screen)."""
        if self.ctx is not None:
            self._load_profiles()

    @work(group="imports-profiles", exit_on_error=False)
    async def _load_profiles(self) -> None:
        ctx = await self.cx.context()
        self.ctx = ctx
        from cxconsole.client import CXError

        try:
            profiles = await asyncio.to_thread(ctx.profiles.load)
        except CXError as exc:
            self.cx.report_error(exc, "profiles")
            profiles = {}
        self.profiles = profiles
        select = self.query_one("#profile", Select)
        options = [(f"{name} ({p.vendor})", name) for name, p in sorted(profiles.items())]
        chosen = select.value
        with self.prevent(Select.Changed):
            select.set_options(options)
            if isinstance(chosen, str) and chosen in profiles:
                select.value = chosen
        self.post_message(self.ProfilesLoaded(len(profiles)))

    @on(Select.Changed, "#profile")
    def _profile_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._open_profile(event.value)

    def choose_profile(self, name: str) -> None:
        """Select a profile as if picked from the list (the demo and tests use it too)."""
        self.query_one("#profile", Select).value = name

    @work(exclusive=True, group="imports-profile", exit_on_error=False)
    async def _open_profile(self, name: str) -> None:
        ctx = await self.cx.context()
        from cxconsole.errors import CXError, VendorError

        setup = self._setup()
        self.fields_problem = None
        self._show_mapping()
        try:
            account = await asyncio.to_thread(ctx.account, name)
            self._mapping_status(f"Reading {account.vendor.title}'s fields…", None)
            await setup.open_profile(account, ctx.client)
        except VendorError as exc:
            self.cx.report_error(exc, "import set-up", profile=name)
            self.fields_problem = f"Cannot read {name}'s fields: {exc}"
            self._show_mapping()
            return
        except CXError as exc:
            self.fields_problem = f"Cannot open profile {name}: {exc}"
            self._show_mapping()
            return
        except Exception as exc:  # a keyring or adapter bug: said, never a traceback
            self.fields_problem = f"Cannot open profile {name}: {type(exc).__name__}: {exc}"
            self._show_mapping()
            return
        (batch, at_once), (most_batch, most_at_once) = setup.defaults, setup.limits
        self.query_one("#batch-size", Input).value = str(setup.batch_size or batch)
        self.query_one("#concurrency", Input).value = str(setup.concurrency or at_once)
        self.query_one("#batch-hint", Static).update(f"max {most_batch:,}")
        self.query_one("#concurrency-hint", Static).update(f"max {most_at_once}")
        self._show_offered()
        self._notes(self._warnings())
        own = account.profile.phone_region
        self.query_one("#region", Input).placeholder = own or "region"
        self.query_one("#region-hint", Static).update(
            "the profile's" if own else "asked when needed"
        )
        self._rebuild_mapping()
        if self.screen.focused is self.query_one("#profile") and self.mapping is not None:
            self.screen.set_focus(self.query_one(MappingTable))  # the next thing to look at
        self.screen.refresh_bindings()

    def _show_offered(self) -> None:
        """A choice of the values the vendor lists for a field (QuestionPro's segments)."""
        setup = self._setup()
        row = self.query_one("#values-row")
        offered = [(name, choices) for name, choices in setup.offered.items() if choices]
        row.set_class(bool(offered), "-shown")
        if not offered:
            return
        name, choices = offered[0]
        label = next((f.label for f in setup.fields if f.name == name), name)
        self.query_one("#values-label", Label).update(label.split()[0])
        select = self.query_one("#values-select", Select)
        with self.prevent(Select.Changed):
            select.set_options([("— as in the file", AUTO), *choices])
            select.value = setup.values.get(name, AUTO)
        self._values_field = name

    @on(Select.Changed, "#values-select")
    def _value_chosen(self, event: Select.Changed) -> None:
        setup = self._setup()
        name = getattr(self, "_values_field", None)
        if name is None:
            return
        if isinstance(event.value, str) and event.value != AUTO:
            setup.values[name] = event.value
        else:
            setup.values.pop(name, None)
        self._rebuild_mapping()

    # -- the file --------------------------------------------------------------------------------
    @on(Input.Submitted, "#file-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        path = Path(os.path.expanduser(text))
        if path.is_dir():
            tree = self.query_one(ImportFileTree)
            tree.path = path
            self.notify(f"Listing {path}", timeout=2)
            return
        self.choose_file(path)

    @on(DirectoryTree.FileSelected, "#file-tree")
    def _tree_file(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#file-path", Input).value = str(event.path)
        self.choose_file(Path(event.path))

    def choose_file(self, path: Path) -> None:
        """Read ``path`` (as if chosen in the tree or typed and entered)."""
        if path != self.path:
            # A new file starts afresh: an encoding, a region or a date order answered for
            # another file would be applied to this one without a word.
            with self.prevent(Select.Changed, Input.Changed):
                self.query_one("#encoding", Select).value = AUTO
                self.query_one("#date-order", Select).value = AUTO
                self.query_one("#region", Input).value = ""
        self._chosen_path = path
        self._sniff(path, None, None)

    @on(Select.Changed, "#encoding")
    def _encoding_changed(self, event: Select.Changed) -> None:
        path = self.path or getattr(self, "_chosen_path", None)
        if path is not None:
            self._sniff(path, self._encoding(), self._sheet())

    @on(Select.Changed, "#sheet")
    def _sheet_changed(self, event: Select.Changed) -> None:
        if (
            self.path is not None
            and isinstance(event.value, str)
            and (self.sniffed is None or event.value != self.sniffed.source.sheet)
        ):
            self._sniff(self.path, None, event.value)

    def _encoding(self) -> str | None:
        value = self.query_one("#encoding", Select).value
        return value if isinstance(value, str) and value != AUTO else None

    def _sheet(self) -> str | None:
        select = self.query_one("#sheet", Select)
        value = select.value
        return value if select.display and isinstance(value, str) else None

    @work(exclusive=True, group="imports-sniff", exit_on_error=False)
    async def _sniff(self, path: Path, encoding: str | None, sheet: str | None) -> None:
        from cxconsole.client import CXError

        setup = self._setup()
        detected = self.query_one("#detected", Static)
        detected.update(f"reading {path.name}…")
        try:
            sniffed = await setup.open_file(path, encoding=encoding, sheet=sheet)
        except CXError as exc:  # InputError: not a file, empty, binary, broken...
            setup.sniffed = None
            detected.update(f"✗ {exc}")
            self._notes([])
            self._rebuild_mapping()
            return
        except Exception as exc:  # OSError, or a reader's bug: said, never a traceback
            setup.sniffed = None
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            detected.update(f"✗ {path.name}: {type(exc).__name__}: {why}")
            self._rebuild_mapping()
            return
        source = sniffed.source
        detected.update(f"{source.summary()} · {_size(source.size)}")
        encoding_select = self.query_one("#encoding", Select)
        encoding_select.display = source.format != "xlsx"
        sheets = self.query_one("#sheet", Select)
        sheets.display = source.format == "xlsx" and bool(source.sheets)
        if sheets.display:
            with self.prevent(Select.Changed):
                sheets.set_options([(name, name) for name in source.sheets])
                sheets.value = source.sheet or source.sheets[0]
        self._notes(self._warnings())
        self._rebuild_mapping()
        chosen = self.query_one("#profile", Select).value
        if self.account is None and not isinstance(chosen, str):
            self.screen.set_focus(self.query_one("#profile"))  # the next thing to choose
        elif self.mapping is not None:
            self.screen.set_focus(self.query_one(MappingTable))

    def _warnings(self) -> list[str]:
        """What the file's reading and the profile's opening had to say."""
        setup = self._setup()
        return [*(setup.sniffed.warnings if setup.sniffed else []), *setup.warnings]

    def _notes(self, warnings: list[str]) -> None:
        notes = self.query_one("#detected-notes", Static)
        notes.update("\n".join(f"! {w}" for w in warnings))
        notes.set_class(bool(warnings), "-shown")

    # -- the mapping ---------------------------------------------------------------------------
    def _rebuild_mapping(self) -> None:
        """The set-up's mapping (automatic, then the choices in the order made), shown."""
        self._setup_version += 1
        setup = self._setup()
        if self.fields and setup.recall():
            self.notify(
                "The mapping chosen last time for this profile and these columns (F6 resets).",
                title="Mapping",
                timeout=4,
            )
        self.mapping = setup.mapping if self.fields else None
        if self.mapping is None:
            self._show_mapping()
            return
        problem = next((p for p in setup.problems() if p.subject in ("mapping", "columns")), None)
        self.mapping_problem = _mapping_words(problem) if problem else None
        self._show_mapping()
        self._refresh_preview()

    def _show_mapping(self) -> None:
        table = self.query_one(MappingTable)
        if self.sniffed is None or self.mapping is None:
            table.clear(columns=True)
            why = self.fields_problem or (
                "choose a file" if self.sniffed is None else "choose a profile"
            )
            self._mapping_status(why, False if self.fields_problem else None)
            if self.sniffed is None or self.account is None:
                self.preview = None
                self.query_one(PreviewTable).show(None, "choose a file and a profile")
                self._show_preview_problems(None)
            return
        samples = _samples(self.sniffed)
        table.show(self.sniffed.headers, samples, self.mapping, self.fields, set(self.chosen))
        if self.mapping_problem:
            self._mapping_status(f"✗ {self.mapping_problem}", False)
        else:
            sent = len(self.mapping.included(self.sniffed.headers))
            required = [f.label for f in self.fields if f.required]
            need = f"; required fields all mapped ({', '.join(required)})" if required else ""
            self._mapping_status(
                f"✓ {sent} of {len(self.sniffed.headers)} columns sent{need}", True
            )

    def _mapping_status(self, text: str, good: bool | None) -> None:
        status = self.query_one("#mapping-status", Static)
        status.update(text)
        status.set_class(good is False, "-bad")
        status.set_class(good is True, "-good")

    @on(DataTable.RowSelected, "#mapping")
    def _mapping_row(self, event: DataTable.RowSelected) -> None:
        header = event.row_key.value
        if header is None or self.mapping is None or self.sniffed is None:
            return
        assert self.account is not None

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self.choose_field(str(header), choice)

        self.app.push_screen(
            FieldPicker(
                str(header),
                self.fields,
                self.mapping,
                self.sniffed.headers,
                passthrough=self.account.vendor.passthrough,
            ),
            chosen,
        )

    def choose_field(self, header: str, choice: str) -> None:
        """Map ``header`` onto a field name, SKIP or AS_IS (what the picker returns)."""
        self._setup().choose(header, choice)
        self._rebuild_mapping()

    def reset_mapping(self) -> None:
        """Back to the automatic mapping: every choice made for this file is forgotten."""
        if self.setup is not None and self.setup.choices:
            self.setup.reset_mapping()
            self._rebuild_mapping()
            self.notify("Mapping reset to the automatic one.", title="Mapping", timeout=3)

    @on(Input.Changed, "#region")
    @on(Select.Changed, "#date-order")
    def _reading_changed(self, event: Input.Changed | Select.Changed) -> None:
        """A region or date order (typed, or a pre-flight's answer): the preview reads the
        rows with it at once."""
        if isinstance(event, Input.Changed) and len(event.value.strip()) == 1:
            return  # half a region code
        if self.setup is not None and self.mapping is not None and not self._read_numbers():
            self._refresh_preview()

    @work(exclusive=True, group="imports-preview", exit_on_error=False)
    async def _refresh_preview(self) -> None:
        if self.setup is None or self.mapping is None:
            return
        version = self._setup_version
        try:
            preview = await asyncio.to_thread(self.setup.preview)
        except Exception as exc:  # a mapping the plan cannot compile: say so, keep going
            self.query_one(PreviewTable).show(None, f"no preview: {type(exc).__name__}: {exc}")
            return
        if version != self._setup_version:
            return  # a newer change is on its way
        self.preview = preview
        self.query_one(PreviewTable).show(preview)
        self.query_one("#preview-body", Static).update(
            preview.body if preview and preview.body else "(no valid row in the first ones)"
        )
        self._show_preview_problems(preview)
        self._show_check()

    def _show_preview_problems(self, preview: Preview | None) -> None:
        problems = preview.problems() if preview is not None else []
        widget = self.query_one("#preview-problems", Static)
        widget.update("\n".join(f"✗ {p}" for p in problems))
        widget.display = bool(problems)

    def save_mapping(self) -> None:
        if self.mapping is None or self.account is None:
            self.notify("Choose a file and a profile first.", severity="warning")
            return
        mapping = self.mapping
        stem = self.path.stem if self.path else "mapping"
        suggestion = f"{self.account.vendor.name}-{stem}"

        def answered(path: Path | None) -> None:
            if path is not None:
                self._save_mapping(mapping, path)

        self.app.push_screen(MappingFilePrompt("save", suggestion, _saved_mappings()), answered)

    @work(group="imports-mapping-file", exit_on_error=False)
    async def _save_mapping(self, mapping: ColumnMapping, path: Path) -> None:
        from cxconsole.errors import CXError

        try:
            inputs = (self.path,) if self.path else ()
            written = await asyncio.to_thread(mapping.save, path, inputs=inputs)
        except OSError as exc:
            self.notify(
                f"{path}: {exc.strerror or exc}", title="Mapping not saved", severity="error"
            )
            return
        except CXError as exc:  # the file being imported, or a file that is not a mapping
            self.notify(str(exc), title="Mapping not saved", severity="error")
            return
        self.notify(f"Saved {written}", title="Mapping")

    def load_mapping(self) -> None:
        if self.sniffed is None or self.account is None:
            self.notify("Choose a file and a profile first.", severity="warning")
            return

        def answered(path: Path | None) -> None:
            if path is not None:
                self._load_mapping(path)

        self.app.push_screen(MappingFilePrompt("load", "", _saved_mappings()), answered)

    @work(group="imports-mapping-file", exit_on_error=False)
    async def _load_mapping(self, path: Path) -> None:
        from cxconsole.client import CXError
        from cxconsole.importing.mapping import ColumnMapping

        try:
            saved = await asyncio.to_thread(ColumnMapping.load, path)
        except CXError as exc:
            self.notify(str(exc), title="Mapping not loaded", severity="error", markup=False)
            return
        if self.setup is None or self.sniffed is None or self.account is None:
            return
        try:
            self.setup.reset_mapping()
            notes = self.setup.apply_saved(saved)
        except CXError as exc:
            self.notify(str(exc), title="Mapping not loaded", severity="error", markup=False)
            return
        self._rebuild_mapping()
        self.notify(
            "; ".join([f"Loaded {path.name}", *notes]),
            title="Mapping",
            severity="warning" if notes else "information",
            markup=False,
        )

    # -- options, check, start -----------------------------------------------------------------
    def _read_numbers(self) -> str | None:
        """The batch size and concurrency boxes into the set-up; a box that is no number is
        the one thing said here (the limits are the core's)."""
        setup = self._setup()
        values: list[int | None] = []
        for selector, label in (("#batch-size", "batch size"), ("#concurrency", "concurrency")):
            text = self.query_one(selector, Input).value.strip()
            if not text:
                values.append(None)
                continue
            try:
                values.append(int(text))
            except ValueError:
                return f"The {label} must be a whole number (got {text!r})."
        setup.batch_size, setup.concurrency = values
        region = self.query_one("#region", Input).value.strip().upper()
        setup.region = region or None
        order = self.query_one("#date-order", Select).value
        setup.day_first = {"day": True, "month": False}.get(str(order))
        return None

    def _setup_problem(self) -> str | None:
        if self._busy():
            return "A run is going: wait for it, or cancel it (F3, then x)."
        if self.sniffed is None and self.path is None:
            return "Choose a file first (ctrl+o)."
        if self.account is None and self.fields_problem:
            return self.fields_problem
        problem = self._read_numbers()
        if problem:
            return problem
        problems = self._setup().problems()
        if not problems:
            return None
        first = problems[0]
        if first.subject in ("mapping", "columns"):
            return _mapping_words(first)
        return first.message[:1].upper() + first.message[1:] + "."

    def _setup_key(self) -> tuple[Any, ...]:
        mapping = self.mapping.to_dict() if self.mapping is not None else None
        return (
            str(self.path),
            self.account.profile.name if self.account else None,
            repr(mapping),
            self._encoding(),
            self._sheet(),
            self.query_one("#batch-size", Input).value,
        )

    def check(self) -> None:
        """The dry pass (ctrl+t): the whole file read as the import would, nothing sent."""
        problem = self._setup_problem()
        if problem:
            self.notify(problem, severity="warning", markup=False)
            return
        self._check()

    @work(exclusive=True, group="imports-check", exit_on_error=False)
    async def _check(self) -> None:
        from cxconsole.client import CXError

        ctx = await self.cx.context()
        assert self.setup is not None
        key = self._setup_key()
        check = self.query_one("#check", Static)
        check.update("Dry pass: reading the whole file…")
        reasons: list[str] = []

        def seen(event: Any) -> None:
            if type(event).__name__ == "RowsRejected" and len(reasons) < 5:
                for line, why in zip(event.lines, event.reasons, strict=False):
                    if len(reasons) < 5:
                        reasons.append(f"line {line}: {why}")

        try:
            run = await self.setup.prepare(client=ctx.client, dry_run=True)
            run.subscribe(seen)
            summary = await run.run()
        except CXError as exc:
            check.update(f"✗ {exc}")
            return
        except Exception as exc:  # a bug: said, never a traceback
            check.update(f"✗ the dry pass failed: {type(exc).__name__}: {exc}")
            return
        lines = [
            f"Dry pass: {summary.rows_total:,} rows: {summary.rows_imported:,} valid, "
            f"{summary.rows_rejected:,} rejected · {summary.batches_total:,} batches of "
            f"{run.batch_size}"
        ]
        if summary.state != "finished" and summary.message:
            lines.append(f"✗ {summary.message}")
        lines += [f"  {r}" for r in reasons]
        if summary.rows_rejected > len(reasons) and summary.rejects_written:
            lines.append(f"  … all {summary.rows_rejected:,} in {summary.rejects_path}")
        if summary.unrecorded:  # no state dir: said, with what is not kept
            lines.append(f"! {escape(summary.message)}")
        self.check_text = "\n".join(lines)
        self._check_key = key
        self._show_check()

    def _show_check(self) -> None:
        check = self.query_one("#check", Static)
        if not self.check_text:
            return
        stale = self._check_key != self._setup_key()
        check.update(self.check_text + ("\n(set-up changed since: ctrl+t again)" if stale else ""))
        check.set_class(not stale, "-done")

    def start(self, *, confirm: bool = True) -> None:
        """Ask for the set-up run; with ``confirm``, after a yes (F5 asks, tests may not)."""
        problem = self._setup_problem()
        if problem:
            self.notify(problem, title="Cannot start", severity="warning", markup=False)
            return
        setup = self._setup()
        assert self.account is not None and self.path is not None
        account, path = self.account, self.path
        options = setup.options()

        async def prepare() -> ImportRun:
            ctx = await self.cx.context()
            return await setup.prepare(client=ctx.client, errors=ctx.errors)

        request = self.StartRequested(prepare, self._answer)
        if not confirm:
            self.post_message(request)
            return
        from cxconsole.widgets.confirm import Confirm

        checked = (
            self.check_text.splitlines()[0]
            if self.check_text and self._check_key == self._setup_key()
            else "Not checked yet (ctrl+t runs a dry pass)."
        )
        left = setup.left_out()
        not_sent = f"Not sent: {escape(', '.join(c.said() for c in left))}.\n" if left else ""
        question = (
            f"Import {escape(path.name)} into [b]{escape(account.profile.name)}[/b] "
            f"({escape(account.vendor.title)})?\n"
            f"Batches of {options.batch_size}, {options.concurrency} at once.\n"
            f"{not_sent}{escape(checked)}"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.post_message(request)

        self.app.push_screen(Confirm(question, yes="Start import"), answered)

    async def _answer(self, question: str, value: str) -> ImportRun:
        """A pre-flight answer written into its box, and the run prepared again with it; a
        box that is no number raises ValueError with what to say. "skip": the columns named
        (one per line) are marked skip, as the field picker would."""
        if question == "skip":
            for header in value.splitlines():
                self._setup().choose(header, SKIP)
            self._rebuild_mapping()
        elif question == "region":
            self.query_one("#region", Input).value = value.upper()
        elif question == "encoding":
            # The preview already reads the file in the guess: chosen now, not read again.
            select = self.query_one("#encoding", Select)
            with self.prevent(Select.Changed):
                if value not in {v for _label, v in ENCODINGS}:
                    select.set_options([*ENCODINGS, (value, value)])
                select.value = value
            self._setup().encoding = value
        else:
            self.query_one("#date-order", Select).value = value
        problem = self._read_numbers()
        if problem:
            raise ValueError(problem)
        ctx = await self.cx.context()
        return await self._setup().prepare(client=ctx.client, errors=ctx.errors)


# -- helpers (no widgets) -------------------------------------------------------------------------
def _mapping_words(problem: Any) -> str:
    """The set-up's mapping problem, with where the screen fixes it."""
    if problem.subject == "columns":
        return f"{problem.message}: choose a field for each, or skip it (enter on the column)"
    return f"{problem.message} (enter on a column to choose its field)"


def _samples(sniffed: Sniff) -> dict[str, str]:
    samples: dict[str, str] = {}
    for _line, values in sniffed.rows:
        for header, value in zip(sniffed.headers, values, strict=False):
            if header not in samples and value.strip():
                samples[header] = value.strip()
    return samples


def _saved_mappings() -> list[Path]:
    folder = mappings_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".toml", ".json"))


def _size(size: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)
