"""Split a pasted reply into status, headers and body: `curl -i`, `curl -v`, or a bare body."""

from __future__ import annotations

import re

_STATUS_LINE = re.compile(r"HTTP/\d(?:\.\d)?\s+(\d{3})(?:\s.*)?", re.IGNORECASE)
_BARE_STATUS = re.compile(r"(\d{3})(?:\s+[A-Za-z][A-Za-z '\-]*)?")
_HEADER = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*)")
_CURL_DATA = re.compile(r"[{}] \[\d+ bytes data\]")


def _unverbose(lines: list[str]) -> list[str]:
    """`curl -v` prefixes reply lines with "< " and adds "> " and "* " lines: keep the reply."""
    head = next((ln for ln in lines if ln.strip()), "")
    if head[:2] not in ("* ", "> ", "< "):
        return lines
    out = []
    for ln in lines:
        if ln.startswith("< "):
            out.append(ln[2:])
        elif ln.rstrip() == "<":
            out.append("")
        elif ln[:2] in ("* ", "> ") or ln.rstrip() in (">", "*") or _CURL_DATA.fullmatch(ln):
            continue
        else:
            out.append(ln)  # the body, which curl prints without a prefix
    return out


def parse_capture(text: str) -> tuple[int | None, dict[str, str], str]:
    """``(status, headers, body)`` of a captured reply; header names are lower-cased."""
    lines = _unverbose(text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    status: int | None = None
    headers: dict[str, str] = {}
    i = start
    # A capture may hold several heads (100 Continue, redirects): the last one is the reply.
    while i < len(lines):
        first = lines[i].strip()
        m = _STATUS_LINE.fullmatch(first) or (_BARE_STATUS.fullmatch(first) if i == start else None)
        if m is None:
            break
        status = int(m.group(1))
        headers = {}
        i += 1
        while i < len(lines) and lines[i].strip():
            h = _HEADER.fullmatch(lines[i].strip())
            if h is None:
                break  # no blank line before the body: the body starts here
            headers[h.group(1).lower()] = h.group(2).strip()
            i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
    if status is None:
        # Headers without a status line, then a blank line, then the body.
        j = start
        found: dict[str, str] = {}
        while j < len(lines) and lines[j].strip():
            h = _HEADER.fullmatch(lines[j].strip())
            if h is None or lines[j].lstrip()[:1] in "\"'{[":
                found = {}
                break
            found[h.group(1).lower()] = h.group(2).strip()
            j += 1
        if found:
            headers, i = found, j + 1
        else:
            i = start
    body = "\n".join(lines[i:]).strip()
    return status, headers, body
