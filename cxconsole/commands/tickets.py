"""``cxconsole tickets``: one page, or every page, of QuestionPro detractor tickets, headless."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from cxconsole.commands.common import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    command_context,
    fail,
    positive_int,
    print_vendor_error,
)

if TYPE_CHECKING:
    from cxconsole.context import Context
    from cxconsole.tickets.query import TicketQuery
    from cxconsole.tickets.rows import TicketRow

FORMATS = ("table", "csv", "json")
STATUS_WORDS = {"new": 0, "open": 1, "escalated": 2, "resolved": 3}


def _status(text: str) -> int:
    """``--status 1`` or ``--status open``."""
    word = text.strip().lower()
    if word in STATUS_WORDS:
        return STATUS_WORDS[word]
    if word.isdigit() and int(word) in STATUS_WORDS.values():
        return int(word)
    raise argparse.ArgumentTypeError(
        f"unknown status {text!r}; use 0 New, 1 Open, 2 Escalated or 3 Resolved"
    )


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tickets",
        help="list or export QuestionPro detractor tickets",
        description="Page through a QuestionPro profile's detractor tickets, or fetch them all.",
    )
    parser.add_argument("--profile", required=True, metavar="NAME", help="a QuestionPro profile")
    parser.add_argument("--segment", type=int, metavar="ID", help="only this segment (segmentID)")
    parser.add_argument(
        "--status", type=_status, metavar="N", help="0 New, 1 Open, 2 Escalated, 3 Resolved"
    )
    parser.add_argument(
        "--per-page", type=positive_int, default=50, metavar="N", help="tickets per page (50)"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--page", type=positive_int, default=1, metavar="N", help="page (1)")
    which.add_argument("--all", action="store_true", help="every page of the query")
    parser.add_argument("--format", choices=FORMATS, help="table (default), csv or json")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.add_argument(
        "--concurrency", type=positive_int, default=4, metavar="N", help="pages at once for --all"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxconsole.client import CXError

    try:
        with command_context(args) as ctx:
            return _run(args, ctx)
    except CXError as exc:  # profile, keyring and query problems: the user must change something
        return fail(f"tickets: {exc}", EXIT_USAGE)


def _run(args: argparse.Namespace, ctx: Context) -> int:
    import asyncio
    from pathlib import Path

    from cxconsole.errors import TicketsError, VendorError
    from cxconsole.tickets.export import format_for
    from cxconsole.tickets.query import TicketQuery
    from cxconsole.tickets.sources import offers_tickets

    profile = ctx.profiles.get(args.profile)
    if not offers_tickets(profile.adapter):
        raise TicketsError(
            f"profile {profile.name!r} ({profile.adapter.title}) serves no detractor tickets; "
            "give a profile of a vendor that does"
        )
    query = TicketQuery(args.profile, args.segment, args.status, args.per_page)
    output = Path(args.output).expanduser() if args.output else None
    fmt = args.format or (format_for(output, "csv") if output and output.suffix else "table")
    if output is not None:
        from cxconsole.tickets.export import export_place

        try:  # before any page is fetched: a folder, an existing file, no way to write there
            export_place(output)
        except TicketsError as exc:
            raise TicketsError(f"--output {exc}") from None
    account = ctx.account(args.profile)
    try:
        return asyncio.run(_fetch_and_print(args, query, account, fmt, output))
    except VendorError as exc:
        print_vendor_error("tickets", exc)
        return EXIT_AUTH if exc.is_auth else EXIT_FAILED


async def _fetch_and_print(
    args: argparse.Namespace, query: TicketQuery, account: Any, fmt: str, output: Any
) -> int:
    from cxconsole.client import close_client, get_client
    from cxconsole.tickets.paging import FetchProgress, TicketPager

    pager = TicketPager(account, query, client=get_client(), prefetch=False)
    code = EXIT_OK
    try:
        if args.all:
            progress = _progress_printer() if sys.stderr.isatty() else None
            dump = await pager.fetch_all(concurrency=args.concurrency, on_progress=progress)
            if progress is not None:
                progress(FetchProgress("done", 0, 0))
            tickets, shape = list(dump.tickets), dump.shape
            if not dump.complete:
                print(
                    f"warning: tickets changed while paging; got {len(tickets):,} of "
                    f"{shape.total_items:,} (run again for a consistent snapshot)",
                    file=sys.stderr,
                )
                code = EXIT_FAILED
            where = f"all {shape.total_pages} pages"
        else:
            page = await pager.page(args.page)
            tickets, shape = list(page.tickets), page.shape
            where = f"page {page.number} of {shape.total_pages}"
            if page.number > max(shape.total_pages, 1):
                return fail(
                    f"tickets: there is no page {page.number}; this query has "
                    f"{shape.total_pages} pages of {shape.per_page} "
                    f"({shape.total_items:,} tickets)"
                )
    finally:
        await pager.aclose()
        await close_client()
    if shape.per_page < query.per_page:
        print(
            f"note: the server serves at most {shape.per_page} tickets per page; "
            f"pages are numbered in its page size",
            file=sys.stderr,
        )
    _emit(tickets, query, fmt, output, f"{where} · {shape.total_items:,} tickets")
    return code


def _emit(tickets: list[Any], query: TicketQuery, fmt: str, output: Any, summary: str) -> None:
    from cxconsole.tickets.export import export_text, write_export

    if output is not None and fmt in ("csv", "json"):
        write_export(tickets, output, fmt, query)  # type: ignore[arg-type]
        print(f"wrote {len(tickets):,} tickets to {output} ({summary})", file=sys.stderr)
        return
    if fmt in ("csv", "json"):
        sys.stdout.write(export_text(tickets, fmt, query))  # type: ignore[arg-type]
        return
    text = render_table(tickets, query) + f"\n{summary}\n"
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, "utf-8")
        print(f"wrote {len(tickets):,} tickets to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def render_table(tickets: list[Any], query: TicketQuery, width: int | None = None) -> str:
    """An aligned plain-text table; the comment gets what the terminal width leaves.

    On a narrow terminal the received time, then the phone, then the status columns go
    before the comment drops below 16 cells.
    """
    import shutil

    from cxconsole.tickets.rows import ticket_row

    width = width or shutil.get_terminal_size((120, 24)).columns
    rows = [_cells(ticket_row(t, query)) for t in tickets]
    columns = [i for i in range(8) if i != 3 or any(r[3] for r in rows)]
    widths = {i: max(_width(r[i]) for r in [HEAD, *rows]) for i in columns if i != 4}
    for drop in (7, 6, 3):
        if width - sum(widths.values()) - 2 * (len(columns) - 1) >= 16 or drop not in columns:
            continue
        columns.remove(drop)
        del widths[drop]
    widths[4] = max(16, width - sum(widths.values()) - 2 * (len(columns) - 1))
    lines = []
    for row in [HEAD, *rows]:
        parts = []
        for i in columns:
            text = _cut(row[i], widths[i])
            pad = " " * (widths[i] - _width(text))
            parts.append(pad + text if i in (0, 1, 2) else text + pad)
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


HEAD = ("TICKET", "LEFT", "RATING", "STATUS", "COMMENT", "E-MAIL", "PHONE", "RECEIVED")


def _cells(row: TicketRow) -> tuple[str, ...]:
    return (
        row.ticket_id,
        row.time_left,
        row.rating or "-",
        row.status,
        row.comment,
        row.email,
        row.phone or "-",
        row.received,
    )


def _width(text: str) -> int:
    """Terminal cells: CJK and emoji take two (a Japanese comment must not break the columns)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cut(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        cells = _width(char)
        if used + cells > width - 1:
            break
        out.append(char)
        used += cells
    return "".join(out) + "…"


def _progress_printer() -> Any:
    def show(event: Any) -> None:
        if event.phase == "done":
            sys.stderr.write("\r\033[K")
        else:
            sys.stderr.write(
                f"\rfetching page {event.done}/{event.total} ({event.tickets:,} tickets)\033[K"
            )
        sys.stderr.flush()

    return show
