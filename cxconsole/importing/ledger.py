"""What a run knows of its rows while it goes: the journal, the rejects file, the counts and the
events that say so. The run and its sender share one ledger; neither keeps a count of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from cxconsole.importing.entries import Ack, Failed, Lost, Refused, Send, Unknown
from cxconsole.importing.events import EventHub, RowsRejected
from cxconsole.importing.rejects import Reject, RejectsFile

if TYPE_CHECKING:
    from cxconsole.errorlog import ErrorHistory
    from cxconsole.errors import VendorError
    from cxconsole.importing.entries import Entry
    from cxconsole.importing.records import Item

#: The entries that answer a part's Send: once one is durable, the part is no longer in flight.
ANSWERS = (Ack, Refused, Unknown, Failed, Lost)


class Ledger:
    """The run's bookkeeping: one place that journals, lists rejects and counts rows."""

    def __init__(
        self,
        hub: EventHub,
        write: Callable[[Entry, bool], Awaitable[None]],
        *,
        run_id: str,
        profile: str,
        rows_imported: int = 0,
        errors: ErrorHistory | None = None,
    ) -> None:
        self.hub = hub
        self._write = write
        self.run_id = run_id
        self.profile = profile
        self.errors = errors
        self.rejects: RejectsFile | None = None  # opened with the run
        self.rows_imported = rows_imported  # earlier sessions' included
        self.rows_rejected = 0  # this session's
        self.rows_unknown = 0  # this session's, among the rejected: the vendor may hold them
        self.session_rows_done = 0  # rows with an outcome in this session: the rate
        # (batch, part) -> its rows, from the moment its Send is durable (the request may
        # leave) to the moment an answer to it is: what the vendor may hold unheard of. The
        # same rule as the journal's replay, so this session and a resume say the same.
        self.in_flight: dict[tuple[int, str], list[Item]] = {}

    async def write(self, entry: Entry, *, sync: bool = True) -> None:
        """Journal one entry (raises ``DiskError`` once the journal cannot be written)."""
        await self._write(entry, sync)
        if isinstance(entry, ANSWERS):
            self.in_flight.pop((entry.batch, entry.part), None)

    async def intend(self, intent: Send, items: list[Item]) -> None:
        """Journal a part's intent, durable before its request leaves. Should it fail (a full
        disk), no request is made: its rows are not sent, never "unknown"."""
        await self._write(intent, True)
        self.in_flight[(intent.batch, intent.part)] = items

    def take_in_flight(self, batch: int) -> list[Item]:
        """The rows of ``batch`` whose request may have left without a durable answer (a
        run stopped in flight, or a disk that refused the answer): of unknown outcome."""
        items: list[Item] = []
        for key in [key for key in self.in_flight if key[0] == batch]:
            items.extend(self.in_flight.pop(key))
        return items

    def imported(self, rows: int) -> None:
        self.rows_imported += rows
        self.session_rows_done += rows

    def rejected(self, batch: int | None, kind: str, rejects: list[Reject]) -> None:
        """Rows listed in the rejects file (by whoever wrote them): counted and announced."""
        if not rejects:
            return
        self.rows_rejected += len(rejects)
        if kind == "unknown":
            self.rows_unknown += len(rejects)
        self.session_rows_done += len(rejects)
        self.hub.emit(
            RowsRejected(
                batch,
                kind,
                tuple(r.line for r in rejects),
                tuple(f"{r.field}: {r.reason}" if r.field else r.reason for r in rejects),
            )
        )

    def record_error(self, exc: VendorError, batch: int) -> None:
        """A vendor error, into the session's error log (the inspector shows it)."""
        if self.errors is not None:
            self.errors.record_error(
                exc, "import", profile=self.profile, run_id=self.run_id, batch=batch
            )
