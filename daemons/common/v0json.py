"""Mesos's older ("v0") JSON shapes that both the master's and the agent's endpoints write.

`/master/state`, `/slave(1)/state` and their siblings predate the v1 API and have their own
JSON, which scripts, dashboards and CLIs still parse: resources are an object (`{"cpus": 4,
"mem": 8192, "ports": "[31000-32000]"}`), task states are names, times are seconds, agents are
`slave_id`s. A task is written the same way by both daemons (Mesos's src/common/http.cpp
`json(Task)`), so it lives here, beside the resources and attributes objects it uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from daemons.common import protojson
from daemons.common.states import state_name
from daemons.proto import mesos_pb2

Value = mesos_pb2.Value


def ranges_text(ranges: Iterable[mesos_pb2.Value.Range]) -> str:
    spans = sorted((r.begin, r.end) for r in ranges)
    merged: list[list[int]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return "[" + ", ".join(f"{b}-{e}" for b, e in merged) + "]"


def resources(items: Iterable[mesos_pb2.Resource]) -> dict[str, Any]:
    """Mesos's resources object: every scalar summed (cpus, gpus, mem and disk always
    present), ranges as "[a-b, c-d]", sets as "{a, b}"."""
    scalars: dict[str, float] = {"cpus": 0.0, "gpus": 0.0, "mem": 0.0, "disk": 0.0}
    ranges: dict[str, list[mesos_pb2.Value.Range]] = {}
    sets: dict[str, list[str]] = {}
    for r in items:
        if r.type == Value.SCALAR:
            scalars[r.name] = scalars.get(r.name, 0.0) + r.scalar.value
        elif r.type == Value.RANGES:
            ranges.setdefault(r.name, []).extend(r.ranges.range)
        elif r.type == Value.SET:
            sets.setdefault(r.name, []).extend(r.set.item)
    out: dict[str, Any] = {k: round(v, 6) for k, v in scalars.items()}
    for name, spans in ranges.items():
        out[name] = ranges_text(spans)
    for name, items_ in sets.items():
        out[name] = "{" + ", ".join(items_) + "}"
    return out


def attributes(attrs: Iterable[mesos_pb2.Attribute]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in attrs:
        if a.type == Value.SCALAR:
            out[a.name] = a.scalar.value
        elif a.type == Value.RANGES:
            out[a.name] = ranges_text(a.ranges.range)
        elif a.type == Value.SET:
            out[a.name] = "{" + ", ".join(a.set.item) + "}"
        else:
            out[a.name] = a.text.value
    return out


def labels(items: mesos_pb2.Labels) -> list[dict[str, Any]]:
    return [protojson.to_dict(label) for label in items.labels]


def task(t: mesos_pb2.Task, role: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.task_id.value,
        "name": t.name,
        "framework_id": t.framework_id.value,
        "executor_id": t.executor_id.value,
        "slave_id": t.agent_id.value,
        "state": state_name(t.state),
        "resources": resources(t.resources),
        "role": role,
        "statuses": [status(s) for s in t.statuses],
    }
    if t.HasField("user"):
        out["user"] = t.user
    if t.HasField("labels"):
        out["labels"] = labels(t.labels)
    return out


def status(s: mesos_pb2.TaskStatus) -> dict[str, Any]:
    out: dict[str, Any] = {"state": state_name(s.state), "timestamp": s.timestamp}
    if s.HasField("labels"):
        out["labels"] = labels(s.labels)
    if s.HasField("container_status"):
        out["container_status"] = protojson.to_dict(s.container_status)
    if s.HasField("healthy"):
        out["healthy"] = s.healthy
    return out
