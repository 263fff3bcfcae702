"""The error inspector: the whole catalog, a decoder for any pasted reply, the session's errors.

Three tabs, keyboard first: ``/`` searches the catalog, ``F5`` (or ctrl+d) decodes the paste
area (which also decodes as you type), ``]`` moves to the next tab. The catalog and the decoder
are the core's (:mod:`cxconsole.catalog`); decoding runs in a thread so a 20 kB paste never
stalls a key. The session list follows :class:`cxconsole.errorlog.ErrorHistory` live: its
listener may run on any thread, so it only posts a replaceable message and the screen redraws
at most five times a second however fast errors arrive.
"""

from __future__ import annotations

import asyncio
import json
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Select,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
    TextArea,
)

from cxconsole.screens.base import CXScreen
from cxconsole.widgets.catalog_detail import (
    CatalogDetail,
    EntryFields,
    copy_text,
    short_vendor,
)
from cxconsole.widgets.catalog_table import CatalogTable
from cxconsole.widgets.decode_result import DecodeResult
from cxconsole.widgets.footer import CXFooter

if TYPE_CHECKING:
    from cxconsole.catalog.entry import CatalogEntry, Decoded
    from cxconsole.errorlog import ErrorEvent, ErrorGroup, ErrorHistory

TABS = ("catalog", "decode", "session")
ALL = "__all__"
AUTO = "__auto__"
RETRYABLE_OPTIONS: list[tuple[str, str]] = [
    ("any retry", ALL),
    ("retry: yes", "yes"),
    ("retry: pause", "after_pause"),
    ("retry: never", "never"),
]
NARROW = 100  # below this width the panes stack instead of sitting side by side
SHORT = 30  # below this height the bars lose their bottom margin
DECODE_DEBOUNCE_S = 0.35
SESSION_REFRESH_S = 0.2
SEARCH_PLACEHOLDER = "search: a code (1010), a status (429), words"
PASTE_PLACEHOLDER = (
    "Paste a raw reply here: a status line (HTTP/1.1 401 ...), headers and/or a body "
    "(JSON, broken JSON, plain text). tab leaves this area."
)


