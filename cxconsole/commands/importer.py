"""``cxconsole import``: push a CSV, JSON, JSON Lines or XLSX file of customers into a vendor.

Exit codes: 0 every row imported, 1 some row rejected or failed, 2 a usage or input error
(nothing sent, or the file broke mid-way), 3 an authentication failure, 130 interrupted
(resumable with ``--resume``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from cxconsole.commands.common import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    command_context,
    fail,
    positive_int,
    print_vendor_error,
)

# Imported here, not per event: a dry run emits two events a batch, and an import statement
# in the callback cost the event loop more than the rest of the callback.
from cxconsole.importing.events import (
    BatchFailed,
    Notice,
    PreflightDone,
    PreflightProgress,
    Progress,
    RowsRejected,
    RunFinished,
    RunStarted,
    RunState,
    batches_said,
    duration,
    state_word,
)

if TYPE_CHECKING:
    from cxconsole.context import Context
    from cxconsole.importing import Event, ImportRun, RunSummary
    from cxconsole.importing.mapping import LeftOut

FORMATS = ("csv", "json", "jsonl", "xlsx")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="import a file of customers into a vendor",
        description=(
            "Read a CSV, JSON, JSON Lines or XLSX file, map its columns onto the profile's "
            "vendor fields, check every row, and send it in batches. Rows that cannot be sent "
            "go to a rejects file; a journal makes the run resumable."
        ),
        epilog=(
            "exit codes: 0 all rows imported, 1 some rows rejected or failed, 2 usage or input "
            "error, 3 authentication failure, 130 interrupted (resume with --resume)"
        ),
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="the file to import")
    parser.add_argument("--profile", metavar="NAME", help="the vendor profile to import into")
    parser.add_argument("--dry-run", action="store_true", help="do everything but send")
    parser.add_argument("--batch-size", type=positive_int, metavar="N", help="records per call")
    parser.add_argument("--concurrency", type=positive_int, metavar="N", help="calls at once")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a column onto a field (COLUMN= leaves it out; split at the last =, so a "
        "header may hold one); repeatable",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="COLUMN",
        help="leave this column out of the import; repeatable (a column that holds values "
        "and that no field takes must be mapped or skipped before anything is sent)",
    )
    parser.add_argument(
        "--skip-unmapped",
        action="store_true",
        help="leave out every column no field takes (each is named before anything is sent)",
    )
    parser.add_argument(
        "--value",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="give every record this value where the file gives none (e.g. a QuestionPro "
        "segmentCode); repeatable",
    )
    parser.add_argument("--mapping", metavar="FILE", help="a saved mapping (TOML or JSON)")
    parser.add_argument("--save-mapping", metavar="FILE", help="save the mapping used")
    parser.add_argument("--rejects", metavar="PATH", help="where to write rejected rows")
    parser.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="continue a run (or 'last', the newest resumable); the other options may be "
        "given again as they were, and one that differs from the run's is refused",
    )
    parser.add_argument(
        "--resend-unknown",
        action="store_true",
        help="with --resume: send again the rows whose outcome is unknown (a lost reply), "
        "after a confirmation that names the risk of duplicates",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="answer yes to the --resend-unknown confirmation (for scripts)",
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="import a file whose content an earlier run already imported into this profile "
        "(its rows are sent again); never while another run sends it",
    )
    parser.add_argument("--encoding", metavar="E", help="the file's encoding (default: detect)")
    parser.add_argument(
        "--delimiter",
        metavar="D",
        help="a CSV file's delimiter: one character, or tab, pipe, semicolon, comma, us "
        "(default: detect)",
    )
    parser.add_argument("--sheet", metavar="NAME", help="the XLSX sheet (default: the first)")
    parser.add_argument("--json-key", metavar="KEY", help="the JSON envelope's array of records")
    parser.add_argument("--format", choices=FORMATS, help="the file's format (default: detect)")
    parser.add_argument(
        "--region",
        metavar="CC",
        help=(
            "country of phone numbers written without one (default: the profile's region, "
            "else CXCONSOLE_PHONE_REGION, else settings; with none, the import stops and "
            "proposes one)"
        ),
    )
    order = parser.add_mutually_exclusive_group()
    order.add_argument(
        "--day-first",
        dest="day_first",
        action="store_const",
        const=True,
        help="read 03/04/2020 as 3 April",
    )
    order.add_argument(
        "--month-first",
        dest="day_first",
        action="store_const",
        const=False,
        help="read 03/04/2020 as March 4",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON summary at the end")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from cxconsole.errors import CXError, VendorError

    usage = _usage_problem(args)
    if usage:
        _json_result(args, None, EXIT_USAGE, state="input_error", message=usage)
        return fail(f"import: {usage}")
    try:
        with command_context(args) as ctx:
            return _run(args, ctx)
    except VendorError as exc:
        print_vendor_error("import", exc)
        code = EXIT_AUTH if exc.is_auth else EXIT_FAILED
        state = "auth_failed" if exc.is_auth else "error"
        _json_result(args, None, code, state=state, message=str(exc))
        return code
    except CXError as exc:  # profile, keyring, file, mapping, resume problems
        columns = getattr(exc, "left_out", None)
        _json_result(
            args, None, EXIT_USAGE, state="input_error", message=_worded(exc), columns=columns
        )
        return fail(f"import: {_worded(exc)}", EXIT_USAGE)
    except KeyboardInterrupt:
        # Before the run's own handlers: while the profile, the file and the mapping were
        # being prepared, which sends no row.
        message = "interrupted before anything was sent"
        _json_result(args, None, EXIT_INTERRUPTED, state="cancelled", message=message)
        return fail(f"import: {message}", EXIT_INTERRUPTED)
    except Exception as exc:
        # The operator gets the message `guarded` words (no traceback); a script still gets
        # its one object.
        if isinstance(exc, OSError):
            where = f" {exc.filename}" if exc.filename else ""
            what = f"cannot use{where}: {exc.strerror or exc}"
        else:
            what = f"internal error ({type(exc).__name__}); the details are in the log"
        _json_result(args, None, EXIT_FAILED, state="error", message=what)
        raise


def _usage_problem(args: argparse.Namespace) -> str:
    """An option that cannot apply to this command line: refused, never ignored."""
    if args.resend_unknown and not args.resume:
        return "--resend-unknown goes with --resume RUN_ID"
    if args.yes and not args.resend_unknown:
        return "--yes answers the --resend-unknown confirmation: give it with --resend-unknown"
    if args.again and (args.resume or args.dry_run):
        return "--again starts a new import of a file sent before: not with --resume or --dry-run"
    if args.resume and args.dry_run:
        return "--dry-run cannot continue a run: leave out --dry-run, or --resume"
    if not args.resume:
        if not args.file:
            return "give the FILE to import (or --resume RUN_ID)"
        if not args.profile:
            return "give --profile NAME (cxconsole profile list shows them)"
    return ""


#: Every ``--json`` import result has these keys, in this order (README.md, "The command
#: line"); a key with no value (no run was made) is null.
RESULT_KEYS = (
    "run_id",
    "state",
    "outcome",
    "dry_run",
    "rows_total",
    "rows_imported",
    "rows_rejected",
    "rows_invalid",
    "rows_refused",
    "rows_unknown",
    "rows_failed",
    "rows_not_sent",
    "batches_total",
    "batches_ok",
    "batches_partial",
    "batches_failed",
    "batches_unknown",
    "batches_not_sent",
    "rejects_path",
    "rejects_missing",
    "journal_path",
    "elapsed",
    "columns_not_sent",
    "message",
    "exit_code",
)
#: With no run, what sending counts is 0 (nothing was sent); what reading the whole file
#: counts (rows_total, rows_invalid, rows_not_sent, rows_rejected, batches_total,
#: batches_not_sent) is null.
_SENT_COUNTS = (
    "rows_imported",
    "rows_refused",
    "rows_unknown",
    "rows_failed",
    "batches_ok",
    "batches_partial",
    "batches_failed",
    "batches_unknown",
)


def _json_result(
    args: argparse.Namespace,
    summary: RunSummary | None,
    code: int,
    *,
    state: str = "",
    message: str = "",
    columns: list[dict[str, object]] | None = None,
) -> None:
    """With --json, print the one result object: a run's summary, or (``summary`` None)
    why no run was made; ``columns`` the columns not sent (None: not known)."""
    if not getattr(args, "json", False):
        return
    if (
        summary is not None
        and not summary.made
        and not summary.unrecorded
        and summary.state != "disk_error"
    ):
        # Stopped before its run was made (a dry run's question, say): the object a refused
        # command prints, so a dry run and the real import answer alike.
        state, message = str(summary.state), message or summary.message
        columns = columns or None
        summary = None
    if summary is not None:
        data = summary.as_json()
        unlisted = data.pop("rows_unlisted")
        data["rejects_missing"] = unlisted if summary.rejects_written else None
        if not summary.rejects_written:
            # No rejects file lists them (a dry run without a state dir nor --rejects, a run
            # never made): still counted by kind, but "the rows the file lists" is no number.
            data["rows_rejected"] = None
        out = {key: data.get(key) for key in RESULT_KEYS}
    else:
        out = dict.fromkeys(RESULT_KEYS)
        out.update(dict.fromkeys(_SENT_COUNTS, 0))
        out.update(state=state, outcome="nothing", dry_run=bool(getattr(args, "dry_run", False)))
    out["columns_not_sent"] = columns
    out["message"] = message or out.get("message") or None
    out["exit_code"] = code
    print(json.dumps(out))


def json_usage_error(message: str, *, dry_run: bool) -> None:
    """``import --json`` with a command line argparse refused: the one object all the same."""
    args = argparse.Namespace(json=True, dry_run=dry_run)
    _json_result(args, None, EXIT_USAGE, state="input_error", message=message)


def _worded(exc: Exception) -> str:
    """The core's error, with the hint this face gives (the core names no flag)."""
    from cxconsole.importing import MappingError, ResumeError
    from cxconsole.importing.errors import (
        AlreadyImported,
        ColumnsNotSent,
        DateOrderNeeded,
        EncodingNeeded,
        InputError,
        OptionNotApplicable,
        ProfileIncomplete,
        RegionNeeded,
    )
    from cxconsole.importing.readers import DELIMITER_NAMES
    from cxconsole.storage import OutputPathError

    text = str(exc)
    if isinstance(exc, AlreadyImported):
        if exc.running:
            text += f". Wait for it to end (cxconsole import --resume {exc.run_id} continues it)"
        else:
            text += (
                f". To finish that run: cxconsole import --resume {exc.run_id}; to send the "
                "file again on purpose: the same command with --again"
            )
    elif isinstance(exc, ResumeError) and exc.option:
        flag = {"rejects_path": "--rejects", "mapping": "--map/--mapping"}.get(
            exc.option, "--" + exc.option.replace("_", "-")
        )
        text += f" (leave out {flag} to keep the run's)"
    elif isinstance(exc, OutputPathError) and exc.option == "rejects_path":
        text = f"--rejects {text}; nothing was sent"
    elif isinstance(exc, OutputPathError) and exc.option == "mapping":
        text = f"--save-mapping {text}; nothing was sent"
    elif isinstance(exc, InputError):
        hint = {
            "encoding": "give it with --encoding E",
            "quote": "close the quote, or remove it, and import again",
            "newline": "save the file with one kind of line end, and import again",
        }.get(exc.kind, "")
        text = str(exc) + (f"; {hint}" if hint else "") + "; nothing was sent"
        if exc.context:
            text += "\n" + exc.context
    elif isinstance(exc, RegionNeeded):
        hint = f"give --region {exc.proposed}" if exc.proposed else "give --region CC"
        text += f". {hint} (or set the profile's region: cxconsole profile edit NAME --region CC)"
    elif isinstance(exc, ProfileIncomplete):
        text += (
            f"; nothing was sent. Set it with cxconsole profile edit {exc.profile} "
            f"(--help lists the settings), then check with cxconsole profile test {exc.profile}"
        )
    elif isinstance(exc, DateOrderNeeded):
        text += ". Give --day-first or --month-first"
    elif isinstance(exc, EncodingNeeded):
        text += (
            f". If that line reads right, give --encoding {exc.encoding}; if not, the file's "
            "own encoding with --encoding E (latin-1, cp1250, utf-16, ...)"
        )
    elif isinstance(exc, OptionNotApplicable):
        flag = "--" + exc.option.replace("_", "-")
        text = f"{flag}: {text}; leave out {flag}; nothing was sent"
    elif isinstance(exc, MappingError) and exc.one_column is not None:
        word = {"\t": "tab", "\x1f": "us"}.get(exc.one_column)
        delimiter = f"--delimiter {word or DELIMITER_NAMES.get(exc.one_column, exc.one_column)}"
        hint = f"give {delimiter}" if exc.one_column else "give the delimiter with --delimiter D"
        text += f". Is the delimiter right? {hint}; nothing was sent"
    elif isinstance(exc, ColumnsNotSent):
        them = "it" if len(exc.columns) == 1 else "them"
        text += (
            f". Map {them} with --map COLUMN=FIELD or leave {them} out with --skip COLUMN "
            "(--skip-unmapped leaves out every column not mapped); nothing was sent"
        )
    elif isinstance(exc, MappingError) and exc.conflict:
        text += "; nothing was sent"
    elif isinstance(exc, MappingError) and exc.missing:
        text += ". Map them with --map COLUMN=FIELD, or add the columns to the file"
        text += "; nothing was sent"
    elif isinstance(exc, MappingError) and exc.columns:
        text += f"; leave one out with --map {exc.columns[-1]!r}="
    return text


