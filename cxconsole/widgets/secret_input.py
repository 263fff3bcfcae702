"""A masked secret input with a reveal toggle; the value is never echoed anywhere else.

A revealed secret is for the operator's eyes only: :func:`masked_secrets` masks every one on the
app's screens while a screenshot is taken.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input


class SecretInput(Horizontal):
    DEFAULT_CSS = """
    SecretInput { height: auto; }
    SecretInput Input { width: 1fr; }
    SecretInput Button { min-width: 10; width: 10; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "toggle_reveal", "Reveal/hide", id="secret.reveal"),
    ]

    def __init__(self, placeholder: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self._placeholder, password=True, id="secret-value", compact=True)
        yield Button("Show", id="secret-reveal", compact=True)

    @property
    def input(self) -> Input:
        return self.query_one("#secret-value", Input)

    @property
    def value(self) -> str:
        return self.input.value

    @property
    def revealed(self) -> bool:
        return not self.input.password

    def clear(self) -> None:
        self.input.value = ""
        self.input.password = True
        self.query_one("#secret-reveal", Button).label = "Show"

    def set_placeholder(self, text: str) -> None:
        self.input.placeholder = text

    def action_toggle_reveal(self) -> None:
        self.input.password = not self.input.password
        self.query_one("#secret-reveal", Button).label = "Show" if self.input.password else "Hide"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "secret-reveal":
            event.stop()
            self.action_toggle_reveal()


@contextlib.contextmanager
def masked_secrets(app: Any) -> Iterator[list[str]]:
    """Every secret input on the app's screens masked while the block runs (yields the typed
    values, so the caller can also redact them), then each one back as the operator left it.

    Masking repaints the input synchronously (its line cache is cleared when ``password``
    changes), so a screenshot taken inside the block shows bullets, whatever the reveal state.
    """
    inputs = [w for screen in app.screen_stack for w in screen.query(SecretInput)]
    revealed = [w for w in inputs if w.revealed]
    for widget in revealed:
        widget.input.password = True
    try:
        yield [w.value for w in inputs if w.value]
    finally:
        for widget in revealed:
            if widget.is_mounted:
                widget.input.password = False
