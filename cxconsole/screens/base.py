"""What every screen of the app shares: the typed app, where focus lands, Escape, a calm footer."""

from __future__ import annotations

from typing import Any, ClassVar

from textual._context import active_app
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Select, TextArea

from cxconsole.app import CXApp
from cxconsole.widgets.footer import CXFooter
from cxconsole.widgets.too_small import TooSmall

#: Where a screen's focus lands when it opens or a field is left: its list or table, never a
#: text field (digits typed on arrival would otherwise land in it).
LISTS = "DataTable, OptionList, ListView, Tree, TicketsTable, BatchTable"
#: Widgets that take typed text: Escape leaves them.
FIELDS = (Input, TextArea, Select)


class CXScreen(Screen[None]):
    """A screen of :class:`CXApp`: ``self.cx`` is the app, typed."""

    # Not Textual's AUTO_FOCUS selector: "OptionList" would also match a Select's hidden
    # overlay, which then takes the first typed key as a search. See on_screen_resume.
    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not a priority: a screen's own Escape (close a pane, clear a search) comes first.
        Binding("escape", "leave_field", "Leave the field", id="screen.leave_field", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer_shows: tuple[Any, ...] | None = None
        # Born styled by the app's current stylesheet: without this Textual restyles every
        # screen of the app, twice, when a screen first shows (~0.35 s, more per screen open).
        # A later theme change still restyles this screen when it next shows.
        app = active_app.get(None)
        if app is not None:
            self._css_update_count = app._css_update_count

    def typing(self) -> bool:
        """Whether the focus takes typed text (a field, or a Select's list, which searches)."""
        focused = self.focused
        return isinstance(focused, FIELDS) or (
            focused is not None and isinstance(focused.parent, Select)
        )

    @property
    def cx(self) -> CXApp:
        app = self.app
        assert isinstance(app, CXApp)
        return app

    def on_screen_resume(self) -> None:
        if self.focused is None:
            self.focus_home()
        # Left before its footer was fitted, with the same keys to show: no new keys will
        # come to fit it, so it is fitted now.
        for footer in self.query_children(CXFooter):
            footer.refit()

    def on_mount(self) -> None:
        # Compact keys: at 80 columns twice as many of a screen's keys fit.
        for footer in self.query_children(Footer):
            footer.compact = True
        if self.app.is_running:  # not while the app closes (quit as the screen is composed)
            self.mount(TooSmall())

    # -- the footer --------------------------------------------------------------------------
    def refresh_bindings(self) -> None:
        """Tell the footer only when what it shows changes.

        Textual's footer rebuilds every key widget on each focus change (the signal fires per
        focus move): about 130 ms with our bindings, paid on every screen switch and Tab. The
        keys shown rarely change with focus, so the signal is skipped when they are the same.
        """
        if not self.is_current:
            return  # a screen's keys are published again when it comes back (ScreenResume)
        shows = self._footer_signature()
        if shows is not None and shows == self._footer_shows:
            return
        self._footer_shows = shows
        super().refresh_bindings()

    def _footer_signature(self) -> tuple[Any, ...] | None:
        """What the footer would draw; None until every footer listens (it subscribes on mount:
        a signal sent before then is lost, so the next one must go out whatever it says)."""
        footers = list(self.query_children(Footer))
        if not footers or not all(f.is_mounted for f in footers):
            return None
        return tuple(
            (key, b.binding.key_display, b.binding.description, b.binding.action, b.enabled)
            for key, b in self.active_bindings.items()
            if b.binding.show
        )

    # -- Escape leaves a field ---------------------------------------------------------------
    def action_leave_field(self) -> None:
        if isinstance(self.focused, FIELDS):
            self.focus_home()

    def focus_home(self) -> None:
        """Focus the screen's list or table (the first shown), or nothing."""
        for widget in self.query(LISTS):
            if widget.focusable and not isinstance(widget.parent, Select):  # not its overlay
                widget.focus()
                return
        self.set_focus(None)
