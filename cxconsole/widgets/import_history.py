"""Past import runs, read from their journals: one row per run, resumable ones marked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

from cxconsole.importing.events import batches_said, state_word
from cxconsole.widgets.fit import take_by_rank

if TYPE_CHECKING:
    from cxconsole.importing.runs import RunInfo

#: The mark before the state word: "resumable" wins, then what a finished run achieved.
MARKS = {"resumable": "⟳", "running": "●", "complete": "✓", "partial": "◐", "nothing": "✗"}


#: How a time is shown: the history's column (``06 Dec 21:14``), a day and minute
#: (``2026-12-06 21:14``, Home), to the second (a run's detail).
SHORT, MINUTE, SECOND = "%d %b %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"


def when(iso: str | None, *, full: bool = False, form: str = SHORT) -> str:
    """A stored UTC timestamp in local time, in ``form`` (``full``: to the second)."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime(SECOND if full else form)
    except ValueError:
        return iso[:16]


def run_word(run: RunInfo) -> str:
    """The run's state in the words the command line's summary uses (one function says it)."""
    return state_word(
        run.end_state,
        run.outcome,
        resumable=run.state == "resumable",
        running=run.state == "running",
        dry_run=run.dry_run,
    )


def state_label(run: RunInfo) -> str:
    """The run's state word, marked (never a bare ✓ on a run that left rows behind)."""
    mark = MARKS.get(run.state) or (MARKS.get(run.outcome or "") if run.end_state else None)
    word = run_word(run)
    return f"{mark} {word}" if mark and not run.dry_run else word


def _count(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def counts_line(run: RunInfo) -> str:
    """The run's rows and batches as the core counted them; the rows add up to the total."""
    rows = [f"{run.rows_imported:,} imported"]
    if run.rows_rejected is not None:
        # The rows the rejects file lists, as --json's rows_rejected counts them, by kind.
        rows.append(run.listed_said())
    elif run.rows_unknown:
        rows.append(f"{run.rows_unknown:,} unknown")
    if run.rows_open:
        rows.append(f"{run.rows_open:,} not sent")
    rows = [said for said in rows if said]
    of = f"Rows {run.rows_total:,}: " if run.rows_total is not None else "Rows: "
    batches = batches_said(
        run.batches_ok,
        run.batches_failed,
        run.batches_partial,
        run.batches_unknown,
        run.batches_not_sent,
    )
    return f"{of}{', '.join(rows)} · batches: {batches}"


def describe(run: RunInfo) -> str:
    """The highlighted run in a few lines (plain text, never markup)."""
    parts = [
        f"Run {run.run_id} · {run_word(run)}"
        + (f" (last word: {run.end_state})" if run.end_state else " (no end recorded)"),
        counts_line(run),
        f"File: {run.file}",
        f"Profile: {run.profile_shown} ({run.vendor}) · started {when(run.started, full=True)}"
        + (f" · last activity {when(run.last_activity, full=True)}" if run.last_activity else ""),
    ]
    # The journal and the rejects file share the run's folder unless --rejects put them apart:
    # then the folder once, so the panel stays whole on a small terminal.
    journal, rejects = run.journal_path, run.rejects_path
    if str(rejects) in ("", "."):
        parts.append(f"Journal: {journal}")
    elif rejects.parent == journal.parent:
        parts.append(f"Journal and rejects: {journal.parent}/ ({journal.name}, {rejects.name})")
    else:
        parts += [f"Journal: {journal}", f"Rejects: {rejects}"]
    if run.message and run.message != run.end_state:  # "cancelled" is said above already
        parts.append(f"Why it stopped: {run.message}")
    if run.rejects_note:
        parts.append(run.rejects_note)
    if run.rows_unknown:
        parts.append(
            f"{run.rows_unknown:,} row(s) of unknown outcome: check the vendor, then u sends "
            "them again"
        )
    keys = []
    if run.state == "resumable":
        keys.append("enter or r: resume it (the file must be unchanged)")
    if run.state in ("finished", "resumable") and not run.dry_run:
        keys.append("e: fix its rejected rows")
    if keys:
        parts.append(" · ".join(keys))
    return "\n".join(parts)


#: (key, label, rank): a narrow table keeps the lowest ranks, whole columns only (a number or
#: an id is never cut); the panel under the table names every count of the run.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("when", "When", 1),
    ("state", "State", 0),
    ("file", "File", 2),
    ("profile", "Profile", 3),
    ("rows", "Rows", 4),
    ("imported", "Imported", 0),
    ("listed", "Listed", 1),
    ("unknown", "Unknown", 1),
    ("batches", "Batches ok/✗/?", 6),
    ("run", "Run id", 5),
)
FILE_CAP = 24  # a long file name is cut at this width with an ellipsis (the panel has it whole)


