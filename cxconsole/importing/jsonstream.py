"""Stream the records of a JSON array, or of the array inside an envelope, in constant memory.

The file is never loaded whole: a text buffer of about a megabyte is refilled as
``json.JSONDecoder.raw_decode`` consumes one record at a time, and the line number of each
record is counted from the newlines passed over.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cxconsole.importing.encoding import context_at
from cxconsole.importing.errors import InputError

if TYPE_CHECKING:
    from _typeshed import StrPath, SupportsRead

CHUNK = 1 << 20
MAX_RECORD = 16 << 20  # one record larger than this is a broken file, not a customer
_WS = re.compile(r"[ \t\r\n]*")


class JsonArrayStream:
    """Records (dicts) of the top-level array, or of ``{"key": [...]}``, with their line."""

    def __init__(
        self,
        fh: SupportsRead[str],
        path: StrPath,
        key: str | None = None,
        pairs_hook: Callable[[list[tuple[Any, Any]]], Any] | None = None,
    ) -> None:
        self.fh = fh
        self.path = path
        self.wanted = key
        self.key: str | None = None  # the envelope key actually streamed
        self._buf = ""
        self._pos = 0
        self._line = 1  # the line at self._pos
        self._eof = False
        # ``pairs_hook`` sees the objects of the records only, not the envelope's other members.
        self._decoder = json.JSONDecoder(object_pairs_hook=pairs_hook)
        self._skipper = json.JSONDecoder()
        self._started = False

    # -- buffer ----------------------------------------------------------------------------
    def _advance(self, to: int) -> None:
        self._line += self._buf.count("\n", self._pos, to)
        self._pos = to

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self.fh.read(CHUNK)
        if not chunk:
            self._eof = True
            return False
        if self._pos:
            self._buf = self._buf[self._pos :]
            self._pos = 0
        self._buf += chunk
        return True

    def _peek(self) -> str:
        """The next non-blank character ("" at the end of the file), consumed up to it."""
        while True:
            match = _WS.match(self._buf, self._pos)
            end = match.end() if match else self._pos
            self._advance(end)
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def _error(self, message: str, line: int | None = None) -> InputError:
        line = line or self._line
        encoding = getattr(self.fh, "encoding", None) or "utf-8"
        context = context_at(self.path, encoding, "\n", line)
        return InputError(message, path=self.path, line=line, context=context)

    def _value(self, *, record: bool = False) -> Any:
        """Decode the value at the cursor, reading more of the file until it is complete."""
        start_line = self._line
        decoder = self._decoder if record else self._skipper
        while True:
            try:
                value, end = decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if len(self._buf) - self._pos > MAX_RECORD:
                    line = start_line + self._buf.count("\n", self._pos, exc.pos)
                    raise self._error(f"invalid JSON: {exc.msg}", line) from None
                if not self._fill():
                    line = start_line + self._buf.count("\n", self._pos, exc.pos)
                    if exc.pos >= len(self._buf) - 1 or exc.msg.startswith("Unterminated"):
                        what = f"the file ends inside a record (truncated JSON?): {exc.msg}"
                    else:
                        what = f"invalid JSON: {exc.msg}"
                    raise self._error(what, line) from None
                continue
            bare = not isinstance(value, (dict, list, str))
            # A bare number or literal at the end of the buffer may continue in the next chunk.
            if bare and end == len(self._buf) and not self._eof and self._fill():
                continue
            self._advance(end)
            return value

    def _expect(self, char: str, context: str) -> None:
        found = self._peek()
        if found != char:
            shown = repr(found) if found else "the end of the file"
            raise self._error(f"expected {char!r} {context}, found {shown} (truncated JSON?)")
        self._advance(self._pos + 1)

    # -- structure -------------------------------------------------------------------------
    def _open(self) -> None:
        first = self._peek()
        if first == "":
            raise self._error("the file is empty")
        if first == "[":
            self._advance(self._pos + 1)
            return
        if first != "{":
            raise self._error(f"expected a JSON array or object, found {first!r}")
        self._advance(self._pos + 1)
        seen: list[str] = []
        while True:
            char = self._peek()
            if char == "}" or char == "":
                keys = ", ".join(seen) or "none"
                if self.wanted:
                    raise self._error(f"no key {self.wanted!r} holding an array (keys: {keys})")
                raise self._error(f"the JSON object holds no array of records (keys: {keys})")
            if char == ",":
                self._advance(self._pos + 1)
                continue
            if char != '"':
                raise self._error(f"expected a key in the JSON object, found {char!r}")
            key = self._value()
            seen.append(str(key))
            self._expect(":", f"after the key {key!r}")
            char = self._peek()
            chosen = key == self.wanted if self.wanted is not None else None
            if char == "[" and (chosen or (chosen is None and self._array_of_objects())):
                self.key = key
                self._advance(self._pos + 1)
                return
            self._value()  # skip this member

    def _array_of_objects(self) -> bool:
        """Whether the array at the cursor starts with an object (or is empty)."""
        probe = self._pos + 1
        while True:
            match = _WS.match(self._buf, probe)
            probe = match.end() if match else probe
            if probe < len(self._buf):
                return self._buf[probe] in "{]"
            if not self._fill():
                return False
            probe = self._pos + 1

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        """(line, record) for every element; a non-object element is yielded as it is."""
        if self._started:
            raise RuntimeError("a JSON stream can be read once")
        self._started = True
        self._open()
        while True:
            char = self._peek()
            if char == "]":
                self._advance(self._pos + 1)
                return
            if char == "":
                raise self._error("the file ends inside the array (truncated JSON?)")
            line = self._line
            yield line, self._value(record=True)
            char = self._peek()
            if char == ",":
                self._advance(self._pos + 1)
                # Tolerate a trailing comma before "]", as the vendors' documents print them.
                continue
            if char != "]":
                shown = repr(char) if char else "the end of the file"
                raise self._error(f"expected ',' or ']' after a record, found {shown}")
