"""The sandbox's failures: injected faults, QuestionPro's rate limit, Noojee's busy server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from cxconsole.sandbox.config import SandboxConfig
from cxconsole.sandbox.ratelimit import SlidingWindowLimiter
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

EMPTY = {"questionpro": [], "expoints": [], "webex": [], "noojee": []}

Send = Callable[[httpx.Client], httpx.Response]
WaitFor = Callable[..., Awaitable[None]]

# One valid, recordable request per vendor.
VALID: dict[str, Send] = {
    "questionpro": lambda c: c.post(
        QP_IMPORT, headers=QP_HEADERS, json={"contacts": [qp_contact(1)]}
    ),
    "expoints": lambda c: c.post(XP_ADD, headers=XP_HEADERS, json=xp_batch([xp_customer(1)])),
    "webex": lambda c: c.post(WX_RECORDS, headers=WX_HEADERS, json=wx_body()),
    "noojee": lambda c: c.post(f"{NJ_API}/insertLeadsFast", params=nj_params(), json=[nj_lead(1)]),
}


@pytest.fixture
def http(sandbox_reset: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_reset.url, timeout=5, verify=False) as client:
        yield client


def set_faults(client: httpx.Client, **settings: object) -> None:
    client.post("/_sandbox/faults", json=settings).raise_for_status()


def record(client: httpx.Client) -> dict[str, list[dict]]:
    return client.get("/_sandbox/record").json()


def test_429_fault(http: httpx.Client) -> None:
    set_faults(http, rate=1.0, faults=["429"])
    for vendor, send in VALID.items():
        reply = send(http)
        assert (reply.status_code, reply.headers.get("retry-after")) == (429, "1"), vendor
    error = VALID["questionpro"](http).json()["response"]["error"]
    assert (error["name"], error["httpStatusCode"]) == ("TOO_MANY_REQUESTS", 429)
    assert "id" not in error
    assert record(http) == EMPTY
    stats = http.get("/_sandbox/stats").json()
    assert stats["faults"]["429"] == 5
    assert stats["rate_limited"] == 0  # injected faults are not the rate limiter


def test_500_fault(http: httpx.Client) -> None:
    set_faults(http, rate=1.0, faults=["500"])
    replies = {vendor: send(http) for vendor, send in VALID.items()}
    assert {r.status_code for r in replies.values()} == {500}
    assert replies["questionpro"].json()["response"]["error"]["id"] == "1026"
    assert replies["webex"].json() == {"statuscode": 500, "description": "Internal server error"}
    assert replies["noojee"].json()["code"] == 103
    assert replies["expoints"].json() == {"Message": "An error has occurred."}
    assert record(http) == EMPTY


def test_503_fault_is_a_proxy_page(http: httpx.Client) -> None:
    set_faults(http, rate=1.0, faults=["503"])
    for send in VALID.values():
        reply = send(http)
        assert reply.status_code == 503
        assert reply.headers["content-type"].startswith("text/html")
    assert record(http) == EMPTY


def test_drop_closes_the_connection_without_a_reply(http: httpx.Client) -> None:
    set_faults(http, rate=1.0, faults=["drop"])
    for send in VALID.values():
        with pytest.raises(httpx.RemoteProtocolError):
            send(http)
    set_faults(http, rate=0.0)
    assert record(http) == EMPTY
    assert http.get("/_sandbox/stats").json()["faults"]["drop"] == 4


def test_http200_fault(http: httpx.Client) -> None:
    set_faults(http, rate=1.0, faults=["http200"])
    replies = {vendor: send(http) for vendor, send in VALID.items()}
    webex, noojee = replies["webex"], replies["noojee"]
    assert (webex.status_code, webex.json()["statuscode"]) == (200, 1010)
    assert webex.json()["result"]["status"] == 1010
    assert (noojee.status_code, noojee.json()["type"]) == (200, "error")
    assert noojee.json()["code"] in (109, 103)
    # No HTTP-200 failure is documented for these two: they fall back to 500.
    assert replies["questionpro"].status_code == replies["expoints"].status_code == 500
    assert record(http) == EMPTY


def test_malformed_fault_is_printed_like_the_docs(http: httpx.Client) -> None:
    set_faults(http, rate=1.0, faults=["malformed"])
    for send in VALID.values():
        reply = send(http)
        assert reply.status_code == 500
        with pytest.raises(json.JSONDecodeError):
            json.loads(reply.text)
    text = VALID["questionpro"](http).text
    assert '"docs": www.questionpro.com/api/error-codes.html\n' in text
    assert '"id" : "1026"' in text
    assert record(http) == EMPTY


def finished(client: httpx.Client) -> int:
    """Vendor requests the server is done with (answered, dropped or abandoned)."""
    return sum(client.get("/_sandbox/stats").json()["finished"].values())


async def test_slow_fault_client_gives_up_nothing_applied(
    http: httpx.Client, sandbox_reset: SandboxServer, wait_for: WaitFor
) -> None:
    sandbox_reset.state.slow_delay_s = 0.4
    set_faults(http, rate=1.0, faults=["slow"])
    with httpx.Client(base_url=sandbox_reset.url, timeout=0.15, verify=False) as impatient:
        for send in VALID.values():
            with pytest.raises(httpx.ReadTimeout):
                send(impatient)
    # The server wakes up, finds the client gone, and applies nothing.
    await wait_for(lambda: finished(http) == 4, what="the server done with 4 slow requests")
    assert record(http) == EMPTY


def one_receipt(client: httpx.Client) -> dict[str, list[int]]:
    """Per vendor, the request numbers of the recorded rows (one number: one receipt)."""
    return {
        vendor: sorted({row["_request"] for row in rows}) for vendor, rows in record(client).items()
    }


def test_drop_after_processing_records_then_closes(http: httpx.Client) -> None:
    set_faults(http, rate=1.0, faults=["drop_after"])
    for send in VALID.values():
        with pytest.raises(httpx.RemoteProtocolError):
            send(http)
    set_faults(http, rate=0.0)
    # Each vendor applied its batch although the client got no reply.
    assert one_receipt(http) == {"questionpro": [1], "expoints": [2], "webex": [3], "noojee": [4]}
    assert http.get("/_sandbox/stats").json()["faults"]["drop_after"] == 4


async def test_slow_after_processing_records_then_replies_too_late(
    http: httpx.Client, sandbox_reset: SandboxServer, wait_for: WaitFor
) -> None:
    sandbox_reset.state.slow_delay_s = 0.5
    set_faults(http, rate=1.0, faults=["slow_after"])
    with httpx.Client(base_url=sandbox_reset.url, timeout=0.15, verify=False) as impatient:
        for send in VALID.values():
            with pytest.raises(httpx.ReadTimeout):
                send(impatient)
    set_faults(http, rate=0.0)
    assert one_receipt(http) == {"questionpro": [1], "expoints": [2], "webex": [3], "noojee": [4]}
    await wait_for(lambda: finished(http) == 4, what="the late replies written")


def test_slow_after_patient_client_gets_the_reply(
    http: httpx.Client, sandbox_reset: SandboxServer
) -> None:
    sandbox_reset.state.slow_delay_s = 0.05
    set_faults(http, rate=1.0, faults=["slow_after"])
    assert VALID["webex"](http).status_code == 200
    assert len(record(http)["webex"]) == 3


def test_drop_after_a_refused_call_records_nothing(http: httpx.Client) -> None:
    set_faults(http, rate=1.0, faults=["drop_after"])
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(WX_RECORDS, headers={"authorization": "Bearer wrong"}, json=wx_body())
    set_faults(http, rate=0.0)
    assert record(http) == EMPTY


def test_slow_fault_patient_client_gets_the_reply(
    http: httpx.Client, sandbox_reset: SandboxServer
) -> None:
    sandbox_reset.state.slow_delay_s = 0.2
    set_faults(http, rate=1.0, faults=["slow"])
    started = time.monotonic()
    assert VALID["webex"](http).status_code == 200
    assert time.monotonic() - started >= 0.2
    assert len(record(http)["webex"]) == 3


def test_faults_are_reproducible_from_the_seed(http: httpx.Client) -> None:
    def run() -> list[int]:
        set_faults(http, rate=0.5, faults=["500", "503", "429"], seed=3)
        key = {"apiKey": nj_params()["apiKey"]}
        return [
            http.get(f"{NJ_API}/getCampaignTemplateList", params=key).status_code for _ in range(30)
        ]

    first, second = run(), run()
    assert first == second
    assert 200 in first and len(set(first)) > 2


def test_faulted_batch_retried_is_recorded_once(http: httpx.Client) -> None:
    set_faults(http, rate=0.5, faults=["500", "503", "drop", "malformed", "429"], seed=5)
    for n in range(8):
        for _attempt in range(20):
            try:
                reply = http.post(QP_IMPORT, headers=QP_HEADERS, json={"contacts": [qp_contact(n)]})
            except httpx.RemoteProtocolError:
                continue
            if reply.status_code == 200:
                break
    emails = [row["email"] for row in record(http)["questionpro"]]
    assert emails == [f"contact{n}@example.com" for n in range(8)]


def test_latency_applies_to_vendor_calls(http: httpx.Client, sandbox_reset: SandboxServer) -> None:
    set_faults(http, latency_ms=150)
    started = time.monotonic()
    assert VALID["noojee"](http).status_code == 200
    assert time.monotonic() - started >= 0.15
    # Control endpoints are not delayed: with a minute of latency they still answer.
    set_faults(http, latency_ms=60_000)
    with httpx.Client(base_url=sandbox_reset.url, timeout=10, verify=False) as client:
        assert client.get("/_sandbox/stats").status_code == 200


# --- QuestionPro's rate limit ------------------------------------------------------------------


class Clock:
    """The limiter's clock, moved by the test: Retry-After is checked without waiting it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited() -> Iterator[tuple[SandboxServer, Clock]]:
    clock = Clock()
    server = SandboxServer(SandboxConfig(tickets=20, qp_rate_limit=5, qp_rate_period=2.0))
    server.state.qp_limiter = SlidingWindowLimiter(5, 2.0, clock=clock)
    with server:
        yield server, clock


