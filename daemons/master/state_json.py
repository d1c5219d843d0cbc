"""The master's read-only JSON endpoints, in the shape Mesos's tools read them.

`/master/state`, `/master/frameworks`, `/master/slaves` and `/master/tasks` predate the v1 API
and have their own JSON ("v0"), which scripts, dashboards and CLIs still parse: agents are
`slaves` with a `slave_id`, resources are an object (`{"cpus": 4, "mem": 8192, "ports":
"[31000-32000]"}`), task states and capabilities are names, times are seconds. The field
names and layout follow Mesos's src/master/readonly_handler.cpp and src/common/http.cpp.

Everything here is built from the v1 messages the operator API serves (GetState and its
parts), so both views say the same thing; nothing reads the master's internals.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from daemons.common import protojson
from daemons.common.v0json import attributes as _attributes
from daemons.common.v0json import labels as _labels
from daemons.common.v0json import resources, task
from daemons.proto import master_pb2, mesos_pb2

# Mesos's default `limit` of /master/tasks.
TASK_LIMIT = 100

Value = mesos_pb2.Value
FrameworkCapability = mesos_pb2.FrameworkInfo.Capability
GetState = master_pb2.Response.GetState


def _seconds(t: mesos_pb2.TimeInfo) -> float:
    return t.nanoseconds / 1e9


def offer(o: mesos_pb2.Offer) -> dict[str, Any]:
    return {
        "id": o.id.value,
        "framework_id": o.framework_id.value,
        "allocation_info": protojson.to_dict(o.allocation_info),
        "slave_id": o.agent_id.value,
        "resources": resources(o.resources),
    }


def _framework_role(info: mesos_pb2.FrameworkInfo) -> str:
    return info.roles[0] if info.roles else info.role


def _tasks_by_framework(state: GetState) -> dict[str, dict[str, list[mesos_pb2.Task]]]:
    out: dict[str, dict[str, list[mesos_pb2.Task]]] = {}
    lists = state.get_tasks
    for kind, items in (
        ("tasks", lists.tasks), ("unreachable_tasks", lists.unreachable_tasks),
        ("completed_tasks", lists.completed_tasks),
    ):
        for t in items:
            out.setdefault(t.framework_id.value, {}).setdefault(kind, []).append(t)
    return out


def _command(c: mesos_pb2.CommandInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if c.HasField("shell"):
        out["shell"] = c.shell
    if c.HasField("value"):
        out["value"] = c.value
    out["argv"] = list(c.arguments)
    if c.HasField("environment"):
        out["environment"] = {
            "variables": [{"name": v.name, "value": v.value} for v in c.environment.variables]
        }
    out["uris"] = [{"value": u.value, "executable": u.executable} for u in c.uris]
    return out


def executor(e: master_pb2.Response.GetExecutors.Executor) -> dict[str, Any]:
    """An ExecutorInfo as Mesos's master writes it in a framework's `executors`."""
    info = e.executor_info
    out: dict[str, Any] = {
        "executor_id": info.executor_id.value,
        "name": info.name,
        "framework_id": info.framework_id.value,
        "command": _command(info.command),
        "resources": resources(info.resources),
    }
    if info.resources:
        out["role"] = info.resources[0].allocation_info.role or "*"
    if info.HasField("labels"):
        out["labels"] = _labels(info.labels)
    out["slave_id"] = e.agent_id.value
    return out


def framework(
    f: master_pb2.Response.GetFrameworks.Framework,
    tasks: dict[str, list[mesos_pb2.Task]],
    executors: Iterable[master_pb2.Response.GetExecutors.Executor] = (),
) -> dict[str, Any]:
    info = f.framework_info
    role = _framework_role(info)
    multi_role = any(c.type == FrameworkCapability.MULTI_ROLE for c in info.capabilities)
    registered = _seconds(f.registered_time)
    out: dict[str, Any] = {
        "id": info.id.value,
        "name": info.name,
        "used_resources": resources(f.allocated_resources),
        "offered_resources": resources(f.offered_resources),
        "capabilities": [
            FrameworkCapability.Type.Name(c.type) for c in info.capabilities
            if c.type in FrameworkCapability.Type.values()
        ],
        "hostname": info.hostname,
        "webui_url": info.webui_url,
        "active": f.active,
        "connected": f.connected,
        "recovered": f.recovered,
        "user": info.user,
        "failover_timeout": info.failover_timeout,
        "checkpoint": info.checkpoint,
        "registered_time": registered,
        "unregistered_time": _seconds(f.unregistered_time),
        "resources": resources(list(f.allocated_resources) + list(f.offered_resources)),
    }
    if info.HasField("principal"):
        out["principal"] = info.principal
    if f.HasField("reregistered_time") and _seconds(f.reregistered_time) != registered:
        out["reregistered_time"] = _seconds(f.reregistered_time)
    if multi_role:
        out["roles"] = list(info.roles)
    else:
        out["role"] = role
    for kind in ("tasks", "unreachable_tasks", "completed_tasks"):
        out[kind] = [task(t, role) for t in tasks.get(kind, ())]
    out["offers"] = [offer(o) for o in f.offers]
    out["executors"] = [executor(e) for e in executors]
    if info.HasField("labels"):
        out["labels"] = _labels(info.labels)
    out["offer_constraints"] = {}
    return out


def agent(a: master_pb2.Response.GetAgents.Agent, full: bool = False) -> dict[str, Any]:
    info = a.agent_info
    out: dict[str, Any] = {
        "id": info.id.value,
        "hostname": info.hostname,
        "port": info.port,
        "attributes": _attributes(info.attributes),
        "pid": a.pid,
        "registered_time": _seconds(a.registered_time),
    }
    if a.HasField("reregistered_time"):
        out["reregistered_time"] = _seconds(a.reregistered_time)
    total = resources(a.total_resources)
    out.update(
        {
            "resources": total,
            "used_resources": resources(a.allocated_resources),
            "offered_resources": resources(a.offered_resources),
            "reserved_resources": {},
            "unreserved_resources": total,
            "active": a.active,
            "deactivated": a.deactivated,
            "version": a.version,
            "capabilities": [],
        }
    )
    if full:
        out["reserved_resources_full"] = {}
        out["unreserved_resources_full"] = [protojson.to_dict(r) for r in a.total_resources]
        out["used_resources_full"] = [protojson.to_dict(r) for r in a.allocated_resources]
        out["offered_resources_full"] = [protojson.to_dict(r) for r in a.offered_resources]
    return out


def frameworks(state: GetState, framework_id: str | None = None) -> dict[str, Any]:
    """`/master/frameworks` (optionally one `framework_id`)."""
    by_framework = _tasks_by_framework(state)
    executors: dict[str, list[master_pb2.Response.GetExecutors.Executor]] = {}
    for e in state.get_executors.executors:
        executors.setdefault(e.executor_info.framework_id.value, []).append(e)

    def rows(items: Iterable[master_pb2.Response.GetFrameworks.Framework]) -> list[dict[str, Any]]:
        return [
            framework(
                f, by_framework.get(f.framework_info.id.value, {}),
                executors.get(f.framework_info.id.value, ()),
            )
            for f in items
            if framework_id is None or f.framework_info.id.value == framework_id
        ]

    return {
        "frameworks": rows(state.get_frameworks.frameworks),
        "completed_frameworks": rows(state.get_frameworks.completed_frameworks),
        "unregistered_frameworks": [],
    }


def slaves(state: GetState, slave_id: str | None = None) -> dict[str, Any]:
    """`/master/slaves` (optionally one `slave_id`)."""
    return {
        "slaves": [
            agent(a, full=True) for a in state.get_agents.agents
            if slave_id is None or a.agent_info.id.value == slave_id
        ],
        "recovered_slaves": [],
    }


def tasks(
    state: GetState,
    limit: int = TASK_LIMIT,
    offset: int = 0,
    order: str = "des",
    framework_id: str | None = None,
    task_id: str | None = None,
) -> dict[str, Any]:
    """`/master/tasks`: all known tasks, newest first (by their first status), paged."""
    roles = {
        f.framework_info.id.value: _framework_role(f.framework_info)
        for f in list(state.get_frameworks.frameworks)
        + list(state.get_frameworks.completed_frameworks)
    }
    lists = state.get_tasks
    picked = [
        t for t in list(lists.tasks) + list(lists.unreachable_tasks) + list(lists.completed_tasks)
        if (framework_id is None or t.framework_id.value == framework_id)
        and (task_id is None or t.task_id.value == task_id)
        and t.framework_id.value in roles
    ]

    def first_time(t: mesos_pb2.Task) -> float:
        return t.statuses[0].timestamp if t.statuses else 0.0

    picked.sort(key=first_time, reverse=order != "asc")
    window = picked[max(offset, 0): max(offset, 0) + max(limit, 0)]
    return {"tasks": [task(t, roles[t.framework_id.value]) for t in window]}


def state(
    get_state: GetState,
    master_info: mesos_pb2.MasterInfo,
    start_time: float,
    elected_time: float | None,
    flags: dict[str, str],
    cluster: str,
    unreachable_agents: int,
    version: str,
) -> dict[str, Any]:
    """`/master/state` (and `/state.json`): everything, as the leading master sees it."""
    agents = get_state.get_agents.agents
    out: dict[str, Any] = {
        "version": version,
        "build_date": "",
        "build_time": 0,
        "build_user": "",
        "start_time": start_time,
    }
    if elected_time is not None:
        out["elected_time"] = elected_time
    out.update(
        {
            "id": master_info.id,
            "pid": master_info.pid,
            "hostname": master_info.hostname,
            "capabilities": [],
            "activated_slaves": sum(1 for a in agents if a.active),
            "deactivated_slaves": sum(1 for a in agents if not a.active),
            "unreachable_slaves": unreachable_agents,
            "leader": master_info.pid,
            "leader_info": {
                "id": master_info.id,
                "pid": master_info.pid,
                "port": master_info.port,
                "hostname": master_info.hostname,
            },
        }
    )
    if cluster:
        out["cluster"] = cluster
    out["flags"] = dict(sorted(flags.items()))
    out["slaves"] = [agent(a) for a in agents]
    out["recovered_slaves"] = []
    out.update(frameworks(get_state))
    out["orphan_tasks"] = []
    return out
