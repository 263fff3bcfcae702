"""Field checks and conversions for one row: each written once, as one callable per column.

A check holds its own caches and its fast path comes first in its ``__call__``: e-mail domains
are validated once per domain (files hold few), phone numbers already in E.164 skip
``phonenumbers`` through a regular expression, and each date column remembers its recent
values and whether it writes the day or the month first. A check returns the value to send,
or raises :class:`RowError` naming the field and the reason. What a whole column needs decided
(the phone region of numbers without a country code, the day-or-month order of its dates) the
checks count as they go, for the pre-flight to decide before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, final

CACHE_LIMIT = 50_000  # entries per column cache before it is cleared (bounded memory)


@final  # the checks' caches tell it apart with `type(x) is RowError`
class RowError(Exception):
    """A value that cannot be sent: which field, and why (written to the rejects file)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


Check = Callable[[Any], Any]


# -- e-mail ------------------------------------------------------------------------------------
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


class EmailCheck:
    """E-mail syntax; the domain part is checked (and lower-cased, IDNA-encoded) once."""

    def __init__(self, field: str) -> None:
        self.field = field
        self._domains: dict[str, str | RowError] = {}

    def __call__(self, value: Any) -> str:
        text: str = value if value.__class__ is str else str(value)
        local, _, domain = text.rpartition("@")
        # The common case: a domain seen before, a plain local part, nothing to change.
        known = self._domains.get(domain)
        if known == domain and local and len(local) <= 64 and _LOCAL.fullmatch(local):
            return text
        return self._check(text)

    def _check(self, value: str) -> str:
        value = value.strip()
        local, at, domain = value.rpartition("@")
        if not at or not local:
            raise RowError(self.field, f"{value!r} is not an e-mail address (no local part or @)")
        known = self._domains.get(domain)
        if known is None:
            known = self._domain(domain)
        if type(known) is RowError:
            raise RowError(self.field, f"{value!r}: {known.reason}")
        if len(local) <= 64 and _LOCAL.fullmatch(local):
            return value if known == domain else f"{local}@{known}"
        return self._full(value)

    def _domain(self, domain: str) -> str | RowError:
        from email_validator import EmailNotValidError, validate_email

        try:
            result = validate_email(f"x@{domain}", check_deliverability=False)
            known: str | RowError = (result.ascii_domain or result.domain).lower()
        except EmailNotValidError as exc:
            known = RowError(self.field, str(exc))
        if len(self._domains) >= CACHE_LIMIT:
            self._domains.clear()
        self._domains[domain] = known
        return known

    def _full(self, value: str) -> str:
        """The rare address our fast path cannot judge (quoted, non-ASCII local part)."""
        from email_validator import EmailNotValidError, validate_email

        try:
            result = validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            raise RowError(self.field, f"{value!r}: {exc}") from None
        return result.ascii_email or result.normalized


# -- phone -------------------------------------------------------------------------------------
_E164 = re.compile(r"\+[1-9]\d{7,14}")
_SEPARATORS = str.maketrans("", "", " -().\u00a0/\t")
_DIGITS = re.compile(r"\d{10,11}")
# Digits, with an extension at the end at most: anything else is no phone number at all.
_PHONE_SHAPE = re.compile(r"\d{3,17}(?:(?:e?xt?\.?|extension|#|,|;ext=)\d{1,7})?", re.IGNORECASE)


