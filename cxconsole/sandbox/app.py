"""The ASGI app: each vendor under its prefix and at the root, plus ``/_sandbox`` control."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from cxconsole.sandbox import control, expoints, noojee, questionpro, webex
from cxconsole.sandbox.config import PREFIXES, SandboxConfig
from cxconsole.sandbox.state import SandboxState

VENDOR_ROUTES: dict[str, Callable[[], Sequence[BaseRoute]]] = {
    "questionpro": questionpro.routes,
    "expoints": expoints.routes,
    "webex": webex.routes,
    "noojee": noojee.routes,
}


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A fresh emulator; its state is ``app.state.sandbox`` (a :class:`SandboxState`)."""
    config = config or SandboxConfig()
    routes: list[BaseRoute] = [*control.routes()]
    for vendor, make_routes in VENDOR_ROUTES.items():
        # A profile's base URL carries the prefix (http://host:port/qp); the vendor paths
        # never collide, so the root serves them too, as the real hosts do.
        routes.append(Mount(PREFIXES[vendor], routes=make_routes()))
        routes.extend(make_routes())
    app = Starlette(routes=routes)
    app.state.sandbox = SandboxState(config)
    return app
