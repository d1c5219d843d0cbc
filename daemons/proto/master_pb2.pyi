from daemons.proto import mesos_pb2 as _mesos_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Call(_message.Message):
    __slots__ = ("type", "get_metrics", "teardown", "kill_task")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Call.Type]
        GET_HEALTH: _ClassVar[Call.Type]
        GET_FLAGS: _ClassVar[Call.Type]
        GET_VERSION: _ClassVar[Call.Type]
        GET_METRICS: _ClassVar[Call.Type]
        GET_STATE: _ClassVar[Call.Type]
        GET_AGENTS: _ClassVar[Call.Type]
        GET_FRAMEWORKS: _ClassVar[Call.Type]
        GET_EXECUTORS: _ClassVar[Call.Type]
        GET_TASKS: _ClassVar[Call.Type]
        GET_ROLES: _ClassVar[Call.Type]
        GET_MASTER: _ClassVar[Call.Type]
        SUBSCRIBE: _ClassVar[Call.Type]
        TEARDOWN: _ClassVar[Call.Type]
        KILL_TASK: _ClassVar[Call.Type]
        PAUSE_ALLOCATOR: _ClassVar[Call.Type]
        RESUME_ALLOCATOR: _ClassVar[Call.Type]
        RUN_ALLOCATION: _ClassVar[Call.Type]
    UNKNOWN: Call.Type
    GET_HEALTH: Call.Type
    GET_FLAGS: Call.Type
    GET_VERSION: Call.Type
    GET_METRICS: Call.Type
    GET_STATE: Call.Type
    GET_AGENTS: Call.Type
    GET_FRAMEWORKS: Call.Type
    GET_EXECUTORS: Call.Type
    GET_TASKS: Call.Type
    GET_ROLES: Call.Type
    GET_MASTER: Call.Type
    SUBSCRIBE: Call.Type
    TEARDOWN: Call.Type
    KILL_TASK: Call.Type
    PAUSE_ALLOCATOR: Call.Type
    RESUME_ALLOCATOR: Call.Type
    RUN_ALLOCATION: Call.Type
    class GetMetrics(_message.Message):
        __slots__ = ("timeout",)
        TIMEOUT_FIELD_NUMBER: _ClassVar[int]
        timeout: _mesos_pb2.DurationInfo
        def __init__(self, timeout: _Optional[_Union[_mesos_pb2.DurationInfo, _Mapping]] = ...) -> None: ...
    class Teardown(_message.Message):
        __slots__ = ("framework_id",)
        FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
        framework_id: _mesos_pb2.FrameworkID
        def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ...) -> None: ...
    class KillTask(_message.Message):
        __slots__ = ("task_id", "framework_id")
        TASK_ID_FIELD_NUMBER: _ClassVar[int]
        FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
        task_id: _mesos_pb2.TaskID
        framework_id: _mesos_pb2.FrameworkID
        def __init__(self, task_id: _Optional[_Union[_mesos_pb2.TaskID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    GET_METRICS_FIELD_NUMBER: _ClassVar[int]
    TEARDOWN_FIELD_NUMBER: _ClassVar[int]
    KILL_TASK_FIELD_NUMBER: _ClassVar[int]
    type: Call.Type
    get_metrics: Call.GetMetrics
    teardown: Call.Teardown
    kill_task: Call.KillTask
    def __init__(self, type: _Optional[_Union[Call.Type, str]] = ..., get_metrics: _Optional[_Union[Call.GetMetrics, _Mapping]] = ..., teardown: _Optional[_Union[Call.Teardown, _Mapping]] = ..., kill_task: _Optional[_Union[Call.KillTask, _Mapping]] = ...) -> None: ...

class Response(_message.Message):
    __slots__ = ("type", "get_health", "get_flags", "get_version", "get_metrics", "get_state", "get_agents", "get_frameworks", "get_executors", "get_tasks", "get_roles", "get_master")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Response.Type]
        GET_HEALTH: _ClassVar[Response.Type]
        GET_FLAGS: _ClassVar[Response.Type]
        GET_VERSION: _ClassVar[Response.Type]
        GET_METRICS: _ClassVar[Response.Type]
        GET_STATE: _ClassVar[Response.Type]
        GET_AGENTS: _ClassVar[Response.Type]
        GET_FRAMEWORKS: _ClassVar[Response.Type]
        GET_EXECUTORS: _ClassVar[Response.Type]
        GET_TASKS: _ClassVar[Response.Type]
        GET_ROLES: _ClassVar[Response.Type]
        GET_MASTER: _ClassVar[Response.Type]
        ACCEPTED: _ClassVar[Response.Type]
    UNKNOWN: Response.Type
    GET_HEALTH: Response.Type
    GET_FLAGS: Response.Type
    GET_VERSION: Response.Type
    GET_METRICS: Response.Type
    GET_STATE: Response.Type
    GET_AGENTS: Response.Type
    GET_FRAMEWORKS: Response.Type
    GET_EXECUTORS: Response.Type
    GET_TASKS: Response.Type
    GET_ROLES: Response.Type
    GET_MASTER: Response.Type
    ACCEPTED: Response.Type
    class GetHealth(_message.Message):
        __slots__ = ("healthy",)
        HEALTHY_FIELD_NUMBER: _ClassVar[int]
        healthy: bool
        def __init__(self, healthy: _Optional[bool] = ...) -> None: ...
    class GetFlags(_message.Message):
        __slots__ = ("flags",)
        FLAGS_FIELD_NUMBER: _ClassVar[int]
        flags: _containers.RepeatedCompositeFieldContainer[Flag]
        def __init__(self, flags: _Optional[_Iterable[_Union[Flag, _Mapping]]] = ...) -> None: ...
    class GetVersion(_message.Message):
        __slots__ = ("version_info",)
        VERSION_INFO_FIELD_NUMBER: _ClassVar[int]
        version_info: VersionInfo
        def __init__(self, version_info: _Optional[_Union[VersionInfo, _Mapping]] = ...) -> None: ...
    class GetMetrics(_message.Message):
        __slots__ = ("metrics",)
        METRICS_FIELD_NUMBER: _ClassVar[int]
        metrics: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Metric]
        def __init__(self, metrics: _Optional[_Iterable[_Union[_mesos_pb2.Metric, _Mapping]]] = ...) -> None: ...
    class GetAgents(_message.Message):
        __slots__ = ("agents", "recovered_agents")
        class Agent(_message.Message):
            __slots__ = ("agent_info", "active", "deactivated", "version", "pid", "registered_time", "reregistered_time", "total_resources", "allocated_resources", "offered_resources", "used", "task_count")
            AGENT_INFO_FIELD_NUMBER: _ClassVar[int]
            ACTIVE_FIELD_NUMBER: _ClassVar[int]
            DEACTIVATED_FIELD_NUMBER: _ClassVar[int]
            VERSION_FIELD_NUMBER: _ClassVar[int]
            PID_FIELD_NUMBER: _ClassVar[int]
            REGISTERED_TIME_FIELD_NUMBER: _ClassVar[int]
            REREGISTERED_TIME_FIELD_NUMBER: _ClassVar[int]
            TOTAL_RESOURCES_FIELD_NUMBER: _ClassVar[int]
            ALLOCATED_RESOURCES_FIELD_NUMBER: _ClassVar[int]
            OFFERED_RESOURCES_FIELD_NUMBER: _ClassVar[int]
            USED_FIELD_NUMBER: _ClassVar[int]
            TASK_COUNT_FIELD_NUMBER: _ClassVar[int]
            agent_info: _mesos_pb2.AgentInfo
            active: bool
            deactivated: bool
            version: str
            pid: str
            registered_time: _mesos_pb2.TimeInfo
            reregistered_time: _mesos_pb2.TimeInfo
            total_resources: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
            allocated_resources: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
            offered_resources: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
            used: _mesos_pb2.ResourceStatistics
            task_count: int
            def __init__(self, agent_info: _Optional[_Union[_mesos_pb2.AgentInfo, _Mapping]] = ..., active: _Optional[bool] = ..., deactivated: _Optional[bool] = ..., version: _Optional[str] = ..., pid: _Optional[str] = ..., registered_time: _Optional[_Union[_mesos_pb2.TimeInfo, _Mapping]] = ..., reregistered_time: _Optional[_Union[_mesos_pb2.TimeInfo, _Mapping]] = ..., total_resources: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., allocated_resources: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., offered_resources: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., used: _Optional[_Union[_mesos_pb2.ResourceStatistics, _Mapping]] = ..., task_count: _Optional[int] = ...) -> None: ...
        AGENTS_FIELD_NUMBER: _ClassVar[int]
        RECOVERED_AGENTS_FIELD_NUMBER: _ClassVar[int]
        agents: _containers.RepeatedCompositeFieldContainer[Response.GetAgents.Agent]
        recovered_agents: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.AgentInfo]
        def __init__(self, agents: _Optional[_Iterable[_Union[Response.GetAgents.Agent, _Mapping]]] = ..., recovered_agents: _Optional[_Iterable[_Union[_mesos_pb2.AgentInfo, _Mapping]]] = ...) -> None: ...
    class GetFrameworks(_message.Message):
        __slots__ = ("frameworks", "completed_frameworks")
        class Framework(_message.Message):
            __slots__ = ("framework_info", "active", "connected", "recovered", "registered_time", "reregistered_time", "unregistered_time", "offers", "allocated_resources", "offered_resources", "suppressed", "dominant_share")
            FRAMEWORK_INFO_FIELD_NUMBER: _ClassVar[int]
            ACTIVE_FIELD_NUMBER: _ClassVar[int]
            CONNECTED_FIELD_NUMBER: _ClassVar[int]
            RECOVERED_FIELD_NUMBER: _ClassVar[int]
            REGISTERED_TIME_FIELD_NUMBER: _ClassVar[int]
            REREGISTERED_TIME_FIELD_NUMBER: _ClassVar[int]
            UNREGISTERED_TIME_FIELD_NUMBER: _ClassVar[int]
            OFFERS_FIELD_NUMBER: _ClassVar[int]
            ALLOCATED_RESOURCES_FIELD_NUMBER: _ClassVar[int]
            OFFERED_RESOURCES_FIELD_NUMBER: _ClassVar[int]
            SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
            DOMINANT_SHARE_FIELD_NUMBER: _ClassVar[int]
            framework_info: _mesos_pb2.FrameworkInfo
            active: bool
            connected: bool
            recovered: bool
            registered_time: _mesos_pb2.TimeInfo
            reregistered_time: _mesos_pb2.TimeInfo
            unregistered_time: _mesos_pb2.TimeInfo
            offers: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Offer]
            allocated_resources: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
            offered_resources: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
            suppressed: bool
            dominant_share: float
            def __init__(self, framework_info: _Optional[_Union[_mesos_pb2.FrameworkInfo, _Mapping]] = ..., active: _Optional[bool] = ..., connected: _Optional[bool] = ..., recovered: _Optional[bool] = ..., registered_time: _Optional[_Union[_mesos_pb2.TimeInfo, _Mapping]] = ..., reregistered_time: _Optional[_Union[_mesos_pb2.TimeInfo, _Mapping]] = ..., unregistered_time: _Optional[_Union[_mesos_pb2.TimeInfo, _Mapping]] = ..., offers: _Optional[_Iterable[_Union[_mesos_pb2.Offer, _Mapping]]] = ..., allocated_resources: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., offered_resources: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., suppressed: _Optional[bool] = ..., dominant_share: _Optional[float] = ...) -> None: ...
        FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
        COMPLETED_FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
        frameworks: _containers.RepeatedCompositeFieldContainer[Response.GetFrameworks.Framework]
        completed_frameworks: _containers.RepeatedCompositeFieldContainer[Response.GetFrameworks.Framework]
        def __init__(self, frameworks: _Optional[_Iterable[_Union[Response.GetFrameworks.Framework, _Mapping]]] = ..., completed_frameworks: _Optional[_Iterable[_Union[Response.GetFrameworks.Framework, _Mapping]]] = ...) -> None: ...
    class GetExecutors(_message.Message):
        __slots__ = ("executors", "orphan_executors")
        class Executor(_message.Message):
            __slots__ = ("executor_info", "agent_id")
            EXECUTOR_INFO_FIELD_NUMBER: _ClassVar[int]
            AGENT_ID_FIELD_NUMBER: _ClassVar[int]
            executor_info: _mesos_pb2.ExecutorInfo
            agent_id: _mesos_pb2.AgentID
            def __init__(self, executor_info: _Optional[_Union[_mesos_pb2.ExecutorInfo, _Mapping]] = ..., agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ...) -> None: ...
        EXECUTORS_FIELD_NUMBER: _ClassVar[int]
        ORPHAN_EXECUTORS_FIELD_NUMBER: _ClassVar[int]
        executors: _containers.RepeatedCompositeFieldContainer[Response.GetExecutors.Executor]
        orphan_executors: _containers.RepeatedCompositeFieldContainer[Response.GetExecutors.Executor]
        def __init__(self, executors: _Optional[_Iterable[_Union[Response.GetExecutors.Executor, _Mapping]]] = ..., orphan_executors: _Optional[_Iterable[_Union[Response.GetExecutors.Executor, _Mapping]]] = ...) -> None: ...
    class GetTasks(_message.Message):
        __slots__ = ("pending_tasks", "tasks", "unreachable_tasks", "completed_tasks", "orphan_tasks")
        PENDING_TASKS_FIELD_NUMBER: _ClassVar[int]
        TASKS_FIELD_NUMBER: _ClassVar[int]
        UNREACHABLE_TASKS_FIELD_NUMBER: _ClassVar[int]
        COMPLETED_TASKS_FIELD_NUMBER: _ClassVar[int]
        ORPHAN_TASKS_FIELD_NUMBER: _ClassVar[int]
        pending_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        unreachable_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        completed_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        orphan_tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
        def __init__(self, pending_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., unreachable_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., completed_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., orphan_tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ...) -> None: ...
    class GetRoles(_message.Message):
        __slots__ = ("roles",)
        ROLES_FIELD_NUMBER: _ClassVar[int]
        roles: _containers.RepeatedCompositeFieldContainer[Role]
        def __init__(self, roles: _Optional[_Iterable[_Union[Role, _Mapping]]] = ...) -> None: ...
    class GetState(_message.Message):
        __slots__ = ("get_tasks", "get_executors", "get_frameworks", "get_agents", "allocator", "sorter")
        GET_TASKS_FIELD_NUMBER: _ClassVar[int]
        GET_EXECUTORS_FIELD_NUMBER: _ClassVar[int]
        GET_FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
        GET_AGENTS_FIELD_NUMBER: _ClassVar[int]
        ALLOCATOR_FIELD_NUMBER: _ClassVar[int]
        SORTER_FIELD_NUMBER: _ClassVar[int]
        get_tasks: Response.GetTasks
        get_executors: Response.GetExecutors
        get_frameworks: Response.GetFrameworks
        get_agents: Response.GetAgents
        allocator: AllocatorState
        sorter: SorterState
        def __init__(self, get_tasks: _Optional[_Union[Response.GetTasks, _Mapping]] = ..., get_executors: _Optional[_Union[Response.GetExecutors, _Mapping]] = ..., get_frameworks: _Optional[_Union[Response.GetFrameworks, _Mapping]] = ..., get_agents: _Optional[_Union[Response.GetAgents, _Mapping]] = ..., allocator: _Optional[_Union[AllocatorState, _Mapping]] = ..., sorter: _Optional[_Union[SorterState, _Mapping]] = ...) -> None: ...
    class GetMaster(_message.Message):
        __slots__ = ("master_info", "start_time", "elected_time")
        MASTER_INFO_FIELD_NUMBER: _ClassVar[int]
        START_TIME_FIELD_NUMBER: _ClassVar[int]
        ELECTED_TIME_FIELD_NUMBER: _ClassVar[int]
        master_info: _mesos_pb2.MasterInfo
        start_time: float
        elected_time: float
        def __init__(self, master_info: _Optional[_Union[_mesos_pb2.MasterInfo, _Mapping]] = ..., start_time: _Optional[float] = ..., elected_time: _Optional[float] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    GET_HEALTH_FIELD_NUMBER: _ClassVar[int]
    GET_FLAGS_FIELD_NUMBER: _ClassVar[int]
    GET_VERSION_FIELD_NUMBER: _ClassVar[int]
    GET_METRICS_FIELD_NUMBER: _ClassVar[int]
    GET_STATE_FIELD_NUMBER: _ClassVar[int]
    GET_AGENTS_FIELD_NUMBER: _ClassVar[int]
    GET_FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    GET_EXECUTORS_FIELD_NUMBER: _ClassVar[int]
    GET_TASKS_FIELD_NUMBER: _ClassVar[int]
    GET_ROLES_FIELD_NUMBER: _ClassVar[int]
    GET_MASTER_FIELD_NUMBER: _ClassVar[int]
    type: Response.Type
    get_health: Response.GetHealth
    get_flags: Response.GetFlags
    get_version: Response.GetVersion
    get_metrics: Response.GetMetrics
    get_state: Response.GetState
    get_agents: Response.GetAgents
    get_frameworks: Response.GetFrameworks
    get_executors: Response.GetExecutors
    get_tasks: Response.GetTasks
    get_roles: Response.GetRoles
    get_master: Response.GetMaster
    def __init__(self, type: _Optional[_Union[Response.Type, str]] = ..., get_health: _Optional[_Union[Response.GetHealth, _Mapping]] = ..., get_flags: _Optional[_Union[Response.GetFlags, _Mapping]] = ..., get_version: _Optional[_Union[Response.GetVersion, _Mapping]] = ..., get_metrics: _Optional[_Union[Response.GetMetrics, _Mapping]] = ..., get_state: _Optional[_Union[Response.GetState, _Mapping]] = ..., get_agents: _Optional[_Union[Response.GetAgents, _Mapping]] = ..., get_frameworks: _Optional[_Union[Response.GetFrameworks, _Mapping]] = ..., get_executors: _Optional[_Union[Response.GetExecutors, _Mapping]] = ..., get_tasks: _Optional[_Union[Response.GetTasks, _Mapping]] = ..., get_roles: _Optional[_Union[Response.GetRoles, _Mapping]] = ..., get_master: _Optional[_Union[Response.GetMaster, _Mapping]] = ...) -> None: ...

class Flag(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class VersionInfo(_message.Message):
    __slots__ = ("version", "build_date")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BUILD_DATE_FIELD_NUMBER: _ClassVar[int]
    version: str
    build_date: str
    def __init__(self, version: _Optional[str] = ..., build_date: _Optional[str] = ...) -> None: ...

class Role(_message.Message):
    __slots__ = ("name", "weight", "frameworks", "resources")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    name: str
    weight: float
    frameworks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.FrameworkID]
    resources: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
    def __init__(self, name: _Optional[str] = ..., weight: _Optional[float] = ..., frameworks: _Optional[_Iterable[_Union[_mesos_pb2.FrameworkID, _Mapping]]] = ..., resources: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ...) -> None: ...

class AllocatorState(_message.Message):
    __slots__ = ("paused", "sorter", "interval_seconds", "cycles")
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    SORTER_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CYCLES_FIELD_NUMBER: _ClassVar[int]
    paused: bool
    sorter: str
    interval_seconds: float
    cycles: int
    def __init__(self, paused: _Optional[bool] = ..., sorter: _Optional[str] = ..., interval_seconds: _Optional[float] = ..., cycles: _Optional[int] = ...) -> None: ...

class SorterState(_message.Message):
    __slots__ = ("cycle", "time", "total", "roles", "frameworks", "sorter")
    class Share(_message.Message):
        __slots__ = ("resource", "share")
        RESOURCE_FIELD_NUMBER: _ClassVar[int]
        SHARE_FIELD_NUMBER: _ClassVar[int]
        resource: str
        share: float
        def __init__(self, resource: _Optional[str] = ..., share: _Optional[float] = ...) -> None: ...
    class Client(_message.Message):
        __slots__ = ("role", "framework_id", "name", "weight", "allocated", "offered", "shares", "dominant_resource", "dominant_share", "weighted_share", "active", "suppressed")
        ROLE_FIELD_NUMBER: _ClassVar[int]
        FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
        NAME_FIELD_NUMBER: _ClassVar[int]
        WEIGHT_FIELD_NUMBER: _ClassVar[int]
        ALLOCATED_FIELD_NUMBER: _ClassVar[int]
        OFFERED_FIELD_NUMBER: _ClassVar[int]
        SHARES_FIELD_NUMBER: _ClassVar[int]
        DOMINANT_RESOURCE_FIELD_NUMBER: _ClassVar[int]
        DOMINANT_SHARE_FIELD_NUMBER: _ClassVar[int]
        WEIGHTED_SHARE_FIELD_NUMBER: _ClassVar[int]
        ACTIVE_FIELD_NUMBER: _ClassVar[int]
        SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
        role: str
        framework_id: _mesos_pb2.FrameworkID
        name: str
        weight: float
        allocated: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
        offered: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
        shares: _containers.RepeatedCompositeFieldContainer[SorterState.Share]
        dominant_resource: str
        dominant_share: float
        weighted_share: float
        active: bool
        suppressed: bool
        def __init__(self, role: _Optional[str] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., name: _Optional[str] = ..., weight: _Optional[float] = ..., allocated: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., offered: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., shares: _Optional[_Iterable[_Union[SorterState.Share, _Mapping]]] = ..., dominant_resource: _Optional[str] = ..., dominant_share: _Optional[float] = ..., weighted_share: _Optional[float] = ..., active: _Optional[bool] = ..., suppressed: _Optional[bool] = ...) -> None: ...
    CYCLE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    SORTER_FIELD_NUMBER: _ClassVar[int]
    cycle: int
    time: float
    total: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
    roles: _containers.RepeatedCompositeFieldContainer[SorterState.Client]
    frameworks: _containers.RepeatedCompositeFieldContainer[SorterState.Client]
    sorter: str
    def __init__(self, cycle: _Optional[int] = ..., time: _Optional[float] = ..., total: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., roles: _Optional[_Iterable[_Union[SorterState.Client, _Mapping]]] = ..., frameworks: _Optional[_Iterable[_Union[SorterState.Client, _Mapping]]] = ..., sorter: _Optional[str] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("type", "subscribed", "task_added", "task_updated", "agent_added", "agent_removed", "framework_added", "framework_updated", "framework_removed", "offer_sent", "offer_accepted", "offer_declined", "offer_rescinded", "agent_usage", "allocation", "agent_updated", "allocator_updated", "sorter_updated")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        UNKNOWN: _ClassVar[Event.Type]
        SUBSCRIBED: _ClassVar[Event.Type]
        TASK_ADDED: _ClassVar[Event.Type]
        TASK_UPDATED: _ClassVar[Event.Type]
        AGENT_ADDED: _ClassVar[Event.Type]
        AGENT_REMOVED: _ClassVar[Event.Type]
        FRAMEWORK_ADDED: _ClassVar[Event.Type]
        FRAMEWORK_UPDATED: _ClassVar[Event.Type]
        FRAMEWORK_REMOVED: _ClassVar[Event.Type]
        HEARTBEAT: _ClassVar[Event.Type]
        OFFER_SENT: _ClassVar[Event.Type]
        OFFER_ACCEPTED: _ClassVar[Event.Type]
        OFFER_DECLINED: _ClassVar[Event.Type]
        OFFER_RESCINDED: _ClassVar[Event.Type]
        AGENT_USAGE: _ClassVar[Event.Type]
        ALLOCATION: _ClassVar[Event.Type]
        AGENT_UPDATED: _ClassVar[Event.Type]
        ALLOCATOR_UPDATED: _ClassVar[Event.Type]
        SORTER_UPDATED: _ClassVar[Event.Type]
    UNKNOWN: Event.Type
    SUBSCRIBED: Event.Type
    TASK_ADDED: Event.Type
    TASK_UPDATED: Event.Type
    AGENT_ADDED: Event.Type
    AGENT_REMOVED: Event.Type
    FRAMEWORK_ADDED: Event.Type
    FRAMEWORK_UPDATED: Event.Type
    FRAMEWORK_REMOVED: Event.Type
    HEARTBEAT: Event.Type
    OFFER_SENT: Event.Type
    OFFER_ACCEPTED: Event.Type
    OFFER_DECLINED: Event.Type
    OFFER_RESCINDED: Event.Type
    AGENT_USAGE: Event.Type
    ALLOCATION: Event.Type
    AGENT_UPDATED: Event.Type
    ALLOCATOR_UPDATED: Event.Type
    SORTER_UPDATED: Event.Type
    class Subscribed(_message.Message):
        __slots__ = ("get_state", "heartbeat_interval_seconds")
        GET_STATE_FIELD_NUMBER: _ClassVar[int]
        HEARTBEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
        get_state: Response.GetState
        heartbeat_interval_seconds: float
        def __init__(self, get_state: _Optional[_Union[Response.GetState, _Mapping]] = ..., heartbeat_interval_seconds: _Optional[float] = ...) -> None: ...
    class TaskAdded(_message.Message):
        __slots__ = ("task",)
        TASK_FIELD_NUMBER: _ClassVar[int]
        task: _mesos_pb2.Task
        def __init__(self, task: _Optional[_Union[_mesos_pb2.Task, _Mapping]] = ...) -> None: ...
    class TaskUpdated(_message.Message):
        __slots__ = ("framework_id", "status", "state")
        FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
        STATUS_FIELD_NUMBER: _ClassVar[int]
        STATE_FIELD_NUMBER: _ClassVar[int]
        framework_id: _mesos_pb2.FrameworkID
        status: _mesos_pb2.TaskStatus
        state: _mesos_pb2.TaskState
        def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., status: _Optional[_Union[_mesos_pb2.TaskStatus, _Mapping]] = ..., state: _Optional[_Union[_mesos_pb2.TaskState, str]] = ...) -> None: ...
    class FrameworkAdded(_message.Message):
        __slots__ = ("framework",)
        FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
        framework: Response.GetFrameworks.Framework
        def __init__(self, framework: _Optional[_Union[Response.GetFrameworks.Framework, _Mapping]] = ...) -> None: ...
    class FrameworkUpdated(_message.Message):
        __slots__ = ("framework",)
        FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
        framework: Response.GetFrameworks.Framework
        def __init__(self, framework: _Optional[_Union[Response.GetFrameworks.Framework, _Mapping]] = ...) -> None: ...
    class FrameworkRemoved(_message.Message):
        __slots__ = ("framework_info",)
        FRAMEWORK_INFO_FIELD_NUMBER: _ClassVar[int]
        framework_info: _mesos_pb2.FrameworkInfo
        def __init__(self, framework_info: _Optional[_Union[_mesos_pb2.FrameworkInfo, _Mapping]] = ...) -> None: ...
    class AgentAdded(_message.Message):
        __slots__ = ("agent",)
        AGENT_FIELD_NUMBER: _ClassVar[int]
        agent: Response.GetAgents.Agent
        def __init__(self, agent: _Optional[_Union[Response.GetAgents.Agent, _Mapping]] = ...) -> None: ...
    class AgentRemoved(_message.Message):
        __slots__ = ("agent_id", "reason")
        AGENT_ID_FIELD_NUMBER: _ClassVar[int]
        REASON_FIELD_NUMBER: _ClassVar[int]
        agent_id: _mesos_pb2.AgentID
        reason: str
        def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...
    class AgentUpdated(_message.Message):
        __slots__ = ("agent",)
        AGENT_FIELD_NUMBER: _ClassVar[int]
        agent: Response.GetAgents.Agent
        def __init__(self, agent: _Optional[_Union[Response.GetAgents.Agent, _Mapping]] = ...) -> None: ...
    class OfferSent(_message.Message):
        __slots__ = ("offer",)
        OFFER_FIELD_NUMBER: _ClassVar[int]
        offer: _mesos_pb2.Offer
        def __init__(self, offer: _Optional[_Union[_mesos_pb2.Offer, _Mapping]] = ...) -> None: ...
    class OfferAccepted(_message.Message):
        __slots__ = ("offer_id", "framework_id", "agent_id", "task_ids", "used")
        OFFER_ID_FIELD_NUMBER: _ClassVar[int]
        FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
        AGENT_ID_FIELD_NUMBER: _ClassVar[int]
        TASK_IDS_FIELD_NUMBER: _ClassVar[int]
        USED_FIELD_NUMBER: _ClassVar[int]
        offer_id: _mesos_pb2.OfferID
        framework_id: _mesos_pb2.FrameworkID
        agent_id: _mesos_pb2.AgentID
        task_ids: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.TaskID]
        used: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
        def __init__(self, offer_id: _Optional[_Union[_mesos_pb2.OfferID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., task_ids: _Optional[_Iterable[_Union[_mesos_pb2.TaskID, _Mapping]]] = ..., used: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ...) -> None: ...
    class OfferDeclined(_message.Message):
        __slots__ = ("offer_id", "framework_id", "agent_id", "refuse_seconds")
        OFFER_ID_FIELD_NUMBER: _ClassVar[int]
        FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
        AGENT_ID_FIELD_NUMBER: _ClassVar[int]
        REFUSE_SECONDS_FIELD_NUMBER: _ClassVar[int]
        offer_id: _mesos_pb2.OfferID
        framework_id: _mesos_pb2.FrameworkID
        agent_id: _mesos_pb2.AgentID
        refuse_seconds: float
        def __init__(self, offer_id: _Optional[_Union[_mesos_pb2.OfferID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., refuse_seconds: _Optional[float] = ...) -> None: ...
    class OfferRescinded(_message.Message):
        __slots__ = ("offer_id", "framework_id", "agent_id", "reason")
        class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
            __slots__ = ()
            UNKNOWN: _ClassVar[Event.OfferRescinded.Reason]
            TIMEOUT: _ClassVar[Event.OfferRescinded.Reason]
            AGENT_REMOVED: _ClassVar[Event.OfferRescinded.Reason]
            FRAMEWORK_REMOVED: _ClassVar[Event.OfferRescinded.Reason]
            FRAMEWORK_SUPPRESSED: _ClassVar[Event.OfferRescinded.Reason]
        UNKNOWN: Event.OfferRescinded.Reason
        TIMEOUT: Event.OfferRescinded.Reason
        AGENT_REMOVED: Event.OfferRescinded.Reason
        FRAMEWORK_REMOVED: Event.OfferRescinded.Reason
        FRAMEWORK_SUPPRESSED: Event.OfferRescinded.Reason
        OFFER_ID_FIELD_NUMBER: _ClassVar[int]
        FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
        AGENT_ID_FIELD_NUMBER: _ClassVar[int]
        REASON_FIELD_NUMBER: _ClassVar[int]
        offer_id: _mesos_pb2.OfferID
        framework_id: _mesos_pb2.FrameworkID
        agent_id: _mesos_pb2.AgentID
        reason: Event.OfferRescinded.Reason
        def __init__(self, offer_id: _Optional[_Union[_mesos_pb2.OfferID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., reason: _Optional[_Union[Event.OfferRescinded.Reason, str]] = ...) -> None: ...
    class AgentUsage(_message.Message):
        __slots__ = ("agent_id", "total", "allocated", "used", "usage")
        AGENT_ID_FIELD_NUMBER: _ClassVar[int]
        TOTAL_FIELD_NUMBER: _ClassVar[int]
        ALLOCATED_FIELD_NUMBER: _ClassVar[int]
        USED_FIELD_NUMBER: _ClassVar[int]
        USAGE_FIELD_NUMBER: _ClassVar[int]
        agent_id: _mesos_pb2.AgentID
        total: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
        allocated: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
        used: _mesos_pb2.ResourceStatistics
        usage: _mesos_pb2.ResourceUsage
        def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., total: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., allocated: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., used: _Optional[_Union[_mesos_pb2.ResourceStatistics, _Mapping]] = ..., usage: _Optional[_Union[_mesos_pb2.ResourceUsage, _Mapping]] = ...) -> None: ...
    class Allocation(_message.Message):
        __slots__ = ("cycle", "duration_ms", "roles", "frameworks", "offer_ids", "sorter", "explained", "before", "after", "decisions", "decisions_omitted")
        class Share(_message.Message):
            __slots__ = ("role", "framework_id", "name", "weight", "dominant_share", "dominant_resource", "offers")
            ROLE_FIELD_NUMBER: _ClassVar[int]
            FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
            NAME_FIELD_NUMBER: _ClassVar[int]
            WEIGHT_FIELD_NUMBER: _ClassVar[int]
            DOMINANT_SHARE_FIELD_NUMBER: _ClassVar[int]
            DOMINANT_RESOURCE_FIELD_NUMBER: _ClassVar[int]
            OFFERS_FIELD_NUMBER: _ClassVar[int]
            role: str
            framework_id: _mesos_pb2.FrameworkID
            name: str
            weight: float
            dominant_share: float
            dominant_resource: str
            offers: int
            def __init__(self, role: _Optional[str] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., name: _Optional[str] = ..., weight: _Optional[float] = ..., dominant_share: _Optional[float] = ..., dominant_resource: _Optional[str] = ..., offers: _Optional[int] = ...) -> None: ...
        class Skip(_message.Message):
            __slots__ = ("framework_id", "name", "reason", "refused", "until")
            class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
                __slots__ = ()
                UNKNOWN: _ClassVar[Event.Allocation.Skip.Reason]
                INACTIVE: _ClassVar[Event.Allocation.Skip.Reason]
                SUPPRESSED: _ClassVar[Event.Allocation.Skip.Reason]
                FILTERED: _ClassVar[Event.Allocation.Skip.Reason]
            UNKNOWN: Event.Allocation.Skip.Reason
            INACTIVE: Event.Allocation.Skip.Reason
            SUPPRESSED: Event.Allocation.Skip.Reason
            FILTERED: Event.Allocation.Skip.Reason
            FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
            NAME_FIELD_NUMBER: _ClassVar[int]
            REASON_FIELD_NUMBER: _ClassVar[int]
            REFUSED_FIELD_NUMBER: _ClassVar[int]
            UNTIL_FIELD_NUMBER: _ClassVar[int]
            framework_id: _mesos_pb2.FrameworkID
            name: str
            reason: Event.Allocation.Skip.Reason
            refused: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
            until: float
            def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., name: _Optional[str] = ..., reason: _Optional[_Union[Event.Allocation.Skip.Reason, str]] = ..., refused: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., until: _Optional[float] = ...) -> None: ...
        class AgentDecision(_message.Message):
            __slots__ = ("agent_id", "hostname", "free", "framework_id", "name", "offer_id", "skipped", "skipped_omitted", "reason")
            class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
                __slots__ = ()
                WALKED: _ClassVar[Event.Allocation.AgentDecision.Reason]
                AGENT_INACTIVE: _ClassVar[Event.Allocation.AgentDecision.Reason]
                NOTHING_FREE: _ClassVar[Event.Allocation.AgentDecision.Reason]
                BELOW_MIN_ALLOCATABLE: _ClassVar[Event.Allocation.AgentDecision.Reason]
            WALKED: Event.Allocation.AgentDecision.Reason
            AGENT_INACTIVE: Event.Allocation.AgentDecision.Reason
            NOTHING_FREE: Event.Allocation.AgentDecision.Reason
            BELOW_MIN_ALLOCATABLE: Event.Allocation.AgentDecision.Reason
            AGENT_ID_FIELD_NUMBER: _ClassVar[int]
            HOSTNAME_FIELD_NUMBER: _ClassVar[int]
            FREE_FIELD_NUMBER: _ClassVar[int]
            FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
            NAME_FIELD_NUMBER: _ClassVar[int]
            OFFER_ID_FIELD_NUMBER: _ClassVar[int]
            SKIPPED_FIELD_NUMBER: _ClassVar[int]
            SKIPPED_OMITTED_FIELD_NUMBER: _ClassVar[int]
            REASON_FIELD_NUMBER: _ClassVar[int]
            agent_id: _mesos_pb2.AgentID
            hostname: str
            free: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Resource]
            framework_id: _mesos_pb2.FrameworkID
            name: str
            offer_id: _mesos_pb2.OfferID
            skipped: _containers.RepeatedCompositeFieldContainer[Event.Allocation.Skip]
            skipped_omitted: int
            reason: Event.Allocation.AgentDecision.Reason
            def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., hostname: _Optional[str] = ..., free: _Optional[_Iterable[_Union[_mesos_pb2.Resource, _Mapping]]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., name: _Optional[str] = ..., offer_id: _Optional[_Union[_mesos_pb2.OfferID, _Mapping]] = ..., skipped: _Optional[_Iterable[_Union[Event.Allocation.Skip, _Mapping]]] = ..., skipped_omitted: _Optional[int] = ..., reason: _Optional[_Union[Event.Allocation.AgentDecision.Reason, str]] = ...) -> None: ...
        CYCLE_FIELD_NUMBER: _ClassVar[int]
        DURATION_MS_FIELD_NUMBER: _ClassVar[int]
        ROLES_FIELD_NUMBER: _ClassVar[int]
        FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
        OFFER_IDS_FIELD_NUMBER: _ClassVar[int]
        SORTER_FIELD_NUMBER: _ClassVar[int]
        EXPLAINED_FIELD_NUMBER: _ClassVar[int]
        BEFORE_FIELD_NUMBER: _ClassVar[int]
        AFTER_FIELD_NUMBER: _ClassVar[int]
        DECISIONS_FIELD_NUMBER: _ClassVar[int]
        DECISIONS_OMITTED_FIELD_NUMBER: _ClassVar[int]
        cycle: int
        duration_ms: float
        roles: _containers.RepeatedCompositeFieldContainer[Event.Allocation.Share]
        frameworks: _containers.RepeatedCompositeFieldContainer[Event.Allocation.Share]
        offer_ids: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.OfferID]
        sorter: str
        explained: bool
        before: SorterState
        after: SorterState
        decisions: _containers.RepeatedCompositeFieldContainer[Event.Allocation.AgentDecision]
        decisions_omitted: int
        def __init__(self, cycle: _Optional[int] = ..., duration_ms: _Optional[float] = ..., roles: _Optional[_Iterable[_Union[Event.Allocation.Share, _Mapping]]] = ..., frameworks: _Optional[_Iterable[_Union[Event.Allocation.Share, _Mapping]]] = ..., offer_ids: _Optional[_Iterable[_Union[_mesos_pb2.OfferID, _Mapping]]] = ..., sorter: _Optional[str] = ..., explained: _Optional[bool] = ..., before: _Optional[_Union[SorterState, _Mapping]] = ..., after: _Optional[_Union[SorterState, _Mapping]] = ..., decisions: _Optional[_Iterable[_Union[Event.Allocation.AgentDecision, _Mapping]]] = ..., decisions_omitted: _Optional[int] = ...) -> None: ...
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBED_FIELD_NUMBER: _ClassVar[int]
    TASK_ADDED_FIELD_NUMBER: _ClassVar[int]
    TASK_UPDATED_FIELD_NUMBER: _ClassVar[int]
    AGENT_ADDED_FIELD_NUMBER: _ClassVar[int]
    AGENT_REMOVED_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ADDED_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_UPDATED_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_REMOVED_FIELD_NUMBER: _ClassVar[int]
    OFFER_SENT_FIELD_NUMBER: _ClassVar[int]
    OFFER_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    OFFER_DECLINED_FIELD_NUMBER: _ClassVar[int]
    OFFER_RESCINDED_FIELD_NUMBER: _ClassVar[int]
    AGENT_USAGE_FIELD_NUMBER: _ClassVar[int]
    ALLOCATION_FIELD_NUMBER: _ClassVar[int]
    AGENT_UPDATED_FIELD_NUMBER: _ClassVar[int]
    ALLOCATOR_UPDATED_FIELD_NUMBER: _ClassVar[int]
    SORTER_UPDATED_FIELD_NUMBER: _ClassVar[int]
    type: Event.Type
    subscribed: Event.Subscribed
    task_added: Event.TaskAdded
    task_updated: Event.TaskUpdated
    agent_added: Event.AgentAdded
    agent_removed: Event.AgentRemoved
    framework_added: Event.FrameworkAdded
    framework_updated: Event.FrameworkUpdated
    framework_removed: Event.FrameworkRemoved
    offer_sent: Event.OfferSent
    offer_accepted: Event.OfferAccepted
    offer_declined: Event.OfferDeclined
    offer_rescinded: Event.OfferRescinded
    agent_usage: Event.AgentUsage
    allocation: Event.Allocation
    agent_updated: Event.AgentUpdated
    allocator_updated: AllocatorState
    sorter_updated: SorterState
    def __init__(self, type: _Optional[_Union[Event.Type, str]] = ..., subscribed: _Optional[_Union[Event.Subscribed, _Mapping]] = ..., task_added: _Optional[_Union[Event.TaskAdded, _Mapping]] = ..., task_updated: _Optional[_Union[Event.TaskUpdated, _Mapping]] = ..., agent_added: _Optional[_Union[Event.AgentAdded, _Mapping]] = ..., agent_removed: _Optional[_Union[Event.AgentRemoved, _Mapping]] = ..., framework_added: _Optional[_Union[Event.FrameworkAdded, _Mapping]] = ..., framework_updated: _Optional[_Union[Event.FrameworkUpdated, _Mapping]] = ..., framework_removed: _Optional[_Union[Event.FrameworkRemoved, _Mapping]] = ..., offer_sent: _Optional[_Union[Event.OfferSent, _Mapping]] = ..., offer_accepted: _Optional[_Union[Event.OfferAccepted, _Mapping]] = ..., offer_declined: _Optional[_Union[Event.OfferDeclined, _Mapping]] = ..., offer_rescinded: _Optional[_Union[Event.OfferRescinded, _Mapping]] = ..., agent_usage: _Optional[_Union[Event.AgentUsage, _Mapping]] = ..., allocation: _Optional[_Union[Event.Allocation, _Mapping]] = ..., agent_updated: _Optional[_Union[Event.AgentUpdated, _Mapping]] = ..., allocator_updated: _Optional[_Union[AllocatorState, _Mapping]] = ..., sorter_updated: _Optional[_Union[SorterState, _Mapping]] = ...) -> None: ...
