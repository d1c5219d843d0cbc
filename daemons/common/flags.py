"""Command-line flags the Mesos way.

Every flag has Mesos's underscore name (`--work_dir`), answers to the dashed spelling too
(`--work-dir`), takes `--flag value` or `--flag=value`, and can come from the environment as
`MESOS_WORK_DIR`. Booleans also take `--no-flag`. A bad flag or value ends the program with one
line on stderr that says what was wrong, and exit status 2.

This module is on every command's way to `--help`, so it imports only argparse and pure
checks: `Resources` (protobuf) is imported when a `--resources` value is parsed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from daemons.common.detector import check_master, check_zk_url
from daemons.common.durations import parse_duration

if TYPE_CHECKING:
    from daemons.common.resources import Resources


class FlagError(Exception):
    pass


def _typed(kind: str, convert: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return convert(text)
        except ValueError as e:  # ResourceError and DetectorError are ValueErrors
            msg = str(e) or f"{text!r} is not {kind}"
            raise argparse.ArgumentTypeError(msg) from None

    parse.__name__ = kind
    return parse


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None


def _port(text: str) -> int:
    value = _int(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"{text!r} is not a port (0-65535)")
    return value


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise ValueError(f"{text!r} must be at least 1")
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{text!r} is not true or false")


def _resources(text: str) -> Resources:
    from daemons.common.resources import Resources

    return Resources.parse(text)


def _attributes(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        k, sep, v = item.partition(":")
        if not sep or not k.strip():
            raise ValueError(f"bad attribute {item!r}: expected name:value, as in 'rack:r1'")
        out[k.strip()] = v.strip()
    return out


def parse_bytes(text: str) -> int:
    """Mesos's Bytes: `4MB`, `512KB`, `1GB`, `100B` (powers of 1024), or a plain number of bytes."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B") if text.strip() else ""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    factor = 1
    if t and t[-1] in units:
        factor = units[t[-1]]
        t = t[:-1]
    try:
        value = float(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a size: use a number of bytes or 4MB, 512KB, 1GB") from None
    if not value >= 0 or value * factor > 1 << 50:
        raise ValueError(f"{text!r} is not a sensible size")
    return int(value * factor)


STR = _typed("a string", str)
INT = _typed("an integer", _int)
PORT = _typed("a port", _port)
POSITIVE_INT = _typed("a positive integer", _positive_int)
FLOAT = _typed("a number", _float)
BOOL = _typed("a boolean", _bool)
DURATION = _typed("a duration", parse_duration)
BYTES = _typed("a size", parse_bytes)
RESOURCES = _typed("resources", _resources)
ATTRIBUTES = _typed("attributes", _attributes)
# `host:port` or `zk://host:port[,host:port]/path`, checked in one place (detector.py).
MASTER = _typed("a master address", check_master)
ZK_URL = _typed("a ZooKeeper URL", check_zk_url)


def choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"{text!r} is not one of {', '.join(options)}")
        return text

    return _typed("a choice", parse)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        message = message.replace("argument ", "flag ", 1)
        if message.startswith("unrecognized arguments: "):
            message = "unknown flag: " + message.removeprefix("unrecognized arguments: ")
        sys.stderr.write(f"{self.prog}: {message} (see --help)\n")
        sys.exit(2)


# An ArgumentParser whose errors are one line and exit status 2, for programs that need
# argparse's positionals or short options (FlagSet builds on it too).
OneLineParser = _Parser


def one_line_errors(parser: argparse.ArgumentParser) -> None:
    """Make a plain ArgumentParser's errors one line and exit status 2, as OneLineParser's."""
    parser.error = _Parser.error.__get__(parser)  # type: ignore[method-assign]


class FlagSet:
    """The flags of one program."""

    def __init__(self, prog: str, description: str) -> None:
        self.prog = prog
        self.parser = _Parser(prog=prog, description=description, allow_abbrev=False)
        self._flags: dict[str, tuple[Callable[[str], Any], Any]] = {}

    def add(
        self,
        name: str,
        type: Callable[[str], Any] = STR,
        default: Any = None,
        help: str = "",
        required: bool = False,
    ) -> None:
        spellings = [f"--{name}"]
        if "_" in name:
            spellings.append(f"--{name.replace('_', '-')}")
        shown = f" (default: {default})" if default not in (None, "", False) else ""
        if type is BOOL:
            self.parser.add_argument(
                *spellings, dest=name, nargs="?", const=True, type=type, default=default,
                help=help + shown, metavar="BOOL",
            )
            self.parser.add_argument(
                f"--no-{name}", f"--no-{name.replace('_', '-')}", dest=name,
                action="store_false", help=argparse.SUPPRESS,
            )
        else:
            self.parser.add_argument(
                *spellings, dest=name, type=type, default=default, help=help + shown,
                metavar=name.upper(),
            )
        self._flags[name] = (type, required)

    def parse(
        self, argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None
    ) -> argparse.Namespace:
        env = os.environ if env is None else env
        for name, (convert, _required) in self._flags.items():
            var = "MESOS_" + name.upper()
            if var in env:
                try:
                    self.parser.set_defaults(**{name: convert(env[var])})
                except argparse.ArgumentTypeError as e:
                    self.parser.error(f"bad value in ${var}: {e}")
        ns = self.parser.parse_args(argv)
        for name, (_convert, required) in self._flags.items():
            if required and getattr(ns, name) in (None, ""):
                self.parser.error(f"flag --{name} is required")
        return ns

    def values(self, ns: argparse.Namespace) -> dict[str, str]:
        """Flag values as text, for GET_FLAGS."""
        return {name: "" if getattr(ns, name) is None else str(getattr(ns, name)) for name in self._flags}
