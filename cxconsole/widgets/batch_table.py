"""The batches of an import run: a model folded from the run's events, and a line-API table.

:class:`BatchBook` takes every event of a run in O(1) (a dict lookup, a few attribute stores)
and remembers that something changed; it never touches a widget, so the runner's hot path pays
almost nothing for the screen. :class:`BatchTable` draws only the lines in view
(``ScrollView.render_line``), so 10,000 batches cost the same to redraw as 30, and a redraw
happens when the screen flushes the book (a few times a second), never once per event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

if TYPE_CHECKING:
    from cxconsole.catalog.entry import CatalogEntry

#: States a batch row can show, and the component class that colours each.
STATE_STYLE = {
    "queued": "muted",
    "sending": "active",
    "retrying": "warning",
    "ok": "ok",
    "partial": "warning",
    "failed": "failed",
    "unknown": "failed",
}
PROBLEM_STATES = frozenset({"failed", "unknown", "partial"})


@dataclass(slots=True)
class BatchRow:
    """What the screen knows of one batch, from the events about it."""

    number: int
    first_line: int = 0
    last_line: int = 0
    rows: int = 0
    records: int = 0
    active: bool = False  # a request of this batch is out (or waiting to retry)
    retrying: bool = False
    attempts: int = 0  # HTTP requests made for it, retries and halves included
    imported: int = 0
    refused: int = 0
    failed_parts: int = 0
    unknown_rows: int = 0
    status: int | None = None  # HTTP status of the latest failure, when known
    ok_status: int | None = None  # HTTP status of the reply that accepted it
    code: str | None = None
    entry: CatalogEntry | None = None
    latency: float | None = None
    receipt: str = ""
    message: str = ""
    retry_later: bool = False
    version: int = 0  # bumped at each change: the table redraws changed lines only

    @property
    def state(self) -> str:
        if self.active:
            return "retrying" if self.retrying else "sending"
        if self.failed_parts:
            return "failed"
        if self.unknown_rows:
            return "unknown"
        if self.refused:
            return "partial"  # some rows refused by the vendor, the rest imported
        if self.imported or self.attempts:
            return "ok"
        return "queued"

    @property
    def lines_text(self) -> str:
        if not self.first_line:
            return ""
        if self.first_line == self.last_line:
            return str(self.first_line)
        return f"{self.first_line}-{self.last_line}"

    @property
    def detail(self) -> str:
        """The meaning of the latest problem, or the receipt of a batch that went in."""
        state = self.state
        meaning = ""
        if self.entry is not None:
            meaning = f"{self.entry.name}: {self.entry.meaning}"
        if state in ("failed", "unknown", "retrying"):
            return meaning or self.message
        if state == "partial":
            why = meaning or self.message
            return f"{self.refused} row(s) refused: {why}" + (
                f" · {self.receipt}" if self.receipt else ""
            )
        return self.receipt


@dataclass
class BatchBook:
    """Every batch of a run by number, in the order they were queued; fed by events.

    ``apply`` is the run's callback: it runs in the event loop for each event, so it only
    updates plain objects and sets ``dirty``; the screen flushes to the widgets on a timer.
    """

    rows: list[BatchRow] = field(default_factory=list)
    by_number: dict[int, int] = field(default_factory=dict)
    progress: Any = None  # the latest Progress event
    state: str = "ready"
    started: Any = None  # the RunStarted event
    summary: Any = None  # the RunSummary, once finished
    notices: list[str] = field(default_factory=list)
    invalid_rows: int = 0
    first_reasons: list[str] = field(default_factory=list)  # a few "line N: why", for the UI
    dirty: bool = False
    problems: int = 0  # batches failed or unknown right now (recounted at flush)

    def __post_init__(self) -> None:
        self._handlers: dict[str, Callable[[Any], None]] = {
            "BatchQueued": self._queued,
            "BatchSending": self._sending,
            "BatchRetrying": self._retrying,
            "BatchAcknowledged": self._acknowledged,
            "BatchFailed": self._failed,
            "RowsRejected": self._rejected,
            "Progress": self._progress,
            "StateChanged": self._state,
            "RunStarted": self._started,
            "RunFinished": self._finished,
            "Notice": self._notice,
        }

    def apply(self, event: Any) -> None:
        # By class name: no import of the core's event module on the way to the first frame,
        # and one dict lookup per event instead of a chain of isinstance checks.
        handler = self._handlers.get(type(event).__name__)
        if handler is not None:
            handler(event)
            self.dirty = True

    def row(self, number: int) -> BatchRow:
        index = self.by_number.get(number)
        if index is None:
            index = self.by_number[number] = len(self.rows)
            self.rows.append(BatchRow(number))
        return self.rows[index]

    def get(self, number: int) -> BatchRow | None:
        index = self.by_number.get(number)
        return None if index is None else self.rows[index]

    # -- handlers ------------------------------------------------------------------------------
    def _queued(self, event: Any) -> None:
        row = self.row(event.batch)
        row.first_line, row.last_line = event.first_line, event.last_line
        row.rows, row.records = event.rows, event.records
        row.version += 1

    def _sending(self, event: Any) -> None:
        row = self.row(event.batch)
        if event.part == "retry":
            # The failed batch sent again (retry_failed): its old failure is history now.
            row.failed_parts = 0
            row.retry_later = False
            row.message = ""
        row.active, row.retrying = True, False
        row.attempts += 1
        row.version += 1

    def _retrying(self, event: Any) -> None:
        row = self.row(event.batch)
        row.active, row.retrying = True, True
        row.attempts += 1  # the attempt that failed was counted when sent; this is the next
        row.entry = event.entry
        if event.entry is not None:
            row.code = event.entry.code
            row.status = event.entry.http_status
        row.message = f"attempt {event.attempt} failed ({event.reason}); next in {event.wait:.1f}s"
        row.version += 1

    def _acknowledged(self, event: Any) -> None:
        row = self.row(event.batch)
        row.active = row.retrying = False
        row.imported += event.rows
        row.latency = event.latency
        if event.receipt:
            row.receipt = " ".join(f"{k}={v}" for k, v in event.receipt.items())
        if not row.failed_parts and not row.refused and not row.unknown_rows:
            row.entry, row.code, row.status, row.message = None, None, None, ""
            row.ok_status = getattr(event, "status", None)
        row.version += 1

    def _failed(self, event: Any) -> None:
        row = self.row(event.batch)
        row.active = row.retrying = False
        if event.unknown:
            row.unknown_rows += event.rows
        else:
            row.failed_parts += 1
        row.code = event.code
        row.entry = event.entry
        if event.entry is not None and event.entry.http_status and row.status is None:
            row.status = event.entry.http_status
        row.message = event.message
        row.retry_later = event.retry_later
        row.version += 1

    def _rejected(self, event: Any) -> None:
        if event.batch is None or event.kind == "invalid":
            self.invalid_rows += len(event.lines)
            for line, reason in zip(event.lines, event.reasons, strict=False):
                if len(self.first_reasons) >= 5:
                    break
                self.first_reasons.append(f"line {line}: {reason}")
            return
        row = self.row(event.batch)
        if event.kind == "unknown" and not row.unknown_rows:
            # Listed again by a resume: the batch's rows may be at the vendor (never "not sent").
            row.unknown_rows += len(event.lines)
            if event.reasons and not row.message:
                row.message = event.reasons[0]
        if event.kind == "refused":
            # The refused part is settled; the rest of the batch (if any) is sent next.
            row.active = row.retrying = False
            row.refused += len(event.lines)
            if event.reasons and not row.message:
                row.message = event.reasons[0]
        row.version += 1

    def _progress(self, event: Any) -> None:
        self.progress = event

    def _state(self, event: Any) -> None:
        self.state = event.state

    def _started(self, event: Any) -> None:
        self.started = event

    def _finished(self, event: Any) -> None:
        self.summary = event.summary
        for row in self.rows:
            if row.active:  # abandoned in flight (cancelled): its fate is for resume to tell
                row.active = row.retrying = False
                row.message = row.message or "abandoned in flight; resume decides"
                row.version += 1

    def _notice(self, event: Any) -> None:
        self.notices.append(event.message)

    # -- counts for the header -------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATE_STYLE, 0)
        for row in self.rows:
            counts[row.state] += 1
        return counts


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int  # 0: takes what is left
    right: bool = False


WIDE: tuple[Column, ...] = (
    Column("number", "#", 6, right=True),
    Column("lines", "Lines", 13),
    Column("rows", "Rows", 5, right=True),
    Column("state", "State", 8),
    Column("attempts", "Try", 3, right=True),
    Column("status", "HTTP", 4, right=True),
    Column("code", "Code", 9),
    Column("latency", "Latency", 7, right=True),
    Column("detail", "Meaning / receipt", 0),
)
NARROW: tuple[Column, ...] = (
    Column("number", "#", 5, right=True),
    Column("lines", "Lines", 11),
    Column("rows", "Rows", 4, right=True),
    Column("state", "State", 8),
    Column("attempts", "Try", 3, right=True),
    Column("status", "HTTP", 4, right=True),
    Column("code", "Code", 6),
    Column("latency", "Lat.", 6, right=True),
    Column("detail", "Meaning / receipt", 0),
)
NARROW_BELOW = 100


def _cells(row: BatchRow) -> dict[str, str]:
    state = row.state
    latency = "" if row.latency is None else f"{row.latency * 1000:.0f}ms"
    if state in ("failed", "unknown", "partial", "retrying"):
        status = "" if row.status is None else str(row.status)
    else:
        status = str(row.ok_status or "2xx") if row.imported else ""
    return {
        "number": str(row.number),
        "lines": row.lines_text,
        "rows": str(row.rows) if row.rows else "",
        "state": state,
        "attempts": str(row.attempts) if row.attempts else "",
        "status": status,
        "code": row.code or "",
        "latency": latency,
        "detail": row.detail,
    }


def _fitted(cells: dict[str, str], sizes: dict[str, int]) -> dict[str, str]:
    """Cells shortened by priority, never a number or a code cut: a line range too long for
    its column shows its first line (the Rows column has the count), and a code too long for
    its column goes whole to the front of the meaning (which alone is cut, at its end)."""
    lines, code = cells.get("lines", ""), cells.get("code", "")
    if len(lines) > sizes.get("lines", len(lines)):
        cells = {**cells, "lines": lines.split("-")[0]}
    if len(code) > sizes.get("code", len(code)) and "detail" in sizes:
        detail = cells.get("detail", "")
        cells = {**cells, "code": "", "detail": f"{code}: {detail}" if detail else code}
    return cells


class BatchTable(ScrollView, can_focus=True):
    """One line per batch, drawn on demand; a cursor, a failures-only filter, follow mode."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "batch-table--header",
        "batch-table--cursor",
        "batch-table--ok",
        "batch-table--failed",
        "batch-table--warning",
        "batch-table--active",
        "batch-table--muted",
        "batch-table--empty",
    }
    DEFAULT_CSS = """
    BatchTable { height: 1fr; background: $surface; scrollbar-gutter: stable; }
    BatchTable > .batch-table--header {
        background: $panel; color: $text-primary; text-style: bold;
    }
    BatchTable > .batch-table--cursor { background: $block-cursor-blurred-background; }
    BatchTable:focus > .batch-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    BatchTable > .batch-table--ok { color: $text-success; }
    BatchTable > .batch-table--failed { color: $text-error; text-style: bold; }
    BatchTable > .batch-table--warning { color: $text-warning; }
    BatchTable > .batch-table--active { color: $text-primary; }
    BatchTable > .batch-table--muted { color: $text-muted; }
    BatchTable > .batch-table--empty { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", id="batch_table.up", show=False),
        Binding("down,j", "cursor(1)", "Down", id="batch_table.down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="batch_table.page_up", show=False),
        Binding("pagedown", "page(1)", "Page down", id="batch_table.page_down", show=False),
        Binding("home,g", "first", "First batch", id="batch_table.first", show=False),
        Binding("end,G", "last", "Last batch (follow)", id="batch_table.last", show=False),
        Binding("enter", "select", "Inspect batch", id="batch_table.select", show=False),
    ]

    class Selected(Message):
        """Enter on a batch."""

        def __init__(self, table: BatchTable, row: BatchRow) -> None:
            super().__init__()
            self.table = table
            self.row = row

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.book = BatchBook()
        self.failures_only = False
        self.follow = True  # the cursor rides the newest batch until the user moves it
        self.cursor = 0  # index into the view
        self.empty_text = "No batches yet."
        self._view: list[int] | None = None  # indices into book.rows when filtered
        self._styles: dict[str, Style] = {}
        self._cache: dict[int, tuple[tuple[int, bool, int], Strip]] = {}

    # -- data --------------------------------------------------------------------------------------
    def show_book(self, book: BatchBook) -> None:
        self.book = book
        self._view = None  # its indices were into the old book's rows
        self.cursor = 0
        self.follow = True
        self._cache.clear()
        self.sync()

    def view_length(self) -> int:
        return len(self._view) if self._view is not None else len(self.book.rows)

    def row_at(self, index: int) -> BatchRow | None:
        rows = self.book.rows
        if self._view is not None:
            if 0 <= index < len(self._view):
                return rows[self._view[index]]
            return None
        return rows[index] if 0 <= index < len(rows) else None

    @property
    def current(self) -> BatchRow | None:
        return self.row_at(self.cursor)

    def sync(self) -> None:
        """The book changed: recompute the view, keep the cursor, redraw what is in view."""
        keep = self.current
        if self.failures_only:
            rows = self.book.rows
            self._view = [i for i, row in enumerate(rows) if row.state in PROBLEM_STATES]
        else:
            self._view = None
        length = self.view_length()
        if self.follow:
            self.cursor = max(0, length - 1)
        elif keep is not None and self._view is not None:
            position = self.book.by_number.get(keep.number)
            if position is not None and position in self._view:
                self.cursor = self._view.index(position)
        self.cursor = min(self.cursor, max(0, length - 1))
        self.virtual_size = Size(self.size.width, length + 1)
        self._scroll_to_cursor()
        self.refresh()

    def set_failures_only(self, on: bool) -> None:
        keep = self.current
        self.failures_only = on
        self.follow = False
        self.sync()
        if keep is not None:
            self.select_batch(keep.number)

    def select_batch(self, number: int) -> bool:
        """Put the cursor on batch ``number``; False when it is not in view (filtered out)."""
        position = self.book.by_number.get(number)
        if position is None:
            return False
        if self._view is not None:
            if position not in self._view:
                return False
            position = self._view.index(position)
        self.follow = False
        self.cursor = position
        self._scroll_to_cursor()
        self.refresh()
        return True

    # -- keys --------------------------------------------------------------------------------------
    def _move(self, cursor: int) -> None:
        length = self.view_length()
        self.cursor = max(0, min(cursor, length - 1))
        self.follow = self.cursor >= length - 1 and length > 0 and self.follow
        self._scroll_to_cursor()
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self.follow = False
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.follow = False
        self._move(self.cursor + direction * max(1, self.size.height - 2))

    def action_first(self) -> None:
        self.follow = False
        self._move(0)

    def action_last(self) -> None:
        self.follow = True
        self._move(self.view_length() - 1)

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(self.Selected(self, row))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.follow = False
            self._move(self.scroll_offset.y + event.y - 1)
            if event.chain >= 2:
                self.action_select()

    def _scroll_to_cursor(self) -> None:
        height = max(1, self.size.height - 1)  # minus the header line
        top = self.scroll_offset.y
        if self.cursor < top:
            top = self.cursor
        elif self.cursor >= top + height:
            top = self.cursor - height + 1
        if top != self.scroll_offset.y:
            self.scroll_to(y=top, animate=False, immediate=True)

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, self.view_length() + 1)
        self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()

    # -- drawing -----------------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"batch-table--{name}")
        return style

    def _ink(self, name: str) -> Style:
        """A component's colour and weight only: its background would hide the cursor's."""
        key = f"ink:{name}"
        style = self._styles.get(key)
        if style is None:
            full = self._style(name)
            style = self._styles[key] = Style(color=full.color, bold=full.bold)
        return style

    def _columns(self, width: int) -> list[tuple[Column, int]]:
        columns = NARROW if width < NARROW_BELOW else WIDE
        fixed = sum(c.width for c in columns) + len(columns)  # one space before each
        return [(c, c.width or max(8, width - fixed)) for c in columns]

    def _line(self, cells: dict[str, str], width: int, styles: dict[str, Style]) -> Strip:
        segments: list[Segment] = []
        base = styles.get("", Style())
        columns = self._columns(width)
        cells = _fitted(cells, {column.key: size for column, size in columns})
        for column, size in columns:
            text = cells.get(column.key, "")
            if len(text) > size:
                text = text[: max(0, size - 1)] + "…"
            text = text.rjust(size) if column.right else text.ljust(size)
            segments.append(Segment(" ", base))
            segments.append(Segment(text, styles.get(column.key, base)))
        return Strip(segments).adjust_cell_length(width, base).simplify()

    def render_line(self, y: int) -> Strip:
        # Not size.width: that includes the vertical scrollbar, which would clip the last column.
        width = self.scrollable_content_region.width or self.size.width
        base = self.rich_style
        if y == 0:
            header = base + self._style("header")
            cells = {c.key: c.label for c, _ in self._columns(width)}
            return self._line(cells, width, {"": header})
        index = self.scroll_offset.y + y - 1
        row = self.row_at(index)
        if row is None:
            if index == 0 and self.view_length() == 0:
                empty = "No failed batches." if self.failures_only else self.empty_text
                text = Text(" " + empty, style=base + self._ink("empty"))
                return Strip(list(text.render(self.app.console))).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        cursor = index == self.cursor
        key = (row.version, cursor, width)
        cached = self._cache.get(row.number)
        if cached is not None and cached[0] == key:
            return cached[1]
        line_style = base + self._style("cursor") if cursor else base
        state_style = line_style + self._ink(STATE_STYLE[row.state])
        styles = {"": line_style, "state": state_style}
        if not cursor:  # on the cursor line the cursor's own colours read best
            styles["code"] = state_style
            if row.state in ("failed", "unknown"):
                styles["detail"] = state_style
        strip = self._line(_cells(row), width, styles)
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[row.number] = (key, strip)
        return strip
