"""A custom executor for tests, written with mesos_tui.client.executor; run by agents as
`python tests/executor_program.py` (ExecutorInfo.command), with PYTHONPATH set to the repo.

What each task does is its `data`:
- b"finish": TASK_RUNNING, then TASK_FINISHED at once;
- b"wait": TASK_RUNNING, then waits for a KILL (TASK_KILLED) or a framework message
  b"finish:<task id>" (TASK_FINISHED);
- b"crash": TASK_RUNNING, then the executor exits with status 3;
- b"stubborn": like b"wait", and the executor then ignores SHUTDOWN (and SIGTERM), so the
  agent must kill it when its shutdown grace period is over;
- b"deaf": like b"wait", and once disconnected from the agent the executor never subscribes
  again (it stays alive), so a restarted agent must give up on it.
TASK_RUNNING's data is the executor's pid, so tests can tell one executor process from two.

Framework messages are answered b"echo:" + data. Every event is appended to `events.log` in
the sandbox (one line each: SUBSCRIBED, LAUNCH <id>, KILL <id>, MESSAGE <data>, SHUTDOWN), so
tests can check what the executor was told.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from daemons.proto import mesos_pb2
from mesos_tui.client.executor import Executor, ExecutorDriver


def note(line: str) -> None:
    with open("events.log", "a") as f:
        f.write(line + "\n")


class TestExecutor(Executor):
    def __init__(self) -> None:
        self.waiting: set[str] = set()
        self.stubborn = False
        self.deaf = False

    async def subscribed(self, driver, subscribed) -> None:  # type: ignore[override]
        note("SUBSCRIBED")

    async def launch(self, driver, task) -> None:  # type: ignore[override]
        task_id = task.task_id.value
        note(f"LAUNCH {task_id}")
        await driver.update(task_id, mesos_pb2.TASK_RUNNING, data=str(os.getpid()).encode())
        if task.data == b"finish":
            await driver.update(task_id, mesos_pb2.TASK_FINISHED, message="done")
        elif task.data == b"crash":
            os._exit(3)
        elif task.data == b"deaf":
            self.deaf = True
            self.waiting.add(task_id)
        elif task.data == b"stubborn":
            self.stubborn = True
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.waiting.add(task_id)
        else:
            self.waiting.add(task_id)

    async def kill(self, driver, task_id, kill_policy) -> None:  # type: ignore[override]
        note(f"KILL {task_id.value}")
        if task_id.value in self.waiting:
            self.waiting.discard(task_id.value)
            await driver.update(task_id, mesos_pb2.TASK_KILLED, message="killed by the executor")

    async def message(self, driver, data) -> None:  # type: ignore[override]
        note(f"MESSAGE {data.decode(errors='replace')}")
        if data.startswith(b"finish:"):
            task_id = data[len(b"finish:"):].decode()
            if task_id in self.waiting:
                self.waiting.discard(task_id)
                await driver.update(task_id, mesos_pb2.TASK_FINISHED, message="finished on request")
        await driver.send_message(b"echo:" + data)

    async def disconnected(self, driver) -> None:  # type: ignore[override]
        note("DISCONNECTED")
        if self.deaf:
            await asyncio.sleep(3600)  # Callbacks run in line: this blocks re-subscription.

    async def shutdown(self, driver) -> None:  # type: ignore[override]
        note("SHUTDOWN")
        if self.stubborn:
            return
        for task_id in sorted(self.waiting):
            await driver.update(task_id, mesos_pb2.TASK_KILLED, message="executor shut down")
        self.waiting.clear()
        driver.stop()


def main() -> int:
    asyncio.run(ExecutorDriver(TestExecutor()).run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
