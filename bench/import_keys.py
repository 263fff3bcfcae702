"""Key latency in the import screen while a run streams batch events, beside the same with none.

A 5,000-row file goes to the sandbox's Webex in batches of one row (5,000 batches, low
latency), so the screen gets tens of thousands of events a minute. Keys are sent the way a
terminal driver sends them (``driver.send_message``), one at a time, and timed to two points:
*processed* (the action ran: the batch table's cursor moved, the failure filter toggled) and
*painted* (the next frame the app composited after it). The same keys are timed with no run
going: before the run (empty table) and after it (5,000 batches in the table). Headless, so
the terminal's own speed is left out. The goal: 95th percentile under 100 ms.

    python bench/import_keys.py [--rows 5000] [--latency-ms 1] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import csv
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

KEYS = ("down", "down", "up", "f", "down", "up", "f", "up")


def write_file(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Mobile", "First Name", "Email Address", "Ref"])
        for i in range(1, rows + 1):
            writer.writerow([f"+44733{i:06d}", f"F{i}", f"w{i}@example.com", f"r{i}"])
    return path


class Probe:
    """Times a key from the driver to the action that handles it, and to the next frame."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sent = 0.0
        self.processed: float | None = None
        self.painted: float | None = None
        self.done = asyncio.Event()  # set once the key was processed and a frame followed

    def install(self) -> None:
        from cxconsole.screens.imports import ImportsScreen
        from cxconsole.widgets.batch_table import BatchTable

        probe = self
        cursor, failures = BatchTable.action_cursor, ImportsScreen.action_failures

        def timed_cursor(table: BatchTable, delta: int) -> None:
            cursor(table, delta)
            probe.mark()

        def timed_failures(screen: ImportsScreen) -> None:
            failures(screen)
            probe.mark()

        BatchTable.action_cursor = timed_cursor  # type: ignore[method-assign]
        ImportsScreen.action_failures = timed_failures  # type: ignore[method-assign]
        display = self.app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None and probe.processed is not None and probe.painted is None:
                probe.painted = time.perf_counter()
                probe.done.set()

        self.app._display = timed_display

    def mark(self) -> None:
        if self.processed is None:
            self.processed = time.perf_counter()

    async def press(self, key: str) -> tuple[float, float]:
        from textual import events

        self.processed = self.painted = None
        self.done.clear()
        self.sent = time.perf_counter()
        self.app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
        # A key that never comes through counts as 5 s: it shows in the maximum.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), 5.0)
        deadline = self.sent + 5.0
        processed = (self.processed or deadline) - self.sent
        painted = (self.painted or deadline) - self.sent
        return processed * 1000, painted * 1000


def figures(label: str, samples: list[tuple[float, float]]) -> None:
    if not samples:
        print(f"{label:<38} no samples")
        return
    for i, what in enumerate(("processed", "painted")):
        values = sorted(s[i] for s in samples)
        p50 = statistics.median(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        print(
            f"{label:<38} {what:<9}  p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   "
            f"max {values[-1]:6.1f} ms   n={len(values)}"
        )


async def measure(rows: int, latency_ms: int, concurrency: int, keys_idle: int) -> None:
    from cxconsole.app import CXApp
    from cxconsole.context import Context
    from cxconsole.sandbox.config import SandboxConfig
    from cxconsole.sandbox.server import SandboxServer
    from cxconsole.screens.imports import ImportsScreen
    from cxconsole.widgets.batch_table import BatchTable

    folder = Path(tempfile.mkdtemp(prefix="cx-bench-keys-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = write_file(folder / "keys.csv", rows)
    with SandboxServer(SandboxConfig(latency_ms=latency_ms)) as server:
        app = CXApp(ctx=Context.for_sandbox(server.url), initial_mode="imports")
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            for _ in range(200):
                if isinstance(screen, ImportsScreen) and screen.profiles:
                    break
                await pilot.pause(0.05)
                screen = app.screen
            assert isinstance(screen, ImportsScreen)
            screen.choose_file(path)
            screen.choose_profile("sandbox-webex")
            while screen.mapping is None or screen.preview is None:
                await pilot.pause(0.05)
            screen.query_one("#batch-size").value = "1"  # type: ignore[attr-defined]
            screen.query_one("#concurrency").value = str(concurrency)  # type: ignore[attr-defined]
            screen.action_tab("run")
            table = screen.query_one(BatchTable)
            screen.set_focus(table)
            await pilot.pause(0.3)
            probe = Probe(app)
            probe.install()

            idle_before = []
            for i in range(keys_idle):
                idle_before.append(await probe.press(KEYS[i % len(KEYS)]))
                await asyncio.sleep(0.02)

            events = [0]
            screen.start_import(confirm=False)
            for _ in range(500):
                if screen.run is not None:
                    break
                await pilot.pause(0.01)
            assert screen.run is not None
            screen.run.subscribe(lambda _event: events.__setitem__(0, events[0] + 1))
            screen.set_focus(table)
            began = time.perf_counter()
            streaming = []
            i = 0
            while screen.summary is None:
                sample = await probe.press(KEYS[i % len(KEYS)])
                if screen.summary is None:
                    streaming.append(sample)
                i += 1
                await asyncio.sleep(0.03)
            elapsed = time.perf_counter() - began
            summary = screen.summary
            if table.failures_only:
                screen.action_failures()  # all 5,000 batches in the table for the last measure
            await pilot.pause(0.5)

            idle_after = []
            for i in range(keys_idle):
                idle_after.append(await probe.press(KEYS[i % len(KEYS)]))
                await asyncio.sleep(0.02)

    print(
        f"run: {summary.batches_total:,} batches of 1 row, {summary.rows_imported:,} imported, "
        f"{elapsed:.1f} s, {summary.batches_total / elapsed:,.0f} batches/s, "
        f"{events[0] / elapsed:,.0f} events/s ({events[0] / elapsed * 60:,.0f} a minute)"
    )
    figures("no run (empty table)", idle_before)
    figures("while the run streams", streaming)
    figures(f"no run ({table.view_length():,} batches in the table)", idle_after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--latency-ms", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--idle-keys", type=int, default=80)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="cx-bench-home-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["XDG_CONFIG_HOME"] = f"{home}/config"
    os.environ["XDG_STATE_HOME"] = f"{home}/state"
    asyncio.run(measure(args.rows, args.latency_ms, args.concurrency, args.idle_keys))


if __name__ == "__main__":
    main()
