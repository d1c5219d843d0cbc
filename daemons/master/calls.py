"""The master's front door: every API call, from whichever edge, comes in here.

Two edges speak to the one master actor: gRPC (`servicers.py`) and Mesos's v1 HTTP APIs
(`http.py`). Each only decodes its wire into the same Call messages, then calls one function
of this module, which

1. validates what every call must satisfy before any of it becomes state (`check_strings`:
   every string valid UTF-8, ids short and printable, nothing oversized),
2. authenticates the caller (`Caller` carries the credential the edge read: gRPC
   `authorization` metadata or HTTP `Authorization: Basic`, checked against `--credentials`)
   where the master's `--authenticate_*` flags ask for it, and authorizes what it asks
   against `--acls` (register_frameworks, run_tasks, teardown_frameworks, kill_tasks,
   view_frameworks / view_tasks / view_executors filtering what the caller sees,
   register_agents): the one place both edges ask,
3. calls the master method the call is for.

So a framework may use either edge and gets the same validation and the same semantics; an
edge adds only its transport's habits (gRPC statuses with a `mesos-leader` hint, HTTP status
codes with a 307 to the leader).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from google.protobuf.message import Message

from daemons.common import auth
from daemons.common.validation import Invalid, check_message
from daemons.master.events import Subscriber
from daemons.master.master import VERSION, CallError, Master, Outbox
from daemons.master.state import Framework
from daemons.proto import agent_pb2, master_pb2, mesos_pb2, scheduler_pb2

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


# Operator calls that only read: they need authentication with --authenticate_http_readonly
# (every operator call needs it with --authenticate_http_readwrite). GET_HEALTH never does, as
# Mesos's /health, so that health checks need no secret.
READ_ONLY_OPERATOR_CALLS = frozenset(
    {
        master_pb2.Call.GET_MASTER,
        master_pb2.Call.GET_VERSION,
        master_pb2.Call.GET_FLAGS,
        master_pb2.Call.GET_STATE,
        master_pb2.Call.GET_AGENTS,
        master_pb2.Call.GET_FRAMEWORKS,
        master_pb2.Call.GET_EXECUTORS,
        master_pb2.Call.GET_TASKS,
        master_pb2.Call.GET_METRICS,
        master_pb2.Call.GET_ROLES,
        master_pb2.Call.SUBSCRIBE,
    }
)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling, as far as the edge knows: `edge` is "grpc" or "http", `peer` the remote
    address (`ipv4:1.2.3.4:5678`), `tls` whether the connection is encrypted (the TLS edge sets
    it), `authorization` the credential it sent (the HTTP `Authorization` header or the gRPC
    `authorization` metadata: `Basic base64(principal:secret)`), checked by `authenticate`."""

    edge: str
    peer: str = ""
    authorization: str | None = field(default=None, repr=False)
    tls: bool = False

    @property
    def principal(self) -> str | None:
        """The principal the caller *claims* (not yet checked), or None."""
        if not self.authorization:
            return None
        try:
            return auth.parse_basic(self.authorization)[0]
        except auth.BadAuthorization:
            return None

    @classmethod
    def from_authorization(
        cls, edge: str, peer: str, value: str | None, tls: bool = False
    ) -> Caller:
        """The caller of a request whose `Authorization` header or metadata is `value`."""
        return cls(edge, peer, value or None, tls)


# ------------------------------------------------------------------- authentication


def authenticate(master: Master, caller: Caller, required: bool, what: str) -> str | None:
    """The caller's authenticated principal, or None for a caller that sent no credential
    where none is `required` (auth.authenticate, as a CallError)."""
    try:
        return auth.authenticate(
            master.config.auth, caller.authorization, caller.peer, caller.tls, required, what
        )
    except auth.Refused as e:
        raise CallError(e.code, e.message) from None


