"""Demo frameworks for `mesos-tui up --demo`: several frameworks competing under DRF, on a loop.

`start_demo(master)` starts three loops, each in a subprocess of its own:

- **pi**: Hadoop's pi example, 10 maps of half a cpu (a few seconds of real computing each),
  again and again (a new framework each run, as each Hadoop job was);
- **wordcount**: a map/reduce word count of a generated text, parallelism 4, with tasks that
  ask for little cpu and much memory (0.25 cpu, 1 GB), so its dominant resource is memory
  while the others' is cpus: DRF compares them on different resources;
- **batch**: one long-lived Torque-style queue that gets a wave of 5-9 `sleep 4..10` jobs,
  runs them, and then sits idle (declined with a long filter and SUPPRESSed) until the next
  wave REVIVEs it.

Together they ask for more than the demo's two agents (`cpus:4;mem:8192` each) hold, and
their tasks last seconds, so they overlap and each holds part of an agent at once. A framework
with work waiting that did not fit declines with a 1 s filter (offer me this again soon); an
idle one declines for an hour and suppresses. So whenever a task ends, the allocator visibly
decides which framework gets what it freed: the one with the lowest dominant share.

Every demo framework declines the agent of the classic DRF example (`drf_example.py`, `d` in
the offers view) for an hour, so the example's outcome is its own.

Why subprocesses (each in its own process group) and not a thread with its own event loop:
the TUI owns the main thread and its asyncio loop, and a framework's work (collecting results,
generating text) would compete with it for the GIL and stutter the screen; grpc.aio channels
belong to one event loop, so frameworks in a second loop of the same process are fragile; and a
process group can always be ended for sure. `stop()` sends SIGTERM to each group: a loop then
tears its framework down (the master kills its tasks on the agents) and exits; a loop that has
not exited within a few seconds gets SIGKILL (its framework has failover_timeout 0, so the
master removes it and its tasks when the connection drops). Nothing is left behind.

    python -m mesos_tui.frameworks.demo --master 127.0.0.1:5050   # all loops, until Ctrl+C
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from daemons.common.flags import MASTER, one_line_errors
from mesos_tui.frameworks.common import (
    SOURCE_ROOT,
    Progress,
    framework_info,
    run_framework,
)

LOOPS = ("pi", "wordcount", "batch")
STOP_GRACE_SECONDS = 5.0
PI_MAPS = 10
PI_SAMPLES = 1_000_000  # about 2 s of one core per map
WORDCOUNT_TEXT_BYTES = 8 * 2**20
WORDCOUNT_TASK = "cpus:0.25;mem:1024"
BATCH_JOB_SECONDS = (4, 6, 8, 10)
EXAMPLE_REFUSE_SECONDS = 3600.0


def avoid_example_agent(fw) -> None:  # noqa: ANN001
    """Make a demo framework decline the DRF example's agent (for an hour) and use the rest."""
    from daemons.proto import mesos_pb2
    from mesos_tui.frameworks.drf_example import is_example_offer

    original = fw.offers

    async def offers(driver, offers) -> None:  # noqa: ANN001
        theirs = [o for o in offers if is_example_offer(o)]
        if theirs:
            with contextlib.suppress(Exception):
                await driver.decline(
                    theirs, mesos_pb2.Filters(refuse_seconds=EXAMPLE_REFUSE_SECONDS)
                )
        mine = [o for o in offers if not is_example_offer(o)]
        if mine:
            await original(driver, mine)

    fw.offers = offers


# ------------------------------------------------------------------------------ the handle


@dataclass
class DemoHandle:
    """The running demo loops; `stop()` ends them and everything they started."""

    master: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    log_dir: str = ""

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes.values()]

    def alive(self) -> list[str]:
        return [name for name, p in self.processes.items() if p.poll() is None]

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        for p in self.processes.values():
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(p.pid, signal.SIGTERM)
        for p in self.processes.values():
            try:
                p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        for p in self.processes.values():
            # Also reaps strays of a loop that exited: anything still in its process group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=grace)
        self.processes.clear()


def start_demo(master: str, loops: Sequence[str] = LOOPS, log_dir: str | None = None) -> DemoHandle:
    """Start the demo loops against `master`; answer a handle whose `stop()` ends them."""
    log_dir = log_dir or tempfile.mkdtemp(prefix="mesos-tui-demo-")
    handle = DemoHandle(master=master, log_dir=log_dir)
    env = dict(os.environ)
    env["PYTHONPATH"] = SOURCE_ROOT + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    for name in loops:
        if name not in LOOPS:
            raise ValueError(f"unknown demo loop {name!r} (known: {', '.join(LOOPS)})")
        with open(os.path.join(log_dir, f"{name}.log"), "ab") as log:
            handle.processes[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mesos_tui.frameworks.demo",
                    "--loop",
                    name,
                    "--master",
                    master,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
                start_new_session=True,
            )
    return handle


# ------------------------------------------------------------------------------ the loops


class _Stop:
    """SIGTERM/SIGINT between runs ends the loop; during a run, the run ends first."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.event.set)

    async def pause(self, seconds: float) -> bool:
        """Sleep between runs; True if asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), seconds)
        return self.event.is_set()


