"""Everything checked before a row is sent: the file, the vendor's fields, the mapping; and
the same from a journal when a run is resumed (the file must be byte for byte the same)."""

from __future__ import annotations

import asyncio
import codecs
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from cxconsole.client import CXClient, get_client
from cxconsole.errorlog import ErrorHistory
from cxconsole.errors import FieldsUnread
from cxconsole.importing.accounts import check_account, identities, resume_profile
from cxconsole.importing.entries import ReadDone, RunHeader
from cxconsole.importing.errors import (
    ImportProblem,
    MappingError,
    OptionNotApplicable,
    ProfileIncomplete,
    ResumeError,
)
from cxconsole.importing.journal import (
    Journal,
    Replay,
    file_identity,
    journal_path,
    read_journal,
)
from cxconsole.importing.mapping import (
    ColumnMapping,
    Override,
    build_mapping,
    check_left_out,
    check_mapping,
    fields_for,
)
from cxconsole.importing.options import ImportOptions
from cxconsole.importing.readers import DELIMITER_NAMES, DELIMITERS, file_sha256, inspect
from cxconsole.importing.runner import ImportRun
from cxconsole.profiles import Account, Profile
from cxconsole.storage import check_output_path
from cxconsole.vendors.base import DynamicFields, TargetField


async def target_fields(
    account: Account, client: CXClient | None = None, *, warnings: list[str] | None = None
) -> tuple[list[TargetField], list[Any]]:
    """The fields a file can map onto; the account's own (Expoints' customer data columns, a
    Webex datastore's) are fetched. Ones that could not be read are said in ``warnings``."""
    vendor = account.vendor
    extra: list[TargetField] = []
    if isinstance(vendor, DynamicFields):
        try:
            extra = await vendor.fetch_fields(account.session(client or get_client()))
        except FieldsUnread as exc:
            if warnings is not None:
                warnings.append(str(exc))
    return fields_for(vendor, extra, account.settings), extra


async def prepare_import(
    account: Account,
    path: str | os.PathLike[str],
    *,
    options: ImportOptions | None = None,
    mapping: ColumnMapping | None = None,
    overrides: Sequence[str | Override] = (),
    skip_unmapped: bool = False,
    client: CXClient | None = None,
    errors: ErrorHistory | None = None,
    fields: Sequence[TargetField] | None = None,
) -> ImportRun:
    """A run from a file, through the one set-up model both faces use (:mod:`.setup`).

    ``mapping`` is a saved mapping, ``overrides`` are ``COLUMN=FIELD`` texts (or
    :class:`Override`), applied after it; ``skip_unmapped`` then leaves out every column no
    field takes. Raises :class:`InputError` (the file), :class:`MappingError` (the mapping, a
    required field unmapped, two overrides that disagree), :class:`ColumnsNotSent` (a column
    with values in the first rows that is neither mapped nor skipped; the pre-flight checks
    the whole file), :class:`SetupError` (an option outside the vendor's limits),
    :class:`~cxconsole.storage.OutputPathError` (the rejects path) or the client's
    ``VendorError`` (while fetching Expoints' data columns).
    """
    from cxconsole.importing.setup import ImportSetup

    options = options or ImportOptions()
    check_base_url(account.base)
    check_profile(account)
    if options.rejects_path is not None:
        # Before anything is read or sent: never the input, a directory, or unwritable.
        check_output_path(options.rejects_path, inputs=(path,), option="rejects_path", fresh=True)
    setup = ImportSetup(
        batch_size=options.batch_size,
        concurrency=options.concurrency,
        region=options.region,
        day_first=options.day_first,
        values=dict(options.values),
    )
    if fields is None:
        await setup.open_profile(account, client)
    else:
        setup.account, setup.fields = account, list(fields)
    await setup.open_file(
        path,
        encoding=options.encoding,
        sheet=options.sheet,
        json_key=options.json_key,
        format=options.format,
        delimiter=options.delimiter,
    )
    assert setup.sniffed is not None
    source = setup.sniffed.source
    check_options_apply(source.format, options)
    if await asyncio.to_thread(setup.recall):
        setup.warnings.append(
            "the mapping chosen last time for this profile and these columns is applied"
        )
    try:
        if mapping is not None:
            setup.warnings += setup.apply_saved(mapping, strict=True)
        problem = next((p for p in setup.problems() if p.subject == "values"), None)
        if problem is not None:
            raise ImportProblem(problem.message)
        setup.overrides(overrides)
        if skip_unmapped:
            setup.skip_unmapped()
        mapping = setup.mapping
        assert mapping is not None
        # Raised with what is missing, for the face to word.
        check_mapping(mapping, source.headers, setup.fields, account.vendor)
    except MappingError as exc:
        raise one_column_hint(exc, source) from None
    check_left_out(setup.left_out())
    return await setup.prepare(
        client=client,
        errors=errors,
        dry_run=options.dry_run,
        rejects_path=options.rejects_path,
        base=options,
    )


