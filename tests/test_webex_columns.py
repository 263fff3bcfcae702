"""Webex's datastore columns come from the sandbox's metadata call: a GET, which the emulator
once refused with 405 like every non-POST, so their types and lengths were never used there."""

from __future__ import annotations

import pytest
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


async def test_an_unknown_datastore_is_said_by_the_test_and_the_import(
    sandbox_reset: SandboxServer,
):
    """ "Key accepted", and an import that sent the columns unchecked without a word, for a
    datastore Webex did not know (every batch then failed)."""
    from cxconsole.errors import FieldsUnread
    from cxconsole.importing.prepare import target_fields

    async with CXClient() as client:
        session = account(sandbox_reset.url, datastore="9999").session(client)
        vendor = session.vendor
        assert isinstance(vendor, Webex)
        with pytest.raises(FieldsUnread, match=r"datastore 9999 could not be read \(HTTP 404"):
            await vendor.fetch_fields(session)
        report = await vendor.test_connection(session)
        assert report.ok and report.summary.startswith("Key accepted")
        assert any("datastore 9999 could not be read" in w for w in report.warnings), report
        warnings: list[str] = []
        _fields, extra = await target_fields(
            account(sandbox_reset.url, "9999"), client, warnings=warnings
        )
        assert extra == [] and "unchecked" in warnings[0]  # the columns pass, said so

        good = account(sandbox_reset.url).session(client)
        report = await vendor.test_connection(good)
        assert report.summary == "Key accepted; datastore columns: 7" and not report.warnings
