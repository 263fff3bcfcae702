"""Noojee Contact: ``insertLeadsFast`` and the template / campaign / allocation lists.

Document 003 and Noojee's public pages. Every reply is ``{"type", "code", "message",
"entities"}`` with code 0 for OK. The API key travels as the ``apiKey`` query parameter, so it
is added only at send time and redacted everywhere. The server runs few inserts at once and
fails a call queued over 60 s with 109: low concurrency, a read timeout above 60 s, and 109
retried after a pause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, RootModel, SecretStr

from cxconsole.client import Reply, VendorPolicy
from cxconsole.vendors.base import (
    BatchOutcome,
    ConnectionReport,
    FieldKind,
    QueryAuth,
    RecordKey,
    Target,
    TargetField,
    Vendor,
    VendorSettings,
)
from cxconsole.vendors.session import VendorSession

API_ROOT = "/servicemanager/rest/CampaignAPI"
# The document prints "insertLeadsFastinsertLeadFast" (two names run together) and the page's
# history shows both: insertLeadsFast, the documented batch call, is the default of a setting.
INSERT_CALL = "insertLeadsFast"
INSERT_PATH = f"{API_ROOT}/{INSERT_CALL}"


class NoojeeSettings(VendorSettings):
    template_id: int | None = Field(
        default=None,
        description="fTemplateId: the campaign template",
        json_schema_extra={"picker": "templates"},
    )
    campaign_id: int | None = Field(
        default=None, description="fCampaignId", json_schema_extra={"picker": "campaigns"}
    )
    allocation_id: int | None = Field(
        default=None, description="fAllocationId", json_schema_extra={"picker": "allocations"}
    )
    allow_duplicates: bool = Field(default=False, description="allowDuplicates on each insert")
    insert_path: str = Field(
        default=INSERT_CALL,
        pattern=r"^[A-Za-z]+$",
        description="the insert call: insertLeadsFast (documented) or insertLeadFast (older)",
    )


class Lead(BaseModel):
    """One lead: the campaign template's own fields go under the operator's column names;
    Noojee's system fields, which an import offers as targets, are declared here once with
    their import metadata."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, str | int | bool]
    njExternalLeadId: Annotated[
        str | None, Target("External lead id", synonyms=("external id",))
    ] = None
    njCallBackDate: Annotated[
        str | None,
        Target(
            "Call-back date",
            "datetime",
            synonyms=("callback", "call back", "callback date"),
            format="%Y/%m/%d %H:%M",  # yyyy/MM/dd HH:mm, as documented
        ),
    ] = None
    njPriority: Annotated[int | None, Target("Priority (0-100)"), Field(ge=0, le=100)] = None
    njContactHours: Annotated[str | None, Target("Contact hours", synonyms=("contact hours",))] = (
        None
    )


class InsertLeadsRequest(RootModel[list[Lead]]):
    """The body of insertLeadsFast: a list of leads (the campaign is named in the query)."""


