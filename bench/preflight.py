"""The whole-file pre-flight beside a bare ``csv.reader`` + ``json.dumps`` loop, in one run.

The pre-flight reads, decodes, parses, maps, checks and batches every row once before an import
sends anything. Prints, for the generated 1,000,000-row CSV of ``bench/import_offline.py``:
  * the bare loop over the same file (per batch of 100), measured before and after;
  * the pre-flight alone, in a child process: rows/s on its own clock and its peak RSS.
Goal: a third or more of the bare loop, in constant memory. No assertions: figures.

    python bench/preflight.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from import_offline import bare_ceiling, bench_env, data_file

MAIN = Path(__file__).resolve().parents[1]

CHILD = """
import asyncio, json, resource, sys, time
from cxconsole.context import Context
from cxconsole.importing import ImportOptions, prepare_import
from cxconsole.keystore import FileStore, Secrets
from cxconsole.profiles import ProfileStore

async def main():
    ctx = Context(ProfileStore(), Secrets(FileStore()))
    account = ctx.account("bench")
    run = await prepare_import(
        account, sys.argv[1], options=ImportOptions(region="US"), skip_unmapped=True
    )
    t0 = time.perf_counter()
    report = await run.preflight()
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": report.rows, "invalid": report.rows_invalid,
                      "batches": report.batches, "elapsed": elapsed, "rss_mb": peak}))

asyncio.run(main())
"""


def preflight(path: Path) -> dict[str, float]:
    env = bench_env()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"pre-flight failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    path = data_file(args.rows)
    print(f"file: {path} ({args.rows:,} rows), {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    before, _cpu, _row = bare_ceiling(path)
    result = preflight(path)
    after, _cpu, _row = bare_ceiling(path)
    bare = (before + after) / 2
    rate = result["rows"] / result["elapsed"]
    print()
    print(f"{'':44} {'rows/s':>10}  {'vs bare':>8}")
    print(f"{'csv.reader + json.dumps per batch of 100':44} {bare:>10,.0f}  {1:>8.2f}")
    print(f"{'pre-flight (read, decode, check, batch)':44} {rate:>10,.0f}  {rate / bare:>8.2f}")
    print()
    print(
        f"pre-flight: {result['rows']:,} rows, {result['invalid']:,} invalid, "
        f"{result['batches']:,} batches in {result['elapsed']:.2f} s; peak RSS "
        f"{result['rss_mb']:.0f} MB. Goal: >= 0.33 of the bare loop, constant memory "
        f"({'met' if rate / bare >= 1 / 3 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
