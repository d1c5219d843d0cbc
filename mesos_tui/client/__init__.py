"""Clients of the cluster: the scheduler driver for Python frameworks (and, beside it, the
operator client and the agent files client).

The driver's names are loaded on first use: importing any `mesos_tui.client.*` module runs
this file first, and `mesos-tui --help` (which checks --master with client.sources) must not
load gRPC for it.
"""

from typing import Any

__all__ = [
    "DriverError",
    "Scheduler",
    "SchedulerDriver",
    "command_info",
    "launch_operation",
    "offer_resources",
    "task_info",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from mesos_tui.client import scheduler

    return getattr(scheduler, name)
