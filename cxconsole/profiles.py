"""Profiles: a vendor account's non-secret settings, kept as TOML under the config dir.

The secret is never here: :mod:`cxconsole.keystore` holds it, and a base URL that carries one
(``user:password@``, ``?apiKey=``) is refused; an older file that still holds such a URL is read,
its credentials registered for redaction. :class:`Account` joins a profile, its vendor adapter,
its validated settings, its base URL and its secret, ready to make calls (``Account.session``
binds them to the shared client): it is the one place a profile becomes callable, so the
sandbox's seal (loopback hosts only) is enforced there.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w
from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from cxconsole.client import CXClient
from cxconsole.errors import OutsideSandbox, ProfileError
from cxconsole.paths import config_dir, state_dir
from cxconsole.redact import redact_url, register_url_secrets, url_credentials
from cxconsole.vendors import get_vendor, vendor_names
from cxconsole.vendors.base import ConnectionReport, Vendor, VendorSettings
from cxconsole.vendors.session import VendorSession

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


#: Validation context for profiles read back from the file: tolerate what is refused on input.
STORED = {"stored": True}


class Profile(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    vendor: str
    base_url: str | None = None
    #: Where national phone numbers in this profile's files are from (a phonenumbers region).
    phone_region: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("vendor")
    @classmethod
    def _vendor(cls, value: str) -> str:
        names = vendor_names()
        if value not in names:
            raise ValueError(f"unknown vendor {value!r}; choose one of {', '.join(names)}")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"base URL {redact_url(value)!r} must start with http:// or https://")
        found, _ = url_credentials(value)
        if (info.context or {}).get("stored"):
            register_url_secrets(value)  # an older file: read it, mask it wherever it shows
            return value.rstrip("/")
        if found:
            raise ValueError(
                f"the base URL carries a credential ({', '.join(found)}): give the URL without "
                "it and keep the secret in the keyring as the profile's secret"
            )
        parts = urlsplit(value)
        if parts.query or parts.fragment:
            raise ValueError(
                "the base URL takes no query string or fragment: vendor paths are appended to it"
            )
        try:
            port = parts.port  # raises on "host:abc" or "host:1:2"
        except ValueError:
            port = -1
        if port is not None and not 0 < port < 65536:
            raise ValueError(f"the base URL {value!r} has no valid port (1-65535)")
        return value.rstrip("/")

    @field_validator("phone_region")
    @classmethod
    def _phone_region(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        import phonenumbers

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                f"phone region {value.strip()!r} is not a region code of the phone-number "
                "library (two letters such as AU, DE, FR, GB, US)"
            )
        return region

    @property
    def credentials_in_url(self) -> list[str]:
        """What credential an older profile's base URL still carries (values never included)."""
        return url_credentials(self.base_url)[0] if self.base_url else []

    @property
    def adapter(self) -> Vendor:
        return get_vendor(self.vendor)

    def vendor_settings(self) -> VendorSettings:
        try:
            return self.adapter.settings_model.model_validate(self.settings)
        except ValidationError as exc:
            first = exc.errors()[0]["loc"] if exc.errors() else ()
            raise ProfileError(
                f"profile {self.name!r}: {_explain(exc)}",
                profile=self.name,
                setting=".".join(str(p) for p in first) or None,
            ) from None

    def resolved_base_url(self, *, for_calls: bool = False) -> str:
        """The API root calls go to. Shown, it is masked: an older profile's URL may carry a
        credential (never one saved now); ``for_calls`` gives it as the file holds it."""
        try:
            base = self.adapter.base_url(self.base_url, self.vendor_settings())
        except ValueError as exc:
            raise ProfileError(
                f"profile {self.name!r}: {exc}", profile=self.name, setting="base_url"
            ) from None
        return base if for_calls else redact_url(base)

    def host(self) -> str:
        """The host this profile's calls go to (the vendor's default host when no base URL)."""
        return urlsplit(self.resolved_base_url(for_calls=True)).hostname or ""

    def account_identity(self) -> dict[str, Any]:
        """Which account this profile's records go to (see :func:`account_identity`)."""
        return account_identity(
            self.adapter, self.resolved_base_url(for_calls=True), self.vendor_settings()
        )


