"""``cxconsole profile add|edit|list|show|rename|remove|test``: vendor accounts, headless.

The secret comes from ``--secret-stdin`` or a hidden prompt, never from an argument (arguments
end up in shell history and in ``ps``). The vendor flags are generated from each vendor's settings
model. Every change is done whole or not at all (see ``profile_book``): exit 0 when it was done,
1 when the secret store or the disk refused it, 2 for a usage error; in both failures nothing
changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from cxconsole.commands.common import (
    EXIT_AUTH,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    print_vendor_error,
    with_context,
)
from cxconsole.commands.common import fail as _fail


def names() -> tuple[str, ...]:
    """The vendors' names (reading them loads no adapter)."""
    from cxconsole.vendors import vendor_names

    return vendor_names()


#: Options of ``profile add|edit`` that are not vendor settings (a setting may not take one).
FIXED_OPTIONS = ("name", "vendor", "base_url", "region", "set", "secret_stdin", "no_secret")
SETTING_DEST = "setting__"


@dataclass(frozen=True, slots=True)
class SettingFlag:
    """One ``--kebab-name`` generated from a vendor settings field."""

    flag: str
    key: str  # the key in profiles.toml (the field's alias, or its name)
    vendors: tuple[str, ...]
    help: str
    kind: str  # "bool", "choice" or "text"
    choices: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return SETTING_DEST + self.flag[2:].replace("-", "_")


def setting_flags() -> dict[str, SettingFlag]:
    """Every vendor's settings as flags: field name -> ``--kebab-name``, description -> help."""
    from typing import Literal, Union, get_args, get_origin

    from cxconsole.vendors import get_vendor, vendor_names

    flags: dict[str, SettingFlag] = {}
    for vendor_name in vendor_names():
        vendor = get_vendor(vendor_name)
        for name, info in vendor.settings_model.model_fields.items():
            if name in FIXED_OPTIONS:
                raise RuntimeError(f"{vendor_name} setting {name!r} clashes with a fixed option")
            flag = "--" + name.replace("_", "-")
            annotation = info.annotation
            if get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
                annotation = next(a for a in get_args(annotation) if a is not type(None))
            kind = "text"
            choices: tuple[str, ...] = ()
            if annotation is bool:
                kind = "bool"
            elif get_origin(annotation) is Literal:
                kind, choices = "choice", tuple(str(c) for c in get_args(annotation))
            about = f"{vendor.title}: {info.description or name.replace('_', ' ')}"
            if flag in flags:
                known = flags[flag]
                flags[flag] = SettingFlag(
                    flag,
                    known.key,
                    (*known.vendors, vendor_name),
                    f"{known.help}; {about}",
                    known.kind if known.kind == kind else "text",
                    tuple(dict.fromkeys(known.choices + choices)),
                )
            else:
                flags[flag] = SettingFlag(
                    flag, info.alias or name, (vendor_name,), about, kind, choices
                )
    return flags


