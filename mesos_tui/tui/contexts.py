"""Clusters by name (kubectl/k9s contexts): `~/.config/mesos-tui/clusters.toml`, or the
file `$MESOS_TUI_CLUSTERS` names.

    default = "local"            # optional: the context `mesos-tui` opens with no --context

    [local]
    master = "127.0.0.1:5050"

    [prod]
    master = "zk://zk1:2181,zk2:2181/mesos"
    principal = "ops"
    secret_file = "~/.config/mesos-tui/prod.secret"   # or: secret = "..." (not both)

`mesos-tui --context prod` opens on it, `:ctx prod` switches the running app, `:ctx` lists
them. Every value is checked when the file is read (a name is letters, digits, `._-`; the
master as `--master` takes it; a credential needs both a principal and a secret); a bad file
is one line saying where and what. A secret is read from `secret_file` when the context is
used, never shown and never logged (the `repr` of a context hides it).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from daemons.common.detector import DetectorError, check_master

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
KEYS = {"master", "principal", "secret", "secret_file"}
MAX_SECRET = 4096


class ContextError(ValueError):
    """The contexts file, or a context in it, is wrong; the message says where and what."""


@dataclass(frozen=True)
class Context:
    name: str
    master: str
    principal: str = ""
    secret: str = field(default="", repr=False)
    secret_file: str = ""

    def credentials(self) -> tuple[str, str] | None:
        """(principal, secret), reading `secret_file` now; None without a principal."""
        if not self.principal:
            return None
        if self.secret_file:
            path = Path(self.secret_file).expanduser()
            try:
                with open(path, "rb") as f:
                    data = f.read(MAX_SECRET + 1)
            except OSError as e:
                raise ContextError(f"context {self.name!r}: cannot read secret_file "
                                   f"{str(path)!r}: {e.strerror}") from None
            if len(data) > MAX_SECRET:
                raise ContextError(f"context {self.name!r}: secret_file {str(path)!r} is "
                                   f"over {MAX_SECRET} bytes: not a secret")
            try:
                secret = data.decode().strip()
            except UnicodeDecodeError:
                raise ContextError(f"context {self.name!r}: secret_file {str(path)!r} is "
                                   "not UTF-8 text") from None
            if not secret:
                raise ContextError(f"context {self.name!r}: secret_file {str(path)!r} is "
                                   "empty")
            return self.principal, secret
        return self.principal, self.secret


@dataclass(frozen=True)
class Contexts:
    path: str
    contexts: dict[str, Context]
    default: str = ""

    def get(self, name: str) -> Context:
        ctx = self.contexts.get(name)
        if ctx is None:
            known = ", ".join(sorted(self.contexts)) or f"none: {self.path} has no context"
            raise ContextError(f"no context {name!r} (known: {known})")
        return ctx


def contexts_path() -> Path:
    env = os.environ.get("MESOS_TUI_CLUSTERS")
    if env:
        return Path(env).expanduser()
    return Path("~/.config/mesos-tui/clusters.toml").expanduser()


def load_contexts(path: Path | None = None) -> Contexts:
    """The contexts in `path` (default `contexts_path()`); no file is no contexts."""
    path = path or contexts_path()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return Contexts(str(path), {})
    except OSError as e:
        raise ContextError(f"{path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ContextError(f"{path}: not valid TOML: {e}") from None
    return parse_contexts(data, str(path))


def parse_contexts(data: dict[str, object], source: str) -> Contexts:
    default = data.get("default", "")
    if not isinstance(default, str):
        raise ContextError(f"{source}: default must be a context's name (a string)")
    contexts: dict[str, Context] = {}
    for name, table in data.items():
        if name == "default":
            continue
        where = f"{source}: [{name}]"
        if not NAME.match(name):
            raise ContextError(f"{where}: a context's name is letters, digits, '.', '_' or '-'")
        if not isinstance(table, dict):
            raise ContextError(f"{where}: must be a table ([{name}] with master = ...)")
        unknown = sorted(set(table) - KEYS)
        if unknown:
            raise ContextError(f"{where}: unknown key {unknown[0]!r} (known: "
                               f"{', '.join(sorted(KEYS))})")
        values = {}
        for key in KEYS:
            value = table.get(key, "")
            if not isinstance(value, str):
                raise ContextError(f"{where}: {key} must be a string")
            values[key] = value
        if not values["master"]:
            raise ContextError(f"{where}: master is missing (host:port or zk://...)")
        try:
            master = check_master(values["master"])
        except DetectorError as e:
            raise ContextError(f"{where}: {e}") from None
        if values["secret"] and values["secret_file"]:
            raise ContextError(f"{where}: secret and secret_file both given: keep one")
        if (values["secret"] or values["secret_file"]) and not values["principal"]:
            raise ContextError(f"{where}: a secret needs a principal")
        if values["principal"] and not (values["secret"] or values["secret_file"]):
            raise ContextError(f"{where}: principal {values['principal']!r} has no secret "
                               "(secret or secret_file)")
        contexts[name] = Context(name, master, values["principal"], values["secret"],
                                 values["secret_file"])
    if default and default not in contexts:
        raise ContextError(f"{source}: default {default!r} is not one of its contexts")
    return Contexts(source, contexts, default)
