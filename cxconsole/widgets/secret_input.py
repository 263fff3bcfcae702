"""A masked secret input with a reveal toggle; the value is never echoed anywhere else."""

from __future__ import annotations

from typing import ClassVar

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
