"""A forgiving JSON reader for the near-JSON that the vendor documents (and replies) contain."""

from __future__ import annotations

import json
import re

TYPE_CHECKING = False  # typing itself costs milliseconds at start
if TYPE_CHECKING:
    from typing import Any

# One scan per token keeps the repair path linear; json.loads does the common case in C.
_DQ_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SQ_STRING = re.compile(r"'(?:[^'\\]|\\.)*'", re.DOTALL)
_BARE = re.compile(r"[^,\]}\r\n]*")
_KEY = re.compile(r"[A-Za-z0-9_$.\-]+")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
_WS = " \t\r\n\ufeff\u00a0"


class _Repairs:
    """What was repaired, by kind, with the first lines where it happened."""

    def __init__(self, text: str) -> None:
        self._text = text
        self.lines: dict[str, list[int]] = {}
        self.counts: dict[str, int] = {}

    def add(self, kind: str, pos: int | None = None) -> None:
        lines = self.lines.setdefault(kind, [])
        self.counts[kind] = self.counts.get(kind, 0) + 1
        # Counting newlines is O(n): do it for the few lines we show, not for every repair.
        if pos is not None and len(lines) < 3:
            line = self._text.count("\n", 0, pos) + 1
            if line in lines:
                self.counts[kind] -= 1  # same line again: one repair to tell, not two
            else:
                lines.append(line)

    def notes(self) -> list[str]:
        out = []
        for kind, lines in self.lines.items():
            if not lines:
                out.append(kind)
                continue
            more = self.counts[kind] - len(lines)
            shown = ", ".join(str(n) for n in lines) + (f" (+{more} more)" if more > 0 else "")
            out.append(f"{kind} at line{'s' if len(lines) > 1 else ''} {shown}")
        return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)
        self.repairs = _Repairs(text)

    def fail(self, what: str) -> ValueError:
        line = self.s.count("\n", 0, self.i) + 1
        return ValueError(f"not JSON, even leniently: {what} at line {line}")

    def ws(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in _WS:
                self.i += 1
            elif s.startswith("//", self.i):
                end = s.find("\n", self.i)
                self.repairs.add("comment removed", self.i)
                self.i = n if end < 0 else end
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                self.repairs.add("comment removed", self.i)
                self.i = n if end < 0 else end + 2
            else:
                return

    def document(self) -> Any:
        self.ws()
        if self.i >= self.n or self.s[self.i] not in "{[":
            # A bare word is not a reply we can read; refusing keeps HTML or noise "hopeless".
            raise self.fail("expected an object or an array")
        values = [self.value()]
        while True:
            self.ws()
            if self.i >= self.n:
                break
            if self.s[self.i] == ",":
                self.i += 1
                continue
            if self.s[self.i] in "{[":
                values.append(self.value())
                continue
            self.repairs.add("text after the JSON ignored", self.i)
            break
        if len(values) > 1:
            self.repairs.add("several top-level values read as a list")
            return values
        return values[0]

    def value(self) -> Any:
        self.ws()
        if self.i >= self.n:
            raise self.fail("value missing at the end")
        c = self.s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c == '"' or c == "'":
            return self.string()
        return self.bare()

    def string(self) -> str:
        start = self.i
        quote = self.s[start]
        m = (_DQ_STRING if quote == '"' else _SQ_STRING).match(self.s, start)
        if m is None:
            raise self.fail("unterminated string")
        self.i = m.end()
        raw = m.group()[1:-1]
        if quote == "'":
            self.repairs.add("single-quoted string", start)
            raw = raw.replace("\\'", "'").replace('"', '\\"')
        try:
            text: str = json.loads(f'"{raw}"', strict=False)  # a JSON string literal
            return text
        except ValueError:
            self.repairs.add("bad escape kept as written", start)
            return raw

    def bare(self) -> Any:
        start = self.i
        m = _BARE.match(self.s, start)
        token = m.group().strip() if m else ""
        if not token or token[0] in ":{[":
            raise self.fail(f"unexpected {self.s[start]!r}")
        self.i = m.end() if m else start
        if token in _LITERALS:
            return _LITERALS[token]
        if _NUMBER.fullmatch(token):
            return json.loads(token)
        self.repairs.add("unquoted value", start)
        return token

    def key(self) -> str:
        c = self.s[self.i]
        if c == '"' or c == "'":
            return self.string()
        m = _KEY.match(self.s, self.i)
        if m is None:
            raise self.fail(f"unexpected {c!r} where a key should be")
        self.repairs.add("unquoted key", self.i)
        self.i = m.end()
        return m.group()

    def obj(self) -> dict[str, Any]:
        self.i += 1
        out: dict[str, Any] = {}
        s = self.s
        while True:
            self.ws()
            if self.i >= self.n:
                self.repairs.add("unclosed object at the end (truncated?)")
                return out
            c = s[self.i]
            if c == "}":
                self.i += 1
                return out
            if c == ",":
                self.repairs.add("extra comma", self.i)
                self.i += 1
                continue
            name = self.key()
            self.ws()
            # Noojee's document prints `"fieldname2" ,: "value"`: a stray comma before the colon.
            if self.i < self.n and s[self.i] == ",":
                after = self.i + 1
                while after < self.n and s[after] in _WS:
                    after += 1
                if after < self.n and s[after] == ":":
                    self.repairs.add("stray comma before ':'", self.i)
                    self.i = after
            if self.i >= self.n or s[self.i] != ":":
                raise self.fail(f"expected ':' after key {name!r}")
            self.i += 1
            out[name] = self.value()
            self.ws()
            if self.i >= self.n:
                continue
            c = s[self.i]
            if c == ",":
                self.i += 1
                self.ws()
                if self.i < self.n and s[self.i] == "}":
                    self.repairs.add("trailing comma", self.i)
            elif c != "}":
                self.repairs.add("missing comma", self.i)

    def arr(self) -> list[Any]:
        self.i += 1
        out: list[Any] = []
        s = self.s
        while True:
            self.ws()
            if self.i >= self.n:
                self.repairs.add("unclosed array at the end (truncated?)")
                return out
            c = s[self.i]
            if c == "]":
                self.i += 1
                return out
            if c == ",":
                self.repairs.add("extra comma", self.i)
                self.i += 1
                continue
            out.append(self.value())
            self.ws()
            if self.i >= self.n:
                continue
            c = s[self.i]
            if c == ",":
                self.i += 1
                self.ws()
                if self.i < self.n and s[self.i] == "]":
                    self.repairs.add("trailing comma", self.i)
            elif c != "]":
                self.repairs.add("missing comma", self.i)


def to_text(data: str | bytes) -> str:
    """Bytes as text: UTF-8 (BOM dropped), else Latin-1, which never fails."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_lenient(text: str | bytes) -> tuple[Any, list[str]]:
    """The value and the repairs it needed (empty for real JSON); ``ValueError`` when hopeless."""
    text = to_text(text)
    try:
        return json.loads(text), []
    except RecursionError as exc:
        raise ValueError("not JSON: nested too deeply") from exc
    except ValueError:
        pass
    parser = _Parser(text)
    try:
        value = parser.document()
    except RecursionError as exc:
        raise ValueError("not JSON: nested too deeply") from exc
    return value, parser.repairs.notes()


def lenient_json(text: str | bytes) -> Any:
    """Parse JSON, repairing what the vendor documents print; ``ValueError`` when hopeless."""
    return parse_lenient(text)[0]
