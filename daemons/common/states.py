"""Task states: which are terminal, and their Mesos names.

One definition for the master, the agent and every client, so they never disagree on when a
task has ended (Mesos's `protobuf::isTerminalState`).
"""

from __future__ import annotations

from daemons.proto import mesos_pb2

TERMINAL_STATES = frozenset(
    {
        mesos_pb2.TASK_FINISHED,
        mesos_pb2.TASK_FAILED,
        mesos_pb2.TASK_KILLED,
        mesos_pb2.TASK_ERROR,
        mesos_pb2.TASK_LOST,
        mesos_pb2.TASK_DROPPED,
        mesos_pb2.TASK_GONE,
        mesos_pb2.TASK_GONE_BY_OPERATOR,
    }
)


def is_terminal(state: int) -> bool:
    return state in TERMINAL_STATES


def state_name(state: int) -> str:
    """`TASK_RUNNING` for TASK_RUNNING; the number for a state this build does not know."""
    try:
        return mesos_pb2.TaskState.Name(state)
    except ValueError:
        return str(state)
