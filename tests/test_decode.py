"""The lenient decoder: replies in each vendor's shape, the documents' literal bodies, captures."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from cxconsole.catalog import (
    MATCHED_BY,
    CatalogEntry,
    Decoded,
    all_entries,
    decode_capture,
    decode_reply,
    parse_capture,
)

SEEDS = Path(__file__).parent / "fixtures" / "seeds"


def seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def reply_for(entry: CatalogEntry) -> tuple[int | None, str, str | None]:
    """A synthetic ``(status, body, vendor to pass)`` in the vendor's real shape, built by hand
    (not from the TOML) so the test checks the TOML's shape against what vendors send."""
    status = entry.http_status
    if entry.vendor == "questionpro":
        if entry.code == "429":
            return 429, "", "questionpro"  # the rate limit: no body worth reading
        code: str | int = entry.code if int(entry.code) % 2 else int(entry.code)  # str or int
        error = {
            "docs": "https://www.questionpro.com/api/error-codes.html",
            "name": entry.name,
            "httpStatusCode": status,
            "id": code,
            "message": entry.message,
            "resourceUrl": "resource_url",
        }
        return status, json.dumps({"response": {"error": error}}), None
    if entry.vendor == "expoints":
        if entry.code == "400":
            state = {"request.Customers[0].Email": ["The Email field is not a valid e-mail."]}
            body = {"Message": "The request is invalid.", "ModelState": state}
            return 400, json.dumps(body), None
        if entry.code == "401":
            body = {"Message": "Authorization has been denied for this request."}
            return 401, json.dumps(body), None
        return status, "", "expoints"  # Expoints' bodies are mostly empty: the status is the code
    if entry.vendor == "webex":
        body = {"statuscode": int(entry.code), "description": entry.message}
        if entry.ok:
            body["trans_id"] = "6f1c2a9e-0001"
        return (status or 400), json.dumps(body), None
    if entry.vendor == "noojee":
        body = {
            "type": "SUCCESS" if entry.ok else "ERROR",
            "code": int(entry.code),
            "message": entry.name,
            "entities": [],
        }
        return status, json.dumps(body), None
    if entry.vendor == "http":
        return status, f"<html><body><h1>{status}</h1></body></html>", None
    raise AssertionError(entry.vendor)


REPLY_ENTRIES = [e for e in all_entries() if e.vendor != "cxconsole"]


@pytest.mark.parametrize(
    "entry", REPLY_ENTRIES, ids=[f"{e.vendor}-{e.code}-{e.http_status}" for e in REPLY_ENTRIES]
)
def test_a_reply_in_the_vendor_shape_decodes_back_to_its_entry(entry):
    status, body, vendor = reply_for(entry)
    decoded = decode_reply(status, body, vendor)
    assert decoded.entry == entry, decoded.recognised
    assert decoded.ok is entry.ok
    assert decoded.understood


@pytest.mark.parametrize("page", ["import", "tickets"])
@pytest.mark.parametrize(
    ("status", "code", "name"),
    [
        (400, "1000", "BAD_REQUEST"),
        (401, "1010", "UNAUTHORIZED"),
        (403, "1013", "FORBIDDEN"),
        (404, "1040", "NOT_FOUND"),
        (500, "1026", "INTERNAL_SERVER_ERROR"),
    ],
)
def test_the_documents_literal_error_bodies_decode(page, status, code, name):
    body = seed(f"qp_{page}_{status}.txt")
    for given in (None, status):  # bare, and with the status line
        decoded = decode_reply(given, body)
        assert decoded.vendor == "questionpro"
        assert (decoded.code, decoded.entry.name, decoded.http_status) == (code, name, status)
        assert not decoded.ok
    assert "vendor: QuestionPro CX (body has response.error)" in decoded.recognised
    assert f"code {code} from response.error.id" in decoded.recognised
    assert "body repaired: unquoted value at line 4; missing comma at line 5" in (
        decode_reply(None, body).recognised
    )
    assert decoded.body["response"]["error"]["docs"] == "www.questionpro.com/api/error-codes.html"


