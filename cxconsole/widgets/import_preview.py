"""The first rows of a file as the vendor would get them: mapped, converted, checked.

:func:`mapped_preview` runs the core's own row plan (:class:`cxconsole.importing.records.RowPlan`)
over the sniffed rows, so what the preview shows (a phone in E.164, a date in the vendor's
format, an e-mail rejected and why) is what the import will do. It is blocking (the plan
imports phonenumbers on first use): call it from a thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

if TYPE_CHECKING:
    from cxconsole.importing.mapping import ColumnMapping
    from cxconsole.importing.sniff import Sniff
    from cxconsole.vendors.base import TargetField, Vendor

MAX_CELL = 26
MAX_REASON = 40  # the whole reason is listed under the table


@dataclass(frozen=True, slots=True)
class PreviewRow:
    line: int
    values: dict[str, str]  # key sent -> value sent
    problem: str | None  # why the row would be rejected


@dataclass(frozen=True, slots=True)
class Preview:
    columns: list[tuple[str, str]]  # (key sent, label)
    rows: list[PreviewRow]

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if r.problem)

    def problems(self) -> list[str]:
        return [f"line {r.line}: {r.problem}" for r in self.rows if r.problem]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)


def mapped_preview(
    sniff: Sniff,
    mapping: ColumnMapping,
    fields: Sequence[TargetField],
    vendor: Vendor,
    region: str | None = None,
) -> Preview:
    """The sniffed rows through the run's row plan (blocking)."""
    from cxconsole.importing.options import default_region
    from cxconsole.importing.records import RowPlan
    from cxconsole.importing.validate import RowError

    headers = sniff.headers
    plan = RowPlan(
        headers,
        mapping,
        fields,
        date_format=vendor.date_format,
        region=(region or default_region()).upper(),
        text_only=False,
    )
    labels = {f.name: f.label for f in fields}
    columns = [(key, labels.get(key, key)) for key in mapping.included(headers).values()]
    rows: list[PreviewRow] = []
    for line, values in sniff.rows:
        if len(values) == 1 and values[0].startswith("<") and len(headers) > 1:
            rows.append(PreviewRow(line, {}, values[0].strip("<>")))
            continue
        try:
            full, _extra = plan.normalise_row(list(values))
            record, product = plan.build(full)
        except RowError as exc:
            rows.append(PreviewRow(line, {}, f"{exc.field}: {exc.reason}"))
            continue
        sent = {k: _text(v) for k, v in record.items()}
        if product:
            sent.update({k: _text(v) for k, v in product.items()})
        rows.append(PreviewRow(line, sent, None))
    return Preview(columns, rows)


class PreviewTable(DataTable[Text]):
    """Line, each field sent, and a mark: ✓ or ✗ with the reason."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def show(self, preview: Preview | None, empty: str = "") -> None:
        self.clear(columns=True)
        if preview is None:
            self.add_column(empty or "No preview yet", key="empty")
            return
        self.add_column("Line", key="line")
        self.add_column("", key="ok")
        for key, label in preview.columns:
            self.add_column(label, key=f"f:{key}")
        self.add_column("Why rejected", key="why")
        from cxconsole.widgets.catalog_detail import theme_colours

        colours = theme_colours(self.app)  # rich cannot read $variables; 256-colour safe
        good, bad = colours["yes"] or "green", colours["never"] or "red"
        for row in preview.rows:
            cells: list[Text] = [Text(str(row.line), justify="right", style="dim")]
            if row.problem:
                cells.append(Text("✗", style=f"bold {bad}"))
                cells += [Text("") for _ in preview.columns]
                short = row.problem[:MAX_REASON] + ("…" if len(row.problem) > MAX_REASON else "")
                cells.append(Text(short, style=bad))
            else:
                cells.append(Text("✓", style=good))
                for key, _label in preview.columns:
                    value = row.values.get(key, "")
                    clipped = value[:MAX_CELL] + ("…" if len(value) > MAX_CELL else "")
                    cells.append(Text(clipped))
                cells.append(Text(""))
            self.add_row(*cells)
