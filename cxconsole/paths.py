"""Where cxconsole keeps things: settings in the config dir, runs and logs in the state dir.

Both honour the XDG variables (through platformdirs), so tests run in a temporary home.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_state_path

APP_NAME = "cxconsole"


def config_dir() -> Path:
    return user_config_path(APP_NAME, appauthor=False, ensure_exists=False)


def state_dir() -> Path:
    return user_state_path(APP_NAME, appauthor=False, ensure_exists=False)


def remembered_mappings(profile: str) -> Path:
    """Where the import set-up keeps the mappings chosen in ``profile``, one file per set of
    column headers: they follow the profile (renamed, removed)."""
    return config_dir() / "mappings" / profile


def runs_dir() -> Path:
    return state_dir() / "runs"


def log_path() -> Path:
    return state_dir() / "cxconsole.log"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only: run journals hold customer data."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        path.chmod(0o700)
    return path
