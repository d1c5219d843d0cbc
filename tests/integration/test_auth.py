"""Authentication and ACLs over real processes (Mesos's --authenticate_*, --credentials, --acls).

A real master and agent on loopback, started with credentials and ACLs files; frameworks,
agents and operators over gRPC (our driver, raw stubs) and over HTTP (aiohttp, and avmesos from
PyPI with HTTP Basic):

- with authentication on, an anonymous framework, agent or operator is refused, a wrong secret
  is refused, the right one is accepted; an agent id cannot be taken up by another principal;
- credentials in plain text are refused unless --allow_plaintext_credentials_on_loopback;
- ACLs refuse register_frameworks by role, run_tasks by user (TASK_ERROR), teardown and the
  operator kill, naming the principal; view ACLs hide another principal's frameworks and tasks
  from GET_STATE, GET_TASKS, /master/state and the event stream; access_sandboxes guards the
  agent's Files API.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

import grpc
import pytest

from daemons.common.auth import Credential, basic_header, grpc_metadata
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.proto import agent_pb2, agent_pb2_grpc, master_pb2, mesos_pb2
from mesos_tui.client.scheduler import SchedulerDriver, task_info
from tests import http_clients
from tests.cluster import REPO, Cluster, OperatorClient, RecordingScheduler, poll_until

C = master_pb2.Call
QUICK = mesos_pb2.Filters(refuse_seconds=0)
E = master_pb2.Event
# Operator events about one framework, its tasks or its offers.
OWNED_EVENTS = {
    E.TASK_ADDED, E.TASK_UPDATED, E.FRAMEWORK_ADDED, E.FRAMEWORK_UPDATED, E.FRAMEWORK_REMOVED,
    E.OFFER_SENT, E.OFFER_ACCEPTED, E.OFFER_DECLINED, E.OFFER_RESCINDED, E.ALLOCATION,
    E.SORTER_UPDATED,
}

SECRETS = {"alice": "alice-s3cret", "bob": "bob-s3cret", "ops": "ops-s3cret", "agent": "agent-s3cret"}
ALICE = Credential("alice", SECRETS["alice"])
BOB = Credential("bob", SECRETS["bob"])
OPS = Credential("ops", SECRETS["ops"])
AGENT = Credential("agent", SECRETS["agent"])


def _some(*values: str) -> dict[str, object]:
    return {"values": list(values)}


NONE = {"type": "NONE"}
ANY = {"type": "ANY"}

# ops sees and does everything; alice and bob see and touch only what runs as their users
# (alice's framework runs as nobody, bob's as daemon); only ops registers role "prod"; nobody
# runs tasks as root.
ACLS = {
    "register_frameworks": [
        {"principals": _some("ops"), "roles": _some("prod")},
        {"principals": NONE, "roles": _some("prod")},
    ],
    "run_tasks": [{"principals": NONE, "users": _some("root")}],
    "teardown_frameworks": [
        {"principals": _some("ops"), "framework_principals": ANY},
        {"principals": _some("alice"), "framework_principals": _some("alice")},
        {"principals": _some("bob"), "framework_principals": _some("bob")},
        {"principals": NONE, "framework_principals": ANY},
    ],
    "kill_tasks": [
        {"principals": _some("ops"), "framework_principals": ANY},
        {"principals": NONE, "framework_principals": ANY},
    ],
    **{
        action: [
            {"principals": _some("ops"), "users": ANY},
            {"principals": _some("alice"), "users": _some("nobody")},
            {"principals": _some("bob"), "users": _some("daemon")},
            {"principals": NONE, "users": ANY},
        ]
        for action in ("view_frameworks", "view_tasks", "view_executors", "access_sandboxes")
    },
}


def write_files(root: Path) -> tuple[Path, Path, Path]:
    root.mkdir(parents=True, exist_ok=True)
    creds = root / "credentials"
    creds.write_text(json.dumps(
        {"credentials": [{"principal": p, "secret": s} for p, s in SECRETS.items()]}
    ))
    os.chmod(creds, 0o600)
    acls = root / "acls.json"
    acls.write_text(json.dumps(ACLS))
    agent_cred = root / "agent_credential"
    agent_cred.write_text(json.dumps({"principal": "agent", "secret": SECRETS["agent"]}))
    os.chmod(agent_cred, 0o600)
    return creds, acls, agent_cred


def master_flags(creds: Path, acls: Path | None = None, plaintext: bool = True) -> dict[str, object]:
    flags: dict[str, object] = {
        "authenticate_frameworks": "true",
        "authenticate_agents": "true",
        "authenticate_http_readwrite": "true",
        "authenticate_http_readonly": "true",
        "credentials": str(creds),
    }
    if acls is not None:
        flags["acls"] = str(acls)
    if plaintext:
        flags["allow_plaintext_credentials_on_loopback"] = "true"
    return flags


async def refused(driver) -> str:  # noqa: ANN001 (SchedulerDriver)
    """The driver gave up (the master refused it): its one-line error."""
    await asyncio.wait_for(driver.run(), 15)
    assert driver.error_message, "the driver stopped without an error"
    return driver.error_message


async def operator_error(address: str, credential: Credential | None, call: master_pb2.Call) -> grpc.aio.AioRpcError:
    client = OperatorClient(address, credential=credential)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await client.stub.Call(call, timeout=5, metadata=client.metadata)
        return e.value
    finally:
        await client.close()


async def test_authentication_refuses_anonymous_and_wrong_secrets(
    cluster: Cluster, tmp_path: Path
) -> None:
    creds, _acls, agent_cred = write_files(tmp_path / "etc")
    cluster.operator_credential = OPS
    await cluster.start_master(**master_flags(creds))
    address = cluster.master_address

    # An agent without a credential is refused, and says so in its log; with one it registers.
    anonymous = await cluster.start_agent(wait=False)

    async def agent_says_refused() -> bool:
        return "requires authentication" in anonymous.log_path.read_text(errors="replace")

    await poll_until(agent_says_refused, 20, "the anonymous agent to log its refusal")
    assert not (await cluster.operator.agents()).agents
    anonymous.kill()
    agent = await cluster.start_agent(credential=str(agent_cred))

    # Frameworks: anonymous, wrong secret and unknown principal refused; the right one subscribes.
    driver, _ = await cluster.framework("anon", wait=False)
    text = await refused(driver)
    assert "SUBSCRIBE requires authentication" in text
    driver, _ = await cluster.framework("wrong", credential=Credential("alice", "guess"), wait=False)
    text = await refused(driver)
    assert "authentication failed for principal 'alice'" in text
    assert "guess" not in text
    driver, _ = await cluster.framework("mallory", credential=Credential("mallory", "x"), wait=False)
    assert "authentication failed for principal 'mallory'" in await refused(driver)
    driver, rec = await cluster.framework("alice-fw", credential=ALICE)
    [offer, *_] = await rec.next("offers")
    assert offer.agent_id.value == agent.agent_id

    # A framework is who it proved to be, and no one else may subscribe as it.
    claims_bob = mesos_pb2.FrameworkInfo(name="liar", user="nobody", principal="bob")
    liar = SchedulerDriver(RecordingScheduler(), claims_bob, address, credential=ALICE)
    cluster.drivers.append(liar)
    await liar.start()
    assert ("Authenticated principal 'alice' does not match principal 'bob' set in FrameworkInfo"
            in await refused(liar))
    takeover = mesos_pb2.FrameworkInfo(name="takeover", user="nobody")
    takeover.id.value = driver.framework_id
    thief = SchedulerDriver(RecordingScheduler(), takeover, address, credential=BOB)
    cluster.drivers.append(thief)
    await thief.start()
    assert (f"framework {driver.framework_id} belongs to principal 'alice'; principal 'bob' may "
            "not subscribe as it") in await refused(thief)
    assert driver.connected

    # Operators over gRPC: anonymous and wrong secret refused; GET_HEALTH needs nothing.
    e = await operator_error(address, None, C(type=C.GET_STATE))
    assert e.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "operator call GET_STATE requires authentication" in e.details()
    e = await operator_error(address, Credential("ops", "nope"), C(type=C.GET_STATE))
    assert e.code() == grpc.StatusCode.UNAUTHENTICATED and "principal 'ops'" in e.details()
    anonymous_client = OperatorClient(address)
    try:
        health = await anonymous_client.call(C.GET_HEALTH)
        assert health.get_health.healthy
    finally:
        await anonymous_client.close()
    state = await cluster.operator.state()
    assert [f.framework_info.name for f in state.get_frameworks.frameworks] == ["alice-fw"]

    # Operators over HTTP: 401 with Mesos's challenge; the right Basic credential reads.
    url = f"http://{address}"
    status, body, headers = await http_clients.get(url + "/master/state")
    assert status == 401 and headers.get("WWW-Authenticate") == 'Basic realm="mesos"'
    assert b"requires authentication" in body
    status, body, _ = await http_clients.post(
        url + "/api/v1", json.dumps({"type": "GET_STATE"}),
        headers={"Authorization": basic_header("ops", "wrong")},
    )
    assert status == 401 and b"authentication failed for principal 'ops'" in body
    status, body, _ = await http_clients.post(
        url + "/api/v1", json.dumps({"type": "GET_STATE"}),
        headers={"Authorization": basic_header("ops", SECRETS["ops"])},
    )
    assert status == 200 and b"alice-fw" in body

    # Another principal cannot take up the registered agent's id.
    async with grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS) as channel:
        link = agent_pb2_grpc.AgentLinkStub(channel).Connect(metadata=grpc_metadata(ALICE))
        register = agent_pb2.RegisterAgent()
        register.agent_info.id.value = agent.agent_id
        register.agent_info.hostname = "impostor"
        await link.write(agent_pb2.AgentMessage(register=register))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await link.read()
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert f"agent {agent.agent_id} registered as principal 'agent'" in err.value.details()
    assert [a.agent_info.hostname for a in (await cluster.operator.agents()).agents] != ["impostor"]


async def test_plaintext_credentials_refused_without_the_loopback_flag(
    cluster: Cluster, tmp_path: Path
) -> None:
    creds, _acls, _agent = write_files(tmp_path / "etc")
    flags = master_flags(creds, plaintext=False)
    flags["authenticate_http_readonly"] = "false"  # so the cluster's anonymous health checks pass
    flags["authenticate_http_readwrite"] = "false"
    await cluster.start_master(**flags)
    driver, _ = await cluster.framework("plain", credential=ALICE, wait=False)
    text = await refused(driver)
    assert "credentials are accepted only over TLS" in text
    assert "--allow_plaintext_credentials_on_loopback" in text
    e = await operator_error(cluster.master_address, OPS, C(type=C.GET_STATE))
    assert e.code() == grpc.StatusCode.UNAUTHENTICATED and "only over TLS" in e.details()


async def test_acls_refuse_and_hide(cluster: Cluster, tmp_path: Path) -> None:
    creds, acls, agent_cred = write_files(tmp_path / "etc")
    cluster.operator_credential = OPS
    await cluster.start_master(**master_flags(creds, acls))
    address = cluster.master_address
    agent = await cluster.start_agent(
        "cpus:2;mem:512", credential=str(agent_cred), acls=str(acls),
        http_credentials=str(creds), authenticate_http_readonly="true",
        allow_plaintext_credentials_on_loopback="true",
    )

    # register_frameworks: role prod is ops's only (ops's framework then leaves at once, so
    # that it holds no offer).
    driver, _ = await cluster.framework("alice-prod", role="prod", credential=ALICE, wait=False)
    text = await refused(driver)
    assert "principal 'alice' is not authorized to register frameworks for role 'prod'" in text
    ops_prod, _ = await cluster.framework("ops-prod", role="prod", credential=OPS, user="nobody")
    await ops_prod.stop()

    # bob's task as daemon runs; bob refuses the rest of the agent for an hour and then
    # suppresses offers, leaving them to alice.
    bob, bob_rec = await cluster.framework("bob-fw", credential=BOB, user="daemon")
    [offer, *_] = await bob_rec.next("offers")
    await bob.launch([offer], [task_info("bobs", "bobs", agent.agent_id, "sleep 60", "cpus:0.1;mem:16")],
                      mesos_pb2.Filters(refuse_seconds=3600))
    await bob_rec.next(
        "update", lambda s: s.task_id.value == "bobs" and s.state == mesos_pb2.TASK_RUNNING
    )
    await bob.suppress()
    bob_fid = bob.framework_id

    # run_tasks: alice's task as root is TASK_ERROR, naming alice.
    alice, alice_rec = await cluster.framework("alice-fw", credential=ALICE, user="nobody")
    [offer, *_] = await alice_rec.next("offers")
    task = task_info("as-root", "as-root", agent.agent_id, "true", "cpus:0.1;mem:16")
    task.command.user = "root"
    await alice.launch([offer], [task], QUICK)
    status = await alice_rec.next("update", lambda s: s.task_id.value == "as-root")
    assert status.state == mesos_pb2.TASK_ERROR
    assert status.reason == mesos_pb2.TaskStatus.REASON_TASK_UNAUTHORIZED
    assert "principal 'alice' is not authorized to run tasks for user 'root'" in status.message

    # teardown and kill of bob's framework and task: refused to alice, naming her.
    e = await operator_error(address, ALICE, C(type=C.TEARDOWN, teardown=C.Teardown(
        framework_id=mesos_pb2.FrameworkID(value=bob_fid))))
    assert e.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "principal 'alice' is not authorized to teardown frameworks" in e.details()
    e = await operator_error(address, ALICE, C(type=C.KILL_TASK, kill_task=C.KillTask(
        task_id=mesos_pb2.TaskID(value="bobs"), framework_id=mesos_pb2.FrameworkID(value=bob_fid))))
    assert e.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "principal 'alice' is not authorized to kill tasks" in e.details()
    state = await cluster.operator.state()
    assert [t.state for t in state.get_tasks.tasks if t.task_id.value == "bobs"] == [mesos_pb2.TASK_RUNNING]
    assert bob_fid in {f.framework_info.id.value for f in state.get_frameworks.frameworks}

    # view_frameworks / view_tasks: alice sees only what runs as nobody; ops sees everything.
    as_alice = OperatorClient(address, credential=ALICE)
    try:
        seen = await as_alice.state()
        assert {f.framework_info.name for f in seen.get_frameworks.frameworks} == {"alice-fw"}
        assert "ops-prod" in {f.framework_info.name for f in seen.get_frameworks.completed_frameworks}
        assert "bobs" not in {t.task_id.value for t in seen.get_tasks.tasks}
        assert bob_fid not in {r.framework_id.value for r in seen.sorter.frameworks}
        assert "bobs" not in {t.task_id.value for t in (await as_alice.tasks()).tasks}
        frameworks = await as_alice.frameworks()
        assert "bob-fw" not in {f.framework_info.name for f in frameworks.frameworks}
    finally:
        await as_alice.close()
    everything = await cluster.operator.state()
    assert {"alice-fw", "bob-fw"} <= {f.framework_info.name for f in everything.get_frameworks.frameworks}
    assert "bobs" in {t.task_id.value for t in everything.get_tasks.tasks}

    url = f"http://{address}"
    status_code, body, _ = await http_clients.post(
        url + "/api/v1",
        json.dumps({"type": "KILL_TASK", "kill_task": {"task_id": {"value": "bobs"}}}),
        headers={"Authorization": basic_header("alice", SECRETS["alice"])},
    )
    assert status_code == 403
    assert body.decode().startswith("principal 'alice' is not authorized to kill tasks")
    status_code, body, _ = await _get(url + "/master/state", ALICE)
    assert status_code == 200
    assert {f["name"] for f in json.loads(body)["frameworks"]} == {"alice-fw"}
    status_code, body, _ = await _get(url + "/master/state", BOB)
    doc = json.loads(body)
    assert {f["name"] for f in doc["frameworks"]} == {"bob-fw"}
    assert [t["id"] for f in doc["frameworks"] for t in f["tasks"]] == ["bobs"]

    # The event stream: alice's subscription carries her own task's events, never bob's.
    as_alice = OperatorClient(address, credential=ALICE)
    try:
        async with as_alice.events() as events:
            first = await events.next()
            snapshot = first.subscribed.get_state
            assert {f.framework_info.name for f in snapshot.get_frameworks.frameworks} == {"alice-fw"}
            await bob.kill("bobs")
            await bob_rec.next(
                "update", lambda s: s.task_id.value == "bobs" and s.state == mesos_pb2.TASK_KILLED
            )
            [offer, *_] = await alice_rec.next("offers")
            mine = task_info("mine", "mine", agent.agent_id, "true", "cpus:0.1;mem:16")
            await alice.launch([offer], [mine], QUICK)
            await events.next(lambda e: e.type == master_pb2.Event.TASK_UPDATED
                              and e.task_updated.status.task_id.value == "mine"
                              and e.task_updated.state == mesos_pb2.TASK_FINISHED)
            named = [e for e in events.seen if e.type in OWNED_EVENTS]
            assert any("mine" in str(e) for e in named)
            for e in named:
                assert bob_fid not in str(e) and "bobs" not in str(e), e
    finally:
        await as_alice.close()

    # access_sandboxes on the agent's Files API: bob reads his sandbox, alice may not, and
    # without a credential nobody may.
    sandbox = f"{agent.agent_id}/frameworks/{bob_fid}/executors/bobs/runs/latest"
    async with grpc.aio.insecure_channel(agent.address, options=CHANNEL_OPTIONS) as channel:
        files = agent_pb2_grpc.FilesStub(channel)
        listing = await files.List(agent_pb2.ListFilesRequest(path=sandbox), metadata=grpc_metadata(BOB))
        assert {"stdout", "stderr"} <= {f.path.rsplit("/", 1)[-1] for f in listing.files}
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await files.Read(agent_pb2.ReadFileRequest(path=sandbox + "/stdout"), metadata=grpc_metadata(ALICE))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "principal 'alice' is not authorized to access sandboxes for user 'daemon'" in err.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await files.List(agent_pb2.ListFilesRequest(path=sandbox))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED

    # The same on the agent's HTTP endpoints (Mesos's /files/read and the v1 READ_FILE).
    stdout = f"http://{agent.address}/files/read?path={sandbox}/stdout&offset=0"
    status_code, body, _ = await _get(stdout, BOB)
    assert status_code == 200 and "data" in json.loads(body)
    status_code, body, _ = await _get(stdout, ALICE)
    assert status_code == 403
    assert body.decode().startswith("principal 'alice' is not authorized to access sandboxes")
    status_code, body, headers = await http_clients.get(stdout)
    assert status_code == 401 and headers.get("WWW-Authenticate") == 'Basic realm="mesos"'
    status_code, body, _ = await http_clients.post(
        f"http://{agent.address}/api/v1",
        json.dumps({"type": "READ_FILE", "read_file": {"path": f"{sandbox}/stdout", "offset": 0}}),
        headers={"Authorization": basic_header("alice", SECRETS["alice"])},
    )
    assert status_code == 403 and b"principal 'alice'" in body

    # The agent's /state and v1 GET_STATE show each principal only what it may view.
    def framework_ids(doc: dict) -> set[str]:  # type: ignore[type-arg]
        return {f["id"] for f in doc["frameworks"] + doc["completed_frameworks"]}

    status_code, body, _ = await _get(f"http://{agent.address}/state", BOB)
    assert status_code == 200 and bob_fid in framework_ids(json.loads(body))
    status_code, body, _ = await _get(f"http://{agent.address}/state", ALICE)
    assert status_code == 200 and bob_fid not in framework_ids(json.loads(body))
    for who, sees in ((ALICE, False), (BOB, True)):
        status_code, body, _ = await http_clients.post(
            f"http://{agent.address}/api/v1", json.dumps({"type": "GET_STATE"}),
            headers={"Authorization": basic_header(who.principal, who.secret)},
        )
        assert status_code == 200
        text = body.decode()
        i = text.find('"bobs"')
        assert (i >= 0) == sees, (who.principal, text[:i + 100])


async def _get(url: str, credential: Credential) -> tuple[int, bytes, dict[str, str]]:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        async with session.get(
            url, headers={"Authorization": basic_header(credential.principal, credential.secret)}
        ) as r:
            return r.status, await r.read(), dict(r.headers)


async def test_avmesos_subscribes_with_http_basic(cluster: Cluster, tmp_path: Path) -> None:
    """A third-party Mesos client: refused without credentials (401), accepted with them."""
    from requests.auth import HTTPBasicAuth

    creds, _acls, agent_cred = write_files(tmp_path / "etc")
    cluster.operator_credential = OPS
    await cluster.start_master(**master_flags(creds))
    await cluster.start_agent(credential=str(agent_cred))
    url = f"http://{cluster.master_address}"

    response = await http_clients.subscribe(url + "/api/v1/scheduler", json.dumps({
        "type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "root", "name": "raw"}}}).encode())
    assert not isinstance(response, http_clients.EventStream) and response.status == 401
    assert response.headers.get("WWW-Authenticate") == 'Basic realm="mesos"'

    anonymous = http_clients.AvmesosFramework(url, {}, name="avmesos-anon").start()
    await asyncio.get_running_loop().run_in_executor(None, anonymous.thread.join, 15)
    assert not anonymous.subscribed.is_set()

    framework = http_clients.AvmesosFramework(url, {"av1": "true"}, name="avmesos-alice")
    framework.client.set_credentials("alice", SECRETS["alice"])  # FrameworkInfo.principal
    framework.client.requests_auth = HTTPBasicAuth("alice", SECRETS["alice"])  # the header
    framework.start()
    try:
        await framework.wait(framework.subscribed.is_set, 15, "SUBSCRIBED")
        await framework.wait(lambda: "TASK_FINISHED" in framework.states("av1"), 20, "av1 to finish")
        frameworks = (await cluster.operator.frameworks()).frameworks
        assert [f.framework_info.principal for f in frameworks
                if f.framework_info.name == "avmesos-alice"] == ["alice"]
        assert "avmesos-anon" not in {f.framework_info.name for f in frameworks}
    finally:
        framework.stop()


async def run_cli(module: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `python -m module args` to its end: (exit status, stdout, stderr)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MESOS_")}
    full_env.update(env or {})
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, cwd=REPO, env=full_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"{module} {args} did not exit: {out!r} {err!r}") from None
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_command_lines_take_credentials_and_say_when_refused(
    cluster: Cluster, tmp_path: Path
) -> None:
    creds, _acls, agent_cred = write_files(tmp_path / "etc")
    cluster.operator_credential = OPS
    await cluster.start_master(**master_flags(creds))
    await cluster.start_agent(credential=str(agent_cred))
    master = cluster.master_address
    secret_file = tmp_path / "etc" / "alice.secret"
    secret_file.write_text(SECRETS["alice"] + "\n")
    execute = ("mesos_tui.execute", "--master", master, "--name", "hello",
               "--command", "echo hello", "--resources", "cpus:0.1;mem:32")

    # mesos-execute, as Mesos's: --principal and --secret; refused in one line, no traceback.
    code, out, err = await run_cli(*execute)
    assert code == 1 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"mesos-execute: the master refused the framework: {master} refused the subscription: "
        "SUBSCRIBE requires authentication: send a principal and secret (HTTP Basic, in the "
        "Authorization header or gRPC metadata)"
    ]
    code, out, err = await run_cli(*execute, "--principal", "alice", "--secret", "Zq9-guess")
    assert code == 1 and "authentication failed for principal 'alice'" in err and "Zq9-guess" not in err
    code, out, err = await run_cli(*execute, "--principal", "alice", "--secret_file", str(secret_file))
    assert code == 0, err
    assert "TASK_FINISHED" in out
    code, out, err = await run_cli(*execute, env={"MESOS_PRINCIPAL": "alice", "MESOS_SECRET": SECRETS["alice"]})
    assert code == 0 and "TASK_FINISHED" in out, err

    # The shell: refused at once in one line; with the credential it reads the cluster.
    shell = ("mesos_tui.cli", "shell", "--master", master, "-c", "agents")
    code, out, err = await run_cli(*shell)
    assert code != 0 and "Traceback" not in err
    assert f"the master at {master} refused us: operator call SUBSCRIBE requires authentication" in err
    code, out, err = await run_cli(*shell, env={"MESOS_PRINCIPAL": "alice", "MESOS_SECRET_FILE": str(secret_file)})
    assert code == 0, err
    assert socket.gethostname() in out  # the agent's row
    # The same over the HTTP operator API (the TUI's and shell's source for any Mesos master).
    over_http = ("mesos_tui.cli", "shell", "--master", f"http://{master}", "-c", "agents")
    code, out, err = await run_cli(*over_http)
    assert code != 0 and "Traceback" not in err
    assert f"the master at {master} refused us: operator call SUBSCRIBE requires authentication" in err
    code, out, err = await run_cli(*over_http, "--principal", "alice", "--secret_file", str(secret_file))
    assert code == 0, err
    assert socket.gethostname() in out
    code, out, err = await run_cli(*shell, "--secret", "x")
    assert code == 2 and err.strip() == "mesos-tui shell: a secret needs its principal: add --principal (see --help)"

    # A framework's command line (pi): refused in one line; with the credential it runs.
    pi = ("mesos_tui.frameworks.pi", "1", "200", "--master", master, "--quiet",
          "--cpus", "0.1", "--mem", "32")
    code, out, err = await run_cli(*pi)
    assert code != 0 and "Traceback" not in err
    assert "SUBSCRIBE requires authentication" in err
    code, out, err = await run_cli(*pi, "--principal", "alice", "--secret_file", str(secret_file))
    assert code == 0, err
    assert "Estimated value of Pi is 3.1" in out


async def test_the_tui_says_when_the_master_refuses_it(cluster: Cluster, tmp_path: Path) -> None:
    """Refused: the whole sentence in a notification (the header has room for a few words);
    with the credential (`mesos-tui --principal --secret_file` sets it) it connects."""
    from mesos_tui.client import identity
    from mesos_tui.client.operator import CONNECTED
    from mesos_tui.tui.app import MesosApp

    creds, _acls, _agent = write_files(tmp_path / "etc")
    cluster.operator_credential = OPS
    await cluster.start_master(**master_flags(creds))

    async def run(credential: Credential | None, ready, what: str) -> MesosApp:  # noqa: ANN001
        identity.set_default(credential)
        try:
            app = MesosApp(cluster.master_address, keymap={})
            async with app.run_test(size=(120, 30)) as pilot:
                deadline = asyncio.get_running_loop().time() + 20
                while not ready(app):
                    assert asyncio.get_running_loop().time() < deadline, f"no {what}"
                    await pilot.pause(0.1)
            return app
        finally:
            identity.set_default(None)

    refused_app = await run(None, lambda a: a.refusal_notified, "refusal notified")
    assert refused_app.refusal_notified == (
        f"the master at {cluster.master_address} refused us: operator call SUBSCRIBE requires "
        "authentication: send a principal and secret (HTTP Basic, in the Authorization header "
        "or gRPC metadata)"
    )
    connected = await run(
        OPS, lambda a: a.connection is not None and a.connection.phase == CONNECTED, "connection"
    )
    assert connected.refusal_notified is None


async def test_credentials_over_tls_need_no_plaintext_flag(tmp_path: Path) -> None:
    """With TLS on (LIBPROCESS_SSL_*), credentials are accepted without
    --allow_plaintext_credentials_on_loopback: the edges tell the front door the connection is
    encrypted. Framework, agent and operator all authenticate over TLS."""
    from daemons.common import tls
    from mesos_tui.localca import local_tls

    server = local_tls(tmp_path / "tls")
    client = tls.TlsConfig(enabled=True, ca_file=server.ca_file)
    creds, _acls, agent_cred = write_files(tmp_path / "etc")
    tls.configure(client)  # this process's driver dials with TLS, as LIBPROCESS_SSL_* make it
    try:
        async with Cluster(tmp_path / "cluster", env=tls.env_of(server), client_tls=client) as c:
            c.operator_credential = OPS
            await c.start_master(**master_flags(creds, plaintext=False))
            agent = await c.start_agent(credential=str(agent_cred))
            driver, rec = await c.framework("over-tls", credential=ALICE)
            [offer, *_] = await rec.next("offers")
            assert offer.agent_id.value == agent.agent_id
            state = await c.operator.state()
            assert [f.framework_info.principal for f in state.get_frameworks.frameworks] == ["alice"]
            anonymous = OperatorClient(c.master_address, client)
            try:
                with pytest.raises(grpc.aio.AioRpcError) as e:
                    await anonymous.state()
                assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
            finally:
                await anonymous.close()
    finally:
        tls.configure(None)


async def test_a_tui_context_authenticates_with_its_credentials(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A contexts file names the principal and a secret_file: `mesos-tui --context` (and
    `:ctx`) connect as that principal; the same master without them refuses the TUI."""
    from mesos_tui.client import identity
    from mesos_tui.client.operator import CONNECTED
    from mesos_tui.tui.app import MesosApp
    from mesos_tui.tui.contexts import load_contexts

    creds, _acls, _agent = write_files(tmp_path / "etc")
    cluster.operator_credential = OPS
    await cluster.start_master(**master_flags(creds))
    secret = tmp_path / "ops.secret"
    secret.write_text(OPS.secret + "\n")
    secret.chmod(0o600)
    clusters = tmp_path / "clusters.toml"
    clusters.write_text(
        f'[auth]\nmaster = "{cluster.master_address}"\nprincipal = "{OPS.principal}"\n'
        f'secret_file = "{secret}"\n\n[anon]\nmaster = "{cluster.master_address}"\n'
    )
    monkeypatch.setenv("MESOS_TUI_CLUSTERS", str(clusters))
    try:
        app = MesosApp(context=load_contexts().get("auth"), keymap={})
        async with app.run_test(size=(120, 30)) as pilot:
            deadline = asyncio.get_running_loop().time() + 20
            while not (app.connection is not None and app.connection.phase == CONNECTED):
                assert asyncio.get_running_loop().time() < deadline, "the context's connection"
                await pilot.pause(0.1)
            assert app.refusal_notified is None
            await app.run_command("ctx anon").wait()
            while app.refusal_notified is None:
                assert asyncio.get_running_loop().time() < deadline + 20, "a refusal"
                await pilot.pause(0.1)
            assert "requires authentication" in app.refusal_notified
    finally:
        identity.set_default(None)
