"""The agent's HTTP edge over real processes: Mesos's agent endpoints (`/state`,
`/monitor/statistics`, `/files/*`, `POST /api/v1`) on the agent's one port, beside the gRPC
Files API, with real tasks running. Field names are checked as Mesos writes them (its
src/slave/http.cpp, src/files/files.cpp); `requests` (a third-party HTTP client) walks from
the master's `/master/slaves` to an agent's `/files/read` the way a Mesos tool does."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from typing import Any

import grpc
import pytest
import requests

from daemons.proto import agent_api_pb2, agent_pb2, agent_pb2_grpc, mesos_pb2
from mesos_tui.client.scheduler import task_info
from tests.cluster import Cluster, Daemon, poll_until
from tests.http_clients import JSON, PROTOBUF, get, post

pytestmark = pytest.mark.timeout(120)

# Writes a known text (with a multi-byte character) to stdout, plants two symlinks that lead
# out of the sandbox, then keeps running.
TALKER = (
    "printf 'hello from the talker\\nnaïve line two\\n'; "
    "ln -s /etc/passwd leak; ln -s /etc up; sleep 120"
)
TALKER_OUT = "hello from the talker\nnaïve line two\n"
# Burns CPU for as long as it lives (so its statistics show CPU time).
BURNER = "while :; do :; done"


async def _running_tasks(cluster: Cluster) -> tuple[Daemon, str]:
    """A master, one agent, and the `talker` and `burner` tasks RUNNING on it (with the
    talker's output written); answers the agent and the framework id."""
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:1024")
    driver, rec = await cluster.framework("agent-http")
    [offer, *_] = await rec.next("offers")
    await driver.launch([offer], [
        task_info("talker", "talker", agent.agent_id, TALKER, "cpus:0.1;mem:32"),
        task_info("burner", "burner", agent.agent_id, BURNER, "cpus:0.5;mem:64"),
    ])
    for tid in ("talker", "burner"):
        await rec.next("update", lambda s, t=tid: s.task_id.value == t
                       and s.state == mesos_pb2.TASK_RUNNING)
    assert driver.framework_id
    return agent, driver.framework_id


def _url(agent: Daemon, path: str) -> str:
    return f"http://{agent.address}{path}"


async def _json(agent: Daemon, path: str) -> Any:
    status, body, headers = await get(_url(agent, path))
    assert status == 200, (path, status, body)
    assert headers["Content-Type"].startswith(JSON)
    return json.loads(body)


def _executor(state: dict[str, Any], executor_id: str) -> dict[str, Any]:
    for fw in state["frameworks"]:
        for ex in fw["executors"]:
            if ex["id"] == executor_id:
                return ex
    raise AssertionError(f"no executor {executor_id!r} in {state['frameworks']}")


async def _sandbox(agent: Daemon, executor_id: str) -> str:
    return _executor(await _json(agent, "/state"), executor_id)["directory"]


async def _talker_wrote(agent: Daemon) -> str:
    """The talker's sandbox once its output and symlinks are there."""
    directory = await _sandbox(agent, "talker")

    async def written() -> bool:
        status, body, _ = await get(_url(agent, f"/files/browse?path={directory}"))
        names = {e["path"].rsplit("/", 1)[1] for e in json.loads(body)} if status == 200 else set()
        return {"stdout", "leak", "up"} <= names

    await poll_until(written, 20, "the talker's output and symlinks")
    return directory


async def _api(agent: Daemon, call: dict[str, Any]) -> dict[str, Any]:
    status, body, headers = await post(_url(agent, "/api/v1"), json.dumps(call))
    assert status == 200, (call, status, body)
    assert headers["Content-Type"].startswith(JSON)
    return json.loads(body)


async def _api_protobuf(agent: Daemon, call: agent_api_pb2.Call) -> agent_api_pb2.Response:
    status, body, headers = await post(
        _url(agent, "/api/v1"), call.SerializeToString(), content_type=PROTOBUF, accept=PROTOBUF
    )
    assert status == 200, (status, body)
    assert headers["Content-Type"].startswith(PROTOBUF)
    return agent_api_pb2.Response.FromString(body)


# ------------------------------------------------------------------- /state and friends


async def test_state_has_mesos_fields_for_running_tasks(cluster: Cluster) -> None:
    agent, framework_id = await _running_tasks(cluster)
    for path in ("/state", "/state.json", "/slave(1)/state", "/slave(1)/state.json"):
        state = await _json(agent, path)
        assert state["id"] == agent.agent_id
        assert state["pid"] == f"slave(1)@{agent.address}"
        for key in ("version", "hostname", "start_time", "resources", "unreserved_resources",
                    "attributes", "flags", "frameworks", "completed_frameworks"):
            assert key in state, (path, key)
    state = await _json(agent, "/slave(1)/state")
    assert state["resources"]["cpus"] == 2 and state["resources"]["mem"] == 1024
    assert state["unreserved_resources_allocated"]["cpus"] == pytest.approx(0.6)
    assert state["flags"]["port"] == str(agent.port)
    assert re.fullmatch(r"\d+\.\d+\.\d+", state["version"])
    [fw] = state["frameworks"]
    assert fw["id"] == framework_id and fw["name"] == "agent-http" and fw["role"] == "*"
    assert {"user", "failover_timeout", "checkpoint", "hostname", "completed_executors"} <= set(fw)
    talker = _executor(state, "talker")
    assert talker["source"] == "talker" and talker["container"]
    assert talker["directory"].endswith(f"/runs/{talker['container']}")
    assert talker["resources"]["mem"] == 32 and talker["queued_tasks"] == []
    [task] = talker["tasks"]
    assert task["id"] == "talker" and task["state"] == "TASK_RUNNING"
    assert task["slave_id"] == agent.agent_id and task["framework_id"] == framework_id
    assert task["resources"]["cpus"] == pytest.approx(0.1)
    assert [s["state"] for s in task["statuses"]][-1] == "TASK_RUNNING"

    assert (await get(_url(agent, "/health")))[0] == 200
    version = await _json(agent, "/version")
    assert version["version"] == state["version"]
    flags = await _json(agent, "/flags")
    assert flags["flags"]["work_dir"] == state["flags"]["work_dir"]


async def test_monitor_statistics_shows_a_running_executor(cluster: Cluster) -> None:
    agent, framework_id = await _running_tasks(cluster)

    async def burned() -> list[dict[str, Any]] | None:
        entries = await _json(agent, "/monitor/statistics")
        burner = [e for e in entries if e["executor_id"] == "burner"]
        # Both figures of a sample taken once the burner has run a while (the agent shares
        # one sample up to 1 s old; the first may predate the task's first page).
        if burner and burner[0]["statistics"]["cpus_user_time_secs"] > 0 \
                and burner[0]["statistics"]["mem_rss_bytes"] > 0:
            return entries
        return None

    entries = await poll_until(burned, 30, "CPU time and memory on the burner's statistics")
    [burner] = [e for e in entries if e["executor_id"] == "burner"]
    assert burner["framework_id"] == framework_id
    assert burner["executor_name"].startswith("Command Executor (Task: burner)")
    assert burner["source"] == "burner"
    stats = burner["statistics"]
    assert stats["cpus_limit"] == pytest.approx(0.5)
    assert stats["mem_limit_bytes"] == 64 * 1024 * 1024
    assert stats["mem_rss_bytes"] > 0 and stats["timestamp"] > 0
    assert "cpus_usage" not in stats  # this project's field stays out of Mesos's JSON
    assert {e["executor_id"] for e in await _json(agent, "/monitor/statistics.json")} >= {
        "burner", "talker"}
    containers = {c["executor_id"]: c for c in await _json(agent, "/containers")}
    assert containers["burner"]["source"] == "burner"
    assert containers["burner"]["container_id"] == _executor(
        await _json(agent, "/state"), "burner")["container"]
    assert containers["burner"]["status"]["executor_pid"] > 0
    assert containers["burner"]["statistics"]["cpus_limit"] == pytest.approx(0.5)


# ------------------------------------------------------------------- /files


async def test_files_read_browse_and_download(cluster: Cluster) -> None:
    agent, framework_id = await _running_tasks(cluster)
    directory = await _talker_wrote(agent)
    stdout = f"{directory}/stdout"
    size = len(TALKER_OUT.encode())

    async def complete() -> bool:
        return (await _json(agent, f"/files/read?path={stdout}&offset=-1"))["offset"] >= size

    await poll_until(complete, 20, "the talker's whole output")
    assert await _json(agent, f"/files/read?path={stdout}&offset=-1") == {"data": "", "offset": size}
    whole = await _json(agent, f"/files/read?path={stdout}&offset=0")
    assert whole == {"data": TALKER_OUT, "offset": 0}
    part = await _json(agent, f"/files/read?path={stdout}&offset=6&length=4")
    assert part == {"data": "from", "offset": 6}
    # A read that ends inside 'ï' (two bytes) stops before it: the next read starts there.
    start = TALKER_OUT.encode().index("ï".encode())
    cut = await _json(agent, f"/files/read?path={stdout}&offset={start - 2}&length=3")
    assert cut == {"data": "na", "offset": start - 2}
    assert (await _json(agent, f"/files/read?path={stdout}&offset={size + 10}"))["data"] == ""
    # Mesos's virtual path of the executor's latest run leads to the same file.
    latest = f"/frameworks/{framework_id}/executors/talker/runs/latest/stdout"
    assert (await _json(agent, f"/files/read?path={latest}&offset=0"))["data"] == TALKER_OUT

    listing = await _json(agent, f"/files/browse?path={directory}")
    by_name = {e["path"].rsplit("/", 1)[1]: e for e in listing}
    out = by_name["stdout"]
    assert out["path"] == stdout and out["size"] == size and out["nlink"] == 1
    assert out["mode"].startswith("-rw") and out["uid"] and out["gid"] and out["mtime"] > 0
    assert by_name["leak"]["mode"].startswith("l")  # shown as a link, never followed

    status, body, headers = await get(_url(agent, f"/files/download?path={stdout}"))
    assert status == 200 and body == TALKER_OUT.encode()
    assert headers["Content-Type"] == "application/octet-stream"
    assert 'filename="stdout"' in headers["Content-Disposition"]
    status, body, _ = await get(_url(agent, f"/files/download?path={directory}"))
    assert status == 400 and body == b"Cannot download a directory."

    debug = await _json(agent, "/files/debug")
    assert debug[f"/frameworks/{framework_id}/executors/talker/runs/latest"] == directory


async def test_files_refuses_what_is_outside_the_sandboxes(cluster: Cluster) -> None:
    agent, _ = await _running_tasks(cluster)
    directory = await _talker_wrote(agent)
    refused = {
        "/files/read?path=/etc/passwd&offset=0": 403,
        f"/files/read?path={directory}/leak&offset=0": 403,  # symlink to /etc/passwd
        f"/files/read?path={directory}/up/passwd&offset=0": 403,  # symlink to /etc
        f"/files/read?path={directory}/../../../../../../../../etc/passwd&offset=0": 403,
        f"/files/download?path={directory}/leak": 403,
        f"/files/browse?path={directory}/up": 403,
        f"/files/read?path={directory}/nothing-here&offset=0": 404,
        "/files/read?offset=0": 400,
        f"/files/read?path={directory}/stdout&offset=-2": 400,
        f"/files/read?path={directory}/stdout&offset=zero": 400,
        f"/files/read?path={directory}/stdout&length=-5": 400,
    }
    for path, code in refused.items():
        status, body, _ = await get(_url(agent, path))
        assert status == code, (path, status, body)
        text = body.decode()
        assert text and "\n" not in text.strip() and "Traceback" not in text, (path, text)
        assert "root:" not in text
    status, body, _ = await post(_url(agent, "/files/read?path=x"), b"")
    assert status == 405


# ------------------------------------------------------------------- POST /api/v1


async def test_operator_api_in_json(cluster: Cluster) -> None:
    agent, framework_id = await _running_tasks(cluster)
    directory = await _talker_wrote(agent)

    state = (await _api(agent, {"type": "GET_STATE"}))
    assert state["type"] == "GET_STATE"
    launched = {t["task_id"]["value"]: t for t in state["get_state"]["get_tasks"]["launched_tasks"]}
    assert set(launched) == {"talker", "burner"}
    assert launched["talker"]["state"] == "TASK_RUNNING"
    assert launched["talker"]["framework_id"]["value"] == framework_id
    executors = state["get_state"]["get_executors"]["executors"]
    assert {e["executor_info"]["executor_id"]["value"] for e in executors} == {"talker", "burner"}
    [fw] = state["get_state"]["get_frameworks"]["frameworks"]
    assert fw["framework_info"]["id"]["value"] == framework_id

    containers = (await _api(agent, {"type": "GET_CONTAINERS"}))["get_containers"]["containers"]
    by_executor = {c["executor_id"]["value"]: c for c in containers}
    assert set(by_executor) == {"talker", "burner"}
    talker = by_executor["talker"]
    assert talker["framework_id"]["value"] == framework_id
    assert talker["container_id"]["value"] == directory.rsplit("/", 1)[1]
    assert talker["container_status"]["executor_pid"] > 0
    assert talker["resource_statistics"]["mem_limit_bytes"] == 32 * 1024 * 1024

    listed = await _api(agent, {"type": "LIST_FILES", "list_files": {"path": directory}})
    files = {f["path"]: f for f in listed["list_files"]["file_infos"]}
    assert files[f"{directory}/stdout"]["size"] == len(TALKER_OUT.encode())
    assert {"nlink", "mtime", "mode", "uid", "gid"} <= set(files[f"{directory}/stdout"])

    read = await _api(agent, {"type": "READ_FILE",
                              "read_file": {"path": f"{directory}/stdout", "offset": 6, "length": 4}})
    assert read["type"] == "READ_FILE"
    assert read["read_file"]["size"] == len(TALKER_OUT.encode())
    assert base64.b64decode(read["read_file"]["data"]) == b"from"

    for kind, key in (("GET_HEALTH", "get_health"), ("GET_FLAGS", "get_flags"),
                      ("GET_VERSION", "get_version"), ("GET_TASKS", "get_tasks"),
                      ("GET_EXECUTORS", "get_executors"), ("GET_FRAMEWORKS", "get_frameworks")):
        answer = await _api(agent, {"type": kind})
        assert answer["type"] == kind and key in answer, answer
    assert (await _api(agent, {"type": "GET_HEALTH"}))["get_health"]["healthy"] is True


async def test_operator_api_in_protobuf(cluster: Cluster) -> None:
    agent, framework_id = await _running_tasks(cluster)
    directory = await _talker_wrote(agent)
    Call = agent_api_pb2.Call

    state = await _api_protobuf(agent, Call(type=Call.GET_STATE))
    assert state.type == agent_api_pb2.Response.GET_STATE
    assert {t.task_id.value for t in state.get_state.get_tasks.launched_tasks} == {
        "talker", "burner"}

    containers = await _api_protobuf(agent, Call(type=Call.GET_CONTAINERS))
    assert {c.executor_id.value for c in containers.get_containers.containers} == {
        "talker", "burner"}
    assert all(c.framework_id.value == framework_id for c in containers.get_containers.containers)

    listed = await _api_protobuf(
        agent, Call(type=Call.LIST_FILES, list_files=Call.ListFiles(path=directory)))
    assert f"{directory}/stdout" in {f.path for f in listed.list_files.file_infos}

    read = await _api_protobuf(agent, Call(
        type=Call.READ_FILE, read_file=Call.ReadFile(path=f"{directory}/stdout", offset=0)))
    assert read.read_file.data == TALKER_OUT.encode()
    assert read.read_file.size == len(TALKER_OUT.encode())
    escape = await post(
        _url(agent, "/api/v1"),
        Call(type=Call.READ_FILE, read_file=Call.ReadFile(path=f"{directory}/leak", offset=0))
        .SerializeToString(), content_type=PROTOBUF, accept=PROTOBUF)
    assert escape[0] == 403 and b"root:" not in escape[1]


async def test_bad_calls_get_one_line_4xx(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent()
    url = _url(agent, "/api/v1")
    cases = [
        (await post(url, b"{not json"), 400),
        (await post(url, b"{}"), 400),  # no type
        (await post(url, json.dumps({"type": "READ_FILE"})), 400),  # no read_file
        (await post(url, b"\xff\xfe", content_type=PROTOBUF), 400),
        (await post(url, b"{}", content_type="text/plain"), 415),
        (await post(url, b"{}", content_type=None), 400),
        (await post(url, json.dumps({"type": "GET_HEALTH"}), accept="text/html"), 406),
        (await post(url, json.dumps({"type": "PRUNE_IMAGES"})), 400),
        (await post(url, json.dumps({"type": "READ_FILE", "read_file": {
            "path": "/etc/passwd", "offset": 0}})), 403),
        (await get(url), 405),
        (await get(_url(agent, "/no/such/endpoint")), 404),
    ]
    for (status, body, _), code in cases:
        assert status == code, (status, body)
        text = body.decode()
        assert "\n" not in text.strip() and "Traceback" not in text, text
        if code != 404:
            assert text.strip(), status


# ------------------------------------------------------------------- one port, both edges


async def test_grpc_files_api_still_answers_on_the_same_port(cluster: Cluster) -> None:
    agent, framework_id = await _running_tasks(cluster)
    directory = await _talker_wrote(agent)
    async with grpc.aio.insecure_channel(agent.address) as channel:
        stub = agent_pb2_grpc.FilesStub(channel)
        read = await stub.Read(agent_pb2.ReadFileRequest(path=f"{directory}/stdout"), timeout=10)
        assert read.data == TALKER_OUT.encode()
        listed = await stub.List(agent_pb2.ListFilesRequest(path=directory), timeout=10)
        assert f"{directory}/stdout" in {f.path for f in listed.files}
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.Read(agent_pb2.ReadFileRequest(path=f"{directory}/leak"), timeout=10)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        # HTTP on the same port meanwhile, while the gRPC connection stays open.
        assert (await _json(agent, "/state"))["id"] == agent.agent_id
        again = await stub.Read(agent_pb2.ReadFileRequest(path=f"{directory}/stdout"), timeout=10)
        assert again.data == read.data


# ------------------------------------------------------------------- a third-party client


def _walk_like_a_mesos_tool(master: str, task_id: str) -> tuple[str, dict[str, Any], str]:
    """What a Mesos tool does, with `requests` alone: find the task's agent in the master's
    `/master/slaves` (its `pid`), the executor's `directory` in the agent's `/state`, then
    read the task's stdout with `/files/read`."""
    with requests.Session() as http:
        tasks = http.get(f"http://{master}/master/tasks", timeout=10).json()["tasks"]
        [task] = [t for t in tasks if t["id"] == task_id]
        slaves = http.get(f"http://{master}/master/slaves", timeout=10).json()["slaves"]
        [slave] = [s for s in slaves if s["id"] == task["slave_id"]]
        agent = slave["pid"].split("@", 1)[1]
        state = http.get(f"http://{agent}/slave(1)/state.json", timeout=10).json()
        directory = next(
            ex["directory"] for fw in state["frameworks"] for ex in fw["executors"]
            if ex["id"] == task["executor_id"] or any(t["id"] == task_id for t in ex["tasks"])
        )
        size = http.get(f"http://{agent}/files/read",
                        params={"path": f"{directory}/stdout", "offset": -1}, timeout=10).json()
        data = http.get(f"http://{agent}/files/read",
                        params={"path": f"{directory}/stdout", "offset": 0,
                                "length": size["offset"]}, timeout=10).json()
        return agent, slave, data["data"]


async def test_requests_walks_from_the_master_to_a_task_log(cluster: Cluster) -> None:
    agent, _ = await _running_tasks(cluster)
    await _talker_wrote(agent)

    async def whole() -> tuple[str, dict[str, Any], str] | None:
        found = await asyncio.to_thread(_walk_like_a_mesos_tool, cluster.master_address, "talker")
        return found if found[2] == TALKER_OUT else None

    address, slave, text = await poll_until(whole, 20, "the talker's output through requests")
    assert address == agent.address
    assert slave["pid"] == f"slave(1)@{agent.address}"
    assert slave["hostname"] and slave["port"] == agent.port
    assert text == TALKER_OUT


# ------------------------------------------------------------------- after the end


async def test_finished_tasks_and_frameworks_stay_in_state_with_their_sandboxes(
    cluster: Cluster,
) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent()
    driver, rec = await cluster.framework("short-lived")
    [offer, *_] = await rec.next("offers")
    await driver.launch([offer], [
        task_info("quick", "quick", agent.agent_id, "echo quick-was-here", "cpus:0.1;mem:32"),
        task_info("slow", "slow", agent.agent_id, "sleep 120", "cpus:0.1;mem:32"),
    ])
    await rec.next("update", lambda s: s.task_id.value == "quick"
                   and s.state == mesos_pb2.TASK_FINISHED)

    async def completed() -> dict[str, Any] | None:
        # The driver acknowledges TASK_FINISHED; then the agent forgets the task but keeps it
        # among its framework's completed executors.
        state = await _json(agent, "/state")
        for fw in state["frameworks"]:
            for ex in fw["completed_executors"]:
                if ex["id"] == "quick":
                    return ex
        return None

    quick = await poll_until(completed, 20, "the finished task among completed_executors")
    assert quick["tasks"] == [] and [t["state"] for t in quick["completed_tasks"]] == [
        "TASK_FINISHED"]
    read = await _json(agent, f"/files/read?path={quick['directory']}/stdout&offset=0")
    assert read["data"] == "quick-was-here\n"
    state = await _api(agent, {"type": "GET_STATE"})
    tasks = state["get_state"]["get_tasks"]
    assert [t["task_id"]["value"] for t in tasks["completed_tasks"]] == ["quick"]
    assert [t["task_id"]["value"] for t in tasks["launched_tasks"]] == ["slow"]
    assert [e["executor_info"]["executor_id"]["value"]
            for e in state["get_state"]["get_executors"]["completed_executors"]] == ["quick"]

    framework_id = driver.framework_id
    await driver.teardown()

    async def gone() -> dict[str, Any] | None:
        state = await _json(agent, "/state")
        done = [fw for fw in state["completed_frameworks"] if fw["id"] == framework_id]
        return done[0] if done and not state["frameworks"] else None

    done = await poll_until(gone, 30, "the torn-down framework among completed_frameworks")
    assert done["name"] == "short-lived"
    assert {ex["id"] for ex in done["completed_executors"]} == {"quick", "slow"}
    frameworks = (await _api(agent, {"type": "GET_FRAMEWORKS"}))["get_frameworks"]
    assert "frameworks" not in frameworks
    assert [f["framework_info"]["id"]["value"] for f in frameworks["completed_frameworks"]] == [
        framework_id]
