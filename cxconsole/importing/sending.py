"""How one batch is sent (:class:`Sender`), and what became of each of its rows.

Rows the vendor named are rejected and the rest sent again; a refusal naming no row splits the
batch in halves until the bad rows stand alone; a lost reply leaves the rows "unknown" and
never sent again by themselves (a vendor that recognises what it holds, Noojee, gets them
again at once); anything else fails the batch, to be retried later (``retry_failed()``, or a
resume). Every step is journalled through the run's ledger: the intent before the request
leaves (so a crash in flight reads as "unknown" on resume), then the vendor's answer. Retries,
backoff and rate limits are the client's, not ours.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from cxconsole.client import CXClient, get_client
from cxconsole.errors import UnknownOutcome, Unreachable, VendorError
from cxconsole.importing.batching import Batch, RequestBuilder
from cxconsole.importing.entries import Ack, Failed, Lost, Refused, Send, Unknown
from cxconsole.importing.events import (
    BatchAcknowledged,
    BatchFailed,
    BatchRetrying,
    BatchSending,
    RunState,
)
from cxconsole.importing.journal import ranges
from cxconsole.importing.ledger import Ledger
from cxconsole.importing.options import ImportOptions
from cxconsole.importing.records import Item
from cxconsole.importing.rejects import Reject
from cxconsole.profiles import Account
from cxconsole.vendors.base import Reconciling, Vendor

log = logging.getLogger("cxconsole.importing")

_FIELD_PREFIX = re.compile(r"([A-Za-z_][\w.]*): ")
RECONCILE_ATTEMPTS = 5  # sends of one part after lost replies, for a reconciling vendor


@dataclass
class Outcome:
    """What became of one batch's rows."""

    imported: int = 0
    refused: int = 0
    unknown: int = 0
    failed: list[Item] = field(default_factory=list)
    failure: str = ""


