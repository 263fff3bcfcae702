"""The import screen: set a file up against a profile, watch it go batch by batch, resume runs.

Three tabs, keyboard first (F2 set up, F3 run, F4 history; ``[`` and ``]`` cycle):

* **Set up**: a path box with completion and a directory tree; the profile; what the file is
  (format, encoding with a cp1252/cp1250 override, delimiter, XLSX sheet); the mapping (enter
  on a column picks its field); the first rows *as the vendor would get them*; a dry pass
  (ctrl+t); batch size and concurrency; F5 starts, after a confirmation.
* **Run**: progress, rows/s and ETA; one line per batch (state, attempts, HTTP status, vendor
  code and meaning, latency, receipt); ``f`` shows failures only, enter opens one in the error
  inspector; ``p`` pauses and resumes, ``x`` cancels (the run stays resumable), ``r`` retries
  the failed batches.
* **History**: the runs in the journals; enter resumes a resumable one (the core refuses a
  changed file, and the screen says why).

Speed: the run's events go to :class:`BatchBook` (plain objects, O(1) per event) from the
run's callback; a timer flushes the book to the widgets a few times a second inside
``app.batch_update()``, and the batch table draws only the lines in view. Reading, mapping and
validating happen in the core's reading thread, previews and sniffing in threads: the event
loop only sends, so a key is answered while thousands of batch events stream.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.markup import escape
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import (
    DataTable,
    DirectoryTree,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Sparkline,
    Static,
    TabbedContent,
    TabPane,
)

from cxconsole.screens.base import CXScreen
from cxconsole.widgets.batch_table import BatchBook, BatchRow, BatchTable
from cxconsole.widgets.choice import Choice
from cxconsole.widgets.footer import CXFooter
from cxconsole.widgets.import_files import ImportFileTree, PathInput
from cxconsole.widgets.import_history import HistoryTable, describe
from cxconsole.widgets.import_mapping import (
    FieldPicker,
    MappingFilePrompt,
    MappingTable,
    mappings_dir,
)
from cxconsole.widgets.import_preview import PreviewTable
from cxconsole.widgets.rejects_grid import RejectsGrid

if TYPE_CHECKING:
    from cxconsole.context import Context
    from cxconsole.errorlog import ErrorEvent
    from cxconsole.importing import ImportRun, RunSummary, Sniff
    from cxconsole.importing.mapping import ColumnMapping
    from cxconsole.importing.setup import ImportSetup, Preview
    from cxconsole.profiles import Account, Profile
    from cxconsole.vendors.base import TargetField

TABS = ("setup", "run", "history", "fix")
FLUSH_S = 0.15  # how often pending batch updates reach the widgets while a run streams
NARROW = 100  # below this width the directory tree gives its room to the form
SHORT = 30  # below this height the form loses its spacing and the summary shrinks
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
ACTIVE_STATES = ("checking", "running", "paused", "cancelling")
DATE_ORDERS: list[tuple[str, str]] = [
    ("from the column", AUTO),
    ("day first", "day"),
    ("month first", "month"),
]


class ImportsScreen(CXScreen):
    """Any customer file into any vendor, batch by batch, every row accounted for."""

    # Not the path box: it would swallow the digits that switch screens (and every other
    # key); the tree (or, when narrow hides it, the mapping table) leaves them to the app.
    AUTO_FOCUS = "#file-tree, #mapping"
    DEFAULT_CSS = """
    ImportsScreen #imports-banner { display: none; }
    ImportsScreen #imports-banner.-shown { display: block; }
    ImportsScreen #imports-tabs { height: 1fr; }
    ImportsScreen #imports-tabs > ContentSwitcher { height: 1fr; }
    ImportsScreen #imports-tabs TabPane { height: 1fr; padding: 0; }
    ImportsScreen Input, ImportsScreen Select SelectCurrent { background: $panel; }

    ImportsScreen #setup-body { height: 1fr; }
    ImportsScreen #files-pane { width: 34; height: 1fr; border-right: tall $panel; }
    ImportsScreen.-narrow #files-pane { display: none; }
    ImportsScreen.-narrow #encoding { width: 18; }
    ImportsScreen.-short .row { margin-bottom: 0; }
    ImportsScreen.-short #run-summary { max-height: 5; }
    ImportsScreen #file-tree { height: 1fr; }
    ImportsScreen #setup-form { width: 1fr; height: 1fr; padding: 0 1; }
    ImportsScreen .row { height: 1; margin-bottom: 1; }
    ImportsScreen .row > Label {
        width: 9; padding: 0 1 0 0; text-align: right; color: $text-muted;
    }
    ImportsScreen #file-path { width: 1fr; }
    ImportsScreen #profile { width: 1fr; max-width: 36; }
    ImportsScreen #batch-size, ImportsScreen #concurrency { width: 7; }
    ImportsScreen #region { width: 8; }
    ImportsScreen #preview-body-box { height: auto; max-height: 14; background: $panel; }
    ImportsScreen #date-order { width: 22; }
    ImportsScreen #values-row { display: none; }
    ImportsScreen #values-row.-shown { display: block; }
    ImportsScreen #values-select { width: 1fr; max-width: 40; }
    ImportsScreen .hint { width: auto; padding: 0 1; color: $text-muted; }
    ImportsScreen #detected { width: 1fr; height: 1; }
    ImportsScreen #encoding { width: 24; }
    ImportsScreen #sheet { width: 22; }
    ImportsScreen #detected-notes { height: auto; color: $text-warning; display: none; }
    ImportsScreen #detected-notes.-shown { display: block; }
    ImportsScreen .section-title { margin-top: 0; }
    ImportsScreen #mapping { height: auto; max-height: 12; }
    ImportsScreen #mapping-status { height: auto; padding: 0 1; }
    ImportsScreen #mapping-status.-bad { color: $text-error; }
    ImportsScreen #mapping-status.-good { color: $text-success; }
    ImportsScreen #preview { height: auto; max-height: 14; }
    ImportsScreen #preview-problems { height: auto; padding: 0 1; color: $text-error; }
    ImportsScreen #check { height: auto; padding: 0 1; color: $text-muted; }
    ImportsScreen #check.-done { color: $text; }
    ImportsScreen DataTable { height: auto; }

    ImportsScreen #run-title { height: auto; padding: 0 1; }
    ImportsScreen #run-progress { height: 1; padding: 0 1; }
    ImportsScreen #run-bar { width: 40%; max-width: 48; }
    ImportsScreen #run-bar Bar { width: 1fr; }
    ImportsScreen #run-rate { width: 1fr; padding: 0 0 0 1; }
    ImportsScreen #run-counts { height: 1; padding: 0 1; }
    ImportsScreen #run-pictures { height: 1; padding: 0 1; }
    ImportsScreen #run-spark-label { width: 7; color: $text-muted; }
    ImportsScreen #run-spark { width: 1fr; }
    ImportsScreen #run-outcomes { width: 34; padding: 0 0 0 1; }
    ImportsScreen #batches { height: 1fr; }
    ImportsScreen #run-summary { height: auto; max-height: 8; padding: 0 1; display: none; }
    ImportsScreen #run-summary.-shown { display: block; border-top: tall $panel; }
    ImportsScreen #run-summary.-ok { border-top: tall $success; }
    ImportsScreen #run-summary.-bad { border-top: tall $error; }
    ImportsScreen #run-summary.-resumable, ImportsScreen #run-summary.-warn {
        border-top: tall $warning;
    }

    ImportsScreen #history-error { display: none; }
    ImportsScreen #history-error.-shown { display: block; }
    ImportsScreen #history { height: 1fr; }
    ImportsScreen #history-detail {
        height: auto; max-height: 9; padding: 0 1; border-top: tall $panel;
    }
    ImportsScreen #history-empty { padding: 1 2; color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # Tabs from anywhere, typing included (F-keys never type a character).
        Binding("f2", "tab('setup')", "Set up", id="imports.tab_setup", priority=True),
        Binding("f3", "tab('run')", "Run", id="imports.tab_run", priority=True),
        Binding("f4", "tab('history')", "History", id="imports.tab_history", priority=True),
        Binding("f7", "tab('fix')", "Fix", id="imports.tab_fix", priority=True),
        Binding("right_square_bracket", "next_tab", "Next tab", id="imports.next_tab", show=False),
        Binding(
            "left_square_bracket",
            "previous_tab",
            "Previous tab",
            id="imports.previous_tab",
            show=False,
        ),
        # Set up: from inside the inputs too, so priority with keys no input uses.
        Binding("f5,ctrl+g", "start", "Start", id="imports.start", priority=True, key_display="F5"),
        Binding("ctrl+t", "check", "Dry pass", id="imports.check", priority=True),
        Binding("ctrl+o", "open_file", "File", id="imports.file", priority=True),
        Binding("ctrl+s", "save_mapping", "Save map", id="imports.save_mapping", priority=True),
        Binding("ctrl+l", "load_mapping", "Load map", id="imports.load_mapping", priority=True),
        Binding("f6", "reset_mapping", "Reset map", id="imports.reset_mapping", priority=True),
        # Run
        Binding("p,space", "pause", "Pause", id="imports.pause"),
        Binding("p,space", "resume", "Resume", id="imports.resume"),
        Binding("x", "cancel", "Cancel", id="imports.cancel"),
        Binding("r", "retry", "Retry failed", id="imports.retry"),
        Binding("f", "failures", "Failures only", id="imports.failures"),
        Binding("i", "inspect", "Inspect batch", id="imports.inspect"),
        Binding("e", "fix_rejects", "Fix rejects", id="imports.fix_rejects"),
        Binding("s", "send_fixed", "Send fixed", id="imports.send_fixed"),
        # History
        Binding("r", "resume_run", "Resume run", id="imports.resume_run"),
        Binding("u", "resend_unknown", "Resend unknown", id="imports.resend_unknown"),
        Binding("d", "dry_runs", "Show dry runs", id="imports.dry_runs"),
        Binding("ctrl+r", "refresh_history", "Reload", id="imports.reload", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.ctx: Context | None = None
        self.profiles: dict[str, Profile] = {}
        # The import being set up: the core's model; this screen only renders it.
        self.setup: ImportSetup | None = None
        self.fields_problem: str | None = None
        self.mapping: ColumnMapping | None = None  # the set-up's, as last shown
        self.mapping_problem: str | None = None
        self.preview: Preview | None = None
        self._fix_run: ImportRun | None = None  # the run whose rejects are being fixed
        self._spark: deque[float] = deque(maxlen=90)  # rows/s, a sample a second
        self._spark_last: tuple[float, int] | None = None
        self.check_text = ""
        self._check_key: tuple[Any, ...] | None = None
        self.run: ImportRun | None = None
        self.book = BatchBook()
        self.summary: RunSummary | None = None
        self.show_dry_runs = False
        self._batch_errors: dict[int, ErrorEvent] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        self._flush_timer: Timer | None = None
        self._shown_state = ""
        self._summary_shown: object = None
        self._history_kept: str | None = None  # the run the history cursor was last put on
        self._starting = False  # a run is being prepared: a second F5 must not start another
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
        yield Header()
        yield Static("", id="imports-banner", classes="banner -error", markup=False)
        with TabbedContent(id="imports-tabs", initial="setup"):
            with TabPane("Set up (F2)", id="setup"), Horizontal(id="setup-body"):
                with Vertical(id="files-pane"):
                    yield Static("Files", classes="section-title")
                    yield ImportFileTree(Path.cwd(), id="file-tree")
                with VerticalScroll(id="setup-form"):
                    with Horizontal(classes="row"):
                        yield Label("File")
                        yield PathInput(
                            placeholder="path to a CSV, JSON, JSON Lines or XLSX file; "
                            "tab completes, enter reads it",
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
                    with Horizontal(classes="row"):
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
                            "given to each record the file leaves without one",
                            classes="hint",
                        )
                    yield Static(
                        "Mapping  [dim]enter: choose the field · ctrl+s save · ctrl+l load[/dim]",
                        classes="section-title",
                    )
                    yield MappingTable(id="mapping")
                    yield Static("", id="mapping-status", markup=False)
                    yield Static("First rows, as the vendor gets them", classes="section-title")
                    yield PreviewTable(id="preview")
                    yield Static("", id="preview-problems", markup=False)
                    yield Static(
                        "The first batch, exactly as it will be sent", classes="section-title"
                    )
                    with VerticalScroll(id="preview-body-box"):
                        yield Static("", id="preview-body", markup=False)
                    yield Static("Dry pass", classes="section-title")
                    yield Static(
                        "ctrl+t reads the whole file as the import would, sending nothing.",
                        id="check",
                        markup=False,
                    )
            with TabPane("Run (F3)", id="run"):
                yield Static("No run yet: set one up (F2), then F5.", id="run-title")
                with Horizontal(id="run-progress"):
                    # Never indeterminate: its pulse would repaint many times a second.
                    yield ProgressBar(id="run-bar", show_eta=False, total=100)
                    yield Static("", id="run-rate", markup=False)
                yield Static("", id="run-counts")
                with Horizontal(id="run-pictures"):
                    yield Static("rows/s", id="run-spark-label")
                    yield Sparkline([], id="run-spark")
                    yield Static("", id="run-outcomes")
                yield BatchTable(id="batches")
                yield Static("", id="run-summary")
            with TabPane("History (F4)", id="history"):
                yield Static("", id="history-error", classes="banner -error", markup=False)
                yield Static("", id="history-empty")
                yield HistoryTable(id="history")
                yield Static("", id="history-detail", markup=False)
            with TabPane("Fix rejects (F7)", id="fix"):
                yield Static(
                    "No rejects loaded: e on a finished run (Run or History tab) opens its "
                    "invalid and refused rows here.",
                    id="fix-title",
                    markup=False,
                )
                yield RejectsGrid(id="rejects-grid")
                yield Static("", id="fix-status", markup=False)
        yield CXFooter()

    def on_mount(self) -> None:
        self.sub_title = "Imports"
        self._layout(self.app.size)
        self.query_one("#sheet").display = False
        self._show_mapping()
        self.query_one(BatchTable).show_book(self.book)
        self._flush_timer = self.set_interval(FLUSH_S, self._flush, pause=True)
        self._load_profiles()
        self._load_history()

    def on_resize(self, event: events.Resize) -> None:
        self._layout(event.size)

    def _layout(self, size: Any) -> None:
        self.set_class(size.width < NARROW, "-narrow")
        self.set_class(size.height < SHORT, "-short")

    def on_screen_resume(self) -> None:
        self.book.dirty = True
        self._flush()
        self._load_history()
        if self.ctx is not None:
            self._load_profiles()  # one may have been added on the credentials screen

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    # -- tabs ----------------------------------------------------------------------------------
    @property
    def active_tab(self) -> str:
        return str(self.query_one("#imports-tabs", TabbedContent).active or "setup")

    def action_tab(self, tab: str) -> None:
        self.query_one("#imports-tabs", TabbedContent).active = tab
        target = {
            "setup": self._setup_focus,
            "run": lambda: self.query_one(BatchTable),
            "history": lambda: self.query_one(HistoryTable),
            "fix": lambda: self.query_one(RejectsGrid),
        }[tab]()
        # set_focus, not focus(): keys typed right after the switch must reach the new tab.
        self.set_focus(target)
        if tab == "history":
            self._load_history()
        self.refresh_bindings()

    def _setup_focus(self) -> Any:
        if self.sniffed is None:
            return self.query_one("#file-path")
        if self.account is None:
            return self.query_one("#profile")
        return self.query_one(MappingTable)

    def action_next_tab(self) -> None:
        self.action_tab(TABS[(TABS.index(self.active_tab) + 1) % len(TABS)])

    def action_previous_tab(self) -> None:
        self.action_tab(TABS[(TABS.index(self.active_tab) - 1) % len(TABS)])

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self.refresh_bindings()

    @property
    def run_state(self) -> str:
        return self.run.state if self.run is not None else "none"

    @property
    def running(self) -> bool:
        return self._starting or self.run_state in ACTIVE_STATES

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.active_tab
        if action == "start":
            if tab != "setup":
                return False
            return None if self.running else True
        if action in ("check", "save_mapping", "load_mapping", "open_file", "reset_mapping"):
            return tab == "setup"
        if action in ("failures", "inspect"):
            return tab == "run"
        if action == "pause":
            return tab == "run" and self.run_state == "running"
        if action == "resume":
            return tab == "run" and self.run_state == "paused"
        if action == "cancel":
            return tab == "run" and self.run_state in ("running", "paused")
        if action == "retry":
            if tab != "run":
                return False
            has_failed = self.run is not None and bool(self.run.failed_batches)
            return has_failed and self.run_state != "cancelling"
        if action in ("resume_run", "dry_runs", "refresh_history", "resend_unknown"):
            return tab == "history"
        if action == "fix_rejects":
            return tab in ("run", "history") and not self.running
        if action in ("edit_cell", "send_fixed"):
            return tab == "fix" and self._fix_run is not None and not self.running
        return True

    # -- the context and profiles ------------------------------------------------------------
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
        if not profiles:
            self._banner("No profiles yet: add one on the credentials screen (key 2).")
        elif self.query_one("#imports-banner").has_class("-shown") and self.run is None:
            self._hide_banner()

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
        own = account.profile.phone_region
        self.query_one("#region", Input).placeholder = own or "region"
        self.query_one("#region-hint", Static).update(
            "the profile's" if own else "asked when needed"
        )
        self._rebuild_mapping()
        if self.focused is self.query_one("#profile") and self.mapping is not None:
            self.set_focus(self.query_one(MappingTable))  # the next thing to look at
        self.refresh_bindings()

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
            select.set_options([(f"— as in the file ({label})", AUTO), *choices])
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
    def action_open_file(self) -> None:
        self.action_tab("setup")
        self.set_focus(self.query_one("#file-path"))

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
            with self.prevent(Select.Changed):
                self.query_one("#encoding", Select).value = AUTO
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
        self._notes(sniffed.warnings)
        self._rebuild_mapping()
        chosen = self.query_one("#profile", Select).value
        if self.account is None and not isinstance(chosen, str):
            self.set_focus(self.query_one("#profile"))  # the next thing to choose
        elif self.mapping is not None:
            self.set_focus(self.query_one(MappingTable))

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
        problem = next((p for p in setup.problems() if p.subject == "mapping"), None)
        self.mapping_problem = (
            f"{problem.message} (enter on a column to choose its field)" if problem else None
        )
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

    def action_reset_mapping(self) -> None:
        """Back to the automatic mapping: every choice made for this file is forgotten."""
        if self.setup is not None and self.setup.choices:
            self.setup.reset_mapping()
            self._rebuild_mapping()
            self.notify("Mapping reset to the automatic one.", title="Mapping", timeout=3)

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

    def action_save_mapping(self) -> None:
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
        try:
            written = await asyncio.to_thread(mapping.save, path)
        except OSError as exc:
            self.notify(
                f"{path}: {exc.strerror or exc}", title="Mapping not saved", severity="error"
            )
            return
        self.notify(f"Saved {written}", title="Mapping")

    def action_load_mapping(self) -> None:
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
        if self.running:
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
        if first.subject == "mapping":
            return f"{first.message} (enter on a column to choose its field)"
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

    def action_check(self) -> None:
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
        if summary.rows_rejected > len(reasons):
            lines.append(f"  … all {summary.rows_rejected:,} in {summary.rejects_path}")
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

    def action_start(self) -> None:
        self.start_import()

    def start_import(self, *, confirm: bool = True) -> None:
        """Start the set-up run; with ``confirm``, after a yes (F5 asks, tests may not)."""
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

        if not confirm:
            self._launch(prepare)
            return
        from cxconsole.widgets.confirm import Confirm

        checked = (
            self.check_text.splitlines()[0]
            if self.check_text and self._check_key == self._setup_key()
            else "Not checked yet (ctrl+t runs a dry pass)."
        )
        question = (
            f"Import {escape(path.name)} into [b]{escape(account.profile.name)}[/b] "
            f"({escape(account.vendor.title)})?\n"
            f"Batches of {options.batch_size}, {options.concurrency} at once.\n"
            f"{escape(checked)}"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._launch(prepare)

        self.app.push_screen(Confirm(question, yes="Start import"), answered)

    def _launch(self, prepare: Callable[[], Awaitable[ImportRun]]) -> None:
        if self.running:
            self.notify("A run is going already.", severity="warning")
            return
        self._hide_banner()
        self._starting = True
        self._run_worker(prepare)

    # -- the run -------------------------------------------------------------------------------
    @work(group="imports-run", exit_on_error=False)
    async def _run_worker(self, prepare: Callable[[], Awaitable[ImportRun]]) -> None:
        from cxconsole.errors import CXError, VendorError
        from cxconsole.importing import ResumeError

        try:
            run = await prepare()
        except ResumeError as exc:
            self._history_error(f"Cannot resume: {exc}")
            return
        except VendorError as exc:
            self.cx.report_error(exc, "import set-up")
            self._banner(f"Not started: {exc}")
            return
        except CXError as exc:
            self._banner(f"Not started: {exc}")
            return
        except Exception as exc:  # a bug: said on screen, never a traceback
            self._banner(f"Not started: {type(exc).__name__}: {exc}")
            return
        finally:
            self._starting = False
        self._follow_run(run)
        if not run.resumed:
            checked = await self._preflight(run)
            if checked is None:
                return
            run = checked
        await self._drive(run)

    async def _preflight(self, run: ImportRun) -> ImportRun | None:
        """The whole file, checked before anything is sent; what it needs decided is asked
        here, once, and the run prepared again with the answer. None: not started."""
        from cxconsole.client import CXError
        from cxconsole.importing.errors import DateOrderNeeded, RegionNeeded

        if self._flush_timer is not None:
            self._flush_timer.resume()
        while True:
            try:
                await run.preflight()
                return run
            except RegionNeeded as need:
                answer = await self._ask_region(need)
                if answer is None:
                    break
                self.query_one("#region", Input).value = answer.upper()
            except DateOrderNeeded as need:
                answer = await self.app.push_screen_wait(
                    Choice(
                        f"{need}\n\nHow are the dates of {need.field} written?",
                        [("Day first (31/12)", "day"), ("Month first (12/31)", "month")],
                    )
                )
                if answer is None:
                    break
                self.query_one("#date-order", Select).value = answer
            except CXError as exc:
                context = getattr(exc, "context", "")
                hint = {
                    "encoding": " Choose the file's encoding in the Read as row (F2).",
                    "quote": " Close or remove the quote in the file, then start again.",
                    "newline": " Save the file with one kind of line end, then start again.",
                }.get(getattr(exc, "kind", ""), "")
                self._banner(
                    f"Not started, nothing was sent: {exc}.{hint}"
                    + (f"\n{context}" if context else "")
                )
                return None
            problem = self._read_numbers()
            ctx = await self.cx.context()
            try:
                if problem:
                    raise ValueError(problem)
                run = await self._setup().prepare(client=ctx.client, errors=ctx.errors)
            except (CXError, ValueError) as exc:
                self._banner(f"Not started: {exc}")
                return None
            self._follow_run(run)
        self._banner("Not started: the question was left unanswered; nothing was sent.")
        return None

    async def _ask_region(self, need: Any) -> str | None:
        proposed = need.proposed
        answers = [(f"{proposed} numbers", proposed)] if proposed else []
        share = (
            f"{need.valid} of the {need.sampled} sampled are valid {proposed} numbers."
            if proposed
            else "No region makes most of them valid numbers."
        )
        return await self.app.push_screen_wait(
            Choice(
                f"{need.count:,} numbers in {need.field} have no country code. {share}\n"
                "Which country are they from? (The profile's region, on the credentials "
                "screen, saves asking next time.)",
                answers,
                other="or type a region code (GB, NZ, ...) and enter",
            )
        )

    async def _drive(self, run: ImportRun) -> None:
        if self._flush_timer is not None:
            self._flush_timer.resume()
        try:
            await run.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the run: shown, never a traceback on screen
            self._banner(f"The run stopped: {type(exc).__name__}: {exc}")
        finally:
            if self._flush_timer is not None:
                self._flush_timer.pause()
            if self.is_attached:  # not while the app shuts down
                self.book.dirty = True
                self._flush()
                self.refresh_bindings()
                self._load_history()

    def _follow_run(self, run: ImportRun) -> None:
        """Show ``run`` in the Run tab and follow its events."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.run = run
        self.summary = None
        self.book = BatchBook()
        self._batch_errors = {}
        self._shown_state = ""
        self._summary_shown = None
        self.query_one(BatchTable).show_book(self.book)
        self._unsubscribe.append(run.subscribe(self._on_event))
        ctx = self.cx.ctx  # set: prepare() awaited the core
        if ctx is not None:
            self._unsubscribe.append(ctx.errors.subscribe(self._error_seen))
        summary = self.query_one("#run-summary", Static)
        summary.update("")
        summary.remove_class("-shown", "-ok", "-bad", "-resumable", "-warn")
        self._show_title()
        self.query_one("#run-bar", ProgressBar).update(total=100, progress=0)
        self._spark.clear()
        self._spark_last = None
        self.query_one("#run-spark", Sparkline).data = []
        self.action_tab("run")

    def _on_event(self, event: Any) -> None:
        # The hot path: runs inside the runner for every event. Plain objects only.
        self.book.apply(event)
        name = type(event).__name__
        if name == "PreflightProgress":
            self._checked_rows = event.rows_read
            self.book.dirty = True
            return
        if name == "BatchFailed" or (name == "RowsRejected" and event.batch is not None):
            error = self._batch_errors.get(event.batch)
            row = self.book.get(event.batch)
            if error is not None and row is not None and error.status is not None:
                row.status = error.status

    def _error_seen(self, event: ErrorEvent) -> None:
        # May run on any thread: a dict store only.
        run = self.run
        if run is not None and event.run_id == run.run_id and event.batch is not None:
            self._batch_errors[event.batch] = event

    def _flush(self) -> None:
        """Apply what the events changed since the last flush: one repaint for all of it."""
        book = self.book
        if not book.dirty:
            return
        book.dirty = False
        with self.app.batch_update():
            self.query_one(BatchTable).sync()
            self._show_progress()
            if book.state != self._shown_state:
                self._shown_state = book.state
                self._show_title()
                self.refresh_bindings()
            if book.summary is not None and book.summary is not self._summary_shown:
                self._summary_shown = book.summary
                self.summary = book.summary
                self._show_summary(book.summary)
            elif book.summary is None and book.notices:
                self._show_notices()

    def _show_title(self) -> None:
        run = self.run
        title = self.query_one("#run-title", Static)
        if run is None:
            title.update("No run yet: set one up (F2), then F5.")
            return
        state = self.book.state if self.book.state != "ready" else run.state
        if self.book.summary is not None:
            state = self.book.summary.state
        if state == "checking":
            rows = getattr(self, "_checked_rows", 0)
            title.update(
                f"[b reverse] CHECKING [/] every row of [b]{escape(run.source.path.name)}[/b] "
                f"before anything is sent: {rows:,} rows read"
            )
            return
        badge = {
            "running": "[b reverse] RUNNING [/]",
            "paused": "[b reverse] PAUSED [/] (p resumes)",
            "cancelling": "[b reverse] CANCELLING [/] (finishing the batches in flight)",
            "finished": "[b reverse] FINISHED [/]",
            "cancelled": "[b reverse] CANCELLED [/] (resumable)",
        }.get(state, f"[b reverse] {escape(state.upper())} [/]")
        verb = "resumed: " if run.resumed else ""
        title.update(
            f"{badge} {verb}[b]{escape(run.source.path.name)}[/b] → "
            f"{escape(run.account.profile.name)} ({escape(run.vendor.title)}) · "
            f"{run.batch_size}/batch, {run.concurrency} at once · run {escape(run.run_id)}"
        )

    def _show_progress(self) -> None:
        p = self.book.progress
        rate = self.query_one("#run-rate", Static)
        bar = self.query_one("#run-bar", ProgressBar)
        counts = self.book.counts()
        parts = [f"[b]{counts['ok']:,}[/b] ok"]
        ended = self.book.summary is not None
        for state, label in (
            ("queued", "not sent (resume sends them)" if ended else "queued"),
            ("partial", "partly refused"),
            ("failed", "failed"),
            ("unknown", "unknown outcome"),
            ("retrying", "retrying"),
            ("sending", "sending"),
        ):
            if counts[state]:
                parts.append(f"{counts[state]:,} {label}")
        total = p.batches_total if p is not None else None
        shown = f"{len(self.book.rows):,}" + (f" of {total:,}" if total else "")
        line = f"Batches: {shown} · " + " · ".join(parts)
        if self.query_one(BatchTable).failures_only:
            line += "  [b]showing problems only[/b] [dim](f: all)[/dim]"
        elif counts["failed"]:
            line += "  [dim](f: failures only · enter: inspect · r: retry)[/dim]"
        self.query_one("#run-counts", Static).update(line)
        self.query_one("#run-outcomes", Static).update(self._outcome_bar(counts))
        if p is None:
            return
        self._sample_throughput(p.rows_imported + p.rows_rejected)
        imported, rejected_rows = p.rows_imported, p.rows_rejected
        summary = self.book.summary
        if summary is not None:
            # The summary counts from the rejects file: rows of failed batches that a retry
            # imported are no longer rejects there (the live counter keeps them).
            imported, rejected_rows = summary.rows_imported, summary.rows_rejected
        done = imported + rejected_rows
        total = p.rows_total  # the pre-flight counted every row before the first was sent
        if total:
            bar.update(total=total, progress=min(done, total))
        elif p.fraction and p.rows_read:
            share = p.fraction * min(1.0, done / p.rows_read)
            bar.update(total=1000, progress=int(share * 1000))
        eta_s = p.eta_seconds
        going = self.book.state in ("running", "paused")
        eta = f" · ETA {_duration(eta_s)}" if going and eta_s is not None else ""
        of = f"/{total:,}" if total else ""
        rejected = f" · {rejected_rows:,} rejected" if rejected_rows else ""
        rate.update(
            f"{done:,}{of} rows · {imported:,} in{rejected} · {p.rows_per_second:,.0f} rows/s{eta}"
        )

    def _sample_throughput(self, done: int) -> None:
        """Rows per second over the last second or so, one sample a second, for the sparkline."""
        now = time.monotonic()
        last = self._spark_last
        if last is None or done < last[1]:
            self._spark_last = (now, done)
            return
        if now - last[0] < 1.0:
            return
        self._spark.append((done - last[1]) / (now - last[0]))
        self._spark_last = (now, done)
        self.query_one("#run-spark", Sparkline).data = list(self._spark)

    def _outcome_bar(self, counts: dict[str, int]) -> Text:
        """The batches by outcome as one coloured bar, 24 cells wide, with the ok share."""
        from cxconsole.widgets.catalog_detail import theme_colours

        total = sum(counts.values())
        if not total:
            return Text("")
        colours = theme_colours(self.app)
        palette = (
            ("ok", colours.get("yes") or "green"),
            ("partial", colours.get("after_pause") or "yellow"),
            ("unknown", colours.get("after_pause") or "yellow"),
            ("failed", colours.get("never") or "red"),
            ("sending", colours.get("primary") or "blue"),
            ("retrying", colours.get("primary") or "blue"),
            ("queued", "grey50"),
        )
        width, bar, used = 24, Text(), 0
        for state, colour in palette:
            cells = round(width * counts.get(state, 0) / total)
            cells = min(cells, width - used)
            if cells:
                bar.append("█" * cells, style=colour)
                used += cells
        if used < width:
            bar.append("░" * (width - used), style="grey50")
        bar.append(f" {100 * counts.get('ok', 0) / total:3.0f}% ok")
        return bar

    def _show_notices(self) -> None:
        panel = self.query_one("#run-summary", Static)
        panel.update("\n".join(f"! {escape(n)}" for n in self.book.notices[-3:]))
        panel.add_class("-shown")

    def _show_summary(self, s: RunSummary) -> None:
        panel = self.query_one("#run-summary", Static)
        details = [
            f"{count:,} {what}"
            for count, what in (
                (s.rows_invalid, "invalid"),
                (s.rows_refused, "refused by the vendor"),
                (s.rows_unknown, "outcome unknown: check the vendor before resending"),
                (s.rows_failed, "in failed batches"),
                (s.rows_not_sent, "not sent yet"),
            )
            if count
        ]
        verb = "would go in" if s.dry_run else "imported"
        of = "read so far" if s.state != "finished" else "in the file"
        lines = [
            f"{s.rows_imported:,} of the {s.rows_total:,} rows {of} {verb}, {s.rows_rejected:,} not"
            + (f" ({'; '.join(details)})" if details else "")
            + f" · batches: {s.batches_ok:,} ok, {s.batches_failed:,} failed"
            + (f", {s.batches_unknown:,} unknown" if s.batches_unknown else "")
            + f" · {_duration(s.elapsed)}"
        ]
        failed = self.run.failed_batches if self.run is not None else []
        if s.state == "cancelled":
            head = f"[b]Cancelled.[/b] Run {escape(s.run_id)} is resumable"
            how = f"History (F4), enter on it, or: cxconsole import --resume {escape(s.run_id)}"
            lines.insert(0, f"{head}: {how}")
            kind = "-resumable"
        elif s.state == "finished" and failed:
            lines.insert(
                0,
                f"[b]Finished with {len(failed)} failed batch(es)[/b]: r retries them now; "
                f"run {escape(s.run_id)} stays resumable until they go in",
            )
            kind = "-bad"
        elif s.state == "finished":
            outcome = {
                "complete": "✓ Finished: every row imported",
                "partial": "Finished: some rows not imported",
                "nothing": "Finished: no row imported",
                "empty": "Finished: the file held no row",
            }[str(s.outcome)]
            if s.rows_unknown:
                outcome += f"; {s.rows_unknown:,} of unknown outcome (u on it in History resends)"
            lines.insert(0, f"[b]{outcome}[/b]: run {escape(s.run_id)}")
            kind = "-ok" if s.complete else "-warn" if s.rows_imported else "-bad"
        else:
            lines.insert(0, f"[b]Stopped ({escape(s.state)})[/b]: {escape(s.message)}")
            if s.resumable:
                lines.insert(1, f"Run {escape(s.run_id)} is resumable from History (F4).")
            kind = "-bad"
        if s.rows_rejected:
            lines.append(f"Rejects: {escape(str(s.rejects_path))}")
        lines.append(f"Journal: {escape(str(s.journal_path))}")
        panel.update("\n".join(lines))
        panel.remove_class("-ok", "-bad", "-resumable", "-warn")
        panel.add_class("-shown", kind)
        self.notify(
            f"Run {s.run_id}: {s.state}, {s.rows_imported:,} rows {verb}, {s.rows_rejected:,} not",
            title="Import",
            severity="information" if kind == "-ok" else "warning",
            markup=False,
        )

    # -- run actions ---------------------------------------------------------------------------
    def action_pause(self) -> None:
        if self.run is not None:
            self.run.pause()
            self.book.dirty = True
            self._flush()

    def action_resume(self) -> None:
        if self.run is not None:
            self.run.resume()
            self.book.dirty = True
            self._flush()

    def action_cancel(self) -> None:
        if self.run is not None and self.run_state in ("running", "paused"):
            self.run.cancel()
            self.notify(
                f"Finishing the batches in flight; run {self.run.run_id} stays resumable.",
                title="Cancelling",
            )
            self.book.dirty = True
            self._flush()

    def action_retry(self) -> None:
        run = self.run
        if run is None or not run.failed_batches:
            self.notify("No failed batch to retry.", timeout=3)
            return
        state = run.state
        count = run.retry_failed()
        self.notify(f"Sending {count} failed batch(es) again.", title="Retry", timeout=4)
        if state == "finished":
            # The runner sends them on its next run(): the same run, the same journal.
            self.summary = None
            self._summary_shown = None
            self.book.summary = None
            panel = self.query_one("#run-summary", Static)
            panel.remove_class("-shown", "-ok", "-bad", "-resumable", "-warn")
            self._retry_worker(run)
        self.refresh_bindings()

    @work(group="imports-run", exit_on_error=False)
    async def _retry_worker(self, run: ImportRun) -> None:
        await self._drive(run)

    def action_failures(self) -> None:
        table = self.query_one(BatchTable)
        table.set_failures_only(not table.failures_only)
        self._show_progress()  # the counts line says which batches are shown

    def action_inspect(self) -> None:
        row = self.query_one(BatchTable).current
        if row is not None:
            self.inspect_batch(row)

    @on(BatchTable.Selected)
    def _batch_selected(self, event: BatchTable.Selected) -> None:
        self.inspect_batch(event.row)

    def inspect_batch(self, row: BatchRow) -> None:
        """Open the error inspector on a batch's error (or its catalog entry)."""
        state = row.state
        if state in ("failed", "unknown", "partial"):
            error = self._batch_errors.get(row.number)
            if error is not None:
                self.cx.inspect(error)
            elif row.entry is not None:
                self.cx.inspect(row.entry)
            else:
                self.cx.inspect(self._made_error(row))
        elif state == "retrying" and row.entry is not None:
            self.cx.inspect(row.entry)
        else:
            receipt = f": {row.receipt}" if row.receipt else ""
            self.notify(f"Batch {row.number} is {state}{receipt}", timeout=4, markup=False)

    def _made_error(self, row: BatchRow) -> ErrorEvent:
        """An error event for a failure the history never saw (an unexpected exception)."""
        from cxconsole.errorlog import ErrorEvent

        run = self.run
        return ErrorEvent(
            vendor=run.vendor.name if run else "cxconsole",
            code=row.code,
            entry=row.entry,
            message=row.message or f"batch {row.number} failed",
            source="import",
            profile=run.account.profile.name if run else None,
            run_id=run.run_id if run else None,
            batch=row.number,
            status=row.status,
        )

    # -- history -------------------------------------------------------------------------------
    @work(exclusive=True, group="imports-history", exit_on_error=False)
    async def _load_history(self) -> None:
        from cxconsole.importing import list_runs
        from cxconsole.widgets.catalog_detail import theme_colours

        try:
            runs = await asyncio.to_thread(list_runs)
        except OSError as exc:
            self._history_error(f"Cannot read the run journals: {exc}")
            return
        if not self.show_dry_runs:
            runs = [r for r in runs if r.state != "dry-run"]
        table = self.query_one(HistoryTable)
        current = table.current
        # After a run the cursor goes to it; otherwise it stays where the user put it.
        keep = self.run.run_id if self.run is not None and not self.running else None
        if keep is None or keep == self._history_kept:
            keep = current.run_id if current else None
        else:
            self._history_kept = keep
        table.show(runs, theme_colours(self.app), keep)
        empty = self.query_one("#history-empty", Static)
        hidden = "" if self.show_dry_runs else " (dry runs hidden: d shows them)"
        empty.update("" if runs else f"No import runs yet{hidden}.")
        empty.display = not runs
        table.display = bool(runs)
        self._show_history_detail()

    @on(DataTable.RowHighlighted, "#history")
    def _history_highlighted(self) -> None:
        self._show_history_detail()

    def _show_history_detail(self) -> None:
        run = self.query_one(HistoryTable).current
        self.query_one("#history-detail", Static).update(describe(run) if run else "")

    @on(DataTable.RowSelected, "#history")
    def _history_selected(self) -> None:
        self.action_resume_run()

    def action_refresh_history(self) -> None:
        self._load_history()

    def action_dry_runs(self) -> None:
        self.show_dry_runs = not self.show_dry_runs
        self._load_history()

    def action_resume_run(self) -> None:
        info = self.query_one(HistoryTable).current
        if info is None:
            return
        if info.state != "resumable":
            self.notify(f"Run {info.run_id} is {info.state}: nothing to resume.", timeout=4)
            return
        if self.running:
            self.notify("A run is going: wait for it, or cancel it first.", severity="warning")
            return
        self.resume_run(info.run_id)

    def resume_run(self, run_id: str) -> None:
        """Continue ``run_id`` from its journal (the core checks the file is unchanged)."""
        self._hide_history_error()

        async def prepare() -> ImportRun:
            from cxconsole.importing import prepare_resume

            ctx = await self.cx.context()
            return await prepare_resume(run_id, ctx.account, client=ctx.client, errors=ctx.errors)

        self._launch(prepare)

    def action_resend_unknown(self) -> None:
        """Send a run's rows of unknown outcome again, after a yes that names the risk."""
        info = self.query_one(HistoryTable).current
        if info is None:
            return
        if not info.rows_unknown:
            self.notify(f"Run {info.run_id} has no row of unknown outcome.", timeout=4)
            return
        if self.running:
            self.notify("A run is going: wait for it, or cancel it first.", severity="warning")
            return
        from cxconsole.vendors import get_vendor
        from cxconsole.widgets.confirm import Confirm

        vendor = get_vendor(info.vendor)
        question = (
            f"Send the {info.rows_unknown:,} row(s) of unknown outcome of run "
            f"{escape(info.run_id)} to {escape(vendor.title)} again?\n"
            f"Check the vendor first. Risk: {escape(vendor.resend_risk)}."
        )
        run_id = info.run_id

        async def prepare() -> ImportRun:
            from cxconsole.importing import prepare_resume

            ctx = await self.cx.context()
            return await prepare_resume(
                run_id, ctx.account, client=ctx.client, errors=ctx.errors, resend_unknown=True
            )

        def answered(yes: bool | None) -> None:
            if yes:
                self._hide_history_error()
                self._launch(prepare)

        self.app.push_screen(Confirm(question, yes="Send them again"), answered)

    # -- fixing rejects ---------------------------------------------------------------------------
    def action_fix_rejects(self) -> None:
        """The finished run's invalid and refused rows, in an editable grid (Fix tab)."""
        if self.active_tab == "history":
            info = self.query_one(HistoryTable).current
            if info is None or info.dry_run:
                self.notify("Choose a run (not a dry run) whose rejects to fix.", timeout=4)
                return
            run_id = info.run_id

            async def opened() -> ImportRun:
                from cxconsole.importing import prepare_resume

                ctx = await self.cx.context()
                return await prepare_resume(
                    run_id, ctx.account, client=ctx.client, errors=ctx.errors, fixing=True
                )

            self._open_fixes(opened)
            return
        run = self.run
        if run is None or run.summary is None or run.options.dry_run:
            self.notify("No finished run to fix (a dry run sends nothing).", timeout=4)
            return

        async def current() -> ImportRun:
            return run

        self._open_fixes(current)

    @work(exclusive=True, group="imports-fix", exit_on_error=False)
    async def _open_fixes(self, get: Callable[[], Awaitable[ImportRun]]) -> None:
        from cxconsole.client import CXError
        from cxconsole.importing.fixes import load_fixable

        status = self.query_one("#fix-status", Static)
        try:
            run = await get()
            rows = await asyncio.to_thread(load_fixable, run)
        except (CXError, OSError) as exc:
            self.notify(f"Cannot open the rejects: {exc}", severity="error", markup=False)
            return
        if self._fix_run is not None and self._fix_run is not run and self._fix_run is not self.run:
            self._fix_run.release()
        self._fix_run = run
        grid = self.query_one(RejectsGrid)
        grid.problems.clear()
        grid.edited.clear()
        grid.show(rows, run.source.headers, run.source.key_unit)
        self.query_one("#fix-title", Static).update(
            f"Run {run.run_id} ({run.vendor.title}): {len(rows):,} row(s) rejected here or "
            "refused by the vendor · enter edits a cell (checked at once) · s sends the fixed "
            "rows within the run"
        )
        status.update("" if rows else "Nothing to fix: no invalid or refused row.")
        self.action_tab("fix")

    @on(DataTable.CellSelected, "#rejects-grid")
    def _cell_chosen(self) -> None:
        self.action_edit_cell()

    def action_edit_cell(self) -> None:
        run = self._fix_run
        if run is None:
            return
        from cxconsole.importing.fixes import check_row

        plan = run.row_plan()
        self.query_one(RejectsGrid).edit_current(lambda values: check_row(plan, values))

    def action_send_fixed(self) -> None:
        run = self._fix_run
        grid = self.query_one(RejectsGrid)
        rows = grid.fixed()
        if run is None or not rows:
            self.notify("No fixed row to send: edit a rejected row until it says ✓.", timeout=4)
            return
        from cxconsole.widgets.confirm import Confirm

        question = (
            f"Send {len(rows):,} fixed row(s) to {escape(run.vendor.title)} within run "
            f"{escape(run.run_id)}? Each goes once; one the vendor refuses again stays listed "
            "with the new reason."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._send_fixed(run, rows)

        self.app.push_screen(Confirm(question, yes="Send fixed rows"), answered)

    @work(exclusive=True, group="imports-fix", exit_on_error=False)
    async def _send_fixed(self, run: ImportRun, rows: dict[int, list[Any]]) -> None:
        status = self.query_one("#fix-status", Static)
        status.update(f"Sending {len(rows):,} fixed row(s)…")
        try:
            summary = await run.send_fixed(rows)
        except Exception as exc:  # said on screen, never a traceback
            status.update(f"✗ not sent: {type(exc).__name__}: {exc}")
            return
        status.update(
            f"Run {summary.run_id}: {summary.rows_imported:,} of {summary.rows_total:,} rows "
            f"imported, {summary.rows_rejected:,} listed in the rejects file"
            + (f" · {summary.message}" if summary.message else "")
        )
        self._load_history()
        self._open_fixes(self._same(run))

    @staticmethod
    def _same(run: ImportRun) -> Callable[[], Awaitable[ImportRun]]:
        async def get() -> ImportRun:
            return run

        return get

    def _history_error(self, text: str) -> None:
        banner = self.query_one("#history-error", Static)
        banner.update(text)
        banner.add_class("-shown")
        self.notify(text, title="Import history", severity="error", timeout=10, markup=False)

    def _hide_history_error(self) -> None:
        self.query_one("#history-error", Static).remove_class("-shown")

    # -- banner ----------------------------------------------------------------------------------
    def _banner(self, text: str) -> None:
        banner = self.query_one("#imports-banner", Static)
        banner.update(text)
        banner.add_class("-shown")

    def _hide_banner(self) -> None:
        self.query_one("#imports-banner", Static).remove_class("-shown")


# -- helpers (no widgets) -------------------------------------------------------------------------
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


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