class PhoneCheck:
    """Phone numbers to E.164 (``+61412345678``).

    A number with its country code (``+``, or ``00``) is taken as written once it has E.164's
    shape. A national number (``0412 345 678``) is read as ``region``'s and must be a valid
    number there; with no region it is rejected, and counted (with samples) so the pre-flight
    can propose the region under which the column's numbers are valid. An extension is never
    dropped silently: no vendor field holds one, so such a number is rejected saying so.
    """

    SAMPLES = 200  # national numbers kept to propose a region

    def __init__(self, field: str, region: str | None = None) -> None:
        import phonenumbers

        self.field = field
        self.region = region.upper() if region else None
        self._nanp = (
            self.region is not None and phonenumbers.country_code_for_region(self.region) == 1
        )
        self.national = 0  # numbers seen without a country code while no region was set
        self.samples: list[str] = []

    def __call__(self, value: Any) -> str:
        text: str = value if value.__class__ is str else str(value)
        if _E164.fullmatch(text):
            return text
        compact = text.strip().translate(_SEPARATORS)
        if compact.startswith("00"):
            compact = "+" + compact[2:]
        if _E164.fullmatch(compact):
            return compact
        if self._nanp and _DIGITS.fullmatch(compact):
            # North American numbers: 10 digits, or 11 starting with the country code 1.
            if len(compact) == 10 and compact[0] in "23456789":
                return "+1" + compact
            if len(compact) == 11 and compact[0] == "1" and compact[1] in "23456789":
                return "+" + compact
        return self._parse(text)

    def _parse(self, value: str) -> str:
        import phonenumbers

        text = value.strip()
        international = text.startswith(("+", "00"))
        if not _PHONE_SHAPE.fullmatch(text.translate(_SEPARATORS).lstrip("+")):
            raise RowError(self.field, f"{value!r} is not a phone number")
        if self.region is None and not international:
            self.national += 1
            if len(self.samples) < self.SAMPLES:
                self.samples.append(text)
            raise RowError(
                self.field,
                f"{value!r} has no country code, and no phone region is set to read it by",
            )
        try:
            number = phonenumbers.parse(text, None if international else self.region)
        except phonenumbers.NumberParseException as exc:
            raise RowError(self.field, f"{value!r} is not a phone number ({exc})") from None
        if number.extension:
            raise RowError(
                self.field,
                f"{value!r} has an extension ({number.extension}), which no field of the "
                "vendor holds: give the number without it, or in a column of its own",
            )
        if not phonenumbers.is_valid_number(number):
            digits = re.sub(r"\D", "", text)
            if not international and digits:
                # An international number written without its "+" (447911123456): taken
                # only when it is a valid number that way and is none in the region.
                try:
                    alt = phonenumbers.parse("+" + digits, None)
                except phonenumbers.NumberParseException:
                    alt = None
                if alt is not None and phonenumbers.is_valid_number(alt):
                    return phonenumbers.format_number(alt, phonenumbers.PhoneNumberFormat.E164)
            where = "" if international else f" in region {self.region}"
            raise RowError(self.field, f"{value!r} is not a valid phone number{where}")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


#: Regions tried when proposing one for a column of national numbers, in the order a tie
#: is broken: the vendors' markets first.
REGION_CANDIDATES = (
    "AU", "GB", "US", "NZ", "IE", "CA", "NL", "BE", "DE", "FR", "ES", "IT", "PT", "CH", "AT",
    "SE", "NO", "DK", "FI", "PL", "ZA", "IN", "SG", "AE", "SA", "BR", "MX",
)  # fmt: skip


def propose_region(samples: list[str]) -> tuple[str | None, int]:
    """The region under which most ``samples`` are valid numbers, and how many are."""
    import phonenumbers

    best, best_count = None, 0
    for region in REGION_CANDIDATES:
        count = 0
        for text in samples:
            try:
                if phonenumbers.is_valid_number(phonenumbers.parse(text, region)):
                    count += 1
            except phonenumbers.NumberParseException:
                continue
        if count > best_count:
            best, best_count = region, count
    return best, best_count


# -- dates -------------------------------------------------------------------------------------
_ISO = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:\s*([AaPp]\.?[Mm]\.?))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_DMY = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp]\.?[Mm]\.?)?)?"
)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
#: ISO 8601 as a vendor taking it reads it (no "/", AM/PM or space before the offset): sent
#: as written where the field takes ISO 8601 date-times (Z, -00:00, +0530 and a 7-digit
#: fraction are the operator's, and .NET's own form).
_ISO_AS_WRITTEN = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
#: No zone is further from UTC (Kiribati, +14:00; Baker Island, -12:00).
_MAX_OFFSET = timedelta(hours=14)


class TextCell(str):
    """An XLSX text cell that reads like a number (``"45000"``): the text written. Only a
    number cell can be an Excel serial number; the reader turns both into text, and marks
    this one so the two are not confused."""

    __slots__ = ()


_EXCEL_EPOCH = datetime(1899, 12, 30)
# Month names in English, whatever the process's locale (strptime's %b follows LC_TIME).
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}  # fmt: skip
_TIME = r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp]\.?[Mm]\.?))?)?"
_DAY_MONTH = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -],?\s*(\d{4}|\d{2})" + _TIME)
_MONTH_DAY = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})" + _TIME)


def _tz(text: str | None) -> timezone | None:
    """The offset, named as written (``Z``, ``+00:00``, ``+0530``) for the reasons given."""
    if not text:
        return None
    if text == "Z":
        return timezone(timedelta(0), "Z")
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])), text)


