"""One catalog entry in full: the vendor's words, the meaning, what to do, retryable, docs.

:class:`EntryFields` is shared by the catalog's detail pane and the decode result, so a code
reads the same wherever the operator meets it. Text from the catalog or a reply is never parsed
as markup (a pasted body may hold square brackets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from cxconsole.catalog.entry import CatalogEntry

RETRYABLE_LABEL = {"yes": "yes", "after_pause": "after a pause", "never": "never"}
RETRYABLE_HINT = {
    "yes": "safe to send again as it is",
    "after_pause": "wait (Retry-After, a minute), then send again",
    "never": "sending it again fails the same way: fix the cause first",
}
#: theme_colours() key -> the theme variable it reads.
_THEME = {
    "primary": "text-primary",
    "yes": "text-success",
    "after_pause": "text-warning",
    "never": "text-error",
}

# (row id, label) in display order; "reply" and "also" are optional extras.
_ROWS = (
    ("said", "Vendor says"),
    ("reply", "Reply says"),
    ("meaning", "Meaning"),
    ("action", "What to do"),
    ("retryable", "Retryable"),
    ("docs", "Docs"),
    ("also", "Same code"),
)


def short_vendor(vendor: str) -> str:
    """A narrow column's vendor name: the first word of the catalog's title."""
    from cxconsole.catalog import vendor_title

    return vendor_title(vendor).split()[0]


def same_code_elsewhere(entry: CatalogEntry) -> str:
    """Other vendors' entries with this code: the same number means something else there."""
    from cxconsole.catalog import all_entries, vendor_title

    others = [
        f"{vendor_title(e.vendor)} {e.code} {e.name}"
        for e in all_entries()
        if e.code.upper() == entry.code.upper() and e.vendor != entry.vendor
    ]
    return "; ".join(others)


def copy_text(entry: CatalogEntry) -> str:
    """What ``c`` puts on the clipboard: enough to paste into a ticket or a chat."""
    from cxconsole.catalog import vendor_title

    http = f" (HTTP {entry.http_status})" if entry.http_status is not None else ""
    return (
        f"{vendor_title(entry.vendor)} {entry.code} {entry.name}{http}: {entry.meaning}\n"
        f"What to do: {entry.action}"
    )


class EntryFields(Static):
    """Label/value rows for one entry, as one rich grid: one widget to update per keypress
    (a widget per row cost a relayout of two dozen widgets on every cursor move)."""

    DEFAULT_CSS = """
    EntryFields { height: auto; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.entry: CatalogEntry | None = None
        self._reply_says: str | None = None
        self._advice_context: str | None = None

    def show(
        self,
        entry: CatalogEntry | None,
        *,
        reply_says: str | None = None,
        context: str | None = "catalog",
    ) -> None:
        """Show an entry; ``context`` (catalog, import, tickets, ...) picks its advice."""
        self.entry, self._reply_says, self._advice_context = entry, reply_says, context
        self.display = entry is not None
        self.update(self._render_entry() if entry is not None else "")

    def refresh_theme(self) -> None:
        """Draw again with the new theme's colours."""
        if self.entry is not None:
            self.update(self._render_entry())

    def _render_entry(self) -> RenderableType:
        from cxconsole.catalog import vendor_title

        entry = self.entry
        assert entry is not None
        colour = theme_colours(self.app)
        http = f"HTTP {entry.http_status}" if entry.http_status is not None else "HTTP -"
        heading = Text.assemble(
            (vendor_title(entry.vendor), "bold"),
            "  ",
            (entry.code, f"bold {colour['primary']}"),
            "  ",
            (entry.name, "bold"),
            (f"  · {http}", "dim"),
            ("  · success code", colour["yes"]) if entry.ok else "",
        )
        retry_label = RETRYABLE_LABEL.get(entry.retryable, entry.retryable)
        retry = Text.assemble(
            (retry_label, f"bold {colour.get(entry.retryable, '')}".strip()),
            (f"  {RETRYABLE_HINT.get(entry.retryable, '')}", "dim"),
        )
        values: dict[str, str | Text] = {
            "said": entry.message,
            "meaning": entry.meaning,
            "action": entry.action_for("tui", self._advice_context),
            "retryable": retry,
            "docs": entry.docs or "",
            "also": same_code_elsewhere(entry),
        }
        reply = self._reply_says
        if reply and reply.strip() != entry.message.strip():
            values["reply"] = reply
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=11, no_wrap=True, style="bold dim")
        grid.add_column(ratio=1, overflow="fold")  # a long docs URL breaks, never clips
        for key, label in _ROWS:
            value = values.get(key)
            if value:
                if grid.row_count:
                    grid.add_row("", "")
                grid.add_row(label, value if isinstance(value, Text) else Text(value))
        return Group(heading, Text(""), grid)


def theme_colours(app: App[object]) -> dict[str, str]:
    """Rich colours from the theme (rich cannot read Textual's ``$variables``)."""
    from rich.color import Color, ColorParseError

    out: dict[str, str] = {}
    for key, variable in _THEME.items():
        value = app.theme_variables.get(variable, "")
        try:
            Color.parse(value)
        except ColorParseError:
            value = ""
        out[key] = value
    return out


class CatalogDetail(VerticalScroll):
    """The catalog's detail pane: scrolls, so a long meaning reads fine at 80x24."""

    DEFAULT_CSS = """
    CatalogDetail {
        width: 50;
        min-width: 30;
        height: 1fr;
        border: round $panel;
        border-title-color: $text-primary;
        padding: 0 1;
    }
    CatalogDetail:focus-within { border: round $primary; }
    CatalogDetail > #catalog-detail-empty { color: $text-muted; height: auto; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.entry: CatalogEntry | None = None

    def compose(self) -> ComposeResult:
        yield Static("No entry highlighted.", id="catalog-detail-empty")
        yield EntryFields()

    def on_mount(self) -> None:
        self.border_title = "Entry"
        self.border_subtitle = "c copy"

    def show(self, entry: CatalogEntry | None) -> None:
        if entry is self.entry and entry is not None:
            return  # a redraw of the table re-highlights the same row: nothing to do
        self.entry = entry
        self.query_one("#catalog-detail-empty").display = entry is None
        self.query_one(EntryFields).show(entry)
        self.scroll_home(animate=False)
