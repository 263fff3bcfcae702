"""The error-code catalog and the lenient decoder of raw replies (stdlib only: it starts fast)."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing itself costs milliseconds at start
if TYPE_CHECKING:
    from typing import Any

    from cxconsole.catalog.capture import parse_capture
    from cxconsole.catalog.decode import decode_capture, decode_reply
    from cxconsole.catalog.entry import (
        CONTEXTS,
        FACES,
        MATCHED_BY,
        CatalogEntry,
        Decoded,
        context_of,
    )
    from cxconsole.catalog.format import format_decoded, format_entry
    from cxconsole.catalog.lenient import lenient_json, parse_lenient
    from cxconsole.catalog.store import (
        RETRYABLE,
        ReplyShape,
        all_entries,
        closest,
        lookup,
        search,
        vendor_shape,
        vendor_title,
        vendors,
    )

# Loaded on first use (PEP 562): `codes` needs the store, not the decoder and its regexes.
_HOME = {
    "parse_capture": "capture",
    "decode_capture": "decode",
    "decode_reply": "decode",
    "CONTEXTS": "entry",
    "FACES": "entry",
    "MATCHED_BY": "entry",
    "CatalogEntry": "entry",
    "Decoded": "entry",
    "context_of": "entry",
    "format_decoded": "format",
    "format_entry": "format",
    "lenient_json": "lenient",
    "parse_lenient": "lenient",
    "RETRYABLE": "store",
    "ReplyShape": "store",
    "all_entries": "store",
    "closest": "store",
    "lookup": "store",
    "search": "store",
    "vendor_shape": "store",
    "vendor_title": "store",
    "vendors": "store",
}

__all__ = [
    "CONTEXTS",
    "FACES",
    "MATCHED_BY",
    "RETRYABLE",
    "CatalogEntry",
    "Decoded",
    "ReplyShape",
    "all_entries",
    "closest",
    "context_of",
    "decode_capture",
    "decode_reply",
    "format_decoded",
    "format_entry",
    "lenient_json",
    "lookup",
    "parse_capture",
    "parse_lenient",
    "search",
    "vendor_shape",
    "vendor_title",
    "vendors",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
