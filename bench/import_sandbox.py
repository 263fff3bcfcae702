"""Import throughput against the sandbox at 50 ms latency, as a share of the ceiling.

For each vendor, a generated file is imported through the shared client (this process)
into a sandbox served by another process (so the two do not share a GIL). Printed beside it:
  * the ceiling that latency, concurrency and the vendor's rate limit allow:
    min(concurrency / latency, rate limit) calls per second, times the batch size;
  * a sequential loop of the same requests (one at a time, same bodies);
  * calls the sandbox refused for the rate limit (the client must provoke none).
No assertions: figures.

    python bench/import_sandbox.py [--latency-ms 50] [--calls 120]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

MAIN = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(MAIN))

from cxconsole.client import CXClient  # noqa: E402
from cxconsole.context import Context  # noqa: E402
from cxconsole.importing import (  # noqa: E402
    BatchAcknowledged,
    BatchSending,
    ImportOptions,
    prepare_import,
)
from cxconsole.vendors import get_vendor  # noqa: E402

#: vendor -> (profile, header, row maker, batch size)
CASES = {
    "webex": ("sandbox-webex", ["Mobile", "First Name", "Email"], 200),
    "expoints": (
        "sandbox-expoints",
        ["Email", "First name customer", "Family_name_customer", "BU", "Product"],
        100,
    ),
    "questionpro": ("sandbox-questionpro", ["Email", "Mobile", "Date", "First Name"], 100),
    "noojee": ("sandbox-noojee", ["Phone", "First Name", "Email"], 50),
}


def row(vendor: str, i: int) -> list[str]:
    phone = f"+6141{i:07d}"
    email = f"user{i}@example.com"
    if vendor == "webex":
        return [phone, f"F{i}", email]
    if vendor == "expoints":
        return [email, f"F{i}", f"L{i}", "Sales", "P1"]
    if vendor == "questionpro":
        return [email, phone, "14/01/2020", f"F{i}"]
    return [phone, f"F{i}", email]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(latency_ms: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxconsole", "sandbox", "--port", str(port),
         "--latency-ms", str(latency_ms)],
        env={**os.environ, "PYTHONPATH": str(MAIN)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/_sandbox/stats", timeout=1).raise_for_status()
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the sandbox did not start")


async def imported(url: str, vendor: str, path: Path, batch: int) -> tuple[float, float, dict]:
    """(seconds for the whole run, seconds from the first send to the last reply, summary)."""
    ctx = Context.for_sandbox(url)
    account = ctx.account(CASES[vendor][0])
    marks: list[float] = []

    def on_event(event: object) -> None:
        if isinstance(event, (BatchSending, BatchAcknowledged)):
            marks.append(time.perf_counter())

    async with CXClient() as client:
        run = await prepare_import(
            account,
            path,
            options=ImportOptions(batch_size=batch),
            skip_unmapped=True,  # a column no field takes is left out, as before
            client=client,
        )
        run.subscribe(on_event)
        t0 = time.perf_counter()
        summary = await run.run()
        return time.perf_counter() - t0, marks[-1] - marks[0], summary.as_json()


async def sequential(url: str, vendor: str, path: Path, batch: int, calls: int) -> float:
    """The same requests, one after another: the reference a loop without concurrency gets."""
    ctx = Context.for_sandbox(url)
    account = ctx.account(CASES[vendor][0])
    adapter = account.vendor
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    start = 10_000_000  # fresh phones and e-mails: Noojee refuses duplicates
    records = []
    for i in range(batch * calls):
        values = dict(zip(CASES[vendor][1], row(vendor, start + i), strict=True))
        records.append(_record(vendor, values))
    del rows
    t0 = time.perf_counter()
    async with CXClient() as client:
        session = account.session(client)
        for n in range(calls):
            part = records[n * batch : (n + 1) * batch]
            url_, params, body = adapter.build_batch(account.base, account.settings, part)
            await session.send("POST", url_, what="seq", params=params,
                               content=json.dumps(body).encode(),
                               headers={"content-type": "application/json"})  # fmt: skip
    return time.perf_counter() - t0


def _record(vendor: str, values: dict[str, str]) -> dict[str, str]:
    if vendor == "webex":
        return {"msisdn": values["Mobile"], "firstname": values["First Name"],
                "emailid": values["Email"]}  # fmt: skip
    if vendor == "expoints":
        return {"Email": values["Email"], "data:15": values["First name customer"],
                "data:16": values["Family_name_customer"], "data:18": "Sales",
                "data:19": "P1"}  # fmt: skip
    if vendor == "questionpro":
        return {"email": values["Email"], "mobile": values["Mobile"],
                "transactionDate": "14/01/2020", "firstName": values["First Name"]}  # fmt: skip
    return {"phone1": values["Phone"], "firstName": values["First Name"], "email": values["Email"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--calls", type=int, default=300, help="calls per vendor")
    parser.add_argument("--sequential-calls", type=int, default=20)
    parser.add_argument(
        "--batch-size", type=int, help="one batch size for every vendor (default: each vendor's)"
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    proc, url = start_sandbox(args.latency_ms)
    folder = Path(tempfile.mkdtemp(prefix="cxconsole-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ["XDG_STATE_HOME"] = str(folder / "state")
    print(f"sandbox {url} in its own process, {args.latency_ms} ms latency; "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    print(f"{'vendor':12} {'conc':>4} {'batch':>5} {'calls':>5} {'rows/s':>9} {'ceiling':>9} "
          f"{'share':>6} {'sending':>8} {'sequential':>10} {'speed-up':>8} {'effective':>9} "
          f"{'429s':>5}")  # fmt: skip
    try:
        for vendor, (_profile, header, default_batch) in CASES.items():
            batch = args.batch_size or default_batch
            httpx.post(f"{url}/_sandbox/reset").raise_for_status()
            rows = batch * args.calls
            path = folder / f"{vendor}.csv"
            with path.open("w", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(header)
                writer.writerows(row(vendor, i) for i in range(rows))
            adapter = get_vendor(vendor)
            elapsed, sending, summary = asyncio.run(imported(url, vendor, path, batch))
            stats = httpx.get(f"{url}/_sandbox/stats").json()
            conc = min(adapter.default_concurrency, adapter.policy.concurrency)
            calls_per_s = conc / latency
            if adapter.policy.rate_calls and args.calls > adapter.policy.rate_calls:
                # Past the first window, the key's rate limit binds.
                calls_per_s = min(
                    calls_per_s, adapter.policy.rate_calls / adapter.policy.rate_period
                )
            ceiling = calls_per_s * batch
            rate = summary["rows_imported"] / elapsed
            rate_sending = summary["rows_imported"] / sending
            httpx.post(f"{url}/_sandbox/reset").raise_for_status()  # QuestionPro's window too
            seq = asyncio.run(sequential(url, vendor, path, batch, args.sequential_calls))
            seq_rate = batch * args.sequential_calls / seq
            effective = conc * seq_rate  # the ceiling with the real cost of one call
            print(f"{vendor:12} {conc:>4} {batch:>5} {summary['batches_total']:>5} {rate:>9,.0f} "
                  f"{ceiling:>9,.0f} {rate / ceiling:>6.0%} {rate_sending / ceiling:>8.0%} "
                  f"{seq_rate:>10,.0f} {rate / seq_rate:>7.1f}x {rate / effective:>9.0%} "
                  f"{stats['rate_limited']:>5}")  # fmt: skip
            if summary["rows_imported"] != rows:
                print(f"  note: {rows - summary['rows_imported']} rows not imported: {summary}")
    finally:
        proc.terminate()
        proc.wait(5)
    print(
        "\nceiling: min(concurrency / latency, rate limit) x batch size (QuestionPro's 300 "
        "calls / 60 s bind only past 300 calls)\nshare: of the ceiling, whole run (start-up, "
        "reading the first batch and the summary included); sending: from the first request "
        "to the last reply\nsequential: the same requests one at a time; effective: share of "
        "concurrency x sequential, a ceiling that counts the real cost of one call"
    )


if __name__ == "__main__":
    main()