class Entity(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    name: str = ""


class NoojeeReply(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str | None = None
    code: int = 0
    message: str = ""
    entities: list[Any] = Field(default_factory=list)


class Noojee(Vendor):
    name = "noojee"
    title = "Noojee Contact"
    account_settings = ("template_id", "campaign_id", "allocation_id")
    secret_label = "API key (query parameter apiKey)"
    policy = VendorPolicy(
        vendor="noojee",
        read_timeout=75.0,  # the server may take up to 60 s before it answers 109
        concurrency=2,
        max_retry_seconds=300.0,
        pause_seconds=10.0,
    )
    resend_risk = (
        "none: each lead carries this run's njExternalLeadId, and Noojee refuses a lead it "
        "already holds (112), which counts as imported"
    )
    settings_model = NoojeeSettings
    max_batch_size = 500
    default_batch_size = 50
    default_concurrency = 2
    date_format = "%Y-%m-%d %H:%M:%S"
    passthrough = True  # lead fields are the campaign template's own
    record_models = ((Lead, ""),)
    # Unique within a campaign: a lead sent again is refused with 112, so a lost reply can
    # be resolved by sending the batch again (Reconciling).
    reconcile_field: ClassVar[str] = "njExternalLeadId"
    required_kinds: ClassVar[dict[str, str]] = {"phone": "a phone number"}

    def default_base_url(self, settings: VendorSettings) -> str:
        raise ValueError("Noojee Contact needs the base URL of your server")

    def auth(self, secret: SecretStr, settings: VendorSettings) -> httpx.Auth:
        return QueryAuth("apiKey", secret)

    def details_table(self, details: dict[str, Any]) -> tuple[tuple[str, ...], list[list[str]]]:
        rows = [
            [key[:-1], str(item["id"]), str(item["name"])]
            for key in ("templates", "campaigns", "allocations")
            for item in details.get(key, [])
        ]
        return ("List", "Id", "Name"), rows

    def passthrough_kind(self, key: str) -> FieldKind:
        # Sent under its own name, but a column named like a phone is a number to dial
        # (checked, sent in E.164) and one named like an e-mail is an address (checked).
        if _PHONE_NAME.search(key):
            return "phone"
        return "email" if _EMAIL_NAME.search(key) else "text"

    def record_keys(
        self, settings: VendorSettings, fields: Sequence[TargetField]
    ) -> list[RecordKey]:
        # Unique within a campaign: a second lead with an id answers 112 and is not kept.
        key = next((f for f in fields if f.name == self.reconcile_field), None)
        if key is None:
            return []
        why = "Noojee keeps only the first lead with an id (112)"
        return [RecordKey(key, self.reconcile_field, why)]

    def import_problems(self, settings: VendorSettings) -> list[str]:
        # Every insert names its template, campaign and allocation; one left out is refused
        # by Noojee for every batch (116, 117, 115), so nothing is sent without all three.
        assert isinstance(settings, NoojeeSettings)
        ids = {
            "template_id": (settings.template_id, "fTemplateId, the campaign template", 116),
            "campaign_id": (settings.campaign_id, "fCampaignId", 117),
            "allocation_id": (settings.allocation_id, "fAllocationId", 115),
        }
        return [
            f"the profile has no {name} ({what}), which every insert names: Noojee refuses "
            f"each batch without it ({code})"
            for name, (value, what, code) in ids.items()
            if value is None
        ]

    def build_batch(
        self, base: str, settings: VendorSettings, records: Sequence[dict[str, Any]]
    ) -> tuple[str, dict[str, str] | None, Any]:
        assert isinstance(settings, NoojeeSettings)
        params = {
            "fTemplateId": str(settings.template_id or ""),
            "fCampaignId": str(settings.campaign_id or ""),
            "fAllocationId": str(settings.allocation_id or ""),
            "allowDuplicates": "true" if settings.allow_duplicates else "false",
        }
        leads = [{k: v for k, v in r.items() if v not in (None, "")} for r in records]
        return self.url(base, f"{API_ROOT}/{settings.insert_path}"), params, leads

    def read_batch_reply(self, reply: Reply, count: int) -> BatchOutcome:
        parsed = NoojeeReply.model_validate(reply.json() or {})
        ids = [e.get("leadId") for e in parsed.entities if isinstance(e, dict)]
        return BatchOutcome(ok=True, receipt={"code": parsed.code, "leads": len(ids) or count})

    def bad_rows_of(self, error: Any, count: int) -> dict[int, str]:
        found: dict[int, str] = {}
        for index, code, entity, body in _named_leads(error):
            message = body.get("message", "") if code == body.get("code") else ""
            reason = f"{code} {message or _CODE_NAMES.get(str(code), '')}".strip()
            if entity.get("phone"):
                reason += f" ({entity['phone']})"
            found[index] = reason
        return found

    def already_present(self, error: Any, count: int) -> set[int]:
        """Leads refused with 112: the campaign holds a lead with this njExternalLeadId."""
        return {index for index, code, _e, _b in _named_leads(error) if str(code) == "112"}

    def row_refusal_codes(self) -> frozenset[str]:
        return frozenset({"102", "105", "108", "111", "112", "114"})

    async def entities(
        self, session: VendorSession, call: str, params: dict[str, str] | None = None
    ) -> list[Entity]:
        reply = await session.send(
            "GET", f"{API_ROOT}/{call}", what=call, params=params, idempotent=True
        )
        parsed = NoojeeReply.model_validate(reply.json() or {})
        return [Entity.model_validate(e) for e in parsed.entities if isinstance(e, dict)]

    async def templates(self, session: VendorSession) -> list[Entity]:
        return await self.entities(session, "getCampaignTemplateList")

    async def campaigns(self, session: VendorSession, template: int) -> list[Entity]:
        return await self.entities(session, "getCampaignList", {"fTemplateId": str(template)})

    async def allocations(self, session: VendorSession, campaign: int) -> list[Entity]:
        return await self.entities(session, "getAllocationList", {"fCampaignId": str(campaign)})

    async def test_connection(self, session: VendorSession) -> ConnectionReport:
        settings = session.settings
        assert isinstance(settings, NoojeeSettings)
        templates = await self.templates(session)
        details: dict[str, Any] = {"templates": [t.model_dump() for t in templates]}
        template = settings.template_id or (templates[0].id if templates else None)
        if template is not None:
            campaigns = await self.campaigns(session, template)
            details["campaigns"] = [c.model_dump() for c in campaigns]
            campaign = settings.campaign_id or (campaigns[0].id if campaigns else None)
            if campaign is not None:
                allocations = await self.allocations(session, campaign)
                details["allocations"] = [a.model_dump() for a in allocations]
        summary = f"Key accepted; {len(templates)} campaign templates"
        return ConnectionReport(True, summary, details)


_PHONE_NAME = re.compile(r"phone|mobile|msisdn|cell|^tel", re.IGNORECASE)
_EMAIL_NAME = re.compile(r"e-?mail", re.IGNORECASE)
_CODE_NAMES = {"112": "njExternalLeadId already in the campaign", "105": "duplicate phone"}


def _named_leads(error: Any) -> list[tuple[int, Any, dict[str, Any], dict[str, Any]]]:
    """(index, code, entity, body) for each lead a refusal names; a lead's own code wins."""
    decoded = getattr(error, "decoded", None)
    body = getattr(decoded, "body", None)
    found = []
    if isinstance(body, dict):
        for entity in body.get("entities") or []:
            if isinstance(entity, dict) and isinstance(entity.get("index"), int):
                found.append((entity["index"], entity.get("code", body.get("code")), entity, body))
    return found
