"""The detractor tickets table: one page (or search result), time left coloured by urgency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

if TYPE_CHECKING:
    from cxconsole.tickets import TicketQuery, TicketRow
    from cxconsole.vendors.questionpro import Ticket


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = False


#: Columns in order of importance to drop on a narrow terminal (least important first).
DROP_ORDER = ("received", "phone", "status", "rating")
MIN_COMMENT = 18
NONE = "\u2013"  # an en dash for "not given": quieter than a hyphen


def layout(width: int, show_status: bool, email_width: int = 30) -> list[Column]:
    """Columns that fit ``width`` cells; the comment takes what is left, optional ones go."""
    columns = [
        Column("ticket", "Ticket", 6, right=True),
        Column("left", "Left", 7, right=True),
        Column("rating", "Rating", 6, right=True),
        Column("status", "Status", 9),
        Column("comment", "Comment", MIN_COMMENT),
        Column("email", "E-mail", max(12, email_width)),
        Column("phone", "Phone", 13),
        Column("received", "Received", 12),
    ]
    if not show_status:
        columns = [c for c in columns if c.key != "status"]

    def spare(cols: list[Column]) -> int:
        # Each DataTable cell has one cell of padding either side; keep 2 for the scrollbar.
        return width - 2 - sum(c.width + 2 for c in cols)

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


class TicketsTable(DataTable[Any]):
    """A DataTable that knows tickets: ``show`` a list, ``ticket`` under the cursor."""

    DEFAULT_CSS = """
    TicketsTable { height: 1fr; }
    TicketsTable.-stale { opacity: 70%; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.tickets: list[Ticket] = []
        self.styles_for: dict[str, str] = {}
        self._columns: list[Column] = []
        self._query: TicketQuery | None = None

    @property
    def ticket(self) -> Ticket | None:
        """The ticket under the cursor."""
        if not self.tickets or not 0 <= self.cursor_row < len(self.tickets):
            return None
        return self.tickets[self.cursor_row]

    def show(
        self,
        tickets: Sequence[Ticket],
        query: TicketQuery | None,
        *,
        keep_cursor: bool = False,
        now: datetime | None = None,
    ) -> None:
        """Replace the rows (and the columns, if the width or the status column changed)."""
        from cxconsole.tickets import ticket_row, ticket_status

        cursor = self.cursor_row if keep_cursor else 0
        show_status = any(ticket_status(t, query) is not None for t in tickets)
        width = self.size.width or self.app.size.width
        email = max((len(t.emailAddress) for t in tickets), default=12)
        columns = layout(width, show_status, min(email, 30))
        self.tickets = list(tickets)
        self._query = query
        if columns != self._columns:
            self.clear(columns=True)
            for col in columns:
                self.add_column(col.label, width=col.width, key=col.key)
            self._columns = columns
        else:
            self.clear()
        rows = [ticket_row(t, query, now=now, short=True) for t in tickets]
        self.add_rows(self._cells(row) for row in rows)
        if self.tickets:
            self.move_cursor(row=min(cursor, len(self.tickets) - 1), animate=False)

    def relayout(self) -> None:
        """Recompute the columns for a new width (a resize) and redraw the same rows."""
        self._columns = []
        self.show(self.tickets, self._query, keep_cursor=True)

    def _cells(self, row: TicketRow) -> list[Any]:
        cells: dict[str, Any] = {
            "ticket": Text(row.ticket_id, justify="right"),
            "left": Text(
                row.time_left, style=self.styles_for.get(row.urgency, ""), justify="right"
            ),
            "rating": Text(row.rating or NONE, justify="right"),
            "status": row.status or NONE,
            "comment": Text(row.comment, no_wrap=True, overflow="ellipsis"),
            "email": Text(row.email, no_wrap=True, overflow="ellipsis"),
            "phone": row.phone or Text(NONE, style="dim"),
            "received": row.received,
        }
        return [cells[c.key] for c in self._columns]
