"""`pi`: Hadoop's `hadoop jar hadoop-mapreduce-examples.jar pi MAPS SAMPLES`, as a framework.

    python -m mesos_tui.frameworks.pi 10 100 --master 127.0.0.1:5050

Each of MAPS map tasks (`python -m mesos_tui.frameworks._pi_task`) counts which of its SAMPLES
points of the Halton sequence (bases 2 and 3, Hadoop's quasi-Monte-Carlo) fall inside the
circle; the framework reads each task's one-line answer from its stdout through the agent's
Files API (no shared folder needed) and prints Hadoop's lines, ending with
`Estimated value of Pi is 3.14800000000000000000` (for 10 100, as Hadoop prints).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import grpc

from daemons.common.resources import Resources
from mesos_tui.client.files import LogSourceError
from mesos_tui.frameworks.common import (
    Progress,
    TaskFramework,
    TaskSpec,
    add_common_flags,
    framework_info,
    positive_float,
    positive_int,
    python_command,
    run_cli,
    run_framework,
    sandbox_read,
    task_environment,
)

TASK_MODULE = "mesos_tui.frameworks._pi_task"


def estimate(inside: int, total: int) -> Decimal:
    """4 * inside / total to 20 decimal places, rounded half up (Hadoop's BigDecimal)."""
    return (Decimal(4) * inside / Decimal(total)).quantize(Decimal(10) ** -20, ROUND_HALF_UP)


class Pi(TaskFramework):
    """MAPS map tasks; `inside`/`outside` add up as they finish."""

    def __init__(
        self,
        maps: int,
        samples: int,
        *,
        resources: Resources | None = None,
        max_retries: int = 2,
        progress: Progress | None = None,
    ) -> None:
        super().__init__("pi", max_retries=max_retries, progress=progress)
        self.maps = maps
        self.samples = samples
        self.resources = resources or Resources.parse("cpus:0.5;mem:64")
        self.inside = 0
        self.outside = 0
        self.finished_maps = 0
        self.value: Decimal | None = None

    def map_specs(self) -> list[TaskSpec]:
        self.progress.bar("maps", "pi maps", self.maps)
        return [
            self.new_spec(
                f"map-{i}",
                python_command(
                    TASK_MODULE, "--offset", i * self.samples, "--samples", self.samples
                ),
                self.resources,
                environment=task_environment(),
            )
            for i in range(self.maps)
        ]

    async def task_finished(self, spec: TaskSpec) -> None:
        assert self.driver is not None and self.driver.master and self.driver.framework_id
        try:
            out = await asyncio.wait_for(
                sandbox_read(
                    self.driver.master, spec.agent_id, self.driver.framework_id, spec.task_id
                ),
                10,
            )
            words = out.decode().split()
            inside, outside = (
                int(words[words.index("inside") + 1]),
                int(words[words.index("outside") + 1]),
            )
        except (LogSourceError, grpc.aio.AioRpcError, TimeoutError, ValueError, IndexError) as e:
            self.finish(1, f"task {spec.key}: could not read its answer from stdout: {e}")
            return
        self.inside += inside
        self.outside += outside
        self.finished_maps += 1
        self.progress.update("maps", self.finished_maps)
        if self.finished_maps == self.maps:
            self.value = estimate(self.inside, self.inside + self.outside)
            self.finish(0)

    async def task_started(self, spec: TaskSpec) -> None:
        running = len(self.running())
        self.progress.update("maps", self.finished_maps, f"{running} running")


async def pi(
    maps: int,
    samples: int,
    master: str,
    *,
    resources: Resources | str = "cpus:0.5;mem:64",
    max_retries: int = 2,
    progress: Progress | None = None,
    role: str = "*",
    timeout: float | None = None,
    install_signals: bool = False,
) -> tuple[int, Pi]:
    """Run the pi job; answer (exit code, the framework with `.value`)."""
    if isinstance(resources, str):
        resources = Resources.parse(resources)
    fw = Pi(maps, samples, resources=resources, max_retries=max_retries, progress=progress)

    async def body(driver) -> None:  # noqa: ANN001
        await fw.subscribed_event.wait()
        await fw.add(fw.map_specs())

    code = await run_framework(
        fw,
        framework_info("pi", role),
        master,
        body=body,
        timeout=timeout,
        install_signals=install_signals,
    )
    return code, fw


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pi", description="Estimate Pi with quasi-Monte-Carlo map tasks (Hadoop's example)."
    )
    parser.add_argument("maps", type=positive_int, help="number of map tasks")
    parser.add_argument("samples", type=positive_int, help="samples per map")
    add_common_flags(parser)
    parser.add_argument("--cpus", type=positive_float, default=0.5, help="cpus per map")
    parser.add_argument("--mem", type=positive_float, default=64.0, help="MB per map")
    ns = parser.parse_args(argv)
    print(f"Number of Maps  = {ns.maps}")
    print(f"Samples per Map = {ns.samples}", flush=True)
    started = time.monotonic()
    result = run_cli(
        ns.quiet,
        lambda progress: pi(
            ns.maps,
            ns.samples,
            ns.master,
            resources=Resources.parse(f"cpus:{ns.cpus};mem:{ns.mem}"),
            max_retries=ns.max_retries,
            progress=progress,
            role=ns.role,
            install_signals=True,
        ),
    )
    if result is None:
        return 130
    code, fw = result
    if code != 0 or fw.value is None:
        print(f"pi: {fw.error_message or 'failed'}", file=sys.stderr)
        return code or 1
    print(f"Job Finished in {time.monotonic() - started:.3f} seconds")
    print(f"Estimated value of Pi is {fw.value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
