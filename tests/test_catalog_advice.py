"""The catalog's advice works: every command it names runs, every key it names is bound.

The CLI's variants name commands in backticks; the TUI's name keys as ``KEY (Description)``,
the description being the binding's own; the advice that holds anywhere names neither. Every
command is run through the installed ``cxconsole`` against sandbox profiles kept in a real
Secret Service, with NAME, FILE, REPLY, URL and ID replaced by real values.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import re
import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxconsole.catalog import CONTEXTS, FACES, CatalogEntry, all_entries, lookup
from cxconsole.sandbox.config import PREFIXES, SANDBOX_SECRETS

SUBCOMMAND = r"(?:sandbox|profile|import|tickets|codes|decode)"
IN_BACKTICKS = re.compile(r"`([^`]*)`")
A_COMMAND = re.compile(rf"\bcxconsole {SUBCOMMAND}\b")
# A key as the TUI's advice names it: "ctrl+t (Test connection)", "F4 (History)", "r (Retry)".
KEY_WITH_ROLE = re.compile(r"(?<![\w+])(ctrl\+[a-z]|[Ff]\d{1,2}|[A-Za-z0-9?/:]) \(([A-Z][^()]*)\)")
LOOSE_KEY = re.compile(r"(?<![\w+])(?:ctrl\+\w+|[Ff]\d{1,2})\b")
SCREEN_NAMED = re.compile(r"(?<!\w)([1-5]) \((Home|Credentials|Imports|Tickets|Errors)\)")
KEY_NAMES = {"?": "question_mark", "/": "slash", ":": "colon"}
CONTEXT_SCREEN = {
    "import": "imports",
    "tickets": "tickets",
    "connection test": "credentials",
    "catalog": "errors",
}
#: The contexts where an import is not what failed: their advice must not speak of imports.
NOT_IMPORTS = (None, "tickets", "connection test")


def advice_cases() -> Iterator[tuple[CatalogEntry, str | None, str | None, str]]:
    """``(entry, face, context, advice)`` for every face (None: the neutral advice)."""
    for entry in all_entries():
        for face in (None, *FACES):
            for context in (None, *CONTEXTS):
                yield entry, face, context, entry.action_for(face, context)


def cli_options() -> set[str]:
    """Every option string of every cxconsole command."""
    from cxconsole.cli import build_parser

    found: set[str] = set()
    parsers = [build_parser()]
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            found.update(o for o in action.option_strings if o.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    return found - {"--help"}


def outside_commands(text: str) -> str:
    return IN_BACKTICKS.sub(
        lambda m: "" if m.group(1).startswith("cxconsole ") else m.group(0), text
    )


def test_the_advice_that_holds_anywhere_names_no_command_flag_or_key():
    options = cli_options()
    for entry in all_entries():
        text = entry.action
        where = f"{entry.vendor} {entry.code}"
        assert not A_COMMAND.search(text) and "`" not in text, where
        assert not LOOSE_KEY.search(text), where
        flags = set(re.findall(r"--[a-z][a-z-]*", text))
        assert not flags & options, f"{where} names cxconsole options {flags & options}"


def test_cli_advice_names_commands_in_backticks_and_no_keys():
    options = cli_options()
    for entry, face, context, text in advice_cases():
        if face != "cli":
            continue
        where = f"{entry.vendor} {entry.code} cli/{context}: {text}"
        rest = outside_commands(text)
        assert not A_COMMAND.search(rest), f"a command outside backticks: {where}"
        flags = set(re.findall(r"--[a-z][a-z-]*", rest)) & options
        assert not flags, f"flags {flags} outside a command: {where}"
        assert not LOOSE_KEY.search(text), f"a key in CLI advice: {where}"


def bindings() -> dict[str, list[tuple[str, str]]]:
    """``(key, description)`` of the app's and each screen's bindings."""
    from textual.binding import Binding

    from cxconsole.app import SCREENS, CXApp

    found = {"app": [(k, b.description) for b in CXApp.BINDINGS if isinstance(b, Binding)
                     for k in b.key.split(",")]}  # fmt: skip
    for mode, (path, _, _) in SCREENS.items():
        module, name = path.split(":")
        screen = getattr(importlib.import_module(module), name)
        found[mode] = [
            (key, b.description)
            for b in screen.BINDINGS
            if isinstance(b, Binding)
            for key in b.key.split(",")
        ]
    return found


def test_tui_advice_names_bound_keys_that_do_what_it_says():
    bound = bindings()
    named_screen = {"Home": "home", "Credentials": "credentials", "Imports": "imports",
                    "Tickets": "tickets", "Errors": "errors"}  # fmt: skip
    checked = 0
    for entry, face, context, text in advice_cases():
        if face != "tui":
            continue
        where = f"{entry.vendor} {entry.code} tui/{context}: {text}"
        assert not A_COMMAND.search(text) and "`" not in text, f"a command in TUI advice: {where}"
        screens = ["app"]
        if context in CONTEXT_SCREEN:
            screens.append(CONTEXT_SCREEN[context])
        screens += [named_screen[title] for _, title in SCREEN_NAMED.findall(text)]
        keys = KEY_WITH_ROLE.findall(text)
        assert len(LOOSE_KEY.findall(text)) <= len(keys), f"a key without its role: {where}"
        for key, role in keys:
            name = KEY_NAMES.get(key, key.lower() if len(key) > 1 else key)
            known = {(k, d) for screen in screens for k, d in bound[screen]}
            assert (name, role) in known, f"{key} ({role}) is not bound on {screens}: {where}"
            checked += 1
    assert checked > 20  # the TUI's advice does name keys


def test_only_import_advice_speaks_of_imports():
    for entry, face, context, text in advice_cases():
        if context in NOT_IMPORTS:
            assert not re.search(r"(?i)\bimport", text), (
                f"{entry.vendor} {entry.code} {face}/{context}"
            )


def test_questionpro_1010_tells_how_to_replace_the_key_of_an_existing_profile():
    entry = lookup("questionpro", "1010")
    cli = entry.action_for("cli", "catalog")
    assert "`cxconsole profile edit NAME --secret-stdin`" in cli and "profile add" not in cli
    assert "not imported" in entry.action_for("cli", "import")
    for context in ("tickets", "connection test", "catalog", None):
        assert "import" not in entry.action_for("cli", context)
        assert "import" not in entry.action_for("tui", context)
    assert "ctrl+t (Test connection)" in entry.action_for("tui", "tickets")
    assert "apikey/regenerate" in entry.meaning


def test_operator_facts_from_the_public_pages():
    assert "whitelist" in lookup("noojee", "401").meaning
    assert "user keys" in lookup("noojee", "401").meaning
    assert "NOT inserted" in lookup("noojee", "109").meaning
    assert "safe" in lookup("noojee", "109").action
    rate, quota = lookup("questionpro", "429", 429), lookup("questionpro", "1013", 429)
    assert "300 calls in 60 s" in rate.meaning and "2,400" in rate.meaning
    assert "1013" in rate.meaning and "quota" in quota.meaning
    assert rate.retryable == "yes" and quota.retryable == "never"


# -- every recommended command, run ----------------------------------------------------------
PROFILE_OPTIONS = {
    "questionpro": [],
    "expoints": ["--set", "is_test=true"],
    "webex": ["--datastore-id", "1466", "--feed-id", "1499"],
    "noojee": ["--template-id", "12", "--campaign-id", "23", "--allocation-id", "34"],
}
ID_AFTER = {"--template-id": "12", "--campaign-id": "23", "--allocation-id": "34"}
FILES = {
    "questionpro": (["First Name", "Last Name", "E-mail", "Mobile", "Transaction Date"],
                    [[f"F{i}", f"L{i}", f"adv{i}@example.com", f"+6141234560{i}", "14/01/2020"]
                     for i in range(3)]),
    "expoints": (["Email", "First name customer", "Family_name_customer", "BU", "Product",
                  "EmployeeId", "Transaction date"],
                 [[f"adv{i}@example.com", f"F{i}", f"L{i}", "Sales", "P1", f"e{i}", "2024-03-01"]
                  for i in range(3)]),
    "webex": (["Mobile", "Email Address"],
              [[f"+44233222350{i}", f"adv{i}@example.com"] for i in range(3)]),
    "noojee": (["Phone", "First Name", "Email"],
               [[f"+6141234580{i}", f"F{i}", f"adv{i}@example.com"] for i in range(3)]),
}  # fmt: skip


def recommended_commands() -> list[tuple[str, str]]:
    """``(vendor whose profile it runs against, command)``, each once, in catalog order."""
    found: dict[tuple[str, str], None] = {}
    for entry, face, _context, text in advice_cases():
        if face != "cli":
            continue
        vendor = entry.vendor if entry.vendor in PREFIXES else "questionpro"
        for command in IN_BACKTICKS.findall(text):
            if command.startswith("cxconsole "):
                # A command that names no profile runs the same for every vendor: once.
                bound = set(command.split()) & {"NAME", "FILE", "URL", "ID"}
                found[(vendor if bound else "questionpro", command)] = None
    return list(found)


def test_the_commands_are_found():
    commands = {command for _, command in recommended_commands()}
    assert "cxconsole profile edit NAME --secret-stdin" in commands
    assert "cxconsole import --resume last" in commands
    assert any("--dry-run" in command for command in commands)


class Sandboxed:
    """The installed command, in this test's home, with one sandbox profile per vendor."""

    def __init__(self, url: str, folder: Path) -> None:
        script = Path(sys.executable).with_name("cxconsole")
        self.base = [str(script)] if script.exists() else [sys.executable, "-m", "cxconsole"]
        self.url = url
        self.folder = folder
        tag = uuid.uuid4().hex[:6]
        self.names = {vendor: f"advice-{vendor[:2]}-{tag}" for vendor in PREFIXES}
        self.files = {}
        self.nexts = 0  # "next" files made (next_file)
        for vendor, (header, rows) in FILES.items():
            path = folder / f"{vendor}.csv"
            with path.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows([header, *rows])
            self.files[vendor] = path
        self.reply = folder / "reply.json"
        self.reply.write_text('{"code": 109, "message": "TIMEOUT_TOO_MANY_CONCURRENT_REQUESTS"}')

    def run(self, argv: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.base, *argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "120"},
        )

    def argv(self, vendor: str, command: str) -> list[str]:
        words = shlex.split(command)[1:]
        file = self.files[vendor]
        if words[:1] == ["import"] and "--resume" not in words:
            # The advice gives "the next file" smaller batches: a file this profile took
            # before would be refused (see README, "A file goes into a profile once").
            file = self.next_file(vendor)
        values = {
            "NAME": self.names[vendor],
            "FILE": str(file),
            "REPLY": str(self.reply),
            "URL": self.url + PREFIXES[vendor],
        }
        out = []
        for i, word in enumerate(words):
            if word == "ID":
                out.append(ID_AFTER[words[i - 1]])
            else:
                out.append(values.get(word, word))
        return out

    def next_file(self, vendor: str) -> Path:
        """The vendor's rows in a new file, whose bytes no earlier import had (one blank line
        more at the end each time: skipped when read)."""
        self.nexts += 1
        path = self.files[vendor].with_name(f"next{self.nexts}-{vendor}.csv")
        path.write_bytes(self.files[vendor].read_bytes() + b"\n" * self.nexts)
        return path

    def set_secret(self, vendor: str, secret: str) -> None:
        done = self.run(["profile", "edit", self.names[vendor], "--secret-stdin"], secret + "\n")
        assert done.returncode == 0, done.stderr

    def resumable_run(self, vendor: str) -> None:
        """A run stopped by a refused key, the key then put right: what resuming is for."""
        self.set_secret(vendor, "a-wrong-secret-for-the-advice-test")
        # The same file each time, into a profile an earlier resume imported it into: a new
        # run of it on purpose (--again).
        argv = ["import", str(self.files[vendor]), "--profile", self.names[vendor], "--again"]
        done = self.run(argv)
        assert done.returncode == 3, (done.stdout, done.stderr)
        self.set_secret(vendor, SANDBOX_SECRETS[vendor])


