"""Expoints: customer data columns and ``customer/add`` with ASP.NET ModelState errors (doc 001)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cxconsole.sandbox.checks import is_email, is_iso8601
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.data import EXPOINTS_COLUMNS
from cxconsole.sandbox.pipeline import Call, NotJSON, VendorSpec, vendor_route

COLUMNS_PATHS = ("/external/api/v1/customerdatacolumn", "/external/api/v3/customerdatacolumn")
ADD_PATH = "/external/api/v3/customer/add"
MAX_CUSTOMERS = 200  # doc 001 advises "no more than 200"; the sandbox enforces it
_BATCH_DATES = ("EndDate", "SendTime")
_CUSTOMER_DATES = ("SendDate", "TransactionDate", "EndDate")
_BATCH_BOOLS = ("ApproveAutomatically", "IsTest", "AllowDuplicateEmail", "IsConcept")
_TYPE_BATCHES = (0, 1, "0", "1", "email", "portal")


def admit(call: Call) -> Response | None:
    # Assumption: the scheme is not public; we take "Authorization: Bearer <token>".
    scheme, _, token = call.request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.strip() != SANDBOX_SECRETS["expoints"]:
        # Doc 001 only says "401 Unauthorized"; ASP.NET sends it with an empty body.
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return None


def _message(text: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"Message": text}, status_code=status, headers=headers)


def _too_many(call: Call) -> Response:
    return _message("Too many requests in a given amount of time.", 429, {"Retry-After": "1"})


def _malformed(call: Call) -> Response:
    text = '{"Message":"An error has occurred.",}'  # trailing comma, as the docs print JSON
    return Response(text, status_code=500, media_type="application/json")


SPEC = VendorSpec(
    name="expoints",
    admit=admit,
    fault_replies={
        "429": _too_many,
        "500": lambda call: _message("An error has occurred.", 500),
        "malformed": _malformed,
    },
)


def columns(call: Call) -> Response:
    return JSONResponse({"CustomerDataColumns": list(EXPOINTS_COLUMNS)})


class ModelState:
    """ASP.NET Web API's ``ModelState``: messages per key, keys in the order found."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def reply(self) -> JSONResponse:
        return JSONResponse(
            {"Message": "The request is invalid.", "ModelState": self.errors}, status_code=400
        )


def _check_batch(body: dict[str, Any], state: ModelState) -> None:
    for name in _BATCH_BOOLS:
        if name in body and body[name] is not None and not isinstance(body[name], bool):
            state.add(f"request.{name}", f"Error converting value {body[name]!r} to Boolean.")
    for name in _BATCH_DATES:
        value = body.get(name)
        if value is not None and not is_iso8601(value):
            state.add(f"request.{name}", f"The value {value!r} is not a valid ISO 8601 date.")
    if body.get("TypeBatch") not in (None, *_TYPE_BATCHES):
        state.add("request.TypeBatch", f"The value {body['TypeBatch']!r} is not a valid TypeBatch.")


def _check_data(key: str, data: Any, state: ModelState) -> None:
    known = {column["Id"]: column for column in EXPOINTS_COLUMNS}
    if data is None:
        data = []
    if not isinstance(data, list):
        state.add(key, "The Data field must be an array of {CustomerDataColumnId, Value}.")
        return
    given: set[int] = set()
    for item in data:
        column_id = item.get("CustomerDataColumnId") if isinstance(item, dict) else None
        if isinstance(column_id, bool) or not isinstance(column_id, int):
            state.add(key, f"Invalid data item {item!r}: CustomerDataColumnId must be an integer.")
            continue
        column = known.get(column_id)
        if column is None:
            state.add(key, f"Unknown customer data column {column_id}.")
        elif column["Archived"]:
            state.add(key, f"Customer data column {column_id} ({column['Name']}) is archived.")
        elif item.get("Value") not in (None, ""):
            given.add(column_id)
    for column in EXPOINTS_COLUMNS:
        if column["Required"] and not column["Archived"] and column["Id"] not in given:
            state.add(
                key,
                f"Required customer data column {column['Id']} ({column['Name']}) is missing.",
            )


def _check_customers(body: dict[str, Any], customers: list[Any], state: ModelState) -> None:
    need_email = body.get("TypeBatch") not in (1, "1", "portal")
    allow_duplicates = body.get("AllowDuplicateEmail") is True
    first_seen: dict[str, int] = {}
    for index, customer in enumerate(customers):
        key = f"request.Customers[{index}]"
        if not isinstance(customer, dict):
            state.add(key, "A customer must be an object.")
            continue
        email = customer.get("Email")
        if email in (None, ""):
            if need_email:
                state.add(f"{key}.Email", "The Email field is required.")
        elif not is_email(email):
            state.add(f"{key}.Email", f"'{email}' is not a valid e-mail address.")
        elif not allow_duplicates:
            earlier = first_seen.setdefault(email.lower(), index)
            if earlier != index:
                state.add(
                    f"{key}.Email",
                    f"Duplicate e-mail address '{email}' (also request.Customers[{earlier}]).",
                )
        for name in _CUSTOMER_DATES:
            value = customer.get(name)
            if value is not None and not is_iso8601(value):
                state.add(f"{key}.{name}", f"The value {value!r} is not a valid ISO 8601 date.")
        _check_data(f"{key}.Data", customer.get("Data"), state)


def add_customers(call: Call) -> Response:
    state = ModelState()
    try:
        body = call.json()
    except NotJSON:
        state.add("request", "The request body is not valid JSON.")
        return state.reply()
    if not isinstance(body, dict):
        state.add("request", "The request must be a JSON object.")
        return state.reply()
    customers = body.get("Customers")
    if not isinstance(customers, list) or not customers:
        state.add("request.Customers", "The Customers field is required.")
        return state.reply()
    if len(customers) > MAX_CUSTOMERS:
        state.add(
            "request.Customers",
            f"A batch holds at most {MAX_CUSTOMERS} customers; got {len(customers)}.",
        )
        return state.reply()
    _check_batch(body, state)
    _check_customers(body, customers, state)
    if state.errors:
        return state.reply()  # atomic: nothing recorded
    call.state.add_rows("expoints", call.number, customers)
    # Doc 001: "Sample not available" for the reply; the service answers 200 with no body.
    return Response(status_code=200)


def routes() -> list[Route]:
    return [
        *(vendor_route(SPEC, path, columns, methods=("GET",)) for path in COLUMNS_PATHS),
        vendor_route(SPEC, ADD_PATH, add_customers),
    ]
