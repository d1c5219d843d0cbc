"""The agent's HTTP edge: Mesos's agent endpoints, on the agent's own port.

acceptor.py's SharedPort tells gRPC (the Files API) and HTTP/1.1 apart on accept, so the one
`--port` the master lists for this agent (`pid` `slave(1)@ip:port`) serves both our own tools
and an unmodified Mesos tool. The endpoints, with Mesos's paths and JSON field names (Mesos's
src/slave/http.cpp, src/files/files.cpp, operator-http-api.md's agent section):

- `GET /state` (`/state.json`, `/slave(1)/state`, `/slave(1)/state.json`): the agent, its
  frameworks, executors and tasks, in Mesos's older ("v0") JSON.
- `GET /monitor/statistics` (`.json`): per running executor, its ResourceStatistics, from the
  agent's own usage sampling (monitor.py); `/containers` the same per container.
- `GET /files/browse`, `/files/read` (`path`, `offset`, `length`; `offset=-1` answers the
  size), `/files/download`, `/files/debug`: the sandboxes. Paths are the executor's
  `directory` as `/state` shows it (absolute), Mesos's virtual
  `/frameworks/<fw>/executors/<ex>/runs/latest/...`, or relative to the sandboxes' root.
  Every file is reached through SandboxFiles (files.py), by descriptor from the root down,
  exactly as the gRPC Files API reaches it; every read is bounded (files.MAX_READ).
- `GET /health`, `/version`, `/flags`, `/metrics/snapshot`.
- `POST /api/v1`: the agent's v1 operator API (GET_HEALTH, GET_FLAGS, GET_VERSION,
  GET_METRICS, GET_STATE, GET_CONTAINERS, GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS,
  GET_AGENT, LIST_FILES, READ_FILE), JSON or protobuf (agent_api.proto).

Every endpoint also answers under `/slave(1)/...`, as Mesos routes the agent's process. Errors
are a status code and one line of text, as Mesos answers them.

`make_app(agent, routes)` builds the whole application; other edges of the agent (the executor
HTTP API, `POST /api/v1/executor`) are mounted by passing their routes, or by appending them to
`agent.http_routes` before the agent starts.
"""

from __future__ import annotations

import asyncio
import grp
import logging
import os
import pwd
import stat
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import grpc
from aiohttp import web

from daemons.agent.files import MAX_READ, FilesError
from daemons.common import httpcodec as hc
from daemons.common import protojson, v0json
from daemons.common.states import TERMINAL_STATES
from daemons.proto import agent_api_pb2, mesos_pb2

if TYPE_CHECKING:
    from daemons.agent.agent import Agent, TaskRecord

log = logging.getLogger(__name__)

Call = agent_api_pb2.Call
Response = agent_api_pb2.Response

# Largest body POST /api/v1 accepts: its calls are small (a path and two numbers at most).
MAX_CALL_BYTES = 1024 * 1024
# How old a usage sample may be before /monitor/statistics takes a new one: many readers at
# once share one sample instead of each walking every container.
STATISTICS_MAX_AGE = 1.0
DOWNLOAD_CHUNK = 256 * 1024

_FILES_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAVAILABLE: 503,
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# ----------------------------------------------------------------------------- the app


