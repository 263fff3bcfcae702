"""QuestionPro CX: transactions import, detractor tickets and feedback segments.

Documents 000 (``POST /a/api/v2/cx/transactions/import``) and 004 (``POST
/a/api/v2/cx/tickets/detractors``); datacenter hosts, the rate limit and the segments call are
from QuestionPro's public pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from cxconsole.client import Reply, VendorPolicy
from cxconsole.errors import VendorError
from cxconsole.vendors.base import (
    BatchOutcome,
    ConnectionReport,
    HeaderAuth,
    Target,
    TicketSource,
    Vendor,
    VendorSettings,
)
from cxconsole.vendors.session import VendorSession

IMPORT_PATH = "/a/api/v2/cx/transactions/import"
TICKETS_PATH = "/a/api/v2/cx/tickets/detractors"
SEGMENTS_PATH = "/a/api/v2/cx/feedback/{workspace}/segments"

#: Datacenter -> API host (from QuestionPro's "Environment" page).
DATACENTERS: dict[str, str] = {
    "US": "https://api.questionpro.com",
    "EU": "https://api.questionpro.eu",
    "CA": "https://api.questionpro.ca",
    "AE": "https://api.questionpro.ae",
    "AU": "https://api.questionpro.au",
    "SG": "https://api.questionpro.sg",
    "SA": "https://api.surveyanalytics.com",
    "KSA": "https://api.questionprosa.com",
}

TICKET_STATUSES: dict[int, str] = {0: "New", 1: "Open", 2: "Escalated", 3: "Resolved"}

#: Output date order of ``transactionDate``: the v2 import example writes 14/01/2020 (day
#: first); the older API and the responses endpoint write month first.
DATE_ORDERS: dict[str, str] = {"day-first": "%d/%m/%Y", "month-first": "%m/%d/%Y"}


class QuestionProSettings(VendorSettings):
    datacenter: Literal["US", "EU", "CA", "AE", "AU", "SG", "SA", "KSA"] = Field(
        default="US", description="datacenter whose API host is used when no base URL is given"
    )
    workspace_id: int | None = Field(
        default=None, description="workspace whose segments the connection test lists"
    )
    date_order: Literal["day-first", "month-first"] = Field(
        default="day-first",
        description="how transactionDate is written: day-first (14/01/2020, as the v2 import "
        "example) or month-first (01/14/2020, as the older API)",
    )


# -- request and reply models (document 000 and 004) -------------------------------------------
# Each field an import maps onto is declared here once, with its import metadata (Target); the
# models forbid any other key, so a batch cannot carry a field QuestionPro's record lacks.
CONTACT_BY = "an e-mail or a mobile"


class Product(BaseModel):
    model_config = ConfigDict(extra="forbid")
    productName: Annotated[str | None, Target("Product name", synonyms=("product",))] = None
    productGroup: Annotated[str | None, Target("Product group", synonyms=("brand",))] = None
    pCustom1: Annotated[str | None, Target("Product custom 1")] = None
    pCustom2: Annotated[str | None, Target("Product custom 2")] = None
    pCustom3: Annotated[str | None, Target("Product custom 3")] = None
    pCustom4: Annotated[str | None, Target("Product custom 4")] = None
    pCustom5: Annotated[str | None, Target("Product custom 5")] = None


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    firstName: Annotated[
        str | None, Target("First name", synonyms=("first", "given name", "forename"))
    ] = None
    lastName: Annotated[
        str | None, Target("Last name", synonyms=("last", "surname", "family name"))
    ] = None
    # A contact nobody can survey is refused here, not by the vendor: one of the two.
    email: Annotated[
        str | None,
        Target("E-mail", "email", synonyms=("e-mail", "email address", "mail"), one_of=CONTACT_BY),
    ] = None
    mobile: Annotated[
        str | None,
        Target(
            "Mobile",
            "phone",
            synonyms=("phone", "msisdn", "mobile number", "cell"),
            one_of=CONTACT_BY,
        ),
    ] = None
    segmentCode: Annotated[
        str | None, Target("Segment code", synonyms=("segment", "business unit"))
    ] = None
    # Required of each contact (the vendor refuses a contact without it); the rows that only
    # add products to a contact carry no contact value and are not checked. dd/MM/yyyy.
    transactionDate: Annotated[
        str, Target("Transaction date", "date", synonyms=("date", "purchase date"))
    ]
    custom1: Annotated[str | None, Target("Custom 1")] = None
    custom2: Annotated[str | None, Target("Custom 2")] = None
    custom3: Annotated[str | None, Target("Custom 3")] = None
    custom4: Annotated[str | None, Target("Custom 4")] = None
    custom5: Annotated[str | None, Target("Custom 5")] = None
    custom6: Annotated[str | None, Target("Custom 6")] = None
    custom7: Annotated[str | None, Target("Custom 7")] = None
    custom8: Annotated[str | None, Target("Custom 8")] = None
    custom9: Annotated[str | None, Target("Custom 9")] = None
    custom10: Annotated[str | None, Target("Custom 10")] = None
    products: list[Product] = Field(default_factory=list)


class ImportRequest(BaseModel):
    contacts: list[Contact]


class ImportReply(BaseModel):
    emailStatus: str | None = None
    importStatus: str | None = None
    importCount: int | None = None  # documented as a string: "2"

    @field_validator("importCount", mode="before")
    @classmethod
    def _count(cls, value: Any) -> Any:
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value


class Ticket(BaseModel):
    """A detractor ticket, with the vendor's field names (``tickets --format json`` keeps them)."""

    model_config = ConfigDict(extra="allow")
    emailAddress: str = ""
    phoneNumber: str = ""
    rating: str = ""
    comment: str = ""
    ticketID: int
    responseID: int | None = None
    timestamp: str = ""
    timelimit: int | None = None  # hours from ``timestamp``

    @field_validator("rating", mode="before")
    @classmethod
    def _rating(cls, value: Any) -> Any:
        return "" if value is None else str(value)


