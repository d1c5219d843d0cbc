"""Task sandboxes over a Mesos agent's HTTP endpoints: `/files/browse` and `/files/read`.

What the TUI and the shell use when they watch a master over the HTTP operator API
(`--master http://...`, `https://...`, `zk://...`): an Apache Mesos agent serves no gRPC, but
every Mesos agent (and ours, on its one port) answers these two endpoints, with the sandbox of
each executor attached at Mesos's virtual path `/frameworks/<fw>/executors/<ex>/runs/latest`.
`HttpAgentFiles` has the calls of `files.AgentFiles` (list, read, follow, resolve_sandbox), so
the log view and the sandbox browser use either; following a file is polling `/files/read`
for growth, as Mesos's own web UI does. Credentials (identity.py) travel as HTTP Basic.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from daemons.common import tls
from daemons.common.auth import Credential, basic_header
from mesos_tui.client import identity
from mesos_tui.client.files import READ_CHUNK, LogSourceError

POLL_SECONDS = 0.5  # how often a followed file is asked for more, as Mesos's pailer does
MAX_ANSWER = 4 * READ_CHUNK  # a /files/read answer larger than this is not a file chunk


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One `/files/browse` entry, with the fields of agent.proto's FileInfo the views use."""

    path: str
    is_dir: bool
    size: int
    mtime: float
    mode: int


@dataclass(frozen=True, slots=True)
class ReadReply:
    data: bytes
    offset: int
    size: int  # with offset -1: the file's size (Mesos's answer), else offset + len(data)


def mode_bits(text: str) -> int:
    """`drwxr-xr-x` (Mesos's `mode` field, stat.filemode's form) back to mode bits."""
    if len(text) != 10:
        return 0
    bits = stat.S_IFDIR if text[0] == "d" else stat.S_IFLNK if text[0] == "l" else stat.S_IFREG
    for i, (ch, bit) in enumerate(zip(text[1:], (0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 4, 2, 1),
                                      strict=True)):
        if ch not in "-":
            bits |= bit
        if ch in "sS" and i in (2, 5):
            bits |= stat.S_ISUID if i == 2 else stat.S_ISGID
        if ch in "tT" and i == 8:
            bits |= stat.S_ISVTX
    return bits


def sandbox_path(framework_id: str, executor_id: str, file: str = "") -> str:
    """Mesos's virtual path of an executor's latest run (and a file in it)."""
    base = f"/frameworks/{framework_id}/executors/{executor_id}/runs/latest"
    return f"{base}/{file}" if file else base


class HttpAgentFiles:
    """A client of one agent's `/files/*` endpoints."""

    def __init__(
        self, address: str, timeout: float = 5.0, credential: Credential | None = None,
        scheme: str | None = None,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.base = f"{scheme or tls.current().scheme}://{address}"
        credential = credential if credential is not None else identity.default()
        self.headers = {"Accept": "application/json"}
        if credential is not None:
            self.headers["Authorization"] = basic_header(credential)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = None
            if self.base.startswith("https://"):
                connector = aiohttp.TCPConnector(ssl=tls.client_context(tls.current()))
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout)
            )
        return self._session

    async def _get(self, endpoint: str, **params: Any) -> Any:
        url = f"{self.base}{endpoint}"
        try:
            async with self._http().get(url, params=params, headers=self.headers) as response:
                if response.status != 200:
                    text = (await response.content.read(300)).decode("utf-8", "replace")
                    first = text.strip().splitlines()[0] if text.strip() else response.reason
                    what = {401: "refused us (credentials needed)", 403: "refused us",
                            404: "has no such file"}.get(response.status, f"answered {response.status}")
                    raise LogSourceError(f"agent {self.address} {what}: {first}")
                body = await response.content.read(MAX_ANSWER + 1)
                if len(body) > MAX_ANSWER:
                    raise LogSourceError(f"agent {self.address}: {endpoint} answer too large")
                import json

                return json.loads(body)
        except LogSourceError:
            raise
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            raise LogSourceError(
                f"agent {self.address} is unreachable over HTTP ({str(e) or type(e).__name__})"
            ) from None
        except ValueError:
            raise LogSourceError(f"agent {self.address}: {endpoint} did not answer JSON") from None

    async def list(self, path: str) -> list[FileEntry]:
        entries = await self._get("/files/browse", path=path)
        if not isinstance(entries, list):
            raise LogSourceError(f"agent {self.address}: /files/browse did not answer a list")
        out = []
        for e in entries:
            if isinstance(e, dict) and isinstance(e.get("path"), str):
                mode = mode_bits(str(e.get("mode", "")))
                out.append(FileEntry(e["path"], stat.S_ISDIR(mode), int(e.get("size") or 0),
                                     float(e.get("mtime") or 0), mode))
        return out

    async def read(self, path: str, offset: int = 0, length: int = 0) -> ReadReply:
        """`length` 0: as much as one read gives (the gRPC API's meaning). Asked for 1 byte at
        offset 0 (the sandbox browser asking the size), the size comes from offset -1."""
        size_reply = await self._get("/files/read", path=path, offset=-1)
        size = int(size_reply.get("offset", 0)) if isinstance(size_reply, dict) else 0
        if offset < 0:
            offset = max(0, size + offset)
        reply = await self._get("/files/read", path=path, offset=offset,
                                length=length or READ_CHUNK)
        data = str(reply.get("data", "")).encode("utf-8") if isinstance(reply, dict) else b""
        return ReadReply(data, offset, size)

    async def follow(self, path: str, offset: int = 0) -> AsyncIterator[bytes]:
        if offset < 0:
            offset = max(0, (await self.read(path, 0, 1)).size + offset)
        while True:
            reply = await self._get("/files/read", path=path, offset=offset, length=READ_CHUNK)
            data = str(reply.get("data", "")).encode("utf-8") if isinstance(reply, dict) else b""
            if data:
                offset += len(data)
                yield data
            else:
                await asyncio.sleep(POLL_SECONDS)  # polling the file for growth

    async def resolve_sandbox(
        self, agent_id: str, framework_id: str, executor_id: str, task_id: str, file: str
    ) -> str:
        """A task's `file` (stdout/stderr) under its executor's virtual path: the executor id
        (a custom executor's), else the task id (a command task's executor)."""
        for ex in dict.fromkeys(x for x in (executor_id, task_id) if x):
            path = sandbox_path(framework_id, ex, file)
            try:
                await self._get("/files/read", path=path, offset=-1)
                return path
            except LogSourceError:
                continue
        raise LogSourceError(f"no sandbox for task {task_id} on agent {self.address}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
