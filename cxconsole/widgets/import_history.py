"""Past import runs, read from their journals: one row per run, resumable ones marked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

if TYPE_CHECKING:
    from cxconsole.importing.runs import RunInfo

STATE_LABEL = {
    "resumable": "⟳ resumable",
    "running": "● running",
    "finished": "✓ finished",
    "dry-run": "dry run",
}


def when(iso: str | None, *, full: bool = False) -> str:
    """A journal's UTC timestamp in local time, to the minute (``full``: to the second)."""
    if not iso:
        return ""
    try:
        at = datetime.fromisoformat(iso).astimezone()
        return at.strftime("%Y-%m-%d %H:%M:%S") if full else at.strftime("%d %b %H:%M")
    except ValueError:
        return iso[:16]


def _state(run: RunInfo) -> str:
    """The run's state, and for a finished one what it achieved (never a bare ✓ on a run
    that left rows behind)."""
    if run.state == "finished" and run.outcome not in (None, "complete"):
        return {"partial": "◐ finished, partly", "nothing": "✗ finished, none in"}.get(
            run.outcome, STATE_LABEL["finished"]
        )
    return STATE_LABEL.get(run.state, run.state)


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def describe(run: RunInfo) -> str:
    """The highlighted run in a few lines (plain text, never markup)."""
    parts = [
        f"Run {run.run_id} · {run.state}"
        + (f" (last word: {run.end_state})" if run.end_state else " (no end recorded)"),
        f"File: {run.file}",
        f"Profile: {run.profile} ({run.vendor}) · started {when(run.started, full=True)}"
        + (f" · last activity {when(run.last_activity, full=True)}" if run.last_activity else ""),
        f"Journal: {run.journal_path}",
    ]
    if str(run.rejects_path) not in ("", "."):
        parts.append(f"Rejects: {run.rejects_path}")
    if run.message:
        parts.append(run.message)
    if run.rows_unknown:
        parts.append(
            f"{run.rows_unknown:,} row(s) of unknown outcome: check the vendor, then u sends "
            "them again"
        )
    if run.state == "resumable":
        parts.append("enter or r: resume it (the file must be unchanged)")
    if run.state in ("finished", "resumable") and not run.dry_run:
        parts.append("e: fix its rejected rows")
    return "\n".join(parts)


class HistoryTable(DataTable[Text]):
    """Runs, newest first; the row key is the run id."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.runs: list[RunInfo] = []

    def show(self, runs: Sequence[RunInfo], colours: dict[str, str], keep: str | None) -> None:
        self.runs = list(runs)
        self.clear(columns=True)
        for label, key in (
            ("When", "when"),
            ("State", "state"),
            ("File", "file"),
            ("Profile", "profile"),
            ("Rows", "rows"),
            ("Imported", "imported"),
            ("Rejected", "rejected"),
            ("Batches ok/✗/?", "batches"),
            ("Run id", "run"),
        ):
            self.add_column(label, key=key)
        style = {
            "resumable": f"bold {colours.get('after_pause', '')}".strip(),
            "running": colours.get("primary", ""),
            "finished": colours.get("yes", ""),
            "dry-run": "dim",
        }
        row = 0
        for i, run in enumerate(self.runs):
            if run.run_id == keep:
                row = i
            self.add_row(
                Text(when(run.started)),
                Text(_state(run), style=style.get(run.state, "")),
                Text(Path(run.file).name or run.file),
                Text(run.profile),
                Text(_count(run.rows_total), justify="right"),
                Text(_count(run.rows_imported), justify="right"),
                Text(_count(run.rows_rejected), justify="right"),
                Text(
                    f"{run.batches_ok:,}/{run.batches_failed:,}/{run.batches_unknown:,}",
                    justify="right",
                ),
                Text(run.run_id, style="dim"),
                key=run.run_id,
            )
        if self.runs:
            self.move_cursor(row=row, animate=False)

    @property
    def current(self) -> RunInfo | None:
        if not self.runs or not 0 <= self.cursor_row < len(self.runs):
            return None
        return self.runs[self.cursor_row]
