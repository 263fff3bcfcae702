"""Plain-text renderings of entries and decoded replies, for the CLI and the logs."""

from __future__ import annotations

import os
import sys

from cxconsole.catalog.entry import CatalogEntry, Decoded
from cxconsole.catalog.store import vendor_title

_WIDTH = 100


def terminal_width(default: int = _WIDTH) -> int:
    """Like shutil.get_terminal_size().columns, without importing shutil (a fast start)."""
    try:
        return max(int(os.environ["COLUMNS"]), 40)
    except (KeyError, ValueError):
        pass
    stdout = sys.__stdout__  # None without a console (pythonw)
    if stdout is None:
        return default
    try:
        return max(os.get_terminal_size(stdout.fileno()).columns, 40)
    except (AttributeError, ValueError, OSError):
        return default


def _field(label: str, text: str | None, width: int = _WIDTH) -> list[str]:
    import textwrap  # only when printing in full

    head = f"  {label + ':':<15}"
    if not text:
        return [head + "-"]
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=head,
        subsequent_indent=" " * len(head),
        break_on_hyphens=False,
    ) or [head]


def heading(entry: CatalogEntry) -> str:
    http = f"HTTP {entry.http_status}" if entry.http_status is not None else "HTTP not documented"
    return f"{vendor_title(entry.vendor)} {entry.code} {entry.name} ({http})"


def format_entry(
    entry: CatalogEntry,
    width: int = _WIDTH,
    *,
    face: str | None = "cli",
    context: str | None = None,
) -> str:
    """One entry in full: what the vendor says, what it means, and what to do (for the face)."""
    lines = [heading(entry) + ("  [success]" if entry.ok else "")]
    lines += _field("vendor says", entry.message, width)
    lines += _field("meaning", entry.meaning, width)
    lines += _field("retryable", entry.retryable, width)
    lines += _field("what to do", entry.action_for(face, context), width)
    lines += _field("docs", entry.docs, width)
    return "\n".join(lines)


def format_decoded(
    decoded: Decoded, width: int = _WIDTH, *, face: str | None = "cli", context: str | None = None
) -> str:
    """A decoded reply: the entry (or "not recognised" and the closest), how it was matched,
    then what was seen."""
    lines: list[str] = []
    if decoded.entry is not None:
        lines.append(format_entry(decoded.entry, width, face=face, context=context))
        if decoded.message and decoded.message != decoded.entry.message:
            lines += _field("reply says", decoded.message, width)
    elif decoded.ok:
        who = vendor_title(decoded.vendor) if decoded.vendor else "the vendor"
        lines.append(f"{who}: success" + (f" ({decoded.message})" if decoded.message else ""))
    else:
        lines.append("not recognised")
        if decoded.message:
            lines += _field("reply says", decoded.message, width)
    if decoded.how:
        lines += _field("matched by", decoded.how, width)
    lines.append("recognised:")
    lines += [f"  - {note}" for note in decoded.recognised] or ["  - nothing"]
    if decoded.candidates:
        lines.append("closest matches:")
        lines += [f"  - {heading(c)}" for c in decoded.candidates]
    return "\n".join(lines)