def test_the_documents_success_bodies_decode_as_success():
    imported = decode_reply(200, seed("qp_import_success.txt"))
    assert (imported.vendor, imported.ok, imported.entry) == ("questionpro", True, None)
    assert imported.message == "Successful: Contact imported."
    assert any(n.startswith("success: body has importStatus") for n in imported.recognised)

    tickets = decode_reply(None, seed("qp_tickets_200.txt"))
    assert (tickets.vendor, tickets.ok) == ("questionpro", True)
    assert tickets.body["pagination"]["totalPages"] == 1

    columns = decode_reply(200, seed("expoints_customerdatacolumn.txt"))
    assert (columns.vendor, columns.ok) == ("expoints", True)


def test_the_documents_request_examples_parse_but_are_not_replies():
    webex = decode_reply(None, seed("webex_records_request.txt"))
    assert webex.body["feed-id"] == "1499" and len(webex.body["records"]) == 5
    assert not webex.understood
    qp = decode_reply(None, seed("qp_import_request.txt"))
    assert len(qp.body["contacts"]) == 2
    assert any("trailing comma" in n for n in qp.recognised)
    noojee = decode_reply(None, seed("noojee_leads_request.txt"))
    assert noojee.body[1] == {
        "fieldname1": "lead 2 field 1 value",
        "fieldname2": "lead 2 field 2 value",
    }


def test_1010_is_questionpro_at_401_and_webex_at_200():
    qp = decode_reply(401, seed("qp_import_401.txt"))
    assert (qp.vendor, qp.entry.name, qp.entry.retryable) == (
        "questionpro",
        "UNAUTHORIZED",
        "never",
    )
    webex = decode_reply(
        200, '{"statuscode": 1010, "description": "The request was not processed."}'
    )
    assert (webex.vendor, webex.entry.name, webex.ok) == ("webex", "NOT_PROCESSED", False)
    # The status line alone does not decide: the body's shape does.
    assert decode_reply(200, seed("qp_import_401.txt")).vendor == "questionpro"


def test_1013_is_forbidden_at_403_and_quota_at_429():
    def envelope(status: int) -> str:
        return json.dumps({"response": {"error": {"id": 1013, "httpStatusCode": status}}})

    assert decode_reply(403, envelope(403)).entry.name == "FORBIDDEN"
    quota = decode_reply(429, envelope(429))
    assert (quota.entry.name, quota.entry.retryable) == ("TOO_MANY_REQUESTS", "never")
    # No status line: the status echoed in the body decides.
    assert decode_reply(None, envelope(429)).entry.http_status == 429
    assert decode_reply(None, envelope(403)).entry.http_status == 403


def test_webex_result_object_and_success():
    body = {"result": {"correlation_id": "c-1", "description": "Throttle", "status": 429}}
    decoded = decode_reply(429, json.dumps(body))
    assert (decoded.vendor, decoded.code, decoded.entry.retryable) == ("webex", "429", "yes")
    ack = decode_reply(200, '{"statuscode": 0, "trans_id": "t-42"}')
    assert ack.ok and ack.entry.code == "0"
    assert "trans_id: t-42" in ack.recognised


def test_expoints_success_is_any_2xx_even_empty():
    assert decode_reply(200, "", "expoints").ok
    assert decode_reply(204, None, "expoints").ok
    bad = decode_reply(400, '{"Message": "The request is invalid.", "ModelState": {"x": ["y"]}}')
    assert bad.vendor == "expoints" and not bad.ok
    assert "ModelState x: y" in bad.recognised


def test_a_200_from_an_unknown_vendor_is_not_called_a_success():
    decoded = decode_reply(200, "")
    assert not decoded.ok and decoded.entry is None


def test_no_code_falls_back_to_the_vendor_status_entry_then_http():
    assert decode_reply(429, "", "questionpro").entry.code == "429"
    assert decode_reply(503, "", "questionpro").entry.vendor == "http"
    assert decode_reply(502, "<html>Bad Gateway</html>").entry.code == "502"
    assert decode_reply(502, "", "expoints").entry.vendor == "http"
    assert decode_reply(401, "", "questionpro").entry.code == "1010"  # the only QP code at 401
    assert decode_reply(500, "", "noojee").entry.code == "103"
    assert decode_reply(401, "", "noojee").entry.code == "401"
    assert decode_reply(None, None, "cxconsole").entry is None


