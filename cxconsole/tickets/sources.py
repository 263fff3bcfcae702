"""Which profiles offer detractor tickets: those whose vendor adapter is a ``TicketSource``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from cxconsole.vendors.base import TicketSource, Vendor


class HasAdapter(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def adapter(self) -> Vendor: ...


def offers_tickets(vendor: object) -> bool:
    """Asked once per adapter, never by vendor name: a fifth vendor with tickets just works."""
    return isinstance(vendor, TicketSource)


def ticket_profiles(profiles: Iterable[HasAdapter]) -> list[str]:
    """The names of the profiles whose vendor offers tickets, sorted."""
    return sorted(p.name for p in profiles if offers_tickets(p.adapter))
