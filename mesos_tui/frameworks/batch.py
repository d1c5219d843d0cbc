"""`batch`: a Torque-style job queue as a framework that grows and shrinks with its queue.

    python -m mesos_tui.frameworks.batch --master M --job "sleep 2" --job "make -C src" \\
        --jobs-file more-jobs.txt --cpus 0.5 --mem 64

Jobs are shell commands. `submit` queues one and answers its id; `qstat` lists every job with
its state (Q queued, R running, C completed, F failed for good), when it was queued, started and
finished, and how many attempts it took. The framework takes resources only for the jobs it
runs: with an empty queue it declines offers with a long filter (an hour) and SUPPRESSes them,
so the allocator stops offering it anything; `submit` REVIVEs. That is the behaviour Mesos's
framework development guide asks of every framework, and what makes a batch queue cheap to
keep around. A failed job is retried `--max_retries` times, then reported with its stderr tail;
the other jobs carry on.

The CLI submits the jobs given (`--job`, repeatable, and/or `--jobs-file`, one command a line,
`#` comments), prints the qstat listing as jobs change state, and exits when all are done:
0 if every job completed, 1 if any failed. `BatchQueue` is the Python API (tests, the demo).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from daemons.common.resources import Resources
from mesos_tui.frameworks.common import (
    Progress,
    TaskFramework,
    TaskSpec,
    add_common_flags,
    failure_report,
    framework_info,
    positive_float,
    run_cli,
    run_framework,
)

STATE_LETTERS = {
    "queued": "Q",
    "staging": "R",
    "running": "R",
    "finished": "C",
    "failed": "F",
    "killed": "F",
}


@dataclass(frozen=True)
class JobRow:
    """One line of qstat."""

    job_id: str
    name: str
    state: str  # Q, R, C, F
    queued_at: float
    started_at: float | None
    finished_at: float | None
    attempts: int
    message: str


class BatchQueue(TaskFramework):
    """The queue and its scheduler: `await submit(...)`, `qstat()`, `await wait_idle()`."""

    def __init__(
        self,
        *,
        resources: Resources | str = "cpus:0.5;mem:64",
        max_retries: int = 2,
        progress: Progress | None = None,
        server: str = "batch",
        exit_when_done: bool = False,
        on_change: Callable[[BatchQueue], None] | None = None,
    ) -> None:
        super().__init__("batch", max_retries=max_retries, progress=progress)
        self.resources = Resources.parse(resources) if isinstance(resources, str) else resources
        self.server = server
        self.exit_when_done = exit_when_done
        self.on_change = on_change
        self.jobs: list[TaskSpec] = []
        self._next = 1
        self._idle = asyncio.Event()
        self._idle.set()

    # ------------------------------------------------------------------ the API

    async def submit(
        self,
        command: str,
        name: str | None = None,
        resources: Resources | str | None = None,
    ) -> str:
        """Queue a job (a shell command); answer its id, as `qsub` does."""
        job_id = f"{self._next}.{self.server}"
        self._next += 1
        spec = self.new_spec(
            job_id,
            command,
            resources or self.resources,
            name=name or command.split()[0],
            shell=True,
        )
        self.jobs.append(spec)
        self._idle.clear()
        await self.add([spec])
        self._changed()
        return job_id

    def qstat(self) -> list[JobRow]:
        return [
            JobRow(
                job_id=s.key,
                name=s.name,
                state=STATE_LETTERS.get(s.state, "?"),
                queued_at=s.queued_at,
                started_at=s.started_at,
                finished_at=s.finished_at,
                attempts=s.attempts,
                message=s.message,
            )
            for s in self.jobs
        ]

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Until every submitted job has completed or failed for good."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    @property
    def failed(self) -> list[TaskSpec]:
        return [s for s in self.jobs if s.state == "failed"]

    # ------------------------------------------------------------------ hooks

    def _changed(self) -> None:
        if self.jobs and all(s.done for s in self.jobs):
            self._idle.set()
            if self.exit_when_done:
                self.finish(1 if self.failed else 0)
        if self.on_change is not None:
            self.on_change(self)

    async def task_started(self, spec: TaskSpec) -> None:
        self._changed()

    async def task_finished(self, spec: TaskSpec) -> None:
        self._changed()

    async def task_retrying(self, spec: TaskSpec) -> None:
        await super().task_retrying(spec)
        self._changed()

    async def task_failed(self, spec: TaskSpec) -> None:
        self.say(f"batch: {failure_report(spec)}")
        self._changed()


def _clock(t: float | None, now: float) -> str:
    if t is None:
        return "-"
    return time.strftime("%H:%M:%S", time.localtime(t))


def format_qstat(rows: Sequence[JobRow]) -> str:
    """qstat's listing, with times."""
    now = time.time()
    header = ("Job ID", "Name", "S", "Queued", "Started", "Done", "Tries", "Note")
    lines = [header]
    for r in rows:
        note = r.message if r.state == "F" else ""
        lines.append(
            (
                r.job_id,
                r.name[:16],
                r.state,
                _clock(r.queued_at, now),
                _clock(r.started_at, now),
                _clock(r.finished_at, now),
                str(r.attempts),
                note[:60],
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = []
    for i, row in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def read_jobs_file(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]


async def run_batch(
    commands: Sequence[str],
    master: str,
    *,
    resources: Resources | str = "cpus:0.5;mem:64",
    max_retries: int = 2,
    progress: Progress | None = None,
    role: str = "*",
    out=None,  # noqa: ANN001 (a text stream for the qstat listings)
    install_signals: bool = False,
) -> tuple[int, BatchQueue]:
    """Submit `commands`, run them all, answer (exit code, the queue)."""
    out = out or sys.stdout
    last: list[object] = [None]

    def show(queue: BatchQueue) -> None:
        rows = queue.qstat()
        states = [(r.job_id, r.state) for r in rows]
        if states != last[0]:  # Print when a job changes state, not on every event.
            last[0] = states
            print(format_qstat(rows) + "\n", file=out, flush=True)

    queue = BatchQueue(
        resources=resources,
        max_retries=max_retries,
        progress=progress,
        exit_when_done=True,
        on_change=show,
    )

    async def body(driver) -> None:  # noqa: ANN001
        await queue.subscribed_event.wait()
        for command in commands:
            await queue.submit(command)

    code = await run_framework(
        queue, framework_info("batch", role), master, body=body, install_signals=install_signals
    )
    return code, queue


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="batch", description="Run a queue of shell jobs (Torque-style) and show qstat."
    )
    add_common_flags(parser)
    parser.add_argument("--job", action="append", default=[], help="a job's command (repeatable)")
    parser.add_argument(
        "--jobs-file", "--jobs_file", dest="jobs_file", help="a file of job commands, one a line"
    )
    parser.add_argument("--cpus", type=positive_float, default=0.5, help="cpus per job")
    parser.add_argument("--mem", type=positive_float, default=64.0, help="MB per job")
    ns = parser.parse_args(argv)
    commands = list(ns.job)
    if ns.jobs_file:
        try:
            commands += read_jobs_file(ns.jobs_file)
        except OSError as e:
            parser.error(f"cannot read {ns.jobs_file}: {e.strerror}")
    if not commands:
        parser.error("no jobs: give --job CMD (repeatable) or --jobs-file FILE")
    result = run_cli(
        ns.quiet,
        lambda progress: run_batch(
            commands,
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
    code, queue = result
    if queue.error_message:
        print(f"batch: {queue.error_message}", file=sys.stderr)
    done = sum(1 for s in queue.jobs if s.state == "finished")
    print(f"batch: {done} of {len(queue.jobs)} jobs completed, {len(queue.failed)} failed")
    return code


if __name__ == "__main__":
    sys.exit(main())
