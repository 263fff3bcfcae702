"""One import being set up, the same for both faces: the file, the profile, the mapping and
every option, checked as they change, with typed problems; and the preview (the first rows and
the first batch's body), made by the code the run uses.

The CLI builds one from its arguments and prepares the run; the import screen keeps one and
renders it after each change. Neither holds a rule of its own: a batch size above the vendor's
limit, a required field left unmapped, a column chosen twice, a column with values that no
field takes and nobody chose to skip are all said here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxconsole.client import get_client
from cxconsole.errors import CXError
from cxconsole.importing.errors import ColumnsNotSent, ImportProblem, MappingError
from cxconsole.importing.mapping import (
    IGNORE,
    ColumnMapping,
    FieldIndex,
    LeftOut,
    Override,
    auto_map,
    check_left_out,
    check_mapping,
    displaced,
    find_header,
    left_out,
    resolve_overrides,
)
from cxconsole.importing.options import ImportOptions, resolve_region
from cxconsole.importing.sniff import Sniff, sniff

if TYPE_CHECKING:
    from cxconsole.client import CXClient
    from cxconsole.errorlog import ErrorHistory
    from cxconsole.importing.runner import ImportRun
    from cxconsole.profiles import Account
    from cxconsole.vendors.base import TargetField

from cxconsole.vendors.base import FieldValues

SKIP = "__skip__"  # a choice: the column is left out
AS_IS = "__as_is__"  # a choice: a passthrough vendor gets the column under its own header
PREVIEW_ROWS = 12


@dataclass(frozen=True, slots=True)
class SetupProblem:
    """What keeps a set-up from starting: its subject names the part at fault."""

    subject: str  # file | profile | fields | mapping | columns | batch_size | concurrency | ...
    message: str
    value: object = None
    limit: int | None = None


class SetupError(ImportProblem):
    """A set-up that cannot start, with its problems (the first is the message)."""

    def __init__(self, problems: Sequence[SetupProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class PreviewRow:
    line: int
    values: dict[str, str]  # key sent -> value sent, as text
    problem: str | None  # why the row would be rejected


@dataclass(frozen=True, slots=True)
class Preview:
    """The first rows as the vendor would get them, and the first batch's request body."""

    columns: list[tuple[str, str]]  # (key sent, label)
    rows: list[PreviewRow]
    body: str = ""  # the JSON body of the first batch of these rows, as it would be sent

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r.problem)

    def problems(self) -> list[str]:
        return [f"line {r.line}: {r.problem}" for r in self.rows if r.problem]


