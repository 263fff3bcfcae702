"""Webex's datastore columns come from the sandbox's metadata call: a GET, which the emulator
once refused with 405 like every non-POST, so their types and lengths were never used there."""

from __future__ import annotations

from pydantic import SecretStr

from cxconsole.client import CXClient
from cxconsole.profiles import Account, Profile
from cxconsole.sandbox.config import SANDBOX_SECRETS
from cxconsole.sandbox.server import SandboxServer
from cxconsole.vendors.webex import Webex


def account(url: str, datastore: str = "1466") -> Account:
    profile = Profile(
        name="t-webex",
        vendor="webex",
        base_url=url + "/webex",
        settings={"datastore-id": datastore, "feed-id": "1499"},
    )
    return Account.open(profile, SecretStr(SANDBOX_SECRETS["webex"]))


async def test_the_datastore_columns_are_read_with_their_types_and_lengths(
    sandbox_reset: SandboxServer,
):
    async with CXClient() as client:
        session = account(sandbox_reset.url).session(client)
        vendor = session.vendor
        assert isinstance(vendor, Webex)
        fields = {f.name: f for f in await vendor.fetch_fields(session)}
    assert set(fields) == {"msisdn", "firstname", "emailid", "Ref", "Joined", "city", "LastVisit"}
    assert fields["city"].max_length == 12 and fields["Joined"].kind == "date"
    assert fields["LastVisit"].kind == "datetime" and fields["LastVisit"].format == "iso8601"


async def test_an_unknown_datastore_gives_no_columns_and_the_columns_pass(
    sandbox_reset: SandboxServer,
):
    async with CXClient() as client:
        session = account(sandbox_reset.url, datastore="9999").session(client)
        vendor = session.vendor
        assert isinstance(vendor, Webex)
        assert await vendor.fetch_fields(session) == []
