"""Screen switches in a real terminal: ``cxconsole --sandbox`` beside a plain five-screen Textual
app (header, footer, a 50-row DataTable per screen), both in tmux, switched the same way, same run.

For each app: the time from the key (``tmux send-keys``) until the new screen's own text is on
the pane (``capture-pane``, polled), for the first visit of each screen and for revisits. The
goals: revisit within 2x the plain app, first visit within 4x. The figures include tmux's own
round trip, the same for both apps.

    python bench/screen_switch.py [--rounds 5] [--size 120x40]
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve()
COMMAND = Path(sys.executable).parent / "cxconsole"
KEYS = ("1", "2", "3", "4", "5")
#: Text each cxconsole screen paints itself (not the header, which the app retitles first).
CX_MARKS = {
    "1": "Recent import runs",
    "2": "Test connection",
    "3": "Read as",
    "4": "Segment",
    "5": "Session errors",
}
PLAIN_MARKS = {key: f"Plain screen {key} of 5" for key in KEYS}
GOALS = {"first visit": 4.0, "revisit": 2.0}


def plain_app() -> None:
    """The reference: five screens as modes, keys 1-5, a 50-row table each."""
    from textual.app import App
    from textual.binding import Binding
    from textual.screen import Screen
    from textual.widgets import DataTable, Footer, Header

    class Plain(Screen[None]):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

        def compose(self):
            yield Header()
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns(PLAIN_MARKS[self.key], "Name", "Vendor", "State", "When", "Rows")
            for i in range(50):
                table.add_row(str(i), f"name {i}", "vendor", "done", "2026-01-01 10:00", "1,000")

    class PlainApp(App[None]):
        MODES = {key: (lambda key=key: Plain(key)) for key in KEYS}
        BINDINGS = [Binding(key, f"switch_mode('{key}')", f"Screen {key}") for key in KEYS]

        def on_mount(self) -> None:
            self.switch_mode("1")

    PlainApp().run()


class Pane:
    def __init__(self, command: str, size: tuple[int, int], env: dict[str, str]) -> None:
        self.socket = f"cx-bench-{uuid.uuid4().hex[:8]}"
        width, height = size
        envs = " ".join(f"{k}={v}" for k, v in env.items())
        self.tmux("new-session", "-d", "-s", "b", "-x", str(width), "-y", str(height),
                  f"env -u COLUMNS -u LINES {envs} {command}")  # fmt: skip

    def tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True)
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "b")

    def wait(self, text: str, timeout: float = 30.0) -> float:
        start = time.perf_counter()
        while text not in self.screen():
            if time.perf_counter() - start > timeout:
                raise SystemExit(f"{text!r} never appeared:\n{self.screen()}")
        return time.perf_counter() - start

    def switch(self, key: str, mark: str) -> float:
        start = time.perf_counter()
        self.tmux("send-keys", "-t", "b", key)
        self.wait(mark)
        return time.perf_counter() - start

    def close(self) -> None:
        self.tmux("kill-server")


def measure(
    command: str, marks: dict[str, str], ready: str, size: tuple[int, int], rounds: int, env
) -> dict[str, object]:
    pane = Pane(command, size, env)
    try:
        started = time.perf_counter()
        pane.wait(ready, timeout=60)
        first_frame = time.perf_counter() - started
        first = {key: pane.switch(key, marks[key]) for key in KEYS[1:]}
        # Home's first visit happened at start: leave it to the other four.
        revisits: dict[str, list[float]] = {key: [] for key in KEYS}
        for _ in range(rounds):
            for key in KEYS:
                revisits[key].append(pane.switch(key, marks[key]))
        return {"ready": first_frame, "first": first, "revisit": revisits}
    finally:
        pane.close()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--plain":
        plain_app()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    if not shutil.which("tmux"):
        raise SystemExit("tmux is needed")
    size = tuple(int(n) for n in args.size.split("x"))
    home = tempfile.mkdtemp(prefix="cx-bench-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    env = {"XDG_CONFIG_HOME": f"{home}/c", "XDG_STATE_HOME": f"{home}/s", "TERM": "xterm-256color"}
    plain = measure(
        f"{sys.executable} {HERE} --plain", PLAIN_MARKS, PLAIN_MARKS["1"], size, args.rounds, env
    )
    cx = measure(f"{COMMAND} --sandbox", CX_MARKS, "sandbox-noojee", size, args.rounds, env)
    print(f"screen switches in tmux at {args.size}, {args.rounds} revisit rounds, seconds")
    print(f"{'':14}{'plain':>9}{'cxconsole':>11}{'ratio':>8}{'goal':>7}")
    print(f"{'start (ready)':14}{plain['ready']:9.3f}{cx['ready']:11.3f}"
          f"{cx['ready'] / plain['ready']:8.1f}")  # fmt: skip
    verdict = True
    for label, key in (("first visit", "first"), ("revisit", "revisit")):
        rows = []
        for screen in KEYS[1:] if key == "first" else KEYS:
            p, c = plain[key][screen], cx[key][screen]  # type: ignore[index]
            p = statistics.median(p) if isinstance(p, list) else p
            c = statistics.median(c) if isinstance(c, list) else c
            rows.append((screen, p, c))
        for screen, p, c in rows:
            print(f"  {label[:5]} {screen} {CX_MARKS[screen][:4]:4}{p:9.3f}{c:11.3f}{c / p:8.1f}")
        p_all = statistics.median(p for _, p, _ in rows)
        c_all = statistics.median(c for _, _, c in rows)
        ok = c_all / p_all <= GOALS[label]
        verdict &= ok
        print(f"{label:14}{p_all:9.3f}{c_all:11.3f}{c_all / p_all:8.1f}"
              f"{'<=' + str(GOALS[label]):>7}  {'ok' if ok else 'MISSED'}")  # fmt: skip
    print("all goals met" if verdict else "some goals missed")
    os.environ.pop("CX_BENCH", None)


if __name__ == "__main__":
    main()
