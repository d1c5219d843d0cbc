"""The tasks view's `/` filter: the shell's filter language (`mesos_tui.shell.filters`) over
the TUI's mirror.

There is one language, so `/state:running !name:^tmp` in the TUI and `tasks -a state:running
!name:^tmp` in the shell pick the same tasks: words AND together, each a case-insensitive
regular expression over id, name, state, agent and framework; `field:regex` searches one
field (`id: name: state: agent: framework: role: reason: command:`); `!word` negates a word,
a lone `!` first negates the whole filter. A bad regular expression or an unknown field is a
`FilterError` whose one-line message the filter bar shows.

    >>> keep = task_predicate(TaskFilter.parse("state:running agent:a1"), mirror)

Every other view filters with the same language (`parse_view`) over its own fields (a
`FieldSet`: agents `host: state: attr:`, frameworks `name: role: principal:`, offers `fw:
agent: outcome:`, events `kind: text:`, roles `role: fw:`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mesos_tui.client.mirror import ClusterMirror, TaskView
from mesos_tui.shell.filters import (
    FIELDS,
    FilterError,
    TaskFilter,
    Values,
    split_words,
    task_values,
)
from mesos_tui.shell.filters import _compile as compile_word

__all__ = ["FIELDS", "FieldSet", "FilterError", "TaskFilter", "parse", "parse_view",
           "task_predicate", "view_predicate"]


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


# ------------------------------------------------------------------ every other view


@dataclass(frozen=True, slots=True)
class ViewTerm:
    """A filter word of a view other than tasks: like the shell's `Term`, but a bare word
    is searched in the view's own text fields."""

    field: str | None
    pattern: re.Pattern[str]
    negate: bool
    source: str
    text_fields: tuple[str, ...]

    def hit(self, values: Values) -> bool:
        for name in self.text_fields if self.field is None else (self.field,):
            value = values.get(name)
            if value is None:
                continue
            if isinstance(value, str):
                value = (value,)
            if any(self.pattern.search(v) for v in value):
                return True
        return False


@dataclass(frozen=True, slots=True)
class FieldSet:
    """The fields one view's `/` filter knows: `fields` for `field:regex`, `aliases` for
    other spellings, `text` for what a bare word searches."""

    view: str
    fields: tuple[str, ...]
    text: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def hint(self) -> str:
        return " ".join(f"{f}:…" for f in self.fields[:6])


def parse_view(text: str, fields: FieldSet) -> TaskFilter:
    """`text` in the one filter language, with `fields`' field names; raises `FilterError`
    with one line (an unknown field names the ones this view has)."""
    words = [w for w in split_words(text) if w != ""]
    negate_all = bool(words) and words[0] == "!"
    if negate_all:
        words = words[1:]
    terms = []
    for word in words:
        if word == "!":
            raise FilterError("a lone '!' negates the whole filter only as its first word")
        negate = word.startswith("!")
        body = word[1:] if negate else word
        name, sep, rest = body.partition(":")
        field_name: str | None = None
        if sep and re.fullmatch(r"[A-Za-z_]+", name):
            key = fields.aliases.get(name.lower(), name.lower())
            if key not in fields.fields:
                known = ", ".join(f"{f}:" for f in fields.fields)
                raise FilterError(f"the {fields.view} view has no filter field {name + ':'!r} "
                                  f"(known: {known})")
            field_name, body = key, rest
        terms.append(ViewTerm(field_name, compile_word(body, word), negate, word, fields.text))
    return TaskFilter(text.strip(), tuple(terms), negate_all)  # type: ignore[arg-type]


_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


def exact(value: str) -> str:
    """A regular expression matching exactly `value`, escaping only what is special
    (`re.escape` also escapes `-`, which makes an id hard to read in a title)."""
    return "^" + _SPECIAL.sub(r"\\\1", value) + "$"


def view_predicate(flt: TaskFilter, values: Callable[[Any], Values]
                   ) -> Callable[[Any], bool] | None:
    """A row filter: `values(row)` matched against `flt`; None for the empty filter."""
    if not flt:
        return None
    match = flt.match
    return lambda row: match(values(row))


def both(a: Callable[[Any], bool] | None, b: Callable[[Any], bool] | None
         ) -> Callable[[Any], bool] | None:
    """Two row filters at once (either may be None: no filter)."""
    if a is None or b is None:
        return a or b
    return lambda row: a(row) and b(row)


AGENT_FIELDS = FieldSet(
    "agents", ("id", "host", "state", "attr", "resources", "version"),
    ("id", "host", "state", "attr"),
    {"hostname": "host", "agent": "host", "attribute": "attr", "attributes": "attr",
     "s": "state", "res": "resources"})
FRAMEWORK_FIELDS = FieldSet(
    "frameworks", ("id", "name", "state", "role", "principal", "user", "host"),
    ("id", "name", "state", "role", "principal"),
    {"fw": "name", "framework": "name", "s": "state", "hostname": "host"})
OFFER_FIELDS = FieldSet(
    "offers", ("id", "fw", "agent", "outcome", "role", "resources"),
    ("id", "fw", "agent", "outcome"),
    {"framework": "fw", "host": "agent", "state": "outcome", "s": "state", "res": "resources"})
EVENT_FIELDS = FieldSet(
    "events", ("kind", "text"), ("kind", "text"),
    {"type": "kind", "event": "kind", "k": "kind"})
ROLE_FIELDS = FieldSet(
    "roles", ("role", "fw"), ("role", "fw"), {"name": "role", "framework": "fw"})