def test_rate_limit_answers_429_with_retry_after(
    limited: tuple[SandboxServer, Clock],
) -> None:
    server, clock = limited
    with httpx.Client(base_url=server.url, verify=False) as client:
        for n in range(5):
            assert VALID["questionpro"](client).status_code == 200, n
        clock.now = 0.4
        reply = VALID["questionpro"](client)
        assert reply.status_code == 429
        retry_after = int(reply.headers["retry-after"])
        assert retry_after == 2  # the oldest call leaves the window 1.6 s from now: rounded up
        error = reply.json()["response"]["error"]
        assert error == {
            "docs": "www.questionpro.com/api/error-codes.html",
            "name": "TOO_MANY_REQUESTS",
            "httpStatusCode": 429,
            "message": "Rate limit of 5 calls per 2 seconds exceeded",
            "resourceUrl": QP_IMPORT,
        }
        assert server.state.rate_limited == 1
        # Other vendors and other keys are not limited; a wrong key is refused as before.
        assert VALID["webex"](client).status_code == 200
        assert client.post(QP_IMPORT, headers={"api-key": "other"}).status_code == 401
        # Not before the window has room; waiting what Retry-After says is enough.
        clock.now = 1.9
        assert VALID["questionpro"](client).status_code == 429
        clock.now = 0.4 + retry_after
        assert VALID["questionpro"](client).status_code == 200
        assert len(server.state.record["questionpro"]) == 6
        assert client.get("/_sandbox/stats").json()["rate_limited"] == 2


# --- Noojee's small server ---------------------------------------------------------------------


async def test_noojee_queue_timeout_is_109(sandbox_reset: SandboxServer) -> None:
    state = sandbox_reset.state
    state.noojee_queue_timeout = 0.1
    state.configure_faults(latency_ms=400)
    url = f"{sandbox_reset.url}{NJ_API}/insertLeadsFast"
    async with httpx.AsyncClient(timeout=5, verify=False) as client:
        replies = await asyncio.gather(
            *(client.post(url, params=nj_params(), json=[nj_lead(n)]) for n in range(3))
        )
    codes = sorted(reply.json()["code"] for reply in replies)
    assert codes == [0, 0, 109]
    busy = next(reply for reply in replies if reply.json()["code"] == 109)
    assert busy.status_code == 400
    assert busy.json()["message"] == "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS"
    assert len(state.record["noojee"]) == 2
    assert state.stats()["noojee_timeouts"] == 1
