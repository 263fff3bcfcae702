"""Changes to a profile and its secret together: each one is done whole, or not at all.

A profile lives in ``profiles.toml`` and its secret in the secret store; a change touches both.
Each change writes the secret side first where it can be undone, then the profile in one atomic
write, and undoes what it did when a later step fails. Only when an undo fails too does
:class:`ChangeIncomplete` report a half state, saying exactly what is where. Both faces call
these; neither writes a profile or a secret on its own. The mappings the import set-up
remembered for a profile follow it: moved with a rename, forgotten with a remove.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

from cxconsole.client import CXError
from cxconsole.errors import ProfileError
from cxconsole.keystore import SecretLocation, Secrets
from cxconsole.paths import remembered_mappings
from cxconsole.profiles import STORED, Profile, ProfileStore, check_sandbox_reach


class ChangeFailed(CXError):
    """The change was not made; nothing changed. ``cause`` is the error that stopped it."""

    def __init__(self, action: str, profile: str, cause: Exception) -> None:
        super().__init__(f"{action} {profile!r}: nothing changed: {cause}")
        self.action = action
        self.profile = profile
        self.cause = cause


class ChangeIncomplete(CXError):
    """The change failed half-way and could not be undone; ``left`` says what is where."""

    def __init__(self, action: str, profile: str, cause: Exception, left: str) -> None:
        super().__init__(f"{action} {profile!r} failed half-way ({cause}), and {left}")
        self.action = action
        self.profile = profile
        self.cause = cause
        self.left = left


@dataclass(slots=True)
class Outcome:
    """What a change did, for the faces to word."""

    profile: str
    secret_stored: bool = False
    secret_moved: bool = False
    notes: list[str] = field(default_factory=list)
    # What the change could not take along (it was made): said, never fatal.
    warnings: list[str] = field(default_factory=list)


class ProfileBook:
    """The profiles and their secrets, changed only as wholes."""

    def __init__(self, profiles: ProfileStore, secrets: Secrets, *, sandboxed: bool = False):
        self.profiles = profiles
        self.secrets = secrets
        self.sandboxed = sandboxed

    def check(self, profile: Profile) -> None:
        """Refuse what this context can never use: in the sandbox, any host but the emulator."""
        if self.sandboxed:
            check_sandbox_reach(profile)

    def locate(self, name: str) -> SecretLocation:
        return self.secrets.locate(name)

    # -- changes -------------------------------------------------------------------------------
    def add(self, profile: Profile, secret: str | None) -> Outcome:
        """A new profile and, when given, its secret; an existing name is refused."""
        return self._save(profile, secret, old_name=None, new=True)

    def edit(self, profile: Profile, secret: str | None, *, old_name: str | None = None) -> Outcome:
        """Replace a saved profile (renamed when ``old_name`` differs); a secret replaces the
        stored one, none keeps it (and a rename moves it)."""
        return self._save(profile, secret, old_name=old_name or profile.name, new=False)

    def rename(self, old: str, new: str) -> Outcome:
        current = self.profiles.get(old)
        try:
            profile = Profile.model_validate({**current.model_dump(), "name": new}, context=STORED)
        except ValueError as exc:
            raise ProfileError(
                f"{new!r} cannot name a profile: use letters, digits, '.', '_' or '-', up to 64"
                f" ({type(exc).__name__})",
                profile=new,
                setting="name",
            ) from None
        return self._save(profile, None, old_name=old, new=False, action="rename")

    def remove(self, name: str, *, keep_secret: bool = False) -> Outcome:
        """The profile and its secret; ``keep_secret`` leaves any secret where it is."""
        profile = self.profiles.get(name)
        outcome = Outcome(name)
        if keep_secret:
            self.profiles.remove(name)
            outcome.notes.append("any secret it had was left in the secret store")
            self._carry_mappings(name, None, outcome)
            return outcome
        store = self.secrets.store
        try:
            value = store.get(name)  # read first: a store that cannot be read changes nothing
        except CXError as exc:
            raise ChangeFailed("remove", name, exc) from None
        undo: list[tuple[str, Callable[[], object]]] = []
        try:
            self.profiles.remove(name)
            undo.append(("the profile is gone", lambda: self.profiles.restore(profile)))
            if value:
                store.delete(name)
                outcome.secret_moved = True
        except CXError as exc:
            self._undo("remove", name, exc, undo)
            raise ChangeFailed("remove", name, exc) from None
        self._carry_mappings(name, None, outcome)
        return outcome

    def _save(
        self,
        profile: Profile,
        secret: str | None,
        *,
        old_name: str | None,
        new: bool,
        action: str | None = None,
    ) -> Outcome:
        action = action or ("add" if new else "edit")
        name = profile.name
        self.check(profile)
        profile.vendor_settings()
        existing = self.profiles.load()
        renaming = old_name is not None and old_name != name
        if new and name in existing:
            raise ProfileError(f"a profile named {name!r} exists already", profile=name)
        if not new and old_name not in existing:
            raise ProfileError(f"no profile named {old_name!r}", profile=old_name)
        if renaming and name in existing:
            raise ProfileError(f"a profile named {name!r} exists already", profile=name)
        secret = (secret or "").strip() or None
        store = self.secrets.store
        outcome = Outcome(name)
        undo: list[tuple[str, Callable[[], object]]] = []
        try:
            moving = store.get(old_name) if renaming and old_name else None
            value = secret or moving
            if value:
                before = store.get(name)
                store.set(name, value)
                undo.append(
                    (
                        f"the secret under {name!r} was replaced",
                        (lambda: store.set(name, before))
                        if before
                        else (lambda: store.delete(name)),
                    )
                )
                outcome.secret_stored = bool(secret)
                outcome.secret_moved = bool(moving) and not secret
            if new:
                self.profiles.put(profile, replace=False)
            else:
                self.profiles.put(profile, old_name=old_name)
            if not new and old_name is not None:
                previous = existing[old_name]
                undo.append(
                    (
                        f"profile {name!r} is saved",
                        lambda: self.profiles.restore(previous, instead_of=name),
                    )
                )
            elif new:
                undo.append((f"profile {name!r} is saved", lambda: self.profiles.remove(name)))
            if moving and old_name:
                store.delete(old_name)
        except CXError as exc:
            self._undo(action, old_name or name, exc, undo)
            raise ChangeFailed(action, old_name or name, exc) from None
        if renaming and not moving and self.secrets.env_override(old_name or ""):
            outcome.notes.append("the secret was in the environment under the old name")
        if renaming and old_name:
            self._carry_mappings(old_name, name, outcome)
        return outcome

    def _carry_mappings(self, old: str, new: str | None, outcome: Outcome) -> None:
        """The mappings remembered for ``old`` go to ``new`` (None: forgotten), after the
        change itself was made. A mapping not carried costs a choice next time, never a row:
        said in the warnings, never fatal."""
        if self.sandboxed:
            return  # sandbox profiles live in memory: the operator's own files stay untouched
        source = remembered_mappings(old)
        if not source.is_dir():
            return
        try:
            if new is None:
                shutil.rmtree(source)
                return
            target = remembered_mappings(new)
            target.mkdir(parents=True, exist_ok=True)
            # Into what a removed profile of that name may have left: the renamed one's win.
            for item in source.iterdir():
                os.replace(item, target / item.name)
            source.rmdir()
        except OSError as exc:
            done = "forgotten" if new is None else f"moved to {new!r}"
            outcome.warnings.append(
                f"the mappings remembered for {old!r} ({source}) could not be {done}: "
                f"{exc.strerror or exc}"
            )

    @staticmethod
    def _undo(
        action: str, name: str, cause: Exception, undo: list[tuple[str, Callable[[], object]]]
    ) -> None:
        left: list[str] = []
        for what, step in reversed(undo):
            try:
                step()
            except CXError:
                left.append(what)
        if left:
            raise ChangeIncomplete(action, name, cause, "; ".join(left)) from None
