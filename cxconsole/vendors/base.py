"""What every vendor adapter provides: the unit of extension.

An adapter is data plus a few small functions: its client policy (timeouts, concurrency, rate
limit), its profile settings model, how to build a base URL and authenticate, the fields an import
can map onto, how to turn a batch of mapped rows into one request and how to read the reply, and
a cheap call that proves a profile works. Every call to the vendor takes one
:class:`~cxconsole.vendors.session.VendorSession`: the adapter bound to an account.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from cxconsole.client import Reply, VendorPolicy
from cxconsole.vendors.record_fields import FieldKind as FieldKind
from cxconsole.vendors.record_fields import Target as Target
from cxconsole.vendors.record_fields import TargetField as TargetField
from cxconsole.vendors.record_fields import fields_of

if TYPE_CHECKING:
    from cxconsole.vendors.questionpro import Segment, TicketPage
    from cxconsole.vendors.session import VendorSession


@dataclass(slots=True)
class BatchOutcome:
    """What a vendor made of one batch: accepted, or which rows it refused and why."""

    ok: bool
    receipt: dict[str, Any] = field(default_factory=dict)
    # index within the batch -> reason; empty when the vendor did not say which row
    bad_rows: dict[int, str] = field(default_factory=dict)
    # How many records the vendor says it took, when its reply says (QuestionPro's
    # importCount); None when the reply does not count them.
    taken: int | None = None


@dataclass(frozen=True, slots=True)
class RecordKey:
    """A field by which the vendor takes two records for the same one: two rows of one file
    with the same value would not both arrive as the operator meant, so the later ones are
    rejected before anything is sent, naming the line of the first."""

    field: TargetField
    what: str  # how a reason names the value: "e-mail", "njExternalLeadId"
    why: str  # what the vendor would do with the second record
    fold_case: bool = False  # E1@X.com and e1@x.com are the same key


@dataclass(slots=True)
class ConnectionReport:
    """The result of "test connection": a line to show, and what the vendor listed."""

    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    # What the key's acceptance does not cover: settings an import cannot go without.
    warnings: list[str] = field(default_factory=list)


class VendorSettings(BaseModel):
    """Base of each vendor's non-secret profile settings."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Vendor(ABC):
    """One vendor's adapter. Subclasses are singletons registered in ``cxconsole.vendors``."""

    name: ClassVar[str]
    title: ClassVar[str]
    secret_label: ClassVar[str] = "API key"
    policy: ClassVar[VendorPolicy]
    settings_model: ClassVar[type[VendorSettings]] = VendorSettings
    max_batch_size: ClassVar[int] = 500
    default_batch_size: ClassVar[int] = 100
    default_concurrency: ClassVar[int] = 4
    date_format: ClassVar[str] = "%Y-%m-%d"  # how this vendor wants dates written
    #: Column names in the file that need no mapping because they are passed through as-is.
    passthrough: ClassVar[bool] = False
    #: Kinds of which a record needs one value, under any key (a passthrough vendor's own
    #: field names): kind -> label. Noojee needs a phone number.
    required_kinds: ClassVar[dict[str, str]] = {}
    #: What sending a record twice does at this vendor: said before unknown rows are resent.
    resend_risk: ClassVar[str] = (
        "the vendor does not recognise a record sent twice: a row it already took is "
        "imported a second time"
    )
    #: What the faces say beside the base URL field.
    base_url_hint: ClassVar[str] = "required: the vendor's API root (may carry a path prefix)"
    #: The settings that choose the account or target records go to (with the vendor and the
    #: resolved base URL, a run's account): a run resumes, and a file counts as imported, only
    #: where these are the same.
    account_settings: ClassVar[tuple[str, ...]] = ()
    #: The models of the record a batch carries, each with the group its fields are in (""
    #: for the record's own, "product" for QuestionPro's products): the one description of
    #: the fields an import maps onto (their import metadata is declared on the models).
    record_models: ClassVar[tuple[tuple[type[BaseModel], str], ...]] = ()

    # -- profile -----------------------------------------------------------------------------
    @abstractmethod
    def default_base_url(self, settings: VendorSettings) -> str: ...

    def base_url(self, base_url: str | None, settings: VendorSettings) -> str:
        return (base_url or self.default_base_url(settings)).rstrip("/")

    def output_date_format(self, settings: VendorSettings) -> str:
        """How this profile's dates are written for the vendor (a setting may choose)."""
        return self.date_format

    def details_table(self, details: dict[str, Any]) -> tuple[tuple[str, ...], list[list[str]]]:
        """The lists a connection test brought back, as (headers, rows) for any face."""
        return (), []

    def url(self, base: str, path: str) -> str:
        """A vendor path appended to a base URL that may carry a path prefix."""
        return base.rstrip("/") + "/" + path.lstrip("/")

    @abstractmethod
    def auth(self, secret: SecretStr, settings: VendorSettings) -> httpx.Auth: ...

    # -- importing ---------------------------------------------------------------------------
    def target_fields(self, extra: Sequence[TargetField] = ()) -> list[TargetField]:
        """The fields an import can map onto: those of the record models, then ``extra``,
        the ones fetched from the vendor."""
        own = [f for model, group in self.record_models for f in fields_of(model, group)]
        return own + list(extra)

    def fields_for_settings(
        self, fields: list[TargetField], settings: VendorSettings
    ) -> list[TargetField]:
        """The fields as a profile's settings make them (a field required only sometimes)."""
        return fields

    def passthrough_kind(self, key: str) -> FieldKind:
        """The kind of a column a passthrough vendor gets under its own name."""
        return "text"

    def record_keys(
        self, settings: VendorSettings, fields: Sequence[TargetField]
    ) -> list[RecordKey]:
        """The fields that name a record at the vendor, unique across a whole file."""
        return []

    def import_problems(self, settings: VendorSettings) -> list[str]:
        """What in a profile's settings keeps an import from being sent (a missing id)."""
        return []

    @abstractmethod
    def build_batch(
        self, base: str, settings: VendorSettings, records: Sequence[dict[str, Any]]
    ) -> tuple[str, dict[str, str] | None, Any]:
        """(url, query params, JSON body) for one batch of mapped, validated records."""

    def read_batch_reply(self, reply: Reply, count: int) -> BatchOutcome:
        return BatchOutcome(ok=True, receipt={"http_status": reply.status})

    def bad_rows_of(self, error: Any, count: int) -> dict[int, str]:
        """Which rows of a refused batch the vendor named (index -> reason)."""
        return {}

    def row_refusal_codes(self) -> frozenset[str]:
        """Codes meaning "one row of this batch is bad": such a batch is split and resent."""
        return frozenset()

    # -- reading -----------------------------------------------------------------------------
    @abstractmethod
    async def test_connection(self, session: VendorSession) -> ConnectionReport: ...


