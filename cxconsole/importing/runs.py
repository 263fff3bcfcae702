"""Past runs, read from their journals: when, which file and profile, counts, and state.

States: ``running`` (another process holds the run's lock), ``finished`` (ended, and nothing
to resume: finished, or stopped by its file, its options or a bug), ``resumable`` (as
:func:`~cxconsole.importing.events.is_resumable` says: cancelled, interrupted, crashed,
stopped, or finished with failed batches) and ``dry-run``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cxconsole.importing.accounts import identities, owner_label, same, same_account
from cxconsole.importing.errors import ResumeError
from cxconsole.importing.events import is_resumable, missing_said
from cxconsole.importing.journal import JOURNAL_NAME, Replay, is_running, read_journal
from cxconsole.paths import runs_dir
from cxconsole.profiles import Profile


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    started: str  # ISO 8601, UTC
    last_activity: str | None
    file: str
    profile: str
    vendor: str
    dry_run: bool
    state: str  # running | finished | resumable | dry-run
    end_state: str | None  # the run's own last word: finished, cancelled, auth_failed, ...
    rows_total: int | None
    rows_imported: int
    rows_rejected: int | None
    batches_ok: int
    batches_failed: int
    rows_unknown: int  # rows whose outcome is unknown (a lost reply): may be sent again
    batches_unknown: int
    outcome: str | None  # complete | partial | nothing | empty, once the run ended
    message: str
    journal_path: Path
    rejects_path: Path
    rows_not_sent: int | None = None  # counted by the pre-flight, never sent (resumable)
    batches_partial: int = 0  # settled with rows refused, the rest imported
    file_sha256: str | None = None  # of the whole file, once known
    account: dict[str, Any] = field(default_factory=dict)  # where it sent (empty: not recorded)
    # Rejected rows the rejects file lacks (the disk refused them); None: no end recorded,
    # so not known (rows in flight when it stopped are listed by a resume).
    rejects_missing: int | None = 0
    # Among rows_rejected, by kind (None: no end recorded): rows_unknown is the fourth.
    rows_invalid: int | None = None
    rows_refused: int | None = None
    rows_failed: int | None = None
    batches_not_sent: int = 0  # of the last session's summary (0: none recorded)
    # The profile it belongs to now, as shown (``qp-new (was qp)``); set by :func:`named`.
    profile_label: str = ""

    @property
    def rejects_note(self) -> str:
        """What the rejects file lacks, as every face says it ("" when it is whole)."""
        if self.dry_run:
            return ""
        if self.rejects_missing:
            return f"The rejects file is incomplete: {missing_said(self.rejects_missing)}"
        if self.rejects_missing is None and self.state == "resumable":
            return (
                "No end recorded: the rejects file may lack the rows in flight when the run "
                "stopped; the journal holds them, and a resume lists them"
            )
        return ""

    def listed_said(self) -> str:
        """The rows the rejects file lists (``rows_rejected``) and their kinds, as every face
        words them: ``12 listed (5 invalid, 3 refused, 2 failed, 2 unknown)``; "" for none."""
        if not self.rows_rejected:
            return ""
        kinds = [
            f"{count:,} {what}"
            for count, what in (
                (self.rows_invalid, "invalid"),
                (self.rows_refused, "refused"),
                (self.rows_failed, "failed"),
                (self.rows_unknown, "unknown"),
            )
            if count
        ]
        said = f"{self.rows_rejected:,} listed"
        return f"{said} ({', '.join(kinds)})" if kinds else said

    @property
    def profile_shown(self) -> str:
        """The run's profile as the operator knows it now (its recorded name until
        :func:`named` looked at the profiles)."""
        return self.profile_label or self.profile

    @property
    def rows_rejected_known(self) -> int | None:
        """Rows not imported for a known reason (invalid, refused, failed): the rows of
        unknown outcome, which the vendor may hold, are not among them."""
        if self.rows_rejected is None:
            return None
        return max(0, self.rows_rejected - self.rows_unknown)

    @property
    def rows_open(self) -> int | None:
        """Rows with no outcome in the journal: not sent, or in flight when the run was
        killed (unknown ones counted apart). None while the total is not known."""
        if self.rows_total is None:
            return None
        listed = self.rows_rejected_known or 0
        return max(0, self.rows_total - self.rows_imported - listed - self.rows_unknown)

    def as_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["journal_path"] = str(self.journal_path)
        data["rejects_path"] = str(self.rejects_path)
        return data


def run_info(path: Path) -> RunInfo:
    """One run's record; raises ValueError for a file that is not a run journal."""
    replay = Replay.of(read_journal(path))
    header = replay.header
    run_id = header.run_id or path.parent.name
    end = replay.end
    summary = end.summary if end is not None else {}
    if is_running(run_id):
        state = "running"
    elif header.dry_run:
        state = "dry-run"
    elif is_resumable(end.state if end is not None else None, failed=bool(replay.failed)):
        state = "resumable"
    else:
        state = "finished"  # ended: finished, or stopped by its file, options or a bug
    return RunInfo(
        run_id=run_id,
        started=header.at,
        last_activity=replay.last_at,
        file=header.file.get("path", ""),
        profile=header.profile,
        vendor=header.vendor,
        dry_run=header.dry_run,
        state=state,
        end_state=end.state if end is not None else None,
        # The pre-flight's count (in the header) when the run never ended: killed mid-way.
        rows_total=summary.get("rows_total", header.rows_total),
        rows_imported=summary.get("rows_imported", replay.rows_imported),
        rows_rejected=summary.get("rows_rejected"),
        batches_ok=summary.get("batches_ok", sum(1 for s in replay.done.values() if s == "done")),
        batches_failed=summary.get("batches_failed", len(replay.failed)),
        rows_unknown=summary.get("rows_unknown", replay.unknown_rows),
        batches_unknown=summary.get(
            "batches_unknown", sum(1 for s in replay.done.values() if s == "unknown")
        ),
        outcome=summary.get("outcome"),
        message=end.message if end is not None else "",
        journal_path=path,
        rejects_path=Path(header.rejects_path),
        rows_not_sent=summary.get("rows_not_sent"),
        batches_partial=summary.get("batches_partial", len(replay.partial)),
        file_sha256=header.file.get("sha256") or (replay.read.sha256 if replay.read else None),
        account=header.account,
        rejects_missing=summary.get("rows_unlisted", 0) if end is not None else None,
        rows_invalid=summary.get("rows_invalid"),
        rows_refused=summary.get("rows_refused"),
        rows_failed=summary.get("rows_failed"),
        batches_not_sent=summary.get("batches_not_sent", 0),
    )


