"""A ticket query (profile, segment, status, page size) and its limits."""

from __future__ import annotations

from dataclasses import dataclass

from cxconsole.errors import TicketsError
from cxconsole.vendors.questionpro import TICKET_STATUSES

DEFAULT_PER_PAGE = 50
PER_PAGE_CHOICES: tuple[int, ...] = (25, 50, 100, 200)
MAX_PER_PAGE = 1000  # a guard against typos; the vendor documents no maximum

__all__ = ["TicketQuery", "TicketsError", "status_name"]


def status_name(status: int | None) -> str:
    if status is None:
        return ""
    return TICKET_STATUSES.get(status, str(status))


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """What is being paged: one profile's tickets, filtered, at a page size. The cache key."""

    profile: str
    segment: int | None = None
    status: int | None = None
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise TicketsError(
                f"per page must be between 1 and {MAX_PER_PAGE}, not {self.per_page}"
            )
        if self.status is not None and self.status not in TICKET_STATUSES:
            known = ", ".join(f"{k} {v}" for k, v in TICKET_STATUSES.items())
            raise TicketsError(f"unknown ticket status {self.status} (known: {known})")

    def describe(self) -> str:
        segment = f"segment {self.segment}" if self.segment is not None else "all segments"
        status = status_name(self.status) if self.status is not None else "any status"
        return f"{self.profile}: {segment}, {status}, {self.per_page} per page"
