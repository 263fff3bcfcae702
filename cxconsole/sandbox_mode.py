"""``--sandbox``: one ready profile per vendor, held in memory, against a running sandbox.

The sandbox is sealed: its context opens accounts with ``sandboxed=True`` (see
``profiles.Account.open``), so no profile can reach a host but the emulator on this machine.
"""

from __future__ import annotations

from cxconsole.keystore import MemoryStore, Secrets
from cxconsole.profiles import MemoryProfileStore, Profile

#: Profile settings that match the sandbox's seeded data.
SANDBOX_PROFILES: dict[str, tuple[str, str, dict[str, object]]] = {
    "sandbox-questionpro": ("questionpro", "/qp", {"workspace_id": 1}),
    "sandbox-expoints": ("expoints", "/expoints", {"is_test": True}),
    "sandbox-webex": ("webex", "/webex", {"datastore-id": "1466", "feed-id": "1499"}),
    "sandbox-noojee": (
        "noojee",
        "/noojee",
        {"template_id": 12, "campaign_id": 23, "allocation_id": 34},
    ),
}


def sandbox_profiles(url: str) -> tuple[MemoryProfileStore, Secrets]:
    from cxconsole.sandbox.config import SANDBOX_SECRETS

    profiles = [
        Profile(name=name, vendor=vendor, base_url=url.rstrip("/") + prefix, settings=settings)
        for name, (vendor, prefix, settings) in SANDBOX_PROFILES.items()
    ]
    secrets = MemoryStore({p.name: SANDBOX_SECRETS[p.vendor] for p in profiles})
    return MemoryProfileStore(profiles), Secrets(secrets)


def base_url_hint(url: str | None, vendor: str) -> str:
    """What the credentials form says of the base URL in the sandbox: required, and where.

    An empty base URL would mean the vendor's own host, which the sandbox refuses (a sandbox
    profile reaches only the emulator), so the vendor's "leave empty" does not hold here.
    """
    from cxconsole.sandbox.config import PREFIXES

    root = url.rstrip("/") if url else "the emulator's address"
    where = f"{root}{PREFIXES[vendor]}" if vendor in PREFIXES else f"{root}/…"
    return f"required in the sandbox (no vendor host is reached): {where}"
