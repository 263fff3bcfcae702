"""Where profile secrets live: the OS keyring, and the honest ways out when there is none.

Order of lookup for a profile's secret: the read-only environment variable
``CXCONSOLE_SECRET_<PROFILE>``, then the chosen store. The store is the keyring (service
``cxconsole``, one entry per profile; ``PYTHON_KEYRING_BACKEND`` is honoured by keyring itself)
unless the user opted in to the insecure file store. Nothing ever falls back silently: a missing
keyring raises :class:`KeyringUnavailable` with the ways out. Keyring calls run in a thread with a
timeout, because a locked Secret Service can wait forever for a prompt nobody will see.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import tomli_w
from pydantic import SecretStr

from cxconsole.client import CXError
from cxconsole.paths import config_dir
from cxconsole.redact import register_secret
from cxconsole.settings import secret_env_var as env_var

SERVICE = "cxconsole"
KEYRING_TIMEOUT = 10.0
STORE_ENV = "CXCONSOLE_SECRET_STORE"  # "keyring" (default) or "file": the insecure opt-in

T = TypeVar("T")

GUIDANCE = """\
No usable keyring: {reason}
cxconsole keeps secrets only in the OS keyring (service "cxconsole"). Ways out:
  1. Start a Secret Service for this shell (Debian: apt install gnome-keyring dbus):
       dbus-run-session -- sh -c 'echo -n "$PW" | gnome-keyring-daemon --unlock \\
         --components=secrets; exec $SHELL'
  2. For CI or a one-off shell, give the secret read-only in the environment:
       export {env}=...
  3. Opt in to the INSECURE file store (plain text, mode 0600, under {config}):
       export CXCONSOLE_SECRET_STORE=file   (or choose it on the credentials screen)"""


class KeyringUnavailable(CXError):
    """No keyring can be used; the message says why and lists the ways out."""

    def __init__(self, reason: str, profile: str = "PROFILE") -> None:
        super().__init__(GUIDANCE.format(reason=reason, env=env_var(profile), config=config_dir()))
        self.reason = reason


class SecretMissing(CXError):
    def __init__(self, profile: str, where: str) -> None:
        super().__init__(
            f"profile {profile!r} has no secret: none in the {where} and no "
            f"{env_var(profile)} in the environment"
        )
        self.profile = profile
        self.where = where


class SecretStore(Protocol):
    label: str
    kind: str  # "keyring", "file" or "memory": what :class:`SecretLocation` names
    insecure: bool

    def get(self, profile: str) -> str | None: ...
    def set(self, profile: str, secret: str) -> None: ...
    def delete(self, profile: str) -> None: ...


class KeyringStore:
    """The OS keyring through the ``keyring`` package, every call in a thread with a timeout."""

    label = "OS keyring"
    kind = "keyring"
    insecure = False

    def __init__(self, timeout: float = KEYRING_TIMEOUT) -> None:
        self.timeout = timeout

    def _run(self, what: str, fn: Callable[[], T], profile: str = "PROFILE") -> T:
        import keyring.errors

        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="keyring")
        future = pool.submit(fn)
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            raise KeyringUnavailable(
                f"the keyring did not answer within {self.timeout:.0f} s while trying to {what} "
                "(is it locked and waiting for a password prompt?)",
                profile,
            ) from None
        except keyring.errors.NoKeyringError as exc:
            raise KeyringUnavailable(f"{type(exc).__name__}: {exc}", profile) from None
        except keyring.errors.KeyringLocked:
            raise KeyringUnavailable("the keyring is locked", profile) from None
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(f"{type(exc).__name__}: {exc}", profile) from None
        finally:
            pool.shutdown(wait=False)

    def backend_name(self) -> str:
        import keyring

        return self._run("find the backend", lambda: type(keyring.get_keyring()).__name__)

    def check(self) -> None:
        """Raise :class:`KeyringUnavailable` unless a real, usable keyring answers."""
        import keyring
        from keyring.backends import fail

        def probe() -> None:
            backend = keyring.get_keyring()
            if isinstance(backend, fail.Keyring):
                raise keyring.errors.NoKeyringError("no recommended backend was available")
            keyring.get_password(SERVICE, "__cxconsole_probe__")

        self._run("reach it", probe)

    def get(self, profile: str) -> str | None:
        import keyring

        value = self._run("read a secret", lambda: keyring.get_password(SERVICE, profile), profile)
        register_secret(value)
        return value

    def set(self, profile: str, secret: str) -> None:
        import keyring

        register_secret(secret)
        self._run("store a secret", lambda: keyring.set_password(SERVICE, profile, secret), profile)

    def delete(self, profile: str) -> None:
        import keyring
        import keyring.errors

        def remove() -> None:
            # Nothing stored means removing is already done.
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(SERVICE, profile)

        self._run("remove a secret", remove, profile)


class FileStore:
    """The opt-in insecure store: a TOML file of plain-text secrets, mode 0600."""

    label = "INSECURE file store"
    kind = "file"
    insecure = True

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "secrets.insecure.toml"
        self._lock = threading.Lock()

    def _load(self) -> dict[str, str]:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise CXError(f"the insecure secret file {self.path} cannot be read ({exc})") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            # The message of a TOML error may quote the line, and the line holds a secret.
            lineno = getattr(exc, "lineno", None)  # Python 3.14 on; not before
            where = f"line {lineno}" if lineno else "somewhere"
            raise CXError(
                f"the insecure secret file {self.path} is not valid TOML ({where})"
            ) from None
        values = {k: str(v) for k, v in data.get("secrets", {}).items()}
        for value in values.values():
            register_secret(value)
        return values

    def _save(self, data: dict[str, str]) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(
                    "# INSECURE: plain-text secrets, chosen by the user. Prefer the keyring.\n"
                )
                fh.write(tomli_w.dumps({"secrets": data}))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise CXError(
                f"the insecure secret file {self.path} cannot be written ({exc})"
            ) from None

    def names(self) -> list[str]:
        """The profiles this file holds a secret for."""
        with self._lock:
            return sorted(self._load())

    def discard(self) -> None:
        """Delete the file (its secrets are elsewhere now)."""
        with self._lock, contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def get(self, profile: str) -> str | None:
        with self._lock:
            value = self._load().get(profile)
        register_secret(value)
        return value

    def set(self, profile: str, secret: str) -> None:
        register_secret(secret)
        with self._lock:
            data = self._load()
            data[profile] = secret
            self._save(data)

    def delete(self, profile: str) -> None:
        with self._lock:
            data = self._load()
            if data.pop(profile, None) is not None:
                self._save(data)


class MemoryStore:
    """Secrets held in memory only: the sandbox's ready profiles."""

    label = "memory (sandbox)"
    kind = "memory"
    insecure = False

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self._secrets = dict(secrets or {})
        for value in self._secrets.values():
            register_secret(value)

    def get(self, profile: str) -> str | None:
        return self._secrets.get(profile)

    def set(self, profile: str, secret: str) -> None:
        register_secret(secret)
        self._secrets[profile] = secret

    def delete(self, profile: str) -> None:
        self._secrets.pop(profile, None)


