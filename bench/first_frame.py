"""Time to the first frame: ``cxconsole --sandbox`` beside a 10-line Textual app, same run.

Each app runs in a fresh process (imports included, as a user starts it), paints its first
frame, and exits; the wall time of the whole process is the figure. Headless, so the terminal's
speed is left out of both. The goal: within 1.3x of the reference.

    python bench/first_frame.py [--runs 9]
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

# Each child prints the wall-clock time of its first painted frame and leaves at once, so
# work that goes on after the first frame (cxconsole's core loading in a worker) is not counted.
FIRST_FRAME = "import os, sys, time; print(time.time()); sys.stdout.flush(); os._exit(0)"

REFERENCE = f"""
from textual.app import App
from textual.widgets import Footer, Header, Static
class Ten(App):
    def compose(self):
        yield Header(); yield Static("hello"); yield Footer()
    def on_mount(self):
        self.call_after_refresh(lambda: exec({FIRST_FRAME!r}))
Ten().run(headless=True)
"""

CXCONSOLE = f"""
from cxconsole.app import CXApp
class FirstFrame(CXApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(lambda: exec({FIRST_FRAME!r}))
FirstFrame(sandbox=True).run(headless=True)
"""


def run(code: str, env: dict[str, str]) -> float:
    t0 = time.time()
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
    )
    return float(out.stdout.strip().splitlines()[-1]) - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="cx-bench-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    env = {**os.environ, "XDG_CONFIG_HOME": f"{home}/c", "XDG_STATE_HOME": f"{home}/s"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what users get: cached bytecode
    for code in (REFERENCE, CXCONSOLE):  # warm the bytecode and the disk cache
        run(code, env)
    ref, ours = [], []
    for _ in range(args.runs):  # interleaved, so machine noise hits both alike
        ref.append(run(REFERENCE, env))
        ours.append(run(CXCONSOLE, env))
    r, o = statistics.median(ref), statistics.median(ours)
    print(f"first frame, median of {args.runs} runs (process start to first frame painted):")
    print(f"  10-line Textual app   {r * 1000:7.0f} ms   (reference)")
    ratio = f"{o / r:.2f}x the reference (goal <= 1.30x)"
    print(f"  cxconsole --sandbox   {o * 1000:7.0f} ms   {ratio}")


if __name__ == "__main__":
    main()