def authorize(master: Master, action: str, principal: str | None, obj: str | None) -> None:
    """Raise PERMISSION_DENIED, naming the principal and the action, unless `--acls` allow it."""
    try:
        auth.authorize(master.config.auth.acls, action, principal, obj)
    except auth.Refused as e:
        raise CallError(e.code, e.message) from None


def _framework_principal(principal: str | None, info: mesos_pb2.FrameworkInfo) -> str | None:
    """Whom a framework's calls are authorized as: its authenticated principal, or (with
    framework authentication off, as Mesos does) the principal its FrameworkInfo claims."""
    if principal is not None:
        return principal
    return info.principal or None


def task_user(task_user: str, framework: mesos_pb2.FrameworkInfo | None) -> str:
    """The OS user a task runs as: CommandInfo.user, else FrameworkInfo.user (Mesos's order)."""
    return task_user or (framework.user if framework is not None else "")


def task_authorizer(master: Master) -> Callable[[Framework, mesos_pb2.TaskInfo], str | None]:
    """The run_tasks check the master makes for each task of an ACCEPT (set as
    `Master.authorize_task`): None, or why the task may not run."""

    def check(fw: Framework, info: mesos_pb2.TaskInfo) -> str | None:
        acls = master.config.auth.acls
        if acls is None:
            return None
        principal = fw.info.principal or None
        # Mesos's RUN_TASK object: the task's user, else its executor's, else the framework's.
        own = info.command.user or (info.executor.command.user if info.HasField("executor") else "")
        user = task_user(own, fw.info)
        if acls.allows("run_tasks", principal, user):
            return None
        return "Task is not authorized to launch: " + auth.denial("run_tasks", principal, user)

    return check


# ------------------------------------------------------------------- what a caller may see


def _fw_viewable(acls: auth.Acls, principal: str | None, info: mesos_pb2.FrameworkInfo) -> bool:
    return acls.allows("view_frameworks", principal, info.user)


def _task_viewable(
    acls: auth.Acls, principal: str | None, task: mesos_pb2.Task,
    users: dict[str, str],
) -> bool:
    user = task.command.user or users.get(task.framework_id.value, "")
    return acls.allows("view_tasks", principal, user)


def _filter_repeated(items, keep: Callable[[object], bool]) -> None:  # type: ignore[no-untyped-def]
    kept = [x for x in items if keep(x)]
    if len(kept) != len(items):
        del items[:]
        items.extend(kept)


def _framework_users(master: Master) -> dict[str, str]:
    users = {fid: fw.info.user for fid, fw in master.frameworks.items()}
    for fw in master.completed_frameworks:
        users.setdefault(fw.framework_id, fw.info.user)
    return users


def filter_frameworks(
    master: Master, principal: str | None, frameworks: master_pb2.Response.GetFrameworks
) -> None:
    acls = master.config.auth.acls
    if acls is None:
        return
    for field_ in (frameworks.frameworks, frameworks.completed_frameworks):
        _filter_repeated(field_, lambda f: _fw_viewable(acls, principal, f.framework_info))


def filter_tasks(master: Master, principal: str | None, tasks: master_pb2.Response.GetTasks) -> None:
    acls = master.config.auth.acls
    if acls is None:
        return
    users = _framework_users(master)
    for field_ in (tasks.pending_tasks, tasks.tasks, tasks.unreachable_tasks,
                   tasks.completed_tasks, tasks.orphan_tasks):
        _filter_repeated(field_, lambda t: _task_viewable(acls, principal, t, users))


def filter_state(master: Master, principal: str | None, state: master_pb2.Response.GetState) -> None:
    """Drop from `state` the frameworks (view_frameworks), tasks (view_tasks) and executors
    (view_executors) the principal may not see, by their OS user as Mesos does."""
    acls = master.config.auth.acls
    if acls is None:
        return
    filter_frameworks(master, principal, state.get_frameworks)
    filter_tasks(master, principal, state.get_tasks)
    users = _framework_users(master)
    # The DRF table names frameworks too: only the rows of those the principal may see.
    _filter_repeated(state.sorter.frameworks, lambda row: acls.allows(
        "view_frameworks", principal, users.get(row.framework_id.value, "")))
    filter_executors(master, principal, state.get_executors, users)


