"""The error banner of the tickets screen: what failed, decoded, what to do, and the keys."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


def decoded_line(error: BaseException) -> str:
    """One line: vendor, code, name and what the vendor said; the inspector has the rest."""
    entry = getattr(error, "entry", None)
    if entry is None:
        return str(error)
    from cxconsole.catalog import vendor_title

    decoded = getattr(error, "decoded", None)
    said = (decoded.message if decoded is not None else None) or entry.message
    status = getattr(error, "status", None)
    http = f" (HTTP {status})" if status else ""
    return f"{vendor_title(entry.vendor)} {entry.code} {entry.name}{http}: {said}"


def short_line(error: BaseException, what: str) -> str:
    """For the pager line: ``page 4 failed: 1026 INTERNAL_SERVER_ERROR``."""
    entry = getattr(error, "entry", None)
    code = f"{entry.code} {entry.name}" if entry is not None else type(error).__name__
    return f"{what} failed: {code}  (r retry · i inspect)"


class ErrorBanner(Static):
    """Hidden until :meth:`show_error`; three lines at most, so an 80x24 screen keeps its rows."""

    DEFAULT_CSS = """
    ErrorBanner { display: none; }
    ErrorBanner.-shown { display: block; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", classes="banner -error", markup=False, **kwargs)  # type: ignore[arg-type]

    def show_error(self, error: BaseException, what: str) -> None:
        banner = Text()
        banner.append(f"✗ {what[:1].upper()}{what[1:]} failed: ", style="bold")
        banner.append(decoded_line(error))
        entry = getattr(error, "entry", None)
        if entry is not None:
            banner.append(f"\n→ {entry.action_for('tui', 'tickets')}")
        banner.append("\nr retry  ·  i inspect (request, reply, catalog entry)", style="bold")
        self.update(banner)
        self.add_class("-shown")

    def clear(self) -> None:
        self.remove_class("-shown")
