"""`mesos-master`: flags, the API on --ip:--port, and a clean stop on SIGTERM/SIGINT.

Both edges answer on --ip:--port (acceptor.py tells them apart on accept): gRPC, whose server
listens on an ephemeral loopback port behind the shared one, and Mesos's HTTP API (http.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from collections.abc import Sequence

import grpc

from daemons.common import flags as F
from daemons.common import tls as TLS
from daemons.common.acceptor import SharedPort
from daemons.common.detector import read_zk_file, redact_zk
from daemons.common.resources import ResourceError, Resources
from daemons.common.rpc import DEFAULT_MAX_RECEIVE, server_options
from daemons.common.signals import stop_on_signals
from daemons.master.http import MasterHttp
from daemons.master.master import MAX_CLIENT_QUEUE_BYTES, Master, MasterConfig
from daemons.master.servicers import add_servicers

log = logging.getLogger("mesos.master")

# How long a standby asked for something waits for ZooKeeper to say who leads now.
REFRESH_SECONDS = 0.5


def _weights(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        role, sep, value = item.partition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = -1.0
        if not sep or not role.strip() or weight <= 0:
            raise ValueError(f"bad weight {item!r}: expected role=weight with weight > 0, as in 'ads=2'")
        out[role.strip()] = weight
    return out


def _min_allocatable(text: str) -> list[Resources]:
    out = []
    for alt in text.split("|"):
        try:
            out.append(Resources.parse(alt))
        except ResourceError as e:
            raise ValueError(f"bad --min_allocatable_resources {alt!r}: {e}") from None
    return out


def flag_set() -> F.FlagSet:
    fs = F.FlagSet("mesos-master", "The mesos-tui master: shares a cluster between frameworks by resource offers.")
    fs.add("ip", F.STR, "127.0.0.1", "IP address to listen on")
    fs.add("port", F.PORT, 5050, "port to listen on")
    fs.add("hostname", F.STR, "", "hostname to advertise (default: the IP)")
    fs.add("work_dir", F.STR, "", "where the master keeps its files")
    fs.add("cluster", F.STR, "", "human-readable name of the cluster, shown by the TUI")
    fs.add("allocation_interval", F.DURATION, 1.0, "time between allocation cycles")
    fs.add("offer_timeout", F.DURATION, None, "rescind offers held longer than this (default: never)")
    fs.add("agent_ping_timeout", F.DURATION, 15.0, "time to wait for an agent's pong")
    fs.add("max_agent_ping_timeouts", F.POSITIVE_INT, 5, "missed pings before an agent is removed")
    fs.add("heartbeat_interval", F.DURATION, 15.0, "time between HEARTBEAT events to frameworks")
    fs.add("role_sorter", F.choice("drf", "priority", "random"), "drf", "policy between roles")
    fs.add("framework_sorter", F.choice("drf", "priority", "random"), "drf", "policy within a role")
    fs.add("weights", F._typed("weights", _weights), {}, "role weights, as in 'ads=2,batch=0.5'")
    fs.add(
        "min_allocatable_resources", F._typed("resources", _min_allocatable), None,
        "offer an agent's free resources only if they hold one of these (default cpus:0.01|mem:32)",
    )
    fs.add("zk", F.ZK_URL, "", "ZooKeeper URL for leader election, zk://[user:password@]host:port[,host:port]/path "
           "(with credentials the znodes are writable by the masters only), or file:///path holding it")
    fs.add("quorum", F.POSITIVE_INT, None, "size of the masters' quorum (required with --zk)")
    fs.add("zk_session_timeout", F.DURATION, 10.0, "ZooKeeper session timeout")
    fs.add(
        "agent_reregister_timeout", F.DURATION, 600.0,
        "after a failover, how long agents have to re-register before they are unreachable",
    )
    fs.add(
        "max_message_size", F.BYTES, DEFAULT_MAX_RECEIVE,
        "largest message the master accepts from a client or agent, as in 8MB",
    )
    fs.add(
        "max_client_queue_bytes", F.BYTES, MAX_CLIENT_QUEUE_BYTES,
        "messages that may wait unread for one framework, agent or operator stream before "
        "the master closes it, as in 16MB",
    )
    TLS.add_flags(fs)
    fs.add("log_level", F.choice("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", "logging level")
    return fs


def config_from(ns, values: dict[str, str]) -> MasterConfig:
    return MasterConfig(
        ip=ns.ip,
        port=ns.port,
        hostname=ns.hostname or "",
        work_dir=ns.work_dir or "",
        allocation_interval=max(ns.allocation_interval, 0.001),
        offer_timeout=ns.offer_timeout or None,
        agent_ping_timeout=max(ns.agent_ping_timeout, 0.01),
        max_agent_ping_timeouts=ns.max_agent_ping_timeouts,
        heartbeat_interval=max(ns.heartbeat_interval, 0.01),
        role_sorter=ns.role_sorter,
        framework_sorter=ns.framework_sorter,
        weights=ns.weights or {},
        min_allocatable=ns.min_allocatable_resources,
        flags=values,
        agent_reregister_timeout=ns.agent_reregister_timeout,
        max_message_size=max(ns.max_message_size, 64 * 1024),
        max_client_queue_bytes=max(ns.max_client_queue_bytes, 64 * 1024),
    )


async def serve(
    config: MasterConfig,
    stop: asyncio.Event | None = None,
    zk: str = "",
    zk_session_timeout: float = 10.0,
    tls: TLS.TlsConfig | None = None,
) -> None:
    """Run a master until `stop` is set (or forever): the leader when standalone, a contender
    for leadership with `zk`; TLS on its port when `tls.enabled`."""
    master = Master(config, leading=not zk)
    address = f"{config.ip}:{config.port}"
    server = grpc.aio.server(options=server_options(config.max_message_size))
    add_servicers(server, master)
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    if grpc_port == 0:
        raise SystemExit("mesos-master: cannot listen on a loopback port for gRPC")
    http = MasterHttp(master)
    tls = tls or TLS.TlsConfig()
    shared = SharedPort(await http.start(), "127.0.0.1", grpc_port, **TLS.acceptor_options(tls))
    try:
        bound = await shared.start(config.ip, config.port)
    except OSError as e:
        await http.stop()
        raise SystemExit(f"mesos-master: cannot listen on {address}: {e.strerror or e}") from None
    await server.start()
    master.start()
    contender = None
    if zk:
        contender = _contend(master, read_zk_file(zk), zk_session_timeout)
    log.info("Master %s listening on %s:%d%s", master.master_info.id, config.ip, bound,
             "" if not tls.enabled else " (TLS" + (", plain text too)" if tls.support_downgrade else ")"))
    stop = stop or asyncio.Event()
    try:
        await stop.wait()
    finally:
        await master.stop()
        if contender is not None:
            await asyncio.get_running_loop().run_in_executor(None, contender.stop)
        await shared.stop()
        await http.stop()
        await server.stop(grace=0.5)


def _contend(master: Master, zk: str, session_timeout: float):
    from daemons.master.contender import MasterContender
    from daemons.master.registry import Registry

    loop = asyncio.get_running_loop()

    async def elect() -> None:
        """Read the registry, then lead. ZooKeeper may go away between the election and
        the read: then wait for it (quietly, with back-off) while we are still elected;
        losing the session ends the election anyway (stop_leading), and a new one starts
        when ZooKeeper is back."""
        from kazoo.exceptions import KazooException

        assert master.registry is not None
        delay = 0.2
        said = False
        while contender.elected:
            try:
                registry = await master.registry.load()
            except KazooException as e:
                if not said:
                    log.warning("Elected, but cannot read the registry from ZooKeeper (%s): "
                                "retrying while still elected", type(e).__name__)
                    said = True
                await asyncio.sleep(delay)  # back-off between retries, not synchronisation
                delay = min(delay * 2, 2.0)
                continue
            if contender.elected:
                master.become_leader(registry)
            return

    def on_elected() -> None:
        loop.create_task(elect())

    def on_leader(address: str | None) -> None:
        master.leader_address = address or ""

    contender = MasterContender(
        zk, master.master_info, session_timeout, on_elected, master.stop_leading, on_leader
    )
    master.registry = Registry(contender.client, contender.path)
    refreshing: asyncio.Future[None] | None = None

    async def refresh_leader() -> None:
        # One ZooKeeper read at a time, shared by every caller asking meanwhile. The leader
        # change it finds is queued on this loop before the read completes, so it has been
        # applied (and an election started) by the time this returns.
        nonlocal refreshing
        if refreshing is None or refreshing.done():
            refreshing = loop.run_in_executor(None, contender.watch.refresh)
        try:
            await asyncio.wait_for(asyncio.shield(refreshing), REFRESH_SECONDS)
        except TimeoutError:
            pass

    master.refresh_leader = refresh_leader
    contender.start()
    return contender


def main(argv: Sequence[str] | None = None) -> None:
    fs = flag_set()
    ns = fs.parse(argv)
    logging.basicConfig(
        level=getattr(logging, ns.log_level),
        format="%(asctime)s %(levelname).1s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if ns.work_dir:
        try:
            os.makedirs(ns.work_dir, exist_ok=True)
        except OSError as e:
            sys.stderr.write(f"mesos-master: cannot create --work_dir {ns.work_dir}: {e.strerror}\n")
            sys.exit(2)
    try:
        socket.inet_aton(ns.ip)
    except OSError:
        sys.stderr.write(f"mesos-master: flag --ip: {ns.ip!r} is not an IPv4 address (see --help)\n")
        sys.exit(2)
    if ns.zk:
        if ns.quorum is None:
            sys.stderr.write("mesos-master: flag --quorum is required with --zk (see --help)\n")
            sys.exit(2)
    try:
        tls = TLS.from_flags(ns)
        TLS.check(tls, server=True)
    except TLS.TlsError as e:
        sys.stderr.write(f"mesos-master: {e}\n")
        sys.exit(2)
    TLS.configure(tls)
    if warning := TLS.key_warning(tls):
        log.warning("%s", warning)
    values = fs.values(ns)
    if values.get("zk"):
        values["zk"] = redact_zk(values["zk"])  # GET_FLAGS never shows the password
    config = config_from(ns, values)

    async def run() -> None:
        stop = asyncio.Event()
        stop_on_signals(asyncio.get_running_loop(), stop)
        await serve(config, stop, zk=ns.zk, zk_session_timeout=ns.zk_session_timeout, tls=tls)

    asyncio.run(run())


if __name__ == "__main__":
    main()