def filter_executors(
    master: Master, principal: str | None, executors: master_pb2.Response.GetExecutors,
    users: dict[str, str] | None = None,
) -> None:
    """Drop the executors the principal may not see (view_executors, by the executor's
    CommandInfo.user, else its framework's user)."""
    acls = master.config.auth.acls
    if acls is None:
        return
    users = users if users is not None else _framework_users(master)
    for field_ in (executors.executors, executors.orphan_executors):
        _filter_repeated(field_, lambda e: acls.allows(
            "view_executors", principal,
            e.executor_info.command.user or users.get(e.executor_info.framework_id.value, ""),
        ))


def event_filter(master: Master, principal: str | None) -> Callable[[master_pb2.Event], bool] | None:
    """Which operator events the principal may see: task events by view_tasks, framework and
    offer events by view_frameworks (None: all of them)."""
    acls = master.config.auth.acls
    if acls is None:
        return None
    E = master_pb2.Event

    def framework_user(fid: str) -> str:
        fw = master.frameworks.get(fid)
        if fw is not None:
            return fw.info.user
        for done in master.completed_frameworks:  # bounded: the master keeps the latest few
            if done.framework_id == fid:
                return done.info.user
        return ""

    def framework_visible(fid: str) -> bool:
        return acls.allows("view_frameworks", principal, framework_user(fid))

    def task_visible(command_user: str, fid: str) -> bool:
        return acls.allows("view_tasks", principal, command_user or framework_user(fid))

    def keep(event: master_pb2.Event) -> bool:
        t = event.type
        if t == E.TASK_ADDED:
            task = event.task_added.task
            return task_visible(task.command.user, task.framework_id.value)
        if t == E.TASK_UPDATED:
            fid = event.task_updated.framework_id.value
            tid = event.task_updated.status.task_id.value
            fw = master.frameworks.get(fid)
            known = (fw.tasks.get(tid) or fw.unreachable_tasks.get(tid)) if fw is not None else None
            return task_visible(known.info.command.user if known is not None else "", fid)
        if t in (E.FRAMEWORK_ADDED, E.FRAMEWORK_UPDATED):
            which = event.framework_added if t == E.FRAMEWORK_ADDED else event.framework_updated
            return _fw_viewable(acls, principal, which.framework.framework_info)
        if t == E.FRAMEWORK_REMOVED:
            return _fw_viewable(acls, principal, event.framework_removed.framework_info)
        if t == E.OFFER_SENT:
            return framework_visible(event.offer_sent.offer.framework_id.value)
        if t in (E.OFFER_ACCEPTED, E.OFFER_DECLINED, E.OFFER_RESCINDED):
            which = {E.OFFER_ACCEPTED: event.offer_accepted, E.OFFER_DECLINED: event.offer_declined,
                     E.OFFER_RESCINDED: event.offer_rescinded}[t]
            return framework_visible(which.framework_id.value)
        # The DRF tables name every framework: one naming a framework the principal may not
        # see is not sent (GET_STATE answers the table filtered).
        if t == E.ALLOCATION:
            return all(framework_visible(r.framework_id.value) for r in event.allocation.frameworks)
        if t == E.SORTER_UPDATED:
            return all(
                framework_visible(r.framework_id.value) for r in event.sorter_updated.frameworks
            )
        return True

    return keep


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
    principal = authenticate(
        master, caller, frameworks_must_authenticate(master, caller), "SUBSCRIBE"
    )
    info = call.subscribe.framework_info
    if principal is not None and info.principal != principal:
        # Mesos's words: the framework says who it is, and must be who it proved to be.
        raise CallError(
            "PERMISSION_DENIED",
            f"Authenticated principal {principal!r} does not match principal "
            f"{info.principal!r} set in FrameworkInfo",
        )
    requested = info.id.value or call.framework_id.value
    known = master.frameworks.get(requested) if requested else None
    if known is not None and known.info.principal != info.principal:
        raise CallError(
            "PERMISSION_DENIED",
            f"framework {requested} belongs to principal {known.info.principal!r}; "
            f"principal {info.principal!r} may not subscribe as it",
        )
    acl_principal = _framework_principal(principal, info)
    for role in list(info.roles) or [info.role or "*"]:
        authorize(master, "register_frameworks", acl_principal, role)
    return master.subscribe(call, stream)


