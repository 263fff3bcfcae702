"""The notice every screen shows instead of its content when the terminal is too small for it."""

from __future__ import annotations

from textual.widgets import Static

#: Below this a screen's form and tables cannot be laid out whole; 80x24 is what they are
#: designed for, and they stay usable down to here.
MIN_WIDTH, MIN_HEIGHT = 60, 15


def too_small(width: int, height: int) -> bool:
    return width < MIN_WIDTH or height < MIN_HEIGHT


class TooSmall(Static):
    """Shown (app.tcss) while the app has the class ``-too-small``; the screen stays as it was."""

    def __init__(self) -> None:
        super().__init__(
            f"Terminal too small: cxconsole needs {MIN_WIDTH}x{MIN_HEIGHT}. Widen the window; "
            "nothing stops meanwhile (an import keeps sending). ctrl+q quits.",
            classes="too-small",
            markup=False,
        )