def _hour(text: str, field: str, hh: str | None, half: str | None) -> str | None:
    """The hour on a 24-hour clock: one reading of AM/PM for every vendor (12 AM is 00,
    12 PM is 12); a 12-hour time whose hour is not 1 to 12 ("13:00 PM") is refused."""
    if hh is None or not half:
        return hh
    hour = int(hh)
    pm = half[0] in "Pp"
    if not 1 <= hour <= 12:
        raise RowError(
            field,
            f"{text!r} has the hour {hh} with {'PM' if pm else 'AM'}: a 12-hour time runs "
            "from 1 to 12 (or write the time on a 24-hour clock, without AM/PM)",
        )
    return str(hour % 12 + (12 if pm else 0))


class DateCheck:
    """Dates and date-times as spreadsheets write them, out in the vendor's form.

    Reads ISO 8601 (with or without time and offset), dd/mm/yyyy and mm/dd/yyyy (with ``/``,
    ``-`` or ``.``; dots mean day first), "14 Jan 2020", the datetimes of XLSX cells and,
    from an XLSX file only (``serials``), Excel serial numbers: in a CSV or JSON file a bare
    number is no date, and is rejected, as is a two-digit year (no century is guessed).
    Day-or-month order: ``day_first`` when given; otherwise the column learns it from the
    first value that settles it (a part above 12), and a value that is still ambiguous is
    rejected with a reason rather than guessed.

    A value is sent only when the vendor's form holds all of it: a time of day (other than
    midnight) where the field takes a date only, a UTC offset where it takes none, seconds
    where it takes minutes, and a date alone where it needs a time are rejected, never cut,
    converted or filled in (the vendor's zone is not known, so an offset is never converted).
    """

    def __init__(
        self,
        field: str,
        out_format: str,
        *,
        kind: str = "date",
        day_first: bool | None = None,
        serials: bool = False,
    ) -> None:
        self.field = field
        self.out_format = out_format
        self.kind = kind
        self.day_first = day_first
        self.fixed = day_first is not None
        self.serials = serials
        self._cache: dict[str, str | RowError] = {}
        self.ambiguous = 0  # values read either way while the order was not settled
        self.examples: list[str] = []
        # What the vendor's form holds of a value (ISO 8601 date-times hold all of it).
        iso = out_format == "iso8601"
        whole = iso and kind == "datetime"
        self._time = whole or "%H" in out_format
        self._seconds = whole or "%S" in out_format
        self._fraction = whole or "%f" in out_format
        self._offset = whole or "%z" in out_format
        self._needs_time = not iso and "%H" in out_format
        self.form = "yyyy-MM-dd" if iso and not whole else _shown_form(out_format)

    def __call__(self, value: Any) -> str:
        if type(value) is str:
            hit = self._cache.get(value)
            if hit is not None:
                if type(hit) is RowError:
                    # A fresh exception: re-raising one object would grow its traceback.
                    raise RowError(hit.field, hit.reason)
                return hit
            text = value.strip()
            try:
                out: str | RowError = self.write(self.read(text), text)
            except RowError as exc:
                out = exc
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            self._cache[value] = out
            if type(out) is RowError:
                raise RowError(out.field, out.reason)
            return out
        if isinstance(value, (datetime, date)):
            return self.write(value)
        if isinstance(value, TextCell) and _SERIAL.fullmatch(value.strip()):
            raise RowError(
                self.field,
                f"{value.strip()!r} is text (a text cell), not a date: only a number cell "
                "holds an Excel serial number; write the date itself, or make the cell a date",
            )
        return self(str(value))

    # reading
    def read(self, text: str) -> date | datetime:
        match = _ISO.fullmatch(text)
        if match:
            y, mo, d, hh, mi, ss, frac, half, tz = match.groups()
            hh = _hour(text, self.field, hh, half)
            zone = _tz(tz)
            if zone is not None and abs(zone.utcoffset(None)) > _MAX_OFFSET:
                raise RowError(
                    self.field, f"{text!r} has the offset {tz}, beyond ±14:00: no zone has it"
                )
            return self._make(text, int(y), int(mo), int(d), hh, mi, ss, frac, zone)
        match = _DMY.fullmatch(text)
        if match:
            return self._dmy(text, match)
        if _SERIAL.fullmatch(text):
            serial = _EXCEL_EPOCH + timedelta(days=float(text))
            if self.serials:
                return serial
            raise RowError(
                self.field,
                f"{text!r} is a bare number, not a date: only an XLSX file holds Excel serial "
                f"numbers (as one it would be {serial.date().isoformat()}); write the date "
                "itself",
            )
        worded = self._worded(text)
        if worded is not None:
            return worded
        raise RowError(self.field, f"{text!r} is not a date this import can read")

    def _worded(self, text: str) -> date | datetime | None:
        """ "14 Jan 2020", "14-Jan-2020", "January 14, 2020", with an optional time."""
        match = _DAY_MONTH.fullmatch(text)
        if match:
            day, name, year, hh, mi, ss, half = match.groups()
        else:
            match = _MONTH_DAY.fullmatch(text)
            if not match:
                return None
            name, day, year, hh, mi, ss, half = match.groups()
        month = _MONTHS.get(name.lower())
        if month is None:
            return None
        hh = _hour(text, self.field, hh, half)
        number = self._year(text, year)
        if hh is None:
            return self._make(text, number, month, int(day), None, None, None, None, None)
        return self._make(text, number, month, int(day), hh, mi, ss, None, None)

    def _dmy(self, text: str, match: re.Match[str]) -> date | datetime:
        a, sep, b, y, hh, mi, ss, frac, half = match.groups()
        hh = _hour(text, self.field, hh, half)
        first, second = int(a), int(b)
        year = self._year(text, y)
        day_first = self.day_first
        if sep == "." and not self.fixed:
            day_first = True
        elif not self.fixed:
            if first > 12 >= second:
                day_first = self._learn(True)
            elif second > 12 >= first:
                day_first = self._learn(False)
            elif first != second and day_first is None:
                self.ambiguous += 1
                if len(self.examples) < 3:
                    self.examples.append(text)
                raise RowError(
                    self.field,
                    f"{text!r} is ambiguous (day or month first?) and no value of the "
                    "column settles it",
                )
        day, month = (first, second) if day_first or first == second else (second, first)
        return self._make(text, year, month, day, hh, mi, ss, frac, None)

    def _year(self, text: str, digits: str) -> int:
        """The year as written; two digits name no century, and guessing one would send
        ``01/01/69`` as 1969 or 2069 on a rule the operator never saw."""
        if len(digits) == 2:
            raise RowError(
                self.field,
                f"{text!r} has a two-digit year ({digits}): write the year in full "
                f"(19{digits} or 20{digits}?); the century is never guessed",
            )
        return int(digits)

    def _learn(self, day_first: bool) -> bool:
        if self.day_first is None:
            self.day_first = day_first
            # Values rejected as ambiguous before are not any more: emptied of them in place,
            # so whatever holds the cache keeps seeing the one dict.
            for key in [k for k, v in self._cache.items() if type(v) is RowError]:
                del self._cache[key]
        return day_first

    def _make(
        self,
        text: str,
        year: int,
        month: int,
        day: int,
        hh: str | None,
        mi: str | None,
        ss: str | None,
        frac: str | None,
        tz: timezone | None,
    ) -> date | datetime:
        if frac and len(frac) > 6 and frac[6:].strip("0") and not self._as_written(text):
            # A datetime holds microseconds: the digits after them would be cut.
            raise RowError(
                self.field,
                f"{text!r} has a fraction of a second finer than a microsecond ({len(frac)} "
                "digits), which no date field here holds: write at most 6 digits",
            )
        try:
            if hh is None and tz is None:
                return date(year, month, day)
            micro = int((frac or "0")[:6].ljust(6, "0"))
            return datetime(year, month, day, int(hh or 0), int(mi or 0), int(ss or 0), micro, tz)
        except ValueError as exc:
            raise RowError(self.field, f"{text!r} is not a real date ({exc})") from None

    # writing
    def write(self, value: date | datetime, text: str | None = None) -> str:
        """``value`` in the vendor's form; RowError when that form cannot hold all of it."""
        if isinstance(value, datetime):
            lost = self._lost(value)
            if lost:
                shown = text if text is not None else value.isoformat(sep=" ")
                raise RowError(self.field, f"{shown!r} {lost}")
        elif self._needs_time:
            shown = text if text is not None else value.isoformat()
            raise RowError(
                self.field,
                f"{shown!r} is a date without a time of day, and the field takes both "
                f"({self.form}): write the time too (00:00 for midnight)",
            )
        if self.out_format == "iso8601":
            if self.kind == "date":
                return (value.date() if isinstance(value, datetime) else value).isoformat()
            if text is not None and self._as_written(text):
                return text
            # Another form, written in ISO 8601: a date stays a date (no midnight is made
            # up), an offset in the file is kept and none is added (the host's zone is not
            # the operator's word).
            return value.isoformat()
        return value.strftime(self.out_format)

    def _as_written(self, text: str) -> bool:
        """Whether ``text`` goes to the vendor as written: ISO 8601 into an ISO date-time."""
        return (
            self.out_format == "iso8601"
            and self.kind == "datetime"
            and bool(_ISO_AS_WRITTEN.fullmatch(text))
        )

    def _lost(self, value: datetime) -> str | None:
        """What of ``value`` the vendor's form would drop, said for the rejects file."""
        if value.tzinfo is not None and not self._offset:
            offset = value.tzname() or ""  # as written, when read from text (_tz)
            if not offset or offset.startswith("UTC"):
                offset = value.strftime("%z")
                offset = "Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
            return (
                f"has a UTC offset ({offset}), which the field cannot hold ({self.form}), "
                "and the zone the vendor reads it in is not known to convert it: write it "
                "as the vendor should read it, without the offset"
            )
        if not self._time and value.time() != time():
            return (
                f"has a time of day ({value.strftime('%H:%M')}), which the field cannot "
                f"hold (a date only, {self.form}): write the date alone"
            )
        if self._time and not self._seconds and (value.second or value.microsecond):
            return f"has seconds, which the field cannot hold ({self.form})"
        if self._seconds and not self._fraction and value.microsecond:
            return f"has fractions of a second, which the field cannot hold ({self.form})"
        return None


