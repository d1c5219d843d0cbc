"""The tasks view's `/` filter: the shell's filter language (`mesos_tui.shell.filters`) over
the TUI's mirror.

There is one language, so `/state:running !name:^tmp` in the TUI and `tasks -a state:running
!name:^tmp` in the shell pick the same tasks: words AND together, each a case-insensitive
regular expression over id, name, state, agent and framework; `field:regex` searches one
field (`id: name: state: agent: framework: role: reason: command:`); `!word` negates a word,
a lone `!` first negates the whole filter. A bad regular expression or an unknown field is a
`FilterError` whose one-line message the filter bar shows.

    >>> keep = task_predicate(TaskFilter.parse("state:running agent:a1"), mirror)
"""

from __future__ import annotations

from collections.abc import Callable

from mesos_tui.client.mirror import ClusterMirror, TaskView
from mesos_tui.shell.filters import FIELDS, FilterError, TaskFilter, task_values

__all__ = ["FIELDS", "FilterError", "TaskFilter", "parse", "task_predicate"]


def parse(text: str) -> TaskFilter:
    """`TaskFilter.parse`; raises `FilterError` with one line saying what is wrong."""
    return TaskFilter.parse(text)


def task_predicate(flt: TaskFilter, mirror: ClusterMirror) -> Callable[[TaskView], bool] | None:
    """Whether a task of `mirror` passes `flt`; None for the empty filter (every task)."""
    if not flt:
        return None
    agents = mirror.agents
    frameworks = mirror.frameworks
    match = flt.match

    def keep(task: TaskView) -> bool:
        return match(task_values(task, agents, frameworks))

    return keep
