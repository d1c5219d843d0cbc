"""The task filter language shared by the shell and the TUI: parse once, match many.

A filter is words, all of which must match (AND):

- `text` is a case-insensitive regular expression searched in a task's id, name, state,
  agent (id and hostname) and framework (id and name);
- `field:text` searches one field only: `id:`, `name:`, `state:`, `agent:` (`host:`),
  `framework:` (`fw:`), `role:`, `reason:`, `command:` (`cmd:`);
- `!word` negates one word; a lone `!` first (`! state:running`) negates the whole filter;
- quotes group a word with spaces (`name:"nightly build"`); backslashes are kept as they are,
  so `name:\\d+` is the regular expression `\\d+`.

A word that is not a valid regular expression, or a field this language does not know, is a
`FilterError` with one line saying what is wrong; nothing here guesses.

Pure code: a filter matches a mapping of field name -> value(s), so any task representation
works. `task_values()` builds that mapping from the client mirror's `TaskView`.

    >>> f = TaskFilter.parse("state:running !name:^sleep agent:a1")
    >>> f.match({"state": ["TASK_RUNNING", "running"], "name": "build", "agent": "a1"})
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FIELDS: tuple[str, ...] = (
    "id", "name", "state", "agent", "framework", "role", "reason", "command",
)
ALIASES: dict[str, str] = {
    "fw": "framework", "host": "agent", "hostname": "agent", "s": "state", "task": "id",
    "cmd": "command",
}
# What a bare word (no `field:`) is searched in.
TEXT_FIELDS: tuple[str, ...] = ("id", "name", "state", "agent", "framework")

Values = Mapping[str, str | Iterable[str]]


class FilterError(ValueError):
    """A filter that cannot be parsed; the message is one line a person can act on."""


@dataclass(frozen=True, slots=True)
class Term:
    """One word of a filter: a pattern, the field it is searched in (None: the text fields),
    and whether it is negated."""

    field: str | None
    pattern: re.Pattern[str]
    negate: bool
    source: str

    def hit(self, values: Values) -> bool:
        fields = TEXT_FIELDS if self.field is None else (self.field,)
        for name in fields:
            value = values.get(name)
            if value is None:
                continue
            if isinstance(value, str):
                value = (value,)
            if any(self.pattern.search(v) for v in value):
                return True
        return False


def split_words(text: str) -> list[str]:
    """Split on whitespace; quotes ('...' or "...") group; backslashes stay literal."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    quote: str | None = None
    for ch in text:
        if quote is not None:
            if ch == quote:
                quote = None
            else:
                current.append(ch)
        elif ch in "'\"":
            quote = ch
            in_word = True
        elif ch.isspace():
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
        else:
            current.append(ch)
            in_word = True
    if quote is not None:
        raise FilterError(f"unterminated {quote} quote in filter {text!r}")
    if in_word:
        words.append("".join(current))
    return words


def _compile(text: str, word: str) -> re.Pattern[str]:
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as e:
        raise FilterError(
            f"bad regular expression {text!r} in filter word {word!r}: {e.msg}"
            + (f" at position {e.pos}" if e.pos is not None else "")
            + " (escape special characters with \\ )"
        ) from None


def parse_term(word: str) -> Term:
    """One filter word -> a `Term`. Raises `FilterError`."""
    negate = word.startswith("!")
    body = word[1:] if negate else word
    field: str | None = None
    name, sep, rest = body.partition(":")
    if sep and re.fullmatch(r"[A-Za-z_]+", name):
        key = name.lower()
        key = ALIASES.get(key, key)
        if key not in FIELDS:
            known = ", ".join(f"{f}:" for f in FIELDS)
            raise FilterError(f"unknown filter field {name + ':'!r} (known: {known})")
        field = key
        body = rest
    return Term(field, _compile(body, word), negate, word)


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """A parsed filter. `match(values)` is True when every term matches (or, with
    `negate_all`, when not all do). The empty filter matches everything."""

    text: str = ""
    terms: tuple[Term, ...] = ()
    negate_all: bool = False

    @classmethod
    def parse(cls, text: str) -> TaskFilter:
        return cls.from_words(split_words(text), text)

    @classmethod
    def from_words(cls, words: Sequence[str], text: str | None = None) -> TaskFilter:
        words = [w for w in words if w != ""]
        negate_all = False
        if words and words[0] == "!":
            negate_all = True
            words = words[1:]
        terms = []
        for w in words:
            if w == "!":
                raise FilterError("a lone '!' negates the whole filter only as its first word")
            terms.append(parse_term(w))
        shown = text if text is not None else " ".join(_quote(w) for w in words)
        if negate_all and text is None:
            shown = "! " + shown
        return cls(shown.strip(), tuple(terms), negate_all)

    def __bool__(self) -> bool:
        return bool(self.terms) or self.negate_all

    def match(self, values: Values) -> bool:
        ok = all(term.hit(values) != term.negate for term in self.terms)
        return not ok if self.negate_all else ok

    def mentions(self, field: str) -> bool:
        """Whether a term searches `field` explicitly (as in `state:killed`)."""
        return any(t.field == field for t in self.terms)

    def and_(self, other: TaskFilter | None) -> TaskFilter:
        """Both filters at once. (A negated-whole filter cannot be flattened, so combining
        one keeps it as the only negation: the result matches what both match.)"""
        if other is None or not other:
            return self
        if not self:
            return other
        if not self.negate_all and not other.negate_all:
            return TaskFilter(f"{self.text} {other.text}", self.terms + other.terms, False)
        return _Both(f"{self.text} && {other.text}", (), False, self, other)


@dataclass(frozen=True, slots=True)
class _Both(TaskFilter):
    left: TaskFilter | None = None
    right: TaskFilter | None = None

    def __bool__(self) -> bool:
        return True

    def match(self, values: Values) -> bool:
        assert self.left is not None and self.right is not None
        return self.left.match(values) and self.right.match(values)

    def mentions(self, field: str) -> bool:
        assert self.left is not None and self.right is not None
        return self.left.mentions(field) or self.right.mentions(field)


def _quote(word: str) -> str:
    return f'"{word}"' if any(c.isspace() for c in word) else word


def parse_filter(text: str) -> TaskFilter:
    """`TaskFilter.parse`; raises `FilterError` with a one-line message."""
    return TaskFilter.parse(text)


def state_values(state_name: str) -> list[str]:
    """`TASK_RUNNING` or `running` -> both spellings, so `state:running` and
    `state:^TASK_RUNNING$` both work."""
    short = state_name.removeprefix("TASK_").lower()
    return [f"TASK_{short.upper()}", short]


def task_values(task: Any, agents: Mapping[str, Any] | None = None,
                frameworks: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """The field values of a task (the client mirror's `TaskView`, or anything with its
    attributes), looking up hostnames and framework names/roles in `agents`/`frameworks`
    (mappings of id -> object with `hostname` / `name`, `role`)."""
    agent = (agents or {}).get(task.agent_id)
    fw = (frameworks or {}).get(task.framework_id)
    return {
        "id": [task.id],
        "name": [task.name],
        "state": state_values(getattr(task, "state_name", "") or ""),
        "agent": [task.agent_id, getattr(agent, "hostname", "") or ""],
        "framework": [task.framework_id, getattr(fw, "name", "") or ""],
        "role": [getattr(fw, "role", "") or ""],
        "reason": [getattr(task, "reason", "") or "", getattr(task, "message", "") or ""],
        "command": [getattr(task, "command", "") or ""],
    }
