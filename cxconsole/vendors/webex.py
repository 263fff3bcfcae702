"""Webex Campaign: add records to a datastore (asynchronous; acknowledged with a trans_id).

Document 002. The tenant host and the API root are public; the exact records path is not, so it
is a profile setting with the default below. A reply with HTTP 200 can still be a failure
(``statuscode`` 1010): the catalog decoder reads the body, not only the status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Annotated, Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cxconsole.client import Reply, VendorPolicy
from cxconsole.errors import FieldsUnread, VendorError
from cxconsole.vendors.base import (
    BatchOutcome,
    ConnectionReport,
    FieldKind,
    HeaderAuth,
    Target,
    TargetField,
    Vendor,
    VendorSettings,
)
from cxconsole.vendors.session import VendorSession

#: Our default; the real path is not public. Kept per profile.
DEFAULT_RECORDS_PATH = "/campaignapi/resources/v3/datastores/records"
#: A datastore's columns (name, id, datatype, max-length), from Webex Campaign's public pages.
METADATA_PATH = "/campaignapi/metadata/v3/datastore/{datastore_id}"
_DATATYPES: dict[str, FieldKind] = {
    "date": "date",
    "datetime": "datetime",
    "timestamp": "datetime",
    "number": "int",
    "integer": "int",
    "int": "int",
    "boolean": "bool",
    "email": "email",
    "phone": "phone",
    "msisdn": "phone",
}


class DatastoreColumn(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    name: str
    id: int | str | None = None
    datatype: str = "string"
    max_length: int | None = Field(default=None, alias="max-length")


class WebexSettings(VendorSettings):
    tenant: str = Field(
        default="",
        pattern=r"^[a-z0-9-]*$",
        description="tenant of https://<tenant>.webexcampaign.io, used when no base URL is given",
    )
    datastore_id: str = Field(
        default="", alias="datastore-id", description="datastore-id the records go to"
    )
    feed_id: str = Field(default="", alias="feed-id", description="feed-id of that datastore")
    records_path: str = Field(
        default=DEFAULT_RECORDS_PATH,
        description="path of the add-records call (not public: this is our default)",
    )


class DatastoreRecord(BaseModel):
    """One record: the fields an import offers are declared here once, with their import
    metadata; any other key is a datastore column of the operator's, passed through."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str | int | bool]
    msisdn: Annotated[
        str | None, Target("MSISDN", "phone", synonyms=("mobile", "phone", "cell"))
    ] = None
    firstname: Annotated[str | None, Target("First name", synonyms=("first name", "name"))] = None
    emailid: Annotated[
        str | None, Target("E-mail", "email", synonyms=("email", "e-mail", "mail"))
    ] = None


class AddRecordsRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    datastore_id: str = Field(alias="datastore-id")
    feed_id: str = Field(alias="feed-id")
    records: list[DatastoreRecord]


class AddRecordsResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    correlation_id: str | None = None
    description: str | None = None
    status: int | None = None


class AddRecordsReply(BaseModel):
    model_config = ConfigDict(extra="allow")
    result: AddRecordsResult | None = None
    statuscode: int | None = None
    description: str | None = None
    trans_id: str | None = None


