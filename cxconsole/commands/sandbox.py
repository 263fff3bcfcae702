"""``cxconsole sandbox``: the emulator of the four vendor APIs as a real HTTP server."""

from __future__ import annotations

import argparse
import sys
from typing import Any

# Kept here rather than imported from the sandbox: every command's parser is built at start-up,
# and ``cxconsole codes`` must not pay for loading the emulator's modules.
FAULT_KINDS = (
    "429",
    "500",
    "503",
    "drop",
    "slow",
    "http200",
    "malformed",
    "drop_after",
    "slow_after",
)


def _fault_list(text: str) -> tuple[str, ...]:
    kinds = tuple(kind.strip() for kind in text.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault kind(s) {', '.join(unknown)}; choose from {','.join(FAULT_KINDS)}"
        )
    return kinds


def _rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"fault rate must be between 0 and 1, got {text}")
    return value


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run the emulator of the four vendor APIs as a real HTTP server",
        description="Serve QuestionPro CX, Expoints, Webex Campaign and Noojee emulators, "
        "each under its prefix (/qp, /expoints, /webex, /noojee) and at the root.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every call")
    parser.add_argument(
        "--fault-rate", type=_rate, default=0.0, help="share of calls that fail (0 to 1)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the data and the faults")
    parser.add_argument(
        "--faults",
        type=_fault_list,
        default=FAULT_KINDS,
        metavar="KIND,...",
        help=f"fault kinds to inject (default all: {','.join(FAULT_KINDS)})",
    )
    parser.set_defaults(handler=run)


def _banner(url: str) -> None:
    from cxconsole.sandbox.config import SANDBOX_SECRETS, VENDORS, base_urls

    print(f"cxconsole sandbox listening on {url}")
    urls = base_urls(url)
    for vendor in VENDORS:
        print(f"  {vendor:<12} base URL {urls[vendor]:<40} secret {SANDBOX_SECRETS[vendor]}")
    print(f"  control      {url}/_sandbox/record | /reset | /faults | /stats")
    print("Ctrl-C to stop.", flush=True)


def run(args: argparse.Namespace) -> int:
    # Imported here so the other subcommands never load starlette and uvicorn.
    from cxconsole.sandbox.config import SandboxConfig
    from cxconsole.sandbox.server import serve

    config = SandboxConfig(
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        seed=args.seed,
        faults=args.faults,
    )
    try:
        serve(args.host, args.port, config, on_ready=_banner)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how this command ends
    except OSError as exc:
        print(
            f"cxconsole sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 2
    return 0
