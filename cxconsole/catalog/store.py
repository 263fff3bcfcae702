"""The catalog's data: one TOML file per vendor, read once, and the queries over it."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import NamedTuple

from cxconsole.catalog.entry import CatalogEntry

RETRYABLE = ("yes", "after_pause", "never")

_ENTRY_KEYS = {
    "code",
    "name",
    "http_status",
    "message",
    "meaning",
    "retryable",
    "action",
    "docs",
    "ok",
}
_REQUIRED_KEYS = {"code", "name", "message", "meaning", "retryable", "action"}
_PATH_LISTS = ("code_paths", "name_paths", "message_paths", "status_paths", "detail_paths")
_GROUP_LISTS = ("signature", "ok_signature")
_SHAPE_KEYS = {*_PATH_LISTS, *_GROUP_LISTS, "ok_codes", "ok_on_2xx", "status_is_code"}


# NamedTuple, not dataclass: a dataclass costs milliseconds to create, and `codes` must start fast.
class ReplyShape(NamedTuple):
    """How a vendor's reply bodies look, as data: the decoder reads nothing else."""

    signature: tuple[tuple[str, ...], ...] = ()  # groups of key paths; all present = this vendor
    code_paths: tuple[str, ...] = ()  # first path that resolves to a scalar gives the code
    name_paths: tuple[str, ...] = ()
    message_paths: tuple[str, ...] = ()
    status_paths: tuple[str, ...] = ()  # the HTTP status echoed in the body
    detail_paths: tuple[str, ...] = ()  # extra context worth showing (ModelState, trans_id)
    ok_codes: tuple[str, ...] = ()  # codes that mean success
    ok_signature: tuple[tuple[str, ...], ...] = ()  # body shapes that mean success, with no code
    ok_on_2xx: bool = False  # a 2xx with no code in the body is a success
    status_is_code: bool = False  # the HTTP status IS the code (Expoints)


class VendorInfo(NamedTuple):
    """One vendor file: its title, docs, reply shape and entries."""

    vendor: str
    title: str
    docs: str | None
    order: int
    shape: ReplyShape
    entries: tuple[CatalogEntry, ...]


def _paths(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise ValueError(f"{where}: expected a list of key paths")
    return tuple(raw)


def _shape(raw: dict, where: str) -> ReplyShape:
    unknown = set(raw) - _SHAPE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown [reply] keys {sorted(unknown)}")
    fields: dict[str, object] = {k: _paths(raw.get(k, []), f"{where} {k}") for k in _PATH_LISTS}
    for key in _GROUP_LISTS:
        groups = raw.get(key, [])
        if not isinstance(groups, list):
            raise ValueError(f"{where} {key}: expected a list of lists of key paths")
        fields[key] = tuple(_paths(g, f"{where} {key}") for g in groups)
    fields["ok_codes"] = tuple(str(c) for c in raw.get("ok_codes", []))
    fields["ok_on_2xx"] = bool(raw.get("ok_on_2xx", False))
    fields["status_is_code"] = bool(raw.get("status_is_code", False))
    return ReplyShape(**fields)  # type: ignore[arg-type]


def _entry(raw: dict, vendor: str, docs: str | None, where: str) -> CatalogEntry:
    unknown = set(raw) - _ENTRY_KEYS
    missing = _REQUIRED_KEYS - set(raw)
    if unknown or missing:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
    if raw["retryable"] not in RETRYABLE:
        raise ValueError(f"{where}: retryable must be one of {RETRYABLE}")
    status = raw.get("http_status")
    if status is not None and not isinstance(status, int):
        raise ValueError(f"{where}: http_status must be an integer")
    return CatalogEntry(
        vendor=vendor,
        code=str(raw["code"]),
        name=raw["name"],
        http_status=status,
        message=raw["message"],
        meaning=raw["meaning"],
        retryable=raw["retryable"],
        action=raw["action"],
        docs=raw.get("docs", docs),
        ok=bool(raw.get("ok", False)),
    )


def _read(name: str, text: str) -> VendorInfo:
    data = tomllib.loads(text)
    vendor = data.get("vendor", name)
    if vendor != name:
        raise ValueError(f"{name}.toml: vendor = {vendor!r} must match the file name")
    docs = data.get("docs")
    entries = tuple(
        _entry(raw, vendor, docs, f"{name}.toml entry {i}")
        for i, raw in enumerate(data.get("entries", []))
    )
    return VendorInfo(
        vendor=vendor,
        title=data.get("title", vendor),
        docs=docs,
        order=int(data.get("order", 50)),
        shape=_shape(data.get("reply", {}), f"{name}.toml [reply]"),
        entries=entries,
    )


@functools.cache
def catalog() -> dict[str, VendorInfo]:
    """Every vendor file in ``data/``, parsed once; a new vendor is one more file."""
    folder = resources.files("cxconsole.catalog").joinpath("data")
    found = [
        _read(item.name[: -len(".toml")], item.read_text(encoding="utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".toml")
    ]
    found.sort(key=lambda v: (v.order, v.vendor))
    return {v.vendor: v for v in found}


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