async def _run_until_stopped(stop: _Stop, run: asyncio.Task[tuple[int, object]]) -> int:
    waiter = asyncio.create_task(stop.event.wait())
    await asyncio.wait({run, waiter}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if not run.done():
        fw = getattr(run, "framework", None)
        if fw is not None:
            fw.finish(130, "stopped")
    code, _ = await run
    return code


async def pi_loop(master: str) -> None:
    from mesos_tui.frameworks.pi import Pi

    stop = _Stop()
    n = 0
    while not stop.event.is_set():
        n += 1
        fw = Pi(PI_MAPS, PI_SAMPLES, max_retries=2,
                progress=Progress(stream=sys.stdout, rich=False))
        avoid_example_agent(fw)

        async def body(driver, fw: Pi = fw) -> None:  # noqa: ANN001
            await fw.subscribed_event.wait()
            await fw.add(fw.map_specs())

        task = asyncio.create_task(_framework_run(fw, f"pi (demo {n})", master, body))
        task.framework = fw  # type: ignore[attr-defined]
        await _run_until_stopped(stop, task)
        print(f"pi run {n}: {fw.value} ({fw.error_message or 'ok'})", flush=True)
        if await stop.pause(2.0):
            return


async def _framework_run(fw, name: str, master: str, body) -> tuple[int, object]:  # noqa: ANN001
    code = await run_framework(fw, framework_info(name), master, body=body, install_signals=False)
    return code, fw


def generate_text(path: str, size: int, seed: int = 7) -> None:
    """Deterministic text of about `size` bytes with a Zipf-like vocabulary."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(2000)] + ["the", "of", "and", "mesos", "offer", "drf"]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    with open(path, "w", encoding="utf-8") as f:
        written = 0
        while written < size:
            words = rng.choices(vocab, weights, k=4096)
            line = "\n".join(" ".join(words[i : i + 12]) for i in range(0, 4096, 12)) + "\n"
            f.write(line)
            written += len(line)


async def wordcount_loop(master: str) -> None:
    from daemons.common.resources import Resources
    from mesos_tui.frameworks.wordcount import WordCount

    stop = _Stop()
    folder = tempfile.mkdtemp(prefix="mesos-tui-demo-wordcount-")
    try:
        text = os.path.join(folder, "input.txt")
        generate_text(text, WORDCOUNT_TEXT_BYTES)
        n = 0
        while not stop.event.is_set():
            n += 1
            scratch = os.path.join(folder, f"run-{n}")
            os.makedirs(scratch)
            fw = WordCount(
                text,
                scratch,
                parallelism=4,
                reducers=2,
                resources=Resources.parse(WORDCOUNT_TASK),
                progress=Progress(stream=sys.stdout, rich=False),
            )
            avoid_example_agent(fw)

            async def body(driver, fw: WordCount = fw) -> None:  # noqa: ANN001
                await fw.subscribed_event.wait()
                await fw.add(fw.map_specs())

            task = asyncio.create_task(_framework_run(fw, f"wordcount (demo {n})", master, body))
            task.framework = fw  # type: ignore[attr-defined]
            await _run_until_stopped(stop, task)
            shutil.rmtree(scratch, ignore_errors=True)
            total = fw.result.total if fw.result else None
            print(f"wordcount run {n}: total {total} ({fw.error_message or 'ok'})", flush=True)
            if await stop.pause(3.0):
                return
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def batch_loop(master: str) -> None:
    from mesos_tui.frameworks.batch import BatchQueue, format_qstat

    stop = _Stop()
    rng = random.Random(11)
    queue = BatchQueue(
        resources="cpus:0.5;mem:32", progress=Progress(stream=sys.stdout, rich=False)
    )
    avoid_example_agent(queue)

    async def body(driver) -> None:  # noqa: ANN001
        await queue.subscribed_event.wait()
        while not stop.event.is_set():
            for _ in range(rng.randint(5, 9)):
                await queue.submit(f"sleep {rng.choice(BATCH_JOB_SECONDS)}", name="sleep")
            await queue.wait_idle()
            print(format_qstat(queue.qstat()[-7:]) + "\n", flush=True)
            if await stop.pause(rng.uniform(4.0, 8.0)):  # Idle: suppressed, no offers.
                break
        queue.finish(0)

    task = asyncio.create_task(_framework_run(queue, "batch (demo)", master, body))
    task.framework = queue  # type: ignore[attr-defined]
    await _run_until_stopped(stop, task)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="demo", description="Keep demo frameworks (pi, wordcount, batch) running."
    )
    one_line_errors(parser)  # a malformed --master is one line and exit status 2
    parser.add_argument(
        "--master", required=True, type=MASTER, help="the master: host:port or zk://host:port/path"
    )
    parser.add_argument("--loop", choices=LOOPS, help="run one loop in this process")
    ns = parser.parse_args(argv)
    if ns.loop:
        runner = {"pi": pi_loop, "wordcount": wordcount_loop, "batch": batch_loop}[ns.loop]
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(runner(ns.master))
        return 0

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    handle = start_demo(ns.master)
    print(
        f"demo loops running against {ns.master} (logs in {handle.log_dir}); Ctrl+C stops",
        flush=True,
    )
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
