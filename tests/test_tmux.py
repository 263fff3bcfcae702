"""The installed ``cxconsole --sandbox`` in a real terminal: tmux, send-keys, capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import poll_until

COMMAND = Path(sys.executable).parent / "cxconsole"


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20
        )
        return out.stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "cx", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "cx")

    def wait_gone(self, text: str, seconds: float = 20.0) -> None:
        poll_until(lambda: text not in self.screen(), seconds, what=f"{text!r} gone")

    def wait_for(self, text: str, seconds: float = 20.0) -> str:
        shown = [""]

        def showing() -> bool:
            shown[0] = self.screen()
            return text in shown[0]

        try:
            poll_until(showing, seconds, what=f"{text!r} on screen")
            return shown[0]
        except AssertionError:
            screen = shown[0]
        size = self.run("display", "-p", "-t", "cx", "#{window_width}x#{window_height}")
        raise AssertionError(f"{text!r} not on screen after {seconds}s ({size.strip()}):\n{screen}")


@pytest.fixture
def tmux(isolated_home: Path) -> Iterator[Tmux]:
    if not shutil.which("tmux"):
        pytest.fail("tmux is not installed: .ci/run installs it (apt-get install tmux)")
    assert COMMAND.exists(), f"the console script is not installed at {COMMAND}"
    # A server of its own: the user's tmux sessions are never touched.
    session = Tmux(f"cx-test-{uuid.uuid4().hex[:8]}")
    yield session
    session.run("kill-server")


def start(tmux: Tmux, size: tuple[int, int]) -> None:
    width, height = size
    env_line = (
        f"XDG_CONFIG_HOME={os.environ['XDG_CONFIG_HOME']} "
        f"XDG_STATE_HOME={os.environ['XDG_STATE_HOME']} TERM=xterm-256color"
    )
    tmux.run(
        "new-session", "-d", "-s", "cx", "-x", str(width), "-y", str(height),
        # pytest's COLUMNS/LINES would reach the app through tmux and override the pane's size.
        f"env -u COLUMNS -u LINES {env_line} {COMMAND} --sandbox; echo EXITED-$?; sleep 30",
    )  # fmt: skip


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_installed_command_in_tmux(tmux: Tmux, size: tuple[int, int]):
    start(tmux, size)
    screen = tmux.wait_for("sandbox-noojee")
    assert "SANDBOX" in screen
    tmux.keys("2")
    tmux.wait_for("Profiles")
    tmux.keys("4")
    tmux.wait_for("Tickets")
    tmux.keys("5")
    screen = tmux.wait_for("Session errors")
    tmux.keys("?")
    tmux.wait_for("Keys")
    tmux.keys("Escape")
    tmux.keys("C-q")
    screen = tmux.wait_for("EXITED-0")
    assert "Traceback" not in screen


#: key -> text the screen itself draws (not the title, which changes first).
WALK = {
    "1": "Recent import runs",
    "2": "Test connection",
    "3": "Read as",
    "4": "Segment",
    "5": "Session errors",
}


def test_walk_every_screen_at_80x24(tmux: Tmux):
    """Every screen by its key, the keys screen, digits in a field, Escape, and out: 80x24."""
    start(tmux, (80, 24))
    tmux.wait_for("sandbox-noojee")
    for key, mark in [*WALK.items(), ("1", WALK["1"])]:
        tmux.keys(key)
        screen = tmux.wait_for(mark)
        lines = screen.splitlines()
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines)
        assert lines[-1].strip(), f"screen {key}: no footer"
        assert "Traceback" not in screen
    # Tickets: sorted across every page once all are in.
    tmux.keys("4")
    tmux.wait_for("all pages")
    # A field keeps its digits; Escape leaves it, then a digit switches.
    tmux.keys("/")
    tmux.wait_for("search every ticket")  # the field open (its placeholder), then the digits
    tmux.keys("1", "2")
    tmux.wait_for("search “12”")  # typed into the search, not a switch to screen 1 or 2
    tmux.keys("Escape")  # ends the search and leaves the field
    tmux.wait_gone("search “12”")
    tmux.keys("1")
    tmux.wait_for(WALK["1"])
    tmux.keys("3")
    tmux.wait_for(WALK["3"])
    tmux.keys("F1")
    tmux.wait_for("Keys: Imports")
    tmux.keys("Escape")
    tmux.keys("C-q")
    screen = tmux.wait_for("EXITED-0")
    assert "Traceback" not in screen
