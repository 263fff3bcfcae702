"""Stream the records of a JSON array, or of the array inside an envelope, in constant memory.

The file is never loaded whole: a text buffer of about a megabyte is refilled as
``json.JSONDecoder.raw_decode`` consumes one record at a time, and the line number of each
record is counted from the newlines passed over. The file is read to its end: whatever
follows the records (a second array, a key given twice, a truncated tail) is an input error,
never left unread. Numbers keep the text they are written with (:class:`JsonInt`,
:class:`JsonFloat`); NaN and Infinity, which are not JSON, are refused naming their field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cxconsole.importing.encoding import context_at
from cxconsole.importing.errors import InputError

if TYPE_CHECKING:
    from _typeshed import StrPath, SupportsRead

Decoder = json.JSONDecoder
CHUNK = 1 << 20
MAX_RECORD = 16 << 20  # one record larger than this is a broken file, not a customer
_WS = re.compile(r"[ \t\r\n]*")


class JsonInt(int):
    """A JSON integer that remembers how it is written."""

    text: str


class JsonFloat(float):
    """A JSON fraction or exponent number that remembers how it is written (1.10, 1e2)."""

    text: str


class NotJson:
    """NaN, Infinity or -Infinity: Python's json reads them, JSON has no such number."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class NumberHooks:
    """``parse_int``/``parse_float``/``parse_constant`` for a decoder; :attr:`suspect` is set
    once a value that cannot be sent as a number was read (checked by :func:`bad_number`)."""

    def __init__(self) -> None:
        self.suspect = False

    def integer(self, text: str) -> JsonInt:
        number = JsonInt(text)
        number.text = text
        return number

    def fraction(self, text: str) -> JsonFloat:
        number = JsonFloat(text)
        number.text = text
        if math.isinf(number):
            self.suspect = True
        return number

    def constant(self, text: str) -> NotJson:
        self.suspect = True
        return NotJson(text)

    def decoder(self, pairs_hook: Callable[[list[tuple[Any, Any]]], Any] | None) -> Decoder:
        return json.JSONDecoder(
            object_pairs_hook=pairs_hook,
            parse_int=self.integer,
            parse_float=self.fraction,
            parse_constant=self.constant,
        )

    def check(self, record: Any) -> str | None:
        """The reason ``record`` cannot be sent, if a number in it cannot; resets the flag."""
        if not self.suspect:
            return None
        self.suspect = False
        return bad_number(record)


def bad_number(record: Any) -> str | None:
    """Why a number in ``record`` cannot be sent, naming its field; None if all can.

    A field of the record itself is sent as the text written, so only NaN/Infinity count
    there; a number nested deeper is sent as a number, so one beyond a float's range too.
    """
    stack: list[tuple[str, Any, bool]] = [("", record, False)]
    while stack:
        name, value, nested = stack.pop()
        if isinstance(value, NotJson) or (
            nested and isinstance(value, float) and not math.isfinite(value)
        ):
            field = f"the field {name!r}" if name else "the record"
            written = getattr(value, "text", str(value))
            if isinstance(value, NotJson):
                why = "JSON has no NaN or Infinity; write the value in quotes or leave it out"
            else:
                why = "a number too large to send as a number"
            return f"{field} holds {written}: {why}"
        if isinstance(value, dict):
            deeper = bool(name)
            for key, item in reversed(list(value.items())):
                stack.append((f"{name}.{key}" if name else str(key), item, deeper or nested))
        elif isinstance(value, list):
            for index, item in reversed(list(enumerate(value))):
                stack.append((f"{name}[{index}]", item, True))
    return None


def dumps(value: Any) -> str:
    """``value`` as JSON for a message or the rejects file, numbers as written."""
    return json.dumps(value, default=lambda o: getattr(o, "text", str(o)))


class _ConstantError(ValueError):
    pass


def _refuse_constant(text: str) -> Any:
    raise _ConstantError(f"{text} is not a JSON value (JSON has no NaN or Infinity)")


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
        self._numbers = NumberHooks()
        self._decoder = self._numbers.decoder(pairs_hook)
        self._skipper = json.JSONDecoder(parse_constant=_refuse_constant)
        self._started = False
        self._members: list[str] = []  # the envelope's keys, in order
        self._records_line = 0  # where the array of records opens

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
            except _ConstantError as exc:
                raise self._error(f"invalid JSON: {exc}", start_line) from None
            except RecursionError:
                raise self._error(
                    "the JSON is nested too deeply to read (lists or objects inside each "
                    "other, hundreds deep): not an array of records",
                    start_line,
                ) from None
            bare = not isinstance(value, (dict, list, str))
            # A bare number or literal at the end of the buffer may continue in the next chunk.
            if bare and end == len(self._buf) and not self._eof and self._fill():
                continue
            if record:
                reason = self._numbers.check(value)
                if reason:
                    raise self._error(f"in the record that starts here, {reason}", start_line)
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
            self._records_line = self._line
            self._advance(self._pos + 1)
            return
        if first != "{":
            raise self._error(f"expected a JSON array or object, found {first!r}")
        self._advance(self._pos + 1)
        for key in self._keys():
            chosen = key == self.wanted if self.wanted is not None else None
            if self._peek() == "[" and (chosen or (chosen is None and self._array_of_objects())):
                self.key = key
                self._records_line = self._line
                self._advance(self._pos + 1)
                return
            self._value()  # skip this member
        keys = ", ".join(repr(k) for k in self._members) or "none"
        if self.wanted:
            raise self._error(f"no key {self.wanted!r} holding an array (keys: {keys})")
        raise self._error(f"the JSON object holds no array of records (keys: {keys})")

    def _keys(self) -> Iterator[str]:
        """The envelope's keys from the cursor to its closing brace, each with the cursor at
        its value; the caller consumes the value before asking for the next key."""
        first = not self._members
        while True:
            char = self._peek()
            if not first:
                if char == ",":
                    self._advance(self._pos + 1)
                    char = self._peek()  # a trailing comma before "}" is tolerated, as in "]"
                elif char not in ("}", ""):
                    raise self._error(f"expected ',' or '}}' in the JSON object, found {char!r}")
            first = False
            if char == "}":
                self._advance(self._pos + 1)
                return
            if char == "":
                raise self._error("the file ends inside the JSON object (truncated JSON?)")
            if char != '"':
                raise self._error(f"expected a key in the JSON object, found {char!r}")
            line = self._line
            key = str(self._value())
            if key in self._members:
                raise self._error(
                    f"the key {key!r} is given twice in the JSON object: only one can be read; "
                    "keep the one meant",
                    line,
                )
            self._members.append(key)
            self._expect(":", f"after the key {key!r}")
            yield key

    def _close(self) -> None:
        """Read the rest of the file after the records' closing bracket: it holds nothing."""
        if self.key is not None:
            for key in self._keys():
                if self.wanted is None and self._peek() == "[" and self._array_of_objects():
                    keys = ", ".join(repr(k) for k in (self.key, key))
                    raise self._error(
                        f"the JSON object holds more than one array of records ({keys}): "
                        "choose the one to import with --json-key KEY"
                    )
                self._value()
        char = self._peek()
        if char == "":
            return
        what = "another JSON array" if char == "[" else repr(char)
        raise self._error(
            f"{what} after the end of the JSON document (its records open on line "
            f"{self._records_line}): a JSON file holds one document; join the arrays into "
            "one, or import each on its own"
        )

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
                self._close()
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
