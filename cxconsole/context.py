"""What every screen and command shares: profiles, secrets, the one client, the error history."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxconsole.client import CXClient, get_client
from cxconsole.history import ErrorHistory
from cxconsole.keystore import Secrets, default_store
from cxconsole.profiles import Account, ConnectionLog, ProfileStore


@dataclass
class Context:
    profiles: ProfileStore
    secrets: Secrets
    sandbox_url: str | None = None
    errors: ErrorHistory = field(default_factory=ErrorHistory)
    tests: ConnectionLog = field(default_factory=ConnectionLog)

    @classmethod
    def default(cls) -> Context:
        return cls(ProfileStore(), Secrets(default_store()))

    @classmethod
    def for_sandbox(cls, url: str) -> Context:
        from cxconsole.sandbox_mode import sandbox_profiles

        profiles, secrets = sandbox_profiles(url)
        return cls(profiles, secrets, sandbox_url=url, tests=ConnectionLog(memory=True))

    @property
    def client(self) -> CXClient:
        return get_client()

    def account(self, name: str) -> Account:
        """The profile with its secret. May block on the keyring: call it from a thread."""
        profile = self.profiles.get(name)
        return Account.open(profile, self.secrets.get(name))
