"""Resources: Mesos's text syntax, arithmetic, and the conversion to and from `Resource` protos.

A `Resources` value is what an agent has, what an offer holds or what a task asks for:
scalars (`cpus:2;mem:1024`), ranges (`ports:[31000-32000]`) and sets (`disks:{a,b}`). Scalars
are kept to Mesos's fixed point of three decimals, so adding and subtracting offers never
drifts. Values are immutable: every operation returns a new `Resources`.

    >>> r = Resources.parse("cpus:2;mem:1024;ports:[31000-31999]")
    >>> str(r - Resources.parse("cpus:0.5;ports:[31000-31000]"))
    'cpus:1.5;mem:1024;ports:[31001-31999]'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping

from daemons.proto import mesos_pb2

Range = tuple[int, int]  # inclusive [begin, end]

# The resources every share and report is computed over, in display order.
KNOWN_SCALARS = ("cpus", "gpus", "mem", "disk")

_PRECISION = 1000  # Mesos keeps scalars as fixed point with three decimal digits.

# Bounds, so that no resource a client sends can overflow the arithmetic or the memory of a
# daemon (`cpus:1e306`, `ports:[0-4294967295]`): Mesos's fixed point tops out near 9.2e15.
MAX_SCALAR = 1e15
MAX_RANGES = 4096  # distinct ranges of one resource
MAX_RANGE_VALUE = 2**63 - 1
MAX_PORT = 65535
MAX_SET_ITEMS = 4096
MAX_NAME = 255


class ResourceError(ValueError):
    """A resource text or value that does not parse or does not make sense."""


def _fix(value: float) -> float:
    return round(value * _PRECISION) / _PRECISION


def _merge(ranges: Iterable[Range]) -> tuple[Range, ...]:
    out: list[list[int]] = []
    for begin, end in sorted(ranges):
        if out and begin <= out[-1][1] + 1:
            if end > out[-1][1]:
                out[-1][1] = end
        else:
            out.append([begin, end])
    return tuple((b, e) for b, e in out)


def _subtract_ranges(left: tuple[Range, ...], right: tuple[Range, ...]) -> tuple[Range, ...]:
    out: list[Range] = []
    for begin, end in left:
        pieces = [(begin, end)]
        for rb, re_ in right:
            next_pieces: list[Range] = []
            for b, e in pieces:
                if re_ < b or rb > e:
                    next_pieces.append((b, e))
                    continue
                if rb > b:
                    next_pieces.append((b, rb - 1))
                if re_ < e:
                    next_pieces.append((re_ + 1, e))
            pieces = next_pieces
            if not pieces:
                break
        out.extend(pieces)
    return _merge(out)


def _ranges_contain(outer: tuple[Range, ...], inner: tuple[Range, ...]) -> bool:
    return not _subtract_ranges(inner, outer)


def ranges_size(ranges: Iterable[Range]) -> int:
    return sum(e - b + 1 for b, e in ranges)


class Resources:
    """An immutable bag of named scalar, range and set resources."""

    __slots__ = ("scalars", "ranges", "sets")

    scalars: dict[str, float]
    ranges: dict[str, tuple[Range, ...]]
    sets: dict[str, frozenset[str]]

    def __init__(
        self,
        scalars: Mapping[str, float] | None = None,
        ranges: Mapping[str, Iterable[Range]] | None = None,
        sets: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.scalars = {k: _fix(v) for k, v in (scalars or {}).items() if _fix(v) > 0}
        self.ranges = {k: m for k, v in (ranges or {}).items() if (m := _merge(v))}
        self.sets = {k: s for k, v in (sets or {}).items() if (s := frozenset(v))}

    @classmethod
    def _raw(
        cls,
        scalars: dict[str, float],
        ranges: dict[str, tuple[Range, ...]],
        sets: dict[str, frozenset[str]],
    ) -> Resources:
        """Build from already normalised parts (no copying, no checks)."""
        r = object.__new__(cls)
        r.scalars = scalars
        r.ranges = ranges
        r.sets = sets
        return r

    # ----------------------------------------------------------------------------- parsing

    @classmethod
    def parse(cls, text: str) -> Resources:
        """Parse Mesos's resource syntax, or its JSON array form.

        Text: `name:value` items separated by `;`, where a value is a number, `[a-b,c-d]`
        ranges, or `{x,y}` a set. A role in parentheses (`cpus(*):2`) may only be `*`.
        """
        text = text.strip()
        if not text:
            return cls()
        if text.startswith("["):
            return cls._parse_json(text)
        scalars: dict[str, float] = {}
        ranges: dict[str, list[Range]] = {}
        sets: dict[str, set[str]] = {}
        for item in text.split(";"):
            item = item.strip()
            if not item:
                continue
            name, sep, value = item.partition(":")
            name, value = name.strip(), value.strip()
            if not sep or not name or not value:
                raise ResourceError(f"bad resource {item!r}: expected name:value, as in 'cpus:2'")
            m = re.fullmatch(r"([A-Za-z_][\w.\-/]*)(?:\(([^)]*)\))?", name)
            if not m:
                raise ResourceError(f"bad resource name {name!r} in {item!r}")
            name, role = m.group(1), m.group(2)
            if role not in (None, "*", ""):
                raise ResourceError(
                    f"bad resource {item!r}: reserved resources (role {role!r}) are not supported"
                )
            if value.startswith("["):
                if not value.endswith("]"):
                    raise ResourceError(f"bad ranges in {item!r}: expected [begin-end,...]")
                ranges.setdefault(name, []).extend(_parse_ranges(value[1:-1], item))
            elif value.startswith("{"):
                if not value.endswith("}"):
                    raise ResourceError(f"bad set in {item!r}: expected {{a,b,...}}")
                items = {x.strip() for x in value[1:-1].split(",") if x.strip()}
                sets.setdefault(name, set()).update(items)
            else:
                try:
                    number = float(value)
                except ValueError:
                    raise ResourceError(
                        f"bad value in {item!r}: expected a number, [ranges] or {{set}}"
                    ) from None
                if not math.isfinite(number) or number < 0:
                    raise ResourceError(f"bad value in {item!r}: must be a non-negative number")
                scalars[name] = scalars.get(name, 0.0) + number
        for name, value in scalars.items():
            _check_scalar(name, value)
        for name, rs in ranges.items():
            _check_ranges(name, rs)
        for name, items in sets.items():
            _check_set(name, items)
        return cls(scalars, ranges, sets)

    @classmethod
    def _parse_json(cls, text: str) -> Resources:
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise ResourceError(f"bad resources JSON: {e}") from None
        if not isinstance(items, list):
            raise ResourceError("bad resources JSON: expected an array of Resource objects")
        from google.protobuf import json_format

        protos = []
        for item in items:
            try:
                protos.append(json_format.ParseDict(item, mesos_pb2.Resource()))
            except (json_format.ParseError, TypeError) as e:
                raise ResourceError(f"bad resource in JSON: {e}") from None
        return cls.from_proto(protos)

    # ----------------------------------------------------------------------------- protobuf

    @classmethod
    def from_proto(cls, resources: Iterable[mesos_pb2.Resource]) -> Resources:
        scalars: dict[str, float] = {}
        ranges: dict[str, list[Range]] = {}
        sets: dict[str, set[str]] = {}
        for r in resources:
            check_resource(r)
            if r.type == mesos_pb2.Value.SCALAR:
                scalars[r.name] = scalars.get(r.name, 0.0) + r.scalar.value
            elif r.type == mesos_pb2.Value.RANGES:
                ranges.setdefault(r.name, []).extend((g.begin, g.end) for g in r.ranges.range)
            else:
                sets.setdefault(r.name, set()).update(r.set.item)
        for name, value in scalars.items():
            _check_scalar(name, value)
        for name, rs in ranges.items():
            _check_ranges(name, rs)
        for name, items in sets.items():
            _check_set(name, items)
        return cls(scalars, ranges, sets)

    def to_proto(self, allocation_role: str | None = None) -> list[mesos_pb2.Resource]:
        out: list[mesos_pb2.Resource] = []
        for name, value in self.scalars.items():
            r = mesos_pb2.Resource(name=name, type=mesos_pb2.Value.SCALAR)
            r.scalar.value = value
            out.append(r)
        for name, rs in self.ranges.items():
            r = mesos_pb2.Resource(name=name, type=mesos_pb2.Value.RANGES)
            for b, e in rs:
                r.ranges.range.add(begin=b, end=e)
            out.append(r)
        for name, items in self.sets.items():
            r = mesos_pb2.Resource(name=name, type=mesos_pb2.Value.SET)
            r.set.item.extend(sorted(items))
            out.append(r)
        if allocation_role is not None:
            for r in out:
                r.allocation_info.role = allocation_role
        return out

    # --------------------------------------------------------------------------- arithmetic

    def __add__(self, other: Resources) -> Resources:
        scalars = dict(self.scalars)
        for k, v in other.scalars.items():
            scalars[k] = _fix(scalars.get(k, 0.0) + v)
        ranges = dict(self.ranges)
        for k, v in other.ranges.items():
            ranges[k] = _merge(ranges.get(k, ()) + v)
        sets = dict(self.sets)
        for k, v in other.sets.items():
            sets[k] = sets.get(k, frozenset()) | v
        return Resources._raw(scalars, ranges, sets)

    def __sub__(self, other: Resources) -> Resources:
        """What is left after taking `other` away; never negative."""
        scalars = dict(self.scalars)
        for k, v in other.scalars.items():
            if k in scalars:
                left = _fix(scalars[k] - v)
                if left > 0:
                    scalars[k] = left
                else:
                    del scalars[k]
        ranges = dict(self.ranges)
        for k, v in other.ranges.items():
            if k in ranges:
                left_r = _subtract_ranges(ranges[k], v)
                if left_r:
                    ranges[k] = left_r
                else:
                    del ranges[k]
        sets = dict(self.sets)
        for k, v in other.sets.items():
            if k in sets:
                left_s = sets[k] - v
                if left_s:
                    sets[k] = left_s
                else:
                    del sets[k]
        return Resources._raw(scalars, ranges, sets)

    def contains(self, other: Resources) -> bool:
        """True when `other` fits inside this."""
        mine = self.scalars
        for k, v in other.scalars.items():
            if mine.get(k, 0.0) < v:
                return False
        for k, v in other.ranges.items():
            if not _ranges_contain(self.ranges.get(k, ()), v):
                return False
        for k, v in other.sets.items():
            if not v <= self.sets.get(k, frozenset()):
                return False
        return True

    __ge__ = contains

    def __le__(self, other: Resources) -> bool:
        return other.contains(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resources):
            return NotImplemented
        return (
            self.scalars == other.scalars
            and self.ranges == other.ranges
            and self.sets == other.sets
        )

    def __hash__(self) -> int:
        return hash(
            (
                frozenset(self.scalars.items()),
                frozenset(self.ranges.items()),
                frozenset(self.sets.items()),
            )
        )

    def __bool__(self) -> bool:
        return bool(self.scalars or self.ranges or self.sets)

    def is_empty(self) -> bool:
        return not self

    def scalar(self, name: str) -> float:
        return self.scalars.get(name, 0.0)

    @property
    def cpus(self) -> float:
        return self.scalars.get("cpus", 0.0)

    @property
    def mem(self) -> float:
        return self.scalars.get("mem", 0.0)

    @property
    def disk(self) -> float:
        return self.scalars.get("disk", 0.0)

    def names(self) -> set[str]:
        return set(self.scalars) | set(self.ranges) | set(self.sets)

    # ----------------------------------------------------------------------------- text

    def __str__(self) -> str:
        parts = [f"{k}:{_fmt(v)}" for k, v in _ordered(self.scalars)]
        parts += [
            f"{k}:[{','.join(f'{b}-{e}' for b, e in v)}]" for k, v in sorted(self.ranges.items())
        ]
        parts += [f"{k}:{{{','.join(sorted(v))}}}" for k, v in sorted(self.sets.items())]
        return ";".join(parts)

    def __repr__(self) -> str:
        return f"Resources({str(self)!r})"


def check_resource(r: mesos_pb2.Resource) -> None:
    """One Resource proto is well-formed, finite and bounded; ResourceError says what is not."""
    name = r.name
    if not isinstance(name, str):
        raise ResourceError("a resource name is not valid UTF-8")
    if not name:
        raise ResourceError("a resource has no name")
    if len(name) > MAX_NAME or any(ord(c) < 32 or c in ";:()[]{}" for c in name):
        shown = name if len(name) <= 40 else name[:37] + "..."
        raise ResourceError(f"resource name {shown!r} is not allowed")
    if r.type == mesos_pb2.Value.SCALAR:
        if not r.HasField("scalar"):
            raise ResourceError(f"resource {name} is a scalar without a value")
        _check_scalar(name, r.scalar.value)
    elif r.type == mesos_pb2.Value.RANGES:
        _check_ranges(name, [(g.begin, g.end) for g in r.ranges.range])
    elif r.type == mesos_pb2.Value.SET:
        _check_set(name, r.set.item)
    else:
        raise ResourceError(f"resource {name} has an unsupported type")


def _check_scalar(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ResourceError(f"resource {name} has a bad value {value}: must be finite and >= 0")
    if value > MAX_SCALAR:
        raise ResourceError(f"resource {name} is {value:g}, more than the limit of {MAX_SCALAR:g}")


def _check_ranges(name: str, ranges: Iterable[Range]) -> None:
    count = 0
    top = MAX_PORT if name == "ports" else MAX_RANGE_VALUE
    for begin, end in ranges:
        count += 1
        if begin > end:
            raise ResourceError(f"resource {name} has a bad range {begin}-{end}")
        if end > top:
            raise ResourceError(f"resource {name} has a range ending at {end}, above {top}")
    if count > MAX_RANGES:
        raise ResourceError(f"resource {name} has {count} ranges; the limit is {MAX_RANGES}")


def _check_set(name: str, items: Iterable[str]) -> None:
    count = 0
    for item in items:
        count += 1
        if not isinstance(item, str) or len(item) > MAX_NAME:
            raise ResourceError(f"resource {name} has a set item that is not valid or too long")
    if count > MAX_SET_ITEMS:
        raise ResourceError(f"resource {name} has {count} set items; the limit is {MAX_SET_ITEMS}")


def _ordered(scalars: dict[str, float]) -> list[tuple[str, float]]:
    known = [(k, scalars[k]) for k in KNOWN_SCALARS if k in scalars]
    rest = sorted((k, v) for k, v in scalars.items() if k not in KNOWN_SCALARS)
    return known + rest


def _fmt(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def _parse_ranges(body: str, item: str) -> list[Range]:
    out: list[Range] = []
    for piece in body.split(","):
        piece = piece.strip()
        if not piece:
            continue
        b, sep, e = piece.partition("-")
        try:
            begin = int(b)
            end = int(e) if sep else begin
        except ValueError:
            raise ResourceError(f"bad range {piece!r} in {item!r}: expected begin-end") from None
        if begin < 0 or end < begin:
            raise ResourceError(f"bad range {piece!r} in {item!r}: begin must be <= end")
        out.append((begin, end))
    return out


EMPTY = Resources()
