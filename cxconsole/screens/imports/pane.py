"""What the import screen's panes share: a tab of their own, the typed app, a banner message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.message import Message
from textual.widget import Widget
from textual.widgets import TabPane

from cxconsole.app import CXApp

if TYPE_CHECKING:
    from cxconsole.importing import ImportRun


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


def resumed(
    app: CXApp,
    run_id: str,
    *,
    resend_unknown: bool = False,
    fixing: bool = False,
    profile: str | None = None,
) -> Callable[[], Awaitable[ImportRun]]:
    """A run continued from its journal (the core refuses a changed file, or a profile that
    points at another account now): to resume it, resend its unknown rows, or fix its rejects;
    in ``profile`` when the operator chose one (else the core finds the run's)."""

    async def prepare() -> ImportRun:
        from cxconsole.importing import prepare_resume

        ctx = await app.context()
        return await prepare_resume(
            run_id,
            ctx.account,
            client=ctx.client,
            errors=ctx.errors,
            resend_unknown=resend_unknown,
            fixing=fixing,
            profiles=ctx.profiles.load,
            profile=profile,
        )

    return prepare
