"""Retry, backoff, Retry-After and the lost-reply rule, through httpx.MockTransport.

Time is injected (``clock``, ``wall_clock``, ``sleep``): the tests assert on the waits the
client asks for, never on the wall clock. Timeouts stay with the real-server tests.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpcore
import httpx
import pytest

from cxconsole.client import (
    CallSpec,
    CXClient,
    RateLimiter,
    UnknownOutcome,
    Unreachable,
    VendorError,
    VendorPolicy,
)

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


class FakeTime:
    """A clock that only moves when the code under test sleeps; every sleep is recorded."""

    def __init__(self, start: float = 1_000.0, wall: float = 1_700_000_000.0) -> None:
        self.start, self.now, self.wall = start, start, wall
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return self.wall + (self.now - self.start)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client(handler: Handler, fake: FakeTime, seed: int = 1) -> CXClient:
    return CXClient(
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        sleep=fake.sleep,
        clock=fake.clock,
        wall_clock=fake.wall_clock,
        rng=random.Random(seed),
    )


def policy(**changes: Any) -> VendorPolicy:
    values: dict[str, Any] = {"vendor": "webex", "backoff_base": 1.0, "backoff_max": 3.0}
    return VendorPolicy(**(values | changes))


def replies(*responses: httpx.Response | BaseException) -> tuple[Handler, list[httpx.Request]]:
    """A handler that answers (or raises) each item in turn; the last one repeats."""
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = responses[min(len(seen), len(responses)) - 1]
        if isinstance(item, BaseException):
            raise item
        return item

    return handler, seen


OK = httpx.Response(200, json={"statuscode": 0, "trans_id": "t-1"})
POST = CallSpec("POST", "https://tenant.example/records", key="k", json={}, what="batch 1")
GET = CallSpec("GET", "https://tenant.example/fields", key="k", idempotent=True, what="fields")


# -- backoff and budgets ----------------------------------------------------------------------
async def test_backoff_is_full_jitter_under_a_growing_cap():
    handler, seen = replies(*[httpx.Response(503)] * 4, OK)
    fake = FakeTime()
    async with client(handler, fake, seed=5) as cx:
        reply = await cx.send(POST, policy())
    assert (reply.status, reply.attempts, len(seen)) == (200, 5, 5)
    rng = random.Random(5)
    # Caps 1, 2, 4 -> 3 (backoff_max), 8 -> 3; each wait is drawn in [cap / 2, cap].
    assert fake.sleeps == [rng.uniform(cap / 2, cap) for cap in (1.0, 2.0, 3.0, 3.0)]


async def test_gives_up_after_max_attempts_with_the_last_error():
    handler, seen = replies(httpx.Response(503))
    fake = FakeTime()
    retries: list[tuple[int, float]] = []
    async with client(handler, fake) as cx:
        with pytest.raises(VendorError) as info:
            await cx.send(
                POST, policy(max_attempts=3), on_retry=lambda r: retries.append((r.attempt, r.wait))
            )
    assert (info.value.status, info.value.attempts, len(seen)) == (503, 3, 3)
    assert [attempt for attempt, _ in retries] == [1, 2]
    assert [wait for _, wait in retries] == fake.sleeps


async def test_time_spent_on_slow_replies_counts_against_the_budget():
    fake = FakeTime()

    async def slow(request: httpx.Request) -> httpx.Response:
        fake.now += 100.0  # each reply takes 100 s to come
        return httpx.Response(503)

    async with client(slow, fake) as cx:
        with pytest.raises(VendorError) as info:
            await cx.send(POST, policy(max_retry_seconds=180.0))
    # 100 s + a wait < 180 s: one retry; then 200 s are spent and the budget is gone.
    assert info.value.attempts == 2 and len(fake.sleeps) == 1


async def test_after_pause_code_waits_at_least_the_pause():
    busy = httpx.Response(
        400, json={"type": "error", "code": 109, "message": "BUSY", "entities": []}
    )
    handler, _ = replies(busy, httpx.Response(200, json={"type": "success", "code": 0}))
    fake = FakeTime()
    async with client(handler, fake) as cx:
        reply = await cx.send(POST, policy(vendor="noojee", pause_seconds=7.0))
    assert reply.attempts == 2 and fake.sleeps == [7.0]


async def test_a_never_code_is_not_retried():
    refused = httpx.Response(400, json={"type": "error", "code": 105, "message": "DUPLICATE"})
    handler, seen = replies(refused)
    fake = FakeTime()
    async with client(handler, fake) as cx:
        with pytest.raises(VendorError) as info:
            await cx.send(POST, policy(vendor="noojee"))
    assert (info.value.code, len(seen), fake.sleeps) == ("105", 1, [])


# -- Retry-After ------------------------------------------------------------------------------
async def test_retry_after_seconds_is_the_wait():
    handler, _ = replies(httpx.Response(429, headers={"Retry-After": "7"}), OK)
    fake = FakeTime()
    async with client(handler, fake) as cx:
        reply = await cx.send(POST, policy())
    assert reply.attempts == 2 and fake.sleeps == [7.0]


async def test_retry_after_http_date_counts_from_the_wall_clock():
    fake = FakeTime()
    date = email.utils.formatdate(fake.wall + 30, usegmt=True)
    handler, _ = replies(httpx.Response(503, headers={"Retry-After": date}), OK)
    async with client(handler, fake) as cx:
        await cx.send(POST, policy())
    assert fake.sleeps == [30.0]


async def test_retry_after_beyond_the_budget_gives_up_at_once():
    handler, seen = replies(httpx.Response(503, headers={"Retry-After": "600"}))
    fake = FakeTime()
    async with client(handler, fake) as cx:
        with pytest.raises(VendorError) as info:
            await cx.send(POST, policy(max_retry_seconds=180.0))
    assert (info.value.status, info.value.attempts, len(seen), fake.sleeps) == (503, 1, 1, [])


async def test_retry_after_holds_back_every_caller_of_the_key():
    handler, seen = replies(httpx.Response(429, headers={"Retry-After": "12"}), OK, OK)
    fake = FakeTime()
    strict = policy(vendor="questionpro", rate_calls=300, rate_period=60.0)
    async with client(handler, fake) as cx:

        async def another_caller(info: Any) -> None:
            # A call on the same key, made while the first one waits to retry.
            await cx.send(POST, strict)

        first = await cx.send(POST, strict, on_retry=another_caller)
    assert first.attempts == 2 and len(seen) == 3
    assert fake.sleeps == [12.0, 12.0]  # the other caller waited out the server's 12 s too


async def test_rate_limiter_is_a_sliding_window():
    fake = FakeTime()
    limiter = RateLimiter(3, 1.0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(7):
        await limiter.acquire()
    # Three starts fit a window; each later group waits for the oldest start to leave it.
    assert fake.sleeps == pytest.approx([1.05, 1.05])


# -- the lost-reply rule: a transport that does not trace ------------------------------------
NEVER_SENT = [
    httpx.ConnectError("connection refused"),
    httpx.ConnectTimeout("connect timed out"),
    httpx.PoolTimeout("no free connection"),
]
MAY_HAVE_SENT = [
    httpx.ReadTimeout("read timed out"),
    httpx.ReadError("connection reset by peer"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.WriteError("broken pipe"),
    httpx.WriteTimeout("write timed out"),
]


@pytest.mark.parametrize("error", NEVER_SENT, ids=lambda e: type(e).__name__)
async def test_a_post_that_never_left_is_retried(error: Exception):
    handler, seen = replies(error, OK)
    fake = FakeTime()
    async with client(handler, fake) as cx:
        reply = await cx.send(POST, policy())
    assert reply.attempts == 2 and len(seen) == 2 and len(fake.sleeps) == 1


@pytest.mark.parametrize("error", NEVER_SENT, ids=lambda e: type(e).__name__)
async def test_a_post_that_never_left_ends_unreachable(error: Exception):
    handler, seen = replies(error)
    async with client(handler, FakeTime()) as cx:
        with pytest.raises(Unreachable) as info:
            await cx.send(POST, policy(max_attempts=2))
    assert info.value.attempts == 2 and len(seen) == 2
    assert info.value.code == "CONNECT_ERROR"


@pytest.mark.parametrize("error", MAY_HAVE_SENT, ids=lambda e: type(e).__name__)
async def test_a_post_that_may_have_left_is_unknown_and_never_resent(error: Exception):
    handler, seen = replies(error, OK)
    fake = FakeTime()
    async with client(handler, fake) as cx:
        with pytest.raises(UnknownOutcome) as info:
            await cx.send(POST, policy())
    assert len(seen) == 1 and fake.sleeps == []
    assert (info.value.code, info.value.attempts, info.value.what) == (
        "UNKNOWN_OUTCOME",
        1,
        "batch 1",
    )
    assert "not sent again" in str(info.value)


@pytest.mark.parametrize("error", MAY_HAVE_SENT, ids=lambda e: type(e).__name__)
async def test_an_idempotent_call_is_retried_whatever_happened(error: Exception):
    handler, seen = replies(error, OK)
    fake = FakeTime()
    async with client(handler, fake) as cx:
        reply = await cx.send(GET, policy())
    assert reply.attempts == 2 and len(seen) == 2 and len(fake.sleeps) == 1


@pytest.mark.parametrize("status", [502, 504])
async def test_a_gateway_error_on_a_post_is_unknown(status: int):
    gateway = httpx.Response(status, text=f"<html>{status}</html>")
    handler, seen = replies(gateway, gateway, OK)
    fake = FakeTime()
    async with client(handler, fake) as cx:
        with pytest.raises(UnknownOutcome) as info:
            await cx.send(POST, policy())
        assert (info.value.status, len(seen), fake.sleeps) == (status, 1, [])
        reply = await cx.send(GET, policy())  # a read through the same gateway is retried
    assert reply.attempts == 2 and len(seen) == 3


# -- the lost-reply rule from httpcore's trace ------------------------------------------------
def traced(
    events: list[tuple[str, dict[str, Any]]], error: Exception | None = None
) -> tuple[Handler, list[httpx.Request]]:
    """A transport that reports ``events`` through the request's ``trace`` extension, as
    httpcore does, then raises ``error`` (once; the next attempt gets a 200)."""
    seen: list[httpx.Request] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) > 1:
            return OK
        trace = request.extensions["trace"]
        for name, info in events:
            await trace(name, info)
        assert error is not None
        raise error

    return handler, seen


CONNECTED = [
    ("connection.connect_tcp.started", {}),
    ("connection.connect_tcp.complete", {"return_value": object()}),
]
HEADERS_SENT = [
    ("http11.send_request_headers.started", {}),
    ("http11.send_request_headers.complete", {"return_value": None}),
]
BODY_SENT = [
    ("http11.send_request_body.started", {}),
    ("http11.send_request_body.complete", {"return_value": None}),
]
NO_REPLY = [
    ("http11.receive_response_headers.started", {}),
    ("http11.receive_response_headers.failed", {"exception": httpcore.RemoteProtocolError()}),
    ("http11.response_closed.started", {}),
    ("http11.response_closed.complete", {"return_value": None}),
]


async def test_a_pooled_connection_broken_before_the_first_write_is_retried():
    # httpcore swallows that WriteError and reads, which then fails: only the trace tells.
    events = [
        ("http11.send_request_headers.started", {}),
        ("http11.send_request_headers.failed", {"exception": httpcore.WriteError()}),
        *NO_REPLY,
    ]
    handler, seen = traced(events, httpx.RemoteProtocolError("Server disconnected"))
    fake = FakeTime()
    retries: list[str] = []
    async with client(handler, fake) as cx:
        reply = await cx.send(POST, policy(), on_retry=lambda r: retries.append(r.reason))
    assert reply.attempts == 2 and len(seen) == 2
    assert retries[0].startswith("connection closed before sending")


def connect_request() -> httpcore.Request:
    return httpcore.Request("CONNECT", "http://proxy.example:3128/")


TUNNEL = [
    ("http11.send_request_headers.started", {"request": connect_request()}),
    ("http11.send_request_headers.complete", {"return_value": None}),
    ("http11.send_request_body.started", {"request": connect_request()}),
    ("http11.send_request_body.complete", {"return_value": None}),
    ("http11.receive_response_headers.started", {"request": connect_request()}),
]


async def test_a_proxy_that_refuses_the_tunnel_is_retried():
    # The proxy's CONNECT is traced like a request; it is not ours, and ours never left.
    events = [
        *TUNNEL,
        ("http11.receive_response_headers.complete", {"return_value": (b"HTTP/1.1", 502)}),
    ]
    handler, seen = traced(events, httpx.ProxyError("502 Bad Gateway"))
    async with client(handler, FakeTime()) as cx:
        assert (await cx.send(POST, policy())).attempts == 2
    assert len(seen) == 2


async def test_a_post_lost_inside_a_proxy_tunnel_is_unknown():
    ours = {"request": httpcore.Request("POST", "https://tenant.example/records")}
    events = [
        *TUNNEL,
        ("http11.receive_response_headers.complete", {"return_value": (b"HTTP/1.1", 200)}),
        ("connection.start_tls.started", {}),
        ("connection.start_tls.complete", {"return_value": None}),
        ("http11.send_request_headers.started", ours),
        ("http11.send_request_headers.complete", {"return_value": None}),
        ("http11.send_request_body.started", ours),
        ("http11.send_request_body.complete", {"return_value": None}),
        ("http11.receive_response_headers.started", ours),
        ("http11.receive_response_headers.failed", {"exception": httpcore.ReadError()}),
    ]
    handler, seen = traced(events, httpx.ReadError("reset"))
    async with client(handler, FakeTime()) as cx:
        with pytest.raises(UnknownOutcome) as info:
            await cx.send(POST, policy())
    assert len(seen) == 1 and info.value.status is None  # the proxy's 200 is not the reply


async def test_a_connect_failure_seen_in_the_trace_is_retried():
    events = [
        ("connection.connect_tcp.started", {}),
        ("connection.connect_tcp.failed", {"exception": httpcore.ConnectError()}),
    ]
    handler, seen = traced(events, httpx.ConnectError("refused"))
    async with client(handler, FakeTime()) as cx:
        assert (await cx.send(POST, policy())).attempts == 2
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("events", "error"),
    [
        # The headers' write timed out: some of them may be on the wire already.
        (
            [
                *CONNECTED,
                ("http11.send_request_headers.started", {}),
                ("http11.send_request_headers.failed", {"exception": httpcore.WriteTimeout()}),
            ],
            httpx.WriteTimeout("timed out"),
        ),
        # The body broke half-way.
        (
            [
                *HEADERS_SENT,
                ("http11.send_request_body.started", {}),
                ("http11.send_request_body.failed", {"exception": httpcore.WriteError()}),
                *NO_REPLY,
            ],
            httpx.ReadError("reset"),
        ),
        # All of it left; the server closed without a reply (or it was a stale connection
        # closing just then: the two look the same, so the safe side is taken).
        ([*HEADERS_SENT, *BODY_SENT, *NO_REPLY], httpx.RemoteProtocolError("disconnected")),
        (
            [
                *CONNECTED,
                *HEADERS_SENT,
                *BODY_SENT,
                ("http11.receive_response_headers.started", {}),
                ("http11.receive_response_headers.failed", {"exception": httpcore.ReadTimeout()}),
            ],
            httpx.ReadTimeout("timed out"),
        ),
        # An HTTP/2 stream: no claim about its first write is made.
        (
            [
                ("http2.send_request_headers.started", {}),
                ("http2.send_request_headers.failed", {"exception": httpcore.WriteError()}),
            ],
            httpx.WriteError("broken"),
        ),
    ],
    ids=["headers-write-timeout", "body-broken", "no-reply", "read-timeout", "http2"],
)
async def test_a_post_that_reached_the_socket_is_unknown(
    events: list[tuple[str, dict[str, Any]]], error: Exception
):
    handler, seen = traced(events, error)
    fake = FakeTime()
    async with client(handler, fake) as cx:
        with pytest.raises(UnknownOutcome):
            await cx.send(POST, policy())
    assert len(seen) == 1 and fake.sleeps == []


class _BrokenBody(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"statuscode": 0, '
        raise httpx.ReadError("connection reset mid-body")


async def test_a_reply_cut_mid_body_is_unknown_and_names_the_status():
    async def handler(request: httpx.Request) -> httpx.Response:
        trace = request.extensions["trace"]
        for name, info in [*HEADERS_SENT, *BODY_SENT]:
            await trace(name, info)
        await trace(
            "http11.receive_response_headers.complete",
            {"return_value": (b"HTTP/1.1", 200, b"OK", [])},
        )
        return httpx.Response(200, stream=_BrokenBody())

    fake = FakeTime()
    async with client(handler, fake) as cx:
        with pytest.raises(UnknownOutcome) as info:
            await cx.send(POST, policy())
    assert info.value.status == 200 and fake.sleeps == []
