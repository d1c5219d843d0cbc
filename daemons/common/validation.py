"""Validation at the edge: no single message may hurt a daemon.

Every message that arrives from outside (a scheduler Call, an operator Call, an agent's link
message at the master, a master's message at the agent) goes through `check_message` before
any of it becomes state. It walks the whole message once and refuses, with one sentence:

- a string that is not valid UTF-8 (protobuf's proto2 strings then surface as `bytes`, which
  used to become dictionary keys and break GET_STATE and the allocator);
- a string longer than its limit: ids `MAX_ID_BYTES` (Mesos's NAME_MAX), names and roles
  `MAX_NAME_CHARS`, commands and environment values `MAX_LONG_TEXT_CHARS`, anything else
  `MAX_TEXT_CHARS`;
- an id (FrameworkID, AgentID, TaskID, OfferID, ExecutorID, ContainerID) that could not be a
  path component: Mesos's `validateID` rules (no `/`, `\\`, control characters; not `.`/`..`);
- a double that is NaN or infinite;
- resources that are not finite and bounded (`check_resources`: scalars up to `MAX_SCALAR`,
  at most `MAX_RANGES` ranges per resource, `ports` within 0-65535, at most `MAX_SET_ITEMS`
  set items).

The gRPC servicers call it; the HTTP edge (issue 12) decodes JSON or protobuf into the same
messages and must call the same functions, so both edges refuse the same things with the same
words. Big messages are walked off the event loop (`check_message_async`), so a 4 MB ACCEPT
does not stall the master while it is checked.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

# Mesos's NAME_MAX for ids: they become directory names on agents.
MAX_ID_BYTES = 255
MAX_NAME_CHARS = 1024
MAX_TEXT_CHARS = 64 * 1024
MAX_LONG_TEXT_CHARS = 1024 * 1024
# Mesos keeps scalars as int64 fixed point with three decimals: about 9.2e15.
MAX_SCALAR = 1e15
MAX_RANGES = 4096
MAX_SET_ITEMS = 4096
MAX_PORT = 65535
# A message bigger than this (serialized) is walked in a worker thread.
ASYNC_CHECK_BYTES = 64 * 1024

ID_MESSAGES = frozenset(
    {
        "mesos.v1.FrameworkID",
        "mesos.v1.AgentID",
        "mesos.v1.TaskID",
        "mesos.v1.OfferID",
        "mesos.v1.ExecutorID",
        "mesos.v1.ContainerID",
    }
)
NAME_FIELDS = frozenset(
    {"name", "role", "roles", "user", "hostname", "principal", "version", "key"}
)
LONG_TEXT_FIELDS = {
    ("mesos.v1.CommandInfo", "value"),
    ("mesos.v1.CommandInfo", "arguments"),
    ("mesos.v1.Environment.Variable", "value"),
}
_STRING = FieldDescriptor.TYPE_STRING
_MESSAGE = FieldDescriptor.TYPE_MESSAGE
_GROUP = FieldDescriptor.TYPE_GROUP
_FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)


class Invalid(ValueError):
    """A message refused at the edge; the text is one sentence saying what is wrong."""

    code = "INVALID_ARGUMENT"


def check_id(value: str, what: str = "id") -> None:
    """Mesos's `validateID`: a non-empty name usable as one path component."""
    if not isinstance(value, str):
        raise Invalid(f"{what} is not valid UTF-8")
    if not value:
        raise Invalid(f"{what} is empty")
    if len(value.encode()) > MAX_ID_BYTES:
        raise Invalid(f"{what} is longer than {MAX_ID_BYTES} bytes")
    if value in (".", ".."):
        raise Invalid(f"{what} {value!r} is not allowed")
    for c in value:
        if c in "/\\" or ord(c) < 32 or ord(c) == 127:
            raise Invalid(
                f"{what} {_short(value)} holds {c!r}: ids may not hold '/', '\\' or control "
                "characters"
            )


def check_resources(resources: Iterable[Message], what: str = "resources") -> None:
    """Finite, bounded resources (the rules of Resources.from_proto, said before any state)."""
    from daemons.common.resources import ResourceError, check_resource

    for r in resources:
        try:
            check_resource(r)
        except ResourceError as e:
            raise Invalid(f"{what}: {e}") from None


def check_message(message: Message, what: str | None = None) -> None:
    """Walk `message` and raise `Invalid` at the first thing the rules above refuse."""
    _walk(message, what or message.DESCRIPTOR.name)


async def check_message_async(message: Message, what: str | None = None) -> None:
    """`check_message`, in a worker thread when the message is big (the loop keeps running)."""
    if message.ByteSize() > ASYNC_CHECK_BYTES:
        await asyncio.to_thread(check_message, message, what)
    else:
        check_message(message, what)


MAX_DEPTH = 32  # how deep a message may nest (a ContainerID's parents, say)


def _walk(message: Message, path: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise Invalid(f"{path} nests deeper than {MAX_DEPTH} messages")
    descriptor = message.DESCRIPTOR
    full_name = descriptor.full_name
    is_id = full_name in ID_MESSAGES
    if is_id and message.HasField("value") and message.value != "":
        check_id(message.value, path)
    if full_name == "mesos.v1.Resource":
        check_resources([message], path)
    for field, value in message.ListFields():
        if is_id and field.name == "value":
            continue
        where = f"{path}.{field.name}"
        repeated = field.is_repeated
        if field.type in (_MESSAGE, _GROUP):
            if field.message_type.GetOptions().map_entry:
                continue  # no maps in these protos; skip rather than guess
            if repeated:
                for i, item in enumerate(value):
                    _walk(item, f"{where}[{i}]", depth + 1)
            else:
                _walk(value, where, depth + 1)
        elif field.type == _STRING:
            limit = _limit(full_name, field.name)
            for item in value if repeated else (value,):
                _check_text(item, where, limit)
        elif field.type in _FLOATS:
            for item in value if repeated else (value,):
                if not math.isfinite(item):
                    raise Invalid(f"{where} is {item}: numbers must be finite")


def _limit(message: str, field: str) -> int:
    if (message, field) in LONG_TEXT_FIELDS:
        return MAX_LONG_TEXT_CHARS
    if field in NAME_FIELDS:
        return MAX_NAME_CHARS
    return MAX_TEXT_CHARS


def _check_text(value: object, where: str, limit: int) -> None:
    if not isinstance(value, str):
        raise Invalid(f"{where} is not valid UTF-8")
    if len(value) > limit:
        raise Invalid(f"{where} is {len(value)} characters long; the limit is {limit}")


def _short(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


__all__ = [
    "Invalid",
    "check_id",
    "check_message",
    "check_message_async",
    "check_resources",
]
