"""The sandbox over real HTTP: each vendor's happy path, documented errors, and control."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import cxconsole
from cxconsole.sandbox.config import ALL_FAULTS, SANDBOX_SECRETS, SandboxConfig
from cxconsole.sandbox.samples import (
    NJ_API,
    QP_HEADERS,
    QP_IMPORT,
    WX_HEADERS,
    WX_RECORDS,
    XP_ADD,
    XP_HEADERS,
    nj_lead,
    nj_params,
    qp_contact,
    wx_body,
    xp_batch,
    xp_customer,
)
from cxconsole.sandbox.server import SandboxServer

QP_DOCS = "www.questionpro.com/api/error-codes.html"


@pytest.fixture
def http(sandbox_reset: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_reset.url, timeout=5, verify=False) as client:
        yield client


def record(client: httpx.Client) -> dict[str, list[dict]]:
    return client.get("/_sandbox/record").json()


def qp_error(status: int, name: str, error_id: str | None, message: str, path: str) -> dict:
    error: dict = {"docs": QP_DOCS, "name": name, "httpStatusCode": status}
    if error_id is not None:
        error["id"] = error_id
    return {"response": {"error": {**error, "message": message, "resourceUrl": path}}}


# --- server and routing ------------------------------------------------------------------------


def test_server_picks_a_free_port_and_stops() -> None:
    with SandboxServer(SandboxConfig(tickets=10)) as server:
        assert server.port != 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.base_urls["questionpro"] == f"{server.url}/qp"
        reply = httpx.get(f"{server.url}/_sandbox/stats")
        assert reply.status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/_sandbox/stats")


@pytest.mark.parametrize("prefix", ["/qp", ""])
def test_vendor_served_under_prefix_and_at_root(http: httpx.Client, prefix: str) -> None:
    path = f"{prefix}/a/api/v2/cx/transactions/import"
    reply = http.post(path, headers=QP_HEADERS, json={"contacts": [qp_contact(1)]})
    assert reply.status_code == 200
    reply = http.post(path, json={"contacts": [qp_contact(1)]})
    assert reply.json()["response"]["error"]["resourceUrl"] == path


def test_sandbox_never_imports_textual() -> None:
    code = (
        "import sys, cxconsole.sandbox.server, cxconsole.sandbox.app, cxconsole.commands.sandbox;"
        "assert 'textual' not in sys.modules, 'textual imported'"
    )
    root = Path(cxconsole.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_cli_parser_registers_sandbox() -> None:
    from cxconsole.commands import sandbox as command

    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sandbox", "--port", "0", "--faults", "429,drop", "--seed", "3"])
    assert args.handler is command.run
    assert (args.host, args.port, args.seed, args.faults) == ("127.0.0.1", 0, 3, ("429", "drop"))
    assert parser.parse_args(["sandbox"]).faults == ALL_FAULTS
    assert parser.parse_args(["sandbox"]).port == 8765
    with pytest.raises(SystemExit):
        parser.parse_args(["sandbox", "--faults", "429,nope"])


# --- QuestionPro import ------------------------------------------------------------------------


def test_qp_import_happy_path(http: httpx.Client) -> None:
    contacts = [qp_contact(1), qp_contact(2)]
    reply = http.post(QP_IMPORT, headers=QP_HEADERS, json={"contacts": contacts})
    assert reply.status_code == 200
    assert reply.json() == {
        "emailStatus": "Successful: Initiated email send process.",
        "importStatus": "Successful: Contact imported.",
        "importCount": "2",
    }
    rows = record(http)["questionpro"]
    assert [row["email"] for row in rows] == ["contact1@example.com", "contact2@example.com"]
    assert {row["_request"] for row in rows} == {1}


@pytest.mark.parametrize("headers", [{}, {"api-key": "wrong"}], ids=["missing", "wrong"])
def test_qp_auth_error_is_the_documented_envelope(http: httpx.Client, headers: dict) -> None:
    reply = http.post(QP_IMPORT, headers=headers, json={"contacts": [qp_contact(1)]})
    assert reply.status_code == 401
    assert reply.json() == qp_error(401, "UNAUTHORIZED", "1010", "Incorrect API Key", QP_IMPORT)
    assert record(http)["questionpro"] == []


def test_qp_import_bad_contact_fails_the_whole_call(http: httpx.Client) -> None:
    contacts = [qp_contact(i) for i in range(5)]
    contacts[3]["transactionDate"] = "2020-01-14"
    reply = http.post(QP_IMPORT, headers=QP_HEADERS, json={"contacts": contacts})
    assert reply.status_code == 400
    message = "contacts[3].transactionDate: expected dd/MM/yyyy, got '2020-01-14'"
    assert reply.json() == qp_error(400, "BAD_REQUEST", "1002", message, QP_IMPORT)
    assert record(http)["questionpro"] == []


def test_qp_import_names_every_bad_contact(http: httpx.Client) -> None:
    contacts = [
        qp_contact(0, email="bad@"),
        qp_contact(1),
        qp_contact(2, mobile="0412 345 678"),
        qp_contact(3, email="", mobile=None),
        qp_contact(4, transactionDate="31/02/2020"),
    ]
    del contacts[1]["transactionDate"]
    reply = http.post(QP_IMPORT, headers=QP_HEADERS, json={"contacts": contacts})
    assert reply.status_code == 400
    message = reply.json()["response"]["error"]["message"]
    assert message.split("; ") == [
        "contacts[0].email: invalid e-mail address 'bad@'",
        "contacts[1].transactionDate: required, expected dd/MM/yyyy",
        "contacts[2].mobile: expected E.164 like +61412345678, got '0412 345 678'",
        "contacts[3]: needs an email or a mobile",
        "contacts[4].transactionDate: expected dd/MM/yyyy, got '31/02/2020'",
    ]


def test_qp_import_accepts_email_only_or_mobile_only(http: httpx.Client) -> None:
    contacts = [qp_contact(1, mobile=None), qp_contact(2, email=None)]
    reply = http.post(QP_IMPORT, headers=QP_HEADERS, json={"contacts": contacts})
    assert reply.status_code == 200, reply.text
    assert reply.json()["importCount"] == "2"


@pytest.mark.parametrize(
    ("body", "error_id", "message"),
    [
        (b'{"contacts": [1,],}', "1001", "Request body is not valid JSON"),
        (b'{"people": []}', "1002", "Invalid schema: 'contacts' must be a non-empty list"),
        (b'{"contacts": {}}', "1002", "Invalid schema: 'contacts' must be a non-empty list"),
    ],
)
def test_qp_import_body_errors(
    http: httpx.Client, body: bytes, error_id: str, message: str
) -> None:
    headers = {**QP_HEADERS, "content-type": "application/json"}
    reply = http.post(QP_IMPORT, headers=headers, content=body)
    assert reply.status_code == 400
    assert reply.json() == qp_error(400, "BAD_REQUEST", error_id, message, QP_IMPORT)


def test_qp_segments(http: httpx.Client) -> None:
    reply = http.get("/qp/a/api/v2/cx/feedback/1/segments?page=1&perPage=4", headers=QP_HEADERS)
    assert reply.status_code == 200
    body = reply.json()
    assert body["response"][0] == {
        "segmentID": 101,
        "segmentName": "Retail North",
        "segmentCode": "RN",
        "businessUnitCode": "RN",
    }
    assert len(body["response"]) == 4
    assert body["pagination"] == {"perPage": 4, "totalItems": 6, "currentPage": 1, "totalPages": 2}
    second = http.get("/qp/a/api/v2/cx/feedback/1/segments?page=2&perPage=4", headers=QP_HEADERS)
    ids = [s["segmentID"] for s in body["response"] + second.json()["response"]]
    assert ids == [101, 102, 103, 104, 105, 106]


# --- Expoints ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_xp_columns(http: httpx.Client, version: str) -> None:
    path = f"/expoints/external/api/{version}/customerdatacolumn"
    reply = http.get(path, headers=XP_HEADERS)
    assert reply.status_code == 200
    columns = {c["Id"]: c for c in reply.json()["CustomerDataColumns"]}
    assert sorted(columns) == [14, 15, 16, 18, 19, 20, 21]
    assert columns[15] == {
        "Id": 15,
        "Required": True,
        "Archived": False,
        "Name": "First_name_customer",
        "DisplayName": "First name customer",
    }
    assert [i for i, c in columns.items() if c["Required"]] == [15, 16, 18, 19]
    assert [i for i, c in columns.items() if c["Archived"]] == [21]


def test_xp_add_happy_path_has_an_empty_body(http: httpx.Client) -> None:
    batch = xp_batch([xp_customer(1), xp_customer(2)])
    reply = http.post(XP_ADD, headers=XP_HEADERS, json=batch)
    assert reply.status_code == 200
    assert reply.content == b""
    rows = record(http)["expoints"]
    assert [row["Email"] for row in rows] == ["customer1@example.com", "customer2@example.com"]
    assert rows[0]["Data"][0] == {"CustomerDataColumnId": 15, "Value": "John"}


@pytest.mark.parametrize("token", [None, "Bearer nope", "xp-sandbox-token"])
def test_xp_auth_error_has_an_empty_body(http: httpx.Client, token: str | None) -> None:
    headers = {"Authorization": token} if token else {}
    reply = http.post(XP_ADD, headers=headers, json=xp_batch([xp_customer(1)]))
    assert reply.status_code == 401
    assert reply.content == b""


def test_xp_add_model_state_names_every_bad_customer(http: httpx.Client) -> None:
    customers = [xp_customer(i) for i in range(6)]
    customers[0]["SendDate"] = "18/01/2025"
    customers[1]["Data"] = [d for d in customers[1]["Data"] if d["CustomerDataColumnId"] != 16]
    customers[2]["Data"].append({"CustomerDataColumnId": 99, "Value": "x"})
    customers[3]["Email"] = "bad@"
    customers[5]["Email"] = "CUSTOMER4@example.com"  # same as customer 4, other case
    reply = http.post(XP_ADD, headers=XP_HEADERS, json=xp_batch(customers))
    assert reply.status_code == 400
    assert reply.json() == {
        "Message": "The request is invalid.",
        "ModelState": {
            "request.Customers[0].SendDate": [
                "The value '18/01/2025' is not a valid ISO 8601 date."
            ],
            "request.Customers[1].Data": [
                "Required customer data column 16 (Family_name_customer) is missing."
            ],
            "request.Customers[2].Data": ["Unknown customer data column 99."],
            "request.Customers[3].Email": ["'bad@' is not a valid e-mail address."],
            "request.Customers[5].Email": [
                "Duplicate e-mail address 'CUSTOMER4@example.com' (also request.Customers[4])."
            ],
        },
    }
    assert record(http)["expoints"] == []


def test_xp_duplicates_allowed_when_asked(http: httpx.Client) -> None:
    batch = xp_batch([xp_customer(1), xp_customer(1)], AllowDuplicateEmail=True)
    assert http.post(XP_ADD, headers=XP_HEADERS, json=batch).status_code == 200


def test_xp_more_than_200_customers(http: httpx.Client) -> None:
    batch = xp_batch([xp_customer(i) for i in range(201)])
    reply = http.post(XP_ADD, headers=XP_HEADERS, json=batch)
    assert reply.status_code == 400
    assert reply.json()["ModelState"] == {
        "request.Customers": ["A batch holds at most 200 customers; got 201."]
    }
    assert http.post(XP_ADD, headers=XP_HEADERS, json=xp_batch(batch["Customers"][:200]))


def test_xp_archived_column_and_optional_columns(http: httpx.Client) -> None:
    customer = xp_customer(1)
    customer["Data"].append({"CustomerDataColumnId": 21, "Value": "S-12"})
    reply = http.post(XP_ADD, headers=XP_HEADERS, json=xp_batch([customer]))
    assert reply.json()["ModelState"] == {
        "request.Customers[0].Data": ["Customer data column 21 (Store_code_old) is archived."]
    }
    customer["Data"][-1] = {"CustomerDataColumnId": 14, "Value": "F"}
    assert http.post(XP_ADD, headers=XP_HEADERS, json=xp_batch([customer])).status_code == 200


# --- Webex Campaign ----------------------------------------------------------------------------


def test_wx_happy_path(http: httpx.Client) -> None:
    reply = http.post(WX_RECORDS, headers=WX_HEADERS, json=wx_body())
    assert reply.status_code == 200
    body = reply.json()
    assert body["statuscode"] == 0
    assert body["result"]["status"] == 0
    uuid.UUID(body["trans_id"])
    uuid.UUID(body["result"]["correlation_id"])
    rows = record(http)["webex"]
    assert [row["msisdn"] for row in rows] == ["+442332223424", "+442332223425", "+442332223422"]


def test_wx_auth_error(http: httpx.Client) -> None:
    reply = http.post(WX_RECORDS, headers={"authorization": "Bearer nope"}, json=wx_body())
    assert reply.status_code == 401
    assert reply.json() == {
        "statuscode": 430,
        "description": "Authorization failed. "
        "This resource is not allowed to access using this TOKEN or KEY",
    }


def test_wx_not_json_and_missing_fields(http: httpx.Client) -> None:
    reply = http.post(WX_RECORDS, headers=WX_HEADERS, content=b"{'feed-id': 1}")
    assert (reply.status_code, reply.json()) == (
        400,
        {"statuscode": 1001, "description": "Invalid input JSON"},
    )
    body = wx_body()
    del body["feed-id"]
    reply = http.post(WX_RECORDS, headers=WX_HEADERS, json=body)
    assert (reply.status_code, reply.json()) == (
        400,
        {"statuscode": 1002, "description": "Mandatory field missing: feed-id"},
    )
    reply = http.post(WX_RECORDS, headers=WX_HEADERS, json={"datastore-id": "1466", "feed-id": "1"})
    assert reply.json()["description"] == "Mandatory field missing: records"
    assert record(http)["webex"] == []


def test_wx_unknown_datastore_fails_with_http_200(http: httpx.Client) -> None:
    reply = http.post(WX_RECORDS, headers=WX_HEADERS, json=wx_body(**{"datastore-id": "99"}))
    assert reply.status_code == 200
    body = reply.json()
    correlation = body["result"].pop("correlation_id")
    uuid.UUID(correlation)
    assert body == {
        "result": {
            "status": 1010,
            "description": "The request was not processed. Unknown datastore-id 99",
        },
        "statuscode": 1010,
        "description": "The request was not processed.",
    }
    assert record(http)["webex"] == []


def test_wx_get_is_405(http: httpx.Client) -> None:
    reply = http.get(WX_RECORDS, headers=WX_HEADERS)
    assert reply.status_code == 405
    assert reply.json()["statuscode"] == 405


# --- Noojee ------------------------------------------------------------------------------------


def test_nj_pickers_are_consistent(http: httpx.Client) -> None:
    key = {"apiKey": SANDBOX_SECRETS["noojee"]}
    templates = http.get(f"{NJ_API}/getCampaignTemplateList", params=key).json()
    assert templates["code"] == 0
    assert templates["entities"] == [
        {"id": 11, "name": "Outbound Sales"},
        {"id": 12, "name": "Customer Care"},
    ]
    campaigns = http.get(f"{NJ_API}/getCampaignList", params={**key, "fTemplateId": 11}).json()
    assert [c["id"] for c in campaigns["entities"]] == [21, 22]
    allocations = http.get(f"{NJ_API}/getAllocationList", params={**key, "fCampaignId": 23})
    assert [a["id"] for a in allocations.json()["entities"]] == [34, 35]
    unknown = http.get(f"{NJ_API}/getCampaignList", params={**key, "fTemplateId": 99})
    assert (unknown.status_code, unknown.json()["code"]) == (400, 116)


def test_nj_insert_happy_path(http: httpx.Client) -> None:
    leads = [nj_lead(1), nj_lead(2, phone1="", mobile="+61400000002")]
    reply = http.post(f"{NJ_API}/insertLeadsFast", params=nj_params(), json=leads)
    assert reply.status_code == 200
    body = reply.json()
    assert (body["type"], body["code"], body["message"]) == ("success", 0, "OK")
    assert [e["index"] for e in body["entities"]] == [0, 1]
    assert len({e["leadId"] for e in body["entities"]}) == 2
    assert [row["firstName"] for row in record(http)["noojee"]] == ["Lead1", "Lead2"]


def test_nj_auth_error(http: httpx.Client) -> None:
    reply = http.post(
        f"{NJ_API}/insertLeadsFast", params=nj_params(apiKey="nope"), json=[nj_lead(1)]
    )
    assert reply.status_code == 401
    assert reply.json() == {
        "type": "error",
        "code": 401,
        "message": "Invalid apiKey",
        "entities": [],
    }


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"fTemplateId": ""}, 116, "TEMPLATE_ID_REQUIRED"),
        ({"fTemplateId": "99"}, 116, "TEMPLATE_ID_REQUIRED"),
        ({"fCampaignId": "23"}, 117, "CAMPAIGN_ID_REQUIRED"),  # campaign of another template
        ({"fAllocationId": "33"}, 115, "ALLOCATION_ID_REQUIRED"),  # another campaign's
    ],
)
def test_nj_insert_target_errors(
    http: httpx.Client, changes: dict[str, str], code: int, message: str
) -> None:
    reply = http.post(f"{NJ_API}/insertLeadsFast", params=nj_params(**changes), json=[nj_lead(1)])
    assert reply.status_code == 400
    assert reply.json() == {"type": "error", "code": code, "message": message, "entities": []}
    assert record(http)["noojee"] == []


def test_nj_no_phone_fails_the_batch(http: httpx.Client) -> None:
    leads = [nj_lead(0), nj_lead(1, phone1=""), nj_lead(2)]
    reply = http.post(f"{NJ_API}/insertLeadsFast", params=nj_params(), json=leads)
    assert reply.status_code == 400
    assert reply.json() == {
        "type": "error",
        "code": 102,
        "message": "NO_PHONE_FIELDS",
        "entities": [{"index": 1, "code": 102}],
    }
    assert record(http)["noojee"] == []


def test_nj_duplicates_in_batch_and_against_earlier_inserts(http: httpx.Client) -> None:
    insert = f"{NJ_API}/insertLeadsFast"
    assert http.post(insert, params=nj_params(), json=[nj_lead(1)]).status_code == 200
    leads = [nj_lead(2), nj_lead(1), nj_lead(3), nj_lead(9, phone1="+61412300002")]
    reply = http.post(insert, params=nj_params(), json=leads)
    assert reply.status_code == 400
    assert reply.json() == {
        "type": "error",
        "code": 105,
        "message": "DUPLICATE",
        "entities": [
            {"index": 1, "code": 105, "phone": "+61412300001"},
            {"index": 3, "code": 105, "phone": "+61412300002"},
        ],
    }
    assert len(record(http)["noojee"]) == 1
    allowed = http.post(insert, params=nj_params(allowDuplicates="true"), json=leads)
    assert allowed.status_code == 200
    assert len(record(http)["noojee"]) == 5


def test_nj_body_not_json_is_exception_500(http: httpx.Client) -> None:
    body = b'{"fieldname1": "v", "fieldname2" ,: "v"}'  # doc 003's own sample
    reply = http.post(f"{NJ_API}/insertLeadsFast", params=nj_params(), content=body)
    assert reply.status_code == 500
    assert reply.json()["code"] == 103


# --- control -----------------------------------------------------------------------------------


def test_record_reset_and_stats(http: httpx.Client) -> None:
    assert record(http) == {"questionpro": [], "expoints": [], "webex": [], "noojee": []}
    http.post(QP_IMPORT, headers=QP_HEADERS, json={"contacts": [qp_contact(1)]})
    http.post(WX_RECORDS, headers=WX_HEADERS, json=wx_body())
    rows = record(http)
    assert (len(rows["questionpro"]), len(rows["webex"])) == (1, 3)
    assert rows["questionpro"][0]["_request"] == 1
    assert {row["_request"] for row in rows["webex"]} == {2}
    stats = http.get("/_sandbox/stats").json()
    assert stats["requests"] == {"questionpro": 1, "expoints": 0, "webex": 1, "noojee": 0}
    assert stats["rate_limited"] == 0
    assert http.post("/_sandbox/reset").json() == {"ok": True}
    assert record(http) == {"questionpro": [], "expoints": [], "webex": [], "noojee": []}


def test_state_record_in_process_matches_http(
    http: httpx.Client, sandbox_reset: SandboxServer
) -> None:
    http.post(f"{NJ_API}/insertLeadsFast", params=nj_params(), json=[nj_lead(5)])
    assert sandbox_reset.state.record == record(http)
    snapshot = sandbox_reset.state.record
    snapshot["noojee"].clear()  # a copy: the sandbox's own record is untouched
    assert len(sandbox_reset.state.record["noojee"]) == 1


def test_fault_settings_endpoint(http: httpx.Client) -> None:
    reply = http.post("/_sandbox/faults", json={"rate": 0.25, "faults": ["500"], "seed": 3})
    assert reply.json() == {"rate": 0.25, "faults": ["500"], "seed": 3, "latency_ms": 0}
    assert http.get("/_sandbox/faults").json()["rate"] == 0.25
    for bad in ({"rate": 2}, {"faults": ["boom"]}, {"latency_ms": -1}, {"speed": 1}):
        reply = http.post("/_sandbox/faults", json=bad)
        assert reply.status_code == 400, bad
    assert http.post("/_sandbox/faults", content=b"nope").status_code == 400
    assert json.loads(http.get("/_sandbox/faults").content)["faults"] == ["500"]


def test_cli_fault_kinds_match_the_sandbox():
    from cxconsole.commands.sandbox import FAULT_KINDS
    from cxconsole.sandbox.config import ALL_FAULTS

    assert FAULT_KINDS == ALL_FAULTS