_FORM_PARTS = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss"}


def _shown_form(out_format: str) -> str:
    """A strftime format as the vendors' documents write it (``%d/%m/%Y``: dd/MM/yyyy)."""
    return re.sub("%[YmdHMS]", lambda m: _FORM_PARTS[m.group()], out_format)


# -- small kinds ---------------------------------------------------------------------------------
class IntCheck:
    def __init__(self, field: str, limits: tuple[int, int] | None = None) -> None:
        self.field = field
        self.limits = limits

    def __call__(self, value: Any) -> int:
        text = str(value).strip()
        try:
            number = int(text)
        except ValueError:
            try:
                real = float(text)
            except ValueError:
                real = float("nan")
            if not real.is_integer():
                raise RowError(self.field, f"{text!r} is not a whole number") from None
            number = int(real)
        if self.limits is not None and not self.limits[0] <= number <= self.limits[1]:
            low, high = self.limits
            raise RowError(self.field, f"{number} is outside {low}-{high}")
        return number


_TRUE = frozenset({"true", "yes", "y", "1", "t", "x", "ja", "oui", "si"})
_FALSE = frozenset({"false", "no", "n", "0", "f", "nee", "nein", "non"})


class BoolCheck:
    def __init__(self, field: str) -> None:
        self.field = field

    def __call__(self, value: Any) -> bool:
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise RowError(self.field, f"{value!r} is not yes/no (true/false)")


class TextCheck:
    """Text the vendor's column holds at most ``max_length`` characters of: never cut."""

    def __init__(self, field: str, max_length: int) -> None:
        self.field = field
        self.max_length = max_length

    def __call__(self, value: Any) -> str:
        text = (value if value.__class__ is str else str(value)).strip()
        if len(text) > self.max_length:
            raise RowError(
                self.field,
                f"{len(text)} characters, more than the {self.max_length} its column holds",
            )
        return text


def make_check(
    kind: str,
    field: str,
    *,
    date_format: str,
    region: str | None = None,
    day_first: bool | None = None,
    limits: tuple[int, int] | None = None,
    max_length: int | None = None,
    serials: bool = False,
) -> Check | None:
    """The check for a field of ``kind``; None for plain text (trimmed, sent as it is)."""
    if kind == "email":
        return EmailCheck(field)
    if kind == "phone":
        return PhoneCheck(field, region)
    if kind in ("date", "datetime"):
        return DateCheck(field, date_format, kind=kind, day_first=day_first, serials=serials)
    if kind == "int":
        return IntCheck(field, limits)
    if kind == "bool":
        return BoolCheck(field)
    if max_length:
        return TextCheck(field, max_length)
    return None
