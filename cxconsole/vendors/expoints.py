"""Expoints: customer batches (``POST /external/api/v3/customer/add``) and data columns.

Document 001. The auth scheme is not public: ``Authorization: Bearer <token>`` is assumed and
both the header and the scheme are profile settings. Success replies may have an empty body.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cxconsole.client import Reply, VendorPolicy
from cxconsole.vendors.base import (
    BatchOutcome,
    ConnectionReport,
    HeaderAuth,
    RecordKey,
    Target,
    TargetField,
    Vendor,
    VendorSettings,
)
from cxconsole.vendors.session import VendorSession

ADD_PATH = "/external/api/v3/customer/add"
COLUMNS_PATH = "/external/api/{version}/customerdatacolumn"
MAX_CUSTOMERS = 200  # "We advise to import no more than 200 customers at once"


PORTAL_BATCH = "1"  # TypeBatch of a portal batch: customers are not e-mailed


class ExpointsSettings(VendorSettings):
    auth_header: str = Field(
        default="Authorization", description="header that carries the token (not public)"
    )
    auth_scheme: str = Field(default="Bearer", description="word before the token; may be empty")
    # Expoints documents the data columns at v3 (GET /external/api/v3/customerdatacolumn); the
    # older document names v1, which stays available here.
    columns_api: str = Field(
        default="v3",
        pattern=r"^v\d+$",
        description="API version of the data-columns call: v3 (documented) or v1 (older)",
    )
    approve_automatically: bool = Field(default=True, description="approve each batch on arrival")
    is_test: bool = Field(default=False, description="mark batches as tests (e-mail still goes)")
    end_date_days: int = Field(  # "two or three weeks from now"
        default=21, ge=1, le=365, description="days from today until a batch's end date"
    )
    send_time: str = Field(
        default="09:00", pattern=r"^\d{2}:\d{2}$", description="time of day (HH:MM) to send"
    )
    batch_name: str = Field(
        default="cxconsole {date}", description="batch name; {date} becomes today's date"
    )
    notification_emails: str = Field(default="", description="addresses told about each batch")
    allow_duplicate_email: bool = Field(
        default=False, description="let one batch hold an e-mail address twice"
    )
    type_batch: str = Field(default="0", description="TypeBatch of the batches")


class CustomerDataColumn(BaseModel):
    model_config = ConfigDict(extra="allow")
    Id: int
    Required: bool = False
    Archived: bool = False
    Name: str = ""
    DisplayName: str = ""


class DataItem(BaseModel):
    CustomerDataColumnId: int
    Value: str


class ImportCustomer(BaseModel):
    """One customer; each field an import maps onto is declared here once, with its import
    metadata. The account's data columns go in ``Data`` (mapped as ``data:<id>``)."""

    model_config = ConfigDict(extra="forbid")
    # Required unless the batch is a portal batch: see Expoints.fields_for_settings.
    Email: Annotated[
        str | None, Target("E-mail", "email", synonyms=("e-mail", "email address", "mail"))
    ] = None
    PhoneNumber: Annotated[
        str | None, Target("Phone", "phone", synonyms=("phone", "mobile", "msisdn"))
    ] = None
    SendDate: Annotated[str | None, Target("Send date", "datetime")] = None
    TransactionDate: Annotated[
        str | None, Target("Transaction date", "datetime", synonyms=("date",))
    ] = None
    EndDate: Annotated[str | None, Target("End date", "datetime")] = None
    Priority: Annotated[int | None, Target("Priority")] = None
    Data: list[DataItem] = Field(default_factory=list)


class ImportCustomersRequest(BaseModel):
    ApproveAutomatically: bool
    EndDate: str | None = None
    SendTime: str | None = None
    IsTest: bool = False
    TypeBatch: str = "0"
    AllowDuplicateEmail: bool = False
    NotificationEmailAddresses: str = ""
    BatchName: str = ""
    Customers: list[ImportCustomer]
    IsConcept: bool = False


