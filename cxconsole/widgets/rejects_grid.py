"""The rejected rows of a run as an editable grid: enter edits a cell, the row is checked again
at once (by the core's row plan), and the fixed rows can be sent within their run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

if TYPE_CHECKING:
    from cxconsole.importing.fixes import FixableRow

MAX_CELL = 24
MAX_WHY = 44


class CellEditor(ModalScreen[str | None]):
    """One cell's value, edited; dismissed with the new text or None (escape)."""

    DEFAULT_CSS = """
    CellEditor { align: center middle; }
    CellEditor > Vertical {
        width: 76; max-width: 96%; height: auto;
        border: round $primary; background: $surface; padding: 0 1;
    }
    CellEditor #cell-title { text-style: bold; }
    CellEditor #cell-hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cell_editor.cancel"),
    ]

    def __init__(self, title: str, value: str, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="cell-title", markup=False)
            yield Input(value=self.value, id="cell-value", select_on_focus=False)
            yield Static(self.hint or "enter: keep · esc: cancel", id="cell-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RejectsGrid(DataTable[Text]):
    """Key, kind, what is wrong now, then the file's columns; the row key is the row's key."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=True, **kwargs)
        self.headers: list[str] = []
        self.rows_by_key: dict[int, FixableRow] = {}
        self.problems: dict[int, str | None] = {}  # key -> why it would still be rejected
        self.edited: set[int] = set()
        self.good, self.bad = "green", "red"

    def show(self, rows: Sequence[FixableRow], headers: Sequence[str], unit: str = "line") -> None:
        from cxconsole.widgets.catalog_detail import theme_colours

        colours = theme_colours(self.app)  # rich cannot read $variables; 256-colour safe
        self.good, self.bad = colours["yes"] or "green", colours["never"] or "red"
        self.clear(columns=True)
        self.headers = list(headers)
        self.rows_by_key = {row.key: row for row in rows}
        self.add_column(unit.capitalize(), key="key")
        self.add_column("Kind", key="kind")
        self.add_column("Now", key="why")
        for index, header in enumerate(self.headers):
            self.add_column(header, key=f"c{index}")
        for row in rows:
            self.add_row(*self._cells(row), key=str(row.key))

    def _cells(self, row: FixableRow) -> list[Text]:
        problem = self.problems.get(
            row.key, f"{row.field}: {row.reason}" if row.field else row.reason
        )
        if row.key in self.edited and problem is None:
            why = Text("✓ fixed, to send", style=f"bold {self.good}")
        else:
            short = (problem or "")[:MAX_WHY] + ("…" if len(problem or "") > MAX_WHY else "")
            why = Text("✗ " + short, style=self.bad)
        cells = [Text(str(row.key), justify="right"), Text(row.kind, style="dim"), why]
        if not row.editable and not row.values:
            cells.append(Text((row.raw or "")[:80], style="dim italic"))
            cells += [Text("") for _ in self.headers[1:]]
            return cells
        style = "" if row.editable else "dim italic"  # its cells, known but not editable
        for value in row.values:
            clipped = value[:MAX_CELL] + ("…" if len(value) > MAX_CELL else "")
            cells.append(Text(clipped, style=style))
        return cells

    def redraw_row(self, key: int) -> None:
        # Not refresh_row: DataTable calls that with a row index, this takes a file line.
        row = self.rows_by_key[key]
        for column, cell in zip(self.ordered_columns, self._cells(row), strict=False):
            self.update_cell(str(key), column.key, cell)

    def current(self) -> tuple[FixableRow, int] | None:
        """The row and the file column (index) under the cursor; None off the columns."""
        if not self.row_count:
            return None
        cell = self.coordinate_to_cell_key(self.cursor_coordinate)
        if cell.row_key.value is None or not str(cell.column_key.value).startswith("c"):
            return None
        return self.rows_by_key[int(cell.row_key.value)], int(str(cell.column_key.value)[1:])

    def edit_current(self, check: Callable[[list[Any]], str | None]) -> None:
        """Open the editor on the cell under the cursor; on enter, check the row again."""
        found = self.current()
        if found is None:
            self.app.notify("Move to one of the file's columns to edit it.", timeout=3)
            return
        row, column = found
        if row.resent:
            self.app.notify("Its batch failed: a resume sends this row again as shown.")
            return
        if not row.editable:
            self.app.notify("This line could not be read as columns: fix it in the file.")
            return

        def edited(value: str | None) -> None:
            if value is None or value == row.values[column]:
                return
            row.values[column] = value
            self.edited.add(row.key)
            self.problems[row.key] = check(row.values)
            self.redraw_row(row.key)

        title = f"{self.headers[column]} (line {row.key})"
        self.app.push_screen(CellEditor(title, row.values[column]), edited)

    def fixed(self) -> dict[int, list[Any]]:
        """The edited rows that would now go: key -> values."""
        return {
            key: self.rows_by_key[key].values
            for key in sorted(self.edited)
            if self.problems.get(key) is None
        }
