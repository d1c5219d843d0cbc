"""The master's HTTP edge over real processes: a third-party Mesos client (avmesos) runs a task
through the scheduler HTTP API; raw HTTP checks the framing, content types, status codes and
stream ids as Mesos's scheduler-http-api.md states them; the operator API and the read-only
endpoints are read with plain aiohttp (no maintained Python library for Mesos's v1 operator
API installs on Python 3.11), and everything is checked against what gRPC says too."""

from __future__ import annotations

import asyncio
import json
import re

import grpc
import pytest

from daemons.common.rpc import STREAM_ID_KEY
from daemons.proto import master_pb2, mesos_pb2, scheduler_pb2, scheduler_pb2_grpc
from tests.cluster import Cluster
from tests.http_clients import JSON, PROTOBUF, AvmesosFramework, EventStream, get, post, subscribe

pytestmark = pytest.mark.timeout(120)


def _subscribe_body(name: str = "http-test", failover_timeout: float = 0.0) -> bytes:
    return json.dumps({
        "type": "SUBSCRIBE",
        "subscribe": {"framework_info": {
            "user": "root", "name": name, "failover_timeout": failover_timeout,
        }},
    }).encode()


def _call(fid: str, kind: str, **fields: object) -> bytes:
    return json.dumps({"type": kind, "framework_id": {"value": fid}, **fields}).encode()


async def _subscribed(url: str, **kw: object) -> tuple[EventStream, str]:
    stream = await subscribe(url, _subscribe_body(**kw))  # type: ignore[arg-type]
    assert isinstance(stream, EventStream), (stream.status, stream.reason)
    first = await stream.next()
    assert first["type"] == "SUBSCRIBED"
    return stream, first["subscribed"]["framework_id"]["value"]


# ------------------------------------------------------------------- a Mesos client library


async def test_avmesos_framework_runs_a_command_task(cluster: Cluster) -> None:
    await cluster.start_master(heartbeat_interval="0.5secs")
    await cluster.start_agent()
    fw = AvmesosFramework(f"http://{cluster.master_address}", {"hello": "echo hello"}).start()
    try:
        await fw.wait(fw.subscribed.is_set, 15, "SUBSCRIBED")
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("hello"), 30, "TASK_FINISHED")
        assert fw.states("hello")[0] in ("TASK_STARTING", "TASK_RUNNING")
        # The same actor: gRPC's operator view has the framework and its finished task.
        frameworks = await cluster.operator.frameworks()
        ours = [f for f in frameworks.frameworks if f.framework_info.id.value == fw.framework_id]
        assert ours and ours[0].framework_info.name == "avmesos" and ours[0].connected
        tasks = await cluster.operator.tasks()
        finished = {t.task_id.value: t.state for t in tasks.completed_tasks}
        assert finished.get("hello") == mesos_pb2.TASK_FINISHED
    finally:
        fw.stop()

    await cluster.operator.wait_for(
        lambda s: any(c.framework_info.id.value == fw.framework_id
                      for c in s.get_frameworks.completed_frameworks),
        what="avmesos's TEARDOWN to remove the framework",
    )


# ------------------------------------------------------------------- the scheduler API


async def test_subscribe_streams_recordio_then_heartbeats(cluster: Cluster) -> None:
    await cluster.start_master(heartbeat_interval="0.3secs")
    url = f"http://{cluster.master_address}/api/v1/scheduler"

    stream = await subscribe(url, _subscribe_body())
    assert isinstance(stream, EventStream)
    try:
        r = stream.response
        assert r.status == 200
        assert r.headers["Content-Type"] == JSON
        assert r.headers.get("Transfer-Encoding") == "chunked"
        assert re.fullmatch(r"[0-9a-f-]{36}", stream.stream_id)
        subscribed = await stream.next()
        assert subscribed["type"] == "SUBSCRIBED"
        assert subscribed["subscribed"]["heartbeat_interval_seconds"] == pytest.approx(0.3)
        assert subscribed["subscribed"]["master_info"]["address"]["port"] == int(
            cluster.master_address.rsplit(":", 1)[1])
        # A HEARTBEAT at once, then one every interval.
        assert (await stream.next(timeout=0.2))["type"] == "HEARTBEAT"
        loop = asyncio.get_running_loop()
        start = loop.time()
        for _ in range(3):
            assert (await stream.next(timeout=1.0))["type"] == "HEARTBEAT"
        assert loop.time() - start < 1.5
    finally:
        await stream.close()

    # The same in protobuf: records are serialized Events.
    body = scheduler_pb2.Call(type=scheduler_pb2.Call.SUBSCRIBE)
    body.subscribe.framework_info.name = "pb"
    body.subscribe.framework_info.user = "root"
    pb = await subscribe(url, body.SerializeToString(), PROTOBUF, PROTOBUF)
    assert isinstance(pb, EventStream)
    try:
        assert pb.response.headers["Content-Type"] == PROTOBUF
        first = scheduler_pb2.Event.FromString(await pb.next())
        assert first.type == scheduler_pb2.Event.SUBSCRIBED and first.subscribed.framework_id.value
        second = scheduler_pb2.Event.FromString(await pb.next(timeout=0.2))
        assert second.type == scheduler_pb2.Event.HEARTBEAT
    finally:
        await pb.close()


