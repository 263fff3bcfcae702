"""A one-line pager: page n of N, the range shown, the total, and what is loading or failed."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from cxconsole.colours import rich_colour

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


@dataclass(frozen=True, slots=True)
class PagerState:
    """What the pager line shows; any screen that pages fills one in."""

    page: int = 0  # 0: nothing shown yet
    pages: int = 0
    first: int = 0  # 1-based index of the first item shown
    last: int = 0
    total: int = 0
    per_page: int = 0  # what the server used
    asked_per_page: int = 0  # what was asked, when it differs
    noun: str = "tickets"
    source: str = ""  # "cache", "vendor": where the page came from
    loading: str = ""  # "page 4": what is on its way
    error: str = ""  # short: "page 4 failed: 1026 INTERNAL_SERVER_ERROR"
    note: str = ""  # e.g. a search: "12 matches in 4 loaded pages"


class PagerBar(Widget):
    """Renders a :class:`PagerState`; animates a spinner while something is loading."""

    DEFAULT_CSS = """
    PagerBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    """

    state: reactive[PagerState] = reactive(PagerState, layout=False)
    _frame: reactive[int] = reactive(0)

    def on_mount(self) -> None:
        self._spin = self.set_interval(0.1, self._tick, pause=True)

    def watch_state(self, state: PagerState) -> None:
        if not self.is_mounted:
            return
        if state.loading:
            self._spin.resume()
        else:
            self._spin.pause()

    def _tick(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)

    def render(self) -> Text:
        s = self.state
        text = Text(no_wrap=True, overflow="ellipsis")
        # Muted, not "dim": a terminal's dim halves the contrast below 4.5:1.
        muted = rich_colour(self.app.theme_variables, "text-muted", over="panel")
        if s.page:
            text.append(f"Page {s.page:,}", style="bold")
            text.append(f" of {max(s.pages, 1):,}")
            if s.total:
                text.append(f"  ·  {s.first:,}\u2013{s.last:,} of ", style=muted)
                text.append(f"{s.total:,}", style="bold")
                text.append(f" {s.noun}", style=muted)
            else:
                text.append(f"  ·  no {s.noun}", style=muted)
        # Most important first, so it stays on an 80-column line: a failure, what is loading,
        # what the rows are (a search, a sort); the page size and the source last.
        if s.error:
            error = self.app.theme_variables.get("text-error", "red")
            text.append(f"  ✗ {s.error}", style=f"bold {error}")
        if s.loading:
            text.append(f"  {SPINNER[self._frame]} loading {s.loading}…", style="bold")
        if s.note:
            text.append(("  ·  " if s.page else "") + s.note, style="bold")
        if s.page:
            if s.per_page:
                per = f"  ·  {s.per_page}/page"
                if s.asked_per_page and s.asked_per_page != s.per_page:
                    per += f" (asked {s.asked_per_page}; server maximum)"
                text.append(per, style=muted)
            if s.source:
                text.append(f"  ·  {s.source}", style=f"{muted} italic")
        return text
