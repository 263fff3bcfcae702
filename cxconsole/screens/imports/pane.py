"""What the import screen's panes share: a tab of their own, the typed app, a banner message."""

from __future__ import annotations

from textual.message import Message
from textual.widget import Widget
from textual.widgets import TabPane

from cxconsole.app import CXApp


class ImportPane(TabPane):
    """One tab of the import screen; it talks to the screen by messages only."""

    class Banner(Message):
        """Say ``text`` above the tabs (None hides the banner)."""

        def __init__(self, text: str | None) -> None:
            super().__init__()
            self.text = text

    @property
    def cx(self) -> CXApp:
        app = self.app
        assert isinstance(app, CXApp)
        return app

    def focus_target(self) -> Widget:
        """Where focus goes when the tab is shown."""
        return self

    def banner(self, text: str | None) -> None:
        self.post_message(self.Banner(text))
