"""A real standalone ZooKeeper server for tests (Debian's `zookeeper` package).

Starts `QuorumPeerMain` on a free loopback port with tickTime=500 and a data dir of its own,
waits for `ruok` -> `imok`, and stops it by its pid (SIGTERM, or SIGKILL to simulate a crash).
A restart keeps the data dir, so sessions survive it as they would in production.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

CLASSPATH = ":".join(
    [
        "/usr/share/java/zookeeper.jar",
        "/usr/share/java/zookeeper-jute.jar",
        "/usr/share/java/slf4j-api.jar",
        "/usr/share/java/slf4j-log4j12.jar",
        "/usr/share/java/log4j-1.2.jar",
        "/usr/share/java/netty.jar",
    ]
)

LOG4J = """log4j.rootLogger=WARN, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n
"""


def zookeeper_available() -> str | None:
    """None when a server can run here, else why not."""
    if shutil.which("java") is None:
        return "java is not installed"
    if not Path("/usr/share/java/zookeeper.jar").exists():
        return "Debian's zookeeper package is not installed (make test installs it)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ruok(port: int, timeout: float = 0.5, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"ruok")
            return s.recv(16) == b"imok"
    except OSError:
        return False


class ZooKeeperServer:
    def __init__(self, directory: Path, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.dir = Path(directory)
        self.host = host
        self.port = port or _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        (self.dir / "log4j.properties").write_text(LOG4J)
        (self.dir / "zoo.cfg").write_text(
            "\n".join(
                [
                    "tickTime=500",
                    f"dataDir={self.dir / 'data'}",
                    f"clientPort={self.port}",
                    f"clientPortAddress={host}",
                    "admin.enableServer=false",
                    "4lw.commands.whitelist=ruok,srvr,stat,mntr,conf",
                    "maxClientCnxns=0",
                    "",
                ]
            )
        )

    @property
    def hosts(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str = "/mesos") -> str:
        return f"zk://{self.hosts}{path}"

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.dir / "zookeeper.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                "java", "-Xms64m", "-Xmx256m", f"-Dzookeeper.log.dir={self.dir}",
                f"-Dlog4j.configuration=file:{self.dir / 'log4j.properties'}",
                "-cp", CLASSPATH, "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                str(self.dir / "zoo.cfg"),
            ],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"ZooKeeper exited with {self.proc.returncode}: "
                    + (self.dir / "zookeeper.log").read_text()[-2000:]
                )
            if ruok(self.port, host=self.host):
                return
            time.sleep(0.05)
        raise RuntimeError(f"ZooKeeper did not answer ruok on port {self.port} within {timeout}s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()