async def test_scheduler_calls_answer_as_mesos_does(cluster: Cluster) -> None:
    await cluster.start_master()
    url = f"http://{cluster.master_address}/api/v1/scheduler"
    stream, fid = await _subscribed(url, failover_timeout=60.0)
    sid = {"Mesos-Stream-Id": stream.stream_id}

    status, body, _ = await post(url, _call(fid, "REVIVE"), headers=sid)
    assert (status, body) == (202, b"")
    decline = scheduler_pb2.Call(type=scheduler_pb2.Call.DECLINE)
    decline.framework_id.value = fid
    decline.decline.offer_ids.add(value="no-such-offer")
    status, _, _ = await post(url, decline.SerializeToString(), PROTOBUF, PROTOBUF, headers=sid)
    assert status == 202

    async def answer(body: bytes, **kw: object) -> tuple[int, str]:
        status, text, _ = await post(url, body, **kw)  # type: ignore[arg-type]
        assert b"\n" not in text.strip()
        return status, text.decode()

    assert await answer(_call(fid, "REVIVE")) == (
        400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
    status, text = await answer(_call(fid, "REVIVE"), headers={"Mesos-Stream-Id": "stale"})
    assert status == 400 and "does not match" in text
    status, text = await answer(_call("nobody", "REVIVE"), headers=sid)
    assert status == 400 and "not subscribed" in text
    assert await answer(_call(fid, "REVIVE"), content_type=None, headers=sid) == (
        400, "Expecting 'Content-Type' to be present")
    status, text = await answer(_call(fid, "REVIVE"), content_type="text/plain", headers=sid)
    assert status == 415 and "application/json or application/x-protobuf" in text
    status, text = await answer(b"{nope", headers=sid)
    assert status == 400 and text.startswith("Failed to parse body into JSON")
    status, text = await answer(b"\xff\xff\xff", content_type=PROTOBUF, headers=sid)
    assert (status, text) == (400, "Failed to parse body into Call protobuf")
    status, text = await answer(_call(fid, "KILL"), headers=sid)
    assert status == 400 and "KILL needs kill.task_id" in text
    status, text = await answer(_subscribe_body(), headers=sid)
    assert (status, text) == (400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
    status, text = await answer(_subscribe_body(), accept="text/html")
    assert status == 406
    bad = scheduler_pb2.Call(type=scheduler_pb2.Call.SUBSCRIBE)
    bad.subscribe.framework_info.user = "root"
    # subscribe { framework_info { user: b"\xff\xfe" } }, merged into the call above.
    raw = bad.SerializeToString() + b"\x1a\x06\x0a\x04\x0a\x02\xff\xfe"
    status, text = await answer(raw, content_type=PROTOBUF)
    assert status == 400 and "not valid UTF-8" in text
    status, _, headers = await get(url)
    assert status == 405 and headers["Allow"] == "POST"
    status, _, _ = await post(url, b" " * (5 * 1024 * 1024), headers=sid)
    assert status == 413  # bodies are capped (4 MB)

    # The subscription connection breaks: the framework is disconnected; calls get 403.
    await stream.close()

    await cluster.operator.wait_for(
        lambda s: any(f.framework_info.id.value == fid and not f.connected
                      for f in s.get_frameworks.frameworks),
        what="the framework to be disconnected",
    )
    status, text = await answer(_call(fid, "REVIVE"), headers=sid)
    assert status == 403 and "disconnected" in text


async def test_one_framework_uses_both_edges(cluster: Cluster) -> None:
    """Subscribed over HTTP, it answers an offer over gRPC with its Mesos-Stream-Id; the
    task's updates come back on the HTTP stream."""
    await cluster.start_master()
    await cluster.start_agent()
    url = f"http://{cluster.master_address}/api/v1/scheduler"
    stream, fid = await _subscribed(url)
    try:
        offers = (await stream.until("OFFERS"))["offers"]["offers"]
        call = scheduler_pb2.Call(type=scheduler_pb2.Call.ACCEPT)
        call.framework_id.value = fid
        call.accept.offer_ids.add(value=offers[0]["id"]["value"])
        op = call.accept.operations.add(type=mesos_pb2.Offer.Operation.LAUNCH)
        task = op.launch.task_infos.add(name="both")
        task.task_id.value = "both"
        task.agent_id.value = offers[0]["agent_id"]["value"]
        task.command.value = "true"
        for name, value in (("cpus", 0.1), ("mem", 32.0)):
            task.resources.add(name=name, type=mesos_pb2.Value.SCALAR).scalar.value = value
        async with grpc.aio.insecure_channel(cluster.master_address) as channel:
            await scheduler_pb2_grpc.SchedulerStub(channel).Call(
                call, metadata=((STREAM_ID_KEY, stream.stream_id),), timeout=5)
        states = []
        while "TASK_FINISHED" not in states:
            update = (await stream.until("UPDATE"))["update"]["status"]
            states.append(update["state"])
            if "uuid" in update:
                ack = {"agent_id": update["agent_id"], "task_id": update["task_id"],
                       "uuid": update["uuid"]}
                status, _, _ = await post(url, _call(fid, "ACKNOWLEDGE", acknowledge=ack),
                                          headers={"Mesos-Stream-Id": stream.stream_id})
                assert status == 202
        assert states[-1] == "TASK_FINISHED"
    finally:
        await stream.close()


# ------------------------------------------------------------------- the operator API


async def test_operator_api_reads_state_and_streams_events(cluster: Cluster) -> None:
    await cluster.start_master(heartbeat_interval="0.5secs")
    agent = await cluster.start_agent()
    api = f"http://{cluster.master_address}/api/v1"

    async def call(kind: str, url: str = api, **kw: object) -> dict:
        status, body, headers = await post(url, json.dumps({"type": kind}).encode(), **kw)  # type: ignore[arg-type]
        assert status == 200, (kind, status, body)
        assert headers["Content-Type"].startswith(JSON)
        return json.loads(body)

    assert (await call("GET_HEALTH"))["get_health"] == {"healthy": True}
    assert (await call("GET_HEALTH", url=f"http://{cluster.master_address}/master/api/v1"))[
        "type"] == "GET_HEALTH"
    assert re.fullmatch(r"\d+\.\d+\.\d+", (await call("GET_VERSION"))["get_version"][
        "version_info"]["version"])
    flags = {f["name"]: f["value"] for f in (await call("GET_FLAGS"))["get_flags"]["flags"]}
    assert float(flags["heartbeat_interval"]) == 0.5
    metrics = {m["name"]: m["value"] for m in (await call("GET_METRICS"))["get_metrics"]["metrics"]}
    assert metrics["master/elected"] == 1.0 and metrics["master/slaves_active"] == 1.0
    master = (await call("GET_MASTER"))["get_master"]["master_info"]
    assert master["pid"] == f"master@{cluster.master_address}"
    assert (await call("GET_EXECUTORS"))["get_executors"] == {}
    agents = (await call("GET_AGENTS"))["get_agents"]["agents"]
    assert [a["agent_info"]["id"]["value"] for a in agents] == [agent.agent_id]
    assert "task_count" not in agents[0]  # not Mesos's: only with the extensions header
    assert "task_count" in (await call("GET_AGENTS", headers={"Mesos-Tui-Extensions": "1"}))[
        "get_agents"]["agents"][0]

    # Protobuf both ways, and Mesos's own wire numbers (Response.GET_STATE is 8 in Mesos).
    status, body, headers = await post(
        api, master_pb2.Call(type=master_pb2.Call.GET_STATE).SerializeToString(),
        PROTOBUF, PROTOBUF)
    assert status == 200 and headers["Content-Type"] == PROTOBUF
    state = master_pb2.Response.FromString(body)
    assert state.type == master_pb2.Response.GET_STATE == 8
    assert state.get_state.get_agents.agents[0].agent_info.id.value == agent.agent_id

    # The event stream: SUBSCRIBED with a snapshot, a HEARTBEAT at once, then changes.
    plain = await subscribe(api, b'{"type":"SUBSCRIBE"}')
    extended = await subscribe(api, b'{"type":"SUBSCRIBE"}',
                               headers={"Mesos-Tui-Extensions": "1"})
    assert isinstance(plain, EventStream) and isinstance(extended, EventStream)
    fw = None
    try:
        first = await plain.next()
        assert first["type"] == "SUBSCRIBED"
        assert first["subscribed"]["get_state"]["get_agents"]["agents"][0]["agent_info"]["id"][
            "value"] == agent.agent_id
        assert (await plain.next(timeout=0.3))["type"] == "HEARTBEAT"
        fw = AvmesosFramework(f"http://{cluster.master_address}", {"op": "true"}).start()
        seen: list[str] = []
        while not ("TASK_UPDATED" in seen and "TASK_ADDED" in seen):
            seen.append((await plain.next())["type"])
        assert "FRAMEWORK_ADDED" in seen
        assert not {"OFFER_SENT", "ALLOCATION", "AGENT_UPDATED"} & set(seen)  # ours only
        assert (await extended.until("OFFER_SENT"))["offer_sent"]["offer"]["framework_id"]
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("op"), 30, "TASK_FINISHED")

        # TEARDOWN by the operator: 200, and the stream says the framework is gone.
        assert fw.framework_id
        status, body, _ = await post(api, json.dumps({
            "type": "TEARDOWN", "teardown": {"framework_id": {"value": fw.framework_id}},
        }).encode())
        assert (status, body) == (200, b"")
        removed = await plain.until("FRAMEWORK_REMOVED")
        assert removed["framework_removed"]["framework_info"]["name"] == "avmesos"
        status, body, _ = await post(api, b'{"type":"TEARDOWN","teardown":{"framework_id":'
                                          b'{"value":"nope"}}}')
        assert status == 400 and b"no framework" in body
        status, body, _ = await post(api, b'{"type":"GET_HEALTH"}', accept="text/html")
        assert status == 406
    finally:
        if fw is not None:
            fw.stop()
        await plain.close()
        await extended.close()


async def test_read_only_endpoints_in_mesos_json(cluster: Cluster) -> None:
    await cluster.start_master()
    agent = await cluster.start_agent(resources="cpus:2;mem:1024;ports:[31000-32000]")
    base = f"http://{cluster.master_address}"
    fw = AvmesosFramework(base, {"ro": "echo read-only"}).start()
    try:
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("ro"), 30, "TASK_FINISHED")

        async def json_of(path: str) -> dict:
            status, body, headers = await get(base + path)
            assert status == 200 and headers["Content-Type"].startswith(JSON), (path, status)
            return json.loads(body)

        state = await json_of("/master/state")
        assert state["pid"] == state["leader"] == f"master@{cluster.master_address}"
        assert state["activated_slaves"] == 1
        slave = state["slaves"][0]
        assert slave["id"] == agent.agent_id and slave["active"] is True
        assert slave["resources"]["cpus"] == 2 and slave["resources"]["ports"] == "[31000-32000]"
        assert slave["pid"].startswith("slave(1)@")
        framework = next(f for f in state["frameworks"] if f["id"] == fw.framework_id)
        assert framework["name"] == "avmesos" and framework["role"] == "*"
        done = [t for t in framework["completed_tasks"] + framework["tasks"] if t["id"] == "ro"]
        assert done and done[0]["state"] == "TASK_FINISHED" and done[0]["slave_id"] == agent.agent_id
        assert done[0]["statuses"][-1]["state"] == "TASK_FINISHED"
        assert (await json_of("/state.json")).keys() == state.keys()
        assert (await json_of("/master/state.json"))["id"] == state["id"]

        frameworks = await json_of(f"/master/frameworks?framework_id={fw.framework_id}")
        assert [f["id"] for f in frameworks["frameworks"]] == [fw.framework_id]
        slaves = await json_of("/master/slaves")
        assert slaves["slaves"][0]["unreserved_resources_full"][0]["name"]
        tasks = await json_of("/master/tasks?limit=10&order=asc")
        assert [t["id"] for t in tasks["tasks"]] == ["ro"]
        assert (await json_of("/master/tasks?task_id=nope"))["tasks"] == []
        metrics = await json_of("/metrics/snapshot")
        assert metrics["master/elected"] == 1 and metrics["master/slaves_active"] == 1
        version = await json_of("/version")
        assert re.fullmatch(r"\d+(\.\d+)+", version["version"])
        assert (await get(base + "/health"))[0] == 200
        assert (await json_of("/master/flags"))["flags"]["port"]
        status, body, headers = await get(base + "/master/state?jsonp=cb")
        assert body.startswith(b"cb(") and headers["Content-Type"].startswith("text/javascript")
        status, _, headers = await get(base + "/master/redirect")
        assert status == 307 and headers["Location"] == f"//{cluster.master_address}"
    finally:
        fw.stop()
