"""The import screen: set a file up against a profile, watch it go batch by batch, resume runs.

Four tabs, keyboard first (F2 set up, F3 run, F4 history, F7 fix rejects; ``[`` and ``]``
cycle), each a pane of its own module:

* **Set up** (:mod:`.setup_pane`): a file, a profile, what the file is, the mapping, the first
  rows as the vendor would get them, a dry pass (ctrl+t); F5 starts, after a confirmation.
* **Run** (:mod:`.run_pane`): progress, rows/s and ETA, one line per batch; ``f`` failures
  only, enter or ``i`` inspects, ``p`` pauses and resumes, ``x`` cancels, ``r`` retries.
* **History** (:mod:`.history_pane`): the runs in the journals; enter or ``r`` resumes one.
* **Fix rejects** (:mod:`.fix_pane`): a run's invalid and refused rows, edited and sent.

This screen only coordinates: the tabs, the one key map (the footer lists the screen's keys
first, so the panes' keys live here and each action is the pane's), the banner, and the
messages the panes post, routed to the pane they concern. No pane queries another's widgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Header, Static, TabbedContent

from cxconsole.screens.base import CXScreen
from cxconsole.screens.imports.fix_pane import FixPane
from cxconsole.screens.imports.history_pane import HistoryPane
from cxconsole.screens.imports.pane import ImportPane, resumed
from cxconsole.screens.imports.run_pane import RunPane
from cxconsole.screens.imports.setup_pane import SetupPane
from cxconsole.widgets.footer import CXFooter

if TYPE_CHECKING:
    from pathlib import Path

    from cxconsole.importing import ImportRun, RunSummary, Sniff
    from cxconsole.importing.mapping import ColumnMapping
    from cxconsole.importing.setup import ImportSetup, Preview
    from cxconsole.profiles import Account, Profile
    from cxconsole.vendors.base import TargetField
    from cxconsole.widgets.batch_table import BatchBook

TABS = ("setup", "run", "history", "fix")
NARROW = 100  # below this width the directory tree gives its room to the form
SHORT = 30  # below this height the form loses its spacing and the summary shrinks
SETUP_ACTIONS = ("check", "save_mapping", "load_mapping", "open_file", "reset_mapping")
HISTORY_ACTIONS = ("resume_run", "dry_runs", "refresh_history", "resend_unknown")


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
    /* Narrow, the profile's name whole before the limits (a size over them is refused,
       naming the limit). */
    ImportsScreen.-narrow #batch-hint, ImportsScreen.-narrow #concurrency-hint { display: none; }
    ImportsScreen.-short .row { margin-bottom: 0; }
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
    ImportsScreen #values-select { width: 24; }
    ImportsScreen .hint { width: auto; padding: 0 1; color: $text-muted; }
    /* How the file is read wraps, whole, beside the encoding list: never cut. */
    ImportsScreen #read-as { height: auto; }
    ImportsScreen #detected { width: 1fr; height: auto; }
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
    ImportsScreen #run-progress { height: auto; padding: 0 1; }
    ImportsScreen #run-bar { width: 40%; max-width: 48; }
    ImportsScreen #run-bar Bar { width: 1fr; }
    ImportsScreen #run-rate { width: 1fr; height: auto; padding: 0 0 0 1; }
    ImportsScreen #run-counts { height: auto; padding: 0 1; }
    ImportsScreen #run-pictures { height: 1; padding: 0 1; }
    ImportsScreen #run-spark-label { width: 7; color: $text-muted; }
    ImportsScreen #run-spark { width: 1fr; }
    ImportsScreen #run-outcomes { width: 34; padding: 0 0 0 1; }
    ImportsScreen #batches { height: 1fr; min-height: 4; }
    /* Whole, however many lines it wraps to: the batch table above gives up the room. */
    ImportsScreen #run-summary { height: auto; padding: 0 1; display: none; }
    ImportsScreen #run-summary.-shown { display: block; border-top: tall $panel; }
    ImportsScreen #run-summary.-ok { border-top: tall $success; }
    ImportsScreen #run-summary.-bad { border-top: tall $error; }
    ImportsScreen #run-summary.-resumable, ImportsScreen #run-summary.-warn {
        border-top: tall $warning;
    }

    ImportsScreen #history-error { display: none; }
    ImportsScreen #history-error.-shown { display: block; }
    ImportsScreen #history { height: 1fr; min-height: 4; }
    /* Whole, however many lines it wraps to: the runs table above gives up the room. */
    ImportsScreen #history-detail { height: auto; padding: 0 1; border-top: tall $panel; }
    ImportsScreen #history-empty { padding: 1 2; color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # Tabs from anywhere, typing included (F-keys never type a character).
        Binding("right_square_bracket", "next_tab", "Next tab", id="imports.next_tab", show=False),
        Binding(
            "left_square_bracket",
            "previous_tab",
            "Previous tab",
            id="imports.previous_tab",
            show=False,
        ),
        # Set up: from inside the inputs too, so priority with keys no input uses.
        Binding("f5,ctrl+g", "start", "Start", id="imports.start", priority=True),
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
        # The tabs last: their names are on screen, and at 80 columns the footer keeps the
        # keys of what the tab does (start, pause, resume) before the ways to other tabs.
        Binding("f2", "tab('setup')", "Set up", id="imports.tab_setup", priority=True),
        Binding("f3", "tab('run')", "Run", id="imports.tab_run", priority=True),
        Binding("f4", "tab('history')", "History", id="imports.tab_history", priority=True),
        Binding("f7", "tab('fix')", "Fix", id="imports.tab_fix", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.run: ImportRun | None = None  # the run the Run tab follows, once it shows it
        self._tabs: TabbedContent | None = None
        self._panes = (
            SetupPane(busy=lambda: self.running),
            RunPane(),
            HistoryPane(busy=lambda: self.running),
            FixPane(),
        )

    # -- the panes -----------------------------------------------------------------------------
    # Kept from compose: check_action asks for the tab and the run pane once per key binding
    # whenever the footer refreshes, and a DOM query each time cost ~0.7 s on a first visit.
    @property
    def setup_pane(self) -> SetupPane:
        return self._panes[0]

    @property
    def run_pane(self) -> RunPane:
        return self._panes[1]

    @property
    def history_pane(self) -> HistoryPane:
        return self._panes[2]

    @property
    def fix_pane(self) -> FixPane:
        return self._panes[3]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="imports-banner", classes="banner -error", markup=False)
        with TabbedContent(id="imports-tabs", initial="setup") as tabs:
            self._tabs = tabs
            yield from self._panes
        yield CXFooter()

    def on_mount(self) -> None:
        self.sub_title = "Imports"
        self._layout(self.app.size)
        self._reload_history()

    def on_resize(self, event: events.Resize) -> None:
        self._layout(event.size)

    def _layout(self, size: Any) -> None:
        self.set_class(size.width < NARROW, "-narrow")
        self.set_class(size.height < SHORT, "-short")

    def on_screen_resume(self) -> None:
        self.run_pane.redraw()
        self._reload_history()
        self.setup_pane.reload_profiles()  # one may have been added on the credentials screen

    # -- what the screen's callers read (tests, the demo, the benches) -------------------------
    @property
    def setup(self) -> ImportSetup | None:
        return self.setup_pane.setup

    @property
    def profiles(self) -> dict[str, Profile]:
        return self.setup_pane.profiles

    @property
    def account(self) -> Account | None:
        return self.setup_pane.account

    @property
    def fields(self) -> list[TargetField]:
        return self.setup_pane.fields

    @property
    def sniffed(self) -> Sniff | None:
        return self.setup_pane.sniffed

    @property
    def mapping(self) -> ColumnMapping | None:
        return self.setup_pane.mapping

    @property
    def preview(self) -> Preview | None:
        return self.setup_pane.preview

    @property
    def check_text(self) -> str:
        return self.setup_pane.check_text

    @property
    def book(self) -> BatchBook:
        return self.run_pane.book

    @property
    def summary(self) -> RunSummary | None:
        return self.run_pane.summary

    @property
    def run_state(self) -> str:
        return self.run_pane.run_state

    @property
    def running(self) -> bool:
        return self.run_pane.running

    def choose_file(self, path: Path) -> None:
        self.setup_pane.choose_file(path)

    def choose_profile(self, name: str) -> None:
        self.setup_pane.choose_profile(name)

    def choose_field(self, header: str, choice: str) -> None:
        self.setup_pane.choose_field(header, choice)

    def start_import(self, *, confirm: bool = True) -> None:
        """Start the set-up run; with ``confirm``, after a yes (F5 asks, tests may not)."""
        self.setup_pane.start(confirm=confirm)

    def resume_run(self, run_id: str, profile: str | None = None) -> None:
        """Continue ``run_id`` from its journal (the core checks the file is unchanged)."""
        self.history_pane.hide_error()
        self.run_pane.start(resumed(self.cx, run_id, profile=profile))

    # -- tabs ----------------------------------------------------------------------------------
    @property
    def active_tab(self) -> str:
        # Asked for its keys before its tabs are mounted, or after they are gone: the first tab.
        tabs = self._tabs
        return tabs.active if tabs is not None and tabs.is_attached and tabs.active else "setup"

    def action_tab(self, tab: str) -> None:
        assert self._tabs is not None
        self._tabs.active = tab
        pane: ImportPane = self._panes[TABS.index(tab)]
        # set_focus, not focus(): keys typed right after the switch must reach the new tab.
        self.set_focus(pane.focus_target())
        if tab == "history":
            self._reload_history()
        self.refresh_bindings()

    def action_next_tab(self) -> None:
        self.action_tab(TABS[(TABS.index(self.active_tab) + 1) % len(TABS)])

    def action_previous_tab(self) -> None:
        self.action_tab(TABS[(TABS.index(self.active_tab) - 1) % len(TABS)])

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab, run = self.active_tab, self.run_pane
        if action == "start":
            if tab != "setup":
                return False
            return None if self.running else True
        if action in SETUP_ACTIONS:
            return tab == "setup"
        if action in ("failures", "inspect"):
            return tab == "run"
        if action == "pause":
            return tab == "run" and run.run_state == "running"
        if action == "resume":
            return tab == "run" and run.run_state == "paused"
        if action == "cancel":
            return tab == "run" and run.run_state in ("running", "paused")
        if action == "retry":
            return tab == "run" and run.has_failed and run.run_state != "cancelling"
        if action in HISTORY_ACTIONS:
            return tab == "history"
        if action == "fix_rejects":
            return tab in ("run", "history") and not self.running
        if action in ("edit_cell", "send_fixed"):
            return tab == "fix" and self.fix_pane.run is not None and not self.running
        return True

    # -- keys: each the action of the pane it belongs to ---------------------------------------
    def action_start(self) -> None:
        self.start_import()

    def action_check(self) -> None:
        self.setup_pane.check()

    def action_open_file(self) -> None:
        self.action_tab("setup")
        self.setup_pane.focus_path()

    def action_save_mapping(self) -> None:
        self.setup_pane.save_mapping()

    def action_load_mapping(self) -> None:
        self.setup_pane.load_mapping()

    def action_reset_mapping(self) -> None:
        self.setup_pane.reset_mapping()

    def action_pause(self) -> None:
        self.run_pane.pause()

    def action_resume(self) -> None:
        self.run_pane.resume()

    def action_cancel(self) -> None:
        self.run_pane.cancel()

    def action_retry(self) -> None:
        self.run_pane.retry()

    def action_failures(self) -> None:
        self.run_pane.toggle_failures()

    def action_inspect(self) -> None:
        self.run_pane.inspect()

    def action_fix_rejects(self) -> None:
        if self.active_tab == "history":
            self.history_pane.fix_rejects()
        else:
            self.run_pane.fix_rejects()

    def action_edit_cell(self) -> None:
        self.fix_pane.edit_cell()

    def action_send_fixed(self) -> None:
        self.fix_pane.send_fixed()

    def action_resume_run(self) -> None:
        self.history_pane.resume_selected()

    def action_resend_unknown(self) -> None:
        self.history_pane.resend_unknown()

    def action_dry_runs(self) -> None:
        self.history_pane.toggle_dry_runs()
        self._reload_history()

    def action_refresh_history(self) -> None:
        self._reload_history()

    # -- messages from the panes ---------------------------------------------------------------
    @on(ImportPane.Banner)
    def _banner_asked(self, message: ImportPane.Banner) -> None:
        banner = self.query_one("#imports-banner", Static)
        if message.text is None:
            banner.remove_class("-shown")
            return
        banner.update(message.text)
        banner.add_class("-shown")

    @on(SetupPane.ProfilesLoaded)
    def _profiles_loaded(self, message: SetupPane.ProfilesLoaded) -> None:
        banner = self.query_one("#imports-banner", Static)
        if not message.count:
            banner.update("No profiles yet: add one on the credentials screen (key 2).")
            banner.add_class("-shown")
        elif banner.has_class("-shown") and self.run is None:
            banner.remove_class("-shown")

    @on(SetupPane.StartRequested)
    def _start_requested(self, message: SetupPane.StartRequested) -> None:
        self.run_pane.start(message.prepare, message.answer)

    @on(RunPane.Started)
    def _run_started(self, message: RunPane.Started) -> None:
        self.run = message.run
        self.action_tab("run")

    @on(RunPane.Finished)
    def _run_finished(self) -> None:
        self._reload_history()

    @on(RunPane.ResumeRefused)
    def _resume_refused(self, message: RunPane.ResumeRefused) -> None:
        self.history_pane.show_error(message.text)

    @on(HistoryPane.ResumeRequested)
    def _resume_requested(self, message: HistoryPane.ResumeRequested) -> None:
        self.resume_run(message.run_id, message.profile)

    @on(HistoryPane.ResendRequested)
    def _resend_requested(self, message: HistoryPane.ResendRequested) -> None:
        self.run_pane.start(
            resumed(self.cx, message.run_id, resend_unknown=True, profile=message.profile)
        )

    @on(RunPane.FixRequested)
    @on(HistoryPane.FixRequested)
    def _fix_requested(self, message: RunPane.FixRequested | HistoryPane.FixRequested) -> None:
        self.fix_pane.open(message.open, in_use=self.run_pane.run)

    @on(FixPane.Opened)
    def _fix_opened(self) -> None:
        self.action_tab("fix")

    @on(FixPane.Sent)
    def _fixed_sent(self) -> None:
        self._reload_history()

    def _reload_history(self) -> None:
        """The history again; after a run the cursor goes to it."""
        run = self.run_pane.run
        self.history_pane.load(run.run_id if run is not None and not self.running else None)
