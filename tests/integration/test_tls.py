"""TLS on every port, over real processes: a master and agents started with Mesos's
`LIBPROCESS_SSL_*` settings (a CA and certificate made by mesos_tui.localca), and clients of
every kind: our scheduler driver, the agent's link, the operator client, the Files API, aiohttp
and a third-party Mesos framework (avmesos) over https. A plain-text client of a TLS-only
master is refused, a client without the CA refuses the master, and with
LIBPROCESS_SSL_SUPPORT_DOWNGRADE both kinds of client work.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import grpc
import pytest

from daemons.common import tls
from daemons.common.reach import diagnose
from daemons.proto import master_pb2, master_pb2_grpc, mesos_pb2
from mesos_tui.client.files import AgentFiles, sandbox_path
from mesos_tui.client.scheduler import task_info
from mesos_tui.localca import local_tls
from tests.cluster import REPO, Cluster, state_name
from tests.http_clients import AvmesosFramework

QUICK = mesos_pb2.Filters(refuse_seconds=0)
TERMINAL = {
    mesos_pb2.TASK_FINISHED, mesos_pb2.TASK_FAILED, mesos_pb2.TASK_KILLED, mesos_pb2.TASK_ERROR,
    mesos_pb2.TASK_LOST, mesos_pb2.TASK_DROPPED,
}


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tls.TlsConfig:
    """The cluster's CA and its server certificate (for 127.0.0.1)."""
    return local_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> tls.TlsConfig:
    """A CA that signed nothing of this cluster."""
    return local_tls(tmp_path_factory.mktemp("other-tls"))


def client_of(server: tls.TlsConfig) -> tls.TlsConfig:
    return tls.TlsConfig(enabled=True, ca_file=server.ca_file)


@pytest.fixture
def client_settings(ca: tls.TlsConfig) -> Iterator[tls.TlsConfig]:
    """This test process dials with TLS and the cluster's CA (as LIBPROCESS_SSL_* would make
    it), for the clients that take the process's settings (the driver, AgentFiles)."""
    settings = client_of(ca)
    tls.configure(settings)
    try:
        yield settings
    finally:
        tls.configure(None)


@pytest.fixture
async def tls_cluster(tmp_path: Path, request: pytest.FixtureRequest, ca: tls.TlsConfig) -> AsyncIterator[Cluster]:
    c = Cluster(tmp_path / "cluster", env=tls.env_of(ca), client_tls=client_of(ca))
    request.node._mesos_cluster = c
    try:
        yield c
    finally:
        await c.close()


async def health(address: str, settings: tls.TlsConfig) -> master_pb2.Response:
    async with tls.channel(address, (), settings) as channel:
        return await master_pb2_grpc.MasterStub(channel).Call(
            master_pb2.Call(type=master_pb2.Call.GET_HEALTH), timeout=5
        )


