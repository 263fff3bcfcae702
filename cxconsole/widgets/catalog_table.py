"""The catalog as a table: vendor, code, name, HTTP status, retryable; one row per entry.

The catalog holds tens of entries, so a DataTable redrawn on every keystroke stays well under a
frame. The name column takes whatever width is left, so the table fits 80 columns and 120.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from cxconsole.widgets.catalog_detail import short_vendor, theme_colours

if TYPE_CHECKING:
    from cxconsole.catalog.entry import CatalogEntry

SHORT_RETRYABLE = {"yes": "yes", "after_pause": "after pause", "never": "never"}
_MIN_NAME = 14
_MAX_CODE = 12  # the client's own codes (UNKNOWN_OUTCOME) are clipped; the pane has them


class CatalogTable(DataTable[Text]):
    """Rows are keyed by their position in :attr:`entries`; cells are Text (never markup)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.entries: list[CatalogEntry] = []
        self._position: dict[CatalogEntry, int] = {}
        self._name_width = 0

    @property
    def highlighted_entry(self) -> CatalogEntry | None:
        if not self.entries or not 0 <= self.cursor_row < len(self.entries):
            return None
        return self.entries[self.cursor_row]

    def show(self, entries: list[CatalogEntry], keep: CatalogEntry | None = None) -> None:
        """Replace the rows; the cursor stays on ``keep`` when it is still listed."""
        self.entries = list(entries)
        self._position = {entry: i for i, entry in enumerate(self.entries)}
        self._redraw()
        if keep is not None:
            self.select(keep)

    def select(self, entry: CatalogEntry) -> bool:
        """Move the cursor to ``entry``; False when the current filter hides it."""
        position = self._position.get(entry)
        if position is None:
            return False
        self.move_cursor(row=position, animate=False)
        return True

    def _widths(self) -> tuple[int, int, int, int]:
        vendor = max((len(short_vendor(e.vendor)) for e in self.entries), default=6)
        code = min(_MAX_CODE, max((len(e.code) for e in self.entries), default=4))
        return max(vendor, 6), max(code, 4), 4, max(len(v) for v in SHORT_RETRYABLE.values())

    def _fit_name(self) -> int:
        vendor, code, http, retry = self._widths()
        # Five columns of padding (1 each side) and room for the vertical scrollbar.
        spare = self.size.width - (vendor + code + http + retry) - 2 * 5 - 2
        return max(_MIN_NAME, spare)

    def _redraw(self) -> None:
        row = self.cursor_row
        vendor_w, code_w, http_w, retry_w = self._widths()
        self._name_width = self._fit_name()
        self.clear(columns=True)
        self.add_column("Vendor", width=vendor_w, key="vendor")
        self.add_column("Code", width=code_w, key="code")
        self.add_column("Name", width=self._name_width, key="name")
        self.add_column("HTTP", width=http_w, key="http")
        self.add_column("Retryable", width=retry_w, key="retryable")
        colours = theme_colours(self.app)
        for i, e in enumerate(self.entries):
            self.add_row(
                Text(short_vendor(e.vendor)),
                Text(_clip(e.code, code_w), style="bold"),
                Text(_clip(e.name, self._name_width)),
                Text("" if e.http_status is None else str(e.http_status), justify="right"),
                Text(
                    SHORT_RETRYABLE.get(e.retryable, e.retryable),
                    style=colours.get(e.retryable, ""),
                ),
                key=str(i),
            )
        if self.entries:
            self.move_cursor(row=min(max(row, 0), len(self.entries) - 1), animate=False)

    def on_resize(self, event: events.Resize) -> None:
        if self.entries and self._fit_name() != self._name_width:
            self._redraw()

    def refresh_colours(self) -> None:
        """Redraw after a theme change: the retryable colours come from the theme."""
        if self.entries:
            self._redraw()


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
