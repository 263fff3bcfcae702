"""What can stop an import before or while it runs, each naming the file, line or field at fault."""

from __future__ import annotations

from cxconsole.client import CXError


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


class MappingError(ImportProblem):
    """The mapping cannot work: an unknown column or field, or required fields left unmapped.

    ``missing`` names the required fields no column feeds; ``columns`` the columns in conflict.
    """

    def __init__(
        self, message: str, *, missing: tuple[str, ...] = (), columns: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.columns = columns


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