def account_identity(vendor: Vendor, base: str, settings: VendorSettings) -> dict[str, Any]:
    """Which account records go to: the vendor, the API root and the settings that choose the
    account or target (``Vendor.account_settings``). Never the secret: a credential an older
    base URL carries is masked, and scheme and host are compared without case."""
    parts = urlsplit(redact_url(base))
    root = parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()
    chosen = {name: getattr(settings, name, None) for name in vendor.account_settings}
    return {"vendor": vendor.name, "base": root.rstrip("/"), "settings": chosen}


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_sandbox_reach(profile: Profile) -> None:
    """Raise :class:`OutsideSandbox` unless the profile's calls stay on this machine."""
    host = profile.host()
    if not is_loopback(host):
        raise OutsideSandbox(profile.name, host or "(no host)")


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "value"
        parts.append(f"setting {where}: {err['msg']}")
    return "; ".join(parts)


class ProfileStore:
    """``profiles.toml``: one table per profile. Written atomically, never holds a secret."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "profiles.toml"

    def load(self) -> dict[str, Profile]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{self.path}: cannot be read ({exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(f"{self.path}: not valid TOML ({exc})") from None
        profiles: dict[str, Profile] = {}
        for name, table in data.get("profiles", {}).items():
            try:
                profiles[name] = Profile.model_validate({"name": name, **table}, context=STORED)
            except ValidationError as exc:
                raise ProfileError(
                    f"{self.path}: profile {name!r}: {_explain(exc)}", profile=name
                ) from None
        return profiles

    def save(self, profiles: dict[str, Profile]) -> None:
        tables = {
            p.name: p.model_dump(exclude={"name"}, exclude_none=True) for p in profiles.values()
        }
        data = tomli_w.dumps({"profiles": tables}).encode()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise ProfileError(f"{self.path}: cannot be written ({exc}); nothing changed") from None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time across processes: a change is read, applied and written whole."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            yield
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path.with_name(".profiles.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ProfileError(f"{self.path}: cannot be locked ({exc}); nothing changed") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def get(self, name: str) -> Profile:
        profiles = self.load()
        if name not in profiles:
            known = ", ".join(sorted(profiles)) or "none yet"
            raise ProfileError(f"no profile named {name!r} (profiles: {known})", profile=name)
        return profiles[name]

    def put(self, profile: Profile, *, replace: bool = True, old_name: str | None = None) -> None:
        """Save ``profile`` in one write; with ``old_name`` it replaces that one (a rename)."""
        profile.vendor_settings()  # refuse settings the vendor does not know
        with self._locked():
            profiles = self.load()
            renaming = old_name is not None and old_name != profile.name
            if renaming and old_name not in profiles:
                raise ProfileError(f"no profile named {old_name!r}", profile=old_name)
            if (renaming or not replace) and profile.name in profiles:
                raise ProfileError(
                    f"a profile named {profile.name!r} exists already", profile=profile.name
                )
            # The environment names a profile's secret CXCONSOLE_SECRET_<NAME> with punctuation
            # as "_" and upper case: two names that read the same variable would share a key,
            # and one profile's secret would go to the other's host.
            from cxconsole.settings import secret_env_var

            variable = secret_env_var(profile.name)
            for other in profiles:
                if other not in (profile.name, old_name) and secret_env_var(other) == variable:
                    raise ProfileError(
                        f"profile {profile.name!r} would read its secret from {variable}, as "
                        f"profile {other!r} does: choose a name that differs in more than "
                        "punctuation or case",
                        profile=profile.name,
                    )
            if renaming:
                # Keep the file's order: the renamed profile takes the old one's place.
                profiles = {
                    (profile.name if k == old_name else k): (profile if k == old_name else v)
                    for k, v in profiles.items()
                }
            profiles[profile.name] = profile
            self.save(profiles)

    def remove(self, name: str) -> Profile:
        with self._locked():
            profiles = self.load()
            removed = profiles.pop(name, None)
            if removed is None:
                raise ProfileError(f"no profile named {name!r}", profile=name)
            self.save(profiles)
            return removed

    def restore(self, profile: Profile, *, instead_of: str | None = None) -> None:
        """Put back a profile a failed change had removed or renamed (no checks: it was saved)."""
        with self._locked():
            profiles = self.load()
            if instead_of is not None:
                profiles.pop(instead_of, None)
            profiles[profile.name] = profile
            self.save(profiles)

    def rename(self, old: str, new: str) -> Profile:
        current = self.get(old)
        profile = Profile.model_validate({**current.model_dump(), "name": new}, context=STORED)
        self.put(profile, old_name=old)
        return profile


class MemoryProfileStore(ProfileStore):
    """Profiles held in memory: sandbox mode never touches the user's files."""

    def __init__(self, profiles: list[Profile] | None = None) -> None:
        super().__init__(Path("/nonexistent/profiles.toml"))
        self._profiles = {p.name: p for p in profiles or []}

    def load(self) -> dict[str, Profile]:
        return dict(self._profiles)

    def save(self, profiles: dict[str, Profile]) -> None:
        self._profiles = dict(profiles)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        yield


