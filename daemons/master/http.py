"""The master's HTTP edge: Mesos's v1 HTTP APIs and the read-only endpoints Mesos tools use.

Served with aiohttp on the master's own port (see acceptor.py: gRPC and HTTP share it), so an
unmodified Mesos framework or tool given the same `--master` as our own tools reaches it.

- `POST /api/v1/scheduler`: the scheduler API, as Mesos's scheduler-http-api.md describes it.
  SUBSCRIBE answers 200 with a chunked RecordIO stream of Events and a `Mesos-Stream-Id`
  header (SUBSCRIBED, then a HEARTBEAT at once and every `heartbeat_interval_seconds`); every
  other call answers 202 Accepted, or 4xx/5xx with a one-line body.
- `POST /api/v1`: the operator API (GET_HEALTH ... GET_ROLES, GET_MASTER, SUBSCRIBE as a
  RecordIO stream, TEARDOWN, and this project's KILL_TASK and allocator controls).
- `GET /master/state` (`/state.json`), `/master/frameworks`, `/master/slaves`, `/master/tasks`,
  `/master/redirect`, `/master/flags`, `/metrics/snapshot`, `/health`, `/version`: the older
  JSON endpoints (state_json.py), Mesos's field names.

Each endpoint also answers under the longer prefix Mesos routes to it (`/master/api/v1`,
`/master/api/v1/scheduler`, `/master/state.json`, ...). Bodies are JSON or protobuf, chosen by
Content-Type (what is sent) and Accept (what is wanted); JSON follows Mesos's rules
(protojson.py). A standby answers the APIs and the state endpoints 307 with `Location:
//leader:port/path`, or 503 when no leader is known.

The handlers only translate: they decode, then call the front door (`calls.py`), the same one
the gRPC servicers call, so validation and semantics are the same on both edges. Each stream
has its own buffer, bounded in bytes: a client that stops reading is cut off (the master sees a
disconnection, as when the connection breaks), never buffered for without bound.

This project's additions (fields numbered from 100, the offer/usage/allocation events) are
left out of JSON and of the operator event stream unless the request says
`Mesos-Tui-Extensions: 1`; a Mesos client sees only what Mesos itself would send.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from google.protobuf.message import DecodeError, Message

from daemons.common import auth, protojson, recordio
from daemons.common.httpcodec import media as _media
from daemons.common.httpcodec import response_type as _response_type
from daemons.common.httpcodec import wants_extensions as _extensions
from daemons.master import calls, state_json
from daemons.master.calls import Caller
from daemons.master.events import SlowSubscriber, StreamClosed
from daemons.master.master import VERSION, CallError, Master, Outbox
from daemons.proto import master_pb2, scheduler_pb2

log = logging.getLogger("mesos.master")

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
STREAM_ID = "Mesos-Stream-Id"
EXTENSIONS = "Mesos-Tui-Extensions"
# Encoded events one stream may hold for a client that is not reading, before it is cut off.
STREAM_BUFFER_BYTES = 16 * 1024 * 1024

_STATUS = {
    "INVALID_ARGUMENT": 400,
    "NOT_FOUND": 400,  # Mesos: "Framework cannot be found", "No framework found with..."
    "OUT_OF_RANGE": 400,
    "ALREADY_EXISTS": 409,
    "FAILED_PRECONDITION": 403,  # Mesos: "Framework is not subscribed"
    "PERMISSION_DENIED": 403,
    "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
}
_EXTENSION_EVENTS = 100  # operator Event types from here up are this project's


def _error(status: int, text: str) -> web.Response:
    """Mesos's error answer: a status and one line of text."""
    return web.Response(status=status, text=text.replace("\n", " "), content_type="text/plain")


def _call_error(e: CallError) -> web.Response:
    response = _error(e.http_status or _STATUS.get(e.code, 500), e.message)
    if response.status == 401:
        response.headers["WWW-Authenticate"] = auth.WWW_AUTHENTICATE
    return response


def _not_acceptable() -> web.Response:
    return _error(406, f"Expecting 'Accept' to allow '{PROTOBUF}' or '{JSON}'")


@dataclass(frozen=True, slots=True)
class Codec:
    """How one client's messages are written: JSON or protobuf, with or without extensions."""

    content_type: str
    extensions: bool

    def encode(self, message: Message) -> bytes:
        if self.content_type == PROTOBUF:
            return message.SerializeToString()
        return protojson.dumps(message, self.extensions)


