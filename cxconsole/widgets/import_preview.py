"""The first rows of a file as the vendor would get them: mapped, converted, checked.

The rows come from the core's set-up (:meth:`cxconsole.importing.setup.ImportSetup.preview`),
made by the run's own row plan: what the table shows (a phone in E.164, a date in the vendor's
format, an e-mail rejected and why) is what the import will do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import DataTable

if TYPE_CHECKING:
    from cxconsole.importing.setup import Preview

MAX_CELL = 26
MAX_REASON = 40  # the whole reason is listed under the table


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
