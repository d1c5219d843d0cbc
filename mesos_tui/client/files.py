"""Reading task logs: the agent's Files API, and the small reader interface the log view uses.

A `LogSource` yields a file's bytes from an offset and then as they are appended, until the
caller stops iterating. Two exist:

- `AgentLogSource`: a file in a task's sandbox, via the agent's `Files.Follow` stream
  (agent.proto). The agent serves paths relative to its sandbox root `<work_dir>/slaves`,
  laid out as Mesos does: `<agent>/frameworks/<fw>/executors/<ex>/runs/latest/stdout`.
- `LocalLogSource`: a local file, polled for growth (tests, and `mesos-tui` run on the agent).

`sandbox_path()` names a task's stdout/stderr; `resolve_sandbox()` checks it with `List` and,
when the executor id is not the task id, finds the executor directory that is.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import grpc

from daemons.common import tls
from daemons.common.auth import Credential
from daemons.common.rpc import CHANNEL_OPTIONS
from daemons.proto import agent_pb2, agent_pb2_grpc
from mesos_tui.client import identity

READ_CHUNK = 1024 * 1024


class LogSourceError(Exception):
    """The log cannot be read; the message says why in one line."""


class LogSource(Protocol):
    """Bytes of one growing file."""

    name: str

    def follow(self, offset: int = 0) -> AsyncIterator[bytes]:
        """The file's bytes from `offset` (negative: from the end), then as they grow.
        The first chunk is empty: the file was found and opened."""
        ...


class LocalLogSource:
    """A local file, read in chunks and polled for growth."""

    def __init__(self, path: str, poll: float = 0.05) -> None:
        self.path = path
        self.name = path
        self.poll = poll

    async def follow(self, offset: int = 0) -> AsyncIterator[bytes]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            raise LogSourceError(f"cannot open {self.path}: {e.strerror}") from None
        try:
            size = os.fstat(fd).st_size
            position = max(0, size + offset) if offset < 0 else offset
            yield b""  # opened: an empty file is empty, not still loading
            while True:
                data = os.pread(fd, READ_CHUNK, position)
                if data:
                    position += len(data)
                    yield data
                    if len(data) == READ_CHUNK:
                        await asyncio.sleep(0)
                        continue
                else:
                    if os.fstat(fd).st_size < position:  # truncated
                        position = 0
                await asyncio.sleep(self.poll)
        finally:
            os.close(fd)


def sandbox_path(
    agent_id: str, framework_id: str, executor_id: str, file: str = "stdout",
    run: str = "latest",
) -> str:
    """A task's sandbox file, relative to the agent's sandbox root."""
    return f"{agent_id}/frameworks/{framework_id}/executors/{executor_id}/runs/{run}/{file}"


class AgentFiles:
    """A client of one agent's Files API."""

    def __init__(
        self, address: str, timeout: float = 5.0, credential: Credential | None = None
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.metadata = identity.metadata(credential)  # access_sandboxes asks who reads
        self._channel = tls.channel(address, options=CHANNEL_OPTIONS)
        self._stub = agent_pb2_grpc.FilesStub(self._channel)

    async def list(self, path: str) -> list[agent_pb2.FileInfo]:
        try:
            reply = await self._stub.List(
                agent_pb2.ListFilesRequest(path=path), timeout=self.timeout,
                metadata=self.metadata,
            )
        except grpc.aio.AioRpcError as e:
            raise LogSourceError(_describe(self.address, e)) from None
        return list(reply.files)

    async def read(self, path: str, offset: int = 0, length: int = 0) -> agent_pb2.ReadFileResponse:
        try:
            return await self._stub.Read(
                agent_pb2.ReadFileRequest(path=path, offset=offset, length=length),
                timeout=self.timeout, metadata=self.metadata,
            )
        except grpc.aio.AioRpcError as e:
            raise LogSourceError(_describe(self.address, e)) from None

    async def follow(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        call = self._stub.Follow(
            agent_pb2.FollowFileRequest(path=path, offset=offset), metadata=self.metadata
        )
        try:
            async for chunk in call:
                if chunk.data:
                    yield chunk.data
        except grpc.aio.AioRpcError as e:
            raise LogSourceError(_describe(self.address, e)) from None
        finally:
            call.cancel()

    async def resolve_sandbox(
        self, agent_id: str, framework_id: str, executor_id: str, task_id: str, file: str
    ) -> str:
        """The path of a task's `file` (stdout/stderr), checked against the agent's listing."""
        for ex in dict.fromkeys(x for x in (executor_id, task_id) if x):
            path = sandbox_path(agent_id, framework_id, ex, file)
            try:
                await self.list(path)
                return path
            except LogSourceError:
                continue
        base = f"{agent_id}/frameworks/{framework_id}/executors"
        for info in await self.list(base):
            name = info.path.rstrip("/").rsplit("/", 1)[-1]
            if task_id and task_id in name:
                return f"{base}/{name}/runs/latest/{file}"
        raise LogSourceError(f"no sandbox for task {task_id} on agent {self.address}")

    async def close(self) -> None:
        await self._channel.close()


class AgentLogSource:
    """A task's stdout or stderr on its agent, found and then followed."""

    def __init__(
        self, address: str, agent_id: str, framework_id: str, executor_id: str, task_id: str,
        file: str = "stdout", files: Callable[[str], Any] | None = None,
    ) -> None:
        self.files = files or AgentFiles  # or files_http.HttpAgentFiles: a Mesos agent's HTTP
        self.address = address
        self.agent_id = agent_id
        self.framework_id = framework_id
        self.executor_id = executor_id
        self.task_id = task_id
        self.file = file
        self.name = f"{task_id} {file} @ {address}"

    async def follow(self, offset: int = 0) -> AsyncIterator[bytes]:
        files = self.files(self.address)
        try:
            path = await files.resolve_sandbox(
                self.agent_id, self.framework_id, self.executor_id, self.task_id, self.file
            )
            yield b""  # found: an empty file is empty, not still loading
            async for data in files.follow(path, offset):
                yield data
        finally:
            await files.close()


def _describe(address: str, error: grpc.aio.AioRpcError) -> str:
    code = error.code()
    if code == grpc.StatusCode.UNAVAILABLE:
        return f"agent {address} is unreachable ({error.details() or 'no answer'})"
    if code == grpc.StatusCode.UNIMPLEMENTED:
        return f"agent {address} does not serve the Files API"
    return f"agent {address}: {code.name.lower()}: {error.details() or ''}".rstrip(": ")
