"""Decode a raw vendor reply into a catalog entry, guided only by each vendor's reply shape."""

from __future__ import annotations

from collections.abc import Mapping

from cxconsole.catalog.entry import CatalogEntry, Decoded
from cxconsole.catalog.lenient import parse_lenient, to_text
from cxconsole.catalog.store import (
    VendorInfo,
    all_entries,
    catalog,
    closest,
    lookup,
    normalise_code,
    vendor_info,
    vendor_title,
)

TYPE_CHECKING = False  # typing itself costs milliseconds at start
if TYPE_CHECKING:
    from typing import Any

_MISSING = object()


class _Reading:
    """What the body and the status line said, gathered before matching an entry."""

    __slots__ = ("code", "from_status", "message", "name", "status")

    def __init__(self, status: int | None) -> None:
        self.status = status
        self.code: str | None = None
        self.from_status = False  # the code is the HTTP status (Expoints), not from the body
        self.message: str | None = None
        self.name: str | None = None


def _get(obj: Any, path: str, *, fold_case: bool = True) -> Any:
    """The value at a dotted key path; a list on the way stands for its first object."""
    cur = obj
    for part in path.split("."):
        if isinstance(cur, list):
            cur = next((x for x in cur if isinstance(x, dict)), None)
        if not isinstance(cur, dict):
            return _MISSING
        if part in cur:
            cur = cur[part]
            continue
        if not fold_case:
            return _MISSING
        low = part.lower()
        key = next((k for k in cur if isinstance(k, str) and k.lower() == low), _MISSING)
        if key is _MISSING:
            return _MISSING
        cur = cur[key]
    return cur


def _group(top: Any, groups: tuple[tuple[str, ...], ...]) -> tuple[str, ...] | None:
    """The longest group of paths that are all present (exact case: they identify a vendor)."""
    best: tuple[str, ...] | None = None
    for group in groups:
        longer = best is None or len(group) > len(best)
        if longer and all(_get(top, p, fold_case=False) is not _MISSING for p in group):
            best = group
    return best


def _first(top: Any, paths: tuple[str, ...]) -> tuple[Any, str | None]:
    for path in paths:
        value = _get(top, path)
        if value is not _MISSING and value is not None and value != "":
            return value, path
    return None, None


def _as_status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 100 <= number <= 599 else None


def _scalar_code(value: Any) -> str | None:
    if isinstance(value, (dict, list)):
        return None
    code = normalise_code(value)
    return code if code and len(code) <= 40 else None


def _details(path: str, value: Any) -> list[str]:
    """Short lines for context worth showing: ASP.NET ModelState, transaction ids, ..."""
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            said = "; ".join(str(x) for x in item) if isinstance(item, list) else str(item)
            lines.append(f"{path} {key}: {said}")
    elif isinstance(value, list):
        lines.append(f"{path}: " + "; ".join(str(x) for x in value))
    else:
        lines.append(f"{path}: {value}")
    return [line if len(line) <= 200 else line[:197] + "..." for line in lines[:5]]


def _read_body(body: Any, notes: list[str]) -> Any:
    if body is None:
        notes.append("no body")
        return None
    if isinstance(body, (dict, list)):
        return body
    if isinstance(body, (bytearray, memoryview)):
        body = bytes(body)
    if not isinstance(body, (str, bytes)):
        notes.append(f"body of type {type(body).__name__} ignored")
        return None
    from cxconsole.redact import redact_pasted

    text = redact_pasted(to_text(body))  # a vendor may echo the key it refused
    if not text.strip():
        notes.append("empty body")
        return None
    try:
        value, repairs = parse_lenient(text)
    except ValueError:
        lead = text.lstrip()[:60].replace("\n", " ")
        if lead.startswith("<"):
            notes.append("body is HTML or XML, not JSON (an error page from a proxy?)")
        else:
            notes.append(f"body is not JSON: {lead!r}")
        return None
    if repairs:
        notes.append("body repaired: " + "; ".join(repairs))
    return value


def _identify(top: Any) -> tuple[VendorInfo | None, tuple[str, ...] | None]:
    best: tuple[VendorInfo | None, tuple[str, ...] | None] = (None, None)
    for info in catalog().values():
        group = _group(top, info.shape.signature)
        if group and (best[1] is None or len(group) > len(best[1])):
            best = (info, group)
    return best


