"""The master's front door: every API call, from whichever edge, comes in here.

Two edges speak to the one master actor: gRPC (`servicers.py`) and Mesos's v1 HTTP APIs
(`http.py`). Each only decodes its wire into the same Call messages, then calls one function
of this module, which

1. validates what every call must satisfy before any of it becomes state (`check_strings`:
   every string valid UTF-8, ids short and printable, nothing oversized),
2. (where authentication and authorization will sit: `Caller` says who is calling, and each
   function here is the one place to ask whether they may),
3. calls the master method the call is for.

So a framework may use either edge and gets the same validation and the same semantics; an
edge adds only its transport's habits (gRPC statuses with a `mesos-leader` hint, HTTP status
codes with a 307 to the leader).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from google.protobuf.message import Message

from daemons.common.validation import Invalid, check_message
from daemons.master.events import Subscriber
from daemons.master.master import VERSION, CallError, Master, Outbox
from daemons.master.state import Framework
from daemons.proto import master_pb2, scheduler_pb2

# Elected in ZooKeeper but still taking office (reading the registry, a few milliseconds): how
# long a call waits for that rather than being turned away. Agents and frameworks learn of the
# election at the same instant as the master, and one turned away backs off for seconds.
TAKING_OFFICE_SECONDS = 2.0

# The largest call body an HTTP client may send.
MAX_CALL_BYTES = 4 * 1024 * 1024

# Operator calls a standby answers itself (about itself); every other call needs the leader.
LOCAL_OPERATOR_CALLS = frozenset(
    {
        master_pb2.Call.GET_HEALTH,
        master_pb2.Call.GET_MASTER,
        master_pb2.Call.GET_VERSION,
        master_pb2.Call.GET_FLAGS,
    }
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as far as the edge knows: `edge` is "grpc" or "http", `peer` the remote
    address (`ipv4:1.2.3.4:5678`), `tls` whether it came over TLS. Authentication will add
    the principal."""

    edge: str
    peer: str = ""
    principal: str | None = None
    tls: bool = False


# ------------------------------------------------------------------------------ validation


def check_strings(message: Message, what: str = "call") -> None:
    """Refuse a message that does not pass `daemons.common.validation` (every string valid
    UTF-8 and bounded, ids well formed, numbers finite, resources bounded): one CallError
    (INVALID_ARGUMENT) naming the field. Both edges refuse the same things in the same words."""
    try:
        check_message(message, what)
    except Invalid as e:
        raise CallError("INVALID_ARGUMENT", str(e)) from None


# ------------------------------------------------------------------------------ leadership


async def leader_elsewhere(master: Master) -> str | None:
    """None when this master leads (waiting briefly while it takes office); otherwise the
    leader's `host:port`, or "" when no leader is known."""
    if not master.leading and master.refresh_leader is not None:
        # A caller at a standby has often just seen, in ZooKeeper, the election of this
        # master, which this master's own watch may not have delivered yet: ask ZooKeeper
        # again rather than turn it away naming the leader that just died.
        await master.refresh_leader()
    if not master.leading and master.leader_address == master.address:
        try:
            await asyncio.wait_for(master.leading_event.wait(), TAKING_OFFICE_SECONDS)
        except TimeoutError:
            pass
    if master.leading:
        return None
    leader = master.leader_address
    return leader if leader and leader != master.address else ""


def not_leader_message(leader: str) -> str:
    if leader:
        return f"this master is not the leader; the leader is {leader}"
    return "this master is not the leader and no leader is elected yet"


# ------------------------------------------------------------------------- scheduler API


def scheduler_subscribe(
    master: Master, caller: Caller, call: scheduler_pb2.Call, stream: Outbox
) -> tuple[Framework, str]:
    """SUBSCRIBE: the framework and its new stream id; the SUBSCRIBED event is on `stream`."""
    if call.type != scheduler_pb2.Call.SUBSCRIBE:
        raise CallError("INVALID_ARGUMENT", "Subscribe takes a SUBSCRIBE call")
    check_strings(call)
    return master.subscribe(call, stream)


async def scheduler_call(
    master: Master, caller: Caller, call: scheduler_pb2.Call, stream_id: str
) -> None:
    """Any scheduler call but SUBSCRIBE, on the subscription `stream_id` names (a big ACCEPT
    or RECONCILE worked through in slices, so the loop is never blocked for long)."""
    check_strings(call)
    await master.handle_call_async(call, stream_id)


