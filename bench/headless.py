"""Start-up of the headless commands: ``codes 1010`` and ``decode`` beside a bare interpreter.

Each runs in a fresh process, as a script would call it, interleaved with ``python -c pass``
measured in the same run. Goal: ``codes`` and ``decode`` within 4.5x the bare start.

    python bench/headless.py [--runs 15]
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
from pathlib import Path

GOAL = 4.5
BODY = '{"code": 109, "message": "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS"}'
REFERENCE = "python -c pass (reference)"


def timed(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=False, env=env, capture_output=True)
    return time.perf_counter() - t0


def installed_command() -> list[str]:
    """The installed ``cxconsole`` script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("cxconsole")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cxconsole"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cx-bench-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    reply = Path(folder) / "reply.json"
    reply.write_text(BODY)
    # Bytecode is what a real install runs from: let it be written and read.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cx = installed_command()
    commands = {
        REFERENCE: [sys.executable, "-c", "pass"],
        "cxconsole codes 1010": [*cx, "codes", "1010"],
        "cxconsole decode FILE": [*cx, "decode", str(reply)],
        "cxconsole --help": [*cx, "--help"],
    }
    for command in commands.values():  # warm the bytecode and the disk cache
        timed(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so machine noise hits all alike
        for name, command in commands.items():
            times[name].append(timed(command, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    bare = medians[REFERENCE]
    print(f"headless start-up, median of {args.runs} runs ({' '.join(cx)}):")
    print(f"  {'':<28} {'ms':>6}  {'x bare':>6}  goal")
    for name, median in medians.items():
        ratio = median / bare
        if name == REFERENCE:
            verdict = ""
        elif "--help" in name:
            verdict = "(no goal)"
        else:
            verdict = f"<= {GOAL}x  " + ("met" if ratio <= GOAL else "MISSED")
        print(f"  {name:<28} {median * 1000:6.1f}  {ratio:6.2f}  {verdict}")


if __name__ == "__main__":
    main()
