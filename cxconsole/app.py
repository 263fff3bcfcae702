"""The Textual app: the frame every screen lives in (modes, bindings, palette, themes, errors).

The first frame never waits: this module imports only Textual and small stdlib-only helpers;
the core (httpx, pydantic, the keyring, the sandbox server) loads in a worker after the first
frame, and screens wait for it with :meth:`CXApp.context`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import re
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

from cxconsole.settings import load_settings, save_settings

if TYPE_CHECKING:
    from cxconsole.context import Context
    from cxconsole.errorlog import ErrorEvent
    from cxconsole.tickets.paging import PageCache

#: mode -> (screen class path, title, key). The order is the order of the keys 1..5.
SCREENS: dict[str, tuple[str, str, str]] = {
    "home": ("cxconsole.screens.home:HomeScreen", "Home", "1"),
    "credentials": ("cxconsole.screens.credentials:CredentialsScreen", "Credentials", "2"),
    "imports": ("cxconsole.screens.imports:ImportsScreen", "Imports", "3"),
    "tickets": ("cxconsole.screens.tickets:TicketsScreen", "Tickets", "4"),
    "errors": ("cxconsole.screens.errors:ErrorsScreen", "Errors", "5"),
}


#: The footer shows the screen keys as one compact group: ``1 2 3 4 5 Screens``.
SCREEN_KEYS = Binding.Group("Screens", compact=True)
FUNCTION_KEY = re.compile(r"f\d{1,2}")


#: Held while a thread imports cxconsole's modules. Two threads importing the same package at
#: once can end in Python's import deadlock error (seen: Home's loader and the boot thread), so
#: a screen key pressed while the boot thread imports waits for it instead.
IMPORTS = threading.Lock()


def _import_screen(path: str) -> type[Screen[Any]]:
    module, name = path.split(":")
    with IMPORTS:
        screen: type[Screen[Any]] = getattr(importlib.import_module(module), name)
    return screen


def _screen_factory(path: str) -> Callable[[], Screen[Any]]:
    def make() -> Screen[Any]:
        return _import_screen(path)()

    return make


#: Seconds a quit waits for a screen being composed in the background (it takes under one).
_COMPOSE_AT_QUIT = 10.0


async def _mounted(mounting: Awaitable[Any]) -> None:
    await mounting


def _retrieved(task: asyncio.Future[None]) -> None:
    # A compose's error reaches the app through the screen's own handler; read here so that
    # asyncio does not log it a second time as never retrieved.
    if not task.cancelled():
        task.exception()


class CXApp(App[int]):
    """cxconsole's TUI."""

    TITLE = "cxconsole"
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses live elsewhere
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        mode: _screen_factory(path) for mode, (path, _, _) in SCREENS.items()
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        # 1-5 are priority keys, handled as they arrive (the keys typed after one, in a paste
        # or a fast burst, then reach the new screen), declined in a text field (typed there:
        # Escape leaves the field, every screen) and in a dialog (whose keys they are). No
        # alt+digit alias: Textual reads the ESC-prefixed digit a terminal sends for alt+1 as
        # macOS's option characters (¡™£¢∞), so it would type into the field in tmux.
        *(
            Binding(key, f"go('{mode}')", title, id=f"app.{mode}", group=SCREEN_KEYS, priority=True)
            for mode, (_, title, key) in SCREENS.items()
        ),
        Binding("question_mark", "help", "Keys", id="app.help", key_display="?"),
        # Shown: the footer lists one key per action, so "F1 Keys" appears only where "?" is
        # typed into a text field (and so left out of the keys that work there).
        Binding("f1", "help", "Keys", id="app.help_f1", priority=True),
        Binding("f12", "screenshot", "Screenshot", id="app.screenshot", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(
        self,
        ctx: Context | None = None,
        *,
        sandbox: bool = False,
        theme: str | None = None,
        initial_mode: str = "home",
        settings_file: Path | None = None,
        screens: Mapping[str, Callable[[], Screen[Any]]] | None = None,
        premount: bool = True,
    ) -> None:
        super().__init__()
        self.premount = premount
        self._composing: asyncio.Future[None] | None = None  # a screen composed in the background
        self._exiting: asyncio.Future[None] | None = None  # a quit waiting for a compose
        self._fatal_reported = False
        self._closing_down = False
        # A mode's screen built another way: how a test gives a screen other timings.
        for mode, make in (screens or {}).items():
            if mode not in SCREENS:
                raise ValueError(f"no screen mode {mode!r}; modes: {', '.join(SCREENS)}")
            self.remove_mode(mode)
            self.add_mode(mode, make)
        self.ctx: Context | None = ctx
        self.sandbox_requested = sandbox or (ctx is not None and ctx.sandbox_url is not None)
        self.initial_mode = initial_mode
        self.settings_file = settings_file
        self.settings, self._settings_problem = load_settings(settings_file)
        self._theme_override = theme
        self._core_ready = asyncio.Event()
        self._sandbox_server: Any = None
        self.boot_error: str | None = None
        if ctx is not None:
            self._core_ready.set()
        self._theme_failures: list[str] = []
        self._tickets_cache: PageCache | None = None
        self._apply_themes()

    def get_key_display(self, binding: Binding) -> str:
        """A key as the footer and the keys screen name it: function keys as on the keyboard
        (``F2``, not ``f2``), whatever key the keymap binds."""
        display = super().get_key_display(binding)
        return display.upper() if FUNCTION_KEY.fullmatch(display) else display

    # -- start-up ----------------------------------------------------------------------------
    def _apply_themes(self) -> None:
        """Register the theme files and choose one before the stylesheet is first built:
        changing the theme after the first frame would rebuild every style once more."""
        from cxconsole.themes import load_themes

        loaded = load_themes()
        for theme in loaded.themes:
            self.register_theme(theme)
        self._theme_failures = loaded.failures
        wanted = self._theme_override or self.settings.theme
        self.theme = wanted if wanted in self.available_themes else "cxconsole-dark"

    def on_mount(self) -> None:
        wanted = self._theme_override
        if wanted and wanted not in self.available_themes:
            self.notify(
                f"No theme named {wanted!r}; using {self.theme}. "
                f"Themes: {', '.join(sorted(self.available_themes))}",
                severity="warning",
            )
        if self._theme_failures:
            self.notify(
                "\n".join(self._theme_failures), title="Theme files not loaded", severity="error"
            )
        if self._settings_problem:
            self.notify(
                self._settings_problem, title="Settings not read; defaults used", severity="error"
            )
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self._theme_override and self.theme == self._theme_override:
            self._save_theme(self.theme)
        self.theme_changed_signal.subscribe(self, lambda theme: self._save_theme(theme.name))
        self.on_resize(events.Resize(self.size, self.size))
        self.switch_mode(self.initial_mode)
        self.show_store_warning()
        if self.ctx is None:
            # After the first frame: the core's imports would otherwise compete with it.
            self.call_after_refresh(
                self.run_worker, self._boot, thread=True, name="boot", exit_on_error=False
            )
        if self.premount:
            self.call_after_refresh(
                self.run_worker, self._premount, name="premount", exit_on_error=False
            )

    def on_resize(self, event: events.Resize) -> None:
        from cxconsole.widgets.too_small import too_small

        self.set_class(too_small(event.size.width, event.size.height), "-too-small")

    def _boot(self) -> None:
        """Load the core and, in sandbox mode, start the emulator: after the first frame."""
        from cxconsole.context import Context
        from cxconsole.keystore import Secrets, default_store
        from cxconsole.logs import setup_logging
        from cxconsole.profiles import ProfileStore

        setup_logging()
        try:
            if self.sandbox_requested:
                from cxconsole.sandbox.server import SandboxServer

                server = SandboxServer()
                server.start()
                self._sandbox_server = server
                ctx = Context.for_sandbox(server.url)
            else:
                ctx = Context(ProfileStore(), Secrets(default_store(self.settings.secret_store)))
        except Exception as exc:  # shown on the home screen, never a traceback
            self.boot_error = f"{type(exc).__name__}: {exc}"
            self.call_from_thread(
                self.notify, self.boot_error, title="Start-up failed", severity="error"
            )
            return
        # Every screen's code (and the core under it) before the context: screens' workers wait
        # for the context, so no thread imports while this one does.
        self._import_screens()
        self.call_from_thread(self._set_context, ctx)

    def _import_screens(self) -> None:
        for path, _, _ in SCREENS.values():
            try:
                _import_screen(path)
            except Exception:  # the visit itself reports it, where the operator looks
                return

    def _set_context(self, ctx: Context) -> None:
        self.ctx = ctx
        self._core_ready.set()
        self.show_store_warning()

    async def _premount(self) -> None:
        """Compose the screens not yet visited, one after another, once the core is loaded:
        a first visit then costs what a revisit does (composing and styling a screen takes
        the best part of a second). Keys are handled between the screens' widgets."""
        await self.context()
        init_mode = getattr(self, "_init_mode", None)  # Textual's own, not public: if it goes,
        if init_mode is None:  # screens are composed on their first visit, as before
            return
        for mode in SCREENS:
            if not self.is_running or self._closing_down:
                return  # a new screen would be one more to tear down
            if mode in self._screen_stacks:  # visited already
                continue
            # Its own task, shielded: a quit cancels this worker, but the screen's widgets
            # go on mounting; the teardown must wait for them, not for this worker.
            self._composing = composing = asyncio.ensure_future(_mounted(init_mode(mode)))
            composing.add_done_callback(_retrieved)
            try:
                await asyncio.shield(composing)
            except asyncio.CancelledError:
                raise
            except Exception:  # the visit itself reports it, where the operator looks
                return
            await asyncio.sleep(0)

    def exit(
        self, result: int | None = None, return_code: int = 0, message: Any | None = None
    ) -> None:
        """Quit; a screen still composing (in the background, or on its visit) finishes first.

        Textual mounts nothing once the app is exiting: a screen cut off mid-compose would
        find its widgets missing in its mount handler and end the app on an internal error.
        """
        self._closing_down = True  # no new screen is started in the background
        if not self._composing_now():
            super().exit(result, return_code, message)
            return
        quit_ = super().exit

        async def when_composed() -> None:
            await self._screens_composed()
            if self._composing_now():  # a screen key pressed while waiting: once more
                await self._screens_composed()
            quit_(result, return_code, message)

        self._exiting = asyncio.ensure_future(when_composed())

    async def _shutdown(self) -> None:
        # Textual's own teardown; a test's run ends through it without a quit.
        self._closing_down = True
        await self._screens_composed()
        await super()._shutdown()

    def _composing_now(self) -> bool:
        return any(not s.is_mounted for stack in self._screen_stacks.values() for s in stack) or (
            self._composing is not None and not self._composing.done()
        )

    async def _screens_composed(self) -> None:
        composing: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(screen._mounted_event.wait())
            for stack in self._screen_stacks.values()
            for screen in stack
            if not screen.is_mounted
        ]
        if self._composing is not None and not self._composing.done():
            composing.append(self._composing)
        if composing:
            # Bounded only so that a compose that never ends cannot hold the terminal.
            _, late = await asyncio.wait(composing, timeout=_COMPOSE_AT_QUIT)
            for waiting in late:
                waiting.cancel()

    def show_store_warning(self) -> None:
        """The title says so for as long as the insecure file store holds the secrets."""
        insecure = self.ctx is not None and getattr(self.ctx.secrets.store, "insecure", False)
        self.title = "cxconsole · INSECURE secret store" if insecure else "cxconsole"

    @property
    def tickets_cache(self) -> PageCache:
        """The session's ticket pages, shared by Home's counts and the tickets screen."""
        if self._tickets_cache is None:
            from cxconsole.tickets.paging import PageCache

            self._tickets_cache = PageCache()
        return self._tickets_cache

    async def context(self) -> Context:
        """The shared context, once the core has loaded."""
        await self._core_ready.wait()
        assert self.ctx is not None
        return self.ctx

    async def on_unmount(self) -> None:
        from cxconsole.client import close_client

        await close_client()
        if self._sandbox_server is not None:
            self._sandbox_server.stop()

    def _save_theme(self, name: str) -> None:
        if name == self.settings.theme:
            return
        self.settings.theme = name
        try:
            save_settings(self.settings, self.settings_file)
        except OSError as exc:
            self.notify(f"Could not save the theme choice: {exc}", severity="warning")

    # -- actions -----------------------------------------------------------------------------
    def switch_mode(self, mode: str) -> Any:
        self.sub_title = SCREENS[mode][1] if mode in SCREENS else mode
        return super().switch_mode(mode)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "go":
            screen = self.screen
            # Declined (still listed, dimmed): in a dialog a digit is the dialog's (it answers
            # a choice); in a text field it is typed (Escape leaves the field first).
            if isinstance(screen, ModalScreen):
                return None
            typing = getattr(screen, "typing", None)
            if callable(typing) and typing():
                return None
        return True

    def go(self, mode: str) -> None:
        """Show a mode's screen (from code: the palette, Home's enter)."""
        if self.current_mode != mode:
            self.switch_mode(mode)

    async def action_go(self, mode: str) -> None:
        if self.current_mode != mode:
            await self.switch_mode(mode)
        # The keys typed after this one wait (in the app's queue) for the screen as it shows,
        # whole: one composed on this visit, or in the background right now.
        screen = self.screen
        if not screen.is_mounted:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(screen._mounted_event.wait(), _COMPOSE_AT_QUIT)

    async def action_quit(self) -> None:
        """Quit; while an import sends, only after a yes (it stays resumable either way)."""
        running = [
            screen
            for stack in self._screen_stacks.values()
            for screen in stack
            if getattr(screen, "running", False) is True
        ]
        if not running:
            self.exit()
            return
        from cxconsole.widgets.confirm import Confirm

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(
            Confirm(
                "An import is sending. Quit now? The batches in flight end of unknown outcome; "
                "the run stays resumable (History, r).",
                yes="Quit",
            ),
            answered,
        )

    def action_help(self) -> None:
        from cxconsole.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """An SVG of the screen in the private state dir (or ``path``, Textual's argument);
        every secret masked whatever its reveal state, and every known secret redacted from
        the text as well."""
        import os
        from datetime import datetime

        from cxconsole.paths import ensure_private_dir, state_dir
        from cxconsole.redact import redact_text, register_secret
        from cxconsole.widgets.secret_input import masked_secrets

        with masked_secrets(self) as typed:
            for value in typed:
                register_secret(value)
            svg = redact_text(self.export_screenshot())
        try:
            folder = Path(path) if path else ensure_private_dir(state_dir() / "screenshots")
            name = filename or f"cxconsole_{datetime.now().strftime('%Y-%m-%dT%H_%M_%S_%f')}.svg"
            target = folder / name
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(svg)
        except OSError as exc:
            self.notify(f"Screenshot not saved: {exc}", title="Screenshot", severity="error")
            return
        self.notify(f"Saved {target}", title="Screenshot")

    # -- errors ------------------------------------------------------------------------------
    def report_error(self, error: BaseException, source: str, **where: Any) -> ErrorEvent | None:
        """Record a vendor error in the session history and show it decoded."""
        from cxconsole.client import CXError

        event = None
        if self.ctx is not None and isinstance(error, CXError):
            event = self.ctx.errors.record_error(error, source, **where)
        entry = getattr(error, "entry", None)
        if entry is not None:
            title = f"{source}: {entry.vendor} {entry.code} {entry.name}"
            body = f"{error}\n→ {entry.action_for('tui', source)}"
        else:
            title = f"{source} failed"
            body = str(error) if isinstance(error, CXError) else f"{type(error).__name__}: {error}"
        self.notify(body, title=title, severity="error", timeout=10, markup=False)
        return event

    def inspect(self, error: Any) -> None:
        """Open the error inspector on an error, an error event or a decoded reply."""
        self.switch_mode("errors")
        screen = self.screen
        show = getattr(screen, "show_error", None)
        if callable(show):
            show(error)

    # -- command palette ---------------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for mode, (_, title, key) in SCREENS.items():
            yield SystemCommand(
                f"Go to {title}", f"Open the {title.lower()} screen (key {key})", self._go(mode)
            )
        yield SystemCommand("Keys", "List the keys of this screen", self.action_help)
        yield SystemCommand(
            "Save screenshot", "Save an SVG of the screen to the state dir", self.action_screenshot
        )
        # Textual's own "Keys" (its key panel) would stand beside ours under the same title.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")

    def _go(self, mode: str) -> Callable[[], None]:
        return lambda: self.go(mode)

    # -- never a traceback on the operator's terminal ------------------------------------------
    def _fatal_error(self) -> None:
        # Textual's own crash report prints the traceback with its local variables, which
        # can hold a secret. The details go to the (redacted) log; the terminal gets one line.
        import logging
        import sys

        from cxconsole.paths import log_path
        from cxconsole.redact import redact_text

        error = sys.exc_info()[1] or self._exception
        detail = "".join(traceback.format_exception(error)) if error else "unknown error"
        log = logging.getLogger("cxconsole")
        if self._fatal_reported:
            # What fails while the app closes on an error follows from it: logged, and the
            # terminal keeps the one line about the first.
            if log.hasHandlers():
                log.error("and, while it closed:\n%s", redact_text(detail))
            return
        self._fatal_reported = True
        self.bell()
        if log.hasHandlers():
            log.error("the app stopped on an internal error:\n%s", redact_text(detail))
        what = f"{type(error).__name__}: {error}" if error else "unknown error"
        self._exit_renderables.append(
            Text(
                redact_text(
                    f"cxconsole stopped on an internal error ({what}). Nothing more was sent; "
                    f"a running import is resumable. The details are in {log_path()}."
                )
            )
        )
        self._close_messages_no_wait()
