"""The typed shape of one error-code catalog entry and of a decoded reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Retryable = Literal["yes", "after_pause", "never"]


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One vendor code: what the vendor says, what it means, and what to do."""

    vendor: str
    code: str
    name: str
    http_status: int | None
    message: str
    meaning: str
    retryable: Retryable
    action: str
    docs: str | None = None
    ok: bool = False  # a success code (Noojee 0, Webex 0, HTTP 200)

    def as_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "code": self.code,
            "name": self.name,
            "http_status": self.http_status,
            "message": self.message,
            "meaning": self.meaning,
            "retryable": self.retryable,
            "action": self.action,
            "docs": self.docs,
        }


@dataclass(slots=True)
class Decoded:
    """What the lenient decoder made of a raw reply."""

    vendor: str | None
    code: str | None
    http_status: int | None
    entry: CatalogEntry | None
    ok: bool
    message: str | None = None
    body: Any = None  # the parsed body (dict/list) or None when it was not JSON at all
    recognised: list[str] = field(
        default_factory=list
    )  # human notes: "vendor from body shape", ...
    candidates: list[CatalogEntry] = field(default_factory=list)  # closest matches when no entry

    @property
    def understood(self) -> bool:
        """True when the reply was matched to an entry or recognised as a success."""
        return self.entry is not None or self.ok

    def as_dict(self) -> dict[str, Any]:
        """The entry's keys (nulls when there is none), plus what the reply itself said."""
        if self.entry is not None:
            out = self.entry.as_dict()
        else:
            out = {"vendor": self.vendor, "code": self.code}
            out |= dict.fromkeys(
                ("name", "http_status", "message", "meaning", "retryable", "action", "docs")
            )
        out["ok"] = self.ok
        out["reply_status"] = self.http_status
        out["reply_message"] = self.message
        out["recognised"] = list(self.recognised)
        out["candidates"] = [
            {"vendor": c.vendor, "code": c.code, "name": c.name, "http_status": c.http_status}
            for c in self.candidates
        ]
        return out
