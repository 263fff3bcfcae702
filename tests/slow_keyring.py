"""A keyring backend that answers only once a test opens its gate (a file appears).

Stands in for a slow Secret Service (one waiting on an unlock prompt): the real one cannot be
made slow on purpose. The test sees ``<gate>.waiting`` when a lookup has started.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from keyring.backend import KeyringBackend


class GatedKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        gate = Path(os.environ["SLOW_KEYRING_GATE"])
        Path(f"{gate}.waiting").write_text(username)
        deadline = time.monotonic() + 60
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return os.environ.get("SLOW_KEYRING_SECRET")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError("read-only test backend")

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError("read-only test backend")
