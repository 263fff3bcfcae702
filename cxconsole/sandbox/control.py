"""The sandbox's own endpoints under ``/_sandbox``: record, reset, faults, stats (no auth)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cxconsole.sandbox.state import SandboxState


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox  # starlette's State holds Any
    return state


async def record(request: Request) -> Response:
    return JSONResponse(_state(request).record)


async def reset(request: Request) -> Response:
    _state(request).reset()
    return JSONResponse({"ok": True})


async def faults(request: Request) -> Response:
    state = _state(request)
    if request.method == "POST":
        try:
            body: Any = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            unknown = set(body) - {"rate", "faults", "seed", "latency_ms"}
            if unknown:
                raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
            state.configure_faults(
                rate=body.get("rate"),
                faults=body.get("faults"),
                seed=body.get("seed"),
                latency_ms=body.get("latency_ms"),
            )
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(state.fault_settings())


async def stats(request: Request) -> Response:
    return JSONResponse(_state(request).stats())


def routes() -> list[Route]:
    return [
        Route("/_sandbox/record", record, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
    ]
