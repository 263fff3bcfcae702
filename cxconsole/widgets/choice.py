"""One question with a few answers in a modal: the operator decides, once, before a run sends.

Each answer has a key (its number), a button, and a value; escape answers None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class Choice(ModalScreen[str | None]):
    """``answers`` are ``(label, value)``; with ``other``, a box takes a value typed in."""

    DEFAULT_CSS = """
    Choice { align: center middle; }
    Choice > Vertical {
        width: 72; max-width: 95%; height: auto; border: round $warning;
        background: $surface; padding: 1 2;
    }
    Choice Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    Choice Button { margin-left: 1; min-width: 10; }
    Choice Input { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel"),
    ]

    def __init__(
        self,
        question: str,
        answers: list[tuple[str, str]],
        *,
        other: str | None = None,
        check: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.question = question
        self.answers = answers
        self.other = other  # the placeholder of a box for a value not offered
        self.check = check  # what is wrong with a typed value, or None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            if self.other is not None:
                yield Input(placeholder=self.other, id="other", compact=True)
                yield Static("", id="other-problem", classes="hint", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                for number, (label, _value) in enumerate(self.answers, 1):
                    yield Button(f"{number} {label}", id=f"answer-{number}", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#answer-1", Button).focus()

    def on_key(self, event: events.Key) -> None:
        if isinstance(self.focused, Input):
            return
        if event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(self.answers):
                event.stop()
                self.dismiss(self.answers[index][1])
        elif event.character and event.character.isalpha() and self.other is not None:
            # Typed as the box invites: the letters go into it, and Enter then answers with
            # them, not with the button that had the focus.
            event.stop()
            box = self.query_one("#other", Input)
            box.focus()
            box.insert_text_at_cursor(event.character)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            return
        problem = self.check(value) if self.check is not None else None
        if problem:
            self.query_one("#other-problem", Static).update(problem)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button.startswith("answer-"):
            self.dismiss(self.answers[int(button.split("-")[1]) - 1][1])
        else:
            self.dismiss(None)