class HistoryChanged(Message):
    """The session's error history grew. Posted from any thread; queued ones collapse."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, HistoryChanged)


class ErrorsScreen(CXScreen):
    """Every vendor code decoded, any raw reply explained, every error of the session."""

    # Textual focuses the first focusable widget on resume (the search box, which would
    # swallow every key): start on the table, where the screen's keys work.
    AUTO_FOCUS = "#catalog-table"
    DEFAULT_CSS = """
    ErrorsScreen #errors-banner { display: none; }
    ErrorsScreen #errors-banner.-shown { display: block; }
    ErrorsScreen #errors-tabs { height: 1fr; }
    ErrorsScreen #errors-tabs > ContentSwitcher { height: 1fr; }
    ErrorsScreen #errors-tabs TabPane { height: 1fr; padding: 0; }
    ErrorsScreen Input, ErrorsScreen Select SelectCurrent { background: $panel; }

    ErrorsScreen #catalog-filters { height: 1; padding: 0 1; margin-bottom: 1; }
    ErrorsScreen #catalog-search { width: 1fr; }
    ErrorsScreen #catalog-vendor { width: 22; margin-left: 1; }
    ErrorsScreen #catalog-retryable { width: 18; margin-left: 1; }
    ErrorsScreen #catalog-count { width: auto; min-width: 9; padding: 0 0 0 1; color: $text-muted; }
    ErrorsScreen #catalog-body { height: 1fr; }
    ErrorsScreen #catalog-left { width: 1fr; height: 1fr; }
    ErrorsScreen #catalog-empty { height: auto; padding: 0 1; color: $text-warning; }
    ErrorsScreen #catalog-table { height: 1fr; }

    ErrorsScreen #decode-bar { height: 1; padding: 0 1; margin-bottom: 1; }
    ErrorsScreen #decode-bar > Static { width: auto; padding: 0 1 0 0; }
    ErrorsScreen #decode-vendor { width: 26; }
    ErrorsScreen #decode-bar Button { width: auto; min-width: 8; margin-left: 1; }
    ErrorsScreen #decode-bar #decode-help { width: 1fr; padding: 0 0 0 2; color: $text-muted; }
    ErrorsScreen #decode-body { height: 1fr; }
    ErrorsScreen #decode-input {
        width: 2fr; height: 1fr; border: round $panel; border-title-color: $text-primary;
    }
    ErrorsScreen #decode-input:focus { border: round $primary; }
    ErrorsScreen #decode-result { width: 3fr; }

    ErrorsScreen #session-empty { height: auto; padding: 1 2; color: $text-muted; }
    ErrorsScreen #session-occurrences {
        height: 1fr; min-height: 6; border: round $panel; border-title-color: $text-primary;
        padding: 0 1;
    }
    ErrorsScreen #session-occurrences > Static { height: auto; }

    ErrorsScreen.-narrow #catalog-body, ErrorsScreen.-narrow #decode-body { layout: vertical; }
    ErrorsScreen #catalog-detail { width: 40%; min-width: 40; max-width: 64; }
    ErrorsScreen.-narrow #catalog-detail { width: 100%; max-width: 100%; height: 45%; }
    ErrorsScreen.-narrow #catalog-vendor { width: 18; }
    ErrorsScreen.-narrow #catalog-retryable { width: 16; }
    ErrorsScreen.-narrow #decode-input { width: 100%; height: 7; }
    ErrorsScreen.-narrow #decode-result { width: 100%; }
    ErrorsScreen.-narrow #decode-help { display: none; }
    ErrorsScreen.-short #catalog-filters, ErrorsScreen.-short #decode-bar { margin-bottom: 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # A priority key runs as it arrives: the keys typed right after it (a fast typist, a
        # paste) then reach the search field; not a priority it reached the list, keys and all.
        Binding("slash", "search", "Search", id="errors.search", key_display="/", priority=True),
        # ctrl+enter never reaches some terminals, and the paste area keeps plain keys for
        # itself: these fire from anywhere on the screen (priority).
        Binding(
            "f5,ctrl+d,ctrl+enter",
            "decode",
            "Decode",
            id="errors.decode",
            priority=True,
        ),
        Binding("c", "copy", "Copy", id="errors.copy", tooltip="Copy the code"),
        Binding("v", "cycle_vendor", "Vendor", id="errors.vendor"),
        Binding("r", "cycle_retryable", "Retryable", id="errors.retryable"),
        Binding("ctrl+l", "clear", "Clear paste", id="errors.clear", show=False),
        Binding("o", "open", "Open decoded", id="errors.open"),
        Binding("right_square_bracket", "next_tab", "Next tab", id="errors.next_tab"),
        Binding(
            "left_square_bracket",
            "previous_tab",
            "Previous tab",
            id="errors.previous_tab",
            show=False,
        ),
        Binding("d", "tab('decode')", "Decode tab", id="errors.tab_decode", show=False),
        Binding("e", "tab('session')", "Session errors tab", id="errors.tab_session", show=False),
        Binding("escape", "back", "Back / clear search", id="errors.back", show=False),
    ]

    def __init__(self, *, decode_debounce_s: float = DECODE_DEBOUNCE_S) -> None:
        super().__init__()
        # How long typing must rest before the paste is decoded on its own.
        self.decode_debounce_s = decode_debounce_s
        self._ready = False  # the catalog is on screen: show_error can be applied
        self._pending: object | None = None
        self._has_pending = False
        self._catalog_total = 0
        self._vendor_values: list[str] = [ALL]
        self._debounce: Timer | None = None
        # The paste text and vendor hint whose decoding is on screen: not decoded again.
        self._shown_text: str | None = None
        self._shown_vendor: str = AUTO
        self._history: ErrorHistory | None = None
        self._groups: list[ErrorGroup] = []
        self._dirty = False
        self._last_refresh = 0.0
        self._refresh_timer: Timer | None = None

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="errors-banner", classes="banner -error", markup=False)
        with TabbedContent(id="errors-tabs", initial="catalog"):
            with TabPane("Catalog", id="catalog"):
                with Horizontal(id="catalog-filters"):
                    yield Input(placeholder=SEARCH_PLACEHOLDER, id="catalog-search", compact=True)
                    yield Select(
                        [("all vendors", ALL)],
                        value=ALL,
                        allow_blank=False,
                        id="catalog-vendor",
                        compact=True,
                    )
                    yield Select(
                        RETRYABLE_OPTIONS,
                        value=ALL,
                        allow_blank=False,
                        id="catalog-retryable",
                        compact=True,
                    )
                    yield Static("", id="catalog-count")
                with Horizontal(id="catalog-body"):
                    with Vertical(id="catalog-left"):
                        yield Static("", id="catalog-empty", markup=False)
                        yield CatalogTable(id="catalog-table")
                    yield CatalogDetail(id="catalog-detail")
            with TabPane("Decode", id="decode"):
                with Horizontal(id="decode-bar"):
                    yield Static("Vendor")
                    yield Select(
                        [("auto: from the reply", AUTO)],
                        value=AUTO,
                        allow_blank=False,
                        id="decode-vendor",
                        compact=True,
                    )
                    yield Button("Decode", id="decode-run", variant="primary", compact=True)
                    yield Button("Clear", id="decode-clear", compact=True)
                    yield Static(
                        "decodes as you type · F5 or ctrl+d: now · ctrl+l: clear", id="decode-help"
                    )
                with Horizontal(id="decode-body"):
                    yield TextArea(id="decode-input", soft_wrap=True, placeholder=PASTE_PLACEHOLDER)
                    yield DecodeResult(id="decode-result")
            with TabPane("Session errors", id="session"):
                yield Static("", id="session-empty")
                yield DataTable(id="session-table", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="session-occurrences"):
                    yield Static("", id="session-occurrences-body", markup=False)
        yield CXFooter()

    def on_mount(self) -> None:
        self.sub_title = "Error inspector"
        self.query_one("#decode-input", TextArea).border_title = "Raw reply"
        self.query_one("#catalog-empty").display = False
        # app.tcss gives every DataTable height 1fr, and app CSS beats DEFAULT_CSS: inline
        # styles win, so the few session rows sit right above their occurrences.
        session = self.query_one("#session-table", DataTable)
        session.styles.height = "auto"
        session.styles.max_height = "60%"
        self._show_session([])
        self._layout(self.app.size)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._on_theme())
        self._load_catalog()
        self._watch_history()

    def on_resize(self, event: events.Resize) -> None:
        self._layout(event.size)
        if self._groups:
            self.call_after_refresh(self._show_session, self._groups)

    def _layout(self, size: Any) -> None:
        self.set_class(size.width < NARROW, "-narrow")
        self.set_class(size.height < SHORT, "-short")

    def on_unmount(self) -> None:
        if self._history is not None:
            self._history.unsubscribe(self._history_listener)

    def _on_theme(self) -> None:
        self.query_one(CatalogTable).refresh_colours()
        for fields in self.query(EntryFields):
            fields.refresh_theme()
        self._show_session(self._groups)

    @property
    def active_tab(self) -> str:
        # Asked for its keys before its tabs are mounted, or after they are gone: the first tab.
        tabs = self.query("#errors-tabs").results(TabbedContent)
        return str(next((t.active for t in tabs if t.active), "catalog"))

    def _switch(self, tab: str, *, focus: bool = True) -> None:
        # No refresh_bindings here: the focus change that follows refreshes the footer, and
        # each refresh rebuilds every footer key (the slowest part of a tab switch).
        self.query_one("#errors-tabs", TabbedContent).active = tab
        if not focus:
            return
        if tab == "catalog":
            self._focus_now(self.query_one(CatalogTable))
        elif tab == "decode":
            paste = self.query_one("#decode-input", TextArea)
            if paste.text.strip():
                self._focus_now(self.query_one(DecodeResult))
            else:
                self._focus_now(paste)
        else:
            self._focus_now(self.query_one("#session-table", DataTable))

    def _focus_now(self, widget: Widget) -> None:
        # Widget.focus() waits for the queue: keys typed right after "/" (a fast typist, a
        # paste, tmux send-keys) would reach the old focus, and "1" would leave the screen.
        self.set_focus(widget)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        # Arrow keys on the tab strip change the tab without moving focus: refresh then only.
        if isinstance(self.focused, Tabs):
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.active_tab
        if action in ("cycle_vendor", "cycle_retryable"):
            return tab == "catalog"
        if action == "clear":
            return tab == "decode"
        if action == "open":
            return tab == "session"
        if action == "search":  # "/" typed into a field is a character
            return not self.typing()
        return True

    # -- the catalog -------------------------------------------------------------------------
    @work(group="errors-catalog", exit_on_error=False)
    async def _load_catalog(self) -> None:
        try:
            entries, vendor_options = await asyncio.to_thread(_read_catalog)
        except Exception as exc:  # a broken catalog file: say so, keep the screen usable
            banner = self.query_one("#errors-banner", Static)
            banner.update(f"The error catalog could not be read: {type(exc).__name__}: {exc}")
            banner.add_class("-shown")
            entries, vendor_options = [], []
        self._catalog_total = len(entries)
        self._vendor_values = [ALL, *(value for _, value in vendor_options)]
        with self.prevent(Select.Changed):
            self.query_one("#catalog-vendor", Select).set_options(
                [("all vendors", ALL), *vendor_options]
            )
            self.query_one("#decode-vendor", Select).set_options(
                [("auto: from the reply", AUTO), *vendor_options]
            )
        self._ready = True
        self._apply_filter(to_top=True)
        if self._has_pending:
            pending, self._pending, self._has_pending = self._pending, None, False
            self.show_error(pending)

    def _select_value(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return None if value in (ALL, AUTO) or not isinstance(value, str) else value

    def _apply_filter(self, *, to_top: bool = False) -> None:
        """Redraw the table for the search and filters; to_top puts the best match first."""
        if not self._ready:
            return
        from cxconsole.catalog import closest, search

        query = self.query_one("#catalog-search", Input).value.strip()
        vendor = self._select_value("#catalog-vendor")
        retryable = self._select_value("#catalog-retryable")
        table = self.query_one(CatalogTable)
        keep = None if to_top else table.highlighted_entry
        found = search(query or None, vendor=vendor, retryable=retryable)
        table.show(found, keep=keep)
        if to_top and found:
            table.move_cursor(row=0, animate=False)
        self.query_one("#catalog-count", Static).update(f"{len(found)} of {self._catalog_total}")
        empty = self.query_one("#catalog-empty", Static)
        if not found:
            near = closest(query, vendor=vendor) if query else []
            said = f"Nothing matches {query!r}" if query else "Nothing matches these filters"
            if near:
                names = ", ".join(f"{short_vendor(e.vendor)} {e.code} {e.name}" for e in near)
                said += f". Closest: {names}"
            empty.update(said + ".  (esc clears the search)")
        empty.display = not found
        self.query_one(CatalogDetail).show(table.highlighted_entry)

    @on(Input.Changed, "#catalog-search")
    def _search_changed(self) -> None:
        self._apply_filter(to_top=True)

    @on(Input.Submitted, "#catalog-search")
    def _search_submitted(self) -> None:
        self._focus_now(self.query_one(CatalogTable))

    @on(Select.Changed, "#catalog-vendor, #catalog-retryable")
    def _filter_changed(self) -> None:
        self._apply_filter()

    @on(DataTable.RowHighlighted, "#catalog-table")
    def _catalog_highlighted(self) -> None:
        self.query_one(CatalogDetail).show(self.query_one(CatalogTable).highlighted_entry)

    def _select_in_catalog(self, entry: CatalogEntry, *, force: bool) -> bool:
        """Put the catalog's cursor on ``entry``; with force, clear filters that hide it."""
        table = self.query_one(CatalogTable)
        if not table.select(entry):
            if not force:
                return False
            with self.prevent(Input.Changed, Select.Changed):
                self.query_one("#catalog-search", Input).value = ""
                self.query_one("#catalog-vendor", Select).value = ALL
                self.query_one("#catalog-retryable", Select).value = ALL
            self._apply_filter()
            if not table.select(entry):
                return False
        self.query_one(CatalogDetail).show(entry)
        return True

    # -- decoding ----------------------------------------------------------------------------
    @on(TextArea.Changed, "#decode-input")
    def _paste_changed(self, event: TextArea.Changed) -> None:
        if event.text_area.text == self._shown_text:
            return  # filled by show_error, already decoded
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(self.decode_debounce_s, self._decode_from_pane)

    @on(Select.Changed, "#decode-vendor")
    def _vendor_hint_changed(self, event: Select.Changed) -> None:
        if event.value != self._shown_vendor or self._shown_text is None:
            self._decode_from_pane()

    def _decode_from_pane(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        text = self.query_one("#decode-input", TextArea).text
        vendor = self.query_one("#decode-vendor", Select).value
        hint = vendor if isinstance(vendor, str) else AUTO
        if not text.strip():
            self.workers.cancel_group(self, "errors-decode")
            self._shown_text, self._shown_vendor = text, hint
            self.query_one(DecodeResult).idle(
                "Paste a reply on the left: it is decoded as you type (F5 or ctrl+d: now)."
            )
            return
        self._decode(text, hint)

    @work(exclusive=True, group="errors-decode", exit_on_error=False)
    async def _decode(
        self, text: str, hint: str, origin: str = "", context: str | None = "catalog"
    ) -> None:
        from cxconsole.catalog import decode_capture

        vendor = None if hint == AUTO else hint
        try:
            decoded = await asyncio.to_thread(decode_capture, text, vendor)
        except Exception as exc:  # decode_reply never raises; this guards the capture parser
            self.query_one(DecodeResult).idle(f"Could not decode: {type(exc).__name__}: {exc}")
            return
        self._shown_text, self._shown_vendor = text, hint
        self.query_one(DecodeResult).show(decoded, origin=origin, context=context)
        if decoded.entry is not None:
            self._select_in_catalog(decoded.entry, force=False)

    @on(DecodeResult.CandidateChosen)
    def _candidate_chosen(self, event: DecodeResult.CandidateChosen) -> None:
        self._show_entry(event.entry)

    @on(Button.Pressed, "#decode-run")
    def _decode_pressed(self) -> None:
        self.action_decode()

    @on(Button.Pressed, "#decode-clear")
    def _clear_pressed(self) -> None:
        self.action_clear()

    # -- the session's errors ----------------------------------------------------------------
    @work(group="errors-history", exit_on_error=False)
    async def _watch_history(self) -> None:
        ctx = await self.cx.context()
        self._history = ctx.errors
        ctx.errors.subscribe(self._history_listener)
        self._refresh_session()

    def _history_listener(self, event: ErrorEvent) -> None:
        # Runs on the thread that recorded the error: touch nothing but a flag and the queue.
        if self._dirty or not self.is_attached:
            return
        self._dirty = True
        self.post_message(HistoryChanged())

    def on_history_changed(self, message: HistoryChanged) -> None:
        wait = self._last_refresh + SESSION_REFRESH_S - time.monotonic()
        if wait <= 0:
            self._refresh_session()
        elif self._refresh_timer is None:
            self._refresh_timer = self.set_timer(wait, self._refresh_session)

    def _refresh_session(self) -> None:
        self._refresh_timer = None
        # Cleared before reading, so an error recorded meanwhile posts (and redraws) again.
        self._dirty = False
        self._last_refresh = time.monotonic()
        if self._history is not None:
            self._show_session(self._history.groups())

    def _show_session(self, groups: list[ErrorGroup]) -> None:
        table = self.query_one("#session-table", DataTable)
        current = self._highlighted_group()
        keep = (current.vendor, current.code) if current is not None else None
        self._groups = groups
        rows = [_session_row(group) for group in groups]
        # Fixed widths, the place gets the rest: a long run id must not push the table
        # sideways at 80 columns.
        widths = [max([len(label), *(len(r[i]) for r in rows)]) for i, label in _SESSION_COLUMNS]
        widths[2], widths[3] = min(widths[2], 12), min(widths[3], 24)
        spare = (table.size.width or self.size.width) - sum(widths[:-1]) - 2 * len(widths) - 2
        widths[-1] = max(spare, 20)
        table.clear(columns=True)
        for (i, label), width in zip(_SESSION_COLUMNS, widths, strict=True):
            table.add_column(label, width=width, key=str(i))
        row = 0
        for i, (group, cells) in enumerate(zip(groups, rows, strict=True)):
            if keep == (group.vendor, group.code):
                row = i
            table.add_row(
                *(
                    Text(
                        _clip(cell, width),
                        style="bold" if column == 2 else "",
                        justify="right" if column == 4 else "left",
                    )
                    for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
                ),
                key=str(i),
            )
        if groups:
            table.move_cursor(row=row, animate=False)
        total = sum(group.count for group in groups)
        tabs = self.query_one("#errors-tabs", TabbedContent)
        tabs.get_tab("session").label = f"Session errors ({total})" if total else "Session errors"
        empty = self.query_one("#session-empty", Static)
        empty.update(
            "No vendor errors yet this session. They land here as they happen (imports, ticket "
            "pages, connection tests), counted, with where they came from."
        )
        empty.display = not groups
        table.display = bool(groups)
        self.query_one("#session-occurrences").display = bool(groups)
        self._show_occurrences()

    def _highlighted_group(self) -> ErrorGroup | None:
        table = self.query_one("#session-table", DataTable)
        if not self._groups or not 0 <= table.cursor_row < len(self._groups):
            return None
        return self._groups[table.cursor_row]

    @on(DataTable.RowHighlighted, "#session-table")
    def _session_highlighted(self) -> None:
        self._show_occurrences()

    @on(DataTable.RowSelected, "#session-table")
    def _session_selected(self) -> None:
        self.action_open()

    def _show_occurrences(self) -> None:
        from cxconsole.catalog import vendor_title

        pane = self.query_one("#session-occurrences", VerticalScroll)
        body = self.query_one("#session-occurrences-body", Static)
        group = self._highlighted_group()
        if group is None:
            body.update("")
            return
        name = f" {group.entry.name}" if group.entry else ""
        times = "once" if group.count == 1 else f"{group.count} times"
        pane.border_title = f"{vendor_title(group.vendor)} {group.code or '-'}{name}: {times}"
        pane.border_subtitle = "enter or o: open the latest decoded"
        parts: list[str | tuple[str, str]] = []
        for event in reversed(group.events[-20:]):
            parts += [(_clock(event.at), "bold"), "  ", event.where, "\n", (event.message, "dim")]
            parts.append("\n")
        body.update(Content.assemble(*parts[:-1]))

    # -- show_error: the app's way in --------------------------------------------------------
    def show_error(self, error: object) -> None:
        """Show a VendorError, ErrorEvent, ErrorGroup, Decoded or CatalogEntry, decoded.

        The app calls this right after switching mode, possibly before the first compose: it is
        kept and applied once the catalog is on screen.
        """
        if not self._ready:
            self._pending, self._has_pending = error, True
            return
        from cxconsole.catalog.entry import CatalogEntry, Decoded
        from cxconsole.errorlog import ErrorGroup

        if isinstance(error, ErrorGroup) and error.events:
            error = error.events[-1]
        if isinstance(error, CatalogEntry):
            self._show_entry(error)
        elif isinstance(error, Decoded):
            text = capture_text(error.http_status, _body_text(error.body))
            self._show_decoded(text, error.vendor, error, origin="")
        else:
            self._show_failure(error)

    def _show_entry(self, entry: CatalogEntry) -> None:
        self._switch("catalog")
        self._select_in_catalog(entry, force=True)

    def _show_failure(self, error: object) -> None:
        """An ErrorEvent, a VendorError, or any other exception."""
        from cxconsole.catalog import context_of
        from cxconsole.catalog.entry import Decoded

        vendor = getattr(error, "vendor", None)
        vendor = vendor if isinstance(vendor, str) else None
        status = getattr(error, "status", None)
        status = status if isinstance(status, int) else None
        body = getattr(error, "body", "") or ""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        text = capture_text(status, _readable(str(body)))
        origin = _origin(error)
        source = getattr(error, "source", None)
        context = context_of(source if isinstance(source, str) else None)
        decoded = getattr(error, "decoded", None)
        entry = getattr(error, "entry", None)
        if isinstance(decoded, Decoded):
            if decoded.entry is None and entry is not None:
                # The client settled what the reply alone could not (e.g. no reply at all).
                decoded = decoded.replace(entry=entry, candidates=[], matched_by="given")
            self._show_decoded(text, vendor, decoded, origin=origin, context=context)
        elif text.strip():
            self._switch("decode", focus=False)
            self._fill_paste(text, vendor)
            self._decode(text, self._hint_for(vendor), origin, context)
            self._focus_now(self.query_one(DecodeResult))
        else:
            message = getattr(error, "message", None) or str(error) or type(error).__name__
            code = getattr(error, "code", None)
            made = Decoded(
                vendor=vendor,
                code=code if isinstance(code, str) else None,
                http_status=status,
                entry=entry,
                ok=False,
                message=str(message),
                recognised=["no reply to decode: this comes from the error itself"],
                matched_by="given" if entry is not None else None,
            )
            self._show_decoded(text, vendor, made, origin=origin, context=context)

    def _hint_for(self, vendor: str | None) -> str:
        return vendor if vendor in self._vendor_values and vendor != ALL else AUTO

    def _fill_paste(self, text: str, vendor: str | None) -> None:
        hint = self._hint_for(vendor)
        self._shown_text, self._shown_vendor = text, hint
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None
        with self.prevent(Select.Changed):
            self.query_one("#decode-vendor", Select).value = hint
        self.query_one("#decode-input", TextArea).load_text(text)

    def _show_decoded(
        self,
        text: str,
        vendor: str | None,
        decoded: Decoded,
        *,
        origin: str,
        context: str | None = "catalog",
    ) -> None:
        self.workers.cancel_group(self, "errors-decode")
        self._switch("decode", focus=False)
        self._fill_paste(text, vendor)
        result = self.query_one(DecodeResult)
        result.show(decoded, origin=origin, context=context)
        if decoded.entry is not None:
            self._select_in_catalog(decoded.entry, force=True)
        self._focus_now(result)

    # -- actions -----------------------------------------------------------------------------
    def action_search(self) -> None:
        self._switch("catalog", focus=False)
        self._focus_now(self.query_one("#catalog-search", Input))

    def action_copy(self) -> None:
        tab = self.active_tab
        entry: CatalogEntry | None
        if tab == "catalog":
            entry = self.query_one(CatalogTable).highlighted_entry
        elif tab == "decode":
            decoded = self.query_one(DecodeResult).decoded
            entry = decoded.entry if decoded is not None else None
        else:
            group = self._highlighted_group()
            entry = group.entry if group is not None else None
        if entry is None:
            self.notify("No catalog entry here to copy.", severity="warning", timeout=3)
            return
        self.app.copy_to_clipboard(copy_text(entry))
        self.notify(
            f"{short_vendor(entry.vendor)} {entry.code} {entry.name} and its meaning",
            title="Copied",
            timeout=3,
        )

    def _cycle(self, selector: str, values: list[str]) -> None:
        select = self.query_one(selector, Select)
        current = select.value if select.value in values else values[0]
        select.value = values[(values.index(current) + 1) % len(values)]

    def action_cycle_vendor(self) -> None:
        self._cycle("#catalog-vendor", self._vendor_values)

    def action_cycle_retryable(self) -> None:
        self._cycle("#catalog-retryable", [value for _, value in RETRYABLE_OPTIONS])

    def action_decode(self) -> None:
        if self.active_tab != "decode":
            self._switch("decode")
        self._decode_from_pane()

    def action_clear(self) -> None:
        paste = self.query_one("#decode-input", TextArea)
        paste.clear()
        self._decode_from_pane()
        self._focus_now(paste)

    def action_open(self) -> None:
        group = self._highlighted_group()
        if group is None:
            self.notify("No session error to open.", timeout=3)
            return
        self.show_error(group.events[-1])

    def action_next_tab(self) -> None:
        self._switch(TABS[(TABS.index(self.active_tab) + 1) % len(TABS)])

    def action_previous_tab(self) -> None:
        self._switch(TABS[(TABS.index(self.active_tab) - 1) % len(TABS)])

    def action_tab(self, tab: str) -> None:
        if tab in TABS:
            self._switch(tab)

    def action_back(self) -> None:
        search = self.query_one("#catalog-search", Input)
        focused = self.focused
        if focused is search:
            self._focus_now(self.query_one(CatalogTable))
        elif self.active_tab == "catalog" and search.value:
            search.value = ""
        elif focused is self.query_one("#decode-input", TextArea):
            self._focus_now(self.query_one(DecodeResult))


# -- helpers (no widgets) ---------------------------------------------------------------------
def _read_catalog() -> tuple[list[CatalogEntry], list[tuple[str, str]]]:
    from cxconsole.catalog import all_entries, vendor_title, vendors

    return all_entries(), [(vendor_title(v), v) for v in vendors()]


def capture_text(status: int | None, body: str) -> str:
    """What the paste area shows for a known reply: a status line, a blank line, the body."""
    body = body.strip()
    if status is None:
        return body
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    head = f"HTTP/1.1 {status} {phrase}".rstrip()
    return f"{head}\n\n{body}" if body else head


def _readable(body: str) -> str:
    """A compact JSON reply, indented for reading; anything else exactly as it came."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _body_text(body: object) -> str:
    if body is None:
        return ""
    if isinstance(body, (dict, list)):
        return json.dumps(body, indent=2, ensure_ascii=False)
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return str(body)


_SESSION_COLUMNS = list(
    enumerate(("Last", "Vendor", "Code", "Name", "Count", "First", "Where (latest)"))
)


def _session_row(group: ErrorGroup) -> list[str]:
    latest = group.events[-1]
    places = {event.where for event in group.events}
    where = latest.where + (f"  (+{len(places) - 1} other)" if len(places) > 1 else "")
    return [
        _clock(group.last),
        short_vendor(group.vendor),
        group.code or "-",
        group.entry.name if group.entry else "(not in the catalog)",
        str(group.count),
        _clock(group.first),
        where,
    ]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _clock(when: Any) -> str:
    try:
        return when.astimezone().strftime("%H:%M:%S")
    except (AttributeError, ValueError):
        return str(when)


def _origin(error: object) -> str:
    """Where an error came from, in one or two lines, for the top of the decode result."""
    from cxconsole.errorlog import ErrorEvent

    if isinstance(error, ErrorEvent):
        return f"From {error.where}, at {_clock(error.at)}\n{error.message}"
    what = getattr(error, "what", "")
    said = str(error) or type(error).__name__
    return f"From {what}\n{said}" if what else said