async def scheduler_call(
    master: Master, caller: Caller, call: scheduler_pb2.Call, stream_id: str
) -> None:
    """Any scheduler call but SUBSCRIBE, on the subscription `stream_id` names (a big ACCEPT
    or RECONCILE worked through in slices, so the loop is never blocked for long)."""
    check_strings(call)
    principal = authenticate(
        master, caller, frameworks_must_authenticate(master, caller), call_name(call)
    )
    fw = master.frameworks.get(call.framework_id.value)
    if principal is not None and fw is not None and fw.info.principal != principal:
        raise CallError(
            "PERMISSION_DENIED",
            f"Authenticated principal {principal!r} does not match principal "
            f"{fw.info.principal!r} of framework {fw.framework_id}",
        )
    await master.handle_call_async(call, stream_id)


def frameworks_must_authenticate(master: Master, caller: Caller) -> bool:
    """--authenticate_frameworks: every framework, on either edge; Mesos's
    --authenticate_http_frameworks: those of the HTTP scheduler API."""
    settings = master.config.auth
    return settings.authenticate_frameworks or (
        caller.edge == "http" and settings.authenticate_http_frameworks
    )


def call_name(call: scheduler_pb2.Call) -> str:
    C = scheduler_pb2.Call
    return C.Type.Name(call.type) if call.type in C.Type.values() else "call"


# -------------------------------------------------------------------------- operator API


def operator_call(master: Master, caller: Caller, call: master_pb2.Call) -> master_pb2.Response:
    """One operator call (not SUBSCRIBE). The edge has checked leadership for every call that
    is not in LOCAL_OPERATOR_CALLS. Calls that only act answer `ACCEPTED`."""
    check_strings(call)
    m = master
    C, R = master_pb2.Call, master_pb2.Response
    t = call.type
    principal = authenticate_operator(m, caller, call)
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
        return R(type=R.GET_STATE, get_state=visible_state(m, principal))
    if t == C.GET_AGENTS:
        return R(type=R.GET_AGENTS, get_agents=m.get_agents())
    if t == C.GET_FRAMEWORKS:
        frameworks = m.get_frameworks()
        filter_frameworks(m, principal, frameworks)
        return R(type=R.GET_FRAMEWORKS, get_frameworks=frameworks)
    if t == C.GET_EXECUTORS:
        executors = m.get_executors()
        filter_executors(m, principal, executors)
        return R(type=R.GET_EXECUTORS, get_executors=executors)
    if t == C.GET_TASKS:
        tasks = m.get_tasks()
        filter_tasks(m, principal, tasks)
        return R(type=R.GET_TASKS, get_tasks=tasks)
    if t == C.GET_METRICS:
        return R(type=R.GET_METRICS, get_metrics=R.GetMetrics(metrics=m.get_metrics()))
    if t == C.GET_ROLES:
        roles = [
            master_pb2.Role(name=row.client, weight=row.weight)
            for row in m.allocator.role_shares()
        ]
        return R(type=R.GET_ROLES, get_roles=R.GetRoles(roles=roles))
    if t == C.KILL_TASK:
        tid, fid = call.kill_task.task_id.value, call.kill_task.framework_id.value
        for task in m.find_tasks(tid, fid):
            owner = m.frameworks.get(task.framework_id)
            authorize(m, "kill_tasks", principal, owner.info.principal if owner else "")
        m.operator_kill(tid, fid)
        return R(type=R.ACCEPTED)
    if t == C.TEARDOWN:
        fid = call.teardown.framework_id.value
        if not fid:
            raise CallError("INVALID_ARGUMENT", "TEARDOWN needs teardown.framework_id")
        fw = m.frameworks.get(fid)
        if fw is None:
            raise CallError("NOT_FOUND", f"no framework {fid!r}")
        authorize(m, "teardown_frameworks", principal, fw.info.principal)
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
    principal = authenticate_operator(
        master, caller, master_pb2.Call(type=master_pb2.Call.SUBSCRIBE)
    )
    sub = master.events.subscribe(master.config.max_client_queue_bytes)
    sub.keep = event_filter(master, principal)
    snapshot = visible_state(master, principal)
    return sub, E(
        type=E.SUBSCRIBED,
        subscribed=E.Subscribed(
            get_state=snapshot, heartbeat_interval_seconds=master.config.heartbeat_interval
        ),
    )


