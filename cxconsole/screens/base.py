"""What every screen of the app shares."""

from __future__ import annotations

from textual.screen import Screen

from cxconsole.app import CXApp


class CXScreen(Screen[None]):
    """A screen of :class:`CXApp`: ``self.cx`` is the app, typed."""

    @property
    def cx(self) -> CXApp:
        app = self.app
        assert isinstance(app, CXApp)
        return app
