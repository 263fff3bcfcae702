"""A fifth vendor, written as an outside module would be: no change in cxconsole needed.

"Toy CRM" takes records in batches at the sandbox's Webex records path (the only server we
have), with its own name, title, settings and fields. Registered with
``CXCONSOLE_VENDORS=toy=toy_vendor:Toy``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import Field, SecretStr

from cxconsole.client import Reply, VendorPolicy
from cxconsole.vendors.base import (
    BatchOutcome,
    ConnectionReport,
    HeaderAuth,
    TargetField,
    Vendor,
    VendorSettings,
)
from cxconsole.vendors.session import VendorSession

RECORDS = "/campaignapi/resources/v3/datastores/records"


class ToySettings(VendorSettings):
    list_id: str = Field(default="", alias="datastore-id", description="Toy CRM: the list")
    source_id: str = Field(default="", alias="feed-id", description="Toy CRM: the source")


class Toy(Vendor):
    name = "toy"
    title = "Toy CRM"
    policy = VendorPolicy(vendor="toy", read_timeout=10.0, concurrency=2)
    settings_model = ToySettings
    default_batch_size = 5
    default_concurrency = 2
    passthrough = True

    def default_base_url(self, settings: VendorSettings) -> str:
        raise ValueError("Toy CRM needs a base URL")

    def auth(self, secret: SecretStr, settings: VendorSettings) -> httpx.Auth:
        return HeaderAuth("authorization", secret, "Bearer ")

    def target_fields(self, extra: Sequence[TargetField] = ()) -> list[TargetField]:
        return [
            TargetField("msisdn", "Mobile", "phone", required=True, synonyms=("mobile",)),
            TargetField("emailid", "E-mail", "email", synonyms=("email",)),
            *extra,
        ]

    def build_batch(
        self, base: str, settings: VendorSettings, records: Sequence[dict[str, Any]]
    ) -> tuple[str, dict[str, str] | None, Any]:
        assert isinstance(settings, ToySettings)
        body = {"datastore-id": settings.list_id, "feed-id": settings.source_id}
        return self.url(base, RECORDS), None, {**body, "records": list(records)}

    def read_batch_reply(self, reply: Reply, count: int) -> BatchOutcome:
        data = reply.json() if isinstance(reply.json(), dict) else {}
        return BatchOutcome(ok=True, receipt={"toy": data.get("trans_id")})

    async def test_connection(self, session: VendorSession) -> ConnectionReport:
        return ConnectionReport(True, "Toy CRM: nothing to ask")
