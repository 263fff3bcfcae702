"""Theme files: the ones shipped in ``themes/`` and the user's own, validated into Textual themes.

Loaded before the first frame, so validation is by hand (no pydantic import on that path).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from cxconsole.paths import config_dir

COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "success",
    "warning",
    "error",
)
THEME_FIELDS = {f.name for f in fields(Theme)}


@dataclass
class LoadedThemes:
    themes: list[Theme] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "file: fault", one per broken file


def theme_from_dict(data: dict[str, object]) -> Theme:
    """A Textual theme from a theme file's table; ValueError naming the first fault."""
    unknown = set(data) - THEME_FIELDS
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(sorted(unknown))}")
    for key in ("name", "primary"):
        if not isinstance(data.get(key), str):
            raise ValueError(f"{key}: required, a string")
    for key in COLOUR_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        try:
            Color.parse(str(value))
        except ColorParseError:
            raise ValueError(f"{key}: not a colour: {value!r}") from None
    if "dark" in data and not isinstance(data["dark"], bool):
        raise ValueError("dark: expected true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError("variables: expected a table")
    return Theme(**data)  # type: ignore[arg-type]


def shipped_themes_dir() -> Path:
    """``cxconsole/_themes`` in an installed wheel, ``themes/`` beside the package in a checkout."""
    package = Path(__file__).resolve().parent
    bundled = package / "_themes"
    return bundled if bundled.is_dir() else package.parent / "themes"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def load_themes(*folders: Path) -> LoadedThemes:
    loaded = LoadedThemes()
    for folder in folders or (shipped_themes_dir(), user_themes_dir()):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text("utf-8"))
                loaded.themes.append(theme_from_dict(data))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
                loaded.failures.append(f"{path.name}: {exc}")
    return loaded