def _by_status(info: VendorInfo | None, status: int) -> tuple[CatalogEntry | None, str]:
    """The fallback when a reply has no code: the vendor's entry for the status, then HTTP's."""
    if info is not None:
        entry = lookup(info.vendor, str(status), status)
        if entry is not None and entry.http_status == status:
            return entry, f"no code in the body; {info.title}'s entry for HTTP {status}"
        at_status = [e for e in info.entries if e.http_status == status and not e.ok]
        if len(at_status) == 1:
            return at_status[0], f"no code in the body; the only {info.title} code at HTTP {status}"
    entry = lookup("http", str(status), status)
    if entry is not None:
        return entry, f"no vendor code; generic HTTP {status}"
    return None, ""


def _candidates(info: VendorInfo | None, seen: _Reading) -> list[CatalogEntry]:
    """Closest entries when nothing fits: same code, same status, similar message."""
    import difflib  # the unhappy path only

    code, status = seen.code, seen.status
    said = seen.message.lower()[:300] if seen.message else None
    scored: list[tuple[float, int, CatalogEntry]] = []
    for i, e in enumerate(all_entries()):
        if e.vendor == "cxconsole":
            continue  # our own outcomes never come back in a reply
        score = 0.0
        if code is not None and e.code.upper() == code.upper():
            score += 3
        elif code is not None and e.vendor != "http":
            # A near code (1011 for 1010, 113 between 112 and 114) is a likely sibling or typo.
            if code.isdigit() and e.code.isdigit():
                score += abs(int(code) - int(e.code)) <= 2
            else:
                score += difflib.SequenceMatcher(None, code, e.code).ratio() >= 0.75
        if status is not None and e.http_status == status:
            score += 1.5 if info is not None and e.vendor == info.vendor else 1
        if info is not None and e.vendor == info.vendor:
            score += 0.5
        if seen.name and e.name.upper() == seen.name.upper():
            score += 1.5
        if said:
            ratio = difflib.SequenceMatcher(None, said, e.message.lower()[:300]).ratio()
            if ratio > 0.5:
                score += 2 * ratio
        if score >= 1:
            scored.append((score, -i, e))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [e for _, _, e in scored[:5]]


def _vendor(vendor: Any, top: Any, notes: list[str]) -> VendorInfo | None:
    """The vendor given (when the catalog knows it), else the one the body's shape names."""
    given = None
    if isinstance(vendor, str) and vendor.strip():
        given = vendor_info(vendor)
        if given is None:
            notes.append(f"unknown vendor {vendor!r} ignored (known: {', '.join(catalog())})")
    found, group = _identify(top) if isinstance(top, dict) else (None, None)
    if given is not None:
        notes.append(f"vendor: {given.title} (given)")
        if found is not None and found is not given and group:
            notes.append(f"the body looks like {found.title}'s (has {' + '.join(group)})")
        return given
    if found is not None and group:
        notes.append(f"vendor: {found.title} (body has {' + '.join(group)})")
    return found


def _extract(info: VendorInfo, top: Any, seen: _Reading, source: str, notes: list[str]) -> None:
    """Code, message, echoed status and details, read through the vendor's key paths."""
    shape = info.shape
    if isinstance(top, dict):
        raw, path = _first(top, shape.code_paths)
        seen.code = _scalar_code(raw)
        if seen.code is not None:
            notes.append(f"code {seen.code} from {path}")
        raw, _ = _first(top, shape.name_paths)
        seen.name = raw if isinstance(raw, str) else None
        raw, _ = _first(top, shape.message_paths)
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            seen.message = str(raw)
        raw, path = _first(top, shape.status_paths)
        echoed = _as_status(raw)
        if echoed is not None and seen.status is None:
            seen.status = echoed
            notes.append(f"HTTP {echoed} from {path}")
        elif echoed is not None and echoed != seen.status:
            notes.append(f"HTTP {seen.status} from {source}, but {path} says {echoed}")
        for path in shape.detail_paths:
            value = _get(top, path)
            if value is not _MISSING and value not in (None, "", {}, []):
                notes.extend(_details(path, value))
    if seen.code is None and shape.status_is_code and seen.status is not None:
        seen.code, seen.from_status = str(seen.status), True
        notes.append(
            f"code {seen.code} from the HTTP status ({info.title} codes are HTTP statuses)"
        )