class Stop(Exception):
    """Stops the whole run (an authentication failure, too many failed batches)."""

    def __init__(self, state: RunState, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.message = message


class Sender:
    """Sends batches for one run and settles what became of each row, through the run's
    :class:`~cxconsole.importing.ledger.Ledger` (journal, rejects, counts, events)."""

    def __init__(
        self,
        *,
        vendor: Vendor,
        account: Account,
        ledger: Ledger,
        build: RequestBuilder,
        options: ImportOptions,
        client: CXClient | None = None,
        resend_unknown: bool = False,
    ) -> None:
        self.vendor = vendor
        self.account = account
        self.ledger = ledger
        self.build = build
        self.options = options
        self.client = client
        self.resend_unknown = resend_unknown
        # A vendor that recognises a record sent twice: a lost reply is sent again.
        self.reconciling = vendor if isinstance(vendor, Reconciling) else None
        # Keys of rows this run may have delivered without hearing so (a lost reply; on
        # resume, what the journal left unknown): a vendor's "I have it already" counts as
        # imported for these only. For any other row it is another record's, and a refusal.
        self.maybe_held: set[int] = set()

    async def send(self, batch: Batch, outcome: Outcome) -> None:
        """Send ``batch`` (whole, or what a resume left of it) until every row has an outcome."""
        await self._settle(batch, batch.items, batch.part, outcome, whole=not batch.part)

    async def _settle(
        self, batch: Batch, items: list[Item], part: str, outcome: Outcome, *, whole: bool
    ) -> None:
        """Send ``items``; on a refusal naming rows, reject them and resend the rest; on one
        naming none, split in halves until the bad rows stand alone."""
        number = batch.number
        lines = [line for item in items for line in item.lines]
        records = [item.record for item in items]
        if whole and batch.body is not None:
            url, params, body = batch.url, batch.params, batch.body
        else:
            url, params, body = self.build(records)
        intent = Send(
            batch=number,
            part=part,
            lines=ranges(lines),
            records=len(items),
            payload_sha256=batch.payload_sha256 if whole and not part else None,
        )
        # Durable before the request leaves: a crash = "unknown"; a failure here = not sent.
        await self.ledger.intend(intent, items)
        self.ledger.hub.emit(BatchSending(number, part, len(items)))

        def on_retry(info: Any) -> None:
            self.ledger.hub.emit(
                BatchRetrying(number, part, info.attempt, info.reason, info.wait, info.entry)
            )

        started = time.monotonic()
        session = self.account.session(self.client or get_client())
        try:
            reply = await session.send(
                "POST",
                url,
                what=f"import batch {number}" + (f" part {part}" if part else ""),
                params=params,
                content=body,
                headers={"content-type": "application/json"},
                on_retry=on_retry,
            )
        except UnknownOutcome as exc:
            if self.reconciling is not None and part.count("u") < RECONCILE_ATTEMPTS:
                await self._send_again(batch, items, part, exc, outcome)
                return
            await self._unknown(batch, items, part, exc.message, outcome, exc)
            return
        except VendorError as exc:
            await self._refused(batch, items, part, exc, outcome)
            return
        except Exception as exc:  # a bug or an unexpected transport problem: fail the batch
            log.exception("import batch %s: unexpected error", number)
            await self._failed_part(
                batch, items, part, str(exc) or repr(exc), None, None, False, outcome
            )
            return
        latency = time.monotonic() - started
        result = self.vendor.read_batch_reply(reply, len(items))
        if not result.ok and result.bad_rows:
            await self._reject_named(batch, items, part, result.bad_rows, "refused", outcome)
            return
        receipt = {k: v for k, v in result.receipt.items() if v is not None}
        if result.taken is not None and result.taken < len(items):
            # The reply counts fewer records than were sent and does not say which: no row
            # of the part can be called imported, nor safely sent again.
            message = (
                f"{self.vendor.title} reported taking {result.taken} of the {len(items)} "
                "records sent, without saying which"
            )
            await self._unknown(batch, items, part, message, outcome, None, receipt=receipt)
            return
        await self._acknowledged(
            batch, items, part, receipt, latency, reply.attempts, reply.status, outcome
        )

    async def _acknowledged(
        self,
        batch: Batch,
        items: list[Item],
        part: str,
        receipt: dict[str, Any],
        latency: float,
        attempts: int,
        status: int | None,
        outcome: Outcome,
    ) -> None:
        """The vendor has these rows: journalled, counted, and out of the rejects file."""
        number = batch.number
        lines = [line for item in items for line in item.lines]
        await self.ledger.write(
            Ack(
                batch=number,
                part=part,
                lines=ranges(lines),
                receipt=receipt,
                latency=round(latency, 4),
                attempts=attempts,
            )
        )
        rows = len(lines)
        outcome.imported += rows
        self.ledger.imported(rows)
        rejects_file = self.ledger.rejects
        assert rejects_file is not None
        if rejects_file.has_failed() or self.resend_unknown or batch.fixed:
            # Rows listed before as failed (or unknown, when resent on purpose; or fixed by
            # the operator) are taken out.
            kinds = ["failed"]
            if self.resend_unknown:
                kinds.append("unknown")
            if batch.fixed:
                kinds += ["invalid", "refused"]
            await asyncio.to_thread(rejects_file.forget, lines, kinds)
        self.ledger.hub.emit(
            BatchAcknowledged(number, part, len(items), rows, receipt, latency, attempts, status)
        )

    def _list(self, batch: Batch, rejects: list[Reject]) -> list[Reject]:
        rejects_file = self.ledger.rejects
        assert rejects_file is not None
        if batch.fixed or self.resend_unknown or rejects_file.has_failed():
            # Rows listed before (fixed, resent unknown, or of a failed batch sent again):
            # what became of them now replaces what was listed.
            return rejects_file.relist(rejects)
        return rejects_file.add(rejects)

    async def _send_again(
        self, batch: Batch, items: list[Item], part: str, exc: UnknownOutcome, outcome: Outcome
    ) -> None:
        """A lost reply, for a vendor that recognises what it already holds: send it again.

        Journalled as "lost" (not "unknown"): should the process die before the new attempt
        is journalled, a resume sends these rows again too, which is as safe.
        """
        lines = [line for item in items for line in item.lines]
        self.maybe_held.update(lines)
        await self.ledger.write(
            Lost(
                batch=batch.number,
                part=part,
                lines=ranges(lines),
                message=exc.message,
            )
        )
        self.ledger.record_error(exc, batch.number)
        attempt = part.count("u") + 1
        pause = self.options.reconcile_pause
        self.ledger.hub.emit(
            BatchRetrying(
                batch.number,
                part,
                attempt,
                f"reply lost; sending again: {self.vendor.title} recognises what it has by "
                f"{self.reconciling.reconcile_field if self.reconciling else 'id'}",
                pause,
                exc.entry,
            )
        )
        await asyncio.sleep(pause)
        await self._settle(batch, items, f"{part}u", outcome, whole=False)

    async def _refused(
        self, batch: Batch, items: list[Item], part: str, exc: VendorError, outcome: Outcome
    ) -> None:
        if exc.is_auth:
            await self._failed_part(
                batch, items, part, exc.message, exc, exc.code, True, outcome, auth=True
            )
            raise Stop(RunState.AUTH_FAILED, exc.message)
        if str(exc.code) in self.vendor.row_refusal_codes():
            named = {
                i: reason
                for i, reason in self.vendor.bad_rows_of(exc, len(items)).items()
                if 0 <= i < len(items)
            }
            present = (
                {i for i in self.reconciling.already_present(exc, len(items)) if i in named}
                if self.reconciling is not None
                else set()
            )
            for i in sorted(present):
                if not all(line in self.maybe_held for line in items[i].lines):
                    # Never sent by this run: the vendor holds another record with this id.
                    present.discard(i)
                    named[i] += "; not a row this run had sent: the vendor holds another record"
            if present:
                # Already at the vendor under this run's id (a batch sent again after a lost
                # reply): imported. The others named are refused; the rest go again.
                await self._acknowledged(
                    batch,
                    [items[i] for i in sorted(present)],
                    f"{part}p",
                    {"already_present": True, "code": exc.code},
                    0.0,
                    1,
                    exc.status,
                    outcome,
                )
                keep = [i for i in range(len(items)) if i not in present]
                items = [items[i] for i in keep]
                named = {keep.index(i): r for i, r in named.items() if i not in present}
                if not named:
                    if items:
                        await self._settle(batch, items, f"{part}r", outcome, whole=False)
                    return
            if named:
                self.ledger.record_error(exc, batch.number)
                await self._reject_named(batch, items, part, named, exc.message, outcome)
                return
            if len(items) == 1:
                self.ledger.record_error(exc, batch.number)
                reason = f"{exc.code} {exc.decoded.message if exc.decoded else ''}".strip()
                await self._reject_named(
                    batch, items, part, {0: reason or exc.message}, exc.message, outcome
                )
                return
            half = len(items) // 2
            for index, chunk in enumerate((items[:half], items[half:]), 1):
                sub = f"{part}.{index}" if part else str(index)
                await self._settle(batch, chunk, sub, outcome, whole=False)
            return
        entry = exc.entry
        if entry is not None and entry.about_account:
            # The profile is refused (its ids, its licence), not this batch: every batch would
            # get the same answer, so nothing more is sent. A resume sends this one again.
            await self._failed_part(batch, items, part, exc.message, exc, exc.code, True, outcome)
            raise Stop(
                RunState.STOPPED,
                f"{exc.message}; this refuses the profile, not a row: nothing more was sent; "
                "correct the profile, then resume the run",
            )
        # A failure of the whole call: worth a later retry unless the catalog says never.
        later = isinstance(exc, Unreachable) or entry is None or entry.retryable != "never"
        if entry is None and exc.status is not None and 400 <= exc.status < 500:
            later = exc.status in (408, 429)
        await self._failed_part(batch, items, part, exc.message, exc, exc.code, later, outcome)

    async def _reject_named(
        self,
        batch: Batch,
        items: list[Item],
        part: str,
        named: dict[int, str],
        message: str,
        outcome: Outcome,
    ) -> None:
        """The vendor named the bad rows: reject them, and send the rest again."""
        rejects = []
        for index, reason in named.items():
            item = items[index]
            # "transactionDate: expected dd/MM/yyyy" names the field; keep the whole reason.
            prefix = _FIELD_PREFIX.match(reason)
            field_name = prefix.group(1) if prefix else ""
            for line, row in zip(item.lines, item.rows, strict=True):
                rejects.append(Reject(line, "refused", field_name, reason, row))
        assert self.ledger.rejects is not None
        written = await asyncio.to_thread(self._list, batch, rejects)
        await asyncio.to_thread(self.ledger.rejects.sync)
        await self.ledger.write(
            Refused(
                batch=batch.number,
                part=part,
                lines=ranges(r.line for r in rejects),
                reasons={str(r.line): r.reason for r in rejects},
                message=message,
            )
        )
        outcome.refused += len(rejects)
        self.ledger.rejected(batch.number, "refused", written)
        rest = [item for i, item in enumerate(items) if i not in named]
        if rest:
            sub = f"{part}r" if part else "r"
            await self._settle(batch, rest, sub, outcome, whole=False)

    async def _unknown(
        self,
        batch: Batch,
        items: list[Item],
        part: str,
        message: str,
        outcome: Outcome,
        exc: VendorError | None,
        *,
        receipt: dict[str, Any] | None = None,
    ) -> None:
        """The vendor may or may not have these rows: listed as unknown, never resent by
        themselves (only on an explicit resend of the unknown rows)."""
        lines = [line for item in items for line in item.lines]
        reason = f"unknown outcome: {message}; check the vendor before sending these rows again"
        rejects = [
            Reject(line, "unknown", "", reason, row)
            for item in items
            for line, row in zip(item.lines, item.rows, strict=True)
        ]
        assert self.ledger.rejects is not None
        written = await asyncio.to_thread(self._list, batch, rejects)
        await asyncio.to_thread(self.ledger.rejects.sync)
        await self.ledger.write(
            Unknown(
                batch=batch.number,
                part=part,
                lines=ranges(lines),
                message=message,
                receipt=receipt or {},
            )
        )
        outcome.unknown += len(lines)
        if exc is not None:
            self.ledger.record_error(exc, batch.number)
        self.ledger.hub.emit(
            BatchFailed(
                batch.number,
                part,
                len(lines),
                message,
                exc.code if exc else None,
                exc.entry if exc else None,
                retry_later=False,
                unknown=True,
            )
        )
        self.ledger.rejected(batch.number, "unknown", written)

    async def _failed_part(
        self,
        batch: Batch,
        items: list[Item],
        part: str,
        message: str,
        exc: VendorError | None,
        code: str | None,
        later: bool,
        outcome: Outcome,
        *,
        auth: bool = False,
    ) -> None:
        lines = [line for item in items for line in item.lines]
        await self.ledger.write(
            Failed(
                batch=batch.number,
                part=part,
                lines=ranges(lines),
                code=code,
                message=message,
                retry_later=later,
            )
        )
        if exc is not None:
            self.ledger.record_error(exc, batch.number)
        outcome.failed.extend(items)
        outcome.failure = message
        self.ledger.hub.emit(
            BatchFailed(
                batch.number,
                part,
                len(lines),
                message,
                code,
                exc.entry if exc else None,
                retry_later=later,
                auth=auth,
            )
        )
