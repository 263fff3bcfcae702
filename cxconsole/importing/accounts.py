"""Runs follow the account, not the profile's name: a run's journal records the account it
sends to (:func:`cxconsole.profiles.account_identity`). A renamed profile that points at the
same account keeps its runs (resumable, its files already imported); a profile of the same
name that now points at another account does not. A journal from before accounts were
recorded has none, and is matched by its profile's name as before. Two accounts are compared
on what the vendor counts now (:func:`same`): a setting an older journal recorded that no longer
chooses the account (QuestionPro's workspace) is not a difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxconsole.errors import CXError
from cxconsole.importing.entries import RunHeader
from cxconsole.importing.errors import ResumeError
from cxconsole.profiles import Profile
from cxconsole.vendors import get_vendor

Identity = dict[str, Any]


def _counted(identity: Identity) -> tuple[Any, Any, dict[str, Any]]:
    """The parts of an account that choose it, as the vendor counts them now."""
    vendor = identity.get("vendor")
    settings = dict(identity.get("settings") or {})
    try:
        counted = set(get_vendor(str(vendor)).account_settings)
    except ValueError:  # a vendor this cxconsole does not know: every setting counts
        counted = set(settings)
    return vendor, identity.get("base"), {k: v for k, v in settings.items() if k in counted}


def same(one: Identity, other: Identity) -> bool:
    """Whether two recorded accounts are one (neither empty)."""
    return bool(one) and bool(other) and _counted(one) == _counted(other)


def same_account(run_account: Identity, run_profile: str, account: Identity, profile: str) -> bool:
    """Whether a run went to this account (a run without a recorded account: by name)."""
    if run_account:
        return same(run_account, account)
    return run_profile == profile


def holders(account: Identity, accounts: Mapping[str, Identity]) -> list[str]:
    """The profiles that point at ``account`` (``accounts``: each profile's, see
    :func:`identities`), in their order."""
    return [name for name, identity in accounts.items() if same(identity, account)]


def owners(run_account: Identity, run_profile: str, accounts: Mapping[str, Identity]) -> list[str]:
    """The profiles a run belongs to now: its own when it still points at the run's account
    (or the run recorded none), else those that do (a renamed profile; none when the account
    has no profile now)."""
    if not run_account:
        return [run_profile] if run_profile in accounts else []
    if same(accounts.get(run_profile, {}), run_account):
        return [run_profile]
    return holders(run_account, accounts)


def owner_label(run_account: Identity, run_profile: str, accounts: Mapping[str, Identity]) -> str:
    """The run's profile as the operator knows it now: ``qp-new (was qp)`` after a rename. A
    run whose account no profile points at now keeps the name it was made in (a sandbox's
    runs from an earlier session, on another port, are all such: a mark on each says nothing)."""
    now = owners(run_account, run_profile, accounts)
    if not now or now == [run_profile]:
        return run_profile
    return f"{' or '.join(now)} (was {run_profile})"


def resume_choices(
    run_account: Identity, run_profile: str, profiles: Mapping[str, Profile]
) -> list[str]:
    """The profiles to ask the operator to choose among before resuming a run: several that
    point at its account, none of them the run's own (which, still pointing there, is taken
    without a question). Empty when there is nothing to choose."""
    found = owners(run_account, run_profile, identities(profiles)) if run_account else []
    return found if len(found) > 1 else []


def describe(identity: Identity) -> str:
    """``http://host/qp (workspace-id 1)``: where records went, as an operator reads it."""
    settings = ", ".join(
        f"{name.replace('_', '-')} {'(none)' if value is None else value}"
        for name, value in _counted(identity)[2].items()
    )
    return str(identity.get("base", "?")) + (f" ({settings})" if settings else "")


def differences(then: Identity, now: Identity) -> str:
    """What changed between two accounts: ``workspace-id 1 then, 999 now; ...``."""
    found = []
    if then.get("vendor") != now.get("vendor"):
        found.append(f"vendor {then.get('vendor')} then, {now.get('vendor')} now")
    if then.get("base") != now.get("base"):
        found.append(f"base URL {then.get('base')} then, {now.get('base')} now")
    ours, theirs = _counted(then)[2], _counted(now)[2]
    for name in sorted(set(ours) | set(theirs)):
        if ours.get(name) != theirs.get(name):
            found.append(
                f"{name.replace('_', '-')} {ours.get(name, '(none)')} then, "
                f"{theirs.get(name, '(none)')} now"
            )
    return "; ".join(found)


def identities(profiles: Mapping[str, Profile]) -> dict[str, Identity]:
    """Each profile's account; a profile whose settings no longer read is left out."""
    found: dict[str, Identity] = {}
    for name, profile in profiles.items():
        try:
            found[name] = profile.account_identity()
        except CXError:
            continue
    return found


def resume_profile(
    run_id: str,
    header: RunHeader,
    given: str | None,
    profiles: Mapping[str, Profile] | None,
    *,
    landed: bool = True,
) -> str:
    """The profile a run is resumed in: ``given`` (checked later by :func:`check_account`),
    else the run's own when it still points at the run's account, else the one profile that
    does (a renamed profile). Raises :class:`ResumeError` when none or several do."""
    if not header.account:
        if given and given != header.profile:
            raise ResumeError(f"run {run_id} imported into {header.profile!r}, not {given!r}")
        return header.profile
    if given or profiles is None:
        return given or header.profile
    accounts = identities(profiles)
    if same(accounts.get(header.profile, {}), header.account):
        return header.profile
    matches = holders(header.account, accounts)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ResumeError(
            f"run {run_id} sent to {describe(header.account)}, and profiles "
            f"{', '.join(map(repr, matches))} all point at that account: name the one to "
            "resume in (--profile NAME)"
        )
    if header.profile in accounts:
        check_account(
            run_id, header, header.profile, accounts[header.profile], accounts, landed=landed
        )
        return header.profile  # nothing of the run reached the vendor: its profile, put right
    raise ResumeError(
        f"run {run_id} sent to {describe(header.account)} through profile "
        f"{header.profile!r}; no profile points at that account now. Add one (or point a "
        "profile back at it) to resume the run"
    )


def check_account(
    run_id: str,
    header: RunHeader,
    profile: str,
    account: Identity,
    others: Mapping[str, Identity] | None = None,
    *,
    landed: bool = True,
) -> None:
    """Refuse to resume a run in a profile that points at another account than the run sent
    to (a profile removed and added again, or edited): the rest would go elsewhere. A run of
    which no row reached the vendor or may have (``landed`` False: every batch it sent was
    refused, as when the profile itself was wrong) resumes in the corrected profile: its file
    goes to one account whole."""
    if not header.account or same(header.account, account) or not landed:
        return
    message = (
        f"run {run_id} sent to {describe(header.account)}; profile {profile!r} now points at "
        f"{describe(account)} ({differences(header.account, account)}): resuming would send "
        "the rest of the file to another account, so nothing was sent"
    )
    found = holders(header.account, others or {})
    if found:
        message += f". Profile {found[0]!r} points at the run's account: resume in it"
    else:
        message += ". Point the profile back at the run's account, or start a new run"
    raise ResumeError(message, run_id=run_id)
