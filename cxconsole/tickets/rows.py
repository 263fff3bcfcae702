"""How a ticket reads in a table (CLI and TUI alike), and search and sort over tickets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from cxconsole.tickets.query import TicketQuery, status_name
from cxconsole.tickets.timeleft import (
    Urgency,
    format_time_left,
    parse_timestamp,
    time_left,
    urgency,
)
from cxconsole.vendors.questionpro import Ticket

SortKey = Literal["time_left", "received", "rating", "ticket", "email"]
SORT_KEYS: tuple[SortKey, ...] = ("time_left", "received", "rating", "ticket", "email")


def format_received(
    ticket: Ticket, tz: Any = None, *, short: bool = False, now: datetime | None = None
) -> str:
    """When the ticket was received, in local time (or ``tz``): ``2020-01-14 23:51``.

    ``short`` (at most 12 cells, for tables) gives ``14 Jan 23:51`` for this year's tickets
    and ``2020-01-14`` for older ones.
    """
    moment = parse_timestamp(ticket.timestamp)
    if moment is None:
        return ticket.timestamp or "?"
    local = moment.astimezone(tz)
    if not short:
        return local.strftime("%Y-%m-%d %H:%M")
    if local.year == (now or datetime.now(UTC)).astimezone(tz).year:
        return local.strftime("%d %b %H:%M")
    return local.strftime("%Y-%m-%d")


def ticket_status(ticket: Ticket, query: TicketQuery | None = None) -> int | None:
    """The status if known: sent by the vendor (not documented) or implied by the filter."""
    extra = (ticket.model_extra or {}).get("status")
    if isinstance(extra, int) and not isinstance(extra, bool):
        return extra
    if isinstance(extra, str) and extra.strip().isdigit():
        return int(extra)
    return query.status if query is not None else None


def one_line(text: str, width: int | None = None) -> str:
    """A comment on one line (newlines and runs of spaces folded), cut to ``width`` with ``…``."""
    flat = " ".join(text.split())
    if width is not None and len(flat) > width:
        return flat[: max(0, width - 1)] + "…"
    return flat


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket as the table shows it (CLI and TUI alike): plain strings plus its urgency."""

    ticket_id: str
    time_left: str
    urgency: Urgency
    rating: str
    status: str
    comment: str
    email: str
    phone: str
    received: str


def ticket_row(
    ticket: Ticket,
    query: TicketQuery | None = None,
    *,
    now: datetime | None = None,
    comment_width: int | None = None,
    tz: Any = None,
    short: bool = False,
) -> TicketRow:
    left = time_left(ticket, now)
    return TicketRow(
        ticket_id=str(ticket.ticketID),
        time_left=format_time_left(left),
        urgency=urgency(left),
        rating=ticket.rating,
        status=status_name(ticket_status(ticket, query)),
        comment=one_line(ticket.comment, comment_width),
        email=ticket.emailAddress,
        phone=ticket.phoneNumber,
        received=format_received(ticket, tz, short=short, now=now),
    )


def search_tickets(tickets: Iterable[Ticket], text: str) -> list[Ticket]:
    """Tickets whose id, e-mail, phone, rating or comment contains ``text`` (any case)."""
    needle = text.casefold().strip()
    if not needle:
        return list(tickets)
    return [
        t
        for t in tickets
        if needle
        in "\n".join(
            (str(t.ticketID), t.emailAddress, t.phoneNumber, t.rating, t.comment)
        ).casefold()
    ]


def sort_tickets(
    tickets: Iterable[Ticket],
    key: SortKey,
    *,
    reverse: bool = False,
    now: datetime | None = None,
) -> list[Ticket]:
    """Sorted copy; tickets lacking the key go last whichever the direction."""
    moment = now or datetime.now(UTC)

    def value(t: Ticket) -> Any:
        if key == "time_left":
            left = time_left(t, moment)
            return None if left is None else left.total_seconds()
        if key == "received":
            received = parse_timestamp(t.timestamp)
            return None if received is None else received.timestamp()
        if key == "rating":
            return int(t.rating) if t.rating.strip().lstrip("-").isdigit() else None
        if key == "email":
            return t.emailAddress.casefold() or None
        return t.ticketID

    items = list(tickets)
    known = [t for t in items if value(t) is not None]
    unknown = [t for t in items if value(t) is None]
    return sorted(known, key=value, reverse=reverse) + unknown
