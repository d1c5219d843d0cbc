"""Key remapping from a config file.

Every `Binding` in the app has an id (`view.tasks`, `task.kill`, `logs.wrap`, ...). A TOML
file maps ids to keys, either at the top level or under `[keys]`:

    [keys]
    "task.kill" = "ctrl+x"
    "view.tasks" = "t,3"

It is read from `$MESOS_TUI_CONFIG` if set, else `~/.config/mesos-tui/keys.toml`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path


class KeymapError(ValueError):
    pass


def keymap_path() -> Path:
    env = os.environ.get("MESOS_TUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path("~/.config/mesos-tui/keys.toml").expanduser()


def load_keymap(path: Path | None = None) -> dict[str, str]:
    """Binding id -> keys; {} when there is no file."""
    path = path or keymap_path()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise KeymapError(f"cannot read key map {path}: {e}") from None
    table = data.get("keys", data)
    if not isinstance(table, dict):
        raise KeymapError(f"{path}: [keys] must be a table of binding id = \"keys\"")
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str):
            raise KeymapError(f"{path}: {key} must be a key or a list of keys")
        out[str(key)] = value
    return out
