"""The log file (``cxconsole.log`` in the state dir): rotated, private, and redacted.

Every handler gets the redacting filter, so neither our records nor httpx's request lines
(which carry Noojee's key in the URL) can write a secret to disk.
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler

from cxconsole.paths import ensure_private_dir, log_path
from cxconsole.redact import install_log_redaction

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: int = logging.INFO) -> None:
    """Log to the state dir; once per process. Never to the terminal: the TUI owns it."""
    root = logging.getLogger()
    if any(getattr(h, "_cxconsole", False) for h in root.handlers):
        return
    path = log_path()
    try:
        ensure_private_dir(path.parent)
        handler = RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
        os.chmod(path, 0o600)
    except OSError:
        return  # a read-only home must not stop the console; nothing is logged then
    handler.setFormatter(logging.Formatter(FORMAT))
    handler._cxconsole = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    install_log_redaction(root)
