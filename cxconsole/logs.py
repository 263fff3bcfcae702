"""The log file (``cxconsole.log`` in the state dir): rotated, private, redacted, and quiet.

Every handler gets the redacting filter, so neither our records nor httpx's request lines
(which carry Noojee's key in the URL) can write a secret to disk. A log that cannot be written
(a full disk, EIO, a read-only file system) never raises into the code that logged and never
prints: logging's own ``handleError`` writes a traceback to stderr, which is the operator's
terminal (and a pipe nobody reads can block). The failure is kept instead, for the core to
check with :func:`failure` or to hear of through :func:`on_failure`.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import cast

from cxconsole.paths import ensure_private_dir, log_path
from cxconsole.redact import redact_text

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True, slots=True)
class LogFailure:
    """The log could not be opened or written: which file, and the ``OSError`` it got."""

    path: Path
    error: OSError

    @property
    def reason(self) -> str:
        """``ENOSPC``, ``EIO``, ``EROFS``...; the error's own words when it has no errno."""
        code = self.error.errno
        if code is not None and code in errno.errorcode:
            return errno.errorcode[code]
        return str(self.error) or type(self.error).__name__


_lock = threading.Lock()
_failure: LogFailure | None = None
_listeners: list[Callable[[LogFailure], None]] = []


def failure() -> LogFailure | None:
    """The first failure of the log since start (or since :func:`clear_failure`), or None."""
    with _lock:
        return _failure


def clear_failure() -> None:
    """Forget the failure (after the operator freed space); the next one is reported anew."""
    global _failure
    with _lock:
        _failure = None


def on_failure(listener: Callable[[LogFailure], None]) -> Callable[[], None]:
    """Call ``listener`` (from the thread that logged) when the log first fails.

    Returns a function that removes the listener.
    """
    with _lock:
        _listeners.append(listener)

    def remove() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return remove


def _report(path: Path, error: OSError) -> None:
    global _failure
    with _lock:
        if _failure is not None:
            return
        _failure = found = LogFailure(path, error)
        listeners = list(_listeners)
    for listener in listeners:
        # A listener's bug must not turn a log failure into a crash of the code that logged.
        with contextlib.suppress(Exception):
            listener(found)


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


class LogFile(RotatingFileHandler):
    """The rotating log file: created owner-only; a failed write is reported, never raised."""

    def _open(self) -> io.TextIOWrapper:
        # Rotation creates a new file too: owner-only from the start, whatever the umask.
        stream = open(  # noqa: SIM115 - the handler owns the stream
            self.baseFilename,
            self.mode,
            encoding=self.encoding,
            errors=self.errors,
            opener=_private,
        )
        if stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            os.fchmod(stream.fileno(), 0o600)  # a file left by an older version
        # The handler's mode is a text mode ("a"); typeshed cannot tell that from a str.
        return cast(io.TextIOWrapper, stream)

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            _report(Path(self.baseFilename), error)
        # Anything else (a record whose arguments do not format) loses that record only.

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            _report(Path(self.baseFilename), error)

    def close(self) -> None:
        try:
            super().close()
        except OSError as error:  # the last flush at exit, on a full disk
            _report(Path(self.baseFilename), error)


def setup_logging(level: int = logging.INFO) -> None:
    """Log to the state dir; once per process. Never to the terminal: the TUI owns it.

    A log that cannot be opened (a read-only home) does not stop the console: nothing is
    logged then, and :func:`failure` says why.
    """
    root = logging.getLogger()
    if any(isinstance(h, LogFile) for h in root.handlers):
        return
    path = log_path()
    try:
        ensure_private_dir(path.parent)
        handler = LogFile(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    except OSError as error:
        _report(path, error)
        return
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    install_log_redaction(root)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to the handlers of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
