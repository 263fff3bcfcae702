"""The path every vendor request takes: count, read, fault dice, latency, auth, handler."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cxconsole.sandbox.state import SandboxState

# What a front proxy (nginx) answers when the service behind it is down: not the vendor's
# JSON, which is the point of a 503 fault.
PROXY_503 = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


class NotJSON(ValueError):
    """The request body does not parse as JSON."""


@dataclass(slots=True)
class Call:
    """One vendor request, read in full, as the handlers see it."""

    request: Request
    state: SandboxState
    body: bytes
    number: int  # the request's serial number, stored with every row it brings

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise NotJSON(str(exc)) from exc


Handler = Callable[[Call], Response]
Gate = Callable[[Call], AbstractAsyncContextManager[Response | None]]


@dataclass(frozen=True, slots=True)
class VendorSpec:
    """What differs between vendors around the handlers.

    ``admit`` checks auth (and QuestionPro's rate limit) and returns a refusal or None.
    ``fault_replies`` maps a fault kind ("429", "500", "http200", "malformed") to the vendor's
    reply; "http200" falls back to "500" where the vendor has no failure sent with HTTP 200.
    "drop", "slow" and "503" are the same for every vendor; so are "drop_after" and
    "slow_after", which run the handler (the request is applied) before losing the reply.
    """

    name: str
    admit: Callable[[Call], Response | None]
    fault_replies: dict[str, Callable[[Call], Response]]


def vendor_route(
    spec: VendorSpec,
    path: str,
    handler: Handler,
    methods: tuple[str, ...] = ("POST",),
    gate: Gate | None = None,
) -> Route:
    """A Starlette route that runs ``handler`` behind the sandbox's common steps.

    ``gate`` (Noojee's insert slots) wraps the latency and the handler, so time spent
    "processing" holds a slot as it would on the real server.
    """

    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        number = state.begin_request(spec.name)
        # Read the whole request first: a "drop" must happen after the server has it.
        body = await request.body()
        call = Call(request, state, body, number)
        # Draw at arrival so the fault sequence follows the order requests came in.
        fault = state.draw_fault()
        try:
            if gate is None:
                response = await _serve(spec, handler, call, fault)
            else:
                async with gate(call) as refusal:
                    response = (
                        refusal if refusal is not None else await _serve(spec, handler, call, fault)
                    )
            if fault == "slow_after":
                # Applied and recorded already; only the reply is late (outside Noojee's slots,
                # as the work is done). A client that gave up by now never learns the outcome.
                await asyncio.sleep(state.slow_delay_s)
            return response
        finally:
            # Tests wait on this count, never on the clock, to know the server is done.
            state.end_request(spec.name)

    endpoint.__name__ = f"{spec.name}_{handler.__name__}"
    return Route(path, endpoint, methods=list(methods))


async def _serve(spec: VendorSpec, handler: Handler, call: Call, fault: str | None) -> Response:
    state = call.state
    delay = state.latency_ms / 1000
    if fault == "slow":
        delay += state.slow_delay_s
    if delay > 0:
        await asyncio.sleep(delay)
    if fault == "slow" and await call.request.is_disconnected():
        # The client gave up waiting: apply nothing, so its retry is not a duplicate.
        # A client that waits gets the normal reply below, just late.
        return Response(status_code=499)
    if fault == "drop":
        return await drop_connection(call.request)
    if fault in ("drop_after", "slow_after"):
        refusal = spec.admit(call)
        response = refusal if refusal is not None else handler(call)
        if fault == "drop_after":
            # Processed (and recorded, if accepted), then the connection closes without a reply.
            return await drop_connection(call.request)
        return response
    if fault == "503":
        return Response(PROXY_503, status_code=503, media_type="text/html")
    if fault is not None and fault != "slow":
        reply = spec.fault_replies.get(fault) or spec.fault_replies["500"]
        return reply(call)
    refusal = spec.admit(call)
    if refusal is not None:
        return refusal
    return handler(call)


class ConnectionDropped(RuntimeError):
    """Raised when the server under the app gives no way to close the connection."""


async def drop_connection(request: Request) -> Response:
    """Close the client's connection without a reply.

    ASGI has no message for "hang up", so we reach uvicorn's transport through the request
    cycle that owns ``receive`` (Starlette passes uvicorn's bound method down unwrapped).
    """
    cycle = getattr(request.receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("the server does not expose its transport; cannot drop")
    transport.close()
    # Let connection_lost run: uvicorn then marks the cycle disconnected, ignores the reply
    # below and logs nothing.
    for _ in range(3):
        await asyncio.sleep(0)
    return Response(status_code=499)
