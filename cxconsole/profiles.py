"""Profiles: a vendor account's non-secret settings, kept as TOML under the config dir.

The secret is never here: :mod:`cxconsole.keystore` holds it. :class:`Account` joins a profile,
its vendor adapter, its validated settings, its base URL and its secret, ready to make calls.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from cxconsole.client import CXClient
from cxconsole.errors import ProfileError
from cxconsole.paths import config_dir, state_dir
from cxconsole.vendors import VENDOR_NAMES, get_vendor
from cxconsole.vendors.base import ConnectionReport, Vendor, VendorSettings

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class Profile(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    vendor: str
    base_url: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    phone_region: str | None = None

    @field_validator("vendor")
    @classmethod
    def _vendor(cls, value: str) -> str:
        if value not in VENDOR_NAMES:
            raise ValueError(f"unknown vendor {value!r}; choose one of {', '.join(VENDOR_NAMES)}")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"base URL {value!r} must start with http:// or https://")
        return value.rstrip("/")

    @property
    def adapter(self) -> Vendor:
        return get_vendor(self.vendor)

    def vendor_settings(self) -> VendorSettings:
        try:
            return self.adapter.settings_model.model_validate(self.settings)
        except ValidationError as exc:
            raise ProfileError(f"profile {self.name!r}: {_explain(exc)}") from None

    def resolved_base_url(self) -> str:
        try:
            return self.adapter.base_url(self.base_url, self.vendor_settings())
        except ValueError as exc:
            raise ProfileError(f"profile {self.name!r}: {exc}") from None


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
        if not self.path.exists():
            return {}
        try:
            data = tomllib.loads(self.path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{self.path}: not valid TOML ({exc})") from None
        profiles: dict[str, Profile] = {}
        for name, table in data.get("profiles", {}).items():
            try:
                profiles[name] = Profile.model_validate({"name": name, **table})
            except ValidationError as exc:
                raise ProfileError(f"{self.path}: profile {name!r}: {_explain(exc)}") from None
        return profiles

    def save(self, profiles: dict[str, Profile]) -> None:
        tables = {
            p.name: p.model_dump(exclude={"name"}, exclude_none=True) for p in profiles.values()
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps({"profiles": tables}), "utf-8")
        os.replace(tmp, self.path)

    def get(self, name: str) -> Profile:
        profiles = self.load()
        if name not in profiles:
            known = ", ".join(sorted(profiles)) or "none yet"
            raise ProfileError(f"no profile named {name!r} (profiles: {known})")
        return profiles[name]

    def put(self, profile: Profile, *, replace: bool = True) -> None:
        profile.vendor_settings()  # refuse settings the vendor does not know
        profiles = self.load()
        if not replace and profile.name in profiles:
            raise ProfileError(f"a profile named {profile.name!r} exists already")
        profiles[profile.name] = profile
        self.save(profiles)

    def remove(self, name: str) -> None:
        profiles = self.load()
        if profiles.pop(name, None) is None:
            raise ProfileError(f"no profile named {name!r}")
        self.save(profiles)

    def rename(self, old: str, new: str) -> Profile:
        profiles = self.load()
        if old not in profiles:
            raise ProfileError(f"no profile named {old!r}")
        if new in profiles:
            raise ProfileError(f"a profile named {new!r} exists already")
        profile = profiles.pop(old).model_copy(update={"name": new})
        Profile.model_validate(profile.model_dump())
        profiles[new] = profile
        self.save(profiles)
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


@dataclass(slots=True)
class Account:
    """A profile ready to call its vendor."""

    profile: Profile
    vendor: Vendor
    settings: VendorSettings
    base: str
    secret: SecretStr

    @classmethod
    def open(cls, profile: Profile, secret: SecretStr) -> Account:
        return cls(
            profile, profile.adapter, profile.vendor_settings(), profile.resolved_base_url(), secret
        )

    async def test(self, client: CXClient) -> ConnectionReport:
        return await self.vendor.test_connection(client, self.base, self.secret, self.settings)


class ConnectionLog:
    """The last "test connection" outcome per profile, kept in the state dir for the home screen."""

    def __init__(self, path: Path | None = None, *, memory: bool = False) -> None:
        self.path = path or state_dir() / "profile-tests.json"
        self._memory: dict[str, dict[str, Any]] | None = {} if memory else None

    def load(self) -> dict[str, dict[str, Any]]:
        if self._memory is not None:
            return dict(self._memory)
        try:
            return json.loads(self.path.read_text("utf-8"))
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
