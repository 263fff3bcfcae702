"""Settings of the sandbox: fault injection, latency, limits, and the secrets it accepts."""

from __future__ import annotations

from dataclasses import dataclass

VENDORS: tuple[str, ...] = ("questionpro", "expoints", "webex", "noojee")

# Each vendor is served under its prefix and, since the vendor paths never collide, at the root.
PREFIXES: dict[str, str] = {
    "questionpro": "/qp",
    "expoints": "/expoints",
    "webex": "/webex",
    "noojee": "/noojee",
}

# "drop" and "slow" strike before the request is applied; "drop_after" and "slow_after" after
# it was applied and recorded (the reply is lost, or late past the client's read timeout).
ALL_FAULTS: tuple[str, ...] = (
    "429",
    "500",
    "503",
    "drop",
    "slow",
    "http200",
    "malformed",
    "drop_after",
    "slow_after",
)

SANDBOX_SECRETS: dict[str, str] = {
    "questionpro": "qp-sandbox-key",
    "expoints": "xp-sandbox-token",
    "webex": "wx-sandbox-secret",
    "noojee": "nj-sandbox-key",
}

# The delay of the "slow" and "slow_after" faults; SandboxState.slow_delay_s copies it so a test
# can change it.
SLOW_FAULT_DELAY_S = 2.0

# Noojee's server runs "hardware threads / 2" inserts at once and fails a call queued for more
# than a minute with 109 (document 003). We emulate a small 4-thread box.
NOOJEE_MAX_CONCURRENT_INSERTS = 2
NOOJEE_QUEUE_TIMEOUT_S = 60.0


@dataclass
class SandboxConfig:
    """How the emulator behaves; every field has a default that suits a quick manual run."""

    latency_ms: int = 0
    fault_rate: float = 0.0
    seed: int = 7
    faults: tuple[str, ...] = ALL_FAULTS
    qp_rate_limit: int = 300
    qp_rate_period: float = 60.0
    tickets: int = 2600
    max_per_page: int = 100

    def __post_init__(self) -> None:
        # Accept a list from callers (JSON, argparse) but keep an immutable tuple.
        self.faults = tuple(self.faults)
        check_faults(self.fault_rate, self.faults, self.latency_ms)
        if self.qp_rate_limit < 1 or self.qp_rate_period <= 0:
            raise ValueError("qp_rate_limit must be >= 1 and qp_rate_period > 0")
        if self.tickets < 0 or self.max_per_page < 1:
            raise ValueError("tickets must be >= 0 and max_per_page >= 1")


def check_faults(rate: float, faults: tuple[str, ...], latency_ms: int) -> None:
    """Raise ValueError when fault settings are out of range or name an unknown kind."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault rate must be between 0 and 1, got {rate}")
    unknown = [kind for kind in faults if kind not in ALL_FAULTS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {unknown}; known: {', '.join(ALL_FAULTS)}")
    if latency_ms < 0:
        raise ValueError(f"latency_ms must be >= 0, got {latency_ms}")


def base_urls(root_url: str) -> dict[str, str]:
    """The base URL of each vendor under a sandbox reachable at ``root_url``."""
    root = root_url.rstrip("/")
    return {vendor: root + PREFIXES[vendor] for vendor in VENDORS}
