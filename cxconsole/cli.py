"""The command line: the TUI by default, and every job headless as a subcommand.

Each subcommand lives in ``cxconsole.commands.<name>`` with ``add_parser(subparsers)`` and
``run(args) -> int``. Command modules import their heavy dependencies inside ``run`` so that
``cxconsole codes 1010`` starts fast and never loads ``textual``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = ("sandbox", "profile", "importer", "tickets", "codes", "decode")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxconsole",
        description="Operator console for QuestionPro CX, Expoints, Webex Campaign and Noojee.",
    )
    parser.add_argument(
        "--sandbox", action="store_true", help="run against the built-in emulator of the four APIs"
    )
    parser.add_argument("--theme", metavar="NAME", help="colour theme for this and later runs")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"cxconsole.commands.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from cxconsole import __version__

        print(f"cxconsole {__version__}")
        return EXIT_OK
    if args.command is None:
        from cxconsole.commands.tui import run_tui

        return run_tui(sandbox=args.sandbox, theme=args.theme)
    from cxconsole.commands.common import guarded

    return guarded(args.handler, args)


if __name__ == "__main__":
    sys.exit(main())
