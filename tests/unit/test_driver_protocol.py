"""The scheduler driver against an in-process fake master speaking the Scheduler gRPC API.

The fake lets each test script the master's side: send events down the subscription stream,
end it, act as a standby naming a leader, refuse calls. The real master is exercised by the
integration tests; these pin down the driver's own protocol behaviour.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import grpc
import pytest

from daemons.common.rpc import LEADER_KEY, SERVER_OPTIONS, STREAM_ID_KEY
from daemons.proto import mesos_pb2, scheduler_pb2, scheduler_pb2_grpc
from mesos_tui.client.scheduler import DriverError, Scheduler, SchedulerDriver

Call = scheduler_pb2.Call
Event = scheduler_pb2.Event


class FakeMaster(scheduler_pb2_grpc.SchedulerServicer):
    def __init__(self) -> None:
        self.address = ""
        self.subscribes: list[scheduler_pb2.Call] = []
        self.calls: list[tuple[scheduler_pb2.Call, str | None]] = []
        self.streams: list[asyncio.Queue[Event | None]] = []
        self.leader_hint: str | None = None  # Set: act as a standby naming this leader.
        self.refuse_subscribe: grpc.StatusCode | None = None
        self.refuse_calls: grpc.StatusCode | None = None
        self.heartbeat = 15.0
        self._server: grpc.aio.Server | None = None

    async def start(self) -> None:
        self._server = grpc.aio.server(options=SERVER_OPTIONS)
        scheduler_pb2_grpc.add_SchedulerServicer_to_server(self, self._server)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.address = f"127.0.0.1:{port}"
        await self._server.start()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.stop(None)

    def send(self, event: Event, stream: int = -1) -> None:
        self.streams[stream].put_nowait(event)

    def end_stream(self, stream: int = -1) -> None:
        self.streams[stream].put_nowait(None)

    def calls_of(self, kind: int) -> list[scheduler_pb2.Call]:
        return [c for c, _ in self.calls if c.type == kind]

    async def Subscribe(  # noqa: N802 (gRPC's method name)
        self, request: scheduler_pb2.Call, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Event]:
        self.subscribes.append(request)
        if self.leader_hint is not None:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE,
                "not the leading master",
                trailing_metadata=((LEADER_KEY, self.leader_hint),),
            )
        if self.refuse_subscribe is not None:
            await context.abort(self.refuse_subscribe, "framework has been removed")
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.streams.append(queue)
        await context.send_initial_metadata(((STREAM_ID_KEY, f"stream-{len(self.streams)}"),))
        event = Event(type=Event.SUBSCRIBED)
        event.subscribed.framework_id.value = request.framework_id.value or "fw-1"
        event.subscribed.heartbeat_interval_seconds = self.heartbeat
        event.subscribed.master_info.id = "fake"
        yield event
        while True:
            item = await queue.get()
            if item is None:
                return
            yield item

    async def Call(  # noqa: N802
        self, request: scheduler_pb2.Call, context: grpc.aio.ServicerContext
    ) -> scheduler_pb2.Response:
        stream_id = dict(context.invocation_metadata()).get(STREAM_ID_KEY)
        self.calls.append((request, stream_id))
        if self.refuse_calls is not None:
            await context.abort(self.refuse_calls, "stale stream id")
        if request.type == Call.TEARDOWN and self.streams:
            # As the real master: the framework is gone (its stream ends) before the answer.
            self.end_stream()
            await asyncio.sleep(0.1)
        return scheduler_pb2.Response()


class Recorder(Scheduler):
    """Records every callback as (name, payload); optionally slow, to expose overlap."""

    def __init__(self, delay: float = 0.0) -> None:
        self.log: list[tuple[str, object]] = []
        self.delay = delay
        self.running = 0
        self.max_running = 0

    async def _note(self, name: str, payload: object) -> None:
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            self.log.append((name, payload))
        finally:
            self.running -= 1

    async def subscribed(self, driver, framework_id, master_info) -> None:  # type: ignore[override]
        await self._note("subscribed", framework_id.value)

    async def offers(self, driver, offers) -> None:  # type: ignore[override]
        await self._note("offers", [o.id.value for o in offers])

    async def rescind(self, driver, offer_id) -> None:  # type: ignore[override]
        await self._note("rescind", offer_id.value)

    async def update(self, driver, status) -> None:  # type: ignore[override]
        await self._note("update", status.task_id.value)

    async def error(self, driver, message) -> None:  # type: ignore[override]
        await self._note("error", message)

    async def disconnected(self, driver) -> None:  # type: ignore[override]
        await self._note("disconnected", None)

    def names(self) -> list[str]:
        return [name for name, _ in self.log]


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def offers_event(*ids: str) -> Event:
    event = Event(type=Event.OFFERS)
    for i in ids:
        offer = event.offers.offers.add()
        offer.id.value = i
        offer.agent_id.value = "agent-1"
    return event


def update_event(task: str, uuid: bytes = b"") -> Event:
    event = Event(type=Event.UPDATE)
    status = event.update.status
    status.task_id.value = task
    status.agent_id.value = "agent-1"
    status.state = mesos_pb2.TASK_RUNNING
    if uuid:
        status.uuid = uuid
    return event


@pytest.fixture
async def fake() -> AsyncIterator[FakeMaster]:
    master = FakeMaster()
    await master.start()
    yield master
    await master.close()


def new_driver(scheduler: Scheduler, master: str, **kwargs: object) -> SchedulerDriver:
    info = mesos_pb2.FrameworkInfo(name="test", user="nobody")
    return SchedulerDriver(scheduler, info, master, backoff_base=0.01, backoff_cap=0.05, **kwargs)  # type: ignore[arg-type]


async def test_subscribes_and_calls_carry_framework_and_stream_id(fake: FakeMaster) -> None:
    rec = Recorder()
    driver = new_driver(rec, fake.address)
    await driver.start()
    assert await driver.wait_subscribed(5) == "fw-1"
    assert fake.subscribes[0].type == Call.SUBSCRIBE
    assert fake.subscribes[0].subscribe.framework_info.name == "test"
    assert not fake.subscribes[0].HasField("framework_id")

    await driver.decline(["o1"], mesos_pb2.Filters(refuse_seconds=3))
    call, stream_id = fake.calls[-1]
    assert call.type == Call.DECLINE
    assert call.framework_id.value == "fw-1"
    assert stream_id == "stream-1"
    assert [o.value for o in call.decline.offer_ids] == ["o1"]
    assert call.decline.filters.refuse_seconds == 3
    await driver.stop(failover=True)


async def test_callbacks_run_one_at_a_time_in_event_order(fake: FakeMaster) -> None:
    rec = Recorder(delay=0.02)
    driver = new_driver(rec, fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    fake.send(offers_event("o1", "o2"))
    fake.send(Event(type=Event.HEARTBEAT))
    event = Event(type=Event.RESCIND)
    event.rescind.offer_id.value = "o1"
    fake.send(event)
    fake.send(update_event("t1"))
    await eventually(lambda: len(rec.log) == 4)
    assert rec.log == [
        ("subscribed", "fw-1"),
        ("offers", ["o1", "o2"]),
        ("rescind", "o1"),
        ("update", "t1"),
    ]
    assert rec.max_running == 1
    await driver.stop(failover=True)


async def test_implicit_acknowledgement_after_update_returns(fake: FakeMaster) -> None:
    acked_during_callback: list[bool] = []

    class Checker(Recorder):
        async def update(self, driver, status) -> None:  # type: ignore[override]
            await asyncio.sleep(0.05)
            acked_during_callback.append(bool(fake.calls_of(Call.ACKNOWLEDGE)))
            await super().update(driver, status)

    driver = new_driver(Checker(), fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    fake.send(update_event("master-made"))  # No uuid: never acknowledged.
    fake.send(update_event("t1", uuid=b"u-1"))
    await eventually(lambda: len(fake.calls_of(Call.ACKNOWLEDGE)) == 1)
    ack = fake.calls_of(Call.ACKNOWLEDGE)[0].acknowledge
    assert (ack.task_id.value, ack.agent_id.value, ack.uuid) == ("t1", "agent-1", b"u-1")
    assert acked_during_callback == [False, False]
    await driver.stop(failover=True)
    assert len(fake.calls_of(Call.ACKNOWLEDGE)) == 1


async def test_explicit_acknowledgements_are_left_to_the_framework(fake: FakeMaster) -> None:
    rec = Recorder()
    driver = new_driver(rec, fake.address, implicit_acknowledgements=False)
    await driver.start()
    await driver.wait_subscribed(5)
    fake.send(update_event("t1", uuid=b"u-1"))
    fake.send(offers_event("o9"))
    await eventually(lambda: len(rec.log) == 3)
    assert fake.calls_of(Call.ACKNOWLEDGE) == []
    status = mesos_pb2.TaskStatus(uuid=b"u-1")
    status.task_id.value, status.agent_id.value = "t1", "agent-1"
    await driver.acknowledge(status)
    assert fake.calls_of(Call.ACKNOWLEDGE)[0].acknowledge.uuid == b"u-1"
    await driver.stop(failover=True)


async def test_resubscribes_with_framework_id_when_the_stream_ends(fake: FakeMaster) -> None:
    rec = Recorder()
    driver = new_driver(rec, fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    fake.end_stream()
    await eventually(lambda: rec.names().count("subscribed") == 2)
    assert rec.names() == ["subscribed", "disconnected", "subscribed"]
    again = fake.subscribes[-1]
    assert again.framework_id.value == "fw-1"
    assert again.subscribe.framework_info.id.value == "fw-1"
    await driver.decline(["o1"])
    assert fake.calls[-1][1] == "stream-2"
    await driver.stop(failover=True)


async def test_follows_the_leader_a_standby_names(fake: FakeMaster) -> None:
    standby = FakeMaster()
    await standby.start()
    standby.leader_hint = fake.address
    try:
        rec = Recorder()
        driver = new_driver(rec, standby.address)
        await driver.start()
        await driver.wait_subscribed(5)
        assert driver.master == fake.address
        assert len(standby.subscribes) == 1 and len(fake.subscribes) == 1
        await driver.stop(failover=True)
    finally:
        await standby.close()


async def test_heartbeat_silence_means_a_dead_connection(fake: FakeMaster) -> None:
    fake.heartbeat = 0.05
    rec = Recorder()
    driver = new_driver(rec, fake.address, heartbeat_misses=2)
    await driver.start()
    await driver.wait_subscribed(5)
    await eventually(lambda: len(fake.subscribes) >= 2)
    assert fake.subscribes[1].framework_id.value == "fw-1"
    await eventually(lambda: "disconnected" in rec.names())
    await driver.stop(failover=True)


async def test_heartbeats_keep_the_connection(fake: FakeMaster) -> None:
    fake.heartbeat = 0.05
    rec = Recorder()
    driver = new_driver(rec, fake.address, heartbeat_misses=3)
    await driver.start()
    await driver.wait_subscribed(5)
    for _ in range(20):  # 4x the silence limit, with a heartbeat every interval.
        fake.send(Event(type=Event.HEARTBEAT))
        await asyncio.sleep(0.05)
    assert len(fake.subscribes) == 1
    assert "disconnected" not in rec.names()
    await driver.stop(failover=True)


async def test_error_event_stops_the_driver(fake: FakeMaster) -> None:
    rec = Recorder()
    driver = new_driver(rec, fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    event = Event(type=Event.ERROR)
    event.error.message = "Framework failed over"
    fake.send(event)
    await asyncio.wait_for(driver.run(), 5)
    assert rec.log[-1] == ("error", "Framework failed over")
    assert driver.error_message == "Framework failed over"
    assert len(fake.subscribes) == 1


async def test_refused_subscription_is_reported_not_retried(fake: FakeMaster) -> None:
    fake.refuse_subscribe = grpc.StatusCode.FAILED_PRECONDITION
    rec = Recorder()
    driver = new_driver(rec, fake.address)
    await asyncio.wait_for(driver.run(), 5)
    assert rec.names() == ["error"]
    assert "framework has been removed" in str(rec.log[0][1])
    with pytest.raises(DriverError):
        await driver.wait_subscribed(1)


async def test_calls_while_not_subscribed_raise(fake: FakeMaster) -> None:
    driver = new_driver(Recorder(), fake.address)
    with pytest.raises(DriverError, match="not subscribed"):
        await driver.revive()
    await driver.start()
    await driver.wait_subscribed(5)
    fake.refuse_calls = grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(DriverError, match="stale stream id") as info:
        await driver.suppress()
    assert info.value.code == grpc.StatusCode.FAILED_PRECONDITION
    await driver.stop(failover=True)
    with pytest.raises(DriverError, match="stopped"):
        await driver.revive()


async def test_stop_tears_down_unless_failing_over(fake: FakeMaster) -> None:
    driver = new_driver(Recorder(), fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    await driver.stop()
    assert len(fake.calls_of(Call.TEARDOWN)) == 1
    assert driver.stopped

    driver = new_driver(Recorder(), fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    await driver.stop(failover=True)
    assert len(fake.calls_of(Call.TEARDOWN)) == 1


async def test_stop_from_inside_a_callback(fake: FakeMaster) -> None:
    class StopOnOffer(Recorder):
        async def offers(self, driver, offers) -> None:  # type: ignore[override]
            await driver.decline(offers)
            await driver.stop()

    driver = new_driver(StopOnOffer(), fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    fake.send(offers_event("o1"))
    await asyncio.wait_for(driver.run(), 5)
    assert [c.type for c, _ in fake.calls] == [Call.DECLINE, Call.TEARDOWN]


async def test_a_raising_callback_stops_the_driver_and_run_raises(fake: FakeMaster) -> None:
    class Broken(Recorder):
        async def offers(self, driver, offers) -> None:  # type: ignore[override]
            raise RuntimeError("bug in the framework")

    driver = new_driver(Broken(), fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    fake.send(offers_event("o1"))
    with pytest.raises(RuntimeError, match="bug in the framework"):
        await asyncio.wait_for(driver.run(), 5)
    assert fake.calls_of(Call.TEARDOWN) == []


async def test_keeps_trying_an_unreachable_master_until_it_comes_up() -> None:
    fake = FakeMaster()
    await fake.start()
    address = fake.address
    await fake.close()  # Nobody listens there now.
    driver = new_driver(Recorder(), address)
    await driver.start()
    await asyncio.sleep(0.2)
    assert not driver.connected
    # A new server on the same port.
    port = int(address.rsplit(":", 1)[1])
    again = FakeMaster()
    again._server = grpc.aio.server(options=SERVER_OPTIONS)
    scheduler_pb2_grpc.add_SchedulerServicer_to_server(again, again._server)
    again._server.add_insecure_port(f"127.0.0.1:{port}")
    await again._server.start()
    try:
        assert await driver.wait_subscribed(10) == "fw-1"
        await driver.stop(failover=True)
    finally:
        await again.close()


async def test_reconcile_and_kill_shapes(fake: FakeMaster) -> None:
    driver = new_driver(Recorder(), fake.address)
    await driver.start()
    await driver.wait_subscribed(5)
    await driver.reconcile()
    await driver.reconcile([("t1", "a1"), "t2"])
    await driver.kill("t1", "a1")
    implicit, explicit = fake.calls_of(Call.RECONCILE)
    assert implicit.HasField("reconcile") and len(implicit.reconcile.tasks) == 0
    assert [(t.task_id.value, t.agent_id.value) for t in explicit.reconcile.tasks] == [
        ("t1", "a1"),
        ("t2", ""),
    ]
    kill = fake.calls_of(Call.KILL)[0].kill
    assert (kill.task_id.value, kill.agent_id.value) == ("t1", "a1")
    await driver.stop(failover=True)


async def test_standbys_naming_each_other_do_not_make_it_spin() -> None:
    a, b = FakeMaster(), FakeMaster()
    await a.start()
    await b.start()
    a.leader_hint, b.leader_hint = b.address, a.address
    try:
        driver = new_driver(Recorder(), a.address)
        await driver.start()
        await asyncio.sleep(0.5)
        attempts = len(a.subscribes) + len(b.subscribes)
        await driver.stop(failover=True)
        # With backoff between hint-follows: tens of attempts; a tight loop makes thousands.
        assert 2 <= attempts < 200, attempts
        assert not driver.connected
    finally:
        await a.close()
        await b.close()
