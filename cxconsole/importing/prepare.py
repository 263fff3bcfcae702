"""Everything checked before a row is sent: the file, the vendor's fields, the mapping; and
the same from a journal when a run is resumed (the file must be byte for byte the same)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cxconsole.client import CXClient, get_client
from cxconsole.history import ErrorHistory
from cxconsole.importing.errors import MappingError, ResumeError
from cxconsole.importing.journal import (
    Replay,
    file_identity,
    is_running,
    journal_path,
    read_journal,
)
from cxconsole.importing.mapping import ColumnMapping, build_mapping, check_mapping, fields_for
from cxconsole.importing.options import ImportOptions, batch_size_for
from cxconsole.importing.readers import file_sha256, inspect
from cxconsole.importing.runner import ImportRun
from cxconsole.profiles import Account
from cxconsole.vendors.base import TargetField


async def target_fields(
    account: Account, client: CXClient | None = None
) -> tuple[list[TargetField], list[Any]]:
    """The fields a file can map onto; for Expoints, its customer data columns are fetched."""
    vendor = account.vendor
    extra: list[TargetField] = []
    columns: list[Any] = []
    fetch = getattr(vendor, "data_columns", None)
    to_fields = getattr(vendor, "column_fields", None)
    if fetch is not None and to_fields is not None:
        columns = await fetch(
            client or get_client(), account.base, account.secret, account.settings
        )
        extra = to_fields(columns)
    return fields_for(vendor, extra), columns


async def prepare_import(
    account: Account,
    path: str | os.PathLike[str],
    *,
    options: ImportOptions | None = None,
    mapping: ColumnMapping | None = None,
    overrides: Sequence[str] = (),
    client: CXClient | None = None,
    errors: ErrorHistory | None = None,
    fields: Sequence[TargetField] | None = None,
) -> ImportRun:
    """Everything checked before a single row is sent: the file, the fields, the mapping.

    Raises :class:`InputError` (the file), :class:`MappingError` (the mapping, a required
    field unmapped), :class:`ImportProblem` (options) or the client's ``VendorError`` (while
    fetching Expoints' data columns).
    """
    options = options or ImportOptions()
    source = await asyncio.to_thread(
        inspect,
        path,
        encoding=options.encoding,
        sheet=options.sheet,
        json_key=options.json_key,
        format=options.format,
    )
    if fields is None:
        fields, _ = await target_fields(account, client)
    built, warnings = build_mapping(
        source.headers,
        fields,
        vendor=account.vendor.name,
        passthrough=account.vendor.passthrough,
        saved=mapping,
        overrides=overrides,
    )
    batch_size_for(account, options)
    return ImportRun(
        account=account,
        source=source,
        fields=list(fields),
        mapping=built,
        options=options,
        client=client,
        errors=errors,
        warnings=[*source.warnings, *warnings],
    )


async def prepare_resume(
    run_id: str,
    account_for: Callable[[str], Account],
    *,
    concurrency: int | None = None,
    path: str | os.PathLike[str] | None = None,
    client: CXClient | None = None,
    errors: ErrorHistory | None = None,
) -> ImportRun:
    """A run continued from its journal: same file (checked), mapping and options.

    ``account_for(profile_name)`` opens the run's profile (it may block on the keyring).
    Raises :class:`ResumeError` when the run cannot be continued, saying why.
    """
    jpath = journal_path(run_id)
    if not jpath.exists():
        raise ResumeError(f"no run {run_id!r} (no journal at {jpath})")
    if is_running(run_id):
        raise ResumeError(f"run {run_id} is running in another process")
    try:
        replay = Replay.of(await asyncio.to_thread(read_journal, jpath))
    except (OSError, ValueError) as exc:
        raise ResumeError(f"run {run_id}: cannot read its journal ({exc})") from None
    header = replay.header
    if header.get("dry_run"):
        raise ResumeError(f"run {run_id} was a dry run: nothing to resume; start a new run")
    end = replay.end or {}
    if end.get("state") == "finished" and not replay.failed:
        raise ResumeError(f"run {run_id} finished: nothing to resume")
    recorded = header["file"]
    file = Path(path) if path else Path(recorded["path"])
    await asyncio.to_thread(_check_same_file, run_id, file, recorded, replay.read)
    account = await asyncio.to_thread(account_for, header["profile"])
    if account.vendor.name != header["vendor"]:
        raise ResumeError(
            f"run {run_id} sent to {header['vendor']}, but profile {header['profile']!r} "
            f"is now a {account.vendor.name} profile"
        )
    settings = header["source"]
    source = await asyncio.to_thread(
        inspect,
        file,
        encoding=settings.get("encoding"),
        sheet=settings.get("sheet"),
        json_key=settings.get("json_key"),
        format=settings.get("format"),
    )
    if source.headers != header["headers"]:
        raise ResumeError(f"{file}: the columns differ from run {run_id}'s")
    fields, _ = await target_fields(account, client)
    mapping = ColumnMapping.from_dict(header["mapping"])
    try:
        check_mapping(mapping, source.headers, fields)
    except MappingError as exc:
        raise ResumeError(f"run {run_id}: the mapping no longer fits the vendor: {exc}") from None
    saved = header["options"]
    options = ImportOptions(
        batch_size=saved["batch_size"],
        concurrency=concurrency or saved.get("concurrency"),
        region=saved.get("region"),
        day_first=saved.get("day_first"),
        rejects_path=Path(header["rejects_path"]),
        max_failed_batches=saved.get("max_failed_batches", 20),
    )
    return ImportRun(
        account=account,
        source=source,
        fields=fields,
        mapping=mapping,
        options=options,
        client=client,
        errors=errors,
        run_id=run_id,
        replay=replay,
    )


def _check_same_file(
    run_id: str, file: Path, recorded: dict[str, Any], read: dict[str, Any] | None
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
    if read and read.get("sha256") and file_sha256(file) != read["sha256"]:
        raise ResumeError(
            f"{file} changed since run {run_id} read it (its content hash differs); start a new run"
        )
