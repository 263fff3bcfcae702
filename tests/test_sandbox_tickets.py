"""The sandbox's detractor tickets: the seeded data set, paging, filters and errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cxconsole.sandbox.config import SandboxConfig
from cxconsole.sandbox.data import SEGMENTS
from cxconsole.sandbox.samples import QP_DETRACTORS, QP_HEADERS
from cxconsole.sandbox.server import SandboxServer
from cxconsole.sandbox.state import SandboxState

FIELDS = [
    "emailAddress",
    "phoneNumber",
    "rating",
    "comment",
    "ticketID",
    "responseID",
    "timestamp",
    "timelimit",
]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000\+0000$")


@pytest.fixture
def http(sandbox_reset: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_reset.url, timeout=5, verify=False) as client:
        yield client


def page(client: httpx.Client, number: object, per_page: object, **body: int) -> httpx.Response:
    return client.post(
        QP_DETRACTORS,
        params={"page": number, "perPage": per_page},
        headers=QP_HEADERS,
        json=body,
    )


def parse(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.000%z")


def all_pages(client: httpx.Client, per_page: int, **body: int) -> list[dict]:
    first = page(client, 1, per_page, **body).json()
    tickets = list(first["response"])
    for number in range(2, first["pagination"]["totalPages"] + 1):
        reply = page(client, number, per_page, **body).json()
        assert reply["pagination"]["currentPage"] == number
        tickets.extend(reply["response"])
    assert len(tickets) == first["pagination"]["totalItems"]
    return tickets


def test_paging_covers_every_ticket_exactly_once(
    http: httpx.Client, sandbox_reset: SandboxServer
) -> None:
    tickets = all_pages(http, 100)
    ids = [t["ticketID"] for t in tickets]
    assert len(ids) == len(set(ids)) == 2600
    assert set(ids) == {t.ticket_id for t in sandbox_reset.state.tickets}
    # Newest first, ties by ascending ticket id; the data holds ties on purpose.
    keys = [(-parse(t["timestamp"]).timestamp(), t["ticketID"]) for t in tickets]
    assert keys == sorted(keys)
    assert len({t["timestamp"] for t in tickets}) < len(tickets)
    assert sandbox_reset.state.rate_limited == 0


def test_ticket_fields_look_like_doc_004(http: httpx.Client) -> None:
    tickets = all_pages(http, 100)
    assert all(list(t) == FIELDS for t in tickets)
    assert all(TIMESTAMP.match(t["timestamp"]) for t in tickets)
    assert {t["rating"] for t in tickets} == {str(n) for n in range(7)}
    assert {t["timelimit"] for t in tickets} == {24, 48, 72}
    assert all("@" in t["emailAddress"] for t in tickets)
    phones = [t["phoneNumber"] for t in tickets]
    assert 0.1 < phones.count("") / len(phones) < 0.5
    assert all(re.fullmatch(r"\+\d{8,15}", p) for p in phones if p)
    comments = [t["comment"] for t in tickets]
    assert sum(len(c) >= 300 for c in comments) > 100
    assert sum(not c.isascii() for c in comments) > 100
    assert len(set(comments)) > 40
    now = datetime.now(UTC)
    deadlines = [parse(t["timestamp"]) + timedelta(hours=t["timelimit"]) for t in tickets]
    overdue = sum(d < now for d in deadlines)
    assert 0.4 * len(tickets) < overdue < 0.9 * len(tickets)
    assert all(parse(t["timestamp"]) <= now for t in tickets)


def test_data_set_spans_segments_and_statuses(sandbox_reset: SandboxServer) -> None:
    tickets = sandbox_reset.state.tickets
    assert {t.segment_id for t in tickets} == {s.id for s in SEGMENTS}
    assert {t.status for t in tickets} == {0, 1, 2, 3}


def test_filters(http: httpx.Client, sandbox_reset: SandboxServer) -> None:
    expected = [t.ticket_id for t in sandbox_reset.state.tickets if t.segment_id == 103]
    got = [t["ticketID"] for t in all_pages(http, 100, segmentID=103)]
    assert got == expected
    both = [
        t.ticket_id for t in sandbox_reset.state.tickets if (t.segment_id, t.status) == (104, 2)
    ]
    assert [t["ticketID"] for t in all_pages(http, 50, segmentID=104, status=2)] == both
    assert 0 < len(both) < len(expected)
    resolved = page(http, 1, 1, status=3).json()["pagination"]["totalItems"]
    assert resolved == sum(t.status == 3 for t in sandbox_reset.state.tickets)


def test_per_page_is_capped(http: httpx.Client) -> None:
    body = page(http, 1, 1000).json()
    assert body["pagination"]["perPage"] == 100
    assert len(body["response"]) == 100
    assert body["pagination"]["totalPages"] == 26


def test_per_page_cap_follows_config() -> None:
    with SandboxServer(SandboxConfig(tickets=120, max_per_page=25)) as server:
        reply = httpx.post(
            f"{server.url}{QP_DETRACTORS}?page=5&perPage=100", headers=QP_HEADERS, json={}
        )
        pagination = reply.json()["pagination"]
        assert (pagination["perPage"], pagination["totalPages"]) == (25, 5)
        assert len(reply.json()["response"]) == 20


def test_page_beyond_the_last_is_empty(http: httpx.Client) -> None:
    body = page(http, 40, 100).json()
    assert body["response"] == []
    pagination = {k: v for k, v in body["pagination"].items() if k != "links"}
    assert pagination == {"perPage": 100, "totalItems": 2600, "currentPage": 40, "totalPages": 26}


def test_links_are_wrong_like_the_doc(http: httpx.Client, sandbox_reset: SandboxServer) -> None:
    body = page(http, 1, 100).json()
    links = body["pagination"]["links"]
    assert set(links) == {"self", "prev", "next", "first", "last"}
    assert links["self"].startswith(f"{sandbox_reset.url}/qp/a/api/v2/cx/detractor/ticket/data?")
    assert "page=2" in links["self"]  # not the page we are on
    assert links["next"] is None
    assert isinstance(body["requestID"], str)


@pytest.mark.parametrize(
    ("number", "per_page"), [(0, 10), (1, 0), ("abc", 10), (1, "ten"), (-1, 10)]
)
def test_bad_url_parameters(http: httpx.Client, number: object, per_page: object) -> None:
    reply = page(http, number, per_page)
    assert reply.status_code == 400
    assert reply.json() == {
        "response": {
            "error": {
                "docs": "www.questionpro.com/api/error-codes.html",
                "name": "BAD_REQUEST",
                "httpStatusCode": 400,
                "id": "1000",
                "message": "Invalid URL parameters",
                "resourceUrl": QP_DETRACTORS,
            }
        }
    }


def test_unknown_segment_is_404(http: httpx.Client) -> None:
    reply = page(http, 1, 10, segmentID=999)
    assert reply.status_code == 404
    error = reply.json()["response"]["error"]
    assert (error["id"], error["name"], error["httpStatusCode"]) == ("1040", "NOT_FOUND", 404)
    assert error["message"] == "The resource that you're trying to access doesn't exist"


def test_bad_filter_types(http: httpx.Client) -> None:
    reply = http.post(QP_DETRACTORS, headers=QP_HEADERS, json={"status": "open"})
    assert reply.status_code == 400
    assert reply.json()["response"]["error"]["id"] == "1002"
    assert page(http, 1, 10, status=7).status_code == 400


def test_same_seed_same_tickets() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    one = SandboxState(SandboxConfig(seed=11, tickets=500), now=now)
    two = SandboxState(SandboxConfig(seed=11, tickets=500), now=now)
    other = SandboxState(SandboxConfig(seed=12, tickets=500), now=now)
    assert one.tickets == two.tickets
    assert [t.to_json() for t in one.tickets] == [t.to_json() for t in two.tickets]
    assert [t.comment for t in one.tickets] != [t.comment for t in other.tickets]


def test_timestamps_follow_creation_time() -> None:
    early = SandboxState(SandboxConfig(tickets=50), now=datetime(2025, 1, 1, tzinfo=UTC))
    later = SandboxState(SandboxConfig(tickets=50), now=datetime(2025, 1, 2, tzinfo=UTC))
    shifts = {b.timestamp - a.timestamp for a, b in zip(early.tickets, later.tickets, strict=True)}
    assert shifts == {timedelta(days=1)}
