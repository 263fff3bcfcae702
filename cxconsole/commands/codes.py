"""``cxconsole codes``: search the error-code catalog (stdlib only, so it starts fast)."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # typing itself costs milliseconds at start
if TYPE_CHECKING:
    from cxconsole.catalog import CatalogEntry

RETRYABLE_CHOICES = ("yes", "after_pause", "never")
JSON_KEYS = ("vendor", "code", "name", "http_status", "message", "meaning", "retryable", "action")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "codes",
        help="search the error-code catalog",
        description="Search the error-code catalog by code, name or words; one match in full.",
    )
    parser.add_argument("query", nargs="?", metavar="QUERY", help="a code (1010), name or words")
    parser.add_argument("--vendor", metavar="V", help="only this vendor (questionpro, webex, ...)")
    parser.add_argument("--retryable", choices=RETRYABLE_CHOICES, help="only entries retried so")
    parser.add_argument("--full", action="store_true", help="print every match in full")
    parser.add_argument("--json", action="store_true", help="print a JSON array of entries")
    parser.set_defaults(handler=run)


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 3, 0)].rstrip() + "..."


def table(entries: list[CatalogEntry], width: int) -> str:
    """A compact aligned table: vendor, code, name, HTTP, retryable, meaning (shortened)."""
    rows = [
        (
            e.vendor,
            e.code,
            _shorten(e.name, 32),
            "-" if e.http_status is None else str(e.http_status),
            e.retryable,
            e.meaning,
        )
        for e in entries
    ]
    head = ("VENDOR", "CODE", "NAME", "HTTP", "RETRYABLE", "MEANING")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    room = max(width - sum(widths) - 2 * 5, 20)
    lines = []
    for row in [head, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(5)]
        lines.append("  ".join([*cells, _shorten(row[5], room)]).rstrip())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from cxconsole.catalog import closest, format_entry, search, vendors
    from cxconsole.catalog.format import terminal_width

    vendor = args.vendor.strip().lower() if args.vendor else None
    if vendor is not None and vendor not in vendors():
        print(
            f"cxconsole codes: unknown vendor {args.vendor!r}; known: {', '.join(vendors())}",
            file=sys.stderr,
        )
        return 2
    found = search(args.query, vendor=vendor, retryable=args.retryable)
    width = terminal_width()
    if args.json:
        import json

        items = [{k: e.as_dict("cli", "catalog")[k] for k in JSON_KEYS} for e in found]
        print(json.dumps(items, indent=2))
    elif len(found) == 1 or (found and args.full):
        print("\n\n".join(format_entry(e, min(width, 100), context="catalog") for e in found))
    elif found:
        print(table(found, width))
    if found:
        return 0
    limits = []
    if vendor:
        limits.append(f"vendor {vendor}")
    if args.retryable:
        limits.append(f"retryable {args.retryable}")
    where = f" ({', '.join(limits)})" if limits else ""
    print(f"no catalog entry matches {args.query or 'the filters'!r}{where}", file=sys.stderr)
    near = closest(args.query or "", vendor=vendor)
    if near:
        print("closest:", file=sys.stderr)
        for e in near:
            print(f"  {e.vendor} {e.code} {e.name}", file=sys.stderr)
    return 1
