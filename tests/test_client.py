"""The shared client against real servers on 127.0.0.1: vendors, retries, limits, redaction."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import re
import socket
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cxconsole.client import (
    CallSpec,
    CXClient,
    RetryInfo,
    UnknownOutcome,
    Unreachable,
    VendorError,
    VendorPolicy,
    parse_retry_after,
)
from cxconsole.logs import install_log_redaction
from cxconsole.profiles import Account, Profile
from cxconsole.redact import MASK, redact_text
from cxconsole.sandbox.config import SANDBOX_SECRETS, SandboxConfig
from cxconsole.sandbox.server import SandboxServer
from cxconsole.vendors import get_vendor
from cxconsole.vendors.session import VendorSession

WaitFor = Callable[..., Awaitable[None]]
PREFIX = {"questionpro": "/qp", "expoints": "/expoints", "webex": "/webex", "noojee": "/noojee"}
SETTINGS = {
    "questionpro": {"workspace_id": 1},
    "expoints": {},
    "webex": {"datastore-id": "1466", "feed-id": "1499"},
    "noojee": {"template_id": 12, "campaign_id": 23, "allocation_id": 34},
}


def account(url: str, vendor: str, secret: str | None = None) -> Account:
    profile = Profile(
        name=f"t-{vendor}", vendor=vendor, base_url=url + PREFIX[vendor], settings=SETTINGS[vendor]
    )
    return Account.open(profile, SecretStr(secret or SANDBOX_SECRETS[vendor]))


@contextmanager
def serve(routes: list[Route]) -> Iterator[str]:
    """A small Starlette app on a real port (the sandbox's server machinery, another app)."""
    server = SandboxServer()
    server.app = Starlette(routes=routes)
    with server:
        yield server.url


def fast(vendor: str, **changes: object) -> VendorPolicy:
    policy = get_vendor(vendor).policy
    values = {f: getattr(policy, f) for f in policy.__dataclass_fields__}
    values.update(backoff_base=0.01, backoff_max=0.05, pause_seconds=0.05)
    values.update(changes)
    return VendorPolicy(**values)  # type: ignore[arg-type]


# -- happy paths: each vendor's connection test and one batch -------------------------------
@pytest.mark.parametrize("vendor", ["questionpro", "expoints", "webex", "noojee"])
async def test_connection_test_passes_for_each_vendor(sandbox_reset: SandboxServer, vendor: str):
    async with CXClient() as client:
        report = await account(sandbox_reset.url, vendor).test(client)
    assert report.ok, report.summary
    assert report.summary


def test_the_shared_client_follows_each_event_loop(sandbox_reset: SandboxServer) -> None:
    # One process, two loops: an in-process command, then the app (the tests do this all day).
    # The first loop's pooled connection must not be reused by the second, which would fail
    # with "Event loop is closed".
    from cxconsole.client import get_client

    webex = account(sandbox_reset.url, "webex")

    async def read_columns() -> int:
        client = get_client()
        columns = await webex.vendor.fetch_fields(webex.session(client))
        return id(client) if columns else 0

    first = asyncio.run(read_columns())
    second = asyncio.run(read_columns())
    assert first and second and first != second


BATCHES = {
    "questionpro": [
        {
            "firstName": "Ana",
            "email": "ana@example.com",
            "mobile": "+14155550100",
            "transactionDate": "14/01/2020",
            "products": [{"productName": "TV", "productGroup": "LG"}],
        }
    ],
    "expoints": [
        {"Email": "ana@example.com", "data:15": "Ana", "data:16": "Lima", "data:18": "BU"}
        | {"data:19": "P1"}
    ],
    "webex": [{"msisdn": "+442332223424", "firstname": "John", "emailid": "j@example.com"}],
    "noojee": [{"firstName": "Ana", "phone1": "+61299990000"}],
}


@pytest.mark.parametrize("vendor", list(BATCHES))
async def test_one_batch_is_accepted_and_recorded(sandbox_reset: SandboxServer, vendor: str):
    acc = account(sandbox_reset.url, vendor)
    url, params, body = acc.vendor.build_batch(acc.base, acc.settings, BATCHES[vendor])
    async with CXClient() as client:
        reply = await acc.session(client).send(
            "POST", url, what="batch 1", params=params, json=body
        )
    outcome = acc.vendor.read_batch_reply(reply, 1)
    assert outcome.ok
    record = httpx.get(sandbox_reset.url + "/_sandbox/record").json()
    assert len(record[vendor]) == 1


# -- errors decoded, and not retried when they never succeed on retry -----------------------
@pytest.mark.parametrize(
    ("vendor", "code", "status"),
    [("questionpro", "1010", 401), ("webex", "430", 401), ("noojee", "401", 401)],
)
async def test_wrong_key_is_decoded_and_not_retried(
    sandbox_reset: SandboxServer, vendor: str, code: str, status: int
):
    before = httpx.get(sandbox_reset.url + "/_sandbox/stats").json()
    async with CXClient() as client:
        with pytest.raises(VendorError) as info:
            await account(sandbox_reset.url, vendor, secret="wrong-key-123").test(client)
    error = info.value
    assert (error.status, error.code, error.attempts) == (status, code, 1)
    assert error.entry is not None and error.entry.retryable == "never"
    assert error.is_auth
    after = httpx.get(sandbox_reset.url + "/_sandbox/stats").json()
    assert after["requests"][vendor] - before["requests"][vendor] == 1


async def test_expoints_wrong_token_is_http_401(sandbox_reset: SandboxServer):
    async with CXClient() as client:
        with pytest.raises(VendorError) as info:
            await account(sandbox_reset.url, "expoints", secret="nope-token").test(client)
    assert info.value.status == 401 and info.value.code == "401"
    assert info.value.entry is not None and info.value.entry.vendor == "expoints"


async def test_webex_http_200_failure_is_an_error(sandbox_reset: SandboxServer):
    acc = account(sandbox_reset.url, "webex")
    acc.settings.datastore_id = "99"  # unknown datastore: statuscode 1010 with HTTP 200
    url, _, body = acc.vendor.build_batch(acc.base, acc.settings, BATCHES["webex"])
    async with CXClient() as client:
        spec = acc.session(client).spec("POST", url, what="batch 1", json=body)
        with pytest.raises(VendorError) as info:
            await client.send(spec, fast("webex", max_attempts=2))
    assert info.value.status == 200 and info.value.code == "1010"


async def test_webex_bad_json_1001_is_never_retried(sandbox_reset: SandboxServer):
    acc = account(sandbox_reset.url, "webex")
    async with CXClient() as client:
        spec = acc.session(client).spec(
            "POST",
            "/campaignapi/resources/v3/datastores/records",
            what="batch 1",
            content=b'{"datastore-id": "1466", ',
            headers={"content-type": "application/json"},
        )
        with pytest.raises(VendorError) as info:
            await client.send(spec, fast("webex"))
    assert (info.value.code, info.value.attempts) == ("1001", 1)


async def test_noojee_duplicate_105_is_never_retried(sandbox_reset: SandboxServer):
    acc = account(sandbox_reset.url, "noojee")
    leads = [{"phone1": "+61299990001"}, {"phone1": "+61299990001"}]
    url, params, body = acc.vendor.build_batch(acc.base, acc.settings, leads)
    async with CXClient() as client:
        spec = acc.session(client).spec("POST", url, what="batch 1", params=params, json=body)
        with pytest.raises(VendorError) as info:
            await client.send(spec, fast("noojee"))
    assert (info.value.code, info.value.attempts) == ("105", 1)
    bad = acc.vendor.bad_rows_of(info.value, 2)
    assert list(bad) == [1] and "105" in bad[1]


async def test_noojee_busy_109_is_retried_after_a_pause(sandbox_reset: SandboxServer):
    faults = {"rate": 1.0, "faults": ["http200"], "seed": 1}
    httpx.post(sandbox_reset.url + "/_sandbox/faults", json=faults).raise_for_status()
    acc = account(sandbox_reset.url, "noojee")
    waits: list[float] = []
    async with CXClient() as client:
        spec = acc.session(client).spec(
            "GET",
            "/servicemanager/rest/CampaignAPI/getCampaignTemplateList",
            what="templates",
            idempotent=True,
        )
        with pytest.raises(VendorError) as info:
            await client.send(
                spec, fast("noojee", max_attempts=3), on_retry=lambda r: waits.append(r.wait)
            )
    assert info.value.code in {"109", "103"} and info.value.attempts == 3
    assert len(waits) == 2 and all(w >= 0.05 for w in waits)


# -- Retry-After from a real server (the waits themselves: test_client_retries.py) -------------
class Sleeps(list[float]):
    """An injected ``sleep`` that records the wait and yields without waiting it."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        await asyncio.sleep(0)


@pytest.mark.parametrize("style", ["seconds", "http-date"])
async def test_retry_after_is_honoured(style: str):
    calls = 0

    async def endpoint(request: Request) -> Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            if style == "seconds":
                after = "7"
            else:
                after = email.utils.formatdate(time.time() + 30, usegmt=True)
            return JSONResponse(
                {"statuscode": 429}, status_code=429, headers={"Retry-After": after}
            )
        return JSONResponse({"statuscode": 0, "trans_id": "t-1"})

    sleeps = Sleeps()
    with serve([Route("/r", endpoint, methods=["POST"])]) as url:
        spec = CallSpec("POST", url + "/r", key="k", json={})
        async with CXClient(sleep=sleeps) as client:
            reply = await client.send(spec, fast("webex"))
    assert reply.status == 200 and reply.attempts == 2
    if style == "seconds":
        assert sleeps == [7.0]
    else:  # an HTTP date has one-second resolution: it may mean a little less than 30 s
        assert len(sleeps) == 1 and 28.0 < sleeps[0] <= 30.0, sleeps


def test_parse_retry_after_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1000.0 + 30, usegmt=True)
    assert parse_retry_after(date, now=1000.0) == pytest.approx(30, abs=1)


async def test_gives_up_when_retry_after_exceeds_the_budget():
    async def endpoint(request: Request) -> Response:
        return Response(status_code=503, headers={"Retry-After": "600"})

    sleeps = Sleeps()
    with serve([Route("/r", endpoint, methods=["POST"])]) as url:
        async with CXClient(sleep=sleeps) as client:
            with pytest.raises(VendorError) as info:
                await client.send(CallSpec("POST", url + "/r", key="k"), fast("expoints"))
    assert info.value.status == 503 and info.value.attempts == 1 and sleeps == []


# -- the rate limit keeps the client from provoking a 429 ------------------------------------
async def test_rate_limit_never_provokes_a_429():
    config = SandboxConfig(qp_rate_limit=5, qp_rate_period=1.0)
    with SandboxServer(config) as server:
        acc = account(server.url, "questionpro")
        policy = fast("questionpro", rate_calls=5, rate_period=1.0, concurrency=8)
        async with CXClient() as client:
            t0 = time.monotonic()
            pages = await _pages(acc.session(client), policy, 12)
            elapsed = time.monotonic() - t0
        assert len(pages) == 12
        assert server.state.rate_limited == 0
        assert elapsed >= 2.0  # 12 calls at 5 per second need two full windows


async def _pages(session: VendorSession, policy: VendorPolicy, n: int) -> list[object]:
    async def one(page: int) -> object:
        spec = session.spec(
            "POST",
            "/a/api/v2/cx/tickets/detractors",
            what=f"page {page}",
            params={"page": str(page), "perPage": "5"},
            json={},
            idempotent=True,
        )
        return await session.client.send(spec, policy)

    return await asyncio.gather(*(one(p) for p in range(1, n + 1)))


async def test_concurrency_cap_per_key():
    active = 0
    peak = 0

    async def endpoint(request: Request) -> Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        # A slow endpoint, not a wait: requests must overlap here for the cap to be seen.
        await asyncio.sleep(0.05)
        active -= 1
        return JSONResponse({})

    with serve([Route("/r", endpoint, methods=["POST"])]) as url:
        async with CXClient() as client:
            policy = fast("noojee", concurrency=2)
            specs = [CallSpec("POST", url + "/r", key="same") for _ in range(8)]
            await asyncio.gather(*(client.send(s, policy) for s in specs))
    assert peak == 2


# -- transport failures --------------------------------------------------------------------
def batch_spec(session: VendorSession, vendor: str) -> CallSpec:
    """The import POST of one small batch (not idempotent, as every import call)."""
    url, params, body = session.vendor.build_batch(session.base, session.settings, BATCHES[vendor])
    spec = session.spec("POST", url, what="batch 7", params=params, json=body)
    assert not spec.idempotent
    return spec


def receipts(server: SandboxServer, vendor: str) -> tuple[int, list[int]]:
    """How many requests the vendor got, and the request numbers its recorded rows came in."""
    requests = server.state.stats()["requests"][vendor]
    return requests, sorted({row["_request"] for row in server.state.record[vendor]})


@pytest.mark.parametrize("vendor", list(BATCHES))
async def test_reply_dropped_after_processing_is_unknown_and_never_resent(
    sandbox_reset: SandboxServer, vendor: str
):
    sandbox_reset.state.configure_faults(rate=1.0, faults=["drop_after"])
    acc = account(sandbox_reset.url, vendor)
    retries: list[object] = []
    async with CXClient() as client:
        with pytest.raises(UnknownOutcome) as info:
            await client.send(
                batch_spec(acc.session(client), vendor), fast(vendor), on_retry=retries.append
            )
    error = info.value
    assert (error.code, error.attempts, error.what, retries) == (
        "UNKNOWN_OUTCOME",
        1,
        "batch 7",
        [],
    )
    assert "not sent again" in str(error)
    # The server applied the batch once, and heard of it once.
    assert receipts(sandbox_reset, vendor) == (1, [1])
    assert len(sandbox_reset.state.record[vendor]) == len(BATCHES[vendor])


@pytest.mark.parametrize("vendor", list(BATCHES))
async def test_reply_later_than_the_read_timeout_is_unknown_and_never_resent(
    sandbox_reset: SandboxServer, vendor: str, wait_for: WaitFor
):
    state = sandbox_reset.state
    state.slow_delay_s = 1.0
    state.configure_faults(rate=1.0, faults=["slow_after"])
    acc = account(sandbox_reset.url, vendor)
    async with CXClient() as client:
        with pytest.raises(UnknownOutcome) as info:
            await client.send(
                batch_spec(acc.session(client), vendor), fast(vendor, read_timeout=0.2)
            )
    assert "ReadTimeout" in str(info.value) and info.value.attempts == 1
    await wait_for(lambda: state.stats()["finished"][vendor] == 1, what="the late reply")
    assert receipts(sandbox_reset, vendor) == (1, [1])


async def test_connection_dropped_before_processing_is_still_unknown_for_a_post(
    sandbox_reset: SandboxServer,
):
    # The sandbox did not apply it, but from the client this looks exactly like a reply lost
    # after processing: the safe side is to resend nothing.
    sandbox_reset.state.configure_faults(rate=1.0, faults=["drop"])
    acc = account(sandbox_reset.url, "webex")
    async with CXClient() as client:
        with pytest.raises(UnknownOutcome):
            await client.send(batch_spec(acc.session(client), "webex"), fast("webex"))
    assert receipts(sandbox_reset, "webex") == (1, [])


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_refused_post_is_retried_and_arrives_once():
    port = closed_port()
    server = SandboxServer(port=port)
    acc = account(f"http://127.0.0.1:{port}", "webex")
    reasons: list[str] = []

    def come_up(info: RetryInfo) -> None:
        reasons.append(info.reason)
        if server.port == port and len(reasons) == 2:
            server.start()  # the vendor is back before the third attempt

    try:
        async with CXClient() as client:
            reply = await client.send(
                batch_spec(acc.session(client), "webex"), fast("webex"), on_retry=come_up
            )
        assert reply.status == 200 and reply.attempts == 3
        assert all(reason.startswith("cannot connect") for reason in reasons), reasons
        assert receipts(server, "webex") == (1, [1])
    finally:
        server.stop()


async def test_a_get_whose_reply_was_dropped_is_retried(sandbox_reset: SandboxServer):
    state = sandbox_reset.state
    state.configure_faults(rate=1.0, faults=["drop_after"])
    acc = account(sandbox_reset.url, "noojee")

    def calm(info: RetryInfo) -> None:
        state.configure_faults(rate=0.0)

    async with CXClient() as client:
        templates = acc.session(client).spec(
            "GET",
            "/servicemanager/rest/CampaignAPI/getCampaignTemplateList",
            what="templates",
            idempotent=True,
        )
        reply = await client.send(templates, fast("noojee"), on_retry=calm)
    assert reply.status == 200 and reply.attempts == 2
    assert state.stats()["requests"]["noojee"] == 2


async def test_a_keep_alive_connection_the_server_closed_is_not_a_lost_reply(wait_for: WaitFor):
    """httpcore drops a pooled connection whose socket turned readable while idle (the
    server's FIN) before reusing it, so the usual stale connection never costs a POST."""
    bodies: list[bytes] = []
    closed: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        match = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
        bodies.append(await reader.readexactly(int(match.group(1)) if match else 0))
        reply = b'{"statuscode": 0, "trans_id": "t"}'
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
        writer.write(b"content-length: %d\r\n\r\n%s" % (len(reply), reply))
        await writer.drain()
        writer.close()  # keep-alive was implied; the server ends it anyway
        await writer.wait_closed()
        closed.append(1)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/records"
    try:
        async with CXClient() as client:
            first = CallSpec("POST", url, key="k", json={"n": 1})
            assert (await client.send(first, fast("webex"))).status == 200
            await wait_for(lambda: closed == [1], what="the server closing the idle connection")
            second = await client.send(CallSpec("POST", url, key="k", json={"n": 2}), fast("webex"))
    finally:
        server.close()
        await server.wait_closed()
    assert second.attempts == 1
    assert bodies == [b'{"n":1}', b'{"n":2}']


async def test_unreachable_host_is_retried_then_named():
    async with CXClient() as client:
        with pytest.raises(Unreachable) as info:
            await client.send(
                CallSpec("GET", "http://127.0.0.1:9/x", key="k", what="connection test"),
                fast("expoints", max_attempts=2),
            )
    assert info.value.attempts == 2
    assert "127.0.0.1:9" in str(info.value)
    assert info.value.entry is not None and info.value.entry.code == "CONNECT_ERROR"


async def test_dropped_connection_is_retried(sandbox_reset: SandboxServer):
    faults = {"rate": 1.0, "faults": ["drop"], "seed": 2}
    httpx.post(sandbox_reset.url + "/_sandbox/faults", json=faults).raise_for_status()
    acc = account(sandbox_reset.url, "questionpro")
    async with CXClient() as client:
        with pytest.raises(Unreachable) as info:
            await client.send(
                acc.session(client).spec(
                    "POST",
                    "/a/api/v2/cx/tickets/detractors",
                    what="page 1",
                    json={},
                    idempotent=True,
                ),
                fast("questionpro", max_attempts=3),
            )
    assert info.value.attempts == 3


# -- redaction -----------------------------------------------------------------------------
async def test_noojee_key_is_redacted_from_logs_errors_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
):
    secret = "nj-very-secret-key-4242"
    caplog.set_level(logging.DEBUG)
    install_log_redaction()
    profile = Profile(
        name="nj", vendor="noojee", base_url="http://127.0.0.1:9", settings=SETTINGS["noojee"]
    )
    acc = Account.open(profile, SecretStr(secret))
    async with CXClient() as client:
        session = acc.session(client)
        with pytest.raises(Unreachable) as info:
            await acc.vendor.entities(session, "getCampaignTemplateList")
    error = info.value
    texts = [
        str(error),
        repr(error),
        error.url,
        "".join(traceback.format_exception(error)),
        caplog.text,
        repr(acc.vendor.auth(acc.secret, acc.settings)),
        repr(acc),
        repr(session),
        repr(session.spec("GET", "/x", what="x")),
    ]
    for text in texts:
        assert secret not in text
    assert "getCampaignTemplateList" in str(error)


async def test_header_secrets_are_redacted_from_http_logs(
    sandbox_reset: SandboxServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    install_log_redaction()
    secret = "qp-wrong-secret-9999"
    async with CXClient() as client:
        with pytest.raises(VendorError) as info:
            await account(sandbox_reset.url, "questionpro", secret=secret).test(client)
    for text in (caplog.text, str(info.value), info.value.body, repr(info.value)):
        assert secret not in text


def test_redact_text_masks_query_parameters_even_unregistered():
    text = "GET http://h/servicemanager/rest/CampaignAPI/insertLeadsFast?fTemplateId=1&apiKey=abc"
    assert redact_text(text).endswith(f"apiKey={MASK}")
