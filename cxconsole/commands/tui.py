"""Starting the TUI (``cxconsole`` with no subcommand)."""

from __future__ import annotations


def run_tui(*, sandbox: bool = False, theme: str | None = None) -> int:
    from cxconsole.app import CXApp

    app = CXApp(sandbox=sandbox, theme=theme)
    result = app.run()
    return int(result or app.return_code or 0)
