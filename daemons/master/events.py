"""The operator event stream: fan-out of master Events to every operator subscriber.

Each subscriber has a queue bounded in events and in bytes (--max_client_queue_bytes). A
subscriber that falls too far behind is cut off with a clear error rather than fed a stream
with holes, and its backlog is dropped at once; it resubscribes and gets a fresh snapshot.
Publishers check `active` before building an event, so an unwatched master pays nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from daemons.proto import master_pb2

log = logging.getLogger("mesos.master")

QUEUE_LIMIT = 50_000
BYTES_LIMIT = 16 * 1024 * 1024


class SlowSubscriber(Exception):
    pass


class StreamClosed(Exception):
    """The master closed the stream (it stopped leading or is shutting down)."""


class Subscriber:
    __slots__ = ("queue", "overflowed", "closed", "limit", "pending_bytes", "sizes", "keep")

    def __init__(self, limit: int = BYTES_LIMIT) -> None:
        self.queue: asyncio.Queue[master_pb2.Event | None] = asyncio.Queue()
        self.overflowed = False
        self.closed: str | None = None
        self.limit = limit
        self.pending_bytes = 0
        self.sizes: deque[int] = deque()
        # Which events this subscriber may see (the view ACLs), or None for all of them.
        self.keep: Callable[[master_pb2.Event], bool] | None = None

    async def next(self) -> master_pb2.Event:
        event = await self.queue.get()
        if event is None:
            if self.closed is not None:
                raise StreamClosed(self.closed)
            raise SlowSubscriber(
                f"event stream closed: this subscriber fell more than {QUEUE_LIMIT} events or "
                f"{self.limit / 2**20:g} MiB behind; subscribe again for a fresh snapshot"
            )
        if self.sizes:
            self.pending_bytes -= self.sizes.popleft()
        return event

    def overflow(self) -> None:
        self.overflowed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.sizes.clear()
        self.pending_bytes = 0
        self.queue.put_nowait(None)


def _kept(sub: Subscriber, event: master_pb2.Event) -> bool:
    """Whether `sub` may see `event`; a filter that fails withholds it (and is logged), never
    breaking the publisher."""
    try:
        return bool(sub.keep(event))  # type: ignore[misc]
    except Exception:
        log.exception("the event filter of an operator subscriber failed; event withheld")
        return False


class EventBus:
    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()

    @property
    def active(self) -> bool:
        return bool(self.subscribers)

    def subscribe(self, limit: int = BYTES_LIMIT) -> Subscriber:
        sub = Subscriber(limit)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def close_all(self, why: str) -> None:
        for sub in list(self.subscribers):
            sub.closed = why
            sub.queue.put_nowait(None)
        self.subscribers.clear()

    def publish(self, event: master_pb2.Event) -> None:
        if not self.subscribers:
            return
        size = event.ByteSize()
        for sub in list(self.subscribers):
            if sub.overflowed or (sub.keep is not None and not _kept(sub, event)):
                continue
            if sub.queue.qsize() >= QUEUE_LIMIT or sub.pending_bytes + size > sub.limit:
                sub.overflow()
                self.subscribers.discard(sub)
                continue
            sub.pending_bytes += size
            sub.sizes.append(size)
            sub.queue.put_nowait(event)