def _match(
    info: VendorInfo | None, top: Any, seen: _Reading, notes: list[str]
) -> tuple[CatalogEntry | None, bool, str | None]:
    """The entry, whether the reply is a success, and how: by code, success shape, status."""
    st, code = seen.status, seen.code
    is_2xx = st is not None and 200 <= st < 300
    entry: CatalogEntry | None = None
    ok = False
    how: str | None = None
    if info is not None and code is not None:
        entry = lookup(info.vendor, code, st)
        ok = (entry is not None and entry.ok) or code in info.shape.ok_codes
        if entry is None and not ok:
            if seen.from_status and is_2xx and info.shape.ok_on_2xx:
                ok = True
                notes.append(f"success: HTTP {st}")
            elif not seen.from_status:
                notes.append(f"{info.title} code {code} is not in the catalog")
        elif entry is not None and st is not None and entry.http_status not in (None, st):
            notes.append(f"the catalog documents {code} at HTTP {entry.http_status}, not {st}")
        if ok and entry is not None:
            notes.append(f"success: code {code}")
        if ok:
            how = "success"
        elif entry is not None:
            how = "status" if seen.from_status else "code"
    elif info is not None:
        ok_group = _group(top, info.shape.ok_signature) if isinstance(top, dict) else None
        if ok_group and (st is None or is_2xx):
            ok, how = True, "success"
            notes.append(f"success: body has {' + '.join(ok_group)}")
        elif is_2xx and info.shape.ok_on_2xx:
            ok, how = True, "success"
            notes.append(f"success: HTTP {st} and no error code in the body")
    if entry is None and not ok and (code is None or seen.from_status) and st is not None:
        entry, why = _by_status(info, st)
        if entry is not None:
            notes.append(why)
            how = "status"
        elif is_2xx and info is None:
            # Webex fails with HTTP 200: a bare 2xx from an unknown vendor proves nothing.
            notes.append(f"HTTP {st}, but nothing says which vendor: give the vendor")
    return entry, ok, how


# Keys where a body that fits no vendor's shape may still say its code's name or its message.
_GENERIC_SAID = ("name", "message", "error", "error.name", "error.message", "description")


def _said(top: dict[str, Any]) -> list[tuple[str, str]]:
    """``(path, text)`` of every short text the body holds where a name or message could be."""
    paths = [
        p
        for info in catalog().values()
        for p in (*info.shape.name_paths, *info.shape.message_paths)
    ]
    found: list[tuple[str, str]] = []
    for path in dict.fromkeys([*_GENERIC_SAID, *paths]):
        value = _get(top, path)
        text = value.strip() if isinstance(value, str) else ""
        if text and len(text) <= 300 and all(text != seen for _, seen in found):
            found.append((path, text))
    return found


def _by_name(
    info: VendorInfo | None, top: dict[str, Any], seen: _Reading, notes: list[str]
) -> CatalogEntry | None:
    """The one entry whose name the body's message or name equals (the vendor's, if known)."""
    pool = [
        e
        for e in all_entries()
        if e.vendor != "cxconsole" and (info is None or e.vendor == info.vendor)
    ]
    for path, text in _said(top):
        named = [e for e in pool if e.name.upper() == text.upper()]
        if seen.code is not None and not seen.from_status:
            # A code that says otherwise wins: the name of 105 under code 199 is no 105.
            named = [e for e in named if e.code.upper() == seen.code.upper()]
        if len(named) > 1 and seen.status is not None:
            named = [e for e in named if e.http_status == seen.status] or named
        if len(named) == 1:
            entry = named[0]
            notes.append(
                f"recognised by name: {path} {text!r} is the name of exactly one entry, "
                f"{vendor_title(entry.vendor)} {entry.code}"
            )
            return entry
        if named:
            notes.append(f"{path} {text!r} names {len(named)} entries: not enough to choose")
    return None


def _loose_code(info: VendorInfo, top: dict[str, Any]) -> tuple[str | None, str | None]:
    """A code where this vendor keeps it, spelled in any case, or under its last key alone."""
    for path in info.shape.code_paths:
        leaf = path.rsplit(".", 1)[-1]
        tries = [path, leaf, *(f"{k}.{leaf}" for k, v in top.items() if isinstance(v, dict))]
        for attempt in tries:
            value = _get(top, attempt)
            code = None if value is _MISSING else _scalar_code(value)
            if code is not None:
                return code, attempt
    return None, None


def _by_unique_code(top: dict[str, Any], seen: _Reading, notes: list[str]) -> CatalogEntry | None:
    """The entry when the body's code is in the catalog for only one of the vendors whose
    reply shape the body loosely fits (the code sits where that vendor keeps its codes)."""
    fits: list[tuple[VendorInfo, str, str]] = []
    for info in catalog().values():
        if info.shape.status_is_code or not info.shape.code_paths:
            continue  # codes that are HTTP statuses say nothing about a body
        code, path = _loose_code(info, top)
        if code is not None and path is not None:
            fits.append((info, code, path))
    if not fits:
        return None
    found = [
        (info, entry, path)
        for info, code, path in fits
        if (entry := lookup(info.vendor, code, seen.status)) is not None
    ]
    if len(found) > 1 and seen.status is not None:
        found = [f for f in found if f[1].http_status == seen.status] or found
    titles = ", ".join(info.title for info, _, _ in fits)
    if len(found) != 1:
        if len(found) > 1:
            notes.append(f"the code is in the catalog for several vendors that fit: {titles}")
        return None
    info, entry, path = found[0]
    notes.append(
        f"recognised by code: {entry.code} (from {path}) is in the catalog only for "
        f"{info.title} among the vendors whose reply shape the body loosely fits ({titles})"
    )
    return entry


