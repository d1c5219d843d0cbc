"""Custom executors with real processes: a framework (our driver) launches tasks on an executor
written with mesos_tui.client.executor (tests/executor_program.py), which talks to the agent
over the v1 executor HTTP API."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import sys
import uuid
from pathlib import Path

import psutil

from daemons.common.resources import Resources
from daemons.proto import executor_pb2, master_pb2, mesos_pb2
from mesos_tui.client.scheduler import SchedulerDriver, launch_operation
from tests.cluster import REPO, Cluster, Daemon, RecordingScheduler, poll_until
from tests.http_clients import JSON, PROTOBUF, AvmesosFramework, EventStream, get, post
from tests.http_clients import subscribe as subscribe_stream

PROGRAM = str(REPO / "tests" / "executor_program.py")
EXECUTOR_RESOURCES = "cpus:0.1;mem:32"
TASK_RESOURCES = "cpus:0.2;mem:16"
Reason = mesos_pb2.TaskStatus


def executor_info(executor_id: str, framework_id: str = "") -> mesos_pb2.ExecutorInfo:
    info = mesos_pb2.ExecutorInfo(name=f"test executor {executor_id}")
    info.executor_id.value = executor_id
    if framework_id:
        info.framework_id.value = framework_id
    info.command.value = f"{sys.executable} {PROGRAM}"
    info.command.environment.variables.add(name="PYTHONPATH", value=str(REPO))
    info.resources.extend(Resources.parse(EXECUTOR_RESOURCES).to_proto())
    return info


def executor_task(
    task_id: str, agent_id: str, data: bytes, executor: mesos_pb2.ExecutorInfo
) -> mesos_pb2.TaskInfo:
    task = mesos_pb2.TaskInfo(name=task_id, data=data)
    task.task_id.value = task_id
    task.agent_id.value = agent_id
    task.resources.extend(Resources.parse(TASK_RESOURCES).to_proto())
    task.executor.CopyFrom(executor)
    return task


async def launch(
    driver: SchedulerDriver, rec: RecordingScheduler, tasks: list[mesos_pb2.TaskInfo]
) -> None:
    """Launch `tasks` on the next offer of the agent they name."""
    agent_id = tasks[0].agent_id.value
    offers = await rec.next("offers", lambda o: any(x.agent_id.value == agent_id for x in o))
    offer = next(o for o in offers if o.agent_id.value == agent_id)
    await driver.accept([offer.id], [launch_operation(tasks)])


async def state_of(rec: RecordingScheduler, task_id: str, state: int) -> mesos_pb2.TaskStatus:
    return await rec.next(
        "update", lambda s: s.task_id.value == task_id and s.state == state, timeout=30
    )


def sandbox_events(agent: Daemon, executor_id: str) -> list[str]:
    found = list(agent.work_dir.glob(f"slaves/*/frameworks/*/executors/{executor_id}/runs/latest/events.log"))
    return found[0].read_text().splitlines() if found else []


def executor_processes(executor_id: str) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["cmdline", "environ"]):
        try:
            if (p.info["cmdline"] or [""])[0] == sys.executable and PROGRAM in p.info["cmdline"] and (
                (p.info["environ"] or {}).get("MESOS_EXECUTOR_ID") == executor_id
            ):
                out.append(p)
        except (psutil.Error, TypeError):
            continue
    return out


def ended(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def wait_gone(pids: list[int], what: str) -> None:
    async def gone() -> bool:
        return all(ended(p) for p in pids)

    await poll_until(gone, 20, what)


def endpoint(agent: Daemon) -> str:
    port = (agent.work_dir / "meta" / "executor_api_port").read_text().strip()
    return f"http://127.0.0.1:{port}/api/v1/executor"


async def test_executor_runs_tasks_and_exchanges_messages(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512")
    driver, rec = await cluster.framework("executors")
    fid = driver.framework_id
    assert fid is not None
    info = executor_info("E1")  # framework_id left out: the master fills it in, as Mesos does

    await launch(driver, rec, [executor_task("t1", agent.agent_id, b"wait", info)])
    running1 = await state_of(rec, "t1", mesos_pb2.TASK_RUNNING)
    assert running1.source == Reason.SOURCE_EXECUTOR
    assert running1.executor_id.value == "E1"
    pid = int(running1.data)

    # The executor's environment is Mesos's.
    env = psutil.Process(pid).environ()
    sandbox = Path(env["MESOS_SANDBOX"])
    assert env["MESOS_FRAMEWORK_ID"] == fid and env["MESOS_EXECUTOR_ID"] == "E1"
    assert env["MESOS_AGENT_ID"] == env["MESOS_SLAVE_ID"] == agent.agent_id
    assert env["MESOS_DIRECTORY"] == str(sandbox) and env["MESOS_CHECKPOINT"] == "0"
    assert env["MESOS_HTTP_COMMAND_EXECUTOR"] == "0"
    assert env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] == "5secs"
    assert f"http://{env['MESOS_AGENT_ENDPOINT']}/api/v1/executor" == endpoint(agent)
    assert "MESOS_TASK_ID" not in env
    assert sandbox.parts[-6:-1] == ("frameworks", fid, "executors", "E1", "runs")
    # In a session of its own (its shell leads it), apart from the agent's.
    assert os.getsid(pid) not in (os.getsid(agent.proc.pid), os.getsid(0))
    assert os.getsid(pid) in (pid, psutil.Process(pid).ppid())

    # Framework messages both ways.
    await driver.message(agent.agent_id, "E1", b"hello")
    assert await rec.next("message", lambda d: d == b"echo:hello") == b"echo:hello"

    # Executor resources are held once, beside the task's, and shown in state.
    state = await cluster.operator.state()
    [ex] = state.get_executors.executors
    assert ex.executor_info.executor_id.value == "E1" and ex.agent_id.value == agent.agent_id
    [a] = state.get_agents.agents
    assert Resources.from_proto(a.allocated_resources) == Resources.parse(
        EXECUTOR_RESOURCES) + Resources.parse(TASK_RESOURCES)
    status, body, _ = await get(f"http://{cluster.master_address}/master/state")
    assert status == 200
    doc = json.loads(body)
    [fw] = doc["frameworks"]
    [ex_json] = fw["executors"]
    assert ex_json["executor_id"] == "E1" and ex_json["slave_id"] == agent.agent_id
    assert ex_json["resources"]["mem"] == 32
    assert [t["executor_id"] for t in fw["tasks"]] == ["E1"]

    # The executor's container is measured and reported (the master sums it into `used`).
    async def measured() -> bool:
        [a] = (await cluster.operator.agents()).agents
        return a.used.mem_rss_bytes > 0 and a.used.processes >= 1

    await poll_until(measured, 20, "the executor's container in the agent's usage report")

    # A second task goes to the same executor process.
    await launch(driver, rec, [executor_task("t2", agent.agent_id, b"wait", info)])
    running2 = await state_of(rec, "t2", mesos_pb2.TASK_RUNNING)
    assert int(running2.data) == pid
    state = await cluster.operator.state()
    assert len(state.get_executors.executors) == 1
    # The agent's own /state shows one executor with both tasks, in its sandbox.
    status, body, _ = await get(f"http://{agent.address}/state")
    assert status == 200
    [fw_state] = json.loads(body)["frameworks"]
    [ex_state] = fw_state["executors"]
    assert ex_state["id"] == "E1" and ex_state["directory"] == str(sandbox)
    assert sorted(t["id"] for t in ex_state["tasks"]) == ["t1", "t2"]
    [a] = state.get_agents.agents
    assert Resources.from_proto(a.allocated_resources) == Resources.parse(
        EXECUTOR_RESOURCES) + Resources.parse(TASK_RESOURCES) + Resources.parse(TASK_RESOURCES)

    # A task finished on request (a framework message), another killed (the executor's KILL).
    await driver.message(agent.agent_id, "E1", b"finish:t1")
    finished = await state_of(rec, "t1", mesos_pb2.TASK_FINISHED)
    assert finished.source == Reason.SOURCE_EXECUTOR
    await driver.kill("t2", agent.agent_id)
    killed = await state_of(rec, "t2", mesos_pb2.TASK_KILLED)
    assert killed.message == "killed by the executor"
    assert "KILL t2" in sandbox_events(agent, "E1")

    # Teardown: the executor gets SHUTDOWN, its process ends, its resources are free.
    await driver.teardown()
    await wait_gone([pid], "the executor to end after teardown")
    assert "SHUTDOWN" in sandbox_events(agent, "E1")

    async def freed() -> bool:
        agents = (await cluster.operator.agents()).agents
        return not agents[0].allocated_resources

    await poll_until(freed, 20, "the executor's resources to be freed")


async def test_executor_crash_fails_its_tasks_and_tells_the_scheduler(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512")
    driver, rec = await cluster.framework("crash")
    info = executor_info("E2", driver.framework_id or "")
    await launch(driver, rec, [
        executor_task("quiet", agent.agent_id, b"wait", info),
    ])
    await state_of(rec, "quiet", mesos_pb2.TASK_RUNNING)
    await launch(driver, rec, [executor_task("boom", agent.agent_id, b"crash", info)])
    await state_of(rec, "boom", mesos_pb2.TASK_RUNNING)

    # Each task's updates are in order, but the two tasks' FAILED may come in either order.
    async def both_failed() -> list[mesos_pb2.TaskStatus] | None:
        out = [s for t in ("quiet", "boom") for s in rec.updates(t)
               if s.state == mesos_pb2.TASK_FAILED]
        return out if len(out) == 2 else None

    failed, boom = await poll_until(both_failed, 30, "both tasks to fail")
    assert failed.reason == Reason.REASON_EXECUTOR_TERMINATED
    assert failed.source == Reason.SOURCE_AGENT
    assert boom.reason == Reason.REASON_EXECUTOR_TERMINATED
    agent_id, executor_id, status = await rec.next("failure", timeout=30)
    assert agent_id.value == agent.agent_id and executor_id.value == "E2"
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3

    async def freed() -> bool:
        state = await cluster.operator.state()
        return not state.get_executors.executors and not state.get_agents.agents[0].allocated_resources

    await poll_until(freed, 20, "the crashed executor's resources to be freed")


async def test_executor_validation_in_the_master(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512")
    driver, rec = await cluster.framework("invalid")
    fid = driver.framework_id or ""
    good = executor_info("E3", fid)
    other = executor_info("E3", fid)
    other.command.value = "sleep 100"
    wrong_fw = executor_info("E4", "another-framework")
    no_command = executor_info("E5", fid)
    no_command.ClearField("command")
    both = executor_task("both", agent.agent_id, b"wait", executor_info("E6", fid))
    both.command.value = "true"
    await launch(driver, rec, [
        executor_task("ok", agent.agent_id, b"wait", good),
        executor_task("clash", agent.agent_id, b"wait", other),
        executor_task("wrongfw", agent.agent_id, b"wait", wrong_fw),
        executor_task("nocmd", agent.agent_id, b"wait", no_command),
        both,
    ])
    errors = {}
    for task_id in ("clash", "wrongfw", "nocmd", "both"):
        s = await state_of(rec, task_id, mesos_pb2.TASK_ERROR)
        assert s.reason == Reason.REASON_TASK_INVALID
        errors[task_id] = s.message
    assert "not compatible with existing ExecutorInfo" in errors["clash"]
    assert "invalid FrameworkID" in errors["wrongfw"]
    assert errors["nocmd"] == "'ExecutorInfo.command' must be set"
    assert "not both" in errors["both"]
    await state_of(rec, "ok", mesos_pb2.TASK_RUNNING)


async def test_executor_api_errors(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512")
    url = endpoint(agent)
    body = b'{"type":"SUBSCRIBE","framework_id":{"value":"f"},"executor_id":{"value":"e"},"subscribe":{}}'
    assert (await post(url, body, content_type="text/plain"))[0] == 415
    assert (await post(url, b"{not json"))[0] == 400
    status, text, _ = await post(url, b'{"type":"SUBSCRIBE","framework_id":{"value":"f"}}')
    assert status == 400 and b"Expecting 'executor_id' to be present" in text
    status, text, _ = await post(url, body)
    assert status == 400 and text == b"Framework cannot be found"
    # The agent's own port answers it too (as Mesos's), beside its other endpoints.
    for path in ("api/v1/executor", "slave(1)/api/v1/executor"):
        status, text, _ = await post(f"http://{agent.address}/{path}", body)
        assert status == 400 and text == b"Framework cannot be found"
    assert (await post(url, body, accept="text/html"))[0] == 406
    status, _, _ = await get(url)
    assert status == 405
    update = (b'{"type":"UPDATE","framework_id":{"value":"f"},"executor_id":{"value":"e"},'
              b'"update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING",'
              b'"source":"SOURCE_AGENT","uuid":"AAAAAAAAAAAAAAAAAAAAAA=="}}}')
    status, text, _ = await post(url, update)
    assert status == 400 and b"expecting 'SOURCE_EXECUTOR'" in text


async def test_executor_that_never_subscribes_is_killed(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512", executor_registration_timeout="5secs")
    driver, rec = await cluster.framework("silent")
    info = executor_info("mute", driver.framework_id or "")
    info.command.value = "sleep 60"
    await launch(driver, rec, [
        executor_task("t", agent.agent_id, b"wait", info),
        executor_task("early", agent.agent_id, b"wait", info),
    ])
    # A task still queued for its executor is killed without it.
    await driver.kill("early", agent.agent_id)
    killed = await state_of(rec, "early", mesos_pb2.TASK_KILLED)
    assert killed.message == "Killed before it reached its executor"
    failed = await state_of(rec, "t", mesos_pb2.TASK_FAILED)
    assert failed.reason == Reason.REASON_EXECUTOR_REGISTRATION_TIMEOUT
    _, executor_id, status = await rec.next("failure", timeout=30)
    assert executor_id.value == "mute"
    assert os.WIFSIGNALED(status)


async def test_executor_resubscribes_after_an_agent_restart(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512", registration_backoff_factor="50ms")
    driver, rec = await cluster.framework("durable", checkpoint=True, failover_timeout=60)
    info = executor_info("E7", driver.framework_id or "")
    await launch(driver, rec, [executor_task("long", agent.agent_id, b"wait", info)])
    pid = int((await state_of(rec, "long", mesos_pb2.TASK_RUNNING)).data)
    assert psutil.Process(pid).environ()["MESOS_CHECKPOINT"] == "1"

    await restart_agent(cluster, agent)
    assert psutil.pid_exists(pid)  # the executor outlived its agent

    async def resubscribed() -> bool:
        return sandbox_events(agent, "E7").count("SUBSCRIBED") >= 2

    await poll_until(resubscribed, 30, "the executor to subscribe to the restarted agent")

    async def reregistered() -> bool:
        for a in (await cluster.operator.agents()).agents:
            if a.agent_info.id.value == agent.agent_id and a.active:
                return True
        return False

    await poll_until(reregistered, 30, "the agent to re-register")
    state = await cluster.operator.state()
    assert [e.executor_info.executor_id.value for e in state.get_executors.executors] == ["E7"]
    [task] = [t for t in state.get_tasks.tasks if t.task_id.value == "long"]
    assert task.state == mesos_pb2.TASK_RUNNING

    # Still the same process, still taking orders: finished through a framework message.
    await driver.message(agent.agent_id, "E7", b"finish:long")
    finished = await state_of(rec, "long", mesos_pb2.TASK_FINISHED)
    assert finished.source == Reason.SOURCE_EXECUTOR
    assert psutil.pid_exists(pid)
    assert len(executor_processes("E7")) == 1
    await driver.teardown()
    await wait_gone([pid], "the executor to end")


async def test_get_executors_over_the_operator_api(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512")
    driver, rec = await cluster.framework("listed")
    info = executor_info("E8", driver.framework_id or "")
    await launch(driver, rec, [executor_task("t", agent.agent_id, b"wait", info)])
    await state_of(rec, "t", mesos_pb2.TASK_RUNNING)
    status, body, _ = await post(
        f"http://{cluster.master_address}/api/v1", b'{"type":"GET_EXECUTORS"}', accept=JSON
    )
    assert status == 200
    doc = json.loads(body)
    [ex] = doc["get_executors"]["executors"]
    assert ex["executor_info"]["executor_id"]["value"] == "E8"
    assert ex["agent_id"]["value"] == agent.agent_id
    response = await cluster.operator.call(master_pb2.Call.GET_EXECUTORS)
    assert [e.executor_info.executor_id.value for e in response.get_executors.executors] == ["E8"]


async def test_avmesos_scheduler_runs_an_executor_task(cluster: Cluster) -> None:
    """A third-party Mesos scheduler library (avmesos, over the v1 HTTP scheduler API) launches
    tasks on a custom executor, exchanges framework messages with it, sees TASK_FINISHED, then
    shuts the executor down and gets its FAILURE event. avmesos has no executor driver, so the
    executor is ours (tests/executor_program.py, over the v1 HTTP executor API)."""
    await cluster.start_master(heartbeat_interval="0.5secs")
    agent = await cluster.start_agent("cpus:2;mem:512")
    executor = {
        "executor_id": {"value": "AV"},
        "name": "avmesos's executor",
        "command": {
            "value": f"{sys.executable} {PROGRAM}",
            "environment": {"variables": [{"name": "PYTHONPATH", "value": str(REPO)}]},
        },
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
        ],
    }
    fw = AvmesosFramework(f"http://{cluster.master_address}", {
        "quick": {"executor": executor, "data": base64.b64encode(b"finish").decode()},
        "slow": {"executor": executor, "data": base64.b64encode(b"wait").decode()},
    }).start()
    try:
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("quick"), 30, "quick's TASK_FINISHED")
        await fw.wait(lambda: "TASK_RUNNING" in fw.states("slow"), 30, "slow's TASK_RUNNING")
        pids = {
            base64.b64decode(s["data"]) for s in fw.updates if s["state"] == "TASK_RUNNING"
        }
        assert len(pids) == 1  # one executor for both tasks
        [quick] = [s for s in fw.updates if s["task_id"]["value"] == "quick"
                   and s["state"] == "TASK_FINISHED"]
        assert quick["executor_id"]["value"] == "AV" and quick["source"] == "SOURCE_EXECUTOR"

        payload = base64.b64encode(b"finish:slow").decode()
        await asyncio.to_thread(fw.driver.message, agent.agent_id, "AV", payload)
        await fw.wait(lambda: fw.messages, 30, "the executor's MESSAGE")
        [message] = fw.messages
        assert base64.b64decode(message["data"]) == b"echo:finish:slow"
        assert message["executor_id"]["value"] == "AV"
        assert message["agent_id"]["value"] == agent.agent_id
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("slow"), 30, "slow's TASK_FINISHED")

        await asyncio.to_thread(fw.driver.shutdown, agent.agent_id, "AV")
        await fw.wait(lambda: fw.failures, 30, "the FAILURE event of the executor's end")
        [failure] = fw.failures
        assert failure["executor_id"]["value"] == "AV"
        assert failure["agent_id"]["value"] == agent.agent_id
        assert failure["status"] == 0  # it exited by itself after SHUTDOWN
        assert "SHUTDOWN" in sandbox_events(agent, "AV")
        assert fw.errors == []
    finally:
        fw.stop()


async def test_shutdown_kills_an_executor_after_its_grace_period(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512")
    driver, rec = await cluster.framework("stubborn")
    info = executor_info("E9", driver.framework_id or "")
    info.shutdown_grace_period.nanoseconds = 1_000_000_000
    await launch(driver, rec, [executor_task("t", agent.agent_id, b"stubborn", info)])
    pid = int((await state_of(rec, "t", mesos_pb2.TASK_RUNNING)).data)
    env = psutil.Process(pid).environ()
    assert env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] == "1secs"
    await driver.shutdown("E9", agent.agent_id)
    _, executor_id, status = await rec.next("failure", timeout=30)
    assert executor_id.value == "E9"
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert "SHUTDOWN" in sandbox_events(agent, "E9")
    failed = await state_of(rec, "t", mesos_pb2.TASK_FAILED)
    assert failed.reason == Reason.REASON_EXECUTOR_TERMINATED
    await wait_gone([pid], "the executor's own process to die with its container")


async def restart_agent(cluster: Cluster, agent: Daemon, **flags: str) -> Daemon:
    """kill -9 the agent and start it again on the same --work_dir and --port."""
    agent.kill(signal.SIGKILL)
    agent.proc.wait(10)
    args = agent.argv[3:] + [f"--{k}={v}" for k, v in flags.items()]
    again = cluster._spawn(f"{agent.name}-again", "daemons.agent.main", agent.port, agent.work_dir, args)
    again.agent_id = agent.agent_id
    return again


async def test_executor_that_does_not_come_back_is_killed(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512", registration_backoff_factor="50ms")
    driver, rec = await cluster.framework("deaf", checkpoint=True, failover_timeout=60)
    info = executor_info("E10", driver.framework_id or "")
    await launch(driver, rec, [executor_task("t", agent.agent_id, b"deaf", info)])
    pid = int((await state_of(rec, "t", mesos_pb2.TASK_RUNNING)).data)
    await restart_agent(cluster, agent, executor_reregistration_timeout="1secs")
    failed = await state_of(rec, "t", mesos_pb2.TASK_FAILED)
    assert failed.reason == Reason.REASON_EXECUTOR_REREGISTRATION_TIMEOUT
    assert failed.source == Reason.SOURCE_AGENT
    _, executor_id, status = await rec.next("failure", timeout=30)
    assert executor_id.value == "E10" and os.WIFSIGNALED(status)
    await wait_gone([pid], "the deaf executor to be killed")


async def test_executor_that_ended_while_the_agent_was_down(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512", registration_backoff_factor="50ms")
    driver, rec = await cluster.framework("gone", checkpoint=True, failover_timeout=60)
    info = executor_info("E11", driver.framework_id or "")
    await launch(driver, rec, [executor_task("t", agent.agent_id, b"deaf", info)])
    pid = int((await state_of(rec, "t", mesos_pb2.TASK_RUNNING)).data)
    agent.kill(signal.SIGKILL)
    agent.proc.wait(10)
    os.killpg(os.getpgid(pid), signal.SIGKILL)  # the executor dies while no agent watches
    await wait_gone([pid], "the executor to die")
    await restart_agent(cluster, agent)
    failed = await state_of(rec, "t", mesos_pb2.TASK_FAILED)
    assert failed.reason == Reason.REASON_EXECUTOR_TERMINATED
    assert "SIGKILL" in failed.message
    _, executor_id, status = await rec.next("failure", timeout=30)
    assert executor_id.value == "E11"
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


async def test_executor_that_cannot_launch(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512")
    driver, rec = await cluster.framework("nobody")
    info = executor_info("E12", driver.framework_id or "")
    info.command.user = "no-such-user-here"
    await launch(driver, rec, [executor_task("t", agent.agent_id, b"wait", info)])
    failed = await state_of(rec, "t", mesos_pb2.TASK_FAILED)
    assert failed.reason == Reason.REASON_CONTAINER_LAUNCH_FAILED
    assert "no-such-user-here" in failed.message
    _, executor_id, status = await rec.next("failure", timeout=30)
    assert executor_id.value == "E12" and status == -1

    async def freed() -> bool:
        state = await cluster.operator.state()
        return not state.get_executors.executors and not state.get_agents.agents[0].allocated_resources

    await poll_until(freed, 20, "the executor's resources to be freed")


async def test_executor_api_in_protobuf_by_hand(cluster: Cluster) -> None:
    """The executor API driven with raw HTTP and protobuf bodies (no executor library): the
    executor launched runs `sleep`, so this test speaks for it."""
    await cluster.start_master()
    agent = await cluster.start_agent("cpus:2;mem:512")
    driver, rec = await cluster.framework("by-hand")
    fid = driver.framework_id or ""
    info = executor_info("H", fid)
    info.command.value = "sleep 60"
    await launch(driver, rec, [executor_task("t", agent.agent_id, b"payload", info)])
    url = endpoint(agent)

    def call(kind: int) -> executor_pb2.Call:
        c = executor_pb2.Call(type=kind)
        c.framework_id.value = fid
        c.executor_id.value = "H"
        return c

    update = call(executor_pb2.Call.UPDATE)
    status = update.update.status
    status.task_id.value = "t"
    status.state = mesos_pb2.TASK_RUNNING
    status.source = Reason.SOURCE_EXECUTOR
    status.uuid = uuid.uuid4().bytes

    async def posted(message: executor_pb2.Call) -> tuple[int, bytes]:
        code, body, _ = await post(url, message.SerializeToString(), content_type=PROTOBUF,
                                   accept=PROTOBUF)
        return code, body

    # Before its SUBSCRIBE, the executor may not UPDATE. (The ACCEPT returned before the
    # agent got the task: until it has, it does not know the framework, or is still
    # registering, and says so.)
    async def known() -> tuple[int, bytes] | None:
        answer = await posted(update)
        return None if answer in ((400, b"Framework cannot be found"), (
            503, b"Agent has not registered with a master yet")) else answer

    assert await poll_until(known, 20, "the agent to launch the executor") == (
        403, b"Executor is not subscribed")

    subscribe = call(executor_pb2.Call.SUBSCRIBE)
    subscribe.subscribe.SetInParent()
    stream = await subscribe_stream(url, subscribe.SerializeToString(), content_type=PROTOBUF,
                                    accept=PROTOBUF)
    assert isinstance(stream, EventStream), stream
    try:
        assert stream.response.headers["Content-Type"] == PROTOBUF
        first = executor_pb2.Event.FromString(await stream.next())
        assert first.type == executor_pb2.Event.SUBSCRIBED
        assert first.subscribed.executor_info.executor_id.value == "H"
        assert first.subscribed.framework_info.id.value == fid
        assert first.subscribed.agent_info.id.value == agent.agent_id
        assert first.subscribed.container_id.value
        launched = executor_pb2.Event.FromString(await stream.next())
        assert launched.type == executor_pb2.Event.LAUNCH
        assert launched.launch.task.task_id.value == "t" and launched.launch.task.data == b"payload"

        assert await posted(update) == (202, b"")
        acked = executor_pb2.Event.FromString(await stream.next())
        assert acked.type == executor_pb2.Event.ACKNOWLEDGED
        assert acked.acknowledged.uuid == status.uuid
        running = await state_of(rec, "t", mesos_pb2.TASK_RUNNING)
        assert running.uuid == status.uuid and running.executor_id.value == "H"
        assert await posted(update) == (202, b"")  # a retry: acknowledged again, sent once
        assert executor_pb2.Event.FromString(await stream.next()).type == executor_pb2.Event.ACKNOWLEDGED

        message = call(executor_pb2.Call.MESSAGE)
        message.message.data = b"\x00binary\xff"
        assert await posted(message) == (202, b"")
        assert await rec.next("message") == b"\x00binary\xff"

        await driver.message(agent.agent_id, "H", b"to you")
        event = executor_pb2.Event.FromString(await stream.next())
        assert event.type == executor_pb2.Event.MESSAGE and event.message.data == b"to you"

        await driver.kill("t", agent.agent_id)
        event = executor_pb2.Event.FromString(await stream.next())
        assert event.type == executor_pb2.Event.KILL and event.kill.task_id.value == "t"
    finally:
        await stream.close()
    assert [s.state for s in rec.updates("t")].count(mesos_pb2.TASK_RUNNING) == 1
