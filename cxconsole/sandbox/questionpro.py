"""QuestionPro CX: transaction import, detractor tickets, segments (docs 000 and 004)."""

from __future__ import annotations

import math
import uuid
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cxconsole.sandbox.checks import is_dmy_date, is_e164, is_email, parse_positive_int
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.pipeline import Call, NotJSON, VendorSpec, vendor_route

DOCS = "www.questionpro.com/api/error-codes.html"
IMPORT_PATH = "/a/api/v2/cx/transactions/import"
DETRACTORS_PATH = "/a/api/v2/cx/tickets/detractors"
SEGMENTS_PATH = "/a/api/v2/cx/feedback/{workspaceID}/segments"
# Doc 004's sample links point at this other path (and other pages); we copy the mistake.
WRONG_LINKS_PATH = "/a/api/v2/cx/detractor/ticket/data"
DEFAULT_PER_PAGE = 100  # assumption: doc 004's example asks for perPage=100


def error(call: Call, status: int, name: str, message: str, error_id: str | None) -> JSONResponse:
    """The documented envelope; ``id`` is left out where QuestionPro sends none (429)."""
    body: dict[str, Any] = {"docs": DOCS, "name": name, "httpStatusCode": status}
    if error_id is not None:
        body["id"] = error_id
    body["message"] = message
    body["resourceUrl"] = call.path
    return JSONResponse({"response": {"error": body}}, status_code=status)


def bad_request(call: Call, error_id: str, message: str) -> JSONResponse:
    return error(call, 400, "BAD_REQUEST", message, error_id)


def too_many(call: Call, retry_after: int, message: str) -> JSONResponse:
    reply = error(call, 429, "TOO_MANY_REQUESTS", message, None)
    reply.headers["Retry-After"] = str(retry_after)
    return reply


def admit(call: Call) -> Response | None:
    key = call.request.headers.get("api-key")
    if key != SANDBOX_SECRETS["questionpro"]:
        return error(call, 401, "UNAUTHORIZED", "Incorrect API Key", "1010")
    state = call.state
    retry_after = state.qp_limiter.acquire(key)
    if retry_after is not None:
        state.count_rate_limited()
        limiter = state.qp_limiter
        message = f"Rate limit of {limiter.limit} calls per {limiter.period:g} seconds exceeded"
        return too_many(call, retry_after, message)
    return None


def _server_error(call: Call) -> Response:
    return error(call, 500, "INTERNAL_SERVER_ERROR", "We are not able to process your request",
                 "1026")  # fmt: skip


def _malformed(call: Call) -> Response:
    # Printed as docs 000/004 print it: unquoted docs URL with no comma after it, and a
    # trailing comma as in doc 000's request example.
    text = (
        "{\n"
        '"response": {\n'
        '"error": {\n'
        f'"docs": {DOCS}\n'
        '"name": "INTERNAL_SERVER_ERROR",\n'
        '"httpStatusCode": 500,\n'
        '"id" : "1026",\n'
        '"message": "We are not able to process your request",\n'
        f'"resourceUrl":"{call.path}",\n'
        "}\n"
        "}\n"
        "}\n"
    )
    return Response(text, status_code=500, media_type="application/json")


SPEC = VendorSpec(
    name="questionpro",
    admit=admit,
    fault_replies={
        "429": lambda call: too_many(call, 1, "Too many requests"),
        "500": _server_error,
        "malformed": _malformed,
    },
)


# --- transactions/import ---------------------------------------------------------------------


UNSUBSCRIBED_DOMAIN = "@unsubscribed.example"
BLOCKED_DOMAIN = "@bounced.example"
SUPPRESSED_DOMAIN = "@suppressed.example"


def _contact_errors(index: int, contact: Any) -> list[str]:
    where = f"contacts[{index}]"
    if not isinstance(contact, dict):
        return [f"{where}: expected an object"]
    problems: list[str] = []
    email, mobile = contact.get("email"), contact.get("mobile")
    if email not in (None, "") and not is_email(email):
        problems.append(f"{where}.email: invalid e-mail address {email!r}")
    if mobile not in (None, "") and not is_e164(mobile):
        problems.append(f"{where}.mobile: expected E.164 like +61412345678, got {mobile!r}")
    if email in (None, "") and mobile in (None, ""):
        problems.append(f"{where}: needs an email or a mobile")
    if str(email or "").endswith(SUPPRESSED_DOMAIN):
        # A refusal that names no contact: the client must find the row by halving.
        problems.append("a contact is on the account's suppression list")
    if str(email or "").endswith(BLOCKED_DOMAIN):
        # What only the vendor knows (its account's bounce list): a refusal no local check
        # can foresee, naming the contact.
        problems.append(f"{where}.email: {email!r} is on the account's bounce list")
    date = contact.get("transactionDate")
    if date is None:
        problems.append(f"{where}.transactionDate: required, expected dd/MM/yyyy")
    elif not is_dmy_date(date):
        problems.append(f"{where}.transactionDate: expected dd/MM/yyyy, got {date!r}")
    return problems


