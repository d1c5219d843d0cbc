from daemons.proto import mesos_pb2 as _mesos_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterAgent(_message.Message):
    __slots__ = ("agent_info", "tasks", "frameworks", "version", "files_address", "executor_infos")
    AGENT_INFO_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORKS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FILES_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_INFOS_FIELD_NUMBER: _ClassVar[int]
    agent_info: _mesos_pb2.AgentInfo
    tasks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.Task]
    frameworks: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.FrameworkInfo]
    version: str
    files_address: str
    executor_infos: _containers.RepeatedCompositeFieldContainer[_mesos_pb2.ExecutorInfo]
    def __init__(self, agent_info: _Optional[_Union[_mesos_pb2.AgentInfo, _Mapping]] = ..., tasks: _Optional[_Iterable[_Union[_mesos_pb2.Task, _Mapping]]] = ..., frameworks: _Optional[_Iterable[_Union[_mesos_pb2.FrameworkInfo, _Mapping]]] = ..., version: _Optional[str] = ..., files_address: _Optional[str] = ..., executor_infos: _Optional[_Iterable[_Union[_mesos_pb2.ExecutorInfo, _Mapping]]] = ...) -> None: ...

class AgentRegistered(_message.Message):
    __slots__ = ("agent_id", "master_info", "ping_interval_seconds")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    MASTER_INFO_FIELD_NUMBER: _ClassVar[int]
    PING_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    agent_id: _mesos_pb2.AgentID
    master_info: _mesos_pb2.MasterInfo
    ping_interval_seconds: float
    def __init__(self, agent_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., master_info: _Optional[_Union[_mesos_pb2.MasterInfo, _Mapping]] = ..., ping_interval_seconds: _Optional[float] = ...) -> None: ...

class RunTask(_message.Message):
    __slots__ = ("framework_info", "task")
    FRAMEWORK_INFO_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    framework_info: _mesos_pb2.FrameworkInfo
    task: _mesos_pb2.TaskInfo
    def __init__(self, framework_info: _Optional[_Union[_mesos_pb2.FrameworkInfo, _Mapping]] = ..., task: _Optional[_Union[_mesos_pb2.TaskInfo, _Mapping]] = ...) -> None: ...

class KillTask(_message.Message):
    __slots__ = ("framework_id", "task_id", "kill_policy")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    KILL_POLICY_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    task_id: _mesos_pb2.TaskID
    kill_policy: _mesos_pb2.KillPolicy
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., task_id: _Optional[_Union[_mesos_pb2.TaskID, _Mapping]] = ..., kill_policy: _Optional[_Union[_mesos_pb2.KillPolicy, _Mapping]] = ...) -> None: ...

class StatusUpdate(_message.Message):
    __slots__ = ("framework_id", "status", "latest_state")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LATEST_STATE_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    status: _mesos_pb2.TaskStatus
    latest_state: _mesos_pb2.TaskState
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., status: _Optional[_Union[_mesos_pb2.TaskStatus, _Mapping]] = ..., latest_state: _Optional[_Union[_mesos_pb2.TaskState, str]] = ...) -> None: ...

class StatusUpdateAcknowledgement(_message.Message):
    __slots__ = ("framework_id", "task_id", "uuid")
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    task_id: _mesos_pb2.TaskID
    uuid: bytes
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., task_id: _Optional[_Union[_mesos_pb2.TaskID, _Mapping]] = ..., uuid: _Optional[bytes] = ...) -> None: ...

class ShutdownFramework(_message.Message):
    __slots__ = ("framework_id",)
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    framework_id: _mesos_pb2.FrameworkID
    def __init__(self, framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ...) -> None: ...

