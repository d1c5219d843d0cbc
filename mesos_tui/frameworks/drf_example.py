"""The classic DRF example of the Mesos and DRF papers, live on any cluster.

The example: a cluster of <9 cpus, 18 GB>; framework A runs tasks of <1 cpu, 4 GB>, framework
B tasks of <3 cpus, 1 GB>. Each launches one task per offer and gives the rest back at once, so
the allocator decides who gets the next task. DRF equalises dominant shares: A ends with 3
tasks (3 cpus, 12 GB: 2/3 of the memory) and B with 2 (6 cpus, 2 GB: 2/3 of the cpus), and
nothing more fits.

How it runs on a cluster that is not exactly <9 cpus, 18 GB>: the example brings its own
agent. It starts one more agent process, `drf-example`, declaring exactly <9 cpus, 18 GB>
(tasks are `sleep`s: they use almost nothing of the host), and A and B launch only there,
declining every other agent with a long filter. Frameworks started by `mesos-tui up --demo`
decline the example agent the same way (another framework that takes part of it changes the
outcome, and the offers view says whose tasks are there). The master's own DRF shares are of
the whole cluster, so the tie-breaks only match the paper's when the cluster has about 2 GB per
cpu, as the demo's agents do; the outcome on the example agent is what the TUI shows.

    python -m mesos_tui.frameworks.drf_example --master 127.0.0.1:5050   # until Ctrl+C

In the TUI: `d` in the offers view starts it (and stops it). It prints one line per step;
on SIGTERM/SIGINT (or when the process that started it goes away, or after `--lifetime`) it
tears A and B down (their tasks are killed), stops its agent and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence

import psutil

from daemons.common.resources import Resources
from daemons.proto import mesos_pb2
from mesos_tui.client.scheduler import (
    DriverError,
    Scheduler,
    SchedulerDriver,
    offer_resources,
    task_info,
)
from mesos_tui.frameworks.common import SOURCE_ROOT, framework_info

AGENT_HOSTNAME = "drf-example"
AGENT_ATTRIBUTE = "drf-example"  # the example agent carries the attribute drf-example:true
AGENT_RESOURCES = "cpus:9;mem:18432;disk:1024"  # a little disk, so none is detected
A_NAME = "drf-example A"
B_NAME = "drf-example B"
A_TASK = "cpus:1;mem:4096"
B_TASK = "cpus:3;mem:1024"
TASK_COMMAND = "sleep 3600"
EXPECTED = {A_NAME: 3, B_NAME: 2}
OTHER_AGENTS_REFUSE_SECONDS = 3600.0
LIFETIME_SECONDS = 1800.0
STOP_GRACE_SECONDS = 5.0


def is_example_offer(offer: mesos_pb2.Offer) -> bool:
    """True for an offer of the example's own agent (by its attribute, or its hostname)."""
    if any(a.name == AGENT_ATTRIBUTE for a in offer.attributes):
        return True
    return offer.hostname == AGENT_HOSTNAME


def say(line: str) -> None:
    print(line, flush=True)


