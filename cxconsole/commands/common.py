"""What the headless commands share: the context (the sandbox's, or the user's) and exit codes."""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import Callable, Iterator

TYPE_CHECKING = False  # typing costs milliseconds: `codes` and `decode` start through here
if TYPE_CHECKING:
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


def with_context(
    run: Callable[[argparse.Namespace, Any], int],
) -> Callable[[argparse.Namespace], int]:
    """A command handler that gets the command's context (see :func:`command_context`)."""

    @functools.wraps(run)
    def handler(args: argparse.Namespace) -> int:
        with command_context(args) as ctx:
            return run(args, ctx)

    return handler


def guarded(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command so that no traceback reaches the operator: every failure is a message
    naming what failed, with the details in the (redacted) log."""
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        print("cxconsole: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        # Only loaded when something raised one: a headless command stays light.
        import logging

        client = sys.modules.get("cxconsole.client")
        if client is not None and isinstance(exc, client.CXError):
            return fail(str(exc), EXIT_USAGE)
        if isinstance(exc, OSError):
            where = f" {exc.filename}" if exc.filename else ""
            _log_exception(logging.getLogger("cxconsole"), "command failed")
            return fail(f"cannot use{where}: {exc.strerror or exc}", EXIT_FAILED)
        _log_exception(logging.getLogger("cxconsole"), "command failed")
        return fail(
            f"internal error ({type(exc).__name__}); the details are in the log", EXIT_FAILED
        )


def _log_exception(log: Any, message: str) -> None:
    # With no handler set up, logging would print the traceback on stderr (its last resort).
    if log.hasHandlers():
        with contextlib.suppress(Exception):
            log.exception(message)


def fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"cxconsole: {message}", file=sys.stderr)
    return code


def positive_int(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def print_vendor_error(command: str, exc: Any) -> None:
    """A vendor error decoded on stderr: what happened, what it means, what to do."""
    decoded = getattr(exc, "decoded", None)
    entry = getattr(exc, "entry", None)
    print(f"cxconsole {command}: {exc}", file=sys.stderr)
    if decoded is not None and decoded.message and decoded.message not in str(exc):
        print(f"  vendor says: {decoded.message}", file=sys.stderr)
    if entry is not None:
        print(f"  {entry.vendor} {entry.code} {entry.name}: {entry.meaning}", file=sys.stderr)
        print(f"  what to do: {entry.action_for('cli', command)}", file=sys.stderr)
