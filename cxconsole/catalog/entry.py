"""The typed shape of one error-code catalog entry and of a decoded reply.

Plain slotted classes, not dataclasses: ``dataclasses`` (and the ``inspect`` it pulls in) would
cost more than the whole catalog takes to load, and ``codes``/``decode`` must start fast.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    Retryable = Literal["yes", "after_pause", "never"]

#: The faces that pick their own wording of an entry's advice.
FACES = ("cli", "tui")
#: What the operator was doing when the error came: an entry's advice may differ per context.
#: "catalog" is reading the catalog or decoding a reply, where the error may come from anywhere.
CONTEXTS = ("catalog", "import", "tickets", "connection test")

_ENTRY_FIELDS = (
    "vendor",
    "code",
    "name",
    "http_status",
    "message",
    "meaning",
    "retryable",
    "action",
    "docs",
    "ok",
    "advice",
    "scope",
)
#: What a refusal is about: ``request`` (this call, its rows: the next call may pass) or
#: ``account`` (the profile's key, its ids, its licence or quota: every call of the profile gets
#: the same answer, so an import stops at the first instead of sending batch after batch).
SCOPES = ("request", "account")


def context_of(source: str | None) -> str | None:
    """The advice context of where an error came from ("import set-up", "profile test", ...)."""
    if not source:
        return None
    said = source.strip().lower()
    if said.startswith("import"):
        return "import"
    if said.startswith("ticket"):
        return "tickets"
    if said.endswith("test"):
        return "connection test"
    return None


class CatalogEntry:
    """One vendor code: what the vendor says, what it means, and what to do.

    ``action`` is the advice that holds anywhere (it names no command and no key); ``advice``
    holds the variants a face picks with :meth:`action_for`, keyed ``face``, ``context`` or
    ``face.context`` (``cli``, ``tui.tickets``, ``import``, ...). A ``face`` variant may be shown
    in any context, so only ``import`` variants speak of imports.
    """

    __slots__ = _ENTRY_FIELDS

    def __init__(
        self,
        vendor: str,
        code: str,
        name: str,
        http_status: int | None,
        message: str,
        meaning: str,
        retryable: Retryable,
        action: str,
        docs: str | None = None,
        ok: bool = False,  # a success code (Noojee 0, Webex 0, HTTP 200)
        advice: tuple[tuple[str, str], ...] = (),
        scope: str = "request",
    ) -> None:
        self.vendor = vendor
        self.code = code
        self.name = name
        self.http_status = http_status
        self.message = message
        self.meaning = meaning
        self.retryable = retryable
        self.action = action
        self.docs = docs
        self.ok = ok
        self.advice = advice
        self.scope = scope

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _ENTRY_FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CatalogEntry):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError(f"CatalogEntry is frozen: cannot set {name!r}")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"CatalogEntry({self.vendor!r}, {self.code!r}, {self.name!r}, {self.http_status})"

    @property
    def about_account(self) -> bool:
        """The code refuses the profile (key, ids, quota), not this call: see SCOPES."""
        return self.scope == "account"

    def action_for(self, face: str | None = None, context: str | None = None) -> str:
        """The advice for a face in a context: ``face.context``, then ``context``, ``face``,
        then the advice that holds anywhere."""
        if not self.advice:
            return self.action
        variants = dict(self.advice)
        context = context_of(context) if context not in CONTEXTS else context
        keys = []
        if face and context:
            keys.append(f"{face}.{context}")
        if context:
            keys.append(context)
        if face:
            keys.append(face)
        for key in keys:
            if key in variants:
                return variants[key]
        return self.action

    def as_dict(self, face: str | None = None, context: str | None = None) -> dict[str, Any]:
        """The contract's keys; ``action`` is the advice for the face that prints it."""
        return {
            "vendor": self.vendor,
            "code": self.code,
            "name": self.name,
            "http_status": self.http_status,
            "message": self.message,
            "meaning": self.meaning,
            "retryable": self.retryable,
            "action": self.action_for(face, context),
            "docs": self.docs,
        }


#: How a reply was matched to its entry (``Decoded.matched_by``).
MATCHED_BY = {
    "code": "the vendor's code in the body",
    "status": "the HTTP status (no code in the body)",
    "success": "a success shape or code",
    "name": "the message or name equals one entry's name",
    "unique_code": "the code is in the catalog for one vendor only, of those the body loosely fits",
    "given": "the entry was given by the error itself (no reply to read)",
}


class Decoded:
    """What the lenient decoder made of a raw reply.

    ``matched_by`` says how the entry (or the success) was recognised: one of the keys of
    :data:`MATCHED_BY`, or ``None`` when nothing was.
    """

    __slots__ = (
        "body",
        "candidates",
        "code",
        "entry",
        "http_status",
        "matched_by",
        "message",
        "ok",
        "recognised",
        "vendor",
    )

    def __init__(
        self,
        vendor: str | None,
        code: str | None,
        http_status: int | None,
        entry: CatalogEntry | None,
        ok: bool,
        message: str | None = None,
        body: Any = None,  # the parsed body (dict/list) or None when it was not JSON at all
        recognised: list[str] | None = None,  # human notes: "vendor from body shape", ...
        candidates: list[CatalogEntry] | None = None,  # closest matches when no entry
        matched_by: str | None = None,
    ) -> None:
        self.vendor = vendor
        self.code = code
        self.http_status = http_status
        self.entry = entry
        self.ok = ok
        self.message = message
        self.body = body
        self.recognised = recognised if recognised is not None else []
        self.candidates = candidates if candidates is not None else []
        self.matched_by = matched_by

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decoded):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return (
            f"Decoded(vendor={self.vendor!r}, code={self.code!r}, http_status={self.http_status}, "
            f"entry={self.entry!r}, ok={self.ok}, matched_by={self.matched_by!r})"
        )

    def replace(self, **changes: Any) -> Decoded:
        """A copy with some fields changed."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return Decoded(**fields)

    @property
    def understood(self) -> bool:
        """True when the reply was matched to an entry or recognised as a success."""
        return self.entry is not None or self.ok

    @property
    def how(self) -> str | None:
        """How the reply was recognised, in words."""
        return MATCHED_BY.get(self.matched_by) if self.matched_by else None

    def as_dict(self, face: str | None = None, context: str | None = None) -> dict[str, Any]:
        """The entry's keys (nulls when there is none), plus what the reply itself said."""
        if self.entry is not None:
            out = self.entry.as_dict(face, context)
        else:
            out = {"vendor": self.vendor, "code": self.code}
            out |= dict.fromkeys(
                ("name", "http_status", "message", "meaning", "retryable", "action", "docs")
            )
        out["ok"] = self.ok
        out["matched_by"] = self.matched_by
        out["how"] = self.how
        out["reply_status"] = self.http_status
        out["reply_message"] = self.message
        out["recognised"] = list(self.recognised)
        out["candidates"] = [
            {"vendor": c.vendor, "code": c.code, "name": c.name, "http_status": c.http_status}
            for c in self.candidates
        ]
        return out
