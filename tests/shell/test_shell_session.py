"""Session lookups and completion, over a mirror loaded from a GET_STATE answer."""

from __future__ import annotations

import pytest

from daemons.proto import master_pb2, mesos_pb2
from mesos_tui.shell.errors import CommandError
from mesos_tui.shell.filters import TaskFilter
from mesos_tui.shell.registry import REGISTRY, complete
from mesos_tui.shell.session import ShellSession

TS = mesos_pb2.TaskState


def state() -> master_pb2.Response.GetState:
    s = master_pb2.Response.GetState()
    for aid, host in (("M-S0", "agent1"), ("M-S1", "agent2")):
        a = s.get_agents.agents.add(active=True, pid=f"slave(1)@127.0.0.1:{5051 if aid == 'M-S0' else 5052}")
        a.agent_info.id.value = aid
        a.agent_info.hostname = host
    for fid, name, connected in (("M-0000", "mesos-tui shell", False), ("M-0001", "spark", True)):
        f = s.get_frameworks.frameworks.add(active=connected, connected=connected)
        f.framework_info.id.value = fid
        f.framework_info.name = name
        f.framework_info.user = "someone"
    tasks = [
        ("web-1", "web-1", "M-0000", "M-S0", TS.TASK_RUNNING),
        ("web-2", "web-2", "M-0000", "M-S1", TS.TASK_RUNNING),
        ("db", "db", "M-0001", "M-S0", TS.TASK_STAGING),
        ("old", "web-1", "M-0000", "M-S0", TS.TASK_FINISHED),
    ]
    for tid, name, fid, aid, st in tasks:
        t = s.get_tasks.tasks.add(name=name, state=st)
        t.task_id.value, t.framework_id.value, t.agent_id.value = tid, fid, aid
    return s


@pytest.fixture
def session() -> ShellSession:
    s = ShellSession("127.0.0.1:1")
    s.mirror.apply_state(state())
    return s


def ids(tasks) -> list[str]:  # noqa: ANN001
    return sorted(t.id for t in tasks)


def test_tasks_filters_and_default_filter(session: ShellSession) -> None:
    assert ids(session.tasks()) == ["db", "web-1", "web-2"]  # active only
    assert ids(session.tasks(include_terminal=True)) == ["db", "old", "web-1", "web-2"]
    assert ids(session.tasks(TaskFilter.parse("state:finished"))) == ["old"]
    assert ids(session.tasks(TaskFilter.parse("agent:agent1"))) == ["db", "web-1"]
    assert ids(session.tasks(TaskFilter.parse("framework:spark"))) == ["db"]
    session.default_filter = TaskFilter.parse("!fw:spark")
    assert ids(session.tasks()) == ["web-1", "web-2"]
    assert ids(session.tasks(TaskFilter.parse("agent2"))) == ["web-2"]
    assert ids(session.tasks(use_default=False)) == ["db", "web-1", "web-2"]


def test_find_tasks_by_id_name_and_unique_prefix(session: ShellSession) -> None:
    assert ids(session.find_tasks("web-1")) == ["web-1"]  # exact id (not the finished 'old')
    assert ids(session.find_tasks("d")) == ["db"]  # unique prefix
    assert session.find_tasks("nothing") == []
    with pytest.raises(CommandError, match=r"task 'web' is ambiguous: it matches 2 \(web-1, web-2\)"):
        session.find_tasks("web")
    # A finished task is found by its id when no active one matches (logs of old tasks).
    assert session.find_task("old").id == "old"


def test_find_agent_and_its_files_address(session: ShellSession) -> None:
    assert session.find_agent("agent2").id == "M-S1"
    assert session.find_agent("M-S0").hostname == "agent1"
    with pytest.raises(CommandError, match="agent 'agent' is ambiguous"):
        session.find_agent("agent")
    with pytest.raises(CommandError, match="no agent 'x'"):
        session.find_agent("x")
    assert session.agent_address("M-S1") == "127.0.0.1:5052"


def test_reusable_framework_is_a_disconnected_shell_framework(session: ShellSession, monkeypatch) -> None:  # noqa: ANN001
    import mesos_tui.shell.session as S

    monkeypatch.setattr(S, "_user", lambda: "someone")
    assert session.reusable_framework_id() == "M-0000"
    monkeypatch.setattr(S, "_user", lambda: "somebody-else")
    assert session.reusable_framework_id() is None


def texts(line: str, session: ShellSession | None = None) -> list[str]:
    return [c.text for c in complete(REGISTRY, line, session)]


def test_completion_of_commands_and_flags(session: ShellSession) -> None:
    assert texts("") == sorted(REGISTRY.names())
    assert texts("la") == ["launch"]
    assert texts("launch --c") == ["--cpus", "--count"]
    assert "--" in texts("launch --cpus 1 ")
    assert texts("launch --cpus 1 --c") == ["--count"]  # a flag is offered once
    assert texts("help ki") == ["kill"]
    assert texts("launch -- sle", session) == []  # the command line is not ours


def test_completion_of_ids_names_agents_frameworks_and_filters(session: ShellSession) -> None:
    assert texts("kill we", session) == ["web-1", "web-2"]
    assert texts("logs o", session) == ["old"]
    assert texts("launch --agent ag", session) == ["agent1", "agent2"]
    assert texts("launch --agent M-S", session) == ["M-S0", "M-S1"]
    assert texts("tasks state:ru", session) == ["state:running"]
    assert texts("tasks !sta", session) == ["!state:"]
    assert texts("tasks fw:sp", session) == ["fw:spark"]
    assert texts("tasks framework:mesos", session) == ['framework:"mesos-tui shell"']
    assert texts("kill ", session)[:3] == ["--yes", "web-1", "web-2"]


def test_completion_candidates_replace_the_word_being_typed(session: ShellSession) -> None:
    (c,) = complete(REGISTRY, "kill d", session)
    assert (c.text, c.start) == ("db", -1)
