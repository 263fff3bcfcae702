"""The typed entries of a run journal, and their one encoding (a JSON object per line).

The order of a batch's entries is its story: :class:`Send` is written (and synced) before the
request leaves, so a crash in flight reads as "may have been sent"; then the vendor's answer,
:class:`Ack`, :class:`Refused`, :class:`Unknown`, :class:`Failed`, or :class:`Lost` (a lost
reply about to be sent again, for a vendor that recognises duplicates); then
:class:`BatchSettled` once every row has an outcome. A batch of rows the operator fixed starts
with :class:`FixRows`, their values. :class:`Torn` stands for a line a crash or
a full disk cut short: it names its batch when the fragment shows one. ``t`` in the JSON names
the kind; fields not known to this version are ignored, so an older cxconsole reads a newer
journal's entries it knows.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar

Spans = list[list[int]]  # [[first, last], ...] of the keys (lines or records) of a batch

VERSION = 1


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Entry:
    KIND: ClassVar[str] = ""
    at: str = field(default_factory=now_iso, kw_only=True)


@dataclass
class RunHeader(Entry):
    """The first entry: what a resume needs to read the file and build the same batches."""

    KIND: ClassVar[str] = "run"
    run_id: str = ""
    profile: str = ""
    vendor: str = ""
    # The account the run sends to (vendor, base URL, the settings that choose it; no
    # secret): a resume and the "file imported once" check follow it, not the name.
    # Empty in journals from before it was recorded.
    account: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False
    file: dict[str, Any] = field(default_factory=dict)  # path, size, mtime_ns, head_sha256
    source: dict[str, Any] = field(default_factory=dict)  # how it was read
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    rejects_path: str = ""
    rejects_format: str = "csv"
    rows_total: int | None = None  # counted by the pre-flight
    batches_total: int | None = None
    # Rows the pre-flight found invalid: invalid however far a session read (None: not
    # recorded, journals from before it was).
    rows_invalid: int | None = None
    v: int = VERSION


@dataclass
class Session(Entry):
    KIND: ClassVar[str] = "session"
    pid: int = 0
    resumed: bool = False
    concurrency: int = 0
    # The account this session sends to: a run none of whose rows had reached the vendor may
    # go on in its profile put right (another template, workspace...), and goes on there.
    account: dict[str, Any] = field(default_factory=dict)


@dataclass
class Send(Entry):
    """Written and synced before the request leaves."""

    KIND: ClassVar[str] = "send"
    batch: int = 0
    part: str = ""
    lines: Spans = field(default_factory=list)
    records: int = 0
    payload_sha256: str | None = None  # of the whole batch, on its first send


@dataclass
class FixRows(Entry):
    """The rows the operator fixed, as fixed (key, as text -> the row's values), written and
    synced before their batch's first :class:`Send`: the file does not hold them, so a
    resume rebuilds the batch from here when it failed, was cut off, or is sent again."""

    KIND: ClassVar[str] = "fixrows"
    batch: int = 0
    rows: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class Ack(Entry):
    KIND: ClassVar[str] = "ack"
    batch: int = 0
    part: str = ""
    lines: Spans = field(default_factory=list)
    receipt: dict[str, Any] = field(default_factory=dict)
    latency: float = 0.0
    attempts: int = 1


@dataclass
class Lost(Entry):
    """A lost reply for a vendor that recognises duplicates: the part is sent again."""

    KIND: ClassVar[str] = "lost"
    batch: int = 0
    part: str = ""
    lines: Spans = field(default_factory=list)
    message: str = ""


@dataclass
class Refused(Entry):
    KIND: ClassVar[str] = "refused"
    batch: int = 0
    part: str = ""
    lines: Spans = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # key (as text) -> reason
    message: str = ""


@dataclass
class Unknown(Entry):
    KIND: ClassVar[str] = "unknown"
    batch: int = 0
    part: str = ""
    lines: Spans = field(default_factory=list)
    message: str = ""
    receipt: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failed(Entry):
    KIND: ClassVar[str] = "failed"
    batch: int = 0
    part: str = ""
    lines: Spans = field(default_factory=list)
    code: str | None = None
    message: str = ""
    retry_later: bool = True


@dataclass
class BatchSettled(Entry):
    """Every row of the batch has an outcome: ``done``, ``unknown`` or ``failed``."""

    KIND: ClassVar[str] = "batch"
    batch: int = 0
    state: str = "done"
    first: int | None = None
    last: int | None = None
    rows: int | None = None
    imported: int = 0
    refused: int = 0
    unknown: int = 0
    failed: int = 0


@dataclass
class ReadDone(Entry):
    """The file was read to its end: its row count and content hash."""

    KIND: ClassVar[str] = "read"
    rows: int = 0
    batches: int = 0
    sha256: str = ""


@dataclass
class End(Entry):
    KIND: ClassVar[str] = "end"
    state: str = ""
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class Torn(Entry):
    """A line cut short; ``batch`` when the fragment names one."""

    KIND: ClassVar[str] = "torn"
    batch: int | None = None


KINDS: dict[str, type[Entry]] = {
    cls.KIND: cls
    for cls in (
        RunHeader,
        Session,
        Send,
        FixRows,
        Ack,
        Lost,
        Refused,
        Unknown,
        Failed,
        BatchSettled,
        ReadDone,
        End,
    )
}
_NAMES = {cls: {f.name for f in fields(cls)} for cls in KINDS.values()}
_TORN_BATCH = re.compile(rb'"batch":(\d+)')


def encode(entry: Entry) -> bytes:
    data = {"t": entry.KIND, **asdict(entry)}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return text.encode("utf-8") + b"\n"


def decode(raw: bytes) -> Entry | None:
    """One journal line; a torn line is :class:`Torn`; a blank or unknown kind is None."""
    try:
        data = json.loads(raw)
    except ValueError:
        if not raw.strip():
            return None
        found = _TORN_BATCH.search(raw)
        return Torn(batch=int(found.group(1)) if found else None)
    if not isinstance(data, dict):
        return None
    cls = KINDS.get(str(data.get("t")))
    if cls is None:
        return None
    names = _NAMES[cls]
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError:
        return Torn(batch=data.get("batch") if isinstance(data.get("batch"), int) else None)