class _ProfileFormParser(argparse.ArgumentParser):
    """``profile add|edit``: the vendor flags are added on first use, so that other commands
    (``codes``, ``decode``) never import the vendor adapters just to build the parser."""

    def __init__(self, *args: Any, vendor_flags: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._vendor_flags_pending = vendor_flags

    def _add_vendor_flags(self) -> None:
        if not self._vendor_flags_pending:
            return
        self._vendor_flags_pending = False
        group = self.add_argument_group("vendor settings (generated from each vendor's model)")
        for spec in setting_flags().values():
            if spec.kind == "bool":
                group.add_argument(
                    spec.flag,
                    dest=spec.dest,
                    action=argparse.BooleanOptionalAction,
                    default=None,
                    help=spec.help,
                )
            else:
                group.add_argument(
                    spec.flag,
                    dest=spec.dest,
                    choices=spec.choices or None,
                    metavar=None if spec.choices else spec.flag[2:].replace("-", "_").upper(),
                    help=spec.help,
                )

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._add_vendor_flags()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._add_vendor_flags()
        return super().format_help()


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("profile", help="add, list, show, test and remove profiles")
    parser.set_defaults(handler=lambda args: (parser.print_help(), EXIT_USAGE)[1])
    actions = parser.add_subparsers(
        dest="profile_command", metavar="ACTION", parser_class=_ProfileFormParser
    )

    for verb in ("add", "edit"):
        sub = actions.add_parser(
            verb, help=f"{verb} a profile (secret from stdin or a prompt)", vendor_flags=True
        )
        sub.add_argument("name")
        sub.add_argument("--vendor", choices=names(), required=verb == "add")
        sub.add_argument("--base-url", help="API root; may carry a path prefix, never a secret")
        sub.add_argument(
            "--region",
            metavar="CC",
            help="phone region of the profile's files (AU, DE, FR...): national numbers are "
            "read as numbers of this country; '' clears it",
        )
        sub.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="any vendor setting by its key (e.g. is_test=true)",
        )
        sub.add_argument(
            "--secret-stdin", action="store_true", help="read the secret from standard input"
        )
        sub.add_argument(
            "--no-secret",
            action="store_true",
            help="store no secret (it comes from the environment)"
            if verb == "add"
            else "leave the stored secret as it is",
        )
        sub.set_defaults(handler=run_add if verb == "add" else run_edit)

    sub = actions.add_parser("list", help="list profiles")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=run_list)
    sub = actions.add_parser("show", help="show one profile and where its secret is (masked)")
    sub.add_argument("name")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=run_show)
    sub = actions.add_parser("rename", help="rename a profile and move its secret")
    sub.add_argument("name")
    sub.add_argument("new_name")
    sub.set_defaults(handler=run_rename)
    sub = actions.add_parser("remove", help="remove a profile and its secret")
    sub.add_argument("name")
    sub.add_argument(
        "--keep-secret",
        action="store_true",
        help="remove the profile only, leaving any secret in the secret store",
    )
    sub.set_defaults(handler=run_remove)
    sub = actions.add_parser("test", help="call the vendor and print the decoded outcome")
    sub.add_argument("name")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=run_test)


def _settings_from(args: argparse.Namespace, vendor: str, base: dict[str, Any]) -> dict[str, Any]:
    from cxconsole.vendors import get_vendor

    settings = dict(base)
    for spec in setting_flags().values():
        value = getattr(args, spec.dest, None)
        if value is None:
            continue
        if vendor not in spec.vendors:
            owners = ", ".join(get_vendor(v).title for v in spec.vendors)
            raise ValueError(
                f"{spec.flag} is a setting of {owners}, not of {get_vendor(vendor).title}"
            )
        settings[spec.key] = value
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE")
        settings[key.strip()] = value.strip()
    return settings


def _read_secret(args: argparse.Namespace, label: str) -> str | None:
    if args.no_secret:
        return None
    if args.secret_stdin:
        return sys.stdin.readline().strip()
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"{label}: ").strip() or None
    return None


