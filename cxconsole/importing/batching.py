"""Batches: records grouped up to the vendor's size, serialised once, hashed for the journal.

A batch's number and content follow only from the file, the mapping and the options, so a
resumed run rebuilds exactly the batches the first run had and can skip the acknowledged ones.
Where the vendor forbids duplicate e-mails in one batch (Expoints without AllowDuplicateEmail),
the second row with an address already in the batch is rejected before anything is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cxconsole.importing.records import Item, make_item
from cxconsole.importing.rejects import Reject
from cxconsole.vendors.base import TargetField, Vendor, VendorSettings

try:
    import orjson

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value)

except ImportError:  # pragma: no cover - orjson is optional, only faster
    import json

    def dumps(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass(slots=True)
class Batch:
    """One request's worth of records, ready to send."""

    number: int  # 1-based, in file order
    items: list[Item]
    sha256: str = ""  # of the whole batch's records; computed when first asked for
    url: str = ""
    params: dict[str, str] | None = None
    body: bytes | None = None  # the request body for all items
    part: str = ""  # "resume" / "retry": what is left of a batch sent before
    _rows: int = -1

    @property
    def payload_sha256(self) -> str:
        """SHA-256 of the records (not the envelope, which may hold the time): the journal's
        proof that a resumed run rebuilt the same batch. Lazy: a dry run never needs it."""
        if not self.sha256:
            self.sha256 = payload_hash(self.records)
        return self.sha256

    @property
    def records(self) -> list[dict[str, Any]]:
        return [item.record for item in self.items]

    @property
    def lines(self) -> list[int]:
        return [line for item in self.items for line in item.lines]

    @property
    def rows(self) -> int:
        """Source rows in the batch (more than its items when contacts were folded)."""
        if self._rows < 0:
            self._rows = sum(len(item.lines) for item in self.items)
        return self._rows

    @property
    def first_line(self) -> int:
        return self.items[0].lines[0]

    @property
    def last_line(self) -> int:
        return self.items[-1].lines[-1]


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """What a dry run hands over instead of a batch: the batch itself is dropped where it
    was made (freeing its rows in the loop's thread costs it more than everything else)."""

    number: int
    records: int
    rows: int
    first_line: int
    last_line: int

    @classmethod
    def of(cls, batch: Batch) -> BatchInfo:
        return cls(batch.number, len(batch.items), batch.rows, batch.first_line, batch.last_line)


def payload_hash(records: Sequence[dict[str, Any]]) -> str:
    return hashlib.sha256(dumps(records)).hexdigest()


class RequestBuilder:
    """The vendor's request for a list of records: (url, params, body bytes)."""

    def __init__(self, vendor: Vendor, base: str, settings: VendorSettings) -> None:
        self.vendor = vendor
        self.base = base
        self.settings = settings

    def __call__(self, records: Sequence[dict[str, Any]]) -> tuple[str, Any, bytes]:
        url, params, body = self.vendor.build_batch(self.base, self.settings, records)
        return url, params, dumps(body)


def unique_email_field(
    vendor: Vendor, settings: VendorSettings, fields: Sequence[TargetField]
) -> TargetField | None:
    """The e-mail field that must be unique within a batch, if the vendor says so.

    Read from the data: a vendor whose settings carry ``allow_duplicate_email`` forbids
    duplicates unless it is on.
    """
    if getattr(settings, "allow_duplicate_email", True) is not False:
        return None
    return next((f for f in fields if f.kind == "email" and not f.group), None)


class Batcher:
    """Collects items into batches of ``size``; hands each full batch to ``emit``."""

    def __init__(
        self,
        size: int,
        emit: Callable[[Batch | BatchInfo], None],
        build: RequestBuilder | None,
        *,
        unique: TargetField | None = None,
        first_number: int = 1,
        single_rows: bool = False,
    ) -> None:
        self.single_rows = single_rows  # every item is one row (nothing folded)
        self.size = size
        self.emit = emit
        self.build = build
        self.unique = unique
        self.number = first_number - 1
        self.items: list[Item] = []  # the batch being filled, by add() and push()
        # Or by the reading loop's plain path (one row, one record), side by side: an Item is
        # made only for a batch that is sent; making one per row cost the pre-flight ~5%.
        self.records: list[dict[str, Any]] = []
        self.lines: list[int] = []
        self.rows: list[Any] = []
        # False where batches are only counted (the pre-flight, a dry run): a batch filled
        # side by side is emitted as its BatchInfo, its items never made.
        self.keep_items = True
        self._seen: dict[str, int] = {}

    def add(self, item: Item) -> list[Reject] | None:
        """Add one item; returns rejects instead when it repeats an e-mail of this batch."""
        if self.unique is not None:
            email = item.record.get(self.unique.name)
            if email:
                folded = email.casefold()
                earlier = self._seen.get(folded)
                if earlier is not None:
                    reason = (
                        f"duplicate e-mail {email!r} in one batch (also line {earlier}); "
                        "the vendor refuses duplicates unless they are allowed in the profile"
                    )
                    return [
                        Reject(line, "invalid", self.unique.label, reason, row)
                        for line, row in zip(item.lines, item.rows, strict=True)
                    ]
                self._seen[folded] = item.lines[0]
        self.items.append(item)
        if len(self.items) >= self.size:
            self.flush()
        return None

    def push(self, item: Item) -> None:
        """Add one item where no duplicate rule applies (the reading loop's fast path)."""
        items = self.items
        items.append(item)
        if len(items) >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self._flush_side_by_side()
            return
        if not self.items:
            return
        items, self.items = self.items, []
        self._seen = {}
        self.number += 1
        records = [item.record for item in items]
        batch = Batch(self.number, items)
        if self.single_rows:
            batch._rows = len(items)  # counted here, in the reading thread, not in the loop
        if self.build is not None:
            batch.url, batch.params, batch.body = self.build(records)
        self.emit(batch)

    def _flush_side_by_side(self) -> None:
        records, lines, rows = self.records, self.lines, self.rows
        self.records, self.lines, self.rows = [], [], []
        self.number += 1
        if not self.keep_items:
            if self.build is not None:
                self.build(records)  # serialised as for a send, then dropped with the batch
            self.emit(BatchInfo(self.number, len(lines), len(lines), lines[0], lines[-1]))
            return
        items = zip(records, zip(lines), zip(rows), strict=True)
        batch = Batch(self.number, list(map(make_item, items)))
        batch._rows = len(lines)
        if self.build is not None:
            batch.url, batch.params, batch.body = self.build(records)
        self.emit(batch)
