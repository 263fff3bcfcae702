"""The ticket detail pane: the whole comment and every field, with what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

if TYPE_CHECKING:
    from cxconsole.tickets.query import TicketQuery
    from cxconsole.vendors.questionpro import Ticket

HINT = "c copy e-mail  ·  C copy phone  ·  esc close"


class TicketDetail(VerticalScroll):
    """Scrollable, so a 2,000-character comment reads fine on an 80x24 terminal."""

    DEFAULT_CSS = """
    TicketDetail {
        display: none;
        width: 52;
        max-width: 50%;
        height: 1fr;
        border: round $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    TicketDetail.-open { display: block; }
    TicketDetail > Static { width: 100%; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.ticket: Ticket | None = None
        self.urgency_styles: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="detail-body")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self, ticket: Ticket | None, query: TicketQuery | None) -> None:
        self.add_class("-open")
        self.show(ticket, query)

    @property
    def _muted(self) -> str:
        # Muted, not "dim": a terminal's dim halves the contrast below 4.5:1.
        from cxconsole.colours import rich_colour

        return rich_colour(self.app.theme_variables, "text-muted")

    def close(self) -> None:
        self.remove_class("-open")

    def show(self, ticket: Ticket | None, query: TicketQuery | None) -> None:
        self.ticket = ticket
        body = self.query_one("#detail-body", Static)
        if ticket is None:
            self.border_title = "Ticket"
            body.update(Text("No ticket on this page.", style=self._muted))
            return
        self.border_title = f"Ticket {ticket.ticketID}"
        self.border_subtitle = HINT
        body.update(self._fields(ticket, query))
        self.scroll_home(animate=False)

    def _fields(self, ticket: Ticket, query: TicketQuery | None) -> Group:
        from cxconsole.tickets.query import status_name
        from cxconsole.tickets.rows import ticket_status
        from cxconsole.tickets.timeleft import due_at, format_time_left, time_left, urgency

        left = time_left(ticket)
        grade = urgency(left)
        due = due_at(ticket)
        fields = Table.grid(padding=(0, 1))
        fields.add_column(style=self._muted, no_wrap=True)
        fields.add_column(overflow="fold")
        when = Text(format_time_left(left), style=self.urgency_styles.get(grade, ""))
        if grade == "overdue":
            when.append("  OVERDUE", style=self.urgency_styles.get("overdue", "bold"))
        fields.add_row("Time left", when)
        if due is not None:
            fields.add_row("Due", due.astimezone().strftime("%Y-%m-%d %H:%M %Z"))
        fields.add_row("Received", _received(ticket, self._muted))
        limit = f"{ticket.timelimit} h" if ticket.timelimit is not None else "not given"
        fields.add_row("Time limit", limit)
        status = status_name(ticket_status(ticket, query))
        fields.add_row("Status", status or Text("not in the reply", style=self._muted))
        fields.add_row("Rating", ticket.rating or Text("not given", style=self._muted))
        fields.add_row("E-mail", ticket.emailAddress or Text("none", style=self._muted))
        fields.add_row("Phone", ticket.phoneNumber or Text("none", style=self._muted))
        fields.add_row("Ticket ID", str(ticket.ticketID))
        fields.add_row("Response ID", str(ticket.responseID or "-"))
        for name, value in (ticket.model_extra or {}).items():
            fields.add_row(name, str(value))
        muted = "" if ticket.comment else self._muted
        comment = Text(ticket.comment or "(no comment)", style=muted)
        return Group(fields, Text(""), Text("Comment", style="bold"), comment)


def _received(ticket: Ticket, muted: str) -> Text:
    """Local time first (what the operator thinks in), then the vendor's own UTC stamp."""
    from cxconsole.tickets.rows import format_received

    text = Text(format_received(ticket) + " local")
    if ticket.timestamp:
        text.append(f"\n{ticket.timestamp}", style=muted)
    return text