def _save(args: argparse.Namespace, ctx: Any, *, editing: bool) -> int:
    from cxconsole.client import CXError
    from cxconsole.errors import ProfileError
    from cxconsole.profile_book import ChangeFailed, ChangeIncomplete
    from cxconsole.profiles import Profile

    try:
        existing = ctx.profiles.get(args.name) if editing else None
    except ProfileError as exc:
        return _fail(str(exc))
    try:
        vendor = args.vendor or (existing.vendor if existing else "")
        data = {
            "name": args.name,
            "vendor": vendor,
            "base_url": args.base_url
            if args.base_url is not None
            else (existing.base_url if existing else None),
            "phone_region": args.region
            if args.region is not None
            else (existing.phone_region if existing else None),
            "settings": _settings_from(args, vendor, existing.settings if existing else {}),
        }
        profile = Profile.model_validate(data)
        settings = profile.vendor_settings()
        profile.settings = settings.model_dump(by_alias=True, exclude_defaults=True)
        profile.resolved_base_url()
        ctx.book.check(profile)
    except (ValueError, CXError) as exc:
        return _fail(_one_line(exc))
    secret = _read_secret(args, profile.adapter.secret_label)
    if args.secret_stdin and not secret:
        return _fail("--secret-stdin: standard input held no secret; nothing saved")
    if not editing and not secret and not args.no_secret:
        return _fail(
            f"no secret given for {profile.name}: pipe it with --secret-stdin (or type it at the "
            f"prompt), or use --no-secret to rely on {_env_var(profile.name)}; nothing saved"
        )
    try:
        outcome = ctx.book.edit(profile, secret) if editing else ctx.book.add(profile, secret)
    except ChangeIncomplete as exc:
        return _fail(f"ATTENTION: {exc}", EXIT_FAILED)
    except ChangeFailed as exc:
        return _fail(f"profile {profile.name} not saved, nothing changed: {exc.cause}", EXIT_FAILED)
    except CXError as exc:
        return _fail(f"{exc}; nothing saved")
    if outcome.secret_stored:
        where = f"secret stored in the {ctx.secrets.store.label}"
    elif editing:
        where = "secret unchanged"
    else:
        where = f"no secret stored: give it as {_env_var(profile.name)}"
    print(f"profile {profile.name} saved ({profile.adapter.title}; {where})")
    return EXIT_OK


def _env_var(name: str) -> str:
    from cxconsole.settings import secret_env_var

    return secret_env_var(name)


def _one_line(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'profile'}: "
            + str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        )
    return str(exc)


@with_context
def run_add(args: argparse.Namespace, ctx: Any) -> int:
    return _save(args, ctx, editing=False)


@with_context
def run_edit(args: argparse.Namespace, ctx: Any) -> int:
    return _save(args, ctx, editing=True)


def _describe(ctx: Any, profile: Any) -> dict[str, Any]:
    from cxconsole.client import CXError
    from cxconsole.redact import redact_url

    try:
        base = redact_url(profile.resolved_base_url())
    except CXError as exc:
        base = f"(invalid: {exc})"
    test = ctx.tests.load().get(profile.name)
    location = ctx.secrets.locate(profile.name)
    return {
        "name": profile.name,
        "vendor": profile.vendor,
        "vendor_title": profile.adapter.title,
        "base_url": base,
        "phone_region": profile.phone_region,
        "settings": profile.settings,
        "secret": location.label,
        "secret_kind": location.kind,
        "secret_detail": location.reason,
        "credentials_in_base_url": profile.credentials_in_url,
        "last_test": test,
    }


@with_context
def run_list(args: argparse.Namespace, ctx: Any) -> int:
    from cxconsole.client import CXError

    try:
        profiles = ctx.profiles.load()
    except CXError as exc:
        return _fail(str(exc))
    items = [_describe(ctx, p) for _, p in sorted(profiles.items())]
    if args.json:
        print(json.dumps(items, indent=2))
        return EXIT_OK
    if not items:
        print("no profiles yet: cxconsole profile add NAME --vendor VENDOR")
        return EXIT_OK
    width = max(len(i["name"]) for i in items)
    for item in items:
        test = item["last_test"]
        last = "never tested" if not test else ("ok" if test["ok"] else "FAILED") + f" {test['at']}"
        print(f"{item['name']:<{width}}  {item['vendor_title']:<15}  {item['base_url']}  [{last}]")
    return EXIT_OK


