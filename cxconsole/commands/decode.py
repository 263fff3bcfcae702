"""``cxconsole decode``: explain a raw vendor reply (status line, headers, body, or a bare body)."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "decode",
        help="decode a raw vendor reply",
        description=(
            "Decode a captured reply: an optional status line (HTTP/1.1 401 ...), optional "
            "headers, a blank line and the body; or just the body. Reads FILE, or stdin."
        ),
    )
    parser.add_argument("file", nargs="?", default="-", metavar="FILE|-", help="default: stdin")
    parser.add_argument("--vendor", metavar="V", help="the vendor, when the body cannot tell")
    parser.add_argument("--status", type=int, metavar="N", help="the HTTP status, if not captured")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def _read(name: str) -> bytes:
    if name == "-":
        if sys.stdin.isatty():
            print("paste the reply, then Ctrl-D on an empty line:", file=sys.stderr)
        return sys.stdin.buffer.read()
    with open(name, "rb") as handle:
        return handle.read()


def run(args: argparse.Namespace) -> int:
    from cxconsole.catalog import decode_capture, format_decoded, vendors
    from cxconsole.catalog.format import terminal_width

    vendor = args.vendor.strip().lower() if args.vendor else None
    if vendor is not None and vendor not in vendors():
        print(
            f"cxconsole decode: unknown vendor {args.vendor!r}; known: {', '.join(vendors())}",
            file=sys.stderr,
        )
        return 2
    try:
        raw = _read(args.file)
    except OSError as exc:
        print(f"cxconsole decode: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    decoded = decode_capture(raw, vendor, status=args.status, status_source="--status")
    if args.json:
        import json

        print(json.dumps(decoded.as_dict("cli", "catalog"), indent=2, ensure_ascii=False))
    else:
        width = min(terminal_width(), 100)
        print(format_decoded(decoded, width=width, face="cli", context="catalog"))
    return 0 if decoded.understood else 1
