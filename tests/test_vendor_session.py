"""A vendor bound to an account: paths under its base URL, auth added only when a request is
sent, one rate-limit key per secret; against the sandbox on 127.0.0.1."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from pydantic import SecretStr

from cxconsole.client import CXClient
from cxconsole.errors import VendorError
from cxconsole.profiles import Account, Profile
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer

TEMPLATES = "/servicemanager/rest/CampaignAPI/getCampaignTemplateList"


def open_account(base_url: str, vendor: str, secret: str | None = None) -> Account:
    profile = Profile(name=f"s-{vendor}", vendor=vendor, base_url=base_url)
    return Account.open(profile, SecretStr(secret or SANDBOX_SECRETS[vendor]))


class Wire(list[httpx.Request]):
    """The requests as they leave httpx, after every auth flow (an httpx request hook)."""

    async def __call__(self, request: httpx.Request) -> None:
        self.append(request)


def watched_client(wire: Wire) -> CXClient:
    return CXClient(http=httpx.AsyncClient(event_hooks={"request": [wire]}))


async def test_an_account_gives_its_session() -> None:
    acc = open_account("http://127.0.0.1:9/qp", "questionpro")
    async with CXClient() as client:
        session = acc.session(client)
        assert session.client is client and session.vendor is acc.vendor
        assert (session.base, session.secret, session.settings) == (
            acc.base,
            acc.secret,
            acc.settings,
        )
        with pytest.raises(dataclasses.FrozenInstanceError):
            session.base = "http://elsewhere"  # type: ignore[misc]


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:9/prefix/v", "http://127.0.0.1:9/prefix/v/"]
)
async def test_paths_are_joined_under_a_base_url_with_a_path_prefix(base_url: str) -> None:
    async with CXClient() as client:
        session = open_account(base_url, "noojee").session(client)
        root = "http://127.0.0.1:9/prefix/v"
        assert session.url(TEMPLATES) == root + TEMPLATES
        assert session.url(TEMPLATES.lstrip("/")) == root + TEMPLATES
        # A URL built from the base already (a batch's) is taken as it is ...
        assert session.url(root + "/x?y=1") == root + "/x?y=1"
        # ... any other one stays a path under the base: the key never goes to another host.
        elsewhere = session.url("https://vendor.example/x")
        assert elsewhere == root + "/https://vendor.example/x"
        assert httpx.URL(elsewhere).host == "127.0.0.1"
        assert session.spec("GET", TEMPLATES, what="t").url == root + TEMPLATES


async def test_a_session_reaches_a_base_url_with_a_prefix(sandbox_reset: SandboxServer) -> None:
    async with CXClient() as client:
        session = open_account(sandbox_reset.url + "/noojee", "noojee").session(client)
        reply = await session.send("GET", TEMPLATES, what="templates", idempotent=True)
        templates = await session.vendor.entities(session, "getCampaignTemplateList")  # type: ignore[attr-defined]
    assert reply.status == 200 and reply.json()["code"] == 0
    assert [t.id for t in templates] == [e["id"] for e in reply.json()["entities"]]


@pytest.mark.parametrize(
    ("vendor", "path", "method"),
    [("noojee", TEMPLATES, "GET"), ("questionpro", "/a/api/v2/cx/tickets/detractors", "POST")],
)
async def test_the_secret_is_added_at_send_time_and_held_by_no_spec_or_repr(
    sandbox_reset: SandboxServer, vendor: str, path: str, method: str
) -> None:
    secret = SANDBOX_SECRETS[vendor]
    prefix = {"noojee": "/noojee", "questionpro": "/qp"}[vendor]
    wire = Wire()
    async with watched_client(wire) as client:
        session = open_account(sandbox_reset.url + prefix, vendor).session(client)
        spec = session.spec(method, path, what="probe", json={}, idempotent=True)
        # What we build and keep holds no secret; only the request on the wire does.
        for text in (repr(spec), spec.url, str(spec.params), str(spec.headers), repr(session)):
            assert secret not in text
        reply = await session.send(method, path, what="probe", json={}, idempotent=True)
    assert reply.status == 200  # the sandbox refuses a call without the key
    sent = wire[-1]
    carried = sent.url.params.get("apiKey") if vendor == "noojee" else sent.headers["api-key"]
    assert carried == secret
    assert spec.url == session.url(path) and "apiKey" not in spec.url


async def test_a_wrong_secret_is_refused_through_the_session(sandbox_reset: SandboxServer) -> None:
    async with CXClient() as client:
        session = open_account(sandbox_reset.url + "/noojee", "noojee", "wrong-1").session(client)
        with pytest.raises(VendorError) as info:
            await session.send("GET", TEMPLATES, what="templates", idempotent=True)
    assert info.value.is_auth and "wrong-1" not in str(info.value)


async def test_each_secret_has_its_own_key() -> None:
    base = "http://127.0.0.1:9/noojee"
    async with CXClient() as client:
        one = open_account(base, "noojee", "key-one-123").session(client)
        again = open_account(base, "noojee", "key-one-123").session(client)
        two = open_account(base, "noojee", "key-two-456").session(client)
        other_vendor = open_account(base, "webex", "key-one-123").session(client)
    assert one.key == again.key != two.key
    assert one.key.startswith("noojee:") and other_vendor.key.startswith("webex:")
    assert "key-one-123" not in one.key and "key-two-456" not in two.key
    assert one.spec("GET", TEMPLATES, what="t").key == one.key
    assert two.spec("GET", TEMPLATES, what="t").key == two.key


async def test_sessions_of_two_secrets_use_two_lanes_of_one_client(
    sandbox_reset: SandboxServer,
) -> None:
    """The client's concurrency and rate limits hold per key: a session's key picks its lane."""
    base = sandbox_reset.url + "/noojee"
    async with CXClient() as client:
        right = open_account(base, "noojee").session(client)
        wrong = open_account(base, "noojee", "another-key-7").session(client)
        await right.send("GET", TEMPLATES, what="templates", idempotent=True)
        with pytest.raises(VendorError):
            await wrong.send("GET", TEMPLATES, what="templates", idempotent=True)
        lanes = set(client._lanes)
    assert lanes == {("noojee", right.key), ("noojee", wrong.key)}
