"""The offline import pipeline (``import --dry-run``) beside its references, in one run.

Prints, for a generated 1,000,000-row CSV with e-mail, phone and date columns:
  * the bare ceiling: ``csv.reader`` + ``json.dumps`` over the same file (per batch of 100,
    and per row);
  * a plain pydantic + email-validator + phonenumbers pipeline over a sample;
  * ``cxconsole import FILE --dry-run`` in a subprocess: rows/s (the run's own clock and the
    whole command's) and its peak resident memory (ru_maxrss).
No assertions: figures, each beside the reference measured here and now.

    python bench/import_offline.py [--rows N] [--keep]
"""

from __future__ import annotations

import argparse
import atexit
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAIN = Path(__file__).resolve().parents[1]
HEADER = ["First Name", "Last Name", "E-mail", "Mobile", "Transaction Date", "Segment", "Notes"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "example.org", "acme.co.uk", "web.de"]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Realistic rows: few e-mail domains, 90% of phones in E.164, dates in two forms."""
    rnd = random.Random(seed)
    firsts = ["Anna", "Ben", "Chloe", "David", "Emma", "Finn", "Grace", "Hugo", "Ivy", "Jack"]
    lasts = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            first, last = rnd.choice(firsts), rnd.choice(lasts)
            email = f"{first.lower()}.{last.lower()}{i}@{rnd.choice(DOMAINS)}"
            area, mid, end = rnd.randint(200, 999), rnd.randint(200, 999), rnd.randint(1000, 9999)
            phone = f"+1{area}{mid}{end}" if rnd.random() < 0.9 else f"({area}) {mid}-{end}"
            day, month, year = rnd.randint(1, 28), rnd.randint(1, 12), rnd.randint(2018, 2024)
            date = (
                f"{day:02d}/{month:02d}/{year}"
                if rnd.random() < 0.7
                else f"{year}-{month:02d}-{day:02d}"
            )
            writer.writerow([first, last, email, phone, date, f"S{rnd.randint(1, 5)}", "note"])


def data_file(rows: int) -> Path:
    folder = Path(tempfile.gettempdir()) / "cxconsole-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"contacts-{rows}.csv"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path.with_suffix(".tmp"), rows)
        path.with_suffix(".tmp").rename(path)
        print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    return path


def bare_ceiling(path: Path) -> tuple[float, float, float]:
    """csv.reader + json.dumps: per batch of 100 rows (wall and CPU clocks), and per row."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch: list[list[str]] = []
        n = 0
        for row in reader:
            batch.append(row)
            n += 1
            if len(batch) == 100:
                json.dumps(batch)
                batch = []
        json.dumps(batch)
    per_batch = n / (time.perf_counter() - t0)
    per_batch_cpu = n / (time.process_time() - c0)
    t0 = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        n = 0
        for row in reader:
            json.dumps(row)
            n += 1
    return per_batch, per_batch_cpu, n / (time.perf_counter() - t0)


def pydantic_pipeline(path: Path, sample: int) -> float:
    """A plain model: EmailStr, phonenumbers to E.164, dates parsed then written dd/MM/yyyy."""
    from datetime import date, datetime

    import phonenumbers
    from pydantic import BaseModel, EmailStr, Field, ValidationError, field_validator

    class Contact(BaseModel):
        firstName: str
        lastName: str
        email: EmailStr
        mobile: str
        transactionDate: date = Field(exclude=True)
        segmentCode: str

        @field_validator("mobile")
        @classmethod
        def e164(cls, value: str) -> str:
            number = phonenumbers.parse(value, "US")
            if not phonenumbers.is_possible_number(number):
                raise ValueError("not a phone number")
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

        @field_validator("transactionDate", mode="before")
        @classmethod
        def parse_date(cls, value: str) -> date:
            for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
                try:
                    return datetime.strptime(value, pattern).date()
                except ValueError:
                    continue
            raise ValueError("not a date")

    t0 = time.perf_counter()
    n = 0
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch = []
        for row in reader:
            try:
                contact = Contact(
                    firstName=row[0], lastName=row[1], email=row[2], mobile=row[3],
                    transactionDate=row[4], segmentCode=row[5],
                )  # fmt: skip
                data = contact.model_dump()
                data["transactionDate"] = contact.transactionDate.strftime("%d/%m/%Y")
                batch.append(data)
            except ValidationError:
                pass
            n += 1
            if len(batch) == 100:
                json.dumps({"contacts": batch})
                batch = []
            if n >= sample:
                break
    return n / (time.perf_counter() - t0)