@runtime_checkable
class DynamicFields(Protocol):
    """A vendor whose import fields are partly the account's own, read from its API
    (Expoints' customer data columns, a Webex datastore's columns)."""

    async def fetch_fields(self, session: VendorSession) -> list[TargetField]:
        """The account's own fields; [] when the account names none (columns then pass as
        they are); :class:`~cxconsole.errors.FieldsUnread` when the API would not say."""
        ...


@runtime_checkable
class FieldValues(Protocol):
    """A vendor that lists the values some fields take (QuestionPro's segments): offered to
    give every record of an import one of them."""

    async def field_values(self, session: VendorSession) -> dict[str, list[tuple[str, str]]]:
        """Field name -> (label, value) choices."""
        ...


@runtime_checkable
class Reconciling(Protocol):
    """A vendor that recognises a record sent twice by an id we give it, so a batch whose
    reply was lost can be sent again safely: what it already holds is answered as a
    duplicate of that id, and counts as imported."""

    #: The record field that carries the id (unique within the vendor's target).
    reconcile_field: ClassVar[str]

    def already_present(self, error: Any, count: int) -> set[int]:
        """Indexes of a refused batch that the vendor refused because it has them already."""
        ...


class HeaderAuth(httpx.Auth):
    """Adds one header at send time, so no request built by us holds the secret."""

    def __init__(self, header: str, secret: SecretStr, prefix: str = "") -> None:
        self._header = header
        self._secret = secret
        self._prefix = prefix

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header] = self._prefix + self._secret.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return f"HeaderAuth({self._header!r}, ***)"


class QueryAuth(httpx.Auth):
    """Adds the secret as a query parameter (Noojee's ``apiKey``) at send time."""

    def __init__(self, param: str, secret: SecretStr) -> None:
        self._param = param
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params({self._param: self._secret.get_secret_value()})
        yield request

    def __repr__(self) -> str:
        return f"QueryAuth({self._param!r}, ***)"


@runtime_checkable
class TicketSource(Protocol):
    """An adapter that serves detractor tickets, a page at a time, and the segments to filter by.

    Faces ask ``isinstance(adapter, TicketSource)`` once, never the vendor's name.
    """

    async def tickets_page(
        self,
        session: VendorSession,
        *,
        page: int,
        per_page: int,
        segment: int | None = None,
        status: int | None = None,
    ) -> TicketPage: ...

    async def segments(self, session: VendorSession) -> list[Segment]: ...
