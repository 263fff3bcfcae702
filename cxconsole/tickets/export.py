"""Ticket exports: CSV and JSON files, written atomically, owner-only, safe in a spreadsheet.

Each ticket is written with the vendor's own fields plus what the operator saw on screen: its
status, the time left and when it is due. CSV cells a spreadsheet would evaluate as a formula
are neutralised as OWASP recommends (a leading single quote).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

from cxconsole.paths import ensure_private_dir, state_dir
from cxconsole.tickets.paging import (
    FetchProgress,
    ProgressCallback,
    TicketDump,
    TicketPager,
    notify_progress,
)
from cxconsole.tickets.query import TicketQuery, TicketsError, status_name
from cxconsole.tickets.rows import ticket_status
from cxconsole.tickets.timeleft import due_at, format_time_left, time_left
from cxconsole.vendors.questionpro import Ticket

ExportFormat = Literal["csv", "json"]
#: The documented fields, in the order exports write them (ticket id first: it is the handle).
TICKET_FIELDS: tuple[str, ...] = (
    "ticketID",
    "responseID",
    "timestamp",
    "timelimit",
    "rating",
    "emailAddress",
    "phoneNumber",
    "comment",
)
#: What the screen shows beside the vendor's fields, written after them.
DERIVED_FIELDS: tuple[str, ...] = ("statusName", "timeLeft", "dueAt")
#: A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """OWASP's CSV-injection defence: a cell a spreadsheet would evaluate gets a leading ``'``."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def derived(ticket: Ticket, query: TicketQuery | None, now: datetime) -> dict[str, str]:
    """Status, time left and due time as the screen shows them (empty when unknown)."""
    left = time_left(ticket, now)
    due = due_at(ticket)
    return {
        "statusName": status_name(ticket_status(ticket, query)),
        "timeLeft": "" if left is None else format_time_left(left),
        "dueAt": "" if due is None else due.astimezone(UTC).isoformat(timespec="seconds"),
    }


def ticket_record(
    ticket: Ticket, query: TicketQuery | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The ticket as the vendor sent it (its field names), then the derived fields."""
    record = ticket.model_dump(mode="json", exclude_unset=True)
    record.update(derived(ticket, query, now or datetime.now(UTC)))
    return record


def csv_columns(tickets: Sequence[Ticket]) -> list[str]:
    """The documented fields, the derived ones, then any extra field the vendor sent."""
    columns = [*TICKET_FIELDS, *DERIVED_FIELDS]
    for ticket in tickets:
        for name in ticket.model_extra or {}:
            if name not in columns:
                columns.append(name)
    return columns


def write_csv(
    tickets: Sequence[Ticket],
    stream: IO[str],
    query: TicketQuery | None = None,
    now: datetime | None = None,
) -> None:
    moment = now or datetime.now(UTC)
    writer = csv.DictWriter(stream, fieldnames=csv_columns(tickets), extrasaction="ignore")
    writer.writeheader()
    for ticket in tickets:
        row = ticket.model_dump(mode="json")
        row.update(derived(ticket, query, moment))
        cells = {k: "" if v is None else v for k, v in row.items()}
        # Only text is neutralised: a negative rating or time left typed as a number stays one,
        # and a spreadsheet reads "-19d 2h" as text once quoted.
        writer.writerow({k: neutralise(v) if isinstance(v, str) else v for k, v in cells.items()})


def write_json(
    tickets: Sequence[Ticket],
    stream: IO[str],
    query: TicketQuery | None = None,
    now: datetime | None = None,
) -> None:
    moment = now or datetime.now(UTC)
    json.dump(
        [ticket_record(t, query, moment) for t in tickets], stream, ensure_ascii=False, indent=2
    )
    stream.write("\n")


def export_text(
    tickets: Sequence[Ticket], fmt: ExportFormat, query: TicketQuery | None = None
) -> str:
    buffer = io.StringIO()
    (write_csv if fmt == "csv" else write_json)(tickets, buffer, query)
    return buffer.getvalue()


def exports_dir() -> Path:
    return state_dir() / "exports"


def default_export_path(query: TicketQuery, fmt: ExportFormat, now: datetime | None = None) -> Path:
    """``<state dir>/exports/tickets-<profile>-<segment>-<status>-<time>.<fmt>``."""
    moment = (now or datetime.now(UTC)).astimezone()
    segment = f"seg{query.segment}" if query.segment is not None else "all"
    status = status_name(query.status).lower() if query.status is not None else "any"
    name = f"tickets-{query.profile}-{segment}-{status}-{moment:%Y%m%d-%H%M%S}.{fmt}"
    return exports_dir() / name


def format_for(path: Path, default: ExportFormat = "csv") -> ExportFormat:
    suffix = path.suffix.lower().lstrip(".")
    return "json" if suffix == "json" else "csv" if suffix == "csv" else default


def export_place(path: Path) -> Path:
    """Check (and make) the folder an export goes to, before any page is fetched.

    A path that cannot be written is refused naming it and the reason, not with the operating
    system's exception after the whole fetch.
    """
    path = path.expanduser()
    if path.is_dir():
        raise TicketsError(f"{path} is a folder; give a file name")
    if path.is_symlink() or (path.exists() and (not path.is_file() or path.stat().st_size)):
        # An export never writes over a file: a wrong name would lose the profiles, a
        # customer file or an earlier export.
        raise TicketsError(f"{path} already exists: an export never writes over a file; "
                           "give a new file name")  # fmt: skip
    try:
        if path.parent == exports_dir():
            ensure_private_dir(path.parent)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TicketsError(
            f"cannot export to {path}: its folder {path.parent} cannot be made "
            f"({exc.strerror or exc})"
        ) from exc
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise TicketsError(f"cannot export to {path}: the folder {path.parent} is not writable")
    return path


def write_export(
    tickets: Sequence[Ticket], path: Path, fmt: ExportFormat, query: TicketQuery | None = None
) -> Path:
    """Write tickets to ``path`` atomically, readable by the owner only (customer data).

    CSV gets a UTF-8 byte-order mark so spreadsheet programs read accented and CJK comments.
    """
    path = export_place(path)
    tmp = path.with_name(f".{path.name}.part")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise TicketsError(f"cannot write in {path.parent}: {exc.strerror or exc}") from exc
    try:
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        with open(fd, "w", encoding=encoding, newline="") as stream:
            (write_csv if fmt == "csv" else write_json)(tickets, stream, query)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


Order = Callable[[list[Ticket]], list[Ticket]]


async def export_query(
    pager: TicketPager,
    path: Path,
    fmt: ExportFormat,
    *,
    on_progress: ProgressCallback | None = None,
    concurrency: int | None = None,
    order: Order | None = None,
) -> TicketDump:
    """Fetch every page of the pager's query and write them to ``path``.

    ``order`` puts the tickets in the order the operator sees them (sort, search) before they
    are written; without it they are written in the server's page order.
    """
    path = await asyncio.to_thread(export_place, path)
    dump = await pager.fetch_all(concurrency=concurrency, on_progress=on_progress)
    tickets = order(list(dump.tickets)) if order is not None else list(dump.tickets)
    count = len(tickets)
    await notify_progress(on_progress, FetchProgress("write", 0, count, count))
    # A thread: a large file must not freeze the screen while it is written.
    await asyncio.to_thread(write_export, tickets, path, fmt, pager.query)
    await notify_progress(on_progress, FetchProgress("done", count, count, count))
    return dump