@pytest.fixture
def sandboxed(sandbox_reset, secret_service, tmp_path: Path) -> Iterator[Sandboxed]:
    box = Sandboxed(sandbox_reset.url, tmp_path)
    for vendor, name in box.names.items():
        argv = ["profile", "add", name, "--vendor", vendor, "--base-url",
                box.url + PREFIXES[vendor], *PROFILE_OPTIONS[vendor], "--secret-stdin"]  # fmt: skip
        done = box.run(argv, SANDBOX_SECRETS[vendor] + "\n")
        assert done.returncode == 0, done.stderr
    yield box
    for name in box.names.values():
        box.run(["profile", "remove", name])


@pytest.mark.timeout(900)  # some 40 starts of the command on a loaded machine
def test_every_recommended_command_runs_against_a_sandbox_profile(sandboxed: Sandboxed):
    commands = recommended_commands()
    assert len(commands) >= 10
    for vendor, command in commands:
        argv = sandboxed.argv(vendor, command)
        if "--resume" in argv:
            # Resuming names no profile: a QuestionPro run stops on its first batch, with a
            # journal (other vendors' imports may stop earlier, fetching their fields).
            sandboxed.resumable_run("questionpro")
        stdin = SANDBOX_SECRETS[vendor] + "\n" if "--secret-stdin" in argv else ""
        done = sandboxed.run(argv, stdin)
        said = done.stdout + done.stderr
        assert "Traceback" not in said, (command, said)
        assert done.returncode != 2, f"{command} ({argv}) is refused: {said}"
        assert done.returncode == 0, f"{command} ({argv}) failed: {said}"
        if "--resume" in argv:
            assert "resum" in said.lower(), said
    # What the 1010 advice promises: the profile's key replaced, and the connection works.
    name = sandboxed.names["questionpro"]
    sandboxed.set_secret("questionpro", "a-wrong-secret-for-the-advice-test")
    assert sandboxed.run(["profile", "test", name]).returncode == 3
    fix = sandboxed.argv("questionpro", "cxconsole profile edit NAME --secret-stdin")
    assert sandboxed.run(fix, SANDBOX_SECRETS["questionpro"] + "\n").returncode == 0
    assert sandboxed.run(["profile", "test", name]).returncode == 0
