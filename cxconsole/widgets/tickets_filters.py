"""The filter line above the tickets table: profile, segment, status and page size."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Select

ALL = -1  # "no filter" for segment and status (Select values must not be None)
OTHER = -2  # "type a segment id"
# Copies of the core's TICKET_STATUSES and PER_PAGE_CHOICES: importing the core here would load
# pydantic and httpx before the first frame.
STATUSES: dict[int, str] = {0: "New", 1: "Open", 2: "Escalated", 3: "Resolved"}
PER_PAGE: tuple[int, ...] = (25, 50, 100, 200)
WHOLE_LABELS = 98  # the filters' width from which the profile is said "Profile: name"


@dataclass(frozen=True, slots=True)
class Filters:
    """What the four selects say; ``None`` for "all" / "any"."""

    profile: str | None
    segment: int | None
    status: int | None
    per_page: int


class TicketFilters(Horizontal):
    """Four compact selects on one line; labels live inside the options to fit 80 columns."""

    DEFAULT_CSS = """
    TicketFilters { height: 1; padding: 0 1; margin-bottom: 1; }
    TicketFilters Select { margin-right: 1; }
    /* One line each: a long profile name is cut with an ellipsis, never wrapped away. */
    TicketFilters SelectCurrent Static#label { text-wrap: nowrap; text-overflow: ellipsis; }
    TicketFilters #filter-profile { width: 3fr; }
    TicketFilters #filter-segment { width: 2fr; }
    TicketFilters #filter-status { width: 20; }
    TicketFilters #filter-per-page { width: 15; margin-right: 0; }
    """

    _profile_names: tuple[str, ...] = ()
    _profile_said = "Profile: {}"

    def compose(self) -> ComposeResult:
        yield Select[str](
            [], prompt="Profile: none", allow_blank=True, compact=True, id="filter-profile"
        )
        yield Select[int](
            segment_options([], None), allow_blank=False, compact=True, id="filter-segment"
        )
        yield Select[int](
            [("Status: any", ALL), *((f"Status: {n}", k) for k, n in STATUSES.items())],
            allow_blank=False,
            compact=True,
            id="filter-status",
        )
        yield Select[int](
            [(f"{n} per page", n) for n in PER_PAGE],
            value=50,
            allow_blank=False,
            compact=True,
            id="filter-per-page",
        )

    @property
    def profile(self) -> Select[str]:
        return self.query_one("#filter-profile", Select)

    @property
    def segment(self) -> Select[int]:
        return self.query_one("#filter-segment", Select)

    @property
    def status(self) -> Select[int]:
        return self.query_one("#filter-status", Select)

    @property
    def per_page(self) -> Select[int]:
        return self.query_one("#filter-per-page", Select)

    def values(self) -> Filters:
        profile = self.profile.value
        segment = self.segment.value
        status = self.status.value
        per_page = self.per_page.value
        return Filters(
            profile=profile if isinstance(profile, str) else None,
            segment=segment if isinstance(segment, int) and segment > 0 else None,
            status=status if isinstance(status, int) and status >= 0 else None,
            per_page=per_page if isinstance(per_page, int) else 50,
        )

    def set_profiles(self, names: Sequence[str], chosen: str | None) -> None:
        self._profile_names = tuple(names)
        self._profile_said = said = _profile_form(self.size.width)
        self.profile.set_options((said.format(n), n) for n in names)
        if chosen is not None:
            self.profile.value = chosen

    def on_resize(self, event: events.Resize) -> None:
        said = _profile_form(event.size.width)
        if said != self._profile_said and self._profile_names:
            chosen = self.profile.value
            self.set_profiles(self._profile_names, chosen if isinstance(chosen, str) else None)

    def set_segments(self, segments: Iterable[tuple[int, str]], chosen: int | None) -> None:
        """Segments from the vendor (id, name), plus the chosen one if typed by hand."""
        self.segment.set_options(segment_options(segments, chosen))
        self.segment.value = chosen if chosen is not None else ALL

    def set_per_page(self, per_page: int) -> None:
        if per_page not in PER_PAGE:
            options = sorted({*PER_PAGE, per_page})
            self.per_page.set_options((f"{n} per page", n) for n in options)
        self.per_page.value = per_page


def _profile_form(width: int) -> str:
    """How a profile is said in its choice: the name alone while the filters are narrower
    than WHOLE_LABELS ("Profile: sandbox-questionpro" was cut at 80 columns); 0 (not laid
    out yet) counts as wide."""
    return "{}" if 0 < width < WHOLE_LABELS else "Profile: {}"


def segment_options(
    segments: Iterable[tuple[int, str]], chosen: int | None
) -> list[tuple[str, int]]:
    options = [("Segment: all", ALL)]
    seen: set[int] = set()
    for seg_id, name in segments:
        options.append((f"Segment: {seg_id} {name}".rstrip(), seg_id))
        seen.add(seg_id)
    if chosen is not None and chosen not in seen:
        options.append((f"Segment: {chosen}", chosen))
    options.append(("Segment: type an ID…", OTHER))
    return options