def _caller(request: web.Request) -> Caller:
    name = request.transport.get_extra_info("peername") if request.transport else None
    peer = ""
    if name:
        host, port = name[0], name[1]
        peer = f"ipv6:[{host}]:{port}" if ":" in host else f"ipv4:{host}:{port}"
    tls = bool(request.transport and request.transport.get_extra_info("ssl_object"))
    return Caller.from_authorization(
        "http", peer, request.headers.get(auth.HTTP_HEADER), tls=tls
    )


async def _decode(request: web.Request, cls: type[Message]) -> Message | web.Response:
    """The request's Call, or the error answer Mesos gives."""
    media = _media(request.headers.get("Content-Type"))
    if media is None:
        return _error(400, "Expecting 'Content-Type' to be present")
    if media not in (JSON, PROTOBUF):
        return _error(415, f"Expecting 'Content-Type' of {JSON} or {PROTOBUF}")
    body = await request.read()
    if media == PROTOBUF:
        message = cls()
        try:
            message.ParseFromString(body)
        except (DecodeError, RecursionError, ValueError):
            return _error(400, "Failed to parse body into Call protobuf")
        return message
    try:
        return protojson.parse(body, cls)
    except protojson.JsonError as e:
        return _error(400, str(e))


# ----------------------------------------------------------------------------- streams


class RecordBuffer:
    """Encoded RecordIO records waiting for one HTTP client, bounded in bytes. Going over the
    bound closes it (and calls `on_overflow`, which aborts the connection)."""

    def __init__(self, limit: int = STREAM_BUFFER_BYTES) -> None:
        self.limit = limit
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0
        self.closed = False
        self.overflowed = False
        self.on_overflow: Callable[[], None] | None = None
        self._ready = asyncio.Event()

    def put(self, record: bytes) -> bool:
        if self.closed:
            return False
        framed = recordio.encode(record)
        if self.chunks and self.size + len(framed) > self.limit:
            self.overflowed = True
            self.chunks.clear()
            self.size = 0
            self.close()
            if self.on_overflow is not None:
                self.on_overflow()
            return False
        self.chunks.append(framed)
        self.size += len(framed)
        self._ready.set()
        return True

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def take(self, timeout: float | None = None) -> bytes | None:
        """Everything waiting, at once; b"" after `timeout` with nothing; None once closed
        and drained."""
        if not self.chunks and not self.closed:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return b""
        if not self.chunks:
            return None
        data = b"".join(self.chunks)
        self.chunks.clear()
        self.size = 0
        return data


class HttpOutbox(Outbox):
    """A framework's event stream over HTTP: what the master sends is encoded at once into a
    bounded RecordBuffer, in the client's content type."""

    __slots__ = ("codec", "records")

    def __init__(self, peer: str, codec: Codec, limit: int = STREAM_BUFFER_BYTES) -> None:
        super().__init__(peer=peer)
        self.codec = codec
        self.records = RecordBuffer(limit)

    def send(self, message: object) -> None:
        if self.closed:
            return
        if not self.records.put(self.codec.encode(message)):  # type: ignore[arg-type]
            self.close(
                f"the framework fell more than {self.records.limit} bytes behind its event "
                "stream; subscribe again"
            )

    def close(self, error: str | None = None) -> None:
        if not self.closed:
            self.closed = True
            self.error = error
            self.records.close()