@dataclass
class ImportSetup:
    """File, profile, mapping choices and options; every getter is derived, never stale."""

    account: Account | None = None
    fields: list[TargetField] = field(default_factory=list)
    sniffed: Sniff | None = None
    path: Path | None = None
    encoding: str | None = None
    sheet: str | None = None
    json_key: str | None = None
    format: str | None = None
    delimiter: str | None = None
    # header -> field name, SKIP or AS_IS, in the order chosen (a later choice wins)
    choices: dict[str, str] = field(default_factory=dict)
    batch_size: int | None = None  # None: the vendor's default
    concurrency: int | None = None
    region: str | None = None
    day_first: bool | None = None
    # field -> a value every record gets where the file gives none; what the vendor offers
    values: dict[str, str] = field(default_factory=dict)
    offered: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    # -- the file --------------------------------------------------------------------------
    async def open_file(
        self,
        path: str | os.PathLike[str],
        *,
        encoding: str | None = None,
        sheet: str | None = None,
        json_key: str | None = None,
        format: str | None = None,
        delimiter: str | None = None,
        rows: int = PREVIEW_ROWS,
    ) -> Sniff:
        """Read what ``path`` is and its first rows; raises the reader's InputError."""
        path = Path(path)  # the faces expand "~": the core takes paths as given
        found = await asyncio.to_thread(
            sniff,
            path,
            rows=rows,
            encoding=encoding,
            sheet=sheet,
            json_key=json_key,
            format=format,
            delimiter=delimiter,
        )
        if path != self.path:
            self.choices.clear()  # another file, other columns
        self.path, self.sniffed = path, found
        self.encoding, self.sheet, self.json_key, self.format = encoding, sheet, json_key, format
        self.delimiter = delimiter
        return found

    # -- the profile -------------------------------------------------------------------------
    async def open_profile(self, account: Account, client: CXClient | None = None) -> None:
        """Take ``account`` and the fields its vendor offers (Expoints' are fetched)."""
        from cxconsole.importing.prepare import target_fields

        self.warnings = []  # the last profile's are not this one's
        fields, _columns = await target_fields(account, client, warnings=self.warnings)
        offered: dict[str, list[tuple[str, str]]] = {}
        vendor = account.vendor
        if isinstance(vendor, FieldValues):
            try:
                offered = await vendor.field_values(account.session(client or get_client()))
            except CXError as exc:
                self.warnings.append(f"the values {vendor.title} offers could not be read: {exc}")
        if self.account is not None and self.account.vendor.name != account.vendor.name:
            # A mapping belongs to a vendor's fields, numbers to its limits: never carried
            # to another vendor.
            self.choices.clear()
            self.values.clear()
            self.batch_size = self.concurrency = None
        self.account, self.fields = account, list(fields)
        self.offered = offered

    # -- remembered mappings ------------------------------------------------------------------
    def _memory(self) -> Path | None:
        """Where this profile's choices for files with these headers are kept."""
        if self.account is None or self.sniffed is None:
            return None
        from cxconsole.paths import remembered_mappings

        digest = hashlib.sha256("\x1f".join(self.sniffed.headers).encode()).hexdigest()[:16]
        return remembered_mappings(self.account.profile.name) / f"{digest}.json"

    def recall(self) -> bool:
        """The choices made last time for this profile and these headers, if any were kept
        (and only for the same vendor). Returns whether any were applied."""
        where = self._memory()
        if where is None or self.choices or not where.is_file():
            return False
        try:
            data = json.loads(where.read_text("utf-8"))
        except (OSError, ValueError):
            return False
        assert self.account is not None
        if not isinstance(data, dict) or data.get("vendor") != self.account.vendor.name:
            return False
        choices = data.get("choices")
        if not isinstance(choices, dict):
            return False
        headers = set(self._headers())
        for header, choice in choices.items():
            if isinstance(header, str) and isinstance(choice, str) and header in headers:
                self.choose(header, choice)
        return bool(self.choices)

    def remember(self) -> None:
        """Keep the choices for this profile and these headers (best effort: never fatal)."""
        where = self._memory()
        if where is None or self.account is None:
            return
        data = {"vendor": self.account.vendor.name, "choices": self.choices}
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_text(json.dumps(data, indent=2, ensure_ascii=False), "utf-8")
        except OSError:
            pass  # a mapping not remembered costs a choice next time, never a row

    # -- the mapping -------------------------------------------------------------------------
    def choose(self, header: str, choice: str) -> None:
        """Map ``header`` onto a field name, SKIP or AS_IS; the latest choice applies last."""
        self.choices.pop(header, None)
        self.choices[header] = choice

    def reset_mapping(self) -> None:
        self.choices.clear()

    def override(self, text: str | Override) -> None:
        """A ``COLUMN=FIELD`` override (``COLUMN=`` leaves it out), checked strictly."""
        self.overrides([text])

    def overrides(self, given: Sequence[str | Override]) -> None:
        """Explicit choices, checked together: two that disagree (one column given two
        fields, one field two columns) are refused naming both, before any is applied."""
        resolved = resolve_overrides(
            given, self._headers(), self.fields, passthrough=self._passthrough
        )
        for header, name in resolved:
            self.choose(header, SKIP if name == IGNORE else name)

    def skip_unmapped(self) -> list[str]:
        """Mark every column that is not sent as skipped (the operator's word for all of
        them at once); returns the columns so marked."""
        marked = [c.column for c in self.left_out() if not c.skipped]
        for header in marked:
            self.choose(header, SKIP)
        return marked

    def left_out(
        self, filled: Sequence[str] | None = None, *, whole_file: bool = False
    ) -> list[LeftOut]:
        """The columns not sent; ``filled`` (default: those with a value in the rows read
        so far) are known to hold values, and with ``whole_file`` the others hold none."""
        mapping = self.mapping
        if mapping is None or self.sniffed is None:
            return []
        if filled is None:
            filled = self._filled_in_preview()
        return left_out(mapping, self.sniffed.headers, self.fields, filled, whole_file=whole_file)

    def _filled_in_preview(self) -> list[str]:
        # No line: the operator sees these values in the first rows shown.
        assert self.sniffed is not None
        headers = self.sniffed.headers
        seen: set[str] = set()
        for _line, values in self.sniffed.rows:
            if len(values) == 1 and values[0].startswith("<") and len(headers) > 1:
                continue  # a row the reader could not read: its problem, not its values
            for header, value in zip(headers, values, strict=False):
                if value and not value.isspace():
                    seen.add(header)
        return [h for h in headers if h in seen]

    def apply_saved(self, saved: ColumnMapping, *, strict: bool = False) -> list[str]:
        """A saved mapping's choices; returns notes (columns this file lacks, unknown fields).

        Refuses a mapping made for another vendor. With ``strict``, an unknown field is an
        error rather than a note.
        """
        assert self.account is not None, "open a profile first"
        vendor = self.account.vendor
        if saved.vendor and saved.vendor != vendor.name:
            raise MappingError(f"the mapping is for {saved.vendor}, not {vendor.name}")
        headers = self._headers()
        index = FieldIndex(self.fields)
        notes: list[str] = []
        for column, target in saved.columns.items():
            header = find_header(headers, column)
            if header is None:
                notes.append(f"the saved mapping's column {column!r} is not in this file")
                continue
            if target == IGNORE:
                self.choose(header, SKIP)
                continue
            found = index.resolve(target)
            if found is None and not vendor.passthrough:
                if strict:
                    raise MappingError(f"the saved mapping names an unknown field {target!r}")
                notes.append(f"unknown field {target!r} (column {header!r}) left out")
                continue
            self.choose(header, found.name if found else target)
        return notes

    @property
    def mapping(self) -> ColumnMapping | None:
        """Automatic mapping, then the choices in the order made (None until file + profile)."""
        if self.sniffed is None or self.account is None:
            return None
        headers = self.sniffed.headers
        made = {h: c for h, c in self.choices.items() if h in headers}
        taken = [c for c in made.values() if c not in (SKIP, AS_IS)]
        # A field whose column was skipped or moved goes to the next column that names it.
        mapping = auto_map(
            headers, self.fields, passthrough=self._passthrough, decided=made, taken=taken
        )
        mapping.vendor = self.account.vendor.name
        for header, choice in made.items():
            _assign(mapping, header, choice)
        return mapping

    @property
    def _passthrough(self) -> bool:
        return self.account.vendor.passthrough if self.account is not None else False

    def _headers(self) -> list[str]:
        assert self.sniffed is not None, "open a file first"
        return self.sniffed.headers

    # -- options -----------------------------------------------------------------------------
    @property
    def limits(self) -> tuple[int, int]:
        """(largest batch, most calls at once) the vendor allows."""
        assert self.account is not None
        vendor = self.account.vendor
        return vendor.max_batch_size, vendor.policy.concurrency

    @property
    def defaults(self) -> tuple[int, int]:
        assert self.account is not None
        vendor = self.account.vendor
        return vendor.default_batch_size, min(vendor.default_concurrency, vendor.policy.concurrency)

    def problems(self) -> list[SetupProblem]:
        """Everything that keeps this set-up from starting, in the order to fix it."""
        found: list[SetupProblem] = []
        if self.sniffed is None:
            found.append(SetupProblem("file", "choose a file"))
        if self.account is None:
            found.append(SetupProblem("profile", "choose a profile"))
        if found:
            return found
        mapping = self.mapping
        assert mapping is not None and self.sniffed is not None and self.account is not None
        for message in self.account.vendor.import_problems(self.account.settings):
            found.append(SetupProblem("profile", message))
        try:
            check_mapping(mapping, self.sniffed.headers, self.fields, self.account.vendor)
        except MappingError as exc:
            found.append(SetupProblem("mapping", str(exc)))
        try:
            check_left_out(self.left_out())
        except ColumnsNotSent as exc:
            found.append(SetupProblem("columns", str(exc), exc.columns))
        if self.region is not None and not _known_region(self.region):
            found.append(
                SetupProblem("region", f"{self.region!r} is not a phone region code", self.region)
            )
        names = {f.name for f in self.fields}
        for key, value in self.values.items():
            known = [v for _label, v in self.offered.get(key, [])]
            if key not in names and not self._passthrough:
                found.append(SetupProblem("values", f"{key!r} is no field of the vendor", key))
            elif known and value not in known:
                found.append(
                    SetupProblem(
                        "values",
                        f"{value!r} is not one of the {key} values the vendor lists",
                        value,
                    )
                )
        most_batch, most_at_once = self.limits
        title = self.account.vendor.title if self.account else ""
        for subject, number, most in (
            ("batch_size", self.batch_size, most_batch),
            ("concurrency", self.concurrency, most_at_once),
        ):
            if number is not None and not 1 <= number <= most:
                words = subject.replace("_", " ")
                found.append(
                    SetupProblem(
                        subject,
                        f"{words} {number} is outside 1-{most}, what {title} allows",
                        number,
                        most,
                    )
                )
        return found

    def options(self, *, dry_run: bool = False, base: ImportOptions | None = None) -> ImportOptions:
        """The run's options (``base`` gives the ones a set-up does not hold); raises
        :class:`SetupError` while a problem stands."""
        problems = self.problems()
        if problems:
            raise SetupError(problems)
        batch, at_once = self.defaults
        return dataclasses.replace(
            base or ImportOptions(),
            dry_run=dry_run,
            batch_size=self.batch_size or batch,
            concurrency=self.concurrency or at_once,
            # None: detected again the same way, and said to be a guess where it is one.
            encoding=self.encoding,
            sheet=self.sheet,
            json_key=self.json_key,
            format=self.format,
            delimiter=self.delimiter,
            region=self.region,
            day_first=self.day_first,
            values=dict(self.values),
        )

    # -- preview and run ----------------------------------------------------------------------
    def preview(self) -> Preview | None:
        """The first rows through the run's own row plan, and the first batch's body.

        Blocking (the plan loads phonenumbers on first use): call it from a thread.
        """
        from cxconsole.importing.batching import RequestBuilder
        from cxconsole.importing.records import RowPlan
        from cxconsole.importing.validate import RowError

        mapping = self.mapping
        account = self.account
        if mapping is None or self.sniffed is None or account is None:
            return None
        vendor = account.vendor
        headers = self.sniffed.headers
        serials = self.sniffed.format == "xlsx"  # Excel serial numbers: XLSX only

        def make_plan(orders: dict[str, bool]) -> RowPlan:
            return RowPlan(
                headers,
                mapping,
                self.fields,
                date_format=vendor.output_date_format(account.settings),
                region=resolve_region(self.region, account),
                day_first=self.day_first,
                date_orders=orders,
                serials=serials,
                vendor=vendor,
                values=self.values,
            )

        # Dates as the run reads them: the order a column settles on applies to its earlier
        # rows too, so the rows shown are read twice, the second time with what the first
        # settled (the run decides from the whole file, the preview from its first rows).
        learning = make_plan({})
        for _line, values in self.sniffed.rows:
            try:
                learning.build(learning.normalise_row(list(values)))
            except RowError:
                continue
        plan = make_plan(learning.date_orders())
        labels = {f.name: f.label for f in self.fields}
        columns = [(key, labels.get(key, key)) for key in mapping.included(headers).values()]
        rows: list[PreviewRow] = []
        records: list[dict[str, Any]] = []
        for line, values in self.sniffed.rows:
            if len(values) == 1 and values[0].startswith("<") and len(headers) > 1:
                rows.append(PreviewRow(line, {}, values[0].strip("<>")))
                continue
            try:
                full = plan.normalise_row(list(values))
                record, product = plan.build(full)
            except RowError as exc:
                why = f"{exc.field}: {exc.reason}"
                if "ambiguous" in exc.reason:
                    why += " in these rows; the whole file decides when it is checked"
                rows.append(PreviewRow(line, {}, why))
                continue
            sent = {k: _text(v) for k, v in record.items()}
            if product:
                record = {**record, "products": [product]}
                sent.update({k: _text(v) for k, v in product.items()})
            records.append(record)
            rows.append(PreviewRow(line, sent, None))
        body = ""
        if records:
            build = RequestBuilder(vendor, account.base, account.settings)
            size = self.batch_size or vendor.default_batch_size
            _url, _params, payload = build(records[:size])
            body = json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
        return Preview(columns, rows, body)

    async def prepare(
        self,
        *,
        client: CXClient | None = None,
        errors: ErrorHistory | None = None,
        dry_run: bool = False,
        rejects_path: str | os.PathLike[str] | None = None,
        base: ImportOptions | None = None,
    ) -> ImportRun:
        """The run of this set-up, every check done; nothing is read or sent yet."""
        from cxconsole.importing.prepare import check_base_url
        from cxconsole.importing.readers import inspect
        from cxconsole.importing.runner import ImportRun
        from cxconsole.storage import check_output_path

        options = self.options(dry_run=dry_run, base=base)
        assert self.account is not None and self.path is not None and self.sniffed is not None
        check_base_url(self.account.base)
        if rejects_path is not None:
            options.rejects_path = check_output_path(
                rejects_path, inputs=(self.path,), option="rejects_path", fresh=True
            )
        source = await asyncio.to_thread(
            inspect,
            self.path,
            encoding=options.encoding,
            sheet=self.sheet,
            json_key=self.json_key,
            format=self.format,
            delimiter=self.delimiter,
        )
        if source.headers != self.sniffed.headers:
            raise ImportProblem(f"{self.path} changed since it was read: its columns differ")
        mapping = self.mapping
        assert mapping is not None
        notes = [
            f"column {header!r} is sent as it is, under its own name: its field {name} now "
            f"comes from {by!r}"
            for header, (name, by) in displaced(mapping, source.headers, self.fields).items()
            if header not in mapping.columns and mapping.target(header)
        ]
        if not dry_run:
            await asyncio.to_thread(self.remember)
        return ImportRun(
            account=self.account,
            source=source,
            fields=list(self.fields),
            mapping=mapping,
            options=options,
            client=client,
            errors=errors,
            warnings=[*source.warnings, *self.warnings, *notes],
        )


def _known_region(region: str) -> bool:
    import phonenumbers

    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def _assign(mapping: ColumnMapping, header: str, choice: str) -> None:
    """One choice applied: a field moves here from any column that had it."""
    if choice == AS_IS:
        mapping.columns.pop(header, None)
    else:
        mapping.give(header, IGNORE if choice == SKIP else choice)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)