def test_nothing_fits_gives_candidates():
    decoded = decode_reply(401, "")
    assert not decoded.understood
    near = {(c.vendor, c.code) for c in decoded.candidates}
    assert {("questionpro", "1010"), ("expoints", "401"), ("webex", "430")} <= near
    webex = decode_reply(200, '{"statuscode": 1011, "description": "odd"}')
    assert webex.entry is None and webex.vendor == "webex"
    assert ("webex", "1010") in {(c.vendor, c.code) for c in webex.candidates}
    # Only Noojee keeps its code under "code", and Noojee has no 1010: nothing to recognise.
    unknown = decode_reply(None, '{"code": 1010}')
    assert unknown.vendor is None and unknown.code == "1010" and unknown.matched_by is None
    assert ("questionpro", "1010") in {(c.vendor, c.code) for c in unknown.candidates}
    # No candidate scores at all: the closest words, or entries at the same status, instead.
    words = decode_reply(None, "Too many concurrent requests, please slow down")
    assert not words.understood and words.candidates
    teapot = decode_reply(418, "")
    assert not teapot.understood and teapot.candidates == []


def test_questionpro_429_rate_limit_and_used_up_quota_are_told_apart():
    # The body of the public limits page (questionpro.com/api/limits.html), name empty.
    quota = (
        '{"response": {"error": {"docs": "https://www.questionpro.com/api/v2/#error-codes", '
        '"message": "API call limit exceeded. Please contact your account representative to '
        'extend the limits.", "id": 1013, "name": "", "httpStatusCode": 429, "resourceUrl": "x"}}}'
    )
    for status in (429, None):
        decoded = decode_reply(status, quota)
        assert (decoded.entry.code, decoded.entry.http_status) == ("1013", 429)
        assert decoded.entry.retryable == "never" and decoded.matched_by == "code"
    rate = decode_reply(429, "", "questionpro")
    assert (rate.entry.code, rate.entry.retryable, rate.matched_by) == ("429", "yes", "status")


class TestLenientRecognition:
    """A body that fits no vendor's shape exactly, recognised anyway, saying how."""

    def test_the_issue_body_is_recognised_by_its_name(self):
        body = '{"code": 109, "message": "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS"}'
        decoded = decode_reply(None, body)
        assert (decoded.vendor, decoded.code, decoded.entry.name) == (
            "noojee",
            "109",
            "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS",
        )
        assert decoded.matched_by == "name" and decoded.how == MATCHED_BY["name"]
        assert any(n.startswith("recognised by name: message") for n in decoded.recognised)
        assert decoded.as_dict()["matched_by"] == "name"

    def test_a_code_unique_among_the_vendors_that_fit(self):
        decoded = decode_reply(None, '{"code": 105}')
        assert (decoded.vendor, decoded.entry.code, decoded.matched_by) == (
            "noojee",
            "105",
            "unique_code",
        )
        nested = decode_reply(401, '{"error": {"id": "1010", "message": "bad key"}}')
        assert (nested.vendor, nested.entry.code, nested.matched_by) == (
            "questionpro",
            "1010",
            "unique_code",
        )
        assert any("from error.id" in n for n in nested.recognised)

    def test_a_name_shared_by_several_entries_is_not_enough(self):
        decoded = decode_reply(None, '{"message": "UNAUTHORIZED"}')
        assert decoded.entry is None and decoded.matched_by is None
        assert any("names 3 entries" in n for n in decoded.recognised)
        # ... unless the code or the status settles it.
        settled = decode_reply(None, '{"message": "BAD_REQUEST", "id": 1002}')
        assert settled.entry is not None and settled.entry.code == "1002"

    def test_a_given_vendor_is_kept(self):
        decoded = decode_reply(None, '{"message": "DUPLICATE"}', "noojee")
        assert (decoded.vendor, decoded.entry.code, decoded.matched_by) == ("noojee", "105", "name")
        other = decode_reply(None, '{"message": "DUPLICATE"}', "webex")
        assert other.entry is None and other.vendor == "webex"

    def test_a_lenient_success_is_a_success(self):
        decoded = decode_reply(None, '{"code": 0, "message": "OK", "type": "SUCCESS"}')
        assert decoded.ok and decoded.vendor == "noojee"

    def test_exact_matches_say_how_too(self):
        assert decode_reply(401, seed("qp_import_401.txt")).matched_by == "code"
        assert decode_reply(503, "", "expoints").matched_by == "status"
        assert decode_reply(502, "<html>Bad Gateway</html>").matched_by == "status"
        assert decode_reply(200, seed("qp_import_success.txt")).matched_by == "success"