# -------------------------------------------------------------------------- operator API


def operator_call(master: Master, caller: Caller, call: master_pb2.Call) -> master_pb2.Response:
    """One operator call (not SUBSCRIBE). The edge has checked leadership for every call that
    is not in LOCAL_OPERATOR_CALLS. Calls that only act answer `ACCEPTED`."""
    check_strings(call)
    m = master
    C, R = master_pb2.Call, master_pb2.Response
    t = call.type
    if t == C.GET_HEALTH:
        return R(type=R.GET_HEALTH, get_health=R.GetHealth(healthy=True))
    if t == C.GET_MASTER:
        return R(
            type=R.GET_MASTER,
            get_master=R.GetMaster(
                master_info=m.master_info, start_time=m.start_time,
                elected_time=m.elected_time or 0.0,
            ),
        )
    if t == C.GET_VERSION:
        return R(type=R.GET_VERSION, get_version=R.GetVersion(
            version_info=master_pb2.VersionInfo(version=VERSION)))
    if t == C.GET_FLAGS:
        return R(type=R.GET_FLAGS, get_flags=R.GetFlags(
            flags=[master_pb2.Flag(name=k, value=v) for k, v in sorted(m.config.flags.items())]))
    if t == C.GET_STATE:
        return R(type=R.GET_STATE, get_state=m.get_state())
    if t == C.GET_AGENTS:
        return R(type=R.GET_AGENTS, get_agents=m.get_agents())
    if t == C.GET_FRAMEWORKS:
        return R(type=R.GET_FRAMEWORKS, get_frameworks=m.get_frameworks())
    if t == C.GET_EXECUTORS:
        return R(type=R.GET_EXECUTORS, get_executors=m.get_executors())
    if t == C.GET_TASKS:
        return R(type=R.GET_TASKS, get_tasks=m.get_tasks())
    if t == C.GET_METRICS:
        return R(type=R.GET_METRICS, get_metrics=R.GetMetrics(metrics=m.get_metrics()))
    if t == C.GET_ROLES:
        roles = [
            master_pb2.Role(name=row.client, weight=row.weight)
            for row in m.allocator.role_shares()
        ]
        return R(type=R.GET_ROLES, get_roles=R.GetRoles(roles=roles))
    if t == C.KILL_TASK:
        m.operator_kill(call.kill_task.task_id.value, call.kill_task.framework_id.value)
        return R(type=R.ACCEPTED)
    if t == C.TEARDOWN:
        fid = call.teardown.framework_id.value
        if not fid:
            raise CallError("INVALID_ARGUMENT", "TEARDOWN needs teardown.framework_id")
        fw = m.frameworks.get(fid)
        if fw is None:
            raise CallError("NOT_FOUND", f"no framework {fid!r}")
        m.remove_framework(fw)
        return R(type=R.ACCEPTED)
    if t == C.PAUSE_ALLOCATOR:
        m.pause_allocation(True)
        return R(type=R.ACCEPTED)
    if t == C.RESUME_ALLOCATOR:
        m.pause_allocation(False)
        return R(type=R.ACCEPTED)
    if t == C.RUN_ALLOCATION:
        m.allocate(explain=True)  # a teaching step: the event explains the cycle
        return R(type=R.ACCEPTED)
    if t == C.SUBSCRIBE:
        raise CallError("INVALID_ARGUMENT", "SUBSCRIBE goes through the Subscribe stream")
    name = C.Type.Name(t) if t in C.Type.values() else str(t)
    raise CallError("UNIMPLEMENTED", f"operator call {name} is not supported")


def operator_subscribe(master: Master, caller: Caller) -> tuple[Subscriber, master_pb2.Event]:
    """SUBSCRIBE to the operator event stream: the subscriber (every later change is in its
    queue) and the SUBSCRIBED event with the snapshot, taken with no await in between."""
    E = master_pb2.Event
    sub = master.events.subscribe(master.config.max_client_queue_bytes)
    snapshot = master.get_state()
    return sub, E(
        type=E.SUBSCRIBED,
        subscribed=E.Subscribed(
            get_state=snapshot, heartbeat_interval_seconds=master.config.heartbeat_interval
        ),
    )