async def http_get(url: str, context: ssl.SSLContext | bool | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.get(url, ssl=context if context is not None else True) as r:
            return r.status, await r.text()


# ------------------------------------------------------------------ everything over TLS


async def test_driver_agent_link_operator_and_files_over_tls(
    tls_cluster: Cluster, client_settings: tls.TlsConfig
) -> None:
    cluster = tls_cluster
    await cluster.start_master()  # the operator client answered GET_HEALTH over TLS
    agent = await cluster.start_agent("cpus:2;mem:1024")  # registered over a TLS link
    assert "(TLS)" in cluster.master.log_path.read_text()  # type: ignore[union-attr]

    driver, rec = await cluster.framework("over-tls")
    offers = await rec.next("offers")
    offer = next(o for o in offers if o.agent_id.value == agent.agent_id)
    task = task_info("t1", "t1", offer.agent_id, "echo secret-over-tls", "cpus:0.1;mem:32")
    await driver.launch([offer], [task], QUICK)
    done = await rec.next("update", lambda s: s.task_id.value == "t1" and s.state in TERMINAL)
    assert state_name(done.state) == "TASK_FINISHED", done

    # The Files API on the agent's own port speaks TLS too.
    state = await cluster.operator.state()
    framework_id = state.get_frameworks.frameworks[0].framework_info.id.value
    files = AgentFiles(f"127.0.0.1:{agent.port}")
    try:
        path = sandbox_path(agent.agent_id or "", framework_id, "t1")
        reply = await files.read(path)
        assert b"secret-over-tls" in reply.data
    finally:
        await files.close()
    # ... and nothing else: a plain-text channel to it fails.
    async with grpc.aio.insecure_channel(f"127.0.0.1:{agent.port}") as plain:
        from daemons.proto import agent_pb2, agent_pb2_grpc

        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await agent_pb2_grpc.FilesStub(plain).List(agent_pb2.ListFilesRequest(path="/"), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    # The agent's HTTP endpoints share its port, and its TLS.
    status, body = await http_get(f"https://127.0.0.1:{agent.port}/state", tls.client_context(client_settings))
    assert status == 200 and agent.agent_id in body
    status, body = await http_get(f"http://127.0.0.1:{agent.port}/state")
    assert status == 400 and "requires TLS" in body


async def test_https_clients_aiohttp_and_avmesos(tls_cluster: Cluster, ca: tls.TlsConfig) -> None:
    cluster = tls_cluster
    await cluster.start_master(heartbeat_interval="0.5secs")
    await cluster.start_agent()
    base = f"https://{cluster.master_address}"

    status, body = await http_get(f"{base}/master/state", tls.client_context(client_of(ca)))
    assert status == 200 and '"slaves"' in body

    fw = AvmesosFramework(base, {"hello": "echo hello"}, verify=ca.ca_file).start()
    try:
        await fw.wait(fw.subscribed.is_set, 15, "SUBSCRIBED over https")
        await fw.wait(lambda: "TASK_FINISHED" in fw.states("hello"), 30, "TASK_FINISHED")
    finally:
        fw.stop()


# ------------------------------------------------------------------ who is refused


async def test_plain_text_clients_are_refused_by_a_tls_only_master(tls_cluster: Cluster) -> None:
    cluster = tls_cluster
    master = await cluster.start_master()
    address = cluster.master_address

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await health(address, tls.TlsConfig())
    # Our own clients say what to change.
    reach = await diagnose(address, refused.value, tls_used=False)
    assert reach.permanent and "requires TLS" in reach.text and "LIBPROCESS_SSL_ENABLED" in reach.text

    status, body = await http_get(f"http://{address}/master/state")
    assert status == 400 and "requires TLS" in body

    log = master.log_path.read_text()
    assert "Refused a connection from ipv4:127.0.0.1:" in log
    assert "requires TLS (LIBPROCESS_SSL_SUPPORT_DOWNGRADE is off)" in log


async def test_a_client_without_the_ca_refuses_the_master(
    tls_cluster: Cluster, other_ca: tls.TlsConfig
) -> None:
    cluster = tls_cluster
    master = await cluster.start_master()
    address = cluster.master_address
    for settings in (tls.TlsConfig(enabled=True), client_of(other_ca)):  # system roots; a stranger's CA
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health(address, settings)
        reach = await diagnose(address, refused.value)
        assert "does not trust" in reach.text and "LIBPROCESS_SSL_CA_FILE" in reach.text, reach
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await http_get(f"https://{address}/master/state", tls.client_context(client_of(other_ca)))
    # The master says why, once (not once per retry).
    log = master.log_path.read_text()
    assert log.count("Refused a connection from ipv4:127.0.0.1:") == 1, log
    assert "the client closed the connection during the TLS handshake" in log, log


async def test_downgrade_accepts_both(tmp_path: Path, ca: tls.TlsConfig) -> None:
    env = {**tls.env_of(ca), "LIBPROCESS_SSL_SUPPORT_DOWNGRADE": "true"}
    async with Cluster(tmp_path / "cluster", env=env, client_tls=client_of(ca)) as cluster:
        master = await cluster.start_master()
        address = cluster.master_address
        assert (await health(address, tls.TlsConfig())).get_health.healthy
        assert (await health(address, client_of(ca))).get_health.healthy
        assert (await http_get(f"http://{address}/master/health"))[0] == 200
        assert (await http_get(f"https://{address}/master/health", tls.client_context(client_of(ca))))[0] == 200
        assert "Refused" not in master.log_path.read_text()


async def test_a_tls_client_of_a_plain_master_is_told(cluster: Cluster, ca: tls.TlsConfig) -> None:
    await cluster.start_master()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await health(cluster.master_address, client_of(ca))
    reach = await diagnose(cluster.master_address, refused.value)
    assert reach.permanent and "does not speak TLS" in reach.text


async def test_required_client_certificates(tmp_path: Path, ca: tls.TlsConfig) -> None:
    """LIBPROCESS_SSL_REQUIRE_CERT: the agent (which presents its certificate) registers; a
    client with the CA but no certificate of its own is refused."""
    env = {**tls.env_of(ca), "LIBPROCESS_SSL_REQUIRE_CERT": "true"}
    async with Cluster(tmp_path / "cluster", env=env, client_tls=ca) as cluster:
        master = await cluster.start_master()
        await cluster.start_agent()
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health(cluster.master_address, client_of(ca))
        reach = await diagnose(cluster.master_address, refused.value, tls_used=True)
        assert "does it require a client certificate" in reach.text, reach
        assert "the TLS handshake failed (peer did not return a certificate)" in master.log_path.read_text()


# ------------------------------------------------------------------ start-up errors


@pytest.mark.parametrize("program", ["daemons.master.main", "daemons.agent.main"])
def test_missing_certificate_is_one_clear_startup_error(tmp_path: Path, program: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESOS_", tls.ENV_PREFIX))}
    env.update(LIBPROCESS_SSL_ENABLED="true", LIBPROCESS_SSL_CERT_FILE=str(tmp_path / "nope.pem"),
               LIBPROCESS_SSL_KEY_FILE=str(tmp_path / "nope.key"))
    args = ["--work_dir", str(tmp_path / "w"), "--port", "0"]
    if program == "daemons.agent.main":
        args += ["--master", "127.0.0.1:1"]
    done = subprocess.run(
        [sys.executable, "-m", program, *args], cwd=REPO, env=env, capture_output=True,
        text=True, timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "LIBPROCESS_SSL_CERT_FILE" in lines[0] and "does not exist" in lines[0]


# ------------------------------------------------------------------ mesos-tui up


def test_local_up_makes_a_working_tls_cluster(tmp_path: Path) -> None:
    from mesos_tui.local import LocalCluster, free_port

    with LocalCluster(agents=1, master_port=free_port(), work_dir=str(tmp_path), tls=True) as up:
        # start() waited for the agent to register, over TLS, with the CA it made.
        assert up.server_tls.enabled and up.client_tls.ca_file == up.server_tls.ca_file
        for key in ("ca.key", "server.key"):
            assert stat.S_IMODE(os.stat(tmp_path / "tls" / key).st_mode) == 0o600
        assert len(up.state().get_agents.agents) == 1

        async def clients() -> None:
            assert (await health(up.master, up.client_tls)).get_health.healthy
            with pytest.raises(grpc.aio.AioRpcError):
                await health(up.master, tls.TlsConfig())

        asyncio.run(clients())


# ------------------------------------------------------------------ what the edges learn


async def test_the_edges_know_whether_a_caller_came_over_tls(tmp_path: Path, ca: tls.TlsConfig) -> None:
    """The shared port with downgrade, in this process: a gRPC servicer's `is_tls(peer)` and an
    HTTP handler's transport say which of two clients came over TLS (Caller.tls is made of
    these)."""
    from aiohttp import web

    from daemons.common.acceptor import SharedPort, is_tls

    async def grpc_tls(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return b"tls" if is_tls(context.peer()) else b"plain"

    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "probe.Probe", {"Tls": grpc.unary_unary_rpc_method_handler(grpc_tls)}),))
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    await server.start()

    async def http_tls(request: web.Request) -> web.Response:
        secure = request.transport is not None and request.transport.get_extra_info("ssl_object")
        return web.Response(text="tls" if secure else "plain")

    app = web.Application()
    app.router.add_get("/tls", http_tls)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    assert runner.server is not None
    port = SharedPort(runner.server, "127.0.0.1", grpc_port,  # type: ignore[arg-type]
                      ssl_context=tls.server_context(ca), downgrade=True)
    bound = await port.start("127.0.0.1", 0)
    address = f"127.0.0.1:{bound}"
    try:
        for settings, expected in ((client_of(ca), b"tls"), (tls.TlsConfig(), b"plain")):
            async with tls.channel(address, (), settings) as channel:
                probe = channel.unary_unary("/probe.Probe/Tls")
                assert await probe(b"", timeout=5) == expected
        context = tls.client_context(client_of(ca))
        assert await http_get(f"https://{address}/tls", context) == (200, "tls")
        assert await http_get(f"http://{address}/tls") == (200, "plain")
        # The CA from a directory (LIBPROCESS_SSL_CA_DIR, indexed as OpenSSL's CApath).
        ca_dir = tmp_path / "cas"
        ca_dir.mkdir()
        (ca_dir / "cluster-ca.pem").write_bytes(Path(ca.ca_file).read_bytes())
        subprocess.run(["openssl", "rehash", str(ca_dir)], check=True, capture_output=True)
        from_dir = tls.TlsConfig(enabled=True, ca_dir=str(ca_dir))
        async with tls.channel(address, (), from_dir) as channel:
            assert await channel.unary_unary("/probe.Probe/Tls")(b"", timeout=5) == b"tls"
        assert await http_get(f"https://{address}/tls", tls.client_context(from_dir)) == (200, "tls")
    finally:
        await port.stop()
        await runner.cleanup()
        await server.stop(None)


async def test_flags_alone_turn_tls_on(tmp_path: Path, ca: tls.TlsConfig) -> None:
    """--ssl_* flags on the command line, no LIBPROCESS_SSL_* in the daemons' environment."""
    flags = {"ssl_enabled": "true", "ssl_cert_file": ca.cert_file, "ssl_key_file": ca.key_file,
             "ssl_ca_file": ca.ca_file}
    async with Cluster(tmp_path / "cluster", client_tls=client_of(ca)) as cluster:
        await cluster.start_master(**flags)  # answered GET_HEALTH over TLS
        await cluster.start_agent(**flags)  # registered over TLS
        with pytest.raises(grpc.aio.AioRpcError):
            await health(cluster.master_address, tls.TlsConfig())
        flag_values = (await cluster.operator.call(master_pb2.Call.GET_FLAGS)).get_flags.flags
        shown = {f.name: f.value for f in flag_values}
        assert shown["ssl_enabled"] == "True" and shown["ssl_cert_file"] == ca.cert_file


@pytest.mark.parametrize("argv", [
    ["mesos_tui.cli", "shell", "--master", "127.0.0.1:1", "-c", "agents"],
    ["mesos_tui.execute", "--master", "127.0.0.1:1", "--name", "x", "--command", "true"],
])
def test_clients_with_settings_that_cannot_work_say_so(tmp_path: Path, argv: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MESOS_", tls.ENV_PREFIX))}
    env.update(LIBPROCESS_SSL_ENABLED="true", LIBPROCESS_SSL_CA_FILE=str(tmp_path / "no-ca.pem"),
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_DATA_HOME=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", *argv], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "LIBPROCESS_SSL_CA_FILE" in lines[0] and "does not exist" in lines[0], done.stderr


async def test_many_tls_clients_at_once(tls_cluster: Cluster, ca: tls.TlsConfig) -> None:
    """Handshakes interleaved on the master's one loop: 20 gRPC channels and 20 HTTPS
    requests at the same moment all answered (bounded: 40 connections)."""
    await tls_cluster.start_master()
    address = tls_cluster.master_address
    settings = client_of(ca)
    context = tls.client_context(settings)
    answers = await asyncio.gather(
        *(health(address, settings) for _ in range(20)),
        *(http_get(f"https://{address}/master/health", context) for _ in range(20)),
    )
    assert all(a.get_health.healthy for a in answers[:20])
    assert all(a[0] == 200 for a in answers[20:])


async def test_the_tui_http_source_reads_a_tls_master_with_its_ca(
    tls_cluster: Cluster, client_settings: tls.TlsConfig
) -> None:
    """`mesos-tui --master https://...` (the HTTP operator source) dials with the process's
    TLS settings: the cluster's CA from LIBPROCESS_SSL_CA_FILE, as `mesos-tui up` prints."""
    from mesos_tui.client.http_operator import HttpOperatorClient

    cluster = tls_cluster
    await cluster.start_master()
    agent = await cluster.start_agent()
    client = HttpOperatorClient(f"https://{cluster.master_address}", lambda e: None)
    try:
        result = await client.get_state()
        assert result.ok, result.message
        agents = result.response.get_state.get_agents.agents
        assert [a.agent_info.id.value for a in agents] == [agent.agent_id]
    finally:
        await client.close()