def _run(args: argparse.Namespace, ctx: Context) -> int:
    import asyncio

    return asyncio.run(_main(args, ctx))


def _options(args: argparse.Namespace) -> tuple[Any, Any]:
    """The import options and the saved mapping named on the command line."""
    from pathlib import Path

    from cxconsole.importing import ColumnMapping, ImportOptions

    saved = ColumnMapping.load(Path(args.mapping).expanduser()) if args.mapping else None
    options = ImportOptions(
        dry_run=args.dry_run,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        encoding=args.encoding,
        delimiter=args.delimiter,
        sheet=args.sheet,
        json_key=args.json_key,
        format=args.format,
        region=args.region,
        day_first=args.day_first,
        rejects_path=Path(args.rejects).expanduser() if args.rejects else None,
        values=_values(args.value),
        again=args.again,
    )
    return options, saved


def _values(texts: list[str]) -> dict[str, str]:
    from cxconsole.importing import ImportProblem

    found = {}
    for text in texts:
        key, sep, value = text.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImportProblem(f"--value {text!r}: expected FIELD=VALUE")
        found[key.strip()] = value.strip()
    return found


async def _prepare(args: argparse.Namespace, ctx: Context) -> ImportRun:
    import asyncio

    from cxconsole.client import get_client
    from cxconsole.importing import ResumeError, prepare_import, prepare_resume
    from cxconsole.importing.mapping import IGNORE, Override
    from cxconsole.importing.runs import find_run

    options, saved = _options(args)
    overrides = [
        *(Override.of(text) for text in args.map),
        *(Override(column, IGNORE, f"--skip {column}") for column in args.skip),
    ]
    if args.resume:
        profiles = await asyncio.to_thread(ctx.profiles.load)
        given = profiles.get(args.profile) if args.profile else None
        info = await asyncio.to_thread(
            find_run,
            args.resume,
            profile=args.profile,
            unknown=args.resend_unknown,
            account=given.account_identity() if given is not None else None,
        )
        run = await prepare_resume(
            info.run_id,
            ctx.account,
            concurrency=args.concurrency,
            path=args.file,
            client=get_client(),
            errors=ctx.errors,
            options=options,
            mapping=saved,
            overrides=overrides,
            skip_unmapped=args.skip_unmapped,
            resend_unknown=args.resend_unknown,
            profile=args.profile,
            profiles=ctx.profiles.load,
        )
        if args.resend_unknown and not await asyncio.to_thread(_confirm_resend, run, args.yes):
            run.release()
            raise ResumeError("nothing was sent: the unknown rows stay listed in the rejects file")
        if args.save_mapping:
            try:
                await _save_mapping(run, args.save_mapping)
            except BaseException:
                run.release()
                raise
        return run
    account = await asyncio.to_thread(ctx.account, args.profile)
    run = await prepare_import(
        account,
        args.file,
        options=options,
        mapping=saved,
        overrides=overrides,
        skip_unmapped=args.skip_unmapped,
        client=get_client(),
        errors=ctx.errors,
    )
    if args.save_mapping:
        try:
            await _save_mapping(run, args.save_mapping)
        except BaseException:
            run.release()
            raise
    return run


