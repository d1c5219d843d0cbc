"""The executor HTTP API: `POST /api/v1/executor`, as Mesos's executor-http-api.md describes.

A custom executor (executors.py) finds this endpoint in MESOS_AGENT_ENDPOINT and POSTs Calls
(`application/json` or `application/x-protobuf`, Mesos's JSON rules, see protojson.py):

- SUBSCRIBE: `200 OK`, chunked, a RecordIO stream (`<length>\\n<record>`) of Events in the type
  `Accept` asks for: SUBSCRIBED, then LAUNCH, KILL, ACKNOWLEDGED, MESSAGE, SHUTDOWN, and a
  HEARTBEAT every `executor_heartbeat_interval` (Mesos: 30 minutes). A second SUBSCRIBE of
  the same executor replaces the first stream.
- UPDATE, MESSAGE: `202 Accepted`; HEARTBEAT: 202.
- Errors, one line of text: 400 (no or bad Content-Type body, a call that fails Mesos's
  validation, unknown framework or executor, a task not of this executor), 403 (UPDATE or
  MESSAGE before SUBSCRIBE), 405 (not POST), 406 (`Accept` allows neither type), 413 (body
  over 4 MB), 415 (other Content-Type), 501 (UNKNOWN call), 503 (the agent is not registered).

Each stream's buffer is bounded (STREAM_BUFFER_BYTES): an executor that stops reading is cut
off (it may subscribe again) rather than buffered for without bound.

`routes(agent)` gives the handlers for any aiohttp application: the agent mounts them on its
own port (http.py's make_app), as Mesos does. `serve_executor_api` also serves them on a
loopback port of their own, plain HTTP whatever the agent's TLS settings, which
MESOS_AGENT_ENDPOINT names; that port is kept across restarts so that executors find a
restarted agent again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from google.protobuf.message import DecodeError

from daemons.agent.executors import REGISTERING, ExecutorCallError, ExecutorRecord
from daemons.common import protojson, recordio
from daemons.common.httpcodec import accepts as _accepts
from daemons.common.httpcodec import media as _media
from daemons.common.validation import Invalid, check_message
from daemons.proto import executor_pb2, mesos_pb2

if TYPE_CHECKING:
    from daemons.agent.agent import Agent

log = logging.getLogger(__name__)

JSON = "application/json"
PROTOBUF = "application/x-protobuf"
MAX_BODY_BYTES = 4 * 1024 * 1024
STREAM_BUFFER_BYTES = 16 * 1024 * 1024
PATHS = ("/api/v1/executor", "/slave(1)/api/v1/executor")
Call = executor_pb2.Call
Event = executor_pb2.Event


def _error(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text.replace("\n", " "), content_type="text/plain")


def validate_call(call: executor_pb2.Call) -> str | None:
    """Mesos's `validateExecutorCall` (src/common/validation.cpp); None when valid."""
    if not call.HasField("type"):
        return "Expecting 'type' to be present"
    if not call.executor_id.value:
        return "Expecting 'executor_id' to be present"
    if not call.framework_id.value:
        return "Expecting 'framework_id' to be present"
    if call.type == Call.SUBSCRIBE and not call.HasField("subscribe"):
        return "Expecting 'subscribe' to be present"
    if call.type == Call.UPDATE:
        if not call.HasField("update"):
            return "Expecting 'update' to be present"
        status = call.update.status
        if not status.HasField("uuid"):
            return "Expecting 'uuid' to be present"
        if len(status.uuid) != 16:
            return f"Expecting 'uuid' to be a 16-byte UUID, got {len(status.uuid)} bytes"
        if status.HasField("executor_id") and status.executor_id.value != call.executor_id.value:
            return (
                f"ExecutorID in Call: {call.executor_id.value} does not match ExecutorID in "
                f"TaskStatus: {status.executor_id.value}"
            )
        if status.source != mesos_pb2.TaskStatus.SOURCE_EXECUTOR:
            return (
                f"Received Call from executor {call.executor_id.value} of framework "
                f"{call.framework_id.value} with invalid source, expecting 'SOURCE_EXECUTOR'"
            )
        if status.state == mesos_pb2.TASK_STAGING:
            return (
                f"Received TASK_STAGING from executor {call.executor_id.value} of framework "
                f"{call.framework_id.value} which is not allowed"
            )
        if not status.task_id.value:
            return "Expecting 'update.status.task_id' to be present"
    if call.type == Call.MESSAGE and not call.HasField("message"):
        return "Expecting 'message' to be present"
    return None


class ExecutorStream:
    """One executor's subscription: Events encoded at once in its content type, into a buffer
    bounded in bytes; the handler writes them out."""

    def __init__(self, content_type: str, limit: int = STREAM_BUFFER_BYTES) -> None:
        self.content_type = content_type
        self.limit = limit
        self.chunks: collections.deque[bytes] = collections.deque()
        self.size = 0
        self.closed = False
        self.overflowed = False
        self._ready = asyncio.Event()

    def encode(self, event: executor_pb2.Event) -> bytes:
        if self.content_type == PROTOBUF:
            return event.SerializeToString()
        return protojson.dumps(event)

    def send(self, event: executor_pb2.Event) -> None:
        if self.closed:
            return
        framed = recordio.encode(self.encode(event))
        if self.chunks and self.size + len(framed) > self.limit:
            log.warning("an executor fell %d bytes behind its event stream; cutting it off",
                        self.limit)
            self.overflowed = True
            self.chunks.clear()
            self.size = 0
            self.close()
            return
        self.chunks.append(framed)
        self.size += len(framed)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def take(self, timeout: float) -> bytes | None:
        """What waits, at once; b"" after `timeout` with nothing; None once closed."""
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


