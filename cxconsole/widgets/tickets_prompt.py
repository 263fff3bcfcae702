"""A small modal prompt: one line of input, checked before it is accepted (page, segment, path)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

Check = Callable[[str], str | None]  # returns a problem to show, or None when the text is fine


class PromptScreen(ModalScreen[str | None]):
    """Dismissed with the accepted text, or None on escape."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 76; max-width: 96%; height: auto;
        border: round $primary; background: $surface; padding: 0 1;
    }
    PromptScreen #prompt-title { text-style: bold; color: $primary; }
    PromptScreen #prompt-hint { color: $text-muted; }
    PromptScreen #prompt-problem { color: $error; display: none; }
    PromptScreen #prompt-problem.-shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
    ]

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        hint: str = "",
        placeholder: str = "",
        check: Check | None = None,
        restrict: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.hint = hint
        self.placeholder = placeholder
        self.check = check
        self.restrict = restrict

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="prompt-title", markup=False)
            yield Input(
                value=self.value,
                placeholder=self.placeholder,
                restrict=self.restrict,
                select_on_focus=False,
                id="prompt-input",
            )
            yield Static("", id="prompt-problem", markup=False)
            yield Static(self.hint + "  ·  enter accept  ·  esc cancel", id="prompt-hint")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.cursor_position = len(field.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        problem = self.check(text) if self.check is not None else None
        shown = self.query_one("#prompt-problem", Static)
        if problem:
            shown.update(problem)
            shown.add_class("-shown")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
