"""Home's pictures: tickets by time left per profile as one stacked bar each, and a run's outcome
as a small bar (imported, rejected, not sent), drawn to fit the width they get."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from cxconsole.colours import rich_colour

#: (bucket, label, theme colour): the order the bar and the legend read in.
BUCKETS: tuple[tuple[str, str, str], ...] = (
    ("overdue", "overdue", "error"),
    ("24h", "<24h", "warning"),
    ("72h", "<72h", "accent"),
    ("later", "later", "success"),
)
FULL, EMPTY = "█", "░"


def split_cells(counts: list[int], width: int) -> list[int]:
    """Cells per part, adding up to ``width``; a part with any count gets at least one cell."""
    total = sum(counts)
    if total <= 0 or width <= 0:
        return [0 for _ in counts]
    cells = [max(1, round(width * c / total)) if c else 0 for c in counts]
    # Give or take the rounding on the largest part, so the bar is exactly ``width`` wide.
    largest = max(range(len(cells)), key=lambda i: counts[i])
    cells[largest] = max(1, cells[largest] + width - sum(cells))
    return cells


@dataclass(slots=True)
class ProfileTickets:
    """One profile's line: loading (pages done of total), counts, or why not."""

    name: str
    counts: dict[str, int] = field(default_factory=dict)
    loading: tuple[int, int] | None = (0, 0)
    note: str = ""


class TicketBuckets(Widget):
    """One line per ticket-serving profile: ``name ███▓▓░░ 12 overdue · 3 <24h · …``."""

    DEFAULT_CSS = """
    TicketBuckets { height: auto; padding: 0 1; }
    """

    lines: reactive[tuple[ProfileTickets, ...]] = reactive((), layout=True)

    def set_line(self, line: ProfileTickets) -> None:
        others = [existing for existing in self.lines if existing.name != line.name]
        order = [existing.name for existing in self.lines]
        merged = {**{x.name: x for x in others}, line.name: line}
        names = order if line.name in order else [*order, line.name]
        self.lines = tuple(merged[name] for name in names)

    def get_content_height(self, container, viewport, width: int) -> int:
        return max(1, len(self.lines))

    def render(self) -> Text:
        colours = self.app.theme_variables
        muted = rich_colour(colours, "text-muted", over="background")
        width = self.content_size.width or 80
        name_width = min(22, max((len(line.name) for line in self.lines), default=8))
        text = Text(no_wrap=True, overflow="ellipsis")
        if not self.lines:
            text.append(
                "No profile that serves tickets.",
                style=muted,
            )
            return text
        for index, line in enumerate(self.lines):
            if index:
                text.append("\n")
            text.append(line.name[:name_width].ljust(name_width + 1))
            if line.note:
                text.append(line.note, style=muted)
                continue
            if line.loading is not None:
                done, total = line.loading
                text.append(f"counting… page {done}/{total}" if total else "counting…")
                continue
            counts = [line.counts.get(key, 0) for key, _, _ in BUCKETS]
            legend_full = " · ".join(
                f"{n:,} {label}" for n, (_, label, _) in zip(counts, BUCKETS, strict=True)
            )
            bar_width = max(8, min(30, width - name_width - 1 - len(legend_full) - 1))
            cells = split_cells(counts, bar_width)
            if not sum(counts):
                text.append(EMPTY * bar_width + " no tickets")
                continue
            for n, (_, _, colour) in zip(cells, BUCKETS, strict=True):
                text.append(FULL * n, style=colours.get(colour, ""))
            text.append(" ")
            for i, (n, (_, label, colour)) in enumerate(zip(counts, BUCKETS, strict=True)):
                if i:
                    text.append(" · ")
                # Numbers in the text-* shade of their colour: 4.5:1, where the bar needs 3:1.
                shade = colours.get(f"text-{colour}", "")
                text.append(f"{n:,}", style=f"bold {shade}" if n else "")
                text.append(f" {label}")
        return text


UNKNOWN = "?"  # rows of unknown outcome: neither in nor out, and drawn so in any theme
# Rows not imported (rejected, failed): a glyph of their own, so that without colour the bar
# does not read as complete.
REJECTED = "✗"


def outcome_bar(
    imported: int,
    rejected: int | None,
    total: int | None,
    colours: dict[str, str],
    width: int = 10,
    unknown: int = 0,
) -> Text:
    """Imported (█, success), rejected (✗, error), unknown outcome (?, warning), not sent (░)
    of the run's rows, ``width`` cells; a part with any row gets a cell. ``rejected`` is the
    rows rejected for a known reason (unknown ones apart)."""
    settled = imported + (rejected or 0) + unknown
    whole = max(total or 0, settled)
    text = Text(no_wrap=True)
    if whole <= 0:
        return text.append(EMPTY * width)
    cells = split_cells([imported, rejected or 0, unknown, whole - settled], width)
    text.append(FULL * cells[0], style=colours.get("success", "green"))
    text.append(REJECTED * cells[1], style=colours.get("error", "red"))
    text.append(UNKNOWN * cells[2], style=f"bold {colours.get('warning', 'yellow')}")
    text.append(EMPTY * cells[3])
    return text