def import_contacts(call: Call) -> Response:
    try:
        body = call.json()
    except NotJSON:
        return bad_request(call, "1001", "Request body is not valid JSON")
    contacts = body.get("contacts") if isinstance(body, dict) else None
    if not isinstance(contacts, list) or not contacts:
        return bad_request(call, "1002", "Invalid schema: 'contacts' must be a non-empty list")
    # Atomic: one bad contact fails the call and nothing is imported.
    problems = [p for i, contact in enumerate(contacts) for p in _contact_errors(i, contact)]
    if problems:
        return bad_request(call, "1002", "; ".join(problems))
    # A vendor may take fewer contacts than it was sent and only say so by the count (the
    # sandbox's stand-in: addresses at UNSUBSCRIBED_DOMAIN are skipped, as an opted-out list).
    taken = [c for c in contacts if not str(c.get("email") or "").endswith(UNSUBSCRIBED_DOMAIN)]
    call.state.add_rows("questionpro", call.number, taken)
    return JSONResponse(
        {
            "emailStatus": "Successful: Initiated email send process.",
            "importStatus": "Successful: Contact imported.",
            "importCount": str(len(taken)),  # a string, as documented
        }
    )


# --- tickets/detractors ----------------------------------------------------------------------


def _paging(call: Call) -> tuple[int, int] | Response:
    page = parse_positive_int(call.request.query_params.get("page"), 1)
    per_page = parse_positive_int(call.request.query_params.get("perPage"), DEFAULT_PER_PAGE)
    if page is None or per_page is None:
        return bad_request(call, "1000", "Invalid URL parameters")
    return page, min(per_page, call.state.config.max_per_page)


def _pagination(page: int, per_page: int, total: int) -> dict[str, Any]:
    return {
        "perPage": per_page,
        "totalItems": total,
        "currentPage": page,
        "totalPages": math.ceil(total / per_page),
    }


def _wrong_links(call: Call, page: int, total_pages: int, total: int) -> dict[str, Any]:
    # Wrong on purpose, like doc 004's sample: other path, self one page ahead, last two
    # pages too far, perPage set to the item count, prev/next always null.
    base = str(call.request.base_url).rstrip("/")
    prefix = call.path[: -len(DETRACTORS_PATH)] if call.path.endswith(DETRACTORS_PATH) else ""
    url = f"{base}{prefix}{WRONG_LINKS_PATH}?page={{}}&perPage={total}"
    return {
        "self": url.format(page + 1),
        "prev": None,
        "next": None,
        "first": url.format(1),
        "last": url.format(total_pages + 2),
    }


def _int_filter(body: dict[str, Any], field: str) -> tuple[int | None, str | None]:
    value = body.get(field)
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"Invalid schema: '{field}' must be an integer, got {value!r}"
    return value, None


def detractors(call: Call) -> Response:
    paging = _paging(call)
    if isinstance(paging, Response):
        return paging
    page, per_page = paging
    if call.body.strip():
        try:
            body = call.json()
        except NotJSON:
            return bad_request(call, "1001", "Request body is not valid JSON")
    else:
        body = {}  # assumption: an empty body means no filter
    if not isinstance(body, dict):
        return bad_request(call, "1002", "Invalid schema: expected a JSON object")
    segment_id, problem = _int_filter(body, "segmentID")
    status, status_problem = _int_filter(body, "status")
    if problem or status_problem:
        return bad_request(call, "1002", problem or status_problem or "")
    if status is not None and status not in (0, 1, 2, 3):
        return bad_request(call, "1002", f"Invalid schema: 'status' must be 0-3, got {status}")
    if segment_id is not None and all(s.id != segment_id for s in call.state.segments):
        return error(call, 404, "NOT_FOUND",
                     "The resource that you're trying to access doesn't exist", "1040")  # fmt: skip
    tickets = [
        t
        for t in call.state.tickets
        if (segment_id is None or t.segment_id == segment_id)
        and (status is None or t.status == status)
    ]
    pagination = _pagination(page, per_page, len(tickets))
    pagination["links"] = _wrong_links(call, page, pagination["totalPages"], len(tickets))
    start = (page - 1) * per_page
    return JSONResponse(
        {
            "response": [t.to_json() for t in tickets[start : start + per_page]],
            "pagination": pagination,
            "requestID": str(uuid.uuid4()),
        }
    )


# --- feedback/{workspaceID}/segments ---------------------------------------------------------


def segments(call: Call) -> Response:
    paging = _paging(call)
    workspace = call.request.path_params["workspaceID"]
    if isinstance(paging, Response) or not workspace.isdigit():
        return bad_request(call, "1000", "Invalid URL parameters")
    # Assumption: the sandbox has one account, so every numeric workspace id shows its segments.
    page, per_page = paging
    items = call.state.segments
    start = (page - 1) * per_page
    return JSONResponse(
        {
            "response": [s.to_json() for s in items[start : start + per_page]],
            "pagination": _pagination(page, per_page, len(items)),
        }
    )


def routes() -> list[Route]:
    return [
        vendor_route(SPEC, IMPORT_PATH, import_contacts),
        vendor_route(SPEC, DETRACTORS_PATH, detractors),
        vendor_route(SPEC, SEGMENTS_PATH, segments, methods=("GET",)),
    ]
