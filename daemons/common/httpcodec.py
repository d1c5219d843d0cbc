"""What every HTTP edge of Mesos's v1 APIs shares: bodies in JSON or protobuf, chosen by
Content-Type (what is sent) and Accept (what is wanted), and errors as a status code with one
line of text, as Mesos's src/common/http.cpp answers them.

The master's http.py has its own copy of these (it came first); the agent's edge uses this
module, and the master's can move onto it.
"""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web
from google.protobuf.message import DecodeError, Message

from daemons.common import protojson

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
# Ask for this project's additions (fields numbered from 100) in JSON answers.
EXTENSIONS = "Mesos-Tui-Extensions"

M = TypeVar("M", bound=Message)


def error(status: int, text: str) -> web.Response:
    """Mesos's error answer: a status and one line of text."""
    line = " ".join(text.split("\n")).strip()
    return web.Response(status=status, text=line, content_type="text/plain")


def method_not_allowed(request: web.Request, allowed: tuple[str, ...]) -> web.Response:
    names = ", ".join(f"'{m}'" for m in allowed)
    return web.Response(
        status=405,
        headers={"Allow": ", ".join(allowed)},
        text=f"Expecting one of {{ {names} }}, but received '{request.method}'",
        content_type="text/plain",
    )


def media(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower()


def accepts(request: web.Request, kind: str) -> bool:
    """Whether the Accept header allows `kind` (no header: anything)."""
    header = request.headers.get("Accept")
    if header is None or not header.strip():
        return True
    family = kind.split("/", 1)[0] + "/*"
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        if fields[0].lower() not in (kind, family, "*/*"):
            continue
        q = next((f[2:] for f in fields[1:] if f.lower().startswith("q=")), "1")
        try:
            if float(q) > 0:
                return True
        except ValueError:
            return True
    return False


def response_type(request: web.Request) -> str | None:
    """JSON if acceptable, else protobuf if acceptable (Mesos's order), else None."""
    if accepts(request, JSON):
        return JSON
    if accepts(request, PROTOBUF):
        return PROTOBUF
    return None


def not_acceptable() -> web.Response:
    return error(406, f"Expecting 'Accept' to allow '{PROTOBUF}' or '{JSON}'")


def wants_extensions(request: web.Request) -> bool:
    return request.headers.get(EXTENSIONS, "").strip().lower() in ("1", "true", "yes")


async def decode(request: web.Request, cls: type[M]) -> M | web.Response:
    """The request's body as a `cls` message, or the error answer Mesos gives."""
    kind = media(request.headers.get("Content-Type"))
    if kind is None:
        return error(400, "Expecting 'Content-Type' to be present")
    if kind not in (JSON, PROTOBUF):
        return error(415, f"Expecting 'Content-Type' of {JSON} or {PROTOBUF}")
    body = await request.read()
    if kind == PROTOBUF:
        message = cls()
        try:
            message.ParseFromString(body)
        except (DecodeError, RecursionError, ValueError):
            return error(400, "Failed to parse body into Call protobuf")
        return message
    try:
        return protojson.parse(body, cls)
    except protojson.JsonError as e:
        return error(400, str(e))


def encode(message: Message, content_type: str, extensions: bool = False) -> web.Response:
    """A 200 answer carrying `message` in `content_type`."""
    if content_type == PROTOBUF:
        body = message.SerializeToString()
    else:
        body = protojson.dumps(message, extensions)
    return web.Response(status=200, body=body, content_type=content_type)


def json_response(request: web.Request, obj: object) -> web.Response:
    """A JSON value; wrapped in the `jsonp` callback when the query names a plain one."""
    body = protojson.dumps_obj(obj)
    callback = request.query.get("jsonp")
    if callback and len(callback) <= 100 and callback.replace("_", "").replace(".", "").isalnum():
        return web.Response(
            body=callback.encode() + b"(" + body + b");", content_type="text/javascript"
        )
    return web.Response(body=body, content_type=JSON)
