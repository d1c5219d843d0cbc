"""The Spark-style executor of the iterative job: loads its partition once and keeps it in memory.

Its one task (data: the partition's path) stays TASK_RUNNING while the executor holds the
parsed points. Each iteration is a framework message `{"iteration": k, "w": [...]}`; the
answer is a message `{"iteration": k, "partition": path, "gradient": [...], "count": n}`.
A message `{"done": true}` (or SHUTDOWN) ends the task TASK_FINISHED and the executor.

    ExecutorInfo.command: python -m mesos_tui.frameworks._iterative_executor
"""

from __future__ import annotations

import asyncio
import json
import sys

from daemons.proto import mesos_pb2
from mesos_tui.client.executor import Executor, ExecutorDriver
from mesos_tui.frameworks._iterative_math import Points, gradient, parse


class CachingExecutor(Executor):
    def __init__(self) -> None:
        self.task_id: str | None = None
        self.path = ""
        self.data: Points | None = None

    async def launch(self, driver, task) -> None:  # type: ignore[override]
        if self.task_id is not None:
            await driver.update(task.task_id, mesos_pb2.TASK_FAILED,
                                message="this executor already holds a partition")
            return
        self.task_id = task.task_id.value
        self.path = task.data.decode()
        try:
            self.data = await asyncio.to_thread(parse, self.path)
        except (OSError, ValueError) as e:
            await driver.update(task.task_id, mesos_pb2.TASK_FAILED,
                                message=f"cannot read partition {self.path}: {e}")
            driver.stop()
            return
        await driver.update(task.task_id, mesos_pb2.TASK_RUNNING,
                            message=f"{len(self.data[1])} points in memory")

    async def message(self, driver, data) -> None:  # type: ignore[override]
        request = json.loads(data)
        if request.get("done"):
            await self._finish(driver)
            return
        if self.data is None:
            return
        g = gradient(self.data, request["w"])
        await driver.send_message(json.dumps({
            "iteration": request["iteration"], "partition": self.path, "gradient": g,
            "count": len(self.data[1]),
        }).encode())

    async def kill(self, driver, task_id, kill_policy) -> None:  # type: ignore[override]
        await driver.update(task_id, mesos_pb2.TASK_KILLED)
        driver.stop()

    async def shutdown(self, driver) -> None:  # type: ignore[override]
        await self._finish(driver)

    async def _finish(self, driver: ExecutorDriver) -> None:
        if self.task_id is not None:
            await driver.update(self.task_id, mesos_pb2.TASK_FINISHED)
            self.task_id = None
        driver.stop()


def main() -> int:
    asyncio.run(ExecutorDriver(CachingExecutor()).run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