@dataclass(slots=True)
class Account:
    """A profile ready to call its vendor."""

    profile: Profile
    vendor: Vendor
    settings: VendorSettings
    base: str
    secret: SecretStr

    @classmethod
    def open(cls, profile: Profile, secret: SecretStr, *, sandboxed: bool = False) -> Account:
        """The profile ready to call; ``sandboxed`` (sandbox mode) refuses any host but the
        emulator's, so no path of the sandbox can reach a vendor."""
        if sandboxed:
            check_sandbox_reach(profile)
        return cls(
            profile,
            profile.adapter,
            profile.vendor_settings(),
            profile.resolved_base_url(for_calls=True),
            secret,
        )

    @property
    def identity(self) -> dict[str, Any]:
        """Which account this is, as a run's journal records it (no secret)."""
        return account_identity(self.vendor, self.base, self.settings)

    def session(self, client: CXClient) -> VendorSession:
        """The account's vendor bound to it: every call to the vendor goes through this."""
        return VendorSession(self.vendor, client, self.base, self.secret, self.settings)

    async def test(self, client: CXClient) -> ConnectionReport:
        """The vendor's connection test, warned of any setting an import cannot go without
        (a key that works says nothing of a missing template id)."""
        report = await self.vendor.test_connection(self.session(client))
        for problem in self.vendor.import_problems(self.settings):
            warning = f"imports will be refused: {problem}"
            if warning not in report.warnings:
                report.warnings.append(warning)
        return report


class ConnectionLog:
    """The last "test connection" outcome per profile, kept in the state dir for the home screen."""

    def __init__(self, path: Path | None = None, *, memory: bool = False) -> None:
        self.path = path or state_dir() / "profile-tests.json"
        self._memory: dict[str, dict[str, Any]] | None = {} if memory else None

    def load(self) -> dict[str, dict[str, Any]]:
        if self._memory is not None:
            return dict(self._memory)
        try:
            tests: dict[str, dict[str, Any]] = json.loads(self.path.read_text("utf-8"))
            return tests
        except (OSError, ValueError):
            return {}

    def record(self, profile: str, ok: bool, summary: str) -> None:
        data = self.load()
        data[profile] = {
            "ok": ok,
            "summary": summary,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if self._memory is not None:
            self._memory = data
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(data, indent=2), "utf-8")