def make_app(agent: Agent, routes: Iterable[web.RouteDef] = ()) -> web.Application:
    """The agent's whole HTTP application: Mesos's agent endpoints, plus `routes` (and
    `agent.http_routes`) mounted beside them, under the same guard."""
    endpoints = AgentEndpoints(agent)
    app = web.Application(client_max_size=MAX_CALL_BYTES, middlewares=[_guard])
    own = {
        "state": endpoints.state,
        "state.json": endpoints.state,
        "monitor/statistics": endpoints.statistics,
        "monitor/statistics.json": endpoints.statistics,
        "containers": endpoints.containers,
        "health": endpoints.health,
        "flags": endpoints.flags,
        "api/v1": endpoints.operator_api,
    }
    for name, handler in own.items():
        for prefix in ("", "/slave(1)"):
            app.router.add_route("*", f"{prefix}/{name}", handler)
    for name, handler in {
        "browse": endpoints.browse,
        "browse.json": endpoints.browse,
        "read": endpoints.read,
        "read.json": endpoints.read,
        "download": endpoints.download,
        "download.json": endpoints.download,
        "debug": endpoints.debug,
        "debug.json": endpoints.debug,
    }.items():
        app.router.add_route("*", f"/files/{name}", handler)
    app.router.add_route("*", "/version", endpoints.version)
    app.router.add_route("*", "/metrics/snapshot", endpoints.metrics)
    app.router.add_route("*", "/", endpoints.root)
    app.router.add_routes([*routes, *getattr(agent, "http_routes", ())])
    return app


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request passes here first, whichever route it is for.

    AUTHENTICATION HOOK: this is where a request's principal is established (HTTP Basic
    `Authorization`, or the client certificate under TLS) and checked, before any endpoint
    runs, with daemons/common/auth.py once it exists: refuse with 401 (and
    `WWW-Authenticate`) when credentials are required and missing or wrong, then put the
    principal on the request (`request["principal"]`) for the endpoints' ACL checks
    (`access_sandboxes` for /files and READ_FILE, `view_*` for /state). Until then every
    request is served, as the gRPC Files API does (files.allow_all).
    """
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception as e:
        log.exception("the agent's HTTP endpoint %s failed", request.path)
        return hc.error(500, f"The agent could not answer {request.path} ({type(e).__name__}); "
                        "see its log")


class AgentHttp:
    """The agent's HTTP application, set up to take connections from the shared port."""

    def __init__(self, agent: Agent, routes: Iterable[web.RouteDef] = ()) -> None:
        self.app = make_app(agent, routes)
        self.runner: web.AppRunner | None = None

    async def start(self) -> Callable[[], asyncio.Protocol]:
        """Set up the app; answers the factory of protocols for connections handed to it."""
        self.runner = web.AppRunner(
            self.app, handle_signals=False, access_log=None, handler_cancellation=True
        )
        await self.runner.setup()
        server = self.runner.server
        assert server is not None
        return server  # type: ignore[return-value]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


# ----------------------------------------------------------------------------- the model


@dataclass(slots=True)
class ExecutorView:
    """One executor as the agent's endpoints show it, with its tasks."""

    framework_id: str
    executor_id: str
    name: str
    source: str
    container_id: str
    directory: str
    resources: list[mesos_pb2.Resource] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    info: mesos_pb2.ExecutorInfo | None = None

    @property
    def live(self) -> bool:
        return any(r.state not in TERMINAL_STATES for r in self.tasks)

    def executor_info(self) -> mesos_pb2.ExecutorInfo:
        if self.info is not None:
            return self.info
        info = mesos_pb2.ExecutorInfo(name=self.name, source=self.source)
        info.executor_id.value = self.executor_id
        info.framework_id.value = self.framework_id
        info.resources.extend(self.resources)
        return info


def _container_of(record: TaskRecord) -> str:
    if record.container is not None:
        return record.container.container_id
    return record.container_id or ""


def executors(agent: Agent) -> list[ExecutorView]:
    """The agent's executors, from its tasks (the ones it runs or still reports, then the
    completed ones it keeps): a command task is its own executor (Mesos's command executor,
    named after the task); a task with `TaskInfo.executor` belongs to it. Each run of an
    executor (each container) is one executor here, as in Mesos's `executors` and
    `completed_executors`."""
    out: dict[tuple[str, str, str], ExecutorView] = {}
    for record in [*agent.tasks.values(), *getattr(agent, "completed_tasks", ())]:
        key = (record.framework_id, record.executor_id, _container_of(record))
        view = out.get(key)
        if view is None:
            custom = record.info.executor if record.info.HasField("executor") else None
            command = record.info.command.value if record.info.HasField("command") else ""
            name = custom.name if custom is not None and custom.name else (
                f"Command Executor (Task: {record.task_id}) (Command: sh -c '{command[:256]}')"
            )
            view = ExecutorView(
                framework_id=record.framework_id,
                executor_id=record.executor_id,
                name=name,
                source=custom.source if custom is not None else record.task_id,
                container_id=key[2],
                directory=str(record.sandbox) if record.sandbox is not None else "",
                info=custom,
            )
            out[key] = view
        view.tasks.append(record)
        view.resources.extend(record.info.resources)
    return list(out.values())


def _role(info: mesos_pb2.FrameworkInfo | None) -> str:
    if info is None:
        return "*"
    return info.roles[0] if info.roles else info.role