def test_notes_say_what_was_recognised():
    decoded = decode_reply(429, "", "questionpro", {"Retry-After": "30"})
    assert "HTTP 429 from status line" in decoded.recognised
    assert "Retry-After: 30 (from headers)" in decoded.recognised
    assert "vendor: QuestionPro CX (given)" in decoded.recognised
    odd = decode_reply(None, seed("qp_import_401.txt"), vendor="webex")
    assert any("looks like QuestionPro CX" in n for n in odd.recognised)
    assert any("unknown vendor" in n for n in decode_reply(None, "{}", "acme").recognised)
    assert "HTTP 401 from --status" in decode_reply(401, "", status_source="--status").recognised


def test_bytes_bom_and_latin1_bodies():
    body = '{"type": "ERROR", "code": 105, "message": "DUPLICATE", "entities": []}'
    assert decode_reply(400, b"\xef\xbb\xbf" + body.encode()).entry.code == "105"
    latin = '{"Message": "Ung\xfcltig", "ModelState": {}}'.encode("latin-1")
    assert decode_reply(400, latin).message == "Ungültig"


def test_as_dict_carries_the_entry_keys_and_notes():
    data = decode_reply(401, seed("qp_import_401.txt")).as_dict()
    for key in ("vendor", "code", "name", "http_status", "message", "meaning", "retryable",
                "action", "recognised", "ok"):  # fmt: skip
        assert key in data
    assert (data["vendor"], data["code"], data["ok"]) == ("questionpro", "1010", False)
    assert json.loads(json.dumps(decode_reply(418, "??").as_dict()))["name"] is None


def _mutations(text: str, rng: random.Random) -> list[str]:
    out = [text[: rng.randrange(len(text))] for _ in range(20)]
    for _ in range(40):
        chars = list(text)
        for _ in range(rng.randrange(1, 6)):
            i = rng.randrange(len(chars))
            chars[i] = rng.choice("{}[],:\"' \n\\x0")
        out.append("".join(chars))
    return out


def test_never_raises_on_any_input():
    rng = random.Random(20240501)
    bodies: list[Any] = [rng.randbytes(rng.randrange(0, 300)) for _ in range(200)]
    for name in sorted(p.name for p in SEEDS.glob("*.txt")):
        bodies += _mutations(seed(name), rng)
    bodies += ["{" * 3000, "[" * 3000 + "]" * 3000, '{"a":' * 2000, "\x00", 12, 3.5, object()]
    statuses: list[Any] = [None, 200, 401, 429, 500, 99999, -1, "401", "abc", 3.7, True]
    names: list[Any] = [None, "questionpro", "expoints", "webex", "noojee", "http", "??", 5]
    for i, body in enumerate(bodies):
        decoded = decode_reply(statuses[i % len(statuses)], body, names[i % len(names)])
        assert isinstance(decoded, Decoded)
        errors = [n for n in decoded.recognised if n.startswith("decoder error")]
        assert not errors, (body, errors)
        json.dumps(decoded.as_dict())