async def _open_stream(request: web.Request, content_type: str, headers: dict[str, str]) -> web.StreamResponse:
    response = web.StreamResponse(
        status=200, headers={"Content-Type": content_type, "Cache-Control": "no-cache", **headers}
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    return response


def _abort_connection(request: web.Request) -> Callable[[], None]:
    def abort() -> None:
        if request.transport is not None:
            request.transport.abort()

    return abort


# ----------------------------------------------------------------------------- the app


class MasterHttp:
    """The aiohttp application of one master."""

    def __init__(self, master: Master) -> None:
        self.master = master
        app = web.Application(client_max_size=calls.MAX_CALL_BYTES)
        routes = [
            ("api/v1/scheduler", self.scheduler_api),
            ("api/v1", self.operator_api),
            ("state", self.state),
            ("state.json", self.state),
            ("frameworks", self.frameworks),
            ("frameworks.json", self.frameworks),
            ("slaves", self.slaves),
            ("slaves.json", self.slaves),
            ("tasks", self.tasks),
            ("tasks.json", self.tasks),
            ("redirect", self.redirect),
            ("health", self.health),
            ("flags", self.flags),
        ]
        for name, handler in routes:
            for path in (f"/{name}", f"/master/{name}"):
                app.router.add_route("*", path, handler)
        app.router.add_route("*", "/metrics/snapshot", self.metrics)
        app.router.add_route("*", "/version", self.version)
        app.router.add_route("*", "/", self.root)
        self.app = app
        self.runner: web.AppRunner | None = None

    async def start(self) -> Callable[[], asyncio.Protocol]:
        """Set up the app; answers the factory of protocols for connections handed to it."""
        self.runner = web.AppRunner(self.app, handle_signals=False, access_log=None,
                                    handler_cancellation=True)
        await self.runner.setup()
        server = self.runner.server
        assert server is not None
        return server  # type: ignore[return-value]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # ------------------------------------------------------------------ leadership

    async def _redirect_unless_leading(self, request: web.Request) -> web.Response | None:
        leader = await calls.leader_elsewhere(self.master)
        if leader is None:
            return None
        if not leader:
            return _error(503, "No leader elected")
        location = f"//{leader}{request.path_qs}"
        log.debug("Redirecting %s to the leading master %s", request.path, leader)
        return web.Response(status=307, headers={"Location": location})

    # ------------------------------------------------------------------ scheduler API

    async def scheduler_api(self, request: web.Request) -> web.StreamResponse:
        answer = await self._redirect_unless_leading(request)
        if answer is not None:
            return answer
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"},
                                text=f"Expecting one of {{ 'POST' }}, but received '{request.method}'")
        call = await _decode(request, scheduler_pb2.Call)
        if isinstance(call, web.StreamResponse):
            return call
        assert isinstance(call, scheduler_pb2.Call)
        caller = _caller(request)
        if call.type == scheduler_pb2.Call.SUBSCRIBE:
            return await self._subscribe(request, caller, call)
        stream_id = request.headers.get(STREAM_ID)
        try:
            await calls.scheduler_call(self.master, caller, call, stream_id or "")
        except CallError as e:
            if stream_id is None and e.http_status == 400:
                return _error(
                    400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
                )
            return _call_error(e)
        return web.Response(status=202)

    async def _subscribe(
        self, request: web.Request, caller: Caller, call: scheduler_pb2.Call
    ) -> web.StreamResponse:
        content_type = _response_type(request)
        if content_type is None:
            return _not_acceptable()
        if STREAM_ID in request.headers:
            return _error(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
        outbox = HttpOutbox(caller.peer, Codec(content_type, _extensions(request)))
        try:
            fw, stream_id = calls.scheduler_subscribe(self.master, caller, call, outbox)
        except CallError as e:
            return _call_error(e)
        # Mesos's heartbeater beats once at once, then every interval (the master's loop).
        outbox.send(scheduler_pb2.Event(type=scheduler_pb2.Event.HEARTBEAT))
        outbox.records.on_overflow = _abort_connection(request)
        response: web.StreamResponse | None = None
        try:
            response = await _open_stream(request, content_type, {STREAM_ID: stream_id})
            while True:
                data = await outbox.records.take()
                if data is None:
                    break
                await response.write(data)
            if outbox.error:
                log.info("Event stream of framework %s closed: %s", fw.framework_id, outbox.error)
        except ConnectionError:
            pass  # the framework went away: disconnected, below
        finally:
            outbox.close()
            self.master.framework_disconnected(fw, outbox)
        return response if response is not None else web.Response(status=500)

    # ------------------------------------------------------------------ operator API

    async def operator_api(self, request: web.Request) -> web.StreamResponse:
        answer = await self._redirect_unless_leading(request)
        if answer is not None:
            return answer
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"},
                                text=f"Expecting one of {{ 'POST' }}, but received '{request.method}'")
        call = await _decode(request, master_pb2.Call)
        if isinstance(call, web.StreamResponse):
            return call
        assert isinstance(call, master_pb2.Call)
        content_type = _response_type(request)
        if content_type is None:
            return _not_acceptable()
        codec = Codec(content_type, _extensions(request))
        caller = _caller(request)
        if call.type == master_pb2.Call.SUBSCRIBE:
            return await self._operator_stream(request, caller, codec)
        try:
            response = calls.operator_call(self.master, caller, call)
        except CallError as e:
            return _call_error(e)
        if response.type == master_pb2.Response.ACCEPTED:
            return web.Response(status=200)  # as Mesos answers TEARDOWN
        return web.Response(status=200, body=codec.encode(response), content_type=content_type)

    async def _operator_stream(
        self, request: web.Request, caller: Caller, codec: Codec
    ) -> web.StreamResponse:
        m = self.master
        try:
            sub, subscribed = calls.operator_subscribe(m, caller)
        except CallError as e:
            return _call_error(e)
        records = RecordBuffer()
        records.on_overflow = _abort_connection(request)
        beat = codec.encode(master_pb2.Event(type=master_pb2.Event.HEARTBEAT))
        records.put(codec.encode(subscribed))
        records.put(beat)

        async def pump() -> None:
            try:
                while True:
                    event = await sub.next()
                    if not codec.extensions and event.type >= _EXTENSION_EVENTS:
                        continue
                    if not records.put(codec.encode(event)):
                        return
            except (SlowSubscriber, StreamClosed) as e:
                log.info("Operator event stream to %s closed: %s", caller.peer, e)
            finally:
                records.close()

        pumping = asyncio.get_running_loop().create_task(pump())
        loop = asyncio.get_running_loop()
        interval = m.config.heartbeat_interval
        response: web.StreamResponse | None = None
        try:
            response = await _open_stream(request, codec.content_type, {})
            next_beat = loop.time() + interval
            while True:
                data = await records.take(max(next_beat - loop.time(), 0.0))
                if data is None:
                    break
                if loop.time() >= next_beat:
                    data += recordio.encode(beat)
                    next_beat = loop.time() + interval
                if data:
                    await response.write(data)
        except ConnectionError:
            pass
        finally:
            pumping.cancel()
            m.events.unsubscribe(sub)
        return response if response is not None else web.Response(status=500)

    # ------------------------------------------------------------------ read-only endpoints

    def _json(self, request: web.Request, obj: object) -> web.Response:
        body = protojson.dumps_obj(obj)
        callback = request.query.get("jsonp")
        if callback and callback.replace("_", "").replace(".", "").isalnum():
            return web.Response(body=callback.encode() + b"(" + body + b");",
                                content_type="text/javascript")
        return web.Response(body=body, content_type=JSON)

    async def state(self, request: web.Request) -> web.Response:
        answer = await self._redirect_unless_leading(request)
        if answer is not None:
            return answer
        m = self.master
        try:
            state = calls.read_state(m, _caller(request), request.path)
        except CallError as e:
            return _call_error(e)
        return self._json(request, state_json.state(
            state, m.master_info, m.start_time, m.elected_time, m.config.flags,
            m.config.flags.get("cluster", ""), len(m.unreachable_agents), VERSION,
        ))

    async def frameworks(self, request: web.Request) -> web.Response:
        answer = await self._redirect_unless_leading(request)
        if answer is not None:
            return answer
        try:
            state = calls.read_state(self.master, _caller(request), request.path)
        except CallError as e:
            return _call_error(e)
        return self._json(request, state_json.frameworks(state, request.query.get("framework_id")))

    async def slaves(self, request: web.Request) -> web.Response:
        answer = await self._redirect_unless_leading(request)
        if answer is not None:
            return answer
        try:
            state = calls.read_state(self.master, _caller(request), request.path)
        except CallError as e:
            return _call_error(e)
        return self._json(request, state_json.slaves(state, request.query.get("slave_id")))

    async def tasks(self, request: web.Request) -> web.Response:
        answer = await self._redirect_unless_leading(request)
        if answer is not None:
            return answer
        try:
            state = calls.read_state(self.master, _caller(request), request.path)
        except CallError as e:
            return _call_error(e)
        q = request.query

        def number(name: str, default: int) -> int:
            text = q.get(name, "")
            return int(text) if text.isdigit() else default

        return self._json(request, state_json.tasks(
            state,
            limit=number("limit", state_json.TASK_LIMIT),
            offset=number("offset", 0),
            order=q.get("order", "des"),
            framework_id=q.get("framework_id"),
            task_id=q.get("task_id"),
        ))

    async def redirect(self, request: web.Request) -> web.Response:
        """`/master/redirect`: 307 to the leading master's base URL (itself if it leads)."""
        leader = await calls.leader_elsewhere(self.master)
        if leader is None:
            leader = self.master.address
        if not leader:
            return _error(503, "No leader elected")
        return web.Response(status=307, headers={"Location": f"//{leader}"})

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def flags(self, request: web.Request) -> web.Response:
        try:
            calls.read_only_endpoint(self.master, _caller(request), request.path)
        except CallError as e:
            return _call_error(e)
        return self._json(request, {"flags": dict(sorted(self.master.config.flags.items()))})

    async def metrics(self, request: web.Request) -> web.Response:
        try:
            calls.read_only_endpoint(self.master, _caller(request), request.path)
        except CallError as e:
            return _call_error(e)
        return self._json(request, {m.name: m.value for m in self.master.get_metrics()})

    async def version(self, request: web.Request) -> web.Response:
        return self._json(request, {
            "version": VERSION, "build_date": "", "build_time": 0, "build_user": "",
            "git_sha": "", "git_tag": "",
        })

    async def root(self, request: web.Request) -> web.Response:
        return web.Response(
            text=f"mesos-tui master {self.master.master_info.id} ({VERSION}): see /master/state, "
            "POST /api/v1 and /api/v1/scheduler\n",
            content_type="text/plain",
        )