def default_store(choice: str | None = None) -> SecretStore:
    """The keyring, unless the user opted in to the file store (setting or environment)."""
    choice = (choice or os.environ.get(STORE_ENV) or "keyring").lower()
    if choice == "file":
        return FileStore()
    if choice != "keyring":
        raise CXError(f"{STORE_ENV}={choice!r}: expected 'keyring' or 'file'")
    return KeyringStore()


@dataclass(frozen=True, slots=True)
class SecretLocation:
    """Where a profile's secret really is, found by looking, not by assuming.

    ``kind`` is "environment", "keyring", "file", "memory", "nowhere", or "unknown" when the
    store could not be asked (``reason`` says why).
    """

    kind: str
    label: str
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.kind not in ("nowhere", "unknown")


class Secrets:
    """Secret lookup for profiles: the environment override, then the store."""

    def __init__(self, store: SecretStore) -> None:
        self.store = store

    def env_override(self, profile: str) -> str | None:
        value = os.environ.get(env_var(profile))
        register_secret(value)
        return value or None

    def locate(self, profile: str) -> SecretLocation:
        """Where the secret that a call would use is (may block on the keyring). The label is
        short enough for a table column; ``reason`` holds the rest."""
        var = env_var(profile)
        if self.env_override(profile):
            return SecretLocation("environment", f"environment ({var})")
        try:
            value = self.store.get(profile)
        except KeyringUnavailable as exc:
            return SecretLocation("unknown", f"unknown: {self.store.label} unusable", exc.reason)
        except CXError as exc:
            return SecretLocation("unknown", f"unknown: {self.store.label} unusable", str(exc))
        if value:
            return SecretLocation(self.store.kind, self.store.label)
        reason = f"not in the {self.store.label}, no {var} in the environment"
        if self.store.kind != "file":
            with contextlib.suppress(CXError):
                if profile in FileStore().names():
                    reason += "; the INSECURE file store holds one, but it is not in use"
        return SecretLocation("nowhere", "nowhere", reason)

    def source(self, profile: str) -> str:
        return self.locate(profile).label

    def get(self, profile: str) -> SecretStr:
        value = self.env_override(profile)
        if value is None:
            value = self.store.get(profile)
        if not value:
            raise SecretMissing(profile, self.store.label)
        return SecretStr(value)

    def set(self, profile: str, secret: str) -> None:
        if not secret.strip():
            raise CXError(f"profile {profile!r}: the secret is empty")
        self.store.set(profile, secret.strip())

    def delete(self, profile: str) -> None:
        self.store.delete(profile)

    def rename(self, old: str, new: str) -> None:
        value = self.store.get(old)
        if value:
            self.store.set(new, value)
        self.store.delete(old)


class MoveIncomplete(CXError):
    """Secrets could not all be moved; the source still holds every one of them."""

    def __init__(self, failed: dict[str, str], moved: list[str]) -> None:
        names = ", ".join(f"{name} ({why})" for name, why in failed.items())
        super().__init__(
            f"not moved: {names}. Nothing was lost: every secret is still in the file store"
        )
        self.failed = failed
        self.moved = moved


def move_secrets(source: FileStore, target: SecretStore) -> list[str]:
    """Copy every secret of ``source`` into ``target`` and read each one back.

    Nothing is deleted here: the caller discards the source once it has switched stores, so a
    failure at any step leaves every secret where it was (:class:`MoveIncomplete` says which).
    """
    names = source.names()
    failed: dict[str, str] = {}
    moved: list[str] = []
    for name in names:
        value = source.get(name)
        if not value:
            continue
        try:
            target.set(name, value)
            if target.get(name) != value:
                raise CXError("read back a different value")
        except KeyringUnavailable as exc:
            failed[name] = exc.reason
            break  # the keyring is gone: the others would fail the same way
        except CXError as exc:
            failed[name] = str(exc)
        else:
            moved.append(name)
    if failed:
        raise MoveIncomplete(failed, moved)
    return moved
