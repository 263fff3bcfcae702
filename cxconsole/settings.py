"""User settings (``settings.toml`` in the config dir): theme, keymap, secret store, defaults.

Read before the first frame, so this module stays on the standard library (no pydantic): a
broken file is reported, never fatal, and the defaults are used instead.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cxconsole.paths import config_dir

SECRET_STORES = ("keyring", "file")
#: A profile's secret may come from the environment, as CXCONSOLE_SECRET_<NAME>.
SECRET_ENV_PREFIX = "CXCONSOLE_SECRET_"


def secret_env_var(profile: str) -> str:
    """The variable a profile's secret is read from: punctuation as ``_``, upper case, so two
    names may read one variable (``qp-eu``, ``QP.EU``): profiles refuse such a second name."""
    return SECRET_ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", profile).upper()


@dataclass
class Settings:
    theme: str = "cxconsole-dark"
    #: binding id -> keys, e.g. {"app.tickets" = "f4"}: remaps any binding that has an id.
    keymap: dict[str, str] = field(default_factory=dict)
    secret_store: str = "keyring"
    # Where national phone numbers are from, for every profile without its own; none by
    # default: an import then proposes one from the numbers themselves.
    phone_region: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Settings:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        settings = cls(**data)  # type: ignore[arg-type]
        if not isinstance(settings.theme, str):
            raise ValueError("theme: expected a theme name")
        if not isinstance(settings.keymap, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in settings.keymap.items()
        ):
            raise ValueError('keymap: expected a table of binding id = "keys"')
        if settings.secret_store not in SECRET_STORES:
            raise ValueError(f"secret_store: expected one of {', '.join(SECRET_STORES)}")
        if settings.phone_region is not None and not (
            isinstance(settings.phone_region, str)
            and re.fullmatch(r"[A-Z]{2}", settings.phone_region)
        ):
            raise ValueError("phone_region: expected a two-letter country code such as US")
        return settings


def settings_path() -> Path:
    return config_dir() / "settings.toml"


def load_settings(path: Path | None = None) -> tuple[Settings, str | None]:
    """The settings and, when the file was unusable, why (the defaults are used then)."""
    path = path or settings_path()
    settings = Settings()
    problem = None
    if path.exists():
        try:
            settings = Settings.from_dict(tomllib.loads(path.read_text("utf-8")))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError, TypeError) as exc:
            problem = f"{path}: {exc}"
    if store := os.environ.get("CXCONSOLE_SECRET_STORE"):
        settings.secret_store = store
    return settings, problem


def save_settings(settings: Settings, path: Path | None = None) -> None:
    import tomli_w

    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # TOML has no null: an unset value (phone_region) is left out, and reads back as unset.
    values = {k: v for k, v in asdict(settings).items() if v is not None}
    tmp.write_text(tomli_w.dumps(values), "utf-8")
    os.replace(tmp, path)
