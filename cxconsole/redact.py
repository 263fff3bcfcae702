"""Keeping secrets out of logs, messages and tracebacks.

Every secret the process loads is registered here; the text helpers (and the log filter that
``cxconsole.logs`` builds on them) replace it wherever it appears. URLs also lose their userinfo
(``user:password@``) and the values of query, path (``;apiKey=``) and fragment parameters whose
name looks secret (Noojee's ``apiKey``, any ``token``, ``secret``, ``password`` or ``auth``)
whether or not the secret was registered first; auth headers are added only at send time (see
``vendors.base``), so no header map of ours holds one.
"""

from __future__ import annotations

import re
import threading

MASK = "•••"

#: A query parameter whose name holds one of these words carries a secret.
SECRET_PARAM_WORDS = ("key", "token", "secret", "passw", "pwd", "auth", "signature", "credential")
_SECRET_NAME = r"[^=&#?;/\s\"']*(?:" + "|".join(SECRET_PARAM_WORDS) + r")[^=&#?;/\s\"']*"

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
# A parameter starts after "?" or "&" (query), ";" (a matrix parameter in a path, or the old
# query separator), "#" (fragment) or "/" (a path segment "apiKey=..."): servers read them all.
# Any parameter (a name of at most 128 characters), then the name is checked for a secret word:
# a pattern with the words inside backtracks over the name once per word it holds, and a long
# run of "keykey..." in a pasted body took seconds.
_NAME = r"[^=&#?;/\s\"']{1,128}="
_QUERY_SECRET = re.compile(r"[?&;#/](" + _NAME + ")")
# The same parameter written bare, as in a pasted log line: "apiKey=... refused".
_BARE_SECRET = re.compile(r"(?<![\w.%-])(" + _NAME + ")")
_SECRET_WORD = re.compile("|".join(SECRET_PARAM_WORDS), re.IGNORECASE)
_VALUE = re.compile(r"[^&#;\s\"'<>]*")
# A pasted header line or an auth scheme: "Authorization: Bearer ...", "api-key: ...".
_SECRET_HEADER = re.compile(
    r"(?im)^(\s*(?:proxy-)?(?:authorization|api-?key|x-api-key|cookie|set-cookie)\s*:[ \t]*)\S.*$"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(bearer[ \t]+)[A-Za-z0-9._~+/=-]{8,}")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s\"'<>]*@")


def is_secret_param(name: str) -> bool:
    """Whether a query parameter of this name carries a secret (``apiKey``, ``token``...)."""
    return re.fullmatch(_SECRET_NAME, name, re.IGNORECASE) is not None


def url_credentials(url: str) -> tuple[list[str], list[str]]:
    """What in ``url`` is a credential: (descriptions without the values, the values).

    The descriptions name the part (``user:password@``, ``query parameter apiKey``) and never
    hold a value, so they can go into any message.
    """
    from urllib.parse import unquote_plus, urlsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return [], []
    found: list[str] = []
    values: list[str] = []
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        user, _, password = userinfo.partition(":")
        found.append("user:password@" if password else "user@")
        # A token alone in the userinfo sits where the user name would be.
        values += [password or user] if (password or user) else []
    for where, text, separators in (
        ("path parameter", parts.path, "/;"),
        ("query parameter", parts.query, "&;"),
        ("fragment parameter", parts.fragment, "&;"),
    ):
        for piece in re.split(f"[{separators}]", text):
            name, equals, value = piece.partition("=")
            name = unquote_plus(name)
            if equals and is_secret_param(name):
                found.append(f"{where} {name}")
                if value:
                    values.append(unquote_plus(value))
    return found, values


def register_secret(value: str | None) -> None:
    """Remember a secret so that every later redaction removes it."""
    global _pattern
    # Very short values would mask ordinary words; the sandbox secrets are long enough.
    if not value or len(value) < 4:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        alternatives = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in alternatives))


def _mask_values(names: re.Pattern[str], text: str) -> str:
    """Mask the value after each parameter name ``names`` finds that holds a secret word. A
    parameter that holds none keeps its value, and a secret written inside that value is
    still found."""
    parts: list[str] = []
    done = 0
    for match in names.finditer(text):
        if match.start() < done or not _SECRET_WORD.search(match.group(1)):
            continue
        value = _VALUE.match(text, match.end())
        assert value is not None  # the pattern matches the empty value too
        parts += (text[done : match.end()], MASK)
        done = value.end()
    return "".join((*parts, text[done:])) if parts else text


def redact_text(text: str) -> str:
    """Mask every registered secret and every secret query parameter in ``text``."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    return _mask_values(_QUERY_SECRET, text)


def redact_pasted(text: str) -> str:
    """:func:`redact_text`, and what a pasted log line or capture may also hold: a bare
    ``apiKey=...``, an auth header line, a bearer token. Not for our own messages, where
    ``CXCONSOLE_SECRET_STORE=file`` is advice, not a secret."""
    text = _mask_values(_BARE_SECRET, redact_text(text))
    text = _SECRET_HEADER.sub(lambda m: m.group(1) + MASK, text)
    return _AUTH_SCHEME.sub(lambda m: m.group(1) + MASK, text)


def redact_url(url: object) -> str:
    return redact_text(str(url))


def register_url_secrets(url: str | None) -> None:
    """Register the credentials a URL carries, so that every later redaction masks them."""
    if url:
        for value in url_credentials(url)[1]:
            register_secret(value)
