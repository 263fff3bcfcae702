"""Noojee Contact: campaign pickers and ``insertLeadsFast`` on a small, queueing server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.data import NOOJEE_ALLOCATIONS, NOOJEE_CAMPAIGNS, NOOJEE_TEMPLATES
from cxconsole.sandbox.pipeline import Call, NotJSON, VendorSpec, vendor_route

API = "/servicemanager/rest/CampaignAPI"

# Doc 003's codes and their HTTP statuses.
CODES: dict[int, tuple[str, int]] = {
    0: ("OK", 200),
    102: ("NO_PHONE_FIELDS", 400),
    103: ("EXCEPTION", 500),
    105: ("DUPLICATE", 400),
    109: ("TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS", 400),
    115: ("ALLOCATION_ID_REQUIRED", 400),
    116: ("TEMPLATE_ID_REQUIRED", 400),
    117: ("CAMPAIGN_ID_REQUIRED", 400),
}

_PHONE_KEY = re.compile(r"phone|mobile", re.IGNORECASE)


def reply(
    code: int,
    entities: list[Any] | None = None,
    http_status: int | None = None,
    message: str | None = None,
) -> JSONResponse:
    """Noojee's envelope ``{type, code, message, entities}``; code 0 is OK.

    Assumption: ``type`` is "success" for code 0 and "error" otherwise (the documents show
    the keys, not the values).
    """
    name, status = CODES.get(code, ("ERROR", 400))
    return JSONResponse(
        {
            "type": "success" if code == 0 else "error",
            "code": code,
            "message": message or name,
            "entities": entities or [],
        },
        status_code=status if http_status is None else http_status,
    )


def admit(call: Call) -> Response | None:
    # Assumption: the documents do not say how a wrong key is refused; we answer HTTP 401
    # with code 401 in the usual envelope.
    if call.request.query_params.get("apiKey") != SANDBOX_SECRETS["noojee"]:
        return reply(401, http_status=401, message="Invalid apiKey")
    return None


def _malformed(call: Call) -> Response:
    text = '{"type":"error","code":103,"message":"EXCEPTION","entities":[],}'  # trailing comma
    return Response(text, status_code=500, media_type="application/json")


SPEC = VendorSpec(
    name="noojee",
    admit=admit,
    fault_replies={
        # Assumption: Noojee documents no 429; a throttling proxy would send one like this.
        "429": lambda call: JSONResponse(
            {"type": "error", "code": 429, "message": "TOO_MANY_REQUESTS", "entities": []},
            status_code=429,
            headers={"Retry-After": "1"},
        ),
        "500": lambda call: reply(103),
        # A failure code delivered with HTTP 200, which a client must read from the body.
        "http200": lambda call: reply(call.state.pick((109, 103)), http_status=200),
        "malformed": _malformed,
    },
)


def _id(call: Call, name: str) -> int | None:
    value = call.request.query_params.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _entities(items: dict[int, Any]) -> list[dict[str, Any]]:
    return [{"id": key, "name": value if isinstance(value, str) else value[1]}
            for key, value in items.items()]  # fmt: skip


def template_list(call: Call) -> Response:
    return reply(0, _entities(NOOJEE_TEMPLATES))


def campaign_list(call: Call) -> Response:
    # Assumption: without fTemplateId every campaign is listed; an unknown one is a 116.
    if "fTemplateId" not in call.request.query_params:
        return reply(0, _entities(NOOJEE_CAMPAIGNS))
    template = _id(call, "fTemplateId")
    if template not in NOOJEE_TEMPLATES:
        return reply(116)
    return reply(0, _entities({k: v for k, v in NOOJEE_CAMPAIGNS.items() if v[0] == template}))


def allocation_list(call: Call) -> Response:
    if "fCampaignId" not in call.request.query_params:
        return reply(0, _entities(NOOJEE_ALLOCATIONS))
    campaign = _id(call, "fCampaignId")
    if campaign not in NOOJEE_CAMPAIGNS:
        return reply(117)
    return reply(0, _entities({k: v for k, v in NOOJEE_ALLOCATIONS.items() if v[0] == campaign}))


def _target(call: Call) -> tuple[int, int] | Response:
    """Template, campaign and allocation must exist and belong together (116, 117, 115)."""
    template, campaign, allocation = (
        _id(call, name) for name in ("fTemplateId", "fCampaignId", "fAllocationId")
    )
    if template not in NOOJEE_TEMPLATES:
        return reply(116)
    if campaign is None or NOOJEE_CAMPAIGNS.get(campaign, (None,))[0] != template:
        return reply(117)
    if allocation is None or NOOJEE_ALLOCATIONS.get(allocation, (None,))[0] != campaign:
        return reply(115)
    return campaign, allocation


def _phones(lead: dict[str, Any]) -> list[str]:
    """The lead's phone numbers: values of keys naming a phone or mobile, digits compared."""
    found = []
    for key, value in lead.items():
        if _PHONE_KEY.search(key) and value not in (None, ""):
            digits = re.sub(r"[^\d+]", "", str(value))
            if digits:
                found.append(digits)
    return found


