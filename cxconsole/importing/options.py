"""The options of an import run, and where the default phone region comes from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cxconsole.importing.errors import ImportProblem
from cxconsole.profiles import Account

REGION_ENV = "CXCONSOLE_PHONE_REGION"


@dataclass
class ImportOptions:
    """How to read, check and send; None means "the vendor's default" or "detect"."""

    dry_run: bool = False
    batch_size: int | None = None
    concurrency: int | None = None
    encoding: str | None = None
    delimiter: str | None = None  # a CSV file's, where detection should not decide
    sheet: str | None = None
    json_key: str | None = None
    format: str | None = None
    region: str | None = None  # phone numbers without a country code; default below
    day_first: bool | None = None  # dd/mm vs mm/dd when a date could be either
    rejects_path: Path | None = None
    queue_batches: int | None = None  # batches read ahead of the senders
    max_failed_batches: int = 20  # more than this many failing batches stops the run
    progress_interval: float = 0.25
    # Seconds before a batch whose reply was lost is sent again (reconciling vendors only).
    reconcile_pause: float = 2.0
    # field -> a value every record gets where the file gives none (a QuestionPro segment).
    values: dict[str, str] = field(default_factory=dict)
    # Import a file whose content a finished run already put into this profile: only on the
    # operator's explicit word (never while another run sends it).
    again: bool = False
    # Day-or-month order per field, settled by the pre-flight from the whole column.
    date_orders: dict[str, bool] = field(default_factory=dict)


def default_region() -> str | None:
    """``CXCONSOLE_PHONE_REGION``, else the user's settings (``phone_region``), else none:
    national numbers then need a region chosen (the pre-flight proposes one)."""
    region = os.environ.get(REGION_ENV)
    if not region:
        try:
            from cxconsole.settings import load_settings

            region = load_settings()[0].phone_region
        except (ImportError, AttributeError):
            region = None
    return region.upper() if region else None


def resolve_region(given: str | None, account: Account | None) -> str | None:
    """The phone region: as given, else the profile's, else the environment's or settings'."""
    region = given or (account.profile.phone_region if account is not None else None)
    region = region or default_region()
    return region.upper() if region else None


def region_problem(code: str) -> str | None:
    """What is wrong with a phone region code the operator typed, or None."""
    import phonenumbers

    if code.strip().upper() in phonenumbers.SUPPORTED_REGIONS:
        return None
    return (
        f"{code.strip()!r} is not a region code of the phone-number library "
        "(two letters such as AU, DE, FR, GB, NZ, US)"
    )


def batch_size_for(account: Account, options: ImportOptions) -> int:
    """The records per call: the option, else the vendor's default; never above its limit."""
    vendor = account.vendor
    size = options.batch_size or vendor.default_batch_size
    if size < 1:
        raise ImportProblem("--batch-size must be 1 or more")
    if size > vendor.max_batch_size:
        raise ImportProblem(
            f"--batch-size {size} is more than {vendor.title} accepts in one call "
            f"({vendor.max_batch_size})"
        )
    return size
