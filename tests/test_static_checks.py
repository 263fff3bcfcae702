"""The type checker and the import contracts, run as part of the suite so CI fails with them.

Both read their settings from pyproject.toml: mypy strict on the core and in its default mode
on the faces; import-linter's contracts that the core imports neither textual nor the faces and
that the layers only point down. The last test keeps that configuration whole: a new module
must be placed in a layer and on one side of the core/face line, or no contract would see it.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cxconsole"
CHECK_TIMEOUT = 600  # a bound on a hung tool, not a wait: both finish in seconds


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        check=False,
    )


def test_mypy_passes() -> None:
    # The cache under .mypy_cache makes a second run take about a second instead of ten.
    done = _run("-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"))
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}{done.stderr}"
    assert "Success: no issues found" in done.stdout, done.stdout


def test_import_contracts_hold() -> None:
    done = _run(
        "-c",
        "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())",
        "--no-logo",
    )
    assert done.returncode == 0, f"lint-imports failed:\n{done.stdout}{done.stderr}"
    assert "0 broken" in done.stdout, done.stdout


def _top_level_modules() -> set[str]:
    names = {f"cxconsole.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    names |= {
        f"cxconsole.{path.parent.name}"
        for path in PACKAGE.glob("*/__init__.py")
        if not path.parent.name.startswith("_")
    }
    return names


def _layer_modules(layer: str) -> set[str]:
    parts = layer.replace(":", "|").split("|")
    return {part.strip().strip("()") for part in parts}


def test_every_module_is_placed_by_the_contracts_and_the_type_checker() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = {c["type"]: c for c in config["tool"]["importlinter"]["contracts"]}
    core = set(contracts["forbidden"]["source_modules"])
    faces = set(contracts["forbidden"]["forbidden_modules"]) - {"textual"}
    layered = set().union(*map(_layer_modules, contracts["layers"]["layers"]))
    strict = {
        module.removesuffix(".*")
        for override in config["tool"]["mypy"]["overrides"]
        if override.get("disallow_untyped_defs")
        for module in override["module"]
    }
    modules = _top_level_modules()
    assert len(modules) > 10, modules  # the package was found

    entry = {"cxconsole.__main__"}  # `python -m cxconsole`: the command line's door
    unplaced = modules - core - faces - entry
    assert not unplaced, f"neither core nor face in [tool.importlinter]: {sorted(unplaced)}"
    assert not core & faces, sorted(core & faces)
    unlayered = modules - layered
    assert not unlayered, f"in no layer of the layers contract: {sorted(unlayered)}"
    loose = core - strict
    assert not loose, f"core modules not strict in [tool.mypy]: {sorted(loose)}"
    assert not faces & strict, f"faces are in mypy's default mode: {sorted(faces & strict)}"
