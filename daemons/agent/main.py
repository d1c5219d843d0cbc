"""`mesos-agent`: the agent daemon's command line.

    mesos-agent --master 127.0.0.1:5050 --work_dir /tmp/agent --resources "cpus:2;mem:1024"

Flags take Mesos's names (dashed spellings and MESOS_* environment variables work too). A bad
flag is one line on stderr and exit status 2. SIGTERM or SIGINT stops the agent with status 0
and leaves its tasks running.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from daemons.agent.host import agent_resources
from daemons.common import flags as f
from daemons.common import tls
from daemons.common.detector import DetectorError, detector_for

if TYPE_CHECKING:
    from daemons.agent.agent import AgentConfig

log = logging.getLogger("mesos-agent")


def flag_set() -> f.FlagSet:
    fs = f.FlagSet("mesos-agent", "The mesos-tui agent: runs tasks the master sends it.")
    fs.add(
        "master",
        f.MASTER,
        required=True,
        help="The master: host:port, or zk://host:port[,host:port]/path",
    )
    fs.add("ip", f.STR, "127.0.0.1", "Address to serve the agent's port on (HTTP and gRPC)")
    fs.add(
        "port", f.PORT, 5051,
        "Port for Mesos's agent HTTP endpoints and the gRPC Files API, both (0: any free port)",
    )
    fs.add("hostname", f.STR, None, "Hostname to report to the master (default: this host's)")
    fs.add("work_dir", f.STR, required=True, help="Directory for sandboxes and agent state")
    fs.add(
        "resources",
        f.RESOURCES,
        None,
        "Resources to offer, as in 'cpus:4;mem:8192;ports:[31000-32000]' "
        "(default: detected; unnamed standard resources are detected too)",
    )
    fs.add("attributes", f.ATTRIBUTES, None, "Attributes, as in 'rack:r1;zone:a'")
    fs.add(
        "executor_shutdown_grace_period",
        f.DURATION,
        5.0,
        "Time between SIGTERM and SIGKILL when a task has no KillPolicy",
    )
    fs.add(
        "registration_backoff_factor",
        f.DURATION,
        1.0,
        "Back-off unit between (re-)registration attempts",
    )
    fs.add("usage_interval", f.DURATION, 2.0, "Time between usage reports")
    fs.add(
        "status_update_retry_interval",
        f.DURATION,
        2.0,
        "First retry interval of an unacknowledged status update (doubles up to 1mins)",
    )
    fs.add(
        "isolation",
        f.STR,
        "best",
        "Isolators, as Mesos names them: cgroups/v2, cgroups/v1 (or cgroups/cpu,cgroups/mem,"
        "cgroups/pids), posix/cpu,posix/mem, none; 'best' picks the best this host offers",
    )
    fs.add("cgroups_root", f.STR, "mesos-tui", "Name of the cgroup holding the containers' cgroups")
    fs.add("cgroups_enable_cfs", f.BOOL, True, "Cap each task's CPU time at its cpus (CFS quota)")
    fs.add("cgroups_pids_max", f.INT, 4096, "Most processes and threads per container (0: no limit)")
    fs.add(
        "memory_check_interval",
        f.DURATION,
        0.1,
        "posix/mem: time between checks of each task's memory against its mem",
    )
    fs.add(
        "recover",
        f.choice("reconnect", "cleanup"),
        "reconnect",
        "On start: reconnect to the tasks of the previous run of this agent (same --work_dir), "
        "or kill them (cleanup)",
    )
    fs.add("gc_delay", f.DURATION, 7 * 24 * 3600.0, "Time after which a finished sandbox is removed")
    fs.add(
        "gc_disk_headroom",
        f.FLOAT,
        0.1,
        "Disk space to keep free: sandboxes are removed sooner as the disk fills",
    )
    fs.add("disk_watch_interval", f.DURATION, 60.0, "Time between disk usage checks for GC")
    fs.add(
        "switch_user",
        f.BOOL,
        True,
        "Run each task as its user (CommandInfo.user, else FrameworkInfo.user), with its "
        "sandbox owned by that user; false: every task runs as the agent's own user",
    )
    fs.add(
        "allow_root_tasks",
        f.BOOL,
        False,
        "Let tasks run as root (a framework asking for root, or any task of an agent run as "
        "root with --switch_user=false); without it such tasks fail",
    )
    fs.add(
        "executor_registration_timeout",
        f.DURATION,
        60.0,
        "Time a custom executor has to SUBSCRIBE after its launch before it is killed",
    )
    fs.add(
        "executor_reregistration_timeout",
        f.DURATION,
        2.0,
        "After a restart: time a recovered executor has to SUBSCRIBE again before it is killed",
    )
    fs.add(
        "executor_api_port",
        f.INT,
        0,
        "Loopback port of the executor HTTP API (MESOS_AGENT_ENDPOINT); 0: the port of the "
        "agent's last run, else any free port",
    )
    tls.add_flags(fs)
    fs.add("log_level", f.choice("debug", "info", "warning", "error"), "info", "Log level")
    return fs


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if level != "debug":
        logging.getLogger("grpc").setLevel(logging.WARNING)


async def _serve(config: AgentConfig, master: str) -> int:
    from daemons.agent.agent import Agent

    try:
        detector = detector_for(master)
    except DetectorError as e:
        log.error("%s", e)
        return 2
    agent = Agent(config, detector)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await agent.start()
    except OSError as e:
        log.error("cannot start the agent: %s", e)
        return 1
    await stop.wait()
    log.info("stopping; tasks keep running")
    await agent.stop()
    detector.close()
    return 0


def _shown_flags(values: dict[str, str]) -> dict[str, str]:
    """Flag values as /flags and GET_FLAGS show them: never a ZooKeeper password."""
    from daemons.common.detector import redact_zk

    if values.get("master"):
        values["master"] = redact_zk(values["master"])
    return values


def main(argv: Sequence[str] | None = None) -> int:
    fs = flag_set()
    ns = fs.parse(argv)
    _configure_logging(ns.log_level)
    if ns.log_level != "debug":
        # gRPC's C core writes its own lines to stderr; ours already say what went wrong.
        os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        settings = tls.from_flags(ns)
        tls.check(settings, server=True)
    except tls.TlsError as e:
        fs.parser.error(str(e))
    tls.configure(settings)  # the Files API serves with it; the link to the master dials with it
    if warning := tls.key_warning(settings):
        log.warning("%s", warning)
    # Imported only now: gRPC reads GRPC_VERBOSITY when it is first loaded.
    from daemons.agent.agent import AgentConfig

    work_dir = Path(ns.work_dir).expanduser()
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fs.parser.error(f"flag --work_dir: cannot create {str(work_dir)!r}: {e.strerror or e}")
    from daemons.agent.isolation import IsolationError, parse_isolation

    try:
        isolation = parse_isolation(
            ns.isolation,
            cgroups_root=ns.cgroups_root,
            enable_cfs=ns.cgroups_enable_cfs,
            pids_max=max(0, ns.cgroups_pids_max),
        )
    except IsolationError as e:
        fs.parser.error(f"flag --isolation: {e}")
    log.info("isolation: %s", isolation.describe())
    config = AgentConfig(
        work_dir=work_dir.resolve(),
        resources=agent_resources(ns.resources, work_dir),
        ip=ns.ip,
        port=ns.port,
        hostname=ns.hostname or socket.gethostname(),
        attributes=ns.attributes or {},
        executor_shutdown_grace_period=ns.executor_shutdown_grace_period,
        registration_backoff_factor=ns.registration_backoff_factor,
        usage_interval=max(ns.usage_interval, 0.1),
        status_update_retry_interval=max(ns.status_update_retry_interval, 0.01),
        isolation=isolation,
        memory_check_interval=max(ns.memory_check_interval, 0.005),
        recover=ns.recover,
        gc_delay=ns.gc_delay,
        gc_disk_headroom=min(max(ns.gc_disk_headroom, 0.0), 1.0),
        disk_watch_interval=max(ns.disk_watch_interval, 0.05),
        switch_user=ns.switch_user,
        allow_root_tasks=ns.allow_root_tasks,
        executor_registration_timeout=ns.executor_registration_timeout,
        executor_reregistration_timeout=ns.executor_reregistration_timeout,
        executor_api_port=max(0, ns.executor_api_port),
        flags=_shown_flags(fs.values(ns)),
    )
    if os.geteuid() == 0 and ns.allow_root_tasks:
        log.warning("--allow_root_tasks: tasks that ask for root run as root on this agent")
    try:
        return asyncio.run(_serve(config, ns.master))
    except KeyboardInterrupt:
        return 0
    except Exception as e:
        log.error("agent failed: %s", e)
        log.debug("agent failure", exc_info=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
