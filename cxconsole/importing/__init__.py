"""Importing files of customers into a vendor: readers, mapping, validation, batching, runs.

The public API, for the CLI and the TUI alike (neither needs anything else from here)::

    preview = await asyncio.to_thread(sniff, path)        # format, encoding, headers, rows
    fields, _ = await target_fields(account, client)      # Expoints: fetches data columns
    mapping, warnings = build_mapping(preview.headers, fields, vendor=..., passthrough=...)
    run = await prepare_import(account, path, options=ImportOptions(...), mapping=mapping,
                               fields=fields, client=client, errors=ctx.errors)
    events = run.events()                                 # or run.subscribe(callback)
    summary = await run.run()                             # pause/resume/cancel/retry_failed
    runs = list_runs()                                    # history, from the journals
"""

from cxconsole.importing.accounts import resume_choices
from cxconsole.importing.errors import (
    AlreadyImported,
    ImportProblem,
    InputError,
    MappingError,
    ResumeError,
)
from cxconsole.importing.events import (
    BatchAcknowledged,
    BatchFailed,
    BatchQueued,
    BatchRetrying,
    BatchSending,
    Event,
    Notice,
    PreflightDone,
    PreflightProgress,
    Progress,
    RowsRejected,
    RunFinished,
    RunOutcome,
    RunStarted,
    RunState,
    RunSummary,
    StateChanged,
)
from cxconsole.importing.mapping import (
    ColumnMapping,
    auto_map,
    build_mapping,
    check_mapping,
    describe_mapping,
    fields_for,
)
from cxconsole.importing.options import ImportOptions
from cxconsole.importing.prepare import prepare_import, prepare_resume, target_fields
from cxconsole.importing.readers import Source, inspect
from cxconsole.importing.runner import ImportRun
from cxconsole.importing.runs import RunInfo, find_run, list_runs, named
from cxconsole.importing.sniff import Sniff, sniff

__all__ = [
    "AlreadyImported",
    "BatchAcknowledged",
    "BatchFailed",
    "BatchQueued",
    "BatchRetrying",
    "BatchSending",
    "ColumnMapping",
    "Event",
    "ImportOptions",
    "ImportProblem",
    "ImportRun",
    "InputError",
    "MappingError",
    "Notice",
    "PreflightDone",
    "PreflightProgress",
    "Progress",
    "ResumeError",
    "RowsRejected",
    "RunFinished",
    "RunInfo",
    "RunOutcome",
    "RunStarted",
    "RunState",
    "RunSummary",
    "Sniff",
    "Source",
    "StateChanged",
    "auto_map",
    "build_mapping",
    "check_mapping",
    "describe_mapping",
    "fields_for",
    "find_run",
    "inspect",
    "list_runs",
    "named",
    "prepare_import",
    "prepare_resume",
    "resume_choices",
    "sniff",
    "target_fields",
]
