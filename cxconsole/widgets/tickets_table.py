"""The detractor tickets table: one page (or search result), time left coloured by urgency.

A line-API widget (``ScrollView.render_line``), not a DataTable: a DataTable renders every
visible cell through Rich on each new page, which alone takes longer than the 50 ms we allow
from a key to a cached page on screen. Here a row is a handful of segments, built once a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

if TYPE_CHECKING:
    from cxconsole.tickets.query import TicketQuery
    from cxconsole.tickets.rows import TicketRow
    from cxconsole.vendors.questionpro import Ticket


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int


#: Columns in order of importance to drop on a narrow terminal (least important first).
DROP_ORDER = ("received", "phone", "status", "rating")
MIN_COMMENT = 18
PAD = 1  # cells of padding either side of a cell, as a DataTable has
NONE = "\u2013"  # an en dash for "not given": quieter than a hyphen
# C0 and C1 control characters from vendor data would reach the terminal as escape codes.
_CONTROLS = {c: "\ufffd" for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))}


def layout(
    width: int,
    show_status: bool,
    email_width: int = 30,
    *,
    id_width: int = 6,
    left_width: int = 7,
) -> list[Column]:
    """Columns that fit ``width`` cells; the comment takes what is left, optional ones go.

    The ticket id and the time left are never cut (``-19d 2h`` cut to ``-19d 2…`` misleads):
    they are as wide as their widest value, and other columns give way first.
    """
    columns = [
        Column("ticket", "Ticket", max(6, id_width)),
        Column("left", "Left", max(7, left_width)),
        Column("rating", "Rating", 6),
        Column("status", "Status", 9),
        Column("comment", "Comment", MIN_COMMENT),
        Column("email", "E-mail", max(12, email_width)),
        Column("phone", "Phone", 13),
        Column("received", "Received", 12),
    ]
    if not show_status:
        columns = [c for c in columns if c.key != "status"]

    def spare(cols: list[Column]) -> int:
        # Keep 2 cells for the vertical scrollbar.
        return width - 2 - sum(c.width + 2 * PAD for c in cols)

    for key in DROP_ORDER:
        if spare(columns) >= 0:
            break
        columns = [c for c in columns if c.key != key]
    if spare(columns) < 0:  # still too wide: the e-mail gives way before the comment does
        columns = [
            Column(c.key, c.label, max(12, c.width + spare(columns))) if c.key == "email" else c
            for c in columns
        ]
    extra = max(0, spare(columns))
    return [Column(c.key, c.label, c.width + extra) if c.key == "comment" else c for c in columns]


def fit(text: str, width: int, right: bool = False) -> str:
    """Exactly ``width`` cells: padded, or cut with an ellipsis (wide characters count two)."""
    size = cell_len(text)
    if size <= width:
        pad = " " * (width - size)
        return pad + text if right else text + pad
    return set_cell_size(text, max(0, width - 1)) + "…"


class TicketsTable(ScrollView, can_focus=True):
    """Tickets, a row each, with a header line that never scrolls away and a row cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Detail", id="tickets.detail"),
        Binding("up", "cursor(-1)", "Up", id="tickets.cursor_up", show=False),
        Binding("down", "cursor(1)", "Down", id="tickets.cursor_down", show=False),
        Binding("pageup", "cursor_page(-1)", "Page up", id="tickets.cursor_page_up", show=False),
        Binding(
            "pagedown", "cursor_page(1)", "Page down", id="tickets.cursor_page_down", show=False
        ),
        Binding("home", "cursor_to(0)", "First row", id="tickets.cursor_first", show=False),
        Binding("end", "cursor_to(-1)", "Last row", id="tickets.cursor_last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tickets-table--header",
        "tickets-table--cursor",
        "tickets-table--even-row",
        "tickets-table--odd-row",
    }
    DEFAULT_CSS = """
    TicketsTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        &:focus { background-tint: $foreground 5%; }
        & > .tickets-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .tickets-table--odd-row { }
        & > .tickets-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .tickets-table--even-row { background: $surface-darken-1 40%; }
        & > .tickets-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .tickets-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        &.-stale { opacity: 70%; }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=False, repaint=True, init=False)

    class Selected(Message):
        """Enter (or a click on the cursor row) on a ticket."""

        def __init__(self, table: TicketsTable, index: int, ticket: Ticket) -> None:
            super().__init__()
            self.table, self.index, self.ticket = table, index, ticket

    class Highlighted(Message):
        """The cursor moved to another ticket."""

        def __init__(self, table: TicketsTable, index: int, ticket: Ticket | None) -> None:
            super().__init__()
            self.table, self.index, self.ticket = table, index, ticket

    class HeaderClicked(Message):
        """A click on a column label (the screen sorts by it)."""

        def __init__(self, table: TicketsTable, column: str) -> None:
            super().__init__()
            self.table, self.column = table, column

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tickets: list[Ticket] = []
        self.columns: list[Column] = []
        self.styles_for: dict[str, str] = {}  # urgency -> Rich style (from the theme)
        self.sort_marker: tuple[str, bool] | None = None  # (column key, descending)
        self._query: TicketQuery | None = None
        self._cells: list[dict[str, str]] = []
        self._urgency: list[str] = []
        self._strips: dict[tuple[int, bool], Strip] = {}

    # -- data ----------------------------------------------------------------------------------
    @property
    def ticket(self) -> Ticket | None:
        """The ticket under the cursor."""
        if 0 <= self.cursor_row < len(self.tickets):
            return self.tickets[self.cursor_row]
        return None

    @property
    def row_count(self) -> int:
        return len(self.tickets)

    def show(
        self,
        tickets: Sequence[Ticket],
        query: TicketQuery | None,
        *,
        keep_cursor: bool = False,
        now: datetime | None = None,
    ) -> None:
        """Replace the rows; the cursor goes to the top unless ``keep_cursor``."""
        from cxconsole.tickets.rows import ticket_row

        self.tickets = list(tickets)
        self._query = query
        rows = [ticket_row(t, query, now=now, short=True) for t in self.tickets]
        self._cells = [_cells(row) for row in rows]
        self._urgency = [row.urgency for row in rows]
        self.columns = self._layout()
        self._strips.clear()
        self.virtual_size = Size(self.size.width, len(self.tickets) + 1)
        row = min(self.cursor_row, len(self.tickets) - 1) if keep_cursor else 0
        self.set_reactive(TicketsTable.cursor_row, max(0, row))
        if not keep_cursor:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_row, self.ticket))

    def relayout(self) -> None:
        """Fit the columns to a new width (a resize, the detail pane)."""
        columns = self._layout()
        if columns != self.columns:
            self.columns = columns
            self._strips.clear()
            self.virtual_size = Size(self.size.width, len(self.tickets) + 1)
            self.refresh()

    def get_row_at(self, index: int) -> list[Text]:
        """The row's cells as styled text (what the screen shows, for tests and copying)."""
        cells = self._cells[index]
        urgency = self.styles_for.get(self._urgency[index], "")
        return [Text(cells[c.key], style=urgency if c.key == "left" else "") for c in self.columns]

    def _layout(self) -> list[Column]:
        show_status = any(cells["status"] != NONE for cells in self._cells)
        width = self.size.width or self.app.size.width
        email = max((cell_len(t.emailAddress) for t in self.tickets), default=12)
        # On a narrow terminal the comment matters more than a long e-mail address.
        return layout(
            width,
            show_status,
            min(email, 30 if width >= 110 else 24),
            id_width=max((cell_len(cells["ticket"]) for cells in self._cells), default=6),
            left_width=max((cell_len(cells["left"]) for cells in self._cells), default=7),
        )

    # -- cursor --------------------------------------------------------------------------------
    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        if not self.tickets:
            return
        row = max(0, min(row, len(self.tickets) - 1))
        if row != self.cursor_row:
            self.cursor_row = row
            self.post_message(self.Highlighted(self, row, self.ticket))
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = round(self.scroll_offset.y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step)

    def action_cursor_page(self, step: int) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        self.move_cursor(row=self.cursor_row + step * visible)

    def action_cursor_to(self, row: int) -> None:
        self.move_cursor(row=row if row >= 0 else len(self.tickets) - 1)

    def action_select(self) -> None:
        ticket = self.ticket
        if ticket is not None:
            self.post_message(self.Selected(self, self.cursor_row, ticket))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = 0
            for column in self.columns:
                x += column.width + 2 * PAD
                if offset.x < x:
                    self.post_message(self.HeaderClicked(self, column.key))
                    return
            return
        index = round(self.scroll_offset.y) + offset.y - 1
        if 0 <= index < len(self.tickets):
            if index == self.cursor_row:
                self.action_select()
            else:
                self.move_cursor(row=index)

    def on_resize(self, event: events.Resize) -> None:
        self.relayout()

    # -- rendering -----------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header(width)
        index = round(self.scroll_offset.y) + y - 1
        if not 0 <= index < len(self.tickets):
            return Strip.blank(width, self.rich_style)
        cursor = index == self.cursor_row
        strip = self._strips.get((index, cursor))
        if strip is None:
            strip = self._row(index, cursor, width)
            if len(self._strips) > 4096:
                self._strips.clear()
            self._strips[(index, cursor)] = strip
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("tickets-table--header")
        segments = []
        for column in self.columns:
            label = column.label
            if self.sort_marker and self.sort_marker[0] == column.key:
                label += " ▼" if self.sort_marker[1] else " ▲"
            right = column.key == "left"
            segments.append(Segment(" " + fit(label, column.width, right) + " ", style))
        return Strip(segments).extend_cell_length(width, style).crop(0, width)

    def _row(self, index: int, cursor: bool, width: int) -> Strip:
        if cursor:
            base = self.get_component_rich_style("tickets-table--cursor")
        else:
            zebra = "tickets-table--even-row" if index % 2 else "tickets-table--odd-row"
            base = self.get_component_rich_style(zebra)
        cells = self._cells[index]
        segments = []
        for column in self.columns:
            style = base
            if column.key == "left" and not cursor:
                style = base + Style.parse(self.styles_for.get(self._urgency[index], "") or "")
            elif cells[column.key] == NONE:
                style = base + Style(dim=True)
            text = fit(cells[column.key], column.width, right=column.key == "left")
            segments.append(Segment(" " + text + " ", style))
        return Strip(segments).extend_cell_length(width, base).crop(0, width)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._strips.pop((old, True), None)
        self._strips.pop((new, False), None)


def _cells(row: TicketRow) -> dict[str, str]:
    return {
        "ticket": row.ticket_id,
        "left": row.time_left,
        "rating": row.rating or NONE,
        "status": row.status or NONE,
        "comment": row.comment.translate(_CONTROLS),
        "email": row.email.translate(_CONTROLS),
        "phone": row.phone.translate(_CONTROLS) or NONE,
        "received": row.received,
    }
