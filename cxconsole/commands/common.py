"""What the headless commands share: the context (the sandbox's, or the user's) and exit codes."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_AUTH, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


@contextlib.contextmanager
def command_context(args: argparse.Namespace) -> Iterator[Any]:
    """The context for a command: with ``--sandbox`` an in-process emulator and its profiles."""
    from cxconsole.context import Context
    from cxconsole.keystore import Secrets, default_store
    from cxconsole.logs import setup_logging
    from cxconsole.profiles import ProfileStore
    from cxconsole.settings import load_settings

    setup_logging()
    if getattr(args, "sandbox", False):
        from cxconsole.sandbox.server import SandboxServer

        with SandboxServer() as server:
            yield Context.for_sandbox(server.url)
        return
    settings, _ = load_settings()
    yield Context(ProfileStore(), Secrets(default_store(settings.secret_store)))


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"cxconsole: {message}", file=sys.stderr)
    return code
