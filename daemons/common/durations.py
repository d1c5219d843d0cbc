"""Mesos's duration syntax (`5secs`, `100ms`, `1mins`, `2hrs`, `1weeks`) and plain seconds."""

from __future__ import annotations

import math
import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "ms": 1e-3,
    "secs": 1.0,
    "sec": 1.0,
    "s": 1.0,
    "mins": 60.0,
    "min": 60.0,
    "m": 60.0,
    "hrs": 3600.0,
    "hr": 3600.0,
    "h": 3600.0,
    "days": 86400.0,
    "day": 86400.0,
    "d": 86400.0,
    "weeks": 604800.0,
    "week": 604800.0,
    "w": 604800.0,
}

_RE = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]*)\s*")


def parse_duration(text: str | float | int) -> float:
    """Seconds in `text`: a number of seconds, or a number with a Mesos unit."""
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        m = _RE.fullmatch(text)
        if not m or m.group(2) not in _UNITS and m.group(2) != "":
            raise ValueError(
                f"bad duration {text!r}: expected a number of seconds or a number with a unit "
                "(ns, us, ms, secs, mins, hrs, days, weeks), as in '5secs'"
            )
        value = float(m.group(1)) * _UNITS.get(m.group(2), 1.0)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"bad duration {text!r}: must be a non-negative time")
    return value


def format_duration(seconds: float) -> str:
    """The shortest Mesos spelling of `seconds` (`1.5secs`, `2mins`, `250ms`)."""
    if seconds and seconds < 1:
        return f"{seconds * 1000:g}ms"
    for unit, size in (("weeks", 604800), ("days", 86400), ("hrs", 3600), ("mins", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}secs"