#: The formats each reading option applies to (an option no format of the file uses is
#: refused, never ignored).
OPTION_FORMATS: dict[str, tuple[str, ...]] = {
    "sheet": ("xlsx",),
    "json_key": ("json",),
    "delimiter": ("csv",),
    "encoding": ("csv", "json", "jsonl"),
}
_OPTION_WORDS = {
    "sheet": "a sheet",
    "json_key": "a JSON key",
    "delimiter": "a delimiter",
    "encoding": "an encoding",
}
_FORMAT_NAMES = {"csv": "CSV", "json": "JSON", "jsonl": "JSON Lines", "xlsx": "XLSX"}


def check_options_apply(format: str, options: ImportOptions) -> None:
    """Refuse a reading option the file's format has no use for (a sheet for a CSV file)."""
    for option, formats in OPTION_FORMATS.items():
        if getattr(options, option) and format not in formats:
            names = " or ".join(_FORMAT_NAMES[f] for f in formats)
            raise OptionNotApplicable(
                f"{_OPTION_WORDS[option]} applies only to {names} files, and this file is "
                f"read as {_FORMAT_NAMES.get(format, format)}",
                option=option,
                format=format,
            )


def one_column_hint(exc: MappingError, source: Any) -> MappingError:
    """A mapping error on a CSV file read as one column says so: its delimiter is likely
    not the one the file uses (the one header holds the delimiter it does use)."""
    if source.format != "csv" or len(source.headers) != 1:
        return exc
    header = source.headers[0]
    used = next((d for d in DELIMITERS if d != source.delimiter and d in header), "")
    shown = DELIMITER_NAMES.get(source.delimiter or "", repr(source.delimiter))
    message = (
        f"{exc}; the file was read as one column ({header[:60]!r}), split at "
        f"{shown} ({source.delimiter!r})"
    )
    if used:
        message += f", but that header holds {DELIMITER_NAMES.get(used, repr(used))}s"
    return MappingError(
        message, missing=exc.missing, columns=exc.columns, one_column=used, conflict=exc.conflict
    )


def check_profile(account: Account) -> None:
    """Refuse, before anything is read or sent, a profile whose vendor would refuse every
    batch for a setting it lacks (:meth:`Vendor.import_problems`)."""
    problems = account.vendor.import_problems(account.settings)
    if problems:
        raise ProfileIncomplete(account.profile.name, problems)


async def prepare_resume(
    run_id: str,
    account_for: Callable[[str], Account],
    *,
    concurrency: int | None = None,
    path: str | os.PathLike[str] | None = None,
    client: CXClient | None = None,
    errors: ErrorHistory | None = None,
    options: ImportOptions | None = None,
    mapping: ColumnMapping | None = None,
    overrides: Sequence[str | Override] = (),
    skip_unmapped: bool = False,
    resend_unknown: bool = False,
    fixing: bool = False,
    profile: str | None = None,
    profiles: Callable[[], Mapping[str, Profile]] | None = None,
) -> ImportRun:
    """A run continued from its journal: same file (checked), mapping, options and account.

    The run's lock is taken before its journal is read and held until the run ends, so two
    resumes of one run can never both send. ``options``, ``mapping`` and ``overrides`` are
    what the operator gave again (the same command line plus ``--resume``): each must equal
    the run's own; one that differs is refused, naming both values. ``account_for`` opens
    the run's profile (it may block on the keyring). The run continues in ``profile`` when
    given, else in the run's profile or, renamed, the one that points at the run's account
    (``profiles`` lists them); a profile that points at another account than the run sent
    to is refused, naming what differs. Raises :class:`ResumeError`.
    """
    jpath = journal_path(run_id)
    if not jpath.exists():
        raise ResumeError(f"no run {run_id!r} (no journal at {jpath})")
    journal = await asyncio.to_thread(Journal(run_id).open)
    try:
        return await _resume(
            run_id,
            journal,
            account_for,
            concurrency=concurrency,
            path=path,
            client=client,
            errors=errors,
            options=options,
            mapping=mapping,
            overrides=overrides,
            skip_unmapped=skip_unmapped,
            resend_unknown=resend_unknown,
            fixing=fixing,
            profile=profile,
            profiles=profiles,
        )
    except BaseException:
        journal.close()
        raise