def authenticate_operator(master: Master, caller: Caller, call: master_pb2.Call) -> str | None:
    """The principal of an operator call: every call needs authentication with
    --authenticate_http_readwrite, the read-only ones with --authenticate_http_readonly too;
    GET_HEALTH never does."""
    settings = master.config.auth
    if call.type == master_pb2.Call.GET_HEALTH and not caller.authorization:
        return None
    read_only = call.type in READ_ONLY_OPERATOR_CALLS
    required = settings.authenticate_http_readwrite or (
        read_only and settings.authenticate_http_readonly
    )
    name = master_pb2.Call.Type.Name(call.type) if call.type in master_pb2.Call.Type.values() else "call"
    return authenticate(master, caller, required, f"operator call {name}")


def visible_state(master: Master, principal: str | None) -> master_pb2.Response.GetState:
    """GET_STATE as `principal` may see it (view_* ACLs)."""
    state = master.get_state()
    filter_state(master, principal, state)
    return state


def read_state(master: Master, caller: Caller, what: str) -> master_pb2.Response.GetState:
    """What a read-only HTTP endpoint (`/master/state`, `/master/tasks`, ...) shows this
    caller: authenticated with --authenticate_http_readonly, filtered by the view ACLs."""
    settings = master.config.auth
    principal = authenticate(
        master, caller,
        settings.authenticate_http_readonly or settings.authenticate_http_readwrite, what,
    )
    return visible_state(master, principal)


def read_only_endpoint(master: Master, caller: Caller, what: str) -> str | None:
    """Authenticate a read-only HTTP endpoint that shows no framework (`/master/flags`,
    `/metrics/snapshot`)."""
    settings = master.config.auth
    return authenticate(
        master, caller,
        settings.authenticate_http_readonly or settings.authenticate_http_readwrite, what,
    )


# ------------------------------------------------------------------------------ agents


def agent_register(
    master: Master, caller: Caller, register: agent_pb2.RegisterAgent, agent_id: str = ""
) -> str | None:
    """Authenticate and authorize an agent's (re-)registration: its principal, or None.
    With --authenticate_agents an agent must authenticate; an agent id already known to this
    master may be taken up again only by the principal that registered it."""
    settings = master.config.auth
    principal = authenticate(master, caller, settings.authenticate_agents, "agent registration")
    authorize(master, "register_agents", principal, None)
    agent_id = agent_id or register.agent_info.id.value  # (the id the master will use)
    old = master.agents.get(agent_id) if agent_id else None
    if old is not None:
        registered_as = old.principal
    else:
        # An agent a previous leader admitted: the registry says as whom.
        expected = master.expected_agents.get(agent_id) if agent_id else None
        registered_as = expected.get("principal") if isinstance(expected, dict) else None
    if (old is not None or registered_as is not None) and registered_as != principal:
        raise CallError(
            "PERMISSION_DENIED",
            f"agent {agent_id} registered as principal {registered_as!r}; "
            f"{'principal ' + repr(principal) if principal else 'an unauthenticated agent'} "
            "may not re-register as it",
        )
    return principal
