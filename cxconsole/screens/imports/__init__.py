"""The import screen and its four panes (set-up, run, history, rejects fix), one module each."""

from cxconsole.screens.imports.screen import ImportsScreen

__all__ = ["ImportsScreen"]
