"""An emulator of the four vendor APIs (QuestionPro CX, Expoints, Webex Campaign, Noojee).

Served over real HTTP by :class:`~cxconsole.sandbox.server.SandboxServer`. Never imports
``textual``; the web stack loads only when the app or the server is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxconsole.sandbox.config import ALL_FAULTS, SANDBOX_SECRETS, SandboxConfig

if TYPE_CHECKING:
    from cxconsole.sandbox.app import create_app
    from cxconsole.sandbox.server import SandboxServer, serve

__all__ = ["ALL_FAULTS", "SANDBOX_SECRETS", "SandboxConfig", "SandboxServer", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    # Lazy, so `cxconsole --help` and the config-only users do not load starlette/uvicorn.
    if name == "create_app":
        from cxconsole.sandbox.app import create_app

        return create_app
    if name in ("SandboxServer", "serve"):
        from cxconsole.sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module 'cxconsole.sandbox' has no attribute {name!r}")
