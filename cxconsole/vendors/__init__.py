"""The vendor adapters, one module each; ``get_vendor(name)`` finds one by its profile name."""

from __future__ import annotations

import importlib
from functools import cache

from cxconsole.vendors.base import Vendor

#: profile vendor name -> "module:Class". A fifth vendor is one line here and one module.
REGISTRY: dict[str, str] = {
    "questionpro": "cxconsole.vendors.questionpro:QuestionPro",
    "expoints": "cxconsole.vendors.expoints:Expoints",
    "webex": "cxconsole.vendors.webex:Webex",
    "noojee": "cxconsole.vendors.noojee:Noojee",
}

VENDOR_NAMES: tuple[str, ...] = tuple(REGISTRY)


@cache
def get_vendor(name: str) -> Vendor:
    try:
        target = REGISTRY[name]
    except KeyError:
        known = ", ".join(REGISTRY)
        raise ValueError(f"unknown vendor {name!r}; known vendors: {known}") from None
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)()
