"""No test waits on the wall clock for something to happen: no ``pilot.pause(delay)``, no sleep
of 0.05 s or more, except where a line says why (a deliberately slow server is not a wait)."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).parent
PAUSE_WITH_DELAY = re.compile(r"pilot\.pause\(\s*[^)\s]")
SLEEP = re.compile(r"\bsleep\(\s*([0-9.]+)\s*\)")
#: (file, the line's text) that may sleep, and why.
ALLOWED = {
    ("test_client.py", "await asyncio.sleep(0.05)"): "a slow endpoint, so requests overlap",
}


def offences() -> list[str]:
    found = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name == Path(__file__).name:
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            text = line.strip()
            if text.startswith("#"):
                continue
            if PAUSE_WITH_DELAY.search(text):
                found.append(f"{path.name}:{number}: {text}")
            for seconds in SLEEP.findall(text):
                if float(seconds) >= 0.05 and (path.name, text) not in ALLOWED:
                    found.append(f"{path.name}:{number}: {text}")
    return found


def test_no_test_waits_on_the_clock():
    assert offences() == []


def test_the_guard_sees_a_delay():
    # The patterns catch what they are for (a guard that cannot fail guards nothing).
    assert PAUSE_WITH_DELAY.search("await pilot.pause(0.2)")
    assert not PAUSE_WITH_DELAY.search("await pilot.pause()")
    half_a_second = "time." + "sleep(0.5)"  # split: the sample is text to scan, not a wait
    assert SLEEP.findall(half_a_second) == ["0.5"]
    assert SLEEP.findall("await asyncio.sleep(0)") == ["0"]