def _flag_values(agent: Agent) -> dict[str, str]:
    return dict(sorted(getattr(agent.config, "flags", {}).items()))


def _pid(agent: Agent) -> str:
    return f"slave(1)@{agent.files_address}"


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _join(base: str, name: str) -> str:
    if not name:
        return base
    return base.rstrip("/") + "/" + name if base else name


def file_model(path: str, st: os.stat_result) -> dict[str, Any]:
    """Mesos's JSON for one file (src/common/http.cpp `model(FileInfo)`)."""
    return {
        "path": path,
        "nlink": st.st_nlink,
        "size": st.st_size,
        "mtime": int(st.st_mtime),
        "mode": stat.filemode(st.st_mode),
        "uid": _user(st.st_uid),
        "gid": _group(st.st_gid),
    }


def file_info(path: str, st: os.stat_result) -> agent_api_pb2.FileInfo:
    info = agent_api_pb2.FileInfo(
        path=path, nlink=st.st_nlink, size=st.st_size, mode=st.st_mode,
        uid=_user(st.st_uid), gid=_group(st.st_gid),
    )
    info.mtime.nanoseconds = st.st_mtime_ns
    return info


def _header_filename(name: str) -> str:
    """A file name fit for a Content-Disposition header: printable ASCII, no quote,
    backslash or semicolon (anything else becomes `_`)."""
    return "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name
    ) or "file"