async def _resume(
    run_id: str,
    journal: Journal,
    account_for: Callable[[str], Account],
    *,
    concurrency: int | None,
    path: str | os.PathLike[str] | None,
    client: CXClient | None,
    errors: ErrorHistory | None,
    options: ImportOptions | None,
    mapping: ColumnMapping | None,
    overrides: Sequence[str | Override],
    skip_unmapped: bool,
    resend_unknown: bool,
    fixing: bool,
    profile: str | None,
    profiles: Callable[[], Mapping[str, Profile]] | None,
) -> ImportRun:
    jpath = journal.path
    try:
        replay = Replay.of(await asyncio.to_thread(read_journal, jpath))
    except (OSError, ValueError) as exc:
        raise ResumeError(f"run {run_id}: cannot read its journal ({exc})") from None
    header = replay.header
    if header.dry_run:
        raise ResumeError(f"run {run_id} was a dry run: nothing to resume; start a new run")
    end = replay.end
    unknown_left = bool(replay.unknown) or any(s == "unknown" for s in replay.done.values())
    finished = end is not None and end.state == "finished" and not replay.failed
    if finished and not (resend_unknown and unknown_left) and not fixing:
        raise ResumeError(f"run {run_id} finished: nothing to resume", run_id=run_id)
    recorded = header.file
    file = Path(path) if path else Path(recorded["path"])
    await asyncio.to_thread(_check_same_file, run_id, file, recorded, replay.read)
    known = await asyncio.to_thread(profiles) if profiles is not None else None
    # A run none of whose rows reached the vendor may go on in its profile put right.
    landed = replay.reached_vendor
    name = resume_profile(run_id, header, profile, known, landed=landed)
    account = await asyncio.to_thread(account_for, name)
    if account.vendor.name != header.vendor:
        raise ResumeError(
            f"run {run_id} sent to {header.vendor}, but profile {name!r} "
            f"is now a {account.vendor.name} profile"
        )
    check_account(
        run_id,
        header,
        name,
        account.identity,
        identities(known) if known is not None else None,
        landed=landed,
    )
    check_profile(account)
    settings = header.source
    given = options or ImportOptions()
    _same_options(run_id, header, given)
    source = await asyncio.to_thread(
        inspect,
        file,
        encoding=settings.get("encoding"),
        sheet=settings.get("sheet"),
        json_key=settings.get("json_key"),
        format=settings.get("format"),
        delimiter=settings.get("delimiter"),
    )
    if source.headers != header.headers:
        raise ResumeError(f"{file}: the columns differ from run {run_id}'s")
    fields, _ = await target_fields(account, client)
    run_mapping = ColumnMapping.from_dict(header.mapping)
    try:
        check_mapping(run_mapping, source.headers, fields, account.vendor)
    except MappingError as exc:
        raise ResumeError(f"run {run_id}: the mapping no longer fits the vendor: {exc}") from None
    if mapping is not None or overrides:
        again, _ = build_mapping(
            source.headers,
            fields,
            vendor=account.vendor.name,
            passthrough=account.vendor.passthrough,
            saved=mapping,
            overrides=overrides,
        )
        ours = run_mapping.included(source.headers)
        theirs = again.included(source.headers)
        if ours != theirs:
            changed = sorted(h for h in set(ours) | set(theirs) if ours.get(h) != theirs.get(h))
            detail = "; ".join(
                f"{h!r}: run {ours.get(h) or '(not sent)'}, now {theirs.get(h) or '(not sent)'}"
                for h in changed[:5]
            )
            raise ResumeError(
                f"run {run_id}: the mapping differs from the run's ({detail})",
                run_id=run_id,
                option="mapping",
            )
    saved = header.options
    resumed = ImportOptions(
        batch_size=saved["batch_size"],
        concurrency=concurrency or given.concurrency or saved.get("concurrency"),
        region=saved.get("region"),
        day_first=saved.get("day_first"),
        rejects_path=Path(header.rejects_path),
        max_failed_batches=saved.get("max_failed_batches", 20),
        date_orders=saved.get("date_orders") or {},
        values=saved.get("values") or {},
    )
    return ImportRun(
        account=account,
        source=source,
        fields=fields,
        mapping=run_mapping,
        options=resumed,
        client=client,
        errors=errors,
        run_id=run_id,
        replay=replay,
        journal=journal,
        resend_unknown=resend_unknown,
    )


