"""``cxconsole profile add|edit|list|show|rename|remove|test``: vendor accounts, headless.

The secret comes from ``--secret-stdin`` or a hidden prompt, never from an argument (arguments
end up in shell history and in ``ps``).
"""

from __future__ import annotations

import argparse
import json
import sys
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

#: CLI option -> settings key, for the vendor settings the contract names.
SETTING_OPTIONS = {
    "datacenter": "datacenter",
    "workspace_id": "workspace_id",
    "tenant": "tenant",
    "datastore_id": "datastore-id",
    "feed_id": "feed-id",
    "records_path": "records_path",
    "template_id": "template_id",
    "campaign_id": "campaign_id",
    "allocation_id": "allocation_id",
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("profile", help="add, list, show, test and remove profiles")
    parser.set_defaults(handler=lambda args: (parser.print_help(), EXIT_USAGE)[1])
    actions = parser.add_subparsers(dest="profile_command", metavar="ACTION")

    for verb in ("add", "edit"):
        sub = actions.add_parser(verb, help=f"{verb} a profile (secret from stdin or a prompt)")
        sub.add_argument("name")
        sub.add_argument(
            "--vendor",
            choices=("questionpro", "expoints", "webex", "noojee"),
            required=verb == "add",
        )
        sub.add_argument("--base-url", help="API root; may carry a path prefix")
        sub.add_argument("--datacenter", help="QuestionPro: US, EU, CA, AE, AU, SG, SA, KSA")
        sub.add_argument("--workspace-id", help="QuestionPro: workspace for the segment picker")
        sub.add_argument("--tenant", help="Webex Campaign: tenant of <tenant>.webexcampaign.io")
        sub.add_argument("--datastore-id", help="Webex Campaign: datastore-id")
        sub.add_argument("--feed-id", help="Webex Campaign: feed-id")
        sub.add_argument("--records-path", help="Webex Campaign: records path (not public)")
        sub.add_argument("--template-id", help="Noojee: fTemplateId")
        sub.add_argument("--campaign-id", help="Noojee: fCampaignId")
        sub.add_argument("--allocation-id", help="Noojee: fAllocationId")
        sub.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="any other vendor setting (e.g. is_test=true)",
        )
        sub.add_argument(
            "--secret-stdin", action="store_true", help="read the secret from standard input"
        )
        sub.add_argument(
            "--no-secret", action="store_true", help="store no secret (use the environment)"
        )
        sub.set_defaults(handler=run_add if verb == "add" else run_edit)

    sub = actions.add_parser("list", help="list profiles")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=run_list)
    sub = actions.add_parser("show", help="show one profile (the secret masked)")
    sub.add_argument("name")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=run_show)
    sub = actions.add_parser("rename", help="rename a profile and move its secret")
    sub.add_argument("name")
    sub.add_argument("new_name")
    sub.set_defaults(handler=run_rename)
    sub = actions.add_parser("remove", help="remove a profile and its secret")
    sub.add_argument("name")
    sub.set_defaults(handler=run_remove)
    sub = actions.add_parser("test", help="call the vendor and print the decoded outcome")
    sub.add_argument("name")
    sub.add_argument("--json", action="store_true")
    sub.set_defaults(handler=run_test)


def _settings_from(args: argparse.Namespace, base: dict[str, Any]) -> dict[str, Any]:
    settings = dict(base)
    for option, key in SETTING_OPTIONS.items():
        value = getattr(args, option, None)
        if value is not None:
            settings[key] = value
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

        return getpass.getpass(f"{label}: ").strip()
    print("note: no secret stored (stdin is not a terminal: use --secret-stdin)", file=sys.stderr)
    return None


def _save(args: argparse.Namespace, ctx: Any, *, editing: bool) -> int:
    from cxconsole.client import CXError
    from cxconsole.profiles import Profile, ProfileError

    try:
        existing = ctx.profiles.get(args.name) if editing else None
    except ProfileError as exc:
        return _fail(str(exc))
    try:
        data = {
            "name": args.name,
            "vendor": args.vendor or (existing.vendor if existing else None),
            "base_url": args.base_url
            if args.base_url is not None
            else (existing.base_url if existing else None),
            "settings": _settings_from(args, existing.settings if existing else {}),
        }
        profile = Profile.model_validate(data)
        settings = profile.vendor_settings()
        profile.settings = settings.model_dump(by_alias=True, exclude_defaults=True)
        profile.resolved_base_url()
    except (ValueError, CXError) as exc:
        return _fail(_one_line(exc))
    secret = _read_secret(args, profile.adapter.secret_label)
    if args.secret_stdin and not secret:
        return _fail("--secret-stdin: standard input held no secret")
    try:
        ctx.profiles.put(profile, replace=editing)
        if secret:
            ctx.secrets.set(profile.name, secret)
    except CXError as exc:
        return _fail(str(exc), EXIT_FAILED)
    where = ctx.secrets.store.label if secret else "not stored"
    print(f"profile {profile.name} saved ({profile.adapter.title}; secret: {where})")
    return EXIT_OK


def _one_line(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'profile'}: {e['msg']}" for e in exc.errors()
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

    try:
        base = profile.resolved_base_url()
    except CXError as exc:
        base = f"(invalid: {exc})"
    test = ctx.tests.load().get(profile.name)
    return {
        "name": profile.name,
        "vendor": profile.vendor,
        "vendor_title": profile.adapter.title,
        "base_url": base,
        "settings": profile.settings,
        "secret": ctx.secrets.source(profile.name),
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
    item["secret_value"] = "•••••• (hidden)"
    if args.json:
        print(json.dumps(item, indent=2))
        return EXIT_OK
    for key in ("name", "vendor_title", "base_url", "secret", "secret_value"):
        print(f"{key.replace('_', ' '):>13}: {item[key]}")
    for key, value in item["settings"].items():
        print(f"{key:>13}: {value}")
    return EXIT_OK


@with_context
def run_rename(args: argparse.Namespace, ctx: Any) -> int:
    from cxconsole.client import CXError

    try:
        ctx.profiles.rename(args.name, args.new_name)
        ctx.secrets.rename(args.name, args.new_name)
    except CXError as exc:
        return _fail(str(exc))
    print(f"profile {args.name} renamed to {args.new_name}")
    return EXIT_OK


@with_context
def run_remove(args: argparse.Namespace, ctx: Any) -> int:
    from cxconsole.client import CXError

    try:
        ctx.profiles.remove(args.name)
        ctx.secrets.delete(args.name)
    except CXError as exc:
        return _fail(str(exc))
    print(f"profile {args.name} and its secret removed")
    return EXIT_OK


@with_context
def run_test(args: argparse.Namespace, ctx: Any) -> int:
    import asyncio

    from cxconsole.client import CXError, VendorError, close_client

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
    except CXError as exc:
        return _fail(str(exc))
    ctx.tests.record(args.name, True, report.summary)
    if args.json:
        print(json.dumps({"ok": True, "summary": report.summary, "details": report.details}))
    else:
        print(f"ok: {report.summary}")
    return EXIT_OK