def text_of(data: bytes) -> str:
    """File bytes as the JSON string Mesos's `/files/read` answers. Text is UTF-8; a multi-byte
    character cut by the end of the read is left for the next read (so `offset + len(data)`
    in bytes stays right for text), anything else undecodable becomes U+FFFD."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data" and e.start > 0 and len(data) - e.start < 4:
            return data[: e.start].decode("utf-8", "replace")
        return data.decode("utf-8", "replace")


# ----------------------------------------------------------------------------- endpoints


class AgentEndpoints:
    """The handlers: each translates one request onto the agent, nothing more."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.started = time.time()
        self._usage: tuple[float, mesos_pb2.ResourceUsage] | None = None
        self._sampling: asyncio.Future[mesos_pb2.ResourceUsage] | None = None

    # ------------------------------------------------------------------ the v0 endpoints

    async def state(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return hc.method_not_allowed(request, ("GET",))
        return hc.json_response(request, self.state_json())

    def state_json(self) -> dict[str, Any]:
        a = self.agent
        total = a.config.resources.to_proto()
        allocated: list[mesos_pb2.Resource] = []
        for record in a.tasks.values():
            if record.state not in TERMINAL_STATES:
                allocated.extend(record.info.resources)
        by_framework: dict[str, list[ExecutorView]] = {}
        for view in executors(a):
            by_framework.setdefault(view.framework_id, []).append(view)
        out: dict[str, Any] = {
            "version": _version(),
            "build_date": "",
            "build_time": 0,
            "build_user": "",
            "start_time": self.started,
            "id": a.agent_id or "",
            "pid": _pid(a),
            "hostname": a.config.hostname,
            "capabilities": [],
            "resources": v0json.resources(total),
            "reserved_resources": {},
            "unreserved_resources": v0json.resources(total),
            "reserved_resources_full": {},
            "unreserved_resources_full": [protojson.to_dict(r) for r in total],
            "reserved_resources_allocated": {},
            "unreserved_resources_allocated": v0json.resources(allocated),
            "resource_providers": [],
            "attributes": v0json.attributes(a.agent_info().attributes),
        }
        master = a.link.master if a.link.connected else None
        if master:
            out["master_hostname"] = master.rsplit(":", 1)[0]
        out["flags"] = _flag_values(a)
        out["frameworks"] = [
            self._framework_json(fid, views) for fid, views in sorted(by_framework.items())
            if fid in a.frameworks
        ]
        out["completed_frameworks"] = [
            self._framework_json(fid, views) for fid, views in sorted(by_framework.items())
            if fid not in a.frameworks
        ]
        return out

    def _framework_json(self, framework_id: str, views: list[ExecutorView]) -> dict[str, Any]:
        info = self.agent.frameworks.get(framework_id) or getattr(
            self.agent, "completed_frameworks", {}
        ).get(framework_id)
        role = _role(info)
        out: dict[str, Any] = {"id": framework_id}
        if info is not None:
            out.update({
                "name": info.name,
                "user": info.user,
                "failover_timeout": info.failover_timeout,
                "checkpoint": info.checkpoint,
                "hostname": info.hostname,
            })
            if info.HasField("principal"):
                out["principal"] = info.principal
            multi_role = any(
                c.type == mesos_pb2.FrameworkInfo.Capability.MULTI_ROLE for c in info.capabilities
            )
            if multi_role:
                out["roles"] = list(info.roles)
            else:
                out["role"] = role
        out["executors"] = [self._executor_json(v, role) for v in views if v.live]
        out["completed_executors"] = [self._executor_json(v, role) for v in views if not v.live]
        return out

    def _executor_json(self, view: ExecutorView, role: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": view.executor_id,
            "name": view.name,
            "source": view.source,
            "container": view.container_id,
            "directory": view.directory,
            "resources": v0json.resources(view.resources),
            "role": role,
        }
        if view.info is not None:
            if view.info.HasField("labels"):
                out["labels"] = v0json.labels(view.info.labels)
            if view.info.HasField("type"):
                out["type"] = mesos_pb2.ExecutorInfo.Type.Name(view.info.type)
        out["tasks"] = []
        out["queued_tasks"] = []
        out["completed_tasks"] = []
        for record in view.tasks:
            kind = "completed_tasks" if record.state in TERMINAL_STATES else "tasks"
            out[kind].append(v0json.task(self.agent._task_proto(record), role))
        return out

    async def usage(self) -> mesos_pb2.ResourceUsage:
        """The agent's latest usage sample (monitor.py's), shared by every reader for up to
        STATISTICS_MAX_AGE seconds; only one sample is ever being taken at a time."""
        now = time.monotonic()
        if self._usage is not None and now - self._usage[0] < STATISTICS_MAX_AGE:
            return self._usage[1]
        if self._sampling is None or self._sampling.done():
            self._sampling = asyncio.ensure_future(self._sample())
        return await asyncio.shield(self._sampling)

    async def _sample(self) -> mesos_pb2.ResourceUsage:
        report = await self.agent.usage_report()
        self._usage = (time.monotonic(), report.usage)
        return report.usage

    async def statistics(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return hc.method_not_allowed(request, ("GET",))
        usage = await self.usage()
        views = {(v.framework_id, v.executor_id): v for v in executors(self.agent)}
        extensions = hc.wants_extensions(request)
        out = []
        for executor in usage.executors:
            if not executor.HasField("statistics"):
                continue
            info = executor.executor_info
            view = views.get((info.framework_id.value, info.executor_id.value))
            out.append({
                "framework_id": info.framework_id.value,
                "executor_id": info.executor_id.value,
                "executor_name": view.name if view is not None else info.name,
                "source": view.source if view is not None else info.source,
                "statistics": protojson.to_dict(executor.statistics, extensions),
            })
        return hc.json_response(request, out)

    async def get_containers(self) -> Response.GetContainers:
        usage = await self.usage()
        stats = {e.container_id.value: e.statistics for e in usage.executors}
        out = Response.GetContainers()
        for view in executors(self.agent):
            running = [r for r in view.tasks if r.running and r.container is not None]
            if not running:
                continue
            container = running[0].container
            assert container is not None
            c = out.containers.add(executor_name=view.name)
            c.framework_id.value = view.framework_id
            c.executor_id.value = view.executor_id
            c.container_id.value = container.container_id
            c.container_status.container_id.value = container.container_id
            if container.pid:
                c.container_status.executor_pid = container.pid
            if container.container_id in stats:
                c.resource_statistics.CopyFrom(stats[container.container_id])
        return out

    async def containers(self, request: web.Request) -> web.StreamResponse:
        """`/containers`: Mesos's list of running containers with their statistics."""
        if request.method not in ("GET", "HEAD"):
            return hc.method_not_allowed(request, ("GET",))
        extensions = hc.wants_extensions(request)
        sources = {(v.framework_id, v.executor_id): v.source for v in executors(self.agent)}
        out = []
        for c in (await self.get_containers()).containers:
            entry: dict[str, Any] = {
                "framework_id": c.framework_id.value,
                "executor_id": c.executor_id.value,
                "executor_name": c.executor_name,
                "source": sources.get((c.framework_id.value, c.executor_id.value), ""),
                "container_id": c.container_id.value,
                "status": protojson.to_dict(c.container_status, extensions),
            }
            if c.HasField("resource_statistics"):
                entry["statistics"] = protojson.to_dict(c.resource_statistics, extensions)
            out.append(entry)
        return hc.json_response(request, out)

    async def health(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=200)

    async def flags(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return hc.method_not_allowed(request, ("GET",))
        return hc.json_response(request, {"flags": _flag_values(self.agent)})

    async def version(self, request: web.Request) -> web.StreamResponse:
        return hc.json_response(request, {
            "version": _version(), "build_date": "", "build_time": 0, "build_user": "",
            "git_sha": "", "git_tag": "",
        })

    def metrics_values(self) -> dict[str, float]:
        a = self.agent
        states: dict[int, int] = {}
        for record in a.tasks.values():
            states[record.state] = states.get(record.state, 0) + 1
        total = a.config.resources
        used_cpus = sum(
            r.resources.cpus for r in a.tasks.values() if r.state not in TERMINAL_STATES
        )
        used_mem = sum(
            r.resources.mem for r in a.tasks.values() if r.state not in TERMINAL_STATES
        )
        return {
            "slave/registered": 1.0 if a.registered.is_set() else 0.0,
            "slave/uptime_secs": time.time() - self.started,
            "slave/frameworks_active": float(len(a.frameworks)),
            "slave/executors_running": float(sum(1 for v in executors(a) if v.live)),
            "slave/tasks_staging": float(states.get(mesos_pb2.TASK_STAGING, 0)),
            "slave/tasks_starting": float(states.get(mesos_pb2.TASK_STARTING, 0)),
            "slave/tasks_running": float(states.get(mesos_pb2.TASK_RUNNING, 0)),
            "slave/tasks_killing": float(states.get(mesos_pb2.TASK_KILLING, 0)),
            "slave/cpus_total": float(total.cpus),
            "slave/cpus_used": float(used_cpus),
            "slave/mem_total": float(total.mem),
            "slave/mem_used": float(used_mem),
        }

    async def metrics(self, request: web.Request) -> web.StreamResponse:
        return hc.json_response(request, self.metrics_values())

    async def root(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            text=f"mesos-tui agent {self.agent.agent_id or '(not registered)'} ({_version()}): "
            "see /state, /monitor/statistics, /files/browse?path=... and POST /api/v1\n",
            content_type="text/plain",
        )

    # ------------------------------------------------------------------ files

    def _sandbox_path(self, path: str) -> str:
        """A request path as SandboxFiles takes it: Mesos's virtual `/frameworks/...` paths
        (the ones the agent attaches for each executor) become paths under this agent's own
        directory of the sandboxes' root; anything else is taken as it is (SandboxFiles
        refuses what is not under the root)."""
        if (path == "/frameworks" or path.startswith("/frameworks/")) and self.agent.agent_id:
            return f"{self.agent.agent_id}{path}"
        return path

    def _query_path(self, request: web.Request) -> str | web.Response:
        path = request.query.get("path")
        if not path:
            return hc.error(400, "Expecting 'path=value' in query.")
        return path

    async def browse(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return hc.method_not_allowed(request, ("GET",))
        path = self._query_path(request)
        if isinstance(path, web.Response):
            return path
        try:
            entries = await asyncio.to_thread(self.agent.files.entries, self._sandbox_path(path))
        except FilesError as e:
            return _files_error(e)
        return hc.json_response(request, [file_model(_join(path, n), st) for n, st in entries])

    async def read(self, request: web.Request) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return hc.method_not_allowed(request, ("GET",))
        path = self._query_path(request)
        if isinstance(path, web.Response):
            return path
        offset = -1
        if "offset" in request.query:
            try:
                offset = int(request.query["offset"])
            except ValueError:
                return hc.error(400, f"Failed to parse offset: {request.query['offset']!r} is "
                                "not a number.")
            if offset < -1:
                return hc.error(400, f"Negative offset provided: {offset}.")
        length: int | None = None
        if "length" in request.query:
            try:
                asked = int(request.query["length"])
            except ValueError:
                return hc.error(400, f"Failed to parse length: {request.query['length']!r} is "
                                "not a number.")
            if asked < -1:
                return hc.error(400, f"Negative length provided: {asked}.")
            if asked > -1:
                length = asked
        try:
            if offset == -1:  # Mesos's pailer asks the size this way
                size = await asyncio.to_thread(self._size, self._sandbox_path(path))
                return hc.json_response(request, {"data": "", "offset": size})
            if length == 0:
                await asyncio.to_thread(self._size, self._sandbox_path(path))
                return hc.json_response(request, {"data": "", "offset": offset})
            chunk = await asyncio.to_thread(
                self.agent.files.read, self._sandbox_path(path), offset, min(length or MAX_READ,
                                                                             MAX_READ)
            )
        except FilesError as e:
            return _files_error(e)
        data = chunk.data if offset < chunk.size else b""
        return hc.json_response(request, {"data": text_of(data), "offset": offset})

    def _size(self, path: str) -> int:
        fd, size = self.agent.files.open_file(path)
        os.close(fd)
        return size

    async def download(self, request: web.Request) -> web.StreamResponse:
        """The whole file, streamed from one descriptor (opened as the Files API opens it),
        as much of it as there was when it was opened; a chunk at a time, so a big file costs
        no more memory than a small one."""
        if request.method not in ("GET", "HEAD"):
            return hc.method_not_allowed(request, ("GET",))
        path = self._query_path(request)
        if isinstance(path, web.Response):
            return path
        try:
            fd, size = await asyncio.to_thread(self.agent.files.open_file, self._sandbox_path(path))
        except FilesError as e:
            if e.code == grpc.StatusCode.INVALID_ARGUMENT and "directory" in str(e):
                return hc.error(400, "Cannot download a directory.")
            return _files_error(e)
        try:
            name = os.path.basename(path.rstrip("/")) or "file"
            safe = _header_filename(name)
            response = web.StreamResponse(status=200, headers={
                "Content-Type": "application/octet-stream",
                "Content-Disposition": f'attachment; filename="{safe}"',
                "Content-Length": str(size),
            })
            await response.prepare(request)
            if request.method == "HEAD":
                return response
            position = 0
            while position < size:
                data = await asyncio.to_thread(
                    os.pread, fd, min(DOWNLOAD_CHUNK, size - position), position
                )
                if not data:
                    # Truncated meanwhile: the promised length cannot be sent; end the
                    # connection so the client sees a short body, never a wrong one.
                    if request.transport is not None:
                        request.transport.close()
                    break
                await response.write(data)
                position += len(data)
            await response.write_eof()
            return response
        finally:
            os.close(fd)

    async def debug(self, request: web.Request) -> web.StreamResponse:
        """`/files/debug`: the virtual paths this agent serves, and where they lead."""
        out: dict[str, str] = {str(self.agent.files.root): str(self.agent.files.root)}
        for view in executors(self.agent):
            if view.directory:
                out[view.directory] = view.directory
                out[
                    f"/frameworks/{view.framework_id}/executors/{view.executor_id}/runs/latest"
                ] = view.directory
        return hc.json_response(request, out)

    # ------------------------------------------------------------------ POST /api/v1

    async def operator_api(self, request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            return hc.method_not_allowed(request, ("POST",))
        call = await hc.decode(request, Call)
        if isinstance(call, web.StreamResponse):
            return call
        content_type = hc.response_type(request)
        if content_type is None:
            return hc.not_acceptable()
        try:
            response = await self.call(call)
        except ApiError as e:
            return hc.error(e.status, str(e))
        return hc.encode(response, content_type, hc.wants_extensions(request))

    async def call(self, call: agent_api_pb2.Call) -> agent_api_pb2.Response:
        """One v1 agent Call, answered."""
        kind = call.type
        if kind == Call.UNKNOWN:
            raise ApiError(400, "Failed to validate agent::Call: Expecting 'type' to be present")
        a = self.agent
        if kind == Call.GET_HEALTH:
            return Response(type=Response.GET_HEALTH, get_health=Response.GetHealth(healthy=True))
        if kind == Call.GET_FLAGS:
            r = Response(type=Response.GET_FLAGS)
            for name, value in _flag_values(a).items():
                r.get_flags.flags.add(name=name, value=value)
            return r
        if kind == Call.GET_VERSION:
            r = Response(type=Response.GET_VERSION)
            r.get_version.version_info.version = _version()
            return r
        if kind == Call.GET_METRICS:
            r = Response(type=Response.GET_METRICS)
            for name, value in self.metrics_values().items():
                r.get_metrics.metrics.add(name=name, value=value)
            return r
        if kind == Call.GET_AGENT:
            return Response(
                type=Response.GET_AGENT, get_agent=Response.GetAgent(agent_info=a.agent_info())
            )
        if kind == Call.GET_STATE:
            r = Response(type=Response.GET_STATE)
            r.get_state.get_tasks.CopyFrom(self.get_tasks())
            r.get_state.get_executors.CopyFrom(self.get_executors())
            r.get_state.get_frameworks.CopyFrom(self.get_frameworks())
            return r
        if kind == Call.GET_TASKS:
            return Response(type=Response.GET_TASKS, get_tasks=self.get_tasks())
        if kind == Call.GET_EXECUTORS:
            return Response(type=Response.GET_EXECUTORS, get_executors=self.get_executors())
        if kind == Call.GET_FRAMEWORKS:
            return Response(type=Response.GET_FRAMEWORKS, get_frameworks=self.get_frameworks())
        if kind == Call.GET_CONTAINERS:
            return Response(type=Response.GET_CONTAINERS, get_containers=await self.get_containers())
        if kind == Call.LIST_FILES:
            if not call.HasField("list_files") or not call.list_files.path:
                raise ApiError(400, "Failed to validate agent::Call: Expecting 'list_files' "
                               "with a 'path' to be present")
            path = call.list_files.path
            try:
                entries = await asyncio.to_thread(a.files.entries, self._sandbox_path(path))
            except FilesError as e:
                raise ApiError(_FILES_STATUS.get(e.code, 500), str(e)) from None
            r = Response(type=Response.LIST_FILES)
            r.list_files.file_infos.extend(file_info(_join(path, n), st) for n, st in entries)
            return r
        if kind == Call.READ_FILE:
            if not call.HasField("read_file") or not call.read_file.path:
                raise ApiError(400, "Failed to validate agent::Call: Expecting 'read_file' "
                               "with a 'path' to be present")
            rf = call.read_file
            if rf.offset > 2**62:
                raise ApiError(400, f"Offset {rf.offset} is out of range")
            length = MAX_READ if not rf.HasField("length") else min(rf.length, MAX_READ)
            path = self._sandbox_path(rf.path)
            try:
                if length == 0:
                    size = await asyncio.to_thread(self._size, path)
                    data = b""
                else:
                    chunk = await asyncio.to_thread(a.files.read, path, rf.offset, length)
                    size = chunk.size
                    data = chunk.data if rf.offset < chunk.size else b""
            except FilesError as e:
                raise ApiError(_FILES_STATUS.get(e.code, 500), str(e)) from None
            return Response(
                type=Response.READ_FILE, read_file=Response.ReadFile(size=size, data=data)
            )
        name = Call.Type.Name(kind) if kind in Call.Type.values() else str(kind)
        raise ApiError(501, f"Unsupported call type {name} on this agent")

    def get_tasks(self) -> Response.GetTasks:
        out = Response.GetTasks()
        for record in getattr(self.agent, "completed_tasks", ()):
            out.completed_tasks.append(self.agent._task_proto(record))
        for record in self.agent.tasks.values():
            task = self.agent._task_proto(record)
            if record.state in TERMINAL_STATES:
                out.terminated_tasks.append(task)
            elif record.state == mesos_pb2.TASK_STAGING and record.container is None:
                out.queued_tasks.append(task)
            else:
                out.launched_tasks.append(task)
        return out

    def get_executors(self) -> Response.GetExecutors:
        out = Response.GetExecutors()
        for view in executors(self.agent):
            target = out.executors if view.live else out.completed_executors
            target.add(executor_info=view.executor_info())
        return out

    def get_frameworks(self) -> Response.GetFrameworks:
        out = Response.GetFrameworks()
        for _fid, info in sorted(self.agent.frameworks.items()):
            out.frameworks.add(framework_info=info)
        for fid, info in getattr(self.agent, "completed_frameworks", {}).items():
            if fid not in self.agent.frameworks:
                out.completed_frameworks.add(framework_info=info)
        return out


class ApiError(Exception):
    """A v1 call refused: its HTTP status and one line saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _files_error(e: FilesError) -> web.Response:
    return hc.error(_FILES_STATUS.get(e.code, 500), str(e))


def _version() -> str:
    from daemons.agent.agent import VERSION

    return VERSION


__all__ = ["AgentHttp", "ApiError", "make_app"]
