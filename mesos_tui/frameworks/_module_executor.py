"""A custom executor that runs Python task modules in its own process, one after another.

A framework's command tasks each start a Python interpreter and import their module; on this
executor (one process, started once per executor id on an agent) a task is a call of the
module's `main(argv)` instead, in a worker thread, and its return value is its end:
0 is TASK_FINISHED, anything else (or an exception) TASK_FAILED with what went wrong.

TaskInfo.data is JSON: `{"module": "mesos_tui.frameworks._wordcount_task", "argv": [...]}`.
Only modules under `mesos_tui.frameworks.` are run. Tasks of one executor run one at a time
(the GIL would serialize them anyway); a KILL of a task not yet started drops it, of the
running one is answered when it returns (Python cannot stop a thread).

    ExecutorInfo.command: python -m mesos_tui.frameworks._module_executor
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys

from daemons.proto import mesos_pb2
from mesos_tui.client.executor import Executor, ExecutorDriver

ALLOWED_PREFIX = "mesos_tui.frameworks."


def task_data(module: str, argv: list[str]) -> bytes:
    """TaskInfo.data for running `module`'s main(argv) on this executor."""
    return json.dumps({"module": module, "argv": [str(a) for a in argv]}).encode()


class ModuleExecutor(Executor):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[mesos_pb2.TaskInfo] = asyncio.Queue()
        self.killed: set[str] = set()
        self.worker: asyncio.Task[None] | None = None

    async def launch(self, driver, task) -> None:  # type: ignore[override]
        if self.worker is None:
            self.worker = asyncio.create_task(self._work(driver))
        await self.queue.put(task)

    async def kill(self, driver, task_id, kill_policy) -> None:  # type: ignore[override]
        self.killed.add(task_id.value)

    async def _work(self, driver: ExecutorDriver) -> None:
        while True:
            task = await self.queue.get()
            task_id = task.task_id.value
            if task_id in self.killed:
                await driver.update(task_id, mesos_pb2.TASK_KILLED, message="killed before it ran")
                continue
            await driver.update(task_id, mesos_pb2.TASK_RUNNING)
            try:
                request = json.loads(task.data)
                module = request["module"]
                argv = [str(a) for a in request["argv"]]
                if not isinstance(module, str) or not module.startswith(ALLOWED_PREFIX):
                    raise ValueError(f"module {module!r} is not under {ALLOWED_PREFIX}")
                main = importlib.import_module(module).main
                code = await asyncio.to_thread(main, argv)
            except Exception as e:  # The task failed, not the executor.
                await driver.update(task_id, mesos_pb2.TASK_FAILED,
                                    message=f"{type(e).__name__}: {e}")
                continue
            if task_id in self.killed:
                await driver.update(task_id, mesos_pb2.TASK_KILLED)
            elif code == 0:
                await driver.update(task_id, mesos_pb2.TASK_FINISHED)
            else:
                await driver.update(task_id, mesos_pb2.TASK_FAILED,
                                    message=f"{module} returned {code}")


def main() -> int:
    asyncio.run(ExecutorDriver(ModuleExecutor()).run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
