"""Start-up of the headless commands: ``codes 1010`` and ``decode`` beside a bare interpreter.

Each runs in a fresh process, as a script would call it. DESIGN.md §6: under 150 ms.

    python bench/headless.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BODY = '{"response":{"error":{"id":"1010","name":"UNAUTHORIZED","httpStatusCode":401}}}'


def timed(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=False, env=env, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    reply = Path(tempfile.mkdtemp(prefix="cx-bench-")) / "reply.json"
    reply.write_text(BODY)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {
        "python -c pass (reference)": [sys.executable, "-c", "pass"],
        "cxconsole codes 1010": [sys.executable, "-m", "cxconsole", "codes", "1010"],
        "cxconsole decode FILE": [sys.executable, "-m", "cxconsole", "decode", str(reply)],
        "cxconsole --help": [sys.executable, "-m", "cxconsole", "--help"],
    }
    for command in commands.values():  # warm the bytecode and the disk cache
        timed(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so machine noise hits all alike
        for name, command in commands.items():
            times[name].append(timed(command, env))
    print(f"headless start-up, median of {args.runs} runs (goal: codes and decode < 150 ms):")
    for name, values in times.items():
        print(f"  {name:<28} {statistics.median(values) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
