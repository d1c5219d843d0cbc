"""The HTTP edge with ZooKeeper-elected masters: a Mesos client given the same `zk://` string
as our own tools finds the leader through the `json.info_` znodes (Mesos's layout) and runs a
task over HTTP; an operator reads the leader's state and event stream the way a Mesos tool
does; a standby answers 307 to the leader (which the avmesos client follows when its ZooKeeper
lookup lands on a standby)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from kazoo.client import KazooClient

from daemons.proto import master_pb2
from tests.cluster import poll_until
from tests.e2e.harness import HACluster
from tests.http_clients import AvmesosFramework, EventStream, get, post, subscribe
from tests.zk import ZooKeeperServer

pytestmark = pytest.mark.timeout(150)



def _leader_info(zk: ZooKeeperServer) -> dict:
    """What a Mesos tool reads: the lowest `json.info_` znode under /mesos, as JSON."""
    client = KazooClient(hosts=zk.hosts)
    client.start(timeout=10)
    try:
        children = sorted(c for c in client.get_children("/mesos") if c.startswith("json.info_"))
        data, _ = client.get(f"/mesos/{children[0]}")
        return json.loads(data)
    finally:
        client.stop()
        client.close()


async def test_mesos_client_and_tool_through_zookeeper(ha: HACluster) -> None:
    leader = await ha.start_masters(2)
    await ha.start_agent()

    info = await asyncio.get_running_loop().run_in_executor(None, _leader_info, ha.zk)
    assert info["pid"] == f"master@{leader.address}"
    assert f"{info['address']['ip']}:{info['address']['port']}" == leader.address
    http = f"http://{info['address']['ip']}:{info['address']['port']}"

    # An operator tool: the leader's state and its event stream over HTTP.
    status, body, _ = await get(http + "/master/state")
    assert status == 200 and json.loads(body)["leader"] == info["pid"]
    events = await subscribe(http + "/api/v1", b'{"type":"SUBSCRIBE"}')
    assert isinstance(events, EventStream)
    fw = AvmesosFramework(ha.zk_url, {"zk-task": "echo found through zookeeper"}).start()
    try:
        assert (await events.next())["type"] == "SUBSCRIBED"
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("zk-task"), 60, "TASK_FINISHED")
        added = await events.until("TASK_ADDED")
        assert added["task_added"]["task"]["task_id"]["value"] == "zk-task"
        status, body, _ = await post(http + "/api/v1", b'{"type":"GET_TASKS"}')
        tasks = json.loads(body)["get_tasks"]
        done = [t for t in tasks.get("completed_tasks", []) + tasks.get("tasks", [])
                if t["task_id"]["value"] == "zk-task"]
        assert done and done[0]["state"] == "TASK_FINISHED"
    finally:
        fw.stop()
        await events.close()


async def test_standby_answers_307_to_the_leader(ha: HACluster) -> None:
    leader = await ha.start_masters(2)
    standby = next(m for m in ha.masters if m is not leader)
    base = f"http://{standby.address}"

    async def listening() -> bool:  # a leader is elected before every standby has bound
        try:
            return (await get(base + "/health"))[0] == 200
        except aiohttp.ClientConnectorError:
            return False

    await poll_until(listening, 30, "the standby to listen")

    status, _, headers = await post(
        base + "/api/v1/scheduler",
        b'{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"x"}}}')
    assert status == 307 and headers["Location"] == f"//{leader.address}/api/v1/scheduler"
    status, _, headers = await post(base + "/master/api/v1", b'{"type":"GET_STATE"}')
    assert status == 307 and headers["Location"] == f"//{leader.address}/master/api/v1"
    status, _, headers = await get(base + "/master/state?jsonp=x")
    assert status == 307 and headers["Location"] == f"//{leader.address}/master/state?jsonp=x"
    status, _, headers = await get(base + "/master/redirect")
    assert status == 307 and headers["Location"] == f"//{leader.address}"
    # A standby still says how it is itself.
    assert (await get(base + "/health"))[0] == 200
    status, body, _ = await get(base + "/metrics/snapshot")
    assert status == 200 and json.loads(body)["master/elected"] == 0
    # And gRPC on the same port still names the leader as before.
    # (Its channel may still be backing off from a dial made before the standby listened.)
    response = await poll_until(
        lambda: standby.operator.call(master_pb2.Call.GET_MASTER, timeout=5), 30,
        "the standby to answer gRPC")
    assert response.get_master.master_info.pid == f"master@{standby.address}"

    # A Mesos client pointed at the standby follows the 307 (its HTTP library does) and runs
    # its task on the leader; every later call it sends to the standby is redirected too.
    await ha.start_agent()
    fw = AvmesosFramework(base, {"via-standby": "true"}).start()
    try:
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("via-standby"), 60, "TASK_FINISHED")
    finally:
        fw.stop()
