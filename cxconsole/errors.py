"""The errors the core raises on purpose, in one tree; messages are redacted when made.

Our exception hierarchy:

* CXError
  + VendorError            a vendor said no, or could not be reached (carries the catalog entry)
    - UnknownOutcome       the request went out, its reply was lost
    - Unreachable          nothing reached the vendor
  + ProfileError           a profile cannot be read, found or saved
    - OutsideSandbox       in sandbox mode, a profile that points elsewhere
  + TicketsError           a ticket query that cannot be made as asked
  + FieldsUnread           an account's own fields (a Webex datastore's) could not be read
  + ImportProblem          the user must change something before an import can run
    - InputError           the file cannot be read as rows
    - MappingError         the mapping cannot work
    - OptionNotApplicable  an option the file's format has no use for (a sheet for a CSV)
    - ProfileIncomplete    a profile lacks a setting every batch needs (a Noojee template id)
    - ResumeError          a run cannot be resumed
    - AlreadyImported      the same file goes, or went, into the same profile in another run
    - RegionNeeded         phone numbers without a country code, and no region to read them
    - DateOrderNeeded      a date column that reads day-first and month-first alike
    - EncodingNeeded       a file that declares no encoding and is not UTF-8: only guessed
    - ColumnsNotSent       columns holding values that no field takes and no one chose to skip
    - SetupError           (in importing.setup) an import set-up that cannot start
  + KeyringUnavailable     (in keystore) no keyring can be used
  + SecretMissing          (in keystore) a profile has no secret
  + DiskError              (in storage) a file could not be written, naming its disk
  + OutputPathError        (in storage) a path to write to is unusable

The classes marked "in" build their message from their own module's helpers (the keyring
guidance, the disk description, the set-up's problems) and still live there; they subclass
this tree. Outside the tree, on purpose: ``importing.validate.RowError`` (one bad value, raised
and caught per row on the hot path, written to the rejects file) and ``importing.sending.Stop``
(control flow that ends a run). The modules that defined the classes here still export them.

Each error carries structured fields (vendor, status, code, path, line, ...); each face words
its own hint from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxconsole.redact import redact_text, redact_url

if TYPE_CHECKING:
    from cxconsole.catalog.entry import CatalogEntry, Decoded

__all__ = [
    "AlreadyImported",
    "CXError",
    "ColumnsNotSent",
    "DateOrderNeeded",
    "EncodingNeeded",
    "FieldsUnread",
    "ImportProblem",
    "InputError",
    "MappingError",
    "OptionNotApplicable",
    "OutsideSandbox",
    "ProfileError",
    "ProfileIncomplete",
    "RegionNeeded",
    "ResumeError",
    "TicketsError",
    "UnknownOutcome",
    "Unreachable",
    "VendorError",
]


class CXError(Exception):
    """Base of every error the core raises on purpose; messages are already redacted."""

    def __init__(self, message: str) -> None:
        super().__init__(redact_text(message))

    @property
    def message(self) -> str:
        return str(self)


class VendorError(CXError):
    """A vendor said no (or could not be reached): carries the decoded catalog entry."""

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        entry: CatalogEntry | None,
        status: int | None = None,
        code: str | None = None,
        url: str = "",
        what: str = "",
        attempts: int = 1,
        decoded: Decoded | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(message)
        self.vendor = vendor
        self.entry = entry
        self.status = status
        self.code = code if code is not None else (entry.code if entry else None)
        self.url = redact_url(url)
        self.what = what
        self.attempts = attempts
        self.decoded = decoded
        self.body = redact_text(body.decode("utf-8", "replace"))[:20_000]

    @property
    def is_auth(self) -> bool:
        return self.status in (401, 403, 498) or (
            self.entry is not None and self.entry.name in {"UNAUTHORIZED", "FORBIDDEN"}
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vendor!r}, code={self.code!r}, status={self.status})"


class UnknownOutcome(VendorError):
    """The request went out but its reply was lost: the vendor may or may not have acted."""


class Unreachable(VendorError):
    """Nothing reached the vendor: DNS, refused connection, TLS, or connect timeout."""


class ProfileError(CXError):
    """A profile that cannot be read, found or saved; names the profile and the setting."""

    def __init__(
        self, message: str, *, profile: str | None = None, setting: str | None = None
    ) -> None:
        super().__init__(message)
        self.profile = profile
        self.setting = setting


class OutsideSandbox(ProfileError):
    """Sandbox mode reaches only the emulator: this profile points at another host."""

    def __init__(self, profile: str, host: str) -> None:
        super().__init__(
            f"profile {profile!r} points at {host}, not at the sandbox: in sandbox mode a "
            "profile may reach only the emulator on this machine (127.0.0.1, ::1, localhost)",
            profile=profile,
            setting="base_url",
        )
        self.host = host


class FieldsUnread(CXError):
    """The account's own fields (a Webex datastore's columns) could not be read: the file's
    columns then go as they are, unchecked, and the operator is told so."""


class TicketsError(CXError):
    """A ticket query that cannot be made as asked (wrong vendor, bad page size, bad path)."""


class ImportProblem(CXError):
    """Base of the import's own errors: the user must change something (exit code 2)."""