def routes(agent: Agent) -> list[web.RouteDef]:
    """The executor API of `agent`, as routes for any aiohttp application."""
    handler = _Handler(agent)
    return [web.route("*", path, handler.handle) for path in PATHS]


def add_routes(app: web.Application, agent: Agent) -> None:
    """Serve the executor API of `agent` on `app`."""
    app.router.add_routes(routes(agent))


class _Handler:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return _error(405, f"Expecting 'POST', received '{request.method}'")
        media = _media(request.headers.get("Content-Type"))
        if media is None:
            return _error(400, "Expecting 'Content-Type' to be present")
        if media not in (JSON, PROTOBUF):
            return _error(415, f"Expecting 'Content-Type' of {JSON} or {PROTOBUF}")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, f"Request body is over {MAX_BODY_BYTES} bytes")
        if media == PROTOBUF:
            call = Call()
            try:
                call.ParseFromString(body)
            except (DecodeError, RecursionError, ValueError):
                return _error(400, "Failed to parse body into Call protobuf")
        else:
            try:
                call = protojson.parse(body, Call)
            except protojson.JsonError as e:
                return _error(400, str(e))
        problem = validate_call(call)
        if problem is None:
            try:
                check_message(call, "Call")
            except Invalid as e:
                problem = str(e)
        if problem is not None:
            return _error(400, f"Failed to validate Executor::Call: {problem}")
        content_type = JSON
        if call.type == Call.SUBSCRIBE:
            if _accepts(request, JSON):
                content_type = JSON
            elif _accepts(request, PROTOBUF):
                content_type = PROTOBUF
            else:
                return _error(406, f"Expecting 'Accept' to allow '{PROTOBUF}' or '{JSON}'")
        elif call.type == Call.HEARTBEAT:
            return web.Response(status=202)
        elif call.type not in (Call.UPDATE, Call.MESSAGE):
            return _error(501, f"Call type {Call.Type.Name(call.type)} is not implemented")
        agent = self.agent
        if not agent.agent_id:
            return _error(503, "Agent has not registered with a master yet")
        try:
            executor = agent.find_executor(call.framework_id.value, call.executor_id.value)
            if call.type == Call.SUBSCRIBE:
                return await self._subscribe(request, call, executor, content_type)
            if executor.state == REGISTERING:
                return _error(403, "Executor is not subscribed")
            if call.type == Call.UPDATE:
                agent.executor_update(executor, call.update.status)
            else:
                agent.executor_message(executor, call.message.data)
        except ExecutorCallError as e:
            return _error(e.status, e.message)
        return web.Response(status=202)

    async def _subscribe(
        self, request: web.Request, call: executor_pb2.Call, executor: ExecutorRecord,
        content_type: str,
    ) -> web.StreamResponse:
        stream = ExecutorStream(content_type)
        self.agent.executor_subscribe(executor, stream, call.subscribe)
        response = web.StreamResponse(
            status=200, headers={"Content-Type": content_type, "Cache-Control": "no-cache"}
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        interval = max(0.05, self.agent.config.executor_heartbeat_interval)
        heartbeat = recordio.encode(stream.encode(Event(type=Event.HEARTBEAT)))
        try:
            while True:
                data = await stream.take(interval)
                if data is None:
                    break
                await response.write(data or heartbeat)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.agent.executor_disconnected(executor, stream)
            stream.close()
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await response.write_eof()
        return response


@dataclass(slots=True)
class ExecutorApiServer:
    """The executor API on its own loopback port."""

    runner: web.AppRunner
    endpoint: str  # host:port, for MESOS_AGENT_ENDPOINT
    agent: Agent

    async def stop(self) -> None:
        for executor in self.agent.executors.values():
            if executor.stream is not None:
                executor.stream.close()  # type: ignore[attr-defined]
        await self.runner.cleanup()


async def serve_executor_api(agent: Agent, port: int, port_file: Path) -> ExecutorApiServer:
    """Serve the executor API on 127.0.0.1: on `port`, else on the port of the last run (kept
    in `port_file`, so executors that outlive a restart find the agent where they left it),
    else on any free port."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    add_routes(app, agent)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    wanted = port
    if not wanted:
        with contextlib.suppress(OSError, ValueError):
            wanted = int(port_file.read_text().strip())
    bound = None
    for candidate in dict.fromkeys((wanted, 0)):
        site = web.TCPSite(runner, "127.0.0.1", candidate, reuse_address=True)
        try:
            await site.start()
        except OSError as e:
            if candidate == port and port:
                await runner.cleanup()
                raise OSError(f"cannot serve the executor API on port {port}: {e.strerror}") from None
            log.warning("the executor API's port %d is taken (%s); executors of the last run "
                        "cannot reconnect", candidate, e.strerror)
            continue
        server = site._server  # noqa: SLF001 - aiohttp exposes the bound port only here
        bound = server.sockets[0].getsockname()[1] if server is not None else candidate
        break
    if bound is None:
        await runner.cleanup()
        raise OSError("cannot serve the executor API on any port")
    with contextlib.suppress(OSError):
        tmp = port_file.with_name(f".{port_file.name}.{uuid.uuid4().hex}")
        tmp.write_text(f"{bound}\n")
        tmp.replace(port_file)
    log.info("executor API on 127.0.0.1:%d", bound)
    return ExecutorApiServer(runner, f"127.0.0.1:{bound}", agent)


__all__ = ["ExecutorApiServer", "ExecutorStream", "add_routes", "serve_executor_api", "validate_call"]