class OneTaskPerOffer(Scheduler):
    """Launches one task of `demand` on each offer of the example agent that fits it, gives
    the rest back at once (refuse_seconds 0: the allocator decides who is next), declines what
    does not fit and every other agent with a long filter."""

    def __init__(self, name: str, demand: str) -> None:
        self.name = name
        self.letter = name[-1]
        self.demand = Resources.parse(demand)
        self.launched = 0
        self.full = False  # it was offered the example agent and its task did not fit
        self.stopping = False  # tearing down: launch nothing more
        self.subscribed_event = asyncio.Event()

    async def subscribed(self, driver, framework_id, master_info) -> None:  # type: ignore[override]
        self.subscribed_event.set()

    async def offers(self, driver: SchedulerDriver, offers: list[mesos_pb2.Offer]) -> None:  # type: ignore[override]
        for offer in offers:
            try:
                if self.stopping or not is_example_offer(offer):
                    await driver.decline(
                        [offer], mesos_pb2.Filters(refuse_seconds=OTHER_AGENTS_REFUSE_SECONDS)
                    )
                    continue
                free = offer_resources(offer)
                if free.contains(self.demand):
                    self.launched += 1
                    task_id = f"{self.letter.lower()}{self.launched}"
                    task = task_info(task_id, f"{self.name} {task_id}", offer.agent_id,
                                     TASK_COMMAND, self.demand, shell=True)
                    await driver.launch([offer], [task], mesos_pb2.Filters(refuse_seconds=0))
                    say(f"{self.name}: offered {free} of {AGENT_HOSTNAME}, launched "
                        f"{task_id} <{self.demand}>")
                else:
                    # Nothing of it fits: do not offer me what is left here again soon.
                    await driver.decline(
                        [offer], mesos_pb2.Filters(refuse_seconds=OTHER_AGENTS_REFUSE_SECONDS)
                    )
                    self.full = True
                    say(f"{self.name}: offered {free} of {AGENT_HOSTNAME}: my task "
                        f"<{self.demand}> does not fit, declined")
            except DriverError as e:
                say(f"{self.name}: call refused: {e}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_agent(master: str, work_dir: str) -> subprocess.Popen[bytes]:
    """The example's own agent: <9 cpus, 18 GB> declared, hostname and attribute drf-example."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SOURCE_ROOT + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    for key in [k for k in env if k.startswith("MESOS_")]:
        del env[key]
    log = open(os.path.join(work_dir, "agent.log"), "ab")  # noqa: SIM115
    try:
        return subprocess.Popen(
            [
                sys.executable, "-m", "daemons.agent.main", "--master", master,
                "--ip", "127.0.0.1", "--port", str(_free_port()),
                "--work_dir", os.path.join(work_dir, "agent"),
                "--resources", AGENT_RESOURCES, "--hostname", AGENT_HOSTNAME,
                *(["--allow_root_tasks"] if os.geteuid() == 0 else []),
                "--attributes", f"{AGENT_ATTRIBUTE}:true",
            ],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            start_new_session=True,
        )
    finally:
        log.close()


def stop_agent(agent: subprocess.Popen[bytes]) -> None:
    """SIGTERM, a grace period, then SIGKILL; and any task process it left behind."""
    try:
        leftovers = psutil.Process(agent.pid).children(recursive=True)
    except psutil.Error:
        leftovers = []
    if agent.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(agent.pid, signal.SIGTERM)
        try:
            agent.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(agent.pid, signal.SIGKILL)
            agent.wait(timeout=STOP_GRACE_SECONDS)
    for p in leftovers:
        with contextlib.suppress(psutil.Error):
            p.kill()


async def run(master: str, lifetime: float = LIFETIME_SECONDS) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()
    a = OneTaskPerOffer(A_NAME, A_TASK)
    b = OneTaskPerOffer(B_NAME, B_TASK)
    drivers = [
        SchedulerDriver(a, framework_info(A_NAME), master),
        SchedulerDriver(b, framework_info(B_NAME), master),
    ]
    work_dir = tempfile.mkdtemp(prefix="mesos-tui-drf-example-")
    agent: subprocess.Popen[bytes] | None = None
    try:
        say(f"subscribing {A_NAME} (tasks <{A_TASK}>) and {B_NAME} (tasks <{B_TASK}>)")
        for d in drivers:
            await d.start()
        # Both before the agent exists, so neither has a head start on it.
        for d in drivers:
            await d.wait_subscribed(30)
        say(f"starting the example's agent {AGENT_HOSTNAME} <{AGENT_RESOURCES}>")
        agent = start_agent(master, work_dir)
        deadline = loop.time() + lifetime
        announced = False
        while not stop.is_set():
            if agent.poll() is not None:
                say(f"the example's agent exited (status {agent.returncode}); see "
                    f"{work_dir}/agent.log")
                return 1
            if os.getppid() != parent:
                say("the process that started the example is gone: stopping")
                break
            if loop.time() > deadline:
                say(f"stopping after {lifetime:g}s")
                break
            if a.full and b.full and not announced:
                announced = True
                say(f"outcome: {A_NAME} {a.launched} tasks, {B_NAME} {b.launched} tasks "
                    f"(the paper: 3 and 2)")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
        return 0
    finally:
        say("stopping: tearing down A and B (their tasks are killed), then the agent")
        a.stopping = b.stopping = True
        for d in drivers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(d.stop(failover=False), STOP_GRACE_SECONDS)
        if agent is not None:
            await asyncio.to_thread(stop_agent, agent)
        shutil.rmtree(work_dir, ignore_errors=True)
        say("stopped")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="drf_example",
        description="The classic DRF example (A: <1 cpu, 4 GB> tasks, B: <3 cpus, 1 GB>) on "
        "an agent of its own of <9 cpus, 18 GB>, until Ctrl+C.",
    )
    parser.add_argument("--master", required=True, help="the master: host:port or zk://...")
    parser.add_argument("--lifetime", type=float, default=LIFETIME_SECONDS,
                        help=f"stop after this many seconds (default {LIFETIME_SECONDS:g})")
    ns = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(ns.master, ns.lifetime))
    return 130


if __name__ == "__main__":
    sys.exit(main())