def list_runs(limit: int | None = None) -> list[RunInfo]:
    """Every run in the state dir, newest first; unreadable journals are skipped."""
    root = runs_dir()
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.glob(f"*/{JOURNAL_NAME}"), reverse=True):
        try:
            found.append(run_info(path))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if limit is not None and len(found) >= limit:
            break
    found.sort(key=lambda r: r.started, reverse=True)
    return found


def named(runs: list[RunInfo], profiles: Mapping[str, Profile]) -> list[RunInfo]:
    """``runs`` with the profile each belongs to now (a renamed profile's new name, the old one
    said beside it), for history to show."""
    accounts = identities(profiles)
    return [
        replace(run, profile_label=owner_label(run.account, run.profile, accounts)) for run in runs
    ]


def same_file_runs(profile: str, sha256: str, account: dict[str, Any]) -> list[RunInfo]:
    """Runs that sent (or send) a file of this content to ``account`` under any profile
    name, or into ``profile`` whatever account it pointed at then (never a customer twice on
    a guess: the secret, which may be what picks the account, is not compared), newest
    first; dry runs, which send nothing, are left out."""
    return [
        run
        for run in list_runs()
        if (run.profile == profile or same_account(run.account, run.profile, account, profile))
        and not run.dry_run
        and run.file_sha256 == sha256
    ]


def find_run(
    ref: str,
    *,
    profile: str | None = None,
    unknown: bool = False,
    account: dict[str, Any] | None = None,
) -> RunInfo:
    """A run by id, or ``last``: the newest resumable run (of ``profile``, when given); with
    ``unknown``, the newest run that has rows of unknown outcome left.

    With ``account`` (``profile``'s), ``last`` also finds a run sent to that account under
    another name (a renamed profile); a run under ``profile``'s name sent elsewhere is found
    too, for the resume to refuse naming what changed."""
    if ref != "last":
        path = runs_dir() / ref / JOURNAL_NAME
        if not path.exists():
            raise ResumeError(f"no run {ref!r} in {runs_dir()}")
        try:
            return run_info(path)
        except (ValueError, KeyError, TypeError) as exc:
            raise ResumeError(f"run {ref}: unreadable journal ({exc})") from None
    for run in list_runs():
        renamed = bool(account) and same(run.account, account or {})  # the same, renamed
        if profile is not None and run.profile != profile and not renamed:
            continue
        if run.state == "running":
            # The newest run is being sent by another process: never a second sender.
            raise ResumeError(f"run {run.run_id} is running in another process")
        if run.rows_unknown > 0 if unknown else run.state == "resumable":
            return run
    which = f" of profile {profile!r}" if profile else ""
    raise ResumeError(f"no resumable run{which} in {runs_dir()}")
