"""Clients of the cluster: the scheduler driver for Python frameworks (and, beside it, the
operator client and the agent files client)."""

from mesos_tui.client.scheduler import (
    DriverError,
    Scheduler,
    SchedulerDriver,
    command_info,
    launch_operation,
    offer_resources,
    task_info,
)

__all__ = [
    "DriverError",
    "Scheduler",
    "SchedulerDriver",
    "command_info",
    "launch_operation",
    "offer_resources",
    "task_info",
]
