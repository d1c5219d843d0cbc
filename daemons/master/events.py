"""The operator event stream: fan-out of master Events to every operator subscriber.

Each subscriber has a bounded queue. A subscriber that falls too far behind is cut off with a
clear error rather than fed a stream with holes; it resubscribes and gets a fresh snapshot.
Publishers check `active` before building an event, so an unwatched master pays nothing.
"""

from __future__ import annotations

import asyncio

from daemons.proto import master_pb2

QUEUE_LIMIT = 50_000


class SlowSubscriber(Exception):
    pass


class StreamClosed(Exception):
    """The master closed the stream (it stopped leading or is shutting down)."""


class Subscriber:
    __slots__ = ("queue", "overflowed", "closed")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[master_pb2.Event | None] = asyncio.Queue()
        self.overflowed = False
        self.closed: str | None = None

    async def next(self) -> master_pb2.Event:
        event = await self.queue.get()
        if event is None:
            if self.closed is not None:
                raise StreamClosed(self.closed)
            raise SlowSubscriber(
                f"event stream closed: this subscriber fell more than {QUEUE_LIMIT} events behind; "
                "subscribe again for a fresh snapshot"
            )
        return event


class EventBus:
    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()

    @property
    def active(self) -> bool:
        return bool(self.subscribers)

    def subscribe(self) -> Subscriber:
        sub = Subscriber()
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
        for sub in list(self.subscribers):
            if sub.overflowed:
                continue
            if sub.queue.qsize() >= QUEUE_LIMIT:
                sub.overflowed = True
                sub.queue.put_nowait(None)
                self.subscribers.discard(sub)
                continue
            sub.queue.put_nowait(event)
