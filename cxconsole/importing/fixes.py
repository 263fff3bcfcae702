"""Rejected rows fixed in place: read back, edited, checked at once, and sent within their run.

Only rows that were never imported can be fixed: those rejected here (``invalid``) and those the
vendor refused (``refused``). A row of unknown outcome may be at the vendor already (it is
resent only on purpose), and a failed batch's rows are retried as they are: they are shown
(``failed``, a fixed one with its fixed values) but not edited, and a resume sends them. The
values shown for editing are read from the source file (the rejects file's cells may carry the
``'`` that keeps a spreadsheet from running them), so what is edited is what the file said.
The fixed values go into the run's journal before their batch is sent: should it fail, or its
reply be lost, a resume sends it from there (``ImportRun._feed_fixes``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cxconsole.importing.readers import RowProblem, open_rows
from cxconsole.importing.validate import RowError

if TYPE_CHECKING:
    from cxconsole.importing.records import RowPlan
    from cxconsole.importing.runner import ImportRun

FIXABLE = ("invalid", "refused")
SHOWN = (*FIXABLE, "failed")  # failed: shown, not edited (a resume sends them again)
MAX_ROWS = 5_000  # rows loaded for editing at once: a grid, not a spreadsheet


@dataclass
class FixableRow:
    """A rejected row: its key (line or record), why, and its values as in the file."""

    key: int
    kind: str
    field: str
    reason: str
    values: list[Any]
    raw: str | None = None  # a row that could not be read as columns at all (not editable)

    @property
    def editable(self) -> bool:
        return self.raw is None and self.kind in FIXABLE

    @property
    def resent(self) -> bool:
        """A row of a failed batch: a resume sends it again as shown."""
        return self.kind == "failed"


def load_fixable(run: ImportRun, limit: int = MAX_ROWS) -> list[FixableRow]:
    """The run's invalid and refused rows, with their values from the source, and the rows
    of its failed batches (a fixed one with the values it was sent with) (blocking)."""
    rejects = run.rejects_file()
    listed = rejects.listed(SHOWN)
    wanted = dict(sorted(listed.items())[:limit])
    found: list[FixableRow] = []
    fixed = run.fixed_unsettled()
    for key, values in fixed.items():
        if key in wanted and wanted[key][0] == "failed":
            kind, field, reason = wanted.pop(key)
            found.append(FixableRow(key, kind, field, reason, [_text(v) for v in values]))
    if not wanted:
        return sorted(found, key=lambda row: row.key)
    target = len(found) + len(wanted)
    with open_rows(dataclasses.replace(run.source, hashing=False)) as stream:
        for key, values in stream:
            if key not in wanted:
                continue
            kind, field, reason = wanted[key]
            width = len(run.source.headers)
            if isinstance(values, RowProblem):
                # Shown whole when its cells are known (XLSX), never editable: a formula
                # with no value, or a cell with no column, is fixed in the file.
                shown = [_text(v) for v in (values.cells or [])[:width]]
                shown += [""] * (width - len(shown)) if shown else []
                found.append(FixableRow(key, kind, field, reason, shown, raw=values.raw))
            else:
                cells = [_text(v) for v in values[:width]]
                found.append(
                    FixableRow(key, kind, field, reason, cells + [""] * (width - len(cells)))
                )
            if len(found) == target:
                break
    return sorted(found, key=lambda row: row.key)


def check_row(plan: RowPlan, values: list[Any]) -> str | None:
    """Why ``values`` would be rejected here (``field: reason``), or None when it would go."""
    try:
        plan.build(list(values))
    except RowError as exc:
        return f"{exc.field}: {exc.reason}"
    return None


async def load_fixable_async(run: ImportRun) -> list[FixableRow]:
    return await asyncio.to_thread(load_fixable, run)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