class InputError(ImportProblem):
    """The file cannot be read as rows: empty, binary, truncated, no header, a line too long,
    a byte that does not decode, an unterminated quote, a stray line end, a NUL character.

    ``line`` is the 1-based physical line of the file (the sheet row for XLSX); ``context``
    the lines around it with that line marked (empty when there is none to show); ``kind`` a
    short tag a face may word its hint from: "encoding", "quote", "newline", "nul", "header",
    "size" or "".
    """

    def __init__(
        self,
        message: str,
        *,
        path: object = None,
        line: int | None = None,
        context: str = "",
        kind: str = "",
    ) -> None:
        where = str(path) if path is not None else ""
        if line is not None:
            where = f"{where}, line {line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.context = context
        self.kind = kind


class ProfileIncomplete(ImportProblem):
    """The profile lacks a setting every batch needs (a Noojee template id): nothing is sent.

    ``profile`` names the profile, ``problems`` what its vendor says is missing.
    """

    def __init__(self, profile: str, problems: list[str]) -> None:
        super().__init__(f"profile {profile!r} cannot be imported into: " + "; ".join(problems))
        self.profile = profile
        self.problems = problems


class OptionNotApplicable(ImportProblem):
    """An option given for the import that this file cannot use (a sheet for a CSV file):
    refused rather than ignored. ``option`` is the :class:`ImportOptions` field, ``format``
    the format the file is read as."""

    def __init__(self, message: str, *, option: str, format: str) -> None:
        super().__init__(message)
        self.option = option
        self.format = format


class MappingError(ImportProblem):
    """The mapping cannot work: an unknown column or field, or required fields left unmapped.

    ``missing`` names the required fields no column feeds; ``columns`` the columns in conflict;
    ``conflict`` the two options (as written) that disagree;
    ``one_column`` is set when a CSV file was read as a single column (its delimiter is likely
    not the one used): the delimiter its one header holds, or "" when it holds none.
    """

    def __init__(
        self,
        message: str,
        *,
        missing: tuple[str, ...] = (),
        columns: tuple[str, ...] = (),
        one_column: str | None = None,
        conflict: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.columns = columns
        self.one_column = one_column
        self.conflict = conflict


class ResumeError(ImportProblem):
    """A run cannot be resumed: unknown run, finished run, changed file, or changed options.

    ``option`` names the option that differs from the run's (with both values), so each face
    can word its own hint.
    """

    def __init__(
        self,
        message: str,
        *,
        run_id: str | None = None,
        option: str | None = None,
        run_value: object = None,
        given_value: object = None,
    ) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.option = option
        self.run_value = run_value
        self.given_value = given_value


class AlreadyImported(ImportProblem):
    """The same file content goes, or went, into the same profile in another run.

    ``running``: that run is sending it now (never two at once). Otherwise it imported rows
    of it before, and only the operator's explicit word (``again``) sends the file again.
    """

    def __init__(self, message: str, *, run_id: str, running: bool) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.running = running


class RegionNeeded(ImportProblem):
    """Phone numbers without a country code, and no region to read them by: ``proposed`` is
    the region under which most of them are valid numbers (``valid`` of ``sampled``)."""

    def __init__(
        self, field: str, count: int, proposed: str | None, valid: int, sampled: int
    ) -> None:
        share = f"{valid} of {sampled} sampled are valid {proposed} numbers" if proposed else ""
        super().__init__(
            f"{field}: {count:,} phone number(s) have no country code and no phone region is "
            "set" + (f"; {share}" if share else "") + "; nothing was sent"
        )
        self.field, self.count = field, count
        self.proposed, self.valid, self.sampled = proposed, valid, sampled


class DateOrderNeeded(ImportProblem):
    """A date column whose values read either way and that no value settles."""

    def __init__(self, field: str, count: int, examples: list[str]) -> None:
        shown = ", ".join(repr(e) for e in examples)
        super().__init__(
            f"{field}: {count:,} date(s) such as {shown} read either day or month first, and "
            "no value of the column settles it; nothing was sent"
        )
        self.field, self.count, self.examples = field, count, examples


class EncodingNeeded(ImportProblem):
    """A file that does not say its encoding (no BOM, none chosen) and is not UTF-8: read as
    ``encoding``, a guess, only once the operator says so. ``line`` is the first line whose
    bytes are not UTF-8, ``text`` that line as the guess reads it."""

    def __init__(self, encoding: str, line: int, text: str) -> None:
        super().__init__(
            f"the file does not say its encoding and is not UTF-8; read as {encoding} (a "
            f"guess), its line {line} is: {text}; nothing was sent"
        )
        self.encoding, self.line, self.text = encoding, line, text


class ColumnsNotSent(ImportProblem):
    """Columns that hold values but would not be sent: no field takes them, and the operator
    has not said to leave them out. ``columns`` names them (``said``: each with why);
    ``left_out`` describes every column that would not be sent (JSON-ready: column, reason,
    filled, field, by)."""

    def __init__(
        self, columns: tuple[str, ...], said: tuple[str, ...], left_out: list[dict[str, object]]
    ) -> None:
        count = f"{len(columns)} column{'s' if len(columns) != 1 else ''}"
        super().__init__(f"{count} would not be sent: " + ", ".join(said))
        self.columns = columns
        self.left_out = left_out
