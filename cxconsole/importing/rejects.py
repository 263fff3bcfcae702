"""The rejects file: every row not imported, with its line, field, reason and original columns.

CSV for CSV and XLSX sources (``line,kind,field,reason,<the file's columns>``), JSON Lines for
JSON sources (``{"line", "kind", "field", "reason", "record"}``). Created mode 0600. Each line
appears once: a resumed run re-reads the file and skips rows already listed, and rows of a
failed batch that a retry then imports are taken out again.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from cxconsole.importing.journal import open_private
from cxconsole.storage import DiskError, neutral_cell, write_whole
from cxconsole.storage import fsync as fsync_or_raise

KINDS = ("invalid", "refused", "unknown", "failed")
PREFIX = ["line", "kind", "field", "reason"]


@dataclass(slots=True)
class Reject:
    line: int
    kind: str  # invalid | refused | unknown | failed
    field: str
    reason: str
    values: Sequence[Any]  # the row as read (a RowProblem holds the raw text)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return value


class RejectsFile:
    """Thread-safe: the reading thread writes invalid rows, the event loop the others."""

    def __init__(self, path: Path, headers: Sequence[str], fmt: str) -> None:
        self.path = path
        self.headers = list(headers)
        self.format = fmt  # "csv" | "jsonl"
        self._lock = threading.Lock()
        self._kinds: dict[int, str] = {}
        self._failed_hint = False  # set once a "failed" row is listed: forget() may matter
        self.skip: set[int] = set()  # keys never to list (fixed rows the vendor took)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size:
                self._kinds = dict(self._scan())
                self._failed_hint = "failed" in self._kinds.values()
            fresh = not self._kinds and not (path.exists() and path.stat().st_size)
            self._fd = open_private(path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise DiskError(path, exc) from None
        if fresh:
            os.ftruncate(self._fd, 0)
            if fmt == "csv":
                self._write_raw(self._csv_line([*PREFIX, *self.headers]))

    # -- reading back ----------------------------------------------------------------------
    def _scan(self) -> Iterable[tuple[int, str]]:
        for key, kind, _field, _reason in self._listed_rows():
            yield key, kind

    def _listed_rows(self) -> Iterator[tuple[int, str, str, str]]:
        """(key, kind, field, reason) of every row the file lists, read back."""
        with self.path.open(encoding="utf-8", newline="") as fh:
            if self.format == "csv":
                reader = csv.reader(fh)
                next(reader, None)
                for row in reader:
                    if len(row) >= 4 and row[0].isdigit():
                        yield int(row[0]), row[1], row[2], row[3]
            else:
                for text in fh:
                    try:
                        item = json.loads(text)
                        yield (
                            int(item["line"]),
                            str(item["kind"]),
                            str(item.get("field", "")),
                            str(item.get("reason", "")),
                        )
                    except (ValueError, KeyError, TypeError):
                        continue

    # -- writing ---------------------------------------------------------------------------
    def _csv_line(self, cells: Sequence[Any]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([neutral_cell(c) for c in cells])
        return buffer.getvalue().encode("utf-8")

    def _write_raw(self, data: bytes) -> None:
        write_whole(self._fd, data, self.path)  # whole rows or none: never a torn row

    def _encode(self, reject: Reject) -> bytes:
        values = reject.values
        raw = getattr(values, "raw", None)
        known = getattr(values, "cells", None)
        if known is not None:  # a row not read whole, but whose cells are known (XLSX)
            values, raw = known, None
        if self.format == "csv":
            cells: list[Any] = [reject.line, reject.kind, reject.field, reject.reason]
            if raw is not None:
                cells.append(raw)
            else:
                for value in values:
                    if isinstance(value, (dict, list)):  # extra keys, nested products (JSON)
                        cells.append(json.dumps(value, ensure_ascii=False, default=str))
                    else:
                        cells.append(_plain(value))
            return self._csv_line(cells)
        record: Any
        if raw is not None:
            record = raw
        else:
            record = {}
            for header, value in zip(self.headers, values, strict=False):
                if value != "":
                    record[header] = _plain(value)
            for index, value in enumerate(values[len(self.headers) :], len(self.headers) + 1):
                if value != "":
                    record[f"column {index}"] = _plain(value)
        item = {
            "line": reject.line,
            "kind": reject.kind,
            "field": reject.field,
            "reason": reject.reason,
            "record": record,
        }
        return (json.dumps(item, ensure_ascii=False, default=str) + "\n").encode("utf-8")

    def add(self, rejects: Iterable[Reject]) -> list[Reject]:
        """Write the rows not listed yet; returns those written."""
        written: list[Reject] = []
        with self._lock:
            chunks = []
            taken: set[int] = set()
            for reject in rejects:
                if reject.line in self._kinds or reject.line in taken or reject.line in self.skip:
                    continue
                taken.add(reject.line)
                chunks.append(self._encode(reject))
                written.append(reject)
            if chunks:
                self._write_raw(b"".join(chunks))  # raises DiskError: then nothing is listed
            for reject in written:
                self._kinds[reject.line] = reject.kind
                if reject.kind == "failed":
                    self._failed_hint = True
        return written

    def has_failed(self) -> bool:
        """Whether any listed row is there because its batch failed (a retry may import it)."""
        return "failed" in self._kinds.values() if self._failed_hint else False

    def has(self, line: int) -> bool:
        return line in self._kinds

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self._kinds.values())

    def forget(self, lines: Iterable[int], kinds: Iterable[str] = ("failed",)) -> None:
        """Take rows out again (a failed batch, unknown rows sent again, or fixed rows,
        imported after all); rewrites the file."""
        wanted = set(kinds)
        drop = {line for line in lines if self._kinds.get(line) in wanted}
        if drop:
            self._rewrite(drop, {})

    def relist(self, rejects: Iterable[Reject]) -> list[Reject]:
        """List rows with a new kind and reason (a fixed row refused again, or of unknown
        outcome now), in place of what was listed for them; new ones are added."""
        fresh: list[Reject] = []
        again: dict[int, Reject] = {}
        for reject in rejects:
            if reject.line in self._kinds:
                again[reject.line] = reject
            else:
                fresh.append(reject)
        if again:
            self._rewrite(set(), again)
        return [*self.add(fresh), *again.values()]

    def _rewrite(self, drop: set[int], replace: dict[int, Reject]) -> None:
        with self._lock:
            with self.path.open(encoding="utf-8", newline="") as fh:
                text = fh.read()
            kept: list[str] = []
            if self.format == "csv":
                out = io.StringIO()
                writer = csv.writer(out, lineterminator="\n")
                for row in csv.reader(io.StringIO(text)):
                    key = int(row[0]) if row and row[0].isdigit() else None
                    if key in drop:
                        continue
                    if key is not None and key in replace:
                        out.write(self._encode(replace[key]).decode("utf-8"))
                        continue
                    writer.writerow(row)
                kept.append(out.getvalue())
            else:
                for item in text.splitlines(keepends=True):
                    try:
                        key = int(json.loads(item)["line"])
                    except (ValueError, KeyError, TypeError):
                        kept.append(item)
                        continue
                    if key in drop:
                        continue
                    kept.append(
                        self._encode(replace[key]).decode("utf-8") if key in replace else item
                    )
            tmp = self.path.with_suffix(self.path.suffix + ".tmp")
            try:
                fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC | os.O_APPEND)
                try:
                    write_whole(fd, "".join(kept).encode("utf-8"), tmp)
                    fsync_or_raise(fd, tmp)
                finally:
                    os.close(fd)
                os.replace(tmp, self.path)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise DiskError(self.path, exc) from None
            except DiskError:
                tmp.unlink(missing_ok=True)
                raise
            os.close(self._fd)
            self._fd = open_private(self.path, os.O_WRONLY | os.O_APPEND)
            for line in drop:
                self._kinds.pop(line, None)
            for line, reject in replace.items():
                self._kinds[line] = reject.kind
            self._failed_hint = "failed" in self._kinds.values()

    def listed(self, kinds: Iterable[str]) -> dict[int, tuple[str, str, str]]:
        """Key -> (kind, field, reason) of the rows listed with one of ``kinds``."""
        wanted = set(kinds)
        with self._lock:
            found = {
                key: (kind, field, reason)
                for key, kind, field, reason in self._listed_rows()
                if kind in wanted
            }
        return found

    def sync(self) -> None:
        with self._lock:
            fsync_or_raise(self._fd, self.path)

    @property
    def written(self) -> bool:
        """Whether the rows are on disk (a dry run with no state dir keeps none)."""
        return True

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


class UnwrittenRejects(RejectsFile):
    """A dry run's rejects when nothing can be written (no state dir): counted, not kept."""

    def __init__(self, path: Path, headers: Sequence[str], fmt: str) -> None:
        self.path = path
        self.headers = list(headers)
        self.format = fmt
        self._lock = threading.Lock()
        self._kinds = {}
        self._failed_hint = False
        self.skip = set()
        self._fd = -1

    def _write_raw(self, data: bytes) -> None:
        pass

    def _rewrite(self, drop: set[int], replace: dict[int, Reject]) -> None:
        with self._lock:
            for line in drop:
                self._kinds.pop(line, None)
            for line, reject in replace.items():
                self._kinds[line] = reject.kind

    def listed(self, kinds: Iterable[str]) -> dict[int, tuple[str, str, str]]:
        return {}

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass

    @property
    def written(self) -> bool:
        return False


def read_listed(path: Path, headers: Sequence[str], fmt: str) -> RejectsFile:
    """What a run's rejects file lists, read and never written (a session the disk stopped
    before it could open the file still reports what earlier sessions listed)."""
    view = UnwrittenRejects(path, headers, fmt)
    try:
        if path.exists() and path.stat().st_size:
            view._kinds = dict(view._scan())
    except (OSError, ValueError):
        pass  # unreadable: nothing is counted as listed, the journal's rows count missing
    return view