class Webex(Vendor):
    name = "webex"
    title = "Webex Campaign"
    account_settings = ("datastore_id", "feed_id")
    secret_label = "API secret key (authorization: Bearer)"
    policy = VendorPolicy(vendor="webex", read_timeout=30.0, concurrency=4)
    resend_risk = (
        "Webex Campaign adds a record sent twice to the datastore again: it may be messaged twice"
    )
    settings_model = WebexSettings
    # Not documented; records are small and the API acknowledges asynchronously.
    max_batch_size = 1000
    default_batch_size = 200
    default_concurrency = 4
    passthrough = True  # any other column becomes a record key
    record_models = ((DatastoreRecord, ""),)
    base_url_hint = "optional when a tenant is set: https://<tenant>.webexcampaign.io"

    def default_base_url(self, settings: VendorSettings) -> str:
        assert isinstance(settings, WebexSettings)
        if not settings.tenant:
            raise ValueError("Webex Campaign needs a tenant or a base URL")
        return f"https://{settings.tenant}.webexcampaign.io"

    def auth(self, secret: SecretStr, settings: VendorSettings) -> httpx.Auth:
        return HeaderAuth("authorization", secret, "Bearer ")

    async def fetch_fields(self, session: VendorSession) -> list[TargetField]:
        """The datastore's own columns, with their types and lengths; [] (columns pass as
        they are) when no datastore is set; FieldsUnread when the metadata call refuses."""
        settings = session.settings
        assert isinstance(settings, WebexSettings)
        if not settings.datastore_id:
            return []
        path = METADATA_PATH.format(datastore_id=settings.datastore_id)
        try:
            reply = await session.send("GET", path, what="datastore columns", idempotent=True)
        except VendorError as exc:
            if exc.is_auth:
                raise
            said = f"HTTP {exc.status}" if exc.status else type(exc).__name__
            if exc.code:
                said += f", code {exc.code}"
            raise FieldsUnread(
                f"the columns of datastore {settings.datastore_id} could not be read "
                f"({said}): the file's columns go as they are, unchecked (types, lengths, "
                "dates); check the datastore-id"
            ) from None
        data = reply.json()
        body: dict[str, Any] = data if isinstance(data, dict) else {}
        inner = body.get("datastore")
        holder: dict[str, Any] = inner if isinstance(inner, dict) else body
        columns = []
        for raw in holder.get("columns") or []:
            try:
                columns.append(DatastoreColumn.model_validate(raw))
            except ValueError:
                continue
        return [
            TargetField(
                c.name,
                c.name,
                _DATATYPES.get(c.datatype.lower(), "text"),
                group="datastore",
                max_length=c.max_length if c.max_length and c.max_length > 0 else None,
                # Webex documents no form for a datetime column; its own stamps are ISO 8601
                # ("2020-01-14T12:51:48.000+0000"), so a value's time and offset go whole in
                # that form (the date-only default would reject any time of day).
                format="iso8601" if _DATATYPES.get(c.datatype.lower()) == "datetime" else "",
            )
            for c in columns
        ]

    def fields_for_settings(
        self, fields: list[TargetField], settings: VendorSettings
    ) -> list[TargetField]:
        # The datastore's own description of a column wins over our defaults for it.
        fetched = {f.name: f for f in fields if f.group == "datastore"}
        if not fetched:
            return fields
        own = [f for f in fields if f.group != "datastore"]
        merged = []
        for f in own:
            column = fetched.pop(f.name, None)
            merged.append(
                f if column is None else dataclasses.replace(f, max_length=column.max_length)
            )
        return merged + list(fetched.values())

    def import_problems(self, settings: VendorSettings) -> list[str]:
        assert isinstance(settings, WebexSettings)
        ids = {"datastore-id": settings.datastore_id, "feed-id": settings.feed_id}
        return [
            f"the profile has no {name}, which every upload names"
            for name, value in ids.items()
            if not value
        ]

    def build_batch(
        self, base: str, settings: VendorSettings, records: Sequence[dict[str, Any]]
    ) -> tuple[str, dict[str, str] | None, Any]:
        assert isinstance(settings, WebexSettings)
        body = {
            "datastore-id": settings.datastore_id,
            "feed-id": settings.feed_id,
            "records": [{k: v for k, v in r.items() if v not in (None, "")} for r in records],
        }
        return self.url(base, settings.records_path), None, body

    def read_batch_reply(self, reply: Reply, count: int) -> BatchOutcome:
        parsed = AddRecordsReply.model_validate(reply.json() or {})
        receipt: dict[str, Any] = {"trans_id": parsed.trans_id}
        if parsed.result and parsed.result.correlation_id:
            receipt["correlation_id"] = parsed.result.correlation_id
        return BatchOutcome(ok=True, receipt=receipt)

    async def test_connection(self, session: VendorSession) -> ConnectionReport:
        # There is no documented read call. An empty body is refused with 1002 "mandatory field
        # missing" only once the key has been accepted, and it writes nothing.
        settings = session.settings
        assert isinstance(settings, WebexSettings)
        try:
            await session.send(
                "POST",
                settings.records_path,
                what="connection test",
                json={},
                idempotent=True,  # an empty body writes nothing: resending a lost probe is safe
            )
        except VendorError as exc:
            if exc.code == "1002":
                missing = [n for n in ("datastore_id", "feed_id") if not getattr(settings, n)]
                note = f"; set {', '.join(missing)}" if missing else ""
                report = ConnectionReport(True, f"Key accepted{note}", {"probe": "1002"})
                return await self._datastore_checked(session, report)
            raise
        return await self._datastore_checked(session, ConnectionReport(True, "Key accepted", {}))

    async def _datastore_checked(
        self, session: VendorSession, report: ConnectionReport
    ) -> ConnectionReport:
        """The key's acceptance says nothing of the datastore: its columns are read too."""
        try:
            columns = await self.fetch_fields(session)
        except FieldsUnread as exc:
            report.warnings.append(str(exc))
            return report
        if columns:
            report.summary += f"; datastore columns: {len(columns)}"
            report.details["columns"] = [c.name for c in columns]
        return report
