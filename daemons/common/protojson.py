"""Protobuf messages as Mesos writes and reads them in JSON (its v1 HTTP APIs).

Mesos's rules (stout's `JSON::Protobuf`), which differ from protobuf's own `json_format`:

- field names as in the .proto (snake_case); enums by name; bytes in base64;
- 64-bit integers are JSON numbers, not strings;
- a field is written when it is set, or when it is unset but has an explicit default in the
  .proto (`role` "*", `shell` true, `refuse_seconds` 5 ...); repeated fields when non-empty.

`to_dict(message, extensions=False)` leaves out what is not Mesos's: fields numbered 100 and up
(this project's additions, see master.proto), so a strict Mesos client sees only what it knows.
Records are compact and ASCII-only (`\\uXXXX` escapes), so a record has no newline inside and
its length in bytes equals its length in characters, which naive RecordIO readers assume.

`parse(body, cls)` reads JSON into a message the way Mesos does: unknown fields are ignored,
64-bit integers may be numbers or strings. Errors are one line, as Mesos words them.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

M = TypeVar("M", bound=Message)

# Field numbers from here up are this project's, not Mesos's.
EXTENSION_FIELDS = 100

_FD = FieldDescriptor


def is_repeated(field: FieldDescriptor) -> bool:
    """Whether a field is repeated (protobuf 5.28+ says so directly; older ones by label)."""
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return field.label == _FD.LABEL_REPEATED  # type: ignore[attr-defined]


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    t = field.type
    if t == _FD.TYPE_ENUM:
        enum_value = field.enum_type.values_by_number.get(value)
        return enum_value.name if enum_value is not None else value
    if t == _FD.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    if t in (_FD.TYPE_DOUBLE, _FD.TYPE_FLOAT) and not math.isfinite(value):
        return None
    if t == _FD.TYPE_STRING and isinstance(value, bytes):
        # Invalid UTF-8 that came in by protobuf (validation refuses it at the edge).
        return value.decode("utf-8", "replace")
    return value


def to_dict(message: Message, extensions: bool = False) -> dict[str, Any]:
    """`message` as Mesos's JSON object (see the module's rules)."""
    out: dict[str, Any] = {}
    descriptor = message.DESCRIPTOR
    for field in descriptor.fields:
        if not extensions and field.number >= EXTENSION_FIELDS:
            continue
        if is_repeated(field):
            values = getattr(message, field.name)
            if not len(values):
                continue
            if field.type == _FD.TYPE_MESSAGE:
                out[field.name] = [to_dict(v, extensions) for v in values]
            else:
                out[field.name] = [_scalar(field, v) for v in values]
            continue
        if field.type == _FD.TYPE_MESSAGE:
            if message.HasField(field.name):
                out[field.name] = to_dict(getattr(message, field.name), extensions)
            continue
        if message.HasField(field.name) or field.has_default_value:
            out[field.name] = _scalar(field, getattr(message, field.name))
    return out


def dumps_obj(obj: Any) -> bytes:
    """Any JSON value, compact and ASCII-only."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def dumps(message: Message, extensions: bool = False) -> bytes:
    return dumps_obj(to_dict(message, extensions))


class JsonError(ValueError):
    """A body that is not JSON, or JSON that does not fit the message."""


def parse(body: bytes | str, cls: type[M], what: str = "Call") -> M:
    """A message of type `cls` from JSON text; JsonError (one line) if it is not one."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise JsonError(f"Failed to parse body into JSON: {e}") from None
    if not isinstance(value, dict):
        raise JsonError(f"Failed to convert JSON into {what} protobuf: expected a JSON object")
    message = cls()
    try:
        json_format.ParseDict(value, message, ignore_unknown_fields=True)
    except (json_format.ParseError, RecursionError, TypeError, ValueError) as e:
        text = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise JsonError(f"Failed to convert JSON into {what} protobuf: {text}") from None
    return message