def insert_leads(call: Call) -> Response:
    target = _target(call)
    if isinstance(target, Response):
        return target
    campaign, _allocation = target
    try:
        leads = call.json()
    except NotJSON as exc:
        # A Java server's parse failure surfaces as 103 EXCEPTION (HTTP 500), as documented.
        return reply(103, [{"error": f"body is not JSON: {exc}"}])
    if not isinstance(leads, list) or not all(isinstance(lead, dict) for lead in leads):
        return reply(103, [{"error": "body must be a JSON array of lead objects"}])
    allow_duplicates = call.request.query_params.get("allowDuplicates", "").lower() == "true"
    # Assumption: duplicates are checked within the campaign, like njExternalLeadId (code 112).
    seen = set() if allow_duplicates else call.state.noojee_known_phones(campaign)
    problems: list[dict[str, Any]] = []
    all_phones: list[str] = []
    external = call.state.noojee_known_external_ids(campaign)
    for index, lead in enumerate(leads):
        # njExternalLeadId is unique within a campaign (112), checked before the phones.
        lead_id = lead.get("njExternalLeadId")
        if lead_id not in (None, ""):
            if str(lead_id) in external:
                problems.append({"index": index, "code": 112})
                continue
            external.add(str(lead_id))
        phones = _phones(lead)
        if not phones:
            problems.append({"index": index, "code": 102})
            continue
        duplicate = next((p for p in phones if p in seen), None)
        if duplicate is not None:
            problems.append({"index": index, "code": 105, "phone": duplicate})
            continue
        if not allow_duplicates:
            seen.update(phones)
        all_phones.extend(phones)
    if problems:
        # Assumption: the whole call fails (nothing inserted) and `entities` names each
        # offending lead; the top-level code is that of the first one.
        return reply(problems[0]["code"], problems)
    lead_ids = call.state.noojee_accept(campaign, call.number, leads, all_phones)
    return reply(0, [{"index": i, "leadId": lead_id} for i, lead_id in enumerate(lead_ids)])


@asynccontextmanager
async def insert_slot(call: Call) -> AsyncIterator[Response | None]:
    """Hold one of the server's few insert slots, or yield 109 after the queue timeout."""
    slots = call.state.noojee_slots
    try:
        await asyncio.wait_for(slots.acquire(), call.state.noojee_queue_timeout)
    except TimeoutError:
        call.state.count_noojee_timeout()
        yield reply(109)
        return
    try:
        yield None
    finally:
        slots.release()


def routes() -> list[Route]:
    return [
        vendor_route(SPEC, f"{API}/getCampaignTemplateList", template_list, methods=("GET",)),
        vendor_route(SPEC, f"{API}/getCampaignList", campaign_list, methods=("GET",)),
        vendor_route(SPEC, f"{API}/getAllocationList", allocation_list, methods=("GET",)),
        vendor_route(SPEC, f"{API}/insertLeadsFast", insert_leads, gate=insert_slot),
    ]
