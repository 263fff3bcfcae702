"""The sandbox's mutable state: accepted rows, counters, fault dice, limiter, Noojee slots."""

from __future__ import annotations

import asyncio
import copy
import random
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from cxconsole.sandbox.config import (
    ALL_FAULTS,
    NOOJEE_MAX_CONCURRENT_INSERTS,
    NOOJEE_QUEUE_TIMEOUT_S,
    SLOW_FAULT_DELAY_S,
    VENDORS,
    SandboxConfig,
    check_faults,
)
from cxconsole.sandbox.data import SEGMENTS, Segment, Ticket, make_tickets
from cxconsole.sandbox.ratelimit import SlidingWindowLimiter

T = TypeVar("T")


class SandboxState:
    """Everything one sandbox app remembers, shared by its routes and readable in-process.

    Routes run on the server's event loop thread while tests read from another thread, so
    every read or write of the record and the counters holds ``_lock``.
    """

    def __init__(self, config: SandboxConfig, now: datetime | None = None) -> None:
        self.config = config
        # Ticket times are relative to this instant, so some are overdue and some are not.
        self.created_at = (now or datetime.now(UTC)).replace(microsecond=0)
        self.segments: tuple[Segment, ...] = SEGMENTS
        self.tickets: tuple[Ticket, ...] = make_tickets(
            config.tickets, config.seed, self.created_at
        )

        self.fault_rate = config.fault_rate
        self.faults: tuple[str, ...] = config.faults
        self.fault_seed = config.seed
        self.latency_ms = config.latency_ms
        self._fault_rng = random.Random(config.seed)
        self.slow_delay_s = SLOW_FAULT_DELAY_S

        self.qp_limiter = SlidingWindowLimiter(config.qp_rate_limit, config.qp_rate_period)
        self.noojee_slots = asyncio.Semaphore(NOOJEE_MAX_CONCURRENT_INSERTS)
        self.noojee_queue_timeout = NOOJEE_QUEUE_TIMEOUT_S
        self._next_lead_id = 100001

        self._lock = threading.Lock()
        self._rows: dict[str, list[dict[str, Any]]] = {vendor: [] for vendor in VENDORS}
        self._noojee_phones: dict[int, set[str]] = {}
        self._noojee_external: dict[int, set[str]] = {}  # njExternalLeadId per campaign
        self._request_number = 0
        self._requests: dict[str, int] = dict.fromkeys(VENDORS, 0)
        self._finished: dict[str, int] = dict.fromkeys(VENDORS, 0)
        self._fault_counts: dict[str, int] = dict.fromkeys(ALL_FAULTS, 0)
        self._rate_limited = 0
        self._noojee_timeouts = 0

    # --- the record -----------------------------------------------------------------------

    @property
    def record(self) -> dict[str, list[dict[str, Any]]]:
        """A copy of the accepted rows per vendor, each with ``_request`` (its request number)."""
        with self._lock:
            return copy.deepcopy(self._rows)

    def add_rows(self, vendor: str, request_number: int, rows: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            self._rows[vendor].extend({**row, "_request": request_number} for row in rows)

    def reset(self) -> None:
        """Forget accepted rows, known phones, counters and rate windows; keep tickets."""
        with self._lock:
            for rows in self._rows.values():
                rows.clear()
            self._noojee_phones.clear()
            self._noojee_external.clear()
            self._request_number = 0
            self._requests = dict.fromkeys(VENDORS, 0)
            self._finished = dict.fromkeys(VENDORS, 0)
            self._fault_counts = dict.fromkeys(ALL_FAULTS, 0)
            self._rate_limited = 0
            self._noojee_timeouts = 0
            self.qp_limiter.clear()

    # --- counters -------------------------------------------------------------------------

    def begin_request(self, vendor: str) -> int:
        """Count a vendor request and return its number (1-based, over all vendors)."""
        with self._lock:
            self._request_number += 1
            self._requests[vendor] += 1
            return self._request_number

    def end_request(self, vendor: str) -> None:
        """Count a vendor request whose handling ended: answered, dropped, or abandoned."""
        with self._lock:
            self._finished[vendor] += 1

    @property
    def rate_limited(self) -> int:
        """Calls refused by the QuestionPro rate limiter (not injected 429 faults)."""
        with self._lock:
            return self._rate_limited

    def count_rate_limited(self) -> None:
        with self._lock:
            self._rate_limited += 1

    def count_noojee_timeout(self) -> None:
        with self._lock:
            self._noojee_timeouts += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self._requests),
                "finished": dict(self._finished),
                "faults": dict(self._fault_counts),
                "rate_limited": self._rate_limited,
                "noojee_timeouts": self._noojee_timeouts,
                "rows": {vendor: len(rows) for vendor, rows in self._rows.items()},
            }

    # --- fault injection ------------------------------------------------------------------

    def fault_settings(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rate": self.fault_rate,
                "faults": list(self.faults),
                "seed": self.fault_seed,
                "latency_ms": self.latency_ms,
            }

    def configure_faults(
        self,
        rate: float | None = None,
        faults: Sequence[str] | None = None,
        seed: int | None = None,
        latency_ms: int | None = None,
    ) -> None:
        """Change fault injection at run time; None leaves a setting as it is."""
        new_rate = self.fault_rate if rate is None else float(rate)
        new_faults = self.faults if faults is None else tuple(faults)
        new_latency = self.latency_ms if latency_ms is None else int(latency_ms)
        check_faults(new_rate, new_faults, new_latency)
        with self._lock:
            self.fault_rate, self.faults, self.latency_ms = new_rate, new_faults, new_latency
            if seed is not None:
                self.fault_seed = int(seed)
                self._fault_rng = random.Random(self.fault_seed)

    def draw_fault(self) -> str | None:
        """The fault to inject into the next request, or None; reproducible from the seed."""
        with self._lock:
            # No draw at rate 0, so turning faults on later starts the seeded sequence afresh.
            if self.fault_rate <= 0 or not self.faults:
                return None
            if self._fault_rng.random() >= self.fault_rate:
                return None
            kind = self._fault_rng.choice(self.faults)
            self._fault_counts[kind] += 1
            return kind

    def pick(self, options: Sequence[T]) -> T:
        """A choice drawn from the fault dice (e.g. which failure code an http200 fault uses)."""
        with self._lock:
            return self._fault_rng.choice(options)

    # --- Noojee -----------------------------------------------------------------------------

    def noojee_known_phones(self, campaign_id: int) -> set[str]:
        with self._lock:
            return set(self._noojee_phones.get(campaign_id, ()))

    def noojee_known_external_ids(self, campaign_id: int) -> set[str]:
        with self._lock:
            return set(self._noojee_external.get(campaign_id, ()))

    def noojee_accept(
        self,
        campaign_id: int,
        request_number: int,
        leads: Sequence[dict[str, Any]],
        phones: Sequence[str],
    ) -> list[int]:
        """Record leads and their phones at once; return the lead ids given to them."""
        with self._lock:
            first = self._next_lead_id
            self._next_lead_id += len(leads)
            self._noojee_phones.setdefault(campaign_id, set()).update(phones)
            self._noojee_external.setdefault(campaign_id, set()).update(
                str(lead["njExternalLeadId"]) for lead in leads if lead.get("njExternalLeadId")
            )
            self._rows["noojee"].extend({**lead, "_request": request_number} for lead in leads)
            return list(range(first, first + len(leads)))
