"""The user's own settings: $XDG_CONFIG_HOME/pluginlab-tui/config.toml.

theme = "nord"

[keymap]
"list.follow" = "ctrl+f"       # binding id = keys (comma-separated for several)
"event.mark" = "space"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pluginlab_tui.errors import UsageError


def config_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "pluginlab-tui" / "config.toml"


@dataclass(frozen=True)
class UserConfig:
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)


def load_user_config(path: Path | None = None) -> UserConfig:
    """Read the file (absent: defaults); a mistake is one UsageError line naming the key."""
    path = path or config_path()
    if not path.is_file():
        return UserConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    unknown = sorted(set(data) - {"theme", "keymap"})
    if unknown:
        raise UsageError(f"{path}: unknown key {unknown[0]!r} (known: theme, keymap)")
    theme = data.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise UsageError(f'{path}: theme must be a string, like "nord"')
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        raise UsageError(f'{path}: keymap must be a table of binding id = "keys"')
    for key, value in keymap.items():
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f'{path}: keymap.{key} must be keys as text, like "ctrl+f"')
    return UserConfig(theme, {str(k): str(v) for k, v in keymap.items()})