class Pagination(BaseModel):
    model_config = ConfigDict(extra="allow")
    totalItems: int = 0
    perPage: int = 0
    totalPages: int = 0
    currentPage: int = 1
    links: dict[str, Any] | None = None  # documented wrong: never used to page


class TicketPage(BaseModel):
    model_config = ConfigDict(extra="allow")
    response: list[Ticket] = Field(default_factory=list)
    pagination: Pagination = Field(default_factory=Pagination)
    requestID: str | None = None


class Segment(BaseModel):
    model_config = ConfigDict(extra="allow")
    segmentID: int
    segmentName: str = ""
    segmentCode: str = ""
    businessUnitCode: str = ""  # the import's segmentCode

    @property
    def code(self) -> str:
        return self.businessUnitCode or self.segmentCode


class QuestionPro(Vendor, TicketSource):
    name = "questionpro"
    title = "QuestionPro CX"
    # The import call names no workspace: the API key alone chooses the account records go to
    # (the workspace only lists segments), so a profile edited in its workspace is the same
    # account for --resume and for the same-file check alike.
    account_settings = ()
    secret_label = "API key (header api-key)"
    policy = VendorPolicy(
        vendor="questionpro",
        read_timeout=30.0,
        concurrency=4,
        rate_calls=300,  # per key per 60 s; 2,400 per organisation
        rate_period=60.0,
    )
    resend_risk = (
        "QuestionPro imports a transaction sent twice as two transactions: a contact it "
        "already took may be surveyed twice"
    )
    settings_model = QuestionProSettings
    # The documents name no batch limit; 100 contacts keeps a request small and a retry cheap.
    max_batch_size = 1000
    default_batch_size = 100
    default_concurrency = 4
    date_format = DATE_ORDERS["day-first"]
    base_url_hint = "optional: leave empty to use the datacenter's host"
    record_models = ((Contact, ""), (Product, "product"))

    def default_base_url(self, settings: VendorSettings) -> str:
        assert isinstance(settings, QuestionProSettings)
        return DATACENTERS[settings.datacenter]

    def output_date_format(self, settings: VendorSettings) -> str:
        assert isinstance(settings, QuestionProSettings)
        return DATE_ORDERS[settings.date_order]

    def details_table(self, details: dict[str, Any]) -> tuple[tuple[str, ...], list[list[str]]]:
        rows = [
            [str(s["segmentID"]), str(s["segmentName"]), str(s["segmentCode"])]
            for s in details.get("segments", [])
        ]
        return ("Segment id", "Name", "Code"), rows

    def auth(self, secret: SecretStr, settings: VendorSettings) -> httpx.Auth:
        return HeaderAuth("api-key", secret)

    def build_batch(
        self, base: str, settings: VendorSettings, records: Sequence[dict[str, Any]]
    ) -> tuple[str, dict[str, str] | None, Any]:
        return self.url(base, IMPORT_PATH), None, {"contacts": list(records)}

    def read_batch_reply(self, reply: Reply, count: int) -> BatchOutcome:
        body = reply.json() if isinstance(reply.json(), dict) else {}
        parsed = ImportReply.model_validate(body)
        receipt = {k: v for k, v in parsed.model_dump().items() if v is not None}
        # importCount is the only record of what was taken: fewer than sent is not "all".
        return BatchOutcome(ok=True, receipt=receipt, taken=parsed.importCount)

    def bad_rows_of(self, error: Any, count: int) -> dict[int, str]:
        return _indexed_reasons(getattr(error, "decoded", None), "contacts")

    def row_refusal_codes(self) -> frozenset[str]:
        return frozenset({"1002"})

    # -- reads -------------------------------------------------------------------------------
    async def tickets_page(
        self,
        session: VendorSession,
        *,
        page: int,
        per_page: int,
        segment: int | None = None,
        status: int | None = None,
    ) -> TicketPage:
        body: dict[str, int] = {}
        if segment is not None:
            body["segmentID"] = segment
        if status is not None:
            body["status"] = status
        reply = await session.send(
            "POST",
            TICKETS_PATH,
            what=f"tickets page {page}",
            params={"page": str(page), "perPage": str(per_page)},
            json=body,
            idempotent=True,  # a read, though the vendor made it a POST
        )
        return TicketPage.model_validate(reply.json() or {})

    async def segments(self, session: VendorSession) -> list[Segment]:
        settings = session.settings
        assert isinstance(settings, QuestionProSettings)
        if settings.workspace_id is None:
            return []
        found: list[Segment] = []
        page = 1
        while True:
            reply = await session.send(
                "GET",
                SEGMENTS_PATH.format(workspace=settings.workspace_id),
                what=f"segments page {page}",
                params={"page": str(page), "perPage": "100"},
                idempotent=True,
            )
            data = reply.json() or {}
            found += [Segment.model_validate(s) for s in data.get("response", [])]
            pages = Pagination.model_validate(data.get("pagination", {})).totalPages
            if page >= pages:
                return found
            page += 1

    async def field_values(self, session: VendorSession) -> dict[str, list[tuple[str, str]]]:
        """segmentCode: the workspace's segments, by their businessUnitCode."""
        segments = await self.segments(session)
        return {
            "segmentCode": [(f"{s.segmentName} ({s.code})", s.code) for s in segments if s.code]
        }

    async def test_connection(self, session: VendorSession) -> ConnectionReport:
        page = await self.tickets_page(session, page=1, per_page=1)
        details: dict[str, Any] = {"detractor_tickets": page.pagination.totalItems}
        summary = f"Key accepted; {page.pagination.totalItems:,} detractor tickets"
        try:
            segs = await self.segments(session)
        except VendorError as exc:
            summary += f"; segments unavailable ({exc.code})"
        else:
            if segs:
                details["segments"] = [s.model_dump() for s in segs]
                summary += f"; {len(segs)} segments"
        return ConnectionReport(True, summary, details)


def _indexed_reasons(decoded: Any, collection: str) -> dict[int, str]:
    """Row numbers named in a message like ``contacts[3].transactionDate: expected ...``."""
    message = getattr(decoded, "message", None) or ""
    found: dict[int, str] = {}
    for match in re.finditer(rf"{collection}\[(\d+)\]\.?([\w.]*)[:\s]*([^;\n]*)", message):
        index, fieldname, reason = int(match.group(1)), match.group(2), match.group(3).strip()
        found[index] = f"{fieldname}: {reason}" if fieldname else reason or message
    return found
