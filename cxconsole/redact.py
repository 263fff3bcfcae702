"""Keeping secrets out of logs, messages and tracebacks.

Every secret the process loads is registered here; a logging filter and the text helpers replace
it wherever it appears. URLs also lose the values of known secret query parameters (Noojee's
``apiKey``) whether or not the secret was registered first; auth headers are added only at send
time (see ``vendors.base``), so no header map of ours holds one.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "•••"

SECRET_PARAMS = frozenset({"apikey", "api_key", "api-key", "token", "access_token", "key"})

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_QUERY_SECRET = re.compile(
    r"(?i)([?&](?:" + "|".join(re.escape(p) for p in sorted(SECRET_PARAMS)) + r")=)[^&#\s\"']*"
)


def register_secret(value: str | None) -> None:
    """Remember a secret so that every later redaction removes it."""
    global _pattern
    # Very short values would mask ordinary words; the sandbox secrets are long enough.
    if not value or len(value) < 4:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        alternatives = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in alternatives))


def redact_text(text: str) -> str:
    """Mask every registered secret and every secret query parameter in ``text``."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)


def redact_url(url: object) -> str:
    return redact_text(str(url))


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