def _fallback(seen: _Reading, vendor: str | None, text: str) -> list[CatalogEntry]:
    """Something to offer when no candidate scored: similar words, else the same status."""
    words = (seen.message or text[:200]).strip()
    near = closest(words, vendor=vendor) if words else []
    if not near and seen.status is not None:
        near = [e for e in all_entries() if e.http_status == seen.status][:5]
    return near


def _decode(status: Any, body: Any, vendor: Any, headers: Any, source: str) -> Decoded:
    notes: list[str] = []
    seen = _Reading(_as_status(status))
    if status is not None and seen.status is None:
        notes.append(f"ignored status {status!r}: not an HTTP status")
    elif seen.status is not None:
        notes.append(f"HTTP {seen.status} from {source}")

    parsed = _read_body(body, notes)
    top = parsed
    if isinstance(parsed, list):
        top = next((x for x in parsed if isinstance(x, dict)), None)
    info = _vendor(vendor, top, notes)

    if isinstance(headers, Mapping):
        retry_after = next(
            (v for k, v in headers.items() if isinstance(k, str) and k.lower() == "retry-after"),
            None,
        )
        if retry_after is not None:
            notes.append(f"Retry-After: {retry_after} (from headers)")

    if info is not None:
        _extract(info, top, seen, source, notes)
    entry, ok, how = _match(info, top, seen, notes)
    if info is None and entry is None and isinstance(top, dict):
        # No vendor: still pull a code from any vendor's paths, and what the body says.
        for other in catalog().values():
            seen.code = _scalar_code(_first(top, other.shape.code_paths)[0])
            if seen.code is not None:
                notes.append(f"code {seen.code} found, but the body matches no vendor's shape")
                break
        else:
            notes.append("the body matches no vendor's shape")
        said = _said(top)
        seen.message = said[0][1] if said else None
    if entry is None and not ok and isinstance(top, dict):
        entry = _by_name(info, top, seen, notes)
        how = "name" if entry is not None else None
        if entry is None and info is None:
            entry = _by_unique_code(top, seen, notes)
            how = "unique_code" if entry is not None else None
        if entry is not None:
            ok = entry.ok
            info = info or vendor_info(entry.vendor)
            if seen.code is None or seen.from_status:
                seen.code = entry.code

    candidates: list[CatalogEntry] = []
    if entry is None and not ok:
        candidates = _candidates(info, seen) or _fallback(
            seen, info.vendor if info else None, body if isinstance(body, str) else ""
        )
    return Decoded(
        vendor=info.vendor if info is not None else (entry.vendor if entry else None),
        code=seen.code if seen.code is not None else (entry.code if entry else None),
        http_status=seen.status,
        entry=entry,
        ok=ok,
        message=seen.message,
        body=parsed,
        recognised=notes,
        candidates=candidates,
        matched_by=how,
    )


def decode_reply(
    status: int | None,
    body: str | bytes | None,
    vendor: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    status_source: str = "status line",
) -> Decoded:
    """What a raw reply means: vendor, code and catalog entry, or the closest candidates.

    Never raises: a reply too strange to read is itself worth showing to the operator.
    """
    try:
        return _decode(status, body, vendor, headers, status_source)
    except Exception as exc:  # the last line of defence; the tests fuzz so this stays unused
        return Decoded(
            vendor=None,
            code=None,
            http_status=None,
            entry=None,
            ok=False,
            recognised=[f"decoder error: {exc.__class__.__name__}: {exc}"],
        )


def decode_capture(
    text: str | bytes,
    vendor: str | None = None,
    *,
    status: int | None = None,
    status_source: str = "the status given",
) -> Decoded:
    """Decode a pasted or saved capture: a status line, headers and a body, or a bare body.

    ``status``, when given, replaces the capture's own; ``status_source`` names it in the notes.
    """
    from cxconsole.catalog.capture import parse_capture
    from cxconsole.catalog.lenient import to_text
    from cxconsole.redact import redact_pasted

    # What the operator pasted is echoed in the notes: a key or token in it is masked first.
    said_status, headers, body = parse_capture(redact_pasted(to_text(text)))
    if status is not None:
        return decode_reply(status, body, vendor, headers, status_source=status_source)
    return decode_reply(said_status, body, vendor, headers)
