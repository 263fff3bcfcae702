"""A vendor bound to one account: its base URL, its secret, its settings and the shared client.

Every network call of an adapter takes one :class:`VendorSession`, as an ``httpx.Client`` holds
its ``base_url`` and ``auth``: paths are joined to the base URL here, the rate-limit key is
derived here, and the secret is handed to the vendor's ``httpx.Auth``, which adds it only when a
request is sent, so no :class:`~cxconsole.client.CallSpec` and no repr holds it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from cxconsole.client import CallSpec, CXClient, Reply, RetryInfo

if TYPE_CHECKING:
    from cxconsole.vendors.base import Vendor, VendorSettings


@dataclass(frozen=True, slots=True)
class VendorSession:
    """One account's calls to its vendor, through the process's shared client."""

    vendor: Vendor
    client: CXClient = field(repr=False, compare=False)
    base: str
    secret: SecretStr = field(repr=False)
    settings: VendorSettings

    @property
    def key(self) -> str:
        """The rate-limit and concurrency lane of this secret (not reversible to it)."""
        return key_id(self.vendor.name, self.secret)

    def url(self, path: str) -> str:
        """``path`` under the base URL, which may carry a path prefix. A URL already under
        the base (a batch's, built from it) is taken as it is; any other text, a full URL to
        elsewhere included, is a path under the base: the secret never leaves its host."""
        if path.startswith(self.base.rstrip("/") + "/"):
            return path
        return self.vendor.url(self.base, path)

    def spec(
        self,
        method: str,
        path_or_url: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> CallSpec:
        """The call, with the vendor's auth (applied at send time) and this secret's key."""
        return CallSpec(
            method=method,
            url=self.url(path_or_url),
            key=self.key,
            params=params,
            headers=headers,
            json=json,
            content=content,
            auth=self.vendor.auth(self.secret, self.settings),
            idempotent=idempotent,
            what=what,
        )

    async def send(
        self,
        method: str,
        path_or_url: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
        on_retry: Callable[[RetryInfo], Any] | None = None,
    ) -> Reply:
        """Make the call through the shared client under the vendor's policy."""
        spec = self.spec(
            method,
            path_or_url,
            what=what,
            params=params,
            json=json,
            content=content,
            headers=headers,
            idempotent=idempotent,
        )
        return await self.client.send(spec, self.vendor.policy, on_retry=on_retry)


def key_id(vendor: str, secret: SecretStr) -> str:
    """A stable, non-reversible id of a key: rate limits are per key."""
    digest = hashlib.sha256(secret.get_secret_value().encode()).hexdigest()[:12]
    return f"{vendor}:{digest}"
