"""The footer of every screen: whole keys only, the most important kept when room runs out.

Textual's footer cuts its row at the terminal's edge, mid-word (``c Copy e-``), and what is cut
is the app's own keys at the end: the screen keys and ``? Keys``, the way to every other key.
This one drops whole keys instead, in an order that keeps what an operator needs: first the
command palette's key (ctrl+p still opens it), then the screen's own keys from its least
important (its last) back; the app's keys (screens, help, quit) always stay.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: A row drawn before its keys are laid out is measured again after each frame: a screen
#: composed in the background meanwhile can hold the layout back for many frames.
FIT_ATTEMPTS = 100


class CXFooter(Footer):
    """A compact footer that shows whole keys, the screen's most important first."""

    def __init__(self) -> None:
        super().__init__(compact=True)
        self._attempts = 0
        #: True once the keys drawn last have been measured and fitted to the row.
        self.fitted = False
        self._generation = 0  # one per compose: only the last compose's keys are fitted

    def compose(self) -> ComposeResult:
        yield from super().compose()
        self._attempts = 0
        self.fitted = False
        self._generation += 1
        self.call_after_refresh(self._fit, self._generation)

    def on_resize(self, event: events.Resize) -> None:
        # Wider, keys dropped before may fit again; narrower, more must go: start from all.
        if self.children:
            self.refresh(recompose=True)

    def refit(self) -> None:
        """Fit the keys shown now (a screen coming back whose footer was left unfitted)."""
        if not self.fitted:
            self._attempts = 0
            self.call_after_refresh(self._fit, self._generation)

    def app_keys(self) -> set[str]:
        """Keys bound by the app itself, not the screen: never dropped."""
        return {
            key for key, active in self.screen.active_bindings.items() if active.node is self.app
        }

    def _fit(self, generation: int) -> None:
        if generation != self._generation:
            # Composed again since: that compose fits its own keys. Measured now, the regions
            # of keys this fit had hidden (or of keys since replaced) would be stale.
            return
        if not self.is_attached or not self.screen.is_current:
            # Left for another screen (or being torn down): its screen may not answer for its
            # keys now. The screen asks for a fit when it comes back (refit).
            return
        shown = [child for child in self.children if child.display]
        if not shown or not self.size.width:
            self.fitted = True
            return
        if any(not child.region.width for child in shown):
            # Not laid out yet: measure again after the next frame.
            if self._attempts < FIT_ATTEMPTS:
                self._attempts += 1
                self.call_after_refresh(self._fit, generation)
            else:
                self.fitted = True
            return
        palette = [c for c in shown if c.has_class("-command-palette")]
        row = [c for c in shown if not c.has_class("-command-palette")]
        left = self.region.x
        needed = row[-1].region.right + row[-1].styles.margin.right - left
        room = self.size.width - sum(c.outer_size.width for c in palette)
        if needed <= room:
            self.fitted = True
            return
        for key in palette:
            key.display = False
        room = self.size.width
        app_keys = self.app_keys()
        own = [c for c in row if isinstance(c, FooterKey) and c.key not in app_keys]
        for key in reversed(own):
            if needed <= room:
                break
            needed -= _step(row, key)
            key.display = False
        self._attempts = 0
        self.call_after_refresh(self._laid_out, generation)

    def _laid_out(self, generation: int) -> None:
        """Fitted once the row is laid out again without the keys just hidden: until then the
        keys kept still stand where they stood beside them (measured in a busy moment, the
        footer read as fitted with its keys past the edge)."""
        if generation != self._generation or not self.is_attached:
            return
        edge = self.region.right
        shown = [child for child in self.children if child.display]
        if all(child.region.right <= edge for child in shown) or self._attempts >= FIT_ATTEMPTS:
            self.fitted = True
            return
        self._attempts += 1
        self.call_after_refresh(self._laid_out, generation)


def _step(row: list[Widget], key: Widget) -> int:
    """The columns a key takes in the row, its margins included (up to the next one's start)."""
    index = row.index(key)
    if index + 1 < len(row):
        return row[index + 1].region.x - key.region.x
    return key.outer_size.width
