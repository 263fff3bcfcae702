"""Field checks: e-mail, phone to E.164, dates in and out of each vendor's form."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cxconsole.importing.validate import DateCheck, EmailCheck, PhoneCheck, RowError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("anna@example.com", "anna@example.com"),
        (" Anna@Example.COM ", "Anna@example.com"),
        ("o'brien+tag@sub.example.co.uk", "o'brien+tag@sub.example.co.uk"),
        ("ü@example.de", "ü@example.de"),
    ],
)
def test_valid_emails(value: str, expected: str) -> None:
    check = EmailCheck("E-mail")
    assert check(value) == expected
    assert check(value) == expected  # again, from the domain cache


@pytest.mark.parametrize(
    "value", ["no-at", "a@localhost", "a..b@example.com", "@example.com", "a@-x.com"]
)
def test_invalid_emails(value: str) -> None:
    with pytest.raises(RowError) as caught:
        EmailCheck("E-mail")(value)
    assert caught.value.field == "E-mail"


def test_email_domains_are_checked_once() -> None:
    check = EmailCheck("E-mail")
    for i in range(100):
        check(f"user{i}@example.com")
    assert list(check._domains) == ["example.com"]


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("+61412345678", "US", "+61412345678"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("(979) 660-8737", "US", "+19796608737"),
        ("0412 345 678", "AU", "+61412345678"),
        ("447911123456", "US", "+447911123456"),
    ],
)
def test_phones_to_e164(value: str, region: str, expected: str) -> None:
    assert PhoneCheck("Mobile", region)(value) == expected


def test_invalid_phone_names_the_region() -> None:
    with pytest.raises(RowError, match="region US"):
        PhoneCheck("Mobile", "US")("1234")
    with pytest.raises(RowError, match="not a valid phone number in region US"):
        PhoneCheck("Mobile", "US")("0412 345 678")  # an Australian mobile, not a US number


def test_a_national_number_without_a_region_is_counted_never_guessed() -> None:
    check = PhoneCheck("Mobile", None)
    with pytest.raises(RowError, match="no country code"):
        check("0412 345 678")
    assert check("+61412345678") == "+61412345678"  # with its country code: fine
    assert (check.national, check.samples) == (1, ["0412 345 678"])


def test_an_extension_is_never_dropped_silently() -> None:
    with pytest.raises(RowError, match="extension"):
        PhoneCheck("Mobile", "GB")("020 7946 0958 ext. 12")


def test_a_region_is_proposed_from_the_column() -> None:
    from cxconsole.importing.validate import propose_region

    samples = ["0412 345 678", "0423 456 789", "(02) 9876 5432", "0499 999 999"]
    assert propose_region(samples) == ("AU", 4)
    assert propose_region(["020 7123 4567", "07911 123456"])[0] == "GB"


@pytest.mark.parametrize("locale_name", ["C", "de_DE.UTF-8", "fr_FR.UTF-8"])
def test_month_names_read_the_same_in_every_locale(locale_name: str) -> None:
    import locale

    saved = locale.setlocale(locale.LC_TIME)
    try:
        try:
            locale.setlocale(locale.LC_TIME, locale_name)
        except locale.Error:
            locale.setlocale(locale.LC_TIME, "C")  # not installed here: the parser ignores it
        check = DateCheck("Date", "%d/%m/%Y")
        assert check("14 Jan 2020") == "14/01/2020"
        assert check("January 14, 2020") == "14/01/2020"
        assert check("14-Mar-2020") == "14/03/2020"
    finally:
        locale.setlocale(locale.LC_TIME, saved)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-01-14", "14/01/2020"),
        ("14/01/2020", "14/01/2020"),
        ("14.01.2020", "14/01/2020"),
        ("2020-01-14 00:00", "14/01/2020"),
        ("14 Jan 2020", "14/01/2020"),
        (dt.datetime(2020, 1, 14, 0, 0), "14/01/2020"),  # an XLSX date cell
    ],
)
def test_dates_in_questionpro_form(value: object, expected: str) -> None:
    assert DateCheck("Date", "%d/%m/%Y")(value) == expected


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2020-01-14T10:30:00Z", "UTC offset (Z)"),
        ("2020-01-14T00:00:00+05:00", "UTC offset (+05:00)"),
        ("43844", "bare number"),  # an Excel serial, in a CSV or JSON file
        (dt.datetime(2020, 1, 14, 9, 0), "time of day (09:00)"),
    ],
)
def test_what_a_date_only_field_cannot_hold_is_rejected(value: object, why: str) -> None:
    with pytest.raises(RowError, match=re.escape(why)):
        DateCheck("Date", "%d/%m/%Y")(value)


@pytest.mark.parametrize("value", ["01/01/69", "12/31/50", "14.01.26", "14-Jan-26"])
def test_a_two_digit_year_is_rejected_not_given_a_century(value: str) -> None:
    check = DateCheck("Date", "%d/%m/%Y")
    with pytest.raises(RowError, match=r"two-digit year.*write the year in full"):
        check(value)
    assert check.day_first is None  # nor does a rejected value settle the column's order


def test_excel_serials_are_dates_in_an_xlsx_file() -> None:
    assert DateCheck("Date", "%d/%m/%Y", serials=True)("43844") == "14/01/2020"


def test_iso_8601_keeps_an_offset_and_adds_none_for_expoints() -> None:
    check = DateCheck("SendDate", "iso8601", kind="datetime")
    assert check("2020-01-14T10:30:00+02:00") == "2020-01-14T10:30:00+02:00"
    assert check("14/01/2020") == "2020-01-14"  # a date stays a date: no midnight made up
    assert check("2020-01-14 10:30") == "2020-01-14T10:30:00"


def test_iso_8601_goes_to_an_iso_date_time_field_as_written() -> None:
    """It was re-written by Python: Z and -00:00 (RFC 3339: the offset is not known) became
    +00:00, +0530 became +05:30, a date alone got a midnight nobody wrote, and .NET's own
    7-digit fraction (Expoints' example) was refused."""
    check = DateCheck("SendDate", "iso8601", kind="datetime")
    for written in (
        "2026-01-14",
        "2026-01-14T10:30",
        "2026-01-14T10:30:00Z",
        "2026-01-14T10:30:00-00:00",
        "2026-01-14T10:30:00+0530",
        "2025-01-18T05:53:05.4618467+01:00",
    ):
        assert check(written) == written
    with pytest.raises(RowError, match=re.escape("offset +14:30, beyond ±14:00")):
        check("2026-01-14T10:30:00+14:30")
    with pytest.raises(RowError, match="not a real date"):
        check("2026-02-30T10:30:00Z")
    # Into a field that holds less, a 7-digit fraction is still refused, never cut.
    with pytest.raises(RowError, match="finer than a microsecond"):
        DateCheck("Call-back date", "%Y/%m/%d %H:%M:%S", kind="datetime")(
            "2026-01-14T10:30:00.1234567"
        )


def test_noojee_minutes_hold_no_seconds_and_need_a_time() -> None:
    check = DateCheck("Call-back date", "%Y/%m/%d %H:%M", kind="datetime")
    assert check("2020-01-14 10:30") == "2020/01/14 10:30"
    with pytest.raises(RowError, match="seconds"):
        check("2020-01-14 10:30:15")
    with pytest.raises(RowError, match="without a time of day"):
        check("2020-01-14")
    with pytest.raises(RowError, match=re.escape("UTC offset (-03:00)")):
        check("2020-01-14T10:30-03:00")


def test_ambiguous_dates_need_a_hint_or_a_deciding_row() -> None:
    check = DateCheck("Date", "%Y-%m-%d")
    with pytest.raises(RowError, match="ambiguous"):
        check("03/04/2020")
    assert (check.ambiguous, check.examples) == (1, ["03/04/2020"])
    assert check("13/04/2020") == "2020-04-13"  # settles day-first for the column
    assert check("03/04/2020") == "2020-04-03"
    assert DateCheck("Date", "%Y-%m-%d", day_first=False)("03/04/2020") == "2020-03-04"
    with pytest.raises(RowError, match="not a real date"):
        DateCheck("Date", "%Y-%m-%d", day_first=True)("01/13/2020")