def _cells(run: RunInfo, style: dict[str, str]) -> dict[str, Text]:
    name = Path(run.file).name or run.file
    if len(name) > FILE_CAP:
        name = name[: FILE_CAP - 1] + "…"
    return {
        "when": Text(when(run.started)),
        "state": Text(state_label(run), style=style.get(run.state, "")),
        "file": Text(name),
        "profile": Text(run.profile_shown),
        "rows": Text(_count(run.rows_total), justify="right"),
        "imported": Text(_count(run.rows_imported), justify="right"),
        # Every row the rejects file lists (--json's rows_rejected); the rows of unknown
        # outcome among them (the vendor may hold them) are said apart too.
        "listed": Text(_count(run.rows_rejected), justify="right"),
        "unknown": Text(_count(run.rows_unknown), justify="right"),
        "batches": Text(
            f"{run.batches_ok:,}/{run.batches_failed:,}/{run.batches_unknown:,}",
            justify="right",
        ),
        "run": Text(run.run_id, style="dim"),
    }


def fit(rows: list[dict[str, Text]], width: int) -> list[tuple[str, str]]:
    """The columns that fit ``width`` cells whole, the lowest ranks kept longest."""

    def cells(key: str, label: str) -> int:
        return max([len(label), *(row[key].cell_len for row in rows)]) + 2  # padding 1 + 1

    kept = take_by_rank([(rank, cells(key, label)) for key, label, rank in COLUMNS], width)
    return [COLUMNS[i][:2] for i in kept]


class HistoryTable(DataTable[Text]):
    """Runs, newest first; the row key is the run id."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.runs: list[RunInfo] = []
        self._colours: dict[str, str] = {}
        self._fitted_to = 0

    def show(self, runs: Sequence[RunInfo], colours: dict[str, str], keep: str | None) -> None:
        self.runs = list(runs)
        self._colours = colours
        self._draw(keep)

    def _room(self) -> int:
        # Before the first layout the table has no width yet: the screen's is the bound.
        width = self.size.width or (self.screen.size.width if self.is_attached else 0)
        return max(20, (width or 80) - 2)  # a vertical scrollbar takes its own cells

    def _draw(self, keep: str | None) -> None:
        colours = self._colours
        style = {
            "resumable": f"bold {colours.get('after_pause', '')}".strip(),
            "running": colours.get("primary", ""),
            "finished": colours.get("yes", ""),
            "dry-run": "dim",
        }
        rows = [_cells(run, style) for run in self.runs]
        room = self._room()
        self._fitted_to = room
        columns = fit(rows, room)
        self.clear(columns=True)
        for key, label in columns:
            self.add_column(label, key=key)
        row = 0
        for i, (run, cells) in enumerate(zip(self.runs, rows, strict=True)):
            if run.run_id == keep:
                row = i
            self.add_row(*(cells[key] for key, _ in columns), key=run.run_id)
        if self.runs:
            self.move_cursor(row=row, animate=False)

    def on_resize(self) -> None:
        if self.runs and self._room() != self._fitted_to:
            current = self.current
            self._draw(current.run_id if current else None)

    @property
    def current(self) -> RunInfo | None:
        if not self.runs or not 0 <= self.cursor_row < len(self.runs):
            return None
        return self.runs[self.cursor_row]
