"""What a decoded reply means: ok or not, the entry in full, and what the decoder recognised.

When nothing fits it says "not recognised" plainly and lists the closest entries; enter on one
opens it in the catalog. Reply text is never parsed as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cxconsole.widgets.catalog_detail import EntryFields

if TYPE_CHECKING:
    from cxconsole.catalog.entry import CatalogEntry, Decoded

NOT_RECOGNISED = "NOT RECOGNISED"


class DecodeResult(VerticalScroll):
    """The right-hand (or lower) half of the decode pane."""

    DEFAULT_CSS = """
    DecodeResult {
        height: 1fr;
        border: round $panel;
        border-title-color: $text-primary;
        padding: 0 1;
    }
    DecodeResult:focus-within { border: round $primary; }
    DecodeResult > Static { height: auto; }
    DecodeResult > #decode-origin { color: $text-muted; margin-bottom: 1; }
    DecodeResult > #decode-verdict { margin-bottom: 1; }
    DecodeResult > #decode-seen { margin-bottom: 1; }
    DecodeResult > .decode-title { color: $text-primary; text-style: bold; }
    DecodeResult > #decode-notes-title { margin-top: 1; }
    DecodeResult > #decode-candidates { height: auto; max-height: 8; margin-bottom: 1; }
    DecodeResult > #decode-notes { color: $text-muted; }
    """

    class CandidateChosen(Message):
        """The operator picked one of the closest matches."""

        def __init__(self, entry: CatalogEntry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.decoded: Decoded | None = None
        self.candidates: list[CatalogEntry] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="decode-verdict", markup=False)
        yield Static("", id="decode-origin", markup=False)
        yield Static("", id="decode-seen", markup=False)
        yield EntryFields()
        yield Static("", classes="decode-title", id="decode-candidates-title")
        yield OptionList(id="decode-candidates", compact=True)
        yield Static("Recognised", classes="decode-title", id="decode-notes-title")
        yield Static("", id="decode-notes", markup=False)

    def on_mount(self) -> None:
        self.border_title = "What it means"
        self.idle("Paste a reply on the left: it is decoded as you type (F5 or ctrl+d: now).")

    def _set(self, widget_id: str, value: str | Content) -> None:
        widget = self.query_one(f"#{widget_id}", Static)
        widget.update(value)
        widget.display = bool(value)

    def idle(self, text: str) -> None:
        """Nothing decoded: a hint instead of a result."""
        self.decoded = None
        self.candidates = []
        self._set("decode-origin", "")
        self._set("decode-verdict", Content.styled(text, "dim"))
        self._set("decode-seen", "")
        self.query_one(EntryFields).show(None)
        self._show_candidates([], show_title=False)
        self.query_one("#decode-notes-title").display = False
        self._set("decode-notes", "")

    def show(
        self,
        decoded: Decoded,
        *,
        origin: str = "",
        candidates: list[CatalogEntry] | None = None,
        context: str | None = "catalog",
    ) -> None:
        """Show a decoded reply; ``candidates`` replaces the decoder's when it found none;
        ``context`` (catalog, import, tickets, ...) picks the entry's advice."""
        from cxconsole.catalog import vendor_title

        self.decoded = decoded
        entry = decoded.entry
        self._set("decode-origin", origin)
        vendor = vendor_title(decoded.vendor) if decoded.vendor else None
        if decoded.ok:
            said = f"  {vendor}: success" if vendor else "  success"
            verdict = Content.assemble(("✓ OK", "bold $text-success"), (said, "bold"))
        elif entry is not None:
            verdict = Content.assemble(
                ("✗ NOT OK", "bold $text-error"),
                ("  the vendor did not do it", "dim"),
            )
        else:
            verdict = Content.assemble(
                (f"? {NOT_RECOGNISED}", "bold $text-warning"),
                ("  no catalog entry fits", "dim"),
            )
        self._set("decode-verdict", verdict)
        seen = []
        if entry is None:
            # What the reply itself said, so "not recognised" still tells the operator something.
            if vendor:
                seen.append(f"vendor {vendor}")
            if decoded.code:
                seen.append(f"code {decoded.code}")
            if decoded.http_status is not None:
                seen.append(f"HTTP {decoded.http_status}")
            if decoded.message:
                seen.append(f"message: {decoded.message}")
        lines = ["Seen: " + " · ".join(seen)] if seen else []
        if decoded.how:
            lines.append(f"Matched by {decoded.how}")
        self._set("decode-seen", "\n".join(lines))
        self.query_one(EntryFields).show(entry, reply_says=decoded.message, context=context)
        close = list(decoded.candidates) or list(candidates or [])
        self._show_candidates(close, show_title=entry is None and not decoded.ok)
        notes = decoded.recognised or ["nothing"]
        self.query_one("#decode-notes-title").display = True
        self._set("decode-notes", "\n".join(f"• {note}" for note in notes))
        self.scroll_home(animate=False)

    def _show_candidates(self, entries: list[CatalogEntry], *, show_title: bool) -> None:
        from cxconsole.catalog import vendor_title

        self.candidates = entries
        title = self.query_one("#decode-candidates-title", Static)
        options = self.query_one("#decode-candidates", OptionList)
        options.clear_options()
        title.display = show_title
        if not show_title:
            options.display = False
            return
        if entries:
            title.update("Closest matches  (enter opens one in the catalog)")
            for i, e in enumerate(entries):
                http = f"HTTP {e.http_status}" if e.http_status is not None else "HTTP -"
                prompt = Content.assemble(
                    (f"{vendor_title(e.vendor)} ", "bold"),
                    (e.code, "bold $text-primary"),
                    f" {e.name} ",
                    (f"({http})", "dim"),
                )
                options.add_option(Option(prompt, id=str(i)))
            options.display = True
        else:
            title.update("Closest matches: none in the catalog")
            options.display = False

    @on(OptionList.OptionSelected, "#decode-candidates")
    def _candidate(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int(event.option_id or -1)
        if 0 <= index < len(self.candidates):
            self.post_message(self.CandidateChosen(self.candidates[index]))