async def _save_mapping(run: ImportRun, where: str) -> None:
    """--save-mapping: the mapping the run uses (a resumed run's own, too)."""
    import asyncio

    path = await asyncio.to_thread(run.mapping.save, where, inputs=(run.source.path,))
    print(f"mapping saved to {path}", file=sys.stderr)


async def _main(args: argparse.Namespace, ctx: Context) -> int:
    import asyncio
    import signal

    from cxconsole.client import close_client
    from cxconsole.storage import DiskError

    try:
        run = await _prepare(args, ctx)
        reporter = Reporter(run, quiet=args.json, live=sys.stderr.isatty())
        run.subscribe(reporter)
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        presses = 0

        def on_sigint() -> None:
            nonlocal presses
            presses += 1
            if run.state in (RunState.READY, RunState.CHECKING) and main is not None:
                # Still checking the file: nothing has been sent, so stop at once.
                reporter.line("interrupted: stopped before anything was sent")
                main.cancel()
            elif presses == 1:
                reporter.line(
                    "interrupted: finishing the batches in flight (Ctrl-C again to stop now)"
                )
                run.cancel()
            elif main is not None:
                main.cancel()

        # SIGTERM (timeout, systemd, CI) and SIGHUP (a dropped ssh session) stop it as Ctrl-C
        # does: the batches in flight are finished, so no row is left of unknown outcome.
        # Not in the main thread, or no signals on this platform: Ctrl-C stops at once.
        names = ("SIGINT", "SIGTERM", "SIGHUP")
        stoppers = [getattr(signal, name) for name in names if hasattr(signal, name)]
        for signum in stoppers:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, on_sigint)
        summary: RunSummary | None = None
        try:
            if not run.resumed and not args.dry_run:
                # The whole file first: what it needs decided is asked before anything leaves.
                await run.preflight()
                # The same content into the same profile, running or done: refused here,
                # before a run is made.
                with contextlib.suppress(DiskError):  # run() meets it again, as a disk error
                    await run.claim()

            summary = await run.run()
        except asyncio.CancelledError:
            summary = run.summary  # None: stopped before the run began
        finally:
            for signum in stoppers:
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
            run.release()
    finally:
        await close_client()
    if summary is None:
        message = "interrupted before anything was sent"
        _json_result(args, None, EXIT_INTERRUPTED, state="cancelled", message=message)
        return fail(f"import: {message}", EXIT_INTERRUPTED)
    try:
        return _report(args, summary, run.problem, run.left_out())
    except BrokenPipeError:
        # The reader of our output went away (``| head``): the run's outcome stands, and its
        # exit code says it; the summary is in the run's history and journal.
        _output_gone()
        return _exit_code(summary)


