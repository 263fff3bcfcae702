"""The catalog's data, read once from its generated Python-literal form, and the queries over it.

The TOML files in ``data/`` are the source; :mod:`cxconsole.catalog.build` checks them and writes
``_data.py``, a plain literal that loads from its bytecode in well under a millisecond (a test
keeps the two in sync). ``tomllib`` and ``importlib.resources`` are never imported to answer.
"""

from __future__ import annotations

import functools

from cxconsole.catalog.entry import CatalogEntry

TYPE_CHECKING = False  # typing itself costs milliseconds at start
if TYPE_CHECKING:
    from typing import Any

RETRYABLE = ("yes", "after_pause", "never")


class ReplyShape(tuple[object, ...]):  # a NamedTuple would import typing: `codes` must start fast
    """How a vendor's reply bodies look, as data: the decoder reads nothing else.

    signature: groups of key paths; all present = this vendor. code_paths: the first path that
    resolves to a scalar gives the code. status_paths: the HTTP status echoed in the body.
    detail_paths: extra context worth showing (ModelState, trans_id). ok_codes: codes that mean
    success. ok_signature: body shapes that mean success, with no code. ok_on_2xx: a 2xx with no
    code in the body is a success. status_is_code: the HTTP status IS the code (Expoints).
    """

    __slots__ = ()
    FIELDS = (
        "signature",
        "code_paths",
        "name_paths",
        "message_paths",
        "status_paths",
        "detail_paths",
        "ok_codes",
        "ok_signature",
        "ok_on_2xx",
        "status_is_code",
    )

    if TYPE_CHECKING:  # what the properties below return, for the type checker
        signature: tuple[tuple[str, ...], ...]
        code_paths: tuple[str, ...]
        name_paths: tuple[str, ...]
        message_paths: tuple[str, ...]
        status_paths: tuple[str, ...]
        detail_paths: tuple[str, ...]
        ok_codes: tuple[str, ...]
        ok_signature: tuple[tuple[str, ...], ...]
        ok_on_2xx: bool
        status_is_code: bool
    else:
        signature = property(lambda self: self[0])
        code_paths = property(lambda self: self[1])
        name_paths = property(lambda self: self[2])
        message_paths = property(lambda self: self[3])
        status_paths = property(lambda self: self[4])
        detail_paths = property(lambda self: self[5])
        ok_codes = property(lambda self: self[6])
        ok_signature = property(lambda self: self[7])
        ok_on_2xx = property(lambda self: self[8])
        status_is_code = property(lambda self: self[9])


class VendorInfo(tuple[object, ...]):
    """One vendor file: its title, docs, reply shape and entries."""

    __slots__ = ()
    if TYPE_CHECKING:  # what the properties below return, for the type checker
        vendor: str
        title: str
        docs: str | None
        order: int
        shape: ReplyShape
        entries: tuple[CatalogEntry, ...]
    else:
        vendor = property(lambda self: self[0])
        title = property(lambda self: self[1])
        docs = property(lambda self: self[2])
        order = property(lambda self: self[3])
        shape = property(lambda self: self[4])
        entries = property(lambda self: self[5])


def vendor_from_literal(raw: tuple[Any, ...]) -> VendorInfo:
    """A vendor as ``_data.py`` holds it: ``(vendor, title, docs, order, shape, entries)``."""
    vendor, title, docs, order, shape, entries = raw
    return VendorInfo(
        (
            vendor,
            title,
            docs,
            order,
            ReplyShape(shape),
            tuple(CatalogEntry(vendor, *entry) for entry in entries),
        )
    )


@functools.cache
def catalog() -> dict[str, VendorInfo]:
    """Every vendor of ``data/``, in display order; a new vendor is one more TOML file."""
    from cxconsole.catalog._data import VENDORS

    return {raw[0]: vendor_from_literal(raw) for raw in VENDORS}


@functools.cache
def _index() -> dict[tuple[str, str], tuple[CatalogEntry, ...]]:
    index: dict[tuple[str, str], list[CatalogEntry]] = {}
    for info in catalog().values():
        for entry in info.entries:
            index.setdefault((info.vendor, entry.code.upper()), []).append(entry)
    return {key: tuple(value) for key, value in index.items()}


def vendors() -> list[str]:
    return list(catalog())


def vendor_info(vendor: str) -> VendorInfo | None:
    return catalog().get(vendor.strip().lower())


def vendor_title(vendor: str) -> str:
    """The display title, or the name itself for a vendor the catalog does not know."""
    info = vendor_info(vendor)
    return info.title if info else vendor


def vendor_shape(vendor: str) -> ReplyShape:
    """The reply shape of a vendor; ``KeyError`` for one the catalog does not know."""
    info = vendor_info(vendor)
    if info is None:
        raise KeyError(f"no catalog file for vendor {vendor!r} (known: {', '.join(catalog())})")
    return info.shape


def all_entries() -> list[CatalogEntry]:
    return [entry for info in catalog().values() for entry in info.entries]


def normalise_code(code: object) -> str | None:
    """A code as the catalog spells it: ``1010``, ``"1010"`` and ``1010.0`` are one code."""
    if code is None or isinstance(code, bool):
        return None
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    text = str(code).strip()
    return text or None


def lookup(vendor: str, code: str | int, http_status: int | None = None) -> CatalogEntry | None:
    """The entry for a vendor's code; with a status, prefer the entry documented at that status."""
    key = normalise_code(code)
    if key is None or not isinstance(vendor, str):
        return None
    found = _index().get((vendor.strip().lower(), key.upper()), ())
    if not found:
        return None
    if http_status is not None:
        for entry in found:
            if entry.http_status == http_status:
                return entry
    return found[0]


def search(
    query: str | None = None, *, vendor: str | None = None, retryable: str | None = None
) -> list[CatalogEntry]:
    """Exact code matches first, then HTTP status, then name/message/meaning substrings."""
    pool = [
        e
        for e in all_entries()
        if (vendor is None or e.vendor == vendor.strip().lower())
        and (retryable is None or e.retryable == retryable)
    ]
    q = (query or "").strip().lower()
    if not q:
        return pool
    tiers: list[list[CatalogEntry]] = [[], [], [], []]
    for e in pool:
        if e.code.lower() == q:
            tiers[0].append(e)
        elif e.http_status is not None and str(e.http_status) == q:
            tiers[1].append(e)
        elif q in e.name.lower():
            tiers[2].append(e)
        elif q in e.message.lower() or q in e.meaning.lower() or q == e.vendor:
            tiers[3].append(e)
    return [e for tier in tiers for e in tier]


def closest(
    query: str, *, vendor: str | None = None, limit: int = 5, cutoff: float = 0.45
) -> list[CatalogEntry]:
    """Entries nearest to a query that matched nothing: similar codes, names or words."""
    import difflib  # only on the unhappy path: keeps the normal start fast

    q = query.strip().lower()
    if not q:
        return []
    words = [w for w in q.replace("_", " ").split() if len(w) > 2]
    scored: list[tuple[float, int, CatalogEntry]] = []
    for i, e in enumerate(search(vendor=vendor)):
        score = max(
            difflib.SequenceMatcher(None, q, e.code.lower()).ratio(),
            difflib.SequenceMatcher(None, q, e.name.lower()).ratio(),
        )
        if words:
            text = f"{e.name} {e.message} {e.meaning}".lower().replace("_", " ")
            score = max(score, sum(w in text for w in words) / len(words))
        if score >= cutoff:
            scored.append((score, -i, e))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [e for _, _, e in scored[:limit]]
