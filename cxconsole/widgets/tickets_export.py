"""The export line: fetches every page of a query and writes it, with a progress bar.

It runs the export itself (a worker of its own), so a filter change on the screen, which closes
the screen's pager, never stops an export half way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import ProgressBar, Static

if TYPE_CHECKING:
    from cxconsole.client import CXClient
    from cxconsole.profiles import Account
    from cxconsole.tickets.paging import FetchProgress, PageCache, TicketDump
    from cxconsole.tickets.query import TicketQuery


class ExportBar(Horizontal):
    """Hidden until an export runs; posts :class:`Done` or :class:`Failed` at the end."""

    DEFAULT_CSS = """
    ExportBar { display: none; height: 1; padding: 0 1; }
    ExportBar.-running { display: block; }
    ExportBar > Static { width: auto; margin-right: 1; }
    ExportBar > ProgressBar { width: 1fr; }
    """

    class Done(Message):
        def __init__(self, dump: TicketDump, path: Path) -> None:
            super().__init__()
            self.dump, self.path = dump, path

    class Failed(Message):
        def __init__(self, error: BaseException, path: Path) -> None:
            super().__init__()
            self.error, self.path = error, path

    def compose(self) -> ComposeResult:
        yield Static("Export", id="export-label")
        yield ProgressBar(id="export-bar", show_eta=False)

    @property
    def running(self) -> bool:
        return self.has_class("-running")

    def start(
        self,
        account: Account,
        query: TicketQuery,
        path: Path,
        fmt: str,
        *,
        client: CXClient,
        cache: PageCache,
        order: Callable[[list[Any]], list[Any]] | None = None,
    ) -> None:
        """Export every ticket of ``query``; ``order`` puts them as the screen shows them."""
        self.add_class("-running")
        self.query_one(ProgressBar).update(total=None, progress=0)
        self.query_one("#export-label", Static).update(f"Exporting to {path.name}")
        self._run(account, query, path, fmt, client, cache, order)

    @work(group="tickets-export", exit_on_error=False)
    async def _run(
        self,
        account: Account,
        query: TicketQuery,
        path: Path,
        fmt: str,
        client: CXClient,
        cache: PageCache,
        order: Callable[[list[Any]], list[Any]] | None,
    ) -> None:
        from cxconsole.tickets.export import export_query
        from cxconsole.tickets.paging import TicketPager

        pager = TicketPager(account, query, client=client, cache=cache, prefetch=False)
        bar = self.query_one(ProgressBar)
        label = self.query_one("#export-label", Static)

        def progress(event: FetchProgress) -> None:
            bar.update(total=max(event.total, 1), progress=event.done)
            verb = "fetching page" if event.phase == "fetch" else "writing"
            label.update(f"Export {path.name}: {verb} {event.done:,}/{event.total:,}")

        outcome: Any
        try:
            outcome = self.Done(
                await export_query(pager, path, fmt, on_progress=progress, order=order),  # type: ignore[arg-type]
                path,
            )
        except Exception as exc:  # reported by the screen, decoded; never a traceback
            outcome = self.Failed(exc, path)
        finally:
            self.remove_class("-running")
        self.post_message(outcome)
