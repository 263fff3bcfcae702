"""The core never imports Textual, and the headless commands start without it."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "cxconsole.client",
    "cxconsole.vendors.questionpro",
    "cxconsole.vendors.expoints",
    "cxconsole.vendors.webex",
    "cxconsole.vendors.noojee",
    "cxconsole.catalog",
    "cxconsole.importing",
    "cxconsole.tickets.paging",
    "cxconsole.tickets.export",
    "cxconsole.tickets.sources",
    "cxconsole.profiles",
    "cxconsole.keystore",
    "cxconsole.errorlog",
    "cxconsole.context",
    "cxconsole.sandbox.server",
]


def loaded_modules(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(out.stdout.split())


def test_core_loads_no_textual():
    modules = loaded_modules("\n".join(f"import {m}" for m in CORE))
    assert not {m for m in modules if m == "textual" or m.startswith("textual.")}
    assert set(CORE) <= modules


def test_headless_commands_load_no_textual():
    code = (
        "import contextlib, io\n"
        "from cxconsole.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['codes', '1010'])\n"
    )
    modules = loaded_modules(code)
    assert "textual" not in modules
    assert "cxconsole.app" not in modules
