"""The time-left rules: when a ticket is due, how urgent it is, and how that reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal

from cxconsole.vendors.questionpro import Ticket

URGENT = timedelta(hours=4)
SOON = timedelta(hours=24)

Urgency = Literal["overdue", "urgent", "soon", "ok", "unknown"]
#: Home's picture of a profile's tickets: overdue, due within 24 h, within 72 h, later.
Bucket = Literal["overdue", "24h", "72h", "later", "unknown"]
BUCKETS: tuple[Bucket, ...] = ("overdue", "24h", "72h", "later", "unknown")


def parse_timestamp(value: str) -> datetime | None:
    """QuestionPro's ``2020-01-14T12:51:48.000+0000`` (or any ISO 8601) as an aware datetime."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # No offset given: the vendor writes UTC everywhere else.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_at(ticket: Ticket) -> datetime | None:
    received = parse_timestamp(ticket.timestamp)
    if received is None or ticket.timelimit is None:
        return None
    return received + timedelta(hours=ticket.timelimit)


def time_left(ticket: Ticket, now: datetime | None = None) -> timedelta | None:
    """timestamp + timelimit hours - now; negative when overdue, None when unknown."""
    due = due_at(ticket)
    return None if due is None else due - (now or datetime.now(UTC))


def is_overdue(ticket: Ticket, now: datetime | None = None) -> bool:
    left = time_left(ticket, now)
    return left is not None and left < timedelta(0)


def urgency(left: timedelta | None) -> Urgency:
    if left is None:
        return "unknown"
    if left < timedelta(0):
        return "overdue"
    if left < URGENT:
        return "urgent"
    if left < SOON:
        return "soon"
    return "ok"


def bucket(left: timedelta | None) -> Bucket:
    if left is None:
        return "unknown"
    if left < timedelta(0):
        return "overdue"
    if left < timedelta(hours=24):
        return "24h"
    if left < timedelta(hours=72):
        return "72h"
    return "later"


def bucket_counts(tickets: Iterable[Ticket], now: datetime | None = None) -> dict[Bucket, int]:
    """How many tickets fall in each time-left bucket (every bucket present, zeros included)."""
    moment = now or datetime.now(UTC)
    counts: dict[Bucket, int] = dict.fromkeys(BUCKETS, 0)
    for ticket in tickets:
        counts[bucket(time_left(ticket, moment))] += 1
    return counts


def format_time_left(left: timedelta | None) -> str:
    """``-3d 4h`` (overdue), ``5h 12m``, ``12m``; ``?`` when unknown."""
    if left is None:
        return "?"
    sign = "-" if left < timedelta(0) else ""
    minutes = int(abs(left).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {mins}m"
    return f"{sign}{mins}m"