class FrameworkToExecutorMessage(_message.Message):
    __slots__ = ("slave_id", "framework_id", "executor_id", "data")
    SLAVE_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    slave_id: _mesos_pb2.AgentID
    framework_id: _mesos_pb2.FrameworkID
    executor_id: _mesos_pb2.ExecutorID
    data: bytes
    def __init__(self, slave_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ExecutorToFrameworkMessage(_message.Message):
    __slots__ = ("slave_id", "framework_id", "executor_id", "data")
    SLAVE_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    slave_id: _mesos_pb2.AgentID
    framework_id: _mesos_pb2.FrameworkID
    executor_id: _mesos_pb2.ExecutorID
    data: bytes
    def __init__(self, slave_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., data: _Optional[bytes] = ...) -> None: ...

class ExitedExecutorMessage(_message.Message):
    __slots__ = ("slave_id", "framework_id", "executor_id", "status")
    SLAVE_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    slave_id: _mesos_pb2.AgentID
    framework_id: _mesos_pb2.FrameworkID
    executor_id: _mesos_pb2.ExecutorID
    status: int
    def __init__(self, slave_id: _Optional[_Union[_mesos_pb2.AgentID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ..., executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., status: _Optional[int] = ...) -> None: ...

class ShutdownExecutorMessage(_message.Message):
    __slots__ = ("executor_id", "framework_id")
    EXECUTOR_ID_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_ID_FIELD_NUMBER: _ClassVar[int]
    executor_id: _mesos_pb2.ExecutorID
    framework_id: _mesos_pb2.FrameworkID
    def __init__(self, executor_id: _Optional[_Union[_mesos_pb2.ExecutorID, _Mapping]] = ..., framework_id: _Optional[_Union[_mesos_pb2.FrameworkID, _Mapping]] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class Pong(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class UsageReport(_message.Message):
    __slots__ = ("usage", "host")
    USAGE_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    usage: _mesos_pb2.ResourceUsage
    host: _mesos_pb2.ResourceStatistics
    def __init__(self, usage: _Optional[_Union[_mesos_pb2.ResourceUsage, _Mapping]] = ..., host: _Optional[_Union[_mesos_pb2.ResourceStatistics, _Mapping]] = ...) -> None: ...

class AgentMessage(_message.Message):
    __slots__ = ("register", "status_update", "usage", "pong", "executor_to_framework", "exited_executor")
    REGISTER_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    PONG_FIELD_NUMBER: _ClassVar[int]
    EXECUTOR_TO_FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
    EXITED_EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    register: RegisterAgent
    status_update: StatusUpdate
    usage: UsageReport
    pong: Pong
    executor_to_framework: ExecutorToFrameworkMessage
    exited_executor: ExitedExecutorMessage
    def __init__(self, register: _Optional[_Union[RegisterAgent, _Mapping]] = ..., status_update: _Optional[_Union[StatusUpdate, _Mapping]] = ..., usage: _Optional[_Union[UsageReport, _Mapping]] = ..., pong: _Optional[_Union[Pong, _Mapping]] = ..., executor_to_framework: _Optional[_Union[ExecutorToFrameworkMessage, _Mapping]] = ..., exited_executor: _Optional[_Union[ExitedExecutorMessage, _Mapping]] = ...) -> None: ...

class MasterMessage(_message.Message):
    __slots__ = ("registered", "run_task", "kill_task", "acknowledgement", "shutdown_framework", "ping", "framework_to_executor", "shutdown_executor")
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    RUN_TASK_FIELD_NUMBER: _ClassVar[int]
    KILL_TASK_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGEMENT_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FRAMEWORK_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    FRAMEWORK_TO_EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_EXECUTOR_FIELD_NUMBER: _ClassVar[int]
    registered: AgentRegistered
    run_task: RunTask
    kill_task: KillTask
    acknowledgement: StatusUpdateAcknowledgement
    shutdown_framework: ShutdownFramework
    ping: Ping
    framework_to_executor: FrameworkToExecutorMessage
    shutdown_executor: ShutdownExecutorMessage
    def __init__(self, registered: _Optional[_Union[AgentRegistered, _Mapping]] = ..., run_task: _Optional[_Union[RunTask, _Mapping]] = ..., kill_task: _Optional[_Union[KillTask, _Mapping]] = ..., acknowledgement: _Optional[_Union[StatusUpdateAcknowledgement, _Mapping]] = ..., shutdown_framework: _Optional[_Union[ShutdownFramework, _Mapping]] = ..., ping: _Optional[_Union[Ping, _Mapping]] = ..., framework_to_executor: _Optional[_Union[FrameworkToExecutorMessage, _Mapping]] = ..., shutdown_executor: _Optional[_Union[ShutdownExecutorMessage, _Mapping]] = ...) -> None: ...

class FileInfo(_message.Message):
    __slots__ = ("path", "size", "is_dir", "mtime", "mode")
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    IS_DIR_FIELD_NUMBER: _ClassVar[int]
    MTIME_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    path: str
    size: int
    is_dir: bool
    mtime: float
    mode: int
    def __init__(self, path: _Optional[str] = ..., size: _Optional[int] = ..., is_dir: _Optional[bool] = ..., mtime: _Optional[float] = ..., mode: _Optional[int] = ...) -> None: ...

class ListFilesRequest(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class ListFilesResponse(_message.Message):
    __slots__ = ("files",)
    FILES_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[FileInfo]
    def __init__(self, files: _Optional[_Iterable[_Union[FileInfo, _Mapping]]] = ...) -> None: ...

class ReadFileRequest(_message.Message):
    __slots__ = ("path", "offset", "length")
    PATH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    LENGTH_FIELD_NUMBER: _ClassVar[int]
    path: str
    offset: int
    length: int
    def __init__(self, path: _Optional[str] = ..., offset: _Optional[int] = ..., length: _Optional[int] = ...) -> None: ...

class ReadFileResponse(_message.Message):
    __slots__ = ("data", "offset", "size")
    DATA_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    offset: int
    size: int
    def __init__(self, data: _Optional[bytes] = ..., offset: _Optional[int] = ..., size: _Optional[int] = ...) -> None: ...

class FollowFileRequest(_message.Message):
    __slots__ = ("path", "offset")
    PATH_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    path: str
    offset: int
    def __init__(self, path: _Optional[str] = ..., offset: _Optional[int] = ...) -> None: ...
