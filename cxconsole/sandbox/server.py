"""Serve the sandbox over real HTTP: in a background thread for tests and the TUI, or blocking."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from cxconsole.sandbox.app import create_app
from cxconsole.sandbox.config import SandboxConfig, base_urls
from cxconsole.sandbox.state import SandboxState

log = logging.getLogger("cxconsole.sandbox")


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, bound before uvicorn starts so port 0 is known at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then,
    # and without it every keep-alive request waits ~40 ms (Nagle against delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn_config(app: Starlette, **overrides: Any) -> uvicorn.Config:
    settings: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,
        "lifespan": "off",
        # Stop without waiting long for a "slow" fault still sleeping.
        "timeout_graceful_shutdown": 1,
    }
    settings.update(overrides)
    return uvicorn.Config(app, **settings)


class SandboxServer:
    """The emulator on 127.0.0.1 in a daemon thread; a context manager.

    ``port=0`` picks a free port; ``url`` tells which once started.
    """

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self.app = create_app(self.config)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.app.state.sandbox  # starlette's State holds Any
        return state

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    @property
    def base_urls(self) -> dict[str, str]:
        """The base URL to give each vendor's profile, e.g. ``http://127.0.0.1:PORT/qp``."""
        return base_urls(self.url)

    def start(self, timeout: float = 10.0) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("sandbox server already started")
        self._socket = _bind(self.host, self.port)
        self.port = self._socket.getsockname()[1]
        # log_config=None: in-process (under the TUI) uvicorn must not attach its own
        # handlers to stderr; records propagate to whatever logging the host set up.
        server = uvicorn.Server(_uvicorn_config(self.app, log_config=None))
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self._socket]},
            name=f"cxconsole-sandbox-{self.port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"sandbox server did not start on {self.url}")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    host: str,
    port: int,
    config: SandboxConfig,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C ends uvicorn, which then re-raises KeyboardInterrupt).

    ``on_ready`` gets the root URL once the port is bound (useful with ``port=0``).
    """
    sock = _bind(host, port)
    url = _url(host, sock.getsockname()[1])
    urls = " ".join(f"{vendor}={base}" for vendor, base in base_urls(url).items())
    log.info("cxconsole sandbox on %s: %s", url, urls)
    if on_ready is not None:
        on_ready(url)
    try:
        uvicorn.Server(_uvicorn_config(create_app(config))).run(sockets=[sock])
    finally:
        sock.close()
