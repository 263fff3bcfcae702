"""Check the catalog's TOML files and write their fast-loading form, ``_data.py``.

    python -m cxconsole.catalog.build          # rewrite _data.py from data/*.toml
    python -m cxconsole.catalog.build --check  # exit 1 when _data.py is out of date

The TOML files are what people edit; ``_data.py`` is a plain Python literal (no code runs but
the literal) that the store imports from its bytecode.
"""

from __future__ import annotations

import pprint
import sys
import tomllib
from pathlib import Path
from typing import Any

from cxconsole.catalog.entry import CONTEXTS, FACES, SCOPES
from cxconsole.catalog.store import RETRYABLE, ReplyShape

DATA = Path(__file__).with_name("data")
OUTPUT = Path(__file__).with_name("_data.py")

_ENTRY_KEYS = {
    "code",
    "name",
    "http_status",
    "message",
    "meaning",
    "retryable",
    "action",
    "advice",
    "docs",
    "ok",
    "scope",
}
_REQUIRED_KEYS = {"code", "name", "message", "meaning", "retryable", "action"}
_PATH_LISTS = ("code_paths", "name_paths", "message_paths", "status_paths", "detail_paths")
_GROUP_LISTS = ("signature", "ok_signature")
_SHAPE_KEYS = set(ReplyShape.FIELDS)
ADVICE_KEYS = frozenset(
    [*FACES, *CONTEXTS, *(f"{face}.{context}" for face in FACES for context in CONTEXTS)]
)

HEADER = '''\
"""The error catalog as a Python literal, generated from data/*.toml: do not edit by hand.

Regenerate with ``python -m cxconsole.catalog.build``; a test fails when this is out of date.
Each vendor: (vendor, title, docs, order, reply shape, entries); each entry: (code, name,
http_status, message, meaning, retryable, action, docs, ok, advice, scope).
"""

# fmt: off
VENDORS = '''


def _paths(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise ValueError(f"{where}: expected a list of key paths")
    return tuple(raw)


def _shape(raw: dict[str, Any], where: str) -> tuple[Any, ...]:
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
    return tuple(fields[name] for name in ReplyShape.FIELDS)


def _advice(raw: object, where: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v for v in raw.values()):
        raise ValueError(f"{where}: advice must be a table of texts")
    unknown = set(raw) - ADVICE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown advice keys {sorted(unknown)} (known: FACE, CONTEXT, "
                         f"FACE.CONTEXT with faces {FACES} and contexts {CONTEXTS})")  # fmt: skip
    return tuple(sorted(raw.items()))


def _entry(raw: dict[str, Any], docs: str | None, where: str) -> tuple[Any, ...]:
    unknown = set(raw) - _ENTRY_KEYS
    missing = _REQUIRED_KEYS - set(raw)
    if unknown or missing:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")
    if raw["retryable"] not in RETRYABLE:
        raise ValueError(f"{where}: retryable must be one of {RETRYABLE}")
    scope = raw.get("scope", "request")
    if scope not in SCOPES:
        raise ValueError(f"{where}: scope must be one of {SCOPES}")
    status = raw.get("http_status")
    if status is not None and not isinstance(status, int):
        raise ValueError(f"{where}: http_status must be an integer")
    return (
        str(raw["code"]),
        raw["name"],
        status,
        raw["message"],
        raw["meaning"],
        raw["retryable"],
        raw["action"],
        raw.get("docs", docs),
        bool(raw.get("ok", False)),
        _advice(raw.get("advice"), f"{where} advice"),
        scope,
    )


def read_vendor(name: str, text: str) -> tuple[Any, ...]:
    """One TOML file, checked: ``(vendor, title, docs, order, shape, entries)``."""
    data = tomllib.loads(text)
    vendor = data.get("vendor", name)
    if vendor != name:
        raise ValueError(f"{name}.toml: vendor = {vendor!r} must match the file name")
    docs = data.get("docs")
    entries = tuple(
        _entry(raw, docs, f"{name}.toml entry {i}") for i, raw in enumerate(data.get("entries", []))
    )
    shape = _shape(data.get("reply", {}), f"{name}.toml [reply]")
    return (vendor, data.get("title", vendor), docs, int(data.get("order", 50)), shape, entries)


def read_all(folder: Path = DATA) -> tuple[tuple[Any, ...], ...]:
    """Every vendor file of the folder, checked, in display order."""
    found = [
        read_vendor(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.toml"))
    ]
    found.sort(key=lambda v: (v[3], v[0]))
    return tuple(found)


def render(vendors: tuple[tuple[Any, ...], ...]) -> str:
    return HEADER + pprint.pformat(vendors, width=100, sort_dicts=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render(read_all())
    if "--check" in args:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.name} is out of date: run python -m cxconsole.catalog.build")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
