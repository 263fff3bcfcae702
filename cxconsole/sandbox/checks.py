"""Field checks the emulated vendors apply: e-mail, phone, and their date formats."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

# Deliberately simple: what a vendor's server-side check catches (no spaces, one @, a dot in
# the domain), not full RFC 5322.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_E164 = re.compile(r"^\+\d{8,15}$")
_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)


def is_email(value: Any) -> bool:
    return isinstance(value, str) and _EMAIL.match(value) is not None


def is_e164(value: Any) -> bool:
    return isinstance(value, str) and _E164.match(value) is not None


def is_dmy_date(value: Any) -> bool:
    """QuestionPro's ``dd/MM/yyyy``, and a real calendar day."""
    if not isinstance(value, str) or not (match := _DMY.match(value)):
        return False
    day, month, year = (int(part) for part in match.groups())
    return _is_day(year, month, day)


def is_iso8601(value: Any) -> bool:
    """A date or date-time in ISO 8601 as .NET reads it (up to 7 fraction digits, offsets)."""
    if not isinstance(value, str) or not (match := _ISO.match(value)):
        return False
    year, month, day = (int(part) for part in match.group(1, 2, 3))
    hour, minute, second = (int(part or 0) for part in match.group(4, 5, 6))
    return _is_day(year, month, day) and hour < 24 and minute < 60 and second < 60


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def parse_positive_int(value: str | None, default: int) -> int | None:
    """A query parameter as an integer >= 1, the default when absent, None when invalid."""
    if value is None:
        return default
    if not re.fullmatch(r"\d{1,9}", value.strip()):
        return None
    number = int(value)
    return number if number >= 1 else None
