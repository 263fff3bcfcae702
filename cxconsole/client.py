"""THE shared async HTTP client: one ``httpx.AsyncClient`` for the whole process.

Everything that talks to a vendor goes through :class:`CXClient.send`, which owns what no screen
or command should: timeouts, a concurrency cap and a rate limit per vendor key, retries with
backoff and jitter that honour ``Retry-After``, decoding every reply against the error catalog
(including failures that arrive with HTTP 200), and redaction of secrets in every error.

The retry rule for a failure without a readable reply (docs/delivery.md says why):

- it is retried when the request provably never left: no byte of it was handed to a socket
  (connect refused, DNS, TLS handshake, connect or pool timeout, or a pooled keep-alive
  connection found broken before its first byte was written);
- otherwise a call not marked ``idempotent`` (an import POST) ends in :class:`UnknownOutcome`
  and is never sent again by the client: the vendor may have applied it. A 502 or 504 from a
  gateway counts as such a lost reply;
- idempotent calls (reads) are retried whatever happened.

How far an attempt got comes from httpcore's ``trace`` request extension; where the trace cannot
tell (a transport that does not trace), only connect, connect-timeout and pool-timeout errors
count as never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from cxconsole import catalog
from cxconsole.catalog.entry import CatalogEntry, Decoded
from cxconsole.errors import CXError as CXError  # re-exported: raised by name from here before
from cxconsole.errors import UnknownOutcome, Unreachable, VendorError
from cxconsole.redact import redact_text, redact_url

log = logging.getLogger("cxconsole.client")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: A gateway's answer, not the vendor's: the call may have reached the vendor and been applied
#: (502: the vendor's reply was lost or garbled on its way back; 504: it came too late).
GATEWAY_LOST = frozenset({502, 504})
USER_AGENT = "cxconsole/0.1 (+https://github.com/cxconsole)"


@dataclass(frozen=True, slots=True)
class VendorPolicy:
    """How the client treats one vendor: all of it data, none of it in a screen."""

    vendor: str
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    concurrency: int = 4
    rate_calls: int | None = None  # at most this many calls ...
    rate_period: float = 60.0  # ... in any window of this many seconds, per key
    max_attempts: int = 5
    max_retry_seconds: float = 180.0  # total time a call may spend waiting to retry
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    pause_seconds: float = 5.0  # the wait before retrying an "after_pause" code


@dataclass(slots=True)
class CallSpec:
    """One HTTP call an adapter wants made. ``key`` groups calls that share a rate limit."""

    method: str
    url: str
    key: str
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    json: Any = None
    content: bytes | None = None
    auth: httpx.Auth | None = None
    idempotent: bool = False
    what: str = ""  # "import batch 3", "tickets page 2": used in messages


@dataclass(slots=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes
    decoded: Decoded
    elapsed: float
    attempts: int

    def json(self) -> Any:
        return self.decoded.body


@dataclass(frozen=True, slots=True)
class RetryInfo:
    """Told to ``on_retry`` before each wait: which attempt failed, why, and for how long."""

    attempt: int
    reason: str
    wait: float
    entry: CatalogEntry | None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RateLimiter:
    """A sliding window: at most ``calls`` starts in any ``period`` seconds.

    It mirrors how the vendors count, so the client can never provoke a 429 by itself; a
    server's ``Retry-After`` also holds back every caller that shares the key.
    """

    def __init__(
        self,
        calls: int,
        period: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.calls = calls
        self.period = period
        self.clock = clock
        self.sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._blocked_until = 0.0

    def block_for(self, seconds: float) -> None:
        self._blocked_until = max(self._blocked_until, self.clock() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock()
                if now < self._blocked_until:
                    await self.sleep(self._blocked_until - now)
                    continue
                while self._starts and now - self._starts[0] >= self.period:
                    self._starts.popleft()
                if len(self._starts) < self.calls:
                    self._starts.append(now)
                    return
                # A small margin: the server's clock started its window a little after ours.
                await self.sleep(self._starts[0] + self.period - now + 0.05)


@dataclass
class _Lane:
    semaphore: asyncio.Semaphore
    limiter: RateLimiter | None


@dataclass
class CXClient:
    """The process-wide client. Open it once (``async with``), share it everywhere."""

    http: httpx.AsyncClient = field(
        default_factory=lambda: httpx.AsyncClient(
            headers={"user-agent": USER_AGENT},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            follow_redirects=False,
        )
    )
    _lanes: dict[tuple[str, str], _Lane] = field(default_factory=dict)
    # Time is injected so retry, backoff and Retry-After can be tested without waiting.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    clock: Callable[[], float] = time.monotonic  # intervals: budgets, rate windows, latency
    wall_clock: Callable[[], float] = time.time  # dates: a Retry-After given as an HTTP date
    # A site's own tuning of every vendor's policy (shorter pauses, another read timeout);
    # tests use it to speed up retries without touching the vendors.
    tune: Callable[[VendorPolicy], VendorPolicy] | None = None

    async def __aenter__(self) -> CXClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    def _lane(self, policy: VendorPolicy, key: str) -> _Lane:
        lane = self._lanes.get((policy.vendor, key))
        if lane is None:
            limiter = (
                RateLimiter(
                    policy.rate_calls, policy.rate_period, clock=self.clock, sleep=self.sleep
                )
                if policy.rate_calls
                else None
            )
            lane = _Lane(asyncio.Semaphore(policy.concurrency), limiter)
            self._lanes[(policy.vendor, key)] = lane
        return lane

    def backoff(self, policy: VendorPolicy, attempt: int) -> float:
        """Full jitter: a random wait up to an exponentially growing cap."""
        cap = min(policy.backoff_max, policy.backoff_base * 2 ** (attempt - 1))
        return self.rng.uniform(cap / 2, cap)

    async def send(
        self,
        spec: CallSpec,
        policy: VendorPolicy,
        *,
        on_retry: Callable[[RetryInfo], Any] | None = None,
    ) -> Reply:
        """Make the call, retrying what may be retried; return a successful reply or raise."""
        try:
            port = httpx.URL(spec.url).port  # a bad port is the profile's, said before any call
        except httpx.InvalidURL as exc:
            raise CXError(f"the URL {redact_url(spec.url)} is not valid: {exc}") from None
        if port is not None and not 0 < port < 65536:
            raise CXError(f"the URL {redact_url(spec.url)} has port {port}, outside 1-65535")
        if self.tune is not None:
            policy = self.tune(policy)
        lane = self._lane(policy, spec.key)
        timeout = httpx.Timeout(
            connect=policy.connect_timeout,
            read=policy.read_timeout,
            write=policy.write_timeout,
            pool=max(policy.read_timeout, 60.0),
        )
        started = self.clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = await self._attempt(spec, policy, lane, timeout, attempt)
            except _Retryable as retry:
                error = retry.error
                wait = retry.wait if retry.wait is not None else self.backoff(policy, attempt)
                if retry.pause:
                    wait = max(wait, policy.pause_seconds)
                spent = self.clock() - started
                if attempt >= policy.max_attempts or spent + wait > policy.max_retry_seconds:
                    error.attempts = attempt
                    raise error from None
                if retry.server_wait is not None and lane.limiter is not None:
                    lane.limiter.block_for(retry.server_wait)
                log.info(
                    "%s %s: attempt %d failed (%s), retrying in %.1fs",
                    policy.vendor,
                    spec.what or spec.method,
                    attempt,
                    retry.reason,
                    wait,
                )
                if on_retry is not None:
                    outcome = on_retry(RetryInfo(attempt, retry.reason, wait, error.entry))
                    if asyncio.iscoroutine(outcome):
                        await outcome
                await self.sleep(wait)
                continue
            return reply

    async def _attempt(
        self,
        spec: CallSpec,
        policy: VendorPolicy,
        lane: _Lane,
        timeouts: httpx.Timeout,
        attempt: int,
    ) -> Reply:
        vendor = policy.vendor
        safe_url = redact_url(spec.url)
        async with lane.semaphore:
            if lane.limiter is not None:
                await lane.limiter.acquire()
            progress = Progress()
            request = self.http.build_request(
                spec.method,
                spec.url,
                params=spec.params,
                headers=spec.headers,
                json=spec.json if spec.content is None else None,
                content=spec.content,
                timeout=timeouts,
                extensions={"trace": progress},
            )
            t0 = self.clock()
            try:
                response = await self.http.send(request, auth=spec.auth or httpx.USE_CLIENT_DEFAULT)
                body = await response.aread()
            except (
                httpx.TimeoutException,
                httpx.NetworkError,
                httpx.RemoteProtocolError,
                httpx.ProxyError,
            ) as exc:
                raise self._lost(spec, vendor, exc, progress, attempt) from None
            except httpx.HTTPError as exc:
                # Not a lost connection (an undecodable body, a bad URL): never retried.
                kind: type[VendorError] = VendorError
                code = "MALFORMED_REPLY"
                if not spec.idempotent and progress.may_have_sent(exc):
                    kind, code = UnknownOutcome, "UNKNOWN_OUTCOME"
                raise _transport_error(
                    kind, code, vendor, spec, exc, attempt, status=progress.status
                ) from None
            elapsed = self.clock() - t0

        decoded = catalog.decode_reply(response.status_code, body, vendor=vendor)
        if decoded.ok or (decoded.entry is None and 200 <= response.status_code < 300):
            return Reply(response.status_code, response.headers, body, decoded, elapsed, attempt)

        entry = decoded.entry
        code = decoded.code or str(response.status_code)
        summary = entry.name if entry else f"HTTP {response.status_code}"
        message = (
            f"{catalog.vendor_title(vendor)} refused {spec.what or spec.method}: "
            f"{code} {summary}"
            + (f" - {decoded.message}" if decoded.message and decoded.message != summary else "")
            + f" (HTTP {response.status_code} from {safe_url})"
        )
        error = VendorError(
            message,
            vendor=vendor,
            entry=entry,
            status=response.status_code,
            code=code,
            url=safe_url,
            what=spec.what,
            attempts=attempt,
            decoded=decoded,
            body=body,
        )
        retryable = entry.retryable if entry else None
        if retryable is None:
            retryable = "yes" if response.status_code in RETRY_STATUSES else "never"
        if response.status_code in GATEWAY_LOST and not spec.idempotent:
            raise _transport_error(
                UnknownOutcome,
                "UNKNOWN_OUTCOME",
                vendor,
                spec,
                None,
                attempt,
                status=response.status_code,
                detail=f"HTTP {response.status_code} {summary}",
            )
        if retryable == "never":
            raise error
        server_wait = parse_retry_after(response.headers.get("retry-after"), now=self.wall_clock())
        raise _Retryable(
            error,
            f"{code} {summary}",
            wait=server_wait,
            server_wait=server_wait,
            pause=retryable == "after_pause",
        )

    def _lost(
        self,
        spec: CallSpec,
        vendor: str,
        exc: httpx.HTTPError,
        progress: Progress,
        attempt: int,
    ) -> Exception:
        """What a failure without a readable reply becomes: a retry, or an unknown outcome."""
        if not progress.may_have_sent(exc):
            error = _transport_error(Unreachable, "CONNECT_ERROR", vendor, spec, exc, attempt)
            if progress.last_step.startswith(("send_", "receive_")):
                # A pooled keep-alive connection the server had closed: nothing was written.
                return _Retryable(error, f"connection closed before sending: {_describe(exc)}")
            return _Retryable(error, f"cannot connect: {_describe(exc)}")
        if not spec.idempotent:
            return _transport_error(
                UnknownOutcome,
                "UNKNOWN_OUTCOME",
                vendor,
                spec,
                exc,
                attempt,
                status=progress.status,
            )
        if isinstance(exc, httpx.RemoteProtocolError):
            error = _transport_error(Unreachable, "CONNECT_ERROR", vendor, spec, exc, attempt)
            return _Retryable(error, "connection dropped")
        error = _transport_error(VendorError, "TIMEOUT", vendor, spec, exc, attempt)
        return _Retryable(error, "no reply in time")


# The exceptions httpx raises only before a request is handed to a connection.
_NEVER_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)
# Raised by httpcore's first write of the headers before a byte of them is handed over.
_UNWRITTEN = (httpcore.WriteError, httpcore.LocalProtocolError)


class Progress:
    """How far one attempt got, recorded from httpcore's ``trace`` request extension.

    httpcore names its steps ``connection.connect_tcp``, ``connection.start_tls``, then
    ``http11.send_request_headers``, ``http11.send_request_body``,
    ``http11.receive_response_headers``, each ``.started`` then ``.complete`` or ``.failed``.
    Nothing can have left before ``send_request_headers.started``. A ``WriteError`` raised by
    that first write means the socket was already broken when we tried (a pooled keep-alive
    connection the server had closed): anyio raises it before handing a byte to the kernel,
    and the headers of a request are one small write (a ``LocalProtocolError`` there comes
    from h11 refusing to build them). A ``WriteTimeout`` there, or any later failure, may
    follow bytes that did leave, so it proves nothing. The steps of a proxy's ``CONNECT``
    (same names, same trace) are not our request's and are skipped.
    """

    __slots__ = ("_tunnel", "_wrote", "events", "last_step", "status")

    def __init__(self) -> None:
        self.events = 0
        self.last_step = ""  # e.g. "send_request_body.complete"; "" before any traced step
        self.status: int | None = None
        self._wrote = False
        self._tunnel = False

    async def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        self.events += 1
        prefix, _, step = name.partition(".")
        if step.endswith(".started"):
            self._tunnel = getattr(info.get("request"), "method", None) == b"CONNECT"
        if self._tunnel or step.startswith("response_closed"):
            return  # the proxy's CONNECT; or the clean-up that follows every failure
        self.last_step = step
        if step == "send_request_headers.started":
            self._wrote = True
        elif (
            step == "send_request_headers.failed"
            and prefix == "http11"
            and type(info.get("exception")) in _UNWRITTEN
        ):
            self._wrote = False
        elif step == "receive_response_headers.complete":
            value = info.get("return_value")
            if isinstance(value, tuple) and len(value) > 1 and isinstance(value[1], int):
                self.status = value[1]

    def may_have_sent(self, exc: BaseException) -> bool:
        """False only when no byte of the request can have reached the server."""
        if self.events == 0:
            # No trace (a transport without httpcore): trust only the connect-side errors.
            return not isinstance(exc, _NEVER_SENT)
        return self._wrote or self.status is not None


class _Retryable(Exception):
    def __init__(
        self,
        error: VendorError,
        reason: str,
        *,
        wait: float | None = None,
        server_wait: float | None = None,
        pause: bool = False,
    ) -> None:
        self.error = error
        self.reason = reason
        self.wait = wait
        self.server_wait = server_wait
        self.pause = pause


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return redact_text(text)


def _transport_error(
    kind: type[VendorError],
    code: str,
    vendor: str,
    spec: CallSpec,
    exc: BaseException | None,
    attempt: int,
    *,
    status: int | None = None,
    detail: str = "",
) -> VendorError:
    entry = catalog.lookup("cxconsole", code)
    url = redact_url(spec.url)
    verbs = {
        "CONNECT_ERROR": "could not reach",
        "TIMEOUT": "had no reply in time from",
        "UNKNOWN_OUTCOME": "lost the reply from",
        "MALFORMED_REPLY": "could not read the reply from",
    }
    message = (
        f"{spec.what or spec.method}: {verbs.get(code, 'failed at')} "
        f"{catalog.vendor_title(vendor)} at {url} "
        f"({detail or (f'{type(exc).__name__}: {_describe(exc)}' if exc else 'no reply')})"
    )
    if code == "UNKNOWN_OUTCOME":
        message += "; the vendor may have accepted it, so it was not sent again"
    return kind(
        message,
        vendor=vendor,
        entry=entry,
        status=status,
        code=code,
        url=url,
        what=spec.what,
        attempts=attempt,
    )


_client: CXClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def get_client() -> CXClient:
    """The process's one client, created on first use inside the running event loop.

    A client belongs to the loop it was made in (its pooled sockets and locks do): a process
    that runs a second loop after the first ended (a command run in-process twice, an app after
    a command) gets a new client rather than one whose connections fail with "Event loop is
    closed".
    """
    global _client, _client_loop
    loop = _running_loop()
    if _client is None or _client.http.is_closed or (loop is not None and loop is not _client_loop):
        _client, _client_loop = CXClient(), loop
    return _client


async def close_client() -> None:
    global _client
    client, _client = _client, None
    if client is not None:
        # A client made under an earlier event loop (one process running several commands,
        # as the tests do) cannot close its sockets in this one: they went with that loop.
        with contextlib.suppress(RuntimeError):
            await client.aclose()
