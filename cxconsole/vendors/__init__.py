"""The vendor adapters, one module each; ``get_vendor(name)`` finds one by its profile name.

A fifth vendor is one module (a :class:`~cxconsole.vendors.base.Vendor`) and one catalog file:
a line in ``REGISTRY``, or, without touching cxconsole, ``CXCONSOLE_VENDORS=name=module:Class``
(comma-separated) in the environment. Nothing in the screens, widgets or commands names one.
"""

from __future__ import annotations

import importlib
import os
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names are read without loading an adapter (a headless start)
    from cxconsole.vendors.base import Vendor

#: profile vendor name -> "module:Class".
REGISTRY: dict[str, str] = {
    "questionpro": "cxconsole.vendors.questionpro:QuestionPro",
    "expoints": "cxconsole.vendors.expoints:Expoints",
    "webex": "cxconsole.vendors.webex:Webex",
    "noojee": "cxconsole.vendors.noojee:Noojee",
}
EXTRA_ENV = "CXCONSOLE_VENDORS"

VENDOR_NAMES: tuple[str, ...] = tuple(REGISTRY)  # the shipped ones; vendor_names() has all


def registry() -> dict[str, str]:
    """The shipped adapters and those named in ``CXCONSOLE_VENDORS``."""
    found = dict(REGISTRY)
    for item in os.environ.get(EXTRA_ENV, "").split(","):
        name, _, target = item.partition("=")
        if name.strip() and ":" in target:
            found[name.strip()] = target.strip()
    return found


def vendor_names() -> tuple[str, ...]:
    return tuple(registry())


def get_vendor(name: str) -> Vendor:
    known = registry()
    try:
        target = known[name]
    except KeyError:
        raise ValueError(f"unknown vendor {name!r}; known vendors: {', '.join(known)}") from None
    return _load(target)


@cache
def _load(target: str) -> Vendor:
    module_name, class_name = target.split(":")
    vendor: Vendor = getattr(importlib.import_module(module_name), class_name)()
    return vendor