def _same_options(run_id: str, header: RunHeader, given: ImportOptions) -> None:
    """Refuse an option given again on resume that differs from the run's, naming both."""
    saved = header.options
    source = header.source
    if given.dry_run:
        raise ResumeError(
            f"run {run_id} is a real run: a dry run cannot continue it", option="dry_run"
        )
    pairs: list[tuple[str, Any, Any]] = [
        ("batch_size", saved.get("batch_size"), given.batch_size),
        ("encoding", source.get("encoding"), given.encoding),
        ("sheet", source.get("sheet"), given.sheet),
        ("json_key", source.get("json_key"), given.json_key),
        ("format", source.get("format"), given.format),
        ("region", saved.get("region"), given.region.upper() if given.region else None),
        ("day_first", saved.get("day_first"), given.day_first),
        ("values", saved.get("values") or {}, given.values or None),
    ]
    for option, theirs, ours in pairs:
        if ours is None or theirs is None:
            continue
        same = codecs_name(theirs) == codecs_name(ours) if option == "encoding" else theirs == ours
        if not same:
            raise ResumeError(
                f"run {run_id} ran with {option} {theirs!r}; {ours!r} was given now. "
                "Resume with the run's value, or start a new run",
                run_id=run_id,
                option=option,
                run_value=theirs,
                given_value=ours,
            )
    if given.rejects_path is not None:
        theirs_path = Path(header.rejects_path).absolute()
        ours_path = Path(given.rejects_path).expanduser().absolute()
        if theirs_path != ours_path:
            raise ResumeError(
                f"run {run_id} writes its rejects to {theirs_path}; {ours_path} was given now",
                run_id=run_id,
                option="rejects_path",
                run_value=str(theirs_path),
                given_value=str(ours_path),
            )


def codecs_name(name: Any) -> str:
    try:
        return codecs.lookup(str(name)).name
    except LookupError:
        return str(name).lower()


def check_base_url(base: str) -> None:
    """A base URL httpx would refuse mid-run (a bad port) is refused before the run."""
    try:
        port = httpx.URL(base).port
    except httpx.InvalidURL as exc:
        raise ImportProblem(f"the profile's base URL is not valid: {exc}") from None
    if port is not None and not 0 < port < 65536:
        raise ImportProblem(f"the profile's base URL has port {port}, outside 1-65535")


def _check_same_file(
    run_id: str, file: Path, recorded: dict[str, Any], read: ReadDone | None
) -> None:
    """Refuse to resume on a file that is not byte for byte the one the run read."""
    if not file.exists():
        raise ResumeError(f"run {run_id} read {recorded['path']}, which no longer exists")
    now = file_identity(file)
    if now["size"] != recorded["size"]:
        raise ResumeError(
            f"{file} changed since run {run_id} read it: {recorded['size']:,} bytes then, "
            f"{now['size']:,} now. Resuming would send different rows; start a new run"
        )
    if now["head_sha256"] != recorded["head_sha256"]:
        raise ResumeError(
            f"{file} changed since run {run_id} read it (its first megabyte differs); "
            "start a new run"
        )
    if read and read.sha256 and file_sha256(file) != read.sha256:
        raise ResumeError(
            f"{file} changed since run {run_id} read it (its content hash differs); start a new run"
        )