def _output_gone() -> None:
    """Point stdout and stderr at the null device once their reader is gone, so that no
    later write (nor the interpreter's last flush) fails again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, stream.fileno())


def _confirm_resend(run: ImportRun, yes: bool) -> bool:
    """Ask once, naming the vendor's risk of duplicates; only a terminal (or --yes) agrees."""
    rows = run.unknown_rows
    risk = run.vendor.resend_risk
    print(
        f"run {run.run_id}: {rows:,} row(s) of unknown outcome will be sent again to "
        f"{run.vendor.title}.\n  Risk: {risk}",
        file=sys.stderr,
    )
    if yes:
        return True
    if not sys.stdin.isatty():
        print("  not a terminal: give --yes to confirm", file=sys.stderr)
        return False
    try:
        answer = input("  send them again? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _exit_code(summary: RunSummary) -> int:
    if summary.state == "auth_failed":
        return EXIT_AUTH
    if summary.state == "cancelled":
        return EXIT_INTERRUPTED
    if summary.state == "input_error":
        return EXIT_USAGE
    if not summary.complete:
        return EXIT_FAILED
    return EXIT_OK


def _report(
    args: argparse.Namespace,
    summary: RunSummary,
    problem: Exception | None,
    left: list[LeftOut],
) -> int:
    code = _exit_code(summary)
    if summary.state not in ("finished", "cancelled") and summary.message:
        # Why the run stopped early (a broken line, a refused key): on stderr, like any error.
        message = _worded(problem) if problem is not None else summary.message
        print(f"cxconsole import: {message}", file=sys.stderr)
        if summary.state == "input_error" and summary.dry_run:
            print(
                "cxconsole import: the import stops here too, before it sends anything",
                file=sys.stderr,
            )
        elif summary.state == "input_error" and summary.rows_imported == 0:
            print("cxconsole import: nothing was sent", file=sys.stderr)
    if args.json:
        worded = _worded(problem) if problem is not None else summary.message
        _json_result(args, summary, code, message=worded, columns=[c.as_json() for c in left])
        return code
    verb = "would be imported" if summary.dry_run else "imported"
    said = (
        f"run {summary.run_id}"
        if summary.made
        else "dry run not recorded"
        if summary.unrecorded
        else "no run was made"
    )
    word = state_word(
        summary.state, summary.outcome, resumable=summary.resumable, dry_run=summary.dry_run
    )
    print(f"{said}: {word}")
    print(
        f"  rows: {summary.rows_total:,} read, {summary.rows_imported:,} {verb}, "
        f"{summary.rows_not_imported:,} not imported"
    )
    details = [
        (summary.rows_invalid, "invalid"),
        (summary.rows_refused, "refused by the vendor"),
        (summary.rows_unknown, "outcome unknown (check the vendor before resending)"),
        (summary.rows_failed, "in failed batches (resumable)"),
        (
            summary.rows_not_sent,
            "not sent: the import stops before sending any"
            if summary.dry_run
            else "not sent yet (resumable)"
            if summary.made
            else "not sent",
        ),
    ]
    for count, what in details:
        if count:
            print(f"    {count:,} {what}")
    batches = batches_said(
        summary.batches_ok,
        summary.batches_failed,
        summary.batches_partial,
        summary.batches_unknown,
        summary.batches_not_sent,
    )
    print(f"  batches: {summary.batches_total:,} total, {batches}")
    if left:
        print(f"  columns not sent: {', '.join(c.said() for c in left)}")
    unsent = summary.rows_not_sent if not summary.dry_run else 0
    if summary.rejects_written and (summary.rows_rejected or unsent):
        # The rejects file lists the rows that have an outcome; the unsent ones are the
        # resume's to send, and the line says they are not in it.
        listed = f"lists {summary.rows_rejected - summary.rows_unlisted:,} row(s)"
        if summary.rejects_incomplete:
            listed += f"; {summary.rejects_incomplete}"
        if unsent:
            listed += f"; the {unsent:,} not sent are not in it (a resume sends them)"
        print(f"  rejects: {summary.rejects_path} ({listed})")
    if summary.made:
        print(f"  journal: {summary.journal_path}")
    if summary.message:
        print(f"  {summary.message}")
    if summary.resumable and not summary.dry_run:
        print(f"  resume with: cxconsole import --resume {summary.run_id}")
    if summary.rows_unknown and not summary.dry_run:
        print(
            f"  after checking the vendor, send the unknown rows again with: "
            f"cxconsole import --resume {summary.run_id} --resend-unknown"
        )
    return code


class Reporter:
    """Renders run events on stderr: a live line on a terminal, plain lines otherwise."""

    PLAIN_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal

    def __init__(self, run: ImportRun, *, quiet: bool, live: bool) -> None:
        self.run = run
        self.quiet = quiet
        self.live = live
        self._last_plain = 0.0
        self._shown = False
        self._failures = 0
        self._unknown = 0  # batches (or parts) whose reply was lost
        self._checking = False

    def line(self, text: str) -> None:
        if self.live and self._shown:
            sys.stderr.write("\r\x1b[K")
            self._shown = False
        print(text, file=sys.stderr)

    def __call__(self, event: Event) -> None:
        try:
            self._render(event)
        except BrokenPipeError:
            # Nobody reads the progress any more: the run goes on, and says nothing more.
            _output_gone()

    def _render(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            what = "resuming" if event.resumed else "dry run" if event.dry_run else "importing"
            said = f"run {event.run_id}" if event.recorded else "not recorded"
            self.line(
                f"{said}: {what} {event.source} into {event.profile} "
                f"({event.vendor}), batches of {event.batch_size}, {event.concurrency} at once"
            )
            if event.read_as:
                self.line(f"  read as: {event.read_as}")
            if not self.quiet:
                for header, key in event.mapping.items():
                    self.line(f"  {header} -> {key}")
                left = self.run.left_out()
                if left:
                    self.line(f"  not sent: {', '.join(c.said() for c in left)}")
            if event.recorded:
                self.line(f"  journal: {event.journal_path}")
        elif isinstance(event, Notice):
            self.line(f"warning: {event.message}")
        elif isinstance(event, BatchFailed):
            part = f" (part {event.part})" if event.part else ""
            if event.unknown:
                # The reply was lost: the vendor may hold these rows. Never called failed.
                self._unknown += 1
                self.line(
                    f"batch {event.batch}{part}: outcome unknown for {event.rows:,} row(s), "
                    f"not sent again: {event.message}"
                )
            else:
                self._failures += 1
                self.line(f"batch {event.batch}{part} failed: {event.message}")
            if event.entry is not None:
                self.line(f"  what to do: {event.entry.action_for('cli', 'import')}")
        elif isinstance(event, RowsRejected) and not self.quiet and event.kind == "refused":
            for line, reason in zip(event.lines[:3], event.reasons[:3], strict=False):
                self.line(f"  line {line} refused by the vendor: {reason}")
            if len(event.lines) > 3:
                self.line(f"  ... and {len(event.lines) - 3} more rows refused")
        elif isinstance(event, Progress):
            self._progress(event)
        elif isinstance(event, PreflightProgress) and self.live:
            sys.stderr.write(f"\r\x1b[Kchecking the whole file: {event.rows_read:,} rows read")
            sys.stderr.flush()
            self._shown = True
        elif isinstance(event, PreflightProgress) and not self._checking:
            # Once, where no live line can be drawn: a long check is not a hang.
            self._checking = True
            self.line("checking the whole file before anything is sent")
        elif isinstance(event, PreflightDone):
            invalid = f", {event.rows_invalid:,} invalid" if event.rows_invalid else ""
            blank = f" ({event.blank_lines:,} blank lines skipped)" if event.blank_lines else ""
            self.line(
                f"checked: {event.rows:,} rows{invalid}{blank}, {event.batches:,} batches to send"
            )
        elif isinstance(event, RunFinished) and self.live and self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self._shown = False
        elif isinstance(event, RunFinished) and not self.live:
            self._last_plain = 0.0  # the last progress line says where it ended, not before
            self._progress(self.run.progress())

    def _progress(self, event: Any) -> None:
        total = f"/{event.rows_total:,}" if event.rows_total is not None else ""
        eta = f", ETA {duration(event.eta_seconds)}" if event.eta_seconds is not None else ""
        batches = f"{event.batches_done:,}"
        if event.batches_total is not None:
            batches += f"/{event.batches_total:,}"
        notes = [f"{self._failures:,} failed"] if self._failures else []
        notes += [f"{self._unknown:,} unknown"] if self._unknown else []
        batch_notes = f" ({', '.join(notes)})" if notes else ""
        text = (
            f"{event.rows_imported + event.rows_rejected:,}{total} rows "
            f"({event.rows_imported:,} ok, {event.rows_rejected:,} listed"
            + (f", {event.rows_unknown:,} of them unknown" if event.rows_unknown else "")
            + "), "
            f"{batches} batches{batch_notes}, {event.rows_per_second:,.0f} rows/s{eta}"
        )
        if self.live:
            sys.stderr.write("\r\x1b[K" + text)
            sys.stderr.flush()
            self._shown = True
        elif time.monotonic() - self._last_plain >= self.PLAIN_EVERY:
            self._last_plain = time.monotonic()
            print(text, file=sys.stderr)
