"""The embedded local cluster behind `mesos-tui up`: one master and N agents on loopback.

Each daemon is a real process (`python -m daemons.master.main`, `python -m daemons.agent.main`)
with its own work dir in a temporary folder; no ZooKeeper is needed. `LocalCluster` starts
them, waits until every agent has registered, and on stop kills everything it started: the
tasks (which run in sessions of their own, so they are found as the agents' descendants), then
the agents, then the master, leaving no process behind.

When the start fails, the error names the daemon and ends with the last lines of its log, and
the folder of logs is kept (stop() removes the temporary work dir only after a good run), so
the path it names still exists.

With `tls` (what `mesos-tui up` runs), the cluster speaks only TLS: a CA and a certificate for
127.0.0.1 are made in `<work_dir>/tls` (mesos_tui/localca.py) and handed to the daemons as
`LIBPROCESS_SSL_*`; `client_tls` is what a client of this cluster dials with.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
import psutil

from daemons.common import tls as TLS
from daemons.common.flags import OneLineParser
from daemons.common.resources import ResourceError, Resources
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.proto import master_pb2, master_pb2_grpc

DEFAULT_AGENT_RESOURCES = "cpus:4;mem:4096;disk:20480;ports:[31000-31999]"
# With --demo: 2 GB per cpu, the ratio of the classic DRF example's cluster (<9 cpus, 18 GB>),
# so its agent (`d` in the offers view) adds to the cluster without changing the ratio.
DEMO_AGENT_RESOURCES = "cpus:4;mem:8192;disk:20480;ports:[31000-31999]"
LOG_TAIL_LINES = 8


class ClusterError(RuntimeError):
    pass


def _tail(path: str, lines: int = LOG_TAIL_LINES) -> list[str]:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


@dataclass
class LocalCluster:
    agents: int = 2
    agent_resources: str = DEFAULT_AGENT_RESOURCES
    master_port: int = 0
    work_dir: str = ""
    master_flags: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # of `processes`, as in "master", "agent1"
    keep_logs: bool = False  # set when start() failed: stop() leaves the work dir for reading
    tls: bool = False  # TLS only, with a CA made for this cluster
    server_tls: TLS.TlsConfig = field(default_factory=TLS.TlsConfig)  # the daemons'
    client_tls: TLS.TlsConfig = field(default_factory=TLS.TlsConfig)  # a client's: the CA only
    _own_work_dir: bool = False

    @property
    def logs_dir(self) -> str:
        return os.path.join(self.work_dir, "logs")

    @property
    def master(self) -> str:
        return f"{self.host}:{self.master_port}"

    def start(self, timeout: float = 30.0) -> None:
        if not self.work_dir:
            self.work_dir = tempfile.mkdtemp(prefix="mesos-tui-")
            self._own_work_dir = True
        if not self.master_port:
            self.master_port = 5050 if port_is_free(5050, self.host) else free_port(self.host)
        logs = os.path.join(self.work_dir, "logs")
        os.makedirs(logs, exist_ok=True)
        if self.tls:
            from mesos_tui.localca import local_tls

            self.server_tls = local_tls(os.path.join(self.work_dir, "tls"))
            self.client_tls = TLS.TlsConfig(enabled=True, ca_file=self.server_tls.ca_file)
        self._spawn(
            "master",
            [
                "-m", "daemons.master.main", "--ip", self.host, "--port", str(self.master_port),
                "--work_dir", os.path.join(self.work_dir, "master"), "--cluster", "local",
                *self.master_flags,
            ],
            logs,
        )
        self._wait(lambda s: True, timeout, "the master to answer")
        for i in range(self.agents):
            port = free_port(self.host)
            self._spawn(
                f"agent{i + 1}",
                [
                    "-m", "daemons.agent.main", "--master", self.master, "--ip", self.host,
                    "--port", str(port), "--hostname", f"agent{i + 1}",
                    "--work_dir", os.path.join(self.work_dir, f"agent{i + 1}"),
                    "--resources", self.agent_resources,
                    # Started as root, the local cluster runs its user's tasks as root (their
                    # frameworks' default user); a stand-alone mesos-agent never does unless told.
                    *(["--allow_root_tasks"] if os.geteuid() == 0 else []),
                ],
                logs,
            )
        self._wait(
            lambda s: len(s.get_agents.agents) >= self.agents, timeout,
            f"{self.agents} agents to register",
        )

    def _spawn(self, name: str, args: list[str], logs: str) -> None:
        err = open(os.path.join(logs, f"{name}.log"), "wb")  # noqa: SIM115 (lives with the process)
        env = {k: v for k, v in os.environ.items() if not k.startswith(TLS.ENV_PREFIX)}
        env.update(TLS.env_of(self.server_tls))
        proc = subprocess.Popen(
            [sys.executable, *args], stdin=subprocess.DEVNULL, stdout=err, stderr=err,
            start_new_session=True, env=env,
        )
        err.close()
        self.processes.append(proc)
        self.names.append(name)

    def state(self) -> master_pb2.Response.GetState:
        with TLS.sync_channel(self.master, CHANNEL_OPTIONS, self.client_tls) as ch:
            stub = master_pb2_grpc.MasterStub(ch)
            r = stub.Call(master_pb2.Call(type=master_pb2.Call.GET_STATE), timeout=5)
            return r.get_state

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            for name, p in zip(self.names, self.processes, strict=True):
                if p.poll() is not None:
                    self.keep_logs = True
                    log = os.path.join(self.logs_dir, f"{name}.log")
                    raise ClusterError(
                        f"the {name} exited with status {p.returncode} while waiting for "
                        f"{what}; its log is {log}", _tail(log),
                    )
            try:
                if ready(self.state()):
                    return
            except grpc.RpcError as e:
                last_error = e.details() or str(e.code())
            time.sleep(0.05)
        self.keep_logs = True
        raise ClusterError(
            f"timed out waiting for {what} ({last_error}); the logs are in {self.logs_dir}",
            _tail(os.path.join(self.logs_dir, "master.log")),
        )

    def stop(self) -> None:
        """Kill the tasks, the agents and the master; leave nothing behind."""
        victims: list[psutil.Process] = []
        for p in reversed(self.processes):
            try:
                proc = psutil.Process(p.pid)
                victims.extend(proc.children(recursive=True))
                victims.append(proc)
            except psutil.NoSuchProcess:
                pass
        for v in victims:
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError, PermissionError):
                os.killpg(v.pid, signal.SIGKILL) if _leads_group(v) else v.kill()
        psutil.wait_procs(victims, timeout=5)
        for p in self.processes:
            with contextlib.suppress(Exception):
                p.wait(timeout=5)
        self.processes.clear()
        self.names.clear()
        if self._own_work_dir and not self.keep_logs:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _leads_group(p: psutil.Process) -> bool:
    try:
        return os.getpgid(p.pid) == p.pid
    except ProcessLookupError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(
        prog="mesos-tui up",
        description="Start a local cluster (one master, N agents) and open the TUI on it.",
    )
    parser.add_argument("--agents", type=int, default=2, help="number of agents (default 2)")
    parser.add_argument(
        "--resources", default=None,
        help=f"each agent's resources (default {DEFAULT_AGENT_RESOURCES}; with --demo "
        f"{DEMO_AGENT_RESOURCES})",
    )
    parser.add_argument("--port", type=int, default=0, help="master port (default 5050 if free)")
    parser.add_argument("--demo", action="store_true", help="keep demo frameworks running")
    parser.add_argument(
        "--no-tls", action="store_true",
        help="plain text (default: TLS only, with a CA made for this cluster)",
    )
    parser.add_argument(
        "--no-tui", action="store_true", help="run the cluster without the TUI (Ctrl+C stops)"
    )
    parser.add_argument(
        "--record", default="", metavar="FILE",
        help="record what the TUI sees to FILE (mesos-tui replay FILE plays it back)",
    )
    ns = parser.parse_args(argv)
    if ns.agents < 1:
        parser.error("--agents must be at least 1")
    if not 0 <= ns.port <= 65535:
        parser.error(f"--port {ns.port} is not a port (0-65535)")
    if ns.resources is None:
        ns.resources = DEMO_AGENT_RESOURCES if ns.demo else DEFAULT_AGENT_RESOURCES
    try:
        Resources.parse(ns.resources)
    except ResourceError as e:
        parser.error(f"flag --resources: {e}")
    # Stop everything on SIGTERM and on Ctrl+C, even when started from a shell that ignores
    # SIGINT for background jobs: the daemons run in sessions of their own and would outlive us.
    def _terminate(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, _terminate)
    recorder = None
    if ns.record:
        from mesos_tui.client.recording import Recorder, RecordingError

        recorder = Recorder(ns.record, "")
        try:
            recorder.open()
        except RecordingError as e:
            parser.error(str(e))
    cluster = LocalCluster(
        agents=ns.agents, agent_resources=ns.resources, master_port=ns.port, tls=not ns.no_tls
    )
    agents = f"{ns.agents} agent" + ("s" if ns.agents != 1 else "")
    print(f"Starting a local cluster: 1 master, {agents} ...", flush=True)
    demo = None
    try:
        try:
            cluster.start()
        except ClusterError as e:
            print(f"mesos-tui up: {e.args[0]}", file=sys.stderr)
            tail = e.args[1] if len(e.args) > 1 else []
            if tail:
                print("  last lines of that log:", file=sys.stderr)
                for line in tail:
                    print(f"  | {line}", file=sys.stderr)
            return 1
        # This process (the TUI) and what it starts (the demo frameworks) dial with the CA.
        for key in [k for k in os.environ if k.startswith(TLS.ENV_PREFIX)]:
            del os.environ[key]
        os.environ.update(TLS.env_of(cluster.client_tls))
        TLS.configure(None)
        tls_env = " ".join(f"{k}={v}" for k, v in TLS.env_of(cluster.client_tls).items())
        tls_env = tls_env + " " if cluster.tls else ""
        if ns.demo:
            from mesos_tui.frameworks.demo import start_demo

            demo = start_demo(cluster.master)
        if ns.no_tui or not _has_tui():
            # The address ends its line (nothing glued to it), so that it copies cleanly.
            print(
                f"Cluster up: master at {cluster.master}\n"
                + ("  TLS only: clients need the LIBPROCESS_SSL_* settings below\n" if cluster.tls else "")
                + f"  {tls_env}mesos-tui --master {cluster.master}         the TUI\n"
                f"  {tls_env}mesos-tui shell --master {cluster.master}   the shell\n"
                "Ctrl+C stops the cluster.",
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
        else:
            from mesos_tui.tui.app import run_tui

            # The TUI owns the screen: its own log goes to a file beside the daemons' logs.
            logging.basicConfig(
                filename=os.path.join(cluster.work_dir, "logs", "tui.log"), level=logging.INFO,
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
            if recorder is not None:
                recorder.master = cluster.master
            if run_tui(cluster.master, record=recorder):
                # The TUI ended on an error: the cluster it showed is not taken down with it.
                log = os.path.join(cluster.work_dir, "logs", "tui.log")
                kept = _keep_log(log)
                print(
                    f"The TUI stopped on an error (its log: {kept}).\n"
                    f"The cluster is still up: {tls_env}mesos-tui --master {cluster.master}\n"
                    "Ctrl+C stops the cluster.",
                    file=sys.stderr, flush=True,
                )
                with contextlib.suppress(KeyboardInterrupt):
                    signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        if demo is not None:
            demo.stop()
        cluster.stop()
        if recorder is not None:
            recorder.close("quit")
            print(f"Recorded {recorder.events} events to {recorder.path}", flush=True)
    return 0


def _keep_log(path: str) -> str:
    """Copy a log out of the cluster's temporary folder (deleted when it stops)."""
    state = os.environ.get("XDG_STATE_HOME", os.path.expanduser("~/.local/state"))
    target = os.path.join(state, "mesos-tui", "tui-up.log")
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(path, target)
    except OSError:
        return path
    return target


def _has_tui() -> bool:
    try:
        from mesos_tui.tui.app import run_tui  # noqa: F401
    except ImportError:
        return False
    return sys.stdout.isatty()


if __name__ == "__main__":
    sys.exit(main())