def bench_env() -> dict[str, str]:
    """A throw-away home with one QuestionPro profile ("bench") that is never called."""
    home = Path(tempfile.mkdtemp(prefix="cxconsole-bench-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    config = home / "config" / "cxconsole"
    config.mkdir(parents=True)
    (config / "profiles.toml").write_text(
        '[profiles.bench]\nvendor = "questionpro"\nbase_url = "http://127.0.0.1:9/qp"\n'
    )
    return {
        **os.environ,
        "PYTHONPATH": str(MAIN),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "CXCONSOLE_SECRET_BENCH": "bench-key-not-used",
        "CXCONSOLE_SECRET_STORE": "file",
    }


def dry_run(path: Path) -> tuple[dict, float, float, float]:
    """``cxconsole import --dry-run --json`` in a child: its JSON, wall seconds, CPU seconds
    (user + system, startup included) and peak RSS in MB."""
    env = bench_env()
    args = [sys.executable, "-m", "cxconsole", "import", str(path), "--profile", "bench",
            "--dry-run", "--json", "--region", "US", "--skip-unmapped"]  # fmt: skip
    t0 = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = child.stdout.read() if child.stdout else b""
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0 and os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"dry run failed with status {status}: {out[:500]!r}")
    return json.loads(out), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows for pydantic")
    args = parser.parse_args()
    path = data_file(args.rows)
    print(f"file: {path} ({args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB), "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")  # fmt: skip

    per_batch, per_batch_cpu, per_row = bare_ceiling(path)
    plain = pydantic_pipeline(path, args.sample)
    result, wall, cpu, rss = dry_run(path)
    rows = result["rows_total"]
    own = rows / result["elapsed"]
    whole = rows / wall
    per_cpu = rows / cpu
    again, again_cpu, _ = bare_ceiling(path)  # the machine may be busy: measure again after
    ceiling = (per_batch + again) / 2
    ceiling_cpu = (per_batch_cpu + again_cpu) / 2
    print()
    print(f"{'pipeline':56} {'rows/s':>10}  {'vs ceiling':>10}")
    lines = [
        ("csv.reader + json.dumps per batch of 100 (the ceiling)", ceiling, ceiling),
        ("csv.reader + json.dumps per row", per_row, ceiling),
        ("pydantic + email-validator + phonenumbers (sample)", plain, ceiling),
        ("cxconsole import --dry-run (the run's own clock)", own, ceiling),
        ("cxconsole import --dry-run (whole command, startup too)", whole, ceiling),
        ("ceiling, per CPU-second", ceiling_cpu, ceiling_cpu),
        ("cxconsole import --dry-run, per CPU-second (all threads)", per_cpu, ceiling_cpu),
    ]
    for name, rate, reference in lines:
        print(f"{name:56} {rate:>10,.0f}  {rate / reference:>10.2f}")
    print()
    print(f"dry run: {rows:,} rows, {result['rows_rejected']:,} rejected, "
          f"{result['batches_total']:,} batches, {result['elapsed']:.2f} s run, {wall:.2f} s "
          f"command, {cpu:.2f} CPU-s; peak RSS {rss:.0f} MB (target < 150 MB); "
          f"{own / plain:.0f}x the pydantic pipeline")  # fmt: skip
    load = os.getloadavg()[0]
    if load > 1.2:
        print(
            f"note: load average {load:.1f} on {os.cpu_count()} CPUs: other work competes; "
            "the per-CPU-second lines are the fairer comparison"
        )


if __name__ == "__main__":
    main()
