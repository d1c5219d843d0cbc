"""Clients of the master's HTTP edge for tests: a third-party Mesos scheduler (avmesos, from
PyPI) run in a thread, and a plain aiohttp reader of RecordIO event streams.

The stream reader here is written apart from daemons.common.recordio on purpose (a length
line, then exactly that many bytes), so the tests do not check our framing with our framing.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from typing import Any

import aiohttp

JSON = "application/json"
PROTOBUF = "application/x-protobuf"


class EventStream:
    """An open HTTP subscription: `next()` answers each record (parsed JSON, or raw bytes for
    protobuf) as it arrives."""

    def __init__(self, response: aiohttp.ClientResponse, session: aiohttp.ClientSession) -> None:
        self.response = response
        self.session = session
        self.protobuf = response.headers.get("Content-Type", "").startswith(PROTOBUF)

    @property
    def stream_id(self) -> str:
        return self.response.headers.get("Mesos-Stream-Id", "")

    async def next(self, timeout: float = 10.0) -> Any:
        async def read() -> Any:
            line = await self.response.content.readline()
            if not line:
                raise EOFError("the stream ended")
            assert line.endswith(b"\n") and line[:-1].isdigit(), line
            record = await self.response.content.readexactly(int(line[:-1]))
            return record if self.protobuf else json.loads(record)

        return await asyncio.wait_for(read(), timeout)

    async def until(self, kind: str, timeout: float = 15.0) -> dict[str, Any]:
        """Read events until one of type `kind` (JSON streams)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} event within {timeout}s")
            event = await self.next(left)
            if event.get("type") == kind:
                return event

    async def close(self) -> None:
        self.response.close()
        await self.session.close()


async def subscribe(
    url: str, body: bytes, content_type: str = JSON, accept: str = JSON,
    headers: dict[str, str] | None = None,
) -> EventStream | aiohttp.ClientResponse:
    """POST a SUBSCRIBE; an EventStream on 200, else the (read) error response."""
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=5))
    response = await session.post(
        url, data=body, allow_redirects=False,
        headers={"Content-Type": content_type, "Accept": accept, **(headers or {})},
    )
    if response.status != 200:
        await response.read()
        await session.close()
        return response
    return EventStream(response, session)


async def post(
    url: str, body: bytes | str, content_type: str | None = JSON, accept: str | None = JSON,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, dict[str, str]]:
    """One call: (status, body, headers)."""
    h = dict(headers or {})
    if content_type is not None:
        h["Content-Type"] = content_type
    if accept is not None:
        h["Accept"] = accept
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        skip = () if content_type is not None else ("Content-Type",)
        async with session.post(
            url, data=body, headers=h, allow_redirects=False, skip_auto_headers=skip
        ) as r:
            return r.status, await r.read(), dict(r.headers)


async def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        async with session.get(url, allow_redirects=False) as r:
            return r.status, await r.read(), dict(r.headers)


class AvmesosFramework:
    """A framework written against avmesos (a Mesos v1 HTTP API library from PyPI): launches
    one task per entry of `commands` on the first offers (a command line, or the TaskInfo
    fields as JSON, such as an `executor`), declines the rest, records every status update
    (avmesos acknowledges them itself), framework message and FAILURE."""

    def __init__(
        self, master_url: str, commands: dict[str, str | dict[str, Any]], name: str = "avmesos",
        verify: str | bool = False,
    ) -> None:
        """`verify`: for an https:// master, the CA file the subscription checks it with."""
        from avmesos.client import MesosClient

        self.client = MesosClient(
            mesos_urls=[master_url], frameworkName=name,
            frameworkUser=os.environ.get("USER") or "root", max_reconnect=1,
        )
        self.client.verify = verify
        self.pending = dict(commands)
        self.updates: list[dict[str, Any]] = []
        self.subscribed = threading.Event()
        self.errors: list[str] = []
        self.offers_seen = 0
        self.framework_id: str | None = None
        self.messages: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.driver: Any = None
        self.client.on(MesosClient.SUBSCRIBED, self._subscribed)
        self.client.on(MesosClient.OFFERS, self._offers)
        self.client.on(MesosClient.UPDATE, self._update)
        self.client.on(MesosClient.ERROR, self.errors.append)
        self.client.on(MesosClient.FAILURE, self.failures.append)
        # avmesos has no `on` for MESSAGE but dispatches it through the same table.
        self.client.callbacks["MESSAGE"] = [self.messages.append]
        self.thread = threading.Thread(target=self.client.register, daemon=True)

    def start(self) -> AvmesosFramework:
        self.thread.start()
        return self

    def _subscribed(self, driver: Any) -> None:
        self.driver = driver
        self.framework_id = self.client.frameworkId
        self.subscribed.set()

    def _offers(self, offers: list[Any]) -> None:
        for offer in offers:
            self.offers_seen += 1
            o = offer.get_offer()
            if not self.pending:
                offer.decline({"filters": {"refuse_seconds": 0.5}})
                continue
            tasks = []
            for task_id, command in list(self.pending.items()):
                tasks.append({
                    "name": task_id,
                    "task_id": {"value": task_id},
                    "agent_id": {"value": o["agent_id"]["value"]},
                    "resources": [
                        {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
                        {"name": "mem", "type": "SCALAR", "scalar": {"value": 32}},
                    ],
                    **({"command": {"value": command}} if isinstance(command, str) else command),
                })
                del self.pending[task_id]
            offer.accept(tasks)

    def _update(self, update: dict[str, Any]) -> None:
        self.updates.append(update["status"])

    def states(self, task_id: str) -> list[str]:
        return [s["state"] for s in list(self.updates) if s["task_id"]["value"] == task_id]

    async def wait(self, condition: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"avmesos framework: timed out waiting for {what}; "
                                   f"updates {self.updates}, errors {self.errors}")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        """Tear the framework down (avmesos sends TEARDOWN at its next event)."""
        self.client.tearDown()
        self.thread.join(timeout=5)
