"""Webex Campaign: add records to a datastore; some failures come with HTTP 200 (doc 002)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.data import WEBEX_DATASTORES
from cxconsole.sandbox.pipeline import Call, NotJSON, VendorSpec, vendor_route

# Our documented default: the real records path is not public, so profiles can
# override it; the sandbox serves this one.
RECORDS_PATH = "/campaignapi/resources/v3/datastores/records"
METADATA_PATH = "/campaignapi/metadata/v3/datastore/{datastore_id}"
# Assumption (the reply's shape is not public): a datastore's columns as name, id, datatype
# and max-length, under "columns".
DATASTORE_COLUMNS: dict[str, list[dict[str, Any]]] = {
    "1466": [
        {"name": "msisdn", "id": 1, "datatype": "string", "max-length": 20},
        {"name": "firstname", "id": 2, "datatype": "string", "max-length": 40},
        {"name": "emailid", "id": 3, "datatype": "string", "max-length": 120},
        {"name": "Ref", "id": 4, "datatype": "string", "max-length": 40},
        {"name": "Joined", "id": 5, "datatype": "date", "max-length": 10},
        {"name": "city", "id": 6, "datatype": "string", "max-length": 12},
        {"name": "LastVisit", "id": 7, "datatype": "datetime"},
    ],
}
NOT_PROCESSED = "The request was not processed."


def _status(statuscode: int, description: str, http_status: int, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"statuscode": statuscode, "description": description, **extra}, status_code=http_status
    )


def admit(call: Call) -> Response | None:
    reading_metadata = call.request.method == "GET" and "/metadata/" in call.request.url.path
    if call.request.method != "POST" and not reading_metadata:
        # Doc 002: 405 / 405 "Method not supported"; checked before auth, as a router would.
        return _status(405, "Method not supported", 405)
    scheme, _, token = call.request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.strip() != SANDBOX_SECRETS["webex"]:
        return _status(
            430,
            "Authorization failed. This resource is not allowed to access using this TOKEN or KEY",
            401,
        )
    return None


def _not_processed(call: Call, detail: str) -> JSONResponse:
    """Doc 002's failure with HTTP 200: read ``statuscode``, not only the HTTP status."""
    result = {"correlation_id": str(uuid.uuid4()), "status": 1010, "description": detail}
    return JSONResponse({"result": result, "statuscode": 1010, "description": NOT_PROCESSED})


def _malformed(call: Call) -> Response:
    text = '{"statuscode":500,"description":"Internal server error",}'  # trailing comma
    return Response(text, status_code=500, media_type="application/json")


SPEC = VendorSpec(
    name="webex",
    admit=admit,
    fault_replies={
        "429": lambda call: JSONResponse(
            {
                "statuscode": 429,
                "description": "Too many requests. Throttle limit reached for the time window.",
            },
            status_code=429,
            headers={"Retry-After": "1"},
        ),
        "500": lambda call: _status(500, "Internal server error", 500),
        "http200": lambda call: _not_processed(call, NOT_PROCESSED),
        "malformed": _malformed,
    },
)


def add_records(call: Call) -> Response:
    try:
        body = call.json()
    except NotJSON:
        return _status(1001, "Invalid input JSON", 400)
    if not isinstance(body, dict):
        return _status(1001, "Invalid input JSON", 400)
    # Assumption: doc 002 calls datastore-id "conditionally mandatory" without the condition;
    # the sandbox always needs it, as records always go to one datastore.
    for field in ("feed-id", "datastore-id", "records"):
        if body.get(field) in (None, "", []):
            return _status(1002, f"Mandatory field missing: {field}", 400)
    records = body["records"]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return _status(1002, "Mandatory field missing: records (a list of objects)", 400)
    datastore = str(body["datastore-id"])
    if datastore not in WEBEX_DATASTORES:
        return _not_processed(call, f"{NOT_PROCESSED} Unknown datastore-id {datastore}")
    call.state.add_rows("webex", call.number, records)
    return JSONResponse(
        {
            "statuscode": 0,
            "trans_id": str(uuid.uuid4()),
            "result": {"correlation_id": str(uuid.uuid4()), "status": 0},
        }
    )


def datastore_metadata(call: Call) -> Response:
    datastore = str(call.request.path_params.get("datastore_id", ""))
    if datastore not in WEBEX_DATASTORES:
        return _status(1003, f"Unknown datastore-id {datastore}", 404)
    return JSONResponse(
        {
            "statuscode": 0,
            "datastore": {
                "id": datastore,
                "name": WEBEX_DATASTORES[datastore],
                "columns": DATASTORE_COLUMNS.get(datastore, []),
            },
        }
    )


def routes() -> list[Route]:
    # Every method reaches the handler chain so a GET gets Webex's JSON 405, not Starlette's.
    methods = ("GET", "POST", "PUT", "PATCH", "DELETE")
    return [
        vendor_route(SPEC, RECORDS_PATH, add_records, methods=methods),
        vendor_route(SPEC, METADATA_PATH, datastore_metadata, methods=("GET",)),
    ]