class TestParseCapture:
    def test_status_line_headers_and_crlf(self):
        text = (
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
            "Retry-After: 5\r\n\r\n" + seed("qp_import_401.txt").replace("\n", "\r\n")
        )
        status, headers, body = parse_capture(text)
        assert status == 401
        assert headers == {"content-type": "application/json", "retry-after": "5"}
        assert body.startswith("{") and "\r" not in body
        assert decode_reply(status, body, headers=headers).entry.code == "1010"

    def test_http2_and_bare_status_lines(self):
        assert parse_capture("HTTP/2 429\nretry-after: 30\n\n") == (429, {"retry-after": "30"}, "")
        assert parse_capture("401\n\n{}") == (401, {}, "{}")
        assert parse_capture("503 Service Unavailable\n\n")[0] == 503

    def test_bare_body(self):
        body = seed("qp_import_401.txt")
        assert parse_capture(body) == (None, {}, body.strip())
        assert parse_capture('\ufeff\n\n  {"a": 1}\n') == (None, {}, '{"a": 1}')
        assert parse_capture("") == (None, {}, "")

    def test_headers_without_status_line(self):
        assert parse_capture("Content-Type: application/json\n\n{}") == (
            None,
            {"content-type": "application/json"},
            "{}",
        )

    def test_body_right_after_headers_and_interim_heads(self):
        assert parse_capture('HTTP/1.1 200 OK\n{"statuscode": 0}') == (200, {}, '{"statuscode": 0}')
        text = "HTTP/1.1 100 Continue\n\nHTTP/1.1 400 Bad Request\nX-A: 1\n\n{}"
        assert parse_capture(text) == (400, {"x-a": "1"}, "{}")

    def test_curl_verbose_output(self):
        text = (
            "*   Trying 127.0.0.1:8765...\n> POST /x HTTP/1.1\n> Host: h\n>\n"
            "< HTTP/1.1 429 Too Many Requests\n< Retry-After: 2\n<\n{ [5 bytes data]\n"
            '{"result": {"status": 429, "correlation_id": "c"}}\n'
        )
        status, headers, body = parse_capture(text)
        assert (status, headers) == (429, {"retry-after": "2"})
        assert decode_reply(status, body, headers=headers).entry.vendor == "webex"


def test_a_known_name_with_an_unknown_code_ranks_its_entry_first():
    body = '{"type": "ERROR", "code": 199, "message": "DUPLICATE", "entities": []}'
    decoded = decode_reply(400, body)
    assert decoded.entry is None and decoded.candidates[0].code == "105"


# -- what the operator pastes is echoed masked -------------------------------------------------
@pytest.mark.parametrize(
    "pasted",
    [
        "apiKey=SECRETXYZ123 refused by server",
        "GET /x?apiKey=SECRETXYZ123 HTTP/1.1",
        "GET /x;apiKey=SECRETXYZ123 HTTP/1.1",
        "HTTP/1.1 401 Unauthorized\nAuthorization: Bearer SECRETXYZ123\n\nno",
        "HTTP/1.1 401 Unauthorized\napi-key: SECRETXYZ123\n\n{}",
        '{"error": "key apiKey=SECRETXYZ123 refused", "code": 102}',
        "refused: Bearer SECRETXYZ123",
        # A secret inside another parameter's value, and after a run of secret words.
        "GET /x?next=/cb/apiKey=SECRETXYZ123 HTTP/1.1",
        "keykey" * 3000 + " token=SECRETXYZ123",
    ],
    ids=lambda pasted: pasted[:40],
)
def test_a_pasted_key_or_token_is_never_echoed(pasted: str) -> None:
    from cxconsole.catalog.format import format_decoded

    decoded = decode_capture(pasted)
    shown = format_decoded(decoded) + json.dumps(decoded.as_dict())
    assert "SECRETXYZ123" not in shown, shown


def test_masking_never_touches_a_catalog_text() -> None:
    """The masks are narrow enough to leave every vendor message and advice as written."""
    from cxconsole.redact import redact_pasted

    for entry in all_entries():
        for text in (entry.message, entry.meaning, entry.action, *dict(entry.advice).values()):
            assert redact_pasted(text) == text, (entry.vendor, entry.code, text)
