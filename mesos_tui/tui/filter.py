"""The task filter language of the tasks view (k9s-style).

A filter is words, all of which must match (AND):

- `text` matches a task's id, name, state, agent or framework; it is a case-insensitive
  regular expression when it compiles as one, plain text otherwise;
- `field:text` matches one field: `state:`, `agent:`, `framework:` (or `fw:`), `name:`,
  `id:`, `role:`, `reason:`;
- `!word` negates a word, and a leading `!` on its own (`! word ...`) negates the whole filter.

    >>> f = TaskFilter.parse("state:running !name:^sleep agent:a1")
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from mesos_tui.client.mirror import ClusterMirror, TaskView

FIELDS = ("state", "agent", "framework", "name", "id", "role", "reason")
ALIASES = {"fw": "framework", "host": "agent", "s": "state"}


class FilterError(ValueError):
    pass


@dataclass(slots=True)
class Term:
    field: str | None
    pattern: re.Pattern[str]
    negate: bool


def _compile(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error:
        return re.compile(re.escape(text), re.IGNORECASE)


@dataclass(slots=True)
class TaskFilter:
    text: str
    terms: list[Term]
    negate_all: bool = False

    @classmethod
    def parse(cls, text: str) -> TaskFilter:
        words = text.split()
        negate_all = False
        if words and words[0] == "!":
            negate_all = True
            words = words[1:]
        terms: list[Term] = []
        for word in words:
            negate = word.startswith("!")
            if negate:
                word = word[1:]
            field = None
            name, sep, rest = word.partition(":")
            if sep and (name.lower() in FIELDS or name.lower() in ALIASES):
                field = ALIASES.get(name.lower(), name.lower())
                word = rest
            if not word:
                continue
            terms.append(Term(field, _compile(word), negate))
        return cls(text, terms, negate_all)

    def predicate(self, mirror: ClusterMirror) -> Callable[[TaskView], bool] | None:
        if not self.terms:
            return (lambda task: False) if self.negate_all else None
        frameworks = mirror.frameworks
        agents = mirror.agents

        def values(task: TaskView, field: str | None) -> tuple[str, ...]:
            if field == "state":
                return (task.state_name,)
            if field == "agent":
                agent = agents.get(task.agent_id)
                return (task.agent_id, agent.hostname if agent else "")
            if field == "framework":
                fw = frameworks.get(task.framework_id)
                return (task.framework_id, fw.name if fw else "")
            if field == "name":
                return (task.name,)
            if field == "id":
                return (task.id,)
            if field == "role":
                fw = frameworks.get(task.framework_id)
                return (fw.role if fw else "",)
            if field == "reason":
                return (task.reason, task.message)
            agent = agents.get(task.agent_id)
            fw = frameworks.get(task.framework_id)
            return (
                task.id, task.name, task.state_name, agent.hostname if agent else task.agent_id,
                fw.name if fw else task.framework_id,
            )

        terms = self.terms
        negate_all = self.negate_all

        def keep(task: TaskView) -> bool:
            for term in terms:
                hit = any(term.pattern.search(v) for v in values(task, term.field))
                if hit == term.negate:
                    return negate_all
            return not negate_all

        return keep
