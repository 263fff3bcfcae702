"""The command line: the TUI by default, and every job headless as a subcommand.

Each subcommand lives in ``cxconsole.commands.<name>`` with ``add_parser(subparsers)`` and
``run(args) -> int``. Only the module of the command named on the line is imported and its
parser built (all of them for ``--help`` or a misspelt command), and command modules import
their heavy dependencies inside ``run``: ``cxconsole codes 1010`` starts fast and never loads
``textual``, ``httpx`` or ``pydantic``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

TYPE_CHECKING = False  # typing itself is not imported: a headless command starts light
if TYPE_CHECKING:
    from typing import NoReturn

COMMANDS = ("sandbox", "profile", "importer", "tickets", "codes", "decode")
#: The command's name on the line -> its module under ``cxconsole.commands``.
MODULES = {name: name for name in COMMANDS} | {"import": "importer"}
del MODULES["importer"]
_GLOBAL_VALUED = ("--theme",)  # global options that take a value

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_INTERRUPTED = 130


def command_named(argv: Sequence[str]) -> str | None:
    """The subcommand the line names (the first word after the global options), if known."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _GLOBAL_VALUED:
            skip = True
        elif not arg.startswith("-"):
            return arg if arg in MODULES else None
        elif arg == "--":
            return None
    return None


class UsageError(Exception):
    """What argparse refused on the command line, raised instead of exiting at once, so a
    command that promised one JSON object (``import --json``) can print it too."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class CommandLineParser(argparse.ArgumentParser):
    """argparse, but a refused command line raises :class:`UsageError` (its subcommands'
    parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(self.prog, message)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that subcommand's parser is built."""
    parser = CommandLineParser(
        prog="cxconsole",
        description="Operator console for QuestionPro CX, Expoints, Webex Campaign and Noojee.",
    )
    parser.add_argument(
        "--sandbox", action="store_true", help="run against the built-in emulator of the four APIs"
    )
    parser.add_argument("--theme", metavar="NAME", help="colour theme for this and later runs")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = [MODULES[command]] if command in MODULES else COMMANDS
    for name in names:
        module = importlib.import_module(f"cxconsole.commands.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    line = sys.argv[1:] if argv is None else list(argv)
    command = command_named(line)
    parser = build_parser(command)
    try:
        args = parser.parse_args(line)
    except UsageError as exc:
        print(f"{exc.prog}: error: {exc}", file=sys.stderr)
        if command == "import" and "--json" in line:
            from cxconsole.commands.importer import json_usage_error

            json_usage_error(f"{exc}", dry_run="--dry-run" in line)
        return EXIT_USAGE
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
