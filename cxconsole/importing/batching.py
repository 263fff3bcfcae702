"""Batches: records grouped up to the vendor's size, serialised once, hashed for the journal.

A batch's number and content follow only from the file, the mapping and the options, so a
resumed run rebuilds exactly the batches the first run had and can skip the acknowledged ones.
Where the vendor takes two records with the same key for the same one (Expoints' e-mail
without AllowDuplicateEmail, Noojee's njExternalLeadId: ``Vendor.record_keys``), a later row
with a key an earlier row of the file holds is rejected before anything is sent, naming the
line of the first, whatever the batch size. The check keeps one entry per distinct key given
in the file (the ids a run stamps on its records itself are unique by construction, and skipped).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cxconsole.importing.records import Item, make_item
from cxconsole.importing.rejects import Reject
from cxconsole.vendors.base import RecordKey, Vendor, VendorSettings

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
    # Rows the operator fixed: what becomes of them replaces what was listed for them.
    fixed: bool = False
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


class Batcher:
    """Collects items into batches of ``size``; hands each full batch to ``emit``."""

    def __init__(
        self,
        size: int,
        emit: Callable[[Batch | BatchInfo], None],
        build: RequestBuilder | None,
        *,
        unique: Sequence[RecordKey] = (),
        stamped: str | None = None,
        first_number: int = 1,
        single_rows: bool = False,
    ) -> None:
        self.single_rows = single_rows  # every item is one row (nothing folded)
        self.size = size
        self.emit = emit
        self.build = build
        self.unique = tuple(unique)
        self.stamped = stamped  # the prefix of the ids this run stamps (never checked)
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
        # Per key: each value met so far in the whole file -> the line that holds it first.
        self._seen: list[dict[str, int]] = [{} for _ in self.unique]

    def add(self, item: Item) -> list[Reject] | None:
        """Add one item; returns rejects instead when it repeats a key an earlier row holds."""
        found: list[tuple[dict[str, int], str]] = []
        for key, seen in zip(self.unique, self._seen, strict=True):
            value = item.record.get(key.field.name)
            if value in (None, ""):
                continue
            text = str(value)
            if self.stamped and text.startswith(self.stamped):
                continue
            folded = text.casefold() if key.fold_case else text
            earlier = seen.get(folded)
            if earlier is not None:
                reason = f"duplicate {key.what} {text!r} (also line {earlier}); {key.why}"
                return [
                    Reject(line, "invalid", key.field.label, reason, row)
                    for line, row in zip(item.lines, item.rows, strict=True)
                ]
            found.append((seen, folded))
        for seen, folded in found:  # held only once the row is taken
            seen[folded] = item.lines[0]
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