class Expoints(Vendor):
    name = "expoints"
    title = "Expoints"
    secret_label = "API token (Authorization: Bearer)"
    policy = VendorPolicy(vendor="expoints", read_timeout=60.0, concurrency=3)
    resend_risk = (
        "Expoints adds a customer sent twice again, and may send a second invitation e-mail"
    )
    settings_model = ExpointsSettings
    max_batch_size = MAX_CUSTOMERS
    default_batch_size = 100
    default_concurrency = 3
    date_format = "iso8601"
    record_models = ((ImportCustomer, ""),)

    def default_base_url(self, settings: VendorSettings) -> str:
        raise ValueError("Expoints publishes no API host: set the profile's base URL")

    def details_table(self, details: dict[str, Any]) -> tuple[tuple[str, ...], list[list[str]]]:
        rows = [
            [
                str(c["Id"]),
                str(c["Name"]),
                "archived" if c["Archived"] else ("required" if c["Required"] else ""),
            ]
            for c in details.get("columns", [])
        ]
        return ("Id", "Column", "Required"), rows

    def auth(self, secret: SecretStr, settings: VendorSettings) -> httpx.Auth:
        assert isinstance(settings, ExpointsSettings)
        prefix = f"{settings.auth_scheme} " if settings.auth_scheme else ""
        return HeaderAuth(settings.auth_header, secret, prefix)

    def fields_for_settings(
        self, fields: list[TargetField], settings: VendorSettings
    ) -> list[TargetField]:
        # E-mail is how a customer is invited, except in a portal batch (TypeBatch 1).
        assert isinstance(settings, ExpointsSettings)
        if settings.type_batch == PORTAL_BATCH:
            return fields
        return [dataclasses.replace(f, required=True) if f.name == "Email" else f for f in fields]

    def record_keys(
        self, settings: VendorSettings, fields: Sequence[TargetField]
    ) -> list[RecordKey]:
        # Expoints refuses an address twice in one batch unless AllowDuplicateEmail, and
        # invites it twice when the two fall in different batches: the rule is the file's.
        assert isinstance(settings, ExpointsSettings)
        email = next((f for f in fields if f.name == "Email"), None)
        if settings.allow_duplicate_email or email is None:
            return []
        why = "the vendor refuses duplicates unless they are allowed in the profile"
        return [RecordKey(email, "e-mail", why, fold_case=True)]

    @staticmethod
    def column_fields(columns: Sequence[CustomerDataColumn]) -> list[TargetField]:
        """Data columns as import targets (``data:<id>``); archived ones are left out."""
        return [
            Target(
                c.DisplayName or c.Name,
                synonyms=tuple(dict.fromkeys(n for n in (c.Name, c.DisplayName) if n)),
            ).field(f"data:{c.Id}", group="data", required=c.Required, ref=c.Id)
            for c in columns
            if not c.Archived
        ]

    def batch_envelope(self, settings: ExpointsSettings) -> dict[str, Any]:
        now = datetime.now(UTC).astimezone()
        hh, mm = (int(x) for x in settings.send_time.split(":"))
        send_time = datetime.combine(now.date(), time(hh, mm), now.tzinfo)
        return {
            "ApproveAutomatically": settings.approve_automatically,
            "EndDate": (now + timedelta(days=settings.end_date_days)).isoformat(),
            "SendTime": send_time.isoformat(),
            "IsTest": settings.is_test,
            "TypeBatch": settings.type_batch,
            "AllowDuplicateEmail": settings.allow_duplicate_email,
            "NotificationEmailAddresses": settings.notification_emails,
            "BatchName": settings.batch_name.replace("{date}", now.date().isoformat()),
        }

    def build_batch(
        self, base: str, settings: VendorSettings, records: Sequence[dict[str, Any]]
    ) -> tuple[str, dict[str, str] | None, Any]:
        assert isinstance(settings, ExpointsSettings)
        body = self.batch_envelope(settings)
        body["Customers"] = [self.customer(r) for r in records]
        return self.url(base, ADD_PATH), None, body

    @staticmethod
    def customer(record: dict[str, Any]) -> dict[str, Any]:
        """A mapped record (``data:<id>`` keys for data columns) as an ImportCustomer."""
        customer: dict[str, Any] = {}
        data = []
        for key, value in record.items():
            if key.startswith("data:"):
                data.append({"CustomerDataColumnId": int(key[5:]), "Value": value})
            elif value not in (None, ""):
                customer[key] = value
        customer["Data"] = data
        return customer

    def read_batch_reply(self, reply: Reply, count: int) -> BatchOutcome:
        receipt: dict[str, Any] = {"http_status": reply.status, "customers": count}
        if isinstance(reply.json(), dict):
            receipt.update(reply.json())
        return BatchOutcome(ok=True, receipt=receipt)

    def bad_rows_of(self, error: Any, count: int) -> dict[int, str]:
        decoded = getattr(error, "decoded", None)
        body = getattr(decoded, "body", None)
        state = body.get("ModelState") if isinstance(body, dict) else None
        found: dict[int, str] = {}
        if isinstance(state, dict):
            for key, messages in state.items():
                match = re.search(r"Customers\[(\d+)\]\.?(\w*)", key)
                if not match:
                    continue
                text = "; ".join(messages) if isinstance(messages, list) else str(messages)
                field = match.group(2)
                found[int(match.group(1))] = f"{field}: {text}" if field else text
        return found

    def row_refusal_codes(self) -> frozenset[str]:
        return frozenset({"400"})

    async def data_columns(self, session: VendorSession) -> list[CustomerDataColumn]:
        settings = session.settings
        assert isinstance(settings, ExpointsSettings)
        reply = await session.send(
            "GET",
            COLUMNS_PATH.format(version=settings.columns_api),
            what="customer data columns",
            idempotent=True,
        )
        data = reply.json() or {}
        return [CustomerDataColumn.model_validate(c) for c in data.get("CustomerDataColumns", [])]

    async def fetch_fields(self, session: VendorSession) -> list[TargetField]:
        return self.column_fields(await self.data_columns(session))

    async def test_connection(self, session: VendorSession) -> ConnectionReport:
        columns = await self.data_columns(session)
        live = [c for c in columns if not c.Archived]
        required = [c.DisplayName or c.Name for c in live if c.Required]
        summary = f"Token accepted; {len(live)} customer data columns ({len(required)} required)"
        return ConnectionReport(True, summary, {"columns": [c.model_dump() for c in columns]})
