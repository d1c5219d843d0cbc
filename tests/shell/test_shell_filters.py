"""The filter language (mesos_tui.shell.filters): text, regex, `!`, fields, combinations."""

from __future__ import annotations

import pytest

from mesos_tui.shell.filters import FilterError, TaskFilter, split_words, state_values


def task(**fields: str) -> dict[str, list[str]]:
    base = {
        "id": "web-1", "name": "web-1", "state": "TASK_RUNNING", "agent": "S0",
        "framework": "fw-0001", "role": "*", "reason": "", "command": "sleep 60",
    }
    base.update(fields)
    out = {k: [v] for k, v in base.items()}
    out["state"] = state_values(base["state"])
    out["agent"].append(fields.get("host", "agent1"))
    out["framework"].append(fields.get("fwname", "mesos-tui shell"))
    return out


def matches(text: str, **fields: str) -> bool:
    return TaskFilter.parse(text).match(task(**fields))


def test_empty_filter_matches_everything() -> None:
    f = TaskFilter.parse("   ")
    assert not f
    assert f.match(task())


def test_text_searches_id_name_state_agent_framework_case_insensitively() -> None:
    assert matches("WEB")
    assert matches("running")
    assert matches("agent1")
    assert matches("tui shell")  # two words, both found (in the framework's name)
    assert matches('"tui shell"')
    assert not matches("db")
    assert not matches("sleep")  # the command is not a text field; command: searches it


def test_regex_and_literal_backslashes() -> None:
    assert matches(r"^web-\d$")
    assert not matches(r"^web-\d\d$")
    assert matches(r"name:web-\d")


def test_negation_of_a_word_and_of_the_whole_filter() -> None:
    assert not matches("!web")
    assert matches("!db")
    assert matches("! db")
    assert not matches("! web running")
    assert matches("! web killed")  # not (web AND killed)


def test_fields_and_aliases() -> None:
    assert matches("state:running")
    assert matches("state:^TASK_RUNNING$")
    assert matches("s:run")
    assert not matches("state:killed")
    assert matches("agent:agent1") and matches("host:^agent1$") and matches("agent:S0")
    assert matches("framework:mesos-tui") and matches("fw:0001")
    assert matches("name:web") and not matches("name:db")
    assert matches("cmd:sleep") and matches('command:"^sleep 60$"')
    assert matches("reason:^$")


def test_fields_combine_with_and() -> None:
    assert matches("state:running agent:agent1 !name:db")
    assert not matches("state:running agent:agent2")
    assert matches("state:killed", state="TASK_KILLED") and not matches(
        "state:killed agent:agent2", state="TASK_KILLED"
    )


def test_bad_regex_is_a_clear_error() -> None:
    with pytest.raises(FilterError, match=r"bad regular expression '\(' in filter word 'name:\('"):
        TaskFilter.parse("name:(")
    with pytest.raises(FilterError, match="bad regular expression"):
        TaskFilter.parse("*web")


def test_unknown_field_is_an_error_not_a_silent_miss() -> None:
    with pytest.raises(FilterError, match=r"unknown filter field 'stat:'.*state:"):
        TaskFilter.parse("stat:running")


def test_quotes_and_lone_bang() -> None:
    assert split_words('name:"a b" c') == ["name:a b", "c"]
    with pytest.raises(FilterError, match="unterminated"):
        TaskFilter.parse('name:"a b')
    with pytest.raises(FilterError, match="lone '!'"):
        TaskFilter.parse("web !")


def test_and_combines_filters_including_negated_ones() -> None:
    a = TaskFilter.parse("state:running")
    b = TaskFilter.parse("! name:db")
    both = a.and_(b)
    assert both.match(task())
    assert not both.match(task(name="db"))
    assert not both.match(task(state="TASK_KILLED"))
    assert both.mentions("state") and not both.mentions("agent")
    assert a.and_(None) is a
