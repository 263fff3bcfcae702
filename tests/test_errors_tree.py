"""The core's error tree: one module, documented at its top, the old import paths kept."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import cxconsole.errors as errors


def tree_classes() -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    }


def test_every_class_is_in_the_tree_and_its_diagram():
    classes = tree_classes()
    assert {"CXError", "VendorError", "ProfileError", "TicketsError", "InputError"} <= set(classes)
    doc = errors.__doc__ or ""
    for name, cls in classes.items():
        assert issubclass(cls, errors.CXError), name
        assert re.search(rf"^[*+-] {name}\b|^\s+[+-] {name}\b", doc, re.M), name
    assert sorted(errors.__all__) == sorted(classes)


def test_the_classes_still_elsewhere_subclass_the_tree_and_are_in_its_diagram():
    from cxconsole.importing.setup import SetupError
    from cxconsole.keystore import KeyringUnavailable, SecretMissing
    from cxconsole.storage import DiskError, OutputPathError

    doc = errors.__doc__ or ""
    for cls in (SetupError, KeyringUnavailable, SecretMissing, DiskError, OutputPathError):
        assert issubclass(cls, errors.CXError), cls
        assert re.search(rf"[+-] {cls.__name__} +\(in ", doc), cls.__name__
    assert issubclass(SetupError, errors.ImportProblem)


def test_the_old_names_are_the_same_classes():
    from cxconsole import client, profiles
    from cxconsole.importing import errors as import_errors
    from cxconsole.tickets import query as tickets

    assert client.CXError is errors.CXError
    assert client.VendorError is errors.VendorError
    assert client.UnknownOutcome is errors.UnknownOutcome
    assert client.Unreachable is errors.Unreachable
    assert profiles.ProfileError is errors.ProfileError
    assert tickets.TicketsError is errors.TicketsError
    for name in import_errors.__all__:
        assert getattr(import_errors, name) is getattr(errors, name)


def test_messages_are_redacted_and_fields_kept():
    from cxconsole.redact import register_secret

    register_secret("s3cr3t-tree-key")
    exc = errors.VendorError(
        "refused with s3cr3t-tree-key", vendor="noojee", entry=None, status=401, code="401"
    )
    assert "s3cr3t-tree-key" not in str(exc)
    assert (exc.vendor, exc.status, exc.code, exc.is_auth) == ("noojee", 401, "401", True)
    err = errors.InputError("no header", path="a.csv", line=3)
    assert str(err) == "a.csv, line 3: no header" and err.line == 3


def test_the_tree_loads_nothing_heavy():
    code = (
        "import sys, cxconsole.errors\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'pydantic', 'textual', 'keyring')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
