"""The session's error log: every vendor error met, grouped, counted and traced to its source.

Imports, ticket paging and connection tests report here; the error inspector lists it. It is
in-memory and core (no UI): the TUI reads it, tests assert on it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cxconsole.catalog.entry import CatalogEntry, Decoded

if TYPE_CHECKING:
    from typing import TypedDict, Unpack

    class Where(TypedDict, total=False):
        """Where an error was met: the optional fields of :class:`ErrorEvent`."""

        profile: str | None
        run_id: str | None
        batch: int | None
        page: int | None


log = logging.getLogger("cxconsole.errorlog")


@dataclass(slots=True)
class ErrorEvent:
    """One error met: what it was, when, and where it came from."""

    vendor: str
    code: str | None
    entry: CatalogEntry | None
    message: str
    source: str  # "import", "tickets", "connection test", ...
    profile: str | None = None
    run_id: str | None = None
    batch: int | None = None
    page: int | None = None
    status: int | None = None
    body: str = ""  # the redacted raw reply, for the inspector's decode pane
    decoded: Decoded | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def where(self) -> str:
        parts = [self.source]
        if self.profile:
            parts.append(f"profile {self.profile}")
        if self.run_id:
            parts.append(f"run {self.run_id}")
        if self.batch is not None:
            parts.append(f"batch {self.batch}")
        if self.page is not None:
            parts.append(f"page {self.page}")
        return ", ".join(parts)


@dataclass(slots=True)
class ErrorGroup:
    vendor: str
    code: str | None
    entry: CatalogEntry | None
    count: int
    first: datetime
    last: datetime
    events: list[ErrorEvent]


class ErrorHistory:
    """Thread-safe, bounded list of the session's errors, with listeners for live views."""

    def __init__(self, limit: int = 5000) -> None:
        self.limit = limit
        self._events: list[ErrorEvent] = []
        self._lock = threading.Lock()
        self._listeners: list[Callable[[ErrorEvent], None]] = []

    def subscribe(self, listener: Callable[[ErrorEvent], None]) -> Callable[[], None]:
        """Call ``listener`` with each new event; returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self.unsubscribe(listener)

    def unsubscribe(self, listener: Callable[[ErrorEvent], None]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def record_error(self, error: object, source: str, **where: Unpack[Where]) -> ErrorEvent:
        """Record a :class:`cxconsole.client.VendorError` (or any exception) met in ``source``."""
        event = ErrorEvent(
            vendor=str(getattr(error, "vendor", "cxconsole")),
            code=getattr(error, "code", None),
            entry=getattr(error, "entry", None),
            message=str(error),
            source=source,
            status=getattr(error, "status", None),
            body=str(getattr(error, "body", "") or ""),
            decoded=getattr(error, "decoded", None),
            **where,
        )
        self.add(event)
        return event

    def add(self, event: ErrorEvent) -> None:
        with self._lock:
            self._events.append(event)
            del self._events[: -self.limit]
        for listener in list(self._listeners):
            # A broken view must not break whoever met the error (an import worker, say).
            try:
                listener(event)
            except Exception:
                log.exception("error history listener failed")

    def events(self) -> list[ErrorEvent]:
        with self._lock:
            return list(self._events)

    def groups(self) -> list[ErrorGroup]:
        groups: dict[tuple[str, str | None], ErrorGroup] = {}
        for event in self.events():
            key = (event.vendor, event.code)
            group = groups.get(key)
            if group is None:
                groups[key] = ErrorGroup(
                    event.vendor, event.code, event.entry, 1, event.at, event.at, [event]
                )
            else:
                group.count += 1
                group.last = event.at
                group.events.append(event)
        return sorted(groups.values(), key=lambda g: g.last, reverse=True)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)
