"""What every screen and command shares: profiles, secrets, the one client, the error history."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr

from cxconsole.client import CXClient, get_client
from cxconsole.errorlog import ErrorHistory
from cxconsole.keystore import Secrets, default_store
from cxconsole.profile_book import ProfileBook
from cxconsole.profiles import (
    Account,
    ConnectionLog,
    Profile,
    ProfileStore,
    check_sandbox_reach,
)


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
    def sandboxed(self) -> bool:
        """Sandbox mode: every account is sealed to the emulator on this machine."""
        return self.sandbox_url is not None

    @property
    def client(self) -> CXClient:
        return get_client()

    @property
    def book(self) -> ProfileBook:
        """Profile changes, each done whole or not at all."""
        return ProfileBook(self.profiles, self.secrets, sandboxed=self.sandboxed)

    def open_account(self, profile: Profile, secret: SecretStr) -> Account:
        """A profile (saved or not) ready to call, sealed to the emulator in sandbox mode."""
        return Account.open(profile, secret, sandboxed=self.sandboxed)

    def account(self, name: str) -> Account:
        """The profile with its secret. May block on the keyring: call it from a thread."""
        profile = self.profiles.get(name)
        if self.sandboxed:
            check_sandbox_reach(profile)  # before the secret is read: the host is the reason
        self._check_env_secret_is_its_own(name)
        return self.open_account(profile, self.secrets.get(name))

    def _check_env_secret_is_its_own(self, name: str) -> None:
        """A profile file from before names were checked may hold two profiles that read one
        environment variable (``qp-eu``, ``qp_eu``): its secret is then nobody's to send."""
        import os

        from cxconsole.errors import ProfileError
        from cxconsole.settings import secret_env_var as env_var

        variable = env_var(name)
        if not os.environ.get(variable):
            return
        sharing = [n for n in self.profiles.load() if n != name and env_var(n) == variable]
        if sharing:
            raise ProfileError(
                f"{variable} is set, but profiles {', '.join(map(repr, [name, *sharing]))} "
                "all read it: rename all but one (cxconsole profile rename) before using it",
                profile=name,
            )