@with_context
def run_show(args: argparse.Namespace, ctx: Any) -> int:
    from cxconsole.client import CXError

    try:
        profile = ctx.profiles.get(args.name)
    except CXError as exc:
        return _fail(str(exc))
    item = _describe(ctx, profile)
    found = item["secret_kind"] not in ("nowhere", "unknown")
    item["secret_value"] = "•••••• (hidden)" if found else "(none)"
    if args.json:
        print(json.dumps(item, indent=2))
        return EXIT_OK
    item["phone_region"] = item["phone_region"] or "(none: numbers must carry their +country code)"
    if item["secret_detail"]:
        item["secret"] += f" ({item['secret_detail']})"
    for key in ("name", "vendor_title", "base_url", "phone_region", "secret", "secret_value"):
        print(f"{key.replace('_', ' '):>13}: {item[key]}")
    for key, value in item["settings"].items():
        print(f"{key:>13}: {value}")
    if item["credentials_in_base_url"]:
        parts = ", ".join(item["credentials_in_base_url"])
        print(
            f"warning: the base URL holds a credential ({parts}); give it without, and the secret"
            f" to the keyring: cxconsole profile edit {profile.name} --base-url URL --secret-stdin",
            file=sys.stderr,
        )
    return EXIT_OK


@with_context
def run_rename(args: argparse.Namespace, ctx: Any) -> int:
    from cxconsole.client import CXError
    from cxconsole.profile_book import ChangeFailed, ChangeIncomplete

    try:
        outcome = ctx.book.rename(args.name, args.new_name)
    except ChangeIncomplete as exc:
        return _fail(f"ATTENTION: {exc}", EXIT_FAILED)
    except ChangeFailed as exc:
        return _fail(
            f"profile {args.name} not renamed, nothing changed: the secret could not be moved: "
            f"{exc.cause}",
            EXIT_FAILED,
        )
    except CXError as exc:
        return _fail(f"{exc}; nothing renamed")
    note = "; its secret moved with it" if outcome.secret_moved else ""
    for extra in outcome.notes:
        note += f"; {extra}: set {_env_var(args.new_name)} now"
    print(f"profile {args.name} renamed to {args.new_name}{note}")
    _warn(outcome.warnings)
    return EXIT_OK


@with_context
def run_remove(args: argparse.Namespace, ctx: Any) -> int:
    from cxconsole.client import CXError
    from cxconsole.profile_book import ChangeFailed, ChangeIncomplete

    try:
        outcome = ctx.book.remove(args.name, keep_secret=args.keep_secret)
    except ChangeIncomplete as exc:
        return _fail(f"ATTENTION: {exc}", EXIT_FAILED)
    except ChangeFailed as exc:
        return _fail(
            f"profile {args.name} not removed, nothing changed: its secret could not be removed: "
            f"{exc.cause}\n(--keep-secret removes the profile and leaves any secret where it is)",
            EXIT_FAILED,
        )
    except CXError as exc:
        return _fail(f"{exc}; nothing removed")
    if args.keep_secret:
        print(f"profile {args.name} removed; any secret it had was left where it was")
    elif outcome.secret_moved:
        print(f"profile {args.name} and its secret removed")
    else:
        print(f"profile {args.name} removed (it had no stored secret)")
    _warn(outcome.warnings)
    return EXIT_OK


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


@with_context
def run_test(args: argparse.Namespace, ctx: Any) -> int:
    import asyncio

    from cxconsole.client import close_client
    from cxconsole.errors import CXError, VendorError
    from cxconsole.keystore import SecretMissing

    async def test() -> Any:
        try:
            return await ctx.account(args.name).test(ctx.client)
        finally:
            await close_client()

    try:
        report = asyncio.run(test())
    except VendorError as exc:
        ctx.tests.record(args.name, False, str(exc.code))
        entry = exc.entry
        if args.json:
            print(
                json.dumps({"ok": False, "message": str(exc), **(entry.as_dict() if entry else {})})
            )
        else:
            print_vendor_error("profile test", exc)
        return EXIT_AUTH if exc.is_auth else EXIT_FAILED
    except SecretMissing as exc:
        return _fail(
            f"{exc}\n  store one: cxconsole profile edit {args.name} --secret-stdin", EXIT_AUTH
        )
    except CXError as exc:
        return _fail(str(exc))
    ctx.tests.record(args.name, True, report.summary)
    if args.json:
        print(
            json.dumps(
                {
                    "ok": True,
                    "summary": report.summary,
                    "details": report.details,
                    "warnings": report.warnings,
                }
            )
        )
    else:
        print(f"ok: {report.summary}")
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK
